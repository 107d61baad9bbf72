/*
 * The report (agent/report.c): a catalog and an audit built with the agent's own API at fixed
 * times, rendered at a fixed now in each format and compared with the golden files in
 * tests/report/.  After an intended change, rewrite them with
 *
 *     JIKU_UPDATE_GOLDEN=1 ./test_report
 *
 * and read the diff.  Paths of the test's directory and of policies/ are written as @D@ and @P@
 * in the golden JSON.  tests/report/check_html.sh opens the golden HTML in headless Chromium.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "artifact.h"
#include "audit.h"
#include "catalog.h"
#include "config.h"
#include "fsutil.h"
#include "report.h"

#define POLICY_DIR JIKU_SOURCE_DIR "/policies"
#define GOLDEN_DIR JIKU_SOURCE_DIR "/tests/report"

#define T0 1795745700             /* 2026-11-27T02:15:00Z: this night's run */
#define NOW (T0 + 4 * 3600 + 900) /* 06:30, when the admin reads it */
#define DAY 86400

extern const struct jiku_plugin jiku_plugin_cpanel_desc, jiku_plugin_plesk_desc;
const struct jiku_plugin *const jiku_static_plugins[] = {
    &jiku_plugin_cpanel_desc,
    &jiku_plugin_plesk_desc,
    NULL,
};

static char dir[64];
static struct jiku_config *cfg;
static struct jiku_catalog *cat;

static void
write_file(const char *rel, mode_t mode, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    cr_assert_not_null(f = fopen(path, "w"), "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(chmod(path, mode), 0);
}

/* Three customers, one per tier: a good target, an updated one, one without nightly, a stale
 * one with a hostile panel error, one whose snapshots the policy refuses. */
static const char conf_text[] = "[agent]\n"
                                "state_dir = @D@/state\n"
                                "backup_dir = @D@/backups\n"
                                "policy_dir = @P@\n"
                                "plugin_dir = @D@/plugins\n"
                                "\n"
                                "[server web1]\n"
                                "panel = cpanel\n"
                                "host = 127.0.0.1\n"
                                "api_token_file = @D@/token\n"
                                "ssh_key = @D@/id_ed25519\n"
                                "known_hosts = @D@/known_hosts\n"
                                "\n"
                                "[server plesk1]\n"
                                "panel = plesk\n"
                                "host = 127.0.0.2\n"
                                "api_token_file = @D@/token\n"
                                "ssh_key = @D@/id_ed25519\n"
                                "known_hosts = @D@/known_hosts\n"
                                "\n"
                                "[customer acme]\n"
                                "tier = medium\n"
                                "contact = Ops Team <ops@acme.example>\n"
                                "application.stage = jiku\n"
                                "\n"
                                "[target acme/shop]\n"
                                "server = web1\n"
                                "kind = account\n"
                                "account = acmeshop\n"
                                "nightly = snapshot, backup\n"
                                "\n"
                                "[target acme/blog]\n"
                                "server = web1\n"
                                "kind = wordpress\n"
                                "account = acmeshop\n"
                                "domain = blog.acme.example\n"
                                "nightly = snapshot, update\n"
                                "\n"
                                "[target acme/archive]\n"
                                "server = web1\n"
                                "kind = account\n"
                                "account = acmearch\n"
                                "nightly = none\n"
                                "\n"
                                "[customer lowco]\n"
                                "tier = low\n"
                                "contact = \"Lo & Co\" <script>alert(1)</script> | *24/7*\n"
                                "\n"
                                "[target lowco/site]\n"
                                "server = plesk1\n"
                                "kind = subscription\n"
                                "account = lowco.example\n"
                                "nightly = backup\n"
                                "\n"
                                "[customer highco]\n"
                                "tier = high\n"
                                "\n"
                                "[target highco/portal]\n"
                                "server = web1\n"
                                "kind = account\n"
                                "account = highco\n"
                                "nightly = snapshot\n";

/* S with every FROM replaced by TO; S is freed. */
static char *
replace(char *s, const char *from, const char *to)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    const char *p = s, *q;

    while ((q = strstr(p, from)) != NULL) {
        jiku_buf_add(&b, p, (size_t)(q - p));
        jiku_buf_adds(&b, to);
        p = q + strlen(from);
    }
    jiku_buf_adds(&b, p);
    free(s);
    return jiku_buf_detach(&b);
}

static void
setup(void)
{
    struct jiku_diags diags = {0};
    struct jiku_err err = {0};
    char *conf, path[128];

    snprintf(dir, sizeof(dir), "/tmp/jiku-report-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    write_file("token", 0600, "not-a-token\n");
    write_file("id_ed25519", 0600, "not-a-key\n");
    write_file("known_hosts", 0644, "# none\n");
    conf = replace(replace(strdup(conf_text), "@D@", dir), "@P@", POLICY_DIR);
    write_file("agent.conf", 0600, conf);
    free(conf);
    snprintf(path, sizeof(path), "%s/agent.conf", dir);
    cr_assert_eq(jiku_config_load(path, JIKU_CONFIG_NO_SECRET_CHECK, &cfg, &diags, &err), 0, "%s",
                 err.msg);
    jiku_diags_release(&diags);
    cr_assert_eq(jiku_catalog_open(cfg->state_dir, &cat, &err), 0, "%s", err.msg);
}

static void
teardown(void)
{
    jiku_catalog_close(cat);
    jiku_config_free(cfg);
    cat = NULL;
    cfg = NULL;
    jiku_remove_tree(dir, NULL);
}

TestSuite(report, .init = setup, .fini = teardown, .timeout = 60);

/* A good artifact of TARGET made at T, as the action flow leaves it; the caller frees the id. */
static char *
artifact(const char *target, enum jiku_artifact_kind kind, time_t t, uint64_t size,
         enum jiku_artifact_status status)
{
    const struct jiku_target_conf *tc = jiku_config_target(cfg, target);
    struct jiku_artifact a = {0};
    struct jiku_err err = {0};
    char *id = NULL;

    cr_assert_not_null(tc);
    a.customer = tc->customer->name;
    a.target = (char *)target;
    a.kind = kind;
    a.server = (char *)tc->server->info.name;
    a.panel = (char *)tc->server->info.panel;
    a.created = t;
    cr_assert_eq(jiku_catalog_artifact_reserve(cat, &a, &id, &err), 0, "%s", err.msg);
    a.id = id;
    a.status = status;
    a.size = size;
    a.location = "/backup/x";
    cr_assert_eq(jiku_catalog_artifact_update(cat, &a, &err), 0, "%s", err.msg);
    return id;
}

static void
good(const char *target, enum jiku_artifact_kind kind, time_t t, uint64_t size)
{
    free(artifact(target, kind, t, size, JIKU_ART_GOOD));
}

/* An operation's audit record, as agent/action.c's finish() writes it. */
static void
operation(const char *target, const char *action, const char *status, const char *reason, time_t t,
          bool dry_run)
{
    const struct jiku_target_conf *tc = jiku_config_target(cfg, target);
    struct jiku_audit_record rec = {
        .time = t,
        .run_id = 1,
        .event = "operation",
        .actor = "systemd:jiku-agent-nightly.service",
        .customer = tc->customer->name,
        .tier = tc->customer->tier,
        .target = target,
        .action = action,
        .decision = status,
        .reason = reason,
        .dry_run = dry_run,
    };
    struct jiku_err err = {0};

    cr_assert_eq(jiku_audit_append(cat, &rec, &err), 0, "%s", err.msg);
}

static void
fleet(void)
{
    const char *denied = "denied: server.snapshot for customer 'highco' (tier high) is assigned "
                         "to the customer (high.policy:6)";

    /* acme/shop: every night both, the older ones kept */
    good("acme/shop", JIKU_ARTIFACT_SNAPSHOT, T0 - DAY, 1288490189);
    good("acme/shop", JIKU_ARTIFACT_BACKUP, T0 - DAY + 420, 3650722201);
    good("acme/shop", JIKU_ARTIFACT_SNAPSHOT, T0, 1290000000);
    good("acme/shop", JIKU_ARTIFACT_BACKUP, T0 + 420, 3652000000);
    free(artifact("acme/shop", JIKU_ARTIFACT_BACKUP, T0 + 900, 0, JIKU_ART_PENDING));
    operation("acme/shop", "server.snapshot", "ok", "ok", T0 + 60, false);
    /* acme/blog: a snapshot, then an update tonight; last night's was rolled back */
    good("acme/blog", JIKU_ARTIFACT_SNAPSHOT, T0 + 120, 262144000);
    good("acme/blog", JIKU_ARTIFACT_SAFETY, T0 + 600, 262144000);
    operation("acme/blog", "application.update", "failed",
              "health check of https://blog.acme.example/ failed: HTTP 500; plugin broken-gallery "
              "1.0.4 -> 1.1.0: rolled-back",
              T0 - DAY + 700, false);
    operation("acme/blog", "application.update", "ok",
              "ok; core wordpress 6.6.1 -> 6.6.2, plugin akismet 5.3.2 -> 5.3.3: updated", T0 + 700,
              false);
    operation("acme/blog", "application.update", "skipped",
              "ok; plugin jetpack 13.1 -> 13.2: pending", T0 + 800, true);
    /* acme/archive: no nightly, an old backup by hand */
    good("acme/archive", JIKU_ARTIFACT_BACKUP, T0 - 40 * DAY, 91226112);
    /* lowco/site: its server unreachable since three nights; a hostile panel message */
    good("lowco/site", JIKU_ARTIFACT_BACKUP, T0 - 3 * DAY, 734003200);
    free(artifact("lowco/site", JIKU_ARTIFACT_BACKUP, T0 - 2 * DAY, 0, JIKU_ART_FAILED));
    operation("lowco/site", "server.backup", "failed",
              "cannot reach 'plesk1': connection timed out after 30 s", T0 - 2 * DAY, false);
    operation("lowco/site", "server.backup", "failed",
              "panel said: <script>alert('x')</script>\x1b[31m | *red* \xe2\x80\xae", T0 + 30,
              false);
    operation("lowco/site", "server.backup", "failed", "before the period", NOW - 8 * DAY, false);
    /* highco/portal: its tier gives snapshots to the customer */
    operation("highco/portal", "server.snapshot", "denied", denied, T0 - DAY + 10, false);
    operation("highco/portal", "server.snapshot", "denied", denied, T0 + 10, false);
}

static char *
render_at(enum jiku_report_format format, const char *customer, time_t now)
{
    struct jiku_report_opts opts = {
        .customer = customer,
        .since = NOW - 7 * DAY,
        .now = now,
        .host = "agent1.example.net",
        .format = format,
    };
    struct jiku_buf out = JIKU_BUF_INIT;
    struct jiku_err err = {0};

    cr_assert_eq(jiku_report_render(cat, cfg, &opts, &out, &err), 0, "%s", err.msg);
    return jiku_buf_detach(&out);
}

static char *
render(enum jiku_report_format format, const char *customer)
{
    return render_at(format, customer, NOW);
}

static void
golden(const char *name, const char *got)
{
    char path[512];
    struct jiku_buf want = JIKU_BUF_INIT;
    FILE *f;
    int c;

    snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, name);
    if (getenv("JIKU_UPDATE_GOLDEN") != NULL) {
        cr_assert_not_null(f = fopen(path, "w"), "cannot write %s", path);
        fputs(got, f);
        fclose(f);
        return;
    }
    cr_assert_not_null(f = fopen(path, "r"), "cannot read %s (JIKU_UPDATE_GOLDEN=1 writes it)",
                       path);
    while ((c = fgetc(f)) != EOF)
        jiku_buf_addch(&want, (char)c);
    fclose(f);
    cr_expect_str_eq(got, want.data != NULL ? want.data : "",
                     "%s differs from the rendering (JIKU_UPDATE_GOLDEN=1 rewrites it)", name);
    jiku_buf_release(&want);
}

Test(report, text_golden_and_100_columns)
{
    char *s;

    fleet();
    s = render(JIKU_REPORT_TEXT, NULL);
    golden("report.txt", s);
    for (const char *p = s, *nl; *p != '\0'; p = nl + 1) {
        cr_assert_not_null(nl = strchr(p, '\n'));
        cr_expect_leq(nl - p, 100, "line too long: %.*s", (int)(nl - p), p);
    }
    cr_expect_null(strchr(s, '\x1b'), "an escape reached the text");
    cr_expect_not_null(strstr(s, "2 of 5 targets without a recent restore point"));
    cr_expect_null(strstr(s, "before the period"));
    cr_expect_null(strstr(s, "jetpack"), "a dry run's update is not one");
    free(s);
}

Test(report, markdown_golden)
{
    char *s;

    fleet();
    s = render(JIKU_REPORT_MARKDOWN, NULL);
    golden("report.md", s);
    /* a pipe in a cell must not open a new column */
    cr_expect_not_null(strstr(s, "\\| \\*24/7\\*"));
    free(s);
}

Test(report, html_golden_escapes_everything)
{
    char *s;

    fleet();
    s = render(JIKU_REPORT_HTML, NULL);
    golden("report.html", s);
    cr_expect_null(strstr(s, "<script"), "a customer's markup reached the page");
    cr_expect_not_null(strstr(s, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    cr_expect_null(strstr(s, "src="), "nothing is loaded from anywhere");
    cr_expect_null(strstr(s, "href="));
    cr_expect_null(strstr(strstr(s, "broken-gallery") + 1, "broken-gallery"),
                   "an update's components are in its update line only");
    cr_expect_not_null(strstr(s, "default-src 'none'"));
    free(s);
}

Test(report, json_golden)
{
    char *s;

    fleet();
    s = render(JIKU_REPORT_JSON, NULL);
    s = replace(s, POLICY_DIR, "@P@");
    s = replace(s, dir, "@D@");
    golden("report.jsonl", s);
    free(s);
}

Test(report, one_customer_and_an_unknown_one)
{
    struct jiku_report_opts opts = {.customer = "nobody", .now = NOW};
    struct jiku_buf out = JIKU_BUF_INIT;
    struct jiku_err err = {0};
    char *s;

    fleet();
    s = render(JIKU_REPORT_TEXT, "highco");
    cr_expect_not_null(strstr(s, "1 of 1 target without a recent restore point"));
    cr_expect_null(strstr(s, "acme"));
    free(s);
    cr_expect_eq(jiku_report_render(cat, cfg, &opts, &out, &err), JIKU_E_NOTFOUND);
    cr_expect_str_eq(err.msg, "no such customer 'nobody'");
    jiku_buf_release(&out);
}

/* A restore point exactly 26 h old is still recent; a second older is not. */
Test(report, fresh_bound)
{
    char *s;

    good("highco/portal", JIKU_ARTIFACT_SNAPSHOT, T0, 1);
    s = render_at(JIKU_REPORT_JSON, "highco", T0 + JIKU_REPORT_FRESH_SECS);
    cr_expect_not_null(strstr(s, "\"state\":\"ok\""), "%s", s);
    free(s);
    s = render_at(JIKU_REPORT_JSON, "highco", T0 + JIKU_REPORT_FRESH_SECS + 1);
    cr_expect_not_null(strstr(s, "\"state\":\"stale\""), "%s", s);
    free(s);
}

/* The last verify that found an artifact intact is its "verified". */
Test(report, verified_by_a_verify_operation)
{
    char *id = artifact("acme/shop", JIKU_ARTIFACT_BACKUP, T0, 1, JIKU_ART_GOOD);
    struct jiku_err err = {0};
    int64_t run, op;
    time_t when = 0, before = time(NULL);

    cr_assert_eq(jiku_catalog_artifact_verified(cat, "acme/shop", id, &when, &err), 0, "%s",
                 err.msg);
    cr_expect_eq(when, 0);
    cr_assert_eq(jiku_catalog_run_begin(cat, "verify", "tester", false, &run, &err), 0);
    cr_assert_eq(jiku_catalog_op_begin(cat, run, "acme/shop", "verify", &op, &err), 0);
    cr_assert_eq(jiku_catalog_op_end(cat, op, "ok", 0, NULL, id, &err), 0, "%s", err.msg);
    cr_assert_eq(jiku_catalog_artifact_verified(cat, "acme/shop", id, &when, &err), 0, "%s",
                 err.msg);
    cr_expect_geq(when, before);
    free(id);
}

/* A heading whose fixed part nearly fills the line: its value starts on the next line, and
 * nothing past the value is read (a 63-character name and a 6-character contact). */
Test(report, a_nearly_full_line_wraps_before_its_value)
{
    struct jiku_diags diags = {0};
    struct jiku_err err = {0};
    char name[64], *conf, *s, path[128];
    struct jiku_buf text = JIKU_BUF_INIT;

    memset(name, 'c', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    jiku_buf_adds(&text, conf_text);
    jiku_buf_addf(&text, "\n[customer %s]\ntier = medium\ncontact = abcdef\n", name);
    conf = replace(replace(jiku_buf_detach(&text), "@D@", dir), "@P@", POLICY_DIR);
    write_file("agent.conf", 0600, conf);
    free(conf);
    jiku_config_free(cfg);
    snprintf(path, sizeof(path), "%s/agent.conf", dir);
    cr_assert_eq(jiku_config_load(path, JIKU_CONFIG_NO_SECRET_CHECK, &cfg, &diags, &err), 0, "%s",
                 err.msg);
    jiku_diags_release(&diags);

    s = render(JIKU_REPORT_TEXT, name);
    for (const char *p = s, *nl; *p != '\0'; p = nl + 1) {
        cr_assert_not_null(nl = strchr(p, '\n'));
        cr_expect_leq(nl - p, 100, "line too long: %.*s", (int)(nl - p), p);
    }
    cr_expect_not_null(strstr(s, ", contact\n  abcdef\n"), "%s", s);
    free(s);
}
