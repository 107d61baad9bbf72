/*
 * The run engine: scheduler limits and ordering, signals, the interrupt pipe, jiku_sleep_ms.
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pause_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Concurrency bookkeeping shared by the jobs of one test. */
#define MAX_SERVERS 4

static atomic_int running_all;
static atomic_int max_all;
static atomic_int running_srv[MAX_SERVERS];
static atomic_int max_srv[MAX_SERVERS];
static atomic_int start_seq;

struct slot {
    int srv;          /* index into running_srv, -1 for none */
    unsigned work_ms; /* how long the job "works" */
    int started_as;   /* its position in the order of starts */
    int raise_sig;    /* raise this signal when running, 0 for none */
};

static void
raise_max(atomic_int *max, int v)
{
    int cur = atomic_load(max);

    while (v > cur && !atomic_compare_exchange_weak(max, &cur, v))
        ;
}

static int
counting_job(struct jiku_job *job, struct jiku_err *err)
{
    struct slot *sl = job->arg;

    (void)err;
    sl->started_as = atomic_fetch_add(&start_seq, 1);
    raise_max(&max_all, atomic_fetch_add(&running_all, 1) + 1);
    if (sl->srv >= 0)
        raise_max(&max_srv[sl->srv], atomic_fetch_add(&running_srv[sl->srv], 1) + 1);
    if (sl->raise_sig != 0)
        raise(sl->raise_sig);
    pause_ms(sl->work_ms);
    if (sl->srv >= 0)
        atomic_fetch_sub(&running_srv[sl->srv], 1);
    atomic_fetch_sub(&running_all, 1);
    return 0;
}

static const char *const server_names[MAX_SERVERS] = {"web1", "web2", "web3", "web4"};

static void
setup_job(struct jiku_job *job, struct slot *sl, int srv, int limit, unsigned work_ms)
{
    memset(job, 0, sizeof(*job));
    memset(sl, 0, sizeof(*sl));
    sl->srv = srv;
    sl->work_ms = work_ms;
    sl->started_as = -1;
    job->server = srv >= 0 ? server_names[srv] : NULL;
    job->server_limit = limit;
    job->fn = counting_job;
    job->arg = sl;
}

Test(run, limits_are_never_exceeded)
{
    enum { N = 24 };
    static const int limits[3] = {1, 2, 3};
    struct jiku_job jobs[N];
    struct slot slots[N];
    struct jiku_err err;
    size_t i;

    for (i = 0; i < N; i++)
        setup_job(&jobs[i], &slots[i], (int)(i % 3), limits[i % 3], 15);
    cr_assert_eq(jiku_run_jobs(jobs, N, 4, &err), 0);
    for (i = 0; i < N; i++) {
        cr_assert(jobs[i].started);
        cr_assert_eq(jobs[i].status, 0);
    }
    cr_assert_leq(atomic_load(&max_all), 4);
    /* With 15 ms jobs some overlap must have happened, or the pool is not a pool. */
    cr_assert_geq(atomic_load(&max_all), 2);
    for (i = 0; i < 3; i++)
        cr_assert_leq(atomic_load(&max_srv[i]), limits[i], "server %zu ran %d at once", i,
                      atomic_load(&max_srv[i]));
    cr_assert_eq(atomic_load(&start_seq), N);
}

Test(run, jobs_without_server_only_count_globally)
{
    enum { N = 12 };
    struct jiku_job jobs[N];
    struct slot slots[N];

    for (size_t i = 0; i < N; i++)
        setup_job(&jobs[i], &slots[i], -1, 0, 10);
    cr_assert_eq(jiku_run_jobs(jobs, N, 3, NULL), 0);
    cr_assert_leq(atomic_load(&max_all), 3);
    cr_assert_geq(atomic_load(&max_all), 2);
}

Test(run, one_worker_starts_in_array_order)
{
    enum { N = 8 };
    struct jiku_job jobs[N];
    struct slot slots[N];

    for (size_t i = 0; i < N; i++)
        setup_job(&jobs[i], &slots[i], (int)(i % 2), 1, 0);
    cr_assert_eq(jiku_run_jobs(jobs, N, 1, NULL), 0);
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(slots[i].started_as, (int)i);
    cr_assert_eq(atomic_load(&max_all), 1);
}

/* The slow server's first job blocks until every job of the fast server finished. */
static atomic_int fast_done;
static atomic_bool slow_timed_out;

static int
slow_job(struct jiku_job *job, struct jiku_err *err)
{
    struct slot *sl = job->arg;
    int i;

    (void)err;
    sl->started_as = atomic_fetch_add(&start_seq, 1);
    for (i = 0; i < 500 && atomic_load(&fast_done) < 5; i++)
        pause_ms(10);
    if (atomic_load(&fast_done) < 5)
        atomic_store(&slow_timed_out, true);
    return 0;
}

static int
fast_job(struct jiku_job *job, struct jiku_err *err)
{
    int r = counting_job(job, err);

    atomic_fetch_add(&fast_done, 1);
    return r;
}

Test(run, slow_server_does_not_hold_back_others)
{
    enum { N = 7 };
    struct jiku_job jobs[N];
    struct slot slots[N];
    size_t i;

    /* slow(web1), web1, then five of web2 */
    setup_job(&jobs[0], &slots[0], 0, 1, 0);
    jobs[0].fn = slow_job;
    setup_job(&jobs[1], &slots[1], 0, 1, 0);
    for (i = 2; i < N; i++) {
        setup_job(&jobs[i], &slots[i], 1, 1, 1);
        jobs[i].fn = fast_job;
    }
    cr_assert_eq(jiku_run_jobs(jobs, N, 2, NULL), 0);
    cr_assert_not(atomic_load(&slow_timed_out), "the web2 jobs waited behind web1");
    cr_assert_eq(atomic_load(&fast_done), 5);
    /* The second web1 job could only start once the slow one ended, after all of web2. */
    for (i = 2; i < N; i++)
        cr_assert_lt(slots[i].started_as, slots[1].started_as);
    /* web2's jobs kept their array order among themselves. */
    for (i = 3; i < N; i++)
        cr_assert_lt(slots[i - 1].started_as, slots[i].started_as);
    cr_assert_leq(atomic_load(&max_srv[1]), 1);
}

Test(run, signal_mid_run_stops_new_work)
{
    enum { N = 10, RAISER = 3 };
    struct jiku_job jobs[N];
    struct slot slots[N];
    struct jiku_err err;
    size_t i, n_started = 0;

    cr_assert_eq(jiku_signals_install(NULL), 0);
    for (i = 0; i < N; i++)
        setup_job(&jobs[i], &slots[i], -1, 0, 5);
    slots[RAISER].raise_sig = SIGTERM;
    cr_assert_eq(jiku_run_jobs(jobs, N, 2, &err), JIKU_E_INTERRUPTED);
    cr_assert_eq(err.status, JIKU_E_INTERRUPTED);
    cr_assert(jiku_interrupted());
    for (i = 0; i < N; i++) {
        if (jobs[i].started) {
            n_started++;
            cr_assert_eq(jobs[i].status, 0, "a started job keeps its own status");
        } else {
            cr_assert_eq(jobs[i].status, JIKU_E_INTERRUPTED);
            cr_assert_eq(jobs[i].err.status, JIKU_E_INTERRUPTED);
            cr_assert_neq(jobs[i].err.msg[0], '\0');
        }
    }
    cr_assert(jobs[RAISER].started);
    /* Two workers: at most the raiser's neighbour was started next to it. */
    cr_assert_leq(n_started, RAISER + 2);
    cr_assert_not(jobs[N - 1].started);
    jiku_interrupt_reset();
    cr_assert_not(jiku_interrupted());
}

Test(run, interrupted_before_start_runs_nothing)
{
    enum { N = 3 };
    struct jiku_job jobs[N];
    struct slot slots[N];

    cr_assert_eq(jiku_signals_install(NULL), 0);
    raise(SIGINT);
    for (size_t i = 0; i < N; i++)
        setup_job(&jobs[i], &slots[i], 0, 1, 0);
    cr_assert_eq(jiku_run_jobs(jobs, N, 2, NULL), JIKU_E_INTERRUPTED);
    for (size_t i = 0; i < N; i++) {
        cr_assert_not(jobs[i].started);
        cr_assert_eq(jobs[i].status, JIKU_E_INTERRUPTED);
    }
    cr_assert_eq(atomic_load(&start_seq), 0);
    jiku_interrupt_reset();
}

Test(run, no_jobs)
{
    cr_assert_eq(jiku_run_jobs(NULL, 0, 4, NULL), 0);
}

Test(signals, install_hardens_the_process)
{
    struct sigaction sa;
    struct rlimit rl;

    cr_assert_eq(jiku_signals_install(NULL), 0);
    cr_assert_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
    cr_assert_eq(getrlimit(RLIMIT_CORE, &rl), 0);
    cr_assert_eq(rl.rlim_cur, 0);
    cr_assert_eq(sigaction(SIGPIPE, NULL, &sa), 0);
    cr_assert_eq(sa.sa_handler, SIG_IGN);
    cr_assert_eq(sigaction(SIGTERM, NULL, &sa), 0);
    cr_assert_neq(sa.sa_handler, SIG_DFL);
    cr_assert_eq(sa.sa_flags & SA_RESTART, 0, "blocking calls must see EINTR");
    cr_assert_geq(jiku_interrupt_fd(), 0);
}

static bool
fd_readable(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};

    return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

Test(signals, interrupt_fd_wakes_poll_loops)
{
    cr_assert_eq(jiku_signals_install(NULL), 0);
    cr_assert_not(jiku_interrupted());
    cr_assert_not(fd_readable(jiku_interrupt_fd()));
    raise(SIGINT);
    cr_assert(jiku_interrupted());
    cr_assert(fd_readable(jiku_interrupt_fd()));
    /* A second SIGINT must not kill the process: cleanup still has to run. */
    raise(SIGINT);
    cr_assert(jiku_interrupted());
    jiku_interrupt_reset();
    cr_assert_not(jiku_interrupted());
    cr_assert_not(fd_readable(jiku_interrupt_fd()));
}

struct delayed_kill {
    pthread_t target;
    int sig;
    unsigned after_ms;
};

static void *
kill_later(void *arg)
{
    struct delayed_kill *dk = arg;

    pause_ms(dk->after_ms);
    pthread_kill(dk->target, dk->sig);
    return NULL;
}

Test(sleep, plain_sleep_lasts)
{
    long long t0 = now_ms();

    cr_assert_eq(jiku_signals_install(NULL), 0);
    cr_assert_eq(jiku_sleep_ms(40), 0);
    cr_assert_geq(now_ms() - t0, 40);
    cr_assert_eq(jiku_sleep_ms(0), 0);
}

Test(sleep, signal_ends_sleep_early)
{
    struct delayed_kill dk = {pthread_self(), SIGTERM, 30};
    pthread_t th;
    long long t0;

    cr_assert_eq(jiku_signals_install(NULL), 0);
    t0 = now_ms();
    cr_assert_eq(pthread_create(&th, NULL, kill_later, &dk), 0);
    cr_assert_eq(jiku_sleep_ms(20000), JIKU_E_INTERRUPTED);
    /* A generous bound: the point is "early", not how early. */
    cr_assert_lt(now_ms() - t0, 10000);
    pthread_join(th, NULL);
    /* Once interrupted, every sleep returns at once. */
    cr_assert_eq(jiku_sleep_ms(20000), JIKU_E_INTERRUPTED);
    jiku_interrupt_reset();
}

static void *
raise_later(void *arg)
{
    pause_ms(30);
    raise(*(int *)arg);
    return NULL;
}

Test(sleep, signal_on_another_thread_wakes_through_the_pipe)
{
    /* The handler runs on the raising thread, so only the pipe can wake the sleeper. */
    static int sig = SIGINT;
    pthread_t th;

    cr_assert_eq(jiku_signals_install(NULL), 0);
    cr_assert_eq(pthread_create(&th, NULL, raise_later, &sig), 0);
    cr_assert_eq(jiku_sleep_ms(20000), JIKU_E_INTERRUPTED);
    pthread_join(th, NULL);
    jiku_interrupt_reset();
}

static void
ignore_usr1(int sig)
{
    (void)sig;
}

Test(sleep, other_signals_do_not_shorten_it)
{
    struct sigaction sa;
    struct delayed_kill dk = {pthread_self(), SIGUSR1, 20};
    pthread_t th;
    long long t0;

    cr_assert_eq(jiku_signals_install(NULL), 0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = ignore_usr1;
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    t0 = now_ms();
    cr_assert_eq(pthread_create(&th, NULL, kill_later, &dk), 0);
    cr_assert_eq(jiku_sleep_ms(150), 0, "EINTR is not an interruption");
    cr_assert_geq(now_ms() - t0, 150);
    pthread_join(th, NULL);
}
