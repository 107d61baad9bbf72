/*
 * `plesk bin …` over SSH, and the rules every remote word passes first: names and paths are
 * validated against allow-lists and every word is quoted by jiku_buf_add_shell_word.  Long
 * commands (pleskbackup, pleskrestore) run detached through the host's jobs (SPEC §6).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plesk.h"

#define RUN_OUTPUT_MAX ((size_t)1 << 20)
#define LOG_TAIL_MAX 300

/* ---- names and paths --------------------------------------------------------------------- */

bool
plesk_valid_domain(const char *s)
{
    size_t len;

    if (s == NULL || (len = strlen(s)) == 0 || len > 253 || s[0] == '-' || s[0] == '.' ||
        s[len - 1] == '.' || strstr(s, "..") != NULL)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
              s[i] == '.'))
            return false;
    return true;
}

static bool
safe_char(int c)
{
    return isalnum(c) || c == '.' || c == '_' || c == '-' || c == '+' || c == '@';
}

bool
plesk_valid_component(const char *s)
{
    size_t len;

    if (s == NULL || (len = strlen(s)) == 0 || len > 255 || s[0] == '-' || strcmp(s, ".") == 0 ||
        strcmp(s, "..") == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!safe_char((unsigned char)s[i]))
            return false;
    return true;
}

bool
plesk_valid_path(const char *s)
{
    if (s == NULL || s[0] != '/' || s[1] == '\0' || strlen(s) > 4000)
        return false;
    for (const char *p = s + 1;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);

        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!safe_char((unsigned char)p[i]))
                return false;
        if (slash == NULL)
            return true;
        p = slash + 1;
    }
}

bool
plesk_path_inside(const char *path, const char *dir)
{
    size_t n;

    if (!plesk_valid_path(path) || !plesk_valid_path(dir))
        return false;
    n = strlen(dir);
    return strncmp(path, dir, n) == 0 && path[n] == '/' && path[n + 1] != '\0';
}

bool
plesk_www_root_ok(const char *root, const char *domain)
{
    size_t dl;

    if (!plesk_valid_path(root) || !plesk_valid_domain(domain))
        return false;
    dl = strlen(domain);
    /* VHOSTS/DOMAIN/SUB…: the first component equal to DOMAIN, with a root before it. */
    for (const char *p = strchr(root + 1, '/'); p != NULL; p = strchr(p + 1, '/'))
        if (strncmp(p + 1, domain, dl) == 0 && p[1 + dl] == '/')
            return p[1 + dl + 1] != '\0';
    return false;
}

int
plesk_export_paths(const struct jiku_server_info *server, const char *domain, const char *name,
                   char **domain_dir, char **dir, struct jiku_err *err)
{
    const char *base = server->snapshot_dir;

    if (domain_dir != NULL)
        *domain_dir = NULL;
    if (dir != NULL)
        *dir = NULL;
    if (!plesk_valid_path(base))
        return jiku_err_set(err, JIKU_E_INVAL, "server '%s' has no usable snapshot_dir",
                            server->name);
    if (!plesk_valid_domain(domain))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid subscription name '%s'",
                            domain != NULL ? domain : "");
    if (name != NULL && !plesk_valid_component(name))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid artifact name '%s'", name);
    if (domain_dir != NULL && asprintf(domain_dir, "%s/%s", base, domain) < 0)
        goto nomem;
    if (dir != NULL && name != NULL && asprintf(dir, "%s/%s/%s", base, domain, name) < 0)
        goto nomem;
    return 0;
nomem:
    if (domain_dir != NULL) {
        free(*domain_dir);
        *domain_dir = NULL;
    }
    if (dir != NULL)
        *dir = NULL;
    return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
}

int
plesk_job_dir(const struct jiku_server_info *server, const char *operation_id, const char *step,
              char **out, struct jiku_err *err)
{
    *out = NULL;
    if (!plesk_valid_path(server->snapshot_dir))
        return jiku_err_set(err, JIKU_E_INVAL, "server '%s' has no usable snapshot_dir",
                            server->name);
    if (!plesk_valid_component(operation_id) || !plesk_valid_component(step))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid operation id '%s'",
                            operation_id != NULL ? operation_id : "");
    if (asprintf(out, "%s/.jobs/%s/%s", server->snapshot_dir, operation_id, step) < 0) {
        *out = NULL;
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    return 0;
}

/* ---- polling ----------------------------------------------------------------------------- */

int64_t
plesk_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

unsigned
plesk_poll_interval(int64_t elapsed_ms, int poll_max)
{
    int64_t cap = (int64_t)(poll_max > 0 ? poll_max : 10) * 1000, ms = elapsed_ms / 10;

    if (ms < 250)
        ms = 250;
    if (ms > cap)
        ms = cap;
    return (unsigned)ms;
}

/* ---- commands ---------------------------------------------------------------------------- */

static int
words(struct jiku_buf *b, const char *const *w, struct jiku_err *err)
{
    for (size_t i = 0; w[i] != NULL; i++) {
        if ((i > 0 && jiku_buf_addch(b, ' ') != 0) || jiku_buf_add_shell_word(b, w[i]) != 0)
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    return 0;
}

/* The last non-empty line of S (LEN bytes) into DST, cleaned for a message. */
static void
last_line(char *dst, size_t dstlen, const char *s, size_t len)
{
    size_t end = len, start, n, j = 0;

    while (end > 0 && isspace((unsigned char)s[end - 1]))
        end--;
    start = end;
    while (start > 0 && s[start - 1] != '\n')
        start--;
    n = end - start;
    for (size_t i = 0; i < n && j + 1 < dstlen; i++)
        dst[j++] = (unsigned char)s[start + i] < 0x20 ? ' ' : s[start + i];
    dst[j] = '\0';
}

int
plesk_run(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd, bool safe,
          size_t max_output, const char *what, struct jiku_exec_result *res, struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct jiku_exec_result mine = {-1, JIKU_BUF_INIT, JIKU_BUF_INIT};
    struct jiku_exec_result *x = res != NULL ? res : &mine;
    char line[LOG_TAIL_MAX + 1];
    int r;

    x->exit_status = -1;
    jiku_buf_init(&x->out);
    jiku_buf_init(&x->errout);
    r = op->host->ssh_exec(op, srv, cmd, safe, max_output ? max_output : RUN_OUTPUT_MAX, x, err);
    if (r == 0 && x->exit_status != 0) {
        last_line(line, sizeof(line), jiku_buf_str(&x->errout), x->errout.len);
        if (line[0] == '\0')
            last_line(line, sizeof(line), jiku_buf_str(&x->out), x->out.len);
        r = jiku_err_set(err, JIKU_E_PANEL, "%s on '%s' failed (exit status %d)%s%s", what,
                         srv->name, x->exit_status, line[0] != '\0' ? ": " : "", line);
    }
    jiku_exec_result_release(&mine);
    return r;
}

int
plesk_parse_digest(const char *out, struct plesk_digest *d, struct jiku_err *err)
{
    const char *p = out;
    uint64_t size = 0;
    size_t digits = 0, i;

    memset(d, 0, sizeof(*d));
    while (isdigit((unsigned char)*p) && digits < 20) {
        size = size * 10 + (uint64_t)(*p++ - '0');
        digits++;
    }
    if (digits == 0 || *p++ != '\n')
        return jiku_err_set(err, JIKU_E_DATA, "cannot read a file size from the server");
    for (i = 0; i < 64; i++) {
        char c = p[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            break;
        d->sha256[i] = c;
    }
    if (i != 64 || p[64] != ' ')
        return jiku_err_set(err, JIKU_E_DATA, "cannot read a sha256 from the server");
    d->sha256[64] = '\0';
    d->size = size;
    return 0;
}

int
plesk_remote_digest(struct jiku_op *op, const struct jiku_server_info *server, const char *path,
                    struct plesk_digest *d, struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct jiku_exec_result res = {-1, JIKU_BUF_INIT, JIKU_BUF_INIT};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    if (!plesk_valid_path(path))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid remote path '%s'", path);
    /* Nothing but a regular file (not a symlink) counts. */
    if (jiku_buf_adds(&cmd, "f=") != 0 || jiku_buf_add_shell_word(&cmd, path) != 0 ||
        jiku_buf_adds(&cmd,
                      "; if test -f \"$f\" && ! test -L \"$f\"; then "
                      "stat -c %s \"$f\" && sha256sum \"$f\"; else echo jiku-missing; fi") != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = plesk_run(op, srv, cmd.data, true, 4096, "checksum", &res, err)) != 0)
        goto out;
    if (strcmp(jiku_buf_str(&res.out), "jiku-missing\n") == 0) {
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "'%s' is not on '%s'", path, srv->name);
        goto out;
    }
    if ((r = plesk_parse_digest(jiku_buf_str(&res.out), d, err)) != 0)
        jiku_err_prefix(err, "'%s' on '%s'", path, srv->name);
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    return r;
}

int
plesk_remote_mkdirs(struct jiku_op *op, const struct jiku_server_info *server,
                    const char *const *dirs, struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r = 0;

    if (jiku_buf_adds(&cmd, "umask 077 && mkdir -p -m 700 --") != 0)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    for (size_t i = 0; r == 0 && dirs[i] != NULL; i++) {
        if (!plesk_valid_path(dirs[i]))
            r = jiku_err_set(err, JIKU_E_INVAL, "invalid remote path '%s'", dirs[i]);
        else if (jiku_buf_addch(&cmd, ' ') != 0 || jiku_buf_add_shell_word(&cmd, dirs[i]) != 0)
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    if (r == 0)
        r = plesk_run(op, server, cmd.data, true, 0, "mkdir", NULL, err);
    jiku_buf_release(&cmd);
    return r;
}

int
plesk_remote_remove(struct jiku_op *op, const struct jiku_server_info *server, const char *path,
                    struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    const char *w[] = {"rm", "-rf", "--", path, NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    /* Never anything outside snapshot_dir: the path came from the catalog or our own names. */
    if (!plesk_path_inside(path, srv->snapshot_dir))
        return jiku_err_set(err, JIKU_E_INVAL,
                            "refusing to remove '%s' on '%s': not inside "
                            "snapshot_dir '%s'",
                            path, srv->name, srv->snapshot_dir);
    if ((r = words(&cmd, w, err)) == 0)
        r = plesk_run(op, srv, cmd.data, true, 0, "rm", NULL, err);
    jiku_buf_release(&cmd);
    return r;
}

void
plesk_remote_remove_quietly(struct jiku_op *op, const struct jiku_server_info *server,
                            const char *path)
{
    struct jiku_err e = {0};

    if (path != NULL && plesk_remote_remove(op, server, path, &e) != 0)
        op->host->log(op, JIKU_LOG_WARN, "cannot remove '%s': %s", path, e.msg);
}

int
plesk_remote_empty_dir(struct jiku_op *op, const struct jiku_server_info *server, const char *dir,
                       struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    if (!plesk_valid_path(dir))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid remote path '%s'", dir);
    /* A symlinked web root is not emptied: find would not descend into it anyway. */
    if (jiku_buf_adds(&cmd, "d=") != 0 || jiku_buf_add_shell_word(&cmd, dir) != 0 ||
        jiku_buf_adds(&cmd, "; if test -L \"$d\" || ! test -d \"$d\"; then "
                            "echo \"not a directory: $d\" >&2; exit 3; fi; "
                            "find \"$d\" -mindepth 1 -delete") != 0) {
        jiku_buf_release(&cmd);
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    r = plesk_run(op, server, cmd.data, true, 0, "emptying the web root", NULL, err);
    jiku_buf_release(&cmd);
    return r;
}

/* ---- detached jobs ----------------------------------------------------------------------- */

/* The job directory and, when it is empty then, its operation's directory. */
static void
job_cleanup(struct jiku_op *op, const struct jiku_server_info *srv, const char *job_dir)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    char *parent = strdup(job_dir), *slash;
    struct jiku_err e = {0};

    plesk_remote_remove_quietly(op, srv, job_dir);
    if (parent != NULL && (slash = strrchr(parent, '/')) != NULL) {
        *slash = '\0';
        if (jiku_buf_adds(&cmd, "rmdir -- ") == 0 && jiku_buf_add_shell_word(&cmd, parent) == 0 &&
            jiku_buf_adds(&cmd, " 2>/dev/null; exit 0") == 0)
            (void)plesk_run(op, srv, cmd.data, true, 0, "rmdir", NULL, &e);
    }
    free(parent);
    jiku_buf_release(&cmd);
}

/*
 * Stop the job in JOB_DIR: its wrapper was started under setsid, so its pid is its process
 * group, which holds the command and every child.
 */
static int
job_kill(struct jiku_op *op, const struct jiku_server_info *srv, const char *job_dir)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_err e = {0};
    int r;

    if (jiku_buf_adds(&cmd, "d=") != 0 || jiku_buf_add_shell_word(&cmd, job_dir) != 0 ||
        jiku_buf_adds(&cmd, "; p=$(cat \"$d/pid\" 2>/dev/null); case $p in ''|*[!0-9]*) "
                            "exit 3;; esac; kill -TERM -- \"-$p\" 2>/dev/null; sleep 1; "
                            "kill -KILL -- \"-$p\" 2>/dev/null; exit 0") != 0) {
        jiku_buf_release(&cmd);
        return JIKU_E_NOMEM;
    }
    r = plesk_run(op, srv, cmd.data, true, 0, "stopping the job", NULL, &e);
    if (r != 0)
        op->host->log(op, JIKU_LOG_WARN, "cannot stop the job in '%s': %s", job_dir, e.msg);
    jiku_buf_release(&cmd);
    return r;
}

int
plesk_job_run(struct jiku_op *op, const struct jiku_server_info *server, const char *job_dir,
              const char *cmd, const char *what, bool cancellable, bool *left_running,
              struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct jiku_job_status st = {JIKU_JOB_MISSING, -1, JIKU_BUF_INIT};
    int64_t start, elapsed, timeout_ms = (int64_t)(srv->timeout > 0 ? srv->timeout : 7200) * 1000;
    char line[LOG_TAIL_MAX + 1];
    int r;

    if (left_running != NULL)
        *left_running = false;
    if ((r = op->host->job_start(op, srv, job_dir, cmd, err)) != 0) {
        /* An ambiguous start may have started it. */
        if (left_running != NULL)
            *left_running = r == JIKU_E_UNREACHABLE || r == JIKU_E_INTERRUPTED;
        return r;
    }
    start = plesk_now_ms();
    for (;;) {
        elapsed = plesk_now_ms() - start;
        if (elapsed > timeout_ms) {
            if (cancellable && job_kill(op, srv, job_dir) == 0) {
                r = jiku_err_set(err, JIKU_E_PANEL,
                                 "%s on '%s' ran past the timeout of %d s and "
                                 "was stopped",
                                 what, srv->name, (int)(timeout_ms / 1000));
                job_cleanup(op, srv, job_dir);
                goto out;
            }
            r = jiku_err_set(err, JIKU_E_PANEL,
                             "%s on '%s' ran past the timeout of %d s; it is "
                             "left to finish in '%s'",
                             what, srv->name, (int)(timeout_ms / 1000), job_dir);
            if (left_running != NULL)
                *left_running = true;
            goto out;
        }
        if ((r = op->host->sleep_ms(op, plesk_poll_interval(elapsed, srv->poll_max))) != 0) {
            r = jiku_err_set(err, r,
                             "interrupted while waiting for %s on '%s'; it is left to "
                             "finish in '%s'",
                             what, srv->name, job_dir);
            if (left_running != NULL)
                *left_running = true;
            goto out;
        }
        if ((r = op->host->job_poll(op, srv, job_dir, &st, err)) != 0) {
            if (left_running != NULL)
                *left_running = true;
            goto out;
        }
        {
            const struct jiku_progress p = {
                .step = what,
                .done = (uint64_t)((plesk_now_ms() - start) / 1000),
                .total = 0,
                .state = st.state == JIKU_JOB_RUNNING ? "running" : NULL,
            };

            op->host->progress(op, &p);
        }
        if (st.state == JIKU_JOB_RUNNING)
            continue;
        last_line(line, sizeof(line), jiku_buf_str(&st.log), st.log.len);
        if (st.state == JIKU_JOB_MISSING) {
            r = jiku_err_set(err, JIKU_E_PANEL, "%s on '%s' is gone without an exit status", what,
                             srv->name);
        } else if (st.exit_status != 0) {
            r = jiku_err_set(err, JIKU_E_PANEL, "%s on '%s' failed (exit status %d)%s%s", what,
                             srv->name, st.exit_status, line[0] != '\0' ? ": " : "", line);
        }
        break;
    }
    /* A finished job's directory has served its purpose. */
    job_cleanup(op, srv, job_dir);
out:
    jiku_job_status_release(&st);
    return r;
}

int
plesk_cli_export(struct jiku_op *op, const struct jiku_server_info *server, const char *domain,
                 const char *dir, const char *step, struct plesk_digest *d, char **file,
                 struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct jiku_buf cmd = JIKU_BUF_INIT;
    char *job = NULL, *path = NULL, *parent = NULL, *slash;
    bool running = false;
    int r;

    *file = NULL;
    if (!plesk_valid_domain(domain) || !plesk_path_inside(dir, srv->snapshot_dir))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid export of '%s' into '%s'", domain, dir);
    if ((r = plesk_job_dir(srv, op->params->operation_id, step, &job, err)) != 0)
        return r;
    if (asprintf(&path, "%s/%s", dir, PLESK_EXPORT_NAME) < 0 || (parent = strdup(dir)) == NULL) {
        path = NULL;
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    slash = strrchr(parent, '/');
    *slash = '\0';
    {
        const char *dirs[] = {parent, dir, NULL};

        if ((r = plesk_remote_mkdirs(op, srv, dirs, err)) != 0)
            goto out;
    }
    {
        const char *w[] = {"plesk", "bin",          "pleskbackup", "--domains-name",
                           domain,  "-output-file", path,          NULL};

        if ((r = words(&cmd, w, err)) != 0)
            goto out_dir;
    }
    op->host->log(op, JIKU_LOG_INFO, "exporting '%s' on '%s' into '%s'", domain, srv->name, path);
    if ((r = plesk_job_run(op, srv, job, cmd.data, "pleskbackup", true, &running, err)) != 0)
        goto out_dir;
    if ((r = plesk_remote_digest(op, srv, path, d, err)) != 0) {
        if (r == JIKU_E_NOTFOUND)
            r = jiku_err_set(err, JIKU_E_PANEL, "pleskbackup on '%s' succeeded but left no '%s'",
                             srv->name, path);
        goto out_dir;
    }
    if (d->size == 0) {
        r = jiku_err_set(err, JIKU_E_DATA, "pleskbackup on '%s' left an empty '%s'", srv->name,
                         path);
        goto out_dir;
    }
    *file = path;
    path = NULL;
out_dir:
    /* A job still running (unreachable, interrupted, past timeout) writes there: leave it. */
    if (r != 0 && !running)
        plesk_remote_remove_quietly(op, srv, dir);
out:
    free(job);
    free(path);
    free(parent);
    jiku_buf_release(&cmd);
    return r;
}

int
plesk_cli_check(struct jiku_op *op, const struct jiku_server_info *server, const char *file,
                bool ignore_sign, struct jiku_err *err)
{
    const char *w[] = {
        "plesk", "bin", "pleskrestore", "--check-backup", file, ignore_sign ? "-ignore-sign" : NULL,
        NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    if (!plesk_valid_path(file))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid remote path '%s'", file);
    if ((r = words(&cmd, w, err)) == 0)
        r = plesk_run(op, server, cmd.data, true, 0, "pleskrestore --check-backup", NULL, err);
    jiku_buf_release(&cmd);
    return r;
}

int
plesk_cli_restore(struct jiku_op *op, const struct jiku_server_info *server, const char *file,
                  const char *domain, bool ignore_sign, bool *left_running, struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct jiku_buf cmd = JIKU_BUF_INIT, filter = JIKU_BUF_INIT;
    char *job = NULL;
    int r;

    if (!plesk_valid_path(file) || !plesk_valid_domain(domain))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid restore of '%s' from '%s'", domain, file);
    if ((r = plesk_job_dir(srv, op->params->operation_id, "restore", &job, err)) != 0)
        return r;
    if (jiku_buf_addf(&filter, "list:%s", domain) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    {
        const char *w[] = {
            "plesk",  "bin",     "pleskrestore", "--restore", file,
            "-level", "domains", "-filter",      filter.data, ignore_sign ? "-ignore-sign" : NULL,
            NULL};

        if ((r = words(&cmd, w, err)) != 0)
            goto out;
    }
    op->host->log(op, JIKU_LOG_INFO, "restoring '%s' on '%s' from '%s'%s", domain, srv->name, file,
                  ignore_sign ? " (signature not required: sha256 matched)" : "");
    r = plesk_job_run(op, srv, job, cmd.data, "pleskrestore", false, left_running, err);
out:
    free(job);
    jiku_buf_release(&cmd);
    jiku_buf_release(&filter);
    return r;
}
