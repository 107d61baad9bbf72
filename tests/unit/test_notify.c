/*
 * The failure notice's message (agent/notify.c): headers, the date, the body's lines, and
 * that nothing in a subject or a body line can add a header.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "notify.h"

/* The header block of MSG (up to the blank line), malloc'd. */
static char *
headers_of(const struct jiku_buf *msg)
{
    const char *end = strstr(msg->data, "\n\n");

    cr_assert_not_null(end);
    return strndup(msg->data, (size_t)(end - msg->data) + 1);
}

Test(notify, compose)
{
    const char *const to[] = {"ops@example.com", "night@example.org", NULL};
    struct jiku_notice n = {.to = to,
                            .subject = "jiku-agent nightly on web: partial (exit 3)",
                            .date = 1795745700,
                            .head = "nightly: 1 ok, 1 failed, 0 denied, 0 skipped (exit 3)",
                            .body = "backup acme/shop: panel said no\n"};
    struct jiku_buf msg = JIKU_BUF_INIT;

    cr_assert_eq(jiku_notice_compose(&n, &msg), 0);
    cr_assert_str_eq(msg.data, "To: ops@example.com,\n\tnight@example.org\n"
                               "Subject: jiku-agent nightly on web: partial (exit 3)\n"
                               "Date: Fri, 27 Nov 2026 02:15:00 +0000\n"
                               "Auto-Submitted: auto-generated\n"
                               "MIME-Version: 1.0\n"
                               "Content-Type: text/plain; charset=utf-8\n"
                               "Content-Transfer-Encoding: 8bit\n"
                               "\n"
                               "nightly: 1 ok, 1 failed, 0 denied, 0 skipped (exit 3)\n"
                               "\n"
                               "backup acme/shop: panel said no\n");
    jiku_buf_release(&msg);
}

Test(notify, no_header_injection)
{
    const char *const to[] = {"ops@example.com", NULL};
    struct jiku_notice n = {.to = to,
                            .subject = "x\r\nBcc: evil@example.net\nX-Evil: 1",
                            .date = 0,
                            .head = "summary\r\nBcc: evil@example.net",
                            .body = "line\rBcc: evil@example.net\n\x1b[31mred\n"};
    struct jiku_buf msg = JIKU_BUF_INIT;
    char *h;

    cr_assert_eq(jiku_notice_compose(&n, &msg), 0);
    h = headers_of(&msg);
    cr_assert_null(strstr(h, "\nBcc:"), "%s", h);
    cr_assert_null(strstr(h, "\nX-Evil:"), "%s", h);
    cr_assert_not_null(strstr(h, "Subject: x??Bcc: evil@example.net?X-Evil: 1\n"), "%s", h);
    /* the body's lines are cleaned too: no CR, no escape sequence */
    cr_assert_null(strchr(msg.data, '\r'));
    cr_assert_null(strchr(msg.data, '\x1b'));
    cr_assert_not_null(strstr(msg.data, "\nline\\x0dBcc: evil@example.net\n"), "%s", msg.data);
    free(h);
    jiku_buf_release(&msg);
}

Test(notify, long_lines_are_cut)
{
    const char *const to[] = {"ops@example.com", NULL};
    struct jiku_notice n = {.to = to, .subject = "s", .date = 0, .head = "h"};
    struct jiku_buf msg = JIKU_BUF_INIT, body = JIKU_BUF_INIT;

    for (int i = 0; i < 3000; i++)
        cr_assert_eq(jiku_buf_addch(&body, 'a'), 0);
    n.body = body.data;
    cr_assert_eq(jiku_notice_compose(&n, &msg), 0);
    for (const char *p = msg.data; *p != '\0';) {
        const char *nl = strchr(p, '\n');

        cr_assert_not_null(nl);
        cr_assert_leq((size_t)(nl - p), 998);
        p = nl + 1;
    }
    jiku_buf_release(&msg);
    jiku_buf_release(&body);
}
