/*
 * The run engine: signal handling for the whole process (flag + self-pipe) and the job
 * scheduler.
 */
#include "run.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/*
 * Malloc arenas the workers share, and each worker's stack.  In the fleet benchmark
 * (bench/README.md) 63 threads had 2.4 MiB of stack pages between them at the peak, under
 * 40 KiB each; half a megabyte leaves a wide margin for OpenSSL and libssh2 below it, where
 * glibc would reserve 8 MiB.
 */
#define WORKER_ARENAS 2
#define WORKER_STACK (512 * 1024)

static volatile sig_atomic_t interrupted;
/*
 * When the first signal arrived (CLOCK_MONOTONIC ms), 0 before: the grace for clean-up runs
 * from then.  Written by the handler, so it must be lock-free to be async-signal-safe.
 */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "the signal handler needs a lock-free long long");
static _Atomic long long signalled_at;
/* The self-pipe: the handler writes to [1], poll loops watch [0]. */
static int intr_pipe[2] = {-1, -1};

static void
on_signal(int sig)
{
    int saved = errno;
    char c = 1;

    (void)sig;
    if (atomic_load(&signalled_at) == 0) {
        struct timespec ts;

        /* clock_gettime is async-signal-safe (POSIX.1-2008). */
        clock_gettime(CLOCK_MONOTONIC, &ts);
        atomic_store(&signalled_at, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    }
    interrupted = 1;
    if (intr_pipe[1] >= 0) {
        /* A full pipe is fine: it is already readable. */
        ssize_t w = write(intr_pipe[1], &c, 1);
        (void)w;
    }
    errno = saved;
}

int
jiku_signals_install(struct jiku_err *err)
{
    struct sigaction sa;
    struct rlimit rl = {0, 0};

    /* Core dumps could hold panel credentials. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return jiku_err_set(err, JIKU_E_FAILED, "cannot disable core dumps: %s", strerror(errno));
    if (setrlimit(RLIMIT_CORE, &rl) != 0)
        return jiku_err_set(err, JIKU_E_FAILED, "cannot disable core dumps: %s", strerror(errno));

    if (intr_pipe[0] < 0 && pipe2(intr_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return jiku_err_set(err, JIKU_E_FAILED, "cannot create signal pipe: %s", strerror(errno));

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, NULL) != 0)
        return jiku_err_set(err, JIKU_E_FAILED, "cannot ignore SIGPIPE: %s", strerror(errno));

    /*
     * No SA_RESTART: blocking calls return EINTR so that they notice the signal.  The handler
     * stays installed, so a second SIGINT does not kill the agent before it cleans up.
     */
    sa.sa_handler = on_signal;
    sa.sa_flags = 0;
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return jiku_err_set(err, JIKU_E_FAILED, "cannot install signal handlers: %s",
                            strerror(errno));
    return 0;
}

bool
jiku_interrupted(void)
{
    return interrupted != 0;
}

int
jiku_interrupt_fd(void)
{
    return intr_pipe[0];
}

void
jiku_interrupt_reset(void)
{
    char drain[64];

    interrupted = 0;
    atomic_store(&signalled_at, 0);
    if (intr_pipe[0] >= 0)
        while (read(intr_pipe[0], drain, sizeof(drain)) > 0)
            ;
}

static long long
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
jiku_grace_end_ms(void)
{
    long long at;

    if (!interrupted)
        return 0;
    /* A test's raise() may come before the handler was installed: then from now. */
    if ((at = atomic_load(&signalled_at)) == 0) {
        long long expected = 0;

        atomic_compare_exchange_strong(&signalled_at, &expected, mono_ms());
        at = atomic_load(&signalled_at);
    }
    return (int64_t)at + JIKU_GRACE_MS;
}

bool
jiku_in_grace(void)
{
    return interrupted && mono_ms() < jiku_grace_end_ms();
}

int
jiku_sleep_ms(unsigned ms)
{
    long long deadline = mono_ms() + ms;

    for (;;) {
        struct pollfd pfd = {.fd = intr_pipe[0], .events = POLLIN};
        long long left;
        int r;

        if (interrupted)
            return JIKU_E_INTERRUPTED;
        left = deadline - mono_ms();
        if (left <= 0)
            return 0;
        /* With no pipe installed, poll on fd -1 just sleeps. */
        r = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
        if (r < 0 && errno != EINTR)
            return JIKU_E_FAILED;
    }
}

/*
 * The scheduler.  One mutex guards the slot counts; workers sleep on one condition variable
 * and are woken whenever a job ends, since only then can a slot free up.
 */
struct sched {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct jiku_job *jobs;
    size_t n;
    size_t *srv_of;        /* jobs[i]'s server index, or SIZE_MAX for no server slot */
    const char **srv_name; /* per server index, borrowed from the jobs */
    int *srv_running;      /* per server index */
    int *srv_limit;        /* per server index */
    bool *claimed;         /* jobs[i] was handed to a worker */
    size_t first_open;     /* every job before it is claimed */
    size_t n_unclaimed;
};

/*
 * The first unclaimed job in array order whose server has a free slot, or SIZE_MAX.  Called
 * with the mutex held.
 */
static size_t
pick(struct sched *s)
{
    size_t i;

    while (s->first_open < s->n && s->claimed[s->first_open])
        s->first_open++;
    for (i = s->first_open; i < s->n; i++) {
        size_t k = s->srv_of[i];

        if (s->claimed[i])
            continue;
        if (k == SIZE_MAX || s->srv_running[k] < s->srv_limit[k])
            return i;
    }
    return SIZE_MAX;
}

static void *
worker(void *arg)
{
    struct sched *s = arg;

    pthread_mutex_lock(&s->mu);
    for (;;) {
        struct jiku_job *job;
        size_t i, k;

        if (s->n_unclaimed == 0 || jiku_interrupted())
            break;
        if ((i = pick(s)) == SIZE_MAX) {
            /*
             * Every unclaimed job waits for a busy server, so some job is running on it and
             * will broadcast when it ends: no timeout needed.
             */
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        job = &s->jobs[i];
        k = s->srv_of[i];
        s->claimed[i] = true;
        s->n_unclaimed--;
        if (k != SIZE_MAX)
            s->srv_running[k]++;
        job->started = true;
        jiku_err_clear(&job->err);
        pthread_mutex_unlock(&s->mu);

        job->status = job->fn(job, &job->err);

        pthread_mutex_lock(&s->mu);
        if (k != SIZE_MAX)
            s->srv_running[k]--;
        pthread_cond_broadcast(&s->cv);
    }
    /* Let idle workers see the end (or the signal) too. */
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Give each job the index of its server (by name), so slots are counted per server. */
static void
index_servers(struct sched *s)
{
    size_t i, k, m = 0;

    for (i = 0; i < s->n; i++) {
        const struct jiku_job *job = &s->jobs[i];

        s->srv_of[i] = SIZE_MAX;
        if (job->server == NULL)
            continue;
        for (k = 0; k < m; k++)
            if (strcmp(s->srv_name[k], job->server) == 0)
                break;
        if (k == m) {
            s->srv_name[m] = job->server;
            /* The first job of a server sets its limit; a limit below 1 would never start. */
            s->srv_limit[m] = job->server_limit > 0 ? job->server_limit : 1;
            s->srv_running[m] = 0;
            m++;
        }
        s->srv_of[i] = k;
    }
}

int
jiku_run_jobs(struct jiku_job *jobs, size_t n, int max_parallel, struct jiku_err *err)
{
    struct sched s;
    pthread_t *threads = NULL;
    pthread_attr_t attr;
    size_t i, n_threads, n_started = 0;
    bool sync_ok = false, attr_ok = false;
    int r = 0;

    memset(&s, 0, sizeof(s));
    s.jobs = jobs;
    s.n = n;
    s.n_unclaimed = n;
    for (i = 0; i < n; i++)
        if (jobs[i].fn == NULL)
            return jiku_err_set(err, JIKU_E_INVAL, "job %zu has no function", i);
    /* Until a worker claims it, a job reads as not started, whatever happens below. */
    for (i = 0; i < n; i++) {
        jobs[i].status =
            jiku_err_set(&jobs[i].err, JIKU_E_INTERRUPTED, "not started: interrupted by a signal");
        jobs[i].started = false;
    }
    if (n == 0)
        return jiku_interrupted() ? jiku_err_set(err, JIKU_E_INTERRUPTED, "interrupted by a signal")
                                  : 0;

    n_threads = max_parallel > 0 ? (size_t)max_parallel : 1;
    if (n_threads > n)
        n_threads = n;
    s.srv_of = calloc(n, sizeof(*s.srv_of));
    s.srv_name = calloc(n, sizeof(*s.srv_name));
    s.srv_running = calloc(n, sizeof(*s.srv_running));
    s.srv_limit = calloc(n, sizeof(*s.srv_limit));
    s.claimed = calloc(n, sizeof(*s.claimed));
    /* The calling thread is one of the workers. */
    threads = calloc(n_threads, sizeof(*threads));
    if (s.srv_of == NULL || s.srv_name == NULL || s.srv_running == NULL || s.srv_limit == NULL ||
        s.claimed == NULL || threads == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    index_servers(&s);
    if (pthread_mutex_init(&s.mu, NULL) != 0) {
        r = jiku_err_set(err, JIKU_E_FAILED, "cannot create a mutex");
        goto out;
    }
    if (pthread_cond_init(&s.cv, NULL) != 0) {
        pthread_mutex_destroy(&s.mu);
        r = jiku_err_set(err, JIKU_E_FAILED, "cannot create a condition variable");
        goto out;
    }
    sync_ok = true;

    /*
     * glibc gives threads up to 8 malloc arenas per CPU, and each keeps the pages it once
     * used.  The workers spend their time waiting on servers, not in malloc, so two arenas
     * serve them: 3 MiB less peak RSS at 80 workers, measured with the fleet benchmark.
     */
    if (n_threads > 1)
        mallopt(M_ARENA_MAX, WORKER_ARENAS);
    if (pthread_attr_init(&attr) == 0) {
        attr_ok = true;
        pthread_attr_setstacksize(&attr, WORKER_STACK);
    }
    for (i = 1; i < n_threads; i++) {
        /* Fewer workers than asked for only means less parallelism. */
        if (pthread_create(&threads[n_started], attr_ok ? &attr : NULL, worker, &s) != 0)
            break;
        n_started++;
    }
    if (attr_ok)
        pthread_attr_destroy(&attr);
    worker(&s);
    for (i = 0; i < n_started; i++)
        pthread_join(threads[i], NULL);

    if (jiku_interrupted())
        r = jiku_err_set(err, JIKU_E_INTERRUPTED, "interrupted by a signal");

out:
    if (r != 0 && r != JIKU_E_INTERRUPTED) {
        /* The engine itself failed: jobs it never started must not read as interrupted. */
        for (i = 0; i < n; i++)
            if (!jobs[i].started)
                jobs[i].status = jiku_err_set(&jobs[i].err, r, "not started: %s",
                                              err != NULL ? err->msg : jiku_status_name(r));
    }
    if (sync_ok) {
        pthread_cond_destroy(&s.cv);
        pthread_mutex_destroy(&s.mu);
    }
    free(threads);
    free(s.claimed);
    free(s.srv_limit);
    free(s.srv_running);
    free(s.srv_name);
    free(s.srv_of);
    return r;
}
