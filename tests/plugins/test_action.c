/*
 * The action engine (agent/action.c) with the recorder plugin (recorder.c) standing in for
 * cPanel and the fixture's fake host table: what each verb asks the plugin, and what it leaves
 * in the catalog and the audit.  A session of its own, from a configuration written per test.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action.h"
#include "catalog.h"
#include "fixture.h"
#include "hold.h"

/* No built-in plugins: "cpanel" must come from the directory, i.e. be the recorder. */
const struct jiku_plugin *const jiku_static_plugins[] = {NULL};

static struct jiku_session s;
static char conf_path[PATH_SIZE];

static void
write_text(const char *path, const char *text)
{
    write_file(path, text, strlen(text), 0600);
}

/* acme (medium: server work is jiku's) and highco (high: its snapshots are not). */
static void
engine_setup(void)
{
    struct jiku_err err = {0};
    char conf[4096];
    int n;

    fixture_setup();
    install(JIKU_TPLUGIN_RECORDER, "cpanel.so", 0755);
    cr_assert_eq(setenv("JIKU_RECORDER_LOG", at("recorder.log"), 1), 0);
    unsetenv("JIKU_RECORDER_FAIL");
    unsetenv("JIKU_RECORDER_CHANGED");
    write_text(at("token"), "not-a-real-token\n");
    write_text(at("key"), "not-a-real-key\n");
    write_text(at("known_hosts"), "");
    n = snprintf(conf, sizeof(conf),
                 "[agent]\nstate_dir = %s/state\nbackup_dir = %s/backups\n"
                 "policy_dir = " JIKU_SOURCE_DIR "/policies\nplugin_dir = %s\nlog = stderr\n"
                 "lock_wait = 2\n"
                 "[server web1]\npanel = cpanel\nhost = 127.0.0.1\napi_token_file = %s/token\n"
                 "ssh_key = %s/key\nknown_hosts = %s/known_hosts\n"
                 "[customer acme]\ntier = medium\n"
                 "[target acme/shop]\nserver = web1\nkind = account\naccount = acmeshop\n"
                 "[customer highco]\ntier = high\n"
                 "[target highco/portal]\nserver = web1\nkind = account\naccount = highco\n",
                 dir, dir, dir, dir, dir, dir);
    cr_assert(n > 0 && (size_t)n < sizeof(conf));
    snprintf(conf_path, sizeof(conf_path), "%s", at("agent.conf"));
    write_text(conf_path, conf);

    memset(&s, 0, sizeof(s));
    s.config_path = conf_path;
    s.lock_wait = -1;
    s.quiet = true;
    cr_assert_not_null(s.actor = strdup("tester"));
    jiku_out_init(&s.out, "test", false, true);
    cr_assert_eq(jiku_session_open(&s, JIKU_NEED_CATALOG | JIKU_NEED_PLUGINS, &err), 0, "%s",
                 err.msg);
    s.host_table = &fake_host;
}

static void
engine_teardown(void)
{
    jiku_session_close(&s, 0);
    fixture_teardown();
}

TestSuite(engine, .init = engine_setup, .fini = engine_teardown, .timeout = 60);

/* Run one action of VERB on TARGET through the engine; the caller releases it. */
static void
run_one(struct jiku_action *a, const char *target, enum jiku_verb verb)
{
    struct jiku_err err = {0};

    a->target = jiku_config_target(s.cfg, target);
    a->verb = verb;
    cr_assert_not_null(a->target, "no target '%s'", target);
    cr_assert_eq(jiku_actions_run(&s, a, 1, &err), 0, "%s", err.msg);
}

/* A new artifact of acme/shop made by VERB; its id is the caller's. */
static char *
make(enum jiku_verb verb)
{
    struct jiku_action a = {0};
    char *id;

    run_one(&a, "acme/shop", verb);
    cr_assert_str_eq(a.rep.status, "ok", "%s", a.rep.error != NULL ? a.rep.error : "");
    cr_assert_not_null(id = strdup(a.rep.artifact));
    jiku_actions_release(&a, 1);
    return id;
}

/* What the recorder saw since the last call, one line per plugin call. */
static const char *
recorded(void)
{
    static char buf[4096];
    int fd = open(at("recorder.log"), O_RDONLY | O_CLOEXEC);
    ssize_t n = 0;

    buf[0] = '\0';
    if (fd < 0)
        return buf;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    cr_assert_geq(n, 0);
    buf[n] = '\0';
    cr_assert_eq(unlink(at("recorder.log")), 0);
    return buf;
}

static int
add_row(void *arg, int n, char **vals, char **names)
{
    char *out = arg;

    (void)names;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(out);

        snprintf(out + len, 4096 - len, "%s%s", i > 0 ? "|" : "", vals[i] ? vals[i] : "NULL");
    }
    strncat(out, "\n", 4096 - strlen(out) - 1);
    return 0;
}

/* The rows SQL selects from the state database, columns joined by '|', one row a line. */
static const char *
rows(const char *sql)
{
    static char bufs[2][4096];
    static unsigned next;
    char *out = bufs[next++ % 2];
    char *msg = NULL;

    out[0] = '\0';
    cr_assert_eq(sqlite3_exec(jiku_catalog_db(s.cat), sql, add_row, out, &msg), SQLITE_OK, "%s",
                 msg);
    return out;
}

/* A line built with printf's FMT, for an expected row. */
static const char *line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
line(const char *fmt, ...)
{
    static char bufs[4][1024];
    static unsigned next;
    char *b = bufs[next++ % 4];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(b, 1024, fmt, ap);
    va_end(ap);
    return b;
}

#define AUDIT "SELECT event, target, action, decision, artifact, dry_run FROM audit ORDER BY seq"
#define OPS "SELECT target, action, status, exit_code, artifact FROM operations ORDER BY id"
#define ARTS "SELECT id, kind, status, location FROM artifacts ORDER BY created, id"

Test(engine, snapshot_makes_an_artifact)
{
    char *id = make(JIKU_VERB_SNAPSHOT);

    cr_assert_str_eq(recorded(), line("snapshot acme/shop %s\n", id));
    cr_assert_str_eq(rows(ARTS), line("%s|snapshot|good|/fake/%s.tar.gz\n", id, id));
    cr_assert_str_eq(rows(OPS), line("acme/shop|server.snapshot|ok|0|%s\n", id));
    cr_assert_str_eq(rows(AUDIT), line("decision|acme/shop|server.snapshot|allow|NULL|0\n"
                                       "operation|acme/shop|server.snapshot|ok|%s|0\n",
                                       id));
    free(id);
}

Test(engine, rollback_takes_a_safety_snapshot_first)
{
    char *id = make(JIKU_VERB_SNAPSHOT);
    struct jiku_action a = {.args.to = id};

    (void)recorded();
    run_one(&a, "acme/shop", JIKU_VERB_ROLLBACK);
    cr_assert_str_eq(a.rep.status, "ok", "%s", a.rep.error);
    cr_assert_not_null(a.rep.safety_artifact);
    cr_assert_str_eq(recorded(), line("snapshot acme/shop %s\nrollback acme/shop %s\n",
                                      a.rep.safety_artifact, id));
    cr_assert_str_eq(rows(ARTS), line("%s|snapshot|good|/fake/%s.tar.gz\n"
                                      "%s|safety|good|/fake/%s.tar.gz\n",
                                      id, id, a.rep.safety_artifact, a.rep.safety_artifact));
    cr_assert_str_eq(rows("SELECT action, status, artifact FROM operations WHERE id = 2"),
                     line("server.rollback|ok|%s\n", id));
    jiku_actions_release(&a, 1);
    free(id);
}

Test(engine, dry_run_rollback_asks_the_plugin)
{
    char *id = make(JIKU_VERB_SNAPSHOT);
    struct jiku_action a = {.args.to = id};

    (void)recorded();
    s.dry_run = true;
    run_one(&a, "acme/shop", JIKU_VERB_ROLLBACK);
    cr_assert_str_eq(a.rep.status, "ok", "%s", a.rep.error);
    cr_assert_null(a.rep.safety_artifact);
    cr_assert_str_eq(recorded(), line("rollback acme/shop %s dry-run\n", id));
    cr_assert_str_eq(rows("SELECT kind FROM artifacts"), "snapshot\n");
    cr_assert_str_eq(rows("SELECT action, status, artifact FROM operations WHERE id = 2"),
                     line("server.rollback|ok|%s\n", id));
    cr_assert_str_eq(rows(AUDIT " LIMIT -1 OFFSET 2"),
                     line("decision|acme/shop|server.rollback|allow|NULL|1\n"
                          "operation|acme/shop|server.rollback|ok|%s|1\n",
                          id));
    jiku_actions_release(&a, 1);
    free(id);
}

Test(engine, dry_run_snapshot_only_decides)
{
    struct jiku_action a = {0};

    s.dry_run = true;
    run_one(&a, "acme/shop", JIKU_VERB_SNAPSHOT);
    cr_assert_str_eq(a.rep.status, "skipped");
    cr_assert_str_eq(recorded(), "");
    cr_assert_str_eq(rows(ARTS), "");
    cr_assert_str_eq(rows(OPS), "");
    cr_assert_str_eq(rows(AUDIT), "decision|acme/shop|server.snapshot|allow|NULL|1\n");
    jiku_actions_release(&a, 1);
}

Test(engine, denied_never_reaches_the_plugin)
{
    struct jiku_action a = {0};

    run_one(&a, "highco/portal", JIKU_VERB_SNAPSHOT);
    cr_assert_str_eq(a.rep.status, "denied");
    cr_assert_eq(a.rep.status_code, JIKU_E_DENIED);
    cr_assert_not(a.decision.allowed);
    cr_assert_str_eq(recorded(), "");
    cr_assert_str_eq(rows(ARTS), "");
    cr_assert_str_eq(rows(OPS), "highco/portal|server.snapshot|denied|77|NULL\n");
    cr_assert_str_eq(rows("SELECT event, decision FROM audit ORDER BY seq"),
                     "decision|deny\noperation|denied\n");
    jiku_actions_release(&a, 1);
}

Test(engine, failed_rollback_that_changed_the_server_is_rolled_back)
{
    char *id = make(JIKU_VERB_SNAPSHOT);
    struct jiku_action a = {.args.to = id};
    const char *safety;

    (void)recorded();
    cr_assert_eq(setenv("JIKU_RECORDER_FAIL", line("rollback:%s", id), 1), 0);
    cr_assert_eq(setenv("JIKU_RECORDER_CHANGED", "rollback", 1), 0);
    run_one(&a, "acme/shop", JIKU_VERB_ROLLBACK);
    safety = a.rep.safety_artifact;
    cr_assert_not_null(safety);
    cr_assert_str_eq(a.rep.status, "failed");
    cr_assert_eq(a.rep.status_code, JIKU_E_FAILED);
    cr_assert(strstr(a.rep.error, line("automatic rollback (operation 3) restored the state "
                                       "before it from safety snapshot '%s'",
                                       safety)) != NULL,
              "%s", a.rep.error);
    cr_assert_str_eq(recorded(), line("snapshot acme/shop %s\nrollback acme/shop %s\n"
                                      "rollback acme/shop %s\n",
                                      safety, id, safety));
    cr_assert_str_eq(rows("SELECT id, action, status, artifact FROM operations WHERE id > 1"),
                     line("2|server.rollback|failed|%s\n3|server.rollback|ok|%s\n", id, safety));
    cr_assert_str_eq(rows("SELECT event, decision, artifact, reason FROM audit WHERE seq > 3"),
                     line("operation|failed|%s|%s\n"
                          "operation|ok|%s|automatic rollback after rollback operation 2 failed\n",
                          id, a.rep.error, safety));
    jiku_actions_release(&a, 1);
    free(id);
}

/* The artifact row ID, as prune's caller lists it. */
static void
get(const char *id, struct jiku_artifact *out)
{
    struct jiku_err err = {0};

    cr_assert_eq(jiku_catalog_artifact_get(s.cat, id, out, &err), 0, "%s", err.msg);
}

/* The plugin was not asked, and the one artifact is still good. */
static void
expect_kept(void)
{
    cr_assert_str_eq(recorded(), "");
    cr_assert_str_eq(rows("SELECT status FROM artifacts"), "good\n");
}

/* A prune action removing all of ART of acme/shop. */
static struct jiku_action
prune_of(struct jiku_artifact *art)
{
    return (struct jiku_action){.target = jiku_config_target(s.cfg, "acme/shop"),
                                .verb = JIKU_VERB_PRUNE,
                                .args = {.artifact = art, .prune = JIKU_PRUNE_ALL}};
}

Test(engine, prune_removes_through_the_plugin_and_the_catalog)
{
    char *id = make(JIKU_VERB_BACKUP);
    struct jiku_artifact art = {0};
    struct jiku_action a = {0};
    struct stat st;
    char bdir[PATH_SIZE];

    snprintf(bdir, sizeof(bdir), "%s", at(line("backups/acme/shop/%s", id)));
    cr_assert_eq(stat(bdir, &st), 0, "no backup directory '%s'", bdir);
    (void)recorded();
    get(id, &art);

    /* A dry run decides and names it, and neither asks the plugin nor removes anything. */
    s.dry_run = true;
    a = prune_of(&art);
    run_one(&a, "acme/shop", JIKU_VERB_PRUNE);
    cr_assert_str_eq(a.rep.status, "skipped");
    cr_assert_str_eq(a.rep.artifact, id);
    expect_kept();
    jiku_actions_release(&a, 1);

    s.dry_run = false;
    a = prune_of(&art);
    run_one(&a, "acme/shop", JIKU_VERB_PRUNE);
    cr_assert_str_eq(a.rep.status, "ok", "%s", a.rep.error);
    cr_assert_str_eq(a.rep.artifact, id);
    cr_assert_str_eq(recorded(), line("prune acme/shop %s\n", id));
    cr_assert_str_eq(rows(ARTS), line("%s|backup|pruned|NULL\n", id));
    cr_assert_neq(stat(bdir, &st), 0, "prune left '%s'", bdir);
    /* A step of prune's own report: governed by server.backup, no operation of its own. */
    cr_assert_str_eq(rows(OPS), line("acme/shop|server.backup|ok|0|%s\n", id));
    cr_assert_str_eq(rows(AUDIT " LIMIT -1 OFFSET 2"),
                     "decision|acme/shop|server.backup|allow|NULL|1\n"
                     "decision|acme/shop|server.backup|allow|NULL|0\n");

    /* Pruned meanwhile: nothing left to do. */
    jiku_actions_release(&a, 1);
    a = prune_of(&art);
    run_one(&a, "acme/shop", JIKU_VERB_PRUNE);
    cr_assert_str_eq(a.rep.status, "skipped");
    cr_assert_null(a.rep.artifact);
    cr_assert_str_eq(recorded(), "");
    jiku_actions_release(&a, 1);
    jiku_artifact_release(&art);
    free(id);
}

Test(engine, prune_keeps_what_another_operation_holds)
{
    char *id = make(JIKU_VERB_SNAPSHOT);
    struct jiku_artifact art = {0};
    struct jiku_action a = {0};
    struct jiku_lock *use = NULL;
    struct jiku_err err = {0};

    (void)recorded();
    get(id, &art);
    /* A rollback's hold on its source: shared, as hold_source takes it. */
    cr_assert_eq(jiku_artifact_hold(s.cfg->state_dir, id, true, 0, &use, &err), 0, "%s", err.msg);
    a = prune_of(&art);
    cr_assert_eq(jiku_actions_hold(&s, &a, 1, &err), 0, "%s", err.msg);
    cr_assert(art.in_use, "an artifact another operation holds is not in use");
    cr_assert_null(a.hold);

    run_one(&a, "acme/shop", JIKU_VERB_PRUNE);
    cr_assert_str_eq(a.rep.status, "failed");
    cr_assert_eq(a.rep.status_code, JIKU_E_BUSY);
    expect_kept();
    jiku_actions_release(&a, 1);

    /* Once it is free, prune holds it. */
    jiku_lock_release(use);
    art.in_use = false;
    a = prune_of(&art);
    cr_assert_eq(jiku_actions_hold(&s, &a, 1, &err), 0, "%s", err.msg);
    cr_assert_not(art.in_use);
    cr_assert_not_null(a.hold);
    jiku_actions_release(&a, 1);
    jiku_artifact_release(&art);
    free(id);
}
