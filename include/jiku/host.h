/*
 * The host table: the services the core lends to a plugin for one operation.  This is the seam
 * where tests substitute fakes.
 *
 * Every function takes first the operation the action was called with, never NULL: the core
 * finds its own state through op->core.  open(), close() and check() have no such operation,
 * so they call none of them.  SERVER is NULL for op->server, or another server the core lent
 * with the operation (op->params->dest_server for a clone); the core finds its record of the
 * server from that very pointer, so a copy, or a pointer kept from an earlier operation, must
 * never be passed.  The functions are safe to call from several threads at once: concurrent
 * actions share one table (plugin.h).
 *
 * Functions return 0 or a negative enum jiku_status and fill ERR.  Transient failures
 * (network, HTTP 408, 429, 5xx) are repeated inside the core, until [agent] retry_deadline, for
 * steps the caller marks safe to repeat, and then come back as JIKU_E_UNREACHABLE; a step not
 * safe to repeat comes back as JIKU_E_TRANSIENT (ssh_exec still repeats one never sent), for
 * the plugin to decide: it may have happened.  After SIGINT/SIGTERM the network calls fail
 * with JIKU_E_INTERRUPTED, except that ssh_exec still runs commands for a short grace, so that
 * an action can remove what it made.
 *
 * The results below (jiku_http_response, jiku_exec_result, jiku_job_status, and the jiku_buf
 * of read_secret) are the caller's: it releases them after the call, whether the call
 * succeeded or failed, for a failed call may leave part of an answer in them.
 */
#ifndef JIKU_HOST_H
#define JIKU_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jiku/buf.h"
#include "jiku/err.h"
#include "jiku/log.h"
#include "jiku/plugin.h"

/*
 * The version of what the core lays out and lends: this table, and struct jiku_op with what it
 * points to (plugin.h).  A minor appends members only; a plugin reads or writes a member added
 * after its major's .0 only when abi_version below says the core has it.  The major is the
 * plugin ABI's: the loader refuses a plugin of another major, so a plugin never sees another.
 */
#define JIKU_HOST_ABI_MAJOR JIKU_PLUGIN_ABI_MAJOR
#define JIKU_HOST_ABI_MINOR 2
#define JIKU_HOST_ABI_VERSION ((JIKU_HOST_ABI_MAJOR << 16) | JIKU_HOST_ABI_MINOR)

struct jiku_http_header {
    const char *name;
    const char *value;
    bool secret; /* never logged, not even at -vvv */
};

struct jiku_http_request {
    const char *method; /* "GET" | "POST" */
    const char *path;   /* path and query, starting with '/'; host and port from the server */
    int port;           /* 0: the server's api_port */
    const struct jiku_http_header *headers;
    size_t n_headers;
    const void *body;
    size_t body_len;
    const char *content_type; /* for a body */
    bool safe_to_retry;       /* probes, polls, lists: repeat on transient failures */
    bool use_cookies;         /* keep this server's cookie jar for a panel session */
    size_t max_response;      /* 0: the core's default cap */
};

/*
 * http() first sets RESP empty, without freeing what it held: release a response before
 * reusing it.  Any status the panel answered, 4xx included, is a successful call; on failure
 * RESP may still hold the last answer (a 503 that outlived the retries).
 */
struct jiku_http_response {
    long status;
    struct jiku_buf body;
    char *location; /* Location header when present (redirects are never followed); malloc */
};

void jiku_http_response_release(struct jiku_http_response *resp);

/*
 * The caller initialises RES (its buffers JIKU_BUF_INIT) once: each ssh_exec() empties and
 * reuses its buffers, so one result may serve several calls, and after a failure it may hold
 * what arrived before it.  A non-zero exit status is a successful call.
 */
struct jiku_exec_result {
    int exit_status; /* -1 when killed by a signal */
    struct jiku_buf out;
    struct jiku_buf errout;
    /*
     * Either stream went over MAX_OUTPUT and the rest was dropped: what OUT holds is partial and
     * must not be parsed as if it were the whole answer (plug_run refuses it as bad data).
     */
    bool truncated;
};

void jiku_exec_result_release(struct jiku_exec_result *res);

enum jiku_job_state { JIKU_JOB_RUNNING = 0, JIKU_JOB_DONE = 1, JIKU_JOB_MISSING = 2 };

/*
 * The caller initialises ST (log JIKU_BUF_INIT) once: each job_poll() first sets state MISSING,
 * exit_status -1 and empties log, so one status may serve every poll of a job.
 */
struct jiku_job_status {
    enum jiku_job_state state;
    int exit_status;     /* when DONE */
    struct jiku_buf log; /* tail of the job's log, bounded */
};

void jiku_job_status_release(struct jiku_job_status *st);

/* Plain values: nothing to release; meaningless after a failed transfer. */
struct jiku_xfer_result {
    uint64_t size;
    char md5[33];
    char sha256[65];
};

enum jiku_secret { JIKU_SECRET_API_TOKEN = 0, JIKU_SECRET_API_PASSWORD = 1 };

struct jiku_progress {
    const char *step;  /* "pkgacct", "download", ... */
    uint64_t done;     /* bytes, or elapsed seconds for a job */
    uint64_t total;    /* 0 when unknown */
    const char *state; /* panel job state, or NULL */
};

struct jiku_host {
    uint32_t abi_version;
    uint32_t struct_size;

    /* One HTTPS request to SERVER (NULL: op->server). */
    int (*http)(struct jiku_op *op, const struct jiku_server_info *server,
                const struct jiku_http_request *req, struct jiku_http_response *resp,
                struct jiku_err *err);

    /*
     * Run CMD (built only from jiku_buf_add_shell_word words) over SSH; stdout and stderr
     * captured separately, each bounded by MAX_OUTPUT (0: the core's default).  SAFE: the
     * command may be repeated after a transient failure.
     */
    int (*ssh_exec)(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd,
                    bool safe, size_t max_output, struct jiku_exec_result *res,
                    struct jiku_err *err);

    /*
     * Start CMD detached in JOB_DIR (created 0700) so that it survives the connection; when a
     * start fails ambiguously the core looks for the job in JOB_DIR before reporting.
     */
    int (*job_start)(struct jiku_op *op, const struct jiku_server_info *server, const char *job_dir,
                     const char *cmd, struct jiku_err *err);
    int (*job_poll)(struct jiku_op *op, const struct jiku_server_info *server, const char *job_dir,
                    struct jiku_job_status *st, struct jiku_err *err);

    /* Stream REMOTE to LOCAL (temp name, fsync, rename; 0600) computing checksums. */
    int (*sftp_get)(struct jiku_op *op, const struct jiku_server_info *server, const char *remote,
                    const char *local, struct jiku_xfer_result *res, struct jiku_err *err);
    /* Stream LOCAL to REMOTE through a temp name and rename; 0600. */
    int (*sftp_put)(struct jiku_op *op, const struct jiku_server_info *server, const char *local,
                    const char *remote, struct jiku_xfer_result *res, struct jiku_err *err);

    /* Read a server's secret into OUT; the caller releases OUT with jiku_buf_release_secure. */
    int (*read_secret)(struct jiku_op *op, const struct jiku_server_info *server,
                       enum jiku_secret which, struct jiku_buf *out, struct jiku_err *err);

    void (*log)(struct jiku_op *op, enum jiku_log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    void (*progress)(struct jiku_op *op, const struct jiku_progress *p);
    /* True once SIGINT/SIGTERM arrived: stop at the next safe point with JIKU_E_INTERRUPTED. */
    bool (*cancelled)(struct jiku_op *op);
    /* Sleep MS milliseconds unless cancelled first (then JIKU_E_INTERRUPTED). */
    int (*sleep_ms)(struct jiku_op *op, unsigned ms);
    /* ABI 2.0 ends here; append only. */

    /*
     * Host ABI 2.1: as ssh_exec, with the INPUT_LEN bytes of INPUT written to the command's
     * stdin, then end of file.  A secret reaches a remote command this way (`IFS= read -r
     * VAR` in its script), never in its argv or a command line's environment.  The core keeps
     * no copy of INPUT; the caller wipes its own.
     */
    int (*ssh_exec_input)(struct jiku_op *op, const struct jiku_server_info *server,
                          const char *cmd, const void *input, size_t input_len, bool safe,
                          size_t max_output, struct jiku_exec_result *res, struct jiku_err *err);

    /*
     * Host ABI 2.2: as job_poll, once the job has ended or MAX_S seconds (at most 300) have
     * passed, waiting on the server in one command instead of being asked again and again.  A
     * server that cannot wait so answers at once: the job then reads as still running.
     */
    int (*job_wait)(struct jiku_op *op, const struct jiku_server_info *server, const char *job_dir,
                    unsigned max_s, struct jiku_job_status *st, struct jiku_err *err);
};

#endif
