/*
 * The action engine (agent/action.c) with the recorder plugin (recorder.c) standing in for
 * cPanel and the fixture's fake host table: what each verb asks the plugin, and what it leaves
 * in the catalog and the audit.  A session of its own, from a configuration written per test.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
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
#include "cli.h"
#include "err.h"
#include "fixture.h"
#include "hold.h"
#include "lock.h"

/* No built-in plugins: "cpanel" must come from the directory, i.e. be the recorder. */
const struct jiku_plugin *const jiku_static_plugins[] = {NULL};

static struct jiku_session s;
static char conf_path[PATH_SIZE];

static void
write_text(const char *path, const char *text)
{
    write_file(path, text, strlen(text), 0600);
}

/* TEMPLATE with every '@' replaced by the test's directory, into PATH. */
static void
write_conf(const char *path, const char *template)
{
    char conf[8192];
    size_t n = 0;

    for (const char *t = template; *t != '\0'; t++) {
        cr_assert_lt(n + sizeof(dir), sizeof(conf));
        if (*t == '@')
            n += (size_t)snprintf(conf + n, sizeof(conf) - n, "%s", dir);
        else
            conf[n++] = *t;
    }
    conf[n] = '\0';
    write_text(path, conf);
}

/*
 * acme (medium: server work is jiku's) and highco (high: its snapshots are not).  The
 * WordPress customers' contracts hand jiku their updates (blogco), with staging and promotion
 * too (stageco), or their snapshots and updates (nightco) or their snapshots alone (denyco),
 * both nightly.  web2 serves its sites on port 8443; blogco/keys sets every update key, and
 * blogco/manual says no to automatic rollbacks.
 * '@' is the test's directory.
 */
static const char conf_template[] = "[agent]\n"
                                    "state_dir = @/state\n"
                                    "backup_dir = @/backups\n"
                                    "policy_dir = " JIKU_SOURCE_DIR "/policies\n"
                                    "plugin_dir = @\n"
                                    "log = stderr\n"
                                    "lock_wait = 2\n"
                                    "[server web1]\n"
                                    "panel = cpanel\n"
                                    "host = 127.0.0.1\n"
                                    "api_token_file = @/token\n"
                                    "ssh_key = @/key\n"
                                    "known_hosts = @/known_hosts\n"
                                    "[server web2]\n"
                                    "panel = cpanel\n"
                                    "host = 127.0.0.1\n"
                                    "api_token_file = @/token\n"
                                    "ssh_key = @/key\n"
                                    "known_hosts = @/known_hosts\n"
                                    "web_port = 8443\n"
                                    "[customer acme]\n"
                                    "tier = medium\n"
                                    "[target acme/shop]\n"
                                    "server = web1\n"
                                    "kind = account\n"
                                    "account = acmeshop\n"
                                    "[customer highco]\n"
                                    "tier = high\n"
                                    "[target highco/portal]\n"
                                    "server = web1\n"
                                    "kind = account\n"
                                    "account = highco\n"
                                    "[customer blogco]\n"
                                    "tier = medium\n"
                                    "application.update = jiku\n"
                                    "[target blogco/blog]\n"
                                    "server = web1\n"
                                    "kind = wordpress\n"
                                    "account = blogco\n"
                                    "domain = blog.example\n"
                                    "staging_domain = staging.blog.example\n"
                                    "[target blogco/keys]\n"
                                    "server = web2\n"
                                    "kind = wordpress\n"
                                    "account = blogco\n"
                                    "domain = keys.example\n"
                                    "update = core, plugins\n"
                                    "update_core = major\n"
                                    "update_exclude = akismet, hello-dolly\n"
                                    "health_path = /health\n"
                                    "health_text = Welcome\n"
                                    "health_timeout = 12\n"
                                    "[target blogco/manual]\n"
                                    "server = web1\n"
                                    "kind = wordpress\n"
                                    "account = blogco\n"
                                    "domain = manual.example\n"
                                    "auto_rollback = no\n"
                                    "[customer stageco]\n"
                                    "tier = medium\n"
                                    "application.update = jiku\n"
                                    "application.stage = jiku\n"
                                    "application.promote = jiku\n"
                                    "[target stageco/site]\n"
                                    "server = web1\n"
                                    "kind = wordpress\n"
                                    "account = stageco\n"
                                    "domain = site.example\n"
                                    "staging_domain = staging.site.example\n"
                                    "[customer nightco]\n"
                                    "tier = medium\n"
                                    "application.snapshot = jiku\n"
                                    "application.update = jiku\n"
                                    "[target nightco/site]\n"
                                    "server = web1\n"
                                    "kind = wordpress\n"
                                    "account = nightco\n"
                                    "domain = night.example\n"
                                    "nightly = snapshot, update\n"
                                    "[customer denyco]\n"
                                    "tier = medium\n"
                                    "application.snapshot = jiku\n"
                                    "[target denyco/site]\n"
                                    "server = web1\n"
                                    "kind = wordpress\n"
                                    "account = denyco\n"
                                    "domain = deny.example\n"
                                    "nightly = snapshot, update\n";

static void
engine_setup(void)
{
    struct jiku_err err = {0};

    fixture_setup();
    install(JIKU_TPLUGIN_RECORDER, "cpanel.so", 0755);
    cr_assert_eq(setenv("JIKU_RECORDER_LOG", at("recorder.log"), 1), 0);
    unsetenv("JIKU_RECORDER_FAIL");
    unsetenv("JIKU_RECORDER_CHANGED");
    unsetenv("JIKU_RECORDER_PENDING");
    unsetenv("JIKU_RECORDER_CHECK");
    write_text(at("token"), "not-a-real-token\n");
    write_text(at("key"), "not-a-real-key\n");
    write_text(at("known_hosts"), "");
    snprintf(conf_path, sizeof(conf_path), "%s", at("agent.conf"));
    write_conf(conf_path, conf_template);

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

/*
 * The update flow (run_update in agent/action.c) with the recorder's update action, which logs
 * each step with what it was given (recorder.c).
 */
/* What an update is given by default, as the recorder logs it. */
#define DEFAULTS " components=core,plugins,themes core=minor exclude=- health=-,-,30 port=443"
#define UPD(t, step) "update " t " " step DEFAULTS "\n"

/* The safety snapshot of the update A took: a good 'x' artifact, its id the report's. */
static const char *
safety_of(const struct jiku_action *a)
{
    const char *x = a->rep.safety_artifact;

    cr_assert_not_null(x, "no safety snapshot");
    /* ID.x, or ID.x.N for the second one of a second */
    cr_assert_not_null(strstr(x, ".x"), "'%s' is not a safety id", x);
    cr_assert_str_eq(rows(line("SELECT kind, status FROM artifacts WHERE id = '%s'", x)),
                     "safety|good\n");
    return x;
}

Test(engine, update_with_nothing_pending_only_lists)
{
    struct jiku_action a = {0};

    run_one(&a, "blogco/blog", JIKU_VERB_UPDATE);
    cr_assert_str_eq(a.rep.status, "ok", "%s", a.rep.error);
    cr_assert_null(a.rep.safety_artifact);
    cr_assert_eq(a.rep.n_updates, 0);
    cr_assert_null(a.rep.update_state);
    cr_assert_str_eq(recorded(), UPD("blogco/blog", "list"));
    cr_assert_str_eq(rows(ARTS), "");
    cr_assert_str_eq(rows(OPS), "blogco/blog|application.update|ok|0|NULL\n");
    cr_assert_str_eq(rows(AUDIT), "decision|blogco/blog|application.update|allow|NULL|0\n"
                                  "operation|blogco/blog|application.update|ok|NULL|0\n");
    jiku_actions_release(&a, 1);
}

/* Everything Criterion redirected to stdout so far. */
static const char *
captured_stdout(void)
{
    static char buf[8192];
    size_t n;

    fflush(stdout);
    n = fread(buf, 1, sizeof(buf) - 1, cr_get_redirected_stdout());
    buf[n] = '\0';
    return buf;
}

/*
 * The engine's output as JSON lines on a redirected stdout.  Criterion runs the suite's init
 * (engine_setup) before a test's own.
 */
static void
json_setup(void)
{
    cr_redirect_stdout();
    jiku_out_init(&s.out, "update", true, false);
}

Test(engine, update_takes_a_safety_snapshot_then_applies, .init = json_setup)
{
    struct jiku_action a = {0};
    const char *x, *out;

    cr_assert_eq(setenv("JIKU_RECORDER_PENDING", "2", 1), 0);
    run_one(&a, "blogco/blog", JIKU_VERB_UPDATE);
    cr_assert_str_eq(a.rep.status, "ok", "%s", a.rep.error);
    x = safety_of(&a);
    cr_assert_str_eq(recorded(), line(UPD("blogco/blog", "list") "snapshot blogco/blog %s\n" UPD(
                                          "blogco/blog", "apply"),
                                      x));
    cr_assert_str_eq(rows(ARTS), line("%s|safety|good|/fake/%s.tar.gz\n", x, x));
    cr_assert_str_eq(rows(OPS), "blogco/blog|application.update|ok|0|NULL\n");

    /* What APPLY reported, as updated. */
    cr_assert_eq(a.rep.n_updates, 2);
    cr_assert_str_eq(a.rep.update_state, "updated");
    cr_assert_eq(a.rep.updates[0].component, JIKU_UPDATE_CORE);
    cr_assert_str_eq(a.rep.updates[0].name, "wordpress");
    cr_assert_eq(a.rep.updates[1].component, JIKU_UPDATE_PLUGINS);
    cr_assert_str_eq(a.rep.updates[1].name, "plugin-1");
    cr_assert_str_eq(a.rep.updates[1].from, "1.1");
    cr_assert_str_eq(a.rep.updates[1].to, "2.1");

    out = captured_stdout();
    cr_assert(strstr(out, line("\"type\":\"operation\",\"id\":\"1\",\"target\":\"blogco/blog\","
                               "\"action\":\"application.update\",\"status\":\"ok\"")) != NULL,
              "%s", out);
    cr_assert(strstr(out, "{\"type\":\"update\",\"operation\":\"1\",\"target\":\"blogco/blog\","
                          "\"component\":\"core\",\"name\":\"wordpress\",\"from\":\"1.0\","
                          "\"to\":\"2.0\",\"state\":\"updated\"}\n"
                          "{\"type\":\"update\",\"operation\":\"1\",\"target\":\"blogco/blog\","
                          "\"component\":\"plugin\",\"name\":\"plugin-1\",\"from\":\"1.1\","
                          "\"to\":\"2.1\",\"state\":\"updated\"}\n") != NULL,
              "%s", out);
    jiku_actions_release(&a, 1);
}

/*
 * An update of TARGET (one component pending) whose APPLY fails, after it changed the site
 * when CHANGED: it took its safety snapshot, returned, and is then what the recorder saw,
 * followed by TAIL.
 */
static const char *
failed_apply(struct jiku_action *a, const char *target, bool changed, const char *tail)
{
    const char *x;

    cr_assert_eq(setenv("JIKU_RECORDER_PENDING", "1", 1), 0);
    cr_assert_eq(setenv("JIKU_RECORDER_FAIL", "update:apply", 1), 0);
    if (changed)
        cr_assert_eq(setenv("JIKU_RECORDER_CHANGED", "update:apply", 1), 0);
    run_one(a, target, JIKU_VERB_UPDATE);
    cr_assert_str_eq(a->rep.status, "failed");
    x = safety_of(a);
    cr_assert_str_eq(recorded(), line("update %s list" DEFAULTS "\nsnapshot %s %s\n"
                                      "update %s apply" DEFAULTS "\n%s",
                                      target, target, x, target, line(tail, target, x)));
    return x;
}

Test(engine, update_that_fails_after_a_change_is_rolled_back)
{
    struct jiku_action a = {0};
    const char *x = failed_apply(&a, "blogco/blog", true, "rollback %s %s\n"), *reason;

    cr_assert_eq(jiku_status_exit_code(a.rep.status_code), 1);
    cr_assert_str_eq(a.rep.error,
                     line("update failed; automatic rollback (operation 2) restored the state "
                          "before it from safety snapshot '%s': recorder: update of 'blogco/blog' "
                          "failed as JIKU_RECORDER_FAIL asks",
                          x));
    cr_assert_str_eq(a.rep.update_state, "rolled-back");
    cr_assert_str_eq(
        rows("SELECT id, action, status, exit_code, artifact FROM operations"),
        line("1|application.update|failed|1|NULL\n2|application.rollback|ok|0|%s\n", x));
    cr_assert_str_eq(
        rows("SELECT event, action, decision, artifact FROM audit WHERE seq > 1"),
        line("operation|application.update|failed|NULL\noperation|application.rollback|ok|%s\n",
             x));
    /* The update's record says why (and may name its components after that). */
    reason = rows("SELECT reason FROM audit WHERE action = 'application.update' AND seq > 1");
    cr_assert(strncmp(reason, a.rep.error, strlen(a.rep.error)) == 0, "%s", reason);
    cr_assert_str_eq(rows("SELECT reason FROM audit WHERE action = 'application.rollback'"),
                     "automatic rollback after update operation 1 failed\n");
    jiku_actions_release(&a, 1);
}

/* Not undone: before any change, or when the target says no to automatic rollbacks. */
Test(engine, update_that_fails_is_not_rolled_back_before_a_change_or_against_the_config)
{
    static const struct {
        const char *target;
        bool changed;
        const char *why, *state;
    } cases[] = {
        {"blogco/blog", false, "update failed; the state before it is in safety snapshot '%s'",
         "not-applied"},
        {"blogco/manual", true,
         "update failed and left the server changed (auto_rollback = no); the state before it is "
         "in safety snapshot '%s'",
         "failed"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct jiku_action a = {0};
        const char *x = failed_apply(&a, cases[i].target, cases[i].changed, "");

        cr_assert_eq(a.rep.status_code, JIKU_E_PANEL);
        cr_assert_str_eq(a.rep.error,
                         line("%s: recorder: update of '%s' failed as JIKU_RECORDER_FAIL asks",
                              line(cases[i].why, x), cases[i].target));
        cr_assert_str_eq(a.rep.update_state, cases[i].state);
        cr_assert_str_eq(rows(line("SELECT action, status, exit_code FROM operations WHERE "
                                   "target = '%s'",
                                   cases[i].target)),
                         "application.update|failed|1\n");
        jiku_actions_release(&a, 1);
    }
}

Test(engine, update_without_a_safety_snapshot_changes_nothing)
{
    const char *want = UPD("blogco/blog", "list") "snapshot blogco/blog ", *log;
    struct jiku_action a = {0};

    cr_assert_eq(setenv("JIKU_RECORDER_PENDING", "1", 1), 0);
    cr_assert_eq(setenv("JIKU_RECORDER_FAIL", "snapshot", 1), 0);
    run_one(&a, "blogco/blog", JIKU_VERB_UPDATE);
    cr_assert_str_eq(a.rep.status, "failed");
    cr_assert_null(a.rep.safety_artifact);
    cr_assert(strncmp(a.rep.error, "safety snapshot failed, nothing was changed: ", 45) == 0, "%s",
              a.rep.error);
    cr_assert_str_eq(a.rep.update_state, "not-applied");
    /* The snapshot's id went with its row, so its line is matched up to it; no more lines. */
    log = recorded();
    cr_assert(strncmp(log, want, strlen(want)) == 0 && strchr(log + strlen(want), '\n')[1] == '\0',
              "%s", log);
    cr_assert_str_eq(rows(ARTS), "");
    jiku_actions_release(&a, 1);
}

Test(engine, update_check_only_lists_without_the_lock)
{
    struct jiku_action a = {0};
    struct jiku_lock *lock = NULL;
    struct jiku_err err = {0};
    const struct jiku_target_conf *t = jiku_config_target(s.cfg, "blogco/blog");

    /* Another process works on the site meanwhile. */
    cr_assert_eq(jiku_lock_target(s.cfg->state_dir, t, 0, &lock, &err), 0, "%s", err.msg);
    cr_assert_eq(setenv("JIKU_RECORDER_PENDING", "2", 1), 0);
    s.dry_run = true;
    run_one(&a, "blogco/blog", JIKU_VERB_UPDATE);
    cr_assert_str_eq(a.rep.status, "ok", "%s", a.rep.error);
    cr_assert_null(a.rep.safety_artifact);
    cr_assert_eq(a.rep.n_updates, 2);
    cr_assert_str_eq(a.rep.update_state, "pending");
    cr_assert_str_eq(recorded(), "update blogco/blog list" DEFAULTS " dry-run\n");
    cr_assert_str_eq(rows(ARTS), "");
    cr_assert_str_eq(rows(OPS), "blogco/blog|application.update|ok|0|NULL\n");
    cr_assert_str_eq(rows(AUDIT), "decision|blogco/blog|application.update|allow|NULL|1\n"
                                  "operation|blogco/blog|application.update|ok|NULL|1\n");
    jiku_actions_release(&a, 1);

    /* A real update waits for that lock. */
    s.dry_run = false;
    s.lock_wait = 0;
    run_one(&a, "blogco/blog", JIKU_VERB_UPDATE);
    cr_assert_eq(a.rep.status_code, JIKU_E_BUSY, "%s", a.rep.error);
    cr_assert_str_eq(recorded(), "");
    jiku_actions_release(&a, 1);
    jiku_lock_release(lock);
}

Test(engine, staged_update_needs_stage_and_promote_too)
{
    struct jiku_action a = {.args.staged = true};

    cr_assert_eq(setenv("JIKU_RECORDER_PENDING", "1", 1), 0);
    run_one(&a, "blogco/blog", JIKU_VERB_UPDATE);
    cr_assert_str_eq(a.rep.status, "denied");
    cr_assert_eq(a.rep.status_code, JIKU_E_DENIED);
    cr_assert(strncmp(a.rep.error, "update --staged needs application.stage too: ", 45) == 0, "%s",
              a.rep.error);
    cr_assert_str_eq(recorded(), "");
    cr_assert_str_eq(rows(OPS), "blogco/blog|application.update|denied|77|NULL\n");
    cr_assert_str_eq(rows("SELECT event, action, decision FROM audit ORDER BY seq"),
                     "decision|application.update|allow\n"
                     "decision|application.stage|deny\n"
                     "operation|application.update|denied\n");
    jiku_actions_release(&a, 1);
}

Test(engine, staged_update_stages_checks_snapshots_promotes_checks)
{
    struct jiku_action a = {.args.staged = true};
    const char *x;

    cr_assert_eq(setenv("JIKU_RECORDER_PENDING", "1", 1), 0);
    cr_assert_eq(setenv("JIKU_RECORDER_CHANGED", "promote", 1), 0);
    run_one(&a, "stageco/site", JIKU_VERB_UPDATE);
    cr_assert_str_eq(a.rep.status, "ok", "%s", a.rep.error);
    x = safety_of(&a);
    cr_assert_str_eq(recorded(), line(UPD("stageco/site", "list") "stage stageco/site -\n" UPD(
                                          "stageco/site", "staging") "snapshot stageco/site %s\n"
                                                                     "promote stageco/site -\n" UPD(
                                                                         "stageco/site", "check"),
                                      x));
    cr_assert_str_eq(a.rep.update_state, "updated");
    cr_assert_eq(a.rep.n_updates, 1);
    cr_assert_str_eq(rows(OPS), "stageco/site|application.update|ok|0|NULL\n");
    cr_assert_str_eq(rows("SELECT event, action, decision FROM audit ORDER BY seq"),
                     "decision|application.update|allow\n"
                     "decision|application.stage|allow\n"
                     "decision|application.promote|allow\n"
                     "operation|application.update|ok\n");
    jiku_actions_release(&a, 1);
}

Test(engine, staged_update_that_fails_on_staging_leaves_live_alone)
{
    static const struct {
        const char *fail, *log, *why;
    } cases[] = {
        {"update:staging",
         UPD("stageco/site", "list") "stage stageco/site -\n" UPD("stageco/site", "staging"),
         "the staging copy failed its update; live was not touched: recorder: update of "
         "'stageco/site' failed as JIKU_RECORDER_FAIL asks"},
        {"stage", UPD("stageco/site", "list") "stage stageco/site -\n",
         "refreshing the staging copy failed; live was not touched: recorder: stage of "
         "'stageco/site' failed as JIKU_RECORDER_FAIL asks"},
    };

    cr_assert_eq(setenv("JIKU_RECORDER_PENDING", "1", 1), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct jiku_action a = {.args.staged = true};

        cr_assert_eq(setenv("JIKU_RECORDER_FAIL", cases[i].fail, 1), 0);
        run_one(&a, "stageco/site", JIKU_VERB_UPDATE);
        cr_assert_str_eq(a.rep.status, "failed");
        cr_assert_str_eq(a.rep.error, cases[i].why);
        cr_assert_null(a.rep.safety_artifact);
        cr_assert_str_eq(a.rep.update_state, "not-applied");
        cr_assert_str_eq(recorded(), cases[i].log);
        cr_assert_str_eq(rows(ARTS), "");
        jiku_actions_release(&a, 1);
    }
}

Test(engine, staged_update_that_fails_after_promote_is_rolled_back)
{
    static const struct {
        const char *fail, *last;
    } cases[] = {
        {"update:check", UPD("stageco/site", "check")},
        {"promote", ""},
    };

    cr_assert_eq(setenv("JIKU_RECORDER_PENDING", "1", 1), 0);
    cr_assert_eq(setenv("JIKU_RECORDER_CHANGED", "promote", 1), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct jiku_action a = {.args.staged = true};
        const char *x;

        cr_assert_eq(setenv("JIKU_RECORDER_FAIL", cases[i].fail, 1), 0);
        run_one(&a, "stageco/site", JIKU_VERB_UPDATE);
        x = safety_of(&a);
        cr_assert_str_eq(a.rep.status, "failed");
        cr_assert_eq(jiku_status_exit_code(a.rep.status_code), 1);
        cr_assert(strstr(a.rep.error, "update failed; automatic rollback (operation ") != NULL,
                  "%s", a.rep.error);
        cr_assert_str_eq(a.rep.update_state, "rolled-back");
        cr_assert_str_eq(recorded(),
                         line(UPD("stageco/site", "list") "stage stageco/site -\n" UPD(
                                  "stageco/site", "staging") "snapshot stageco/site %s\n"
                                                             "promote stageco/site -\n"
                                                             "%srollback stageco/site %s\n",
                              x, cases[i].last, x));
        cr_assert_str_eq(
            rows(line("SELECT status FROM operations WHERE action = 'application.rollback' AND "
                      "id = %s + 1",
                      a.rep.id)),
            "ok\n");
        jiku_actions_release(&a, 1);
    }
}

Test(engine, update_passes_the_targets_keys_and_only)
{
    static const struct {
        unsigned only;
        const char *components;
    } cases[] = {
        {0, "core,plugins"},
        {JIKU_UPDATE_BIT(JIKU_UPDATE_PLUGINS), "plugins"},
        {JIKU_UPDATE_BIT(JIKU_UPDATE_PLUGINS) | JIKU_UPDATE_BIT(JIKU_UPDATE_THEMES), "plugins"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct jiku_action a = {.args.only = cases[i].only};

        run_one(&a, "blogco/keys", JIKU_VERB_UPDATE);
        cr_assert_str_eq(a.rep.status, "ok", "%s", a.rep.error);
        cr_assert_str_eq(recorded(),
                         line("update blogco/keys list components=%s core=major "
                              "exclude=akismet,hello-dolly health=/health,Welcome,12 port=8443\n",
                              cases[i].components));
        jiku_actions_release(&a, 1);
    }
}

/*
 * The plugin's check() refuses what the panel cannot do with the command's parameters
 * (plugin.h): for an update those are the update's, as every step gets them.
 */
Test(engine, update_check_is_given_the_update)
{
    struct jiku_action a = {.args.only = JIKU_UPDATE_BIT(JIKU_UPDATE_PLUGINS)};

    cr_assert_eq(setenv("JIKU_RECORDER_CHECK", "1", 1), 0);
    run_one(&a, "blogco/keys", JIKU_VERB_UPDATE);
    cr_assert_str_eq(a.rep.status, "ok", "%s", a.rep.error);
    cr_assert_str_eq(recorded(),
                     "check blogco/keys update components=plugins core=major "
                     "exclude=akismet,hello-dolly health=/health,Welcome,12 port=8443\n"
                     "update blogco/keys list components=plugins core=major "
                     "exclude=akismet,hello-dolly health=/health,Welcome,12 port=8443\n");
    jiku_actions_release(&a, 1);
}

/* The lines of LOG (one call a line) about TARGET. */
static const char *
lines_of(const char *log, const char *target)
{
    static char buf[4096];
    size_t n = 0, tlen = strlen(target);

    buf[0] = '\0';
    for (const char *l = log; *l != '\0';) {
        const char *sp = strchr(l, ' ');
        size_t len = strcspn(l, "\n") + 1;

        if (sp != NULL && strncmp(sp + 1, target, tlen) == 0 && sp[1 + tlen] == ' ') {
            cr_assert_lt(n + len, sizeof(buf));
            memcpy(buf + n, l, len);
            n += len;
            buf[n] = '\0';
        }
        l += len;
    }
    return buf;
}

/* Nightly runs each target's list in rounds: its snapshot, then its update. */
Test(engine, nightly_snapshots_then_updates)
{
    struct jiku_cmd_args args = {0};
    char night[PATH_SIZE], deny[PATH_SIZE];
    const char *log, *x;

    cr_assert_eq(setenv("JIKU_RECORDER_PENDING", "1", 1), 0);
    cr_assert_eq(jiku_cmd_nightly(&s, &args), 0);
    log = recorded();
    snprintf(night, sizeof(night), "%s",
             rows("SELECT id FROM artifacts WHERE target = 'nightco/site' AND kind = 'snapshot'"));
    snprintf(deny, sizeof(deny), "%s",
             rows("SELECT id FROM artifacts WHERE target = 'denyco/site' AND kind = 'snapshot'"));
    x = rows("SELECT id FROM artifacts WHERE kind = 'safety'");
    cr_assert_str_eq(
        lines_of(log, "nightco/site"),
        line("snapshot nightco/site %s" UPD("nightco/site", "list") "snapshot nightco/site %s" UPD(
                 "nightco/site", "apply"),
             night, x));
    cr_assert_str_eq(lines_of(log, "denyco/site"), line("snapshot denyco/site %s", deny));
    cr_assert_str_eq(rows(OPS), line("nightco/site|application.snapshot|ok|0|%s"
                                     "denyco/site|application.snapshot|ok|0|%s"
                                     "nightco/site|application.update|ok|0|NULL\n"
                                     "denyco/site|application.update|denied|77|NULL\n",
                                     night, deny));
    /* Round by round: the updates are decided only once the snapshots are done. */
    cr_assert_str_eq(rows("SELECT event, target, action, decision FROM audit ORDER BY seq"),
                     "decision|nightco/site|application.snapshot|allow\n"
                     "decision|denyco/site|application.snapshot|allow\n"
                     "operation|nightco/site|application.snapshot|ok\n"
                     "operation|denyco/site|application.snapshot|ok\n"
                     "decision|nightco/site|application.update|allow\n"
                     "decision|denyco/site|application.update|deny\n"
                     "operation|denyco/site|application.update|denied\n"
                     "operation|nightco/site|application.update|ok\n");
    /* Partly done: exit 3. */
    cr_assert_eq(jiku_out_exit_code(&s.out), 3);
}
