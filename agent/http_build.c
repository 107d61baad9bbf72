/*
 * Turning a jiku_http_request into a URL and a header list, refusing anything that could
 * smuggle a second header or request line: the checks run before any byte is sent.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

#define MAX_HEADER_NAME 128

static bool
valid_path(const char *p)
{
    if (p == NULL || p[0] != '/')
        return false;
    for (const unsigned char *s = (const unsigned char *)p; *s != '\0'; s++)
        if (*s <= 0x20 || *s >= 0x7f || *s == '#')
            return false;
    return true;
}

/* RFC 9110 token characters. */
static bool
valid_header_name(const char *s)
{
    size_t n = 0;

    if (s == NULL)
        return false;
    for (; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("!#$%&'*+-.^_`|~", c) != NULL))
            return false;
    }
    return n > 0 && n <= MAX_HEADER_NAME;
}

/* No CR, LF or other control characters (a tab is fine): nothing can forge another header. */
static bool
valid_header_value(const char *s)
{
    if (s == NULL)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

/* Headers that frame the request belong to libcurl. */
static bool
reserved_header(const char *name)
{
    return strcasecmp(name, "Host") == 0 || strcasecmp(name, "Content-Length") == 0 ||
           strcasecmp(name, "Transfer-Encoding") == 0 || strcasecmp(name, "Expect") == 0 ||
           strcasecmp(name, "Connection") == 0;
}

int
jiku_http_build_url(const struct jiku_server_conf *srv, const struct jiku_http_request *req,
                    struct jiku_buf *url, struct jiku_err *err)
{
    const char *host = srv->info.host;
    int port = req->port > 0 ? req->port : srv->info.api_port;
    unsigned char addr[16];

    if (host == NULL || port <= 0 || port > 65535)
        return jiku_err_set(err, JIKU_E_INVAL, "server '%s' has no valid host and port",
                            srv->info.name);
    if (inet_pton(AF_INET6, host, addr) == 1)
        return jiku_buf_addf(url, "https://[%s]:%d%s", host, port, req->path);
    if (!jiku_valid_hostname(host))
        return jiku_err_set(err, JIKU_E_INVAL, "server '%s' has an invalid host name",
                            srv->info.name);
    return jiku_buf_addf(url, "https://%s:%d%s", host, port, req->path);
}

int
jiku_http_build_headers(const struct jiku_http_request *req, struct curl_slist **out,
                        struct jiku_err *err)
{
    struct curl_slist *list = NULL, *next;
    struct jiku_buf line = JIKU_BUF_INIT;
    int r = 0;

    /*
     * One allocation for the longest line: a credential header written into a buffer that
     * then grows would leave a copy behind in the block realloc frees.
     */
    {
        size_t longest = 64;

        for (size_t i = 0; i < req->n_headers; i++) {
            const struct jiku_http_header *hd = &req->headers[i];
            size_t n;

            /* NULL names and values are refused below */
            if (hd->name != NULL && hd->value != NULL &&
                (n = strlen(hd->name) + strlen(hd->value) + 2) > longest)
                longest = n;
        }
        if (jiku_buf_grow(&line, longest) != 0)
            goto nomem;
    }
    /* A 100-continue round trip only adds latency; panels answer small POSTs at once. */
    if ((list = curl_slist_append(list, "Expect:")) == NULL)
        goto nomem;
    if (req->body != NULL || req->body_len > 0) {
        const char *ctype = req->content_type ? req->content_type : "application/octet-stream";
        if (!valid_header_value(ctype)) {
            r = jiku_err_set(err, JIKU_E_INVAL, "invalid content type for %s", req->path);
            goto out;
        }
        jiku_buf_reset(&line);
        if (jiku_buf_addf(&line, "Content-Type: %s", ctype) != 0)
            goto nomem;
        if ((next = curl_slist_append(list, line.data)) == NULL)
            goto nomem;
        list = next;
    }
    for (size_t i = 0; i < req->n_headers; i++) {
        const struct jiku_http_header *hd = &req->headers[i];

        if (!valid_header_name(hd->name) || reserved_header(hd->name)) {
            r = jiku_err_set(err, JIKU_E_INVAL, "invalid header name in request to %s", req->path);
            goto out;
        }
        if (!valid_header_value(hd->value)) {
            /* The value is not shown: it may be a credential. */
            r = jiku_err_set(err, JIKU_E_INVAL, "invalid value of header '%s' (control character)",
                             hd->name);
            goto out;
        }
        jiku_buf_reset(&line);
        /* "Name;" is libcurl's spelling of a header with an empty value. */
        if (*hd->value == '\0' ? jiku_buf_addf(&line, "%s;", hd->name)
                               : jiku_buf_addf(&line, "%s: %s", hd->name, hd->value))
            goto nomem;
        if ((next = curl_slist_append(list, line.data)) == NULL)
            goto nomem;
        list = next;
    }
    *out = list;
    list = NULL;
    goto out;
nomem:
    r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
out:
    jiku_buf_release_secure(&line);
    for (struct curl_slist *p = list; p != NULL; p = p->next)
        jiku_memzero(p->data, strlen(p->data));
    curl_slist_free_all(list);
    return r;
}

void
jiku_http_free_headers(struct curl_slist *list)
{
    for (struct curl_slist *p = list; p != NULL; p = p->next)
        jiku_memzero(p->data, strlen(p->data));
    curl_slist_free_all(list);
}

int
jiku_http_check(const struct jiku_server_conf *srv, const struct jiku_http_request *req,
                struct jiku_err *err)
{
    if (srv == NULL || srv->info.name == NULL || req == NULL || req->method == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "http request without a server or a method");
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0)
        return jiku_err_set(err, JIKU_E_INVAL, "unsupported HTTP method for '%s'", srv->info.name);
    if (!valid_path(req->path))
        return jiku_err_set(err, JIKU_E_INVAL,
                            "invalid request path for '%s' (must start with '/', "
                            "no spaces or control characters)",
                            srv->info.name);
    if (strcmp(req->method, "GET") == 0 && req->body_len > 0)
        return jiku_err_set(err, JIKU_E_INVAL, "GET request with a body for '%s'", srv->info.name);
    if (req->body == NULL && req->body_len > 0)
        return jiku_err_set(err, JIKU_E_INVAL, "request body missing for '%s'", srv->info.name);
    if (req->n_headers > 0 && req->headers == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "request headers missing for '%s'", srv->info.name);
    return 0;
}
