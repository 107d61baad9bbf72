/*
 * HTTPS to panel APIs over libcurl, under the rules of docs/SECURITY.md ("Transports").
 *
 * One easy handle per (server, thread) is kept in a small pool of idle handles, so that the
 * keep-alive connection a handle holds, and the CA store it parsed, are reused by the next
 * request to that server.  Every request resets the handle and sets every option again:
 * nothing from a previous request (a body, a header, a method) can leak into the next one.
 *
 * What a run pays once, not per connection:
 * - The CA file.  libcurl (7.87 and later, OpenSSL) keeps the X509 store it built from
 *   CURLOPT_CAINFO in the easy handle's own multi handle, for CURLOPT_CA_CACHE_TIMEOUT (24 hours
 *   by default), so a handle parses its server's ca_file once however many connections it
 *   opens.  The store is keyed by the file's path: a connection whose CAINFO names another file
 *   (another server's ca_file) builds its own, so one server's CA never vouches for another.
 *   libcurl skips that cache whenever a CA directory is set, and Debian's libcurl sets
 *   /etc/ssl/certs by default: with a ca_file the directory is cleared (set_options), which also
 *   makes the ca_file the only trust anchor, as jiku-agent.conf(5) describes it.
 * - The TLS handshake.  The handles of one server share a TLS session cache (a CURLSH with
 *   CURL_LOCK_DATA_SSL_SESSION, one per server), so a second worker's first connection to a
 *   server, and every start call's fresh connection, resume a session instead of a full
 *   handshake.  One per server, not one per run: a share keeps 8 sessions (libcurl's fixed
 *   size), and a fleet of more servers evicted them in turn (300 full handshakes for 400
 *   operations on 20 servers, where a cache per handle had needed 59).  libcurl resumes a
 *   session only for the same host and port and the same TLS settings (CA file,
 *   verification, pin), so sharing it trusts nothing a handle of its own would not.
 *   Connections are not shared (CURL_LOCK_DATA_CONNECT): libcurl documents its shared
 *   connection cache as not safe across threads (known bug "A shared connection cache is not
 *   thread-safe"), and the per-handle pool below already reuses connections.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "http.h"
#include "http_int.h"
#include "log.h"
#include "paths.h"
#include "retry.h"
#include "run.h"

#define DEFAULT_CONNECT_TIMEOUT 10
#define DEFAULT_TOTAL_TIMEOUT 300
#define DEFAULT_LOW_SPEED_TIME 30
#define DEFAULT_MAX_RESPONSE ((size_t)64 << 20)
#define MAX_IDLE_HANDLES 64
#define DEFAULT_MAX_IDLE_MS (118 * 1000) /* CURLOPT_MAXAGE_CONN's default: see checkin() */
#define MAX_RETRY_AFTER 3600

/* An easy handle for one server, owned by the thread that last used it. */
struct conn {
    struct conn *next;
    char *server;
    pthread_t owner;
    int64_t idle_since_ms; /* monotonic, when it was last returned */
    bool cookies;
    bool jar_open; /* the cookie engine is on; it survives curl_easy_reset */
    CURL *curl;
};

struct jiku_http {
    struct jiku_http_opts opts;
    pthread_mutex_t lock;
    struct conn *idle; /* most recently returned first */
    size_t n_idle;
    atomic_ulong handshakes;
    struct share *shares; /* each server's TLS session cache, under LOCK */
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
};

struct share {
    struct share *next;
    CURLSH *sh;
    char server[];
};

/* What the callbacks of one transfer share. */
struct xfer {
    const struct jiku_server_conf *srv;
    const struct jiku_http_request *req;
    struct jiku_http_trace_ctx trace; /* -vvv */
    struct jiku_http_response *resp;
    size_t cap;
    bool overflow;
    bool nomem;
    bool truncated; /* the last attempt's body ended before its Content-Length */
    int retry_after;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void
global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void
format_size(size_t n, char *out, size_t outlen)
{
    if (n >= ((size_t)1 << 20) && n % ((size_t)1 << 20) == 0)
        snprintf(out, outlen, "%zu MiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(out, outlen, "%zu KiB", n >> 10);
    else
        snprintf(out, outlen, "%zu bytes", n);
}

/* ------------------------------------------------------------------ callbacks */

static bool
header_is(const char *line, size_t len, const char *name, size_t *value_at)
{
    size_t n = strlen(name);

    if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
        return false;
    n++;
    while (n < len && (line[n] == ' ' || line[n] == '\t'))
        n++;
    *value_at = n;
    return true;
}

static size_t
value_len(const char *line, size_t len, size_t at)
{
    while (len > at && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' ' ||
                        line[len - 1] == '\t'))
        len--;
    return len - at;
}

static size_t
on_header(char *line, size_t size, size_t nitems, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * nitems, at, n;

    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        /* A new response (after a 1xx): forget the previous one's headers. */
        free(x->resp->location);
        x->resp->location = NULL;
        x->retry_after = 0;
    } else if (header_is(line, len, "Location", &at)) {
        n = value_len(line, len, at);
        free(x->resp->location);
        if ((x->resp->location = strndup(line + at, n)) == NULL)
            x->nomem = true;
    } else if (header_is(line, len, "Retry-After", &at)) {
        /* Seconds only; an HTTP date falls back to our own backoff. */
        long v = 0;
        n = value_len(line, len, at);
        for (size_t i = 0; i < n; i++) {
            if (line[at + i] < '0' || line[at + i] > '9') {
                v = 0;
                break;
            }
            if (v < MAX_RETRY_AFTER)
                v = v * 10 + (line[at + i] - '0');
        }
        x->retry_after = v > MAX_RETRY_AFTER ? MAX_RETRY_AFTER : (int)v;
    }
    return len;
}

static size_t
on_body(char *data, size_t size, size_t nitems, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * nitems;

    if (len > x->cap - x->resp->body.len) {
        x->overflow = true;
        return 0;
    }
    if (jiku_buf_add(&x->resp->body, data, len) != 0) {
        x->nomem = true;
        return 0;
    }
    return len;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)arg;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return jiku_interrupted() ? 1 : 0;
}

/* ------------------------------------------------------------------ handle pool */

/*
 * A handle of this thread for SERVER if one is idle.  A handle without cookies may also come
 * from another thread (its connection is as good); a handle with a cookie jar never does, so
 * that two operations on one server never share a panel session.
 */
static struct conn *
checkout(struct jiku_http *h, const char *server, bool cookies)
{
    pthread_t self = pthread_self();
    struct conn **found = NULL, *c = NULL;

    pthread_mutex_lock(&h->lock);
    for (struct conn **pp = &h->idle; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->cookies != cookies || strcmp((*pp)->server, server) != 0)
            continue;
        if (pthread_equal((*pp)->owner, self)) {
            found = pp;
            break;
        }
        if (!cookies && found == NULL)
            found = pp;
    }
    if (found != NULL) {
        c = *found;
        *found = c->next;
        h->n_idle--;
    }
    pthread_mutex_unlock(&h->lock);

    if (c == NULL) {
        if ((c = calloc(1, sizeof(*c))) == NULL)
            return NULL;
        c->cookies = cookies;
        if ((c->server = strdup(server)) == NULL || (c->curl = curl_easy_init()) == NULL) {
            free(c->server);
            free(c);
            return NULL;
        }
    }
    c->next = NULL;
    c->owner = self;
    return c;
}

static void
conn_free(struct conn *c)
{
    if (c == NULL)
        return;
    curl_easy_cleanup(c->curl);
    free(c->server);
    free(c);
}

/*
 * Which idle handles are kept: those the next requests will take.  A handle without cookies is
 * taken by the next request to its server from any thread, and checkout() makes one only when
 * none is idle, so a server never has more of them than requests that ran on it at once (its
 * max_parallel, not the number of workers).  What a handle keeps worth having is its connection,
 * and libcurl reuses no connection idle longer than CURLOPT_MAXAGE_CONN (118 s by default): a
 * handle idle that long (its server's work is done, or its next poll is far off) is freed, and
 * a later request pays only a new handle, its CA file and a resumed TLS session.  A handle with
 * a cookie jar holds its operation's panel session, which only that operation's thread takes
 * back, so its age does not free it.  MAX_IDLE_HANDLES bounds the rest, oldest out first.
 */
static void
checkin(struct jiku_http *h, struct conn *c)
{
    struct conn *evict = NULL, **pp, *x;
    int64_t now = jiku_now_ms();

    c->idle_since_ms = now;
    pthread_mutex_lock(&h->lock);
    c->next = h->idle;
    h->idle = c;
    h->n_idle++;
    for (pp = &h->idle; (x = *pp) != NULL;) {
        bool stale = !x->cookies && now - x->idle_since_ms > h->opts.max_idle_ms;
        bool over = x->next == NULL && h->n_idle > MAX_IDLE_HANDLES;

        if (stale || over) {
            *pp = x->next;
            x->next = evict;
            evict = x;
            h->n_idle--;
        } else {
            pp = &x->next;
        }
    }
    pthread_mutex_unlock(&h->lock);
    for (; evict != NULL; evict = x) {
        x = evict->next;
        conn_free(evict);
    }
}

/* ------------------------------------------------------------------ one attempt */

#define SETOPT(c, opt, val)                                                                        \
    do {                                                                                           \
        if ((cr = curl_easy_setopt((c), (opt), (val))) != CURLE_OK)                                \
            goto setopt_failed;                                                                    \
    } while (0)

static CURLSH *share_of(struct jiku_http *h, const char *server);

static int
set_options(struct jiku_http *h, struct conn *conn, struct xfer *x, const char *url,
            struct curl_slist *headers, char *errbuf, struct jiku_err *err)
{
    CURL *c = conn->curl;
    const struct jiku_server_conf *srv = x->srv;
    const struct jiku_http_request *req = x->req;
    bool have_ca = srv->ca_file != NULL && *srv->ca_file != '\0';
    bool have_pin = srv->pinned_pubkey != NULL && *srv->pinned_pubkey != '\0';
    CURLcode cr;

    curl_easy_reset(c);
    SETOPT(c, CURLOPT_ERRORBUFFER, errbuf);
    SETOPT(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    SETOPT(c, CURLOPT_PROTOCOLS_STR, "https");
    SETOPT(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
#else
    SETOPT(c, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
    SETOPT(c, CURLOPT_REDIR_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
    SETOPT(c, CURLOPT_FOLLOWLOCATION, 0L);
    /*
     * libcurl silently re-sends a request whose reused connection died before any answer
     * arrived: for a start call that is a second job.  A request not safe to repeat gets a
     * connection of its own, which libcurl never retries (docs/WIRE.md §1.3), and which is
     * closed after it: kept, it would sit in the handle's cache beside the connection that
     * is reused, a TLS connection's memory for nothing.
     */
    SETOPT(c, CURLOPT_FRESH_CONNECT, req->safe_to_retry ? 0L : 1L);
    SETOPT(c, CURLOPT_FORBID_REUSE, req->safe_to_retry ? 0L : 1L);
    SETOPT(c, CURLOPT_NOSIGNAL, 1L);
    /* Panel APIs speak HTTP/1.1; one protocol means one set of failure modes to handle. */
    SETOPT(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SETOPT(c, CURLOPT_USERAGENT, "jiku-agent/" JIKU_VERSION);

    /*
     * docs/SECURITY.md, jiku-agent.conf(5) pinned_pubkey: chain verification is replaced by the pin
     * only when a pin is set and no CA file is; with both, both must pass.  The name is checked in
     * every case.
     */
    SETOPT(c, CURLOPT_SSL_VERIFYHOST, 2L);
    SETOPT(c, CURLOPT_SHARE, share_of(h, srv->info.name));
    if (have_ca) {
        SETOPT(c, CURLOPT_CAINFO, srv->ca_file);
        /* The CA file alone, and cached by the handle (see the top of this file). */
        SETOPT(c, CURLOPT_CAPATH, NULL);
    }
    if (have_pin) {
        if (curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, srv->pinned_pubkey) != CURLE_OK)
            return jiku_err_set(err, JIKU_E_TLS,
                                "pinned_pubkey of '%s' is not supported by this libcurl",
                                srv->info.name);
    }
    /* Off only when the pin, accepted just above, takes the chain's place. */
    SETOPT(c, CURLOPT_SSL_VERIFYPEER, have_pin && !have_ca ? 0L : 1L);

    SETOPT(c, CURLOPT_CONNECTTIMEOUT, (long)h->opts.connect_timeout);
    SETOPT(c, CURLOPT_TIMEOUT, (long)h->opts.total_timeout);
    SETOPT(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    SETOPT(c, CURLOPT_LOW_SPEED_TIME, (long)h->opts.low_speed_time);
    SETOPT(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->cap);

    SETOPT(c, CURLOPT_HTTPHEADER, headers);
    if (strcmp(req->method, "POST") == 0) {
        SETOPT(c, CURLOPT_POST, 1L);
        SETOPT(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SETOPT(c, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
    } else {
        SETOPT(c, CURLOPT_HTTPGET, 1L);
    }
    if (conn->cookies && !conn->jar_open) {
        /* In memory only, kept by this handle.  Set once: each setting queues a "file". */
        SETOPT(c, CURLOPT_COOKIEFILE, "");
        conn->jar_open = true;
    }

    SETOPT(c, CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(c, CURLOPT_HEADERDATA, x);
    SETOPT(c, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(c, CURLOPT_WRITEDATA, x);
    SETOPT(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    SETOPT(c, CURLOPT_XFERINFODATA, x);
    SETOPT(c, CURLOPT_NOPROGRESS, 0L);
    if (jiku_log_level() >= JIKU_LOG_TRACE) {
        SETOPT(c, CURLOPT_DEBUGFUNCTION, jiku_http_trace);
        x->trace = (struct jiku_http_trace_ctx){req, srv->facts};
        SETOPT(c, CURLOPT_DEBUGDATA, &x->trace);
        SETOPT(c, CURLOPT_VERBOSE, 1L);
    }
    return 0;

setopt_failed:
    return jiku_err_set(err, cr == CURLE_OUT_OF_MEMORY ? JIKU_E_NOMEM : JIKU_E_FAILED,
                        "cannot set up the request to '%s': %s", srv->info.name,
                        curl_easy_strerror(cr));
}

/* A TLS handshake cut short by the network, as opposed to one that failed on its merits. */
static bool
handshake_interrupted(const char *msg)
{
    return strstr(msg, "SSL_ERROR_SYSCALL") != NULL || strstr(msg, "Connection reset") != NULL ||
           strstr(msg, "Broken pipe") != NULL || strstr(msg, "unexpected eof") != NULL ||
           strstr(msg, "errno") != NULL;
}

static bool
transient_status(long status)
{
    return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

/*
 * Map a libcurl result to a status and a message (without the request's name, which the
 * caller adds).
 */
static int
classify(CURLcode cr, const struct xfer *x, const char *errbuf, struct jiku_err *err)
{
    const char *why = *errbuf != '\0' ? errbuf : curl_easy_strerror(cr);
    char size[32];

    switch (cr) {
    case CURLE_OK:
        break;
    case CURLE_ABORTED_BY_CALLBACK:
        return jiku_err_set(err, JIKU_E_INTERRUPTED, "interrupted by a signal");
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (x->nomem)
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        if (x->overflow || cr == CURLE_FILESIZE_EXCEEDED) {
            format_size(x->cap, size, sizeof(size));
            return jiku_err_set(err, JIKU_E_DATA, "response from '%s' exceeds %s",
                                x->srv->info.name, size);
        }
        return jiku_err_set(err, JIKU_E_FAILED, "%s", why);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
        return jiku_err_set(err, JIKU_E_TLS, "TLS verification failed: %s", why);
    case CURLE_SSL_CONNECT_ERROR:
        if (handshake_interrupted(why))
            return jiku_err_set(err, JIKU_E_TRANSIENT, "%s", why);
        return jiku_err_set(err, JIKU_E_TLS, "TLS handshake failed: %s", why);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return jiku_err_set(err, JIKU_E_TRANSIENT, "%s", why);
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
        return jiku_err_set(err, JIKU_E_DATA, "malformed response: %s", why);
    case CURLE_OUT_OF_MEMORY:
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    default:
        return jiku_err_set(err, JIKU_E_FAILED, "%s", why);
    }
    if (x->nomem)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    if (transient_status(x->resp->status))
        return jiku_err_set(err, JIKU_E_TRANSIENT, "server answered HTTP %ld", x->resp->status);
    return 0;
}

static int
attempt(struct jiku_http *h, struct conn *c, struct xfer *x, const char *url,
        struct curl_slist *headers, const char *what, struct jiku_err *err)
{
    char errbuf[CURL_ERROR_SIZE];
    long connects = 0;
    CURLcode cr;
    int r;

    errbuf[0] = '\0';
    jiku_http_response_release(x->resp);
    x->overflow = false;
    x->nomem = false;
    x->retry_after = 0;
    if (jiku_interrupted())
        return jiku_err_set(err, JIKU_E_INTERRUPTED, "interrupted by a signal");
    if ((r = set_options(h, c, x, url, headers, errbuf, err)) != 0)
        return r;

    cr = curl_easy_perform(c->curl);
    x->truncated = cr == CURLE_PARTIAL_FILE;

    if (curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
        atomic_fetch_add(&h->handshakes, (unsigned long)connects);
    if (cr == CURLE_OK)
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &x->resp->status);
    /* The handle keeps pointers into our stack and headers; drop them now. */
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);

    r = classify(cr, x, errbuf, err);
    log_debug("%s: %s, HTTP %ld, %zu bytes of body", what, r == 0 ? "done" : jiku_status_name(r),
              x->resp->status, x->resp->body.len);
    return r;
}

/* ------------------------------------------------------------------ the servers' shares */

/* curl_share_setopt(3): one lock for each kind of data, whatever the access. */
static void
share_lock(CURL *curl, curl_lock_data data, curl_lock_access access, void *arg)
{
    struct jiku_http *h = arg;

    (void)curl;
    (void)access;
    pthread_mutex_lock(&h->share_locks[data]);
}

static void
share_unlock(CURL *curl, curl_lock_data data, void *arg)
{
    struct jiku_http *h = arg;

    (void)curl;
    pthread_mutex_unlock(&h->share_locks[data]);
}

/* After every handle that used them; N_LOCKS: how many of the locks were made. */
static void
share_free(struct jiku_http *h, size_t n_locks)
{
    for (struct share *s = h->shares, *next; s != NULL; s = next) {
        next = s->next;
        curl_share_cleanup(s->sh);
        free(s);
    }
    h->shares = NULL;
    while (n_locks > 0)
        pthread_mutex_destroy(&h->share_locks[--n_locks]);
}

static int
share_new(struct jiku_http *h, struct jiku_err *err)
{
    size_t n;

    for (n = 0; n < CURL_LOCK_DATA_LAST; n++)
        if (pthread_mutex_init(&h->share_locks[n], NULL) != 0) {
            share_free(h, n);
            return jiku_err_set(err, JIKU_E_FAILED, "cannot set up the TLS session cache");
        }
    return 0;
}

/*
 * SERVER's TLS session cache, made on first use; NULL (each handle its own cache, as without
 * a share) when it cannot be made.  All shares take the same locks: they guard a few pointer
 * moves in libcurl, never a wait.
 */
static CURLSH *
share_of(struct jiku_http *h, const char *server)
{
    size_t len = strlen(server);
    struct share *s;

    pthread_mutex_lock(&h->lock);
    for (s = h->shares; s != NULL; s = s->next)
        if (strcmp(s->server, server) == 0)
            goto out;
    if ((s = calloc(1, sizeof(*s) + len + 1)) == NULL)
        goto out;
    memcpy(s->server, server, len + 1);
    if ((s->sh = curl_share_init()) == NULL ||
        curl_share_setopt(s->sh, CURLSHOPT_USERDATA, h) != CURLSHE_OK ||
        curl_share_setopt(s->sh, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
        curl_share_setopt(s->sh, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
        curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
        curl_share_cleanup(s->sh);
        free(s);
        s = NULL;
        goto out;
    }
    s->next = h->shares;
    h->shares = s;
out:
    pthread_mutex_unlock(&h->lock);
    return s != NULL ? s->sh : NULL;
}

/* ------------------------------------------------------------------ public */

int
jiku_http_new(const struct jiku_config *cfg, const struct jiku_http_opts *opts,
              struct jiku_http **out, struct jiku_err *err)
{
    struct jiku_http *h = NULL;
    int r;

    *out = NULL;
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return jiku_err_set(err, JIKU_E_FAILED, "cannot initialise libcurl: %s",
                            curl_easy_strerror(global_rc));
    if ((h = calloc(1, sizeof(*h))) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    if (opts != NULL)
        h->opts = *opts;
    if (h->opts.connect_timeout <= 0)
        h->opts.connect_timeout = cfg != NULL && cfg->connect_timeout > 0 ? cfg->connect_timeout
                                                                          : DEFAULT_CONNECT_TIMEOUT;
    if (h->opts.total_timeout <= 0)
        h->opts.total_timeout = DEFAULT_TOTAL_TIMEOUT;
    if (h->opts.retry_deadline <= 0)
        h->opts.retry_deadline = cfg != NULL && cfg->retry_deadline > 0 ? cfg->retry_deadline : 0;
    if (h->opts.max_response == 0)
        h->opts.max_response = DEFAULT_MAX_RESPONSE;
    if (h->opts.low_speed_time <= 0)
        h->opts.low_speed_time = DEFAULT_LOW_SPEED_TIME;
    if (h->opts.max_idle_ms <= 0)
        h->opts.max_idle_ms = DEFAULT_MAX_IDLE_MS;
    if (pthread_mutex_init(&h->lock, NULL) != 0) {
        free(h);
        return jiku_err_set(err, JIKU_E_FAILED, "cannot create a mutex");
    }
    if ((r = share_new(h, err)) != 0) {
        pthread_mutex_destroy(&h->lock);
        free(h);
        return r;
    }
    atomic_init(&h->handshakes, 0);
    *out = h;
    return 0;
}

void
jiku_http_free(struct jiku_http *h)
{
    struct conn *c, *next;

    if (h == NULL)
        return;
    for (c = h->idle; c != NULL; c = next) {
        next = c->next;
        conn_free(c);
    }
    share_free(h, CURL_LOCK_DATA_LAST);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

unsigned long
jiku_http_handshakes(const struct jiku_http *h)
{
    return atomic_load(&((struct jiku_http *)h)->handshakes);
}

void
jiku_http_response_release(struct jiku_http_response *resp)
{
    if (resp == NULL)
        return;
    /* Bodies can carry session tokens. */
    jiku_buf_release_secure(&resp->body);
    free(resp->location);
    resp->location = NULL;
    resp->status = 0;
}

int
jiku_http_request(struct jiku_http *h, const struct jiku_server_conf *srv,
                  const struct jiku_http_request *req, struct jiku_http_response *resp,
                  struct jiku_err *err)
{
    struct jiku_err e = {0};
    struct jiku_buf url = JIKU_BUF_INIT, what = JIKU_BUF_INIT;
    struct curl_slist *headers = NULL;
    struct conn *c = NULL;
    struct jiku_retry retry;
    struct xfer x = {0};
    int r;

    resp->status = 0;
    jiku_buf_init(&resp->body);
    resp->location = NULL;

    if ((r = jiku_http_check(srv, req, &e)) != 0)
        goto out;
    if (jiku_buf_addf(&what, "%s ", req->method) != 0 ||
        jiku_http_add_loggable_path(&what, srv->facts, req->path) != 0 ||
        jiku_buf_addf(&what, " on '%s'", srv->info.name) != 0) {
        r = jiku_err_set(&e, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = jiku_http_build_url(srv, req, &url, &e)) != 0)
        goto out;
    if ((r = jiku_http_build_headers(req, &headers, &e)) != 0)
        goto out;
    if ((c = checkout(h, srv->info.name, req->use_cookies)) == NULL) {
        r = jiku_err_set(&e, JIKU_E_NOMEM, "out of memory");
        goto out;
    }

    x.srv = srv;
    x.req = req;
    x.resp = resp;
    x.cap = req->max_response > 0 ? req->max_response : h->opts.max_response;
    jiku_retry_init(&retry, h->opts.retry_deadline);
    for (;;) {
        r = attempt(h, c, &x, url.data, headers, what.data, &e);
        if (r != JIKU_E_TRANSIENT || !req->safe_to_retry) {
            if (r != 0)
                jiku_err_prefix(&e, "%s", what.data);
            break;
        }
        /* Logs the warning; on giving up, names the request and counts the attempts. */
        r = jiku_retry_wait(&retry, x.retry_after, what.data, &e);
        if (r == JIKU_E_INTERRUPTED)
            jiku_err_set(&e, r, "%s: interrupted by a signal", what.data);
        /*
         * A body cut short on every try is a broken answer, not a broken network (jiku-agent(8),
         * EXIT STATUS 65).
         */
        if (r == JIKU_E_UNREACHABLE && x.truncated)
            e.status = r = JIKU_E_DATA;
        if (r != 0)
            break;
    }
out:
    if (c != NULL)
        checkin(h, c);
    jiku_http_free_headers(headers);
    jiku_buf_release(&url);
    jiku_buf_release(&what);
    if (r != 0 && err != NULL)
        *err = e;
    return r;
}
