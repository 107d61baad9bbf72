/*
 * `wordpress` targets on Plesk: the shared WP Toolkit code (plugins/common/wpt.h) with Plesk's
 * command (`plesk ext wp-toolkit`), the subscription's directory from `webspace get`
 * (www_root VHOSTS/D/httpdocs → VHOSTS/D), and staging or clone domains made as subdomains of
 * the subscription with `plesk bin subdomain --create LABEL -domain D -www-root /LABEL.D`
 * (docs/WIRE.md §3.5), removed with `--remove`, which takes the document root with it.
 */
#include <stdlib.h>
#include <string.h>

#include "plesk.h"
#include "plesk_wp.h"
#include "wpt.h"

/* The subscription's own directory: the part of its www_root up to the component D. */
static int
account_base(struct jiku_op *op, const char *account, char **base, char **owner,
             struct jiku_err *err)
{
    struct plesk_webspace w = {0};
    size_t n = strlen(account);
    const char *p;
    int r;

    if ((r = plesk_webspace_get(op, NULL, account, false, true, &w, err)) != 0)
        return r;
    for (p = strchr(w.www_root, '/'); p != NULL; p = strchr(p + 1, '/'))
        if (strncmp(p + 1, account, n) == 0 && (p[1 + n] == '/' || p[1 + n] == '\0'))
            break;
    if (p == NULL || !plug_valid_path(w.www_root))
        r = jiku_err_set(err, JIKU_E_DATA,
                         "the web root '%s' of '%s' on '%s' is not inside a directory named after "
                         "it",
                         w.www_root, account, op->server->name);
    else if ((*base = strndup(w.www_root, (size_t)(p + 1 + n - w.www_root))) == NULL)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    else {
        *owner = w.sys_user;
        w.sys_user = NULL;
    }
    plesk_webspace_release(&w);
    return r;
}

/* DOMAIN as LABEL.ACCOUNT: the only subdomains the agent makes or removes. */
static int
split_label(const char *account, const char *domain, char **label, struct jiku_err *err)
{
    size_t dl = strlen(domain), al = strlen(account);

    *label = NULL;
    if (dl <= al + 1 || domain[dl - al - 1] != '.' || strcmp(domain + dl - al, account) != 0 ||
        memchr(domain, '.', dl - al - 1) != NULL)
        return jiku_err_set(err, JIKU_E_USAGE,
                            "'%s' is not a subdomain of the subscription '%s' (LABEL.%s)", domain,
                            account, account);
    if ((*label = strndup(domain, dl - al - 1)) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

/* `plesk bin subdomain OP LABEL -domain ACCOUNT [EXTRA…]`: 0, or 1 when Plesk has no such one. */
static int
subdomain(struct jiku_op *op, const char *what, const char *label, const char *account,
          const char *const *extra, bool safe, struct jiku_err *err)
{
    const char *head[] = {"plesk", "bin", "subdomain", what, label, "-domain", account, NULL};
    static const char *const none[] = {NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    int r;

    if (plug_words(&cmd, head) != 0 || plug_words(&cmd, extra != NULL ? extra : none) != 0) {
        jiku_buf_release(&cmd);
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    r = op->host->ssh_exec(op, NULL, cmd.data, safe, 65536, &res, err);
    if (r == 0 && res.exit_status != 0) {
        const char *e = res.errout.data;

        if (strstr(e, "Unable to find subdomain") != NULL)
            r = 1;
        else
            r = jiku_err_set(err, JIKU_E_PANEL,
                             "plesk bin subdomain %s %s.%s on '%s' failed: %.300s", what, label,
                             account, op->server->name, e);
    } else if (r != 0) {
        jiku_err_prefix(err, "plesk bin subdomain %s on '%s'", what, op->server->name);
    }
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    return r;
}

static int
domain_exists(struct jiku_op *op, const char *account, const char *domain, struct jiku_err *err)
{
    struct plesk_webspace w = {0};
    char *label = NULL;
    int r;

    if (split_label(account, domain, &label, err) != 0) {
        /* Not ours to make; another subscription of that name is another account's. */
        jiku_err_clear(err);
        r = plesk_webspace_get(op, NULL, domain, false, false, &w, err);
        plesk_webspace_release(&w);
        if (r == JIKU_E_NOTFOUND) {
            jiku_err_clear(err);
            return 0;
        }
        return r != 0 ? r
                      : jiku_err_set(err, JIKU_E_DATA, "'%s' on '%s' is another subscription",
                                     domain, op->server->name);
    }
    r = subdomain(op, "--info", label, account, NULL, true, err);
    free(label);
    return r < 0 ? r : r == 0 ? 1 : 0;
}

static int
create_domain(struct jiku_op *op, const char *account, const char *domain, struct jiku_err *err)
{
    struct jiku_buf root = JIKU_BUF_INIT;
    char *label = NULL;
    int r;

    if ((r = split_label(account, domain, &label, err)) != 0)
        return r;
    if (jiku_buf_addf(&root, "/%s", domain) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    {
        const char *extra[] = {"-www-root", root.data, "-php", "true", NULL};

        op->host->log(op, JIKU_LOG_INFO, "creating the subdomain '%s' on '%s'", domain,
                      op->server->name);
        if ((r = subdomain(op, "--create", label, account, extra, false, err)) == 1)
            r = jiku_err_set(err, JIKU_E_PANEL, "cannot create '%s' on '%s'", domain,
                             op->server->name);
    }
out:
    jiku_buf_release(&root);
    free(label);
    return r;
}

static int
remove_domain(struct jiku_op *op, const char *account, const char *domain, struct jiku_err *err)
{
    char *label = NULL;
    int r;

    if ((r = split_label(account, domain, &label, err)) != 0)
        return r;
    op->host->log(op, JIKU_LOG_INFO, "removing the subdomain '%s' on '%s'", domain,
                  op->server->name);
    /* Already gone is as good as removed. */
    if ((r = subdomain(op, "--remove", label, account, NULL, false, err)) == 1)
        r = 0;
    free(label);
    return r;
}

static const char *const wpt_prefix[] = {"plesk", "ext", "wp-toolkit", NULL};

const struct wpt_panel plesk_wpt = {
    .name = "Plesk",
    .prefix = wpt_prefix,
    .account_is_main_domain = true,
    .account_base = account_base,
    .domain_exists = domain_exists,
    .create_domain = create_domain,
    .remove_domain = remove_domain,
    .remove_db = NULL, /* `--remove` takes the site's files and database */
};

WPT_PANEL_ACTIONS(plesk_wp, plesk_wpt)
