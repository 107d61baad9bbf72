/*
 * `wordpress` targets on cPanel: the shared WP Toolkit code (plugins/common/wpt.h) with
 * cPanel's command (`wp-toolkit`), the account's home directory from WHM, and the staging and
 * clone domains of domain.c (SubDomain::addsubdomain / delsubdomain through `uapi_cpanel`).
 */
#include "cpanel.h"
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

static const char *const wpt_prefix[] = {"wp-toolkit", NULL};

const struct wpt_panel cpanel_wpt = {
    .name = "cPanel",
    .prefix = wpt_prefix,
    .account_is_main_domain = false,
    .account_base = account_base,
    .domain_exists = cpanel_domain_exists,
    .create_domain = cpanel_domain_create,
    .remove_domain = remove_domain,
};

WPT_PANEL_ACTIONS(cpanel_wp, cpanel_wpt)
