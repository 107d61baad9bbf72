/*
 * Detached remote jobs (docs/WIRE.md §1.2): a long command runs on the server under setsid in its
 * own 0700 work directory, so that a dropped connection or an interrupted agent never kills it, and
 * is then polled with short commands.  Creating the directory is the atomic claim of the start:
 * running the start again finds the job instead of starting a second one, which is what makes the
 * start safe to repeat after an ambiguous failure.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "run.h"
#include "ssh.h"

#define JOB_TIMEOUT 120    /* seconds for one start or poll command */
#define JOB_LOG_TAIL 65536 /* bytes of the job's log returned by a poll */
#define JOB_DIR_MAX 1024
#define JOB_WAIT_MAX 300 /* seconds one wait command may block */

/*
 * The job's shell wrapper, run as `sh -c START jiku-job DIR CMD`: the job directory's parent
 * is made 0700 when missing, the directory itself is the claim, CMD goes into DIR/cmd and
 * runs detached, leaving DIR/log, DIR/pid and finally DIR/rc (written under a temporary
 * name, so rc is never seen half-written).
 */
static const char start_script[] =
    "umask 077; d=$1; "
    "mkdir -p -- \"${d%/*}\" || exit 70; "
    "if ! mkdir -m 700 -- \"$d\" 2>/dev/null; then "
    "test -d \"$d\" || { echo \"jiku: cannot create $d\" >&2; exit 70; }; "
    "echo jiku-job-exists; exit 0; fi; "
    "printf '%s\\n' \"$2\" >\"$d/cmd\" && cd \"$d\" || exit 70; "
    "setsid sh -c 'sh ./cmd >log 2>&1; echo $? >rc.tmp && mv rc.tmp rc' "
    "</dev/null >/dev/null 2>&1 & "
    "echo $! >pid; echo jiku-job-started";

/*
 * Run as `sh -c POLL jiku-job DIR WAIT`: the state line, then the tail of the log.  A directory
 * without a pid file that changed in the last minute is a start still in progress (its
 * claim seen by a retried start before the first attempt got to write the pid), not a death.
 * WAIT > 0 first waits up to WAIT seconds for the job's process to end: one GNU `tail --pid`
 * that looks every 0.1 s, not a fork per look; without `timeout` or `tail --pid` it returns at
 * once and the caller finds the job still running.
 */
static const char poll_script[] =
    "d=$1; "
    "if test \"$2\" -gt 0 && ! test -f \"$d/rc\" && test -f \"$d/pid\"; then "
    "timeout \"$2\" tail -s 0.1 --pid=\"$(cat \"$d/pid\")\" -f /dev/null 2>/dev/null; fi; "
    "if test -f \"$d/rc\"; then echo \"jiku-job-done $(cat \"$d/rc\")\"; "
    "elif test -f \"$d/pid\" && kill -0 \"$(cat \"$d/pid\")\" 2>/dev/null; then "
    "echo jiku-job-running; "
    /* the job may have ended between the two tests */
    "elif test -f \"$d/rc\"; then echo \"jiku-job-done $(cat \"$d/rc\")\"; "
    "elif test -d \"$d\" && ! test -f \"$d/pid\" && "
    "test $(( $(date +%s) - $(stat -c %Y \"$d\") )) -lt 60; then echo jiku-job-running; "
    "elif test -d \"$d\"; then echo jiku-job-missing; "
    "else echo jiku-job-nodir; fi; "
    "tail -c 65536 \"$d/log\" 2>/dev/null; exit 0";

/* Absolute, at least two components, allow-listed characters, no "." or ".." components. */
static bool
valid_job_dir(const char *d)
{
    size_t n = strlen(d);
    int slashes = 0;

    if (n < 4 || n > JOB_DIR_MAX || d[0] != '/' || d[n - 1] == '/')
        return false;
    for (const char *p = d; *p != '\0'; p++) {
        if (*p == '/') {
            slashes++;
            if (p[1] == '/' || (p[1] == '.' && (p[2] == '/' || p[2] == '\0')) ||
                (p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0')))
                return false;
        } else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("._-+@=:,", *p) != NULL)) {
            return false;
        }
    }
    return slashes >= 2;
}

static int
build_cmd(struct jiku_buf *b, const char *script, const char *dir, const char *cmd)
{
    int r;

    if ((r = jiku_buf_adds(b, "sh -c ")) != 0 || (r = jiku_buf_add_shell_word(b, script)) != 0 ||
        (r = jiku_buf_adds(b, " jiku-job ")) != 0 || (r = jiku_buf_add_shell_word(b, dir)) != 0)
        return r;
    if (cmd != NULL &&
        ((r = jiku_buf_addch(b, ' ')) != 0 || (r = jiku_buf_add_shell_word(b, cmd)) != 0))
        return r;
    return 0;
}

int
jiku_ssh_job_start(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *job_dir,
                   const char *cmd, struct jiku_err *err)
{
    struct jiku_exec_result res = {
        .exit_status = -1, .out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    struct jiku_buf line = JIKU_BUF_INIT;
    int r;

    if (!valid_job_dir(job_dir))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid job directory '%s'", job_dir);
    /* The grace after a signal is for removing what was made, never for starting work. */
    if (jiku_interrupted())
        return jiku_err_set(err, JIKU_E_INTERRUPTED,
                            "server '%s': job in '%s' not started: interrupted by a signal",
                            srv->info.name, job_dir);
    if (cmd == NULL || *cmd == '\0')
        return jiku_err_set(err, JIKU_E_INVAL, "empty job command");
    if ((r = build_cmd(&line, start_script, job_dir, cmd)) != 0) {
        r = jiku_err_set(err, r, "out of memory");
        goto out;
    }
    /*
     * Safe to repeat: after an ambiguous failure the next attempt finds the directory the
     * first one claimed and reports the job as started instead of starting it again.
     */
    if ((r = jiku_ssh_exec_timeout(s, srv, line.data, true, 4096, JOB_TIMEOUT, &res, err)) != 0)
        goto out;
    jiku_buf_rtrim(&res.out);
    jiku_buf_rtrim(&res.errout);
    if (res.exit_status != 0) {
        r = jiku_err_set(err, JIKU_E_FAILED, "server '%s': cannot start job in '%s': %s",
                         srv->info.name, job_dir,
                         res.errout.len > 0 ? res.errout.data : "exit status not 0");
        goto out;
    }
    if (strcmp(res.out.data, "jiku-job-exists") == 0) {
        log_info("server '%s': job in '%s' was started earlier; collecting that one",
                 srv->info.name, job_dir);
    } else if (strcmp(res.out.data, "jiku-job-started") != 0) {
        r = jiku_err_set(err, JIKU_E_DATA, "server '%s': unexpected answer starting job in '%s'",
                         srv->info.name, job_dir);
        goto out;
    } else {
        log_debug("server '%s': job started in '%s'", srv->info.name, job_dir);
    }
    r = 0;
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&line);
    return r;
}

/* The state of the job in JOB_DIR, after waiting up to WAIT_S seconds for it to end. */
static int
job_state(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *job_dir,
          unsigned wait_s, struct jiku_job_status *st, struct jiku_err *err)
{
    struct jiku_exec_result res = {
        .exit_status = -1, .out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    struct jiku_buf line = JIKU_BUF_INIT;
    const char *nl, *state;
    char wait[16];
    int r;

    jiku_buf_reset(&st->log);
    st->exit_status = -1;
    st->state = JIKU_JOB_MISSING;
    if (!valid_job_dir(job_dir))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid job directory '%s'", job_dir);
    /* Waiting for a job is a long wait: it ends at once on a signal, grace or not. */
    if (jiku_interrupted())
        return jiku_err_set(err, JIKU_E_INTERRUPTED,
                            "server '%s': waiting for the job in '%s': interrupted by a signal",
                            srv->info.name, job_dir);
    if (wait_s > JOB_WAIT_MAX)
        wait_s = JOB_WAIT_MAX;
    snprintf(wait, sizeof(wait), "%u", wait_s);
    if ((r = build_cmd(&line, poll_script, job_dir, wait)) != 0) {
        r = jiku_err_set(err, r, "out of memory");
        goto out;
    }
    if ((r = jiku_ssh_exec_timeout(s, srv, line.data, true, JOB_LOG_TAIL + 256,
                                   JOB_TIMEOUT + (int)wait_s, &res, err)) != 0)
        goto out;
    state = res.out.data;
    if (res.exit_status != 0 || (nl = strchr(state, '\n')) == NULL) {
        r = jiku_err_set(err, JIKU_E_DATA, "server '%s': cannot poll job in '%s': %s",
                         srv->info.name, job_dir,
                         res.errout.len > 0 ? res.errout.data : "no answer");
        goto out;
    }
    if (strncmp(state, "jiku-job-done ", 14) == 0) {
        char *end;
        long rc = strtol(state + 14, &end, 10);

        if (end == state + 14 || end != nl || rc < 0 || rc > 255) {
            r = jiku_err_set(err, JIKU_E_DATA, "server '%s': job in '%s' left a bad rc file",
                             srv->info.name, job_dir);
            goto out;
        }
        st->state = JIKU_JOB_DONE;
        st->exit_status = (int)rc;
    } else if (strncmp(state, "jiku-job-running\n", 17) == 0) {
        st->state = JIKU_JOB_RUNNING;
    } else if (strncmp(state, "jiku-job-missing\n", 17) == 0 ||
               strncmp(state, "jiku-job-nodir\n", 15) == 0) {
        st->state = JIKU_JOB_MISSING;
        log_warn("server '%s': job in '%s' %s", srv->info.name, job_dir,
                 state[9] == 'n' ? "does not exist" : "is gone without an exit status");
    } else {
        r = jiku_err_set(err, JIKU_E_DATA, "server '%s': unexpected answer polling job in '%s'",
                         srv->info.name, job_dir);
        goto out;
    }
    if ((r = jiku_buf_add(&st->log, nl + 1, res.out.len - (size_t)(nl + 1 - res.out.data))) != 0)
        r = jiku_err_set(err, r, "out of memory");
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&line);
    return r;
}

int
jiku_ssh_job_poll(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *job_dir,
                  struct jiku_job_status *st, struct jiku_err *err)
{
    return job_state(s, srv, job_dir, 0, st, err);
}

int
jiku_ssh_job_wait(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *job_dir,
                  unsigned max_s, struct jiku_job_status *st, struct jiku_err *err)
{
    return job_state(s, srv, job_dir, max_s, st, err);
}

void
jiku_job_status_release(struct jiku_job_status *st)
{
    if (st == NULL)
        return;
    jiku_buf_release(&st->log);
    st->exit_status = -1;
}
