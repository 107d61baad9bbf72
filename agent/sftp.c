/*
 * SFTP transfers over the pooled sessions: a fixed buffer, a temporary name beside the
 * destination, md5 and sha256 computed on the fly, fsync and rename.  No failure or
 * cancellation ever leaves a partial file under the final name, and the temporary file is
 * removed too.  Downloads and uploads to a temporary name are safe to repeat, so transient
 * failures are retried from the start within retry_deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "log.h"
#include "retry.h"
#include "run.h"
#include "ssh_conn.h"

/*
 * libssh2 1.10 keeps about four times the buffer given to sftp_read in flight as 30000-byte
 * requests: 1 MiB (4 MiB read ahead) roughly doubled loopback throughput over 256 KiB, with
 * peak RSS near 11 MiB; 2 MiB gained nothing more.  Hashing on a second thread over two
 * buffers was measured too and lost on a 2-core machine, where sshd needs the other core.
 * Writing and hashing there over three buffers did not win either (1 GiB, bench/run.sh,
 * best of four: 126 MiB/s to disk and 134 to tmpfs, against 130 and 140 here), nor did
 * starting the write-back early (sync_file_range).  Most of this thread's CPU is libssh2
 * 1.10's own: it decrypts 16 bytes per cipher call.
 */
#define XFER_BUF (1024 * 1024)
#define PROGRESS_STEP (1024 * 1024)

struct digests {
    EVP_MD_CTX *md5;
    EVP_MD_CTX *sha256;
};

static int
digests_init(struct digests *d, struct jiku_err *err)
{
    d->md5 = EVP_MD_CTX_new();
    d->sha256 = EVP_MD_CTX_new();
    if (d->md5 == NULL || d->sha256 == NULL || !EVP_DigestInit_ex(d->md5, EVP_md5(), NULL) ||
        !EVP_DigestInit_ex(d->sha256, EVP_sha256(), NULL))
        return jiku_err_set(err, JIKU_E_NOMEM, "cannot set up checksums");
    return 0;
}

static void
digests_update(struct digests *d, const void *p, size_t n)
{
    EVP_DigestUpdate(d->md5, p, n);
    EVP_DigestUpdate(d->sha256, p, n);
}

static void
hex(char *out, const unsigned char *p, unsigned n)
{
    static const char digits[] = "0123456789abcdef";

    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static void
digests_final(struct digests *d, struct jiku_xfer_result *res)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;

    EVP_DigestFinal_ex(d->md5, md, &n);
    hex(res->md5, md, n);
    EVP_DigestFinal_ex(d->sha256, md, &n);
    hex(res->sha256, md, n);
}

static void
digests_release(struct digests *d)
{
    EVP_MD_CTX_free(d->md5);
    EVP_MD_CTX_free(d->sha256);
    d->md5 = d->sha256 = NULL;
}

static void
progress(struct jiku_ssh *s, const char *step, uint64_t done, uint64_t total, uint64_t *last)
{
    struct jiku_progress p = {step, done, total, NULL};

    if (s->opts.progress == NULL || (done - *last < PROGRESS_STEP && done != total))
        return;
    *last = done;
    s->opts.progress(s->opts.progress_arg, &p);
}

/* Without progress for this long a transfer counts as stalled (a transient failure). */
static int64_t
idle_ms(const struct jiku_ssh *s)
{
    int sec = 6 * s->opts.connect_timeout;

    return (int64_t)(sec < 60 ? 60 : sec) * 1000;
}

static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int
fsync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    int fd, r;

    if (slash == NULL)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (dir == NULL)
        return -1;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -1;
    r = fsync(fd);
    close(fd);
    return r;
}

/* True once the server closed C's SFTP channel (its sftp-server gone, the connection up). */
static bool
sftp_channel_gone(struct ssh_conn *c)
{
    LIBSSH2_CHANNEL *ch = c->sftp != NULL ? libssh2_sftp_get_channel(c->sftp) : NULL;

    return ch != NULL && libssh2_channel_eof(ch);
}

/*
 * ssh_wait for an SFTP request on C.  When the server has closed the SFTP channel, libssh2
 * keeps answering EAGAIN for a reply that will never come: that is a transport failure now
 * (retried within the rules like a cut connection), not after the idle timeout.
 */
static int
sftp_wait(struct ssh_conn *c, int64_t deadline, const char *what, struct jiku_err *err)
{
    if (sftp_channel_gone(c))
        return jiku_err_set(err, JIKU_E_TRANSIENT, "%s: the server closed the SFTP channel", what);
    return ssh_wait(c, deadline, what, err);
}

static int
close_handle(struct ssh_conn *c, LIBSSH2_SFTP_HANDLE *h, int64_t deadline, struct jiku_err *err)
{
    int rc, r;

    while ((rc = libssh2_sftp_close_handle(h)) == LIBSSH2_ERROR_EAGAIN)
        if ((r = sftp_wait(c, deadline, "sftp close", err)) != 0)
            return r;
    return rc == 0 ? 0 : ssh_fail(c, rc, "sftp close", err);
}

/* One download attempt; *HEALTHY tells whether C may go back to the pool. */
static int
get_once(struct jiku_ssh *s, struct ssh_conn *c, const char *remote, const char *local,
         struct jiku_xfer_result *res, bool *healthy, struct jiku_err *err)
{
    LIBSSH2_SFTP_HANDLE *h = NULL;
    LIBSSH2_SFTP_ATTRIBUTES attrs;
    struct jiku_buf tmp = JIKU_BUF_INIT;
    struct digests dg = {NULL, NULL};
    uint64_t done = 0, total = 0, last = 0;
    char *buf = NULL;
    int fd = -1, rc, r;
    int64_t deadline = jiku_now_ms() + idle_ms(s);

    *healthy = false;
    if ((r = ssh_conn_sftp(c, deadline, err)) != 0)
        goto out;
    while ((h = libssh2_sftp_open_ex(c->sftp, remote, (unsigned)strlen(remote), LIBSSH2_FXF_READ, 0,
                                     LIBSSH2_SFTP_OPENFILE)) == NULL) {
        rc = libssh2_session_last_errno(c->sess);
        if (rc != LIBSSH2_ERROR_EAGAIN) {
            r = ssh_fail(c, rc, "cannot open remote file", err);
            *healthy = r != JIKU_E_TRANSIENT;
            goto out;
        }
        if ((r = sftp_wait(c, deadline, "cannot open remote file", err)) != 0)
            goto out;
    }
    while ((rc = libssh2_sftp_fstat_ex(h, &attrs, 0)) == LIBSSH2_ERROR_EAGAIN)
        if ((r = sftp_wait(c, deadline, "sftp stat", err)) != 0)
            goto out;
    if (rc == 0 && (attrs.flags & LIBSSH2_SFTP_ATTR_SIZE))
        total = attrs.filesize;

    if ((buf = malloc(XFER_BUF)) == NULL || (r = digests_init(&dg, err)) != 0 ||
        jiku_buf_addf(&tmp, "%s.part-XXXXXX", local) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    /* mkstemp makes the file 0600, beside the destination so the rename stays atomic. */
    if ((fd = mkostemp(tmp.data, O_CLOEXEC)) < 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot create '%s': %s", tmp.data, strerror(errno));
        jiku_buf_release(&tmp);
        goto out;
    }
    for (;;) {
        ssize_t n = libssh2_sftp_read(h, buf, XFER_BUF);

        if (n == LIBSSH2_ERROR_EAGAIN) {
            if ((r = sftp_wait(c, deadline, "download", err)) != 0)
                goto out;
            continue;
        }
        if (n < 0) {
            r = ssh_fail(c, (int)n, "download", err);
            goto out;
        }
        if (n == 0)
            break;
        if (write_all(fd, buf, (size_t)n) != 0) {
            r = jiku_err_set(err, JIKU_E_IO, "cannot write '%s': %s", tmp.data, strerror(errno));
            goto out;
        }
        digests_update(&dg, buf, (size_t)n);
        done += (uint64_t)n;
        deadline = jiku_now_ms() + idle_ms(s);
        progress(s, "download", done, total > done ? total : done, &last);
        if (jiku_interrupted()) {
            r = jiku_err_set(err, JIKU_E_INTERRUPTED, "download: interrupted by a signal");
            goto out;
        }
    }
    r = close_handle(c, h, deadline, err);
    h = NULL;
    if (r != 0)
        goto out;
    *healthy = true;
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        r = jiku_err_set(err, JIKU_E_IO, "cannot write '%s': %s", tmp.data, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp.data, local) != 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot rename '%s' to '%s': %s", tmp.data, local,
                         strerror(errno));
        goto out;
    }
    jiku_buf_release(&tmp);
    if (fsync_dir_of(local) != 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot sync the directory of '%s': %s", local,
                         strerror(errno));
        unlink(local);
        goto out;
    }
    res->size = done;
    digests_final(&dg, res);
    r = 0;
out:
    if (fd >= 0)
        close(fd);
    if (tmp.len > 0)
        unlink(tmp.data);
    /* A handle left open means the session is mid-transfer: it is not reused. */
    if (h != NULL)
        *healthy = false;
    jiku_buf_release(&tmp);
    digests_release(&dg);
    free(buf);
    return r;
}

int
jiku_sftp_get(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *remote,
              const char *local, struct jiku_xfer_result *res, struct jiku_err *err)
{
    struct jiku_err tmp;
    struct jiku_retry rt;
    int fresh = 0, r;

    if (err == NULL)
        err = &tmp;
    memset(res, 0, sizeof(*res));
    /* A transfer is a long wait: none starts after a signal, grace or not. */
    if (jiku_interrupted())
        return jiku_err_set(err, JIKU_E_INTERRUPTED,
                            "server '%s': transfer not started: "
                            "interrupted by a signal",
                            srv->info.name);
    jiku_retry_init(&rt, s->opts.retry_deadline);
    for (;;) {
        struct ssh_conn *c = NULL;
        bool healthy = false, reused;

        if ((r = ssh_pool_get(s, srv, &c, err)) == 0) {
            reused = c->reused;
            r = get_once(s, c, remote, local, res, &healthy, err);
            ssh_pool_put(s, c, healthy);
            if (r == JIKU_E_TRANSIENT && reused && fresh++ < 2) {
                ssh_pool_flush(s, srv);
                continue;
            }
        }
        if (r == 0)
            return 0;
        if ((r = ssh_retry_decide(&rt, r, true, srv, err)) != 0) {
            jiku_err_prefix(err, "cannot download '%s' from '%s'", remote, srv->info.name);
            return r;
        }
    }
}

/*
 * Best-effort removal of a remote temporary file after a failure, in blocking mode with a
 * short timeout so that a pending signal does not stop the cleanup.
 */
static int
remove_remote(struct ssh_conn *c, LIBSSH2_SFTP_HANDLE *h, const char *path)
{
    int rc;

    if (sftp_channel_gone(c)) {
        /* No SFTP any more, but the connection may still carry a command. */
        struct jiku_exec_result res = {
            .exit_status = -1, .out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
        struct jiku_buf cmd = JIKU_BUF_INIT;
        bool sent;

        rc = jiku_buf_adds(&cmd, "rm -f -- ") != 0 || jiku_buf_add_shell_word(&cmd, path) != 0 ||
                     ssh_run(c, cmd.data, NULL, 4096, jiku_now_ms() + 5000, &res, &sent, NULL) !=
                         0 ||
                     res.exit_status != 0
                 ? -1
                 : 0;
        if (rc != 0)
            log_warn("server '%s': cannot remove '%s' after a failed upload", c->srv->info.name,
                     path);
        jiku_exec_result_release(&res);
        jiku_buf_release(&cmd);
        return rc;
    }
    libssh2_session_set_blocking(c->sess, 1);
    libssh2_session_set_timeout(c->sess, 3000);
    if (h != NULL)
        libssh2_sftp_close_handle(h);
    if ((rc = libssh2_sftp_unlink_ex(c->sftp, path, (unsigned)strlen(path))) != 0)
        log_warn("server '%s': cannot remove '%s' after a failed upload", c->srv->info.name, path);
    libssh2_session_set_timeout(c->sess, 0);
    libssh2_session_set_blocking(c->sess, 0);
    return rc;
}

static int
put_rename(struct ssh_conn *c, const char *from, const char *to, int64_t deadline,
           struct jiku_err *err)
{
    struct jiku_exec_result res = {
        .exit_status = -1, .out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    bool sent;
    int rc, r;

    while ((rc = libssh2_sftp_rename_ex(c->sftp, from, (unsigned)strlen(from), to,
                                        (unsigned)strlen(to),
                                        LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC |
                                            LIBSSH2_SFTP_RENAME_NATIVE)) == LIBSSH2_ERROR_EAGAIN)
        if ((r = sftp_wait(c, deadline, "sftp rename", err)) != 0)
            return r;
    if (rc == 0)
        return 0;
    if (rc != LIBSSH2_ERROR_SFTP_PROTOCOL)
        return ssh_fail(c, rc, "sftp rename", err);
    /*
     * SFTP v3 (OpenSSH) has no overwriting rename and libssh2 1.10 cannot send
     * posix-rename@openssh.com: mv is rename(2) on the server, atomic over an existing file.
     */
    if (jiku_buf_adds(&cmd, "mv -f -- ") != 0 || jiku_buf_add_shell_word(&cmd, from) != 0 ||
        jiku_buf_addch(&cmd, ' ') != 0 || jiku_buf_add_shell_word(&cmd, to) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = ssh_run(c, cmd.data, NULL, 4096, deadline, &res, &sent, err)) != 0)
        goto out;
    if (res.exit_status != 0) {
        jiku_buf_rtrim(&res.errout);
        r = jiku_err_set(err, JIKU_E_FAILED, "cannot rename '%s' to '%s': %s", from, to,
                         res.errout.data);
    }
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    return r;
}

/* One upload attempt; *LEFTOVER names a remote temp file an earlier attempt left. */
static int
put_once(struct jiku_ssh *s, struct ssh_conn *c, const char *local, const char *remote,
         struct jiku_xfer_result *res, char **leftover, bool *healthy, struct jiku_err *err)
{
    LIBSSH2_SFTP_HANDLE *h = NULL;
    struct jiku_buf tmp = JIKU_BUF_INIT;
    struct digests dg = {NULL, NULL};
    unsigned char rnd[8];
    char rhex[17];
    struct stat st;
    uint64_t done = 0, last = 0;
    char *buf = NULL;
    int fd = -1, rc, r;
    bool created = false;
    int64_t deadline = jiku_now_ms() + idle_ms(s);

    *healthy = false;
    if ((fd = open(local, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
        r = jiku_err_set(err, errno == ENOENT ? JIKU_E_NOTFOUND : JIKU_E_IO, "cannot read '%s': %s",
                         local, strerror(errno));
        *healthy = true;
        goto out;
    }
    if ((r = ssh_conn_sftp(c, deadline, err)) != 0)
        goto out;
    if (*leftover != NULL) {
        remove_remote(c, NULL, *leftover);
        free(*leftover);
        *leftover = NULL;
    }
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        r = jiku_err_set(err, JIKU_E_FAILED, "getrandom: %s", strerror(errno));
        goto out;
    }
    hex(rhex, rnd, sizeof(rnd));
    if ((buf = malloc(XFER_BUF)) == NULL || (r = digests_init(&dg, err)) != 0 ||
        jiku_buf_addf(&tmp, "%s.part.%s", remote, rhex) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    while ((h = libssh2_sftp_open_ex(c->sftp, tmp.data, (unsigned)tmp.len,
                                     LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL,
                                     LIBSSH2_SFTP_S_IRUSR | LIBSSH2_SFTP_S_IWUSR,
                                     LIBSSH2_SFTP_OPENFILE)) == NULL) {
        rc = libssh2_session_last_errno(c->sess);
        if (rc != LIBSSH2_ERROR_EAGAIN) {
            r = ssh_fail(c, rc, "cannot create remote file", err);
            *healthy = r != JIKU_E_TRANSIENT;
            goto out;
        }
        if ((r = sftp_wait(c, deadline, "cannot create remote file", err)) != 0)
            goto out;
    }
    created = true;
    if ((*leftover = strdup(tmp.data)) == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf, XFER_BUF);
        size_t off = 0;

        if (n < 0 && errno == EINTR && !jiku_interrupted())
            continue;
        if (n < 0) {
            r = jiku_err_set(err, JIKU_E_IO, "cannot read '%s': %s", local, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        digests_update(&dg, buf, (size_t)n);
        while (off < (size_t)n) {
            ssize_t w = libssh2_sftp_write(h, buf + off, (size_t)n - off);

            if (w == LIBSSH2_ERROR_EAGAIN) {
                if ((r = sftp_wait(c, deadline, "upload", err)) != 0)
                    goto out;
                continue;
            }
            if (w < 0) {
                r = ssh_fail(c, (int)w, "upload", err);
                goto out;
            }
            off += (size_t)w;
            deadline = jiku_now_ms() + idle_ms(s);
        }
        done += (uint64_t)n;
        progress(s, "upload", done, (uint64_t)st.st_size > done ? (uint64_t)st.st_size : done,
                 &last);
        if (jiku_interrupted()) {
            r = jiku_err_set(err, JIKU_E_INTERRUPTED, "upload: interrupted by a signal");
            goto out;
        }
    }
    /* fsync@openssh.com; a server without it still gets the data, only later on disk. */
    while ((rc = libssh2_sftp_fsync(h)) == LIBSSH2_ERROR_EAGAIN)
        if ((r = sftp_wait(c, deadline, "sftp fsync", err)) != 0)
            goto out;
    if (rc != 0 && rc != LIBSSH2_ERROR_SFTP_PROTOCOL) {
        r = ssh_fail(c, rc, "sftp fsync", err);
        goto out;
    }
    r = close_handle(c, h, deadline, err);
    h = NULL;
    if (r != 0)
        goto out;
    if ((r = put_rename(c, tmp.data, remote, deadline, err)) != 0)
        goto out;
    created = false;
    free(*leftover);
    *leftover = NULL;
    *healthy = true;
    res->size = done;
    digests_final(&dg, res);
out:
    if (r != 0 && created && r != JIKU_E_TRANSIENT && c->sess != NULL) {
        /* The connection still works: remove the temporary file now. */
        remove_remote(c, h, tmp.data);
        h = NULL;
        free(*leftover);
        *leftover = NULL;
        *healthy = r != JIKU_E_INTERRUPTED;
    }
    if (h != NULL)
        *healthy = false;
    if (fd >= 0)
        close(fd);
    jiku_buf_release(&tmp);
    digests_release(&dg);
    free(buf);
    return r;
}

/*
 * The connection that wrote LEFTOVER died and retries are over: one more connection, only to
 * remove it.  Not after a signal, which asks for a prompt exit.
 */
static void
cleanup_leftover(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *leftover)
{
    struct ssh_conn *c = NULL;
    bool ok = false;

    if (!jiku_interrupted() && ssh_pool_get(s, srv, &c, NULL) == 0 &&
        ssh_conn_sftp(c, jiku_now_ms() + (int64_t)s->opts.connect_timeout * 1000, NULL) == 0)
        ok = remove_remote(c, NULL, leftover) == 0;
    ssh_pool_put(s, c, ok);
    if (!ok)
        log_warn("server '%s': temporary file '%s' of a failed upload is left behind",
                 srv->info.name, leftover);
}

int
jiku_sftp_put(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *local,
              const char *remote, struct jiku_xfer_result *res, struct jiku_err *err)
{
    struct jiku_err tmp;
    struct jiku_retry rt;
    char *leftover = NULL;
    int fresh = 0, r;

    if (err == NULL)
        err = &tmp;
    memset(res, 0, sizeof(*res));
    /* A transfer is a long wait: none starts after a signal, grace or not. */
    if (jiku_interrupted())
        return jiku_err_set(err, JIKU_E_INTERRUPTED,
                            "server '%s': transfer not started: "
                            "interrupted by a signal",
                            srv->info.name);
    jiku_retry_init(&rt, s->opts.retry_deadline);
    for (;;) {
        struct ssh_conn *c = NULL;
        bool healthy = false, reused;

        if ((r = ssh_pool_get(s, srv, &c, err)) == 0) {
            reused = c->reused;
            r = put_once(s, c, local, remote, res, &leftover, &healthy, err);
            ssh_pool_put(s, c, healthy);
            if (r == JIKU_E_TRANSIENT && reused && fresh++ < 2) {
                ssh_pool_flush(s, srv);
                continue;
            }
        }
        if (r == 0)
            break;
        if ((r = ssh_retry_decide(&rt, r, true, srv, err)) != 0) {
            jiku_err_prefix(err, "cannot upload '%s' to '%s'", local, srv->info.name);
            break;
        }
    }
    if (leftover != NULL) {
        cleanup_leftover(s, srv, leftover);
        free(leftover);
    }
    return r;
}
