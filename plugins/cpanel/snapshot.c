/*
 * One pkgacct snapshot (docs/WIRE.md §2.4): free space checked first, a fresh 0700 tarroot per
 * artifact, start_background_pkgacct's session waited for (pkgwait.c), the archive taken only
 * from the master log's "pkgacctfile is:" line and re-checked over SSH.  Whatever fails
 * after the tarroot exists removes it again, unless pkgacct may still be writing into it: then
 * the error names it and prune's sweep removes it once stale.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpanel.h"
#include "cpanel_account.h"
#include "cpanel_remote.h"

#define GIB ((uint64_t)1 << 30)
#define MIB ((uint64_t)1 << 20)

void
cpanel_snap_release(struct cpanel_snap *s)
{
    free(s->dir);
    free(s->archive);
    free(s->warnings);
    memset(s, 0, sizeof(*s));
}

static int
check_space(struct jiku_op *op, const struct jiku_server_info *srv, const char *user,
            struct jiku_err *err)
{
    struct cpanel_account acct = {0};
    uint64_t avail = 0, need;
    int r;

    if ((r = cpanel_account_get(op, srv, user, false, &acct, err)) != 0)
        goto out;
    if (!acct.have_disk_used) {
        r = jiku_err_set(err, JIKU_E_DATA, "accountsummary of '%s' on '%s' gives no disk use", user,
                         srv->name);
        goto out;
    }
    if ((r = cpanel_remote_free(op, srv, srv->snapshot_dir, &avail, err)) != 0)
        goto out;
    /*
     * cPanel's own rule for pkgacct (docs/WIRE.md §2.4): twice the account plus a gigabyte.  The
     * account's size is WHM's: no local measure bounds it (remote databases, compression).
     */
    need = 2 * acct.disk_used + GIB;
    if (avail < need)
        r = jiku_err_set(err, JIKU_E_PANEL,
                         "too little free space on '%s' for a snapshot of '%s': %llu MiB free in "
                         "'%s', %llu MiB needed (2 x disk use + 1 GiB)",
                         srv->name, user, (unsigned long long)(avail / MIB), srv->snapshot_dir,
                         (unsigned long long)(need / MIB));
out:
    cpanel_account_release(&acct);
    return r;
}

/* `ls -lA` of DIR: what a job writing into it has produced so far. */
static int
list_dir(struct jiku_op *op, const struct jiku_server_info *srv, const char *dir,
         struct jiku_buf *out, struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    int r;

    if (jiku_buf_adds(&cmd, "ls -lA --time-style=+%s -- ") != 0 ||
        jiku_buf_add_shell_word(&cmd, dir) != 0) {
        jiku_buf_release(&cmd);
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    r = plug_run(op, srv, cmd.data, true, 65536, "ls", &res, err);
    jiku_buf_reset(out);
    if (r == 0 && jiku_buf_add(out, res.out.data, res.out.len) != 0)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    return r;
}

/*
 * The answer to start_background_pkgacct was lost: the job may be running.  No documented call
 * lists pkgacct sessions, so look in the work directory we gave it (docs/WIRE.md §1.3): wait while
 * a job writes there, so that removing the directory afterwards leaves nothing behind, and never
 * start a second one.  Always fails; *SETTLED when a job was seen to finish writing there.
 */
static int
lost_start(struct jiku_op *op, const struct jiku_server_info *srv, const char *dir,
           const char *user, bool *settled_out, struct jiku_err *err)
{
    struct jiku_buf prev = JIKU_BUF_INIT, cur = JIKU_BUF_INIT, was;
    int64_t start = plug_now_ms(), grace_ms, timeout_ms;
    char archive[64];
    bool seen = false, settled = false;
    struct jiku_err e = {0};
    int r = 0;

    op->host->log(op, JIKU_LOG_WARN,
                  "the answer to start_background_pkgacct on '%s' was lost; looking for the "
                  "job in '%s'",
                  srv->name, dir);
    snprintf(archive, sizeof(archive), " cpmove-%s.tar.gz\n", user);
    timeout_ms = plug_timeout_ms(srv);
    grace_ms = (int64_t)(srv->poll_max > 3 ? srv->poll_max * 3 : 10) * 1000;
    if (grace_ms < 30000)
        grace_ms = 30000;
    if (grace_ms > timeout_ms)
        grace_ms = timeout_ms;
    for (;;) {
        int64_t elapsed = plug_now_ms() - start;

        if ((r = op->host->sleep_ms(op, plug_poll_interval(elapsed, srv->poll_max))) != 0) {
            jiku_err_set(&e, r, "interrupted while looking for the pkgacct job");
            break;
        }
        if ((r = list_dir(op, srv, dir, &cur, &e)) != 0)
            break;
        elapsed = plug_now_ms() - start;
        /* "total 0" alone: nothing written yet. */
        if (strchr(cur.data, '\n') != NULL && strchr(cur.data, '\n')[1] != '\0')
            seen = true;
        if (seen && strstr(cur.data, archive) != NULL && strcmp(cur.data, prev.data) == 0) {
            settled = true;
            break;
        }
        if ((!seen && elapsed > grace_ms) || elapsed > timeout_ms)
            break;
        /* This listing becomes the previous one, without a copy; list_dir refills cur. */
        was = prev;
        prev = cur;
        cur = was;
    }
    jiku_buf_release(&prev);
    jiku_buf_release(&cur);
    *settled_out = settled;
    if (r == JIKU_E_INTERRUPTED)
        return jiku_err_set(err, r, "%s", e.msg);
    return jiku_err_set(err, JIKU_E_UNREACHABLE,
                        "the answer to start_background_pkgacct on '%s' was lost; %s; not "
                        "starting a second pkgacct",
                        srv->name,
                        settled ? "the job it started finished and was discarded (its log "
                                  "cannot be read without the session id)"
                        : seen  ? "a job writing into the work directory was given up on"
                                : "no job appeared in the work directory");
}

/* The master log, checked: the archive lies directly in DIR and matches its md5 and size. */
static int
check_log(struct jiku_op *op, const struct jiku_server_info *srv, const char *user, const char *sid,
          const char *state, const char *dir, struct cpanel_snap *out, struct jiku_err *err)
{
    const struct cpanel_param p[] = {{"session_id", sid}};
    struct cpanel_pkgacct_log log = {.errors = JIKU_BUF_INIT, .warnings = JIKU_BUF_INIT};
    json_t *root = NULL;
    const char *text;
    int r;

    if ((r = cpanel_whm_call(op, srv, "fetch_pkgacct_master_log", p, 1, false, &root, err)) != 0)
        goto out;
    if ((text = cpanel_json_str(json_object_get(root, "data"), "log")) == NULL) {
        r = jiku_err_set(err, JIKU_E_DATA, "fetch_pkgacct_master_log on '%s' gives no log",
                         srv->name);
        goto out;
    }
    if ((r = cpanel_pkgacct_log_parse(text, strlen(text), &log, err)) != 0) {
        jiku_err_prefix(err, "server '%s'", srv->name);
        goto out;
    }
    if (strcmp(state, "FAILED") == 0 || log.n_errors > 0) {
        r = jiku_err_set(err, JIKU_E_PANEL, "pkgacct of '%s' on '%s' %s: %s", user, srv->name,
                         strcmp(state, "FAILED") == 0 ? "FAILED" : "reported errors",
                         log.n_errors > 0 ? log.errors.data : "no ERROR line in its log");
        goto out;
    }
    if (log.n_warnings > 0 && srv->strict_warnings) {
        r = jiku_err_set(err, JIKU_E_PANEL,
                         "pkgacct of '%s' on '%s' reported warnings (strict_warnings): %s", user,
                         srv->name, log.warnings.data);
        goto out;
    }
    if (!log.completed || log.archive == NULL || log.md5[0] == '\0' || !log.have_size) {
        r = jiku_err_set(err, JIKU_E_DATA, "pkgacct log of '%s' on '%s' lacks %s", user, srv->name,
                         !log.completed        ? "'pkgacct completed'"
                         : log.archive == NULL ? "'pkgacctfile is:'"
                         : log.md5[0] == '\0'  ? "'md5sum is:'"
                                               : "'size is:'");
        goto out;
    }
    if (!plug_path_inside(log.archive, dir) || strchr(log.archive + strlen(dir) + 1, '/')) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "pkgacct on '%s' wrote '%.200s', not into the directory it was given "
                         "('%s')",
                         srv->name, log.archive, dir);
        goto out;
    }
    if ((r = plug_remote_digest(op, srv, log.archive, true, &out->digest, err)) != 0) {
        if (r == JIKU_E_NOTFOUND)
            r = jiku_err_set(err, JIKU_E_DATA, "the archive pkgacct names ('%s') is not on '%s'",
                             log.archive, srv->name);
        goto out;
    }
    if (out->digest.size != log.size || strcmp(out->digest.md5, log.md5) != 0) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "archive '%s' on '%s' does not match pkgacct's log: size %llu, md5 %s "
                         "(log: %llu, %s)",
                         log.archive, srv->name, (unsigned long long)out->digest.size,
                         out->digest.md5, (unsigned long long)log.size, log.md5);
        goto out;
    }
    out->archive = log.archive;
    log.archive = NULL;
    if (log.n_warnings > 0) {
        if ((out->warnings = strdup(log.warnings.data)) == NULL)
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        else
            op->host->log(op, JIKU_LOG_WARN, "pkgacct of '%s' warned: %s", user, out->warnings);
    }
out:
    cpanel_pkgacct_log_release(&log);
    json_decref(root);
    return r;
}

int
cpanel_snapshot_take(struct jiku_op *op, const struct jiku_server_info *server, const char *user,
                     const char *id, struct cpanel_snap *out, struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct cpanel_snap snap = {0};
    char *user_dir = NULL, *sid = NULL, state[16] = "";
    json_t *root = NULL;
    bool created = false, may_run = false, settled = false;
    int r;

    memset(out, 0, sizeof(*out));
    if ((r = cpanel_snapshot_paths(srv, user, id, &user_dir, &snap.dir, err)) != 0)
        goto out;
    if ((r = check_space(op, srv, user, err)) != 0)
        goto out;
    {
        const char *dirs[] = {user_dir, snap.dir, NULL};

        if ((r = plug_remote_mkdirs(op, srv, dirs, err)) != 0)
            goto out;
    }
    created = true;
    {
        const struct cpanel_param p[] = {
            {"user", user},
            {"tarroot", snap.dir},
            {"compressionsetting", "compress"},
            {"low_priority", "1"},
        };

        r = cpanel_whm_call(op, srv, "start_background_pkgacct", p, 4, true, &root, err);
    }
    if (r == JIKU_E_TRANSIENT) {
        r = lost_start(op, srv, snap.dir, user, &settled, err);
        may_run = !settled;
        goto out;
    }
    if (r != 0)
        goto out;
    /* From here until its session is seen to end, pkgacct may be writing into snap.dir. */
    may_run = true;
    if ((r = cpanel_whm_job_id(root, "start_background_pkgacct", "session_id", srv, &sid, err)) !=
        0)
        goto out;
    op->host->log(op, JIKU_LOG_INFO, "pkgacct of '%s' started on '%s' (session %s)", user,
                  srv->name, sid);
    if ((r = cpanel_pkgacct_wait(op, srv, user, sid, state, sizeof(state), err)) != 0)
        goto out;
    may_run = false;
    if ((r = check_log(op, srv, user, sid, state, snap.dir, &snap, err)) != 0)
        goto out;
    *out = snap;
    memset(&snap, 0, sizeof(snap));
out:
    if (r != 0 && created && may_run) {
        /* Never pull the directory from under a job: prune's sweep removes it once stale. */
        char why[JIKU_ERR_MSG_MAX];

        snprintf(why, sizeof(why), "%s", err != NULL ? err->msg : "");
        jiku_err_set(err, r,
                     "%s; pkgacct may still be writing: its work directory '%s' is left "
                     "for prune",
                     why, snap.dir);
    } else if (r != 0 && created) {
        struct jiku_err e2 = {0};

        if (plug_remote_remove(op, srv, snap.dir, &e2) != 0)
            op->host->log(op, JIKU_LOG_WARN, "cannot remove '%s' after a failed snapshot: %s",
                          snap.dir, e2.msg);
    }
    cpanel_snap_release(&snap);
    json_decref(root);
    free(sid);
    free(user_dir);
    return r;
}
