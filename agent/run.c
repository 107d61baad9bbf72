/*
 * The run engine: signal handling for the whole process (flag + self-pipe) and the job
 * scheduler.
 */
#define _GNU_SOURCE

#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;
/* The self-pipe: the handler writes to [1], poll loops watch [0]. */
static int intr_pipe[2] = {-1, -1};

static void
on_signal(int sig)
{
    int saved = errno;
    char c = 1;

    (void)sig;
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

int
jiku_run_jobs(struct jiku_job *jobs, size_t n, int max_parallel, struct jiku_err *err)
{
    size_t i;

    (void)max_parallel;
    for (i = 0; i < n; i++) {
        jiku_err_clear(&jobs[i].err);
        if (jiku_interrupted()) {
            jobs[i].status = JIKU_E_INTERRUPTED;
            jobs[i].started = false;
            continue;
        }
        jobs[i].started = true;
        jobs[i].status = jobs[i].fn(&jobs[i], &jobs[i].err);
    }
    if (jiku_interrupted())
        return jiku_err_set(err, JIKU_E_INTERRUPTED, "interrupted by a signal");
    return 0;
}
