/*
 * Retries of transient failures (docs/SECURITY.md; jiku-agent.conf(5) retry_deadline): exponential
 * backoff with full jitter, Retry-After, and a deadline per step.  Callers decide what is transient
 * and what is safe to repeat; this only decides how long to wait and when to give up.
 */
#ifndef JIKU_RETRY_H
#define JIKU_RETRY_H

#include <stdint.h>

#include "jiku/err.h"

struct jiku_retry {
    int64_t start_ms; /* monotonic */
    int deadline_s;   /* retry_deadline */
    unsigned attempt; /* retries so far */
    unsigned base_ms; /* first backoff cap; 0: 500 */
    unsigned max_ms;  /* backoff cap; 0: 30000 */
};

void jiku_retry_init(struct jiku_retry *r, int deadline_s);

/*
 * Called after a transient failure of WHAT, whose message is in ERR.  Logs a warning and
 * sleeps (RETRY_AFTER_S seconds when > 0, else full jitter), then returns 0: try again.
 * Returns JIKU_E_UNREACHABLE (message kept, "after N attempts" added) when the next attempt
 * would start past the deadline, JIKU_E_INTERRUPTED on a signal.
 */
int jiku_retry_wait(struct jiku_retry *r, int retry_after_s, const char *what,
                    struct jiku_err *err);

/* Milliseconds on the monotonic clock. */
int64_t jiku_now_ms(void);

#endif
