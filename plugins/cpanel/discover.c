/*
 * `discover` on cPanel: every account from WHM `listaccts` (user, main
 * domain, owner), the WordPress sites WP Toolkit lists (`wp-toolkit --list`,
 * plugins/common/inventory.c) and the Softaculous installations of each account.
 *
 * Softaculous has no server-wide list we can call with the WHM token (docs/WIRE.md §5: the
 * enduser API, `act=installations`, per account), so each account gets the same
 * create_user_session session the softaculous targets use: one WHM call and two cPanel-port
 * requests per account, nothing changed on the server (the session expires by itself; cPanel
 * may show it in the account's login history).  The first account whose session or list
 * fails stops the Softaculous part with a warning: a server without Softaculous answers every
 * account the same way, and an incomplete list would make configured installations look gone.
 * Staging copies belong to their live installation and are not listed: the ones the agent's
 * stage records name (the only evidence; Softaculous documents no staging key), and any an
 * undocumented is_staging key marks.
 */
#include <stdlib.h>
#include <string.h>

#include "cpanel.h"
#include "cpanel_discover.h"
#include "cpanel_remote.h"
#include "inventory.h"

static int
list_accounts(struct jiku_op *op, struct inv_list *inv, bool *complete, struct jiku_err *err)
{
    json_t *root = NULL, *accts, *a;
    size_t i;
    int r;

    if ((r = cpanel_whm_call(op, NULL, "listaccts", NULL, 0, false, &root, err)) != 0)
        return r;
    accts = json_object_get(json_object_get(root, "data"), "acct");
    if (accts != NULL && !json_is_array(accts)) {
        r = jiku_err_set(err, JIKU_E_DATA, "listaccts on '%s' gives no account list",
                         op->server->name);
        goto out;
    }
    json_array_foreach(accts, i, a)
    {
        const char *user = cpanel_json_str(a, "user"), *domain = cpanel_json_str(a, "domain");
        json_t *susp = json_object_get(a, "suspended");
        bool suspended = json_is_true(susp) || (json_is_integer(susp) && json_integer_value(susp));

        if (!cpanel_valid_user(user)) {
            op->host->log(op, JIKU_LOG_WARN, "listaccts entry %zu has no usable user name", i + 1);
            *complete = false;
            continue;
        }
        if ((r = inv_add(inv, JIKU_KIND_ACCOUNT, user, domain, NULL, cpanel_json_str(a, "owner"),
                         suspended ? "account (suspended)" : "account", err)) != 0)
            goto out;
    }
out:
    json_decref(root);
    return r;
}

/* One installation object V of USER's "installations" into INV; STAGED: the stage records. */
static int
add_installation(struct jiku_op *op, const char *user, json_t *v, const char *staged,
                 struct inv_list *inv, bool *complete, struct jiku_err *err)
{
    json_t *staging = json_object_get(v, "is_staging");
    const char *insid = cpanel_json_str(v, "insid");
    const char *url = cpanel_json_str(v, "softurl"), *script = cpanel_json_str(v, "script");
    struct jiku_buf detail = JIKU_BUF_INIT;
    struct jiku_err e = {0};
    char *domain = NULL, *path = NULL;
    int r;

    if ((insid != NULL && plug_records_have(staged, "insid", insid)) || json_is_true(staging) ||
        (json_is_integer(staging) && json_integer_value(staging)) ||
        (json_is_string(staging) && strcmp(json_string_value(staging), "1") == 0))
        return 0;
    if (inv_split_url(url, &domain, &path, &e) != 0) {
        op->host->log(op, JIKU_LOG_WARN, "a Softaculous installation of '%s' left out: %s", user,
                      e.msg);
        *complete = false;
        return 0;
    }
    if (jiku_buf_addf(&detail, "Softaculous %.60s", script != NULL ? script : "installation") != 0)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    else
        r = inv_add(inv, JIKU_KIND_SOFTACULOUS, user, domain, path, user, detail.data, err);
    jiku_buf_release(&detail);
    free(domain);
    free(path);
    return r;
}

/* USER's installations through a session of that account. */
static int
list_installations(struct jiku_op *op, const char *user, const char *staged, struct inv_list *inv,
                   bool *complete, struct jiku_err *err)
{
    struct cpanel_soft_session sess = {0};
    json_t *root = NULL, *all, *group, *v;
    const char *sid, *insid;
    int r;

    if ((r = cpanel_soft_open(op, user, &sess, err)) != 0 ||
        (r = cpanel_soft_call(op, &sess, "installations", NULL, 0, NULL, 0, false, &root, err)) !=
            0)
        goto out;
    all = json_object_get(root, "installations");
    /* An account without installations may get an empty array or no member at all. */
    if (all != NULL && !json_is_object(all) && !(json_is_array(all) && json_array_size(all) == 0)) {
        r = jiku_err_set(err, JIKU_E_DATA, "Softaculous gave no installations list for '%s'", user);
        goto out;
    }
    json_object_foreach(all, sid, group)
    {
        if (!json_is_object(group))
            continue;
        /* {SID:{INSID:{…}}}, or one level less. */
        if (json_is_string(json_object_get(group, "insid"))) {
            if ((r = add_installation(op, user, group, staged, inv, complete, err)) != 0)
                goto out;
            continue;
        }
        json_object_foreach(group, insid, v)
        {
            if (json_is_object(v) &&
                (r = add_installation(op, user, v, staged, inv, complete, err)) != 0)
                goto out;
        }
    }
out:
    json_decref(root);
    cpanel_soft_session_release(&sess);
    return r;
}

int
cpanel_discover(struct jiku_op *op, struct jiku_err *err)
{
    struct inv_list inv = {0};
    struct jiku_buf staged = JIKU_BUF_INIT;
    bool accounts_ok = true, wp_listed = false, soft_ok = true, soft_complete = true;
    size_t n_accounts;
    int r;

    if ((r = list_accounts(op, &inv, &accounts_ok, err)) != 0 ||
        (r = plug_stage_records_all(op, &staged, err)) != 0)
        goto out;
    n_accounts = inv.n;
    if ((r = inv_wordpress(&cpanel_wpt, op, &inv, &wp_listed, err)) != 0)
        goto out;
    for (size_t i = 0; i < n_accounts && soft_ok; i++) {
        struct jiku_err e = {0};
        char *user = strdup(inv.items[i].account); /* INV may move while it grows */

        if (user == NULL) {
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            goto out;
        }
        r = list_installations(op, user, staged.data, &inv, &soft_complete, &e);
        free(user);
        if (r == JIKU_E_NOMEM || r == JIKU_E_INTERRUPTED) {
            jiku_err_set(err, r, "%s", e.msg);
            goto out;
        }
        if (r != 0) {
            op->host->log(op, JIKU_LOG_WARN, "Softaculous installations not listed: %s", e.msg);
            soft_ok = false;
            r = 0;
        }
    }
    op->result->inventory_kinds =
        (accounts_ok ? JIKU_KIND_BIT(JIKU_KIND_ACCOUNT) : 0) |
        (wp_listed ? JIKU_KIND_BIT(JIKU_KIND_WORDPRESS) : 0) |
        (soft_ok && soft_complete ? JIKU_KIND_BIT(JIKU_KIND_SOFTACULOUS) : 0);
    inv_give(&inv, op->result);
out:
    inv_release(&inv);
    jiku_buf_release(&staged);
    return r;
}
