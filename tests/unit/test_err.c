/*
 * The status → exit code table (jiku-agent(8), EXIT STATUS), error messages, and how a run's
 * operations add up to one exit code.  jiku_buf has test_buf.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "err.h"
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
    /* The statuses run from JIKU_OK down to JIKU_E_UNSUPPORTED without a gap. */
    for (int a = JIKU_OK; a >= JIKU_E_UNSUPPORTED; a--) {
        cr_assert_str_neq(jiku_status_name(a), "unknown", "status %d has no name", a);
        for (int b = a - 1; b >= JIKU_E_UNSUPPORTED; b--)
            cr_assert_str_neq(jiku_status_name(a), jiku_status_name(b),
                              "statuses %d and %d are both named '%s'", a, b, jiku_status_name(a));
    }
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
