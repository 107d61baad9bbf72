/*
 * What the Softaculous tests' fake WHM answers alike (fake_session.c): the account acmeshop
 * (home /home/acmeshop) and its cPanel session cpsess42, as the plugin opens it before any
 * Softaculous call.
 */
#ifndef JIKU_TESTS_CPANEL_FAKE_SESSION_H
#define JIKU_TESTS_CPANEL_FAKE_SESSION_H

#include <stdbool.h>

#include "jiku/host.h"

/* Answer into RESP (zeroed, status 200 first) when PATH is one of those steps. */
bool fake_cpanel_session(const char *path, struct jiku_http_response *resp);

#endif
