/*
 * The catalog and audit commands: list, pin, unpin, verify, history, audit verify, catalog
 * rebuild.  Read-only and fleet-level: no assignment needed (jiku-agent(8), end of COMMANDS).
 */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action.h"
#include "audit.h"
#include "catalog.h"
#include "cli.h"
#include "digest.h"
#include "err.h"
#include "manifest.h"
#include "retry.h"
#include "timefmt.h"

int
jiku_cmd_list(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    const struct jiku_command *cmd = args->cmd;
    struct jiku_artifact_list list = {0};
    struct jiku_err err = {0};
    const char *customer = NULL, *target = NULL;
    time_t now = time(NULL);
    int r;

    for (size_t i = 0; i < args->n_opts; i++)
        customer = args->opts[i].arg;
    if (args->argc > 0)
        target = args->argv[0];
    if (target != NULL && customer != NULL)
        return jiku_cmd_usage(ctx, cmd, "give a target or --customer, not both");
    if (target != NULL && !jiku_valid_target_id(target))
        return jiku_cmd_usage(ctx, cmd, "invalid target name '%s'", target);
    if ((r = jiku_catalog_artifact_list(ctx->cat, target, customer, false, &list, &err)) != 0)
        return jiku_cmd_fail(ctx, &err);
    jiku_out_artifact_header(&ctx->out);
    for (size_t i = 0; i < list.n; i++)
        jiku_out_artifact(&ctx->out, &list.items[i], now);
    jiku_artifact_list_release(&list);
    return 0;
}

int
jiku_cmd_pin(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    bool pin = strcmp(args->name, "pin") == 0;
    struct jiku_err err = {0};

    if (jiku_catalog_artifact_pin(ctx->cat, args->argv[0], pin, &err) != 0)
        return jiku_cmd_fail(ctx, &err);
    jiku_out_text(&ctx->out, "%s %s\n", pin ? "pinned" : "unpinned", args->argv[0]);
    return 0;
}

struct history_arg {
    struct jiku_session *ctx;
    size_t n;
};

static int
history_line(const struct jiku_audit_record *rec, void *arg)
{
    struct jiku_session *ctx = ((struct history_arg *)arg)->ctx;
    char *when = jiku_time_rfc3339(rec->time);

    ((struct history_arg *)arg)->n++;
    jiku_out_json(&ctx->out, "audit",
                  "{s:I, s:s, s:I, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s?, s:s?, s:s?, s:b, "
                  "s:s}",
                  "seq", (json_int_t)rec->seq, "time", when, "run", (json_int_t)rec->run_id,
                  "event", rec->event, "actor", rec->actor, "customer", rec->customer, "tier",
                  rec->tier, "target", rec->target, "action", rec->action, "decision",
                  rec->decision, "reason", rec->reason, "source", rec->source, "artifact",
                  rec->artifact, "dry_run", rec->dry_run, "hash", rec->hash);
    jiku_out_text(&ctx->out, "%s  %-9s %-10s %-24s %-22s %-8s %s%s\n", when, rec->event, rec->actor,
                  rec->target ? rec->target : "-", rec->action, rec->decision,
                  rec->reason ? rec->reason : "", rec->dry_run ? " (dry run)" : "");
    free(when);
    return 0;
}

static int
history_count(const struct jiku_audit_record *rec, void *arg)
{
    (void)rec;
    ((struct history_arg *)arg)->n++;
    return 1; /* one is enough */
}

int
jiku_cmd_history(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    const struct jiku_command *cmd = args->cmd;
    struct history_arg ha = {ctx, 0};
    struct jiku_err err = {0};
    const char *target = NULL;
    time_t since = 0;

    for (size_t i = 0; i < args->n_opts; i++) {
        const char *arg = args->opts[i].arg;

        if (args->opts[i].c == 't')
            target = arg;
        else if (jiku_time_parse_date(arg, &since) != 0)
            return jiku_cmd_usage(ctx, cmd, "invalid date '%s': expected " JIKU_DATE_FORMS, arg);
    }
    if (target != NULL && !jiku_valid_target_id(target))
        return jiku_cmd_usage(ctx, cmd, "invalid target name '%s'", target);
    if (jiku_audit_each(ctx->cat, target, since, history_line, &ha, &err) != 0)
        return jiku_cmd_fail(ctx, &err);
    /* A removed target keeps its history; a name never seen is a typo, not an empty past. */
    if (target != NULL && ha.n == 0 && jiku_config_target(ctx->cfg, target) == NULL &&
        (since == 0 || jiku_audit_each(ctx->cat, target, 0, history_count, &ha, &err) == 0) &&
        ha.n == 0) {
        jiku_err_set(&err, JIKU_E_NOTFOUND, "no target '%s' in the configuration or in the audit",
                     target);
        return jiku_cmd_fail(ctx, &err);
    }
    return 0;
}

int
jiku_cmd_audit(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    const struct jiku_command *cmd = args->cmd;
    struct jiku_err err = {0};
    const char *head = NULL;
    int64_t n = 0;
    int r;

    for (size_t i = 0; i < args->n_opts; i++)
        head = args->opts[i].arg;
    if (strcmp(args->argv[0], "verify") != 0)
        return jiku_cmd_usage(ctx, cmd, "unknown 'audit %s' command", args->argv[0]);
    /* No run row (the table asks for the configuration only): verifying must not append to
     * what it verifies. */
    if ((r = jiku_catalog_open(ctx->cfg->state_dir, &ctx->cat, &err)) != 0)
        return jiku_cmd_fail(ctx, &err);
    if ((r = jiku_audit_verify(ctx->cat, head, &n, &err)) != 0) {
        if (r == JIKU_E_USAGE)
            return jiku_cmd_usage(ctx, cmd, "%s", err.msg);
        return jiku_cmd_fail(ctx, &err);
    }
    jiku_out_text(&ctx->out, "audit ok: %lld record%s, chain intact\n", (long long)n,
                  n == 1 ? "" : "s");
    return 0;
}

/* Every good artifact of the targets: its backup file's checksum, its server copy's presence. */
static int
verify_artifact(struct jiku_session *ctx, const struct jiku_artifact *a, struct jiku_err *err)
{
    const struct jiku_target_conf *t = jiku_config_target(ctx->cfg, a->target);
    char md5[33], sha256[65];
    uint64_t size;
    int r;

    if (a->backup_path != NULL) {
        if ((r = jiku_digest_file(a->backup_path, &size, md5, sha256, err)) != 0)
            return r;
        if (size != a->size || (a->sha256 != NULL && strcmp(sha256, a->sha256) != 0))
            return jiku_err_set(err, JIKU_E_DATA,
                                "backup '%s' does not match the catalog: size %llu, sha256 %s "
                                "(catalog: %llu, %s)",
                                a->backup_path, (unsigned long long)size, sha256,
                                (unsigned long long)a->size, a->sha256 ? a->sha256 : "none");
    }
    if (a->location != NULL) {
        struct jiku_artifact_ref ref;
        struct jiku_op_params params = {.artifact = &ref, .operation_id = a->id};
        struct jiku_op_result result = {0};

        if (t == NULL)
            return jiku_err_set(err, JIKU_E_NOTFOUND, "target '%s' is no longer configured",
                                a->target);
        jiku_artifact_ref_of(a, &ref);
        r = jiku_action_plugin(ctx, t, JIKU_VERB_VERIFY, &params, &result, err);
        jiku_op_result_release(&result);
        return r;
    }
    return 0;
}

int
jiku_cmd_verify(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    const struct jiku_command *cmd = args->cmd;
    struct jiku_err err = {0};
    bool all = args->n_opts > 0; /* --all */
    int r;

    if (all == (args->argc > 0))
        return jiku_cmd_usage(ctx, cmd, "name targets, or give --all");
    /* --all is one pass without a target filter. */
    for (int i = 0; i < (all ? 1 : args->argc); i++) {
        const char *target = all ? NULL : args->argv[i];
        struct jiku_artifact_list list = {0};

        if (target != NULL && !jiku_valid_target_id(target))
            return jiku_cmd_usage(ctx, cmd, "invalid target name '%s'", target);
        if ((r = jiku_catalog_artifact_list(ctx->cat, target, NULL, false, &list, &err)) != 0)
            return jiku_cmd_fail(ctx, &err);
        for (size_t k = 0; k < list.n; k++) {
            const struct jiku_artifact *a = &list.items[k];
            struct jiku_op_report rep = {.target = a->target, .action = "verify", .status = "ok"};
            struct jiku_err e = {0};
            int64_t start = jiku_now_ms(), op_id = 0;

            if (a->status != JIKU_ART_GOOD)
                continue;
            rep.artifact = strdup(a->id);
            /* recorded, so that report can say when each artifact was last found intact */
            if ((r = jiku_catalog_op_begin(ctx->cat, ctx->run_id, a->target, "verify", &op_id,
                                           &e)) == 0 &&
                (r = verify_artifact(ctx, a, &e)) == 0)
                r = jiku_catalog_op_end(ctx->cat, op_id, "ok", 0, NULL, a->id, &e);
            if (r != 0) {
                jiku_op_report_fail(&rep, r, e.msg);
                if (op_id != 0 &&
                    jiku_catalog_op_end(ctx->cat, op_id, rep.status, jiku_status_exit_code(r),
                                        e.msg, a->id, &e) != 0)
                    log_error("%s", e.msg);
            }
            rep.duration_ms = jiku_now_ms() - start;
            jiku_out_operation(&ctx->out, &rep);
            jiku_op_report_release(&rep);
        }
        jiku_artifact_list_release(&list);
    }
    return 0;
}

/*
 * catalog rebuild: BACKUP_DIR/CUSTOMER/NAME/ID/manifest.json → artifact rows.  An archive that
 * disagrees with its manifest is reported and not imported; rows already present are kept.
 */
static void
rebuild_one(struct jiku_session *ctx, const char *dir)
{
    struct jiku_op_report rep = {.action = "catalog.rebuild", .status = "ok"};
    struct jiku_artifact a = {0}, existing = {0};
    struct jiku_buf path = JIKU_BUF_INIT;
    struct jiku_err err = {0};
    char *archive = NULL, md5[33], sha256[65];
    uint64_t size;
    int r;

    if (jiku_buf_addf(&path, "%s/manifest.json", dir) != 0)
        goto nomem;
    if ((r = jiku_manifest_read(path.data, &a, &archive, &err)) != 0)
        goto out;
    rep.target = a.target;
    rep.artifact = strdup(a.id);
    if (jiku_catalog_artifact_get(ctx->cat, a.id, &existing, &err) == 0) {
        rep.status = "skipped";
        goto out;
    }
    jiku_err_clear(&err);
    jiku_buf_reset(&path);
    if (jiku_buf_addf(&path, "%s/%s", dir, archive) != 0)
        goto nomem;
    if ((r = jiku_digest_file(path.data, &size, md5, sha256, &err)) != 0)
        goto out;
    if (size != a.size || a.sha256 == NULL || strcmp(sha256, a.sha256) != 0 ||
        (a.md5 != NULL && strcmp(md5, a.md5) != 0)) {
        r = jiku_err_set(&err, JIKU_E_DATA,
                         "archive '%s' does not match its manifest; not "
                         "imported",
                         path.data);
        goto out;
    }
    free(a.backup_path);
    a.backup_path = jiku_buf_detach(&path);
    a.status = JIKU_ART_GOOD;
    r = jiku_catalog_artifact_insert(ctx->cat, &a, &err);
    goto out;
nomem:
    r = jiku_err_set(&err, JIKU_E_NOMEM, "out of memory");
out:
    if (r != 0)
        jiku_op_report_fail(&rep, r, err.msg);
    if (rep.target == NULL)
        rep.target = dir;
    jiku_out_operation(&ctx->out, &rep);
    rep.target = NULL;
    jiku_op_report_release(&rep);
    jiku_artifact_release(&a);
    jiku_artifact_release(&existing);
    free(archive);
    jiku_buf_release(&path);
}

/* Walk DIR to DEPTH more levels; at depth 0 a directory is one artifact.  0 or JIKU_E_NOMEM. */
static int
rebuild_walk(struct jiku_session *ctx, const char *dir, int depth, struct jiku_err *err)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    int r = 0;

    for (int i = 0; i < n; i++) {
        struct jiku_buf sub = JIKU_BUF_INIT;

        if (r == 0 && names[i]->d_name[0] != '.' && names[i]->d_type == DT_DIR) {
            if (jiku_buf_addf(&sub, "%s/%s", dir, names[i]->d_name) != 0)
                r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            else if (depth == 0)
                rebuild_one(ctx, sub.data);
            else
                r = rebuild_walk(ctx, sub.data, depth - 1, err);
        }
        jiku_buf_release(&sub);
        free(names[i]);
    }
    free(names);
    return r;
}

int
jiku_cmd_catalog(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    struct jiku_err err = {0};

    if (strcmp(args->argv[0], "rebuild") != 0)
        return jiku_cmd_usage(ctx, args->cmd, "unknown 'catalog %s' command", args->argv[0]);
    /* backup_dir/CUSTOMER/NAME/ID */
    if (rebuild_walk(ctx, ctx->cfg->backup_dir, 2, &err) != 0)
        return jiku_cmd_fail(ctx, &err);
    return 0;
}
