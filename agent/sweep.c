/*
 * The sweep of snapshot_dir (sweep.h): one listing over SSH, the decision here against the
 * catalog, one rm for what goes.  The listing is NUL-separated and every path is checked
 * against an allow-list before it is used; a listing cut at its cap is refused whole, never
 * acted on in part.
 */
#include "sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "log.h"

#define LIST_MAX_OUTPUT (16 * 1024 * 1024)
#define RM_BATCH 64

static bool
word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* A file name of [A-Za-z0-9._-], not "." or "..", not starting with '-'. */
static bool
valid_name(const char *s, size_t n)
{
    if (n == 0 || n > 255 || s[0] == '-' || (n == 1 && s[0] == '.') ||
        (n == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!word_char(s[i]))
            return false;
    return true;
}

/* An absolute path of valid names: no empty, "." or ".." component, no trailing '/'. */
static bool
valid_path(const char *p)
{
    if (p == NULL || p[0] != '/' || strlen(p) > 4000)
        return false;
    for (p++;;) {
        size_t n = strcspn(p, "/");

        if (!valid_name(p, n))
            return false;
        if (p[n] == '\0')
            return true;
        p += n + 1;
    }
}

/* The name form jiku_catalog_op_name makes: jiku-op-RUN-OP[-NONCE]. */
static bool
op_name_form(const char *s)
{
    if (strncmp(s, "jiku-op-", 8) != 0 || s[8] == '\0')
        return false;
    return strspn(s + 8, "0123456789abcdef-") == strlen(s + 8);
}

static int
nomem(struct jiku_err *err)
{
    return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
}

int
jiku_sweep_find_named(struct jiku_ssh *ssh, const struct jiku_server_conf *srv,
                      const char *const *names, size_t n, struct jiku_buf *found,
                      struct jiku_err *err)
{
    const char *dir = srv->info.snapshot_dir;
    struct jiku_exec_result res = {
        .exit_status = -1, .out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    size_t len;
    int r;

    if (!valid_path(dir))
        return jiku_err_set(err, JIKU_E_CONFIG, "server '%s' has no usable snapshot_dir",
                            srv->info.name);
    if (jiku_buf_adds(&cmd, "d=") != 0 || jiku_buf_add_shell_word(&cmd, dir) != 0 ||
        jiku_buf_adds(&cmd, "; test -d \"$d\" || exit 0; "
                            "find -P \"$d\" -mindepth 2 -maxdepth 2 -type d \\(") != 0) {
        r = nomem(err);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (!valid_name(names[i], strlen(names[i]))) {
            r = jiku_err_set(err, JIKU_E_INVAL, "invalid directory name '%s'", names[i]);
            goto out;
        }
        if (jiku_buf_adds(&cmd, i > 0 ? " -o -name " : " -name ") != 0 ||
            jiku_buf_add_shell_word(&cmd, names[i]) != 0) {
            r = nomem(err);
            goto out;
        }
    }
    if (jiku_buf_adds(&cmd, " \\) -print0") != 0) {
        r = nomem(err);
        goto out;
    }
    if ((r = jiku_ssh_exec(ssh, srv, cmd.data, true, 0, &res, err)) != 0)
        goto out;
    if (res.exit_status != 0 || res.truncated) {
        jiku_buf_rtrim(&res.errout);
        r = jiku_err_set(err, JIKU_E_DATA, "server '%s': cannot list '%s': %s", srv->info.name, dir,
                         res.truncated        ? "the listing was cut at its cap"
                         : res.errout.len > 0 ? res.errout.data
                                              : "exit status not 0");
        goto out;
    }
    for (size_t off = 0; off < res.out.len; off += len + 1) {
        const char *p = res.out.data + off;

        len = strnlen(p, res.out.len - off);
        if (len == 0)
            continue;
        if (off + len >= res.out.len || !valid_path(p)) {
            log_warn("server '%s': skipped an unexpected path under '%s'", srv->info.name, dir);
            continue;
        }
        if (jiku_buf_addf(found, "%s\n", p) != 0) {
            r = nomem(err);
            goto out;
        }
    }
    r = 0;
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    return r;
}

/* The operation that recorded P on SERVER as left behind, or 0. */
static int64_t
left_by(const struct jiku_op_marks *marks, const char *server, const char *p)
{
    size_t sn = strlen(server), pn = strlen(p);

    for (size_t i = 0; i < marks->n; i++) {
        const char *l = marks->items[i].leftovers;

        while (l != NULL && *l != '\0') {
            size_t len = strcspn(l, "\n");

            if (len == sn + 1 + pn && strncmp(l, server, sn) == 0 && l[sn] == ':' &&
                strncmp(l + sn + 1, p, pn) == 0)
                return marks->items[i].op_id;
            l += len;
            if (*l == '\n')
                l++;
        }
    }
    return 0;
}

/*
 * Whether the catalog knows directory P (C1/C2 under snapshot_dir) on SERVER: an operation
 * still running named it, or an artifact lies there (jiku_catalog_dir_known).  The artifacts
 * are looked up one directory at a time, through indexes, not loaded whole: a catalog of
 * millions must not cost prune seconds and hundreds of MiB.  They are looked up after the
 * listing was taken, so they know at least every artifact made before it.
 */
static int
known(struct jiku_catalog *cat, const char *p, const char *c2, const char *server,
      const struct jiku_op_marks *marks, bool *yes, struct jiku_err *err)
{
    for (size_t i = 0; i < marks->n; i++)
        if (marks->items[i].running && strcmp(marks->items[i].name, c2) == 0) {
            *yes = true;
            return 0;
        }
    return jiku_catalog_dir_known(cat, server, p, c2, yes, err);
}

/*
 * The agent keeps things in DIR on SERVER: an artifact lies there, or an operation recorded
 * what it left there.  A server where it keeps nothing (a panel whose plugin stores its
 * artifacts elsewhere) is not asked at all.
 */
static int
in_use_here(struct jiku_catalog *cat, const char *dir, const char *server,
            const struct jiku_op_marks *marks, bool *yes, struct jiku_err *err)
{
    size_t sn = strlen(server);

    for (size_t i = 0; i < marks->n; i++) {
        for (const char *l = marks->items[i].leftovers; l != NULL && *l != '\0';) {
            if (strncmp(l, server, sn) == 0 && l[sn] == ':') {
                *yes = true;
                return 0;
            }
            l += strcspn(l, "\n");
            if (*l == '\n')
                l++;
        }
    }
    return jiku_catalog_server_uses_dir(cat, server, dir, yes, err);
}

/* rm -rf the N PATHS on SRV (each checked by the caller). */
static int
remove_paths(struct jiku_ssh *ssh, const struct jiku_server_conf *srv, char **paths, size_t n,
             struct jiku_err *err)
{
    struct jiku_exec_result res = {
        .exit_status = -1, .out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r = 0;

    for (size_t i = 0; i < n && r == 0; i += RM_BATCH) {
        jiku_buf_reset(&cmd);
        if (jiku_buf_adds(&cmd, "rm -rf --") != 0) {
            r = nomem(err);
            break;
        }
        for (size_t k = i; k < n && k < i + RM_BATCH; k++)
            if (jiku_buf_addch(&cmd, ' ') != 0 || jiku_buf_add_shell_word(&cmd, paths[k]) != 0) {
                r = nomem(err);
                goto out;
            }
        if ((r = jiku_ssh_exec(ssh, srv, cmd.data, true, 0, &res, err)) != 0)
            break;
        if (res.exit_status != 0) {
            jiku_buf_rtrim(&res.errout);
            r = jiku_err_set(err, JIKU_E_FAILED, "server '%s': cannot remove what was swept: %s",
                             srv->info.name,
                             res.errout.len > 0 ? res.errout.data : "exit status not 0");
        }
    }
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    return r;
}

struct listing {
    long long now;   /* the server's clock */
    unsigned uid;    /* snapshot_dir's owner */
    unsigned mode;   /* and mode, as stat %a prints it (octal digits read as decimal) */
    const char *err; /* NULL, or why there is nothing to sweep */
};

static int
list_dir(struct jiku_ssh *ssh, const struct jiku_server_conf *srv, struct jiku_exec_result *res,
         struct listing *l, struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    const char *nl;
    int r;

    memset(l, 0, sizeof(*l));
    if (jiku_buf_adds(&cmd, "d=") != 0 ||
        jiku_buf_add_shell_word(&cmd, srv->info.snapshot_dir) != 0 ||
        jiku_buf_adds(&cmd, "; if test -L \"$d\"; then echo jiku-sweep-link; exit 0; fi; "
                            "test -e \"$d\" || { echo jiku-sweep-none; exit 0; }; "
                            "test -d \"$d\" || { echo jiku-sweep-notdir; exit 0; }; "
                            "s=$(stat -c '%u %a' -- \"$d\") && t=$(date +%s) || exit 70; "
                            "echo \"jiku-sweep $s $t\"; "
                            "find -P \"$d\" -mindepth 2 -maxdepth 2 -type d "
                            "-printf '%T@ %p\\0'") != 0) {
        r = nomem(err);
        goto out;
    }
    if ((r = jiku_ssh_exec(ssh, srv, cmd.data, true, LIST_MAX_OUTPUT, res, err)) != 0)
        goto out;
    jiku_buf_rtrim(&res->errout);
    if (res->exit_status != 0 || res->truncated) {
        r = jiku_err_set(err, res->truncated ? JIKU_E_DATA : JIKU_E_FAILED,
                         "server '%s': cannot list '%s': %s", srv->info.name,
                         srv->info.snapshot_dir,
                         res->truncated        ? "the listing was cut at its cap"
                         : res->errout.len > 0 ? res->errout.data
                                               : "exit status not 0");
        goto out;
    }
    if (strncmp(res->out.data, "jiku-sweep-none\n", 16) == 0) {
        l->err = "none";
    } else if (strncmp(res->out.data, "jiku-sweep-link\n", 16) == 0) {
        l->err = "is a symbolic link";
    } else if (strncmp(res->out.data, "jiku-sweep-notdir\n", 18) == 0) {
        l->err = "is not a directory";
    } else if ((nl = memchr(res->out.data, '\n', res->out.len)) == NULL ||
               sscanf(res->out.data, "jiku-sweep %u %u %lld", &l->uid, &l->mode, &l->now) != 3) {
        r = jiku_err_set(err, JIKU_E_DATA, "server '%s': unexpected answer listing '%s'",
                         srv->info.name, srv->info.snapshot_dir);
    }
out:
    jiku_buf_release(&cmd);
    return r;
}

int
jiku_sweep_server(struct jiku_ssh *ssh, struct jiku_catalog *cat,
                  const struct jiku_server_conf *srv, bool dry_run, time_t min_age, bool *swept,
                  struct jiku_buf *details, struct jiku_err *err)
{
    const char *dir = srv->info.snapshot_dir, *name = srv->info.name;
    struct jiku_exec_result res = {
        .exit_status = -1, .out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    struct jiku_op_marks marks = {0};
    struct listing l;
    char **doomed = NULL;
    size_t n_doomed = 0, len;
    const char *start;
    bool used = false;
    int r;

    if (!valid_path(dir))
        return jiku_err_set(err, JIKU_E_CONFIG, "server '%s' has no usable snapshot_dir", name);
    /* Operations that run now first; the catalog is asked per directory after the listing
     * (known()): what it learns meanwhile only keeps more. */
    *swept = false;
    if ((r = jiku_catalog_op_marks(cat, &marks, err)) != 0 ||
        (r = in_use_here(cat, dir, name, &marks, &used, err)) != 0 || !used)
        goto out;
    *swept = true;
    if ((r = list_dir(ssh, srv, &res, &l, err)) != 0)
        goto out;
    if (l.err != NULL && strcmp(l.err, "none") == 0)
        goto out;
    if (l.err != NULL || l.uid != 0 || (l.mode != 700 && l.mode != 711)) {
        if (l.err != NULL)
            r = jiku_err_set(err, JIKU_E_FAILED, "refusing to sweep '%s' on '%s': it %s", dir, name,
                             l.err);
        else
            r = jiku_err_set(err, JIKU_E_FAILED,
                             "refusing to sweep '%s' on '%s': owner uid %u, mode %u (it must be "
                             "root's with mode 0700 or 0711, so that no customer can write there)",
                             dir, name, l.uid, l.mode);
        goto out;
    }
    start = (const char *)memchr(res.out.data, '\n', res.out.len) + 1;
    for (const char *p = start; p < res.out.data + res.out.len; p += len + 1) {
        const char *path, *c1, *c2;
        char *end, **grown;
        long long mtime, age;
        int64_t op;
        bool is_known;

        len = strnlen(p, (size_t)(res.out.data + res.out.len - p));
        if (p + len >= res.out.data + res.out.len)
            break; /* not NUL-terminated: cut short */
        mtime = strtoll(p, &end, 10);
        if (end == p || (path = strchr(end, ' ')) == NULL || !valid_path(++path) ||
            strncmp(path, dir, strlen(dir)) != 0 || path[strlen(dir)] != '/') {
            log_warn("server '%s': sweep skipped an unexpected entry under '%s'", name, dir);
            continue;
        }
        c1 = path + strlen(dir) + 1;
        if ((c2 = strchr(c1, '/')) == NULL || strchr(++c2, '/') != NULL)
            continue;
        /* Only the agent's own names; never the plugins' records (.staging, .jiku-domains). */
        if (c1[0] == '.' && strncmp(c1, ".jobs/", 6) != 0)
            continue;
        if (!op_name_form(c2) && (c1[0] == '.' || !jiku_artifact_id_valid(c2)))
            continue;
        if ((r = known(cat, path, c2, name, &marks, &is_known, err)) != 0)
            goto out;
        if (is_known)
            continue;
        age = l.now - mtime;
        op = left_by(&marks, name, path);
        if (age < (long long)min_age) {
            if (op != 0 &&
                jiku_buf_addf(details,
                              "kept '%s' on '%s' (left by interrupted operation %lld; swept once a "
                              "day old)\n",
                              path, name, (long long)op) != 0) {
                r = nomem(err);
                goto out;
            }
            continue;
        }
        if (op != 0)
            r = jiku_buf_addf(details, "%s '%s' on '%s' (left by interrupted operation %lld)\n",
                              dry_run ? "would remove" : "removed", path, name, (long long)op);
        else
            r = jiku_buf_addf(details, "%s '%s' on '%s' (unknown to the catalog, %lld days old)\n",
                              dry_run ? "would remove" : "removed", path, name, age / 86400);
        if (r != 0) {
            r = nomem(err);
            goto out;
        }
        if ((grown = realloc(doomed, (n_doomed + 1) * sizeof(*doomed))) == NULL ||
            (grown[n_doomed] = strdup(path)) == NULL) {
            if (grown != NULL)
                doomed = grown;
            r = nomem(err);
            goto out;
        }
        doomed = grown;
        n_doomed++;
    }
    if (!dry_run && n_doomed > 0)
        r = remove_paths(ssh, srv, doomed, n_doomed, err);
out:
    for (size_t i = 0; i < n_doomed; i++)
        free(doomed[i]);
    free(doomed);
    jiku_exec_result_release(&res);
    jiku_op_marks_release(&marks);
    return r;
}
