/*
 * The Softaculous parsers of the cPanel plugin (plugins/cpanel/softapi.c): the session URL and
 * its redirect, the answer envelope, task keys and the task list, installations and backups,
 * with the documented samples (tests/fakes/wptoolkit/samples, docs/WIRE.md §5).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpanel.h"

#define SAMPLES JIKU_SOURCE_DIR "/tests/fakes/wptoolkit/samples/"

static json_t *
parse_ok(const char *act, const char *body)
{
    struct jiku_err err = {0};
    json_t *root = NULL;
    int r = cpanel_soft_parse(act, 200, body, strlen(body), &root, &err);

    cr_assert_eq(r, 0, "%s: %s", act, err.msg);
    cr_assert_not_null(root);
    return root;
}

static json_t *
sample(const char *name)
{
    char path[512], buf[8192];
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), SAMPLES "%s", name);
    f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return parse_ok("sample", buf);
}

/* ---- the session URL and the redirect ------------------------------------------------- */

Test(soft_session, login_path_from_documented_url)
{
    struct jiku_err err = {0};
    char *path = NULL;

    cr_assert_eq(cpanel_soft_login_path("https://example.com:2083/cpsess1234567890/login/"
                                        "?session=username:RFw6MU",
                                        &path, &err),
                 0, "%s", err.msg);
    cr_assert_str_eq(path, "/cpsess1234567890/login/?session=username:RFw6MU");
    free(path);
}

Test(soft_session, login_path_refuses_other_shapes)
{
    static const char *const bad[] = {
        "http://example.com:2083/cpsess1/login/?session=x", /* not https */
        "https://example.com:2083/login/?session=x",        /* no session prefix */
        "https://example.com:2083/cpsess/login/?session=x", /* no digits */
        "https://example.com:2083/cpsess12/frontend/x",     /* not the login */
        "https://example.com:2083/cpsess12/login/?session=a b",
        "ftp://example.com/cpsess12/login/",
        "",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct jiku_err err = {0};
        char *path = NULL;

        cr_expect_eq(cpanel_soft_login_path(bad[i], &path, &err), JIKU_E_DATA, "%s", bad[i]);
        cr_expect_null(path);
        cr_expect_null(strstr(err.msg, "cpsess12"), "the message names the session: %s", err.msg);
    }
    {
        struct jiku_err err = {0};
        char *path = NULL;

        cr_expect_eq(cpanel_soft_login_path(NULL, &path, &err), JIKU_E_DATA);
    }
}

Test(soft_session, redirect_gives_prefix_and_theme)
{
    static const struct {
        const char *location, *prefix, *theme;
    } ok[] = {
        {"/cpsess5542387976/frontend/jupiter/index.html?post_login=26386455459312",
         "/cpsess5542387976", "jupiter"},
        {"/cpsess1/frontend/paper_lantern/index.html", "/cpsess1", "paper_lantern"},
        {"https://host.example:2083/cpsess77/frontend/x3/index.html", "/cpsess77", "x3"},
    };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct jiku_err err = {0};
        char *prefix = NULL, *theme = NULL;

        cr_assert_eq(cpanel_soft_redirect(ok[i].location, &prefix, &theme, &err), 0, "%s: %s",
                     ok[i].location, err.msg);
        cr_expect_str_eq(prefix, ok[i].prefix);
        cr_expect_str_eq(theme, ok[i].theme);
        free(prefix);
        free(theme);
    }
}

Test(soft_session, redirect_without_a_session_is_auth)
{
    static const struct {
        const char *location;
        int status;
    } bad[] = {
        {"/login/?login_only=1", JIKU_E_AUTH},
        {"/", JIKU_E_AUTH},
        {"/cpsess12/index.html", JIKU_E_DATA},
        {"/cpsess12/frontend/", JIKU_E_DATA},
        {"/cpsess12/frontend/ju%20piter/index.html", JIKU_E_DATA},
        {"/cpsess12/frontend/jupiter", JIKU_E_DATA},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct jiku_err err = {0};
        char *prefix = NULL, *theme = NULL;

        cr_expect_eq(cpanel_soft_redirect(bad[i].location, &prefix, &theme, &err), bad[i].status,
                     "%s", bad[i].location);
        cr_expect_null(prefix);
        cr_expect_null(theme);
    }
}

/* ---- the envelope -------------------------------------------------------------------- */

Test(soft_parse, login_page_and_401_are_auth)
{
    static const char page[] = "<html><form id=\"login_form\"></form></html>";
    struct jiku_err err = {0};
    json_t *root = NULL;

    cr_expect_eq(cpanel_soft_parse("installations", 401, page, strlen(page), &root, &err),
                 JIKU_E_AUTH);
    cr_expect_eq(cpanel_soft_parse("installations", 200, page, strlen(page), &root, &err),
                 JIKU_E_AUTH);
    cr_expect_eq(cpanel_soft_parse("installations", 403, "", 0, &root, &err), JIKU_E_AUTH);
    cr_expect_null(root);
}

Test(soft_parse, garbage_is_data)
{
    static const char *const bad[] = {"",
                                      "\x01\x02garbage",
                                      "[1,2]",
                                      "\"text\"",
                                      "{\"a\":1",
                                      "<html>Softaculous</html>",
                                      "{\"a\":1,\"a\":2}"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct jiku_err err = {0};
        json_t *root = NULL;

        cr_expect_eq(cpanel_soft_parse("backups", 200, bad[i], strlen(bad[i]), &root, &err),
                     JIKU_E_DATA, "%s", bad[i]);
        cr_expect_null(root);
    }
    {
        struct jiku_err err = {0};
        json_t *root = NULL;

        cr_expect_eq(cpanel_soft_parse("backups", 500, "{}", 2, &root, &err), JIKU_E_DATA);
    }
}

Test(soft_parse, error_member_is_panel_with_its_text)
{
    static const char *const bodies[] = {
        "{\"title\":\"Softaculous\",\"error\":[\"The installation you specified does not exist\"]}",
        "{\"error\":{\"noins\":\"The installation you specified does not exist\"}}",
        "{\"error\":\"The installation you specified does not exist\"}",
    };

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct jiku_err err = {0};
        json_t *root = NULL;

        cr_expect_eq(cpanel_soft_parse("staging", 200, bodies[i], strlen(bodies[i]), &root, &err),
                     JIKU_E_PANEL, "%s", bodies[i]);
        cr_expect_not_null(strstr(err.msg, "does not exist"), "%s", err.msg);
        cr_expect_null(root);
    }
    /* Empty error lists are no error. */
    json_decref(parse_ok("staging", "{\"error\":[],\"done\":\"abc\"}"));
    json_decref(parse_ok("staging", "{\"error\":\"\",\"done\":\"abc\"}"));
}

/* ---- task keys and the task list ------------------------------------------------------ */

Test(soft_task, key_from_done)
{
    struct jiku_err err = {0};
    json_t *root = parse_ok("staging", "{\"done\":\"ARkhQ2xyz09\",\"done_msg\":\"Staging has been "
                                       "pushed in background\"}");
    char *ssk = NULL;

    cr_assert_eq(cpanel_soft_task_key(root, "staging", &ssk, &err), 0, "%s", err.msg);
    cr_expect_str_eq(ssk, "ARkhQ2xyz09");
    free(ssk);
    json_decref(root);
}

Test(soft_task, key_missing_or_odd_is_data)
{
    static const char *const bodies[] = {
        "{\"done_msg\":\"Pushing to live has started in background\"}", /* ss02 */
        "{\"done\":\"\"}",
        "{\"done\":\"a;b\"}",
        "{\"done\":\"ARkh\xe2\x80\xa6\"}", /* the documented elision */
        "{\"done\":true}",
    };

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct jiku_err err = {0};
        json_t *root = parse_ok("x", bodies[i]);
        char *ssk = NULL;

        cr_expect_eq(cpanel_soft_task_key(root, "pushtolive", &ssk, &err), JIKU_E_DATA, "%s",
                     bodies[i]);
        cr_expect_null(ssk);
        json_decref(root);
    }
}

Test(soft_task, documented_tasklist_is_done)
{
    struct jiku_err err = {0};
    json_t *root = sample("ss07-eu-tasklist.body");
    bool done = false;
    int progress = -1;

    cr_assert_eq(cpanel_soft_task_state(root, &progress, &done, &err), 0, "%s", err.msg);
    cr_expect(done);
    cr_expect_eq(progress, 100);
    json_decref(root);
}

Test(soft_task, running_string_progress_and_failure)
{
    struct jiku_err err = {0};
    bool done = true;
    int progress = -1;
    json_t *root;

    root = parse_ok("eu_tasklist", "{\"status\":{\"current_status\":\"Copying files\","
                                   "\"completed\":\"\",\"progress\":\"30\"}}");
    cr_assert_eq(cpanel_soft_task_state(root, &progress, &done, &err), 0, "%s", err.msg);
    cr_expect_not(done);
    cr_expect_eq(progress, 30);
    json_decref(root);

    /* A failed task: status.error (the top-level error is the envelope's, seen by parse). */
    root = parse_ok("eu_tasklist", "{\"status\":{\"progress\":40,\"error\":[\"The backup failed: "
                                   "disk full\"]}}");
    cr_expect_eq(cpanel_soft_task_state(root, &progress, &done, &err), JIKU_E_PANEL);
    cr_expect_not_null(strstr(err.msg, "disk full"), "%s", err.msg);
    json_decref(root);

    root = parse_ok("eu_tasklist", "{\"title\":\"Softaculous - Task List\"}");
    cr_expect_eq(cpanel_soft_task_state(root, &progress, &done, &err), JIKU_E_DATA);
    json_decref(root);

    root = parse_ok("eu_tasklist", "{\"status\":{\"progress\":\"lots\"}}");
    cr_expect_eq(cpanel_soft_task_state(root, &progress, &done, &err), JIKU_E_DATA);
    json_decref(root);

    /* Softaculous deletes a failed task's status: "no task" after a start is a failure. */
    root = parse_ok("eu_tasklist", "{\"no_tasks\":\"1\"}");
    cr_expect_eq(cpanel_soft_task_state(root, &progress, &done, &err), JIKU_E_PANEL);
    cr_expect_not(done);
    json_decref(root);
    root = parse_ok("eu_tasklist", "{\"status\":[],\"no_tasks\":1,\"tasks_file\":\"\"}");
    cr_expect_eq(cpanel_soft_task_state(root, &progress, &done, &err), JIKU_E_PANEL);
    cr_expect_not(done);
    json_decref(root);
}

/* "completed" is a label shown from the start: only progress 100 is done. */
Test(soft_task, completed_label_is_not_done)
{
    struct jiku_err err = {0};
    bool done = true;
    int progress = -1;
    json_t *root;

    root = parse_ok("eu_tasklist", "{\"status\":{\"current_status\":\"Restoring the files\","
                                   "\"completed\":\"Restore Completed\",\"progress\":30}}");
    cr_assert_eq(cpanel_soft_task_state(root, &progress, &done, &err), 0, "%s", err.msg);
    cr_expect_not(done);
    cr_expect_eq(progress, 30);
    json_decref(root);

    root = parse_ok("eu_tasklist", "{\"status\":{\"completed\":\"Restore Completed\"}}");
    cr_expect_eq(cpanel_soft_task_state(root, &progress, &done, &err), JIKU_E_DATA);
    json_decref(root);
}

Test(soft_task, top_level_error_fails_the_call)
{
    static const char body[] = "{\"status\":{\"progress\":40,\"error\":[\"The backup failed\"]},"
                               "\"error\":[\"The backup failed\"]}";
    struct jiku_err err = {0};
    json_t *root = NULL;

    cr_expect_eq(cpanel_soft_parse("eu_tasklist", 200, body, strlen(body), &root, &err),
                 JIKU_E_PANEL);
}

/* ---- installations ------------------------------------------------------------------ */

static const char installs[] =
    "{\"title\":\"Softaculous - Installations\",\"installations\":{\"483\":{"
    "\"483_10001\":{\"insid\":\"483_10001\",\"sid\":\"483\",\"softdomain\":\"cloud.acme.example\","
    "\"softdirectory\":\"\",\"softpath\":\"/home/acmeshop/cloud.acme.example\","
    "\"softurl\":\"https://cloud.acme.example\",\"script\":\"Nextcloud\"},"
    "\"483_20002\":{\"insid\":\"483_20002\",\"sid\":\"483\",\"softdomain\":\"staging.acme."
    "example\","
    "\"softdirectory\":\"\",\"softurl\":\"https://staging.acme.example\",\"is_staging\":1,"
    "\"live_insid\":\"483_10001\"}},"
    "\"26\":{\"26_300\":{\"insid\":\"26_300\",\"softdomain\":\"Cloud.Acme.Example\","
    "\"softurl\":\"https://cloud.acme.example/blog/\"}}}}";

Test(soft_ins, found_by_domain_and_directory)
{
    struct cpanel_soft_ins i = {0};
    struct jiku_err err = {0};
    json_t *root = parse_ok("installations", installs);

    cr_assert_eq(cpanel_soft_find_ins(root, "cloud.acme.example", "", NULL, &i, &err), 0, "%s",
                 err.msg);
    cr_expect_str_eq(i.insid, "483_10001");
    cr_expect_str_eq(i.path, "/home/acmeshop/cloud.acme.example");
    cr_expect_not(i.is_staging);
    cr_expect_not(i.has_is_staging); /* absent: says nothing */
    cr_expect_null(i.backup_location);
    cpanel_soft_ins_release(&i);

    /* softdirectory absent: from the URL; the domain's case does not matter. */
    cr_assert_eq(cpanel_soft_find_ins(root, "cloud.acme.example", "/blog/", NULL, &i, &err), 0,
                 "%s", err.msg);
    cr_expect_str_eq(i.insid, "26_300");
    cr_expect_str_eq(i.directory, "blog");
    cpanel_soft_ins_release(&i);

    cr_assert_eq(cpanel_soft_find_ins(root, NULL, NULL, "483_20002", &i, &err), 0, "%s", err.msg);
    cr_expect(i.is_staging);
    cr_expect(i.has_is_staging);
    cr_expect_str_eq(i.live_insid, "483_10001");
    cpanel_soft_ins_release(&i);
    json_decref(root);

    /* The saved backup location, a number or a text; empty is none. */
    root = parse_ok("installations", "{\"installations\":{\"483\":{\"483_1\":{\"softdomain\":"
                                     "\"a.example\",\"backup_location\":2},\"483_2\":{"
                                     "\"softdomain\":\"b.example\",\"backup_location\":\"\"}}}}");
    cr_assert_eq(cpanel_soft_find_ins(root, NULL, NULL, "483_1", &i, &err), 0, "%s", err.msg);
    cr_expect_str_eq(i.backup_location, "2");
    cpanel_soft_ins_release(&i);
    cr_assert_eq(cpanel_soft_find_ins(root, NULL, NULL, "483_2", &i, &err), 0, "%s", err.msg);
    cr_expect_null(i.backup_location);
    cpanel_soft_ins_release(&i);
    json_decref(root);
}

Test(soft_ins, none_and_ambiguous)
{
    static const char two[] =
        "{\"installations\":{\"483\":{\"483_1\":{\"softdomain\":\"a.example\",\"softdirectory\":"
        "\"\"},\"483_2\":{\"softdomain\":\"a.example\",\"softdirectory\":\"/\"}}}}";
    struct cpanel_soft_ins i = {0};
    struct jiku_err err = {0};
    json_t *root = parse_ok("installations", installs);

    cr_expect_eq(cpanel_soft_find_ins(root, "other.example", "", NULL, &i, &err), JIKU_E_NOTFOUND);
    cr_expect_eq(cpanel_soft_find_ins(root, "cloud.acme.example", "sub", NULL, &i, &err),
                 JIKU_E_NOTFOUND);
    cr_expect_null(i.insid);
    json_decref(root);

    root = parse_ok("installations", two);
    cr_expect_eq(cpanel_soft_find_ins(root, "a.example", "/", NULL, &i, &err), JIKU_E_DATA);
    cr_expect_not_null(strstr(err.msg, "ambiguous"), "%s", err.msg);
    json_decref(root);

    /* An empty list comes as [] from PHP. */
    root = parse_ok("installations", "{\"installations\":[]}");
    cr_expect_eq(cpanel_soft_find_ins(root, "a.example", "", NULL, &i, &err), JIKU_E_NOTFOUND);
    json_decref(root);
    root = parse_ok("installations", "{\"title\":\"x\"}");
    cr_expect_eq(cpanel_soft_find_ins(root, "a.example", "", NULL, &i, &err), JIKU_E_DATA);
    json_decref(root);
    root = parse_ok("installations", "{\"installations\":{\"1\":{\"a;b\":{\"softdomain\":"
                                     "\"a.example\"}}}}");
    cr_expect_eq(cpanel_soft_find_ins(root, "a.example", "", NULL, &i, &err), JIKU_E_DATA);
    json_decref(root);
}

Test(soft_ins, documented_sample)
{
    struct cpanel_soft_ins i = {0};
    struct jiku_err err = {0};
    json_t *root = sample("ss08-installations.body");

    cr_assert_eq(cpanel_soft_find_ins(root, NULL, NULL, "26_12345", &i, &err), 0, "%s", err.msg);
    cr_expect_str_eq(i.insid, "26_12345");
    cpanel_soft_ins_release(&i);
    json_decref(root);
}

/* ---- backups ------------------------------------------------------------------------ */

static const char backups[] =
    "{\"backups\":{\"483\":{\"483_10001\":["
    "{\"name\":\"nextcloud.483_10001.2026-01-01_00-00-00.tar.gz\",\"path\":"
    "\"/home/acmeshop/softaculous_backups/\",\"size\":100,\"btime\":1767225600,\"ssk\":\"old\"},"
    "{\"name\":\"nextcloud.483_10001.2026-01-02_00-00-00.tar.gz\",\"path\":"
    "\"/home/acmeshop/softaculous_backups/\",\"size\":\"200\",\"btime\":1767312000,\"ssk\":"
    "\"new\"}],"
    "\"483_20002\":[{\"name\":\"nextcloud.483_20002.2026-01-02_00-00-00.tar.gz\",\"path\":"
    "\"/home/acmeshop/softaculous_backups\"}]}}}";

Test(soft_backups, the_task_s_file_by_ssk)
{
    struct cpanel_soft_backup b = {0};
    struct jiku_err err = {0};
    json_t *root = parse_ok("backups", backups);

    cr_assert_eq(cpanel_soft_find_new_backup(root, "483_10001", "new", "", &b, &err), 0, "%s",
                 err.msg);
    cr_expect_str_eq(b.name, "nextcloud.483_10001.2026-01-02_00-00-00.tar.gz");
    cr_expect_str_eq(b.dir, "/home/acmeshop/softaculous_backups");
    cr_expect(b.have_size);
    cr_expect_eq(b.size, 200);
    cpanel_soft_backup_release(&b);
    json_decref(root);
}

Test(soft_backups, the_new_file_without_ssk)
{
    struct jiku_buf before = JIKU_BUF_INIT;
    struct cpanel_soft_backup b = {0};
    struct jiku_err err = {0};
    json_t *root = parse_ok("backups", backups);

    /* Before: only the old file of this installation. */
    cr_assert_eq(jiku_buf_adds(&before, "nextcloud.483_10001.2026-01-01_00-00-00.tar.gz\n"), 0);
    cr_assert_eq(cpanel_soft_find_new_backup(root, "483_10001", "unknown", before.data, &b, &err),
                 0, "%s", err.msg);
    cr_expect_str_eq(b.name, "nextcloud.483_10001.2026-01-02_00-00-00.tar.gz");
    cpanel_soft_backup_release(&b);

    /* Two new files and no ssk to tell them apart: refuse to guess. */
    cr_expect_eq(cpanel_soft_find_new_backup(root, "483_10001", NULL, "", &b, &err), JIKU_E_DATA);
    /* Nothing new: the task said done but made nothing. */
    jiku_buf_reset(&before);
    cr_assert_eq(cpanel_soft_backup_names(root, "483_10001", &before, &err), 0);
    cr_expect_str_eq(before.data, "nextcloud.483_10001.2026-01-01_00-00-00.tar.gz\n"
                                  "nextcloud.483_10001.2026-01-02_00-00-00.tar.gz\n");
    cr_expect_eq(cpanel_soft_find_new_backup(root, "483_10001", NULL, before.data, &b, &err),
                 JIKU_E_PANEL);
    jiku_buf_release(&before);
    json_decref(root);
}

Test(soft_backups, by_name_and_refusals)
{
    struct cpanel_soft_backup b = {0};
    struct jiku_err err = {0};
    json_t *root = parse_ok("backups", backups);

    cr_assert_eq(
        cpanel_soft_find_backup(root, "nextcloud.483_20002.2026-01-02_00-00-00.tar.gz", &b, &err),
        0, "%s", err.msg);
    cr_expect_str_eq(b.insid, "483_20002");
    cr_expect_str_eq(b.dir, "/home/acmeshop/softaculous_backups");
    cr_expect_not(b.have_size);
    cpanel_soft_backup_release(&b);
    cr_expect_eq(cpanel_soft_find_backup(root, "nope.tar.gz", &b, &err), JIKU_E_NOTFOUND);
    json_decref(root);

    root = parse_ok("backups", "{\"backups\":{\"1\":{\"1_1\":[{\"name\":\"../x.tar.gz\","
                               "\"path\":\"/home/u/softaculous_backups/\"}]}}}");
    cr_expect_eq(cpanel_soft_find_backup(root, "../x.tar.gz", &b, &err), JIKU_E_DATA);
    json_decref(root);
    root = parse_ok("backups", "{\"backups\":{\"1\":{\"1_1\":[{\"name\":\"x.tar.gz\"}]}}}");
    cr_expect_eq(cpanel_soft_find_backup(root, "x.tar.gz", &b, &err), JIKU_E_DATA);
    json_decref(root);
    root = parse_ok("backups", "{\"title\":\"x\"}");
    cr_expect_eq(cpanel_soft_find_backup(root, "x.tar.gz", &b, &err), JIKU_E_DATA);
    json_decref(root);
}

Test(soft_backups, documented_sample)
{
    struct cpanel_soft_backup b = {0};
    struct jiku_err err = {0};
    json_t *root = sample("ss05-backups.body");

    cr_assert_eq(cpanel_soft_find_backup(root, "wp.26_17652.2025-12-17_17-48-57.tar.gz", &b, &err),
                 0, "%s", err.msg);
    cr_expect_str_eq(b.insid, "26_17652");
    cr_expect_str_eq(b.dir, "/home/user/softaculous_backups");
    cpanel_soft_backup_release(&b);
    json_decref(root);
}
