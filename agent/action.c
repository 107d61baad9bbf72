/*
 * The flow of one action.  Everything that can refuse an action without side effects
 * (policy, plugin, artifact lookup) happens in prepare(), in the main thread, before any
 * lock is taken; execute() runs in a worker under the run engine's limits.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "audit.h"
#include "catalog.h"
#include "catalog_db.h"
#include "err.h"
#include "fsutil.h"
#include "hold.h"
#include "hostimpl.h"
#include "lock.h"
#include "log.h"
#include "manifest.h"
#include "paths.h"
#include "plugin_loader.h"
#include "retry.h"
#include "run.h"
#include "sweep.h"

/* Planning's transaction (jiku_actions_run), named in its errors. */
#define PLAN "plan the run"

/* What prepare() resolved for execute(). */
struct prepared {
    struct jiku_session *ctx;
    struct jiku_action *act;
    const struct jiku_loaded_plugin *plugin;
    jiku_action_fn fn;
    jiku_action_fn snapshot_fn; /* for the safety snapshot of rollback and promote */
    const struct jiku_server_conf *dest;
    struct jiku_artifact source; /* rollback: the artifact to restore; prune: to remove */
    struct jiku_artifact_ref source_ref;
    bool nothing_left; /* prune: another process removed the artifact first */
    bool called;       /* the plugin was called: the server may hold what it made */
    bool changed;      /* the command's own action changed the server (result.changed) */
    char *unmade[2];   /* ids reserved for artifacts that were not made (no row left) */
    size_t n_unmade;
    char **keep_paths; /* rollback: artifact locations on the server, never to be removed */
    int64_t op_id;     /* the operation's row in the catalog; 0 before begin_op */
    char nonce[JIKU_NONCE_SIZE];
    /* The automatic rollback after a failed one that changed the server (undo_failure). */
    int64_t undo_op_id; /* its operation, recorded after the failed one's (finish_undo) */
    int undo_status;
    char *undo_error;
};

/* What the engine does for each verb it runs; a verb not listed is one plain plugin call. */
static const struct verb_rule {
    bool safety;       /* a safety snapshot first: live data is not touched without a way back */
    bool dry_run_asks; /* a dry run asks the plugin what would change; otherwise it decides only */
    bool restores;     /* takes an artifact of the target (--to), held shared until the end */
    /*
     * Removes the artifact it is given (ARGS.artifact), as the policy action that made it
     * allows (jiku_action_for), held exclusively without waiting (jiku_actions_hold: what
     * another process holds is kept), so with no target lock: the plugin removes the server
     * copy, then the backup_dir copy goes and the catalog row follows what went.
     */
    bool removes;
    bool step;    /* a step of the caller's report: no decision line, operation row or report */
    bool updates; /* the update flow (run_update): its safety snapshot only when one is pending */
    bool makes;   /* makes an artifact of KIND */
    enum jiku_artifact_kind kind;
    /*
     * Mail accounts and application users: one request (ARGS.login) whose list reads only, so
     * it takes no target lock, and whose items are printed as JSON lines of this type.
     */
    const char *logins;
} verb_rules[JIKU_VERB_COUNT] = {
    [JIKU_VERB_SNAPSHOT] = {.makes = true, .kind = JIKU_ARTIFACT_SNAPSHOT},
    [JIKU_VERB_BACKUP] = {.makes = true, .kind = JIKU_ARTIFACT_BACKUP},
    [JIKU_VERB_ROLLBACK] = {.safety = true, .dry_run_asks = true, .restores = true},
    [JIKU_VERB_PROMOTE] = {.safety = true},
    [JIKU_VERB_PRUNE] = {.removes = true, .step = true},
    [JIKU_VERB_UPDATE] = {.safety = true, .dry_run_asks = true, .updates = true},
    [JIKU_VERB_MAIL] = {.dry_run_asks = true, .logins = "mail-account"},
    [JIKU_VERB_USERS] = {.dry_run_asks = true, .logins = "user"},
};

/* What --staged runs besides the update itself, each decided by its own policy action. */
static const enum jiku_verb staged_verbs[] = {JIKU_VERB_STAGE, JIKU_VERB_PROMOTE};

/* A dry run of VERB that only decides: no lock, no plugin, reported as skipped. */
static bool
decides_only(const struct jiku_session *ctx, enum jiku_verb verb)
{
    return ctx->dry_run && !verb_rules[verb].dry_run_asks;
}

/* Audit one decision (allowed or not) of this run. */
static int
audit_decision(struct jiku_session *ctx, const struct jiku_decision *d, const char *target,
               struct jiku_err *err)
{
    struct jiku_audit_record rec = {
        .run_id = ctx->run_id,
        .event = "decision",
        .actor = ctx->actor,
        .customer = d->customer,
        .tier = d->tier,
        .target = target,
        .action = d->action,
        .decision = d->allowed ? "allow" : "deny",
        .reason = d->reason,
        .source = d->source[0] != '\0' ? d->source : NULL,
        .dry_run = ctx->dry_run,
    };

    return jiku_audit_append(ctx->cat, &rec, err);
}

/* rollback --to ID|latest: a good artifact of this very target. */
static int
find_source(struct jiku_session *ctx, const struct jiku_action *act, struct jiku_artifact *out,
            struct jiku_err *err)
{
    const char *to = act->args.to != NULL ? act->args.to : "latest";
    struct jiku_artifact_list list = {0};
    int r;

    if (strcmp(to, "latest") != 0) {
        if ((r = jiku_catalog_artifact_get(ctx->cat, to, out, err)) != 0)
            return r;
        if (strcmp(out->target, act->target->info.id) != 0 || out->status != JIKU_ART_GOOD) {
            jiku_artifact_release(out);
            return jiku_err_set(err, JIKU_E_NOTFOUND,
                                "artifact '%s' is not a good artifact of "
                                "'%s'",
                                to, act->target->info.id);
        }
        return 0;
    }
    if ((r = jiku_catalog_artifact_list(ctx->cat, act->target->info.id, NULL, false, &list, err)) !=
        0)
        return r;
    r = jiku_err_set(err, JIKU_E_NOTFOUND, "no good snapshot or backup of '%s' to roll back to",
                     act->target->info.id);
    for (size_t i = 0; i < list.n; i++) {
        struct jiku_artifact *a = &list.items[i];

        /* "latest" never means a safety snapshot: those are named by id. */
        if (a->status == JIKU_ART_GOOD && a->kind != JIKU_ARTIFACT_SAFETY) {
            *out = *a;
            memset(a, 0, sizeof(*a));
            r = 0;
            break;
        }
    }
    jiku_artifact_list_release(&list);
    if (r == 0)
        jiku_err_clear(err);
    return r;
}

/*
 * Hold the chosen source until the operation ends, so that no prune in any process removes it
 * meanwhile (hold.h), then read it again: a prune that held it first may have removed it, or
 * its server copy, before this hold was granted.
 */
static int
hold_source(struct jiku_session *ctx, struct prepared *p, struct jiku_err *err)
{
    struct jiku_artifact now = {0};
    struct jiku_err e = {0};
    int r, r2;

    if (!jiku_catalog_in_tx(ctx->cat))
        r = jiku_artifact_hold(ctx->cfg->state_dir, p->source.id, true, ctx->lock_wait,
                               &p->act->hold, err);
    else if ((r = jiku_artifact_hold(ctx->cfg->state_dir, p->source.id, true, 0, &p->act->hold,
                                     err)) == JIKU_E_BUSY &&
             ctx->lock_wait != 0) {
        /*
         * Never wait for another process while holding the state's write lock (planning's
         * transaction): it may need that lock to finish and let go of the artifact.
         */
        if ((r = jiku_catalog_commit(ctx->cat, PLAN, err)) != 0)
            return r; /* the planning loop finds its transaction gone */
        r = jiku_artifact_hold(ctx->cfg->state_dir, p->source.id, true, ctx->lock_wait,
                               &p->act->hold, err);
        if ((r2 = jiku_catalog_begin(ctx->cat, true, PLAN, &e)) != 0)
            return jiku_err_set(err, r2, "%s", e.msg);
    }
    if (r != 0)
        return r;
    if ((r = jiku_catalog_artifact_get(ctx->cat, p->source.id, &now, err)) != 0)
        return r;
    if (now.status != JIKU_ART_GOOD) {
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "artifact '%s' was pruned meanwhile", now.id);
        jiku_artifact_release(&now);
        return r;
    }
    jiku_artifact_release(&p->source);
    p->source = now;
    return 0;
}

int
jiku_actions_hold(struct jiku_session *ctx, struct jiku_action *acts, size_t n,
                  struct jiku_err *err)
{
    for (size_t i = 0; i < n; i++) {
        struct jiku_artifact *a = acts[i].args.artifact;
        struct jiku_err e = {0};
        int r;

        if (!verb_rules[acts[i].verb].removes || a == NULL || a->status != JIKU_ART_GOOD ||
            acts[i].hold != NULL)
            continue;
        r = jiku_artifact_hold(ctx->cfg->state_dir, a->id, false, 0, &acts[i].hold, &e);
        if (r == JIKU_E_BUSY)
            a->in_use = true;
        else if (r != 0)
            return jiku_err_set(err, r, "%s", e.msg);
    }
    return 0;
}

/*
 * The artifact to remove, held (by jiku_actions_hold, or here, without waiting) and read again
 * under the hold: another prune may have removed it, or its server copy, since the caller
 * listed it.  Then there is nothing left to do.
 */
static int
hold_removal(struct jiku_session *ctx, struct prepared *p, struct jiku_err *err)
{
    struct jiku_action *act = p->act;
    struct jiku_artifact now = {0};
    int r;

    if (act->args.artifact == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "prune of '%s' without an artifact",
                            act->target->info.id);
    if (act->hold == NULL && (r = jiku_artifact_hold(ctx->cfg->state_dir, act->args.artifact->id,
                                                     false, 0, &act->hold, err)) != 0)
        return r;
    if ((r = jiku_catalog_artifact_get(ctx->cat, act->args.artifact->id, &now, err)) != 0)
        return r;
    if (now.status != JIKU_ART_GOOD ||
        (act->args.prune == JIKU_PRUNE_SERVER_COPY && now.location == NULL)) {
        jiku_artifact_release(&now);
        p->nothing_left = true;
        return 0;
    }
    p->source = now;
    jiku_artifact_ref_of(&p->source, &p->source_ref);
    if ((act->rep.artifact = strdup(now.id)) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

/* The policy action that governs ACT: prune's is that of the action that made the artifact. */
static const char *
governing_action(const struct jiku_action *act)
{
    enum jiku_verb verb = act->verb;

    if (verb_rules[verb].removes && act->args.artifact != NULL)
        verb = act->args.artifact->kind == JIKU_ARTIFACT_BACKUP ? JIKU_VERB_BACKUP
                                                                : JIKU_VERB_SNAPSHOT;
    return jiku_action_for(verb, act->target->info.kind);
}

static void
report_init(struct jiku_action *act)
{
    struct jiku_op_report *rep = &act->rep;

    memset(rep, 0, sizeof(*rep));
    rep->target = act->target->info.id;
    rep->action = jiku_verb_name(act->verb); /* the policy action, once decided */
    rep->status = "skipped";
    rep->request = act->args.request;
    rep->login_type = verb_rules[act->verb].logins;
}

/* The plugin's parameters for the command's own action (not for a safety snapshot). */
static void
action_params(const struct prepared *p, const char *operation_id, struct jiku_op_params *out)
{
    const struct jiku_action *act = p->act;

    *out = (struct jiku_op_params){
        .dry_run = p->ctx->dry_run,
        .mode = act->args.mode,
        .artifact = p->source.id != NULL ? &p->source_ref : NULL,
        .domain = act->args.domain,
        .dest_server = p->dest != NULL ? &p->dest->info : NULL,
        .as_user = act->args.as_user,
        .operation_id = operation_id,
        .keep_paths = (const char *const *)p->keep_paths,
        .login = verb_rules[act->verb].logins != NULL ? &act->args.login : NULL,
    };
}

/* The update's parameters for ACT's target: its keys, --only, and its server's web port. */
static void
update_params(const struct jiku_action *act, struct jiku_update_params *u)
{
    const struct jiku_target_conf *t = act->target;

    *u = (struct jiku_update_params){
        .components = t->update.components & (act->args.only != 0 ? act->args.only : ~0u),
        .core_major = t->update.core_major,
        .exclude = t->update.exclude,
        .health_path = t->update.health_path,
        .health_text = t->update.health_text,
        .health_timeout = t->update.health_timeout,
        .web_port = t->server->web_port,
    };
}

/* The plugin's own refusals (its check()), while nothing has happened yet. */
static int
plugin_check(const struct prepared *p, struct jiku_err *err)
{
    const struct jiku_target_conf *t = p->act->target;
    struct jiku_update_params update;
    struct jiku_op_params params;
    struct jiku_op op = {
        .server = &t->server->info,
        .target = &t->info,
        .params = &params,
        .plugin_state = p->plugin->state,
    };

    if (p->plugin->desc.check == NULL)
        return 0;
    action_params(p, "check", &params);
    if (verb_rules[p->act->verb].updates) {
        update_params(p->act, &update);
        params.update = &update;
    }
    return p->plugin->desc.check(&op, p->act->verb, err);
}

/*
 * The policy's decision on ACTION for ACT's target into D, printed (SHOW) and audited: 0 when
 * allowed, JIKU_E_DENIED with its reason when not.
 */
static int
decide(struct jiku_session *ctx, const struct jiku_action *act, const char *action, bool show,
       struct jiku_decision *d, struct jiku_err *err)
{
    const struct jiku_target_conf *t = act->target;
    int r = jiku_policy_decide(ctx->cfg->policies, t->customer, action, d, err);

    if (d->reason[0] != '\0') {
        if (show)
            jiku_out_decision(&ctx->out, d, t->info.id, ctx->dry_run);
        if (audit_decision(ctx, d, t->info.id, err) != 0)
            return err->status;
    }
    if (r != 0)
        return r;
    if (!d->allowed)
        return jiku_err_set(err, JIKU_E_DENIED, "%s", d->reason);
    return 0;
}

/* Everything that may refuse before a side effect. 0: go on; otherwise REP says why not. */
static int
prepare(struct jiku_session *ctx, struct prepared *p, struct jiku_err *err)
{
    struct jiku_action *act = p->act;
    const struct verb_rule *rule = &verb_rules[act->verb];
    const struct jiku_target_conf *t = act->target;
    const char *action = governing_action(act);
    int r;

    report_init(act);
    if (action == NULL)
        return jiku_err_set(err, JIKU_E_USAGE, "%s is not an action for %s targets",
                            jiku_verb_name(act->verb), jiku_kind_name(t->info.kind));

    r = decide(ctx, act, action, !rule->step, &act->decision, err);
    act->rep.action = act->decision.action != NULL ? act->decision.action : action;
    if (r != 0)
        return r;
    /* --staged also stages and promotes: each needs its own assignment, decided and audited. */
    for (size_t i = 0; rule->updates && act->args.staged && i < 2; i++) {
        struct jiku_decision d;

        if ((r = decide(ctx, act, jiku_action_for(staged_verbs[i], t->info.kind), true, &d, err)) !=
            0)
            return jiku_err_prefix(err, "update --staged needs %s too",
                                   jiku_action_for(staged_verbs[i], t->info.kind));
    }

    if (act->args.dest_server != NULL &&
        (p->dest = jiku_config_server(ctx->cfg, act->args.dest_server)) == NULL)
        return jiku_err_set(err, JIKU_E_NOTFOUND, "no such server '%s'", act->args.dest_server);
    if (p->dest != NULL && strcmp(p->dest->info.panel, t->server->info.panel) != 0)
        return jiku_err_set(err, JIKU_E_USAGE, "cannot clone a %s target onto %s server '%s'",
                            t->server->info.panel, p->dest->info.panel, p->dest->info.name);

    if (rule->restores) {
        if ((r = find_source(ctx, act, &p->source, err)) != 0 ||
            (r = hold_source(ctx, p, err)) != 0 ||
            (r = jiku_catalog_server_locations(ctx->cat, t->server->info.name, &p->keep_paths,
                                               err)) != 0)
            return r;
        jiku_artifact_ref_of(&p->source, &p->source_ref);
    }
    if (rule->removes && (r = hold_removal(ctx, p, err)) != 0)
        return r;

    /* No plugin for a dry run that decides only, nor to remove only a backup_dir copy. */
    if (decides_only(ctx, act->verb) || p->nothing_left ||
        (rule->removes && p->source.location == NULL))
        return 0;
    if ((r = jiku_plugins_get(ctx->plugins, t->server->info.panel, ctx->host_table, &p->plugin,
                              err)) != 0)
        return r;
    p->fn = jiku_plugin_action(p->plugin, act->verb, t->info.kind);
    p->snapshot_fn = jiku_plugin_action(p->plugin, JIKU_VERB_SNAPSHOT, t->info.kind);
    if (p->fn == NULL || (rule->safety && p->snapshot_fn == NULL))
        return jiku_err_set(err, JIKU_E_UNSUPPORTED, "panel %s cannot %s %s targets",
                            t->server->info.panel, jiku_verb_name(act->verb),
                            jiku_kind_name(t->info.kind));
    for (size_t i = 0; rule->updates && act->args.staged && i < 2; i++)
        if (jiku_plugin_action(p->plugin, staged_verbs[i], t->info.kind) == NULL)
            return jiku_err_set(err, JIKU_E_UNSUPPORTED, "panel %s cannot %s %s targets",
                                t->server->info.panel, jiku_verb_name(staged_verbs[i]),
                                jiku_kind_name(t->info.kind));
    return plugin_check(p, err);
}

void
jiku_op_result_release(struct jiku_op_result *res)
{
    free(res->location);
    free(res->backup_path);
    free(res->warnings);
    free(res->panel_version);
    free(res->details);
    for (size_t i = 0; i < res->n_inventory && res->inventory != NULL; i++) {
        struct jiku_inventory_item *it = &res->inventory[i];

        free(it->account);
        free(it->domain);
        free(it->path);
        free(it->owner);
        free(it->detail);
    }
    free(res->inventory);
    jiku_update_items_free(res->updates, res->n_updates);
    jiku_login_items_free(res->logins, res->n_logins);
    memset(res, 0, sizeof(*res));
}

/* One call of a plugin's action FN on server S, for target T (NULL: the whole server). */
static int
plugin_call(struct jiku_session *ctx, const struct jiku_loaded_plugin *lp, jiku_action_fn fn,
            const struct jiku_server_conf *s, const struct jiku_target_conf *t,
            const struct jiku_op_params *params, struct jiku_op_result *result,
            struct jiku_err *err)
{
    struct jiku_op_core core = {.host = ctx->host, .plugin_name = lp->desc.name};
    struct jiku_op op = {
        .host = ctx->host_table,
        .server = &s->info,
        .target = t != NULL ? &t->info : NULL,
        .params = params,
        .result = result,
        .plugin_state = lp->state,
        .core = &core,
    };

    return fn(&op, err);
}

int
jiku_action_plugin(struct jiku_session *ctx, const struct jiku_target_conf *t, enum jiku_verb verb,
                   const struct jiku_op_params *params, struct jiku_op_result *result,
                   struct jiku_err *err)
{
    const struct jiku_loaded_plugin *lp;
    jiku_action_fn fn;
    int r;

    if ((r = jiku_plugins_get(ctx->plugins, t->server->info.panel, ctx->host_table, &lp, err)) != 0)
        return r;
    if ((fn = jiku_plugin_action(lp, verb, t->info.kind)) == NULL)
        return jiku_err_set(err, JIKU_E_UNSUPPORTED, "panel %s cannot %s %s targets",
                            t->server->info.panel, jiku_verb_name(verb),
                            jiku_kind_name(t->info.kind));
    return plugin_call(ctx, lp, fn, t->server, t, params, result, err);
}

int
jiku_action_server_plugin(struct jiku_session *ctx, const struct jiku_server_conf *s,
                          enum jiku_verb verb, const struct jiku_op_params *params,
                          struct jiku_op_result *result, struct jiku_err *err)
{
    const struct jiku_loaded_plugin *lp;
    jiku_action_fn fn = NULL;
    int r;

    if ((r = jiku_plugins_get(ctx->plugins, s->info.panel, ctx->host_table, &lp, err)) != 0)
        return r;
    /* registered under the panel's main kind, whichever that is (plugin.h) */
    for (size_t i = 0; i < lp->desc.n_actions && fn == NULL; i++)
        if (lp->desc.actions[i].verb == verb)
            fn = lp->desc.actions[i].fn;
    if (fn == NULL)
        return jiku_err_set(err, JIKU_E_UNSUPPORTED, "plugin %s %s has no %s action", lp->desc.name,
                            lp->desc.version, jiku_verb_name(verb));
    return plugin_call(ctx, lp, fn, s, NULL, params, result, err);
}

/*
 * Make one artifact of KIND with FN (the plugin's snapshot or backup).  The catalog row is
 * reserved first (the id names server-side directories) and becomes good only after the
 * plugin verified what it made; a failure leaves no row and no local files.
 */
static int
make_artifact(struct prepared *p, jiku_action_fn fn, enum jiku_artifact_kind kind,
              const char *operation_id, char **id_out, char **warnings, struct jiku_err *err)
{
    struct jiku_session *ctx = p->ctx;
    const struct jiku_target_conf *t = p->act->target;
    struct jiku_artifact a = {
        .customer = t->customer->name,
        .target = (char *)t->info.id,
        .kind = kind,
        .server = (char *)t->server->info.name,
        .panel = (char *)t->server->info.panel,
        .created = time(NULL),
        .status = JIKU_ART_PENDING,
    };
    struct jiku_buf dir = JIKU_BUF_INIT;
    struct jiku_op_result result = {0};
    struct jiku_op_params params = {
        .dry_run = false,
        .operation_id = operation_id,
    };
    char *id = NULL;
    int r;

    if ((r = jiku_catalog_artifact_reserve(ctx->cat, &a, &id, err)) != 0)
        return r;
    params.new_artifact_id = id;
    if (kind == JIKU_ARTIFACT_BACKUP) {
        if (jiku_buf_addf(&dir, "%s/%s/%s/%s", ctx->cfg->backup_dir, t->info.customer, t->info.name,
                          id) != 0) {
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            goto out;
        }
        if ((r = jiku_mkdir_private(dir.data, err)) != 0)
            goto out;
        params.backup_dir = dir.data;
    }

    p->called = true;
    if ((r = plugin_call(ctx, p->plugin, fn, t->server, t, &params, &result, err)) != 0)
        goto out;
    if (result.location == NULL && result.backup_path == NULL) {
        r = jiku_err_set(err, JIKU_E_PLUGIN, "plugin %s reported success without an archive",
                         p->plugin->desc.name);
        goto out;
    }
    a.id = id;
    a.location = result.location;
    a.backup_path = result.backup_path;
    a.size = result.size;
    a.md5 = result.md5[0] != '\0' ? result.md5 : NULL;
    a.sha256 = result.sha256[0] != '\0' ? result.sha256 : NULL;
    a.warnings = result.warnings;
    a.status = JIKU_ART_GOOD;
    if (kind == JIKU_ARTIFACT_BACKUP &&
        (r = jiku_manifest_write(dir.data, &a, JIKU_VERSION, err)) != 0)
        goto out;
    if ((r = jiku_catalog_artifact_update(ctx->cat, &a, err)) != 0)
        goto out;
    if (result.warnings != NULL && warnings != NULL)
        *warnings = strdup(result.warnings);
    *id_out = id;
    id = NULL;
out:
    if (r != 0 && id != NULL) {
        struct jiku_err e2 = {0};

        if (jiku_catalog_artifact_delete(ctx->cat, id, &e2) != 0)
            log_warn("%s", e2.msg);
        if (dir.len > 0 && jiku_remove_tree(dir.data, &e2) != 0)
            log_warn("%s", e2.msg);
        /* Its server directories are named after it: what an interrupt left is looked for. */
        if (p->called && p->n_unmade < sizeof(p->unmade) / sizeof(p->unmade[0])) {
            p->unmade[p->n_unmade++] = id;
            id = NULL;
        }
    }
    jiku_op_result_release(&result);
    free(id);
    jiku_buf_release(&dir);
    return r;
}

/*
 * One call of FN (the command's own action, or a step of the update flow with UPDATE) with the
 * command's parameters.  *CHANGED follows the plugin's result; an update's components replace
 * the report's, on failure too.
 */
static int
call_plugin(struct prepared *p, jiku_action_fn fn, const struct jiku_update_params *update,
            const char *operation_id, bool *changed, struct jiku_err *err)
{
    struct jiku_session *ctx = p->ctx;
    struct jiku_action *act = p->act;
    struct jiku_op_report *rep = &act->rep;
    const struct jiku_target_conf *t = act->target;
    struct jiku_op_result result = {0};
    struct jiku_op_params params;
    bool items_ok;
    int r;

    action_params(p, operation_id, &params);
    params.update = update;
    p->called = true;
    r = plugin_call(ctx, p->plugin, fn, t->server, t, &params, &result, err);

    *changed = result.changed;
    if (r == 0 && result.details != NULL) {
        free(rep->details);
        rep->details = strdup(result.details);
    }
    if (r == 0 && result.warnings != NULL) {
        free(rep->warnings);
        rep->warnings = strdup(result.warnings);
    }
    items_ok = result.n_updates == 0 || result.updates != NULL;
    for (size_t i = 0; items_ok && i < result.n_updates; i++)
        items_ok = (unsigned)result.updates[i].component < JIKU_UPDATE_COMPONENT_COUNT &&
                   result.updates[i].name != NULL;
    if (!items_ok && r == 0) {
        r = jiku_err_set(err, JIKU_E_PLUGIN,
                         "plugin %s reported an update without a component or a name",
                         p->plugin->desc.name);
    } else if (items_ok && result.n_updates > 0) {
        jiku_update_items_free(rep->updates, rep->n_updates);
        rep->updates = result.updates;
        rep->n_updates = result.n_updates;
        result.updates = NULL;
        result.n_updates = 0;
    }
    for (size_t i = 0; r == 0 && i < result.n_logins; i++)
        if (result.logins == NULL || result.logins[i].name == NULL)
            r = jiku_err_set(err, JIKU_E_PLUGIN, "plugin %s listed a login without a name",
                             p->plugin->desc.name);
    if (r == 0 && result.n_logins > 0) {
        rep->logins = result.logins;
        rep->n_logins = result.n_logins;
        result.logins = NULL;
        result.n_logins = 0;
    }
    jiku_op_result_release(&result);
    return r;
}

/*
 * Remove what ARGS.prune says of the artifact held for it: the server copy through the plugin,
 * and for all of it the backup_dir copy (the archive and its manifest share the artifact's own
 * directory).  The catalog follows only what really went; once the row is pruned, the hold's
 * file goes too.
 */
static int
remove_artifact(struct prepared *p, const char *operation_id, struct jiku_err *err)
{
    struct jiku_session *ctx = p->ctx;
    struct jiku_artifact *a = &p->source;
    bool changed;
    int r;

    if (a->location != NULL) {
        if ((r = call_plugin(p, p->fn, NULL, operation_id, &changed, err)) != 0)
            return r;
        free(a->location);
        a->location = NULL;
    }
    if (p->act->args.prune == JIKU_PRUNE_ALL) {
        if (a->backup_path != NULL) {
            char *dir = strdup(a->backup_path);

            if (dir == NULL)
                return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            r = jiku_remove_tree(dirname(dir), err);
            free(dir);
            if (r != 0)
                return r;
        }
        a->status = JIKU_ART_PRUNED;
    }
    if ((r = jiku_catalog_artifact_update(ctx->cat, a, err)) != 0)
        return r;
    if (a->status == JIKU_ART_PRUNED)
        jiku_artifact_hold_forget(ctx->cfg->state_dir, a->id);
    return 0;
}

/*
 * An artifact row stays pending only while the operation making it holds the target's lock.
 * Under that lock, a pending row is what a crashed run left: it never became an artifact.
 */
static int
drop_stale_pending(struct jiku_session *ctx, const struct jiku_target_conf *t, struct jiku_err *err)
{
    struct jiku_artifact_list list = {0};
    int r;

    if ((r = jiku_catalog_artifact_list(ctx->cat, t->info.id, NULL, false, &list, err)) != 0)
        return r;
    for (size_t i = 0; i < list.n && r == 0; i++) {
        if (list.items[i].status != JIKU_ART_PENDING)
            continue;
        log_warn("%s: dropping artifact '%s', left pending by an interrupted run", t->info.id,
                 list.items[i].id);
        r = jiku_catalog_artifact_delete(ctx->cat, list.items[i].id, err);
    }
    jiku_artifact_list_release(&list);
    return r;
}

/*
 * After an interrupt, what the operation made on a server carries its names: its own (job
 * directories, a clone's relay) and the ids of artifacts it did not finish.  Looked for in
 * the grace, after the plugin removed what it could; what is still there is logged and
 * recorded on the operation, where prune's sweep finds it.  When the server cannot be asked
 * any more, the names are recorded instead ("SERVER:?NAME").
 */
static void
record_leftovers(struct prepared *p, int64_t op_id, const char *opname)
{
    struct jiku_session *ctx = p->ctx;
    const struct jiku_target_conf *t = p->act->target;
    const struct jiku_server_conf *servers[2] = {t->server, p->dest};
    const char *names[3] = {opname, NULL, NULL};
    struct jiku_buf text = JIKU_BUF_INIT, found = JIKU_BUF_INIT;
    size_t n = 1;

    for (size_t i = 0; i < p->n_unmade; i++)
        names[n++] = p->unmade[i];
    for (size_t i = 0; i < 2; i++) {
        const struct jiku_server_conf *srv = servers[i];
        struct jiku_ssh *ssh = NULL;
        struct jiku_err e = {0};

        if (srv == NULL || srv->info.snapshot_dir == NULL || (i == 1 && srv == servers[0]))
            continue;
        jiku_buf_reset(&found);
        if (jiku_hostimpl_ssh(ctx->host, &ssh, &e) != 0 ||
            jiku_sweep_find_named(ssh, srv, names, n, &found, &e) != 0) {
            log_warn("%s: cannot look for what the interrupted operation left on server '%s': %s",
                     t->info.id, srv->info.name, e.msg);
            for (size_t k = 0; k < n; k++)
                if (jiku_buf_addf(&text, "%s:?%s\n", srv->info.name, names[k]) != 0)
                    goto nomem;
            continue;
        }
        for (const char *l = found.data; *l != '\0';) {
            size_t len = strcspn(l, "\n");

            log_warn("%s: the interrupted operation left '%.*s' on server '%s'; prune removes it "
                     "once it is a day old",
                     t->info.id, (int)len, l, srv->info.name);
            if (jiku_buf_addf(&text, "%s:%.*s\n", srv->info.name, (int)len, l) != 0)
                goto nomem;
            l += len;
            if (*l == '\n')
                l++;
        }
    }
    if (text.len > 0) {
        struct jiku_err e = {0};

        if (jiku_catalog_op_leftovers(ctx->cat, op_id, text.data, &e) != 0)
            log_error("%s", e.msg);
    }
    goto out;
nomem:
    log_error("%s: cannot record what the interrupted operation left: out of memory", t->info.id);
out:
    jiku_buf_release(&found);
    jiku_buf_release(&text);
}

/*
 * Restore the safety snapshot SAFETY through the plugin's rollback of the target's kind, exact,
 * as an operation of its own: begun here, ended and audited by finish_undo after the failed one.
 */
static int
undo(struct prepared *p, const char *safety, struct jiku_err *err)
{
    struct jiku_session *ctx = p->ctx;
    const struct jiku_target_conf *t = p->act->target;
    const char *action = jiku_action_for(JIKU_VERB_ROLLBACK, t->info.kind);
    struct jiku_artifact art = {0};
    struct jiku_artifact_ref ref;
    struct jiku_op_result result = {0};
    struct jiku_op_params params;
    struct jiku_lock *hold = NULL;
    struct jiku_buf name = JIKU_BUF_INIT;
    char nonce[JIKU_NONCE_SIZE], **keep = NULL;
    jiku_action_fn fn;
    int r;

    if ((r = jiku_catalog_op_begin_nonce(ctx->cat, ctx->run_id, t->info.id,
                                         action != NULL ? action : "rollback", nonce,
                                         &p->undo_op_id, err)) != 0)
        return r;
    if (jiku_catalog_op_name(ctx->run_id, p->undo_op_id, nonce, &name) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((fn = jiku_plugin_action(p->plugin, JIKU_VERB_ROLLBACK, t->info.kind)) == NULL) {
        r = jiku_err_set(err, JIKU_E_UNSUPPORTED, "panel %s cannot roll back %s targets",
                         t->server->info.panel, jiku_kind_name(t->info.kind));
        goto out;
    }
    /* Held like any rollback's source, and the locations read now: the safety is among them. */
    if ((r = jiku_artifact_hold(ctx->cfg->state_dir, safety, true, ctx->lock_wait, &hold, err)) !=
            0 ||
        (r = jiku_catalog_artifact_get(ctx->cat, safety, &art, err)) != 0 ||
        (r = jiku_catalog_server_locations(ctx->cat, t->server->info.name, &keep, err)) != 0)
        goto out;
    jiku_artifact_ref_of(&art, &ref);
    params = (struct jiku_op_params){
        .mode = JIKU_ROLLBACK_EXACT,
        .artifact = &ref,
        .operation_id = name.data,
        .keep_paths = (const char *const *)keep,
    };
    log_warn("%s: %s failed after it changed the server; restoring safety snapshot '%s'",
             t->info.id, jiku_verb_name(p->act->verb), safety);
    r = plugin_call(ctx, p->plugin, fn, t->server, t, &params, &result, err);
out:
    jiku_op_result_release(&result);
    jiku_strv_free(keep);
    jiku_artifact_release(&art);
    jiku_lock_release(hold);
    jiku_buf_release(&name);
    return r;
}

/*
 * The command's own rollback or promote failed (R, ERR) after its safety snapshot.  When the
 * plugin had changed the server, the snapshot is restored at once (auto_rollback, on unless
 * the target or [agent] says no); ERR then names both outcomes and the status is a plain
 * failure (exit 1).  Never after an interrupt, which asks to stop, nor when the server stopped
 * answering: the panel's job may still be running, and a second restore would race it.
 */
static int
after_failure(struct prepared *p, int r, bool changed, struct jiku_err *err)
{
    const struct jiku_op_report *rep = &p->act->rep;
    const char *verb = jiku_verb_name(p->act->verb);
    struct jiku_err e2 = {0};

    if (!changed || r == JIKU_E_INTERRUPTED || r == JIKU_E_UNREACHABLE) {
        jiku_err_prefix(err, "%s %s; the state before it is in safety snapshot '%s'", verb,
                        r == JIKU_E_INTERRUPTED ? "interrupted" : "failed", rep->safety_artifact);
        return r;
    }
    if (!jiku_auto_rollback(p->ctx->cfg, p->act->target)) {
        jiku_err_prefix(err,
                        "%s failed and left the server changed (auto_rollback = no); the state "
                        "before it is in safety snapshot '%s'",
                        verb, rep->safety_artifact);
        return r;
    }
    p->undo_status = undo(p, rep->safety_artifact, &e2);
    if (p->undo_status == 0) {
        jiku_err_prefix(err,
                        "%s failed; automatic rollback (operation %lld) restored the state before "
                        "it from safety snapshot '%s'",
                        verb, (long long)p->undo_op_id, rep->safety_artifact);
    } else {
        p->undo_error = strdup(e2.msg);
        jiku_err_prefix(err,
                        "%s failed, and so did its automatic rollback (operation %lld: %.300s); "
                        "the state before it is in safety snapshot '%s'",
                        verb, (long long)p->undo_op_id, e2.msg, rep->safety_artifact);
    }
    /* An interrupt that stopped the automatic rollback is the run's outcome (130). */
    err->status = p->undo_status == JIKU_E_INTERRUPTED ? JIKU_E_INTERRUPTED : JIKU_E_FAILED;
    return err->status;
}

/*
 * The update flow (docs/ARCHITECTURE.md, "Updates"), under the target's lock: what is pending
 * (LIST: read-only, all a dry run does; nothing pending ends it, with no safety snapshot),
 * then the safety snapshot and APPLY.  With --staged, STAGE refreshes the staging copy and
 * STAGING updates and checks it before the safety snapshot, so a staging copy that fails
 * leaves live untouched; then PROMOTE and CHECK, live's health after it.  A failure after
 * live changed is undone by after_failure.
 */
static int
run_update(struct prepared *p, const char *opid, struct jiku_err *err)
{
    struct jiku_session *ctx = p->ctx;
    struct jiku_action *act = p->act;
    struct jiku_op_report *rep = &act->rep;
    enum jiku_target_kind kind = act->target->info.kind;
    struct jiku_update_params u;
    bool changed = false;
    int r;

    update_params(act, &u);
    u.step = JIKU_UPDATE_LIST;
    if ((r = call_plugin(p, p->fn, &u, opid, &changed, err)) != 0 || ctx->dry_run ||
        rep->n_updates == 0)
        return r;
    if (act->args.staged) {
        if ((r = call_plugin(p, jiku_plugin_action(p->plugin, JIKU_VERB_STAGE, kind), NULL, opid,
                             &changed, err)) != 0)
            return jiku_err_prefix(err, "refreshing the staging copy failed; live was not touched");
        u.step = JIKU_UPDATE_STAGING;
        if ((r = call_plugin(p, p->fn, &u, opid, &changed, err)) != 0)
            return jiku_err_prefix(err, "the staging copy failed its update; live was not touched");
    }
    if ((r = make_artifact(p, p->snapshot_fn, JIKU_ARTIFACT_SAFETY, opid, &rep->safety_artifact,
                           NULL, err)) != 0)
        return jiku_err_prefix(err, "safety snapshot failed, nothing was changed");
    if (act->args.staged) {
        u.step = JIKU_UPDATE_CHECK;
        /* A promote that succeeded changed live, whatever it said. */
        if ((r = call_plugin(p, jiku_plugin_action(p->plugin, JIKU_VERB_PROMOTE, kind), NULL, opid,
                             &p->changed, err)) == 0) {
            p->changed = true;
            r = call_plugin(p, p->fn, &u, opid, &changed, err);
        }
    } else {
        u.step = JIKU_UPDATE_APPLY;
        r = call_plugin(p, p->fn, &u, opid, &p->changed, err);
    }
    return r != 0 ? after_failure(p, r, p->changed, err) : 0;
}

static int
execute(struct prepared *p, struct jiku_err *err)
{
    struct jiku_session *ctx = p->ctx;
    struct jiku_action *act = p->act;
    const struct verb_rule *rule = &verb_rules[act->verb];
    struct jiku_op_report *rep = &act->rep;
    struct jiku_lock *lock = NULL;
    int64_t start = jiku_now_ms();
    struct jiku_buf name = JIKU_BUF_INIT;
    const char *opid;
    int r;

    /*
     * What plugins name the operation's directories on servers by: the nonce makes it ours.  A
     * step of the caller's report has no operation of its own; a removal is named by its
     * artifact.
     */
    if (rule->removes) {
        opid = p->source.id;
    } else if (jiku_catalog_op_name(ctx->run_id, p->op_id, p->nonce, &name) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    } else {
        opid = name.data;
    }

    /*
     * A dry run reads only: no lock, no safety snapshot; nor does a list of mail accounts or
     * users.  A removal works under its hold.
     */
    if (!ctx->dry_run && !rule->removes &&
        !(rule->logins != NULL && act->args.login.op == JIKU_LOGIN_LIST) &&
        ((r = jiku_lock_target(ctx->cfg->state_dir, act->target, ctx->lock_wait, &lock, err)) !=
             0 ||
         (r = drop_stale_pending(ctx, act->target, err)) != 0))
        goto out;

    if (rule->removes) {
        r = remove_artifact(p, opid, err);
    } else if (rule->updates) {
        r = run_update(p, opid, err);
    } else if (rule->makes) {
        r = make_artifact(p, p->fn, rule->kind, opid, &rep->artifact, &rep->warnings, err);
    } else if (rule->safety && !ctx->dry_run &&
               (r = make_artifact(p, p->snapshot_fn, JIKU_ARTIFACT_SAFETY, opid,
                                  &rep->safety_artifact, NULL, err)) != 0) {
        /* Refuse to touch live data without a way back (docs/SECURITY.md). */
        jiku_err_prefix(err, "safety snapshot failed, nothing was changed");
    } else {
        if (rule->restores)
            rep->artifact = strdup(p->source.id);
        r = call_plugin(p, p->fn, NULL, opid, &p->changed, err);
        if (r != 0 && rep->safety_artifact != NULL)
            r = after_failure(p, r, p->changed, err);
    }
    if (r != 0 && jiku_interrupted() && p->called && !ctx->dry_run && p->op_id != 0)
        record_leftovers(p, p->op_id, opid);
out:
    jiku_buf_release(&name);
    jiku_lock_release(lock);
    rep->duration_ms = jiku_now_ms() - start;
    return r;
}

/*
 * The operation's row in the catalog, begun here only, after prepare(): an action refused
 * there (denied, no plugin, no such artifact) is still an operation of this run, for history
 * and metrics.  A dry run records its decisions only, and a row only when it asks the plugin.
 */
static void
begin_op(struct jiku_session *ctx, struct prepared *p, int *r, struct jiku_err *err)
{
    struct jiku_op_report *rep = &p->act->rep;
    struct jiku_err e = {0};
    char idbuf[32];
    int br;

    if (verb_rules[p->act->verb].step ||
        (ctx->dry_run && (*r != 0 || decides_only(ctx, p->act->verb))))
        return;
    br = jiku_catalog_op_begin_nonce(ctx->cat, ctx->run_id, rep->target, rep->action, p->nonce,
                                     &p->op_id, &e);
    if (br == 0) {
        snprintf(idbuf, sizeof(idbuf), "%lld", (long long)p->op_id);
        if ((rep->id = strdup(idbuf)) != NULL)
            return;
        br = jiku_err_set(&e, JIKU_E_NOMEM, "out of memory");
    }
    log_error("%s", e.msg);
    if (*r == 0) {
        *r = br;
        *err = e;
    }
}

static const char *
or_dash(const char *s)
{
    return s != NULL ? s : "-";
}

static void
finish(struct jiku_session *ctx, struct prepared *p, int r, const struct jiku_err *err)
{
    struct jiku_action *act = p->act;
    struct jiku_op_report *rep = &act->rep;
    struct jiku_buf reason = JIKU_BUF_INIT;
    struct jiku_err e2 = {0};

    if (r == 0) {
        rep->status = decides_only(ctx, act->verb) || p->nothing_left ? "skipped" : "ok";
        rep->status_code = 0;
    } else {
        jiku_op_report_fail(rep, r, err->msg);
    }
    rep->changed = p->changed;
    if (rep->n_updates > 0)
        rep->update_state = r == 0 ? (ctx->dry_run ? "pending" : "updated")
                            : p->undo_op_id != 0 && p->undo_status == 0 ? "rolled-back"
                            : !p->changed                               ? "not-applied"
                                                                        : "failed";
    if (p->op_id == 0)
        return; /* a dry run's decision, or no row could be begun (logged) */
    /*
     * A request's record names it ("add info@example.com"); an update's names each component
     * with its versions, and what became of it.
     */
    if (jiku_buf_adds(&reason, rep->error != NULL ? rep->error : "ok") != 0 ||
        (rep->request != NULL && jiku_buf_addf(&reason, "; %s", rep->request) != 0))
        log_error("out of memory");
    for (size_t i = 0; i < rep->n_updates; i++)
        if (jiku_buf_addf(&reason, "%s %s %s %s -> %s", i == 0 ? ";" : ",",
                          jiku_update_item_name(rep->updates[i].component),
                          or_dash(rep->updates[i].name), or_dash(rep->updates[i].from),
                          or_dash(rep->updates[i].to)) != 0)
            log_error("out of memory");
    if (rep->n_updates > 0 && jiku_buf_addf(&reason, ": %s", rep->update_state) != 0)
        log_error("out of memory");

    struct jiku_audit_record rec = {
        .run_id = ctx->run_id,
        .event = "operation",
        .actor = ctx->actor,
        .customer = act->target->customer->name,
        .tier = act->target->customer->tier,
        .target = rep->target,
        .action = rep->action,
        .decision = rep->status,
        .reason = reason.data,
        .artifact = rep->artifact,
        .dry_run = ctx->dry_run,
    };

    struct jiku_op_end end = {p->op_id, rep->status, jiku_status_exit_code(r), rep->error,
                              rep->artifact};

    if (jiku_audit_op_end(ctx->cat, &end, &rec, &e2) != 0)
        log_error("%s", e2.msg);
    jiku_log_record(
        &(struct jiku_log_fields){rep->target, rep->action, rep->status, jiku_status_exit_code(r)},
        "%s %s: %s", rep->target, rep->action, reason.data);
    jiku_buf_release(&reason);
}

/* The automatic rollback's operation row and audit record, after the failed operation's. */
static void
finish_undo(struct jiku_session *ctx, struct prepared *p)
{
    const struct jiku_action *act = p->act;
    const char *status = p->undo_status == 0                    ? "ok"
                         : p->undo_status == JIKU_E_INTERRUPTED ? "interrupted"
                                                                : "failed";
    struct jiku_buf reason = JIKU_BUF_INIT;
    struct jiku_err e2 = {0};

    if (p->undo_op_id == 0)
        return;
    if (jiku_buf_addf(&reason, "automatic rollback after %s operation %lld failed%s%s",
                      jiku_verb_name(act->verb), (long long)p->op_id,
                      p->undo_error != NULL ? ": " : "",
                      p->undo_error != NULL ? p->undo_error : "") != 0) {
        log_error("out of memory");
        return;
    }

    struct jiku_audit_record rec = {
        .run_id = ctx->run_id,
        .event = "operation",
        .actor = ctx->actor,
        .customer = act->target->customer->name,
        .tier = act->target->customer->tier,
        .target = act->rep.target,
        .action = jiku_action_for(JIKU_VERB_ROLLBACK, act->target->info.kind),
        .decision = status,
        .reason = reason.data,
        .artifact = act->rep.safety_artifact,
    };

    struct jiku_op_end end = {p->undo_op_id, status, jiku_status_exit_code(p->undo_status),
                              p->undo_error, act->rep.safety_artifact};

    if (rec.action == NULL)
        rec.action = "rollback";
    if (jiku_audit_op_end(ctx->cat, &end, &rec, &e2) != 0)
        log_error("%s", e2.msg);
    jiku_buf_release(&reason);
}

static int
job_fn(struct jiku_job *job, struct jiku_err *err)
{
    return execute(job->arg, err);
}

/*
 * Planning's transaction is gone (a failed commit, or SQLite rolled it back): of the first N
 * actions, those whose operation row went with it have none, so that nothing ends a row that
 * is not theirs.
 */
static void
plan_lost(struct jiku_session *ctx, struct prepared *preps, size_t n)
{
    jiku_catalog_rollback(ctx->cat); /* lets go of what is left of it */
    for (size_t i = 0; i < n; i++) {
        if (preps[i].op_id == 0 || jiku_catalog_op_exists(ctx->cat, preps[i].op_id, preps[i].nonce))
            continue;
        preps[i].op_id = 0;
        free(preps[i].act->rep.id);
        preps[i].act->rep.id = NULL;
    }
}

int
jiku_actions_run(struct jiku_session *ctx, struct jiku_action *acts, size_t n, struct jiku_err *err)
{
    struct prepared *preps = calloc(n ? n : 1, sizeof(*preps));
    struct jiku_job *jobs = calloc(n ? n : 1, sizeof(*jobs));
    size_t *job_of = calloc(n ? n : 1, sizeof(*job_of));
    size_t n_jobs = 0;
    bool own = !jiku_catalog_in_tx(ctx->cat), lost = false;
    struct jiku_err lost_why = {0};
    int r = 0;

    if (preps == NULL || jobs == NULL || job_of == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }

    /*
     * Planning writes a decision and an operation row per action, a fleet's nightly thousands:
     * one transaction for them all, not a commit each, committed before the first job starts.
     * Synced, as every transaction holding audit records (audit.h).  A caller's transaction
     * (a dry run's prune) is joined instead.
     */
    if (own && (r = jiku_catalog_begin(ctx->cat, true, PLAN, err)) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        struct jiku_err e = {0};
        int pr;

        preps[i].ctx = ctx;
        preps[i].act = &acts[i];
        if (lost) {
            pr = jiku_err_set(&e, JIKU_E_FAILED, "not started: %s", lost_why.msg);
        } else {
            pr = prepare(ctx, &preps[i], &e);
            begin_op(ctx, &preps[i], &pr, &e);
        }
        if (own && !lost && jiku_catalog_tx_lost(ctx->cat)) {
            lost = true;
            jiku_err_set(&lost_why, JIKU_E_FAILED, "this run's plan could not be recorded");
            plan_lost(ctx, preps, i + 1);
        }
        if (pr != 0 || lost || decides_only(ctx, acts[i].verb) || preps[i].nothing_left) {
            if (pr == 0 && lost)
                pr = jiku_err_set(&e, JIKU_E_FAILED, "not started: %s", lost_why.msg);
            finish(ctx, &preps[i], pr, &e);
            continue;
        }
        jobs[n_jobs] = (struct jiku_job){
            .server = acts[i].target->server->info.name,
            .server_limit = acts[i].target->server->max_parallel,
            .fn = job_fn,
            .arg = &preps[i],
        };
        job_of[n_jobs++] = i;
    }

    if (own && !lost && (r = jiku_catalog_commit(ctx->cat, PLAN, err)) != 0) {
        /* Their operation rows are gone with it: no job may start. */
        lost = true;
        plan_lost(ctx, preps, n);
    } else if (!own && n_jobs > 0) {
        /* A worker's first catalog call would wait for the caller's transaction forever. */
        r = jiku_err_set(err, JIKU_E_INVAL, "actions that run jobs inside a transaction");
        lost = true;
    }
    if (lost) {
        for (size_t j = 0; j < n_jobs; j++)
            jobs[j].status = jiku_err_set(&jobs[j].err, JIKU_E_FAILED,
                                          "not started: this run's plan could not be recorded");
    } else {
        r = jiku_run_jobs(jobs, n_jobs, ctx->cfg->max_parallel, err);
    }
    for (size_t j = 0; j < n_jobs; j++) {
        finish(ctx, &preps[job_of[j]], jobs[j].status, &jobs[j].err);
        finish_undo(ctx, &preps[job_of[j]]);
    }
    if (r == JIKU_E_INTERRUPTED) {
        struct jiku_err e2 = {0};

        if (jiku_catalog_ops_interrupt(ctx->cat, ctx->run_id, &e2) != 0)
            log_error("%s", e2.msg);
        r = 0; /* counted per operation */
    }
    for (size_t i = 0; i < n; i++)
        if (!verb_rules[acts[i].verb].step)
            jiku_out_operation(&ctx->out, &acts[i].rep);
out:
    for (size_t i = 0; preps != NULL && i < n; i++) {
        jiku_lock_release(acts[i].hold);
        acts[i].hold = NULL;
        for (size_t k = 0; k < preps[i].n_unmade; k++)
            free(preps[i].unmade[k]);
        jiku_artifact_release(&preps[i].source);
        jiku_strv_free(preps[i].keep_paths);
        free(preps[i].undo_error);
    }
    free(preps);
    free(jobs);
    free(job_of);
    return r;
}

void
jiku_actions_release(struct jiku_action *acts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        jiku_lock_release(acts[i].hold);
        acts[i].hold = NULL;
        jiku_op_report_release(&acts[i].rep);
    }
}
