/*
 * The host table lent to plugins.  Plugins see struct jiku_server_info; the transports need the
 * whole struct jiku_server_conf, which embeds the info as its first member.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostimpl.h"
#include "http.h"
#include "log.h"
#include "progress.h"
#include "run.h"
#include "secret.h"
#include "ssh.h"

struct jiku_hostimpl {
    struct jiku_host table;
    const struct jiku_config *cfg;
    struct jiku_out *out;
    pthread_mutex_t lock; /* creation of the transports */
    struct jiku_http *http;
    struct jiku_ssh *ssh;
    bool tty_progress;
};

static struct jiku_hostimpl *
host_of(struct jiku_op *op)
{
    return ((struct jiku_op_core *)op->core)->host;
}

/* The conf that embeds INFO (SERVER, or the op's own server when NULL). */
static const struct jiku_server_conf *
server_conf(struct jiku_op *op, const struct jiku_server_info *server)
{
    const struct jiku_server_info *info = server != NULL ? server : op->server;

    return (const struct jiku_server_conf *)((const char *)info -
                                             offsetof(struct jiku_server_conf, info));
}

static void
progress_cb(void *arg, const struct jiku_progress *p)
{
    struct jiku_hostimpl *h = arg;

    if (h->tty_progress)
        jiku_progress_show(NULL, p);
}

int
jiku_hostimpl_http(struct jiku_hostimpl *h, struct jiku_http **out, struct jiku_err *err)
{
    struct jiku_http_opts opts = {
        .connect_timeout = h->cfg->connect_timeout,
        .retry_deadline = h->cfg->retry_deadline,
    };
    int r = 0;

    pthread_mutex_lock(&h->lock);
    if (h->http == NULL)
        r = jiku_http_new(h->cfg, &opts, &h->http, err);
    *out = h->http;
    pthread_mutex_unlock(&h->lock);
    return r;
}

int
jiku_hostimpl_ssh(struct jiku_hostimpl *h, struct jiku_ssh **out, struct jiku_err *err)
{
    struct jiku_ssh_opts opts = {
        .connect_timeout = h->cfg->connect_timeout,
        .retry_deadline = h->cfg->retry_deadline,
        .progress = progress_cb,
        .progress_arg = h,
    };
    int r = 0;

    pthread_mutex_lock(&h->lock);
    if (h->ssh == NULL)
        r = jiku_ssh_new(h->cfg, &opts, &h->ssh, err);
    *out = h->ssh;
    pthread_mutex_unlock(&h->lock);
    return r;
}

static int
host_http(struct jiku_op *op, const struct jiku_server_info *server,
          const struct jiku_http_request *req, struct jiku_http_response *resp,
          struct jiku_err *err)
{
    struct jiku_http *http;
    int r;

    if ((r = jiku_hostimpl_http(host_of(op), &http, err)) != 0)
        return r;
    return jiku_http_request(http, server_conf(op, server), req, resp, err);
}

static int
host_ssh_exec(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd, bool safe,
              size_t max_output, struct jiku_exec_result *res, struct jiku_err *err)
{
    struct jiku_ssh *ssh;
    int r;

    if ((r = jiku_hostimpl_ssh(host_of(op), &ssh, err)) != 0)
        return r;
    return jiku_ssh_exec(ssh, server_conf(op, server), cmd, safe, max_output, res, err);
}

static int
host_ssh_exec_input(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd,
                    const void *input, size_t input_len, bool safe, size_t max_output,
                    struct jiku_exec_result *res, struct jiku_err *err)
{
    const struct jiku_ssh_input in = {input, input_len};
    struct jiku_ssh *ssh;
    int r;

    if ((r = jiku_hostimpl_ssh(host_of(op), &ssh, err)) != 0)
        return r;
    return jiku_ssh_exec_input(ssh, server_conf(op, server), cmd, &in, safe, max_output, res, err);
}

static int
host_job_start(struct jiku_op *op, const struct jiku_server_info *server, const char *job_dir,
               const char *cmd, struct jiku_err *err)
{
    struct jiku_ssh *ssh;
    int r;

    if ((r = jiku_hostimpl_ssh(host_of(op), &ssh, err)) != 0)
        return r;
    return jiku_ssh_job_start(ssh, server_conf(op, server), job_dir, cmd, err);
}

static int
host_job_poll(struct jiku_op *op, const struct jiku_server_info *server, const char *job_dir,
              struct jiku_job_status *st, struct jiku_err *err)
{
    struct jiku_ssh *ssh;
    int r;

    if ((r = jiku_hostimpl_ssh(host_of(op), &ssh, err)) != 0)
        return r;
    return jiku_ssh_job_poll(ssh, server_conf(op, server), job_dir, st, err);
}

static int
host_job_wait(struct jiku_op *op, const struct jiku_server_info *server, const char *job_dir,
              unsigned max_s, struct jiku_job_status *st, struct jiku_err *err)
{
    struct jiku_ssh *ssh;
    int r;

    if ((r = jiku_hostimpl_ssh(host_of(op), &ssh, err)) != 0)
        return r;
    return jiku_ssh_job_wait(ssh, server_conf(op, server), job_dir, max_s, st, err);
}

static int
host_sftp_get(struct jiku_op *op, const struct jiku_server_info *server, const char *remote,
              const char *local, struct jiku_xfer_result *res, struct jiku_err *err)
{
    struct jiku_ssh *ssh;
    int r;

    if ((r = jiku_hostimpl_ssh(host_of(op), &ssh, err)) != 0)
        return r;
    return jiku_sftp_get(ssh, server_conf(op, server), remote, local, res, err);
}

static int
host_sftp_put(struct jiku_op *op, const struct jiku_server_info *server, const char *local,
              const char *remote, struct jiku_xfer_result *res, struct jiku_err *err)
{
    struct jiku_ssh *ssh;
    int r;

    if ((r = jiku_hostimpl_ssh(host_of(op), &ssh, err)) != 0)
        return r;
    return jiku_sftp_put(ssh, server_conf(op, server), local, remote, res, err);
}

/*
 * Secrets are never kept in the config: the store (secret.c) reads each file once per run into
 * locked memory, and every call hands the plugin a copy it wipes after the request.
 */
static int
host_read_secret(struct jiku_op *op, const struct jiku_server_info *server, enum jiku_secret which,
                 struct jiku_buf *out, struct jiku_err *err)
{
    const struct jiku_server_conf *sc = server_conf(op, server);
    bool token = which == JIKU_SECRET_API_TOKEN;
    const char *path = token ? sc->api_token_file : sc->api_password_file;

    if (path == NULL)
        return jiku_err_set(err, JIKU_E_CONFIG, "server '%s' has no %s", sc->info.name,
                            token ? "api_token_file" : "api_password_file");
    return jiku_secret_get(path, token ? "token file" : "password file", out, err);
}

static void
host_log(struct jiku_op *op, enum jiku_log_level level, const char *fmt, ...)
{
    struct jiku_op_core *core = op->core;
    char prefix[160];
    va_list ap;

    snprintf(prefix, sizeof(prefix), "%s: %s", core->plugin_name,
             op->target != NULL ? op->target->id : op->server->name);
    va_start(ap, fmt);
    jiku_vlog(level, prefix, fmt, ap);
    va_end(ap);
}

static void
host_progress(struct jiku_op *op, const struct jiku_progress *p)
{
    if (host_of(op)->tty_progress)
        jiku_progress_show(op->target != NULL ? op->target->id : op->server->name, p);
}

static bool
host_cancelled(struct jiku_op *op)
{
    (void)op;
    return jiku_interrupted();
}

static int
host_sleep_ms(struct jiku_op *op, unsigned ms)
{
    (void)op;
    return jiku_sleep_ms(ms);
}

int
jiku_hostimpl_new(const struct jiku_config *cfg, struct jiku_out *out,
                  struct jiku_hostimpl **out_host, struct jiku_err *err)
{
    struct jiku_hostimpl *h = calloc(1, sizeof(*h));

    if (h == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    h->cfg = cfg;
    h->out = out;
    pthread_mutex_init(&h->lock, NULL);
    /* Progress is for a human watching a terminal; never under cron or --json. */
    h->tty_progress = isatty(STDERR_FILENO) && !out->json && !out->quiet;
    h->table = (struct jiku_host){
        .abi_version = JIKU_HOST_ABI_VERSION,
        .struct_size = sizeof(struct jiku_host),
        .http = host_http,
        .ssh_exec = host_ssh_exec,
        .job_start = host_job_start,
        .job_poll = host_job_poll,
        .sftp_get = host_sftp_get,
        .sftp_put = host_sftp_put,
        .read_secret = host_read_secret,
        .log = host_log,
        .progress = host_progress,
        .cancelled = host_cancelled,
        .sleep_ms = host_sleep_ms,
        .ssh_exec_input = host_ssh_exec_input,
        .job_wait = host_job_wait,
    };
    *out_host = h;
    return 0;
}

void
jiku_hostimpl_free(struct jiku_hostimpl *h)
{
    if (h == NULL)
        return;
    jiku_http_free(h->http);
    jiku_ssh_free(h->ssh);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

const struct jiku_host *
jiku_hostimpl_table(struct jiku_hostimpl *h)
{
    return &h->table;
}
