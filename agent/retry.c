/*
 * Backoff for transient failures: full jitter (AWS architecture blog's "exponential backoff
 * and jitter"), so that many workers retrying one panel do not retry in lock step.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "retry.h"
#include "run.h"

int64_t
jiku_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
jiku_retry_init(struct jiku_retry *r, int deadline_s)
{
    memset(r, 0, sizeof(*r));
    r->start_ms = jiku_now_ms();
    r->deadline_s = deadline_s;
}

static unsigned
jitter_ms(unsigned cap)
{
    static __thread unsigned seed;

    if (seed == 0)
        seed = (unsigned)jiku_now_ms() ^ (unsigned)(uintptr_t)&seed;
    return cap == 0 ? 0 : (unsigned)rand_r(&seed) % (cap + 1);
}

int
jiku_retry_wait(struct jiku_retry *r, int retry_after_s, const char *what, struct jiku_err *err)
{
    unsigned base = r->base_ms ? r->base_ms : 500;
    unsigned max = r->max_ms ? r->max_ms : 30000;
    unsigned cap = base, wait;
    int64_t elapsed, left;

    for (unsigned i = 0; i < r->attempt && cap < max; i++)
        cap *= 2;
    if (cap > max)
        cap = max;
    wait = retry_after_s > 0 ? (unsigned)retry_after_s * 1000 : jitter_ms(cap);

    elapsed = jiku_now_ms() - r->start_ms;
    left = (int64_t)r->deadline_s * 1000 - elapsed;
    if (left <= 0 || (int64_t)wait > left) {
        jiku_err_prefix(err, "%s failed after %u attempt%s", what, r->attempt + 1,
                        r->attempt == 0 ? "" : "s");
        if (err != NULL)
            err->status = JIKU_E_UNREACHABLE;
        return JIKU_E_UNREACHABLE;
    }
    r->attempt++;
    log_warn("%s: %s; retry %u in %u ms", what, err != NULL ? err->msg : "transient failure",
             r->attempt, wait);
    return jiku_sleep_ms(wait);
}
