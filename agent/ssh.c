/*
 * The SSH client of the core: a pool of verified, authenticated sessions per server (reused,
 * not a handshake per command), remote commands with separately captured and bounded output,
 * and retries of transient failures for commands safe to repeat.  Host keys: ssh_hostkey.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "retry.h"
#include "run.h"
#include "ssh_conn.h"
#include "ssh_hostkey.h"

#define DEFAULT_MAX_OUTPUT (1024 * 1024)
#define DEFAULT_EXEC_TIMEOUT 7200 /* seconds, when the server sets no timeout */

int
jiku_ssh_new(const struct jiku_config *cfg, const struct jiku_ssh_opts *opts, struct jiku_ssh **out,
             struct jiku_err *err)
{
    struct jiku_ssh *s;

    (void)cfg; /* pools are made per server on first use */
    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    if (opts != NULL)
        s->opts = *opts;
    if (s->opts.connect_timeout <= 0)
        s->opts.connect_timeout =
            cfg != NULL && cfg->connect_timeout > 0 ? cfg->connect_timeout : 10;
    if (s->opts.retry_deadline < 0)
        s->opts.retry_deadline = 0;
    if (s->opts.keepalive <= 0)
        s->opts.keepalive = 15;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    *out = s;
    return 0;
}

void
jiku_ssh_free(struct jiku_ssh *s)
{
    struct ssh_pool *p, *pnext;
    struct ssh_conn *c, *cnext;

    if (s == NULL)
        return;
    for (p = s->pools; p != NULL; p = pnext) {
        pnext = p->next;
        for (c = p->idle; c != NULL; c = cnext) {
            cnext = c->next;
            ssh_conn_close(c);
        }
        free(p);
    }
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

unsigned long
jiku_ssh_handshakes(const struct jiku_ssh *s)
{
    unsigned long n;

    pthread_mutex_lock((pthread_mutex_t *)&s->mu);
    n = s->handshakes;
    pthread_mutex_unlock((pthread_mutex_t *)&s->mu);
    return n;
}

/* A new session to SRV: handshake, host key MATCH, authentication. */
static int
connect_verified(struct jiku_ssh *s, const struct jiku_server_conf *srv, struct ssh_conn **out,
                 struct jiku_err *err)
{
    struct ssh_hostkey_policy pol;
    struct ssh_conn *c = NULL;
    bool fell_back = false;
    int64_t deadline;
    int r;

    *out = NULL;
    if ((r = ssh_hostkey_policy_load(srv, &pol, err)) != 0)
        return r;
    deadline = jiku_now_ms() + (int64_t)s->opts.connect_timeout * 1000;
    r = ssh_conn_open(srv, s->opts.connect_timeout, pol.prefs, &c, err);
    if (r != 0 && pol.prefs != NULL && err != NULL && err->status == JIKU_E_FAILED) {
        /*
         * The server offers none of the key types known_hosts holds: handshake with the
         * defaults to name the key it does offer in the host-key error below.
         */
        log_debug("server '%s': no host key of a type in known_hosts offered (%s)", srv->info.name,
                  pol.prefs);
        r = ssh_conn_open(srv, s->opts.connect_timeout, NULL, &c, err);
        fell_back = true;
    }
    if (r != 0)
        goto out;
    pthread_mutex_lock(&s->mu);
    s->handshakes++;
    pthread_mutex_unlock(&s->mu);
    if ((r = ssh_hostkey_verify(c, &pol, err)) != 0) {
        /*
         * Typically an RSA-only known_hosts: libssh2 1.10 has no rsa-sha2-* host keys and
         * OpenSSH >= 8.8 no longer signs with ssh-rsa.
         */
        if (fell_back && err != NULL) {
            struct jiku_buf msg = JIKU_BUF_INIT;

            if (jiku_buf_addf(&msg,
                              "%s (no handshake possible with the key types known_hosts holds "
                              "for it: %s)",
                              err->msg, pol.prefs) == 0)
                jiku_err_set(err, r, "%s", msg.data);
            jiku_buf_release(&msg);
        }
        goto out;
    }
    if ((r = ssh_conn_auth(c, deadline, err)) != 0)
        goto out;
    c->keepalive = s->opts.keepalive;
    libssh2_keepalive_config(c->sess, 1, (unsigned)c->keepalive);
    *out = c;
    c = NULL;
out:
    ssh_hostkey_policy_release(&pol);
    ssh_conn_destroy(c);
    return r;
}

static struct ssh_pool *
pool_of(struct jiku_ssh *s, const struct jiku_server_conf *srv)
{
    struct ssh_pool *p;

    for (p = s->pools; p != NULL; p = p->next)
        if (p->srv == srv)
            return p;
    if ((p = calloc(1, sizeof(*p))) == NULL)
        return NULL;
    p->srv = srv;
    p->next = s->pools;
    s->pools = p;
    return p;
}

int
ssh_pool_get(struct jiku_ssh *s, const struct jiku_server_conf *srv, struct ssh_conn **out,
             struct jiku_err *err)
{
    int limit = srv->max_parallel > 0 ? srv->max_parallel : 1;
    struct ssh_pool *p;
    struct ssh_conn *c;
    int r;

    *out = NULL;
    pthread_mutex_lock(&s->mu);
    if ((p = pool_of(s, srv)) == NULL) {
        pthread_mutex_unlock(&s->mu);
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    while (p->idle == NULL && p->n_open >= limit) {
        struct timespec ts;

        /* A clean-up command of the grace waits for the sessions interrupted work gives up. */
        if (jiku_interrupted() && (!ssh_grace() || !jiku_in_grace())) {
            pthread_mutex_unlock(&s->mu);
            return jiku_err_set(err, JIKU_E_INTERRUPTED, "interrupted by a signal");
        }
        /* Bounded wait so that a signal is noticed even if nobody gives a session back. */
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    if ((c = p->idle) != NULL) {
        p->idle = c->next;
        c->next = NULL;
        c->reused = true;
        pthread_mutex_unlock(&s->mu);
        *out = c;
        return 0;
    }
    p->n_open++;
    pthread_mutex_unlock(&s->mu);

    if ((r = connect_verified(s, srv, &c, err)) != 0) {
        pthread_mutex_lock(&s->mu);
        p->n_open--;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        return r;
    }
    *out = c;
    return 0;
}

void
ssh_pool_put(struct jiku_ssh *s, struct ssh_conn *c, bool healthy)
{
    const struct jiku_server_conf *srv;
    struct ssh_pool *p;

    if (c == NULL)
        return;
    srv = c->srv;
    if (!healthy)
        ssh_conn_destroy(c);
    pthread_mutex_lock(&s->mu);
    p = pool_of(s, srv);
    if (healthy) {
        c->next = p->idle;
        p->idle = c;
    } else {
        p->n_open--;
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void
ssh_pool_flush(struct jiku_ssh *s, const struct jiku_server_conf *srv)
{
    struct ssh_conn *idle = NULL, *c, *next;
    struct ssh_pool *p;

    pthread_mutex_lock(&s->mu);
    if ((p = pool_of(s, srv)) != NULL) {
        for (c = p->idle; c != NULL; c = c->next)
            p->n_open--;
        idle = p->idle;
        p->idle = NULL;
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    for (c = idle; c != NULL; c = next) {
        next = c->next;
        ssh_conn_destroy(c);
    }
}

/*
 * libssh2 reports 0 for a channel that closed without an exit status (sshd's ChannelTimeout,
 * a session process that died), so a zero alone proves nothing.  The command runs in a
 * subshell; the shell then writes its status as the last line of stderr, under a marker
 * made for this run, and a zero counts only with that line.  ssh_run strips the line.
 */
#define EXIT_MARK_FMT "jiku-exit-%016llx "
#define EXIT_TAIL_MAX 64 /* "\n" + marker + status + "\n" fit */

struct exit_mark {
    char mark[40];            /* "\njiku-exit-NONCE " */
    char tail[EXIT_TAIL_MAX]; /* the last bytes of stderr, whatever was kept of it */
    size_t tail_len;
    size_t err_total; /* stderr bytes received, kept or not */
};

static int
exit_mark_wrap(struct exit_mark *m, const char *cmd, struct jiku_buf *out, struct jiku_err *err)
{
    unsigned long long nonce;

    if (getrandom(&nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
        return jiku_err_set(err, JIKU_E_FAILED, "cannot make an exit marker: getrandom: %s",
                            strerror(errno));
    snprintf(m->mark, sizeof(m->mark), "\n" EXIT_MARK_FMT, nonce);
    m->tail_len = m->err_total = 0;
    if (jiku_buf_addf(out,
                      "(\n%s\n)\njiku_rc=$?; printf '\\n" EXIT_MARK_FMT "%%d\\n' \"$jiku_rc\" >&2; "
                      "exit \"$jiku_rc\"\n",
                      cmd, nonce) != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

static void
exit_mark_feed(struct exit_mark *m, const char *data, size_t n)
{
    m->err_total += n;
    if (n >= sizeof(m->tail)) {
        memcpy(m->tail, data + n - sizeof(m->tail), sizeof(m->tail));
        m->tail_len = sizeof(m->tail);
        return;
    }
    if (m->tail_len + n > sizeof(m->tail)) {
        size_t drop = m->tail_len + n - sizeof(m->tail);

        memmove(m->tail, m->tail + drop, m->tail_len - drop);
        m->tail_len -= drop;
    }
    memcpy(m->tail + m->tail_len, data, n);
    m->tail_len += n;
}

/*
 * The status on the marker line ending stderr, or -1 without one.  The line leaves ERROUT
 * (which holds the first bytes of stderr, up to MAX); *TRUNCATED tells whether the command's
 * own stderr was longer than MAX.
 */
static int
exit_mark_take(const struct exit_mark *m, struct jiku_buf *errout, size_t max, bool *truncated)
{
    size_t mlen = strlen(m->mark), end = m->tail_len - 1, d, own;
    int status = 0;

    if (m->tail_len < mlen + 2 || m->tail[end] != '\n')
        return -1;
    for (d = end; d > 0 && d > end - 3 && m->tail[d - 1] >= '0' && m->tail[d - 1] <= '9'; d--)
        ;
    if (d == end || d < mlen || memcmp(m->tail + d - mlen, m->mark, mlen) != 0)
        return -1;
    for (size_t i = d; i < end; i++)
        status = status * 10 + (m->tail[i] - '0');
    own = m->err_total - (m->tail_len - (d - mlen));
    if (errout->len > own) {
        errout->len = own;
        errout->data[own] = '\0';
    }
    *truncated = own > max;
    return status;
}

/* Append up to the room left under MAX; note the first time something is dropped. */
static int
add_bounded(struct jiku_buf *b, const char *data, size_t n, size_t max, bool *truncated)
{
    size_t room = b->len < max ? max - b->len : 0;

    if (n > room) {
        *truncated = true;
        n = room;
    }
    return n > 0 ? jiku_buf_add(b, data, n) : 0;
}

/* Write INPUT's bytes to CH's stdin, then end of file. */
static int
send_input(struct ssh_conn *c, LIBSSH2_CHANNEL *ch, const struct jiku_ssh_input *input,
           int64_t deadline_ms, struct jiku_err *err)
{
    const char *p = input->data;
    size_t left = input->len;
    ssize_t n;
    int rc, r;

    while (left > 0) {
        if ((n = libssh2_channel_write(ch, p, left)) > 0) {
            p += n;
            left -= (size_t)n;
        } else if (n != LIBSSH2_ERROR_EAGAIN) {
            return ssh_fail(c, (int)n, "remote command's input", err);
        } else if ((r = ssh_wait(c, deadline_ms, "remote command's input", err)) != 0) {
            return r;
        }
    }
    while ((rc = libssh2_channel_send_eof(ch)) == LIBSSH2_ERROR_EAGAIN)
        if ((r = ssh_wait(c, deadline_ms, "remote command's input", err)) != 0)
            return r;
    return rc == 0 ? 0 : ssh_fail(c, rc, "remote command's input", err);
}

int
ssh_run(struct ssh_conn *c, const char *cmd, const struct jiku_ssh_input *input, size_t max_output,
        int64_t deadline_ms, struct jiku_exec_result *res, bool *sent, struct jiku_err *err)
{
    LIBSSH2_CHANNEL *ch = NULL;
    struct jiku_buf wrapped = JIKU_BUF_INIT;
    struct exit_mark mark;
    char chunk[16384];
    bool truncated[2] = {false, false};
    char *signame = NULL;
    int rc, r = 0, marked;

    *sent = false;
    res->exit_status = -1;
    res->truncated = false;
    jiku_buf_reset(&res->out);
    jiku_buf_reset(&res->errout);
    /* Make both buffers valid C strings even when a stream stays empty. */
    if ((r = jiku_buf_grow(&res->out, 1)) != 0 || (r = jiku_buf_grow(&res->errout, 1)) != 0)
        return jiku_err_set(err, r, "out of memory");
    if ((r = exit_mark_wrap(&mark, cmd, &wrapped, err)) != 0)
        goto out;

    while ((ch = libssh2_channel_open_session(c->sess)) == NULL) {
        rc = libssh2_session_last_errno(c->sess);
        if (rc != LIBSSH2_ERROR_EAGAIN) {
            r = ssh_fail(c, rc, "cannot open an SSH channel", err);
            goto out;
        }
        if ((r = ssh_wait(c, deadline_ms, "cannot open an SSH channel", err)) != 0)
            goto out;
    }
    *sent = true;
    while ((rc = libssh2_channel_exec(ch, wrapped.data)) == LIBSSH2_ERROR_EAGAIN)
        if ((r = ssh_wait(c, deadline_ms, "remote command", err)) != 0)
            goto out;
    if (rc != 0) {
        r = ssh_fail(c, rc, "cannot start the remote command", err);
        goto out;
    }
    if (input != NULL && (r = send_input(c, ch, input, deadline_ms, err)) != 0)
        goto out;

    for (;;) {
        bool progress = false;

        for (int stream = 0; stream < 2; stream++) {
            struct jiku_buf *b = stream == 0 ? &res->out : &res->errout;
            ssize_t n = libssh2_channel_read_ex(ch, stream, chunk, sizeof(chunk));

            if (n > 0) {
                progress = true;
                if (stream == 1)
                    exit_mark_feed(&mark, chunk, (size_t)n);
                if ((r = add_bounded(b, chunk, (size_t)n, max_output, &truncated[stream])) != 0) {
                    jiku_err_set(err, r, "out of memory");
                    goto out;
                }
            } else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
                r = ssh_fail(c, (int)n, "remote command", err);
                goto out;
            }
        }
        if (libssh2_channel_eof(ch))
            break;
        if (!progress && (r = ssh_wait(c, deadline_ms, "remote command", err)) != 0)
            goto out;
    }
    while ((rc = libssh2_channel_close(ch)) == LIBSSH2_ERROR_EAGAIN)
        if ((r = ssh_wait(c, deadline_ms, "remote command", err)) != 0)
            goto out;
    while ((rc = libssh2_channel_wait_closed(ch)) == LIBSSH2_ERROR_EAGAIN)
        if ((r = ssh_wait(c, deadline_ms, "remote command", err)) != 0)
            goto out;
    if (rc != 0) {
        r = ssh_fail(c, rc, "remote command", err);
        goto out;
    }
    res->exit_status = libssh2_channel_get_exit_status(ch);
    marked = exit_mark_take(&mark, &res->errout, max_output, &truncated[1]);
    if (libssh2_channel_get_exit_signal(ch, &signame, NULL, NULL, NULL, NULL, NULL) == 0 &&
        signame != NULL) {
        log_debug("server '%s': remote command killed by SIG%s", c->srv->info.name, signame);
        res->exit_status = -1;
        libssh2_free(c->sess, signame);
    } else if (marked >= 0) {
        res->exit_status = marked;
    } else if (res->exit_status == 0) {
        /* The command may still be running, or may have failed: its outcome is unknown. */
        r = jiku_err_set(err, JIKU_E_TRANSIENT,
                         "remote command: the server closed the channel without an exit status");
    }
    res->truncated = truncated[0] || truncated[1];
    /* Closed already, so this needs no round trip; the command's result stands regardless. */
    while ((rc = libssh2_channel_free(ch)) == LIBSSH2_ERROR_EAGAIN)
        if (ssh_wait(c, deadline_ms, "remote command", NULL) != 0)
            break;
out:
    /* On failure the channel goes with its session, which is not reused (ssh_conn_destroy). */
    jiku_buf_release(&wrapped);
    return r;
}

static int exec_attempts(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *cmd,
                         const struct jiku_ssh_input *input, bool safe, size_t max_output,
                         int timeout_s, struct jiku_exec_result *res, struct jiku_err *err);

/*
 * One command with retries: transient failures before the command was sent are always
 * retried (a stale pooled session), after it only when SAFE.
 */
static int
exec_command(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *cmd,
             const struct jiku_ssh_input *input, bool safe, size_t max_output, int timeout_s,
             struct jiku_exec_result *res, struct jiku_err *err)
{
    struct jiku_err tmp;
    int r;

    if (err == NULL)
        err = &tmp;
    if (max_output == 0)
        max_output = DEFAULT_MAX_OUTPUT;
    if (timeout_s <= 0)
        timeout_s = srv->info.timeout > 0 ? srv->info.timeout : DEFAULT_EXEC_TIMEOUT;
    /*
     * After a signal, a command started now is the clean-up of an interrupted step (removing
     * what it made): it may run until the grace ends, and not a moment longer.  Commands that
     * were running when the signal came end at once (ssh_wait).
     */
    if (jiku_interrupted()) {
        if (!jiku_in_grace())
            return jiku_err_set(err, JIKU_E_INTERRUPTED,
                                "server '%s': interrupted by a signal, and the %d s to clean up "
                                "are over",
                                srv->info.name, JIKU_GRACE_MS / 1000);
        ssh_grace_set(true);
        r = exec_attempts(s, srv, cmd, input, safe, max_output, timeout_s, res, err);
        ssh_grace_set(false);
        return r;
    }
    return exec_attempts(s, srv, cmd, input, safe, max_output, timeout_s, res, err);
}

static int
exec_attempts(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *cmd,
              const struct jiku_ssh_input *input, bool safe, size_t max_output, int timeout_s,
              struct jiku_exec_result *res, struct jiku_err *err)
{
    struct jiku_retry rt;
    int fresh = 0, r;

    jiku_retry_init(&rt, s->opts.retry_deadline);
    for (;;) {
        struct ssh_conn *c = NULL;
        bool sent = false, reused;

        if ((r = ssh_pool_get(s, srv, &c, err)) == 0) {
            reused = c->reused;
            r = ssh_run(c, cmd, input, max_output, jiku_now_ms() + (int64_t)timeout_s * 1000, res,
                        &sent, err);
            ssh_pool_put(s, c, r == 0);
            if (r == JIKU_E_TRANSIENT && reused && !sent && fresh++ < 2) {
                /* Its idle siblings are likely as stale: start over on a fresh one at once. */
                log_debug("server '%s': pooled session was stale: %s", srv->info.name, err->msg);
                ssh_pool_flush(s, srv);
                continue;
            }
        }
        if (r == 0)
            return 0;
        if ((r = ssh_retry_decide(&rt, r, safe || !sent, srv, err)) != 0)
            return r;
    }
}

int
jiku_ssh_exec_timeout(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *cmd,
                      bool safe, size_t max_output, int timeout_s, struct jiku_exec_result *res,
                      struct jiku_err *err)
{
    return exec_command(s, srv, cmd, NULL, safe, max_output, timeout_s, res, err);
}

int
jiku_ssh_exec(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *cmd, bool safe,
              size_t max_output, struct jiku_exec_result *res, struct jiku_err *err)
{
    return exec_command(s, srv, cmd, NULL, safe, max_output, 0, res, err);
}

int
jiku_ssh_exec_input(struct jiku_ssh *s, const struct jiku_server_conf *srv, const char *cmd,
                    const struct jiku_ssh_input *input, bool safe, size_t max_output,
                    struct jiku_exec_result *res, struct jiku_err *err)
{
    return exec_command(s, srv, cmd, input, safe, max_output, 0, res, err);
}

void
jiku_exec_result_release(struct jiku_exec_result *res)
{
    if (res == NULL)
        return;
    jiku_buf_release(&res->out);
    jiku_buf_release(&res->errout);
    res->exit_status = -1;
}

int
jiku_ssh_check_host(struct jiku_ssh *s, const struct jiku_server_conf *srv, struct jiku_err *err)
{
    struct jiku_err tmp;
    struct jiku_retry rt;
    struct ssh_conn *c = NULL;
    int r;

    if (err == NULL)
        err = &tmp;
    jiku_retry_init(&rt, s->opts.retry_deadline);
    /* A pooled session was verified when it was made; check with a fresh handshake. */
    ssh_pool_flush(s, srv);
    while ((r = ssh_pool_get(s, srv, &c, err)) != 0)
        if ((r = ssh_retry_decide(&rt, r, true, srv, err)) != 0)
            return r;
    ssh_pool_put(s, c, true);
    return 0;
}
