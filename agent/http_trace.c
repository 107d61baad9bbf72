/*
 * Wire traces at -vvv and request names in messages, with secrets kept out: credential
 * headers are redacted, bodies are reported only by size, cookie engine chatter is dropped.
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"
#include "log.h"

/* Headers whose values are credentials or sessions whatever the caller says. */
static const char *const secret_headers[] = {
    "Authorization", "Proxy-Authorization", "HTTP_AUTH_PASSWD", "KEY", "Cookie", "Set-Cookie",
};

static bool
is_secret_header(const struct jiku_http_request *req, const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(secret_headers) / sizeof(secret_headers[0]); i++)
        if (strlen(secret_headers[i]) == len && strncasecmp(secret_headers[i], name, len) == 0)
            return true;
    for (size_t i = 0; req != NULL && i < req->n_headers; i++)
        if (req->headers[i].secret && strlen(req->headers[i].name) == len &&
            strncasecmp(req->headers[i].name, name, len) == 0)
            return true;
    return false;
}

/*
 * A path as it may appear in messages: the query dropped (it may carry parameters nobody
 * should find in syslog) and cPanel's session segment ("/cpsess0123456789/") hidden, since
 * that is a credential in a URL.
 */
int
jiku_http_add_loggable_path(struct jiku_buf *b, const char *path)
{
    size_t n = strcspn(path, "?");
    int r = 0;

    for (size_t i = 0; i < n && r == 0;) {
        if (path[i] == '/' && strncmp(path + i + 1, "cpsess", 6) == 0) {
            r = jiku_buf_adds(b, "/cpsess*");
            i += 7;
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

/* One line of a wire trace, secrets replaced by "<redacted>", unprintable bytes by '?'. */
static void
trace_line(const struct jiku_http_request *req, const char *dir, const char *line, size_t len,
           bool header)
{
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
    if (colon != NULL && is_secret_header(req, line, (size_t)(colon - line)))
        shown = (size_t)(colon - line) + 1;
    if (colon != NULL && (size_t)(colon - line) == 8 && strncasecmp(line, "Location", 8) == 0 &&
        memmem(line, len, "/cpsess", 7) != NULL) {
        /* A cPanel session redirect names the session: shown as paths in messages are. */
        struct jiku_buf v = JIKU_BUF_INIT;

        if (jiku_buf_add(&v, colon + 1, len - (size_t)(colon + 1 - line)) == 0 &&
            jiku_buf_adds(&b, "Location: ") == 0 &&
            jiku_http_add_loggable_path(&b, v.data + strspn(v.data, " ")) == 0)
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
            jiku_http_add_loggable_path(&b, req->path) != 0)
            goto out;
    }
    jiku_log(JIKU_LOG_TRACE, "%s %s", dir, b.data);
out:
    jiku_buf_release(&b);
}

static void
trace_block(const struct jiku_http_request *req, const char *dir, const char *data, size_t size,
            bool header)
{
    while (size > 0) {
        const char *nl = memchr(data, '\n', size);
        size_t len = nl ? (size_t)(nl - data) : size;
        size_t skip = nl ? len + 1 : len;

        while (len > 0 && data[len - 1] == '\r')
            len--;
        trace_line(req, dir, data, len, header);
        data += skip;
        size -= skip;
    }
}

/* -vvv: headers with secrets redacted, bodies only by size (they can carry session tokens). */
int
jiku_http_trace(CURL *curl, curl_infotype type, char *data, size_t size, void *arg)
{
    const struct jiku_http_request *req = arg;

    (void)curl;
    switch (type) {
    case CURLINFO_TEXT:
        trace_block(req, "*", data, size, false);
        break;
    case CURLINFO_HEADER_OUT:
        trace_block(req, ">", data, size, true);
        break;
    case CURLINFO_HEADER_IN:
        trace_block(req, "<", data, size, true);
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
