/*
 * The UPDATE action on `wordpress` targets (plugins/common/wptupdate.c) through a fake host
 * whose SSH answers as WP Toolkit and wp-cli print (wp-cli's own command docs and tests:
 * wp-cli/core-command `core check-update`, wp-cli/extension-command `plugin list`; an empty
 * array when nothing is pending): what LIST reads, the one job APPLY starts and when it marks
 * the operation changed, what it finds installed afterwards, and each health check's failure.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_wpt.h"
#include "fixture.h"
#include "health.h"

/* ---- the server the fake SSH plays ------------------------------------------------------- */

static const char instances[] =
    "[" FAKE_WPT_INFO7 ",{\"id\":8,\"mainDomain\":\"acme.example\",\"owner\":\"acmeshop\","
    "\"fullPath\":\"/home/acmeshop/staging\",\"siteUrl\":\"https://staging.acme.example\","
    "\"broken\":false}]";
static const char info7[] = FAKE_WPT_INFO7;
static const char info8[] =
    "{\"id\":8,\"mainDomain\":\"acme.example\",\"owner\":\"acmeshop\",\"fullPath\":"
    "\"/home/acmeshop/staging\",\"siteUrl\":\"https://staging.acme.example\",\"broken\":false}";

/* What the site says before and after the update job; one answer per wp-cli command. */
static struct {
    const char *core_before, *core_after;
    const char *check_update;
    const char *plugins_pending, *themes_pending;
    const char *plugins_after, *themes_after; /* --fields=name,version */
    int job_exit;
    const char *job_log;
    const char *page; /* the curl answer: body, newline, status */
    int checksums_exit;
    const char *checksums_err;
    int eval_exit;
    const char *eval_out, *eval_err;
    const char *stage_record;
    /* what happened */
    bool job_ran, changed_at_start;
    int job_starts;
    char job_cmd[4096];
    char cmds[32768]; /* every SSH command, one a line */
} w;

static void
world_reset(void)
{
    memset(&w, 0, sizeof(w));
    w.core_before = "6.5.2";
    w.core_after = "6.5.5";
    w.check_update = "[{\"version\":\"6.5.5\",\"update_type\":\"minor\",\"package_url\":"
                     "\"https:\\/\\/downloads.wordpress.org\\/release\\/"
                     "wordpress-6.5.5-partial-2.zip\"}]";
    w.plugins_pending =
        "[{\"name\":\"akismet\",\"status\":\"active\",\"update\":\"available\",\"version\":"
        "\"5.3.1\",\"update_version\":\"5.3.5\",\"auto_update\":\"off\"},"
        "{\"name\":\"hello-dolly\",\"status\":\"inactive\",\"update\":\"available\",\"version\":"
        "\"1.7.1\",\"update_version\":\"1.7.2\",\"auto_update\":\"off\"},"
        "{\"name\":\"classic-editor\",\"status\":\"active\",\"update\":\"available\",\"version\":"
        "\"1.6.3\",\"update_version\":\"1.6.5\",\"auto_update\":\"off\"}]";
    w.themes_pending = "[{\"name\":\"twentytwentyfour\",\"status\":\"active\",\"update\":"
                       "\"available\",\"version\":\"1.0\",\"update_version\":\"1.2\","
                       "\"auto_update\":\"off\",\"type\":\"block\"}]";
    w.plugins_after = "[{\"name\":\"akismet\",\"version\":\"5.3.5\"},{\"name\":\"hello-dolly\","
                      "\"version\":\"1.7.1\"},{\"name\":\"classic-editor\",\"version\":\"1.6.5\"}]";
    w.themes_after = "[{\"name\":\"twentytwentyfour\",\"version\":\"1.2\"}]";
    w.page = "<html><title>Acme Blog</title><body>Hello</body></html>\n200";
    w.eval_out = "1";
    w.stage_record = "";
}

/* wp-cli's answers when everything is up to date: empty arrays (a newline after one, too). */
static void
nothing_pending(void)
{
    w.check_update = "[]";
    w.plugins_pending = "[]";
    w.themes_pending = "[]\n";
}

static void
log_cmd(const char *cmd)
{
    size_t n = strlen(w.cmds);

    snprintf(w.cmds + n, sizeof(w.cmds) - n, "%s\n", cmd);
}

static int
fake_exec(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd, bool safe,
          size_t max_output, struct jiku_exec_result *res, struct jiku_err *err)
{
    (void)op, (void)server, (void)safe, (void)max_output, (void)err;
    log_cmd(cmd);
    if (strstr(cmd, "'--wp-cli'") != NULL) {
        if (strstr(cmd, "'core' 'version'") != NULL)
            return fake_wpt_answer(res, 0, w.job_ran ? w.core_after : w.core_before, NULL);
        if (strstr(cmd, "'core' 'check-update'") != NULL)
            return fake_wpt_answer(res, 0, w.check_update, NULL);
        if (strstr(cmd, "'plugin' 'list' '--update=available'") != NULL)
            return fake_wpt_answer(res, 0, w.plugins_pending, NULL);
        if (strstr(cmd, "'theme' 'list' '--update=available'") != NULL)
            return fake_wpt_answer(res, 0, w.themes_pending, NULL);
        if (strstr(cmd, "'plugin' 'list' '--fields=name,version'") != NULL)
            return fake_wpt_answer(res, 0, w.plugins_after, NULL);
        if (strstr(cmd, "'theme' 'list' '--fields=name,version'") != NULL)
            return fake_wpt_answer(res, 0, w.themes_after, NULL);
        if (strstr(cmd, "'core' 'verify-checksums'") != NULL)
            return fake_wpt_answer(
                res, w.checksums_exit,
                w.checksums_exit == 0
                    ? "Success: WordPress installation verifies against checksums.\n"
                    : NULL,
                w.checksums_err);
        if (strstr(cmd, "'eval' 'echo 1;'") != NULL)
            return fake_wpt_answer(res, w.eval_exit, w.eval_out, w.eval_err);
        return fake_wpt_answer(res, 1, NULL, "Error: unexpected wp-cli command\n");
    }
    if (strstr(cmd, "'--list'") != NULL)
        return fake_wpt_answer(res, 0, instances, NULL);
    if (strstr(cmd, "'--info' '-instance-id' '7'") != NULL)
        return fake_wpt_answer(res, 0, info7, NULL);
    if (strstr(cmd, "'--info' '-instance-id' '8'") != NULL)
        return fake_wpt_answer(res, 0, info8, NULL);
    if (strncmp(cmd, "'curl'", 6) == 0)
        return fake_wpt_answer(res, 0, w.page, NULL);
    if (strstr(cmd, "/.staging/") != NULL)
        return fake_wpt_answer(res, 0, w.stage_record, NULL);
    return fake_wpt_answer(res, 0, NULL, NULL); /* the job directory's clean-up */
}

static int
fake_job_start(struct jiku_op *op, const struct jiku_server_info *server, const char *job_dir,
               const char *cmd, struct jiku_err *err)
{
    (void)server, (void)err;
    cr_assert_str_eq(job_dir, strstr(cmd, "'8'") != NULL ? "/var/jiku/.jobs/op1/update-staging"
                                                         : "/var/jiku/.jobs/op1/update");
    w.job_starts++;
    w.changed_at_start = op->result->changed;
    snprintf(w.job_cmd, sizeof(w.job_cmd), "%s", cmd);
    w.job_ran = true;
    return 0;
}

static int
fake_job_poll(struct jiku_op *op, const struct jiku_server_info *server, const char *job_dir,
              struct jiku_job_status *st, struct jiku_err *err)
{
    (void)op, (void)server, (void)job_dir, (void)err;
    st->state = JIKU_JOB_DONE;
    st->exit_status = w.job_exit;
    return jiku_buf_adds(&st->log, w.job_log != NULL ? w.job_log : "");
}

static int
fake_sleep(struct jiku_op *op, unsigned ms)
{
    (void)op, (void)ms;
    return 0;
}

static void
fake_progress(struct jiku_op *op, const struct jiku_progress *p)
{
    (void)op, (void)p;
}

static const struct jiku_host host = {
    .ssh_exec = fake_exec,
    .job_start = fake_job_start,
    .job_poll = fake_job_poll,
    .sleep_ms = fake_sleep,
    .progress = fake_progress,
    .log = fixture_log,
};

static const struct jiku_server_info server = {
    .name = "web1", .panel = "cpanel", .snapshot_dir = "/var/jiku", .timeout = 60, .poll_max = 1};
static const struct jiku_target_info target = {
    .id = "acme/blog",
    .customer = "acme",
    .name = "blog",
    .kind = JIKU_KIND_WORDPRESS,
    .account = "acmeshop",
    .domain = "blog.acme.example",
    .path = "/",
    .staging_domain = "staging.acme.example",
};
static const unsigned all = JIKU_UPDATE_BIT(JIKU_UPDATE_CORE) |
                            JIKU_UPDATE_BIT(JIKU_UPDATE_PLUGINS) |
                            JIKU_UPDATE_BIT(JIKU_UPDATE_THEMES);
static const char *const hold_dolly[] = {"hello-dolly", NULL};

/* One call of the action: STEP with U's settings; RES and ERR are the caller's. */
static int
run(enum jiku_update_step step, struct jiku_update_params *u, struct jiku_op_result *res,
    struct jiku_err *err)
{
    struct jiku_op_params p = {.operation_id = "op1", .update = u};
    struct jiku_op op = {
        .host = &host, .server = &server, .target = &target, .params = &p, .result = res};

    u->step = step;
    if (u->health_timeout == 0)
        u->health_timeout = 10;
    return wpt_update(&fake_wpt_panel, &op, err);
}

static const struct jiku_update_item *
item(const struct jiku_op_result *res, const char *name)
{
    for (size_t i = 0; i < res->n_updates; i++)
        if (strcmp(res->updates[i].name, name) == 0)
            return &res->updates[i];
    return NULL;
}

static void
expect_item(const struct jiku_op_result *res, enum jiku_update_component c, const char *name,
            const char *from, const char *to)
{
    const struct jiku_update_item *it = item(res, name);

    cr_assert_not_null(it, "no update of %s", name);
    cr_expect_eq(it->component, c, "%s", name);
    cr_expect_str_eq(it->from, from, "%s", name);
    cr_expect_str_eq(it->to, to, "%s", name);
}

static void
result_free(struct jiku_op_result *res)
{
    for (size_t i = 0; i < res->n_updates; i++) {
        free(res->updates[i].name);
        free(res->updates[i].from);
        free(res->updates[i].to);
    }
    free(res->updates);
    free(res->details);
    memset(res, 0, sizeof(*res));
}

/* ---- LIST ------------------------------------------------------------------------------------ */

Test(wpt_update_list, pending_components_without_the_held_back_slugs)
{
    struct jiku_update_params u = {.components = all, .exclude = hold_dolly};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(JIKU_UPDATE_LIST, &u, &res, &err), 0, "%s", err.msg);
    cr_assert_eq(res.n_updates, 4);
    expect_item(&res, JIKU_UPDATE_CORE, "wordpress", "6.5.2", "6.5.5");
    expect_item(&res, JIKU_UPDATE_PLUGINS, "akismet", "5.3.1", "5.3.5");
    expect_item(&res, JIKU_UPDATE_PLUGINS, "classic-editor", "1.6.3", "1.6.5");
    expect_item(&res, JIKU_UPDATE_THEMES, "twentytwentyfour", "1.0", "1.2");
    cr_assert_null(item(&res, "hello-dolly"), "an excluded slug is not pending");
    /* update_core = minor asks wp-cli for the installed branch only. */
    cr_assert_not_null(strstr(w.cmds, "'wp-toolkit' '--wp-cli' '-instance-id' '7' '--' 'core' "
                                      "'check-update' '--format=json' '--minor'\n"),
                       "%s", w.cmds);
    cr_assert_eq(w.job_starts, 0);
    cr_assert_not(res.changed);
    result_free(&res);
}

Test(wpt_update_list, only_the_components_asked_for)
{
    struct jiku_update_params u = {.components = JIKU_UPDATE_BIT(JIKU_UPDATE_PLUGINS)};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(JIKU_UPDATE_LIST, &u, &res, &err), 0, "%s", err.msg);
    cr_assert_eq(res.n_updates, 3);
    cr_assert_null(item(&res, "wordpress"));
    cr_assert_null(strstr(w.cmds, "'core'"), "%s", w.cmds);
    cr_assert_null(strstr(w.cmds, "'theme'"), "%s", w.cmds);
    result_free(&res);
}

Test(wpt_update_list, major_takes_the_newest_offer)
{
    struct jiku_update_params u = {.components = JIKU_UPDATE_BIT(JIKU_UPDATE_CORE),
                                   .core_major = true};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    /* wp-cli lists the minor offer first; 6.10 is newer than 6.9 though not as text. */
    w.core_before = "6.9.1";
    w.check_update = "[{\"version\":\"6.9.3\",\"update_type\":\"minor\",\"package_url\":\"x\"},"
                     "{\"version\":\"6.10.0\",\"update_type\":\"major\",\"package_url\":\"y\"}]";
    cr_assert_eq(run(JIKU_UPDATE_LIST, &u, &res, &err), 0, "%s", err.msg);
    cr_assert_eq(res.n_updates, 1);
    expect_item(&res, JIKU_UPDATE_CORE, "wordpress", "6.9.1", "6.10.0");
    cr_assert_null(strstr(w.cmds, "'--minor'"), "%s", w.cmds);
    result_free(&res);
}

Test(wpt_update_list, nothing_pending_is_an_empty_list)
{
    struct jiku_update_params u = {.components = all};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    nothing_pending();
    cr_assert_eq(run(JIKU_UPDATE_LIST, &u, &res, &err), 0, "%s", err.msg);
    cr_assert_eq(res.n_updates, 0);
    cr_assert_null(res.details);
    result_free(&res);
}

Test(wpt_update_list, garbage_is_bad_data_naming_the_command)
{
    static const char *const bad[] = {
        "",
        "Success: WordPress is at the latest version.",
        "{\"name\":\"akismet\",\"version\":\"5.3.1\",\"update_version\":\"5.3.5\"}",
        "[{\"name\":\"akismet\",\"version\":\"5.3.1\"",
        "[{\"name\":\"akismet\",\"version\":\"5.3.1\"}]",                  /* no update */
        "[{\"name\":\"-rf\",\"version\":\"1\",\"update_version\":\"2\"}]", /* an option */
        "[{\"name\":\"a b\",\"version\":\"1\",\"update_version\":\"2\"}]", /* two words */
        "[{\"name\":\"akismet\",\"version\":\"5.3.1\",\"update_version\":\"$(id)\"}]",
        "[{\"name\":\"akismet\",\"name\":\"x\",\"version\":\"1\",\"update_version\":\"2\"}]",
        "[5]",
    };

    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        struct jiku_update_params u = {.components = JIKU_UPDATE_BIT(JIKU_UPDATE_PLUGINS)};
        struct jiku_op_result res = {0};
        struct jiku_err err = {0};

        world_reset();
        w.plugins_pending = bad[k];
        cr_expect_eq(run(JIKU_UPDATE_LIST, &u, &res, &err), JIKU_E_DATA, "accepted: %s", bad[k]);
        cr_expect_not_null(strstr(err.msg, "wp-cli plugin list"), "%s", err.msg);
        result_free(&res);
    }
    {
        struct jiku_update_params u = {.components = JIKU_UPDATE_BIT(JIKU_UPDATE_CORE)};
        struct jiku_op_result res = {0};
        struct jiku_err err = {0};

        world_reset();
        w.check_update = "[{\"update_type\":\"minor\"}]";
        cr_expect_eq(run(JIKU_UPDATE_LIST, &u, &res, &err), JIKU_E_DATA);
        cr_expect_not_null(strstr(err.msg, "wp-cli core check-update"), "%s", err.msg);
        world_reset();
        w.core_before = "Error: This does not seem to be a WordPress installation.";
        cr_expect_eq(run(JIKU_UPDATE_LIST, &u, &res, &err), JIKU_E_DATA);
        cr_expect_not_null(strstr(err.msg, "wp-cli core version"), "%s", err.msg);
        result_free(&res);
    }
}

/* ---- APPLY ----------------------------------------------------------------------------------- */

Test(wpt_update_apply, one_job_of_the_pending_slugs_then_health)
{
    struct jiku_update_params u = {.components = all, .exclude = hold_dolly};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(JIKU_UPDATE_APPLY, &u, &res, &err), 0, "%s", err.msg);
    cr_assert_eq(w.job_starts, 1);
    cr_assert_str_eq(w.job_cmd,
                     "'wp-toolkit' '--wp-cli' '-instance-id' '7' '--' 'core' 'update' '--minor' && "
                     "'wp-toolkit' '--wp-cli' '-instance-id' '7' '--' 'core' 'update-db' && "
                     "'wp-toolkit' '--wp-cli' '-instance-id' '7' '--' 'plugin' 'update' 'akismet' "
                     "'classic-editor' && "
                     "'wp-toolkit' '--wp-cli' '-instance-id' '7' '--' 'theme' 'update' "
                     "'twentytwentyfour'");
    cr_assert(w.changed_at_start, "changed must be set before the job starts");
    cr_assert(res.changed);
    cr_assert_eq(res.n_updates, 4);
    expect_item(&res, JIKU_UPDATE_CORE, "wordpress", "6.5.2", "6.5.5");
    expect_item(&res, JIKU_UPDATE_PLUGINS, "akismet", "5.3.1", "5.3.5");
    expect_item(&res, JIKU_UPDATE_THEMES, "twentytwentyfour", "1.0", "1.2");
    /* The page is asked of the server itself, under the site's own name. */
    cr_assert_not_null(strstr(w.cmds, "'--resolve' 'blog.acme.example:443:127.0.0.1' "
                                      "'https://blog.acme.example:443/'"),
                       "%s", w.cmds);
    cr_assert_not_null(res.details);
    cr_assert_str_eq(res.details,
                     "core 6.5.2 -> 6.5.5, plugin akismet 5.3.1 -> 5.3.5, plugin classic-editor "
                     "1.6.3 -> 1.6.5, theme twentytwentyfour 1.0 -> 1.2; health: "
                     "https://blog.acme.example:443/ HTTP 200, checksums ok, WordPress loads");
    result_free(&res);
}

Test(wpt_update_apply, major_core_update_and_no_extensions)
{
    struct jiku_update_params u = {.components = all, .core_major = true};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    w.plugins_pending = "[]";
    w.themes_pending = "[]";
    cr_assert_eq(run(JIKU_UPDATE_APPLY, &u, &res, &err), 0, "%s", err.msg);
    cr_assert_str_eq(w.job_cmd,
                     "'wp-toolkit' '--wp-cli' '-instance-id' '7' '--' 'core' 'update' && "
                     "'wp-toolkit' '--wp-cli' '-instance-id' '7' '--' 'core' 'update-db'");
    cr_assert_eq(res.n_updates, 1);
    result_free(&res);
}

Test(wpt_update_apply, nothing_pending_changes_nothing)
{
    struct jiku_update_params u = {.components = all};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    nothing_pending();
    cr_assert_eq(run(JIKU_UPDATE_APPLY, &u, &res, &err), 0, "%s", err.msg);
    cr_assert_eq(w.job_starts, 0);
    cr_assert_not(res.changed);
    cr_assert_eq(res.n_updates, 0);
    cr_assert_null(strstr(w.cmds, "'curl'"), "no health check without an update");
    result_free(&res);
}

Test(wpt_update_apply, a_component_left_at_its_old_version_fails)
{
    struct jiku_update_params u = {.components = all, .exclude = hold_dolly};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    w.plugins_after = "[{\"name\":\"akismet\",\"version\":\"5.3.1\"},{\"name\":\"classic-editor\","
                      "\"version\":\"1.6.5\"}]";
    w.themes_after = "[]";
    cr_assert_eq(run(JIKU_UPDATE_APPLY, &u, &res, &err), JIKU_E_FAILED);
    cr_assert(res.changed);
    cr_assert_str_eq(err.msg, "the update of 'https://blog.acme.example' left plugin akismet at "
                              "5.3.1, theme twentytwentyfour gone");
    /* What it did change is still reported. */
    expect_item(&res, JIKU_UPDATE_PLUGINS, "classic-editor", "1.6.3", "1.6.5");
    expect_item(&res, JIKU_UPDATE_PLUGINS, "akismet", "5.3.1", "5.3.1");
    expect_item(&res, JIKU_UPDATE_THEMES, "twentytwentyfour", "1.0", "none");
    cr_assert_null(strstr(w.cmds, "'curl'"));
    result_free(&res);
}

Test(wpt_update_apply, an_unreadable_version_afterwards_is_bad_data)
{
    struct jiku_update_params u = {.components = JIKU_UPDATE_BIT(JIKU_UPDATE_PLUGINS),
                                   .exclude = hold_dolly};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    w.plugins_after = "[{\"name\":\"akismet\",\"version\":\"5.3.5\"},{\"name\":"
                      "\"classic-editor\",\"version\":\"1.6.5; rm -rf /\"}]";
    cr_assert_eq(run(JIKU_UPDATE_APPLY, &u, &res, &err), JIKU_E_DATA);
    cr_assert(res.changed);
    cr_assert_str_eq(err.msg, "wp-cli plugin list on 'web1' gives classic-editor no usable "
                              "version");
    result_free(&res);
}

Test(wpt_update_apply, a_failed_job_reports_what_changed)
{
    struct jiku_update_params u = {.components = all, .exclude = hold_dolly};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    w.job_exit = 1;
    w.job_log = "Success: WordPress updated successfully.\nError: Download failed.\n";
    w.themes_after = "[{\"name\":\"twentytwentyfour\",\"version\":\"1.0\"}]";
    cr_assert_eq(run(JIKU_UPDATE_APPLY, &u, &res, &err), JIKU_E_PANEL);
    cr_assert(res.changed);
    cr_assert_not_null(strstr(err.msg, "WordPress update on 'web1' failed (exit status 1)"), "%s",
                       err.msg);
    cr_assert_not_null(strstr(err.msg, "Error: Download failed."), "%s", err.msg);
    expect_item(&res, JIKU_UPDATE_CORE, "wordpress", "6.5.2", "6.5.5");
    expect_item(&res, JIKU_UPDATE_THEMES, "twentytwentyfour", "1.0", "1.0");
    result_free(&res);
}

/* ---- the health checks ----------------------------------------------------------------------- */

/* APPLY of everything pending in a world broken by SETUP: JIKU_E_FAILED, its message in ERR. */
static void
apply_broken(void (*setup)(void), struct jiku_err *err)
{
    struct jiku_update_params u = {.components = all, .exclude = hold_dolly};
    struct jiku_op_result res = {0};

    world_reset();
    setup();
    cr_assert_eq(run(JIKU_UPDATE_APPLY, &u, &res, err), JIKU_E_FAILED, "%s", err->msg);
    cr_assert(res.changed, "a failed check after an update restores the safety snapshot");
    cr_assert_eq(res.n_updates, 4);
    cr_assert_null(res.details);
    result_free(&res);
}

static void
page_500(void)
{
    w.page = "<html><body><p>There has been a critical error on this website.</p></body>"
             "</html>\n500";
}

static void
checksums_fail(void)
{
    w.checksums_exit = 1;
    w.checksums_err = "Warning: File doesn't verify against checksum: wp-blog-header.php\n"
                      "Warning: File should not exist: wp-extra.php\n"
                      "Error: WordPress installation doesn't verify against checksums.\n";
}

static void
eval_fatal(void)
{
    w.eval_exit = 255;
    w.eval_out = "";
    w.eval_err = "PHP Fatal error:  Uncaught Error: Call to undefined function "
                 "jiku_removed() in /home/acmeshop/blog/wp-content/themes/t/functions.php:3\n"
                 "Stack trace:\n#0 {main}\n";
}

Test(wpt_update_health, a_page_that_answers_500)
{
    struct jiku_err err = {0};

    apply_broken(page_500, &err);
    cr_assert_str_eq(err.msg, "health check: https://blog.acme.example:443/ answered HTTP 500 "
                              "(\"There has been a critical error on this website.\")");
}

Test(wpt_update_health, core_files_that_fail_their_checksums)
{
    struct jiku_err err = {0};

    apply_broken(checksums_fail, &err);
    cr_assert_str_eq(err.msg,
                     "health check: core files fail their checksums (wp-cli core verify-checksums "
                     "exit 1): Warning: File doesn't verify against checksum: wp-blog-header.php "
                     "/ Warning: File should not exist: wp-extra.php / Error: WordPress "
                     "installation doesn't verify against checksums.");
}

Test(wpt_update_health, a_php_fatal_error_in_eval)
{
    struct jiku_err err = {0};

    apply_broken(eval_fatal, &err);
    cr_assert_str_eq(err.msg, "health check: WordPress does not load (wp-cli eval exit 255): PHP "
                              "Fatal error:  Uncaught Error: Call to undefined function "
                              "jiku_removed() in "
                              "/home/acmeshop/blog/wp-content/themes/t/functions.php:3");
}

static void
everything_broken(void)
{
    page_500();
    checksums_fail();
    w.eval_exit = 0;
    w.eval_out = "Fatal error: Cannot redeclare x() in /home/acmeshop/blog/wp-config.php on line "
                 "9\n";
    w.eval_err = "";
}

Test(wpt_update_health, every_failed_check_is_named)
{
    struct jiku_err err = {0};

    apply_broken(everything_broken, &err);
    cr_assert_not_null(strstr(err.msg, "answered HTTP 500"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "; health check: core files fail their checksums"), "%s",
                       err.msg);
    cr_assert_not_null(strstr(err.msg, "; health check: WordPress does not load (wp-cli eval exit "
                                       "0): Fatal error: Cannot redeclare x()"),
                       "%s", err.msg);
}

Test(wpt_update_health, health_text_must_be_on_the_page)
{
    struct jiku_update_params u = {
        .components = all, .exclude = hold_dolly, .health_text = "Welcome to Acme"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(JIKU_UPDATE_APPLY, &u, &res, &err), JIKU_E_FAILED);
    cr_assert_not_null(strstr(err.msg, "lacks \"Welcome to Acme\""), "%s", err.msg);
    result_free(&res);
}

/* ---- STAGING and CHECK -------------------------------------------------------------------------
 */

Test(wpt_update_staging, updates_the_staging_copy_and_never_marks_live_changed)
{
    struct jiku_update_params u = {
        .components = all, .exclude = hold_dolly, .health_path = "/shop"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(JIKU_UPDATE_STAGING, &u, &res, &err), 0, "%s", err.msg);
    cr_assert_eq(w.job_starts, 1);
    cr_assert_not_null(strstr(w.job_cmd, "'-instance-id' '8' '--' 'core' 'update'"), "%s",
                       w.job_cmd);
    cr_assert_null(strstr(w.cmds, "'-instance-id' '7' '--'"), "live's wp-cli is never run");
    cr_assert_not(w.changed_at_start);
    cr_assert_not(res.changed);
    cr_assert_not_null(strstr(w.cmds, "'https://staging.acme.example:443/shop'"), "%s", w.cmds);
    cr_assert_not_null(res.details);
    cr_assert_eq(strncmp(res.details, "staging 'https://staging.acme.example': core 6.5.2", 50), 0,
                 "%s", res.details);
    result_free(&res);
}

Test(wpt_update_staging, the_recorded_staging_domain_wins)
{
    struct jiku_update_params u = {.components = all};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    w.stage_record = "domain=stg2.acme.example\ncreated=1\n";
    /* No instance there: the staging copy the record names is looked for, not the config's. */
    cr_assert_eq(run(JIKU_UPDATE_STAGING, &u, &res, &err), JIKU_E_NOTFOUND);
    cr_assert_not_null(strstr(err.msg, "https://stg2.acme.example"), "%s", err.msg);
    cr_assert_eq(w.job_starts, 0);
    result_free(&res);
}

Test(wpt_update_check, health_of_live_alone)
{
    struct jiku_update_params u = {.components = all};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(JIKU_UPDATE_CHECK, &u, &res, &err), 0, "%s", err.msg);
    cr_assert_str_eq(res.details, "health: https://blog.acme.example:443/ HTTP 200, checksums ok, "
                                  "WordPress loads");
    cr_assert_null(strstr(w.cmds, "'list'"), "CHECK lists nothing");
    cr_assert_eq(w.job_starts, 0);
    cr_assert_not(res.changed);
    result_free(&res);

    world_reset();
    eval_fatal();
    cr_assert_eq(run(JIKU_UPDATE_CHECK, &u, &res, &err), JIKU_E_FAILED);
    cr_assert_not_null(strstr(err.msg, "WordPress does not load"), "%s", err.msg);
    cr_assert_not(res.changed);
    result_free(&res);
}

/* ---- refusals ----------------------------------------------------------------------------------
 */

Test(wpt_update, refuses_what_makes_no_sense_before_any_command)
{
    struct jiku_update_params u = {.components = all};
    struct jiku_op_params p = {.operation_id = "op1", .update = &u, .dry_run = true};
    struct jiku_op_result res = {0};
    struct jiku_target_info soft = target;
    struct jiku_op op = {
        .host = &host, .server = &server, .target = &target, .params = &p, .result = &res};
    struct jiku_err err = {0};

    world_reset();
    u.step = JIKU_UPDATE_APPLY;
    cr_assert_eq(wpt_update(&fake_wpt_panel, &op, &err), JIKU_E_INVAL, "a dry run only lists");
    p.dry_run = false;
    u.components = JIKU_UPDATE_BIT(JIKU_UPDATE_APP);
    cr_assert_eq(wpt_update(&fake_wpt_panel, &op, &err), JIKU_E_INVAL);
    cr_assert_not_null(strstr(err.msg, "0x8"), "%s", err.msg);
    u.components = all;
    soft.kind = JIKU_KIND_SOFTACULOUS;
    op.target = &soft;
    cr_assert_eq(wpt_update(&fake_wpt_panel, &op, &err), JIKU_E_INVAL);
    op.target = &target;
    p.update = NULL;
    cr_assert_eq(wpt_update(&fake_wpt_panel, &op, &err), JIKU_E_INVAL);
    cr_assert_str_eq(w.cmds, "", "nothing ran");
    cr_assert_not(res.changed);
}
