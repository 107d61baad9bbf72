/*
 * Domains for staging copies and clones (docs/WIRE.md §2.6: created first when missing), shared by
 * the WordPress and Softaculous actions: UAPI SubDomain::addsubdomain through WHM uapi_cpanel
 * (tests/fakes/cpanel/README.md), and cPanel API 2 SubDomain::delsubdomain through WHM's
 * /json-api/cpanel, because cPanel documents no UAPI function that removes a subdomain.  A domain
 * the agent creates gets its own document root HOME/DOMAIN, never a directory inside another site.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpanel.h"
#include "cpanel_account.h"
#include "cpanel_remote.h"

static bool
valid_domain(const char *d)
{
    size_t n = d != NULL ? strlen(d) : 0;

    if (n == 0 || n > 253 || d[0] == '.' || d[0] == '-' || d[n - 1] == '.' ||
        strchr(d, '.') == NULL || strstr(d, "..") != NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)d[i]) && d[i] != '.' && d[i] != '-')
            return false;
    return true;
}

static int
uapi(struct jiku_op *op, const char *user, const char *module, const char *function,
     const struct cpanel_param *extra, size_t n_extra, json_t **root, json_t **data,
     struct jiku_err *err)
{
    struct cpanel_param p[8] = {
        {"cpanel.user", user}, {"cpanel.module", module}, {"cpanel.function", function}};
    int r;

    if (n_extra > 5)
        return jiku_err_set(err, JIKU_E_INVAL, "too many UAPI parameters");
    for (size_t i = 0; i < n_extra; i++)
        p[3 + i] = extra[i];
    /* Adding and removing a domain is safe to look at again, never to send twice blindly. */
    if ((r = cpanel_whm_call(op, NULL, "uapi_cpanel", p, 3 + n_extra,
                             strcmp(function, "list_domains") != 0, root, err)) != 0)
        return r;
    if ((r = cpanel_uapi_result(*root, data, err)) != 0) {
        jiku_err_prefix(err, "%s::%s for '%s' on '%s'", module, function, user, op->server->name);
        json_decref(*root);
        *root = NULL;
    }
    return r;
}

/* Is DOMAIN in the list member KEY (strings) or equal to the string member KEY of DATA? */
static bool
has_domain(json_t *data, const char *key, const char *domain)
{
    json_t *v = json_object_get(data, key), *e;
    size_t i;

    if (json_is_string(v))
        return strcasecmp(json_string_value(v), domain) == 0;
    json_array_foreach(v, i, e)
    {
        if (json_is_string(e) && strcasecmp(json_string_value(e), domain) == 0)
            return true;
    }
    return false;
}

static bool
account_has(json_t *data, const char *domain)
{
    static const char *const keys[] = {"main_domain", "addon_domains", "sub_domains",
                                       "parked_domains"};

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (has_domain(data, keys[i], domain))
            return true;
    return false;
}

/* domainuserdata of DOMAIN: its user and document root (either may be NULL), or NOTFOUND. */
static int
userdata(struct jiku_op *op, const char *domain, char **user, char **docroot, struct jiku_err *err)
{
    const struct cpanel_param pd[] = {{"domain", domain}};
    json_t *root = NULL, *ud;
    const char *u, *d;
    int r;

    *user = *docroot = NULL;
    r = cpanel_whm_call(op, NULL, "domainuserdata", pd, 1, false, &root, err);
    if (r == JIKU_E_PANEL)
        return jiku_err_set(err, JIKU_E_NOTFOUND, "no domain '%s' on '%s'", domain,
                            op->server->name);
    if (r != 0)
        return r;
    ud = json_object_get(json_object_get(root, "data"), "userdata");
    u = cpanel_json_str(ud, "user");
    d = cpanel_json_str(ud, "documentroot");
    if ((u != NULL && (*user = strdup(u)) == NULL) ||
        (d != NULL && (*docroot = strdup(d)) == NULL)) {
        free(*user);
        *user = NULL;
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    json_decref(root);
    return r;
}

int
cpanel_domain_exists(struct jiku_op *op, const char *account, const char *domain,
                     struct jiku_err *err)
{
    json_t *root = NULL, *data = NULL;
    char *user = NULL, *docroot = NULL;
    int r;

    if (!cpanel_valid_user(account) || !valid_domain(domain))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid account '%s' or domain '%s'",
                            account != NULL ? account : "", domain != NULL ? domain : "");
    if ((r = uapi(op, account, "DomainInfo", "list_domains", NULL, 0, &root, &data, err)) != 0)
        return r;
    r = account_has(data, domain) ? 1 : 0;
    json_decref(root);
    if (r == 1)
        return 1;
    /* Not the account's: another account's, or nobody's. */
    r = userdata(op, domain, &user, &docroot, err);
    if (r == JIKU_E_NOTFOUND) {
        jiku_err_clear(err);
        r = 0;
    } else if (r == 0) {
        r = user != NULL && strcmp(user, account) == 0
                ? 1
                : jiku_err_set(err, JIKU_E_DATA, "domain '%s' on '%s' belongs to another account",
                               domain, op->server->name);
    }
    free(user);
    free(docroot);
    return r;
}

int
cpanel_domain_create(struct jiku_op *op, const char *account, const char *domain,
                     struct jiku_err *err)
{
    json_t *root = NULL, *data = NULL;
    const char *dot = domain != NULL ? strchr(domain, '.') : NULL;
    char *label = NULL;
    int r;

    if (!cpanel_valid_user(account) || !valid_domain(domain) || dot == NULL ||
        strchr(dot + 1, '.') == NULL)
        return jiku_err_set(err, JIKU_E_USAGE,
                            "cannot create '%s': a new domain must be a subdomain of one of the "
                            "domains of '%s'",
                            domain != NULL ? domain : "", account != NULL ? account : "");
    if ((r = uapi(op, account, "DomainInfo", "list_domains", NULL, 0, &root, &data, err)) != 0)
        return r;
    if (!account_has(data, dot + 1)) {
        r = jiku_err_set(err, JIKU_E_USAGE,
                         "cannot create '%s': '%s' is not a domain of '%s' on '%s'", domain,
                         dot + 1, account, op->server->name);
        goto out;
    }
    json_decref(root);
    root = NULL;
    if ((label = strndup(domain, (size_t)(dot - domain))) == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    {
        const struct cpanel_param p[] = {
            {"domain", label}, {"rootdomain", dot + 1}, {"dir", domain}};

        op->host->log(op, JIKU_LOG_INFO, "creating domain '%s' for '%s' on '%s'", domain, account,
                      op->server->name);
        r = uapi(op, account, "SubDomain", "addsubdomain", p, 3, &root, &data, err);
    }
out:
    free(label);
    json_decref(root);
    return r;
}

int
cpanel_domain_remove(struct jiku_op *op, const char *account, const char *domain,
                     struct jiku_err *err)
{
    const struct cpanel_param p[] = {{"domain", domain}};
    struct cpanel_account acct = {0};
    struct jiku_buf cmd = JIKU_BUF_INIT, own = JIKU_BUF_INIT;
    json_t *root = NULL;
    char *user = NULL, *docroot = NULL;
    int r;

    if (!cpanel_valid_user(account) || !valid_domain(domain))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid account '%s' or domain '%s'",
                            account != NULL ? account : "", domain != NULL ? domain : "");
    if ((r = cpanel_account_get(op, NULL, account, true, &acct, err)) != 0)
        return r;
    if ((r = userdata(op, domain, &user, &docroot, err)) != 0)
        goto out;
    if (user != NULL && strcmp(user, account) != 0) {
        r = jiku_err_set(err, JIKU_E_DATA, "domain '%s' on '%s' belongs to another account", domain,
                         op->server->name);
        goto out;
    }
    op->host->log(op, JIKU_LOG_INFO, "removing domain '%s' of '%s' on '%s'", domain, account,
                  op->server->name);
    /* Removing is never sent twice blindly: a lost answer is an error for the caller. */
    if ((r = cpanel_api2_call(op, NULL, account, "SubDomain", "delsubdomain", p, 1, true, &root,
                              err)) != 0)
        goto out;
    /* cPanel keeps the document root; the one create made is HOME/DOMAIN and nothing else. */
    if (jiku_buf_addf(&own, "%s/%s", acct.homedir, domain) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if (docroot == NULL || strcmp(docroot, own.data) != 0 || !plug_valid_path(docroot)) {
        op->host->log(op, JIKU_LOG_INFO, "left the document root of '%s' in place", domain);
        goto out;
    }
    /* Inside the home: removed by its owner (docs/SECURITY.md). */
    if ((r = plug_owner_prelude(&cmd, account, err)) != 0)
        goto out;
    if (plug_as_owner(&cmd, (const char *const[]){"rm", "-rf", "--", docroot, NULL}) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    r = plug_run(op, NULL, cmd.data, true, 4096, "rm", NULL, err);
out:
    cpanel_account_release(&acct);
    jiku_buf_release(&cmd);
    jiku_buf_release(&own);
    json_decref(root);
    free(user);
    free(docroot);
    return r;
}
