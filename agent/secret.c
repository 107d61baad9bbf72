/*
 * The secret store (secret.h).  One page per secret file: mmap'd so that it is page-aligned
 * for mlock and madvise, read-only (mprotect) once filled so that a stray write faults instead
 * of corrupting a credential, wiped and unmapped at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "secret.h"

struct secret_slot {
    char *path;
    char *page; /* the secret, NUL-terminated; NULL when loading failed */
    size_t len;
    int status; /* the failure, kept so that the file is not opened again */
    char msg[JIKU_ERR_MSG_MAX];
};

static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static struct secret_slot *slots;
static size_t n_slots, cap_slots;
static unsigned n_opens;

static size_t
page_size(void)
{
    long n = sysconf(_SC_PAGESIZE);

    return n > JIKU_SECRET_MAX ? (size_t)n : 4096;
}

static void
page_free(char *page)
{
    size_t size = page_size();

    if (page == NULL)
        return;
    mprotect(page, size, PROT_READ | PROT_WRITE);
    jiku_memzero(page, size);
    munlock(page, size);
    munmap(page, size);
}

bool
jiku_secret_cred_name_ok(const char *name)
{
    size_t n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");

    return n > 0 && name[n] == '\0' && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

unsigned
jiku_secret_forbidden_mode(const char *path)
{
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    size_t n = dir != NULL ? strlen(dir) : 0;

    if (n > 0 && strncmp(path, dir, n) == 0 && path[n] == '/' && strchr(path + n + 1, '/') == NULL)
        return 027;
    return 077;
}

static int
open_checked(const char *path, const char *what, struct jiku_err *err)
{
    uid_t me = geteuid();
    struct stat st;
    int fd, r = 0;

    n_opens++;
    /* O_NONBLOCK: a FIFO planted in place of the file must not hang the run. */
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP)
            return jiku_err_set(err, JIKU_E_CONFIG,
                                "%s '%s' is a symbolic link; secrets are read only from the file "
                                "itself",
                                what, path);
        if (errno == ENOENT)
            return jiku_err_set(err, JIKU_E_CONFIG, "%s '%s' does not exist", what, path);
        return jiku_err_set(err, JIKU_E_CONFIG, "cannot read %s '%s': %s", what, path,
                            strerror(errno));
    }
    /* Checked on the descriptor that is read: no window between a check and the open. */
    if (fstat(fd, &st) != 0) {
        r = jiku_err_set(err, JIKU_E_CONFIG, "cannot read %s '%s': %s", what, path,
                         strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        r = jiku_err_set(err, JIKU_E_CONFIG, "%s '%s' is not a regular file", what, path);
    } else if (st.st_uid != me && st.st_uid != 0) {
        struct passwd *pw = getpwuid(me);

        r = jiku_err_set(
            err, JIKU_E_CONFIG,
            "%s '%s' is owned by uid %ld, not by root or the running user; fix: chown %s '%s'",
            what, path, (long)st.st_uid, pw != NULL ? pw->pw_name : "root", path);
    } else if ((st.st_mode & jiku_secret_forbidden_mode(path)) != 0) {
        r = jiku_err_set(err, JIKU_E_CONFIG,
                         "%s '%s' is %s by group or others (mode %04o); fix: chmod 600 '%s'", what,
                         path, (st.st_mode & 044) ? "readable" : "accessible",
                         (unsigned)(st.st_mode & 07777), path);
    } else if (st.st_size > JIKU_SECRET_MAX) {
        r = jiku_err_set(err, JIKU_E_CONFIG, "%s '%s' is larger than %d bytes", what, path,
                         JIKU_SECRET_MAX);
    }
    if (r != 0) {
        close(fd);
        return r;
    }
    return fd;
}

/* Read FD (at most JIKU_SECRET_MAX bytes) into a fresh locked page; *PAGE and *LEN. */
static int
read_page(int fd, const char *path, const char *what, char **page_out, size_t *len_out,
          struct jiku_err *err)
{
    size_t size = page_size(), len = 0;
    char *page;
    int r = 0;

    page = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    /*
     * Not fatal: with RLIMIT_MEMLOCK at 0 (some containers) the page may be swapped, as any
     * heap memory would be; refusing to run there would protect nothing.
     */
    if (mlock(page, size) != 0)
        log_debug("cannot lock the %s '%s' in memory (%s); it may be swapped", what, path,
                  strerror(errno));
#ifdef MADV_DONTDUMP
    madvise(page, size, MADV_DONTDUMP);
#endif
    /* One byte more than allowed: a file that grew since fstat is refused, not cut. */
    while (len <= JIKU_SECRET_MAX) {
        ssize_t n = read(fd, page + len, JIKU_SECRET_MAX + 1 - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = jiku_err_set(err, JIKU_E_CONFIG, "cannot read %s '%s': %s", what, path,
                             strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > JIKU_SECRET_MAX) {
        r = jiku_err_set(err, JIKU_E_CONFIG, "%s '%s' is larger than %d bytes", what, path,
                         JIKU_SECRET_MAX);
        goto out;
    }
    while (len > 0 && strchr(" \t\r\n\v\f", page[len - 1]) != NULL)
        page[--len] = '\0';
    page[len] = '\0';
    if (len == 0) {
        r = jiku_err_set(err, JIKU_E_CONFIG, "%s '%s' is empty", what, path);
        goto out;
    }
    mprotect(page, size, PROT_READ);
    *page_out = page;
    *len_out = len;
    page = NULL;
out:
    page_free(page);
    return r;
}

/* The slot of PATH, loaded on first use.  Called with store_lock held. */
static int
slot_of(const char *path, const char *what, struct secret_slot **out, struct jiku_err *err)
{
    struct secret_slot *s;
    int fd;

    for (size_t i = 0; i < n_slots; i++)
        if (strcmp(slots[i].path, path) == 0) {
            *out = &slots[i];
            return 0;
        }
    if (n_slots == cap_slots) {
        size_t cap = cap_slots ? cap_slots * 2 : 8;
        /* Only paths and page pointers move here, never a secret's bytes. */
        struct secret_slot *p = realloc(slots, cap * sizeof(*p));

        if (p == NULL)
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        slots = p;
        cap_slots = cap;
    }
    s = &slots[n_slots];
    memset(s, 0, sizeof(*s));
    if ((s->path = strdup(path)) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    n_slots++;
    log_debug("reading the %s '%s'", what, path);
    if ((fd = open_checked(path, what, err)) >= 0) {
        s->status = read_page(fd, path, what, &s->page, &s->len, err);
        close(fd);
    } else {
        s->status = fd;
    }
    if (s->status != 0)
        memcpy(s->msg, err->msg, sizeof(s->msg));
    *out = s;
    return 0;
}

int
jiku_secret_get(const char *path, const char *what, struct jiku_buf *out, struct jiku_err *err)
{
    struct jiku_err local = {0};
    struct secret_slot *s = NULL;
    int r;

    if (err == NULL)
        err = &local;
    jiku_buf_release_secure(out);
    pthread_mutex_lock(&store_lock);
    if ((r = slot_of(path, what, &s, err)) != 0)
        goto out;
    if (s->status != 0) {
        r = jiku_err_set(err, s->status, "%s", s->msg);
        goto out;
    }
    /* OUT was empty: one allocation of the secret's size, no growth, no copy left behind. */
    if ((r = jiku_buf_add(out, s->page, s->len)) != 0)
        r = jiku_err_set(err, r, "out of memory");
out:
    pthread_mutex_unlock(&store_lock);
    return r;
}

void
jiku_secret_wipe_all(void)
{
    pthread_mutex_lock(&store_lock);
    for (size_t i = 0; i < n_slots; i++) {
        page_free(slots[i].page);
        free(slots[i].path);
    }
    free(slots);
    slots = NULL;
    n_slots = cap_slots = 0;
    pthread_mutex_unlock(&store_lock);
}

unsigned
jiku_secret_opens(void)
{
    unsigned n;

    pthread_mutex_lock(&store_lock);
    n = n_opens;
    pthread_mutex_unlock(&store_lock);
    return n;
}
