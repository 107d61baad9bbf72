/*
 * The sanitiser for human-readable text (agent/textsafe.c) with hostile strings, and the places
 * that use it: log lines (agent/log.c) and human and JSON output (agent/output.c).
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "output.h"
#include "textsafe.h"

static char *
field(const char *s)
{
    char *r = jiku_text_dup(s, JIKU_TEXT_FIELD);

    cr_assert_not_null(r);
    return r;
}

static void
expect(const char *in, enum jiku_text_mode mode, const char *want)
{
    char *got = jiku_text_dup(in, mode);

    cr_assert_not_null(got);
    cr_assert_str_eq(got, want, "'%s' became '%s', expected '%s'", in, got, want);
    cr_assert_eq(jiku_text_is_clean(in, mode), strcmp(in, want) == 0);
    free(got);
}

Test(textsafe, escape_sequences_are_shown_not_run)
{
    expect("\x1b[2J", JIKU_TEXT_FIELD, "\\x1b[2J");
    /* OSC 52: a file name that would set the admin's clipboard */
    expect("a\x1b]52;c;cm0gLXJmIH4=\x07z", JIKU_TEXT_FIELD, "a\\x1b]52;c;cm0gLXJmIH4=\\x07z");
    expect("\x1b]52;c;cm0=\x1b\\", JIKU_TEXT_FIELD, "\\x1b]52;c;cm0=\\x1b\\");
    /* a carriage return that would overwrite what the line said before it */
    expect("failed\rok    ", JIKU_TEXT_FIELD, "failed\\x0dok    ");
    /* C1 CSI as a raw byte, and as a UTF-8 encoded code point */
    expect("x\x9b"
           "2Jy",
           JIKU_TEXT_FIELD, "x\\x9b2Jy");
    expect("x\xc2\x9b"
           "2Jy",
           JIKU_TEXT_FIELD, "x\\xc2\\x9b2Jy");
    expect("bell\x07 del\x7f nul-free", JIKU_TEXT_FIELD, "bell\\x07 del\\x7f nul-free");
    expect("tab\there", JIKU_TEXT_FIELD, "tab\\x09here");
}

Test(textsafe, newlines_by_mode)
{
    expect("one\ntwo", JIKU_TEXT_FIELD, "one\\x0atwo");
    expect("one\ntwo\n", JIKU_TEXT_LINES, "one\ntwo\n");
    /* several lines still keep every other control out */
    expect("one\r\n\x1b[31mtwo\n", JIKU_TEXT_LINES, "one\\x0d\n\\x1b[31mtwo\n");
    /* U+2028 and U+2029 break a line in some terminals and viewers */
    expect("a\xe2\x80\xa8z", JIKU_TEXT_FIELD, "a\\xe2\\x80\\xa8z");
}

Test(textsafe, invalid_utf8_byte_by_byte)
{
    expect("\xff\xfe", JIKU_TEXT_FIELD, "\\xff\\xfe");
    expect("cut \xe6\x97", JIKU_TEXT_FIELD, "cut \\xe6\\x97");           /* sequence cut short */
    expect("\xc0\xaf", JIKU_TEXT_FIELD, "\\xc0\\xaf");                   /* overlong '/' */
    expect("\xe0\x80\xaf", JIKU_TEXT_FIELD, "\\xe0\\x80\\xaf");          /* overlong */
    expect("\xed\xa0\x80", JIKU_TEXT_FIELD, "\\xed\\xa0\\x80");          /* a surrogate */
    expect("\xf4\x90\x80\x80", JIKU_TEXT_FIELD, "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
    /* a lone continuation byte, then good text again */
    expect("\x80"
           "abc",
           JIKU_TEXT_FIELD, "\\x80abc");
    /* an invalid lead followed by a valid character keeps the character */
    expect("\xe6"
           "\xc3\xbc",
           JIKU_TEXT_FIELD, "\\xe6\xc3\xbc");
}

Test(textsafe, valid_text_unchanged)
{
    expect("Müller", JIKU_TEXT_FIELD, "Müller");
    expect("日本", JIKU_TEXT_FIELD, "日本");
    expect("shop.acme.example/wp-content/über 🙂.php", JIKU_TEXT_FIELD,
           "shop.acme.example/wp-content/über 🙂.php");
    expect("C:\\path\\x1b stays literal", JIKU_TEXT_FIELD, "C:\\path\\x1b stays literal");
    expect("", JIKU_TEXT_FIELD, "");
}

Test(textsafe, bidi_controls_escaped)
{
    /* "Trojan source": U+202E reverses what follows on the screen */
    expect("invoice\xe2\x80\xae"
           "fdp.exe",
           JIKU_TEXT_FIELD, "invoice\\xe2\\x80\\xaefdp.exe");
    expect("\xe2\x81\xa6x\xe2\x81\xa9", JIKU_TEXT_FIELD, "\\xe2\\x81\\xa6x\\xe2\\x81\\xa9");
}

Test(textsafe, json_mode_only_repairs_utf8)
{
    /* controls are jansson's to escape (\u00XX); invalid bytes would make it drop the line */
    expect("a\x1b[2J\n", JIKU_TEXT_UTF8, "a\x1b[2J\n");
    expect("Müller \xff", JIKU_TEXT_UTF8, "Müller \\xff");
}

Test(textsafe, copy_cuts_at_whole_units)
{
    char buf[16];

    cr_assert_eq(jiku_text_copy(buf, sizeof(buf), "short", JIKU_TEXT_FIELD), 5);
    cr_assert_str_eq(buf, "short");
    /* 15 characters fit exactly */
    jiku_text_copy(buf, sizeof(buf), "123456789012345", JIKU_TEXT_FIELD);
    cr_assert_str_eq(buf, "123456789012345");
    jiku_text_copy(buf, sizeof(buf), "1234567890123456", JIKU_TEXT_FIELD);
    cr_assert_str_eq(buf, "123456789012...");
    /* an escape is never split */
    jiku_text_copy(buf, sizeof(buf), "12345678901\x1b[2J", JIKU_TEXT_FIELD);
    cr_assert_str_eq(buf, "12345678901...");
    /* nor is a character */
    jiku_text_copy(buf, sizeof(buf), "1234567890日本", JIKU_TEXT_FIELD);
    cr_assert_str_eq(buf, "1234567890...");
    jiku_text_copy(buf, 3, "\x1b", JIKU_TEXT_FIELD);
    cr_assert_str_eq(buf, "");
    cr_assert_eq(jiku_text_copy(buf, 1, "abc", JIKU_TEXT_FIELD), 0);
    cr_assert_str_eq(buf, "");
}

Test(textsafe, dup_of_null)
{
    char *s = field("x");

    cr_assert_null(jiku_text_dup(NULL, JIKU_TEXT_FIELD));
    free(s);
}

/* Everything the redirected FP received. Caller frees. */
static char *
drain(FILE *fp)
{
    size_t cap = 1 << 16, len;
    char *buf = calloc(1, cap);

    cr_assert_not_null(buf);
    rewind(fp);
    len = fread(buf, 1, cap - 1, fp);
    buf[len] = '\0';
    return buf;
}

static char *
captured_stderr(void)
{
    fflush(stderr);
    return drain(cr_get_redirected_stderr());
}

static char *
captured_stdout(void)
{
    fflush(stdout);
    return drain(cr_get_redirected_stdout());
}

Test(textsafe, log_lines, .init = cr_redirect_stderr)
{
    char *got;

    jiku_log_setup(JIKU_LOG_STDERR, JIKU_LOG_DEBUG);
    log_warn("cannot read '%s'", "evil\x1b[2J\nname\r\x9b");
    log_warn("user %s", "Müller 日本");
    got = captured_stderr();
    cr_assert_str_eq(got, "jiku-agent: warning: cannot read 'evil\\x1b[2J\\x0aname\\x0d\\x9b'\n"
                          "jiku-agent: warning: user Müller 日本\n");
    free(got);
}

Test(textsafe, log_line_with_prefix, .init = cr_redirect_stderr)
{
    char *got;

    jiku_log_setup(JIKU_LOG_STDERR, JIKU_LOG_DEBUG);
    /* how host.c logs for a plugin */
    jiku_log(JIKU_LOG_INFO, "%s", "x");
    got = captured_stderr();
    cr_assert_str_eq(got, "jiku-agent: info: x\n");
    free(got);
}

static void plugin_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
plugin_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    jiku_vlog(JIKU_LOG_WARN, "cpanel: acme/shop", fmt, ap);
    va_end(ap);
}

Test(textsafe, plugin_log_lines, .init = cr_redirect_stderr)
{
    char *got;

    jiku_log_setup(JIKU_LOG_STDERR, JIKU_LOG_WARN);
    plugin_log("panel said: %s", "\x1b]0;owned\x07 done");
    got = captured_stderr();
    cr_assert_str_eq(got, "jiku-agent: warning: cpanel: acme/shop: panel said: "
                          "\\x1b]0;owned\\x07 done\n");
    free(got);
}

static struct jiku_op_report
hostile_report(void)
{
    struct jiku_op_report rep = {
        .target = "acme/shop",
        .action = "server.rollback",
        .status = "failed",
        .status_code = JIKU_E_PANEL,
        .error = strdup("restore failed: \x1b[2J\r\xff owner 'Müller'\nforged line"),
    };

    cr_assert_not_null(rep.error);
    return rep;
}

Test(textsafe, human_failure_line, .init = cr_redirect_stderr)
{
    struct jiku_op_report rep = hostile_report();
    struct jiku_out out;
    char *got;

    jiku_out_init(&out, "rollback", false, false);
    jiku_out_operation(&out, &rep);
    got = captured_stderr();
    cr_assert_str_eq(got, "jiku-agent: server.rollback acme/shop: restore failed: "
                          "\\x1b[2J\\x0d\\xff owner 'Müller'\\x0aforged line\n");
    free(got);
    free(rep.error);
}

Test(textsafe, human_change_list_and_warnings, .init = cr_redirect_stdout)
{
    struct jiku_op_report rep = {
        .target = "acme/shop",
        .action = "server.rollback",
        .status = "skipped",
        .details = strdup("would restore public_html/\x1b[2Jx.php\nwould remove a\rb"),
        .warnings = strdup("WARN: \x1b[31mred\nWARN: second"),
    };
    struct jiku_out out;
    char *got;

    jiku_out_init(&out, "rollback", false, false);
    out.dry_run = true;
    jiku_out_operation(&out, &rep);
    got = captured_stdout();
    cr_assert(strstr(got, "\n  warning: WARN: \\x1b[31mred\n  warning: WARN: second\n"), "%s", got);
    cr_assert(strstr(got, "would restore public_html/\\x1b[2Jx.php\nwould remove a\\x0db\n"), "%s",
              got);
    cr_assert_null(strchr(got, '\x1b'));
    cr_assert_null(strchr(got, '\r'));
    free(got);
    free(rep.details);
    free(rep.warnings);
}

Test(textsafe, out_text_keeps_layout, .init = cr_redirect_stdout)
{
    struct jiku_out out;
    char *got;

    jiku_out_init(&out, "discover", false, false);
    jiku_out_text(&out, "%-6s %s\n", "site", "evil\x1b[2J.example\x9b");
    got = captured_stdout();
    cr_assert_str_eq(got, "site   evil\\x1b[2J.example\\x9b\n");
    free(got);
}

Test(textsafe, json_escapes_controls_and_keeps_bad_utf8_lines, .init = cr_redirect_stdout)
{
    struct jiku_op_report rep = hostile_report();
    struct jiku_out out;
    char *got;

    jiku_out_init(&out, "rollback", true, false);
    jiku_out_operation(&out, &rep);
    jiku_out_error(&out, JIKU_E_PANEL, "bad \xff\x1b");
    got = captured_stdout();
    /* controls as \u00XX in upper case (\r and \n in their short forms), non-ASCII as \uXXXX */
    cr_assert(strstr(got, "\"error\":\"restore failed: \\u001B[2J\\r\\\\xff owner "
                          "'M\\u00FCller'\\nforged line\""),
              "%s", got);
    cr_assert(strstr(got, "\"message\":\"bad \\\\xff\\u001B\""), "%s", got);
    cr_assert_null(strchr(got, '\x1b'));
    cr_assert_null(strchr(got, '\r'));
    /* two lines: the operation and the error, each one JSON object */
    cr_assert_eq(strchr(strchr(got, '\n') + 1, '\n')[1], '\0', "%s", got);
    free(got);
    free(rep.error);
}
