#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"

/*
 * Three buffers: one being filled, one being hashed, one spare so that neither side waits
 * for the other at a buffer's edge.  More only adds memory: the slower side sets the pace.
 */
#define PIPE_BUFS 3
/* Hashing and write(2) need little stack; the default 8 MiB would only reserve address space. */
#define PIPE_STACK (256 * 1024)

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

void
jiku_digest_hex(char *out, const unsigned char *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static void
digests_final(struct digests *d, char md5[33], char sha256[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;

    EVP_DigestFinal_ex(d->md5, md, &n);
    jiku_digest_hex(md5, md, n);
    EVP_DigestFinal_ex(d->sha256, md, &n);
    jiku_digest_hex(sha256, md, n);
}

static void
digests_release(struct digests *d)
{
    EVP_MD_CTX_free(d->md5);
    EVP_MD_CTX_free(d->sha256);
    d->md5 = d->sha256 = NULL;
}

int
jiku_digest_file(const char *path, uint64_t *size, char md5[33], char sha256[65],
                 struct jiku_err *err)
{
    enum { CHUNK = 1 << 18 };
    struct digests d = {NULL, NULL};
    unsigned char *buf = malloc(CHUNK);
    uint64_t total = 0;
    ssize_t n;
    int fd = -1, r;

    if (buf == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "cannot set up checksums");
        goto out;
    }
    if ((r = digests_init(&d, err)) != 0)
        goto out;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        r = jiku_err_set(err, errno == ENOENT ? JIKU_E_NOTFOUND : JIKU_E_IO, "cannot open '%s': %s",
                         path, strerror(errno));
        goto out;
    }
    while ((n = read(fd, buf, CHUNK)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = jiku_err_set(err, JIKU_E_IO, "cannot read '%s': %s", path, strerror(errno));
            goto out;
        }
        digests_update(&d, buf, (size_t)n);
        total += (uint64_t)n;
    }
    digests_final(&d, md5, sha256);
    *size = total;
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    digests_release(&d);
    return r;
}

struct jiku_digest_pipe {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more; /* a buffer was queued, or the pipe is closing */
    pthread_cond_t room; /* a buffer came free, or the thread stopped */
    char *buf[PIPE_BUFS];
    size_t len[PIPE_BUFS];
    unsigned in, out, queued; /* the caller fills buf[in]; the thread takes buf[out] */
    bool closing, dropping, stopped, started;
    int write_errno; /* of the write that failed; the thread stops there */
    int fd;
    struct digests dg;
};

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

static void *
pipe_main(void *arg)
{
    struct jiku_digest_pipe *p = arg;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        unsigned i = p->out;
        int e = 0;

        while (p->queued == 0 && !p->closing)
            pthread_cond_wait(&p->more, &p->mu);
        if (p->dropping || p->queued == 0)
            break;
        pthread_mutex_unlock(&p->mu);
        if (p->fd >= 0 && write_all(p->fd, p->buf[i], p->len[i]) != 0)
            e = errno;
        else
            digests_update(&p->dg, p->buf[i], p->len[i]);
        pthread_mutex_lock(&p->mu);
        if (e != 0) {
            p->write_errno = e;
            break;
        }
        p->out = (i + 1) % PIPE_BUFS;
        p->queued--;
        pthread_cond_signal(&p->room);
    }
    p->stopped = true;
    pthread_cond_signal(&p->room);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int
jiku_digest_pipe_new(int fd, size_t size, struct jiku_digest_pipe **out, struct jiku_err *err)
{
    struct jiku_digest_pipe *p = calloc(1, sizeof(*p));
    pthread_attr_t attr;
    int r;

    *out = NULL;
    if (p == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    p->fd = fd;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->more, NULL);
    pthread_cond_init(&p->room, NULL);
    for (unsigned i = 0; i < PIPE_BUFS; i++)
        if ((p->buf[i] = malloc(size)) == NULL) {
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            goto out;
        }
    if ((r = digests_init(&p->dg, err)) != 0)
        goto out;
    if (pthread_attr_init(&attr) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "cannot start a checksum thread");
        goto out;
    }
    p->started = pthread_attr_setstacksize(&attr, PIPE_STACK) == 0 &&
                 pthread_create(&p->thread, &attr, pipe_main, p) == 0;
    pthread_attr_destroy(&attr);
    if (!p->started) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "cannot start a checksum thread");
        goto out;
    }
    *out = p;
    p = NULL;
out:
    jiku_digest_pipe_free(p);
    return r;
}

static int
write_failed(const struct jiku_digest_pipe *p, const char *path, struct jiku_err *err)
{
    return jiku_err_set(err, JIKU_E_IO, "cannot write '%s': %s", path, strerror(p->write_errno));
}

int
jiku_digest_pipe_buffer(struct jiku_digest_pipe *p, char **buf, const char *path,
                        struct jiku_err *err)
{
    int r = 0;

    pthread_mutex_lock(&p->mu);
    while (p->queued == PIPE_BUFS && !p->stopped)
        pthread_cond_wait(&p->room, &p->mu);
    if (p->stopped)
        r = write_failed(p, path, err);
    else
        *buf = p->buf[p->in];
    pthread_mutex_unlock(&p->mu);
    return r;
}

void
jiku_digest_pipe_push(struct jiku_digest_pipe *p, size_t n)
{
    pthread_mutex_lock(&p->mu);
    p->len[p->in] = n;
    p->in = (p->in + 1) % PIPE_BUFS;
    p->queued++;
    pthread_cond_signal(&p->more);
    pthread_mutex_unlock(&p->mu);
}

/* Tells the thread to stop once the queue is empty (DROP: at once) and waits for it. */
static void
pipe_stop(struct jiku_digest_pipe *p, bool drop)
{
    pthread_mutex_lock(&p->mu);
    p->closing = true;
    p->dropping = drop;
    pthread_cond_signal(&p->more);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    p->started = false;
}

int
jiku_digest_pipe_finish(struct jiku_digest_pipe *p, char md5[33], char sha256[65], const char *path,
                        struct jiku_err *err)
{
    pipe_stop(p, false);
    if (p->write_errno != 0)
        return write_failed(p, path, err);
    digests_final(&p->dg, md5, sha256);
    return 0;
}

void
jiku_digest_pipe_free(struct jiku_digest_pipe *p)
{
    if (p == NULL)
        return;
    if (p->started)
        pipe_stop(p, true);
    for (unsigned i = 0; i < PIPE_BUFS; i++)
        free(p->buf[i]);
    digests_release(&p->dg);
    pthread_cond_destroy(&p->room);
    pthread_cond_destroy(&p->more);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
