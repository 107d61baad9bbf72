/*
 * Functions the core may not call (in the manner of git's banned.h: string functions without a
 * bound, shell-spawning ones, atoi), included before every core source.  Using one is a compile
 * error naming the function.
 */
#ifndef JIKU_BANNED_H
#define JIKU_BANNED_H

/* The declarations come first, so that the macros below only catch calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JIKU_BANNED(func) sorry_##func##_is_banned

#undef strcpy
#define strcpy(x, y) JIKU_BANNED(strcpy)
#undef strcat
#define strcat(x, y) JIKU_BANNED(strcat)
#undef sprintf
#define sprintf(...) JIKU_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) JIKU_BANNED(vsprintf)
#undef gets
#define gets(x) JIKU_BANNED(gets)
#undef system
#define system(x) JIKU_BANNED(system)
#undef popen
#define popen(x, y) JIKU_BANNED(popen)
#undef atoi
#define atoi(x) JIKU_BANNED(atoi)

#endif
