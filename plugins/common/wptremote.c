/*
 * WP Toolkit over the host's SSH: every remote word validated where a pattern exists and
 * quoted by jiku_buf_add_shell_word; long commands as detached jobs (SPEC §6 "Long jobs");
 * the instance of a target resolved afresh before every write.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wpt.h"

#define LINE_MAX_SHOWN 300

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
wpt_words(struct jiku_buf *cmd, const char *const *words)
{
    for (size_t i = 0; words[i] != NULL; i++) {
        if ((cmd->len > 0 && cmd->data[cmd->len - 1] != ' ' && jiku_buf_addch(cmd, ' ') != 0) ||
            jiku_buf_add_shell_word(cmd, words[i]) != 0)
            return JIKU_E_NOMEM;
    }
    return 0;
}

int
wpt_cmd(const struct wpt_panel *panel, struct jiku_buf *cmd, const char *const *words)
{
    int r;

    if ((r = wpt_words(cmd, panel->prefix)) != 0)
        return r;
    return wpt_words(cmd, words);
}

/* The last line of TEXT that says something (not a progress line), bounded, into LINE. */
static void
last_line(char *line, size_t size, const char *text)
{
    const char *end = text + strlen(text), *p, *best = NULL, *best_end = NULL;

    line[0] = '\0';
    while (end > text) {
        while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
            end--;
        for (p = end; p > text && p[-1] != '\n'; p--)
            ;
        if (end > p && strncmp(p, "Progress:", 9) != 0) {
            best = p;
            best_end = end;
            break;
        }
        end = p;
    }
    if (best != NULL) {
        size_t n = (size_t)(best_end - best);

        if (n > size - 1)
            n = size - 1;
        for (size_t i = 0; i < n; i++)
            line[i] = (unsigned char)best[i] < 0x20 ? ' ' : best[i];
        line[n] = '\0';
    }
}

int
wpt_run(struct jiku_op *op, const char *cmd, bool safe, size_t max_output, const char *what,
        struct jiku_exec_result *res, struct jiku_err *err)
{
    struct jiku_exec_result local = {0};
    struct jiku_exec_result *x = res != NULL ? res : &local;
    char line[LINE_MAX_SHOWN];
    int r;

    memset(x, 0, sizeof(*x));
    if ((r = op->host->ssh_exec(op, NULL, cmd, safe, max_output, x, err)) != 0) {
        jiku_err_prefix(err, "%s on '%s'", what, op->server->name);
        goto out;
    }
    if (x->exit_status != 0) {
        last_line(line, sizeof(line), jiku_buf_str(&x->errout));
        if (line[0] == '\0')
            last_line(line, sizeof(line), jiku_buf_str(&x->out));
        r = jiku_err_set(err, JIKU_E_PANEL, "%s on '%s' failed (exit %d)%s%s", what,
                         op->server->name, x->exit_status, line[0] != '\0' ? ": " : "", line);
    }
out:
    if (res == NULL || r != 0)
        jiku_exec_result_release(x);
    return r;
}

static int
hex_token(const char **p, char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)(*p)[i]))
            return -1;
        out[i] = (char)tolower((unsigned char)(*p)[i]);
    }
    out[n] = '\0';
    if ((*p)[n] != ' ' && (*p)[n] != '\n' && (*p)[n] != '\0')
        return -1;
    *p = strchr(*p, '\n');
    if (*p != NULL)
        (*p)++;
    return 0;
}

int
wpt_parse_digest(const char *out, struct wpt_digest *d, struct jiku_err *err)
{
    const char *p = out;
    char *end;

    if (p == NULL || hex_token(&p, d->md5, 32) != 0 || p == NULL ||
        hex_token(&p, d->sha256, 64) != 0 || p == NULL || !isdigit((unsigned char)*p))
        return jiku_err_set(err, JIKU_E_DATA, "md5sum/sha256sum/stat printed something unexpected");
    d->size = strtoull(p, &end, 10);
    if (*end != '\n' && *end != '\0')
        return jiku_err_set(err, JIKU_E_DATA, "stat printed something unexpected");
    return 0;
}

int
wpt_remote_digest(struct jiku_op *op, const char *path, struct wpt_digest *d, struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_exec_result res = {0};
    int r;

    if (!wpt_valid_path(path))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing the remote path '%s'", path);
    if (jiku_buf_adds(&cmd, "if [ ! -f ") != 0 || jiku_buf_add_shell_word(&cmd, path) != 0 ||
        jiku_buf_adds(&cmd, " ]; then echo MISSING; exit 0; fi; md5sum -- ") != 0 ||
        jiku_buf_add_shell_word(&cmd, path) != 0 || jiku_buf_adds(&cmd, " && sha256sum -- ") != 0 ||
        jiku_buf_add_shell_word(&cmd, path) != 0 ||
        jiku_buf_adds(&cmd, " && stat -c %s -- ") != 0 ||
        jiku_buf_add_shell_word(&cmd, path) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = wpt_run(op, cmd.data, true, 4096, "checksums", &res, err)) != 0)
        goto out;
    if (strncmp(jiku_buf_str(&res.out), "MISSING", 7) == 0)
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "archive '%s' is gone from '%s'", path,
                         op->server->name);
    else
        r = wpt_parse_digest(jiku_buf_str(&res.out), d, err);
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    return r;
}

int
wpt_remote_mkdirs(struct jiku_op *op, const char *const *paths, struct jiku_err *err)
{
    static const char *const head[] = {"mkdir", "-m", "700", "-p", "--", NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    for (size_t i = 0; paths[i] != NULL; i++)
        if (!wpt_valid_path(paths[i]))
            return jiku_err_set(err, JIKU_E_INVAL, "refusing the remote path '%s'", paths[i]);
    if (jiku_buf_adds(&cmd, "umask 077; ") != 0 || wpt_words(&cmd, head) != 0 ||
        wpt_words(&cmd, paths) != 0)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    else
        r = wpt_run(op, cmd.data, true, 4096, "mkdir", NULL, err);
    jiku_buf_release(&cmd);
    return r;
}

int
wpt_remote_remove(struct jiku_op *op, const char *path, struct jiku_err *err)
{
    const char *words[] = {"rm", "-rf", "--", path, NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    /* Only ever below snapshot_dir: the one tree the agent owns on a panel server. */
    if (!wpt_path_inside(path, op->server->snapshot_dir))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing to remove '%s': not inside '%s'", path,
                            op->server->snapshot_dir != NULL ? op->server->snapshot_dir
                                                             : "(no snapshot_dir)");
    if (wpt_words(&cmd, words) != 0)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    else
        r = wpt_run(op, cmd.data, true, 4096, "rm", NULL, err);
    jiku_buf_release(&cmd);
    return r;
}

void
wpt_remote_remove_quietly(struct jiku_op *op, const char *path)
{
    struct jiku_err e = {0};

    if (path != NULL && wpt_remote_remove(op, path, &e) != 0)
        op->host->log(op, JIKU_LOG_WARN, "cannot remove '%s': %s", path, e.msg);
}

int
wpt_job_dir(struct jiku_op *op, const char *step, char **out, struct jiku_err *err)
{
    const char *sd = op->server->snapshot_dir, *opid = op->params->operation_id;
    struct jiku_buf b = JIKU_BUF_INIT;

    *out = NULL;
    if (!wpt_valid_path(sd))
        return jiku_err_set(err, JIKU_E_CONFIG, "server '%s' has no usable snapshot_dir",
                            op->server->name);
    if (!wpt_valid_component(opid) || !wpt_valid_component(step))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid operation id or job step");
    if (jiku_buf_addf(&b, "%s/.jobs/%s/%s", sd, opid, step) != 0) {
        jiku_buf_release(&b);
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    *out = jiku_buf_detach(&b);
    return 0;
}

static void
job_cleanup(struct jiku_op *op, const char *job_dir)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    char *parent = strdup(job_dir), *slash;
    struct jiku_err e = {0};

    wpt_remote_remove_quietly(op, job_dir);
    if (parent != NULL && (slash = strrchr(parent, '/')) != NULL) {
        *slash = '\0';
        if (jiku_buf_adds(&cmd, "rmdir -- ") == 0 && jiku_buf_add_shell_word(&cmd, parent) == 0 &&
            jiku_buf_adds(&cmd, " 2>/dev/null; exit 0") == 0)
            (void)wpt_run(op, cmd.data, true, 0, "rmdir", NULL, &e);
    }
    free(parent);
    jiku_buf_release(&cmd);
}

/* The wrapper ran under setsid: its pid is the process group of the command and children. */
static int
job_kill(struct jiku_op *op, const char *job_dir)
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
    if ((r = wpt_run(op, cmd.data, true, 0, "stopping the job", NULL, &e)) != 0)
        op->host->log(op, JIKU_LOG_WARN, "cannot stop the job in '%s': %s", job_dir, e.msg);
    jiku_buf_release(&cmd);
    return r;
}

int
wpt_job_run(struct jiku_op *op, const char *job_dir, const char *cmd, const char *what,
            bool cancellable, bool *left_running, struct jiku_err *err)
{
    const struct jiku_server_info *srv = op->server;
    struct jiku_job_status st = {JIKU_JOB_MISSING, -1, JIKU_BUF_INIT};
    int64_t start, elapsed, timeout_ms = (int64_t)(srv->timeout > 0 ? srv->timeout : 7200) * 1000;
    char line[LINE_MAX_SHOWN];
    bool running = false;
    int r;

    if ((r = op->host->job_start(op, NULL, job_dir, cmd, err)) != 0) {
        /* An ambiguous start may have started it. */
        running = r == JIKU_E_UNREACHABLE || r == JIKU_E_INTERRUPTED;
        goto out;
    }
    start = now_ms();
    for (;;) {
        elapsed = now_ms() - start;
        if (elapsed > timeout_ms) {
            if (cancellable && job_kill(op, job_dir) == 0) {
                r = jiku_err_set(err, JIKU_E_PANEL,
                                 "%s on '%s' ran past the timeout of %d s and was stopped", what,
                                 srv->name, (int)(timeout_ms / 1000));
                job_cleanup(op, job_dir);
                goto out;
            }
            r = jiku_err_set(err, JIKU_E_PANEL,
                             "%s on '%s' ran past the timeout of %d s; it is left to finish in "
                             "'%s'",
                             what, srv->name, (int)(timeout_ms / 1000), job_dir);
            running = true;
            goto out;
        }
        if ((r = op->host->sleep_ms(op, wpt_poll_interval(elapsed, srv->poll_max))) != 0) {
            r = jiku_err_set(err, r,
                             "interrupted while waiting for %s on '%s'; it is left to finish in "
                             "'%s'",
                             what, srv->name, job_dir);
            running = true;
            goto out;
        }
        if ((r = op->host->job_poll(op, NULL, job_dir, &st, err)) != 0) {
            running = true;
            goto out;
        }
        op->host->progress(op, &(struct jiku_progress){
                                   .step = what,
                                   .done = (uint64_t)((now_ms() - start) / 1000),
                                   .state = st.state == JIKU_JOB_RUNNING ? "running" : NULL,
                               });
        if (st.state == JIKU_JOB_RUNNING)
            continue;
        last_line(line, sizeof(line), jiku_buf_str(&st.log));
        if (st.state == JIKU_JOB_MISSING)
            r = jiku_err_set(err, JIKU_E_PANEL, "%s on '%s' is gone without an exit status", what,
                             srv->name);
        else if (st.exit_status != 0)
            r = jiku_err_set(err, JIKU_E_PANEL, "%s on '%s' failed (exit status %d)%s%s", what,
                             srv->name, st.exit_status, line[0] != '\0' ? ": " : "", line);
        break;
    }
    job_cleanup(op, job_dir);
out:
    if (left_running != NULL)
        *left_running = running;
    jiku_job_status_release(&st);
    return r;
}

/* `--list -format json`, parsed. */
static int
list_instances(const struct wpt_panel *panel, struct jiku_op *op, struct wpt_list *out,
               struct jiku_err *err)
{
    static const char *const w[] = {"--list", "-format", "json", NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_exec_result res = {0};
    int r;

    memset(out, 0, sizeof(*out));
    if (wpt_cmd(panel, &cmd, w) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = wpt_run(op, cmd.data, true, WPT_JSON_MAX + 1, "WP Toolkit --list", &res, err)) != 0)
        goto out;
    if ((r = wpt_list_parse(res.out.data, res.out.len, out, err)) != 0)
        jiku_err_prefix(err, "server '%s'", op->server->name);
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    return r;
}

int
wpt_exists(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_site *site,
           struct jiku_err *err)
{
    struct wpt_list list = {0};
    int r;

    if ((r = list_instances(panel, op, &list, err)) == 0) {
        for (size_t i = 0; i < list.n; i++)
            if (wpt_url_matches(list.items[i].site_url, site))
                r = 1;
    }
    wpt_list_release(&list);
    return r;
}

/* The other instances of LIST inside SELF's directory, relative to it, one a line. */
static int
nested_of(const struct wpt_list *list, const struct wpt_instance *self, char **out,
          struct jiku_err *err)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    size_t n = strlen(self->full_path);

    for (size_t i = 0; i < list->n; i++) {
        const char *p = list->items[i].full_path;

        if (&list->items[i] == self || !wpt_path_inside(p, self->full_path))
            continue;
        if (jiku_buf_adds(&b, p + n + 1) != 0 || jiku_buf_addch(&b, '\n') != 0) {
            jiku_buf_release(&b);
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        }
    }
    *out = b.len > 0 ? jiku_buf_detach(&b) : NULL;
    jiku_buf_release(&b);
    return 0;
}

int
wpt_resolve(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_site *site,
            struct wpt_instance *out, struct jiku_err *err)
{
    struct wpt_list list = {0};
    const struct wpt_instance *found = NULL;
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_exec_result res = {0};
    char id[32];
    int r;

    memset(out, 0, sizeof(*out));
    if ((r = list_instances(panel, op, &list, err)) != 0)
        goto out;
    if ((r = wpt_match(&list, site, &found, err)) != 0) {
        jiku_err_prefix(err, "server '%s'", op->server->name);
        goto out;
    }
    snprintf(id, sizeof(id), "%lld", found->id);
    {
        const char *w[] = {"--info", "-instance-id", id, "-format", "json", NULL};

        if (wpt_cmd(panel, &cmd, w) != 0) {
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            goto out;
        }
    }
    /* The id may have changed hands since the list: the instance it names now must be ours. */
    if ((r = wpt_run(op, cmd.data, true, WPT_JSON_MAX + 1, "WP Toolkit --info", &res, err)) != 0 ||
        (r = wpt_info_parse(res.out.data, res.out.len, out, err)) != 0) {
        jiku_err_prefix(err, "server '%s'", op->server->name);
        goto out;
    }
    if (out->id != found->id)
        r = jiku_err_set(err, JIKU_E_DATA, "WP Toolkit --info of id %lld describes id %lld",
                         found->id, out->id);
    else if ((r = wpt_instance_check(out, site, err)) != 0)
        jiku_err_prefix(err, "server '%s': the instance changed since it was listed",
                        op->server->name);
    if (r == 0 && (!wpt_valid_path(out->full_path) || out->broken))
        r = jiku_err_set(err, out->broken ? JIKU_E_PANEL : JIKU_E_DATA,
                         "WP Toolkit instance %lld on '%s' is %s ('%.200s')", out->id,
                         op->server->name, out->broken ? "broken" : "at an unusable path",
                         out->full_path);
    if (r == 0 && strcmp(out->full_path, found->full_path) != 0)
        r = jiku_err_set(err, JIKU_E_DATA,
                         "WP Toolkit instance %lld on '%s' moved from '%s' to '%s' since it was "
                         "listed",
                         out->id, op->server->name, found->full_path, out->full_path);
    if (r == 0)
        r = nested_of(&list, found, &out->nested, err);
out:
    if (r != 0)
        wpt_instance_release(out);
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    wpt_list_release(&list);
    return r;
}
