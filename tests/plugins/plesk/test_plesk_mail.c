/*
 * The Plesk plugin's MAIL verb (plugins/plesk/mail.c) through a scripted XML API: the packets
 * of docs/WIRE.md §3.7 (the password only in the body, escaped, never in an error or the
 * details), answers parsed into logins, and refusals, garbage and truncated answers.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "plesk.h"

#define PASSWORD "Pw<&>0123456789abcdef"
#define PASSWORD_XML "Pw&lt;&amp;&gt;0123456789abcdef"

struct script {
    const char *when; /* a substring of the request body */
    const char *answer;
};

static const struct script *script;
static char bodies[8][2048];
static bool safe[8];
static int calls;

static int
script_http(struct jiku_op *op, const struct jiku_server_info *server,
            const struct jiku_http_request *req, struct jiku_http_response *resp,
            struct jiku_err *err)
{
    char *body = bodies[calls % 8];

    (void)op;
    (void)server;
    (void)err;
    snprintf(body, sizeof(bodies[0]), "%.*s", (int)req->body_len, (const char *)req->body);
    safe[calls % 8] = req->safe_to_retry;
    cr_assert(strstr(req->path, "agent.php") != NULL && strchr(req->path, '?') == NULL);
    calls++;
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    for (const struct script *s = script; s->when != NULL; s++) {
        if (strstr(body, s->when) != NULL) {
            jiku_buf_adds(&resp->body, s->answer);
            return 0;
        }
    }
    cr_assert_fail("unexpected request %s", body);
    return 0;
}

static const struct jiku_host script_host = {
    .abi_version = JIKU_HOST_ABI_VERSION,
    .struct_size = sizeof(struct jiku_host),
    .http = script_http,
    .read_secret = fixture_secret,
};

static struct jiku_op_result result;

static void
result_release(void)
{
    for (size_t i = 0; i < result.n_logins; i++)
        free(result.logins[i].name);
    free(result.logins);
    free(result.details);
    memset(&result, 0, sizeof(result));
}

static int
run(const struct script *s, enum jiku_login_op what, const char *name, long quota, bool dry,
    struct jiku_err *err)
{
    static struct jiku_server_info srv = {.name = "p1", .api_port = 8443};
    static struct jiku_target_info target = {
        .id = "acme/shop", .kind = JIKU_KIND_SUBSCRIPTION, .account = "shop.example"};
    struct jiku_login_params lp = {
        .op = what, .name = name, .password = PASSWORD, .quota_mib = quota};
    struct jiku_op_params params = {.dry_run = dry, .login = &lp};
    struct jiku_op op = {
        .host = &script_host, .server = &srv, .target = &target, .params = &params};

    result_release();
    op.result = &result;
    script = s;
    calls = 0;
    memset(bodies, 0, sizeof(bodies));
    return plesk_mail(&op, err);
}

#define WEBSPACE                                                                                   \
    {                                                                                              \
        "<webspace>", "<packet><webspace><get><result><status>ok</status><filter-id>shop.example"  \
                      "</filter-id><id>2</id><data><gen_info><name>shop.example</name></gen_info>" \
                      "</data></result></get></webspace></packet>"                                 \
    }
#define SITES                                                                                      \
    {                                                                                              \
        "<parent-id>2</parent-id>", "<packet><site><get><result><status>ok</status><filter-id>2</" \
                                    "filter-id><id>7</id><data>"                                   \
                                    "<gen_info><name>blog.example</name><webspace-id>2</"          \
                                    "webspace-id></gen_info></data></result>"                      \
                                    "</get></site></packet>"                                       \
    }
#define NO_SITES                                                                                   \
    {                                                                                              \
        "<parent-id>2</parent-id>", "<packet><site><get/></site></packet>"                         \
    }

/* ---- LIST -------------------------------------------------------------------------------- */

/* The documented get_info sample's shape (docs/WIRE.md §3.7), for site 2; none on site 7. */
static const struct script listing[] = {
    WEBSPACE,
    SITES,
    {"<site-id>2</site-id>",
     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<packet version=\"1.6.9.1\"><mail><get_info>"
     "<result><status>ok</status><mailname><id>1</id><name>info</name><mailbox><enabled>true"
     "</enabled><quota>-1</quota></mailbox><password/><antivir>off</antivir></mailname></result>"
     "<result><status>ok</status><mailname><id>2</id><name>sales.team</name><mailbox><enabled>"
     "false</enabled><quota>536870912</quota></mailbox><password/></mailname></result>"
     "<result><status>ok</status><mailname><id>3</id><name>odd</name><mailbox><enabled>true"
     "</enabled><quota>1024000</quota></mailbox></mailname></result>"
     "</get_info></mail></packet>"},
    {"<site-id>7</site-id>", "<packet><mail><get_info/></mail></packet>"},
    {NULL, NULL},
};

Test(plesk_mail, list_reads_every_domain_of_the_subscription)
{
    struct jiku_err err = {0};

    cr_assert_eq(run(listing, JIKU_LOGIN_LIST, NULL, 0, false, &err), 0, "%s", err.msg);
    cr_assert_eq(calls, 4);
    cr_assert(strstr(bodies[2], "<mail><get_info><filter><site-id>2</site-id></filter><mailbox/>"
                                "</get_info></mail>") != NULL,
              "%s", bodies[2]);
    cr_assert(safe[2]);
    cr_assert(strstr(bodies[3], "<site-id>7</site-id>") != NULL);
    cr_assert_eq(result.n_logins, 3);
    cr_assert_str_eq(result.logins[0].name, "info@shop.example");
    cr_assert_eq(result.logins[0].quota_mib, JIKU_QUOTA_UNLIMITED);
    cr_assert_not(result.logins[0].disabled);
    cr_assert_str_eq(result.logins[1].name, "sales.team@shop.example");
    cr_assert_eq(result.logins[1].quota_mib, 512);
    cr_assert(result.logins[1].disabled);
    /* 1024000 bytes, the doc's own example, is not a whole MiB: rounded up */
    cr_assert_eq(result.logins[2].quota_mib, 1);
    cr_assert_not(result.logins[2].has_used);
    result_release();
}

Test(plesk_mail, list_refuses_what_does_not_add_up)
{
    static const struct script bad_name[] = {
        WEBSPACE,
        NO_SITES,
        {"<site-id>2</site-id>", "<packet><mail><get_info><result><status>ok</status><mailname>"
                                 "<name>../x</name><mailbox><quota>-1</quota></mailbox>"
                                 "</mailname></result></get_info></mail></packet>"},
        {NULL, NULL},
    };
    static const struct script bad_quota[] = {
        WEBSPACE,
        NO_SITES,
        {"<site-id>2</site-id>", "<packet><mail><get_info><result><status>ok</status><mailname>"
                                 "<name>a</name><mailbox><quota>lots</quota></mailbox>"
                                 "</mailname></result></get_info></mail></packet>"},
        {NULL, NULL},
    };
    static const struct script no_mailname[] = {
        WEBSPACE,
        NO_SITES,
        {"<site-id>2</site-id>", "<packet><mail><get_info><result><status>ok</status></result>"
                                 "</get_info></mail></packet>"},
        {NULL, NULL},
    };
    static const struct script garbage[] = {
        WEBSPACE,
        NO_SITES,
        {"<site-id>2</site-id>", "\x01\xff<html>502 Bad Gateway"},
        {NULL, NULL},
    };
    static const struct script truncated[] = {
        WEBSPACE,
        NO_SITES,
        {"<site-id>2</site-id>", "<packet><mail><get_info><result><status>ok</status><mailname>"
                                 "<name>a</name>"},
        {NULL, NULL},
    };
    static const struct script bad_site[] = {
        WEBSPACE,
        {"<parent-id>2</parent-id>", "<packet><site><get><result><status>ok</status><id>7</id>"
                                     "<data><gen_info><name>x;rm -rf</name></gen_info></data>"
                                     "</result></get></site></packet>"},
        {NULL, NULL},
    };
    const struct script *all[] = {bad_name, bad_quota, no_mailname, garbage, truncated, bad_site};
    struct jiku_err err = {0};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        cr_assert_eq(run(all[i], JIKU_LOGIN_LIST, NULL, 0, false, &err), JIKU_E_DATA,
                     "case %zu: %s", i, err.msg);
    result_release();
}

Test(plesk_mail, list_of_a_missing_subscription_is_66)
{
    static const struct script none[] = {
        {"<webspace>", "<packet><webspace><get/></webspace></packet>"},
        {NULL, NULL},
    };
    struct jiku_err err = {0};

    cr_assert_eq(run(none, JIKU_LOGIN_LIST, NULL, 0, false, &err), JIKU_E_NOTFOUND);
    cr_assert_eq(calls, 1);
}

/* ---- changes ----------------------------------------------------------------------------- */

static const struct script created[] = {
    WEBSPACE,
    SITES,
    {"<create>", "<packet><mail><create><result><status>ok</status><mailname><id>9</id><name>"
                 "info</name></mailname></result></create></mail></packet>"},
    {NULL, NULL},
};

Test(plesk_mail, add_sends_the_password_in_the_body_only)
{
    struct jiku_err err = {0};

    cr_assert_eq(run(created, JIKU_LOGIN_ADD, "info@blog.example", 512, false, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(calls, 3);
    cr_assert(strstr(bodies[2], "<mail><create><filter><site-id>7</site-id><mailname><name>info"
                                "</name><mailbox><enabled>true</enabled><quota>536870912</quota>"
                                "</mailbox><password><value>" PASSWORD_XML "</value><type>plain"
                                "</type></password></mailname></filter></create></mail>") != NULL,
              "%s", bodies[2]);
    cr_assert_not(safe[2], "a create is sent once");
    cr_assert_str_eq(result.details, "created info@blog.example, quota 512 MiB");
}

Test(plesk_mail, add_quota_unlimited_and_default)
{
    struct jiku_err err = {0};

    cr_assert_eq(
        run(created, JIKU_LOGIN_ADD, "info@shop.example", JIKU_QUOTA_UNLIMITED, false, &err), 0,
        "%s", err.msg);
    cr_assert(strstr(bodies[2], "<site-id>2</site-id>") != NULL, "%s", bodies[2]);
    cr_assert(strstr(bodies[2], "<quota>-1</quota>") != NULL, "%s", bodies[2]);
    cr_assert_str_eq(result.details, "created info@shop.example, quota unlimited");
    cr_assert_eq(run(created, JIKU_LOGIN_ADD, "info@shop.example", 0, false, &err), 0);
    cr_assert(strstr(bodies[2], "<quota>") == NULL, "%s", bodies[2]);
    cr_assert_str_eq(result.details, "created info@shop.example, quota the panel's default");
    result_release();
}

Test(plesk_mail, panel_refusals_keep_their_text_and_never_the_password)
{
    static const struct script exists[] = {
        WEBSPACE,
        NO_SITES,
        {"<create>", "<packet><mail><create><result><status>error</status><errcode>1007"
                     "</errcode><errtext>Mailname info already exists.</errtext></result>"
                     "</create></mail></packet>"},
        {NULL, NULL},
    };
    static const struct script weak[] = {
        WEBSPACE,
        NO_SITES,
        {"<create>", "<packet><mail><create><result><status>error</status><errcode>1019"
                     "</errcode><errtext>The password is too weak.</errtext></result>"
                     "</create></mail></packet>"},
        {NULL, NULL},
    };
    struct jiku_err err = {0};

    cr_assert_eq(run(exists, JIKU_LOGIN_ADD, "info@shop.example", 0, false, &err), JIKU_E_PANEL);
    cr_assert(strstr(err.msg, "Mailname info already exists.") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "Pw<") == NULL && result.details == NULL, "%s", err.msg);
    cr_assert_eq(run(weak, JIKU_LOGIN_ADD, "info@shop.example", 0, false, &err), JIKU_E_PANEL);
    cr_assert(strstr(err.msg, "too weak") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "0123456789") == NULL, "%s", err.msg);
}

Test(plesk_mail, passwd_is_update_set_answered_under_set)
{
    static const struct script set[] = {
        WEBSPACE,
        NO_SITES,
        {"<update><set>", "<packet><mail><update><set><result><status>ok</status><mailname>"
                          "<name>info</name></mailname></result></set></update></mail></packet>"},
        {NULL, NULL},
    };
    static const struct script flat[] = {
        WEBSPACE,
        NO_SITES,
        {"<update><set>", "<packet><mail><update><result><status>ok</status></result></update>"
                          "</mail></packet>"},
        {NULL, NULL},
    };
    static const struct script unknown[] = {
        WEBSPACE,
        NO_SITES,
        {"<update><set>", "<packet><mail><update><set><result><status>error</status><errcode>"
                          "1013</errcode><errtext>Mailname does not exist.</errtext></result>"
                          "</set></update></mail></packet>"},
        {NULL, NULL},
    };
    struct jiku_err err = {0};

    cr_assert_eq(run(set, JIKU_LOGIN_PASSWD, "info@shop.example", 0, false, &err), 0, "%s",
                 err.msg);
    cr_assert(strstr(bodies[2],
                     "<mail><update><set><filter><site-id>2</site-id><mailname><name>"
                     "info</name><password><value>" PASSWORD_XML "</value><type>plain"
                     "</type></password></mailname></filter></set></update></mail>") != NULL,
              "%s", bodies[2]);
    cr_assert(strstr(bodies[2], "<mailbox>") == NULL);
    cr_assert_str_eq(result.details, "changed the password of info@shop.example");
    cr_assert_eq(run(flat, JIKU_LOGIN_PASSWD, "info@shop.example", 0, false, &err), JIKU_E_DATA);
    cr_assert_eq(run(unknown, JIKU_LOGIN_PASSWD, "info@shop.example", 0, false, &err),
                 JIKU_E_NOTFOUND);
    cr_assert(strstr(err.msg, "Mailname does not exist.") != NULL, "%s", err.msg);
    result_release();
}

Test(plesk_mail, remove_names_the_mailbox_and_needs_a_result)
{
    static const struct script removed[] = {
        WEBSPACE,
        NO_SITES,
        {"<remove>", "<packet><mail><remove><result><status>ok</status><mailname><id>1</id><name>"
                     "info</name></mailname></result></remove></mail></packet>"},
        {NULL, NULL},
    };
    static const struct script empty[] = {
        WEBSPACE,
        NO_SITES,
        {"<remove>", "<packet><mail><remove/></mail></packet>"},
        {NULL, NULL},
    };
    struct jiku_err err = {0};

    cr_assert_eq(run(removed, JIKU_LOGIN_REMOVE, "info@shop.example", 0, false, &err), 0, "%s",
                 err.msg);
    cr_assert(strstr(bodies[2], "<mail><remove><filter><site-id>2</site-id><name>info</name>"
                                "</filter></remove></mail>") != NULL,
              "%s", bodies[2]);
    cr_assert(strstr(bodies[2], "<password>") == NULL);
    cr_assert_str_eq(result.details, "removed info@shop.example");
    cr_assert_eq(run(empty, JIKU_LOGIN_REMOVE, "info@shop.example", 0, false, &err), JIKU_E_DATA);
    result_release();
}

Test(plesk_mail, foreign_domains_and_bad_addresses_send_no_change)
{
    static const char *const bad[] = {"info",
                                      "@shop.example",
                                      "a@b@shop.example",
                                      "-x@shop.example",
                                      "a@shop.example;",
                                      "a b@shop.example"};
    struct jiku_err err = {0};

    cr_assert_eq(run(created, JIKU_LOGIN_ADD, "info@other.example", 0, false, &err),
                 JIKU_E_NOTFOUND);
    cr_assert(strstr(err.msg, "not part of subscription 'shop.example'") != NULL, "%s", err.msg);
    cr_assert_eq(calls, 2, "only the look-ups");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(run(created, JIKU_LOGIN_REMOVE, bad[i], 0, false, &err), JIKU_E_INVAL, "%s",
                     bad[i]);
        cr_assert_eq(calls, 0);
    }
}

Test(plesk_mail, dry_run_looks_up_and_changes_nothing)
{
    struct jiku_err err = {0};

    cr_assert_eq(run(created, JIKU_LOGIN_ADD, "info@blog.example", 0, true, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(calls, 2);
    cr_assert_str_eq(result.details, "would create info@blog.example, quota the panel's default");
    result_release();
}

Test(plesk_mail, role_is_unsupported_and_a_password_needs_printable_text)
{
    struct jiku_err err = {0};
    struct jiku_login_params lp = {
        .op = JIKU_LOGIN_ADD, .name = "info@shop.example", .password = "a\nb"};
    struct jiku_op_params params = {.login = &lp};
    struct jiku_server_info srv = {.name = "p1"};
    struct jiku_target_info target = {.kind = JIKU_KIND_SUBSCRIPTION, .account = "shop.example"};
    struct jiku_op op = {.host = &script_host,
                         .server = &srv,
                         .target = &target,
                         .params = &params,
                         .result = &result};

    cr_assert_eq(run(created, JIKU_LOGIN_ROLE, "info@shop.example", 0, false, &err),
                 JIKU_E_UNSUPPORTED);
    cr_assert_eq(calls, 0);
    script = created;
    calls = 0;
    cr_assert_eq(plesk_mail(&op, &err), JIKU_E_INVAL);
    cr_assert(strstr(err.msg, "a\nb") == NULL);
    cr_assert_eq(calls, 2, "only the look-ups: no create");
    result_release();
}
