/*
 * One status line on stderr, rewritten in place.  Each operation runs in one thread, so the
 * rate and ETA of a transfer are worked out from per-thread state.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "progress.h"
#include "retry.h"
#include "textsafe.h"

#define REDRAW_MS 200

static pthread_mutex_t line_lock = PTHREAD_MUTEX_INITIALIZER;

struct meter {
    char step[32];
    int64_t start_ms;
    int64_t drawn_ms;
};

static __thread struct meter meter;

static void
human_bytes(char *buf, size_t len, double v)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;

    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

void
jiku_progress_show(const char *who, const struct jiku_progress *p)
{
    int64_t now = jiku_now_ms();
    bool done = p->total > 0 && p->done >= p->total;
    char line[256], safe[4 * sizeof(line)], a[32], b[32], rate[32];

    /* A new step (or a transfer that restarted) starts a new meter. */
    if (strncmp(meter.step, p->step, sizeof(meter.step) - 1) != 0 || p->done == 0) {
        snprintf(meter.step, sizeof(meter.step), "%s", p->step);
        meter.start_ms = now;
        meter.drawn_ms = 0;
    }
    if (!done && now - meter.drawn_ms < REDRAW_MS)
        return;
    meter.drawn_ms = now;

    if (p->total > 0) {
        double secs = (double)(now - meter.start_ms) / 1000.0;
        double bps = secs > 0 ? (double)p->done / secs : 0;
        long eta = bps > 0 ? (long)((double)(p->total - p->done) / bps) : -1;

        human_bytes(a, sizeof(a), (double)p->done);
        human_bytes(b, sizeof(b), (double)p->total);
        human_bytes(rate, sizeof(rate), bps);
        snprintf(line, sizeof(line), "%s%s%s: %s / %s (%llu%%) %s/s", who ? who : "",
                 who ? " " : "", p->step, a, b, (unsigned long long)(p->done * 100 / p->total),
                 rate);
        if (!done && eta >= 0)
            snprintf(line + strlen(line), sizeof(line) - strlen(line), " ETA %ld:%02ld", eta / 60,
                     eta % 60);
    } else {
        /* A panel job: done counts elapsed seconds. */
        snprintf(line, sizeof(line), "%s%s%s: %llus%s%s", who ? who : "", who ? " " : "", p->step,
                 (unsigned long long)p->done, p->state ? " " : "", p->state ? p->state : "");
    }
    /* The step and state come from the panel: only our own \r and erase-line drive the tty. */
    jiku_text_copy(safe, sizeof(safe), line, JIKU_TEXT_FIELD);
    pthread_mutex_lock(&line_lock);
    fprintf(stderr, "\r%s\033[K%s", safe, done ? "\n" : "");
    fflush(stderr);
    pthread_mutex_unlock(&line_lock);
}
