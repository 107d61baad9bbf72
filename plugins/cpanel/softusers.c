/*
 * The users of a Nextcloud that Softaculous installed (USERS on `softaculous` targets,
 * docs/WIRE.md §5.8): `php occ user:*` and `group:adduser` in the installation's directory as
 * the account's user (cpanel_soft_occ).  A password reaches occ only through OC_PASS, which the
 * remote shell reads from the SSH channel's stdin and exports (`--password-from-env`, Nextcloud
 * admin manual, "User commands"): it is in no argument of any process, and in the environment
 * only of the account's own shell and occ (docs/SECURITY.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "softaculous.h"

/*
 * Most users one LIST reads (`user:list --limit`, default 500): a Nextcloud with as many is
 * refused rather than listed in part.
 */
#define LIST_LIMIT 1000
#define LIST_LIMIT_ARG "--limit=1000"

/* Bytes of the kernel's randomness in the unknown password of a user created disabled. */
#define RANDOM_BYTES 24

/*
 * The scripts, $1 the installation's directory, $2 the login.  `--` ends occ's options, so no
 * argument is ever read as one (Symfony Console).  A password is one line on stdin.
 */
static const char list_script[] =
    "cd -- \"$1\" && exec php occ user:list --info " LIST_LIMIT_ARG " --output=json";
/*
 * A password's step is a command of its own, the steps after it another: once it succeeded the
 * server holds the password, whatever the rest does (result->changed tells the core).
 */
/* $3 the group or "". */
static const char add_script[] =
    "IFS= read -r OC_PASS || exit 65\n"
    "export OC_PASS\n"
    "cd -- \"$1\" || exit\n"
    "exec php occ user:add --password-from-env ${3:+\"--group=$3\"} -- \"$2\"";
/* $3 the address or "", $4 "1" to disable the new user. */
static const char after_add_script[] =
    "cd -- \"$1\" || exit\n"
    "if [ -n \"$3\" ]; then php occ user:setting -- \"$2\" settings email \"$3\" || exit; fi\n"
    "if [ \"$4\" = 1 ]; then exec php occ user:disable -- \"$2\"; fi";
static const char passwd_script[] = "IFS= read -r OC_PASS || exit 65\n"
                                    "export OC_PASS\n"
                                    "cd -- \"$1\" || exit\n"
                                    "exec php occ user:resetpassword --password-from-env -- \"$2\"";
static const char enable_script[] = "cd -- \"$1\" && exec php occ user:enable -- \"$2\"";
/* $3 the group. */
static const char role_script[] = "cd -- \"$1\" && exec php occ group:adduser -- \"$3\" \"$2\"";
static const char disable_script[] = "cd -- \"$1\" && exec php occ user:disable -- \"$2\"";
static const char delete_script[] = "cd -- \"$1\" && exec php occ user:delete -- \"$2\"";

/* What occ says, exit 0, when user:delete finds no such user (core/Command/User/Delete.php). */
#define NO_SUCH_USER "User does not exist"

/* The groups of one user_info: a JSON array of strings, comma-joined into *OUT (NULL: none). */
static int
join_groups(json_t *groups, char **out)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    size_t i;
    json_t *g;

    *out = NULL;
    if (!json_is_array(groups))
        return JIKU_E_DATA;
    json_array_foreach(groups, i, g)
    {
        /* any name Nextcloud keeps: the output shows it escaped */
        if (!json_is_string(g) || !plug_printable(json_string_value(g))) {
            jiku_buf_release(&b);
            return JIKU_E_DATA;
        }
        if ((b.len > 0 && jiku_buf_addch(&b, ',') != 0) ||
            jiku_buf_adds(&b, json_string_value(g)) != 0) {
            jiku_buf_release(&b);
            return JIKU_E_NOMEM;
        }
    }
    if (b.len > 0 && (*out = jiku_buf_detach(&b)) == NULL)
        return JIKU_E_NOMEM;
    return 0;
}

/* One user of `user:list --info`: user_id, email, enabled, groups. */
static int
parse_user(json_t *u, struct jiku_login_item *it)
{
    json_t *id = json_object_get(u, "user_id"), *email = json_object_get(u, "email");
    json_t *enabled = json_object_get(u, "enabled");
    int r;

    memset(it, 0, sizeof(*it));
    /* Nextcloud's own rule for a uid (lib/private/User/Manager.php) */
    if (!json_is_string(id) || !plug_valid_word(json_string_value(id), 255, "._-@ '") ||
        !json_is_boolean(enabled) ||
        (email != NULL && !json_is_string(email) && !json_is_null(email)))
        return JIKU_E_DATA;
    if ((r = join_groups(json_object_get(u, "groups"), &it->roles)) != 0)
        return r;
    it->disabled = json_is_false(enabled);
    /* on failure the caller frees what was filled in */
    if ((it->name = strdup(json_string_value(id))) == NULL ||
        (json_is_string(email) && json_string_length(email) > 0 &&
         (it->email = strdup(json_string_value(email))) == NULL))
        return JIKU_E_NOMEM;
    return 0;
}

int
cpanel_soft_parse_users(const char *out, struct jiku_login_item **items, size_t *n,
                        struct jiku_err *err)
{
    struct jiku_login_item *v = NULL;
    json_t *root, *u;
    const char *key;
    size_t count = 0, i;
    int r = 0;

    *items = NULL;
    *n = 0;
    /* PHP's json_encode: an object by uid, an array when the uids are 0, 1, … or none. */
    root = json_loads(out != NULL ? out : "", JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(root))
        count = json_object_size(root);
    else if (json_is_array(root))
        count = json_array_size(root);
    else {
        r = jiku_err_set(err, JIKU_E_DATA, "php occ user:list printed no JSON list of users");
        goto out;
    }
    if (count >= LIST_LIMIT) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "php occ user:list lists %zu users, the most the agent reads; refusing "
                         "a partial list",
                         count);
        goto out;
    }
    if (count > 0 && (v = calloc(count, sizeof(*v))) == NULL) {
        r = plug_nomem(err);
        goto out;
    }
    if (json_is_object(root)) {
        json_object_foreach(root, key, u)
        {
            if ((r = parse_user(u, &v[*n])) != 0 || strcmp(v[*n].name, key) != 0)
                break;
            (*n)++;
        }
    } else {
        json_array_foreach(root, i, u)
        {
            if ((r = parse_user(u, &v[*n])) != 0)
                break;
            (*n)++;
        }
    }
    if (r == 0 && *n < count) /* a user_id other than its key */
        r = JIKU_E_DATA;
    if (r == JIKU_E_NOMEM)
        r = plug_nomem(err);
    else if (r != 0)
        r = jiku_err_set(err, JIKU_E_DATA,
                         "php occ user:list: user %zu has no valid user_id, enabled, email and "
                         "groups",
                         *n + 1);
    if (r == 0) {
        *items = v;
        v = NULL;
    }
out:
    if (v != NULL) {
        /* every slot: the one that failed may hold strings, the rest are zeroed */
        plug_login_items_free(v, count);
        *n = 0;
    }
    json_decref(root);
    return r;
}

/* LIST: every user into op->result->logins. */
static int
list(struct jiku_op *op, const struct cpanel_soft_ctx *c, struct jiku_err *err)
{
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    int r;

    if ((r = cpanel_soft_occ(op, c, &c->live, list_script, NULL, NULL, "php occ user:list",
                             "listing the users of Nextcloud", &res, err)) == 0)
        r = cpanel_soft_parse_users(res.out.data, &op->result->logins, &op->result->n_logins, err);
    jiku_exec_result_release(&res);
    return r;
}

/* PASSWORD and a newline into IN, which never grows after: no copy left behind by realloc. */
static int
password_input(const char *password, struct jiku_buf *in, struct jiku_err *err)
{
    size_t len = password != NULL ? strlen(password) : 0;

    if (len == 0 || strchr(password, '\n') != NULL || strchr(password, '\r') != NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "a Nextcloud password is one non-empty line");
    if (jiku_buf_grow(in, len + 2) != 0 || jiku_buf_add(in, password, len) != 0 ||
        jiku_buf_addch(in, '\n') != 0)
        return plug_nomem(err);
    return 0;
}

/* A password nobody knows, from the kernel's random source, into IN as one line of hex. */
static int
random_input(struct jiku_buf *in, struct jiku_err *err)
{
    unsigned char raw[RANDOM_BYTES];
    size_t got = 0;
    int r = 0;

    while (got < sizeof(raw)) {
        ssize_t k = getrandom(raw + got, sizeof(raw) - got, 0);

        if (k < 0 && errno != EINTR) {
            r = jiku_err_set(err, JIKU_E_FAILED, "getrandom: %s", strerror(errno));
            goto out;
        }
        got += k > 0 ? (size_t)k : 0;
    }
    if (jiku_buf_grow(in, 2 * sizeof(raw) + 2) != 0) {
        r = plug_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < sizeof(raw); i++)
        if (jiku_buf_addf(in, "%02x", raw[i]) != 0) {
            r = plug_nomem(err);
            goto out;
        }
    if (jiku_buf_addch(in, '\n') != 0)
        r = plug_nomem(err);
out:
    jiku_memzero(raw, sizeof(raw));
    return r;
}

/* What a change without a secret reads on its stdin: given one, a command is never sent twice. */
static const struct jiku_buf once = JIKU_BUF_INIT;

static int
add(struct jiku_op *op, const struct cpanel_soft_ctx *c, const struct jiku_login_params *p,
    struct jiku_err *err)
{
    const char *args[] = {p->name, p->group != NULL ? p->group : "", NULL};
    const char *after[] = {p->name, p->email != NULL ? p->email : "", p->disabled ? "1" : "0",
                           NULL};
    struct jiku_buf in = JIKU_BUF_INIT;
    int r;

    if (p->disabled)
        r = random_input(&in, err);
    else
        r = password_input(p->password, &in, err);
    if (r != 0 || (r = cpanel_soft_occ(op, c, &c->live, add_script, args, &in, "php occ user:add",
                                       "adding a user to Nextcloud", NULL, err)) != 0)
        goto out;
    JIKU_OP_SET_CHANGED(op);
    if ((p->email != NULL || p->disabled) &&
        (r = cpanel_soft_occ(op, c, &c->live, after_add_script, after, &once,
                             "php occ user:setting/user:disable", "completing a new Nextcloud user",
                             NULL, err)) != 0)
        goto out;
    if (plug_strfmt(&op->result->details, "created Nextcloud user '%s'%s%s%s%s%s", p->name,
                    p->group != NULL ? " in group " : "", p->group != NULL ? p->group : "",
                    p->email != NULL ? ", address " : "", p->email != NULL ? p->email : "",
                    p->disabled ? ", disabled until a password is set" : "") != 0)
        r = plug_nomem(err);
out:
    jiku_buf_release_secure(&in);
    return r;
}

static int
passwd(struct jiku_op *op, const struct cpanel_soft_ctx *c, const struct jiku_login_params *p,
       struct jiku_err *err)
{
    const char *args[] = {p->name, NULL};
    struct jiku_buf in = JIKU_BUF_INIT;
    int r;

    if ((r = password_input(p->password, &in, err)) != 0 ||
        (r = cpanel_soft_occ(op, c, &c->live, passwd_script, args, &in,
                             "php occ user:resetpassword", "setting a Nextcloud password", NULL,
                             err)) != 0)
        goto out;
    JIKU_OP_SET_CHANGED(op);
    if ((r = cpanel_soft_occ(op, c, &c->live, enable_script, args, &once, "php occ user:enable",
                             "enabling a Nextcloud user", NULL, err)) == 0 &&
        plug_strfmt(&op->result->details,
                    "set the password of Nextcloud user '%s' and enabled "
                    "them",
                    p->name) != 0)
        r = plug_nomem(err);
out:
    jiku_buf_release_secure(&in);
    return r;
}

static int
role(struct jiku_op *op, const struct cpanel_soft_ctx *c, const struct jiku_login_params *p,
     struct jiku_err *err)
{
    const char *args[] = {p->name, p->group, NULL};
    int r;

    if ((r = cpanel_soft_occ(op, c, &c->live, role_script, args, &once, "php occ group:adduser",
                             "adding a Nextcloud user to a group", NULL, err)) == 0 &&
        plug_strfmt(&op->result->details, "added Nextcloud user '%s' to group '%s'", p->name,
                    p->group) != 0)
        r = plug_nomem(err);
    return r;
}

static int
remove_user(struct jiku_op *op, const struct cpanel_soft_ctx *c, const struct jiku_login_params *p,
            struct jiku_err *err)
{
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    const char *args[] = {p->name, NULL};
    int r;

    if (p->delete)
        r = cpanel_soft_occ(op, c, &c->live, delete_script, args, &once, "php occ user:delete",
                            "deleting a Nextcloud user", &res, err);
    else
        r = cpanel_soft_occ(op, c, &c->live, disable_script, args, &once, "php occ user:disable",
                            "disabling a Nextcloud user", &res, err);
    if (r != 0)
        goto out;
    /* user:delete says so on stdout, and exits 0, for a user who does not exist. */
    if (strstr(res.out.data, NO_SUCH_USER) != NULL) {
        r = jiku_err_set(err, JIKU_E_PANEL, "deleting a Nextcloud user in '%s': %s", c->live.path,
                         NO_SUCH_USER);
        goto out;
    }
    if (plug_strfmt(&op->result->details, "%s Nextcloud user '%s'",
                    p->delete ? "deleted" : "disabled", p->name) != 0)
        r = plug_nomem(err);
out:
    jiku_exec_result_release(&res);
    return r;
}

/* What the parameters ask that Nextcloud cannot do, refused before anything is sent. */
static int
check_params(const struct jiku_login_params *p, struct jiku_err *err)
{
    if (p->op == JIKU_LOGIN_LIST)
        return 0;
    if (!plug_valid_word(p->name, 255, "._-@"))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing the Nextcloud login '%s'",
                            p->name != NULL ? p->name : "");
    if (p->group != NULL && !plug_valid_word(p->group, 255, "._-"))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing the Nextcloud group '%s'", p->group);
    if (p->role != NULL)
        return jiku_err_set(err, JIKU_E_USAGE, "Nextcloud has groups, not roles: use --group");
    if (p->reassign != NULL)
        return jiku_err_set(err, JIKU_E_USAGE,
                            "Nextcloud keeps a removed user's files: --reassign is WordPress's");
    if (p->op == JIKU_LOGIN_ROLE && p->group == NULL)
        return jiku_err_set(err, JIKU_E_USAGE, "a Nextcloud user's role is a group: --group");
    if (p->op == JIKU_LOGIN_ADD && p->password == NULL && !p->disabled)
        return jiku_err_set(err, JIKU_E_INVAL,
                            "a new Nextcloud user needs a password, or "
                            "disabled");
    return 0;
}

/* The dry run's plan: what the change would do, nothing sent. */
static int
plan(struct jiku_op *op, const struct jiku_login_params *p, struct jiku_err *err)
{
    static const char *const what[] = {[JIKU_LOGIN_ADD] = "create",
                                       [JIKU_LOGIN_PASSWD] = "set the password of and enable",
                                       [JIKU_LOGIN_ROLE] = "add to a group",
                                       [JIKU_LOGIN_REMOVE] = "disable"};

    if (plug_strfmt(&op->result->details, "would %s Nextcloud user '%s' of installation '%s'",
                    p->op == JIKU_LOGIN_REMOVE && p->delete ? "delete" : what[p->op], p->name,
                    op->target->id) != 0)
        return plug_nomem(err);
    return 0;
}

int
cpanel_soft_users(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_login_params *p = op->params->login;
    struct cpanel_soft_ctx c;
    int r;

    memset(&c, 0, sizeof(c));
    if (p == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "users without login parameters");
    if ((r = check_params(p, err)) != 0)
        return r;
    if ((r = cpanel_soft_open_live(op, &c, err)) != 0)
        goto out;
    if (!cpanel_soft_is_nextcloud(&c.live)) {
        r = jiku_err_set(err, JIKU_E_UNSUPPORTED,
                         "installation '%s' of '%s' is %s: the agent manages the users of "
                         "Nextcloud only",
                         c.live.insid, op->target->id,
                         c.live.script != NULL ? c.live.script : "no Nextcloud");
        goto out;
    }
    if (p->op != JIKU_LOGIN_LIST && op->params->dry_run) {
        r = plan(op, p, err);
        goto out;
    }
    switch (p->op) {
    case JIKU_LOGIN_LIST:
        r = list(op, &c, err);
        break;
    case JIKU_LOGIN_ADD:
        r = add(op, &c, p, err);
        break;
    case JIKU_LOGIN_PASSWD:
        r = passwd(op, &c, p, err);
        break;
    case JIKU_LOGIN_ROLE:
        r = role(op, &c, p, err);
        break;
    case JIKU_LOGIN_REMOVE:
        r = remove_user(op, &c, p, err);
        break;
    default:
        r = jiku_err_set(err, JIKU_E_INVAL, "unknown users request %d", (int)p->op);
    }
out:
    cpanel_soft_ctx_release(&c);
    return r;
}
