/*
 * Waiting for a pkgacct session to end (docs/WIRE.md §2.4).  WHM says RUNNING while the
 * session's `upid` link names a live process, so the plugin waits for that process on the
 * server, in one SSH command that blocks there, and asks WHM once when it has ended.  A wait is
 * bounded; after each bound WHM is asked once whether the session still runs (a pid can be
 * reused) before the next.  Polling WHM is the fallback: when that wait cannot be had (no such
 * session directory, a cut channel, an answer it cannot read) or WHM still says RUNNING.
 */
#include <stdio.h>
#include <string.h>

#include "cpanel.h"

/*
 * What get_pkgacct_session_state answers until the session's process has made its upid link
 * (cPanel's Whostmgr/Backup/Pkgacct/State.pm dies so while the master log has no line yet).
 */
#define UNIDENTIFIED "Could not identify state from pkgacct log"

/*
 * Longest one wait command blocks.  Ctrl-C ends the agent's side at once (the core's SSH waits
 * watch for the signal); the server's side, which prints nothing, then ends within this bound.
 */
#define WAIT_MAX_S 30

/*
 * $1 the session's directory, $2 the bound in seconds, $3 how many 0.2 s ticks to wait for the
 * upid link.  Prints one line "jiku-wait WORD": ended (the link's process is gone), running
 * (it outlived the bound), noupid, nosession or failed.  Waiting on the pid is one process that
 * looks every 0.1 s (GNU tail --pid), not a fork per look; a zombie, alive to kill(2) until its
 * parent reaps it, has ended too.  Root's directory (WHM makes it): a symbolic link in its
 * place is no session.
 */
static const char wait_script[] =
    "d=$1 t=$2 g=$3\n"
    "[ -d \"$d\" ] && [ ! -L \"$d\" ] || { echo 'jiku-wait nosession'; exit 0; }\n"
    "n=0\n"
    "while [ ! -L \"$d/upid\" ]; do\n"
    "  [ \"$n\" -lt \"$g\" ] || { echo 'jiku-wait noupid'; exit 0; }\n"
    "  sleep 0.2; n=$((n + 1))\n"
    "done\n"
    "l=$(readlink -- \"$d/upid\") || l=\n"
    "p=${l%%.*}\n"
    "case $p in ''|0*|*[!0-9]*) echo 'jiku-wait failed'; exit 0 ;; esac\n"
    "r=$((t * 10 - n * 2)); [ \"$r\" -ge 10 ] || r=10\n"
    "timeout \"$((r / 10)).$((r % 10))\" tail -s 0.1 --pid=\"$p\" -f /dev/null; e=$?\n"
    "if [ \"$e\" -eq 124 ] && read -r s 2>/dev/null <\"/proc/$p/stat\"; then\n"
    "  case ${s##*) } in Z*) e=0 ;; esac\n"
    "fi\n"
    "case $e in 0) echo 'jiku-wait ended' ;; 124) echo 'jiku-wait running' ;;"
    " *) echo 'jiku-wait failed' ;; esac\n";

/* [server] pkgacct_start_grace in ms. */
static int64_t
start_grace_ms(const struct jiku_server_info *srv)
{
    return (int64_t)cpanel_settings(srv)->pkgacct_start_grace * 1000;
}

/*
 * Wait on the server for session SID (started at START ms) to end.  *ENDED when its process is
 * gone; *AGAIN when it outlived the wait's bound (the caller asks WHM, then waits again);
 * neither: the caller polls.  Fails only when interrupted.
 */
static int
watch_session(struct jiku_op *op, const struct jiku_server_info *srv, const char *user,
              const char *sid, int64_t start, bool *ended, bool *again, struct jiku_err *err)
{
    const char *sessions = cpanel_settings(srv)->pkgacct_sessions_dir;
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    struct jiku_buf sdir = JIKU_BUF_INIT;
    int64_t timeout_ms = plug_timeout_ms(srv), grace_ms = start_grace_ms(srv);
    const char *why = NULL;
    int r = 0;

    *ended = *again = false;
    /* The id is WHM's answer: only a plain name may become a path on the server. */
    if (!plug_valid_word(sid, 128, "_-") || !plug_valid_path(sessions)) {
        why = "its id or pkgacct_sessions_dir cannot name a path";
        goto out;
    }
    if (jiku_buf_adds(&sdir, sessions) != 0 || jiku_buf_adds(&sdir, "/") != 0 ||
        jiku_buf_adds(&sdir, sid) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    for (;;) {
        int64_t elapsed = plug_now_ms() - start, bound_ms = timeout_ms - elapsed;
        int64_t upid_ms = grace_ms - elapsed;
        char bound[16], ticks[16];
        const char *args[] = {sdir.data, bound, ticks, NULL};
        struct jiku_err e = {0};

        if (bound_ms > WAIT_MAX_S * 1000)
            bound_ms = WAIT_MAX_S * 1000;
        if (bound_ms < 1000)
            goto out; /* past the timeout: the poll reports it */
        if (upid_ms > bound_ms)
            upid_ms = bound_ms;
        snprintf(bound, sizeof(bound), "%lld", (long long)(bound_ms / 1000));
        snprintf(ticks, sizeof(ticks), "%lld",
                 (long long)(upid_ms > 0 ? (upid_ms + 199) / 200 : 0));
        /* plug_run starts RES afresh: the last wait's answer goes first. */
        jiku_exec_result_release(&res);
        r = plug_run_as_owner(op, srv, NULL, NULL, wait_script, args, 4096, "pkgacct wait", &res,
                              &e);
        if (r == JIKU_E_INTERRUPTED) {
            r = jiku_err_set(err, r, "interrupted while pkgacct of '%s' was running", user);
            goto out;
        }
        if (r != 0) {
            op->host->log(op, JIKU_LOG_INFO, "cannot wait for pkgacct session %s: %s; polling WHM",
                          sid, e.msg);
            r = 0;
            goto out;
        }
        op->host->progress(op,
                           &(struct jiku_progress){.step = "pkgacct",
                                                   .done = (uint64_t)(plug_now_ms() - start) / 1000,
                                                   .state = "RUNNING"});
        if (strcmp(res.out.data, "jiku-wait ended\n") == 0) {
            *ended = true;
            goto out;
        }
        /* Its pid outlived the bound: WHM says whether that is still pkgacct (a pid is reused). */
        if (strcmp(res.out.data, "jiku-wait running\n") == 0) {
            *again = true;
            goto out;
        }
        /* No link yet while the start grace lasts: the daemon has not run the job yet. */
        if (strcmp(res.out.data, "jiku-wait noupid\n") == 0 && plug_now_ms() - start < grace_ms)
            continue;
        why = strcmp(res.out.data, "jiku-wait nosession\n") == 0
                  ? "no such session directory (pkgacct_sessions_dir)"
              : strcmp(res.out.data, "jiku-wait noupid\n") == 0
                  ? "its process did not appear"
                  : "the wait command answered something else";
        goto out;
    }
out:
    if (why != NULL)
        op->host->log(op, JIKU_LOG_INFO,
                      "cannot wait for pkgacct session %s on '%s' over SSH: %s; polling WHM", sid,
                      srv->name, why);
    jiku_exec_result_release(&res);
    jiku_buf_release(&sdir);
    return r;
}

/*
 * Poll the session until it leaves RUNNING; *STATE is "COMPLETED" or "FAILED".  WHM hands out
 * the session id before the session's process exists: until a first state is known, the
 * answer UNIDENTIFIED means "not started yet" for pkgacct_start_grace seconds after START.
 * AT_ONCE asks without pausing first (the wait saw the session end).
 */
static int
poll_session(struct jiku_op *op, const struct jiku_server_info *srv, const char *user,
             const char *sid, int64_t start, bool at_once, bool once, char *state, size_t state_len,
             struct jiku_err *err)
{
    const struct cpanel_param p[] = {{"session_id", sid}};
    int64_t timeout_ms = plug_timeout_ms(srv);
    int64_t grace_ms = start_grace_ms(srv);
    bool known = false;
    int r;

    for (;;) {
        int64_t elapsed = plug_now_ms() - start;
        struct jiku_err e = {0};
        json_t *root = NULL;
        const char *s;

        if (elapsed > timeout_ms)
            return jiku_err_set(err, JIKU_E_PANEL,
                                "pkgacct of '%s' on '%s' ran past timeout (%d s)", user, srv->name,
                                srv->timeout);
        if (!at_once &&
            (r = op->host->sleep_ms(op, plug_poll_interval(elapsed, srv->poll_max))) != 0)
            return jiku_err_set(err, r, "interrupted while pkgacct of '%s' was running", user);
        at_once = false;
        r = cpanel_whm_call(op, srv, "get_pkgacct_session_state", p, 1, false, &root, &e);
        if (r == JIKU_E_PANEL && !known && strstr(e.msg, UNIDENTIFIED) != NULL) {
            elapsed = plug_now_ms() - start;
            if (elapsed <= grace_ms) {
                op->host->log(op, JIKU_LOG_DEBUG,
                              "pkgacct session %s on '%s' has no state yet (%lld ms after its "
                              "start)",
                              sid, srv->name, (long long)elapsed);
                continue;
            }
            return jiku_err_set(
                err, JIKU_E_PANEL,
                "pkgacct of '%s' on '%s' has no state %lld s after its start "
                "(session %s; WHM still answers '" UNIDENTIFIED "'; pkgacct_start_grace = %lld s)",
                user, srv->name, (long long)(elapsed / 1000), sid, (long long)(grace_ms / 1000));
        }
        if (r != 0)
            return jiku_err_set(err, r, "%s", e.msg);
        known = true;
        s = cpanel_json_str(json_object_get(root, "data"), "state");
        if (s == NULL || (strcmp(s, "RUNNING") != 0 && strcmp(s, "COMPLETED") != 0 &&
                          strcmp(s, "FAILED") != 0)) {
            r = jiku_err_set(err, JIKU_E_DATA,
                             "get_pkgacct_session_state on '%s' gives an unknown state '%.40s'",
                             srv->name, s != NULL ? s : "(none)");
            json_decref(root);
            return r;
        }
        snprintf(state, state_len, "%s", s);
        json_decref(root);
        op->host->progress(op, &(struct jiku_progress){.step = "pkgacct",
                                                       .done = (uint64_t)elapsed / 1000,
                                                       .state = state});
        if (strcmp(state, "RUNNING") != 0 || once)
            return 0;
    }
}

int
cpanel_pkgacct_wait(struct jiku_op *op, const struct jiku_server_info *server, const char *user,
                    const char *sid, char *state, size_t state_len, struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    int64_t start = plug_now_ms();
    bool ended = false, again = false;
    int r;

    for (;;) {
        if ((r = watch_session(op, srv, user, sid, start, &ended, &again, err)) != 0)
            return r;
        if (!again)
            break;
        if ((r = poll_session(op, srv, user, sid, start, true, true, state, state_len, err)) != 0 ||
            strcmp(state, "RUNNING") != 0)
            return r;
    }
    if (ended)
        op->host->log(op, JIKU_LOG_DEBUG, "pkgacct session %s on '%s' ended; asking WHM", sid,
                      srv->name);
    return poll_session(op, srv, user, sid, start, ended, false, state, state_len, err);
}
