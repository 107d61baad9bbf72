/*
 * `wordpress` targets on cPanel: the shared WP Toolkit code (plugins/common/wpt.h) with
 * cPanel's command (`wp-toolkit`), the account's home directory from WHM, the staging and
 * clone domains of domain.c, and the removal of a staging clone's database (WP Toolkit on
 * cPanel has no --remove).
 */
#include <string.h>

#include "cpanel.h"
#include "cpanel_account.h"
#include "cpanel_remote.h"
#include "wpt.h"

static int
account_base(struct jiku_op *op, const char *account, char **base, char **owner,
             struct jiku_err *err)
{
    struct cpanel_account acct = {0};
    int r;

    /* A cPanel account's system user is the account itself. */
    if ((r = cpanel_account_get(op, NULL, account, true, &acct, err)) == 0 &&
        (r = plug_set_str(owner, account, err)) == 0) {
        *base = acct.homedir;
        acct.homedir = NULL;
    }
    cpanel_account_release(&acct);
    return r;
}

/* The domain may be gone already (removed by hand): then there is nothing to remove. */
static int
remove_domain(struct jiku_op *op, const char *account, const char *domain, struct jiku_err *err)
{
    int r = cpanel_domain_exists(op, account, domain, err);

    return r == 1 ? cpanel_domain_remove(op, account, domain, err) : r;
}

/* UAPI Mysql::FUNCTION of ACCOUNT through WHM uapi_cpanel, with name=NAME when not NULL. */
static int
mysql_call(struct jiku_op *op, const char *account, const char *function, const char *name,
           json_t **root, json_t **data, struct jiku_err *err)
{
    const struct cpanel_param p[] = {{"cpanel.user", account},
                                     {"cpanel.module", "Mysql"},
                                     {"cpanel.function", function},
                                     {"name", name}};
    int r;

    *root = NULL;
    if ((r = cpanel_whm_call(op, NULL, "uapi_cpanel", p, name != NULL ? 4 : 3,
                             strcmp(function, "list_databases") != 0, root, err)) != 0)
        return r;
    if ((r = cpanel_uapi_result(*root, data, err)) != 0) {
        jiku_err_prefix(err, "Mysql::%s for '%s' on '%s'", function, account, op->server->name);
        json_decref(*root);
        *root = NULL;
    }
    return r;
}

/* Is DB among ACCOUNT's databases (Mysql::list_databases)? 1 or 0. */
static int
has_database(struct jiku_op *op, const char *account, const char *db, struct jiku_err *err)
{
    json_t *root = NULL, *data = NULL, *e;
    size_t i;
    int r;

    if ((r = mysql_call(op, account, "list_databases", NULL, &root, &data, err)) != 0)
        return r;
    json_array_foreach(data, i, e)
    {
        const char *name = cpanel_json_str(e, "database");

        if (name != NULL && strcmp(name, db) == 0)
            r = 1;
    }
    json_decref(root);
    return r;
}

/*
 * cPanel's WP Toolkit has no --remove: unstage removes the clone's database and its user
 * with UAPI Mysql::delete_database / Mysql::delete_user as the account (cPanel's UAPI
 * documentation), which reach only that account's own databases.
 */
static int
remove_db(struct jiku_op *op, const char *account, const char *db, const char *user,
          struct jiku_err *err)
{
    json_t *root = NULL, *data = NULL;
    int r;

    if (!cpanel_valid_user(account))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid account '%s'", account);
    if (db != NULL && (r = has_database(op, account, db, err)) <= 0)
        return r; /* already gone, or the list failed */
    op->host->log(op, JIKU_LOG_INFO, "removing the database %s '%s' of '%s' on '%s'",
                  db != NULL ? "" : "user", db != NULL ? db : user, account, op->server->name);
    r = mysql_call(op, account, db != NULL ? "delete_database" : "delete_user",
                   db != NULL ? db : user, &root, &data, err);
    json_decref(root);
    return r;
}

static const char *const wpt_prefix[] = {"wp-toolkit", NULL};

const struct wpt_panel cpanel_wpt = {
    .name = "cPanel",
    .prefix = wpt_prefix,
    .account_is_main_domain = false,
    .account_base = account_base,
    .domain_exists = cpanel_domain_exists,
    .create_domain = cpanel_domain_create,
    .remove_domain = remove_domain,
    .remove_db = remove_db,
};

WPT_PANEL_ACTIONS(cpanel_wp, cpanel_wpt)
