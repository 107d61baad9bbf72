/*
 * The USERS verb on `wordpress` targets through wp-cli, which WP Toolkit runs as the site's
 * owner (docs/WIRE.md §4.7): `user list`, `user create`, `user reset-password`, `user
 * set-role`, `user delete` and, before a delete without --reassign, `post list --author`.
 *
 * The agent never sets, reads or prints a WordPress password.  `user create` gets
 * --send-email, so WordPress mails the person its new-user notice with the link that sets a
 * password (wp_new_user_notification), and --porcelain, so wp-cli prints the new ID and not the
 * random password it made; `user reset-password` gets neither --porcelain nor --show-password,
 * the options that print the new password.
 *
 * wp-cli takes a numeric word for an ID and a word with '@' for an e-mail address before a
 * login, so every command after `user list` names the user by the ID the list gave for exactly
 * that login: a login "1" or "bob@example.com" never reaches another user.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wpt.h"

/* wp-cli's longest login and e-mail address (wp_users.user_login, user_email). */
#define LOGIN_MAX 60
#define EMAIL_MAX 100
#define ROLE_MAX 64
/* The fields `user list` is asked for: never user_pass. */
#define LIST_FIELDS "--fields=ID,user_login,user_email,roles"

/* One user as `user list` describes them (borrowed from its JSON). */
struct wp_user {
    long long id;
    const char *login;
    const char *email;
    const char *roles; /* comma-separated */
};

struct wp_users {
    json_t *root;
    struct wp_user *v;
    size_t n;
};

static void
users_release(struct wp_users *u)
{
    json_decref(u->root);
    free(u->v);
    memset(u, 0, sizeof(*u));
}

/* The ID member of E: wp-cli prints WP_User's as a number, older versions as a string. */
static long long
user_id(json_t *e)
{
    json_t *v = json_object_get(e, "ID");
    const char *s = json_string_value(v);
    char *end;
    long long id;

    if (json_is_integer(v))
        return json_integer_value(v) > 0 ? json_integer_value(v) : -1;
    if (s == NULL || !isdigit((unsigned char)s[0]))
        return -1;
    id = strtoll(s, &end, 10);
    return *end == '\0' && id > 0 ? id : -1;
}

/* TEXT's users (`user list --format=json`, fields LIST_FIELDS) into OUT, which takes ROOT. */
static int
parse_users(json_t *root, struct wp_users *out, const char *server, struct jiku_err *err)
{
    json_t *e;
    size_t i;

    out->root = root;
    if (json_array_size(root) > 0 &&
        (out->v = calloc(json_array_size(root), sizeof(*out->v))) == NULL)
        return plug_nomem(err);
    json_array_foreach(root, i, e)
    {
        struct wp_user *u = &out->v[i];
        const char *email = json_string_value(json_object_get(e, "user_email"));
        const char *roles = json_string_value(json_object_get(e, "roles"));

        u->id = user_id(e);
        u->login = json_string_value(json_object_get(e, "user_login"));
        u->email = email != NULL && email[0] != '\0' ? email : NULL;
        u->roles = roles != NULL && roles[0] != '\0' ? roles : NULL;
        if (u->id < 0 || u->login == NULL || u->login[0] == '\0' || !plug_printable(u->login) ||
            (u->email != NULL && !plug_printable(u->email)) ||
            (u->roles != NULL && !plug_printable(u->roles)))
            return jiku_err_set(err, JIKU_E_DATA,
                                "wp-cli user list on '%s' printed user %zu without a usable ID "
                                "and user_login",
                                server, i + 1);
        for (size_t k = 0; k < i; k++)
            if (out->v[k].id == u->id || strcmp(out->v[k].login, u->login) == 0)
                return jiku_err_set(err, JIKU_E_DATA,
                                    "wp-cli user list on '%s' printed user %lld ('%.60s') twice",
                                    server, u->id, u->login);
        out->n++;
    }
    return 0;
}

/* Every user of instance ID into OUT (users_release, whatever the result). */
static int
list_users(const struct wpt_panel *panel, struct jiku_op *op, long long id, struct wp_users *out,
           struct jiku_err *err)
{
    static const char *const w[] = {"user", "list", LIST_FIELDS, "--format=json", NULL};
    json_t *root = NULL;
    int r;

    memset(out, 0, sizeof(*out));
    if ((r = wpt_wp_cli_array(panel, op, id, w, &root, err)) != 0)
        return r;
    return parse_users(root, out, op->server->name, err);
}

/* The user whose login is exactly LOGIN, or NULL. */
static const struct wp_user *
find_user(const struct wp_users *u, const char *login)
{
    for (size_t i = 0; i < u->n; i++)
        if (strcmp(u->v[i].login, login) == 0)
            return &u->v[i];
    return NULL;
}

/* The user LOGIN of ALL into *OUT; JIKU_E_NOTFOUND naming the site when there is none. */
static int
need_user(const struct wp_users *all, const char *login, const struct wpt_instance *inst,
          const struct wp_user **out, struct jiku_err *err)
{
    if ((*out = find_user(all, login)) == NULL)
        return jiku_err_set(err, JIKU_E_NOTFOUND, "'%s' has no user '%s'", inst->site_url, login);
    return 0;
}

/* True when ROLES (comma-separated) holds ROLE. */
static bool
has_role(const char *roles, const char *role)
{
    size_t n = strlen(role);

    for (const char *p = roles; p != NULL && *p != '\0';) {
        const char *c = strchr(p, ',');
        size_t len = c != NULL ? (size_t)(c - p) : strlen(p);

        if (len == n && strncmp(p, role, n) == 0)
            return true;
        p = c != NULL ? c + 1 : NULL;
    }
    return false;
}

/*
 * JIKU_E_PANEL when U is the site's only administrator, whom WHAT ("removing them", "another
 * role") would leave without one: nobody could manage the site any more.
 */
static int
keep_an_admin(const struct wp_users *all, const struct wp_user *u, const char *what,
              struct jiku_err *err)
{
    size_t admins = 0;

    for (size_t i = 0; i < all->n; i++)
        admins += has_role(all->v[i].roles, "administrator");
    if (admins == 1 && has_role(u->roles, "administrator"))
        return jiku_err_set(err, JIKU_E_PANEL,
                            "'%s' is the site's only administrator: %s would leave nobody to "
                            "manage it",
                            u->login, what);
    return 0;
}

/* The users into the result, every string malloc()ed (the core frees them). */
static int
give_users(const struct wp_users *u, struct jiku_op *op, struct jiku_err *err)
{
    struct jiku_login_item *v;

    if (u->n == 0)
        return 0;
    if ((v = calloc(u->n, sizeof(*v))) == NULL)
        return plug_nomem(err);
    op->result->logins = v;
    for (size_t i = 0; i < u->n; i++) {
        if ((v[i].name = strdup(u->v[i].login)) == NULL)
            return plug_nomem(err);
        op->result->n_logins++;
        if (plug_set_str(&v[i].email, u->v[i].email, err) != 0 ||
            plug_set_str(&v[i].roles, u->v[i].roles, err) != 0)
            return JIKU_E_NOMEM;
    }
    return 0;
}

/* "%lld" of ID into BUF (32 bytes). */
static const char *
id_word(char *buf, long long id)
{
    snprintf(buf, 32, "%lld", id);
    return buf;
}

/* The new user's ID, all `user create --porcelain` prints, into *ID; -1 for anything else. */
static int
created_id(const struct jiku_buf *out, long long *id)
{
    char *end;

    if (out->len == 0 || !isdigit((unsigned char)out->data[0]))
        return -1;
    *id = strtoll(out->data, &end, 10);
    while (*end == '\n' || *end == '\r')
        end++;
    return *end == '\0' && *id > 0 ? 0 : -1;
}

/* ADD: `user create LOGIN EMAIL --send-email --porcelain [--role=R]`. */
static int
add_user(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_instance *inst,
         const struct wp_users *all, struct jiku_buf *details, struct jiku_err *err)
{
    const struct jiku_login_params *p = op->params->login;
    const char *role = p->role != NULL ? p->role : "the site's default";
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    struct jiku_buf opt = JIKU_BUF_INIT;
    long long id = 0;
    int r;

    if (find_user(all, p->name) != NULL)
        return jiku_err_set(err, JIKU_E_PANEL, "'%s' already has a user '%s'", inst->site_url,
                            p->name);
    if (op->params->dry_run) {
        if (jiku_buf_addf(details,
                          "would create %s <%s> on '%s', role %s; WordPress would mail them the "
                          "link that sets a password",
                          p->name, p->email, inst->site_url, role) != 0)
            return plug_nomem(err);
        return 0;
    }
    if (p->role != NULL && jiku_buf_addf(&opt, "--role=%s", p->role) != 0) {
        r = plug_nomem(err);
        goto out;
    }
    {
        const char *w[] = {"user",
                           "create",
                           p->name,
                           p->email,
                           "--send-email",
                           "--porcelain",
                           p->role != NULL ? opt.data : NULL,
                           NULL};

        if ((r = wpt_wp_cli(panel, op, inst->id, w, false, &res, err)) != 0)
            goto out;
    }
    if (created_id(&res.out, &id) != 0) {
        /* Never quoted: should wp-cli ignore --porcelain, it prints a password. */
        r = jiku_err_set(err, JIKU_E_DATA,
                         "wp-cli user create on '%s' printed something other than the new "
                         "user's ID; '%s' may exist now",
                         op->server->name, p->name);
        goto out;
    }
    if (jiku_buf_addf(details,
                      "created %s (ID %lld) <%s> on '%s', role %s; WordPress mailed them the link "
                      "that sets a password",
                      p->name, id, p->email, inst->site_url, role) != 0)
        r = plug_nomem(err);
out:
    jiku_buf_release_secure(&res.out);
    jiku_buf_release_secure(&res.errout);
    jiku_buf_release(&opt);
    return r;
}

/* PASSWD: `user reset-password ID`, without the options that print the new password. */
static int
reset_password(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_instance *inst,
               const struct wp_user *u, struct jiku_buf *details, struct jiku_err *err)
{
    char id[32];
    const char *w[] = {"user", "reset-password", id_word(id, u->id), NULL};
    int r = 0;

    if (!op->params->dry_run)
        r = wpt_wp_cli(panel, op, inst->id, w, false, NULL, err);
    if (r == 0 &&
        jiku_buf_addf(details,
                      "%s the password of %s (ID %lld) on '%s' to one nobody knows; WordPress "
                      "%s %s its password-change notice: they set their own with 'Lost your "
                      "password?'",
                      op->params->dry_run ? "would reset" : "reset", u->login, u->id,
                      inst->site_url, op->params->dry_run ? "would mail" : "mailed",
                      u->email != NULL ? u->email : "them") != 0)
        r = plug_nomem(err);
    return r;
}

/* ROLE: `user set-role ID ROLE`. */
static int
set_role(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_instance *inst,
         const struct wp_users *all, const struct wp_user *u, struct jiku_buf *details,
         struct jiku_err *err)
{
    const char *role = op->params->login->role;
    char id[32];
    const char *w[] = {"user", "set-role", id_word(id, u->id), role, NULL};
    int r = 0;

    if (strcmp(role, "administrator") != 0 && (r = keep_an_admin(all, u, "another role", err)) != 0)
        return r;
    if (!op->params->dry_run)
        r = wpt_wp_cli(panel, op, inst->id, w, false, NULL, err);
    if (r == 0 && jiku_buf_addf(details, "%s %s (ID %lld) on '%s' %s %s (was %s)",
                                op->params->dry_run ? "would make" : "made", u->login, u->id,
                                inst->site_url, op->params->dry_run ? "a" : "now", role,
                                u->roles != NULL ? u->roles : "no role") != 0)
        r = plug_nomem(err);
    return r;
}

/*
 * REMOVE: `user delete ID --reassign=RID --yes`.  Without a login to reassign to, WordPress
 * deletes what the user wrote with them (wp_delete_user: every post type that supports an
 * author, whether a `post list` would show it or not), so the agent always names one.
 */
static int
remove_user(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_instance *inst,
            const struct wp_users *all, const struct wp_user *u, struct jiku_buf *details,
            struct jiku_err *err)
{
    const char *reassign = op->params->login->reassign;
    const struct wp_user *to = NULL;
    struct jiku_buf opt = JIKU_BUF_INIT;
    char id[32];
    int r;

    if ((r = keep_an_admin(all, u, "removing them", err)) != 0)
        return r;
    if (reassign == NULL)
        return jiku_err_set(err, JIKU_E_USAGE,
                            "WordPress deletes what %s (ID %lld) on '%s' wrote with them: name "
                            "the user who gets it with --reassign LOGIN",
                            u->login, u->id, inst->site_url);
    if ((r = need_user(all, reassign, inst, &to, err)) != 0)
        return r;
    if (to == u)
        return jiku_err_set(err, JIKU_E_USAGE,
                            "'%s' cannot be given their own posts: --reassign names another user",
                            u->login);
    if (jiku_buf_addf(&opt, "--reassign=%lld", to->id) != 0) {
        r = plug_nomem(err);
        goto out;
    }
    if (!op->params->dry_run) {
        const char *w[] = {"user", "delete", id_word(id, u->id), "--yes", opt.data, NULL};

        if ((r = wpt_wp_cli(panel, op, inst->id, w, false, NULL, err)) != 0)
            goto out;
    }
    if (jiku_buf_addf(details, "%s %s (ID %lld) from '%s', their posts now %s's",
                      op->params->dry_run ? "would remove" : "removed", u->login, u->id,
                      inst->site_url, to->login) != 0)
        r = plug_nomem(err);
out:
    jiku_buf_release(&opt);
    return r;
}

/* What makes no sense for WordPress users, refused before anything runs. */
static int
check_params(const struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_login_params *p = op->params->login;
    static const char login_chars[] = "._@+-", role_chars[] = "._-";

    if (p == NULL || op->target == NULL || op->target->kind != JIKU_KIND_WORDPRESS)
        return jiku_err_set(err, JIKU_E_INVAL, "WordPress users without a WordPress target");
    if (p->op > JIKU_LOGIN_ROLE)
        return jiku_err_set(err, JIKU_E_INVAL, "unknown users operation %d", (int)p->op);
    /* The password never reaches this plugin: people set their own through WordPress's mail. */
    if (p->password != NULL || p->group != NULL || p->disabled || p->delete)
        return jiku_err_set(err, JIKU_E_USAGE,
                            "WordPress users get no password, group, --disabled or --delete from "
                            "the agent");
    if (p->op == JIKU_LOGIN_LIST)
        return 0;
    if (!plug_valid_word(p->name, LOGIN_MAX, login_chars))
        return jiku_err_set(err, JIKU_E_USAGE, "invalid WordPress login '%.80s'",
                            p->name != NULL ? p->name : "");
    if (p->op == JIKU_LOGIN_ADD &&
        (!plug_valid_word(p->email, EMAIL_MAX, login_chars) || strchr(p->email, '@') == NULL))
        return jiku_err_set(err, JIKU_E_USAGE,
                            "a WordPress user needs an e-mail address (--email)");
    if (p->op == JIKU_LOGIN_ROLE && p->role == NULL)
        return jiku_err_set(err, JIKU_E_USAGE, "which role (--role)?");
    if (p->role != NULL && !plug_valid_word(p->role, ROLE_MAX, role_chars))
        return jiku_err_set(err, JIKU_E_USAGE, "invalid WordPress role '%.80s'", p->role);
    if (p->reassign != NULL && !plug_valid_word(p->reassign, LOGIN_MAX, login_chars))
        return jiku_err_set(err, JIKU_E_USAGE, "invalid WordPress login '%.80s'", p->reassign);
    return 0;
}

int
wpt_users(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_login_params *p = op->params->login;
    struct wpt_site site;
    struct wpt_instance inst = {0};
    struct wp_users all = {0};
    struct jiku_buf details = JIKU_BUF_INIT;
    const struct wp_user *u = NULL;
    int r;

    if ((r = check_params(op, err)) != 0)
        return r;
    if ((r = wpt_target_site(panel, op, NULL, &site, err)) != 0 ||
        (r = wpt_resolve_site(panel, op, &site, &inst, err)) != 0 ||
        (r = list_users(panel, op, inst.id, &all, err)) != 0)
        goto out;
    if (p->op != JIKU_LOGIN_LIST && p->op != JIKU_LOGIN_ADD &&
        (r = need_user(&all, p->name, &inst, &u, err)) != 0)
        goto out;
    switch (p->op) {
    case JIKU_LOGIN_LIST:
        r = give_users(&all, op, err);
        break;
    case JIKU_LOGIN_ADD:
        r = add_user(panel, op, &inst, &all, &details, err);
        break;
    case JIKU_LOGIN_PASSWD:
        r = reset_password(panel, op, &inst, u, &details, err);
        break;
    case JIKU_LOGIN_REMOVE:
        r = remove_user(panel, op, &inst, &all, u, &details, err);
        break;
    case JIKU_LOGIN_ROLE:
        r = set_role(panel, op, &inst, &all, u, &details, err);
        break;
    }
    if (r == 0 && details.len > 0)
        op->result->details = jiku_buf_detach(&details);
out:
    users_release(&all);
    wpt_instance_release(&inst);
    jiku_buf_release(&details);
    return r;
}
