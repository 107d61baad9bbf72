/*
 * struct jiku_buf: growth, formatting, the never-NULL data of an empty buffer (a static "" that
 * release, detach and reset leave alone), and the shell quoting function.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jiku/buf.h"

/* A file-scope buffer: JIKU_BUF_INIT is a constant initialiser. */
static struct jiku_buf static_buf = JIKU_BUF_INIT;

Test(buf, empty_data_is_never_null)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    struct jiku_buf c;

    cr_assert_not_null(static_buf.data);
    cr_assert_str_eq(static_buf.data, "");
    jiku_buf_init(&c);
    cr_assert_not_null(c.data);
    cr_assert_str_eq(c.data, "");
    cr_assert_eq(c.len, 0);
    /* The static "" is read-only: a write into it or a free of it would crash the test. */
    jiku_buf_reset(&b);
    jiku_buf_rtrim(&b);
    jiku_buf_release(&b);
    jiku_buf_release_secure(&c);
    cr_assert_str_eq(b.data, "");
    cr_assert_str_eq(c.data, "");
    jiku_buf_release(&b);
}

Test(buf, detach_of_an_empty_buffer_is_the_callers)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    char *s = jiku_buf_detach(&b);

    cr_assert_not_null(s);
    cr_assert_str_eq(s, "");
    cr_assert_neq(s, b.data, "detach handed out the static \"\"");
    s[0] = 'x'; /* the caller's to write */
    free(s);
    cr_assert_str_eq(b.data, "");
}

Test(buf, released_buffer_grows_again)
{
    struct jiku_buf b = JIKU_BUF_INIT;

    cr_assert_eq(jiku_buf_adds(&b, "abc"), 0);
    jiku_buf_release(&b);
    cr_assert_str_eq(b.data, "");
    cr_assert_eq(b.cap, 0);
    cr_assert_eq(jiku_buf_addch(&b, 'x'), 0);
    cr_assert_str_eq(b.data, "x");
    jiku_buf_reset(&b);
    cr_assert_str_eq(b.data, "");
    cr_assert_gt(b.cap, 0, "reset keeps the storage");
    jiku_buf_release(&b);
}

Test(buf, grows_and_formats)
{
    struct jiku_buf b = JIKU_BUF_INIT;

    cr_assert_str_eq(b.data, "");
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
    cr_assert_str_eq(b.data, "");
    cr_assert_eq(b.cap, 0);
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
