/*
 * MAIL on cPanel accounts (plugins/cpanel/mail.c) through a fake host table: the requests
 * (uapi_cpanel POSTs, every parameter in the body, the password never in the URL) and the
 * parsing of the answers, documented, refused, garbage and truncated (docs/WIRE.md §2.9).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpanel.h"
#include "fixture.h"

#define PASSWORD "c4n4ry-Pa55&w=rd+%"
#define PASSWORD_FORM "c4n4ry-Pa55%26w%3Drd%2B%25"

static struct {
    const char *answer; /* the body WHM answers */
    int fails;          /* what http() returns instead */
    int n_requests;
    bool safe;
    char method[8], path[256], content_type[64], body[1024];
} fx;

static struct jiku_op_result result;

static int
fake_http(struct jiku_op *op, const struct jiku_server_info *server,
          const struct jiku_http_request *req, struct jiku_http_response *resp,
          struct jiku_err *err)
{
    (void)op;
    (void)server;
    memset(resp, 0, sizeof(*resp));
    fx.n_requests++;
    fx.safe = req->safe_to_retry;
    snprintf(fx.method, sizeof(fx.method), "%s", req->method);
    snprintf(fx.path, sizeof(fx.path), "%s", req->path);
    snprintf(fx.content_type, sizeof(fx.content_type), "%s",
             req->content_type != NULL ? req->content_type : "");
    snprintf(fx.body, sizeof(fx.body), "%.*s", (int)req->body_len, (const char *)req->body);
    if (fx.fails != 0)
        return jiku_err_set(err, fx.fails, "connection reset by peer");
    resp->status = 200;
    jiku_buf_adds(&resp->body, fx.answer);
    return 0;
}

/* The fixture's host table (its log kept in host_log, its API token), with the fake WHM. */
static struct jiku_host host;

static const struct jiku_server_info server = {.name = "web1", .panel = "cpanel"};
static const struct jiku_target_info target = {.id = "acme/shop",
                                               .customer = "acme",
                                               .name = "shop",
                                               .kind = JIKU_KIND_ACCOUNT,
                                               .account = "acmeshop",
                                               .domain = "shop.acme.example"};

#define UAPI_OK(data)                                                                              \
    "{\"data\":{\"uapi\":{\"status\":1,\"errors\":null,\"messages\":null,\"warnings\":null,"       \
    "\"metadata\":{},\"data\":" data "}},\"metadata\":{\"command\":\"uapi_cpanel\",\"reason\":"    \
    "\"OK\",\"result\":1,\"version\":1}}"
#define UAPI_FAILED(error)                                                                         \
    "{\"data\":{\"uapi\":{\"status\":0,\"errors\":[\"" error "\"],\"messages\":null,"              \
    "\"warnings\":null,\"metadata\":{},\"data\":null}},\"metadata\":{\"command\":"                 \
    "\"uapi_cpanel\",\"reason\":\"OK\",\"result\":1,\"version\":1}}"

static void
clear_result(void)
{
    plug_login_items_free(result.logins, result.n_logins);
    free(result.details);
    memset(&result, 0, sizeof(result));
}

static int
mail(struct jiku_login_params login, bool dry_run, struct jiku_err *err)
{
    const struct jiku_op_params params = {.dry_run = dry_run, .login = &login};
    struct jiku_op op = {
        .host = &host, .server = &server, .target = &target, .params = &params, .result = &result};

    clear_result();
    return cpanel_mail(&op, err);
}

static void
setup(void)
{
    memset(&fx, 0, sizeof(fx));
    host = fake_host;
    host.http = fake_http;
}

static void
teardown(void)
{
    clear_result();
}

TestSuite(cpanel_mail, .init = setup, .fini = teardown);

/* The password reached nothing but the request body. */
static void
assert_password_only_in_body(const struct jiku_err *err)
{
    cr_assert_null(strstr(fx.path, "Pa55"), "password in the URL: %s", fx.path);
    cr_assert_null(strstr(host_log, "Pa55"), "password in the log: %s", host_log);
    cr_assert_null(strstr(err->msg, "Pa55"), "password in the error: %s", err->msg);
    cr_assert(result.details == NULL || strstr(result.details, "Pa55") == NULL,
              "password in the details: %s", result.details);
}

Test(cpanel_mail, list_posts_every_parameter_and_parses_quota_usage_and_suspension)
{
    struct jiku_err err = {0};

    fx.answer = UAPI_OK(
        "[{\"email\":\"acmeshop\",\"login\":\"Main Account\",\"diskquota\":\"unlimited\"},"
        "{\"email\":\"info@shop.acme.example\",\"domain\":\"shop.acme.example\",\"user\":"
        "\"info\",\"diskquota\":\"unlimited\",\"_diskquota\":0,\"diskused\":\"0.01\","
        "\"_diskused\":\"7757\",\"suspended_login\":0,\"suspended_incoming\":0},"
        "{\"email\":\"sales@shop.acme.example\",\"diskquota\":\"512.00\",\"diskused\":387.4,"
        "\"suspended_login\":1},"
        "{\"email\":\"old@shop.acme.example\",\"diskquota\":0}]");
    cr_assert_eq(mail((struct jiku_login_params){.op = JIKU_LOGIN_LIST}, false, &err), 0, "%s",
                 err.msg);
    cr_assert_str_eq(fx.method, "POST");
    cr_assert_str_eq(fx.path, "/json-api/uapi_cpanel");
    cr_assert_str_eq(fx.content_type, "application/x-www-form-urlencoded");
    cr_assert_str_eq(fx.body, "api.version=1&cpanel.user=acmeshop&cpanel.module=Email&"
                              "cpanel.function=list_pops_with_disk");
    cr_assert(fx.safe, "a list may be repeated");
    cr_assert_eq(result.n_logins, 3);
    cr_assert_str_eq(result.logins[0].name, "info@shop.acme.example");
    cr_assert_eq(result.logins[0].quota_mib, JIKU_QUOTA_UNLIMITED);
    cr_assert(result.logins[0].has_used);
    cr_assert_float_eq(result.logins[0].used_mib, 0.01, 1e-9);
    cr_assert_not(result.logins[0].disabled);
    cr_assert_eq(result.logins[1].quota_mib, 512);
    cr_assert_float_eq(result.logins[1].used_mib, 387.4, 1e-9);
    cr_assert(result.logins[1].disabled);
    cr_assert_eq(result.logins[2].quota_mib, JIKU_QUOTA_UNLIMITED);
    cr_assert_not(result.logins[2].has_used);
}

Test(cpanel_mail, add_sends_the_password_in_the_body_only)
{
    struct jiku_err err = {0};

    fx.answer = UAPI_OK("\"sales+shop.acme.example\"");
    cr_assert_eq(mail((struct jiku_login_params){.op = JIKU_LOGIN_ADD,
                                                 .name = "sales@shop.acme.example",
                                                 .password = PASSWORD,
                                                 .quota_mib = 512},
                      false, &err),
                 0, "%s", err.msg);
    cr_assert_str_eq(fx.path, "/json-api/uapi_cpanel");
    cr_assert_str_eq(fx.body, "api.version=1&cpanel.user=acmeshop&cpanel.module=Email&"
                              "cpanel.function=add_pop&email=sales&domain=shop.acme.example&"
                              "password=" PASSWORD_FORM "&quota=512");
    cr_assert_not(fx.safe, "a creation is never repeated blindly");
    cr_assert_str_eq(result.details, "created sales@shop.acme.example, quota 512 MiB");
    assert_password_only_in_body(&err);
}

Test(cpanel_mail, add_quota_unlimited_is_zero_and_default_is_omitted)
{
    struct jiku_err err = {0};
    struct jiku_login_params p = {.op = JIKU_LOGIN_ADD,
                                  .name = "a@shop.acme.example",
                                  .password = PASSWORD,
                                  .quota_mib = JIKU_QUOTA_UNLIMITED};

    fx.answer = UAPI_OK("\"a+shop.acme.example\"");
    cr_assert_eq(mail(p, false, &err), 0, "%s", err.msg);
    cr_assert_not_null(strstr(fx.body, "&quota=0"), "%s", fx.body);
    cr_assert_str_eq(result.details, "created a@shop.acme.example, quota unlimited");
    p.quota_mib = 0;
    cr_assert_eq(mail(p, false, &err), 0, "%s", err.msg);
    cr_assert_null(strstr(fx.body, "quota"), "%s", fx.body);
}

Test(cpanel_mail, passwd_and_remove)
{
    struct jiku_err err = {0};

    fx.answer = UAPI_OK("null");
    cr_assert_eq(mail((struct jiku_login_params){.op = JIKU_LOGIN_PASSWD,
                                                 .name = "info@shop.acme.example",
                                                 .password = PASSWORD},
                      false, &err),
                 0, "%s", err.msg);
    cr_assert_str_eq(fx.body, "api.version=1&cpanel.user=acmeshop&cpanel.module=Email&"
                              "cpanel.function=passwd_pop&email=info&domain=shop.acme.example&"
                              "password=" PASSWORD_FORM);
    cr_assert_str_eq(result.details, "changed the password of info@shop.acme.example");
    assert_password_only_in_body(&err);
    cr_assert_eq(
        mail((struct jiku_login_params){.op = JIKU_LOGIN_REMOVE, .name = "info@shop.acme.example"},
             false, &err),
        0, "%s", err.msg);
    cr_assert_str_eq(fx.body, "api.version=1&cpanel.user=acmeshop&cpanel.module=Email&"
                              "cpanel.function=delete_pop&email=info&domain=shop.acme.example");
    cr_assert_str_eq(result.details, "removed info@shop.acme.example");
}

Test(cpanel_mail, role_dry_run_and_bad_addresses_send_nothing)
{
    struct jiku_err err = {0};
    static const char *const bad[] = {"nodomain", "@shop.acme.example",   "a@",
                                      "a@b@c",    "-a@shop.acme.example", "a b@shop.acme.example"};

    cr_assert_eq(
        mail((struct jiku_login_params){.op = JIKU_LOGIN_ROLE, .name = "info@shop.acme.example"},
             false, &err),
        JIKU_E_UNSUPPORTED);
    cr_assert_eq(mail((struct jiku_login_params){.op = JIKU_LOGIN_ADD,
                                                 .name = "info@shop.acme.example",
                                                 .password = PASSWORD},
                      true, &err),
                 0, "%s", err.msg);
    cr_assert_str_eq(result.details,
                     "would create info@shop.acme.example, the account's default quota");
    cr_assert_eq(
        mail((struct jiku_login_params){.op = JIKU_LOGIN_PASSWD, .name = "info@shop.acme.example"},
             false, &err),
        JIKU_E_INVAL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(
            mail((struct jiku_login_params){.op = JIKU_LOGIN_REMOVE, .name = bad[i]}, false, &err),
            JIKU_E_INVAL, "%s", bad[i]);
    cr_assert_eq(fx.n_requests, 0);
}

Test(cpanel_mail, a_refusal_is_a_panel_error_with_its_message)
{
    struct jiku_err err = {0};

    fx.answer = UAPI_FAILED("The account sales@shop.acme.example already exists!");
    cr_assert_eq(mail((struct jiku_login_params){.op = JIKU_LOGIN_ADD,
                                                 .name = "sales@shop.acme.example",
                                                 .password = PASSWORD},
                      false, &err),
                 JIKU_E_PANEL);
    cr_assert_not_null(strstr(err.msg, "already exists"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "Email::add_pop"), "%s", err.msg);
    cr_assert_null(result.details);
    assert_password_only_in_body(&err);
}

Test(cpanel_mail, a_lost_answer_to_a_change_is_unreachable)
{
    struct jiku_err err = {0};

    fx.fails = JIKU_E_TRANSIENT;
    cr_assert_eq(
        mail((struct jiku_login_params){.op = JIKU_LOGIN_REMOVE, .name = "info@shop.acme.example"},
             false, &err),
        JIKU_E_UNREACHABLE);
    cr_assert_not_null(strstr(err.msg, "mail list"), "%s", err.msg);
}

Test(cpanel_mail, garbage_and_truncated_answers_are_bad_data)
{
    static const char *const answers[] = {
        "\x1f<html><body>502 Bad Gateway\xff</body>",
        "{\"data\":{\"uapi\":{\"status\":1,\"data\":[{\"email\":\"info@shop",
        UAPI_OK("{\"email\":\"info@shop.acme.example\"}"),
        UAPI_OK("[{\"login\":\"info@shop.acme.example\"}]"),
        UAPI_OK("[\"info@shop.acme.example\"]"),
        UAPI_OK("[{\"email\":\"in fo@shop.acme.example\"}]"),
        UAPI_OK("[{\"email\":\"info@shop.acme.example\",\"diskquota\":\"lots\"}]"),
        UAPI_OK("[{\"email\":\"info@shop.acme.example\",\"diskused\":-3}]"),
        UAPI_OK("[{\"email\":\"info@shop.acme.example\",\"suspended_login\":[]}]"),
        "{\"data\":{\"uapi\":{\"status\":\"maybe\"}},\"metadata\":{\"result\":1}}",
        "{\"data\":{},\"metadata\":{\"result\":1}}",
    };
    struct jiku_err err = {0};

    for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
        fx.answer = answers[i];
        cr_assert_eq(mail((struct jiku_login_params){.op = JIKU_LOGIN_LIST}, false, &err),
                     JIKU_E_DATA, "answer %zu: %s", i, err.msg);
        cr_assert_eq(result.n_logins, 0);
        cr_assert_null(result.logins);
    }
}
