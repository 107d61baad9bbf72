/*
 * The run engine: operations scheduled over worker threads under the global max_parallel and
 * each server's max_parallel, so that a slow server never holds back the others; signal
 * handling for the whole process.
 */
#ifndef JIKU_RUN_H
#define JIKU_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jiku/err.h"

/* One unit of work; SERVER names the per-server slot it needs (NULL: no server slot). */
struct jiku_job {
    const char *server;
    int server_limit; /* that server's max_parallel */
    int (*fn)(struct jiku_job *job, struct jiku_err *err);
    void *arg;
    /* filled by the engine */
    int status; /* what fn returned; JIKU_E_INTERRUPTED if never started after a signal */
    struct jiku_err err;
    bool started;
};

/*
 * Run the N jobs with at most MAX_PARALLEL at once overall.  Jobs are started in array order
 * as slots free up, skipping over jobs whose server is full.  After a signal no new job
 * starts.  Returns 0 when all jobs ran (whatever their status), JIKU_E_INTERRUPTED after a
 * signal, or an internal error.
 */
int jiku_run_jobs(struct jiku_job *jobs, size_t n, int max_parallel, struct jiku_err *err);

/* Install SIGINT/SIGTERM handlers (no SA_RESTART), ignore SIGPIPE, disable core dumps. */
int jiku_signals_install(struct jiku_err *err);
/* True once SIGINT or SIGTERM arrived. Async-signal-safe to read. */
bool jiku_interrupted(void);
/* A file descriptor that becomes readable when a signal arrives (self-pipe), for poll loops. */
int jiku_interrupt_fd(void);
/*
 * After SIGINT/SIGTERM the agent has JIKU_GRACE_MS to remove what the interrupted steps made
 * on servers: new short remote commands still run until then (ssh.c), each cut at that
 * moment, while waits, job polls and transfers end at once.
 */
#define JIKU_GRACE_MS 10000
/* When that grace ends (monotonic, as jiku_now_ms), or 0 before any signal. */
int64_t jiku_grace_end_ms(void);
/* A signal arrived and its grace has not ended yet. */
bool jiku_in_grace(void);
/* Sleep MS milliseconds, returning JIKU_E_INTERRUPTED early on a signal. */
int jiku_sleep_ms(unsigned ms);
/* For tests: forget a signal. */
void jiku_interrupt_reset(void);

#endif
