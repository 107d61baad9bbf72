/*
 * healthchecks.io-style pings: URL/start when a run begins, URL on success, URL/fail on
 * failure.  The start ping runs in its own thread so a slow monitor never delays the run;
 * every ping gives up after 10 s, and a failed ping is only a warning.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "jiku/buf.h"
#include "log.h"
#include "metrics.h"

struct jiku_ping {
    char *url;
    pthread_t start_thread;
    bool started;
};

static size_t
discard(char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    (void)arg;
    return size * n;
}

static void
ping(const char *base, const char *suffix)
{
    struct jiku_buf url = JIKU_BUF_INIT;
    CURL *c = curl_easy_init();
    CURLcode rc;

    if (c == NULL || jiku_buf_addf(&url, "%s%s", base, suffix) != 0)
        goto out;
    curl_easy_setopt(c, CURLOPT_URL, url.data);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if ((rc = curl_easy_perform(c)) != CURLE_OK)
        log_warn("ping '%s' failed: %s", url.data, curl_easy_strerror(rc));
out:
    curl_easy_cleanup(c);
    jiku_buf_release(&url);
}

static void *
start_main(void *arg)
{
    ping(((struct jiku_ping *)arg)->url, "/start");
    return NULL;
}

struct jiku_ping *
jiku_ping_start(const char *url)
{
    struct jiku_ping *p;

    if (url == NULL || *url == '\0' || (p = calloc(1, sizeof(*p))) == NULL)
        return NULL;
    if ((p->url = strdup(url)) == NULL) {
        free(p);
        return NULL;
    }
    /* A trailing slash would make "URL//start". */
    while (strlen(p->url) > 0 && p->url[strlen(p->url) - 1] == '/')
        p->url[strlen(p->url) - 1] = '\0';
    curl_global_init(CURL_GLOBAL_DEFAULT);
    p->started = pthread_create(&p->start_thread, NULL, start_main, p) == 0;
    return p;
}

void
jiku_ping_finish(struct jiku_ping *p, int success)
{
    if (p == NULL)
        return;
    /* The start ping must arrive before the end ping, or the monitor sees a run never begun. */
    if (p->started)
        pthread_join(p->start_thread, NULL);
    ping(p->url, success ? "" : "/fail");
    free(p->url);
    free(p);
}
