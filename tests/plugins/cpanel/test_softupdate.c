/*
 * Updates of `softaculous` targets (plugins/cpanel/softupdate.c) through a fake host table:
 * WHM and the Softaculous session answer as the documented samples do (docs/WIRE.md §5.7:
 * list_outdated_ins, get_script_info, upgrade_ins), and the panel server runs the health
 * check's curl and Nextcloud's `php occ status` (tests/fakes/wptoolkit/README.md).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpanel.h"
#include "fake_session.h"
#include "fixture.h"

#define LIVE_ID "483_10001"
#define STAGE_ID "483_20002"
#define OCC_GOOD                                                                                   \
    "{\"installed\":true,\"version\":\"28.0.14.1\",\"versionstring\":\"28.0.14\",\"edition\":"     \
    "\"\",\"maintenance\":false,\"needsDbUpgrade\":false,\"productname\":\"Nextcloud\","           \
    "\"extendedSupport\":false}\n"

/* The fake panel: its installations, what it offers and answers, and what it was asked. */
static struct {
    char live_ver[32], stage_ver[32];
    const char *offer;     /* the version the script page offers */
    const char *script;    /* the installations' script name */
    const char *sid;       /* and script id */
    const char *live_path; /* the live installation's softpath */
    bool staged;           /* the staging copy is listed */
    bool upgrade_keeps;    /* the upgrade answers done but changes nothing */
    bool upgrade_removes;  /* the live installation is gone after the upgrade */
    const char *upgrade;   /* the upgrade's answer */
    int upgrade_fails;     /* what http() returns for the upgrade */
    const char *page;      /* what curl prints: the page, then the status on the last line */
    const char *occ;       /* occ status's stdout */
    int occ_exit;
    const char *occ_err;
    int occ_upgrade_exit; /* occ upgrade's exit status */
    const char *record;   /* the agent's stage record */
    /* what was asked */
    int n_showupdates, n_giveinfo, n_upgrade, n_curl, n_occ, n_occ_upgrade;
    bool changed_at_upgrade, upgrade_safe;
    char upgrade_path[512], upgrade_body[64], giveinfo_path[512], curl_cmd[1024], occ_cmd[4096];
} fx;

static struct jiku_op_result result;

static void
reset(void)
{
    memset(&fx, 0, sizeof(fx));
    snprintf(fx.live_ver, sizeof(fx.live_ver), "28.0.4");
    snprintf(fx.stage_ver, sizeof(fx.stage_ver), "28.0.4");
    fx.offer = "28.0.14";
    fx.script = "Nextcloud";
    fx.sid = "483";
    fx.live_path = "/home/acmeshop/cloud.acme.example";
    fx.upgrade = "{\"title\":\"Softaculous\",\"done\":1,\"setupcontinue\":\"\"}";
    fx.page = "<html><title>Login - Nextcloud</title></html>\n200";
    fx.occ = OCC_GOOD;
    fx.record = "insid=" STAGE_ID "\ndomain=stage.acme.example\n";
}

static void
add_ins(struct jiku_buf *b, const char *insid, const char *ver, const char *domain,
        const char *path)
{
    jiku_buf_addf(b,
                  "%s\"%s\":{\"insid\":\"%s\",\"sid\":\"%s\",\"ver\":\"%s\",\"softpath\":\"%s\","
                  "\"softurl\":\"https://%s\",\"softdomain\":\"%s\",\"script\":\"%s\"}",
                  b->data[b->len - 1] == '{' ? "" : ",", insid, insid, fx.sid, ver, path, domain,
                  domain, fx.script);
}

/* act=installations, with SHOWUPDATES only those older than the offer (list_outdated_ins). */
static void
installations(struct jiku_buf *b, bool showupdates)
{
    jiku_buf_addf(b, "{\"title\":\"Softaculous\",\"installations\":{\"%s\":{", fx.sid);
    if ((!showupdates || strcmp(fx.live_ver, fx.offer) != 0) &&
        !(fx.upgrade_removes && fx.n_upgrade > 0))
        add_ins(b, LIVE_ID, fx.live_ver, "cloud.acme.example", fx.live_path);
    if (fx.staged && (!showupdates || strcmp(fx.stage_ver, fx.offer) != 0))
        add_ins(b, STAGE_ID, fx.stage_ver, "stage.acme.example",
                "/home/acmeshop/stage.acme.example");
    jiku_buf_adds(b, "}}}");
}

static int
fake_http(struct jiku_op *op, const struct jiku_server_info *server,
          const struct jiku_http_request *req, struct jiku_http_response *resp,
          struct jiku_err *err)
{
    static const char soft[] = "/cpsess42/frontend/jupiter/softaculous/index.live.php?act=";
    const char *p = req->path;

    (void)server;
    if (fake_cpanel_session(p, resp))
        return 0;
    if (strcmp(p, "/cpsess42/frontend/jupiter/softaculous/index.live.php?act="
                  "installations&api=json&showupdates=true") == 0) {
        fx.n_showupdates++;
        installations(&resp->body, true);
    } else if (strncmp(p, soft, sizeof(soft) - 1) == 0 &&
               strcmp(p + sizeof(soft) - 1, "installations&api=json") == 0) {
        installations(&resp->body, false);
    } else if (strncmp(p, soft, sizeof(soft) - 1) == 0 &&
               strncmp(p + sizeof(soft) - 1, "software&", 9) == 0) {
        fx.n_giveinfo++;
        snprintf(fx.giveinfo_path, sizeof(fx.giveinfo_path), "%s", p + sizeof(soft) - 1);
        jiku_buf_addf(&resp->body,
                      "{\"title\":\"Softaculous\",\"software\":{\"name\":\"%s\",\"softname\":"
                      "\"nextcloud\",\"ver\":\"%s\"},\"installations\":[]}",
                      fx.script, fx.offer);
    } else if (strncmp(p, soft, sizeof(soft) - 1) == 0 &&
               strncmp(p + sizeof(soft) - 1, "upgrade&", 8) == 0) {
        fx.n_upgrade++;
        fx.changed_at_upgrade = op->result->changed;
        fx.upgrade_safe = req->safe_to_retry;
        snprintf(fx.upgrade_path, sizeof(fx.upgrade_path), "%s", p + sizeof(soft) - 1);
        snprintf(fx.upgrade_body, sizeof(fx.upgrade_body), "%.*s", (int)req->body_len,
                 (const char *)req->body);
        if (fx.upgrade_fails != 0)
            return jiku_err_set(err, fx.upgrade_fails, "connection reset by peer");
        /* Only an upgrade that reports itself done upgraded anything. */
        if (!fx.upgrade_keeps && strstr(fx.upgrade, "\"done\"") != NULL)
            snprintf(strstr(p, "insid=" STAGE_ID) != NULL ? fx.stage_ver : fx.live_ver,
                     sizeof(fx.live_ver), "%s", fx.offer);
        jiku_buf_adds(&resp->body, fx.upgrade);
    } else {
        cr_assert_fail("unexpected request %s", p);
    }
    return 0;
}

static int
fake_exec(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd, bool safe,
          size_t max_output, struct jiku_exec_result *res, struct jiku_err *err)
{
    (void)op;
    (void)server;
    (void)safe;
    (void)max_output;
    (void)err;
    jiku_buf_reset(&res->out);
    jiku_buf_reset(&res->errout);
    res->exit_status = 0;
    if (strncmp(cmd, "'curl' ", 7) == 0) {
        fx.n_curl++;
        snprintf(fx.curl_cmd, sizeof(fx.curl_cmd), "%s", cmd);
        jiku_buf_adds(&res->out, fx.page);
    } else if (strstr(cmd, "occ upgrade") != NULL) {
        fx.n_occ_upgrade++;
        cr_expect_not_null(strstr(cmd, "as_owner"), "occ upgrade not run as the owner: %s", cmd);
        jiku_buf_adds(&res->out, fx.occ_upgrade_exit == 0 ? "Update successful\n" : "");
        jiku_buf_adds(&res->errout, fx.occ_upgrade_exit == 0 ? "" : "Exception: upgrade failed\n");
        res->exit_status = fx.occ_upgrade_exit;
    } else if (strstr(cmd, "occ status") != NULL) {
        fx.n_occ++;
        snprintf(fx.occ_cmd, sizeof(fx.occ_cmd), "%s", cmd);
        jiku_buf_adds(&res->out, fx.occ);
        jiku_buf_adds(&res->errout, fx.occ_err != NULL ? fx.occ_err : "");
        res->exit_status = fx.occ_exit;
    } else if (strstr(cmd, "/snap/.staging/acme.cloud") != NULL) {
        jiku_buf_adds(&res->out, fx.record);
    } else {
        cr_assert_fail("unexpected command %s", cmd);
    }
    return 0;
}

static const struct jiku_host host = {
    .abi_version = JIKU_HOST_ABI_VERSION,
    .struct_size = sizeof(struct jiku_host),
    .http = fake_http,
    .ssh_exec = fake_exec,
    .read_secret = fixture_secret,
    .log = fixture_log,
};
static const struct jiku_server_info server = {
    .name = "web1", .panel = "cpanel", .api_user = "root", .snapshot_dir = "/snap"};
static const struct jiku_target_info target = {.id = "acme/cloud",
                                               .customer = "acme",
                                               .name = "cloud",
                                               .kind = JIKU_KIND_SOFTACULOUS,
                                               .account = "acmeshop",
                                               .domain = "cloud.acme.example",
                                               .path = "/",
                                               .staging_domain = "stage.acme.example"};

/* One call of the update action at STEP; its status, ERR filled, the result in `result`. */
static int
update(enum jiku_update_step step, unsigned components, struct jiku_err *err)
{
    const struct jiku_update_params u = {
        .step = step, .components = components, .health_timeout = 5};
    const struct jiku_op_params params = {.operation_id = "op1", .update = &u};
    struct jiku_op op = {
        .host = &host, .server = &server, .target = &target, .params = &params, .result = &result};

    for (size_t i = 0; i < result.n_updates; i++) {
        free(result.updates[i].name);
        free(result.updates[i].from);
        free(result.updates[i].to);
    }
    free(result.updates);
    free(result.details);
    memset(&result, 0, sizeof(result));
    memset(err, 0, sizeof(*err));
    return cpanel_soft_update(&op, err);
}

#define APP JIKU_UPDATE_BIT(JIKU_UPDATE_APP)

static void
expect_item(const char *from, const char *to)
{
    cr_assert_eq(result.n_updates, 1);
    cr_expect_eq(result.updates[0].component, JIKU_UPDATE_APP);
    cr_expect_str_eq(result.updates[0].name, "Nextcloud");
    cr_expect_str_eq(result.updates[0].from, from);
    cr_expect_str_eq(result.updates[0].to, to);
}

/* ---- LIST ------------------------------------------------------------------------------ */

Test(soft_update_list, names_the_installed_and_the_offered_version, .init = reset)
{
    struct jiku_err err;

    cr_assert_eq(update(JIKU_UPDATE_LIST, APP, &err), 0, "%s", err.msg);
    expect_item("28.0.4", "28.0.14");
    cr_expect_str_eq(fx.giveinfo_path, "software&api=json&soft=483&giveinfo=1");
    cr_expect_eq(fx.n_upgrade, 0, "a list changes nothing");
    cr_expect_eq(fx.n_curl + fx.n_occ, 0);
    cr_expect_not(result.changed);
    cr_expect_not_null(strstr(result.details, "28.0.4 to 28.0.14"), "%s", result.details);
}

Test(soft_update_list, an_installation_not_outdated_has_nothing_pending, .init = reset)
{
    struct jiku_err err;

    fx.offer = "28.0.4";
    cr_assert_eq(update(JIKU_UPDATE_LIST, APP, &err), 0, "%s", err.msg);
    cr_expect_eq(fx.n_showupdates, 1);
    cr_expect_eq(fx.n_giveinfo, 0);
    cr_expect_eq(result.n_updates, 0);
}

Test(soft_update_list, only_when_the_application_is_a_component, .init = reset)
{
    struct jiku_err err;

    cr_assert_eq(update(JIKU_UPDATE_LIST, JIKU_UPDATE_BIT(JIKU_UPDATE_PLUGINS), &err), 0, "%s",
                 err.msg);
    cr_expect_eq(fx.n_showupdates, 0);
    cr_expect_eq(result.n_updates, 0);
}

Test(soft_update_list, an_offer_without_a_valid_version_is_data, .init = reset)
{
    struct jiku_err err;

    fx.offer = "29.0.0; rm -rf /";
    cr_assert_eq(update(JIKU_UPDATE_LIST, APP, &err), JIKU_E_DATA);
    cr_expect_eq(result.n_updates, 0);
}

/* ---- APPLY ----------------------------------------------------------------------------- */

Test(soft_update_apply, upgrades_then_checks_the_page_and_occ, .init = reset)
{
    struct jiku_err err;

    cr_assert_eq(update(JIKU_UPDATE_APPLY, APP, &err), 0, "%s", err.msg);
    cr_expect_eq(fx.n_upgrade, 1);
    cr_expect(fx.changed_at_upgrade, "changed must be set before the upgrade is sent");
    cr_expect_not(fx.upgrade_safe, "the upgrade must never be repeated");
    cr_expect_str_eq(fx.upgrade_path, "upgrade&api=json&insid=" LIVE_ID);
    cr_expect_str_eq(fx.upgrade_body, "softsubmit=1");
    expect_item("28.0.4", "28.0.14");
    cr_expect(result.changed);
    cr_expect_eq(fx.n_curl, 1);
    cr_expect_not_null(strstr(fx.curl_cmd, "'--resolve' 'cloud.acme.example:443:127.0.0.1' "
                                           "'https://cloud.acme.example:443/'"),
                       "%s", fx.curl_cmd);
    cr_expect_eq(fx.n_occ, 1);
    /* As the account's user, in the installation's directory. */
    cr_expect_not_null(strstr(fx.occ_cmd, "'acmeshop'"), "%s", fx.occ_cmd);
    cr_expect_not_null(strstr(fx.occ_cmd, "as_owner 'sh' '-c'"), "%s", fx.occ_cmd);
    cr_expect_not_null(strstr(fx.occ_cmd, "'/home/acmeshop/cloud.acme.example'"), "%s", fx.occ_cmd);
    cr_expect_not_null(strstr(result.details, "Nextcloud updated from 28.0.4 to 28.0.14"), "%s",
                       result.details);
    cr_expect_not_null(strstr(result.details, "HTTP 200"), "%s", result.details);
    cr_expect_not_null(strstr(result.details, "occ status: installed"), "%s", result.details);
}

Test(soft_update_apply, nothing_pending_changes_nothing, .init = reset)
{
    struct jiku_err err;

    fx.offer = "28.0.4";
    cr_assert_eq(update(JIKU_UPDATE_APPLY, APP, &err), 0, "%s", err.msg);
    cr_expect_eq(fx.n_upgrade, 0);
    cr_expect_not(result.changed);
    cr_expect_eq(result.n_updates, 0);
}

Test(soft_update_apply, setupcontinue_is_a_failure_naming_the_url, .init = reset)
{
    struct jiku_err err;

    fx.upgrade = "{\"done\":1,\"setupcontinue\":\"https://cloud.acme.example/cpsess9876543/"
                 "index.php?step=upgrade\"}";
    cr_assert_eq(update(JIKU_UPDATE_APPLY, APP, &err), JIKU_E_FAILED, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "a step remains in Softaculous's web interface "
                                       "(https://cloud.acme.example/cpsess*/index.php?step="
                                       "upgrade)"),
                       "%s", err.msg);
    cr_expect_null(strstr(err.msg, "9876543"), "the session leaked: %s", err.msg);
    cr_expect(result.changed);
    expect_item("28.0.4", "28.0.14");
    cr_expect_eq(fx.n_curl, 0);
}

Test(soft_update_apply, an_error_answer_is_panel, .init = reset)
{
    struct jiku_err err;

    fx.upgrade = "{\"error\":[\"Could not upgrade the installation\"]}";
    cr_assert_eq(update(JIKU_UPDATE_APPLY, APP, &err), JIKU_E_PANEL, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "Could not upgrade"), "%s", err.msg);
    cr_expect(result.changed);
    fx.upgrade = "{\"title\":\"Softaculous\"}";
    cr_assert_eq(update(JIKU_UPDATE_APPLY, APP, &err), JIKU_E_PANEL, "%s", err.msg);
}

Test(soft_update_apply, a_lost_answer_is_never_sent_again, .init = reset)
{
    struct jiku_err err;

    fx.upgrade_fails = JIKU_E_TRANSIENT;
    cr_assert_eq(update(JIKU_UPDATE_APPLY, APP, &err), JIKU_E_UNREACHABLE, "%s", err.msg);
    cr_expect_eq(fx.n_upgrade, 1);
    cr_expect(result.changed, "the outcome is unknown: the core must restore");
    cr_expect_not_null(strstr(err.msg, "was lost"), "%s", err.msg);
}

Test(soft_update_apply, the_offered_version_must_be_listed_after, .init = reset)
{
    struct jiku_err err;

    fx.upgrade_keeps = true;
    cr_assert_eq(update(JIKU_UPDATE_APPLY, APP, &err), JIKU_E_FAILED, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "lists the installation at version 28.0.4"), "%s", err.msg);
    expect_item("28.0.4", "28.0.4");
    cr_expect_eq(fx.n_curl, 0);
}

Test(soft_update_apply, an_installation_gone_after_the_upgrade_is_a_panel_failure, .init = reset)
{
    struct jiku_err err;

    fx.upgrade_removes = true;
    cr_assert_eq(update(JIKU_UPDATE_APPLY, APP, &err), JIKU_E_PANEL, "%s", err.msg);
    cr_expect_eq(err.status, JIKU_E_PANEL);
    cr_expect_not_null(strstr(err.msg, "has no installation '" LIVE_ID "'"), "%s", err.msg);
    cr_expect(result.changed);
    cr_expect_eq(fx.n_curl, 0);
}

Test(soft_update_apply, a_broken_page_fails_with_what_it_said, .init = reset)
{
    struct jiku_err err;

    fx.page = "<html><h2>Internal Server Error</h2></html>\n500";
    cr_assert_eq(update(JIKU_UPDATE_APPLY, APP, &err), JIKU_E_FAILED, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "Nextcloud updated from 28.0.4 to 28.0.14"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "HTTP 500"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "Internal Server Error"), "%s", err.msg);
    cr_expect(result.changed);
    expect_item("28.0.4", "28.0.14");
    cr_expect_eq(fx.n_occ, 0);
}

Test(soft_update_apply, occ_status_must_say_healthy, .init = reset)
{
    static const struct {
        const char *out, *errout;
        int exit, status;
        const char *says;
    } cases[] = {
        {"{\"installed\":true,\"maintenance\":true,\"needsDbUpgrade\":false}\n", NULL, 0,
         JIKU_E_FAILED, "is in maintenance mode"},
        {"{\"installed\":true,\"maintenance\":false,\"needsDbUpgrade\":true}\n",
         "Nextcloud or one of the apps require upgrade\n", 0, JIKU_E_FAILED,
         "is waiting for a database upgrade"},
        {"{\"installed\":false,\"maintenance\":true,\"needsDbUpgrade\":false}\n", NULL, 0,
         JIKU_E_FAILED, "is not installed, in maintenance mode"},
        {"Console has to be executed with the user that owns the file config/config.php\n", NULL, 1,
         JIKU_E_FAILED, "owns the file config/config.php"},
        {"", "PHP Fatal error:  Uncaught Error\n", 255, JIKU_E_FAILED, "PHP Fatal error"},
        {"<html>not a status</html>\n", NULL, 0, JIKU_E_DATA, "printed no status"},
        {"{\"installed\":\"yes\",\"maintenance\":false,\"needsDbUpgrade\":false}\n", NULL, 0,
         JIKU_E_DATA, "printed no status"},
        /* a warning line before the JSON one */
        {"Nextcloud is in maintenance mode, hence the database isn't accessible.\n" OCC_GOOD, NULL,
         0, 0, NULL},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct jiku_err err;

        reset();
        fx.occ = cases[i].out;
        fx.occ_err = cases[i].errout;
        fx.occ_exit = cases[i].exit;
        cr_assert_eq(update(JIKU_UPDATE_APPLY, APP, &err), cases[i].status, "case %zu: %s", i,
                     err.msg);
        cr_expect_eq(fx.n_occ, 1, "case %zu", i);
        if (cases[i].says != NULL) {
            cr_expect_not_null(strstr(err.msg, cases[i].says), "case %zu: %s", i, err.msg);
            cr_expect(result.changed, "case %zu", i);
            cr_expect_eq(result.n_updates, 1, "case %zu", i);
        }
    }
}

Test(soft_update_apply, other_applications_get_the_page_check_only, .init = reset)
{
    struct jiku_err err;

    fx.script = "WordPress";
    fx.sid = "26";
    fx.occ = "garbage";
    cr_assert_eq(update(JIKU_UPDATE_APPLY, APP, &err), 0, "%s", err.msg);
    cr_expect_str_eq(fx.giveinfo_path, "software&api=json&soft=26&giveinfo=1");
    cr_expect_eq(fx.n_curl, 1);
    cr_expect_eq(fx.n_occ, 0);
}

Test(soft_update_apply, an_installation_outside_the_home_is_refused_first, .init = reset)
{
    struct jiku_err err;

    fx.live_path = "/etc/cloud";
    cr_assert_eq(update(JIKU_UPDATE_APPLY, APP, &err), JIKU_E_DATA, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "outside the home"), "%s", err.msg);
    cr_expect_eq(fx.n_upgrade, 0);
    cr_expect_not(result.changed);
}

/* ---- STAGING and CHECK ----------------------------------------------------------------- */

Test(soft_update_staging, updates_the_recorded_copy_and_never_live, .init = reset)
{
    struct jiku_err err;

    fx.staged = true;
    cr_assert_eq(update(JIKU_UPDATE_STAGING, APP, &err), 0, "%s", err.msg);
    cr_expect_str_eq(fx.upgrade_path, "upgrade&api=json&insid=" STAGE_ID);
    cr_expect_not(fx.changed_at_upgrade);
    cr_expect_not(result.changed, "staging never changes live");
    cr_expect_str_eq(fx.live_ver, "28.0.4");
    expect_item("28.0.4", "28.0.14");
    cr_expect_not_null(strstr(fx.curl_cmd, "'https://stage.acme.example:443/'"), "%s", fx.curl_cmd);
    cr_expect_not_null(strstr(fx.occ_cmd, "'/home/acmeshop/stage.acme.example'"), "%s", fx.occ_cmd);
    cr_expect_not_null(strstr(result.details, "staging copy"), "%s", result.details);
}

Test(soft_update_staging, a_broken_copy_fails_without_touching_live, .init = reset)
{
    struct jiku_err err;

    fx.staged = true;
    fx.page = "<html>Maintenance mode</html>\n503";
    cr_assert_eq(update(JIKU_UPDATE_STAGING, APP, &err), JIKU_E_FAILED, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "HTTP 503"), "%s", err.msg);
    cr_expect_not(result.changed);
    cr_expect_str_eq(fx.live_ver, "28.0.4");
}

Test(soft_update_staging, without_a_stage_record_nothing_is_done, .init = reset)
{
    struct jiku_err err;

    fx.staged = true;
    fx.record = "";
    cr_assert_eq(update(JIKU_UPDATE_STAGING, APP, &err), JIKU_E_NOTFOUND, "%s", err.msg);
    cr_expect_eq(fx.n_upgrade, 0);
    fx.record = "insid=" STAGE_ID "\ndomain=stage.acme.example\n";
    fx.staged = false;
    cr_assert_eq(update(JIKU_UPDATE_STAGING, APP, &err), JIKU_E_NOTFOUND, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "is gone"), "%s", err.msg);
    cr_expect_eq(fx.n_upgrade, 0);
}

Test(soft_update_check, finishes_nextclouds_upgrade_then_checks_live, .init = reset)
{
    struct jiku_err err;

    cr_assert_eq(update(JIKU_UPDATE_CHECK, APP, &err), 0, "%s", err.msg);
    cr_expect_eq(fx.n_showupdates + fx.n_giveinfo + fx.n_upgrade, 0);
    cr_expect_eq(fx.n_occ_upgrade, 1);
    cr_expect_eq(fx.n_curl, 1);
    cr_expect_eq(fx.n_occ, 1);
    cr_expect_not(result.changed);
    cr_expect_not_null(strstr(result.details, "HTTP 200"), "%s", result.details);
    fx.occ = "{\"installed\":true,\"maintenance\":true,\"needsDbUpgrade\":false}\n";
    cr_assert_eq(update(JIKU_UPDATE_CHECK, APP, &err), JIKU_E_FAILED, "%s", err.msg);
}

Test(soft_update_check, a_failed_occ_upgrade_fails_the_check, .init = reset)
{
    struct jiku_err err;

    fx.occ_upgrade_exit = 1;
    cr_assert_eq(update(JIKU_UPDATE_CHECK, APP, &err), JIKU_E_FAILED, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "finishing the pushed update of Nextcloud"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "upgrade failed"), "%s", err.msg);
    cr_expect_eq(fx.n_curl, 0);
}

/* ---- the parsers ----------------------------------------------------------------------- */

static json_t *
json(const char *s)
{
    json_t *j = json_loads(s, 0, NULL);

    cr_assert_not_null(j, "%s", s);
    return j;
}

Test(soft_update_parse, the_offer)
{
    static const char *const bad[] = {
        "{\"software\":{\"name\":\"Nextcloud\"}}",
        "{\"software\":{\"name\":\"Nextcloud\",\"ver\":\"\"}}",
        "{\"software\":{\"name\":\"Nextcloud\",\"ver\":\"-1\"}}",
        "{\"software\":{\"name\":\"Nextcloud\",\"ver\":\"1 2\"}}",
        "{\"software\":{\"ver\":\"29.0.0\"}}",
        "{\"software\":[]}",
        "{}",
    };
    struct jiku_err err = {0};
    char *name = NULL, *ver = NULL;
    json_t *j = json("{\"software\":{\"name\":\"Next\\ncloud\",\"ver\":7}}");

    cr_assert_eq(cpanel_soft_offer(j, &name, &ver, &err), 0, "%s", err.msg);
    cr_expect_str_eq(name, "Next cloud");
    cr_expect_str_eq(ver, "7");
    free(name);
    free(ver);
    json_decref(j);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        j = json(bad[i]);
        cr_expect_eq(cpanel_soft_offer(j, &name, &ver, &err), JIKU_E_DATA, "%s", bad[i]);
        cr_expect_null(name);
        cr_expect_null(ver);
        json_decref(j);
    }
}

Test(soft_update_parse, the_upgrade_answer)
{
    struct jiku_err err = {0};
    json_t *j = json("{\"done\":\"1\",\"setupcontinue\":\"\"}");

    cr_expect_eq(cpanel_soft_upgraded(j, "the upgrade of X", &err), 0, "%s", err.msg);
    json_decref(j);
    j = json("{\"done\":\"0\"}");
    cr_expect_eq(cpanel_soft_upgraded(j, "the upgrade of X", &err), JIKU_E_PANEL);
    cr_expect_not_null(strstr(err.msg, "did not report the upgrade of X done"), "%s", err.msg);
    json_decref(j);
    j = json("{\"done\":1,\"setupcontinue\":\"https://h/a\\u0001b\"}");
    cr_expect_eq(cpanel_soft_upgraded(j, "the upgrade of X", &err), JIKU_E_FAILED);
    cr_expect_not_null(strstr(err.msg, "the upgrade of X stopped: a step remains in Softaculous's "
                                       "web interface (https://h/a b)"),
                       "%s", err.msg);
    json_decref(j);
}
