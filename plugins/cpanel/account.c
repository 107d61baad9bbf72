/*
 * A cPanel account as WHM describes it: accountsummary for its domain and disk use,
 * domainuserdata for its home directory.
 */
#include <stdlib.h>
#include <string.h>

#include "cpanel.h"
#include "cpanel_account.h"
#include "cpanel_remote.h"

void
cpanel_account_release(struct cpanel_account *a)
{
    free(a->domain);
    free(a->homedir);
    memset(a, 0, sizeof(*a));
}

static bool
says_missing(const char *msg)
{
    return strcasestr(msg, "does not exist") != NULL || strcasestr(msg, "not found") != NULL ||
           strcasestr(msg, "no such") != NULL;
}

int
cpanel_account_get(struct jiku_op *op, const struct jiku_server_info *server, const char *user,
                   bool want_home, struct cpanel_account *out, struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    const struct cpanel_param pu[] = {{"user", user}};
    json_t *root = NULL, *acct, *data;
    const char *s;
    int r;

    memset(out, 0, sizeof(*out));
    if (!cpanel_valid_user(user))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid cPanel user name '%s'", user);
    r = cpanel_whm_call(op, srv, "accountsummary", pu, 1, false, &root, err);
    if (r == JIKU_E_PANEL && err != NULL && says_missing(err->msg))
        return jiku_err_set(err, JIKU_E_NOTFOUND, "account '%s' does not exist on '%s'", user,
                            srv->name);
    if (r != 0)
        return r;
    acct = json_object_get(json_object_get(root, "data"), "acct");
    if (json_is_array(acct))
        acct = json_array_get(acct, 0);
    if (!json_is_object(acct)) {
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "account '%s' does not exist on '%s'", user,
                         srv->name);
        goto out;
    }
    if ((s = cpanel_json_str(acct, "user")) != NULL && strcmp(s, user) != 0) {
        r = jiku_err_set(err, JIKU_E_DATA, "accountsummary of '%s' on '%s' describes '%.20s'", user,
                         srv->name, s);
        goto out;
    }
    if ((s = cpanel_json_str(acct, "diskused")) != NULL) {
        if ((r = cpanel_parse_disk_used(s, &out->disk_used, err)) != 0)
            goto out;
        out->have_disk_used = true;
    }
    if ((s = cpanel_json_str(acct, "domain")) != NULL && (out->domain = strdup(s)) == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if (!want_home)
        goto out;
    if (out->domain == NULL || *out->domain == '\0') {
        r = jiku_err_set(err, JIKU_E_DATA, "accountsummary of '%s' on '%s' gives no domain", user,
                         srv->name);
        goto out;
    }
    json_decref(root);
    {
        const struct cpanel_param pd[] = {{"domain", out->domain}};

        if ((r = cpanel_whm_call(op, srv, "domainuserdata", pd, 1, false, &root, err)) != 0)
            goto out;
    }
    data = json_object_get(json_object_get(root, "data"), "userdata");
    s = cpanel_json_str(data, "homedir");
    if (s == NULL || !plug_valid_path(s) ||
        (cpanel_json_str(data, "user") != NULL && strcmp(cpanel_json_str(data, "user"), user))) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "domainuserdata of '%s' on '%s' gives no usable home directory of '%s'",
                         out->domain, srv->name, user);
        goto out;
    }
    if ((out->homedir = strdup(s)) == NULL)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
out:
    json_decref(root);
    if (r != 0)
        cpanel_account_release(out);
    return r;
}
