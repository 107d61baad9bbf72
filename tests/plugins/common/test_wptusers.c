/*
 * The USERS action on `wordpress` targets (plugins/common/wptusers.c) through a fake host whose
 * SSH answers as WP Toolkit and wp-cli print (wp-cli/entity-command's User_Command: `user list`
 * JSON with the ID a number, `user create --porcelain` the new ID alone): the commands built,
 * users always named by their ID, what is refused before anything runs, and answers that are
 * not what they must be.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_wpt.h"
#include "fixture.h"

static const char instances[] = "[" FAKE_WPT_INFO7 "]";
static const char info7[] = FAKE_WPT_INFO7;

/* The site's users: admin (1), ed the editor (2), and "1", a login that looks like an ID (5). */
static const char users_json[] =
    "[{\"ID\":1,\"user_login\":\"admin\",\"user_email\":\"admin@acme.example\",\"roles\":"
    "\"administrator\"},{\"ID\":2,\"user_login\":\"ed\",\"user_email\":\"ed@acme.example\","
    "\"roles\":\"editor\"},{\"ID\":\"5\",\"user_login\":\"1\",\"user_email\":\"\",\"roles\":"
    "\"author,subscriber\"}]";

static struct {
    const char *users;  /* `user list` */
    const char *create; /* `user create` stdout */
    int create_exit;
    const char *create_err;
    char cmds[16384]; /* every SSH command, one a line */
} w;

static void
world_reset(void)
{
    memset(&w, 0, sizeof(w));
    w.users = users_json;
    w.create = "3\n";
}

static int
fake_exec(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd, bool safe,
          size_t max_output, struct jiku_exec_result *res, struct jiku_err *err)
{
    size_t n = strlen(w.cmds);

    (void)op, (void)server, (void)safe, (void)max_output, (void)err;
    snprintf(w.cmds + n, sizeof(w.cmds) - n, "%s\n", cmd);
    if (strstr(cmd, "'--wp-cli'") != NULL) {
        if (strstr(cmd, "'user' 'list'") != NULL)
            return fake_wpt_answer(res, 0, w.users, NULL);
        if (strstr(cmd, "'user' 'create'") != NULL)
            return fake_wpt_answer(res, w.create_exit, w.create, w.create_err);
        if (strstr(cmd, "'user' 'reset-password'") != NULL)
            return fake_wpt_answer(
                res, 0, "Reset password for ed.\nSuccess: Password reset for 1 user.\n", NULL);
        return fake_wpt_answer(res, 0, "Success: done.\n", NULL);
    }
    if (strstr(cmd, "'--list'") != NULL)
        return fake_wpt_answer(res, 0, instances, NULL);
    if (strstr(cmd, "'--info' '-instance-id' '7'") != NULL)
        return fake_wpt_answer(res, 0, info7, NULL);
    return fake_wpt_answer(res, 1, NULL, "unexpected command\n");
}

static const struct jiku_host host = {.ssh_exec = fake_exec, .log = fixture_log};

static const struct jiku_server_info server = {
    .name = "web1", .panel = "cpanel", .snapshot_dir = "/var/jiku", .timeout = 60};
static const struct jiku_target_info target = {
    .id = "acme/blog",
    .customer = "acme",
    .name = "blog",
    .kind = JIKU_KIND_WORDPRESS,
    .account = "acmeshop",
    .domain = "blog.acme.example",
    .path = "/",
};

static int
run(const struct jiku_login_params *lp, bool dry_run, struct jiku_op_result *res,
    struct jiku_err *err)
{
    struct jiku_op_params p = {.operation_id = "op1", .login = lp, .dry_run = dry_run};
    struct jiku_op op = {
        .host = &host, .server = &server, .target = &target, .params = &p, .result = res};

    return wpt_users(&fake_wpt_panel, &op, err);
}

static void
result_free(struct jiku_op_result *res)
{
    for (size_t i = 0; i < res->n_logins; i++) {
        free(res->logins[i].name);
        free(res->logins[i].email);
        free(res->logins[i].roles);
    }
    free(res->logins);
    free(res->details);
    memset(res, 0, sizeof(*res));
}

#define WP "'wp-toolkit' '--wp-cli' '-instance-id' '7' '--' "

static void
expect_cmd(const char *words)
{
    char line[512];

    snprintf(line, sizeof(line), WP "%s\n", words);
    cr_expect_not_null(strstr(w.cmds, line), "no `%s` in:\n%s", words, w.cmds);
}

static void
expect_no_change(void)
{
    cr_expect_null(strstr(w.cmds, "'create'"), "%s", w.cmds);
    cr_expect_null(strstr(w.cmds, "'delete'"), "%s", w.cmds);
    cr_expect_null(strstr(w.cmds, "'set-role'"), "%s", w.cmds);
    cr_expect_null(strstr(w.cmds, "'reset-password'"), "%s", w.cmds);
}

/* ---- LIST ------------------------------------------------------------------------------------ */

Test(wpt_users, list_fills_the_logins)
{
    struct jiku_login_params lp = {.op = JIKU_LOGIN_LIST};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(&lp, false, &res, &err), 0, "%s", err.msg);
    expect_cmd("'user' 'list' '--fields=ID,user_login,user_email,roles' '--format=json'");
    cr_assert_null(strstr(w.cmds, "user_pass"));
    cr_assert_eq(res.n_logins, 3);
    cr_expect_str_eq(res.logins[0].name, "admin");
    cr_expect_str_eq(res.logins[0].email, "admin@acme.example");
    cr_expect_str_eq(res.logins[0].roles, "administrator");
    cr_expect_str_eq(res.logins[2].name, "1");
    cr_expect_null(res.logins[2].email, "an empty address is none");
    cr_expect_str_eq(res.logins[2].roles, "author,subscriber");
    cr_expect_not(res.logins[1].disabled);
    cr_expect_null(res.details);
    result_free(&res);
}

Test(wpt_users, an_empty_site_lists_nobody)
{
    struct jiku_login_params lp = {.op = JIKU_LOGIN_LIST};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    w.users = "[]";
    cr_assert_eq(run(&lp, false, &res, &err), 0, "%s", err.msg);
    cr_assert_eq(res.n_logins, 0);
    cr_assert_null(res.logins);
}

static const char *const bad_lists[] = {
    "",
    "Error: Error establishing a database connection.",
    "{\"ID\":1}",
    "[{\"user_login\":\"admin\"}]",
    "[{\"ID\":0,\"user_login\":\"admin\"}]",
    "[{\"ID\":\"1x\",\"user_login\":\"admin\"}]",
    "[{\"ID\":1,\"user_login\":\"\"}]",
    "[{\"ID\":1,\"user_login\":\"ad\\nmin\"}]",
    "[{\"ID\":1,\"user_login\":\"a\"},{\"ID\":1,\"user_login\":\"b\"}]",
    "[{\"ID\":1,\"user_login\":\"a\"},{\"ID\":2,\"user_login\":\"a\"}]",
    "[{\"ID\":1,\"user_login\":\"a\",\"ID\":2}]",
};

ParameterizedTestParameters(wpt_users, bad_lists_are_data_errors)
{
    return cr_make_param_array(const char *, bad_lists, sizeof(bad_lists) / sizeof(bad_lists[0]));
}

ParameterizedTest(const char **list, wpt_users, bad_lists_are_data_errors)
{
    struct jiku_login_params lp = {.op = JIKU_LOGIN_REMOVE, .name = "a"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    w.users = *list;
    cr_assert_eq(run(&lp, false, &res, &err), JIKU_E_DATA, "'%s': %s", *list, err.msg);
    expect_no_change();
    cr_assert_eq(res.n_logins, 0);
}

/* ---- ADD ------------------------------------------------------------------------------------- */

Test(wpt_users, add_creates_with_the_set_password_mail_and_no_password)
{
    struct jiku_login_params lp = {
        .op = JIKU_LOGIN_ADD, .name = "bob", .email = "bob@acme.example", .role = "author"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(&lp, false, &res, &err), 0, "%s", err.msg);
    expect_cmd("'user' 'create' 'bob' 'bob@acme.example' '--send-email' '--porcelain' "
               "'--role=author'");
    cr_expect_null(strstr(w.cmds, "user_pass"), "%s", w.cmds);
    cr_expect_null(strstr(w.cmds, "show-password"), "%s", w.cmds);
    cr_assert_not_null(res.details);
    cr_expect_not_null(strstr(res.details, "created bob (ID 3)"), "%s", res.details);
    cr_expect_eq(res.n_logins, 0);
    result_free(&res);
}

Test(wpt_users, add_without_a_role_takes_the_sites_default)
{
    struct jiku_login_params lp = {.op = JIKU_LOGIN_ADD, .name = "bob", .email = "b@x.example"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(&lp, false, &res, &err), 0, "%s", err.msg);
    expect_cmd("'user' 'create' 'bob' 'b@x.example' '--send-email' '--porcelain'");
    result_free(&res);
}

Test(wpt_users, add_of_an_existing_login_runs_nothing)
{
    struct jiku_login_params lp = {.op = JIKU_LOGIN_ADD, .name = "ed", .email = "e@x.example"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(&lp, false, &res, &err), JIKU_E_PANEL);
    cr_expect_not_null(strstr(err.msg, "'ed'"), "%s", err.msg);
    expect_no_change();
}

Test(wpt_users, a_refusal_of_wp_cli_is_a_panel_error_with_its_message)
{
    struct jiku_login_params lp = {.op = JIKU_LOGIN_ADD, .name = "bob", .email = "ed@acme.example"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    w.create = "";
    w.create_exit = 1;
    w.create_err = "Error: Sorry, that email address is already used!\n";
    cr_assert_eq(run(&lp, false, &res, &err), JIKU_E_PANEL);
    cr_expect_not_null(strstr(err.msg, "that email address is already used"), "%s", err.msg);
    cr_expect_null(res.details);
}

Test(wpt_users, a_printed_password_is_never_quoted)
{
    struct jiku_login_params lp = {.op = JIKU_LOGIN_ADD, .name = "bob", .email = "b@x.example"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    /* What wp-cli prints without --porcelain. */
    w.create = "Success: Created user 3.\nPassword: k9**&I4vNH(&\n";
    cr_assert_eq(run(&lp, false, &res, &err), JIKU_E_DATA);
    cr_expect_null(strstr(err.msg, "k9**"), "%s", err.msg);
    cr_expect_null(strstr(err.msg, "Password"), "%s", err.msg);
    cr_expect_null(res.details);
}

/* ---- PASSWD, ROLE, REMOVE: by ID ------------------------------------------------------------- */

Test(wpt_users, passwd_resets_by_id_without_showing_the_password)
{
    struct jiku_login_params lp = {.op = JIKU_LOGIN_PASSWD, .name = "ed"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(&lp, false, &res, &err), 0, "%s", err.msg);
    expect_cmd("'user' 'reset-password' '2'");
    cr_expect_null(strstr(w.cmds, "porcelain"), "%s", w.cmds);
    cr_expect_null(strstr(w.cmds, "show-password"), "%s", w.cmds);
    cr_expect_null(strstr(w.cmds, "skip-email"), "%s", w.cmds);
    cr_expect_not_null(strstr(res.details, "ed@acme.example"), "%s", res.details);
    result_free(&res);
}

Test(wpt_users, a_login_that_looks_like_an_id_is_named_by_its_own_id)
{
    struct jiku_login_params lp = {.op = JIKU_LOGIN_ROLE, .name = "1", .role = "editor"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(&lp, false, &res, &err), 0, "%s", err.msg);
    expect_cmd("'user' 'set-role' '5' 'editor'");
    cr_expect_null(strstr(w.cmds, "'set-role' '1'"), "%s", w.cmds);
    cr_expect_not_null(strstr(res.details, "(was author,subscriber)"), "%s", res.details);
    result_free(&res);
}

Test(wpt_users, an_unknown_login_is_not_found)
{
    struct jiku_login_params lp = {.op = JIKU_LOGIN_PASSWD, .name = "ghost"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(&lp, false, &res, &err), JIKU_E_NOTFOUND);
    cr_expect_not_null(strstr(err.msg, "'ghost'"), "%s", err.msg);
    expect_no_change();
}

Test(wpt_users, the_only_administrator_keeps_the_role_and_stays)
{
    struct jiku_login_params role = {.op = JIKU_LOGIN_ROLE, .name = "admin", .role = "editor"};
    struct jiku_login_params rm = {.op = JIKU_LOGIN_REMOVE, .name = "admin", .reassign = "ed"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(&role, false, &res, &err), JIKU_E_PANEL);
    cr_assert_eq(run(&rm, false, &res, &err), JIKU_E_PANEL);
    expect_no_change();
}

Test(wpt_users, remove_reassigns_to_the_ID_of_the_login)
{
    struct jiku_login_params lp = {.op = JIKU_LOGIN_REMOVE, .name = "ed", .reassign = "1"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(&lp, false, &res, &err), 0, "%s", err.msg);
    expect_cmd("'user' 'delete' '2' '--yes' '--reassign=5'");
    cr_expect_not_null(strstr(res.details, "removed ed (ID 2)"), "%s", res.details);
    result_free(&res);
}

/* Without --reassign WordPress deletes what the user wrote: never asked of it. */
Test(wpt_users, remove_without_reassign_refused)
{
    struct jiku_login_params lp = {.op = JIKU_LOGIN_REMOVE, .name = "ed"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(&lp, false, &res, &err), JIKU_E_USAGE);
    cr_expect_not_null(strstr(err.msg, "--reassign"), "%s", err.msg);
    expect_no_change();
}

Test(wpt_users, remove_refuses_reassigning_to_the_user_or_nobody)
{
    struct jiku_login_params self = {.op = JIKU_LOGIN_REMOVE, .name = "ed", .reassign = "ed"};
    struct jiku_login_params ghost = {.op = JIKU_LOGIN_REMOVE, .name = "ed", .reassign = "ghost"};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(&self, false, &res, &err), JIKU_E_USAGE);
    cr_assert_eq(run(&ghost, false, &res, &err), JIKU_E_NOTFOUND);
    expect_no_change();
}

Test(wpt_users, a_dry_run_changes_nothing)
{
    struct jiku_login_params ops[] = {
        {.op = JIKU_LOGIN_ADD, .name = "bob", .email = "b@x.example"},
        {.op = JIKU_LOGIN_PASSWD, .name = "ed"},
        {.op = JIKU_LOGIN_ROLE, .name = "ed", .role = "author"},
        {.op = JIKU_LOGIN_REMOVE, .name = "ed", .reassign = "admin"},
    };

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        struct jiku_op_result res = {0};
        struct jiku_err err = {0};

        world_reset();
        cr_assert_eq(run(&ops[i], true, &res, &err), 0, "%zu: %s", i, err.msg);
        expect_no_change();
        cr_assert_not_null(res.details);
        cr_expect_eq(strncmp(res.details, "would ", 6), 0, "%s", res.details);
        result_free(&res);
    }
}

/* ---- refused before anything runs ------------------------------------------------------------ */

static struct jiku_login_params hostile[] = {
    {.op = JIKU_LOGIN_PASSWD, .name = "-x"},
    {.op = JIKU_LOGIN_PASSWD, .name = "--path=/etc"},
    {.op = JIKU_LOGIN_PASSWD, .name = ".x"},
    {.op = JIKU_LOGIN_PASSWD, .name = "a b"},
    {.op = JIKU_LOGIN_PASSWD, .name = "a'b"},
    {.op = JIKU_LOGIN_PASSWD, .name = "a;b"},
    {.op = JIKU_LOGIN_PASSWD, .name = ""},
    {.op = JIKU_LOGIN_PASSWD, .name = NULL},
    {.op = JIKU_LOGIN_PASSWD,
     .name = "a123456789b123456789c123456789d123456789e123456789f123456789g"},
    {.op = JIKU_LOGIN_ADD, .name = "bob"},
    {.op = JIKU_LOGIN_ADD, .name = "bob", .email = "--role=administrator"},
    {.op = JIKU_LOGIN_ADD, .name = "bob", .email = "nobody"},
    {.op = JIKU_LOGIN_ADD, .name = "bob", .email = "b@x.example", .role = "--x"},
    {.op = JIKU_LOGIN_ADD, .name = "bob", .email = "b@x.example", .role = "a@b"},
    {.op = JIKU_LOGIN_ADD, .name = "bob", .email = "b@x.example", .password = "secret"},
    {.op = JIKU_LOGIN_ADD, .name = "bob", .email = "b@x.example", .group = "admin"},
    {.op = JIKU_LOGIN_ADD, .name = "bob", .email = "b@x.example", .disabled = true},
    {.op = JIKU_LOGIN_ROLE, .name = "ed"},
    {.op = JIKU_LOGIN_REMOVE, .name = "ed", .reassign = "-1"},
    {.op = JIKU_LOGIN_REMOVE, .name = "ed", .delete = true},
};

ParameterizedTestParameters(wpt_users, hostile_words_never_reach_the_server)
{
    return cr_make_param_array(struct jiku_login_params, hostile,
                               sizeof(hostile) / sizeof(hostile[0]));
}

ParameterizedTest(struct jiku_login_params *lp, wpt_users, hostile_words_never_reach_the_server)
{
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    world_reset();
    cr_assert_eq(run(lp, false, &res, &err), JIKU_E_USAGE, "'%s': %d %s",
                 lp->name != NULL ? lp->name : "(null)", err.status, err.msg);
    cr_assert_str_empty(w.cmds);
    if (lp->password != NULL)
        cr_assert_null(strstr(err.msg, lp->password));
}
