/*
 * The INI line reader on its own (agent/ini_lines.c): what inih gets for each kind of line, what
 * is reported, and at which line.  Every callback and every key inih hands over is written to
 * one log, and each test compares the whole log, so nothing extra can slip through.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ini_lines.h"
#include "jiku/buf.h"
#include "jiku/err.h"

static char tmpdir[64];
static struct jiku_buf path = JIKU_BUF_INIT;
static struct jiku_buf log_ = JIKU_BUF_INIT;
static struct jiku_ini ini;
static const char *replace_with; /* what the line callback hands inih instead; NULL: the text */

static void
setup(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/jiku-ini-test.XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
    jiku_buf_addf(&path, "%s/test.ini", tmpdir);
}

static void
teardown(void)
{
    jiku_ini_close(&ini);
    unlink(path.data);
    rmdir(tmpdir);
    jiku_buf_release(&path);
    jiku_buf_release(&log_);
}

TestSuite(ini_lines, .init = setup, .fini = teardown);

static void
write_text(const char *text, size_t len)
{
    FILE *f = fopen(path.data, "w");

    cr_assert_not_null(f, "cannot write %s", path.data);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

static const char *const fault_names[] = {"nul", "too-long", "indented", "read"};

static void
on_problem(void *user, const struct jiku_ini_problem *pb)
{
    cr_assert_eq(user, &log_);
    jiku_buf_addf(&log_, "problem %d %s%s: %s\n", pb->line, fault_names[pb->fault],
                  pb->header ? " header" : "", pb->msg);
    if (pb->fault == JIKU_INI_READ)
        jiku_buf_addf(&log_, "errno %d\n", pb->errnum);
}

static const char *
on_line(void *user, int line, char *text, char *out, size_t outlen)
{
    cr_assert_eq(user, &log_);
    cr_assert_eq(line, jiku_ini_line(&ini));
    cr_assert_geq(outlen, strlen(text) + 1);
    jiku_buf_addf(&log_, "line %d: '%s'\n", line, text);
    if (replace_with == NULL)
        return text;
    if (strcmp(replace_with, "OUT") == 0) {
        snprintf(out, outlen, "k%d=in out", line);
        return out;
    }
    return replace_with;
}

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
    cr_assert_eq(user, &log_);
    jiku_buf_addf(&log_, "key %d [%s] '%s'='%s'\n", jiku_ini_line(&ini), section, name, value);
    return 1;
}

static const struct jiku_ini_ops both = {on_problem, on_line};
static const struct jiku_ini_ops problems_only = {on_problem, NULL};

/* Read LEN bytes of TEXT with OPS; returns ini_parse_stream's answer. */
static int
parse(const struct jiku_ini_ops *ops, const char *text, size_t len)
{
    int r;

    write_text(text, len);
    cr_assert_eq(jiku_ini_open(&ini, path.data, ops, &log_), 0);
    cr_assert(jiku_ini_regular(&ini));
    r = jiku_ini_parse(&ini, on_key, &log_);
    jiku_ini_close(&ini);
    return r;
}

static void
expect_log(const char *want)
{
    cr_expect_str_eq(log_.data, want);
}

Test(ini_lines, plain_lines_reach_inih_and_are_counted)
{
    static const char text[] = "[a]\nk = v\n\n[b c]\nx=1\n";

    cr_expect_eq(parse(&both, text, sizeof(text) - 1), 0);
    expect_log("line 1: '[a]'\n"
               "line 2: 'k = v'\n"
               "key 2 [a] 'k'='v'\n"
               "line 3: ''\n"
               "line 4: '[b c]'\n"
               "line 5: 'x=1'\n"
               "key 5 [b c] 'x'='1'\n");
    cr_expect_eq(jiku_ini_line(&ini), 0, "closing resets the reader");
}

Test(ini_lines, crlf_and_a_bom_on_the_first_line_only)
{
    static const char text[] = "\xEF\xBB\xBF[a]\r\nk = v\r\n\xEF\xBB\xBFz = 1\n";

    cr_expect_eq(parse(&both, text, sizeof(text) - 1), 0);
    expect_log("line 1: '[a]'\n"
               "line 2: 'k = v'\n"
               "key 2 [a] 'k'='v'\n"
               "line 3: '\xEF\xBB\xBFz = 1'\n"
               "key 3 [a] '\xEF\xBB\xBFz'='1'\n");
}

Test(ini_lines, last_line_without_newline)
{
    static const char text[] = "[a]\nk = v";

    cr_expect_eq(parse(&problems_only, text, sizeof(text) - 1), 0);
    expect_log("key 2 [a] 'k'='v'\n");
}

Test(ini_lines, comments_and_blank_lines_arrive_empty)
{
    static const char text[] = "# c\n; c\n   \n\t\n  # indented\n\t; indented\n[a]\n";

    cr_expect_eq(parse(&both, text, sizeof(text) - 1), 0);
    expect_log("line 1: ''\n"
               "line 2: ''\n"
               "line 3: ''\n"
               "line 4: ''\n"
               "line 5: ''\n"
               "line 6: ''\n"
               "line 7: '[a]'\n");
}

Test(ini_lines, inline_comments_need_a_blank_before_the_semicolon)
{
    static const char text[] = "[a] ; the section\n"
                               "k = v ; comment\n"
                               "e = ; inih alone would keep this as the value\n"
                               "t = v\t;tab\n"
                               "glued = a;b\n"
                               "hash = a # b\n"
                               "trailing = v \t \n";

    cr_expect_eq(parse(&both, text, sizeof(text) - 1), 0);
    expect_log("line 1: '[a]'\n"
               "line 2: 'k = v'\n"
               "key 2 [a] 'k'='v'\n"
               "line 3: 'e ='\n"
               "key 3 [a] 'e'=''\n"
               "line 4: 't = v'\n"
               "key 4 [a] 't'='v'\n"
               "line 5: 'glued = a;b'\n"
               "key 5 [a] 'glued'='a;b'\n"
               "line 6: 'hash = a # b'\n"
               "key 6 [a] 'hash'='a # b'\n"
               "line 7: 'trailing = v'\n"
               "key 7 [a] 'trailing'='v'\n");
}

Test(ini_lines, indented_line_is_rejected_not_glued)
{
    static const char text[] = "[a]\nk = v\n  more words\n\tx = 1\n  [b]\ny = 2\n";

    cr_expect_eq(parse(&problems_only, text, sizeof(text) - 1), 0);
    expect_log("key 2 [a] 'k'='v'\n"
               "problem 3 indented: indented line (continuation lines are not supported)\n"
               "problem 4 indented: indented line (continuation lines are not supported)\n"
               "problem 5 indented header: indented line (continuation lines are not "
               "supported)\n"
               "key 6 [a] 'y'='2'\n");
}

Test(ini_lines, nul_byte)
{
    static const char text[] = "[a]\nk = v\0w\n[b\0]\nz = 1\n";

    cr_expect_eq(parse(&both, text, sizeof(text) - 1), 0);
    expect_log("line 1: '[a]'\n"
               "problem 2 nul: line contains a NUL byte\n"
               "problem 3 nul header: line contains a NUL byte\n"
               "line 4: 'z = 1'\n"
               "key 4 [a] 'z'='1'\n");
}

/* LEN characters: "k = " and x's, or "[" and x's and "]" when HEADER. */
static void
add_long_line(struct jiku_buf *b, size_t len, bool header)
{
    size_t start = b->len;

    jiku_buf_adds(b, header ? "[" : "k = ");
    while (b->len - start < len - (header ? 1 : 0))
        jiku_buf_addch(b, 'x');
    if (header)
        jiku_buf_addch(b, ']');
    jiku_buf_addch(b, '\n');
}

Test(ini_lines, line_limit_is_inih_buffer_less_one)
{
    struct jiku_buf text = JIKU_BUF_INIT;
    struct jiku_buf want = JIKU_BUF_INIT;

    /* Debian's inih passes a 200-byte buffer: 199 characters and the NUL fit */
    cr_assert_eq(INI_MAX_LINE, 200, "the expectations below are for Debian's libinih build");
    jiku_buf_adds(&text, "[a]\n");
    add_long_line(&text, 199, false);
    add_long_line(&text, 200, false);
    add_long_line(&text, 10000, true);
    jiku_buf_adds(&text, "after = 1\n");
    cr_expect_eq(parse(&problems_only, text.data, text.len), 0);

    jiku_buf_adds(&want, "key 2 [a] 'k'='");
    for (size_t i = 4; i < 199; i++)
        jiku_buf_addch(&want, 'x');
    jiku_buf_adds(&want, "'\n"
                         "problem 3 too-long: line is 200 characters long, the limit is 199\n"
                         "problem 4 too-long header: line is 10000 characters long, the limit "
                         "is 199\n"
                         "key 5 [a] 'after'='1'\n");
    expect_log(want.data);
    jiku_buf_release(&text);
    jiku_buf_release(&want);
}

Test(ini_lines, the_bom_counts_towards_the_limit)
{
    struct jiku_buf text = JIKU_BUF_INIT;

    jiku_buf_adds(&text, "\xEF\xBB\xBF");
    add_long_line(&text, 197, true);
    cr_expect_eq(parse(&problems_only, text.data, text.len), 0);
    expect_log("problem 1 too-long header: line is 200 characters long, the limit is 199\n");
    jiku_buf_release(&text);
}

Test(ini_lines, callback_decides_what_inih_reads)
{
    static const char text[] = "[a]\nk = v\nnot a pair\n";

    replace_with = "OUT";
    cr_expect_eq(parse(&both, text, sizeof(text) - 1), 0);
    expect_log("line 1: '[a]'\n"
               "key 1 [] 'k1'='in out'\n"
               "line 2: 'k = v'\n"
               "key 2 [] 'k2'='in out'\n"
               "line 3: 'not a pair'\n"
               "key 3 [] 'k3'='in out'\n");

    jiku_buf_reset(&log_);
    replace_with = "";
    cr_expect_eq(parse(&both, text, sizeof(text) - 1), 0);
    expect_log("line 1: '[a]'\n"
               "line 2: 'k = v'\n"
               "line 3: 'not a pair'\n");
}

Test(ini_lines, syntax_error_line_comes_from_inih)
{
    static const char text[] = "[a]\nk = v\nnot a pair\n[b\nz = 1\n";

    cr_expect_eq(parse(&problems_only, text, sizeof(text) - 1), 3);
    expect_log("key 2 [a] 'k'='v'\n"
               "key 5 [a] 'z'='1'\n");
}

Test(ini_lines, empty_file)
{
    cr_expect_eq(parse(&both, "", 0), 0);
    expect_log("");
}

Test(ini_lines, missing_file)
{
    errno = 0;
    cr_expect_eq(jiku_ini_open(&ini, path.data, &both, &log_), JIKU_E_IO);
    cr_expect_eq(errno, ENOENT);
    jiku_ini_close(&ini); /* harmless after a failed open */
    expect_log("");
}

Test(ini_lines, directory_is_not_regular_and_cannot_be_read)
{
    int r;

    cr_assert_eq(jiku_ini_open(&ini, tmpdir, &both, &log_), 0);
    cr_expect_not(jiku_ini_regular(&ini));
    r = jiku_ini_parse(&ini, on_key, &log_);
    cr_expect_eq(r, 0);
    cr_expect_eq(jiku_ini_line(&ini), 0);
    jiku_buf_reset(&path);
    jiku_buf_addf(&path, "problem 0 read: read error: %s\nerrno %d\n", strerror(EISDIR), EISDIR);
    expect_log(path.data);
    jiku_buf_reset(&path); /* teardown unlinks it */
    jiku_buf_addf(&path, "%s/test.ini", tmpdir);
}
