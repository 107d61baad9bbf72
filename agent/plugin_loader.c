/*
 * Finding, checking and loading panel plugins (docs/ARCHITECTURE.md, "The plugin ABI").
 *
 * A shared plugin runs as root inside the agent, so the file is checked before the dynamic
 * linker sees it: the directory and the file must belong to root or the running user and be
 * writable by nobody else, and the file must be a regular file reached without a symbolic link.
 * The checks are made on open descriptors and the object is then loaded through
 * /proc/self/fd/N, so the file that was checked is the file that is mapped.  Only then is the
 * descriptor read: major version and size first, and nothing else from a descriptor that fails
 * those.
 */
#include "plugin_loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jiku/buf.h"
#include "paths.h"
#include "vocab.h"

#define PANEL_NAME_MAX 32
/* Far more than verbs × kinds: a larger count means the descriptor is garbage. */
#define ACTIONS_MAX 1024
/* The prefix every plugin must have: through n_actions. */
#define PLUGIN_MIN_SIZE offsetof(struct jiku_plugin, open)
/* A member is present only when the plugin's struct holds all of it. */
#define PLUGIN_HAS(size, member)                                                                   \
    ((size) >= offsetof(struct jiku_plugin, member) + sizeof(((struct jiku_plugin *)0)->member))
#define BUILTIN_LABEL "(built-in)"

struct jiku_plugins {
    char *dir;
    /* Worker threads ask for their panel's plugin; the first one loads and opens it. */
    pthread_mutex_t lock;
    struct jiku_loaded_plugin **loaded; /* each heap-allocated: callers keep pointers */
    size_t n_loaded;
};

bool
jiku_plugin_name_valid(const char *name)
{
    size_t n;

    if (name == NULL)
        return false;
    for (n = 0; name[n] != '\0'; n++) {
        char c = name[n];

        if (n >= PANEL_NAME_MAX)
            return false;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return n > 0;
}

/* Longer lists of secret headers or path segments mean the descriptor is garbage. */
#define SECRETS_MAX 64

/* A NULL-terminated list of at most SECRETS_MAX non-empty words without '/' (or NULL). */
static bool
word_list_ok(const char *const *list)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++)
        if (i >= SECRETS_MAX || list[i][0] == '\0' || strchr(list[i], '/') != NULL)
            return false;
    return true;
}

/* What the core builds from a panel's facts must be usable: lock file names, messages. */
static int
check_facts(const struct jiku_panel_facts *f, const char *label, struct jiku_err *err)
{
    if (f->api_port < 0 || f->api_port > 65535)
        return jiku_err_set(err, JIKU_E_PLUGIN, "plugin '%s' declares API port %d", label,
                            f->api_port);
    /* "site" keys are the core's own, for applications (agent/lock.c). */
    if (f->owner_object != NULL &&
        (!jiku_plugin_name_valid(f->owner_object) || strcmp(f->owner_object, "site") == 0))
        return jiku_err_set(err, JIKU_E_PLUGIN,
                            "plugin '%s' declares an owner object that is not a name "
                            "([a-z0-9-]+) or is 'site'",
                            label);
    if (f->valid_account != NULL && f->account_syntax == NULL)
        return jiku_err_set(err, JIKU_E_PLUGIN,
                            "plugin '%s' checks accounts but does not say what they look like",
                            label);
    if (!word_list_ok(f->secret_headers) || !word_list_ok(f->secret_segments))
        return jiku_err_set(err, JIKU_E_PLUGIN,
                            "plugin '%s' declares secret headers or path segments that are empty, "
                            "hold a '/' or are more than %d",
                            label, SECRETS_MAX);
    return 0;
}

/*
 * Copy the plugin's descriptor SRC into DESC, refusing an ABI major we do not speak before
 * reading anything past struct_size, and members past the plugin's struct_size left absent.
 */
static int
normalise(const struct jiku_plugin *src, const char *label, struct jiku_plugin *desc,
          struct jiku_err *err)
{
    uint32_t abi, size, minor;
    size_t copy;

    memset(desc, 0, sizeof(*desc));
    if (src == NULL)
        return jiku_err_set(err, JIKU_E_PLUGIN, "plugin '%s' exports a NULL '%s'", label,
                            JIKU_PLUGIN_SYMBOL);
    abi = src->abi_version;
    size = src->struct_size;
    minor = abi & 0xffff;
    if (abi >> 16 != JIKU_PLUGIN_ABI_MAJOR)
        return jiku_err_set(err, JIKU_E_ABI,
                            "plugin '%s' was built for ABI %u.%u, this jiku-agent speaks ABI %d.x",
                            label, (unsigned)(abi >> 16), (unsigned)minor, JIKU_PLUGIN_ABI_MAJOR);
    if (size < PLUGIN_MIN_SIZE)
        return jiku_err_set(err, JIKU_E_ABI,
                            "plugin '%s' is truncated: its descriptor has %u bytes, ABI %d.0 needs "
                            "at least %zu",
                            label, (unsigned)size, JIKU_PLUGIN_ABI_MAJOR, PLUGIN_MIN_SIZE);

    copy = size < sizeof(*desc) ? size : sizeof(*desc);
    memcpy(desc, src, copy);
    /* A size ending inside a member leaves that member absent, not half-copied. */
    if (!PLUGIN_HAS(size, open))
        desc->open = NULL;
    if (!PLUGIN_HAS(size, close))
        desc->close = NULL;
    if (!PLUGIN_HAS(size, check))
        desc->check = NULL;
    if (!PLUGIN_HAS(size, facts))
        desc->facts = NULL;

    if (!jiku_plugin_name_valid(desc->name))
        goto bad_name;
    if (desc->n_actions > ACTIONS_MAX)
        return jiku_err_set(err, JIKU_E_PLUGIN, "plugin '%s' declares %zu actions, at most %d",
                            label, desc->n_actions, ACTIONS_MAX);
    if (desc->n_actions > 0 && desc->actions == NULL)
        return jiku_err_set(err, JIKU_E_PLUGIN, "plugin '%s' declares %zu actions but no table",
                            label, desc->n_actions);
    for (size_t i = 0; i < desc->n_actions; i++) {
        const struct jiku_plugin_action *a = &desc->actions[i];

        if (a->fn == NULL)
            return jiku_err_set(err, JIKU_E_PLUGIN, "plugin '%s' has no function for action %zu",
                                label, i);
        if ((unsigned)a->verb >= JIKU_VERB_COUNT || (unsigned)a->kind >= JIKU_KIND_COUNT) {
            /* A newer minor may add verbs and kinds we do not know: those are never asked. */
            if (minor > JIKU_PLUGIN_ABI_MINOR)
                continue;
            return jiku_err_set(err, JIKU_E_PLUGIN,
                                "plugin '%s' has action %zu with verb %d and kind %d, outside "
                                "ABI %d.%u",
                                label, i, (int)a->verb, (int)a->kind, JIKU_PLUGIN_ABI_MAJOR,
                                (unsigned)minor);
        }
        for (size_t j = 0; j < i; j++)
            if (desc->actions[j].verb == a->verb && desc->actions[j].kind == a->kind)
                return jiku_err_set(err, JIKU_E_PLUGIN, "plugin '%s' has two actions for %s on %s",
                                    label, jiku_verb_name(a->verb), jiku_kind_name(a->kind));
    }
    if (desc->facts != NULL)
        return check_facts(desc->facts, label, err);
    return 0;

bad_name:
    memset(desc, 0, sizeof(*desc));
    return jiku_err_set(err, JIKU_E_PLUGIN, "plugin '%s' has no valid name ([a-z0-9-]+)", label);
}

static int
check_owner_mode(const struct stat *st, const char *what, const char *path, struct jiku_err *err)
{
    if (st->st_uid != 0 && st->st_uid != geteuid())
        return jiku_err_set(err, JIKU_E_PLUGIN,
                            "%s '%s' is owned by uid %lu, not root or the running user; fix: "
                            "chown root",
                            what, path, (unsigned long)st->st_uid);
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return jiku_err_set(err, JIKU_E_PLUGIN,
                            "%s '%s' is writable by group or others (mode %04o); fix: chmod 755",
                            what, path, (unsigned)(st->st_mode & 07777));
    return 0;
}

/* "/proc/self/fd/5: invalid ELF header" names our descriptor, not the file: drop that. */
static const char *
dl_reason(const char *fd_path)
{
    const char *e = dlerror();
    size_t n = strlen(fd_path);

    if (e == NULL)
        return "unknown error";
    if (strncmp(e, fd_path, n) == 0 && e[n] == ':' && e[n + 1] == ' ')
        return e + n + 2;
    return e;
}

static void
fd_path_of(int fd, char *buf, size_t size)
{
    snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/*
 * glibc looks an object up by the name it was opened under before it looks at the file, so
 * while an object opened as /proc/self/fd/N stays mapped, a dlopen of that name returns it
 * whatever N refers to by then.  Descriptor N therefore stays open for as long as the object
 * is loaded; when dlclose() leaves it mapped (another handle holds it), N stays open for the
 * life of the process.
 */
static void
release_handle(void *handle, int fd)
{
    char fd_path[64];
    void *still;

    dlclose(handle);
    if (fd < 0)
        return;
    fd_path_of(fd, fd_path, sizeof(fd_path));
    still = dlopen(fd_path, RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
    if (still != NULL) {
        dlclose(still);
        return;
    }
    close(fd);
}

/* As jiku_plugin_load_file; *MISSING tells the directory or the file does not exist. */
static int
load_file(const char *path, struct jiku_loaded_plugin *out, bool *missing, struct jiku_err *err)
{
    struct jiku_loaded_plugin lp = {.fd = -1};
    struct jiku_buf dir = JIKU_BUF_INIT;
    const char *base, *slash;
    const struct jiku_plugin *const *sym;
    char fd_path[64];
    struct stat st;
    void *handle = NULL;
    int dfd = -1, fd = -1;
    int r;

    *missing = false;
    slash = strrchr(path, '/');
    base = slash != NULL ? slash + 1 : path;
    if (*base == '\0') {
        r = jiku_err_set(err, JIKU_E_INVAL, "plugin path '%s' names no file", path);
        goto out;
    }
    if (slash == NULL)
        r = jiku_buf_adds(&dir, ".");
    else if (slash == path)
        r = jiku_buf_adds(&dir, "/");
    else
        r = jiku_buf_add(&dir, path, (size_t)(slash - path));
    if (r != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }

    if ((dfd = open(dir.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(dfd, &st) != 0) {
        *missing = errno == ENOENT;
        r = jiku_err_set(err, JIKU_E_PLUGIN, "cannot open plugin directory '%s': %s", dir.data,
                         strerror(errno));
        goto out;
    }
    if ((r = check_owner_mode(&st, "plugin directory", dir.data, err)) != 0)
        goto out;

    if ((fd = openat(dfd, base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK)) < 0) {
        *missing = errno == ENOENT;
        if (errno == ELOOP)
            r = jiku_err_set(err, JIKU_E_PLUGIN,
                             "plugin '%s' is a symbolic link; fix: install the file itself", path);
        else
            r = jiku_err_set(err, JIKU_E_PLUGIN, "cannot open plugin '%s': %s", path,
                             strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        r = jiku_err_set(err, JIKU_E_PLUGIN, "cannot stat plugin '%s': %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = jiku_err_set(err, JIKU_E_PLUGIN, "plugin '%s' is not a regular file", path);
        goto out;
    }
    if ((r = check_owner_mode(&st, "plugin", path, err)) != 0)
        goto out;

    fd_path_of(fd, fd_path, sizeof(fd_path));
    if (access("/proc/self/fd", F_OK) != 0) {
        r = jiku_err_set(err, JIKU_E_PLUGIN, "cannot load plugin '%s': /proc is not mounted", path);
        goto out;
    }
    dlerror();
    if ((handle = dlopen(fd_path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        r = jiku_err_set(err, JIKU_E_PLUGIN, "cannot load plugin '%s': %s", path,
                         dl_reason(fd_path));
        goto out;
    }
    /* The symbol is the plugin's pointer variable; its value is the descriptor. */
    if ((sym = dlsym(handle, JIKU_PLUGIN_SYMBOL)) == NULL) {
        r = jiku_err_set(err, JIKU_E_PLUGIN,
                         "plugin '%s' does not export '%s'; it is not a jiku-agent plugin", path,
                         JIKU_PLUGIN_SYMBOL);
        goto out;
    }
    if ((r = normalise(*sym, path, &lp.desc, err)) != 0)
        goto out;
    if ((lp.path = strdup(path)) == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    lp.handle = handle;
    lp.fd = fd;
    *out = lp;
    handle = NULL;
    fd = -1;
    r = 0;
out:
    if (handle != NULL) {
        release_handle(handle, fd);
        fd = -1;
    }
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    jiku_buf_release(&dir);
    return r;
}

int
jiku_plugin_load_file(const char *path, struct jiku_loaded_plugin *out, struct jiku_err *err)
{
    bool missing;

    if (path == NULL || out == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "no plugin path");
    return load_file(path, out, &missing, err);
}

void
jiku_plugin_unload(struct jiku_loaded_plugin *lp)
{
    if (lp == NULL)
        return;
    if (lp->opened && lp->desc.close != NULL)
        lp->desc.close(lp->state);
    if (lp->handle != NULL)
        release_handle(lp->handle, lp->fd);
    free(lp->path);
    memset(lp, 0, sizeof(*lp));
    lp->fd = -1;
}

jiku_action_fn
jiku_plugin_action(const struct jiku_loaded_plugin *lp, enum jiku_verb verb,
                   enum jiku_target_kind kind)
{
    /* A newer plugin's table may hold verbs and kinds beyond ours: never hand those out. */
    if (lp == NULL || lp->desc.actions == NULL || (unsigned)verb >= JIKU_VERB_COUNT ||
        (unsigned)kind >= JIKU_KIND_COUNT)
        return NULL;
    for (size_t i = 0; i < lp->desc.n_actions; i++)
        if (lp->desc.actions[i].verb == verb && lp->desc.actions[i].kind == kind)
            return lp->desc.actions[i].fn;
    return NULL;
}

struct jiku_plugins *
jiku_plugins_new(const char *plugin_dir)
{
    struct jiku_plugins *p;

    if ((p = calloc(1, sizeof(*p))) == NULL)
        return NULL;
    if ((p->dir = strdup(plugin_dir != NULL ? plugin_dir : JIKU_PLUGIN_DIR)) == NULL ||
        pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p->dir);
        free(p);
        return NULL;
    }
    return p;
}

void
jiku_plugins_free(struct jiku_plugins *p)
{
    if (p == NULL)
        return;
    /* Last loaded first, as with any stack of resources. */
    for (size_t i = p->n_loaded; i > 0; i--) {
        jiku_plugin_unload(p->loaded[i - 1]);
        free(p->loaded[i - 1]);
    }
    free(p->loaded);
    pthread_mutex_destroy(&p->lock);
    free(p->dir);
    free(p);
}

/* The static plugin named PANEL into *OUT; 1 when there is none. */
static int
find_static(const char *panel, struct jiku_loaded_plugin *out, struct jiku_err *err)
{
    for (size_t i = 0; jiku_static_plugins[i] != NULL; i++) {
        struct jiku_plugin desc;
        int r;

        if ((r = normalise(jiku_static_plugins[i], BUILTIN_LABEL, &desc, err)) != 0)
            return r;
        if (strcmp(desc.name, panel) == 0) {
            memset(out, 0, sizeof(*out));
            out->desc = desc;
            out->fd = -1;
            return 0;
        }
    }
    return 1;
}

static int
check_name(const struct jiku_loaded_plugin *lp, const char *panel, struct jiku_err *err)
{
    if (strcmp(lp->desc.name, panel) == 0)
        return 0;
    return jiku_err_set(err, JIKU_E_PLUGIN, "plugin '%s' is named '%s', expected '%s'",
                        lp->path != NULL ? lp->path : BUILTIN_LABEL, lp->desc.name, panel);
}

int
jiku_plugin_load_panel(const char *plugin_dir, const char *panel, struct jiku_loaded_plugin *out,
                       struct jiku_err *err)
{
    struct jiku_loaded_plugin lp = {.fd = -1};
    struct jiku_buf path = JIKU_BUF_INIT;
    bool missing = false;
    int r;

    if (!jiku_plugin_name_valid(panel))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid panel name '%s'",
                            panel != NULL ? panel : "");
    if ((r = find_static(panel, &lp, err)) < 0)
        goto out;
    if (r == 1) {
        if (jiku_buf_addf(&path, "%s/%s.so", plugin_dir, panel) != 0) {
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            goto out;
        }
        if ((r = load_file(path.data, &lp, &missing, err)) != 0) {
            if (missing)
                r = jiku_err_set(err, JIKU_E_NOTFOUND, "no plugin for panel '%s' (looked in '%s')",
                                 panel, plugin_dir);
            goto out;
        }
    }
    if ((r = check_name(&lp, panel, err)) != 0)
        goto out;
    *out = lp;
    lp = (struct jiku_loaded_plugin){.fd = -1};
    r = 0;
out:
    jiku_plugin_unload(&lp);
    jiku_buf_release(&path);
    return r;
}

/* Load PANEL (static, else from the directory) and open it; *OUT is the caller's. */
static int
load_panel(struct jiku_plugins *p, const char *panel, const struct jiku_host *host,
           struct jiku_loaded_plugin **out, struct jiku_err *err)
{
    struct jiku_loaded_plugin *lp = NULL;
    struct jiku_err load_err = {0}, open_err = {0};
    int r;

    if ((lp = calloc(1, sizeof(*lp))) == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    lp->fd = -1;
    if ((r = jiku_plugin_load_panel(p->dir, panel, lp, &load_err)) != 0) {
        /* Here a missing plugin is one the command cannot do without. */
        r = jiku_err_set(err, r == JIKU_E_NOTFOUND ? JIKU_E_PLUGIN : r, "%s", load_err.msg);
        goto out;
    }
    if (lp->desc.open != NULL && (r = lp->desc.open(host, &lp->state, &open_err)) != 0) {
        r = jiku_err_set(err, JIKU_E_PLUGIN, "cannot start plugin '%s': %s", panel,
                         open_err.msg[0] != '\0' ? open_err.msg : "its open() failed");
        goto out;
    }
    lp->opened = true;
    *out = lp;
    lp = NULL;
    r = 0;
out:
    if (lp != NULL) {
        jiku_plugin_unload(lp);
        free(lp);
    }
    return r;
}

int
jiku_plugins_get(struct jiku_plugins *p, const char *panel, const struct jiku_host *host,
                 const struct jiku_loaded_plugin **out, struct jiku_err *err)
{
    struct jiku_loaded_plugin *lp = NULL, **grown;
    int r = 0;

    if (p == NULL || out == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "no plugin set");
    if (!jiku_plugin_name_valid(panel))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid panel name '%s'",
                            panel != NULL ? panel : "");

    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_loaded; i++) {
        if (strcmp(p->loaded[i]->desc.name, panel) == 0) {
            *out = p->loaded[i];
            goto out;
        }
    }
    if ((r = load_panel(p, panel, host, &lp, err)) != 0)
        goto out;
    if ((grown = realloc(p->loaded, (p->n_loaded + 1) * sizeof(*grown))) == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    p->loaded = grown;
    p->loaded[p->n_loaded++] = lp;
    *out = lp;
    lp = NULL;
out:
    pthread_mutex_unlock(&p->lock);
    if (lp != NULL) {
        jiku_plugin_unload(lp);
        free(lp);
    }
    return r;
}

static int
so_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return n > 3 && strcmp(d->d_name + n - 3, ".so") == 0;
}

/* Byte order, not the locale's: `plugins` lists the same way everywhere. */
static int
name_order(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Report the file NAME in P's directory through CB without holding P's lock. */
static void
each_file(struct jiku_plugins *p, const char *name, jiku_plugin_each_cb cb, void *arg)
{
    struct jiku_loaded_plugin lp = {.fd = -1}, builtin;
    const struct jiku_loaded_plugin *in_use = NULL;
    struct jiku_buf path = JIKU_BUF_INIT, stem = JIKU_BUF_INIT, msg = JIKU_BUF_INIT;
    struct jiku_err err = {0};
    bool missing;
    int r;

    if (jiku_buf_addf(&path, "%s/%s", p->dir, name) != 0 ||
        jiku_buf_add(&stem, name, strlen(name) - 3) != 0)
        goto out;
    lp.path = path.data;
    if (!jiku_plugin_name_valid(stem.data)) {
        r = jiku_buf_addf(&msg, "plugin file name '%s' is not a panel name ([a-z0-9-]+.so)", name);
        cb(&lp, r == 0 ? msg.data : "out of memory", arg);
        goto out;
    }
    if (find_static(stem.data, &builtin, &err) == 0) {
        r = jiku_buf_addf(&msg,
                          "plugin '%s' is not used: the built-in '%s' plugin takes precedence",
                          path.data, builtin.desc.name);
        cb(&lp, r == 0 ? msg.data : "out of memory", arg);
        goto out;
    }
    /* Already in use: report that one rather than map the file a second time. */
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_loaded && in_use == NULL; i++)
        if (p->loaded[i]->path != NULL && strcmp(p->loaded[i]->path, path.data) == 0)
            in_use = p->loaded[i];
    pthread_mutex_unlock(&p->lock);
    if (in_use != NULL) {
        cb(in_use, NULL, arg); /* entries live until jiku_plugins_free */
        goto out;
    }
    lp.path = NULL;
    if (load_file(path.data, &lp, &missing, &err) != 0) {
        struct jiku_loaded_plugin failed = {.path = path.data, .fd = -1};

        cb(&failed, err.msg, arg);
        goto out;
    }
    if (check_name(&lp, stem.data, &err) != 0)
        cb(&lp, err.msg, arg);
    else
        cb(&lp, NULL, arg);
    jiku_plugin_unload(&lp);
out:
    jiku_buf_release(&path);
    jiku_buf_release(&stem);
    jiku_buf_release(&msg);
}

void
jiku_plugins_each(struct jiku_plugins *p, jiku_plugin_each_cb cb, void *arg)
{
    struct dirent **names = NULL;
    int n;

    if (p == NULL || cb == NULL)
        return;
    for (size_t i = 0; jiku_static_plugins[i] != NULL; i++) {
        struct jiku_loaded_plugin lp = {.fd = -1};
        struct jiku_err err = {0};

        if (normalise(jiku_static_plugins[i], BUILTIN_LABEL, &lp.desc, &err) != 0)
            cb(&lp, err.msg, arg);
        else
            cb(&lp, NULL, arg);
    }

    if ((n = scandir(p->dir, &names, so_filter, name_order)) < 0) {
        struct jiku_loaded_plugin lp = {.path = p->dir, .fd = -1};
        struct jiku_buf msg = JIKU_BUF_INIT;

        /* No directory is an install with no shared plugins, not an error. */
        if (errno != ENOENT) {
            int r = jiku_buf_addf(&msg, "cannot read plugin directory '%s': %s", p->dir,
                                  strerror(errno));

            cb(&lp, r == 0 ? msg.data : "out of memory", arg);
        }
        jiku_buf_release(&msg);
        return;
    }
    for (int i = 0; i < n; i++) {
        each_file(p, names[i]->d_name, cb, arg);
        free(names[i]);
    }
    free(names);
}
