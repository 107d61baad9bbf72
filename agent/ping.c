/*
 * healthchecks.io-style pings (jiku-agent.conf(5), ping_url): URL/start when a run begins, URL
 * when it succeeded, URL/EXIT when it ended with exit code EXIT (healthchecks' /<exit-status>
 * endpoint), as a POST whose body is the run's failure lines, which healthchecks keeps and
 * shows.  The start ping runs in its own thread so a slow monitor never delays the run; every
 * ping gives up after 10 s, and a failed ping is only a warning.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "jiku/buf.h"
#include "log.h"
#include "notify.h"

/* healthchecks stores the first 10 KB of a body; more would only be sent to be dropped. */
#define PING_BODY_MAX 10000

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

/* BASE + SUFFIX; with a BODY (not NULL) a POST of its first PING_BODY_MAX bytes. */
static void
ping(const char *base, const char *suffix, const char *body)
{
    struct jiku_buf url = JIKU_BUF_INIT;
    struct curl_slist *headers = NULL;
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
    if (body != NULL) {
        size_t len = strlen(body);

        if ((headers = curl_slist_append(NULL, "Content-Type: text/plain; charset=utf-8")) == NULL)
            goto out;
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
                         (long)(len < PING_BODY_MAX ? len : PING_BODY_MAX));
    }
    if ((rc = curl_easy_perform(c)) != CURLE_OK)
        log_warn("ping '%s' failed: %s", url.data, curl_easy_strerror(rc));
out:
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    jiku_buf_release(&url);
}

static void *
start_main(void *arg)
{
    ping(((struct jiku_ping *)arg)->url, "/start", NULL);
    return NULL;
}

struct jiku_ping *
jiku_ping_start(const char *url, bool start)
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
    if (start)
        p->started = pthread_create(&p->start_thread, NULL, start_main, p) == 0;
    return p;
}

void
jiku_ping_finish(struct jiku_ping *p, int exit_code, const char *body)
{
    char suffix[16];

    if (p == NULL)
        return;
    /* The start ping must arrive before the end ping, or the monitor sees a run never begun. */
    if (p->started)
        pthread_join(p->start_thread, NULL);
    if (exit_code == 0)
        ping(p->url, "", NULL);
    else {
        if (exit_code > 0 && exit_code < 256)
            snprintf(suffix, sizeof(suffix), "/%d", exit_code);
        else
            snprintf(suffix, sizeof(suffix), "/fail");
        ping(p->url, suffix, body != NULL ? body : "");
    }
    free(p->url);
    free(p);
}
