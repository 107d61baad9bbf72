/*
 * Target locks (docs/ARCHITECTURE.md, "State"): flock files under state_dir/locks.
 *
 * flock is the truth: a lock lives exactly as long as the open file description, so it dies
 * with the process and there are no stale locks to break.  The pid an exclusive holder writes
 * into the file only makes the "busy" message useful.
 *
 * Keys name panel objects, not targets, so that two targets on one account exclude each
 * other:
 *     SERVER.OWNER.ACCOUNT           the object that owns the target, as the panel's plugin
 *                                    names it: SERVER.account.USER on cPanel,
 *                                    SERVER.subscription.DOMAIN on Plesk (exclusive; shared
 *                                    under an application)
 *     SERVER.site.DOMAIN.PATH        one application instance (exclusive), PATH escaped
 * Every process takes the owner's lock before the site lock, one global order, so two agents
 * cannot deadlock.
 */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jiku/buf.h"
#include "run.h"
#include "vocab.h"

#define MAX_HELD 2
#define KEY_MAX 200 /* well below NAME_MAX */

struct jiku_lock {
    int fd[MAX_HELD];
    bool shared[MAX_HELD];
    int n;
};

static long long
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keys become file names: lowercase letters, digits, '-', '_' and '.', never leading '.'. */
static bool
valid_key(const char *key)
{
    size_t i;

    if (key[0] == '\0' || key[0] == '.')
        return false;
    for (i = 0; key[i] != '\0'; i++) {
        char c = key[i];

        if (i >= KEY_MAX)
            return false;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* mkdir DIR 0700 unless it exists; a non-directory there is an error. */
static int
ensure_dir(const char *dir, struct jiku_err *err)
{
    struct stat st;

    if (mkdir(dir, 0700) == 0 || errno == EEXIST) {
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        return jiku_err_set(err, JIKU_E_IO, "cannot use lock directory '%s': not a directory", dir);
    }
    return jiku_err_set(err, JIKU_E_IO, "cannot create lock directory '%s': %s", dir,
                        strerror(errno));
}

/* The pid an exclusive holder wrote, or 0. */
static long
holder_pid(int fd)
{
    char text[32];
    ssize_t got = pread(fd, text, sizeof(text) - 1, 0);
    char *end;
    long pid;

    if (got <= 0)
        return 0;
    text[got] = '\0';
    pid = strtol(text, &end, 10);
    if (end == text || pid <= 0)
        return 0;
    return pid;
}

static void
note_holder(int fd)
{
    char text[32];
    int len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());

    /* Only for the message of a waiting process: failing to write is harmless. */
    if (ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)len, 0) < 0)
        return;
}

/*
 * Take one lock file by KEY before DEADLINE_MS (monotonic); SUBJECT starts the busy message
 * ("target 'acme/shop' is busy" or "lock 'k' is busy").  *FD is the caller's.
 */
static int
acquire(const char *state_dir, const char *key, bool shared, long long start_ms,
        long long deadline_ms, const char *subject, int *fd_out, struct jiku_err *err)
{
    struct jiku_buf path = JIKU_BUF_INIT;
    unsigned pause = 10;
    long pid;
    int fd = -1, r;

    *fd_out = -1;
    if (!valid_key(key)) {
        r = jiku_err_set(err, JIKU_E_INVAL, "invalid lock key '%s'", key);
        goto out;
    }
    if ((r = ensure_dir(state_dir, err)) != 0)
        goto out;
    if ((r = jiku_buf_addf(&path, "%s/locks", state_dir)) != 0) {
        r = jiku_err_set(err, r, "out of memory");
        goto out;
    }
    if ((r = ensure_dir(path.data, err)) != 0)
        goto out;
    if ((r = jiku_buf_addf(&path, "/%s", key)) != 0) {
        r = jiku_err_set(err, r, "out of memory");
        goto out;
    }
    /* O_NOFOLLOW: a planted symlink must not make us create or truncate another file. */
    fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot open lock file '%s': %s", path.data,
                         strerror(errno));
        goto out;
    }
    for (;;) {
        long long now;

        if (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0)
            break;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            r = jiku_err_set(err, JIKU_E_IO, "cannot lock '%s': %s", path.data, strerror(errno));
            goto out;
        }
        now = mono_ms();
        if (now >= deadline_ms) {
            long long waited = (now - start_ms + 500) / 1000;

            pid = holder_pid(fd);
            if (pid > 0)
                r = jiku_err_set(err, JIKU_E_BUSY,
                                 "%s: lock '%s' held by another jiku-agent (pid %ld) for %lld s",
                                 subject, key, pid, waited);
            else
                r = jiku_err_set(err, JIKU_E_BUSY,
                                 "%s: lock '%s' held by another jiku-agent for %lld s", subject,
                                 key, waited);
            goto out;
        }
        if (jiku_sleep_ms(deadline_ms - now < pause ? (unsigned)(deadline_ms - now) : pause) ==
            JIKU_E_INTERRUPTED) {
            r = jiku_err_set(err, JIKU_E_INTERRUPTED, "interrupted while waiting for lock '%s'",
                             key);
            goto out;
        }
        /* Quick at first, for locks that are freed at once; gentle afterwards. */
        if (pause < 250)
            pause *= 2;
    }
    if (!shared)
        note_holder(fd);
    *fd_out = fd;
    fd = -1;
    r = 0;
out:
    if (fd >= 0)
        close(fd);
    jiku_buf_release(&path);
    return r;
}

static int
lock_keys(const char *state_dir, const char *const *keys, const bool *shared, int n,
          int wait_seconds, const char *subject, struct jiku_lock **out, struct jiku_err *err)
{
    struct jiku_lock *lock = NULL;
    long long start = mono_ms();
    long long deadline = start + (wait_seconds > 0 ? (long long)wait_seconds * 1000 : 0);
    int i, r;

    *out = NULL;
    if ((lock = calloc(1, sizeof(*lock))) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        if ((r = acquire(state_dir, keys[i], shared[i], start, deadline, subject, &lock->fd[i],
                         err)) != 0)
            goto out;
        lock->shared[i] = shared[i];
        lock->n = i + 1;
    }
    *out = lock;
    lock = NULL;
    r = 0;
out:
    jiku_lock_release(lock);
    return r;
}

int
jiku_lock_key(const char *state_dir, const char *key, bool shared, int wait_seconds,
              struct jiku_lock **out, struct jiku_err *err)
{
    struct jiku_buf subject = JIKU_BUF_INIT;
    int r;

    *out = NULL;
    if ((r = jiku_buf_addf(&subject, "lock '%s' is busy", key)) != 0)
        return jiku_err_set(err, r, "out of memory");
    r = lock_keys(state_dir, &key, &shared, 1, wait_seconds, subject.data, out, err);
    jiku_buf_release(&subject);
    return r;
}

/* Append S lowercased: domains are case-insensitive, and keys are lowercase. */
static int
add_lower(struct jiku_buf *b, const char *s)
{
    int r = 0;

    for (; *s != '\0' && r == 0; s++)
        r = jiku_buf_addch(b, (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s);
    return r;
}

/*
 * Append a URL path so that it cannot leave the lock directory and distinct paths stay
 * distinct: [a-z0-9-] as is, every other byte as _XX (so '_' itself is always an escape).
 * Trailing slashes do not make another site: "/blog/" is "/blog".
 */
static int
add_path(struct jiku_buf *b, const char *path)
{
    static const char hex[] = "0123456789abcdef";
    size_t len = strlen(path);
    size_t i;
    int r = 0;

    while (len > 1 && path[len - 1] == '/')
        len--;
    if (len == 0)
        return jiku_buf_adds(b, "_2f");
    for (i = 0; i < len && r == 0; i++) {
        unsigned char c = (unsigned char)path[i];

        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
            r = jiku_buf_addch(b, (char)c);
        else if ((r = jiku_buf_addch(b, '_')) == 0 && (r = jiku_buf_addch(b, hex[c >> 4])) == 0)
            r = jiku_buf_addch(b, hex[c & 15]);
    }
    return r;
}

int
jiku_lock_target(const char *state_dir, const struct jiku_target_conf *target, int wait_seconds,
                 struct jiku_lock **out, struct jiku_err *err)
{
    const struct jiku_target_info *t = &target->info;
    struct jiku_buf parent = JIKU_BUF_INIT, site = JIKU_BUF_INIT, subject = JIKU_BUF_INIT;
    const char *keys[MAX_HELD];
    bool shared[MAX_HELD];
    const char *server, *object;
    int r, n = 0;

    *out = NULL;
    if (target->server == NULL || target->server->info.name == NULL || t->account == NULL) {
        r = jiku_err_set(err, JIKU_E_INVAL, "target '%s' has no server or account",
                         t->id != NULL ? t->id : "?");
        goto out;
    }
    server = target->server->info.name;
    /*
     * Every target of a panel, applications too, locks the panel object that owns it under
     * the very key that work on that object locks (plugin.h, struct jiku_panel_facts).
     */
    if (target->server->facts == NULL || (object = target->server->facts->owner_object) == NULL) {
        r = jiku_err_set(err, JIKU_E_PLUGIN,
                         "panel '%s' names no owner object to lock target '%s' by",
                         target->server->info.panel != NULL ? target->server->info.panel : "?",
                         t->id != NULL ? t->id : "?");
        goto out;
    }
    if ((r = jiku_buf_addf(&parent, "%s.%s.", server, object)) != 0 ||
        (r = add_lower(&parent, t->account)) != 0 ||
        (r = jiku_buf_addf(&subject, "target '%s' is busy", t->id != NULL ? t->id : "?")) != 0) {
        r = jiku_err_set(err, r, "out of memory");
        goto out;
    }
    keys[n] = parent.data;
    shared[n] = false;
    n++;
    if (jiku_kind_is_application(t->kind)) {
        if (t->domain == NULL) {
            r = jiku_err_set(err, JIKU_E_INVAL, "target '%s' has no domain", t->id);
            goto out;
        }
        if ((r = jiku_buf_addf(&site, "%s.site.", server)) != 0 ||
            (r = add_lower(&site, t->domain)) != 0 || (r = jiku_buf_addch(&site, '.')) != 0 ||
            (r = add_path(&site, t->path != NULL ? t->path : "/")) != 0) {
            r = jiku_err_set(err, r, "out of memory");
            goto out;
        }
        /* Account first, then site: the one global order. */
        shared[0] = true;
        keys[n] = site.data;
        shared[n] = false;
        n++;
    }
    r = lock_keys(state_dir, keys, shared, n, wait_seconds, subject.data, out, err);
out:
    jiku_buf_release(&subject);
    jiku_buf_release(&site);
    jiku_buf_release(&parent);
    return r;
}

void
jiku_lock_release(struct jiku_lock *lock)
{
    int i;

    if (lock == NULL)
        return;
    for (i = lock->n - 1; i >= 0; i--) {
        /* Clear our pid while we still hold the lock, so no one reads it as the holder. */
        if (!lock->shared[i] && ftruncate(lock->fd[i], 0) != 0) {
            /* harmless: the pid is only ever a hint */
        }
        close(lock->fd[i]);
    }
    free(lock);
}
