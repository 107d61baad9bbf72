/*
 * Remote commands over the host's SSH, and the rules every remote word passes first: paths are
 * validated against an allow-list and every word is quoted by jiku_buf_add_shell_word.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cpanel.h"

bool
cpanel_valid_user(const char *s)
{
    size_t len;

    if (s == NULL || (len = strlen(s)) == 0 || len > 16 || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

static bool
safe_char(int c)
{
    return isalnum(c) || c == '.' || c == '_' || c == '-' || c == '+' || c == '@';
}

bool
cpanel_valid_component(const char *s)
{
    size_t len;

    if (s == NULL || (len = strlen(s)) == 0 || len > 255 || s[0] == '-' || strcmp(s, ".") == 0 ||
        strcmp(s, "..") == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!safe_char((unsigned char)s[i]))
            return false;
    return true;
}

bool
cpanel_valid_path(const char *s)
{
    size_t len;

    if (s == NULL || s[0] != '/' || (len = strlen(s)) < 2 || len > 4000)
        return false;
    for (const char *p = s + 1;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);

        /* Empty components ("//", a trailing '/'), "." and ".." are refused. */
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!safe_char((unsigned char)p[i]))
                return false;
        if (slash == NULL)
            return true;
        p = slash + 1;
    }
}

bool
cpanel_path_inside(const char *path, const char *dir)
{
    size_t n;

    if (!cpanel_valid_path(path) || !cpanel_valid_path(dir))
        return false;
    n = strlen(dir);
    return strncmp(path, dir, n) == 0 && path[n] == '/' && path[n + 1] != '\0';
}

int
cpanel_parse_disk_used(const char *s, uint64_t *bytes, struct jiku_err *err)
{
    uint64_t whole = 0, frac = 0, fdiv = 1, unit = (uint64_t)1 << 20;
    const char *p = s;
    size_t digits = 0;

    if (s == NULL)
        return jiku_err_set(err, JIKU_E_DATA, "accountsummary gives no disk use");
    while (isdigit((unsigned char)*p) && digits < 15) {
        whole = whole * 10 + (uint64_t)(*p++ - '0');
        digits++;
    }
    if (digits == 0 || isdigit((unsigned char)*p))
        goto bad;
    if (*p == '.') {
        p++;
        for (size_t i = 0; isdigit((unsigned char)*p); i++, p++) {
            if (i < 6) {
                frac = frac * 10 + (uint64_t)(*p - '0');
                fdiv *= 10;
            }
        }
    }
    while (*p == ' ')
        p++;
    switch (toupper((unsigned char)*p)) {
    case '\0':
        break;
    case 'B':
        unit = 1;
        p++;
        break;
    case 'K':
        unit = (uint64_t)1 << 10;
        p++;
        break;
    case 'M':
        p++;
        break;
    case 'G':
        unit = (uint64_t)1 << 30;
        p++;
        break;
    case 'T':
        unit = (uint64_t)1 << 40;
        p++;
        break;
    default:
        goto bad;
    }
    if (unit != 1 && (*p == 'i' || *p == 'I'))
        p++;
    if (unit != 1 && (*p == 'b' || *p == 'B'))
        p++;
    if (*p != '\0')
        goto bad;
    *bytes = whole * unit + frac * unit / fdiv;
    return 0;
bad:
    return jiku_err_set(err, JIKU_E_DATA,
                        "accountsummary gives a disk use WHM does not document: "
                        "'%.40s'",
                        s);
}

int
cpanel_parse_df(const char *out, uint64_t *avail, struct jiku_err *err)
{
    const char *header = out, *last = NULL, *p;
    uint64_t block = 1024, v = 0;
    char *end;

    if (out == NULL || strncmp(out, "Filesystem", 10) != 0)
        return jiku_err_set(err, JIKU_E_DATA, "df printed no header");
    p = header + 10;
    while (*p == ' ')
        p++;
    if (isdigit((unsigned char)*p)) {
        unsigned long long b = strtoull(p, &end, 10);

        if (b > 0 && strncmp(end, "-blocks", 7) == 0)
            block = b;
    }
    for (p = out; (p = strchr(p, '\n')) != NULL; p++)
        if (p[1] != '\0' && p[1] != '\n')
            last = p + 1;
    if (last == NULL)
        return jiku_err_set(err, JIKU_E_DATA, "df printed no filesystem line");
    /* Filesystem Blocks Used Available Capacity Mounted-on: the fourth field. */
    p = last;
    for (int field = 0; field < 3; field++) {
        p += strcspn(p, " \t\n");
        p += strspn(p, " \t");
    }
    if (!isdigit((unsigned char)*p))
        return jiku_err_set(err, JIKU_E_DATA, "df printed an unexpected line");
    v = strtoull(p, &end, 10);
    if (*end != ' ' && *end != '\t')
        return jiku_err_set(err, JIKU_E_DATA, "df printed an unexpected line");
    *avail = v * block;
    return 0;
}

static int
hex_token(const char **p, char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)(*p)[i]))
            return -1;
        out[i] = (char)tolower((unsigned char)(*p)[i]);
    }
    out[n] = '\0';
    if ((*p)[n] != ' ' && (*p)[n] != '\n' && (*p)[n] != '\0')
        return -1;
    *p = strchr(*p, '\n');
    if (*p != NULL)
        (*p)++;
    return 0;
}

int
cpanel_parse_digest(const char *out, struct cpanel_digest *d, struct jiku_err *err)
{
    const char *p = out;
    char *end;

    if (p == NULL || hex_token(&p, d->md5, 32) != 0 || p == NULL ||
        hex_token(&p, d->sha256, 64) != 0 || p == NULL || !isdigit((unsigned char)*p))
        return jiku_err_set(err, JIKU_E_DATA, "md5sum/sha256sum/stat printed something unexpected");
    d->size = strtoull(p, &end, 10);
    if (*end != '\n' && *end != '\0')
        return jiku_err_set(err, JIKU_E_DATA, "stat printed something unexpected");
    return 0;
}

int
cpanel_run(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd, bool safe,
           size_t max_output, const char *what, struct jiku_exec_result *res, struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct jiku_exec_result local = {0};
    struct jiku_exec_result *x = res != NULL ? res : &local;
    int r;

    memset(x, 0, sizeof(*x));
    if ((r = op->host->ssh_exec(op, srv, cmd, safe, max_output, x, err)) != 0) {
        jiku_err_prefix(err, "%s on '%s'", what, srv->name);
        goto out;
    }
    if (x->exit_status != 0) {
        const char *e = jiku_buf_str(&x->errout);
        size_t n = strcspn(e, "\n");

        r = jiku_err_set(err, JIKU_E_PANEL, "%s on '%s' failed (exit %d)%s%.*s", what, srv->name,
                         x->exit_status, n > 0 ? ": " : "", (int)(n > 300 ? 300 : n), e);
    }
out:
    if (res == NULL || r != 0)
        jiku_exec_result_release(x);
    return r;
}

static int
add_words(struct jiku_buf *b, const char *const *words)
{
    for (size_t i = 0; words[i] != NULL; i++) {
        if ((i > 0 && jiku_buf_addch(b, ' ') != 0) || jiku_buf_add_shell_word(b, words[i]) != 0)
            return JIKU_E_NOMEM;
    }
    return 0;
}

int
cpanel_remote_digest(struct jiku_op *op, const struct jiku_server_info *server, const char *path,
                     struct cpanel_digest *d, struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_exec_result res = {0};
    int r;

    if (!cpanel_valid_path(path))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing the remote path '%s'", path);
    if (jiku_buf_adds(&cmd, "if [ ! -f ") != 0 || jiku_buf_add_shell_word(&cmd, path) != 0 ||
        jiku_buf_adds(&cmd, " ]; then echo MISSING; exit 0; fi; md5sum -- ") != 0 ||
        jiku_buf_add_shell_word(&cmd, path) != 0 || jiku_buf_adds(&cmd, " && sha256sum -- ") != 0 ||
        jiku_buf_add_shell_word(&cmd, path) != 0 ||
        jiku_buf_adds(&cmd, " && stat -c %s -- ") != 0 ||
        jiku_buf_add_shell_word(&cmd, path) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = cpanel_run(op, server, cmd.data, true, 4096, "checksums", &res, err)) != 0)
        goto out;
    if (strncmp(jiku_buf_str(&res.out), "MISSING", 7) == 0)
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "archive '%s' is gone from '%s'", path,
                         (server != NULL ? server : op->server)->name);
    else
        r = cpanel_parse_digest(jiku_buf_str(&res.out), d, err);
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    return r;
}

int
cpanel_remote_mkdirs(struct jiku_op *op, const struct jiku_server_info *server,
                     const char *const *paths, struct jiku_err *err)
{
    static const char *const head[] = {"mkdir", "-m", "700", "-p", "--", NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    for (size_t i = 0; paths[i] != NULL; i++)
        if (!cpanel_valid_path(paths[i]))
            return jiku_err_set(err, JIKU_E_INVAL, "refusing the remote path '%s'", paths[i]);
    if (add_words(&cmd, head) != 0 || jiku_buf_addch(&cmd, ' ') != 0 || add_words(&cmd, paths) != 0)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    else
        r = cpanel_run(op, server, cmd.data, true, 4096, "mkdir", NULL, err);
    jiku_buf_release(&cmd);
    return r;
}

int
cpanel_remote_remove(struct jiku_op *op, const struct jiku_server_info *server, const char *path,
                     struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    const char *words[] = {"rm", "-rf", "--", path, NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    /* Only ever below snapshot_dir: the one tree the agent owns on a panel server. */
    if (!cpanel_path_inside(path, srv->snapshot_dir))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing to remove '%s': not inside '%s'", path,
                            srv->snapshot_dir != NULL ? srv->snapshot_dir : "(no snapshot_dir)");
    if (add_words(&cmd, words) != 0)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    else
        r = cpanel_run(op, srv, cmd.data, true, 4096, "rm", NULL, err);
    jiku_buf_release(&cmd);
    return r;
}

int
cpanel_remote_free(struct jiku_op *op, const struct jiku_server_info *server, const char *path,
                   uint64_t *avail, struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_exec_result res = {0};
    int r;

    if (!cpanel_valid_path(path))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing the remote path '%s'", path);
    /* snapshot_dir may not exist yet: the filesystem it will be on is its nearest ancestor's. */
    if (jiku_buf_adds(&cmd, "d=") != 0 || jiku_buf_add_shell_word(&cmd, path) != 0 ||
        jiku_buf_adds(&cmd, "; while [ ! -d \"$d\" ]; do d=$(dirname -- \"$d\"); done; "
                            "df -P -k -- \"$d\"") != 0)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    else if ((r = cpanel_run(op, server, cmd.data, true, 65536, "df", &res, err)) == 0 &&
             (r = cpanel_parse_df(jiku_buf_str(&res.out), avail, err)) != 0)
        jiku_err_prefix(err, "server '%s'", (server != NULL ? server : op->server)->name);
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    return r;
}

int
cpanel_remote_exists(struct jiku_op *op, const struct jiku_server_info *server, const char *path,
                     struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_exec_result res = {0};
    int r;

    if (!cpanel_valid_path(path))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing the remote path '%s'", path);
    if (jiku_buf_adds(&cmd, "if [ -f ") != 0 || jiku_buf_add_shell_word(&cmd, path) != 0 ||
        jiku_buf_adds(&cmd, " ]; then echo yes; else echo no; fi") != 0)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    else if ((r = cpanel_run(op, server, cmd.data, true, 64, "test -f", &res, err)) == 0)
        r = strncmp(jiku_buf_str(&res.out), "yes", 3) == 0 ? 1 : 0;
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    return r;
}

int
cpanel_snapshot_paths(const struct jiku_server_info *server, const char *user, const char *id,
                      char **user_dir, char **id_dir, struct jiku_err *err)
{
    struct jiku_buf u = JIKU_BUF_INIT, d = JIKU_BUF_INIT;

    if (!cpanel_valid_path(server->snapshot_dir))
        return jiku_err_set(err, JIKU_E_CONFIG, "server '%s' has no usable snapshot_dir",
                            server->name);
    if (!cpanel_valid_user(user))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid cPanel user name '%s'", user);
    if (!cpanel_valid_component(id))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid artifact id '%s'", id);
    if (jiku_buf_addf(&u, "%s/%s", server->snapshot_dir, user) != 0 ||
        jiku_buf_addf(&d, "%s/%s/%s", server->snapshot_dir, user, id) != 0) {
        jiku_buf_release(&u);
        jiku_buf_release(&d);
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    if (user_dir != NULL)
        *user_dir = jiku_buf_detach(&u);
    if (id_dir != NULL)
        *id_dir = jiku_buf_detach(&d);
    jiku_buf_release(&u);
    jiku_buf_release(&d);
    return 0;
}
