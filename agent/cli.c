/*
 * argv → command.  A git-style command table; global options may stand before the command
 * or among its own options.  Exit codes come from one table (err.c) and leave only here.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actor.h"
#include "cli.h"
#include "err.h"
#include "log.h"
#include "notify.h"
#include "paths.h"
#include "plugin_loader.h"
#include "run.h"
#include "secret.h"
#include "textsafe.h"

/*
 * The commands' own options; each command reads them by their getopt value.  One line each:
 * getopt's entry, the argument's name in the help (NULL: none), the help line.
 */
static const struct jiku_cmd_option targets_opts[] = {
    {{"customer", required_argument, NULL, 'C'}, "C", "every target of customer C"},
    {{"all", no_argument, NULL, 'a'}, NULL, "every target in the configuration"},
    {{NULL, 0, NULL, 0}, NULL, NULL},
};
static const struct jiku_cmd_option rollback_opts[] = {
    {{"to", required_argument, NULL, 't'},
     "ID|latest",
     "the artifact to restore (default: the newest good one)"},
    {{"exact", no_argument, NULL, 'e'},
     NULL,
     "leave the target equal to the artifact (the default)"},
    {{"merge", no_argument, NULL, 'm'}, NULL, "keep what was created since the artifact"},
    {{"yes", no_argument, NULL, 'y'}, NULL, "confirm without asking"},
    {{NULL, 0, NULL, 0}, NULL, NULL},
};
/* stage, unstage and promote share them; each refuses what is not its own */
static const struct jiku_cmd_option appverb_opts[] = {
    {{"domain", required_argument, NULL, 'd'}, "D", "stage: the staging copy's domain"},
    {{"yes", no_argument, NULL, 'y'}, NULL, "promote: confirm without asking"},
    {{NULL, 0, NULL, 0}, NULL, NULL},
};
static const struct jiku_cmd_option clone_opts[] = {
    {{"domain", required_argument, NULL, 'd'},
     "D",
     "copy an application target under the new domain D"},
    {{"server", required_argument, NULL, 's'},
     "S",
     "copy an account or subscription onto server S"},
    {{"as", required_argument, NULL, 'u'}, "USER", "with --server: the copy's user name on S"},
    {{NULL, 0, NULL, 0}, NULL, NULL},
};
static const struct jiku_cmd_option update_opts[] = {
    {{"check", no_argument, NULL, 'k'},
     NULL,
     "list what is pending and change nothing (a dry run)"},
    {{"only", required_argument, NULL, 'o'},
     "core|plugins|themes|app",
     "update only this component"},
    {{"staged", no_argument, NULL, 'S'},
     NULL,
     "update and check the staging copy first, then promote it"},
    {{NULL, 0, NULL, 0}, NULL, NULL},
};
/* mail and users share them; each request refuses what is not its own (cmd_logins.c) */
static const struct jiku_cmd_option login_opts[] = {
    {{"password-file", required_argument, NULL, 'p'},
     "FILE",
     "add, passwd: the new password, one line of a 0600 file"},
    {{"generate", no_argument, NULL, 'g'},
     NULL,
     "add, passwd: a new random password, shown once on the terminal"},
    {{"password-out", required_argument, NULL, 'o'},
     "FILE",
     "with --generate: write the password into this new 0600 file instead"},
    {{"quota", required_argument, NULL, 'Q'}, "MiB|unlimited", "mail add: the mailbox's quota"},
    {{"email", required_argument, NULL, 'E'}, "E", "users add: the person's address"},
    {{"role", required_argument, NULL, 'r'}, "R", "users add, role: the role (WordPress)"},
    {{"group", required_argument, NULL, 'G'}, "G", "users add, role: a group (Nextcloud)"},
    {{"reassign", required_argument, NULL, 'R'},
     "LOGIN",
     "users remove: who gets the user's content (WordPress)"},
    {{"disabled", no_argument, NULL, 'D'},
     NULL,
     "users add: create the user disabled, with no password (Nextcloud)"},
    {{"delete", no_argument, NULL, 'X'},
     NULL,
     "users remove: delete the user, not only disable (Nextcloud)"},
    {{"yes", no_argument, NULL, 'y'}, NULL, "remove: confirm without asking"},
    {{NULL, 0, NULL, 0}, NULL, NULL},
};
static const struct jiku_cmd_option customer_opts[] = {
    {{"customer", required_argument, NULL, 'C'}, "C", "only the artifacts of customer C's targets"},
    {{NULL, 0, NULL, 0}, NULL, NULL},
};
static const struct jiku_cmd_option all_opts[] = {
    {{"all", no_argument, NULL, 'a'}, NULL, "every target in the configuration"},
    {{NULL, 0, NULL, 0}, NULL, NULL},
};
static const struct jiku_cmd_option history_opts[] = {
    {{"target", required_argument, NULL, 't'}, "T", "only the records of target T"},
    {{"since", required_argument, NULL, 's'},
     "DATE",
     "from DATE on: YYYY-MM-DD or RFC 3339 (2026-12-01T10:00:00Z)"},
    {{NULL, 0, NULL, 0}, NULL, NULL},
};
static const struct jiku_cmd_option report_opts[] = {
    {{"customer", required_argument, NULL, 'C'}, "C", "only customer C"},
    {{"since", required_argument, NULL, 's'},
     "DATE",
     "the period from DATE on (default 7 days ago): YYYY-MM-DD or RFC 3339"},
    {{"format", required_argument, NULL, 'f'}, "FORMAT", "text (default), markdown, html or json"},
    {{NULL, 0, NULL, 0}, NULL, NULL},
};
static const struct jiku_cmd_option audit_opts[] = {
    {{"head", required_argument, NULL, 'H'},
     "HASH:COUNT",
     "also check that no record was cut after this head"},
    {{NULL, 0, NULL, 0}, NULL, NULL},
};
static const struct jiku_cmd_option servers_opts[] = {
    {{"fingerprint", required_argument, NULL, 'f'},
     "SHA256:...",
     "trust: the key's fingerprint, compared out of band ('servers fingerprint' shows it)"},
    {{NULL, 0, NULL, 0}, NULL, NULL},
};

#define NEED_ACTIONS (JIKU_NEED_METRICS | JIKU_NEED_PLUGINS)

static const struct jiku_command commands[] = {
    {"nightly", jiku_cmd_nightly, NEED_ACTIONS, "", NULL, 0, 0, "nightly",
     "for every target, the actions its nightly key lists, then retention", 0},
    {"snapshot", jiku_cmd_snapshot, NEED_ACTIONS, "", targets_opts, 0, -1,
     "snapshot (TARGET... | --customer C | --all)", "take a snapshot of each target", 0},
    {"backup", jiku_cmd_snapshot, NEED_ACTIONS, "", targets_opts, 0, -1,
     "backup (TARGET... | --customer C | --all)",
     "make a fresh archive of each target and copy it into backup_dir", 0},
    {"rollback", jiku_cmd_rollback, NEED_ACTIONS, "y", rollback_opts, 1, 1,
     "rollback TARGET [--to ID|latest] [--exact|--merge] [--yes]",
     "safety snapshot, then restore an artifact", 0},
    {"stage", jiku_cmd_appverb, NEED_ACTIONS, "y", appverb_opts, 1, 1, "stage TARGET [--domain D]",
     "create or refresh the staging copy of an application target", 0},
    {"unstage", jiku_cmd_appverb, NEED_ACTIONS, "y", appverb_opts, 1, 1, "unstage TARGET",
     "remove the staging copy", 0},
    {"promote", jiku_cmd_appverb, NEED_ACTIONS, "y", appverb_opts, 1, 1, "promote TARGET [--yes]",
     "safety snapshot of live, then push the staging copy to live", 0},
    {"clone", jiku_cmd_clone, NEED_ACTIONS, "", clone_opts, 1, 1,
     "clone TARGET (--domain D | --server S [--as USER])", "make an independent copy of a target",
     0},
    {"update", jiku_cmd_update, NEED_ACTIONS, "", update_opts, 1, -1,
     "update TARGET... [--check] [--only core|plugins|themes|app] [--staged]",
     "safety snapshot, update, health check; the snapshot restored if the check fails", 'k'},
    {"mail", jiku_cmd_logins, NEED_ACTIONS, "y", login_opts, 2, 3,
     "mail (list TARGET | add TARGET ADDRESS [--quota MiB] PASSWORD | passwd TARGET ADDRESS "
     "PASSWORD | remove TARGET ADDRESS [--yes]); PASSWORD: --password-file F | --generate "
     "[--password-out F]",
     "the e-mail accounts of an account or subscription target", 0},
    {"users", jiku_cmd_logins, NEED_ACTIONS, "y", login_opts, 2, 3,
     "users (list TARGET | add TARGET LOGIN [--email E] [--role R | --group G] [PASSWORD | "
     "--disabled] | passwd TARGET LOGIN [PASSWORD] | role TARGET LOGIN (--role R | --group G) | "
     "remove TARGET LOGIN [--reassign LOGIN | --delete] [--yes])",
     "the users of a WordPress or Nextcloud target", 0},
    {"list", jiku_cmd_list, JIKU_NEED_STATE_ONLY, "", customer_opts, 0, 1,
     "list [TARGET | --customer C]", "artifacts in the catalog, newest first", 0},
    {"prune", jiku_cmd_prune, NEED_ACTIONS, "", all_opts, 0, -1, "prune (TARGET... | --all)",
     "apply retention", 0},
    {"pin", jiku_cmd_pin, JIKU_NEED_CATALOG, "", NULL, 1, 1, "pin ID",
     "keep an artifact out of retention", 0},
    {"unpin", jiku_cmd_pin, JIKU_NEED_CATALOG, "", NULL, 1, 1, "unpin ID",
     "let retention handle an artifact again", 0},
    {"verify", jiku_cmd_verify, NEED_ACTIONS, "", all_opts, 0, -1, "verify (TARGET... | --all)",
     "check that each artifact still exists with its checksum", 0},
    {"history", jiku_cmd_history, JIKU_NEED_CATALOG, "", history_opts, 0, 0,
     "history [--target T] [--since DATE]", "the audit, newest first", 0},
    {"report", jiku_cmd_report, JIKU_NEED_CATALOG, "", report_opts, 0, 0,
     "report [--customer C] [--since DATE] [--format text|markdown|html|json]",
     "restore points, failures, denials and updates per customer and target", 0},
    /* no run row: verifying must not append to what it verifies */
    {"audit", jiku_cmd_audit, JIKU_NEED_CONFIG, "", audit_opts, 1, 1,
     "audit verify [--head HASH:COUNT]", "check the audit's hash chain", 0},
    {"catalog", jiku_cmd_catalog, JIKU_NEED_CATALOG, "", NULL, 1, 1, "catalog rebuild",
     "recreate the artifact catalog from the manifests in backup_dir", 0},
    /* 'policy check' and 'config check' load the configuration themselves, to list every
     * diagnostic */
    {"policy", jiku_cmd_policy, 0, "", NULL, 1, 3,
     "policy (show CUSTOMER | explain CUSTOMER ACTION | check)",
     "the responsibility matrix, one decision, or a lint of every policy file", 0},
    {"config", jiku_cmd_config, 0, "", NULL, 1, 1, "config (check | show)",
     "validate the configuration, or print it with secrets redacted", 0},
    /* servers opens the session itself: fingerprint and trust work before known_hosts exists */
    {"servers", jiku_cmd_servers, 0, "", servers_opts, 1, -1,
     "servers (check [SERVER...] | fingerprint SERVER | trust SERVER --fingerprint SHA256:...)",
     "probe servers, show a server's SSH host keys, or enrol one", 0},
    {"discover", jiku_cmd_discover, JIKU_NEED_PLUGINS, "", NULL, 1, 1, "discover SERVER",
     "list a server's accounts, subscriptions and sites: sections for new ones, drift", 0},
    {"plugins", jiku_cmd_plugins, JIKU_NEED_PLUGINS, "", NULL, 0, 0, "plugins",
     "panel plugins with versions, ABI and the config keys each adds", 0},
    /* loads the configuration itself: a broken one must not silence the notice */
    {"notify-failure", jiku_cmd_notify_failure, 0, "", NULL, 1, 1, "notify-failure UNIT",
     "send the failure notice for a unit that failed (run by systemd's OnFailure=)", 0},
    {"complete", jiku_cmd_complete, 0, "", NULL, 1, 2,
     "complete (commands | options COMMAND | targets | customers | servers | ids [TARGET])",
     "words for shell completion, one a line, silent on errors", 0},
    {"help", jiku_cmd_help, 0, "", NULL, 0, 1, "help [COMMAND]",
     "the commands, or one command's usage and options", 0},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

enum {
    OPT_JSON = 2000,
    OPT_ACTOR,
    OPT_LOCK_WAIT,
    OPT_VERSION,
};

static const struct jiku_cmd_option global_options[] = {
    {{"config", required_argument, NULL, 'c'},
     "FILE",
     "main configuration file (default " JIKU_DEFAULT_CONFIG ")"},
    {{"json", no_argument, NULL, OPT_JSON},
     NULL,
     "JSON lines on stdout, ending with a summary line"},
    {{"dry-run", no_argument, NULL, 'n'}, NULL, "decide and show, change nothing"},
    {{"quiet", no_argument, NULL, 'q'}, NULL, "only errors"},
    {{"verbose", no_argument, NULL, 'v'},
     NULL,
     "more logging (repeatable; -vvv traces the wire, redacted)"},
    {{"actor", required_argument, NULL, OPT_ACTOR}, "NAME", "who is acting, for the audit"},
    {{"lock-wait", required_argument, NULL, OPT_LOCK_WAIT},
     "SECS",
     "how long to wait for a busy target"},
    {{"help", no_argument, NULL, 'h'}, NULL, "this help, or with a command, the command's"},
    {{"version", no_argument, NULL, OPT_VERSION}, NULL, "print the version"},
    {{NULL, 0, NULL, 0}, NULL, NULL},
};
#define GLOBAL_SHORTOPTS "c:nqvh"

const struct jiku_command *
jiku_cli_commands(size_t *n)
{
    *n = N_COMMANDS;
    return commands;
}

const struct jiku_cmd_option *
jiku_cli_global_options(void)
{
    return global_options;
}

/* "  -y, --yes" or "      --to ID|latest", padded, then the help line. */
static void
print_options(FILE *fp, const struct jiku_cmd_option *o, const char *shorts)
{
    for (; o != NULL && o->opt.name != NULL; o++) {
        int val = o->opt.val, w;

        if (val > 0 && val < 128 && strchr(shorts, val) != NULL)
            w = fprintf(fp, "  -%c, --%s", val, o->opt.name);
        else
            w = fprintf(fp, "      --%s", o->opt.name);
        if (o->arg != NULL)
            w += fprintf(fp, " %s", o->arg);
        fprintf(fp, "%*s%s\n", w < 24 ? 24 - w : 2, "", o->help);
    }
}

void
jiku_cli_help(const struct jiku_command *cmd, FILE *fp)
{
    size_t width = 0;

    if (cmd != NULL) {
        fprintf(fp, "usage: jiku-agent %s\n\n%s\n", cmd->usage, cmd->summary);
        if (cmd->options != NULL && cmd->options->opt.name != NULL) {
            fprintf(fp, "\nOptions:\n");
            print_options(fp, cmd->options, cmd->shortopts);
        }
        fprintf(fp, "\nGlobal options:\n");
        print_options(fp, global_options, GLOBAL_SHORTOPTS);
        return;
    }
    fprintf(fp, "usage: jiku-agent [GLOBAL OPTIONS] COMMAND [ARGS]\n\nGlobal options:\n");
    print_options(fp, global_options, GLOBAL_SHORTOPTS);
    fprintf(fp, "\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        width = strlen(commands[i].name) > width ? strlen(commands[i].name) : width;
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(fp, "  %-*s %s\n", (int)width, commands[i].name, commands[i].summary);
    fprintf(fp, "\n'jiku-agent help COMMAND' shows a command's usage and options.\n");
}

static int
parse_seconds(const char *s, int *out)
{
    char *end;
    long v;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    v = strtol(s, &end, 10);
    if (*end != '\0' || v < 0 || v > 86400 * 7)
        return -1;
    *out = (int)v;
    return 0;
}

/* A global option found anywhere; 0 handled, 1 not a global option, -1 bad value. */
static int
handle_global(struct jiku_session *ctx, int c, const char *arg)
{
    switch (c) {
    case 'c':
        ctx->config_path = arg;
        return 0;
    case OPT_JSON:
        ctx->out.json = true;
        return 0;
    case 'n':
        ctx->dry_run = true;
        ctx->out.dry_run = true;
        return 0;
    case 'q':
        ctx->quiet = true;
        ctx->out.quiet = true;
        return 0;
    case 'v':
        ctx->verbose++;
        return 0;
    case OPT_ACTOR:
        if (arg[0] == '\0' || strlen(arg) > 64 || strpbrk(arg, "\n\r\t ") != NULL ||
            !jiku_text_is_clean(arg, JIKU_TEXT_FIELD)) {
            char shown[4 * 64 + 4];

            jiku_text_copy(shown, sizeof(shown), arg, JIKU_TEXT_FIELD);
            fprintf(stderr, "jiku-agent: invalid --actor '%s'\n", shown);
            return -1;
        }
        ctx->actor_opt = arg;
        return 0;
    case OPT_LOCK_WAIT:
        if (parse_seconds(arg, &ctx->lock_wait) != 0) {
            char shown[128];

            jiku_text_copy(shown, sizeof(shown), arg, JIKU_TEXT_FIELD);
            fprintf(stderr, "jiku-agent: invalid --lock-wait '%s': expected seconds\n", shown);
            return -1;
        }
        return 0;
    default:
        return 1;
    }
}

int
jiku_cmd_fail(struct jiku_session *ctx, const struct jiku_err *err)
{
    jiku_out_error(&ctx->out, err->status, err->msg);
    return err->status;
}

/* The message; then CMD's usage line, or without CMD the global help (not under --json). */
static int
usage_va(struct jiku_session *ctx, const struct jiku_command *cmd, const char *fmt, va_list ap)
{
    char msg[512];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    jiku_out_error(&ctx->out, JIKU_E_USAGE, msg);
    if (ctx->out.json)
        return JIKU_E_USAGE;
    if (cmd != NULL)
        fprintf(stderr, "usage: jiku-agent %s\n", cmd->usage);
    else
        jiku_cli_help(NULL, stderr);
    return JIKU_E_USAGE;
}

int
jiku_cmd_usage(struct jiku_session *ctx, const struct jiku_command *cmd, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = usage_va(ctx, cmd, fmt, ap);
    va_end(ap);
    return r;
}

static const struct jiku_command *
find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* help [COMMAND]: on stdout, as --help; an unknown command is a usage error listing them. */
int
jiku_cmd_help(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    const struct jiku_command *cmd = NULL;

    if (args->argc > 0 && (cmd = find_command(args->argv[0])) == NULL)
        return jiku_cmd_usage(ctx, NULL, "'%s' is not a jiku-agent command", args->argv[0]);
    jiku_cli_help(cmd, stdout);
    return 0;
}

/* getopt's array: A's entries, then B's (either may be NULL), then the end; CAP entries. */
static void
getopt_table(struct option *all, size_t cap, const struct jiku_cmd_option *a,
             const struct jiku_cmd_option *b)
{
    size_t n = 0;

    for (; a != NULL && a->opt.name != NULL && n + 1 < cap; a++)
        all[n++] = a->opt;
    for (; b != NULL && b->opt.name != NULL && n + 1 < cap; b++)
        all[n++] = b->opt;
    memset(&all[n], 0, sizeof(all[n]));
}

/*
 * The command's options, among the global ones, into ARGS; the operands after them, counted.
 * 0 or JIKU_E_USAGE; after --help, 0 with ARGS->help set.
 */
static int
parse_command(struct jiku_session *ctx, const struct jiku_command *cmd, int argc, char **argv,
              struct jiku_cmd_args *args)
{
    struct option all[48];
    char shorts[64];
    int c, r;

    /* Permuting: options may follow operands, as in "rollback acme/shop --to latest". */
    snprintf(shorts, sizeof(shorts), ":%s%s", cmd->shortopts, GLOBAL_SHORTOPTS);
    getopt_table(all, sizeof(all) / sizeof(all[0]), cmd->options, global_options);

    *args = (struct jiku_cmd_args){.cmd = cmd, .name = argv[0]};
    optind = 0; /* GNU getopt: 0 re-initialises for the command's own argv */
    while ((c = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
        if (c == 'h') {
            jiku_cli_help(cmd, stdout);
            args->help = true;
            return 0;
        }
        if (c == '?' || c == ':')
            return jiku_cmd_usage(ctx, cmd, "%s option '%s'",
                                  c == ':' ? "missing argument for" : "unknown", argv[optind - 1]);
        if ((r = handle_global(ctx, c, optarg)) < 0)
            return JIKU_E_USAGE;
        if (r == 0)
            continue;
        if (c == cmd->dry_run_opt && c != 0)
            handle_global(ctx, 'n', NULL);
        if (args->n_opts == JIKU_CMD_MAX_OPTS)
            return jiku_cmd_usage(ctx, cmd, "too many options");
        args->opts[args->n_opts++] = (struct jiku_cmd_opt){c, optarg};
    }
    args->argc = argc - optind;
    args->argv = argv + optind;
    if (args->argc < cmd->min_operands)
        return jiku_cmd_usage(ctx, cmd, "missing operand");
    if (cmd->max_operands >= 0 && args->argc > cmd->max_operands)
        return jiku_cmd_usage(ctx, cmd, "unexpected operand '%s'", args->argv[cmd->max_operands]);
    return 0;
}

/* A usage error before any command ran: under --json an error and a summary line too. */
static int
main_usage(struct jiku_session *ctx, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    usage_va(ctx, NULL, fmt, ap);
    va_end(ap);
    return jiku_out_summary(&ctx->out, jiku_status_exit_code(JIKU_E_USAGE));
}

/*
 * What the command printed must have reached stdout: a full disk or a reader that went away
 * (SIGPIPE is ignored, so a closed pipe is EPIPE here) loses results a script relies on.  The
 * error flag of stdout is sticky, so one check after the last flush covers every output path.
 * A lost output turns success (0) and a partial run (3) into an I/O error (74); a run that
 * failed keeps its own code, the message on stderr says the output was lost too.
 */
static int
check_stdout(int code)
{
    int e = jiku_out_flush();

    if (e == 0)
        return code;
    fprintf(stderr, "jiku-agent: cannot write to standard output: %s\n", strerror(e));
    if (code == 0 || code == 3)
        return jiku_status_exit_code(JIKU_E_IO);
    return code;
}

int
jiku_main(int argc, char **argv)
{
    struct jiku_session ctx = {.lock_wait = -1};
    const struct jiku_command *cmd = NULL;
    struct jiku_cmd_args args;
    struct jiku_buf notes = JIKU_BUF_INIT;
    struct jiku_err err = {0};
    struct option globals[16];
    int c, r, code;

    if (jiku_signals_install(&err) != 0) {
        fprintf(stderr, "jiku-agent: %s\n", err.msg);
        return 1;
    }
    jiku_out_init(&ctx.out, NULL, false, false);
    /* Cron and timers run without any terminal; a human has one on some end (jiku-agent(8)). */
    ctx.out.cron = !isatty(STDIN_FILENO) && !isatty(STDOUT_FILENO) && !isatty(STDERR_FILENO);

    opterr = 0;
    getopt_table(globals, sizeof(globals) / sizeof(globals[0]), global_options, NULL);
    while ((c = getopt_long(argc, argv, "+:" GLOBAL_SHORTOPTS, globals, NULL)) != -1) {
        if (c == 'h' || c == OPT_VERSION || c == '?' || c == ':')
            break;
        if (handle_global(&ctx, c, optarg) != 0)
            return jiku_status_exit_code(JIKU_E_USAGE);
    }
    if (c == 'h') {
        jiku_cli_help(NULL, stdout);
        return check_stdout(0);
    }
    if (c == OPT_VERSION) {
        printf("jiku-agent %s (plugin ABI %d.%d)\n", JIKU_VERSION, JIKU_PLUGIN_ABI_MAJOR,
               JIKU_PLUGIN_ABI_MINOR);
        return check_stdout(0);
    }
    if (c == '?' || c == ':')
        return check_stdout(main_usage(&ctx, "%s option '%s'",
                                       c == ':' ? "missing argument for" : "unknown",
                                       argv[optind - 1]));
    if (optind >= argc)
        return check_stdout(main_usage(&ctx, "no command given"));
    if ((cmd = find_command(argv[optind])) == NULL)
        return check_stdout(main_usage(&ctx, "'%s' is not a jiku-agent command", argv[optind]));

    jiku_log_setup(JIKU_LOG_AUTO, jiku_session_verbosity(&ctx));
    ctx.actor = ctx.actor_opt != NULL ? strdup(ctx.actor_opt) : jiku_actor_default();
    ctx.out.command = cmd->name;
    ctx.out.notes = &notes;

    r = parse_command(&ctx, cmd, argc - optind, argv + optind, &args);
    if (r == 0 && !args.help)
        r = jiku_session_open(&ctx, cmd->needs, &err) != 0 ? jiku_cmd_fail(&ctx, &err)
                                                           : cmd->fn(&ctx, &args);
    /* A command that ran to its end counted its operations: 0, 3, or their shared code. */
    code = r != 0 ? jiku_status_exit_code(r) : jiku_out_exit_code(&ctx.out);
    if (!args.help)
        jiku_out_summary(&ctx.out, code);
    if (code == 0 && jiku_interrupted())
        code = jiku_status_exit_code(JIKU_E_INTERRUPTED);
    /* Before the run is recorded: the catalog keeps the code the process exits with. */
    code = check_stdout(code);
    if (!args.help)
        jiku_notify_run(&ctx, code);
    jiku_session_close(&ctx, code);
    jiku_buf_release(&notes);
    /* The workers are gone: nothing reads the secrets any more. */
    jiku_secret_wipe_all();
    return code;
}
