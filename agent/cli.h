/*
 * The command line (jiku-agent(8)): global options, the command table, and the context every
 * command runs in.
 */
#ifndef JIKU_CLI_H
#define JIKU_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "output.h"

struct jiku_catalog;
struct jiku_plugins;
struct jiku_hostimpl;

struct jiku_ctx {
    /* global options */
    const char *config_path; /* -c; NULL: $JIKU_AGENT_CONFIG or the default */
    bool dry_run;
    bool quiet;
    int verbose;
    int lock_wait;         /* --lock-wait; -1: the config's */
    const char *actor_opt; /* --actor, borrowed from argv */
    char *actor;           /* who acts, for the audit */

    struct jiku_out out;

    /* opened on demand by jiku_ctx_* */
    struct jiku_config *cfg;
    struct jiku_catalog *cat;
    struct jiku_plugins *plugins;
    struct jiku_hostimpl *host;
    int64_t run_id;
};

/* argv → exit code; the only caller of jiku_status_exit_code for the process's own exit. */
int jiku_main(int argc, char **argv);

/* Load the configuration once; prints diagnostics. */
int jiku_ctx_config(struct jiku_ctx *ctx, struct jiku_err *err);
/* Open the catalog (and record the run) once. */
int jiku_ctx_catalog(struct jiku_ctx *ctx, struct jiku_err *err);
/* The transports and plugins, once. */
int jiku_ctx_host(struct jiku_ctx *ctx, struct jiku_err *err);

/* One subcommand: ARGV[0] is its name. Returns an exit code. */
struct jiku_command {
    const char *name;
    int (*fn)(struct jiku_ctx *ctx, int argc, char **argv);
    const char *usage;   /* "rollback TARGET [--to ID|latest] [--exact|--merge] [--yes]" */
    const char *summary; /* one line for --help */
};

/*
 * Subcommand option parsing: getopt_long over the command's own options plus the global ones
 * (so `jiku-agent list --json` works as well as `jiku-agent --json list`).  Returns the next
 * command option, -1 at the end (optind then indexes the first operand), JIKU_OPT_HELP after
 * printing the command's help, or JIKU_OPT_BAD after printing a usage error.
 */
#define JIKU_OPT_HELP 1000
#define JIKU_OPT_BAD 1001
struct option;
int jiku_cmd_getopt(struct jiku_ctx *ctx, const struct jiku_command *cmd, int argc, char **argv,
                    const char *shortopts, const struct option *longopts);
/* Operands left after options must number between MIN and MAX (-1: any); else usage error. */
int jiku_cmd_operands(struct jiku_ctx *ctx, const struct jiku_command *cmd, int argc, char **argv,
                      int min, int max);
/* A command ends on ERR: the message (JSON or stderr), the summary, and ERR's exit code. */
int jiku_cmd_fail(struct jiku_ctx *ctx, const struct jiku_err *err);
/* Usage error: prints "usage: jiku-agent USAGE" and returns 64. */
int jiku_cmd_usage(struct jiku_ctx *ctx, const struct jiku_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The command implementations (cmd_*.c). */
int jiku_cmd_policy(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_config(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_list(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_history(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_pin(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_audit(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_catalog(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_plugins(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_servers(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_discover(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_snapshot(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_rollback(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_appverb(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_clone(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_prune(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_verify(struct jiku_ctx *ctx, int argc, char **argv);
int jiku_cmd_nightly(struct jiku_ctx *ctx, int argc, char **argv);

const struct jiku_command *jiku_command_find(const char *name);

#endif
