/*
 * The Plesk plugin's XML API layer: packets built with libxml2, answers parsed under the rules
 * of docs/WIRE.md §1.4 (size cap, no DOCTYPE, no entities, no network) and classified as
 * docs/WIRE.md §3.2 says —
 * on the documented samples, every errcode of the reference, and hostile input.  Also the
 * remote-word rules and helpers of pleskbin.c, and plesk_xml_call through a fake host table.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "plesk.h"

static int
parse(const char *body, const char *opr, const char *opn, struct plesk_reply *reply,
      struct jiku_err *err)
{
    return plesk_reply_parse(body, strlen(body), opr, opn, reply, err);
}

/* ---- building ---------------------------------------------------------------------------- */

Test(plesk_packet, get_protos_request_matches_the_recorded_one)
{
    struct plesk_packet p = {0};
    struct jiku_buf b = JIKU_BUF_INIT;
    struct jiku_err err = {0};

    cr_assert_eq(plesk_packet_new(&p, "server", "get_protos", &err), 0);
    cr_assert_eq(plesk_packet_dump(&p, &b, &err), 0);
    cr_assert(strstr(b.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>") == b.data, "%s", b.data);
    cr_assert(strstr(b.data, "<packet><server><get_protos/></server></packet>") != NULL, "%s",
              b.data);
    jiku_buf_release(&b);
    plesk_packet_release(&p);
}

Test(plesk_packet, values_are_escaped_never_markup)
{
    struct plesk_packet p = {0};
    struct jiku_buf b = JIKU_BUF_INIT;
    struct jiku_err err = {0};
    xmlDocPtr doc = NULL;
    xmlNodePtr filter;
    char *back;

    cr_assert_eq(plesk_packet_new(&p, "webspace", "get", &err), 0);
    cr_assert_eq(plesk_packet_add(p.op, "filter", NULL, &filter, &err), 0);
    cr_assert_eq(plesk_packet_add(filter, "name", "a</name><x>&amp;\"'", NULL, &err), 0);
    cr_assert_eq(plesk_packet_dump(&p, &b, &err), 0);
    cr_assert(strstr(b.data, "<x>") == NULL, "%s", b.data);
    cr_assert(strstr(b.data, "&lt;/name&gt;&lt;x&gt;&amp;amp;") != NULL, "%s", b.data);
    /* and it reads back as the same text */
    cr_assert_eq(plesk_xml_read(b.data, b.len, &doc, &err), 0, "%s", err.msg);
    filter = plesk_xml_child(
        plesk_xml_child(plesk_xml_child(xmlDocGetRootElement(doc), "webspace"), "get"), "filter");
    back = plesk_xml_text(filter, "name");
    cr_assert_str_eq(back, "a</name><x>&amp;\"'");
    free(back);
    xmlFreeDoc(doc);
    jiku_buf_release(&b);
    plesk_packet_release(&p);
}

/* ---- documented samples ------------------------------------------------------------------ */

/* [REC] server > get_protos (shortened list, same shape, 1.4.2.0 before 1.4.1.1) */
static const char rec_protos[] =
    "<packet version=\"1.6.8.0\"><server><get_protos><result><status>ok</status>\n"
    "  <protos><proto>1.0.0.0</proto><proto>1.4.2.0</proto><proto>1.4.1.1</proto>"
    "<proto>1.6.7.0</proto><proto>1.6.8.0</proto></protos>\n"
    "</result></get_protos></server></packet>";

Test(plesk_reply, rec_get_protos)
{
    struct plesk_reply reply;
    struct jiku_err err = {0};
    xmlNodePtr protos;

    cr_assert_eq(parse(rec_protos, "server", "get_protos", &reply, &err), 0, "%s", err.msg);
    cr_assert_not_null(reply.result);
    protos = plesk_xml_child(reply.result, "protos");
    cr_assert_not_null(plesk_xml_child(protos, "proto"));
    plesk_reply_release(&reply);
}

/* [REC] webspace > get by id */
static const char rec_webspace[] =
    "<packet version=\"1.6.8.0\"><webspace><get><result>\n"
    "  <status>ok</status><filter-id>68</filter-id><id>68</id>\n"
    "  <data><gen_info>\n"
    "    <cr_date>2016-11-13</cr_date><name>example-test.dom</name>"
    "<ascii-name>example-test.dom</ascii-name>\n"
    "    <status>0</status><real_size>0</real_size><owner-login>admin</owner-login>\n"
    "    <dns_ip_address>172.17.0.2</dns_ip_address><htype>none</htype>\n"
    "    <guid>07b22a9e-00bd-4cf8-ad2a-7a5aa9e3f592</guid>"
    "<vendor-guid>bec05900-a696-11e6-bf5c-0242ac110002</vendor-guid>\n"
    "    <external-id/><sb-site-uuid/><description/><admin-description/>\n"
    "  </gen_info></data>\n"
    "</result></get></webspace></packet>";

Test(plesk_reply, rec_webspace_get)
{
    struct plesk_reply reply;
    struct jiku_err err = {0};
    xmlNodePtr gen;
    char *s;

    cr_assert_eq(parse(rec_webspace, "webspace", "get", &reply, &err), 0, "%s", err.msg);
    gen = plesk_xml_child(plesk_xml_child(reply.result, "data"), "gen_info");
    s = plesk_xml_text(gen, "owner-login");
    cr_assert_str_eq(s, "admin");
    free(s);
    s = plesk_xml_text(gen, "name");
    cr_assert_str_eq(s, "example-test.dom");
    free(s);
    s = plesk_xml_text(gen, "external-id");
    cr_assert_str_eq(s, "");
    free(s);
    /* an element with element children has no text */
    cr_assert_null(plesk_xml_text(plesk_xml_child(reply.result, "data"), "gen_info"));
    plesk_reply_release(&reply);
}

/* [DOC] error-codes.33764: a result-level error with the echoed id */
static const char doc_1013[] =
    "<packet>\n  <webspace><get><result>\n"
    "    <status>error</status><errcode>1013</errcode><errtext>Object not found.</errtext>"
    "<id>1234</id>\n  </result></get></webspace>\n</packet>";

Test(plesk_reply, doc_result_error_1013_is_notfound)
{
    struct plesk_reply reply;
    struct jiku_err err = {0};

    cr_assert_eq(parse(doc_1013, "webspace", "get", &reply, &err), JIKU_E_NOTFOUND);
    cr_assert_eq(reply.errcode, 1013);
    cr_assert(strstr(err.msg, "Object not found.") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "1013") != NULL, "%s", err.msg);
    plesk_reply_release(&reply);
}

/* [DOC] handling-errors: a system error with <output> */
static const char doc_1005[] = "<packet>\n  <system><status>error</status><errcode>1005</errcode>\n"
                               "    <errtext>XML API protocol version not supported.</errtext>"
                               "</system>\n  <output> </output>\n</packet>";

Test(plesk_reply, doc_system_error_1005)
{
    struct plesk_reply reply;
    struct jiku_err err = {0};

    cr_assert_eq(parse(doc_1005, "server", "get", &reply, &err), JIKU_E_PANEL);
    cr_assert_eq(reply.errcode, 1005);
    cr_assert(strstr(err.msg, "protocol version not supported") != NULL, "%s", err.msg);
    plesk_reply_release(&reply);
}

/* [3P] recorded system errors, with their XML declaration */
static const char tp_1029[] =
    "<?xml version=\"1.0\"?>\n<packet version=\"1.6.9.1\"><system><status>error</status>"
    "<errcode>1029</errcode>\n  <errtext>Authentication method is not specified</errtext>"
    "</system></packet>";
static const char tp_11003[] =
    "<?xml version=\"1.0\"?>\n<packet version=\"1.6.8.0\"><system><status>error</status>"
    "<errcode>11003</errcode>\n  <errtext>PleskAPIInvalidSecretKeyException : Invalid secret key "
    "usage. Please check logs for details.</errtext>\n</system></packet>";

Test(plesk_reply, recorded_auth_system_errors_are_77)
{
    struct plesk_reply reply;
    struct jiku_err err = {0};

    cr_assert_eq(parse(tp_1029, "server", "get", &reply, &err), JIKU_E_AUTH);
    cr_assert_eq(jiku_status_exit_code(JIKU_E_AUTH), 77);
    cr_assert(strstr(err.msg, "Authentication method is not specified") != NULL);
    plesk_reply_release(&reply);
    cr_assert_eq(parse(tp_11003, "webspace", "get", &reply, &err), JIKU_E_AUTH);
    cr_assert_eq(reply.errcode, 11003);
    plesk_reply_release(&reply);
}

/* [DOC] backup-manager samples */
static const char doc_task_id[] =
    "<packet version=\"1.6.0.0\"><backup-manager><backup-customer><result>\n"
    "  <status>ok</status><task-id>2</task-id></result></backup-customer></backup-manager>"
    "</packet>";
static const char doc_tasks[] =
    "<packet version=\"1.6.7.0\"><backup-manager><get-tasks-info><result>\n"
    "  <status>ok</status>\n"
    "  <task><customer-id>7</customer-id><id>5472</id><status>working</status>\n"
    "        <started>1224897686</started><prefix/><filename/><protocol>local</protocol></task>\n"
    "</result></get-tasks-info></backup-manager></packet>";
static const char doc_list[] =
    "<packet version=\"1.6.7.0\"><backup-manager><get-local-backup-list><result>"
    "<status>ok</status>\n"
    "  <backup><file><name>12-11-2003-mycustomer_3_8.bak</name><creation-date>1179482633"
    "</creation-date>\n     <description/><size>0</size><not-backup/></file></backup>\n"
    "  <backup><file><name>priest_2007.05.18_17.12</name><creation-date>1179483198"
    "</creation-date>\n     <description>sdf backup.</description><size>128732</size></file>"
    "</backup>\n</result></get-local-backup-list></backup-manager></packet>";

Test(plesk_reply, doc_backup_manager_samples)
{
    struct plesk_reply reply;
    struct jiku_err err = {0};
    xmlNodePtr task;
    char *s;

    cr_assert_eq(parse(doc_task_id, "backup-manager", "backup-customer", &reply, &err), 0);
    s = plesk_xml_text(reply.result, "task-id");
    cr_assert_str_eq(s, "2");
    free(s);
    plesk_reply_release(&reply);

    cr_assert_eq(parse(doc_tasks, "backup-manager", "get-tasks-info", &reply, &err), 0);
    task = plesk_xml_child(reply.result, "task");
    s = plesk_xml_text(task, "status");
    cr_assert_str_eq(s, "working");
    free(s);
    plesk_reply_release(&reply);

    cr_assert_eq(parse(doc_list, "backup-manager", "get-local-backup-list", &reply, &err), 0);
    cr_assert_not_null(plesk_xml_child(
        plesk_xml_child(plesk_xml_child(reply.result, "backup"), "file"), "not-backup"));
    plesk_reply_release(&reply);
}

Test(plesk_reply, get_without_result_is_not_an_error)
{
    struct plesk_reply reply;
    struct jiku_err err = {0};

    cr_assert_eq(parse("<packet version=\"1.6.8.0\"><site><get/></site></packet>", "site", "get",
                       &reply, &err),
                 0, "%s", err.msg);
    cr_assert_null(reply.result);
    cr_assert_not_null(reply.op);
    plesk_reply_release(&reply);
}

Test(plesk_reply, first_error_among_several_results_wins)
{
    static const char body[] =
        "<packet><webspace><get>"
        "<result><status>ok</status><id>1</id></result>"
        "<result><status>error</status><errcode>1019</errcode><errtext>bad</errtext></result>"
        "<result><status>error</status><errcode>1013</errcode><errtext>nf</errtext></result>"
        "</get></webspace></packet>";
    struct plesk_reply reply;
    struct jiku_err err = {0};

    cr_assert_eq(parse(body, "webspace", "get", &reply, &err), JIKU_E_PANEL);
    cr_assert_eq(reply.errcode, 1019);
    plesk_reply_release(&reply);
}

/* ---- every errcode of the reference ------------------------------------------------------ */

static const struct {
    long code;
    int status;
    const char *words;
} codes[] = {
    {1001, JIKU_E_AUTH, "password"},
    {1004, JIKU_E_PANEL, "not configured"},
    {1005, JIKU_E_PANEL, "protocol"},
    {1013, JIKU_E_NOTFOUND, "not found"},
    {1014, JIKU_E_UNSUPPORTED, "not understood"},
    {1017, JIKU_E_UNSUPPORTED, "not supported"},
    {1019, JIKU_E_PANEL, "invalid value"},
    {1023, JIKU_E_PANEL, "operation failed"},
    {1026, JIKU_E_PANEL, "not installed"},
    {1029, JIKU_E_AUTH, "authentication"},
    {2300, JIKU_E_PANEL, "operation failed"},
    {11003, JIKU_E_AUTH, "secret key"},
};

Test(plesk_errcode, every_reference_code_maps_with_a_meaning)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const char *meaning = NULL;

        cr_assert_eq(plesk_errcode_status(codes[i].code, &meaning), codes[i].status, "%ld",
                     codes[i].code);
        cr_assert_not_null(meaning, "%ld", codes[i].code);
        cr_assert(strstr(meaning, codes[i].words) != NULL, "%ld: %s", codes[i].code, meaning);
    }
}

Test(plesk_errcode, in_a_system_and_a_result_element)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        char body[512];
        struct plesk_reply reply;
        struct jiku_err err = {0};

        snprintf(body, sizeof(body),
                 "<packet><system><status>error</status><errcode>%ld</errcode>"
                 "<errtext>text %ld</errtext></system></packet>",
                 codes[i].code, codes[i].code);
        cr_assert_eq(parse(body, "server", "get", &reply, &err), codes[i].status);
        cr_assert_eq(reply.errcode, codes[i].code);
        plesk_reply_release(&reply);
        snprintf(body, sizeof(body),
                 "<packet><backup-manager><backup-webspace><result><status>error</status>"
                 "<errcode>%ld</errcode><errtext>text</errtext></result></backup-webspace>"
                 "</backup-manager></packet>",
                 codes[i].code);
        cr_assert_eq(parse(body, "backup-manager", "backup-webspace", &reply, &err),
                     codes[i].status);
        plesk_reply_release(&reply);
    }
}

Test(plesk_errcode, unknown_code_is_a_panel_failure_named_as_such)
{
    struct plesk_reply reply;
    struct jiku_err err = {0};
    const char *meaning = "x";

    cr_assert_eq(plesk_errcode_status(4242, &meaning), JIKU_E_PANEL);
    cr_assert_null(meaning);
    cr_assert_eq(parse("<packet><server><get><result><status>error</status><errcode>4242"
                       "</errcode><errtext>new\tthing\n</errtext></result></get></server>"
                       "</packet>",
                       "server", "get", &reply, &err),
                 JIKU_E_PANEL);
    cr_assert(strstr(err.msg, "unknown errcode") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "new thing") != NULL, "control characters cleaned: %s", err.msg);
    plesk_reply_release(&reply);
}

Test(plesk_errcode, unusable_errcodes_are_data_errors)
{
    static const char *const bad[] = {
        "<packet><system><status>error</status><errtext>x</errtext></system></packet>",
        "<packet><system><status>error</status><errcode>12a</errcode></system></packet>",
        "<packet><system><status>error</status><errcode>-5</errcode></system></packet>",
        "<packet><system><status>error</status><errcode>99999999999</errcode></system></packet>",
        "<packet><system><status>ok</status></system></packet>",
        "<packet><server><get><result><errcode>1</errcode></result></get></server></packet>",
        "<packet><server><get><result><status>maybe</status></result></get></server></packet>",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct plesk_reply reply;
        struct jiku_err err = {0};

        cr_assert_eq(parse(bad[i], "server", "get", &reply, &err), JIKU_E_DATA, "%s", bad[i]);
        plesk_reply_release(&reply);
    }
}

/* ---- malformed and hostile input --------------------------------------------------------- */

Test(plesk_hostile, malformed_and_foreign_answers_are_65)
{
    static const char *const bad[] = {
        "",
        "<packet><server><get><result><status>ok</status></resul></get></server></packet>",
        "\x00\x1f<html><body>502 Bad Gateway\xff\xfe</body>",
        "<html><body>not xml</body></html>",
        "<packet><webspace><get><result><status>ok</status></result></get></webspace></packet>",
        "<packet><server><set><result><status>ok</status></result></set></server></packet>",
        "<packet><server><get><result><status>ok</status></result></get></server></packet>junk",
        "<packet xmlns=\"urn:x\"><server><get/></server></packet>",
        "<packet><server><get>&undefined;</get></server></packet>",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct plesk_reply reply;
        struct jiku_err err = {0};
        size_t len = i == 2 ? 35 : strlen(bad[i]);

        cr_assert_eq(plesk_reply_parse(bad[i], len, "server", "get", &reply, &err), JIKU_E_DATA,
                     "case %zu", i);
        cr_assert_eq(jiku_status_exit_code(JIKU_E_DATA), 65);
        plesk_reply_release(&reply);
    }
}

Test(plesk_hostile, size_cap_before_parsing)
{
    size_t n = PLESK_XML_MAX + 1;
    char *big = malloc(n);
    xmlDocPtr doc = NULL;
    struct jiku_err err = {0};

    cr_assert_not_null(big);
    /* valid XML of the capped size + 1: refused for its size alone */
    memset(big, ' ', n);
    memcpy(big, "<packet>", 8);
    memcpy(big + n - 9, "</packet>", 9);
    cr_assert_eq(plesk_xml_read(big, n, &doc, &err), JIKU_E_DATA);
    cr_assert(strstr(err.msg, "too large") != NULL, "%s", err.msg);
    cr_assert_null(doc);
    cr_assert_eq(plesk_xml_read(big, n - 1 - 1, &doc, &err), JIKU_E_DATA); /* cut: malformed */
    big[n - 2] = '>';
    memcpy(big + n - 10, "</packet>", 9);
    cr_assert_eq(plesk_xml_read(big, n - 1, &doc, &err), 0, "%s", err.msg);
    xmlFreeDoc(doc);
    free(big);
}

/* A canary file whose access time is set far into the past: any read moves it. */
struct canary {
    char dir[64];
    char path[128];
};

static void
canary_make(struct canary *c)
{
    struct timespec ts[2] = {{946684800, 0}, {946684800, 0}}; /* 2000-01-01 */
    FILE *fp;

    snprintf(c->dir, sizeof(c->dir), "/tmp/plesk-xml-XXXXXX");
    cr_assert_not_null(mkdtemp(c->dir));
    snprintf(c->path, sizeof(c->path), "%s/secret.txt", c->dir);
    fp = fopen(c->path, "w");
    cr_assert_not_null(fp);
    fputs("JIKU-CANARY-XML\n", fp);
    fclose(fp);
    cr_assert_eq(utimensat(AT_FDCWD, c->path, ts, 0), 0);
}

static void
canary_check_and_remove(struct canary *c)
{
    struct stat st;

    cr_assert_eq(stat(c->path, &st), 0);
    cr_assert_eq(st.st_atime, 946684800, "the canary was read");
    unlink(c->path);
    rmdir(c->dir);
}

static void
assert_refused(const char *body, size_t len)
{
    struct plesk_reply reply;
    struct jiku_err err = {0};

    cr_assert_eq(plesk_reply_parse(body, len, "webspace", "get", &reply, &err), JIKU_E_DATA, "%s",
                 body);
    cr_assert(strstr(err.msg, "DOCTYPE") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "JIKU-CANARY") == NULL);
    cr_assert_null(reply.result);
    plesk_reply_release(&reply);
}

Test(plesk_hostile, xxe_is_refused_and_the_canary_never_opened)
{
    struct canary c;
    char body[1024];

    canary_make(&c);
    snprintf(body, sizeof(body),
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE packet [\n<!ENTITY xxe SYSTEM "
             "\"file://%s\">\n]>\n<packet><webspace><get><result><status>error</status><errcode>"
             "1013</errcode><errtext>&xxe;</errtext></result></get></webspace></packet>",
             c.path);
    assert_refused(body, strlen(body));
    snprintf(body, sizeof(body),
             "<!DOCTYPE packet [\n<!ENTITY %% xxe SYSTEM \"file://%s\">\n%%xxe;\n]>\n"
             "<packet><webspace><get><result><status>ok</status></result></get></webspace>"
             "</packet>",
             c.path);
    assert_refused(body, strlen(body));
    snprintf(body, sizeof(body),
             "<!DOCTYPE packet SYSTEM \"file://%s\"><packet><webspace><get/></webspace></packet>",
             c.path);
    assert_refused(body, strlen(body));
    canary_check_and_remove(&c);
}

Test(plesk_hostile, doctype_without_internal_subset_and_in_any_case)
{
    assert_refused("<!DOCTYPE packet><packet><webspace><get/></webspace></packet>", 60);
    assert_refused("<!doctype packet><packet/>", 26);
}

/* UTF-16: the byte search cannot see it; the parser's DOCTYPE hook must stop it. */
Test(plesk_hostile, doctype_in_utf16_is_stopped_by_the_parser_hook)
{
    struct canary c;
    char ascii[512], wide[1100];
    size_t n, w = 0;

    canary_make(&c);
    n = (size_t)snprintf(ascii, sizeof(ascii),
                         "<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE packet [<!ENTITY "
                         "xxe SYSTEM \"file://%s\">]><packet><webspace><get><result><status>ok"
                         "</status><id>&xxe;</id></result></get></webspace></packet>",
                         c.path);
    wide[w++] = (char)0xff; /* UTF-16LE byte order mark */
    wide[w++] = (char)0xfe;
    for (size_t i = 0; i < n; i++) {
        wide[w++] = ascii[i];
        wide[w++] = 0;
    }
    assert_refused(wide, w);
    canary_check_and_remove(&c);
}

Test(plesk_hostile, billion_laughs_fails_fast)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    clock_t t0 = clock();

    jiku_buf_adds(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE packet [\n<!ENTITY lol \"lol\">\n");
    for (int i = 1; i < 10; i++) {
        jiku_buf_addf(&b, "<!ENTITY lol%d \"", i);
        for (int j = 0; j < 10; j++)
            jiku_buf_addf(&b, i == 1 ? "&lol;" : "&lol%d;", i - 1);
        jiku_buf_adds(&b, "\">\n");
    }
    jiku_buf_adds(&b, "]>\n<packet><webspace><get><result><status>error</status><errcode>1013"
                      "</errcode><errtext>&lol9;</errtext></result></get></webspace></packet>");
    assert_refused(b.data, b.len);
    /* refused before any expansion: far below a second of CPU */
    cr_assert_lt((double)(clock() - t0) / CLOCKS_PER_SEC, 1.0);
    jiku_buf_release(&b);
}

/* ---- pleskbin.c helpers ------------------------------------------------------------------ */

Test(plesk_cli, domain_and_path_rules)
{
    cr_assert(plesk_valid_domain("shop.example"));
    cr_assert(plesk_valid_domain("a-b.c0.example"));
    cr_assert_not(plesk_valid_domain("Shop.example"));
    cr_assert_not(plesk_valid_domain("-x.example"));
    cr_assert_not(plesk_valid_domain("x..example"));
    cr_assert_not(plesk_valid_domain("x.example;rm"));
    cr_assert_not(plesk_valid_domain("x/../y"));
    cr_assert_not(plesk_valid_domain(""));
}

Test(plesk_cli, export_paths)
{
    struct jiku_server_info s = {.name = "p1", .snapshot_dir = "/snap"};
    struct jiku_err err = {0};
    char *a = NULL, *b = NULL;

    cr_assert_eq(plesk_export_paths(&s, "shop.example", "ID.s", &a, &b, &err), 0);
    cr_assert_str_eq(a, "/snap/shop.example");
    cr_assert_str_eq(b, "/snap/shop.example/ID.s");
    free(a);
    free(b);
    cr_assert_eq(plesk_export_paths(&s, "../etc", "x", &a, &b, &err), JIKU_E_INVAL);
    s.snapshot_dir = "relative";
    cr_assert_eq(plesk_export_paths(&s, "shop.example", "x", &a, &b, &err), JIKU_E_INVAL);
}

Test(plesk_cli, version_switch)
{
    cr_assert(plesk_version_before_178("17.5.3"));
    cr_assert(plesk_version_before_178("17.0.17"));
    cr_assert(plesk_version_before_178("12.5.30"));
    cr_assert_not(plesk_version_before_178("17.8.11"));
    cr_assert_not(plesk_version_before_178("18.0.52"));
}

/* ---- plesk_xml_call through a fake host ------------------------------------------------- */

struct fake {
    long status;
    const char *answer;
    int result;
    struct jiku_http_header headers[4];
    char values[4][128];
    size_t n_headers;
    char body[2048];
    char content_type[32];
    bool safe;
};

static struct fake fake;

static int
fake_http(struct jiku_op *op, const struct jiku_server_info *server,
          const struct jiku_http_request *req, struct jiku_http_response *resp,
          struct jiku_err *err)
{
    (void)op;
    (void)server;
    fake.n_headers = req->n_headers;
    for (size_t i = 0; i < req->n_headers && i < 4; i++) {
        snprintf(fake.values[i], sizeof(fake.values[i]), "%s: %s", req->headers[i].name,
                 req->headers[i].value);
        fake.headers[i] = req->headers[i];
    }
    snprintf(fake.body, sizeof(fake.body), "%.*s", (int)req->body_len, (const char *)req->body);
    snprintf(fake.content_type, sizeof(fake.content_type), "%s", req->content_type);
    fake.safe = req->safe_to_retry;
    cr_assert_str_eq(req->method, "POST");
    cr_assert_str_eq(req->path, "/enterprise/control/agent.php");
    memset(resp, 0, sizeof(*resp));
    if (fake.result != 0)
        return jiku_err_set(err, fake.result, "fake transport failure");
    resp->status = fake.status;
    jiku_buf_adds(&resp->body, fake.answer);
    return 0;
}

static int
fake_secret(struct jiku_op *op, const struct jiku_server_info *server, enum jiku_secret which,
            struct jiku_buf *out, struct jiku_err *err)
{
    (void)op;
    (void)server;
    (void)err;
    return jiku_buf_adds(out, which == JIKU_SECRET_API_TOKEN ? "key-123" : "pw-456");
}

static const struct jiku_host fake_host = {
    .abi_version = JIKU_HOST_ABI_VERSION,
    .struct_size = sizeof(struct jiku_host),
    .http = fake_http,
    .read_secret = fake_secret,
};

static int
call(struct jiku_server_info *srv, bool safe, struct plesk_reply *reply, struct jiku_err *err)
{
    struct jiku_op op = {.host = &fake_host, .server = srv};
    struct plesk_packet p = {0};
    int r;

    cr_assert_eq(plesk_packet_new(&p, "server", "get_protos", err), 0);
    r = plesk_xml_call(&op, NULL, &p, safe, reply, err);
    plesk_packet_release(&p);
    return r;
}

Test(plesk_call, secret_key_goes_in_a_secret_key_header)
{
    struct jiku_server_info srv = {.name = "p1", .api_port = 8443, .api_user = "admin"};
    struct plesk_reply reply;
    struct jiku_err err = {0};

    memset(&fake, 0, sizeof(fake));
    fake.status = 200;
    fake.answer = rec_protos;
    cr_assert_eq(call(&srv, true, &reply, &err), 0, "%s", err.msg);
    cr_assert_eq(fake.n_headers, 1);
    cr_assert_str_eq(fake.values[0], "KEY: key-123");
    cr_assert(fake.headers[0].secret);
    cr_assert_str_eq(fake.content_type, "text/xml");
    cr_assert(fake.safe);
    cr_assert(strstr(fake.body, "<packet><server><get_protos/></server></packet>") != NULL);
    plesk_reply_release(&reply);
}

Test(plesk_call, login_and_password_headers)
{
    struct jiku_server_info srv = {
        .name = "p1", .api_port = 8443, .api_user = "admin", .api_password = true};
    struct plesk_reply reply;
    struct jiku_err err = {0};

    memset(&fake, 0, sizeof(fake));
    fake.status = 200;
    fake.answer = rec_protos;
    cr_assert_eq(call(&srv, false, &reply, &err), 0, "%s", err.msg);
    cr_assert_eq(fake.n_headers, 2);
    cr_assert_str_eq(fake.values[0], "HTTP_AUTH_LOGIN: admin");
    cr_assert_str_eq(fake.values[1], "HTTP_AUTH_PASSWD: pw-456");
    cr_assert(fake.headers[1].secret);
    cr_assert_not(fake.safe);
    plesk_reply_release(&reply);
}

Test(plesk_call, http_statuses_and_transport_failures)
{
    struct jiku_server_info srv = {.name = "p1", .api_port = 8443};
    struct plesk_reply reply;
    struct jiku_err err = {0};

    memset(&fake, 0, sizeof(fake));
    fake.answer = "";
    fake.status = 401;
    cr_assert_eq(call(&srv, true, &reply, &err), JIKU_E_AUTH);
    plesk_reply_release(&reply);
    fake.status = 404;
    cr_assert_eq(call(&srv, true, &reply, &err), JIKU_E_PANEL);
    cr_assert(strstr(err.msg, "api_port 8443") != NULL, "%s", err.msg);
    plesk_reply_release(&reply);
    fake.status = 200;
    fake.answer = tp_11003;
    cr_assert_eq(call(&srv, true, &reply, &err), JIKU_E_AUTH);
    cr_assert(strstr(err.msg, "server 'p1'") == err.msg, "%s", err.msg);
    cr_assert(strstr(err.msg, "key-123") == NULL);
    plesk_reply_release(&reply);
    fake.result = JIKU_E_TRANSIENT;
    cr_assert_eq(call(&srv, false, &reply, &err), JIKU_E_TRANSIENT);
    plesk_reply_release(&reply);
}

/* ---- what may be emptied or removed ------------------------------------------------------ */

Test(plesk_paths, web_root_must_be_inside_the_subscription_directory)
{
    cr_assert(plesk_www_root_ok("/var/www/vhosts/shop.example/httpdocs", "shop.example"));
    cr_assert(
        plesk_www_root_ok("/srv/sim/root/var/www/vhosts/shop.example/site/public", "shop.example"));
    /* the subscription's directory itself holds logs, conf and more: never */
    cr_assert_not(plesk_www_root_ok("/var/www/vhosts/shop.example", "shop.example"));
    cr_assert_not(plesk_www_root_ok("/shop.example/httpdocs", "shop.example"));
    cr_assert_not(plesk_www_root_ok("/", "shop.example"));
    cr_assert_not(plesk_www_root_ok("/var/www/vhosts/other.example/httpdocs", "shop.example"));
    cr_assert_not(plesk_www_root_ok("/var/www/vhosts/shop.example.evil/httpdocs", "shop.example"));
    cr_assert_not(plesk_www_root_ok("/var/www/vhosts/xshop.example/httpdocs", "shop.example"));
    cr_assert_not(
        plesk_www_root_ok("/var/www/vhosts/shop.example/httpdocs/../../../etc", "shop.example"));
    cr_assert_not(plesk_www_root_ok("/var/www/vhosts/shop.example/ht docs", "shop.example"));
    cr_assert_not(plesk_www_root_ok(NULL, "shop.example"));
    cr_assert_not(plesk_www_root_ok("/var/www/vhosts/shop.example/httpdocs", "../x"));
}

/* A server whose dump_dir is /dumps, as the configuration would lend it. */
static const struct plesk_settings dumps_at_dumps = {.dump_dir = "/dumps", .backup = "auto"};

Test(plesk_paths, catalog_locations_are_classified_or_refused)
{
    struct jiku_server_info srv = {
        .name = "p1", .snapshot_dir = "/snap", .settings = &dumps_at_dumps};
    struct jiku_op op = {.host = &fake_host, .server = &srv};
    enum plesk_location kind;
    struct jiku_err err = {0};
    char *dir = NULL, *name = NULL;

    cr_assert_eq(plesk_classify(&op, "shop.example", "/snap/shop.example/ID.s/backup.tar", &kind,
                                &dir, &name, &err),
                 0, "%s", err.msg);
    cr_assert_eq(kind, PLESK_LOC_EXPORT);
    cr_assert_str_eq(dir, "/snap/shop.example/ID.s");
    free(dir);
    cr_assert_eq(plesk_classify(&op, "shop.example",
                                "/dumps/clients/jdoe/domains/shop.example/jiku-X_info_1.xml", &kind,
                                &dir, &name, &err),
                 0, "%s", err.msg);
    cr_assert_eq(kind, PLESK_LOC_REPOSITORY);
    cr_assert_str_eq(name, "jiku-X_info_1.xml");
    free(name);
    static const char *const bad[] = {
        "/snap/shop.example/backup.tar",
        "/snap/shop.example/ID/other.tar",
        "/snap/shop.example/ID/sub/backup.tar",
        "/snap/other.example/ID/backup.tar",
        "/snap/shop.example/../x/backup.tar",
        "/dumps/clients/jdoe/domains/other.example/f.xml",
        "/dumps/clients/jdoe/domains/shop.example/sub/f.xml",
        "/etc/passwd",
        "relative/backup.tar",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(plesk_classify(&op, "shop.example", bad[i], &kind, &dir, &name, &err),
                     JIKU_E_DATA, "%s", bad[i]);
}

/* ---- the subscription's owner through a scripted XML API -------------------------------- */

struct script {
    const char *when; /* a substring of the request body */
    const char *answer;
};

static const struct script *script;
static int script_calls;

static int
script_http(struct jiku_op *op, const struct jiku_server_info *server,
            const struct jiku_http_request *req, struct jiku_http_response *resp,
            struct jiku_err *err)
{
    char body[2048];

    (void)op;
    (void)server;
    (void)err;
    snprintf(body, sizeof(body), "%.*s", (int)req->body_len, (const char *)req->body);
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    script_calls++;
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
    .read_secret = fake_secret,
};

#define WS_OWNER(field, value)                                                                     \
    "<packet><webspace><get><result><status>ok</status><filter-id>x</filter-id><id>3</id><data>"   \
    "<gen_info><name>resold.example</name><" field ">" value "</" field "></gen_info>"             \
    "<hosting><vrt_hst><property><name>ftp_login</name><value>u</value></property><property>"      \
    "<name>www_root</name><value>/var/www/vhosts/resold.example/httpdocs</value></property>"       \
    "</vrt_hst></hosting></data></result></get></webspace></packet>"

static const char cust_rcust[] =
    "<packet><customer><get><result><status>ok</status><id>4</id><data><gen_info><login>rcust"
    "</login><owner-login>resco</owner-login></gen_info></data></result></get></customer>"
    "</packet>";

static int
owner(const struct script *s, struct plesk_webspace *w, struct jiku_err *err)
{
    struct jiku_server_info srv = {
        .name = "p1", .snapshot_dir = "/snap", .settings = &dumps_at_dumps};
    struct jiku_op op = {.host = &script_host, .server = &srv};

    script = s;
    script_calls = 0;
    return plesk_webspace_get(&op, NULL, "resold.example", true, true, w, err);
}

Test(plesk_owner, reseller_customer_by_login_gives_the_reseller_tree)
{
    static const struct script s[] = {
        {"<webspace>", WS_OWNER("owner-login", "rcust")},
        {"<customer>", cust_rcust},
        {NULL, NULL},
    };
    struct jiku_server_info srv = {.name = "p1", .settings = &dumps_at_dumps};
    struct plesk_webspace w;
    struct jiku_err err = {0};
    char *dir = NULL;

    cr_assert_eq(owner(s, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(w.owner_kind, PLESK_OWNER_RESELLER_CUSTOMER);
    cr_assert_str_eq(w.owner_login, "rcust");
    cr_assert_str_eq(w.reseller_login, "resco");
    cr_assert_str_eq(w.www_root, "/var/www/vhosts/resold.example/httpdocs");
    cr_assert_eq(plesk_dump_domain_dir(&srv, &w, "resold.example", &dir, &err), 0);
    cr_assert_str_eq(dir, "/dumps/resellers/resco/clients/rcust/domains/resold.example");
    free(dir);
    plesk_webspace_release(&w);
}

Test(plesk_owner, owner_id_variant_resolved_by_id)
{
    static const struct script s[] = {
        {"<webspace>", WS_OWNER("owner-id", "4")},
        {"<id>4</id>", "<packet><customer><get><result><status>ok</status><id>4</id><data>"
                       "<gen_info><login>rcust</login><owner-id>2</owner-id></gen_info></data>"
                       "</result></get></customer></packet>"},
        {"<login>rcust</login>", "<packet><customer><get><result><status>ok</status><id>4</id>"
                                 "<data><gen_info><login>rcust</login><owner-id>2</owner-id>"
                                 "</gen_info></data></result></get></customer></packet>"},
        /* the reseller operator spells its dataset gen-info */
        {"<gen-info/>", "<packet><reseller><get><result><status>ok</status><id>2</id><data>"
                        "<gen-info><login>resco</login></gen-info></data></result></get>"
                        "</reseller></packet>"},
        {NULL, NULL},
    };
    struct plesk_webspace w;
    struct jiku_err err = {0};

    cr_assert_eq(owner(s, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(w.owner_kind, PLESK_OWNER_RESELLER_CUSTOMER);
    cr_assert_str_eq(w.owner_login, "rcust");
    cr_assert_str_eq(w.reseller_login, "resco");
    plesk_webspace_release(&w);
}

Test(plesk_owner, admin_and_reseller_owned)
{
    static const struct script admin[] = {
        {"<webspace>", WS_OWNER("owner-id", "1")},
        {NULL, NULL},
    };
    static const struct script reseller[] = {
        {"<webspace>", WS_OWNER("owner-login", "resco")},
        {"<customer>", "<packet><customer><get><result><status>error</status><errcode>1013"
                       "</errcode><errtext>client does not exist.</errtext></result></get>"
                       "</customer></packet>"},
        {"<reseller>", "<packet><reseller><get><result><status>ok</status><id>2</id><data>"
                       "<gen-info><login>resco</login></gen-info></data></result></get>"
                       "</reseller></packet>"},
        {NULL, NULL},
    };
    struct plesk_webspace w;
    struct jiku_err err = {0};

    cr_assert_eq(owner(admin, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(w.owner_kind, PLESK_OWNER_ADMIN);
    cr_assert_eq(script_calls, 1);
    plesk_webspace_release(&w);
    cr_assert_eq(owner(reseller, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(w.owner_kind, PLESK_OWNER_RESELLER);
    plesk_webspace_release(&w);
}

Test(plesk_owner, missing_subscription_is_66_with_or_without_result)
{
    static const struct script none[] = {
        {"<webspace>", "<packet version=\"1.6.9.1\"><webspace><get/></webspace></packet>"},
        {NULL, NULL},
    };
    static const struct script nf[] = {
        {"<webspace>", "<packet><webspace><get><result><status>error</status><errcode>1013"
                       "</errcode><errtext>Object not found.</errtext><filter-id>resold.example"
                       "</filter-id></result></get></webspace></packet>"},
        {NULL, NULL},
    };
    static const struct script other[] = {
        {"<webspace>", "<packet><webspace><get><result><status>ok</status><id>9</id><data>"
                       "<gen_info><name>other.example</name><owner-login>admin</owner-login>"
                       "</gen_info></data></result></get></webspace></packet>"},
        {NULL, NULL},
    };
    struct plesk_webspace w;
    struct jiku_err err = {0};

    cr_assert_eq(owner(none, &w, &err), JIKU_E_NOTFOUND);
    cr_assert(strstr(err.msg, "does not exist") != NULL, "%s", err.msg);
    cr_assert_eq(jiku_status_exit_code(JIKU_E_NOTFOUND), 66);
    cr_assert_eq(owner(nf, &w, &err), JIKU_E_NOTFOUND);
    /* an answer about another subscription does not add up */
    cr_assert_eq(owner(other, &w, &err), JIKU_E_DATA);
}
