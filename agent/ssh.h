/*
 * SSH and SFTP to panel servers over libssh2 (SPEC §6, §9): non-blocking sessions under a poll
 * loop, a session pool per server, known_hosts where only MATCH proceeds, host-key method
 * preference from known_hosts, key auth, keepalives, timeouts, cancellation; detached remote
 * jobs; streaming SFTP with checksums computed on the fly.
 */
#ifndef JIKU_SSH_H
#define JIKU_SSH_H

#include <stdbool.h>

#include "config.h"
#include "jiku/host.h"

struct jiku_ssh;

struct jiku_ssh_opts {
    int connect_timeout; /* seconds */
    int retry_deadline;  /* seconds one step may spend retrying */
    int keepalive;       /* seconds between keepalives; 0: 15 */
    void (*progress)(void *arg, const struct jiku_progress *p);
    void *progress_arg;
};

/*
 * A client for CFG's servers (CFG may be NULL: servers are told apart by the address of their
 * struct jiku_server_conf).  Thread-safe: each server gets a pool of at most its max_parallel
 * sessions, each used by one thread at a time.  *OUT is the caller's (jiku_ssh_free).
 */
int jiku_ssh_new(const struct jiku_config *cfg, const struct jiku_ssh_opts *opts,
                 struct jiku_ssh **out, struct jiku_err *err);
void jiku_ssh_free(struct jiku_ssh *s);

int jiku_ssh_exec(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *cmd,
                  bool safe, size_t max_output, struct jiku_exec_result *res, struct jiku_err *err);
/* As jiku_ssh_exec, with TIMEOUT_S for the whole command (0: the server's timeout). */
int jiku_ssh_exec_timeout(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *cmd,
                          bool safe, size_t max_output, int timeout_s, struct jiku_exec_result *res,
                          struct jiku_err *err);
int jiku_ssh_job_start(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *job_dir,
                       const char *cmd, struct jiku_err *err);
int jiku_ssh_job_poll(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *job_dir,
                      struct jiku_job_status *st, struct jiku_err *err);
int jiku_sftp_get(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *remote,
                  const char *local, struct jiku_xfer_result *res, struct jiku_err *err);
int jiku_sftp_put(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *local,
                  const char *remote, struct jiku_xfer_result *res, struct jiku_err *err);

/* Connect and check the host key only (servers check): 0, or JIKU_E_HOSTKEY naming SHA256:... */
int jiku_ssh_check_host(struct jiku_ssh *s, const struct jiku_server_conf *srv,
                        struct jiku_err *err);

/*
 * servers trust: fetch the host keys SRV offers (one handshake per key type), and append to
 * SRV's known_hosts the one whose "SHA256:..." fingerprint equals FINGERPRINT; JIKU_E_HOSTKEY
 * when none matches (nothing written).
 */
int jiku_ssh_trust(const struct jiku_server_conf *srv, int connect_timeout, const char *fingerprint,
                   struct jiku_err *err);

unsigned long jiku_ssh_handshakes(const struct jiku_ssh *s);

#endif
