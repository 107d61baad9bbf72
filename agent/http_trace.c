/*
 * Wire traces at -vvv and request names in messages, with secrets kept out: credential
 * headers are redacted (HTTP's, the request's and the panel's: plugin.h, struct
 * jiku_panel_facts), bodies are reported only by size, cookie engine chatter is dropped.
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"
#include "log.h"

/* Headers whose values are HTTP's own credentials or sessions whatever the caller says. */
static const char *const secret_headers[] = {
    "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", NULL,
};

static bool
in_list(const char *const *list, const char *name, size_t len)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++)
        if (strlen(list[i]) == len && strncasecmp(list[i], name, len) == 0)
            return true;
    return false;
}

static bool
is_secret_header(const struct jiku_http_trace_ctx *t, const char *name, size_t len)
{
    const struct jiku_http_request *req = t->req;

    if (in_list(secret_headers, name, len) ||
        (t->facts != NULL && in_list(t->facts->secret_headers, name, len)))
        return true;
    for (size_t i = 0; req != NULL && i < req->n_headers; i++)
        if (req->headers[i].secret && strlen(req->headers[i].name) == len &&
            strncasecmp(req->headers[i].name, name, len) == 0)
            return true;
    return false;
}

/* The prefix of a secret segment of FACTS that the N bytes at S start with, or NULL. */
static const char *
secret_segment(const struct jiku_panel_facts *facts, const char *s, size_t n)
{
    const char *const *list = facts != NULL ? facts->secret_segments : NULL;

    for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
        size_t k = strlen(list[i]);

        if (k <= n && memcmp(s, list[i], k) == 0)
            return list[i];
    }
    return NULL;
}

/*
 * A path as it may appear in messages: the query dropped (it may carry parameters nobody
 * should find in syslog) and each segment the panel calls a secret (cPanel's session,
 * cpsess0123456789) shown as its prefix and '*', since those are credentials in a URL.
 */
int
jiku_http_add_loggable_path(struct jiku_buf *b, const struct jiku_panel_facts *facts,
                            const char *path)
{
    size_t n = strcspn(path, "?");
    const char *secret;
    int r = 0;

    for (size_t i = 0; i < n && r == 0;) {
        if (path[i] == '/' && (secret = secret_segment(facts, path + i + 1, n - i - 1)) != NULL) {
            r = jiku_buf_addf(b, "/%s*", secret);
            i += 1 + strlen(secret);
            while (i < n && path[i] != '/')
                i++;
            continue;
        }
        r = jiku_buf_addch(b, path[i++]);
    }
    if (r == 0 && path[n] == '?')
        r = jiku_buf_adds(b, "?...");
    return r;
}

/* Whether the LEN bytes at S name a path segment FACTS calls a secret. */
static bool
names_secret_segment(const struct jiku_panel_facts *facts, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '/' && secret_segment(facts, s + i + 1, len - i - 1) != NULL)
            return true;
    return false;
}

/* One line of a wire trace, secrets replaced by "<redacted>", unprintable bytes by '?'. */
static void
trace_line(const struct jiku_http_trace_ctx *t, const char *dir, const char *line, size_t len,
           bool header)
{
    const struct jiku_http_request *req = t->req;
    struct jiku_buf b = JIKU_BUF_INIT;
    const char *colon = header ? memchr(line, ':', len) : NULL;
    size_t shown = len;

    if (len == 0)
        return;
    if (!header && memmem(line, len, "ookie", 5) != NULL) {
        /* libcurl's cookie engine reports each cookie with its value. */
        jiku_log(JIKU_LOG_TRACE, "%s <cookie engine message redacted>", dir);
        return;
    }
    if (colon != NULL && is_secret_header(t, line, (size_t)(colon - line)))
        shown = (size_t)(colon - line) + 1;
    if (colon != NULL && (size_t)(colon - line) == 8 && strncasecmp(line, "Location", 8) == 0 &&
        names_secret_segment(t->facts, colon, len - (size_t)(colon - line))) {
        /* A redirect into a panel session names the session: shown as paths in messages are. */
        struct jiku_buf v = JIKU_BUF_INIT;

        if (jiku_buf_add(&v, colon + 1, len - (size_t)(colon + 1 - line)) == 0 &&
            jiku_buf_adds(&b, "Location: ") == 0 &&
            jiku_http_add_loggable_path(&b, t->facts, v.data + strspn(v.data, " ")) == 0)
            jiku_log(JIKU_LOG_TRACE, "%s %s", dir, b.data);
        jiku_buf_release(&v);
        goto out;
    }
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)line[i];
        if (jiku_buf_addch(&b, (c < 0x20 || c >= 0x7f) ? '?' : (char)c) != 0)
            goto out;
    }
    if (shown < len && jiku_buf_adds(&b, " <redacted>") != 0)
        goto out;
    if (header && dir[0] == '>' && len > strlen(req->method) &&
        strncmp(line, req->method, strlen(req->method)) == 0 && line[strlen(req->method)] == ' ') {
        /* The request line: show the path as messages do. */
        jiku_buf_reset(&b);
        if (jiku_buf_addf(&b, "%s ", req->method) != 0 ||
            jiku_http_add_loggable_path(&b, t->facts, req->path) != 0)
            goto out;
    }
    jiku_log(JIKU_LOG_TRACE, "%s %s", dir, b.data);
out:
    jiku_buf_release(&b);
}

static void
trace_block(const struct jiku_http_trace_ctx *t, const char *dir, const char *data, size_t size,
            bool header)
{
    while (size > 0) {
        const char *nl = memchr(data, '\n', size);
        size_t len = nl ? (size_t)(nl - data) : size;
        size_t skip = nl ? len + 1 : len;

        while (len > 0 && data[len - 1] == '\r')
            len--;
        trace_line(t, dir, data, len, header);
        data += skip;
        size -= skip;
    }
}

/* -vvv: headers with secrets redacted, bodies only by size (they can carry session tokens). */
int
jiku_http_trace(CURL *curl, curl_infotype type, char *data, size_t size, void *arg)
{
    const struct jiku_http_trace_ctx *t = arg;

    (void)curl;
    switch (type) {
    case CURLINFO_TEXT:
        trace_block(t, "*", data, size, false);
        break;
    case CURLINFO_HEADER_OUT:
        trace_block(t, ">", data, size, true);
        break;
    case CURLINFO_HEADER_IN:
        trace_block(t, "<", data, size, true);
        break;
    case CURLINFO_DATA_OUT:
        jiku_log(JIKU_LOG_TRACE, "> [%zu bytes of body]", size);
        break;
    case CURLINFO_DATA_IN:
        jiku_log(JIKU_LOG_TRACE, "< [%zu bytes of body]", size);
        break;
    default:
        break;
    }
    return 0;
}
