/*
 * Users of Nextcloud `softaculous` targets (plugins/cpanel/softusers.c) through a fake host
 * table: WHM and the Softaculous session answer as the documented samples do, and the panel
 * server runs `php occ user:*` (tests/fakes/wptoolkit/README.md, "Nextcloud users").  A password
 * must travel only as a command's input, never in the command.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpanel.h"
#include "fake_session.h"
#include "fixture.h"
#include "softaculous.h"

#define PASSWORD "Secret-Canary-0123456789"
#define LIST_OK                                                                                    \
    "{\"admin\":{\"user_id\":\"admin\",\"display_name\":\"admin\",\"email\":\"\",\"enabled\":"     \
    "true,\"groups\":[\"admin\"],\"user_directory\":\"\\/home\\/a\\/data\\/admin\"},"              \
    "\"bob\":{\"user_id\":\"bob\",\"display_name\":\"Bob\",\"email\":\"bob@example.com\","         \
    "\"enabled\":false,\"groups\":[\"editors\",\"admin\"]}}\n"

/* The fake panel server: what occ prints, and what it was asked. */
static struct {
    const char *script; /* the installation's script name */
    const char *out;    /* occ's stdout */
    int exit_status;
    int n_exec, n_input;
    char cmd[16384]; /* every command, one after the other */
    char input[256]; /* the last input that was not empty */
    size_t input_len;
} fx;

static struct jiku_op_result result;

static void
reset(void)
{
    memset(&fx, 0, sizeof(fx));
    fx.script = "Nextcloud";
    fx.out = "";
}

static int
fake_http(struct jiku_op *op, const struct jiku_server_info *server,
          const struct jiku_http_request *req, struct jiku_http_response *resp,
          struct jiku_err *err)
{
    const char *p = req->path;

    (void)op;
    (void)server;
    (void)err;
    if (fake_cpanel_session(p, resp))
        return 0;
    if (strstr(p, "act=installations") != NULL)
        jiku_buf_addf(&resp->body,
                      "{\"title\":\"Softaculous\",\"installations\":{\"483\":{\"483_10001\":{"
                      "\"insid\":\"483_10001\",\"sid\":\"483\",\"ver\":\"28.0.4\",\"softpath\":"
                      "\"/home/acmeshop/cloud.acme.example\",\"softurl\":\"https://cloud.acme."
                      "example\",\"softdomain\":\"cloud.acme.example\",\"script\":\"%s\"}}}}",
                      fx.script);
    else
        cr_assert_fail("unexpected request %s", p);
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
    fx.n_exec++;
    snprintf(fx.cmd + strlen(fx.cmd), sizeof(fx.cmd) - strlen(fx.cmd), "%s\n", cmd);
    cr_expect_null(strstr(cmd, PASSWORD), "the password in a command: %s", cmd);
    cr_expect_not_null(strstr(cmd, "as_owner"), "occ not run as the owner: %s", cmd);
    jiku_buf_init(&res->out); /* plug_run hands RES zeroed */
    jiku_buf_init(&res->errout);
    jiku_buf_adds(&res->out, fx.out);
    res->exit_status = fx.exit_status;
    return 0;
}

static int
fake_exec_input(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd,
                const void *input, size_t input_len, bool safe, size_t max_output,
                struct jiku_exec_result *res, struct jiku_err *err)
{
    fx.n_input++;
    cr_expect_not(safe, "a change or a secret marked safe to repeat");
    cr_assert_lt(input_len, sizeof(fx.input));
    if (input_len > 0) {
        memcpy(fx.input, input, input_len);
        fx.input_len = input_len;
    }
    fx.n_exec--; /* counted once, as an input command */
    return fake_exec(op, server, cmd, safe, max_output, res, err);
}

static struct jiku_host host = {
    .abi_version = JIKU_HOST_ABI_VERSION,
    .struct_size = sizeof(struct jiku_host),
    .http = fake_http,
    .ssh_exec = fake_exec,
    .read_secret = fixture_secret,
    .log = fixture_log,
    .ssh_exec_input = fake_exec_input,
};
static const struct jiku_server_info server = {
    .name = "web1", .panel = "cpanel", .api_user = "root", .snapshot_dir = "/snap"};
static const struct jiku_target_info target = {.id = "acme/cloud",
                                               .customer = "acme",
                                               .name = "cloud",
                                               .kind = JIKU_KIND_SOFTACULOUS,
                                               .account = "acmeshop",
                                               .domain = "cloud.acme.example",
                                               .path = "/"};

static void
clear_result(void)
{
    for (size_t i = 0; i < result.n_logins; i++) {
        free(result.logins[i].name);
        free(result.logins[i].email);
        free(result.logins[i].roles);
    }
    free(result.logins);
    free(result.details);
    memset(&result, 0, sizeof(result));
}

/* One call of the users action with P; its status, ERR filled, the result in `result`. */
static int
users(const struct jiku_login_params *p, bool dry_run, struct jiku_err *err)
{
    const struct jiku_op_params params = {.operation_id = "op1", .login = p, .dry_run = dry_run};
    struct jiku_op op = {
        .host = &host, .server = &server, .target = &target, .params = &params, .result = &result};

    clear_result();
    memset(err, 0, sizeof(*err));
    return cpanel_soft_users(&op, err);
}

static void
teardown(void)
{
    clear_result();
}

TestSuite(soft_users, .init = reset, .fini = teardown);

/* ---- LIST ------------------------------------------------------------------------------ */

Test(soft_users, list_reads_user_list_info_json)
{
    const struct jiku_login_params p = {.op = JIKU_LOGIN_LIST};
    struct jiku_err err;

    fx.out = LIST_OK;
    cr_assert_eq(users(&p, false, &err), 0, "%s", err.msg);
    cr_expect_not_null(strstr(fx.cmd, "php occ user:list --info --limit=1000 --output=json"), "%s",
                       fx.cmd);
    cr_assert_eq(result.n_logins, 2);
    cr_expect_str_eq(result.logins[0].name, "admin");
    cr_expect_null(result.logins[0].email);
    cr_expect_str_eq(result.logins[0].roles, "admin");
    cr_expect_not(result.logins[0].disabled);
    cr_expect_str_eq(result.logins[1].name, "bob");
    cr_expect_str_eq(result.logins[1].email, "bob@example.com");
    cr_expect_str_eq(result.logins[1].roles, "editors,admin");
    cr_expect(result.logins[1].disabled);
}

Test(soft_users, parse_accepts_php_empty_and_list_forms)
{
    struct jiku_login_item *items = NULL;
    struct jiku_err err = {0};
    size_t n = 9;

    cr_assert_eq(cpanel_soft_parse_users("[]\n", &items, &n, &err), 0, "%s", err.msg);
    cr_expect_eq(n, 0);
    cr_expect_null(items);
    cr_assert_eq(cpanel_soft_parse_users("[{\"user_id\":\"0\",\"enabled\":true,\"groups\":[]}]",
                                         &items, &n, &err),
                 0, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(items[0].name, "0");
    cr_expect_null(items[0].roles);
    free(items[0].name);
    free(items);
}

Test(soft_users, parse_refuses_garbage)
{
    static const char *const bad[] = {
        "",
        "Nextcloud is not installed\n",
        "{\"admin\":\"admin\"}",                                         /* no --info */
        "{\"a\":{\"user_id\":\"a\",\"groups\":[]}}",                     /* no enabled */
        "{\"a\":{\"user_id\":\"b\",\"enabled\":true,\"groups\":[]}}",    /* key not its id */
        "{\"a\":{\"user_id\":\"a\",\"enabled\":true,\"groups\":\"x\"}}", /* groups no array */
        "{\"a\":{\"user_id\":\"-a\",\"enabled\":true,\"groups\":[]}}",   /* option-like */
        "{\"a\":{\"user_id\":\"a\",\"enabled\":true,\"groups\":[1]}}",
        "{\"a\":{\"user_id\":\"a\",\"enabled\":true,\"groups\":[],\"email\":3}}",
        "{\"a\":{\"user_id\":\"a\",\"enabled\":true,\"groups\":[]}} trailing",
    };
    struct jiku_login_item *items = NULL;
    struct jiku_err err;
    size_t n;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        cr_expect_eq(cpanel_soft_parse_users(bad[i], &items, &n, &err), JIKU_E_DATA, "%s", bad[i]);
        cr_expect_null(items);
        cr_expect_eq(n, 0);
    }
}

Test(soft_users, parse_refuses_a_list_at_its_limit)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    struct jiku_login_item *items = NULL;
    struct jiku_err err = {0};
    size_t n;

    jiku_buf_addch(&b, '{');
    for (int i = 0; i < 1000; i++)
        jiku_buf_addf(&b, "%s\"u%d\":{\"user_id\":\"u%d\",\"enabled\":true,\"groups\":[]}",
                      i > 0 ? "," : "", i, i);
    jiku_buf_addch(&b, '}');
    cr_expect_eq(cpanel_soft_parse_users(b.data, &items, &n, &err), JIKU_E_DATA);
    cr_expect_not_null(strstr(err.msg, "partial"), "%s", err.msg);
    jiku_buf_release(&b);
}

/* ---- changes --------------------------------------------------------------------------- */

Test(soft_users, add_sends_the_password_only_on_stdin)
{
    const struct jiku_login_params p = {.op = JIKU_LOGIN_ADD,
                                        .name = "carol",
                                        .password = PASSWORD,
                                        .group = "editors",
                                        .email = "carol@example.com"};
    struct jiku_err err;

    cr_assert_eq(users(&p, false, &err), 0, "%s", err.msg);
    /* the password's command, then the address's: each sent once */
    cr_expect_eq(fx.n_input, 2);
    cr_expect_eq(fx.n_exec, 0);
    cr_expect(result.changed);
    cr_expect_eq(fx.input_len, strlen(PASSWORD) + 1);
    cr_expect_eq(memcmp(fx.input, PASSWORD "\n", fx.input_len), 0);
    cr_expect_not_null(strstr(fx.cmd, "IFS= read -r OC_PASS"), "%s", fx.cmd);
    cr_expect_not_null(strstr(fx.cmd, "user:add --password-from-env"), "%s", fx.cmd);
    cr_expect_not_null(strstr(fx.cmd, "'carol' 'editors'\n"), "%s", fx.cmd);
    cr_expect_not_null(strstr(fx.cmd, "settings email \"$3\""), "%s", fx.cmd);
    cr_expect_not_null(strstr(fx.cmd, "'carol' 'carol@example.com' '0'\n"), "%s", fx.cmd);
    cr_expect_str_eq(result.details,
                     "created Nextcloud user 'carol' in group editors, address carol@example.com");
}

Test(soft_users, add_disabled_gets_an_unknown_random_password)
{
    const struct jiku_login_params p = {.op = JIKU_LOGIN_ADD, .name = "dave", .disabled = true};
    struct jiku_err err;

    cr_assert_eq(users(&p, false, &err), 0, "%s", err.msg);
    cr_expect_eq(fx.input_len, 49);
    cr_expect_eq(strspn(fx.input, "0123456789abcdef"), 48);
    cr_expect_not_null(strstr(fx.cmd, "'dave' ''\n"), "%s", fx.cmd);
    cr_expect_not_null(strstr(fx.cmd, "'dave' '' '1'\n"), "%s", fx.cmd);
    cr_expect_not_null(strstr(fx.cmd, "exec php occ user:disable"), "%s", fx.cmd);
}

Test(soft_users, add_refused_by_occ_is_a_panel_error)
{
    const struct jiku_login_params p = {.op = JIKU_LOGIN_ADD, .name = "bob", .password = PASSWORD};
    struct jiku_err err;

    fx.out = "The user \"bob\" already exists.\n";
    fx.exit_status = 1;
    cr_assert_eq(users(&p, false, &err), JIKU_E_PANEL);
    cr_expect_not(result.changed, "a refused add holds no password: its file would be kept");
    cr_expect_eq(fx.n_input, 1, "the steps after a refused add ran");
    cr_expect_not_null(strstr(err.msg, "The user \"bob\" already exists."), "%s", err.msg);
    cr_expect_null(strstr(err.msg, PASSWORD));
}

Test(soft_users, passwd_resets_then_enables)
{
    const struct jiku_login_params p = {
        .op = JIKU_LOGIN_PASSWD, .name = "bob", .password = PASSWORD};
    struct jiku_err err;

    cr_assert_eq(users(&p, false, &err), 0, "%s", err.msg);
    cr_expect_eq(fx.n_input, 2);
    cr_expect(result.changed, "a password sent is not marked as a change: it could be lost");
    cr_expect_not_null(strstr(fx.cmd, "user:resetpassword --password-from-env -- \"$2\""), "%s",
                       fx.cmd);
    cr_expect_not_null(strstr(fx.cmd, "exec php occ user:enable"), "%s", fx.cmd);
}

Test(soft_users, role_adds_to_a_group)
{
    const struct jiku_login_params p = {.op = JIKU_LOGIN_ROLE, .name = "bob", .group = "sales"};
    struct jiku_err err;

    cr_assert_eq(users(&p, false, &err), 0, "%s", err.msg);
    /* a change goes once: through the input path (never repeated), with nothing to read */
    cr_expect_eq(fx.n_input, 1);
    cr_expect_eq(fx.input_len, 0);
    cr_expect_not_null(strstr(fx.cmd, "group:adduser -- \"$3\" \"$2\""), "%s", fx.cmd);
    cr_expect_not_null(strstr(fx.cmd, "'bob' 'sales'"), "%s", fx.cmd);
}

Test(soft_users, remove_disables_or_deletes)
{
    struct jiku_login_params p = {.op = JIKU_LOGIN_REMOVE, .name = "bob"};
    struct jiku_err err;

    cr_assert_eq(users(&p, false, &err), 0, "%s", err.msg);
    cr_expect_not_null(strstr(fx.cmd, "user:disable"), "%s", fx.cmd);
    cr_expect_eq(fx.n_input, 1, "a removal may be repeated");
    cr_expect_str_eq(result.details, "disabled Nextcloud user 'bob'");
    p.delete = true;
    cr_assert_eq(users(&p, false, &err), 0, "%s", err.msg);
    cr_expect_not_null(strstr(fx.cmd, "user:delete"), "%s", fx.cmd);
    /* Delete.php exits 0 for a missing user. */
    fx.out = "User does not exist\n";
    cr_expect_eq(users(&p, false, &err), JIKU_E_PANEL);
}

Test(soft_users, dry_run_sends_nothing)
{
    const struct jiku_login_params p = {.op = JIKU_LOGIN_ADD, .name = "eve", .password = PASSWORD};
    struct jiku_err err;

    cr_assert_eq(users(&p, true, &err), 0, "%s", err.msg);
    cr_expect_eq(fx.n_exec + fx.n_input, 0);
    cr_expect_str_eq(result.details, "would create Nextcloud user 'eve' of installation "
                                     "'acme/cloud'");
}

Test(soft_users, refusals_before_the_server)
{
    const struct jiku_login_params bad[] = {
        {.op = JIKU_LOGIN_ADD, .name = "-x", .password = PASSWORD},
        {.op = JIKU_LOGIN_ADD, .name = "x", .password = "two\nlines"},
        {.op = JIKU_LOGIN_ADD, .name = "x"},
        {.op = JIKU_LOGIN_ROLE, .name = "x"},
        {.op = JIKU_LOGIN_ROLE, .name = "x", .role = "editor"},
        {.op = JIKU_LOGIN_REMOVE, .name = "x", .reassign = "admin"},
        {.op = JIKU_LOGIN_ROLE, .name = "x", .group = "--all"},
    };
    struct jiku_err err;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_neq(users(&bad[i], false, &err), 0, "request %zu", i);
        cr_expect_eq(fx.n_exec + fx.n_input, 0, "request %zu", i);
    }
}

Test(soft_users, not_nextcloud_is_unsupported)
{
    const struct jiku_login_params p = {.op = JIKU_LOGIN_LIST};
    struct jiku_err err;

    fx.script = "WordPress";
    fx.out = LIST_OK;
    cr_expect_eq(users(&p, false, &err), JIKU_E_UNSUPPORTED);
    cr_expect_eq(fx.n_exec, 0);
}

Test(soft_users, an_older_core_without_stdin_is_refused)
{
    const struct jiku_login_params p = {.op = JIKU_LOGIN_ADD, .name = "x", .password = PASSWORD};
    struct jiku_err err;

    host.abi_version = (JIKU_HOST_ABI_MAJOR << 16) | 0;
    cr_expect_eq(users(&p, false, &err), JIKU_E_ABI);
    host.abi_version = JIKU_HOST_ABI_VERSION;
    cr_expect_eq(fx.n_exec + fx.n_input, 0);
}
