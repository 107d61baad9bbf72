/*
 * MAIL on `account` targets: the account's mailboxes through UAPI Email (docs/WIRE.md §2.9),
 * called through WHM's uapi_cpanel as POSTs whose parameters are all in the form body, so the
 * password never reaches a URL (URLs end up in logs and traces).  LIST reads
 * Email::list_pops_with_disk, which unlike list_pops reports each mailbox's quota and usage.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpanel.h"
#include "cpanel_remote.h"

/* A non-negative number given as a JSON number or a numeric string ("387.40"): 0, or -1. */
static int
number_value(json_t *v, double *out)
{
    const char *s;
    char *end;

    if (json_is_number(v)) {
        *out = json_number_value(v);
    } else if (json_is_string(v) && *(s = json_string_value(v)) != '\0') {
        *out = strtod(s, &end);
        if (*end != '\0')
            return -1;
    } else {
        return -1;
    }
    return isfinite(*out) && *out >= 0 ? 0 : -1;
}

/* diskquota: "unlimited" or MiB (a number or a numeric string); absent: 0, "did not say". */
static int
parse_quota(json_t *v, long *quota)
{
    double mib;

    if (v == NULL) {
        *quota = 0;
        return 0;
    }
    if (json_is_string(v) && strcmp(json_string_value(v), "unlimited") == 0) {
        *quota = JIKU_QUOTA_UNLIMITED;
        return 0;
    }
    if (number_value(v, &mib) != 0 || mib > 1e12)
        return -1;
    /* 0 is how cPanel stores an unlimited mailbox (Email::add_pop's quota); MiB rounded up. */
    *quota = (long)mib;
    if ((double)*quota < mib)
        (*quota)++;
    if (*quota == 0)
        *quota = JIKU_QUOTA_UNLIMITED;
    return 0;
}

int
cpanel_mail_parse_list(json_t *data, struct jiku_login_item **items, size_t *n,
                       struct jiku_err *err)
{
    struct jiku_login_item *out = NULL;
    size_t k = 0, i;
    json_t *e;
    int r = 0;

    *items = NULL;
    *n = 0;
    if (!json_is_array(data))
        return jiku_err_set(err, JIKU_E_DATA, "Email::list_pops_with_disk gives no list");
    if (json_array_size(data) > 0 && (out = calloc(json_array_size(data), sizeof(*out))) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    json_array_foreach(data, i, e)
    {
        const char *email = cpanel_json_str(e, "email");
        json_t *used = json_object_get(e, "diskused");
        json_t *susp = json_object_get(e, "suspended_login");
        struct jiku_login_item *it = &out[k];

        if (email == NULL || !plug_printable(email) || strchr(email, ' ') != NULL) {
            r = jiku_err_set(err, JIKU_E_DATA,
                             "Email::list_pops_with_disk: entry %zu has no usable email", i);
            goto out;
        }
        /* The account's own system mailbox is listed by its user name, without '@'. */
        if (strchr(email, '@') == NULL)
            continue;
        if (parse_quota(json_object_get(e, "diskquota"), &it->quota_mib) != 0 ||
            (used != NULL && number_value(used, &it->used_mib) != 0) ||
            (susp != NULL && !json_is_integer(susp) && !json_is_string(susp))) {
            r = jiku_err_set(err, JIKU_E_DATA,
                             "Email::list_pops_with_disk: bad quota, usage or suspension of '%s'",
                             email);
            goto out;
        }
        it->has_used = used != NULL;
        it->disabled =
            susp != NULL && (json_is_integer(susp) ? json_integer_value(susp) != 0
                                                   : strcmp(json_string_value(susp), "0") != 0);
        if ((it->name = strdup(email)) == NULL) {
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            goto out;
        }
        k++;
    }
    *items = out;
    *n = k;
    out = NULL;
out:
    if (out != NULL)
        plug_login_items_free(out, k);
    return r;
}

int
cpanel_mail_request(const struct jiku_login_params *login, const char **function,
                    struct cpanel_param *params, size_t *n_params, char **local, char *quota,
                    size_t quota_size, struct jiku_err *err)
{
    const char *domain = NULL;
    size_t n = 0;
    int r;

    *local = NULL;
    *n_params = 0;
    switch (login->op) {
    case JIKU_LOGIN_LIST:
        *function = "list_pops_with_disk";
        return 0;
    case JIKU_LOGIN_ADD:
        *function = "add_pop";
        break;
    case JIKU_LOGIN_PASSWD:
        *function = "passwd_pop";
        break;
    case JIKU_LOGIN_REMOVE:
        *function = "delete_pop";
        break;
    default:
        return jiku_err_set(err, JIKU_E_UNSUPPORTED,
                            "cPanel mail accounts have no roles: only list, add, passwd, remove");
    }
    if ((r = plug_split_address(login->name, local, &domain, err)) != 0)
        return r;
    params[n++] = (struct cpanel_param){"email", *local};
    params[n++] = (struct cpanel_param){"domain", domain};
    if (login->op != JIKU_LOGIN_REMOVE) {
        if (login->password == NULL || *login->password == '\0') {
            free(*local);
            *local = NULL;
            return jiku_err_set(err, JIKU_E_INVAL, "no password for '%s'", login->name);
        }
        params[n++] = (struct cpanel_param){"password", login->password};
    }
    /* quota in MB, 0 unlimited (Email::add_pop); without one, the account's default applies. */
    if (login->op == JIKU_LOGIN_ADD && login->quota_mib != 0) {
        snprintf(quota, quota_size, "%ld",
                 login->quota_mib == JIKU_QUOTA_UNLIMITED ? 0 : login->quota_mib);
        params[n++] = (struct cpanel_param){"quota", quota};
    }
    *n_params = n;
    return 0;
}

/* One line for people about the change, never the password. */
static int
describe(const struct jiku_login_params *login, bool dry_run, char **details, struct jiku_err *err)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    static const char *const verbs[][2] = {
        [JIKU_LOGIN_ADD] = {"created", "would create"},
        [JIKU_LOGIN_PASSWD] = {"changed the password of", "would change the password of"},
        [JIKU_LOGIN_REMOVE] = {"removed", "would remove"},
    };
    int r = jiku_buf_addf(&b, "%s %s", verbs[login->op][dry_run], login->name);

    if (r == 0 && login->op == JIKU_LOGIN_ADD) {
        if (login->quota_mib == JIKU_QUOTA_UNLIMITED)
            r = jiku_buf_adds(&b, ", quota unlimited");
        else if (login->quota_mib > 0)
            r = jiku_buf_addf(&b, ", quota %ld MiB", login->quota_mib);
        else
            r = jiku_buf_adds(&b, ", the account's default quota");
    }
    if (r != 0) {
        jiku_buf_release(&b);
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    free(*details);
    *details = jiku_buf_detach(&b);
    return 0;
}

int
cpanel_mail(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_login_params *login = op->params->login;
    const char *account = op->target->account, *function = NULL;
    struct cpanel_param params[CPANEL_UAPI_MAX_PARAMS];
    json_t *root = NULL, *data = NULL;
    char *local = NULL, quota[32];
    size_t n_params = 0;
    bool change;
    int r;

    if (login == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "mail without its parameters");
    if (!cpanel_valid_user(account))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid account '%s'", account);
    if ((r = cpanel_mail_request(login, &function, params, &n_params, &local, quota, sizeof(quota),
                                 err)) != 0)
        return r;
    change = login->op != JIKU_LOGIN_LIST;
    if (change && op->params->dry_run) {
        r = describe(login, true, &op->result->details, err);
        goto out;
    }
    r = cpanel_uapi_post(op, account, "Email", function, params, n_params, change, &root, &data,
                         err);
    if (r == JIKU_E_TRANSIENT) {
        r = jiku_err_set(err, JIKU_E_UNREACHABLE,
                         "the answer to Email::%s for '%s' on '%s' was lost: 'mail list' shows "
                         "whether it was done",
                         function, login->name, op->server->name);
        goto out;
    }
    if (r != 0)
        goto out;
    if (change)
        r = describe(login, false, &op->result->details, err);
    else
        r = cpanel_mail_parse_list(data, &op->result->logins, &op->result->n_logins, err);
    if (r != 0)
        jiku_err_prefix(err, "server '%s'", op->server->name);
out:
    json_decref(root);
    free(local);
    return r;
}
