/*
 * The command line (jiku-agent(8)): global options and the command table.
 */
#ifndef JIKU_CLI_H
#define JIKU_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "session.h"

struct jiku_command;

/*
 * One option of a command, or a global one: getopt's entry, the name of its argument as the
 * help shows it (NULL for none), and its line in the help.  One table feeds both getopt and
 * `--help`, so an option cannot be accepted without being documented.
 */
struct jiku_cmd_option {
    struct option opt;
    const char *arg;
    const char *help;
};

/* One command option as given, in order: its getopt value and its argument (or NULL). */
struct jiku_cmd_opt {
    int c;
    const char *arg;
};

#define JIKU_CMD_MAX_OPTS 32

/* A command's command line, parsed by jiku_main before the session was built. */
struct jiku_cmd_args {
    const struct jiku_command *cmd;
    const char *name; /* as invoked: "snapshot" or "backup" share one command function */
    bool help;        /* --help was given and answered: the command does not run */
    struct jiku_cmd_opt opts[JIKU_CMD_MAX_OPTS];
    size_t n_opts;
    int argc; /* the operands */
    char **argv;
};

/*
 * One subcommand.  jiku_main parses its options (SHORTOPTS and OPTIONS, among the global
 * ones, so that `jiku-agent list --json` works as well as `jiku-agent --json list`) and counts
 * its operands before it builds the session from NEEDS; FN then runs with both.  FN returns 0
 * (the exit code then follows from the operations it counted in the session's output) or the
 * enum jiku_status it ended on; jiku_main alone turns that into the exit code and prints the
 * summary line.
 */
struct jiku_command {
    const char *name;
    int (*fn)(struct jiku_session *ctx, const struct jiku_cmd_args *args);
    unsigned needs;        /* JIKU_NEED_* */
    const char *shortopts; /* the short forms of OPTIONS' values: "y" gives -y for --yes */
    const struct jiku_cmd_option *options; /* ends with an all-zero entry; NULL: none */
    int min_operands, max_operands;        /* max -1: any number */
    const char *usage;   /* "rollback TARGET [--to ID|latest] [--exact|--merge] [--yes]" */
    const char *summary; /* one line for --help */
    int dry_run_opt;     /* the option that means --dry-run too (update --check), or 0 */
};

/* The command table and the global options (ending with an all-zero entry), read-only. */
const struct jiku_command *jiku_cli_commands(size_t *n);
const struct jiku_cmd_option *jiku_cli_global_options(void);
/* CMD's help (NULL: the global help) on FP: usage, summary, every option with its line. */
void jiku_cli_help(const struct jiku_command *cmd, FILE *fp);

/* argv → exit code: the only place a command's status becomes the process's exit code. */
int jiku_main(int argc, char **argv);

/* A command ends on ERR: prints its message (JSON or stderr) and returns its status. */
int jiku_cmd_fail(struct jiku_session *ctx, const struct jiku_err *err);
/*
 * Usage error: prints the message and "usage: jiku-agent USAGE", or without CMD the global
 * help (the commands); returns JIKU_E_USAGE.
 */
int jiku_cmd_usage(struct jiku_session *ctx, const struct jiku_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * What the commands that act on targets share (cmd_ops.c).  The target named ID into *OUT, or
 * its usage error or failure printed and returned.  Whether to go on with WHAT ("roll back"):
 * --yes or a dry run say so, else a person at a terminal, asked with NOTE; never without one.
 */
int jiku_cmd_target(struct jiku_session *ctx, const struct jiku_cmd_args *args, const char *id,
                    const struct jiku_target_conf **out);
bool jiku_cmd_confirmed(struct jiku_session *ctx, bool yes, const char *what, const char *note);

/* The command implementations (cmd_*.c). */
int jiku_cmd_help(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_complete(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_policy(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_config(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_list(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_history(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_report(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_pin(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_audit(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_catalog(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_plugins(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_servers(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_discover(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_snapshot(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_rollback(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_appverb(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_clone(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_prune(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_verify(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_nightly(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_update(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_logins(struct jiku_session *ctx, const struct jiku_cmd_args *args);
int jiku_cmd_notify_failure(struct jiku_session *ctx, const struct jiku_cmd_args *args);

#endif
