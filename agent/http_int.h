/*
 * Private to http.c, http_build.c and http_trace.c: the pieces of the transport that do not
 * touch a connection.
 */
#ifndef JIKU_HTTP_INT_H
#define JIKU_HTTP_INT_H

#include <curl/curl.h>

#include "config.h"
#include "jiku/buf.h"
#include "jiku/host.h"

/* Method, path, body and header array of REQ are usable (JIKU_E_INVAL otherwise). */
int jiku_http_check(const struct jiku_server_conf *srv, const struct jiku_http_request *req,
                    struct jiku_err *err);

/* Append "https://HOST:PORT/PATH" for REQ on SRV to URL; JIKU_E_INVAL for a bad host. */
int jiku_http_build_url(const struct jiku_server_conf *srv, const struct jiku_http_request *req,
                        struct jiku_buf *url, struct jiku_err *err);

/*
 * The header list for REQ (caller's: jiku_http_free_headers); JIKU_E_INVAL when a name or a
 * value holds a control character, a name is not a token, or a name is one libcurl frames.
 */
int jiku_http_build_headers(const struct jiku_http_request *req, struct curl_slist **out,
                            struct jiku_err *err);
/* Zeroes the strings (they may hold credentials), then frees LIST. NULL-safe. */
void jiku_http_free_headers(struct curl_slist *list);

/*
 * Append PATH as messages may show it: no query, and no segment that FACTS (the panel's, may be
 * NULL) calls a secret.
 */
int jiku_http_add_loggable_path(struct jiku_buf *b, const struct jiku_panel_facts *facts,
                                const char *path);

/* What a wire trace keeps secret by: the request's secret headers and the panel's facts. */
struct jiku_http_trace_ctx {
    const struct jiku_http_request *req;
    const struct jiku_panel_facts *facts; /* may be NULL */
};

/* CURLOPT_DEBUGFUNCTION for -vvv; CURLOPT_DEBUGDATA is a struct jiku_http_trace_ctx. */
int jiku_http_trace(CURL *curl, curl_infotype type, char *data, size_t size, void *ctx);

#endif
