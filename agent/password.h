/*
 * New passwords for mail accounts and application users (jiku-agent(8), "MAIL ACCOUNTS AND
 * APPLICATION USERS"): read from a secret file, or generated from the kernel's random source
 * and shown once, on the terminal or in a new 0600 file.  A password lives in one jiku_buf,
 * wiped when released; it never reaches argv, a log line, an error, JSON, the audit or the
 * catalog.
 */
#ifndef JIKU_PASSWORD_H
#define JIKU_PASSWORD_H

#include <stdbool.h>

#include "jiku/buf.h"
#include "jiku/err.h"

/* How long a generated password is; [A-Za-z0-9] and a few signs, each class at least once. */
#define JIKU_PASSWORD_GENERATED 24
/* The shortest and longest password a file may hold. */
#define JIKU_PASSWORD_MIN 8
#define JIKU_PASSWORD_MAX 128

/*
 * The password in the file PATH, checked like every secret file (secret.h: no link, owned by
 * root or the running user, nothing for group and others; trailing blanks dropped), one line of
 * 8 to 128 printable ASCII characters, into OUT (empty on entry; released with
 * jiku_buf_release_secure).  JIKU_E_USAGE with a message that never quotes the file's content.
 */
int jiku_password_read(const char *path, struct jiku_buf *out, struct jiku_err *err);

/* A fresh password of JIKU_PASSWORD_GENERATED characters into OUT (empty on entry). */
int jiku_password_generate(struct jiku_buf *out, struct jiku_err *err);

/*
 * Create PATH, which must not exist (no link is followed), 0600, holding PW and a newline,
 * written and synced before this returns.  JIKU_E_IO when it cannot be made.
 */
int jiku_password_save(const char *path, const struct jiku_buf *pw, struct jiku_err *err);

#endif
