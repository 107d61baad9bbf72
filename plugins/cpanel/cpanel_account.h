/*
 * A cPanel account as WHM describes it (account.c): what the actions on accounts, Softaculous
 * and WordPress targets ask of it before they act.  Its own module, below the actions, so that
 * they need nothing from the descriptor in cpanel.c.
 */
#ifndef JIKU_CPANEL_ACCOUNT_H
#define JIKU_CPANEL_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "jiku/err.h"
#include "jiku/plugin.h"

struct cpanel_account {
    char *domain;
    char *homedir; /* only when asked for */
    uint64_t disk_used;
    bool have_disk_used;
};

/*
 * USER on SERVER (NULL: op->server) from WHM's accountsummary, and with WANT_HOME its home
 * directory from domainuserdata.  JIKU_E_NOTFOUND when WHM knows no such account.  OUT is the
 * caller's (cpanel_account_release) on success, released on failure.
 */
int cpanel_account_get(struct jiku_op *op, const struct jiku_server_info *server, const char *user,
                       bool want_home, struct cpanel_account *out, struct jiku_err *err);
void cpanel_account_release(struct cpanel_account *a);

#endif
