/*
 * What the WordPress tests' fake server shares (fake_wpt.c): WP Toolkit's instance 7 on a
 * cPanel account acmeshop, the panel as the WP Toolkit code sees it, and an SSH answer.
 */
#ifndef JIKU_TESTS_COMMON_FAKE_WPT_H
#define JIKU_TESTS_COMMON_FAKE_WPT_H

#include "wpt.h"

/* `wp-toolkit --info -instance-id 7`, and its entry in `--list`. */
#define FAKE_WPT_INFO7                                                                             \
    "{\"id\":7,\"mainDomain\":\"acme.example\",\"owner\":\"acmeshop\",\"fullPath\":"               \
    "\"/home/acmeshop/blog\",\"siteUrl\":\"https://blog.acme.example\",\"broken\":false}"

/* cPanel's `wp-toolkit`, every account's home /home/acmeshop, owned by acmeshop. */
extern const struct wpt_panel fake_wpt_panel;

/* RES as a command that exited STATUS printing OUT and ERROUT (either may be NULL). */
int fake_wpt_answer(struct jiku_exec_result *res, int status, const char *out, const char *errout);

#endif
