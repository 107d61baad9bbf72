/*
 * One SSH connection: non-blocking TCP connect, handshake with a host-key method preference
 * (ssh_hostkey.c works it out from known_hosts and checks the key), key auth, and the wait
 * helper every non-blocking libssh2 call loops on.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jiku/buf.h"
#include "log.h"
#include "retry.h"
#include "run.h"
#include "ssh_conn.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void
init_libssh2(void)
{
    init_rc = libssh2_init(0);
}

int
ssh_lib_init(struct jiku_err *err)
{
    pthread_once(&init_once, init_libssh2);
    if (init_rc != 0)
        return jiku_err_set(err, JIKU_E_FAILED, "cannot initialise libssh2");
    return 0;
}

/* This thread runs a clean-up command in the grace after a signal (ssh_grace_set). */
static __thread bool in_grace;

void
ssh_grace_set(bool on)
{
    in_grace = on;
}

bool
ssh_grace(void)
{
    return in_grace;
}

/*
 * Before each wait: 0 to go on, JIKU_E_INTERRUPTED after a signal.  A clean-up command of the
 * grace goes on until the grace ends, its deadline cut to that moment, and must not poll the
 * interrupt fd, which stays readable from the signal on.
 */
static int
check_signal(int64_t *deadline_ms, const char *what, struct jiku_err *err)
{
    int64_t end;

    if (!jiku_interrupted())
        return 0;
    if (!in_grace)
        return jiku_err_set(err, JIKU_E_INTERRUPTED, "%s: interrupted by a signal", what);
    end = jiku_grace_end_ms();
    if (jiku_now_ms() >= end)
        return jiku_err_set(err, JIKU_E_INTERRUPTED,
                            "%s: interrupted by a signal, and the %d s to clean up are over", what,
                            JIKU_GRACE_MS / 1000);
    if (*deadline_ms > end)
        *deadline_ms = end;
    return 0;
}

/* Poll FD for EVENTS until DEADLINE_MS, watching the interrupt fd too. */
static int
wait_fd(int fd, short events, int64_t deadline_ms, const char *what, struct jiku_err *err)
{
    for (;;) {
        struct pollfd pfd[2] = {{.fd = fd, .events = events},
                                {.fd = jiku_interrupt_fd(), .events = POLLIN}};
        int64_t left;
        int r;

        if ((r = check_signal(&deadline_ms, what, err)) != 0)
            return r;
        if (in_grace)
            pfd[1].fd = -1;
        left = deadline_ms - jiku_now_ms();
        if (left <= 0)
            return jiku_err_set(err, JIKU_E_TRANSIENT, "%s: timed out", what);
        r = poll(pfd, 2, left > INT_MAX ? INT_MAX : (int)left);
        if (r < 0 && errno != EINTR)
            return jiku_err_set(err, JIKU_E_FAILED, "%s: poll: %s", what, strerror(errno));
        if (r > 0 && pfd[0].revents != 0)
            return 0;
    }
}

static int
tcp_connect(const struct jiku_server_conf *srv, int64_t deadline_ms, int *out, struct jiku_err *err)
{
    struct addrinfo hints, *res = NULL, *ai;
    char port[16];
    int fd = -1, r, soerr = 0;
    socklen_t len;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%d", srv->info.ssh_port > 0 ? srv->info.ssh_port : 22);
    if ((r = getaddrinfo(srv->info.host, port, &hints, &res)) != 0)
        return jiku_err_set(err, r == EAI_AGAIN ? JIKU_E_TRANSIENT : JIKU_E_UNREACHABLE,
                            "cannot resolve '%s': %s", srv->info.host, gai_strerror(r));

    r = JIKU_E_TRANSIENT;
    if (res == NULL)
        jiku_err_set(err, r, "cannot connect to %s port %s: no address", srv->info.host, port);
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            r = jiku_err_set(err, JIKU_E_FAILED, "socket: %s", strerror(errno));
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) {
                soerr = errno;
                goto next;
            }
            if ((r = wait_fd(fd, POLLOUT, deadline_ms, "connect", err)) != 0) {
                if (r == JIKU_E_TRANSIENT)
                    jiku_err_set(err, r, "cannot connect to %s port %s: timed out", srv->info.host,
                                 port);
                if (r == JIKU_E_INTERRUPTED)
                    break;
                goto next_keep;
            }
            len = sizeof(soerr);
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
                soerr = errno;
            if (soerr != 0)
                goto next;
        }
        *out = fd;
        fd = -1;
        r = 0;
        break;
    next:
        r = jiku_err_set(err, JIKU_E_TRANSIENT, "cannot connect to %s port %s: %s", srv->info.host,
                         port, strerror(soerr));
    next_keep:
        close(fd);
        fd = -1;
    }
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return r;
}

/*
 * Set the host-key method preference to the methods of PREFS this libssh2 supports.
 * libssh2 1.10 drops unsupported names itself, but with an overlapping memcpy: filter first.
 * JIKU_E_FAILED when none is left (the handshake would fail the same way).
 */
static int
prefer_hostkeys(LIBSSH2_SESSION *sess, const char *prefs, struct jiku_err *err)
{
    struct jiku_buf keep = JIKU_BUF_INIT;
    const char **algs = NULL;
    const char *p = prefs;
    int n, r = 0;

    if ((n = libssh2_session_supported_algs(sess, LIBSSH2_METHOD_HOSTKEY, &algs)) <= 0)
        return jiku_err_set(err, JIKU_E_FAILED, "cannot list libssh2's host key methods");
    while (*p != '\0' && r == 0) {
        size_t len = strcspn(p, ",");

        for (int i = 0; i < n; i++) {
            if (strlen(algs[i]) == len && strncmp(algs[i], p, len) == 0) {
                if (keep.len > 0)
                    r = jiku_buf_addch(&keep, ',');
                if (r == 0)
                    r = jiku_buf_add(&keep, p, len);
                break;
            }
        }
        p += len;
        if (*p == ',')
            p++;
    }
    libssh2_free(sess, (void *)algs);
    if (r != 0)
        r = jiku_err_set(err, r, "out of memory");
    else if (keep.len == 0)
        r = jiku_err_set(err, JIKU_E_FAILED, "libssh2 supports none of the host key methods %s",
                         prefs);
    else if (libssh2_session_method_pref(sess, LIBSSH2_METHOD_HOSTKEY, keep.data) != 0)
        r = jiku_err_set(err, JIKU_E_FAILED, "cannot prefer host key methods '%s'", keep.data);
    jiku_buf_release(&keep);
    return r;
}

int
ssh_conn_open(const struct jiku_server_conf *srv, int connect_timeout_s, const char *prefs,
              struct ssh_conn **out, struct jiku_err *err)
{
    struct ssh_conn *c = NULL;
    int64_t deadline =
        jiku_now_ms() + (int64_t)(connect_timeout_s > 0 ? connect_timeout_s : 10) * 1000;
    int r, rc;

    *out = NULL;
    if ((r = ssh_lib_init(err)) != 0)
        return r;
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    c->fd = -1;
    c->srv = srv;
    if ((r = tcp_connect(srv, deadline, &c->fd, err)) != 0)
        goto out;
    if ((c->sess = libssh2_session_init_ex(NULL, NULL, NULL, c)) == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "cannot create an SSH session");
        goto out;
    }
    libssh2_session_set_blocking(c->sess, 0);
    if (prefs != NULL && (r = prefer_hostkeys(c->sess, prefs, err)) != 0)
        goto out;
    while ((rc = libssh2_session_handshake(c->sess, c->fd)) == LIBSSH2_ERROR_EAGAIN)
        if ((r = ssh_wait(c, deadline, "SSH handshake", err)) != 0)
            goto out;
    if (rc != 0) {
        r = ssh_fail(c, rc, "SSH handshake", err);
        goto out;
    }
    *out = c;
    c = NULL;
    r = 0;
out:
    /* Transient failures get the server's name from the retry loop's message. */
    if (r != 0 && r != JIKU_E_TRANSIENT && r != JIKU_E_INTERRUPTED)
        jiku_err_prefix(err, "server '%s'", srv->info.name);
    ssh_conn_destroy(c);
    return r;
}

void
ssh_conn_destroy(struct ssh_conn *c)
{
    if (c == NULL)
        return;
    if (c->sess != NULL) {
        /*
         * The session may be halfway through a packet: shut the socket first so that
         * whatever libssh2 still tries to send fails at once instead of waiting.
         */
        if (c->fd >= 0)
            shutdown(c->fd, SHUT_RDWR);
        libssh2_session_set_blocking(c->sess, 1);
        libssh2_session_set_timeout(c->sess, 1000);
        if (c->sftp != NULL)
            libssh2_sftp_shutdown(c->sftp);
        libssh2_session_free(c->sess);
    }
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

void
ssh_conn_close(struct ssh_conn *c)
{
    if (c == NULL)
        return;
    if (c->sess != NULL) {
        libssh2_session_set_blocking(c->sess, 1);
        libssh2_session_set_timeout(c->sess, 2000);
        if (c->sftp != NULL) {
            libssh2_sftp_shutdown(c->sftp);
            c->sftp = NULL;
        }
        libssh2_session_disconnect(c->sess, "jiku-agent done");
    }
    ssh_conn_destroy(c);
}

int
ssh_wait(struct ssh_conn *c, int64_t deadline_ms, const char *what, struct jiku_err *err)
{
    for (;;) {
        int dir = libssh2_session_block_directions(c->sess);
        struct pollfd pfd[2] = {{.fd = c->fd}, {.fd = jiku_interrupt_fd(), .events = POLLIN}};
        int64_t left;
        int r, timeout, next = 0;

        if ((r = check_signal(&deadline_ms, what, err)) != 0)
            return r;
        if (in_grace)
            pfd[1].fd = -1;
        left = deadline_ms - jiku_now_ms();
        if (left <= 0)
            return jiku_err_set(err, JIKU_E_TRANSIENT, "%s: timed out", what);
        timeout = left > INT_MAX ? INT_MAX : (int)left;
        /*
         * A keepalive may only go out when no other packet is half-sent (libssh2 refuses to
         * interleave), so not while libssh2 waits to write.
         */
        if (c->keepalive > 0 && !(dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)) {
            if (libssh2_keepalive_send(c->sess, &next) == 0 && next > 0 &&
                (int64_t)next * 1000 < timeout)
                timeout = next * 1000;
        }
        if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
            pfd[0].events |= POLLIN;
        if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
            pfd[0].events |= POLLOUT;
        if (pfd[0].events == 0)
            pfd[0].events = POLLIN;
        r = poll(pfd, 2, timeout);
        if (r < 0 && errno != EINTR)
            return jiku_err_set(err, JIKU_E_FAILED, "%s: poll: %s", what, strerror(errno));
        if (r > 0 && pfd[0].revents != 0)
            return 0;
        /* timeout: loop to send a keepalive or notice the deadline */
    }
}

/* True when the peer closed the connection or it failed. */
static bool
socket_dead(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    char c;

    if (fd < 0)
        return true;
    if (poll(&pfd, 1, 0) <= 0)
        return false;
    if (pfd.revents & (POLLERR | POLLHUP))
        return true;
    return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

int
ssh_fail(struct ssh_conn *c, int rc, const char *what, struct jiku_err *err)
{
    char *msg = NULL;
    int status = JIKU_E_FAILED;

    if (c != NULL && c->sess != NULL)
        libssh2_session_last_error(c->sess, &msg, NULL, 0);
    switch (rc) {
    case LIBSSH2_ERROR_SOCKET_NONE:
    case LIBSSH2_ERROR_BANNER_RECV:
    case LIBSSH2_ERROR_SOCKET_SEND:
    case LIBSSH2_ERROR_TIMEOUT:
    case LIBSSH2_ERROR_SOCKET_DISCONNECT:
    case LIBSSH2_ERROR_SOCKET_TIMEOUT:
    case LIBSSH2_ERROR_SOCKET_RECV:
    case LIBSSH2_ERROR_BAD_SOCKET:
        status = JIKU_E_TRANSIENT;
        break;
    case LIBSSH2_ERROR_KEX_FAILURE:
        /* no common method: a configuration problem, not the network */
        break;
    case LIBSSH2_ERROR_SFTP_PROTOCOL:
        if (c != NULL && c->sftp != NULL) {
            unsigned long fx = libssh2_sftp_last_error(c->sftp);

            if (fx == LIBSSH2_FX_NO_SUCH_FILE || fx == LIBSSH2_FX_NO_SUCH_PATH)
                status = JIKU_E_NOTFOUND;
            else if (fx == LIBSSH2_FX_NO_CONNECTION || fx == LIBSSH2_FX_CONNECTION_LOST)
                status = JIKU_E_TRANSIENT;
            return jiku_err_set(err, status, "%s: sftp status %lu (%s)", what, fx,
                                fx == LIBSSH2_FX_NO_SUCH_FILE             ? "no such file"
                                : fx == LIBSSH2_FX_PERMISSION_DENIED      ? "permission denied"
                                : fx == LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM ? "no space left"
                                                                          : "failure");
        }
        break;
    default:
        /* A protocol or decryption error on a connection that just died is a lost connection. */
        if (c != NULL && socket_dead(c->fd))
            status = JIKU_E_TRANSIENT;
        break;
    }
    return jiku_err_set(err, status, "%s: %s", what,
                        msg != NULL && *msg != '\0' ? msg : "libssh2 error");
}

int
ssh_conn_auth(struct ssh_conn *c, int64_t deadline_ms, struct jiku_err *err)
{
    const struct jiku_server_conf *srv = c->srv;
    const char *user = srv->info.ssh_user != NULL ? srv->info.ssh_user : "root";
    int rc, r;

    if (srv->ssh_key == NULL)
        return jiku_err_set(err, JIKU_E_CONFIG, "server '%s' has no ssh_key", srv->info.name);
    /*
     * The public half is derived from the private key; no passphrase (the file's mode guards it:
     * jiku-agent.conf(5), "Secrets").
     */
    while ((rc = libssh2_userauth_publickey_fromfile_ex(c->sess, user, (unsigned)strlen(user), NULL,
                                                        srv->ssh_key, NULL)) ==
           LIBSSH2_ERROR_EAGAIN)
        if ((r = ssh_wait(c, deadline_ms, "SSH authentication", err)) != 0)
            return r;
    switch (rc) {
    case 0:
        return 0;
    case LIBSSH2_ERROR_AUTHENTICATION_FAILED:
    case LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED:
        return jiku_err_set(err, JIKU_E_AUTH, "server '%s' refused key '%s' for user '%s'",
                            srv->info.name, srv->ssh_key, user);
    case LIBSSH2_ERROR_FILE:
    case LIBSSH2_ERROR_KEYFILE_AUTH_FAILED:
        return jiku_err_set(err, JIKU_E_AUTH, "cannot use ssh_key '%s' of server '%s'",
                            srv->ssh_key, srv->info.name);
    default:
        r = ssh_fail(c, rc, "SSH authentication", err);
        jiku_err_prefix(err, "server '%s'", srv->info.name);
        return r;
    }
}

int
ssh_conn_sftp(struct ssh_conn *c, int64_t deadline_ms, struct jiku_err *err)
{
    int r;

    while (c->sftp == NULL) {
        if ((c->sftp = libssh2_sftp_init(c->sess)) != NULL)
            break;
        if (libssh2_session_last_errno(c->sess) != LIBSSH2_ERROR_EAGAIN)
            return ssh_fail(c, libssh2_session_last_errno(c->sess), "cannot start SFTP", err);
        if ((r = ssh_wait(c, deadline_ms, "cannot start SFTP", err)) != 0)
            return r;
    }
    return 0;
}

int
ssh_retry_decide(struct jiku_retry *rt, int r, bool may_repeat, const struct jiku_server_conf *srv,
                 struct jiku_err *err)
{
    char what[128];

    if (r != JIKU_E_TRANSIENT)
        return r;
    snprintf(what, sizeof(what), "ssh to '%s'", srv->info.name);
    if (!may_repeat) {
        jiku_err_prefix(err, "%s: connection lost after the command was sent, outcome unknown",
                        what);
        if (err != NULL)
            err->status = JIKU_E_UNREACHABLE;
        return JIKU_E_UNREACHABLE;
    }
    if ((r = jiku_retry_wait(rt, 0, what, err)) == JIKU_E_INTERRUPTED)
        jiku_err_set(err, r, "%s: interrupted by a signal", what);
    return r;
}
