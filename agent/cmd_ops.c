/*
 * The commands that act on targets: snapshot, backup, rollback, stage, unstage, promote,
 * clone, update and nightly.  Each builds a list of actions and hands it to jiku_actions_run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "action.h"
#include "cli.h"
#include "err.h"
#include "log.h"
#include "notify.h"
#include "prune.h"
#include "run.h"

/* Run ACTS and end the command with the summary. */
static int
run_actions(struct jiku_session *ctx, struct jiku_action *acts, size_t n)
{
    struct jiku_err err = {0};
    int r = jiku_actions_run(ctx, acts, n, &err);

    jiku_actions_release(acts, n);
    return r != 0 ? jiku_cmd_fail(ctx, &err) : 0;
}

/* A TARGET operand: validated as a name before it is looked up. */
static int
find_target(struct jiku_session *ctx, const char *id, const struct jiku_target_conf **out,
            struct jiku_err *err)
{
    if (!jiku_valid_target_id(id))
        return jiku_err_set(err, JIKU_E_USAGE, "invalid target name '%s': expected CUSTOMER/NAME",
                            id);
    if ((*out = jiku_config_target(ctx->cfg, id)) == NULL)
        return jiku_err_set(err, JIKU_E_NOTFOUND, "no such target '%s'", id);
    return 0;
}

/*
 * (TARGET... | --customer C | --all) → actions of VERB, in config order for --all.
 * *ACTS is the caller's.
 */
static int
select_targets(struct jiku_session *ctx, const struct jiku_cmd_args *args, const char *customer,
               bool all, enum jiku_verb verb, struct jiku_action **acts, size_t *n,
               struct jiku_err *err)
{
    int operands = args->argc, r;
    size_t cap, k = 0;

    if ((operands > 0) + (customer != NULL) + all != 1)
        return jiku_err_set(err, JIKU_E_USAGE, "name targets, or give --customer C or --all");
    if (customer != NULL && jiku_config_customer(ctx->cfg, customer) == NULL)
        return jiku_err_set(err, JIKU_E_NOTFOUND, "no such customer '%s'", customer);
    cap = operands > 0 ? (size_t)operands : ctx->cfg->n_targets;
    if ((*acts = calloc(cap ? cap : 1, sizeof(**acts))) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    if (operands > 0) {
        for (int i = 0; i < args->argc; i++) {
            const struct jiku_target_conf *t;

            if ((r = find_target(ctx, args->argv[i], &t, err)) != 0) {
                free(*acts);
                *acts = NULL;
                return r;
            }
            (*acts)[k++] = (struct jiku_action){.target = t, .verb = verb};
        }
    } else {
        for (size_t i = 0; i < ctx->cfg->n_targets; i++) {
            const struct jiku_target_conf *t = &ctx->cfg->targets[i];

            if (customer == NULL || strcmp(t->info.customer, customer) == 0)
                (*acts)[k++] = (struct jiku_action){.target = t, .verb = verb};
        }
    }
    *n = k;
    return 0;
}

int
jiku_cmd_snapshot(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    enum jiku_verb verb = (enum jiku_verb)jiku_verb_parse(args->name); /* snapshot or backup */
    struct jiku_action *acts = NULL;
    struct jiku_err err = {0};
    const char *customer = NULL;
    bool all = false;
    size_t n = 0;
    int c;

    for (size_t i = 0; i < args->n_opts; i++) {
        if (args->opts[i].c == 'C')
            customer = args->opts[i].arg;
        else
            all = true;
    }
    if (select_targets(ctx, args, customer, all, verb, &acts, &n, &err) != 0) {
        if (err.status == JIKU_E_USAGE)
            return jiku_cmd_usage(ctx, args->cmd, "%s", err.msg);
        return jiku_cmd_fail(ctx, &err);
    }
    c = run_actions(ctx, acts, n);
    free(acts);
    return c;
}

/*
 * Rollback and promote replace live data, a removal of a mail account or user loses some: an
 * admin at a terminal confirms; a script says --yes.  Without a terminal and without --yes
 * nothing happens.
 */
#define SAFETY_NOTE "A safety snapshot is taken first."

bool
jiku_cmd_confirmed(struct jiku_session *ctx, bool yes, const char *what, const char *note)
{
    char line[16];

    if (yes || ctx->dry_run)
        return true;
    if (!isatty(STDIN_FILENO)) {
        fprintf(stderr, "jiku-agent: refusing to %s without --yes when stdin is not a terminal\n",
                what);
        return false;
    }
    fprintf(stderr, "%s? %s [y/N] ", what, note);
    if (fgets(line, sizeof(line), stdin) == NULL)
        return false;
    return line[0] == 'y' || line[0] == 'Y';
}

int
jiku_cmd_target(struct jiku_session *ctx, const struct jiku_cmd_args *args, const char *id,
                const struct jiku_target_conf **out)
{
    struct jiku_err err = {0};
    int r;

    if ((r = find_target(ctx, id, out, &err)) != 0) {
        if (r == JIKU_E_USAGE)
            return jiku_cmd_usage(ctx, args->cmd, "%s", err.msg);
        return jiku_cmd_fail(ctx, &err);
    }
    return 0;
}

int
jiku_cmd_rollback(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    struct jiku_action act = {.verb = JIKU_VERB_ROLLBACK, .args.to = "latest"};
    bool yes = false, exact = false, merge = false;
    int r;

    for (size_t i = 0; i < args->n_opts; i++) {
        int c = args->opts[i].c;

        if (c == 't')
            act.args.to = args->opts[i].arg;
        else if (c == 'e')
            exact = true;
        else if (c == 'm')
            merge = true;
        else
            yes = true;
    }
    if (exact && merge)
        return jiku_cmd_usage(ctx, args->cmd, "--exact and --merge exclude each other");
    act.args.mode = merge ? JIKU_ROLLBACK_MERGE : JIKU_ROLLBACK_EXACT;
    if ((r = jiku_cmd_target(ctx, args, args->argv[0], &act.target)) != 0)
        return r;
    if (!jiku_cmd_confirmed(ctx, yes, "roll back", SAFETY_NOTE))
        return JIKU_E_USAGE;
    return run_actions(ctx, &act, 1);
}

int
jiku_cmd_appverb(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    const struct jiku_command *cmd = args->cmd;
    struct jiku_action act = {0};
    bool yes = false;
    int r;

    act.verb = (enum jiku_verb)jiku_verb_parse(args->name); /* stage, unstage or promote */
    for (size_t i = 0; i < args->n_opts; i++) {
        int c = args->opts[i].c;

        if (c == 'd' && act.verb == JIKU_VERB_STAGE)
            act.args.domain = args->opts[i].arg;
        else if (c == 'y' && act.verb == JIKU_VERB_PROMOTE)
            yes = true;
        else
            return jiku_cmd_usage(ctx, cmd, "option not valid here");
    }
    if (act.args.domain != NULL && !jiku_valid_hostname(act.args.domain))
        return jiku_cmd_usage(ctx, cmd, "invalid domain '%s'", act.args.domain);
    if ((r = jiku_cmd_target(ctx, args, args->argv[0], &act.target)) != 0)
        return r;
    if (act.verb == JIKU_VERB_PROMOTE &&
        !jiku_cmd_confirmed(ctx, yes, "promote staging to live", SAFETY_NOTE))
        return JIKU_E_USAGE;
    return run_actions(ctx, &act, 1);
}

int
jiku_cmd_clone(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    const struct jiku_command *cmd = args->cmd;
    struct jiku_action act = {.verb = JIKU_VERB_CLONE};
    int r;

    for (size_t i = 0; i < args->n_opts; i++) {
        int c = args->opts[i].c;

        if (c == 'd')
            act.args.domain = args->opts[i].arg;
        else if (c == 's')
            act.args.dest_server = args->opts[i].arg;
        else
            act.args.as_user = args->opts[i].arg;
    }
    if ((act.args.domain != NULL) == (act.args.dest_server != NULL))
        return jiku_cmd_usage(ctx, cmd, "give either --domain or --server");
    if (act.args.as_user != NULL && act.args.dest_server == NULL)
        return jiku_cmd_usage(ctx, cmd, "--as needs --server");
    if (act.args.domain != NULL && !jiku_valid_hostname(act.args.domain))
        return jiku_cmd_usage(ctx, cmd, "invalid domain '%s'", act.args.domain);
    if (act.args.dest_server != NULL && !jiku_valid_name(act.args.dest_server))
        return jiku_cmd_usage(ctx, cmd, "invalid server name '%s'", act.args.dest_server);
    if ((r = jiku_cmd_target(ctx, args, args->argv[0], &act.target)) != 0)
        return r;
    /* --as names the copy's account on the destination, a server of the same panel. */
    if (act.args.as_user != NULL && !jiku_server_account_ok(act.target->server, act.args.as_user))
        return jiku_cmd_usage(ctx, cmd, "invalid user name '%s'", act.args.as_user);
    /* A restored account keeps its domains: a second copy on one server collides. */
    if (act.args.dest_server != NULL &&
        strcmp(act.args.dest_server, act.target->server->info.name) == 0 &&
        !jiku_kind_is_application(act.target->info.kind)) {
        struct jiku_err err;

        jiku_err_set(&err, JIKU_E_USAGE,
                     "cannot clone %s '%s' onto its own server '%s': the copy keeps the %s's "
                     "domains",
                     jiku_kind_name(act.target->info.kind), act.target->info.id,
                     act.args.dest_server, jiku_kind_name(act.target->info.kind));
        return jiku_cmd_fail(ctx, &err);
    }
    return run_actions(ctx, &act, 1);
}

/*
 * What cron runs: each target's nightly actions, then retention over every target.  A target's
 * actions run in the order its list gives, so they go in rounds: every target's first action,
 * then every second one (an update after its target's nightly snapshot), and so on.
 */
int
jiku_cmd_nightly(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    struct jiku_action *acts = NULL;
    struct jiku_buf line = JIKU_BUF_INIT;
    struct jiku_err err = {0};
    size_t n = 0;
    int r = 0, code;

    (void)args; /* no options, no operands */
    if ((acts = calloc(ctx->cfg->n_targets * JIKU_NIGHTLY_MAX + 1, sizeof(*acts))) == NULL)
        return JIKU_E_NOMEM;
    /* The end ping is the run's end (jiku_notify_run): it carries the final exit code. */
    if (!ctx->dry_run)
        ctx->ping = jiku_ping_start(ctx->cfg->ping_url, true);
    for (size_t round = 0; round < JIKU_NIGHTLY_MAX && r == 0 && !jiku_interrupted(); round++) {
        size_t first = n;

        for (size_t i = 0; i < ctx->cfg->n_targets; i++) {
            const struct jiku_target_conf *t = &ctx->cfg->targets[i];

            if (round < t->n_nightly)
                acts[n++] = (struct jiku_action){.target = t, .verb = t->nightly[round]};
        }
        if (n > first)
            r = jiku_actions_run(ctx, acts + first, n - first, &err);
    }
    if (r == 0) {
        /* Retention is housekeeping: it never removes the newest good artifact, so it is
         * safe after a failed night too, and its own failures are logged, not counted. */
        if (!jiku_interrupted())
            jiku_prune_targets(ctx, NULL, 0, true);
    }
    jiku_actions_release(acts, n);
    free(acts);
    code = jiku_out_exit_code(&ctx->out);
    if (r != 0)
        return jiku_cmd_fail(ctx, &err);
    /* The table's last line for a human; under cron the failure lines are the summary. */
    if (!ctx->quiet && (!ctx->out.cron || ctx->dry_run) &&
        jiku_out_summary_text(&ctx->out, code, &line) == 0)
        jiku_out_text(&ctx->out, "%s\n", line.data);
    jiku_buf_release(&line);
    return 0;
}

/*
 * update TARGET... [--check] [--only C] [--staged]: --check is a dry run (the command table
 * says so), which asks the plugin what is pending.  --only must name a component every
 * target has, checked before anything is decided.
 */
int
jiku_cmd_update(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    struct jiku_action *acts = NULL;
    struct jiku_err err = {0};
    const char *only = NULL;
    unsigned only_bit = 0;
    bool staged = false;
    size_t n = 0;
    int c;

    for (size_t i = 0; i < args->n_opts; i++) {
        if (args->opts[i].c == 'o')
            only = args->opts[i].arg;
        else if (args->opts[i].c == 'S')
            staged = true;
    }
    if (only != NULL) {
        for (int k = 0; k < JIKU_UPDATE_COMPONENT_COUNT; k++)
            if (strcmp(jiku_update_component_names[k], only) == 0)
                only_bit = JIKU_UPDATE_BIT(k);
        if (only_bit == 0)
            return jiku_cmd_usage(ctx, args->cmd,
                                  "invalid --only '%s': expected core, plugins, "
                                  "themes or app",
                                  only);
    }
    if (select_targets(ctx, args, NULL, false, JIKU_VERB_UPDATE, &acts, &n, &err) != 0) {
        if (err.status == JIKU_E_USAGE)
            return jiku_cmd_usage(ctx, args->cmd, "%s", err.msg);
        return jiku_cmd_fail(ctx, &err);
    }
    for (size_t i = 0; i < n; i++) {
        const struct jiku_target_conf *t = acts[i].target;

        if (only_bit != 0 && (t->update.components & only_bit) == 0) {
            free(acts);
            return jiku_cmd_usage(ctx, args->cmd, "--only %s: target '%s' (%s) does not update %s",
                                  only, t->info.id, jiku_kind_name(t->info.kind), only);
        }
        acts[i].args.only = only_bit;
        acts[i].args.staged = staged;
    }
    c = run_actions(ctx, acts, n);
    free(acts);
    return c;
}
