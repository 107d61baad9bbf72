/*
 * The catalog and audit commands: list, pin, unpin, verify, history, audit verify, catalog
 * rebuild.  Read-only and fleet-level: no assignment needed (jiku-agent(8), end of COMMANDS).
 */
#include <dirent.h>
#include <getopt.h>
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
#include "manifest.h"
#include "retry.h"
#include "timefmt.h"

int
jiku_cmd_list(struct jiku_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"customer", required_argument, NULL, 'C'},
        {NULL, 0, NULL, 0},
    };
    const struct jiku_command *cmd = jiku_command_find("list");
    struct jiku_artifact_list list = {0};
    struct jiku_err err = {0};
    const char *customer = NULL, *target = NULL;
    time_t now = time(NULL);
    int c, r;

    while ((c = jiku_cmd_getopt(ctx, cmd, argc, argv, "", opts)) != -1) {
        if (c == 'C')
            customer = optarg;
        else
            return c == JIKU_OPT_HELP ? 0 : 64;
    }
    if ((r = jiku_cmd_operands(ctx, cmd, argc, argv, 0, 1)) != 0)
        return r;
    if (optind < argc)
        target = argv[optind];
    if (target != NULL && customer != NULL)
        return jiku_cmd_usage(ctx, cmd, "give a target or --customer, not both");
    if (target != NULL && !jiku_valid_target_id(target))
        return jiku_cmd_usage(ctx, cmd, "invalid target name '%s'", target);
    if ((r = jiku_ctx_catalog(ctx, &err)) != 0 ||
        (r = jiku_catalog_artifact_list(ctx->cat, target, customer, false, &list, &err)) != 0)
        return jiku_cmd_fail(ctx, &err);
    jiku_out_artifact_header(&ctx->out);
    for (size_t i = 0; i < list.n; i++)
        jiku_out_artifact(&ctx->out, &list.items[i], now);
    jiku_artifact_list_release(&list);
    return jiku_out_summary(&ctx->out, 0);
}

int
jiku_cmd_pin(struct jiku_ctx *ctx, int argc, char **argv)
{
    const struct jiku_command *cmd = jiku_command_find(argv[0]);
    bool pin = strcmp(argv[0], "pin") == 0;
    struct jiku_err err = {0};
    int c, r;

    while ((c = jiku_cmd_getopt(ctx, cmd, argc, argv, "", NULL)) != -1)
        return c == JIKU_OPT_HELP ? 0 : 64;
    if ((r = jiku_cmd_operands(ctx, cmd, argc, argv, 1, 1)) != 0)
        return r;
    if ((r = jiku_ctx_catalog(ctx, &err)) != 0 ||
        (r = jiku_catalog_artifact_pin(ctx->cat, argv[optind], pin, &err)) != 0)
        return jiku_cmd_fail(ctx, &err);
    jiku_out_text(&ctx->out, "%s %s\n", pin ? "pinned" : "unpinned", argv[optind]);
    return jiku_out_summary(&ctx->out, 0);
}

struct history_arg {
    struct jiku_ctx *ctx;
};

static int
history_line(const struct jiku_audit_record *rec, void *arg)
{
    struct jiku_ctx *ctx = ((struct history_arg *)arg)->ctx;
    char *when = jiku_time_rfc3339(rec->time);

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

int
jiku_cmd_history(struct jiku_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"target", required_argument, NULL, 't'},
        {"since", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const struct jiku_command *cmd = jiku_command_find("history");
    struct history_arg ha = {ctx};
    struct jiku_err err = {0};
    const char *target = NULL;
    time_t since = 0;
    int c, r;

    while ((c = jiku_cmd_getopt(ctx, cmd, argc, argv, "", opts)) != -1) {
        if (c == 't')
            target = optarg;
        else if (c == 's') {
            if (jiku_time_parse_date(optarg, &since) != 0)
                return jiku_cmd_usage(ctx, cmd, "invalid date '%s': expected YYYY-MM-DD", optarg);
        } else
            return c == JIKU_OPT_HELP ? 0 : 64;
    }
    if ((r = jiku_cmd_operands(ctx, cmd, argc, argv, 0, 0)) != 0)
        return r;
    if (target != NULL && !jiku_valid_target_id(target))
        return jiku_cmd_usage(ctx, cmd, "invalid target name '%s'", target);
    if ((r = jiku_ctx_catalog(ctx, &err)) != 0 ||
        (r = jiku_audit_each(ctx->cat, target, since, history_line, &ha, &err)) != 0)
        return jiku_cmd_fail(ctx, &err);
    return jiku_out_summary(&ctx->out, 0);
}

int
jiku_cmd_audit(struct jiku_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"head", required_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    const struct jiku_command *cmd = jiku_command_find("audit");
    struct jiku_err err = {0};
    const char *head = NULL;
    int64_t n = 0;
    int c, r;

    while ((c = jiku_cmd_getopt(ctx, cmd, argc, argv, "", opts)) != -1) {
        if (c == 'H')
            head = optarg;
        else
            return c == JIKU_OPT_HELP ? 0 : 64;
    }
    if ((r = jiku_cmd_operands(ctx, cmd, argc, argv, 1, 1)) != 0)
        return r;
    if (strcmp(argv[optind], "verify") != 0)
        return jiku_cmd_usage(ctx, cmd, "unknown 'audit %s' command", argv[optind]);
    if ((r = jiku_ctx_config(ctx, &err)) != 0 ||
        (r = jiku_catalog_open(ctx->cfg->state_dir, &ctx->cat, &err)) != 0)
        return jiku_cmd_fail(ctx, &err);
    /* No run row: verifying must not append to what it verifies. */
    if ((r = jiku_audit_verify(ctx->cat, head, &n, &err)) != 0) {
        if (r == JIKU_E_USAGE)
            return jiku_cmd_usage(ctx, cmd, "%s", err.msg);
        return jiku_cmd_fail(ctx, &err);
    }
    jiku_out_text(&ctx->out, "audit ok: %lld record%s, chain intact\n", (long long)n,
                  n == 1 ? "" : "s");
    return jiku_out_summary(&ctx->out, 0);
}

/* Every good artifact of the targets: its backup file's checksum, its server copy's presence. */
static int
verify_artifact(struct jiku_ctx *ctx, const struct jiku_artifact *a, struct jiku_err *err)
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
jiku_cmd_verify(struct jiku_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    const struct jiku_command *cmd = jiku_command_find("verify");
    struct jiku_err err = {0};
    bool all = false;
    int c, r;

    while ((c = jiku_cmd_getopt(ctx, cmd, argc, argv, "", opts)) != -1) {
        if (c == 'a')
            all = true;
        else
            return c == JIKU_OPT_HELP ? 0 : 64;
    }
    if (all == (optind < argc))
        return jiku_cmd_usage(ctx, cmd, "name targets, or give --all");
    if ((r = jiku_ctx_catalog(ctx, &err)) != 0)
        return jiku_cmd_fail(ctx, &err);
    /* --all is one pass without a target filter. */
    for (int i = optind; i < (all ? optind + 1 : argc); i++) {
        const char *target = all ? NULL : argv[i];
        struct jiku_artifact_list list = {0};

        if (target != NULL && !jiku_valid_target_id(target))
            return jiku_cmd_usage(ctx, cmd, "invalid target name '%s'", target);
        if ((r = jiku_catalog_artifact_list(ctx->cat, target, NULL, false, &list, &err)) != 0)
            return jiku_cmd_fail(ctx, &err);
        for (size_t k = 0; k < list.n; k++) {
            const struct jiku_artifact *a = &list.items[k];
            struct jiku_op_report rep = {.target = a->target, .action = "verify", .status = "ok"};
            struct jiku_err e = {0};
            int64_t start = jiku_now_ms();

            if (a->status != JIKU_ART_GOOD)
                continue;
            rep.artifact = strdup(a->id);
            if ((r = verify_artifact(ctx, a, &e)) != 0)
                jiku_op_report_fail(&rep, r, e.msg);
            rep.duration_ms = jiku_now_ms() - start;
            jiku_out_operation(&ctx->out, &rep);
            jiku_op_report_release(&rep);
        }
        jiku_artifact_list_release(&list);
    }
    return jiku_out_summary(&ctx->out, jiku_out_exit_code(&ctx->out));
}

/*
 * catalog rebuild: BACKUP_DIR/CUSTOMER/NAME/ID/manifest.json → artifact rows.  An archive that
 * disagrees with its manifest is reported and not imported; rows already present are kept.
 */
static void
rebuild_one(struct jiku_ctx *ctx, const char *dir)
{
    struct jiku_op_report rep = {.action = "catalog.rebuild", .status = "ok"};
    struct jiku_artifact a = {0}, existing = {0};
    struct jiku_buf path = JIKU_BUF_INIT;
    struct jiku_err err = {0};
    char *archive = NULL, md5[33], sha256[65];
    uint64_t size;
    int r;

    jiku_buf_addf(&path, "%s/manifest.json", dir);
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
    jiku_buf_addf(&path, "%s/%s", dir, archive);
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

/* Walk DIR to DEPTH more levels; at depth 0 a directory is one artifact. */
static void
rebuild_walk(struct jiku_ctx *ctx, const char *dir, int depth)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);

    for (int i = 0; i < n; i++) {
        struct jiku_buf sub = JIKU_BUF_INIT;

        if (names[i]->d_name[0] != '.' && names[i]->d_type == DT_DIR) {
            jiku_buf_addf(&sub, "%s/%s", dir, names[i]->d_name);
            if (depth == 0)
                rebuild_one(ctx, sub.data);
            else
                rebuild_walk(ctx, sub.data, depth - 1);
        }
        jiku_buf_release(&sub);
        free(names[i]);
    }
    free(names);
}

int
jiku_cmd_catalog(struct jiku_ctx *ctx, int argc, char **argv)
{
    const struct jiku_command *cmd = jiku_command_find("catalog");
    struct jiku_err err = {0};
    int c, r;

    while ((c = jiku_cmd_getopt(ctx, cmd, argc, argv, "", NULL)) != -1)
        return c == JIKU_OPT_HELP ? 0 : 64;
    if ((r = jiku_cmd_operands(ctx, cmd, argc, argv, 1, 1)) != 0)
        return r;
    if (strcmp(argv[optind], "rebuild") != 0)
        return jiku_cmd_usage(ctx, cmd, "unknown 'catalog %s' command", argv[optind]);
    if ((r = jiku_ctx_catalog(ctx, &err)) != 0)
        return jiku_cmd_fail(ctx, &err);
    /* backup_dir/CUSTOMER/NAME/ID */
    rebuild_walk(ctx, ctx->cfg->backup_dir, 2);
    return jiku_out_summary(&ctx->out, jiku_out_exit_code(&ctx->out));
}
