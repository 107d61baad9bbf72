/*
 * The recorder plugin (recorder.c) as the CLI tests drive it: one line per call in
 * $JIKU_RECORDER_LOG, results for snapshots and backups, failures on request.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "output.h"
#include "plugin_loader.h"

/* No built-in plugins: "cpanel" must come from the directory, i.e. be the recorder. */
const struct jiku_plugin *const jiku_static_plugins[] = {NULL};

TestSuite(recorder, .init = fixture_setup, .fini = fixture_teardown, .timeout = 60);

#define RID "20261127T021500Z.acme.shop.s"
#define RID_MD5 "f94b6aad779cba0d10acb4aaa82cad90"
#define RID_SHA256 "5795cbc6e3e0cb1e88a4b687f72713a07a75294290b14692eded96915cc03217"

struct rec {
    struct jiku_plugins *p;
    const struct jiku_loaded_plugin *lp;
    struct jiku_target_info target;
    struct jiku_artifact_ref artifact;
    struct jiku_op_params params;
    struct jiku_op_result res;
    struct jiku_op op;
};

static void
rec_setup(struct rec *r, enum jiku_target_kind kind)
{
    struct jiku_err err = {0};

    install(JIKU_TPLUGIN_RECORDER, "cpanel.so", 0755);
    cr_assert_eq(setenv("JIKU_RECORDER_LOG", at("recorder.log"), 1), 0);
    memset(r, 0, sizeof(*r));
    r->p = jiku_plugins_new(dir);
    cr_assert_eq(jiku_plugins_get(r->p, "cpanel", &fake_host, &r->lp, &err), 0, "%s", err.msg);
    r->target.id = kind == JIKU_KIND_ACCOUNT ? "acme/shop" : "acme/blog";
    r->target.kind = kind;
    r->artifact.id = "20261126T021500Z.acme.shop.s";
    r->op.host = &fake_host;
    r->op.target = &r->target;
    r->op.params = &r->params;
    r->op.result = &r->res;
}

static int
rec_call(struct rec *r, enum jiku_verb verb, struct jiku_err *err)
{
    jiku_action_fn fn = jiku_plugin_action(r->lp, verb, r->target.kind);

    cr_assert_not_null(fn, "no action for verb %d", (int)verb);
    free(r->res.location);
    free(r->res.backup_path);
    free(r->res.panel_version);
    memset(&r->res, 0, sizeof(r->res));
    return fn(&r->op, err);
}

static void
rec_release(struct rec *r)
{
    free(r->res.location);
    free(r->res.backup_path);
    free(r->res.panel_version);
    jiku_plugins_free(r->p);
}

static void
expect_log(const char *want)
{
    char buf[4096] = "";
    int fd = open(at("recorder.log"), O_RDONLY | O_CLOEXEC);
    ssize_t n;

    cr_assert_geq(fd, 0, "no recorder log");
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    cr_assert_geq(n, 0);
    buf[n] = '\0';
    cr_assert_str_eq(buf, want);
}

Test(recorder, snapshot)
{
    struct jiku_err err = {0};
    struct rec r;

    rec_setup(&r, JIKU_KIND_ACCOUNT);
    r.params.new_artifact_id = RID;
    cr_assert_eq(rec_call(&r, JIKU_VERB_SNAPSHOT, &err), 0, "%s", err.msg);
    cr_assert_str_eq(r.res.location, "/fake/" RID ".tar.gz");
    cr_assert_eq(r.res.size, 123);
    cr_assert_str_eq(r.res.md5, RID_MD5);
    cr_assert_str_eq(r.res.sha256, RID_SHA256);
    cr_assert_null(r.res.backup_path);
    expect_log("snapshot acme/shop " RID "\n");
    rec_release(&r);
}

Test(recorder, records_every_verb_on_both_kinds)
{
    static const enum jiku_target_kind kinds[] = {JIKU_KIND_ACCOUNT, JIKU_KIND_WORDPRESS};
    /* WordPress instances also stage and promote (for updates --staged), accounts do not. */
    static const enum jiku_verb unsupported[] = {JIKU_VERB_UNSTAGE, JIKU_VERB_CLONE,
                                                 JIKU_VERB_STAGE, JIKU_VERB_PROMOTE};
    struct jiku_err err = {0};
    struct stat st;
    char backups[PATH_SIZE];
    struct rec r;

    for (size_t k = 0; k < 2; k++) {
        rec_setup(&r, kinds[k]);
        snprintf(backups, sizeof(backups), "%s", at("backups"));
        cr_assert_eq(mkdir(backups, 0700), 0);
        r.params.new_artifact_id = RID;
        r.params.backup_dir = backups;
        r.params.artifact = &r.artifact;
        r.params.mode = JIKU_ROLLBACK_MERGE;

        cr_assert_eq(rec_call(&r, JIKU_VERB_PROBE, &err), 0, "%s", err.msg);
        cr_assert_str_eq(r.res.panel_version, "recorder 1.0");
        cr_assert_eq(rec_call(&r, JIKU_VERB_BACKUP, &err), 0, "%s", err.msg);
        cr_assert_str_eq(r.res.location, "/fake/" RID ".tar.gz");
        cr_assert_str_eq(r.res.sha256, RID_SHA256);
        cr_assert_str_eq(r.res.backup_path, at("backups/" RID ".tar.gz"));
        cr_assert_eq(r.res.size, strlen(RID));
        cr_assert_eq(stat(r.res.backup_path, &st), 0);
        cr_assert_eq(st.st_mode & 07777, 0600);
        cr_assert_eq((size_t)st.st_size, strlen(RID));
        cr_assert_eq(rec_call(&r, JIKU_VERB_ROLLBACK, &err), 0, "%s", err.msg);
        r.params.dry_run = true;
        cr_assert_eq(rec_call(&r, JIKU_VERB_PRUNE, &err), 0, "%s", err.msg);
        r.params.dry_run = false;
        cr_assert_eq(rec_call(&r, JIKU_VERB_VERIFY, &err), 0, "%s", err.msg);
        for (size_t v = 0; v < (kinds[k] == JIKU_KIND_ACCOUNT ? 4 : 2); v++)
            cr_assert_null(jiku_plugin_action(r.lp, unsupported[v], kinds[k]));
        cr_assert_null(jiku_plugin_action(r.lp, JIKU_VERB_SNAPSHOT, JIKU_KIND_SUBSCRIPTION));

        if (kinds[k] == JIKU_KIND_ACCOUNT)
            expect_log("probe acme/shop -\n"
                       "backup acme/shop " RID "\n"
                       "rollback acme/shop 20261126T021500Z.acme.shop.s merge\n"
                       "prune acme/shop 20261126T021500Z.acme.shop.s dry-run\n"
                       "verify acme/shop 20261126T021500Z.acme.shop.s\n");
        else
            expect_log("probe acme/blog -\n"
                       "backup acme/blog " RID "\n"
                       "rollback acme/blog 20261126T021500Z.acme.shop.s merge\n"
                       "prune acme/blog 20261126T021500Z.acme.shop.s dry-run\n"
                       "verify acme/blog 20261126T021500Z.acme.shop.s\n");
        rec_release(&r);
        cr_assert_eq(unlink(at("recorder.log")), 0);
        cr_assert_eq(unlink(at("backups/" RID ".tar.gz")), 0);
        cr_assert_eq(rmdir(backups), 0);
        cr_assert_eq(unlink(at("cpanel.so")), 0);
    }
}

Test(recorder, fails_the_verbs_it_is_told_to)
{
    struct jiku_err err = {0};
    struct rec r;

    cr_assert_eq(setenv("JIKU_RECORDER_FAIL", "prune,snapshot", 1), 0);
    rec_setup(&r, JIKU_KIND_ACCOUNT);
    r.params.new_artifact_id = RID;
    cr_assert_eq(rec_call(&r, JIKU_VERB_SNAPSHOT, &err), JIKU_E_PANEL);
    cr_assert_str_eq(err.msg,
                     "recorder: snapshot of 'acme/shop' failed as JIKU_RECORDER_FAIL asks");
    cr_assert_null(r.res.location, "a result was set on failure");
    cr_assert_eq(rec_call(&r, JIKU_VERB_BACKUP, &err), 0, "%s", err.msg);
    cr_assert_str_eq(r.res.location, "/fake/" RID ".tar.gz");
    r.params.dry_run = true;
    cr_assert_eq(rec_call(&r, JIKU_VERB_BACKUP, &err), 0, "%s", err.msg);
    cr_assert_null(r.res.location, "a dry run made something");
    expect_log("snapshot acme/shop " RID "\n"
               "backup acme/shop " RID "\n"
               "backup acme/shop " RID " dry-run\n");
    rec_release(&r);
}

Test(recorder, updates_report_what_is_pending)
{
    static const char *const exclude[] = {"akismet", "hello-dolly", NULL};
    struct jiku_update_params u = {
        .step = JIKU_UPDATE_LIST,
        .components = JIKU_UPDATE_BIT(JIKU_UPDATE_PLUGINS) | JIKU_UPDATE_BIT(JIKU_UPDATE_THEMES),
        .core_major = true,
        .exclude = exclude,
        .health_path = "/health",
        .health_text = "Welcome",
        .health_timeout = 5,
        .web_port = 8443,
    };
    static const char *const names[] = {"plugin-0", "theme-1", "plugin-2"};
    struct jiku_err err = {0};
    struct rec r;

    cr_assert_eq(setenv("JIKU_RECORDER_PENDING", "3", 1), 0);
    cr_assert_eq(setenv("JIKU_RECORDER_FAIL", "update:apply", 1), 0);
    cr_assert_eq(setenv("JIKU_RECORDER_CHANGED", "update:apply,promote", 1), 0);
    cr_assert_eq(setenv("JIKU_RECORDER_CHECK", "1", 1), 0);
    rec_setup(&r, JIKU_KIND_WORDPRESS);
    r.params.update = &u;
    cr_assert_eq(r.lp->desc.check(&r.op, JIKU_VERB_UPDATE, &err), 0, "%s", err.msg);
    cr_assert_eq(r.lp->desc.check(&r.op, JIKU_VERB_STAGE, &err), 0, "%s", err.msg);
    cr_assert_eq(rec_call(&r, JIKU_VERB_UPDATE, &err), 0, "%s", err.msg);
    cr_assert_not(r.res.changed);
    cr_assert_eq(r.res.n_updates, 3);
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(r.res.updates[i].component, i == 1 ? JIKU_UPDATE_THEMES : JIKU_UPDATE_PLUGINS);
        cr_assert_str_eq(r.res.updates[i].name, names[i]);
    }
    cr_assert_str_eq(r.res.updates[2].from, "1.2");
    cr_assert_str_eq(r.res.updates[2].to, "2.2");
    jiku_update_items_free(r.res.updates, r.res.n_updates);

    /* A failed step still says what it did, and whether it changed the site. */
    u.step = JIKU_UPDATE_APPLY;
    cr_assert_eq(rec_call(&r, JIKU_VERB_UPDATE, &err), JIKU_E_PANEL);
    cr_assert_str_eq(err.msg, "recorder: update of 'acme/blog' failed as JIKU_RECORDER_FAIL asks");
    cr_assert(r.res.changed);
    cr_assert_eq(r.res.n_updates, 3);
    jiku_update_items_free(r.res.updates, r.res.n_updates);

    u.step = JIKU_UPDATE_CHECK;
    cr_assert_eq(rec_call(&r, JIKU_VERB_UPDATE, &err), 0, "%s", err.msg);
    cr_assert_eq(r.res.n_updates, 0);
    r.params.update = NULL;
    cr_assert_eq(rec_call(&r, JIKU_VERB_STAGE, &err), 0, "%s", err.msg);
    cr_assert_eq(rec_call(&r, JIKU_VERB_PROMOTE, &err), 0, "%s", err.msg);
    cr_assert(r.res.changed);
    expect_log("check acme/blog update components=plugins,themes core=major "
               "exclude=akismet,hello-dolly health=/health,Welcome,5 port=8443\n"
               "update acme/blog list components=plugins,themes core=major "
               "exclude=akismet,hello-dolly health=/health,Welcome,5 port=8443\n"
               "update acme/blog apply components=plugins,themes core=major "
               "exclude=akismet,hello-dolly health=/health,Welcome,5 port=8443\n"
               "update acme/blog check components=plugins,themes core=major "
               "exclude=akismet,hello-dolly health=/health,Welcome,5 port=8443\n"
               "stage acme/blog -\n"
               "promote acme/blog -\n");
    rec_release(&r);
}
