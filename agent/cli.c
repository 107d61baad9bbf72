/*
 * argv → command.  A git-style command table; global options may stand before the command
 * or among its own options.  Exit codes come from one table (err.c) and leave only here.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "catalog.h"
#include "cli.h"
#include "err.h"
#include "hostimpl.h"
#include "log.h"
#include "paths.h"
#include "plugin_loader.h"
#include "run.h"
#include "secret.h"
#include "textsafe.h"

static const struct jiku_command commands[] = {
    {"nightly", jiku_cmd_nightly, "nightly",
     "for every target, the action its nightly key names, then retention"},
    {"snapshot", jiku_cmd_snapshot, "snapshot (TARGET... | --customer C | --all)",
     "take a snapshot of each target"},
    {"backup", jiku_cmd_snapshot, "backup (TARGET... | --customer C | --all)",
     "make a fresh archive of each target and copy it into backup_dir"},
    {"rollback", jiku_cmd_rollback, "rollback TARGET [--to ID|latest] [--exact|--merge] [--yes]",
     "safety snapshot, then restore an artifact"},
    {"stage", jiku_cmd_appverb, "stage TARGET [--domain D]",
     "create or refresh the staging copy of an application target"},
    {"unstage", jiku_cmd_appverb, "unstage TARGET", "remove the staging copy"},
    {"promote", jiku_cmd_appverb, "promote TARGET [--yes]",
     "safety snapshot of live, then push the staging copy to live"},
    {"clone", jiku_cmd_clone, "clone TARGET (--domain D | --server S [--as USER])",
     "make an independent copy of a target"},
    {"list", jiku_cmd_list, "list [TARGET | --customer C]",
     "artifacts in the catalog, newest first"},
    {"prune", jiku_cmd_prune, "prune (TARGET... | --all)", "apply retention"},
    {"pin", jiku_cmd_pin, "pin ID", "keep an artifact out of retention"},
    {"unpin", jiku_cmd_pin, "unpin ID", "let retention handle an artifact again"},
    {"verify", jiku_cmd_verify, "verify (TARGET... | --all)",
     "check that each artifact still exists with its checksum"},
    {"history", jiku_cmd_history, "history [--target T] [--since DATE]", "the audit, newest first"},
    {"audit", jiku_cmd_audit, "audit verify [--head HASH:COUNT]", "check the audit's hash chain"},
    {"catalog", jiku_cmd_catalog, "catalog rebuild",
     "recreate the artifact catalog from the manifests in backup_dir"},
    {"policy", jiku_cmd_policy, "policy (show CUSTOMER | explain CUSTOMER ACTION | check)",
     "the responsibility matrix, one decision, or a lint of every policy file"},
    {"config", jiku_cmd_config, "config (check | show)",
     "validate the configuration, or print it with secrets redacted"},
    {"servers", jiku_cmd_servers,
     "servers (check [SERVER...] | trust SERVER --fingerprint SHA256:...)",
     "probe servers, or enrol a server's SSH host key"},
    {"discover", jiku_cmd_discover, "discover SERVER",
     "list a server's accounts, subscriptions and sites: sections for new ones, drift"},
    {"plugins", jiku_cmd_plugins, "plugins", "loaded plugins with versions and ABI"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

enum {
    OPT_JSON = 2000,
    OPT_ACTOR,
    OPT_LOCK_WAIT,
    OPT_VERSION,
};

static const struct option global_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"json", no_argument, NULL, OPT_JSON},
    {"dry-run", no_argument, NULL, 'n'},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"actor", required_argument, NULL, OPT_ACTOR},
    {"lock-wait", required_argument, NULL, OPT_LOCK_WAIT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};
#define GLOBAL_SHORTOPTS "c:nqvh"

static void
print_global_help(FILE *fp)
{
    fprintf(fp,
            "usage: jiku-agent [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
            "Global options:\n"
            "  -c, --config FILE     main configuration file (default %s)\n"
            "      --json            JSON lines on stdout, ending with a summary line\n"
            "  -n, --dry-run         decide and show, change nothing\n"
            "  -q, --quiet           only errors\n"
            "  -v, --verbose         more logging (repeatable; -vvv traces the wire, redacted)\n"
            "      --actor NAME      who is acting, for the audit\n"
            "      --lock-wait SECS  how long to wait for a busy target\n"
            "      --version         print the version\n\n"
            "Commands:\n",
            JIKU_DEFAULT_CONFIG);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "\n'jiku-agent COMMAND --help' shows a command's usage.\n");
}

const struct jiku_command *
jiku_command_find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
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
handle_global(struct jiku_ctx *ctx, int c, const char *arg)
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
jiku_cmd_fail(struct jiku_ctx *ctx, const struct jiku_err *err)
{
    jiku_out_error(&ctx->out, err->status, err->msg);
    return jiku_out_summary(&ctx->out, jiku_status_exit_code(err->status));
}

int
jiku_cmd_usage(struct jiku_ctx *ctx, const struct jiku_command *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    jiku_out_error(&ctx->out, JIKU_E_USAGE, msg);
    if (!ctx->out.json)
        fprintf(stderr, "usage: jiku-agent %s\n", cmd->usage);
    return jiku_out_summary(&ctx->out, jiku_status_exit_code(JIKU_E_USAGE));
}

int
jiku_cmd_getopt(struct jiku_ctx *ctx, const struct jiku_command *cmd, int argc, char **argv,
                const char *shortopts, const struct option *longopts)
{
    struct option all[48];
    char shorts[64];
    size_t n = 0;
    int c, r;

    /* Permuting: options may follow operands, as in "rollback acme/shop --to latest". */
    snprintf(shorts, sizeof(shorts), ":%s%s", shortopts, GLOBAL_SHORTOPTS);
    for (const struct option *o = longopts; o != NULL && o->name != NULL && n < 32; o++)
        all[n++] = *o;
    for (const struct option *o = global_options; o->name != NULL; o++)
        all[n++] = *o;
    memset(&all[n], 0, sizeof(all[n]));

    for (;;) {
        c = getopt_long(argc, argv, shorts, all, NULL);
        if (c == -1)
            return -1;
        if (c == 'h') {
            printf("usage: jiku-agent %s\n\n%s\n", cmd->usage, cmd->summary);
            return JIKU_OPT_HELP;
        }
        if (c == '?' || c == ':') {
            jiku_cmd_usage(ctx, cmd, "%s option '%s'",
                           c == ':' ? "missing argument for" : "unknown", argv[optind - 1]);
            return JIKU_OPT_BAD;
        }
        if ((r = handle_global(ctx, c, optarg)) < 0) {
            jiku_out_summary(&ctx->out, jiku_status_exit_code(JIKU_E_USAGE));
            return JIKU_OPT_BAD;
        }
        if (r > 0)
            return c;
    }
}

int
jiku_cmd_operands(struct jiku_ctx *ctx, const struct jiku_command *cmd, int argc, char **argv,
                  int min, int max)
{
    int n = argc - optind;

    if (n < min)
        return jiku_cmd_usage(ctx, cmd, "missing operand");
    if (max >= 0 && n > max)
        return jiku_cmd_usage(ctx, cmd, "unexpected operand '%s'", argv[optind + max]);
    return 0;
}

static enum jiku_log_level
verbosity(const struct jiku_ctx *ctx)
{
    if (ctx->quiet)
        return JIKU_LOG_ERROR;
    if (ctx->verbose >= 3)
        return JIKU_LOG_TRACE;
    return (enum jiku_log_level)(JIKU_LOG_WARN + ctx->verbose);
}

static char *
default_actor(void)
{
    const char *s = getenv("SUDO_USER");
    struct passwd *pw;

    if (s != NULL && *s != '\0')
        return strdup(s);
    if (!isatty(STDIN_FILENO))
        return strdup("cron");
    if ((s = getlogin()) != NULL)
        return strdup(s);
    if ((pw = getpwuid(getuid())) != NULL)
        return strdup(pw->pw_name);
    return strdup("unknown");
}

int
jiku_ctx_config(struct jiku_ctx *ctx, struct jiku_err *err)
{
    struct jiku_diags diags = {0};
    int r;

    if (ctx->cfg != NULL)
        return 0;
    r = jiku_config_load(ctx->config_path, 0, &ctx->cfg, &diags, err);
    if (r == 0 && !ctx->quiet)
        for (size_t i = 0; i < diags.n; i++)
            log_warn("%s", diags.items[i].msg);
    /* The first error is the message; 'config check' lists them all. */
    if (r != 0 && diags.n_errors > 1) {
        char first[JIKU_ERR_MSG_MAX];

        memcpy(first, err->msg, sizeof(first));
        jiku_err_set(err, r, "%s (and %zu more error%s; see 'jiku-agent config check')", first,
                     diags.n_errors - 1, diags.n_errors == 2 ? "" : "s");
    }
    jiku_diags_release(&diags);
    if (r != 0)
        return r;
    if (strcmp(ctx->cfg->log, "stderr") == 0)
        jiku_log_setup(JIKU_LOG_STDERR, verbosity(ctx));
    else if (strcmp(ctx->cfg->log, "syslog") == 0)
        jiku_log_setup(JIKU_LOG_SYSLOG, verbosity(ctx));
    if (ctx->lock_wait < 0)
        ctx->lock_wait = ctx->cfg->lock_wait;
    return r;
}

int
jiku_ctx_catalog(struct jiku_ctx *ctx, struct jiku_err *err)
{
    int r;

    if (ctx->cat != NULL)
        return 0;
    if ((r = jiku_ctx_config(ctx, err)) != 0)
        return r;
    if ((r = jiku_catalog_open(ctx->cfg->state_dir, &ctx->cat, err)) != 0)
        return r;
    return jiku_catalog_run_begin(ctx->cat, ctx->out.command, ctx->actor, ctx->dry_run,
                                  &ctx->run_id, err);
}

int
jiku_ctx_host(struct jiku_ctx *ctx, struct jiku_err *err)
{
    int r;

    if (ctx->host != NULL)
        return 0;
    if ((r = jiku_ctx_config(ctx, err)) != 0)
        return r;
    if ((r = jiku_hostimpl_new(ctx->cfg, &ctx->out, &ctx->host, err)) != 0)
        return r;
    ctx->plugins = jiku_plugins_new(ctx->cfg->plugin_dir);
    return ctx->plugins != NULL ? 0 : jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
}

static void
ctx_release(struct jiku_ctx *ctx, int exit_code)
{
    struct jiku_err err = {0};

    if (ctx->cat != NULL) {
        if (jiku_catalog_run_end(ctx->cat, ctx->run_id, exit_code, &err) != 0)
            log_warn("%s", err.msg);
        if (jiku_audit_log_head(ctx->cat, &err) != 0)
            log_warn("%s", err.msg);
        jiku_catalog_close(ctx->cat);
    }
    jiku_plugins_free(ctx->plugins);
    jiku_hostimpl_free(ctx->host);
    jiku_config_free(ctx->cfg);
    free(ctx->actor);
}

/* A usage error before any command ran: under --json an error and a summary line too. */
static int
main_usage(struct jiku_ctx *ctx, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    jiku_out_error(&ctx->out, JIKU_E_USAGE, msg);
    if (!ctx->out.json)
        print_global_help(stderr);
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
    struct jiku_ctx ctx = {.lock_wait = -1};
    const struct jiku_command *cmd;
    struct jiku_err err = {0};
    int c, code;

    if (jiku_signals_install(&err) != 0) {
        fprintf(stderr, "jiku-agent: %s\n", err.msg);
        return 1;
    }
    jiku_out_init(&ctx.out, NULL, false, false);
    /* Cron and timers run without any terminal; a human has one on some end (jiku-agent(8)). */
    ctx.out.cron = !isatty(STDIN_FILENO) && !isatty(STDOUT_FILENO) && !isatty(STDERR_FILENO);

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:" GLOBAL_SHORTOPTS, global_options, NULL)) != -1) {
        if (c == 'h' || c == OPT_VERSION || c == '?' || c == ':')
            break;
        if (handle_global(&ctx, c, optarg) != 0)
            return jiku_status_exit_code(JIKU_E_USAGE);
    }
    if (c == 'h') {
        print_global_help(stdout);
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
    if ((cmd = jiku_command_find(argv[optind])) == NULL)
        return check_stdout(main_usage(&ctx, "'%s' is not a jiku-agent command", argv[optind]));

    jiku_log_setup(JIKU_LOG_AUTO, verbosity(&ctx));
    ctx.actor = ctx.actor_opt != NULL ? strdup(ctx.actor_opt) : default_actor();
    ctx.out.command = cmd->name;

    argc -= optind;
    argv += optind;
    optind = 0; /* GNU getopt: 0 re-initialises for the command's own argv */
    code = cmd->fn(&ctx, argc, argv);
    if (code == 0 && jiku_interrupted())
        code = jiku_status_exit_code(JIKU_E_INTERRUPTED);
    /* Before the run is recorded: the catalog keeps the code the process exits with. */
    code = check_stdout(code);
    ctx_release(&ctx, code);
    /* The workers are gone: nothing reads the secrets any more. */
    jiku_secret_wipe_all();
    return code;
}
