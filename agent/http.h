/*
 * HTTPS to panel APIs over libcurl (docs/SECURITY.md, "Transports"): verification always on,
 * ca_file, pinned_pubkey (the pin replaces chain verification only when it is set without a CA
 * file... see http.c), https only, no redirects, connect/total/low-speed timeouts, capped bodies,
 * connection reuse per server, retries of transient failures for requests marked safe,
 * cancellation.
 */
#ifndef JIKU_HTTP_H
#define JIKU_HTTP_H

#include "config.h"
#include "jiku/host.h"

struct jiku_http;

struct jiku_http_opts {
    int connect_timeout; /* seconds; 0: the config's connect_timeout, else 10 */
    int total_timeout;   /* seconds for one request; 0: 300 */
    int retry_deadline;  /* seconds one step may spend retrying; 0: the config's */
    size_t max_response; /* default cap; 0: 64 MiB */
    int low_speed_time;  /* abort after this many seconds below 1 byte/s; 0: 30 */
    int max_idle_ms;     /* an idle handle without cookies older than this is freed; 0: 118 s */
};

/*
 * A client for CFG's servers (CFG may be NULL; OPTS may be NULL: defaults and CFG's values).
 * Thread-safe: each thread gets its own handle per server, kept between requests so that
 * keep-alive connections are reused.  *OUT is the caller's (jiku_http_free).
 */
int jiku_http_new(const struct jiku_config *cfg, const struct jiku_http_opts *opts,
                  struct jiku_http **out, struct jiku_err *err);
void jiku_http_free(struct jiku_http *h);

/*
 * One request to SRV (its host, REQ->port or its api_port; https only, redirects never
 * followed: a 3xx comes back with RESP->location).  RESP is initialised here and is the
 * caller's to release (jiku_http_response_release) whatever the result.  Returns:
 *   0                   a response arrived and is not transient: any status, 4xx included
 *                       (the plugin maps 401/403 to JIKU_E_AUTH), with its body
 *   JIKU_E_TLS          certificate, name or pin verification failed; never retried
 *   JIKU_E_TRANSIENT    a connect error, reset, timeout, truncated body, or HTTP 408/429/5xx
 *                       (then RESP holds that response) for a request NOT safe to retry: it
 *                       was sent once and may or may not have taken effect, so the caller
 *                       (a start call) must look for what it may have started
 *   JIKU_E_UNREACHABLE  the same for a request safe to retry, after retries with backoff
 *                       (Retry-After honoured) outlived the retry deadline
 *   JIKU_E_DATA         the body exceeded the cap, or the answer was not HTTP
 *   JIKU_E_INTERRUPTED  SIGINT/SIGTERM, noticed within about a second
 *   JIKU_E_INVAL        bad method, path, header name or value (CR/LF...): nothing was sent
 * Secret headers (REQ->headers[i].secret, and Authorization, Cookie and the panels' key
 * headers always) are never logged; bodies are logged only by size, even at -vvv.
 * REQ->use_cookies: the cookie jar belongs to this thread's handle for SRV, so a panel session
 * stays with the operation (thread) that opened it; requests without it never send cookies.
 */
int jiku_http_request(struct jiku_http *h, const struct jiku_server_conf *srv,
                      const struct jiku_http_request *req, struct jiku_http_response *resp,
                      struct jiku_err *err);

/* Handshakes made so far (benchmark: connections are reused). */
unsigned long jiku_http_handshakes(const struct jiku_http *h);

#endif
