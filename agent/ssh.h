/*
 * SSH and SFTP to panel servers over libssh2 (docs/WIRE.md §1.2, docs/SECURITY.md): non-blocking
 * sessions under a poll loop, a session pool per server, known_hosts where only MATCH proceeds,
 * host-key method preference from known_hosts, key auth, keepalives, timeouts, cancellation;
 * detached remote jobs; streaming SFTP with checksums computed on the fly.
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

/*
 * Run CMD (built from jiku_buf_add_shell_word words) on SRV.  RES's buffers are reset and
 * filled (the caller releases them with jiku_exec_result_release); stdout and stderr each keep
 * their first MAX_OUTPUT bytes (0: 1 MiB), the rest is read and dropped with a warning.
 * exit_status is -1 when the command died of a signal.  Transient failures before the command
 * reached the server are always retried; after it only when SAFE, else JIKU_E_UNREACHABLE
 * ("outcome unknown").  JIKU_E_HOSTKEY and JIKU_E_AUTH are never retried.
 */
int jiku_ssh_exec(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *cmd,
                  bool safe, size_t max_output, struct jiku_exec_result *res, struct jiku_err *err);
/* What a command reads on its stdin, then end of file (a secret: never in its argv). */
struct jiku_ssh_input {
    const void *data;
    size_t len;
};

/* As jiku_ssh_exec, with INPUT on the command's stdin. */
int jiku_ssh_exec_input(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *cmd,
                        const struct jiku_ssh_input *input, bool safe, size_t max_output,
                        struct jiku_exec_result *res, struct jiku_err *err);
/* As jiku_ssh_exec, with TIMEOUT_S for the whole command (0: the server's timeout). */
int jiku_ssh_exec_timeout(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *cmd,
                          bool safe, size_t max_output, int timeout_s, struct jiku_exec_result *res,
                          struct jiku_err *err);
/*
 * Start CMD detached (setsid, stdin/stdout/stderr off the connection) in JOB_DIR, an absolute
 * path of safe characters; JOB_DIR is created 0700 (missing parents too), and its creation is
 * the atomic claim of the start: when JOB_DIR already exists the job was started before (by
 * an attempt whose answer was lost), and 0 is returned without starting it again.  CMD runs
 * under sh in JOB_DIR, which holds cmd, pid, log (stdout and stderr) and, once CMD ended, rc.
 */
int jiku_ssh_job_start(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *job_dir,
                       const char *cmd, struct jiku_err *err);
/*
 * One short command: DONE with exit_status once rc exists, RUNNING while the pid lives (or,
 * for a minute, while a start that claimed JOB_DIR has not written the pid yet), else MISSING
 * (the job died without an exit status, or JOB_DIR is gone).  ST->log is reset and
 * gets the last 64 KiB of the job's log (the caller releases it: jiku_job_status_release).
 */
int jiku_ssh_job_poll(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *job_dir,
                      struct jiku_job_status *st, struct jiku_err *err);
/* As jiku_ssh_job_poll, once the job ended or MAX_S seconds (at most 300) passed on the server. */
int jiku_ssh_job_wait(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *job_dir,
                      unsigned max_s, struct jiku_job_status *st, struct jiku_err *err);
/*
 * Download REMOTE to LOCAL through LOCAL.part-XXXXXX (0600, in LOCAL's directory, which the
 * caller has created 0700), fsync, rename, fsync of the directory; size, md5 and sha256 of
 * the bytes received in RES.  On any failure or signal no file is left, temporary or final.
 * A lost connection restarts the download from scratch within retry_deadline, then
 * JIKU_E_UNREACHABLE.  A missing REMOTE is JIKU_E_NOTFOUND.
 */
int jiku_sftp_get(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *remote,
                  const char *local, struct jiku_xfer_result *res, struct jiku_err *err);
/*
 * Upload LOCAL to REMOTE (whose directory must exist) through REMOTE.part.RANDOM created
 * 0600 and renamed over REMOTE (SFTP rename, or `mv -f` on the server when the SFTP v3
 * rename refuses to replace a file); RES has the checksums of the bytes sent.  The temporary
 * file is removed after a failure while the connection lives; a temporary left by a lost
 * connection is removed by the next attempt, or named in a warning.
 */
int jiku_sftp_put(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *local,
                  const char *remote, struct jiku_xfer_result *res, struct jiku_err *err);

/*
 * servers check: a fresh handshake, the host-key check and authentication: 0, JIKU_E_HOSTKEY
 * naming the offered key's SHA256:... fingerprint, or JIKU_E_AUTH.  libssh2 1.10 has no
 * rsa-sha2-* host-key methods and OpenSSH >= 8.8 refuses ssh-rsa, so a known_hosts holding
 * only an RSA key for a host cannot MATCH; the message then says so.
 */
int jiku_ssh_check_host(struct jiku_ssh *s, const struct jiku_server_conf *srv,
                        struct jiku_err *err);

/*
 * servers trust: fetch the host keys SRV offers (one handshake per key type), and append to
 * SRV's known_hosts (created 0600 when missing) the one whose "SHA256:..." fingerprint equals
 * FINGERPRINT; JIKU_E_HOSTKEY listing the offered fingerprints when none matches, and also when
 * known_hosts already holds another key of that type for the host (it would stay trusted
 * beside the new one: remove it first) — nothing written in either case.  A key already
 * trusted is 0 with nothing written.
 */
int jiku_ssh_trust(const struct jiku_server_conf *srv, int connect_timeout, const char *fingerprint,
                   struct jiku_err *err);

/*
 * servers fingerprint: FN(TYPE, "SHA256:...", ARG) for each host key SRV offers (one handshake
 * per key type, no authentication); known_hosts is neither read nor written.  0, or the
 * connection's error (JIKU_E_UNREACHABLE, ...) when no handshake succeeded.
 */
int jiku_ssh_fingerprints(const struct jiku_server_conf *srv, int connect_timeout,
                          void (*fn)(const char *type, const char *fp, void *arg), void *arg,
                          struct jiku_err *err);

/* SSH handshakes made so far (sessions are reused: the benchmark counts them). */
unsigned long jiku_ssh_handshakes(const struct jiku_ssh *s);

#endif
