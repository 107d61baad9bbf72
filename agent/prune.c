/*
 * prune: retention applied to the catalog and the stores.  Pruning an artifact is governed by the
 * action that made it (jiku-agent(8), prune): a snapshot or safety snapshot by *.snapshot, a backup
 * by *.backup.  Then the sweep of each server's snapshot_dir (sweep.c) removes what no catalog row
 * knows.
 *
 * An artifact is removed only under its own exclusive hold (hold.h), taken without waiting:
 * an artifact another process uses (a rollback's source, held from the moment it was chosen)
 * cannot be held, counts as in use and is kept.  So prune needs no target lock and never
 * waits for a long operation on the target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action.h"
#include "catalog.h"
#include "catalog_db.h"
#include "cli.h"
#include "err.h"
#include "hostimpl.h"
#include "log.h"
#include "prune.h"
#include "retention.h"
#include "retry.h"
#include "run.h"
#include "sweep.h"

/*
 * Remove what retention chose among T's artifacts, each through the action engine (a prune
 * action: decided, audited, held and removed there), in order, stopping at the first failure.
 * REP's details say what went, what was kept because another process uses it, and what the
 * policy leaves to the customer.
 */
static int
prune_target(struct jiku_session *ctx, const struct jiku_target_conf *t, bool housekeeping,
             struct jiku_op_report *rep, struct jiku_err *err)
{
    struct jiku_artifact_list list = {0};
    struct jiku_prune_decision *dec = NULL;
    struct jiku_action *acts = NULL;
    struct jiku_buf details = JIKU_BUF_INIT;
    unsigned denied = 0;
    int r;

    if ((r = jiku_catalog_artifact_list(ctx->cat, t->info.id, NULL, false, &list, err)) != 0)
        goto out;
    if (list.n == 0)
        goto out;
    if ((dec = calloc(list.n, sizeof(*dec))) == NULL ||
        (acts = calloc(list.n, sizeof(*acts))) == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < list.n; i++)
        acts[i] = (struct jiku_action){
            .target = t, .verb = JIKU_VERB_PRUNE, .args = {.artifact = &list.items[i]}};
    /* Held before retention decides: an artifact in use is one of the reasons to keep. */
    if ((r = jiku_actions_hold(ctx, acts, list.n, err)) != 0)
        goto out;
    jiku_retention_decide(list.items, list.n, &t->retention, time(NULL), dec);
    /* What stays is free for a rollback at once, not only when this target is done. */
    for (size_t i = 0; i < list.n; i++)
        if (dec[i].what == JIKU_PRUNE_KEEP)
            jiku_actions_release(&acts[i], 1);

    /*
     * A dry run's decisions only go into the audit: one transaction for the target's, which
     * the action engine joins, not a synced commit each.  A real removal commits each of its
     * own, for it waits on the server.
     */
    if (ctx->dry_run && (r = jiku_catalog_begin(ctx->cat, true, "prune", err)) != 0)
        goto out;
    for (size_t i = 0; i < list.n; i++) {
        const struct jiku_op_report *done = &acts[i].rep;
        const struct jiku_artifact *a = &list.items[i];

        if (a->in_use &&
            jiku_buf_addf(&details, "kept %s (in use by another operation)\n", a->id) != 0)
            goto nomem;
        if (dec[i].what == JIKU_PRUNE_KEEP)
            continue;
        acts[i].args.prune = dec[i].what;
        if ((r = jiku_actions_run(ctx, &acts[i], 1, err)) != 0)
            goto out;
        if (strcmp(done->status, "denied") == 0) {
            /* The customer keeps its own artifacts: not ours to remove. */
            denied++;
            continue;
        }
        if (done->artifact != NULL &&
            jiku_buf_addf(&details, "%s %s %s (%s)\n", ctx->dry_run ? "would remove" : "removed",
                          dec[i].what == JIKU_PRUNE_ALL ? "artifact" : "server copy of",
                          done->artifact, dec[i].why) != 0)
            goto nomem;
        if (done->status_code != 0) {
            r = jiku_err_set(err, done->status_code, "%s",
                             done->error != NULL ? done->error : "out of memory");
            goto out;
        }
    }
    if (denied > 0 && jiku_buf_addf(&details,
                                    "%u artifact%s left alone: the policy does not assign their "
                                    "removal to jiku\n",
                                    denied, denied == 1 ? "" : "s") != 0)
        goto nomem;
    goto out;
nomem:
    /* A list missing a line is not shown; the audit log has each removal. */
    jiku_buf_release(&details);
    r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
out:
    /* The decisions made before a failure were made: they stay in the audit. */
    if (jiku_catalog_in_tx(ctx->cat)) {
        struct jiku_err e = {0};
        int rc = jiku_catalog_commit(ctx->cat, "prune", &e);

        if (rc != 0 && r == 0) {
            r = rc;
            *err = e;
        }
    }
    if (acts != NULL)
        jiku_actions_release(acts, list.n);
    free(acts);
    jiku_buf_rtrim(&details);
    if (details.len > 0 && !housekeeping)
        rep->details = jiku_buf_detach(&details);
    else if (details.len > 0)
        log_info("prune %s: %s", t->info.id, details.data);
    jiku_buf_release(&details);
    free(dec);
    jiku_artifact_list_release(&list);
    return r;
}

/* The sweep of SRV's snapshot_dir, as one report (target: the server's name). */
static void
sweep_server(struct jiku_session *ctx, const struct jiku_server_conf *srv, bool housekeeping)
{
    struct jiku_op_report rep = {.target = srv->info.name, .action = "sweep", .status = "ok"};
    struct jiku_buf details = JIKU_BUF_INIT;
    struct jiku_ssh *ssh = NULL;
    struct jiku_err e = {0};
    int64_t start = jiku_now_ms();
    bool swept = true;
    int r;

    if ((r = jiku_hostimpl_ssh(ctx->host, &ssh, &e)) == 0)
        r = jiku_sweep_server(ssh, ctx->cat, srv, ctx->dry_run, JIKU_SWEEP_MIN_AGE, &swept,
                              &details, &e);
    if (r == 0 && !swept) {
        jiku_buf_release(&details);
        return;
    }
    rep.duration_ms = jiku_now_ms() - start;
    jiku_buf_rtrim(&details);
    if (r != 0) {
        jiku_op_report_fail(&rep, r, e.msg);
        if (housekeeping)
            log_warn("sweep of server '%s': %s", srv->info.name, e.msg);
    }
    if (details.len > 0 && !housekeeping)
        rep.details = jiku_buf_detach(&details);
    else if (details.len > 0)
        log_info("sweep of server '%s': %s", srv->info.name, details.data);
    if (!housekeeping)
        jiku_out_operation(&ctx->out, &rep);
    jiku_op_report_release(&rep);
    jiku_buf_release(&details);
}

void
jiku_prune_targets(struct jiku_session *ctx, const struct jiku_target_conf *const *targets,
                   size_t n, bool housekeeping)
{
    size_t count = n > 0 ? n : ctx->cfg->n_targets;
    int r;

    for (size_t i = 0; i < count && !jiku_interrupted(); i++) {
        const struct jiku_target_conf *t = n > 0 ? targets[i] : &ctx->cfg->targets[i];
        struct jiku_op_report rep = {.target = t->info.id, .action = "prune", .status = "ok"};
        struct jiku_err e = {0};
        int64_t start = jiku_now_ms();

        r = prune_target(ctx, t, housekeeping, &rep, &e);
        rep.duration_ms = jiku_now_ms() - start;
        if (r != 0) {
            jiku_op_report_fail(&rep, r, e.msg);
            if (housekeeping)
                log_warn("retention of '%s': %s", t->info.id, e.msg);
        }
        if (!housekeeping)
            jiku_out_operation(&ctx->out, &rep);
        jiku_op_report_release(&rep);
    }
    /* The servers of the targets pruned, each once, that have a snapshot_dir. */
    for (size_t k = 0; k < ctx->cfg->n_servers && !jiku_interrupted(); k++) {
        const struct jiku_server_conf *srv = &ctx->cfg->servers[k];
        bool used = false;

        for (size_t i = 0; i < count && !used; i++)
            used = (n > 0 ? targets[i] : &ctx->cfg->targets[i])->server == srv;
        if (used && srv->info.snapshot_dir != NULL)
            sweep_server(ctx, srv, housekeeping);
    }
}

int
jiku_cmd_prune(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    const struct jiku_command *cmd = args->cmd;
    const struct jiku_target_conf **targets = NULL;
    struct jiku_err err = {0};
    bool all = args->n_opts > 0; /* --all */
    size_t n = 0;

    if (all == (args->argc > 0))
        return jiku_cmd_usage(ctx, cmd, "name targets, or give --all");
    if (!all) {
        targets = calloc((size_t)args->argc, sizeof(*targets));
        for (int i = 0; targets != NULL && i < args->argc; i++) {
            if (!jiku_valid_target_id(args->argv[i]))
                return jiku_cmd_usage(ctx, cmd, "invalid target name '%s'", args->argv[i]);
            if ((targets[n++] = jiku_config_target(ctx->cfg, args->argv[i])) == NULL) {
                jiku_err_set(&err, JIKU_E_NOTFOUND, "no such target '%s'", args->argv[i]);
                goto fail;
            }
        }
    }
    jiku_prune_targets(ctx, targets, n, false);
    free(targets);
    return 0;
fail:
    free(targets);
    return jiku_cmd_fail(ctx, &err);
}
