/*
 * The status → exit code table (SPEC §5), error messages, jiku_buf and the shell quoting
 * function, and how a run's operations add up to one exit code.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "err.h"
#include "jiku/buf.h"
#include "jiku/err.h"
#include "output.h"

struct code_case {
    int status;
    int exit_code;
};

ParameterizedTestParameters(err, exit_codes)
{
    static struct code_case cases[] = {
        {JIKU_OK, 0},         {JIKU_E_FAILED, 1},        {JIKU_E_PANEL, 1},
        {JIKU_E_DATA, 65},    {JIKU_E_NOTFOUND, 66},     {JIKU_E_UNREACHABLE, 69},
        {JIKU_E_IO, 74},      {JIKU_E_BUSY, 75},         {JIKU_E_TLS, 76},
        {JIKU_E_HOSTKEY, 76}, {JIKU_E_DENIED, 77},       {JIKU_E_AUTH, 77},
        {JIKU_E_CONFIG, 78},  {JIKU_E_INTERRUPTED, 130}, {JIKU_E_USAGE, 64},
        {JIKU_E_NOMEM, 1},    {JIKU_E_INVAL, 1},         {JIKU_E_PLUGIN, 1},
        {JIKU_E_ABI, 1},      {JIKU_E_TRANSIENT, 69},    {JIKU_E_UNSUPPORTED, 1},
        {-9999, 1}, /* unknown statuses mean failure */
    };
    return cr_make_param_array(struct code_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct code_case *c, err, exit_codes)
{
    cr_assert_eq(jiku_status_exit_code(c->status), c->exit_code, "status %d → %d, expected %d",
                 c->status, jiku_status_exit_code(c->status), c->exit_code);
}

Test(err, names_are_distinct)
{
    cr_assert_str_eq(jiku_status_name(JIKU_E_HOSTKEY), "hostkey");
    cr_assert_str_eq(jiku_status_name(JIKU_E_TLS), "tls");
    cr_assert_str_eq(jiku_status_name(12345), "unknown");
}

Test(err, set_and_prefix)
{
    struct jiku_err err = {0};

    cr_assert_eq(jiku_err_set(&err, JIKU_E_IO, "cannot open '%s'", "/x"), JIKU_E_IO);
    cr_assert_str_eq(err.msg, "cannot open '/x'");
    cr_assert_eq(jiku_err_prefix(&err, "backup of '%s'", "acme/shop"), JIKU_E_IO);
    cr_assert_str_eq(err.msg, "backup of 'acme/shop': cannot open '/x'");
    cr_assert_eq(jiku_err_set(NULL, JIKU_E_DATA, "ignored"), JIKU_E_DATA);
    jiku_err_clear(&err);
    cr_assert_eq(err.status, 0);
    cr_assert_str_eq(err.msg, "");
}

Test(err, prefix_of_a_full_message_stays_terminated)
{
    struct jiku_err err = {0};
    char big[JIKU_ERR_MSG_MAX];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    jiku_err_set(&err, JIKU_E_PANEL, "%s", big);
    jiku_err_prefix(&err, "context");
    cr_assert_eq(strlen(err.msg), sizeof(err.msg) - 1);
    cr_assert_eq(strncmp(err.msg, "context: xxx", 12), 0);
    cr_assert_str_eq(err.msg + sizeof(err.msg) - 4, "...");
}

Test(buf, grows_and_formats)
{
    struct jiku_buf b = JIKU_BUF_INIT;

    cr_assert_str_eq(jiku_buf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(jiku_buf_addf(&b, "%d,", i), 0);
    cr_assert_eq(strncmp(b.data, "0,1,2,", 6), 0);
    cr_assert_eq(b.len, strlen(b.data));
    jiku_buf_reset(&b);
    cr_assert_eq(b.len, 0);
    jiku_buf_adds(&b, "line \n\t ");
    jiku_buf_rtrim(&b);
    cr_assert_str_eq(b.data, "line");
    char *s = jiku_buf_detach(&b);
    cr_assert_str_eq(s, "line");
    cr_assert_null(b.data);
    free(s);
    s = jiku_buf_detach(&b);
    cr_assert_str_eq(s, "");
    free(s);
}

/* What a POSIX shell would make of a quoted word: undo '\'' and the surrounding quotes. */
static char *
shell_unquote(const char *q)
{
    struct jiku_buf out = JIKU_BUF_INIT;
    bool in = false;

    for (const char *p = q; *p != '\0'; p++) {
        if (*p == '\'') {
            in = !in;
        } else if (!in && *p == '\\') {
            jiku_buf_addch(&out, *++p);
        } else {
            cr_assert(in, "unquoted byte 0x%02x outside single quotes in %s", (unsigned char)*p, q);
            jiku_buf_addch(&out, *p);
        }
    }
    cr_assert(!in, "unterminated quote in %s", q);
    return jiku_buf_detach(&out);
}

Test(buf, shell_word_quotes_every_byte)
{
    char word[256];
    struct jiku_buf b = JIKU_BUF_INIT;

    for (int i = 1; i < 256; i++)
        word[i - 1] = (char)i;
    word[255] = '\0';
    cr_assert_eq(jiku_buf_add_shell_word(&b, word), 0);
    char *back = shell_unquote(b.data);
    cr_assert_str_eq(back, word);
    free(back);
    jiku_buf_reset(&b);
    jiku_buf_add_shell_word(&b, "");
    cr_assert_str_eq(b.data, "''");
    jiku_buf_reset(&b);
    jiku_buf_add_shell_word(&b, "it's; rm -rf /");
    cr_assert_str_eq(b.data, "'it'\\''s; rm -rf /'");
    jiku_buf_release(&b);
}

static void
count(struct jiku_out *out, const char *status, int code)
{
    struct jiku_op_report rep = {
        .target = "a/b", .action = "server.snapshot", .status = status, .status_code = code};

    out->json = true; /* counted, printed as JSON to the test's stdout */
    jiku_out_operation(out, &rep);
}

Test(output, exit_code_of_a_run)
{
    struct jiku_out out;

    jiku_out_init(&out, "snapshot", true, true);
    cr_assert_eq(jiku_out_exit_code(&out), 0);
    count(&out, "ok", 0);
    count(&out, "skipped", 0);
    cr_assert_eq(jiku_out_exit_code(&out), 0);
    count(&out, "denied", JIKU_E_DENIED);
    cr_assert_eq(jiku_out_exit_code(&out), 3, "some ok, some denied → partial");

    jiku_out_init(&out, "snapshot", true, true);
    count(&out, "failed", JIKU_E_UNREACHABLE);
    count(&out, "failed", JIKU_E_UNREACHABLE);
    cr_assert_eq(jiku_out_exit_code(&out), 69, "one shared failure code");
    count(&out, "failed", JIKU_E_DATA);
    cr_assert_eq(jiku_out_exit_code(&out), 1, "different failures → 1");

    jiku_out_init(&out, "rollback", true, true);
    count(&out, "interrupted", JIKU_E_INTERRUPTED);
    cr_assert_eq(jiku_out_exit_code(&out), 130);
}
