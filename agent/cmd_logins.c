/*
 * mail and users: the e-mail accounts of account and subscription targets
 * (server.mail-accounts) and the users of application targets (application.users), one
 * request a run through the action engine (jiku-agent(8), "MAIL ACCOUNTS AND APPLICATION
 * USERS").  A new password comes from a secret file or the kernel's random source
 * (password.h); a generated one is shown once, and only where nobody else reads it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "action.h"
#include "cli.h"
#include "err.h"
#include "log.h"
#include "password.h"
#include "validate.h"

/* The options a request may take. */
enum {
    T_QUOTA = 1u << 0,
    T_PASSWORD = 1u << 1, /* --password-file, or --generate [--password-out] */
    T_EMAIL = 1u << 2,
    T_ROLE = 1u << 3,
    T_GROUP = 1u << 4,
    T_REASSIGN = 1u << 5,
    T_DISABLED = 1u << 6,
    T_DELETE = 1u << 7,
};

/* Their names for messages, in bit order. */
static const char *const option_names[] = {"--quota",    "--password-file or --generate",
                                           "--email",    "--role",
                                           "--group",    "--reassign",
                                           "--disabled", "--delete"};

/* What users of an application that gives no password (and has roles) cannot be given. */
#define T_PASSWORD_APPS (T_PASSWORD | T_GROUP | T_DISABLED | T_DELETE)
/* What users of an application that takes passwords (and has groups) cannot be given. */
#define T_ROLE_APPS (T_ROLE | T_REASSIGN)

static const struct request {
    enum jiku_verb verb;
    const char *word;
    enum jiku_login_op op;
    unsigned takes;
    bool loses; /* loses data: confirmed first */
} requests[] = {
    {JIKU_VERB_MAIL, "list", JIKU_LOGIN_LIST, 0, false},
    {JIKU_VERB_MAIL, "add", JIKU_LOGIN_ADD, T_QUOTA | T_PASSWORD, false},
    {JIKU_VERB_MAIL, "passwd", JIKU_LOGIN_PASSWD, T_PASSWORD, false},
    {JIKU_VERB_MAIL, "remove", JIKU_LOGIN_REMOVE, 0, true},
    {JIKU_VERB_USERS, "list", JIKU_LOGIN_LIST, 0, false},
    {JIKU_VERB_USERS, "add", JIKU_LOGIN_ADD, T_PASSWORD | T_EMAIL | T_ROLE | T_GROUP | T_DISABLED,
     false},
    {JIKU_VERB_USERS, "passwd", JIKU_LOGIN_PASSWD, T_PASSWORD, false},
    {JIKU_VERB_USERS, "role", JIKU_LOGIN_ROLE, T_ROLE | T_GROUP, false},
    {JIKU_VERB_USERS, "remove", JIKU_LOGIN_REMOVE, T_REASSIGN | T_DELETE, true},
};

/* The command line of one request. */
struct login_cmd {
    const struct request *req;
    unsigned given; /* T_* */
    const char *quota, *password_file, *password_out;
    bool generate, yes;
    struct jiku_login_params p;
};

static const struct request *
find_request(enum jiku_verb verb, const char *word)
{
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
        if (requests[i].verb == verb && strcmp(requests[i].word, word) == 0)
            return &requests[i];
    return NULL;
}

static void
parse_options(const struct jiku_cmd_args *args, struct login_cmd *lc)
{
    for (size_t i = 0; i < args->n_opts; i++) {
        const char *arg = args->opts[i].arg;

        switch (args->opts[i].c) {
        case 'Q':
            lc->quota = arg;
            lc->given |= T_QUOTA;
            break;
        case 'p':
            lc->password_file = arg;
            lc->given |= T_PASSWORD;
            break;
        case 'g':
            lc->generate = true;
            lc->given |= T_PASSWORD;
            break;
        case 'o':
            lc->password_out = arg;
            break;
        case 'E':
            lc->p.email = arg;
            lc->given |= T_EMAIL;
            break;
        case 'r':
            lc->p.role = arg;
            lc->given |= T_ROLE;
            break;
        case 'G':
            lc->p.group = arg;
            lc->given |= T_GROUP;
            break;
        case 'R':
            lc->p.reassign = arg;
            lc->given |= T_REASSIGN;
            break;
        case 'D':
            lc->p.disabled = true;
            lc->given |= T_DISABLED;
            break;
        case 'X':
            lc->p.delete = true;
            lc->given |= T_DELETE;
            break;
        default:
            lc->yes = true;
        }
    }
}

/* --quota MiB|unlimited; 0 when not given. */
static int
parse_quota(const char *s, long *out)
{
    char *end;
    long v;

    if (s == NULL) {
        *out = 0;
        return 0;
    }
    if (strcmp(s, "unlimited") == 0) {
        *out = JIKU_QUOTA_UNLIMITED;
        return 0;
    }
    if (s[0] < '0' || s[0] > '9')
        return -1;
    v = strtol(s, &end, 10);
    /* 4 TiB: more than any mailbox, and far from overflowing a panel's byte count */
    if (*end != '\0' || v < 1 || v > 4L * 1024 * 1024)
        return -1;
    *out = v;
    return 0;
}

/*
 * What T's kind allows of REQ, and what it requires, checked against what was given: a
 * message for jiku_cmd_usage into WHY, or 0.
 */
static int
check_options(const struct login_cmd *lc, const struct jiku_target_conf *t, struct jiku_buf *why)
{
    enum jiku_target_kind kind = t->info.kind;
    bool passwords = jiku_kind_user_passwords(kind);
    unsigned takes = lc->req->takes, extra;
    bool needs_password = false;

    if (lc->req->verb == JIKU_VERB_USERS)
        takes &= ~(passwords ? T_ROLE_APPS : T_PASSWORD_APPS);
    if ((extra = lc->given & ~takes) != 0) {
        for (unsigned b = 0; b < sizeof(option_names) / sizeof(option_names[0]); b++)
            if (extra & (1u << b))
                return jiku_buf_addf(why, "%s is not for '%s %s' on %s targets", option_names[b],
                                     jiku_verb_name(lc->req->verb), lc->req->word,
                                     jiku_kind_name(kind));
    }
    if (lc->password_file != NULL && lc->generate)
        return jiku_buf_adds(why, "--password-file and --generate exclude each other");
    if (lc->password_out != NULL && !lc->generate)
        return jiku_buf_adds(why, "--password-out goes with --generate");
    if (lc->req->op == JIKU_LOGIN_ADD || lc->req->op == JIKU_LOGIN_PASSWD)
        needs_password = lc->req->verb == JIKU_VERB_MAIL || (passwords && !lc->p.disabled);
    if (needs_password && !(lc->given & T_PASSWORD))
        return jiku_buf_addf(why, "'%s %s' on %s targets needs --password-file FILE or --generate",
                             jiku_verb_name(lc->req->verb), lc->req->word, jiku_kind_name(kind));
    if (lc->p.disabled && (lc->given & T_PASSWORD))
        return jiku_buf_adds(why, "--disabled gives no password: no --password-file or --generate");
    if (lc->req->verb == JIKU_VERB_USERS && lc->req->op == JIKU_LOGIN_ADD && !passwords &&
        lc->p.email == NULL)
        return jiku_buf_addf(why,
                             "'users add' on %s targets needs --email: the person's password "
                             "reset mail goes there",
                             jiku_kind_name(kind));
    if (lc->req->verb == JIKU_VERB_USERS && lc->req->op == JIKU_LOGIN_REMOVE && !passwords &&
        lc->p.reassign == NULL)
        return jiku_buf_addf(why,
                             "'users remove' on %s targets needs --reassign LOGIN: the "
                             "application deletes what the user wrote with them",
                             jiku_kind_name(kind));
    if (lc->req->op == JIKU_LOGIN_ROLE && !(lc->given & (passwords ? T_GROUP : T_ROLE)))
        return jiku_buf_addf(why, "'users role' on %s targets needs %s", jiku_kind_name(kind),
                             passwords ? "--group G" : "--role R");
    return 0;
}

/* The names of the request, each checked: what passes may reach a panel or a remote shell. */
static int
check_names(const struct login_cmd *lc, struct jiku_buf *why)
{
    const struct jiku_login_params *p = &lc->p;

    if (p->name != NULL && lc->req->verb == JIKU_VERB_MAIL && !jiku_valid_mailbox(p->name))
        return jiku_buf_addf(why,
                             "invalid address '%s': expected local@domain, the local part "
                             "[A-Za-z0-9][A-Za-z0-9._+-]*",
                             p->name);
    if (p->name != NULL && lc->req->verb == JIKU_VERB_USERS && !jiku_valid_login(p->name))
        return jiku_buf_addf(why, "invalid login '%s': expected [A-Za-z0-9][A-Za-z0-9._@-]{0,59}",
                             p->name);
    if (p->email != NULL && !jiku_valid_mailbox(p->email))
        return jiku_buf_addf(why, "invalid --email '%s': expected local@domain", p->email);
    if (p->role != NULL && !jiku_valid_role(p->role))
        return jiku_buf_addf(why, "invalid --role '%s': expected [A-Za-z0-9][A-Za-z0-9._-]{0,63}",
                             p->role);
    if (p->group != NULL && !jiku_valid_role(p->group))
        return jiku_buf_addf(why, "invalid --group '%s': expected [A-Za-z0-9][A-Za-z0-9._-]{0,63}",
                             p->group);
    if (p->reassign != NULL && !jiku_valid_login(p->reassign))
        return jiku_buf_addf(why, "invalid --reassign '%s': expected a login", p->reassign);
    if (p->reassign != NULL && strcmp(p->reassign, p->name) == 0)
        return jiku_buf_adds(why, "--reassign names the user being removed");
    if (parse_quota(lc->quota, &(long){0}) != 0)
        return jiku_buf_addf(why, "invalid --quota '%s': expected MiB (1 to 4194304) or unlimited",
                             lc->quota);
    return 0;
}

/* "add info@example.com quota 512 MiB": the request as reports and the audit name it. */
static int
describe(const struct login_cmd *lc, struct jiku_buf *out)
{
    const struct jiku_login_params *p = &lc->p;
    int r = jiku_buf_adds(out, lc->req->word);

    if (r == 0 && p->name != NULL)
        r = jiku_buf_addf(out, " %s", p->name);
    if (r == 0 && p->quota_mib > 0)
        r = jiku_buf_addf(out, " quota %ld MiB", p->quota_mib);
    if (r == 0 && p->quota_mib == JIKU_QUOTA_UNLIMITED)
        r = jiku_buf_adds(out, " quota unlimited");
    if (r == 0 && p->role != NULL)
        r = jiku_buf_addf(out, " role %s", p->role);
    if (r == 0 && p->group != NULL)
        r = jiku_buf_addf(out, " group %s", p->group);
    if (r == 0 && p->reassign != NULL)
        r = jiku_buf_addf(out, " content to %s", p->reassign);
    if (r == 0 && (p->disabled || p->delete))
        r = jiku_buf_adds(out, p->disabled ? " disabled" : " deleted");
    if (r == 0 && lc->generate)
        r = jiku_buf_adds(out, " generated password");
    return r;
}

/*
 * The new password, when the request takes one: read from --password-file, or generated, and
 * then for --password-out written to its new file before anything is asked of the server, so
 * that a password once set is never lost.  A dry run, which asks the plugin what it would do,
 * gets one as well, but it is neither saved nor shown.
 */
static int
get_password(struct jiku_session *ctx, const struct login_cmd *lc, struct jiku_buf *pw, bool *saved,
             struct jiku_err *err)
{
    int r;

    if (lc->password_file != NULL)
        return jiku_password_read(lc->password_file, pw, err);
    if (!lc->generate)
        return 0;
    if (lc->password_out == NULL && !ctx->dry_run && (ctx->out.json || !isatty(STDOUT_FILENO)))
        return jiku_err_set(err, JIKU_E_USAGE,
                            "--generate shows the password on a terminal only (not under --json): "
                            "give --password-out FILE");
    if (lc->password_out != NULL && access(lc->password_out, F_OK) == 0)
        return jiku_err_set(err, JIKU_E_USAGE, "--password-out '%s' exists: name a new file",
                            lc->password_out);
    if ((r = jiku_password_generate(pw, err)) != 0)
        return r;
    if (lc->password_out != NULL && !ctx->dry_run) {
        if ((r = jiku_password_save(lc->password_out, pw, err)) != 0)
            return r;
        *saved = true;
    }
    return 0;
}

/*
 * The generated password PW of NAME on the terminal, once: written straight to stdout, so that
 * no stdio buffer keeps a copy, and wiped from the line it was put in.
 */
static void
show_password(const char *name, const struct jiku_buf *pw)
{
    char line[JIKU_PASSWORD_MAX + 128];
    int n;

    fflush(stdout);
    n = snprintf(line, sizeof(line), "password of %s (shown once, kept nowhere): %.*s\n", name,
                 (int)pw->len, pw->data);
    if (n > 0 && (size_t)n < sizeof(line) && write(STDOUT_FILENO, line, (size_t)n) != n)
        log_error("cannot show the new password of %s: %s", name, strerror(errno));
    explicit_bzero(line, sizeof(line));
}

/*
 * After the request: a generated password the server may now hold is shown (terminal) or
 * kept (--password-out); one that it surely does not hold is forgotten, its file removed.  It
 * may hold it after success, after a failure whose outcome is unknown (no answer, an answer
 * that could not be read) and after one the plugin says came after its first change.
 */
static void
after_request(const struct jiku_session *ctx, const struct login_cmd *lc,
              const struct jiku_op_report *rep, const struct jiku_buf *pw, bool saved)
{
    bool ok = rep->status != NULL && strcmp(rep->status, "ok") == 0;
    bool maybe = !ok && (rep->changed || rep->status_code == JIKU_E_UNREACHABLE ||
                         rep->status_code == JIKU_E_TRANSIENT ||
                         rep->status_code == JIKU_E_INTERRUPTED || rep->status_code == JIKU_E_DATA);

    if (!lc->generate || pw->len == 0 || ctx->dry_run)
        return;
    if (saved && !ok && !maybe && unlink(lc->password_out) != 0)
        log_warn("cannot remove '%s', whose password was not set: %s", lc->password_out,
                 strerror(errno));
    if (maybe)
        log_warn("the server may have set the new password of %s before the error", lc->p.name);
    if (saved && (ok || maybe))
        log_info("the new password of %s is in '%s'", lc->p.name, lc->password_out);
    else if (!saved && (ok || maybe))
        show_password(lc->p.name, pw);
}

int
jiku_cmd_logins(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    const struct jiku_command *cmd = args->cmd;
    enum jiku_verb verb = (enum jiku_verb)jiku_verb_parse(args->name); /* mail or users */
    struct login_cmd lc = {0};
    struct jiku_action act = {.verb = verb};
    struct jiku_buf why = JIKU_BUF_INIT, request = JIKU_BUF_INIT, pw = JIKU_BUF_INIT;
    struct jiku_err err = {0};
    bool saved = false;
    int r;

    if ((lc.req = find_request(verb, args->argv[0])) == NULL)
        return jiku_cmd_usage(ctx, cmd, "unknown request '%s'", args->argv[0]);
    if (args->argc != (lc.req->op == JIKU_LOGIN_LIST ? 2 : 3))
        return jiku_cmd_usage(ctx, cmd, "'%s %s' takes TARGET%s", args->name, lc.req->word,
                              lc.req->op == JIKU_LOGIN_LIST ? ""
                              : verb == JIKU_VERB_MAIL      ? " ADDRESS"
                                                            : " LOGIN");
    parse_options(args, &lc);
    lc.p.op = lc.req->op;
    lc.p.name = args->argc > 2 ? args->argv[2] : NULL;
    /* A domain has no case: the panels keep it, and compare it, in lower case. */
    if (verb == JIKU_VERB_MAIL && lc.p.name != NULL && strchr(lc.p.name, '@') != NULL)
        for (char *d = strchr(args->argv[2], '@'); *d != '\0'; d++)
            *d = (char)tolower((unsigned char)*d);
    if ((r = jiku_cmd_target(ctx, args, args->argv[1], &act.target)) != 0)
        return r;
    if (jiku_action_for(verb, act.target->info.kind) == NULL) {
        r = jiku_cmd_usage(ctx, cmd, "'%s' is for %s targets; '%s' is %s", args->name,
                           verb == JIKU_VERB_MAIL ? "account and subscription" : "application",
                           act.target->info.id, jiku_kind_name(act.target->info.kind));
        goto out;
    }
    if (check_options(&lc, act.target, &why) != 0 ||
        (why.len == 0 && check_names(&lc, &why) != 0)) {
        r = jiku_err_set(&err, JIKU_E_NOMEM, "out of memory");
        goto fail;
    }
    if (why.len > 0) {
        r = jiku_cmd_usage(ctx, cmd, "%s", why.data);
        goto out;
    }
    parse_quota(lc.quota, &lc.p.quota_mib);
    if (describe(&lc, &request) != 0) {
        r = jiku_err_set(&err, JIKU_E_NOMEM, "out of memory");
        goto fail;
    }
    if (lc.req->loses &&
        !jiku_cmd_confirmed(
            ctx, lc.yes, lc.req->verb == JIKU_VERB_MAIL ? "remove the mailbox" : "remove the user",
            "What it holds is lost (a snapshot of the target keeps it).")) {
        r = JIKU_E_USAGE;
        goto out;
    }
    if ((r = get_password(ctx, &lc, &pw, &saved, &err)) != 0) {
        if (r == JIKU_E_USAGE) {
            r = jiku_cmd_usage(ctx, cmd, "%s", err.msg);
            goto out;
        }
        goto fail;
    }
    lc.p.password = pw.len > 0 ? pw.data : NULL;
    act.args.login = lc.p;
    act.args.request = request.data;
    r = jiku_actions_run(ctx, &act, 1, &err);
    after_request(ctx, &lc, &act.rep, &pw, saved);
    if (r == 0)
        goto out;
fail:
    r = jiku_cmd_fail(ctx, &err);
out:
    jiku_actions_release(&act, 1);
    jiku_buf_release_secure(&pw);
    jiku_buf_release(&request);
    jiku_buf_release(&why);
    return r;
}
