/*
 * HTTPS to panel APIs over libcurl (SPEC §9): verification always on, ca_file, pinned_pubkey
 * (the pin replaces chain verification only when it is set without a CA file... see http.c),
 * https only, no redirects, connect/total/low-speed timeouts, capped bodies, connection reuse
 * per server, retries of transient failures for requests marked safe, cancellation.
 */
#ifndef JIKU_HTTP_H
#define JIKU_HTTP_H

#include "config.h"
#include "jiku/host.h"

struct jiku_http;

struct jiku_http_opts {
    int connect_timeout; /* seconds */
    int total_timeout;   /* seconds for one request; 0: 300 */
    int retry_deadline;  /* seconds one step may spend retrying */
    size_t max_response; /* default cap; 0: 64 MiB */
};

/* A client for CFG's servers; thread-safe: each thread gets its own handle per server. */
int jiku_http_new(const struct jiku_config *cfg, const struct jiku_http_opts *opts,
                  struct jiku_http **out, struct jiku_err *err);
void jiku_http_free(struct jiku_http *h);

/* One request to SRV; retried per SPEC §9 when REQ->safe_to_retry. */
int jiku_http_request(struct jiku_http *h, const struct jiku_server_conf *srv,
                      const struct jiku_http_request *req, struct jiku_http_response *resp,
                      struct jiku_err *err);

/* Handshakes made so far (benchmark: connections are reused). */
unsigned long jiku_http_handshakes(const struct jiku_http *h);

#endif
