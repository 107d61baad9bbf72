/*
 * Remote commands over the host's SSH and the rules every remote word passes first: paths are
 * validated against an allow-list and every word is quoted by jiku_buf_add_shell_word.  Long
 * commands run detached through the host's jobs (docs/WIRE.md §1.2).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remote.h"

/* The most of a failure's line a message quotes. */
#define LINE_MAX_SHOWN 300
/* Longest one wait for a detached job blocks on the server; Ctrl-C ends the agent's side at once.
 */
#define JOB_WAIT_S 30

/* ---- errors and strings ------------------------------------------------------------------ */

int
plug_nomem(struct jiku_err *err)
{
    return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
}

int
plug_set_str(char **dst, const char *src, struct jiku_err *err)
{
    if (src != NULL && (*dst = strdup(src)) == NULL)
        return plug_nomem(err);
    return 0;
}

int
plug_strfmt(char **out, const char *fmt, ...)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = jiku_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    if (r != 0) {
        jiku_buf_release(&b);
        *out = NULL;
        return r;
    }
    return (*out = jiku_buf_detach(&b)) != NULL ? 0 : JIKU_E_NOMEM;
}

/* ---- names and paths --------------------------------------------------------------------- */

static bool
safe_char(int c)
{
    return isalnum(c) || c == '.' || c == '_' || c == '-' || c == '+' || c == '@';
}

bool
plug_valid_component(const char *s)
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
plug_valid_path(const char *s)
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
plug_path_inside(const char *path, const char *dir)
{
    size_t n;

    if (!plug_valid_path(path) || !plug_valid_path(dir))
        return false;
    n = strlen(dir);
    return strncmp(path, dir, n) == 0 && path[n] == '/' && path[n + 1] != '\0';
}

/* ---- acting inside a customer's tree ----------------------------------------------------- */

bool
plug_valid_user(const char *s)
{
    size_t len;

    if (s == NULL || (len = strlen(s)) == 0 || len > 32 ||
        !(islower((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_' &&
            s[i] != '.' && s[i] != '-')
            return false;
    return true;
}

int
plug_owner_prelude(struct jiku_buf *cmd, const char *owner, struct jiku_err *err)
{
    if (!plug_valid_user(owner))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing the system user '%s'",
                            owner != NULL ? owner : "");
    /*
     * setpriv, not su/runuser: no PAM session per command.  The uid is checked here, where it
     * is used: a panel naming root as a tree's owner stops the command.
     */
    if (jiku_buf_adds(cmd, "jiku_u=") != 0 || jiku_buf_add_shell_word(cmd, owner) != 0 ||
        jiku_buf_adds(cmd, "; jiku_o=$(id -u -- \"$jiku_u\") && jiku_g=$(id -g -- \"$jiku_u\") && "
                           "test \"$jiku_o\" -gt 0 || { echo \"the system user '$jiku_u' is not "
                           "usable\" >&2; exit 70; }\n"
                           "as_owner() ( cd / && exec setpriv --reuid=\"$jiku_o\" "
                           "--regid=\"$jiku_g\" --init-groups -- \"$@\" )\n") != 0)
        return plug_nomem(err);
    return 0;
}

int
plug_as_owner(struct jiku_buf *cmd, const char *const *words)
{
    if (jiku_buf_adds(cmd, "as_owner ") != 0)
        return JIKU_E_NOMEM;
    return plug_words(cmd, words);
}

/* Into CMD: SCRIPT run by `sh -c` as OWNER (NULL: root) with ARGS, fed by FEED when not NULL. */
static int
owner_command(struct jiku_buf *cmd, const char *owner, const char *feed, const char *script,
              const char *const *args, struct jiku_err *err)
{
    const char *head[] = {"sh", "-c", script, "sh", NULL};
    int r;

    if (owner != NULL && (r = plug_owner_prelude(cmd, owner, err)) != 0)
        return r;
    if ((feed != NULL && (jiku_buf_adds(cmd, feed) != 0 || jiku_buf_adds(cmd, " | ") != 0)) ||
        (owner != NULL ? plug_as_owner(cmd, head) : plug_words(cmd, head)) != 0 ||
        plug_words(cmd, args) != 0)
        return plug_nomem(err);
    return 0;
}

int
plug_run_as_owner(struct jiku_op *op, const struct jiku_server_info *server, const char *owner,
                  const char *feed, const char *script, const char *const *args, size_t max_output,
                  const char *what, struct jiku_exec_result *res, struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    if ((r = owner_command(&cmd, owner, feed, script, args, err)) == 0)
        r = plug_run(op, server, cmd.data, true, max_output, what, res, err);
    jiku_buf_release(&cmd);
    return r;
}

/* ---- mail accounts and application users ------------------------------------------------- */

bool
plug_valid_word(const char *s, size_t max, const char *extra)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n == 0 || n > max || s[0] == '-' || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && strchr(extra, s[i]) == NULL)
            return false;
    return true;
}

bool
plug_printable(const char *s)
{
    if (s == NULL || *s == '\0')
        return false;
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

int
plug_split_address(const char *address, char **local, const char **domain, struct jiku_err *err)
{
    const char *at = address != NULL ? strchr(address, '@') : NULL;

    *local = NULL;
    if (at == NULL || !jiku_valid_hostname(at + 1))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid mail address '%s'",
                            address != NULL ? address : "");
    if ((*local = strndup(address, (size_t)(at - address))) == NULL)
        return plug_nomem(err);
    if (!plug_valid_word(*local, 64, "._+-")) {
        free(*local);
        *local = NULL;
        return jiku_err_set(err, JIKU_E_INVAL, "invalid mail address '%s'", address);
    }
    *domain = at + 1;
    return 0;
}

void
plug_login_items_free(struct jiku_login_item *items, size_t n)
{
    for (size_t i = 0; i < n && items != NULL; i++) {
        free(items[i].name);
        free(items[i].email);
        free(items[i].roles);
    }
    free(items);
}

/* ---- time -------------------------------------------------------------------------------- */

int64_t
plug_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
plug_timeout_ms(const struct jiku_server_info *server)
{
    return (int64_t)(server->timeout > 0 ? server->timeout : 7200) * 1000;
}

unsigned
plug_poll_interval(int64_t elapsed_ms, int poll_max)
{
    int64_t cap = (int64_t)(poll_max > 0 ? poll_max : 10) * 1000, ms = elapsed_ms / 10;

    if (ms < 250)
        ms = 250;
    if (ms > cap)
        ms = cap;
    return (unsigned)ms;
}

/* ---- commands ---------------------------------------------------------------------------- */

int
plug_words(struct jiku_buf *cmd, const char *const *words)
{
    for (size_t i = 0; words[i] != NULL; i++) {
        if ((cmd->len > 0 && cmd->data[cmd->len - 1] != ' ' && jiku_buf_addch(cmd, ' ') != 0) ||
            jiku_buf_add_shell_word(cmd, words[i]) != 0)
            return JIKU_E_NOMEM;
    }
    return 0;
}

/* The last line of TEXT that says something (not a progress line), bounded, into LINE. */
static void
last_line(char *line, size_t size, const char *text)
{
    const char *end = text + strlen(text), *p;

    line[0] = '\0';
    while (end > text) {
        while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
            end--;
        for (p = end; p > text && p[-1] != '\n'; p--)
            ;
        if (end > p && strncmp(p, "Progress:", 9) != 0) {
            size_t n = (size_t)(end - p);

            if (n > size - 1)
                n = size - 1;
            for (size_t i = 0; i < n; i++)
                line[i] = (unsigned char)p[i] < 0x20 ? ' ' : p[i];
            line[n] = '\0';
            return;
        }
        end = p;
    }
}

/* plug_run, with INPUT (INPUT_LEN bytes) on CMD's stdin when INPUT is not NULL. */
static int
run_checked(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd,
            const void *input, size_t input_len, bool safe, size_t max_output, const char *what,
            struct jiku_exec_result *res, struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct jiku_exec_result local = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    struct jiku_exec_result *x = res != NULL ? res : &local;
    char line[LINE_MAX_SHOWN + 1];
    int r;

    memset(x, 0, sizeof(*x));
    if (input != NULL)
        r = op->host->ssh_exec_input(op, srv, cmd, input, input_len, safe, max_output, x, err);
    else
        r = op->host->ssh_exec(op, srv, cmd, safe, max_output, x, err);
    if (r != 0) {
        jiku_err_prefix(err, "%s on '%s'", what, srv->name);
        goto out;
    }
    if (x->truncated) {
        /* A partial answer is not an answer: nothing may be parsed, let alone deleted, on it. */
        r = jiku_err_set(err, JIKU_E_DATA,
                         "%s on '%s' printed more than the agent reads; refusing a partial answer",
                         what, srv->name);
    } else if (x->exit_status != 0) {
        last_line(line, sizeof(line), x->errout.data);
        if (line[0] == '\0')
            last_line(line, sizeof(line), x->out.data);
        /* 65 (EX_DATAERR): the agent's own scripts refusing what they were given. */
        r = jiku_err_set(err, x->exit_status == PLUG_EXIT_DATA ? JIKU_E_DATA : JIKU_E_PANEL,
                         "%s on '%s' failed (exit %d)%s%s", what, srv->name, x->exit_status,
                         line[0] != '\0' ? ": " : "", line);
    }
out:
    if (res == NULL || r != 0)
        jiku_exec_result_release(x);
    return r;
}

int
plug_run(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd, bool safe,
         size_t max_output, const char *what, struct jiku_exec_result *res, struct jiku_err *err)
{
    return run_checked(op, server, cmd, NULL, 0, safe, max_output, what, res, err);
}

int
plug_run_as_owner_input(struct jiku_op *op, const struct jiku_server_info *server,
                        const char *owner, const char *script, const char *const *args,
                        const void *input, size_t input_len, bool safe, size_t max_output,
                        const char *what, struct jiku_exec_result *res, struct jiku_err *err)
{
    const struct jiku_host *h = op->host;
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    /* Host ABI 2.1 appended ssh_exec_input: an older core lends a table without it. */
    if ((h->abi_version & 0xffff) < 1 ||
        h->struct_size < offsetof(struct jiku_host, ssh_exec_input) + sizeof(h->ssh_exec_input) ||
        h->ssh_exec_input == NULL)
        return jiku_err_set(err, JIKU_E_ABI,
                            "%s needs a command's stdin (host ABI 2.1), which this agent lacks",
                            what);
    if ((r = owner_command(&cmd, owner, NULL, script, args, err)) == 0)
        r = run_checked(op, server, cmd.data, input != NULL ? input : "", input_len, safe,
                        max_output, what, res, err);
    jiku_buf_release(&cmd);
    return r;
}

/* ---- files inside snapshot_dir ----------------------------------------------------------- */

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
plug_parse_digest(const char *out, bool md5, struct plug_digest *d, struct jiku_err *err)
{
    const char *p = out;
    char *end;

    memset(d, 0, sizeof(*d));
    if (p == NULL || (md5 && (hex_token(&p, d->md5, 32) != 0 || p == NULL)) ||
        hex_token(&p, d->sha256, 64) != 0 || p == NULL || !isdigit((unsigned char)*p))
        return jiku_err_set(err, JIKU_E_DATA, "md5sum/sha256sum/stat printed something unexpected");
    d->size = strtoull(p, &end, 10);
    if (*end != '\n' && *end != '\0')
        return jiku_err_set(err, JIKU_E_DATA, "stat printed something unexpected");
    return 0;
}

int
plug_remote_digest(struct jiku_op *op, const struct jiku_server_info *server, const char *path,
                   bool md5, struct plug_digest *d, struct jiku_err *err)
{
    return plug_remote_digest_as(op, server, NULL, path, md5, d, err);
}

int
plug_remote_digest_as(struct jiku_op *op, const struct jiku_server_info *server, const char *owner,
                      const char *path, bool md5, struct plug_digest *d, struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct jiku_buf script = JIKU_BUF_INIT;
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    const char *args[] = {path, NULL};
    int r;

    if (!plug_valid_path(path))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing the remote path '%s'", path);
    /* Nothing but a regular file (not a symlink) counts. */
    if (jiku_buf_adds(&script, "f=$1; if test -f \"$f\" && ! test -L \"$f\"; then ") != 0 ||
        (md5 && jiku_buf_adds(&script, "md5sum -- \"$f\" && ") != 0) ||
        jiku_buf_adds(&script, "sha256sum -- \"$f\" && stat -c %s -- \"$f\"; "
                               "else echo MISSING; fi") != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = plug_run_as_owner(op, srv, owner, NULL, script.data, args, 4096, "checksums", &res,
                               err)) != 0)
        goto out;
    if (strncmp(res.out.data, "MISSING", 7) == 0)
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "archive '%s' is gone from '%s'", path, srv->name);
    else if ((r = plug_parse_digest(res.out.data, md5, d, err)) != 0)
        jiku_err_prefix(err, "'%s' on '%s'", path, srv->name);
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&script);
    return r;
}

int
plug_copy_out(struct jiku_op *op, const char *owner, const char *file, const char *dest,
              struct jiku_err *err)
{
    const char *cat[] = {"cat", "--", file, NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    if (!plug_valid_path(file) || !plug_path_inside(dest, op->server->snapshot_dir))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing to copy '%s' to '%s'", file, dest);
    if ((r = plug_owner_prelude(&cmd, owner, err)) != 0)
        goto out;
    /* The owner reads; root writes a new file of its own (noclobber: never an existing one). */
    if (jiku_buf_adds(&cmd, "umask 077; set -C; ") != 0 || plug_as_owner(&cmd, cat) != 0 ||
        jiku_buf_adds(&cmd, " >") != 0 || jiku_buf_add_shell_word(&cmd, dest) != 0) {
        r = plug_nomem(err);
        goto out;
    }
    r = plug_run(op, NULL, cmd.data, false, 4096, "copying out of the account", NULL, err);
out:
    jiku_buf_release(&cmd);
    return r;
}

int
plug_copy_in(struct jiku_op *op, const char *owner, const char *src, const char *dir,
             const char *name, struct jiku_err *err)
{
    /* A temporary name, then a rename that never follows a link or enters a directory. */
    static const char script[] = "umask 077; test -d \"$1\" || mkdir -m 700 -- \"$1\" || exit\n"
                                 "cat > \"$1/.$2.part\" && mv -T -- \"$1/.$2.part\" \"$1/$2\"";
    const char *args[] = {dir, name, NULL};
    struct jiku_buf feed = JIKU_BUF_INIT;
    int r;

    if (!plug_path_inside(src, op->server->snapshot_dir) || !plug_valid_path(dir) ||
        !plug_valid_component(name))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing to copy '%s' into '%s'", src, dir);
    if (jiku_buf_adds(&feed, "cat --") != 0 || plug_words(&feed, (const char *const[]){src, NULL}))
        r = plug_nomem(err);
    else
        r = plug_run_as_owner(op, NULL, owner, feed.data, script, args, 4096,
                              "copying into the account", NULL, err);
    jiku_buf_release(&feed);
    return r;
}

int
plug_remote_mkdirs(struct jiku_op *op, const struct jiku_server_info *server,
                   const char *const *paths, struct jiku_err *err)
{
    static const char *const head[] = {"mkdir", "-m", "700", "-p", "--", NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    for (size_t i = 0; paths[i] != NULL; i++)
        if (!plug_valid_path(paths[i]))
            return jiku_err_set(err, JIKU_E_INVAL, "refusing the remote path '%s'", paths[i]);
    if (jiku_buf_adds(&cmd, "umask 077; ") != 0 || plug_words(&cmd, head) != 0 ||
        plug_words(&cmd, paths) != 0)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    else
        r = plug_run(op, server, cmd.data, true, 4096, "mkdir", NULL, err);
    jiku_buf_release(&cmd);
    return r;
}

int
plug_remote_remove(struct jiku_op *op, const struct jiku_server_info *server, const char *path,
                   struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    const char *words[] = {"rm", "-rf", "--", path, NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    /* Only ever below snapshot_dir: the path came from the catalog or our own names. */
    if (!plug_path_inside(path, srv->snapshot_dir))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing to remove '%s' on '%s': not inside '%s'",
                            path, srv->name,
                            srv->snapshot_dir != NULL ? srv->snapshot_dir : "(no snapshot_dir)");
    if (plug_words(&cmd, words) != 0)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    else
        r = plug_run(op, srv, cmd.data, true, 4096, "rm", NULL, err);
    jiku_buf_release(&cmd);
    return r;
}

void
plug_remote_remove_quietly(struct jiku_op *op, const struct jiku_server_info *server,
                           const char *path)
{
    struct jiku_err e = {0};

    if (path != NULL && plug_remote_remove(op, server, path, &e) != 0)
        op->host->log(op, JIKU_LOG_WARN, "cannot remove '%s': %s", path, e.msg);
}

/* ---- the agent's stage record ------------------------------------------------------------ */

/* SERVER's snapshot_dir/.staging, where the stage records live. */
static int
stage_record_dir(const struct jiku_server_info *server, char **dir, struct jiku_err *err)
{
    *dir = NULL;
    if (!plug_valid_path(server->snapshot_dir))
        return jiku_err_set(err, JIKU_E_CONFIG, "server '%s' has no usable snapshot_dir",
                            server->name);
    if (plug_strfmt(dir, "%s/.staging", server->snapshot_dir) != 0) {
        *dir = NULL;
        return plug_nomem(err);
    }
    return 0;
}

/* The stage record of op->target, and its directory. */
static int
stage_record_path(struct jiku_op *op, char **dir, char **file, struct jiku_err *err)
{
    const struct jiku_target_info *t = op->target;
    int r;

    *file = NULL;
    if ((r = stage_record_dir(op->server, dir, err)) != 0)
        return r;
    if (!plug_valid_component(t->customer) || !plug_valid_component(t->name))
        r = jiku_err_set(err, JIKU_E_INVAL, "invalid target name '%s'", t->id);
    else if (plug_strfmt(file, "%s/%s.%s", *dir, t->customer, t->name) != 0)
        r = plug_nomem(err);
    if (r != 0) {
        free(*dir);
        *dir = *file = NULL;
    }
    return r;
}

int
plug_stage_record_read(struct jiku_op *op, struct jiku_buf *out, struct jiku_err *err)
{
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    char *dir = NULL, *file = NULL;
    int r;

    jiku_buf_reset(out);
    if ((r = stage_record_path(op, &dir, &file, err)) != 0)
        return r;
    if ((r = plug_run_as_owner(op, NULL, NULL, NULL, "if [ -f \"$1\" ]; then cat -- \"$1\"; fi",
                               (const char *const[]){file, NULL}, 4096,
                               "reading the staging record", &res, err)) == 0 &&
        jiku_buf_add(out, res.out.data, res.out.len) != 0)
        r = plug_nomem(err);
    jiku_exec_result_release(&res);
    free(dir);
    free(file);
    return r;
}

int
plug_stage_record_write(struct jiku_op *op, const char *const *lines, struct jiku_err *err)
{
    static const char script[] = "umask 077; mkdir -m 700 -p -- \"$1\" && shift 2 &&\n"
                                 "printf '%s\\n' \"$@\" > \"$0.tmp\" && mv -f -- \"$0.tmp\" \"$0\"";
    struct jiku_buf cmd = JIKU_BUF_INIT;
    char *dir = NULL, *file = NULL;
    int r;

    if ((r = stage_record_path(op, &dir, &file, err)) != 0)
        return r;
    /* $0 is the record, $1 its directory, $2 a placeholder shift drops with it. */
    if (plug_words(&cmd, (const char *const[]){"sh", "-c", script, file, dir, "-", NULL}) != 0 ||
        plug_words(&cmd, lines) != 0)
        r = plug_nomem(err);
    else
        r = plug_run(op, NULL, cmd.data, false, 4096, "writing the staging record", NULL, err);
    jiku_buf_release(&cmd);
    free(dir);
    free(file);
    return r;
}

void
plug_stage_record_remove(struct jiku_op *op)
{
    char *dir = NULL, *file = NULL;
    struct jiku_err e = {0};

    if (stage_record_path(op, &dir, &file, &e) == 0)
        plug_remote_remove_quietly(op, NULL, file);
    free(dir);
    free(file);
}

int
plug_stage_records_all(struct jiku_op *op, struct jiku_buf *out, struct jiku_err *err)
{
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    char *dir = NULL;
    int r;

    /* No target: discover reads every record of the server. */
    jiku_buf_reset(out);
    if ((r = stage_record_dir(op->server, &dir, err)) != 0)
        return r;
    /* Each record ends with a newline (plug_stage_record_write), so lines never run together. */
    if ((r = plug_run_as_owner(op, NULL, NULL, NULL,
                               "for f in \"$1\"/*; do if [ -f \"$f\" ] && [ ! -L \"$f\" ]; then "
                               "cat -- \"$f\"; fi; done",
                               (const char *const[]){dir, NULL}, (size_t)1 << 20,
                               "reading the staging records", &res, err)) == 0 &&
        jiku_buf_add(out, res.out.data, res.out.len) != 0)
        r = plug_nomem(err);
    jiku_exec_result_release(&res);
    free(dir);
    return r;
}

bool
plug_records_have(const char *records, const char *key, const char *value)
{
    size_t kl = strlen(key), vl = strlen(value);

    for (const char *p = records; p != NULL && *p != '\0';) {
        if (strncmp(p, key, kl) == 0 && p[kl] == '=' && strncmp(p + kl + 1, value, vl) == 0 &&
            (p[kl + 1 + vl] == '\n' || p[kl + 1 + vl] == '\0'))
            return true;
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return false;
}

char *
plug_record_get(const char *record, const char *key)
{
    size_t kl = strlen(key);
    const char *found = NULL;

    for (const char *p = record; p != NULL && *p != '\0';) {
        if (strncmp(p, key, kl) == 0 && p[kl] == '=')
            found = p + kl + 1;
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return found != NULL ? strndup(found, strcspn(found, "\n")) : NULL;
}

/* ---- detached jobs ----------------------------------------------------------------------- */

int
plug_job_dir(const struct jiku_server_info *server, const char *operation_id, const char *step,
             char **out, struct jiku_err *err)
{
    struct jiku_buf b = JIKU_BUF_INIT;

    *out = NULL;
    if (!plug_valid_path(server->snapshot_dir))
        return jiku_err_set(err, JIKU_E_CONFIG, "server '%s' has no usable snapshot_dir",
                            server->name);
    if (!plug_valid_component(operation_id) || !plug_valid_component(step))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid operation id '%s' or job step '%s'",
                            operation_id != NULL ? operation_id : "", step != NULL ? step : "");
    if (jiku_buf_addf(&b, "%s/.jobs/%s/%s", server->snapshot_dir, operation_id, step) != 0) {
        jiku_buf_release(&b);
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    *out = jiku_buf_detach(&b);
    return 0;
}

/* The job directory and, when it is empty then, its operation's directory. */
static void
job_cleanup(struct jiku_op *op, const struct jiku_server_info *srv, const char *job_dir)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    char *parent = strdup(job_dir), *slash;
    struct jiku_err e = {0};

    plug_remote_remove_quietly(op, srv, job_dir);
    if (parent != NULL && (slash = strrchr(parent, '/')) != NULL) {
        *slash = '\0';
        if (jiku_buf_adds(&cmd, "rmdir -- ") == 0 && jiku_buf_add_shell_word(&cmd, parent) == 0 &&
            jiku_buf_adds(&cmd, " 2>/dev/null; exit 0") == 0)
            (void)plug_run(op, srv, cmd.data, true, 0, "rmdir", NULL, &e);
    }
    free(parent);
    jiku_buf_release(&cmd);
}

/*
 * Stop the job in JOB_DIR: its wrapper was started under setsid, so its pid is its process
 * group, which holds the command and every child.
 */
static int
job_kill(struct jiku_op *op, const struct jiku_server_info *srv, const char *job_dir)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_err e = {0};
    int r;

    if (jiku_buf_adds(&cmd, "d=") != 0 || jiku_buf_add_shell_word(&cmd, job_dir) != 0 ||
        jiku_buf_adds(&cmd, "; p=$(cat \"$d/pid\" 2>/dev/null); case $p in ''|*[!0-9]*) "
                            "exit 3;; esac; kill -TERM -- \"-$p\" 2>/dev/null; sleep 1; "
                            "kill -KILL -- \"-$p\" 2>/dev/null; exit 0") != 0) {
        jiku_buf_release(&cmd);
        return JIKU_E_NOMEM;
    }
    if ((r = plug_run(op, srv, cmd.data, true, 0, "stopping the job", NULL, &e)) != 0)
        op->host->log(op, JIKU_LOG_WARN, "cannot stop the job in '%s': %s", job_dir, e.msg);
    jiku_buf_release(&cmd);
    return r;
}

/*
 * One wait for the job in JOB_DIR to end, on the server, bounded by LEFT_MS and JOB_WAIT_S.
 * A wait that failed (its channel cut, say) or came back at once while the job still runs (a
 * server without `timeout` or `tail --pid`) clears *CAN_WAIT: polling takes over, and the job,
 * which runs detached, is found as it is.  Fails only when interrupted.
 */
static int
job_wait(struct jiku_op *op, const struct jiku_server_info *srv, const char *job_dir,
         int64_t left_ms, bool *can_wait, struct jiku_job_status *st, struct jiku_err *err)
{
    int64_t t0 = plug_now_ms(), bound = left_ms / 1000 > JOB_WAIT_S ? JOB_WAIT_S : left_ms / 1000;
    struct jiku_err e = {0};
    int r;

    /* Whatever is not known yet reads as running: the loop polls for it. */
    if (bound < 2) {
        *can_wait = false;
        st->state = JIKU_JOB_RUNNING;
        return 0;
    }
    if ((r = op->host->job_wait(op, srv, job_dir, (unsigned)bound, st, &e)) == JIKU_E_INTERRUPTED)
        return jiku_err_set(err, r, "%s", e.msg);
    if (r != 0 || (st->state == JIKU_JOB_RUNNING && plug_now_ms() - t0 < 1000)) {
        op->host->log(op, JIKU_LOG_INFO, "cannot wait for the job in '%s' on '%s'%s%s; polling",
                      job_dir, srv->name, r != 0 ? ": " : " (it answers at once)",
                      r != 0 ? e.msg : "");
        *can_wait = false;
        st->state = JIKU_JOB_RUNNING;
    }
    return 0;
}

int
plug_job_run(struct jiku_op *op, const struct jiku_server_info *server, const char *job_dir,
             const char *cmd, const char *what, bool cancellable, bool *left_running,
             struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    const struct jiku_host *h = op->host;
    struct jiku_job_status st = {JIKU_JOB_MISSING, -1, JIKU_BUF_INIT};
    int64_t start, elapsed, timeout_ms = plug_timeout_ms(srv);
    char line[LINE_MAX_SHOWN + 1];
    /* Host ABI 2.2 appended job_wait: an older core lends a table without it. */
    bool running = false,
         can_wait = (h->abi_version & 0xffff) >= 2 &&
                    h->struct_size >= offsetof(struct jiku_host, job_wait) + sizeof(h->job_wait) &&
                    h->job_wait != NULL;
    int r;

    if ((r = op->host->job_start(op, srv, job_dir, cmd, err)) != 0) {
        /* An ambiguous start may have started it. */
        running = r == JIKU_E_UNREACHABLE || r == JIKU_E_INTERRUPTED;
        goto out;
    }
    start = plug_now_ms();
    for (;;) {
        elapsed = plug_now_ms() - start;
        if (elapsed > timeout_ms) {
            if (cancellable && job_kill(op, srv, job_dir) == 0) {
                r = jiku_err_set(err, JIKU_E_PANEL,
                                 "%s on '%s' ran past the timeout of %d s and was stopped", what,
                                 srv->name, (int)(timeout_ms / 1000));
                job_cleanup(op, srv, job_dir);
                goto out;
            }
            r = jiku_err_set(err, JIKU_E_PANEL,
                             "%s on '%s' ran past the timeout of %d s; it is left to finish in "
                             "'%s'",
                             what, srv->name, (int)(timeout_ms / 1000), job_dir);
            running = true;
            goto out;
        }
        if (can_wait)
            r = job_wait(op, srv, job_dir, timeout_ms - elapsed, &can_wait, &st, err);
        else if ((r = h->sleep_ms(op, plug_poll_interval(elapsed, srv->poll_max))) == 0)
            r = h->job_poll(op, srv, job_dir, &st, err);
        if (r == JIKU_E_INTERRUPTED)
            r = jiku_err_set(err, r,
                             "interrupted while waiting for %s on '%s'; it is left to finish in "
                             "'%s'",
                             what, srv->name, job_dir);
        if (r != 0) {
            running = true;
            goto out;
        }
        op->host->progress(op, &(struct jiku_progress){
                                   .step = what,
                                   .done = (uint64_t)((plug_now_ms() - start) / 1000),
                                   .state = st.state == JIKU_JOB_RUNNING ? "running" : NULL,
                               });
        if (st.state == JIKU_JOB_RUNNING)
            continue;
        last_line(line, sizeof(line), st.log.data);
        if (st.state == JIKU_JOB_MISSING)
            r = jiku_err_set(err, JIKU_E_PANEL, "%s on '%s' is gone without an exit status", what,
                             srv->name);
        else if (st.exit_status != 0)
            r = jiku_err_set(err, JIKU_E_PANEL, "%s on '%s' failed (exit status %d)%s%s", what,
                             srv->name, st.exit_status, line[0] != '\0' ? ": " : "", line);
        break;
    }
    /* A finished job's directory has served its purpose. */
    job_cleanup(op, srv, job_dir);
out:
    if (left_running != NULL)
        *left_running = running;
    jiku_job_status_release(&st);
    return r;
}
