/*
 * Private to ssh.c, ssh_conn.c, ssh_hostkey.c, ssh_job.c and sftp.c: one connected libssh2
 * session, the wait helper of the poll loop, libssh2 error mapping, and the session pool that
 * struct jiku_ssh keeps per server.
 */
#ifndef JIKU_SSH_CONN_H
#define JIKU_SSH_CONN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "config.h"
#include "retry.h"
#include "ssh.h"

/* One TCP connection with its SSH session; used by one thread at a time. */
struct ssh_conn {
    LIBSSH2_SESSION *sess;
    LIBSSH2_SFTP *sftp; /* opened on first use */
    int fd;
    const struct jiku_server_conf *srv;
    int keepalive;         /* seconds; keepalives are sent from ssh_wait */
    bool reused;           /* handed out from the pool before: may have gone stale */
    struct ssh_conn *next; /* pool's idle list */
};

struct ssh_pool {
    const struct jiku_server_conf *srv;
    struct ssh_conn *idle;
    int n_open; /* idle + in use */
    struct ssh_pool *next;
};

struct jiku_ssh {
    struct jiku_ssh_opts opts;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a connection went back to a pool or closed */
    struct ssh_pool *pools;
    unsigned long handshakes;
};

/* libssh2_init, once per process: 0, or JIKU_E_FAILED. */
int ssh_lib_init(struct jiku_err *err);

/*
 * TCP connect to SRV (non-blocking, polled with the interrupt fd) and the SSH handshake with
 * host-key method preference PREFS (NULL: libssh2's default), within CONNECT_TIMEOUT_S.
 * *OUT is the caller's (ssh_conn_destroy).  Connection failures are JIKU_E_TRANSIENT.
 */
int ssh_conn_open(const struct jiku_server_conf *srv, int connect_timeout_s, const char *prefs,
                  struct ssh_conn **out, struct jiku_err *err);
/* Close without a goodbye (the session may be mid-operation); NULL-safe. */
void ssh_conn_destroy(struct ssh_conn *c);
/* Send SSH_MSG_DISCONNECT (bounded wait), then destroy. */
void ssh_conn_close(struct ssh_conn *c);

/* Public-key authentication as SRV's ssh_user with ssh_key; JIKU_E_AUTH on refusal. */
int ssh_conn_auth(struct ssh_conn *c, int64_t deadline_ms, struct jiku_err *err);

/*
 * Mark this thread's next SSH work as a clean-up command run in the grace after a signal
 * (run.h): waits then go on until the grace ends instead of ending at once.  ssh.c sets it
 * around one command and clears it after.
 */
void ssh_grace_set(bool on);
bool ssh_grace(void);

/*
 * Wait until the socket is ready in the direction libssh2 is blocked on, sending keepalives
 * while nothing happens.  JIKU_E_INTERRUPTED as soon as a signal arrives (in the grace: when
 * it ends), JIKU_E_TRANSIENT past DEADLINE_MS (monotonic, jiku_now_ms).
 */
int ssh_wait(struct ssh_conn *c, int64_t deadline_ms, const char *what, struct jiku_err *err);

/*
 * Record the libssh2 failure RC of WHAT on C in ERR and return its status: JIKU_E_TRANSIENT
 * for a lost connection or a timeout, JIKU_E_NOTFOUND for a missing SFTP file, else
 * JIKU_E_FAILED.
 */
int ssh_fail(struct ssh_conn *c, int rc, const char *what, struct jiku_err *err);

/* The SFTP subsystem of C, started on first use. */
int ssh_conn_sftp(struct ssh_conn *c, int64_t deadline_ms, struct jiku_err *err);

/* Pool (ssh.c): a connected, verified, authenticated session of SRV, for this thread only. */
int ssh_pool_get(struct jiku_ssh *s, const struct jiku_server_conf *srv, struct ssh_conn **out,
                 struct jiku_err *err);
/* Give C back: kept for reuse when HEALTHY, else destroyed.  NULL-safe. */
void ssh_pool_put(struct jiku_ssh *s, struct ssh_conn *c, bool healthy);
/* Close the idle sessions of SRV (after one of them proved stale). */
void ssh_pool_flush(struct jiku_ssh *s, const struct jiku_server_conf *srv);

/*
 * Run CMD on C, INPUT (NULL: none) on its stdin, capturing stdout and stderr each bounded by
 * MAX_OUTPUT.  *SENT becomes true once the command may have reached the server (an ambiguous
 * failure after that point).
 */
int ssh_run(struct ssh_conn *c, const char *cmd, const struct jiku_ssh_input *input,
            size_t max_output, int64_t deadline_ms, struct jiku_exec_result *res, bool *sent,
            struct jiku_err *err);

/*
 * After an attempt on SRV failed with R: 0 to try again (after backoff), or the final status.
 * Only JIKU_E_TRANSIENT failures are retried, and only when MAY_REPEAT.
 */
int ssh_retry_decide(struct jiku_retry *rt, int r, bool may_repeat,
                     const struct jiku_server_conf *srv, struct jiku_err *err);

#endif
