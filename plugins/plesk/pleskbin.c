/*
 * `plesk bin …` over SSH (commands, files and jobs: plugins/common/remote.h), and Plesk's own
 * rules for names and paths.  Long commands (pleskbackup, pleskrestore) run detached through
 * the host's jobs (docs/WIRE.md §1.2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plesk.h"

/* ---- names and paths --------------------------------------------------------------------- */

bool
plesk_valid_domain(const char *s)
{
    size_t len;

    if (s == NULL || (len = strlen(s)) == 0 || len > 253 || s[0] == '-' || s[0] == '.' ||
        s[len - 1] == '.' || strstr(s, "..") != NULL)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
              s[i] == '.'))
            return false;
    return true;
}

bool
plesk_www_root_ok(const char *root, const char *domain)
{
    size_t dl;

    if (!plug_valid_path(root) || !plesk_valid_domain(domain))
        return false;
    dl = strlen(domain);
    /* VHOSTS/DOMAIN/SUB…: the first component equal to DOMAIN, with a root before it. */
    for (const char *p = strchr(root + 1, '/'); p != NULL; p = strchr(p + 1, '/'))
        if (strncmp(p + 1, domain, dl) == 0 && p[1 + dl] == '/')
            return p[1 + dl + 1] != '\0';
    return false;
}

int
plesk_export_paths(const struct jiku_server_info *server, const char *domain, const char *name,
                   char **domain_dir, char **dir, struct jiku_err *err)
{
    const char *base = server->snapshot_dir;

    if (domain_dir != NULL)
        *domain_dir = NULL;
    if (dir != NULL)
        *dir = NULL;
    if (!plug_valid_path(base))
        return jiku_err_set(err, JIKU_E_INVAL, "server '%s' has no usable snapshot_dir",
                            server->name);
    if (!plesk_valid_domain(domain))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid subscription name '%s'",
                            domain != NULL ? domain : "");
    if (name != NULL && !plug_valid_component(name))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid artifact name '%s'", name);
    if (domain_dir != NULL && plug_strfmt(domain_dir, "%s/%s", base, domain) != 0)
        goto nomem;
    if (dir != NULL && name != NULL && plug_strfmt(dir, "%s/%s/%s", base, domain, name) != 0)
        goto nomem;
    return 0;
nomem:
    if (domain_dir != NULL) {
        free(*domain_dir);
        *domain_dir = NULL;
    }
    if (dir != NULL)
        *dir = NULL;
    return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
}

/* ---- commands ---------------------------------------------------------------------------- */

int
plesk_webroot_aside(struct jiku_op *op, const char *owner, const char *root, const char *aside,
                    struct jiku_err *err)
{
    /*
     * The web root itself stays: its group and mode are the panel's, not its owner's to set.  A
     * move that stops half-way moves back what it moved: all of it is aside, or none.
     */
    static const char script[] =
        "test -d \"$1\" && ! test -L \"$1\" || { echo \"not a directory: $1\" >&2; exit 3; }\n"
        "mkdir -m 700 -- \"$2\" || exit 3\n"
        "find \"$1\" -mindepth 1 -maxdepth 1 -exec mv -t \"$2\" -- {} + || {\n"
        "    find \"$2\" -mindepth 1 -maxdepth 1 -exec mv -t \"$1\" -- {} +\n"
        "    rmdir -- \"$2\"\n"
        "    exit 3\n"
        "}";
    const char *args[] = {root, aside, NULL};

    if (!plug_valid_path(root) || !plug_valid_path(aside))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid web root '%s' or '%s'", root, aside);
    return plug_run_as_owner(op, NULL, owner, NULL, script, args, 0,
                             "moving the web root's files aside", NULL, err);
}

int
plesk_webroot_put_back(struct jiku_op *op, const char *owner, const char *root, const char *aside,
                       struct jiku_err *err)
{
    static const char script[] =
        "find \"$1\" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} + &&\n"
        "find \"$2\" -mindepth 1 -maxdepth 1 -exec mv -t \"$1\" -- {} + &&\n"
        "rmdir -- \"$2\"";
    const char *args[] = {root, aside, NULL};

    return plug_run_as_owner(op, NULL, owner, NULL, script, args, 0,
                             "putting the web root's files back", NULL, err);
}

void
plesk_webroot_drop_aside(struct jiku_op *op, const char *owner, const char *aside)
{
    const char *args[] = {aside, NULL};
    struct jiku_err e = {0};

    if (plug_run_as_owner(op, NULL, owner, NULL, "rm -rf -- \"$1\"", args, 0,
                          "removing the web root's old files", NULL, &e) != 0)
        op->host->log(op, JIKU_LOG_WARN, "the old files of the web root are left in '%s': %s",
                      aside, e.msg);
}

/* ---- pleskbackup, pleskrestore ---------------------------------------------------------- */

int
plesk_cli_export(struct jiku_op *op, const struct jiku_server_info *server, const char *domain,
                 const char *dir, const char *step, struct plug_digest *d, char **file,
                 struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct jiku_buf cmd = JIKU_BUF_INIT;
    char *job = NULL, *path = NULL, *parent = NULL, *slash;
    bool running = false;
    int r;

    *file = NULL;
    if (!plesk_valid_domain(domain) || !plug_path_inside(dir, srv->snapshot_dir))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid export of '%s' into '%s'", domain, dir);
    if ((r = plug_job_dir(srv, op->params->operation_id, step, &job, err)) != 0)
        return r;
    if (plug_strfmt(&path, "%s/%s", dir, PLESK_EXPORT_NAME) != 0 ||
        (parent = strdup(dir)) == NULL) {
        path = NULL;
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    slash = strrchr(parent, '/');
    *slash = '\0';
    {
        const char *dirs[] = {parent, dir, NULL};

        if ((r = plug_remote_mkdirs(op, srv, dirs, err)) != 0)
            goto out;
    }
    {
        const char *w[] = {"plesk", "bin",          "pleskbackup", "--domains-name",
                           domain,  "-output-file", path,          NULL};

        if ((r = plug_words(&cmd, w) != 0 ? plug_nomem(err) : 0) != 0)
            goto out_dir;
    }
    op->host->log(op, JIKU_LOG_INFO, "exporting '%s' on '%s' into '%s'", domain, srv->name, path);
    if ((r = plug_job_run(op, srv, job, cmd.data, "pleskbackup", true, &running, err)) != 0)
        goto out_dir;
    if ((r = plug_remote_digest(op, srv, path, false, d, err)) != 0) {
        if (r == JIKU_E_NOTFOUND)
            r = jiku_err_set(err, JIKU_E_PANEL, "pleskbackup on '%s' succeeded but left no '%s'",
                             srv->name, path);
        goto out_dir;
    }
    if (d->size == 0) {
        r = jiku_err_set(err, JIKU_E_DATA, "pleskbackup on '%s' left an empty '%s'", srv->name,
                         path);
        goto out_dir;
    }
    *file = path;
    path = NULL;
out_dir:
    /* A job still running (unreachable, interrupted, past timeout) writes there: leave it. */
    if (r != 0 && !running)
        plug_remote_remove_quietly(op, srv, dir);
out:
    free(job);
    free(path);
    free(parent);
    jiku_buf_release(&cmd);
    return r;
}

int
plesk_cli_check(struct jiku_op *op, const struct jiku_server_info *server, const char *file,
                bool ignore_sign, struct jiku_err *err)
{
    const char *w[] = {
        "plesk", "bin", "pleskrestore", "--check-backup", file, ignore_sign ? "-ignore-sign" : NULL,
        NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    if (!plug_valid_path(file))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid remote path '%s'", file);
    if ((r = plug_words(&cmd, w) != 0 ? plug_nomem(err) : 0) == 0)
        r = plug_run(op, server, cmd.data, true, 0, "pleskrestore --check-backup", NULL, err);
    jiku_buf_release(&cmd);
    return r;
}

int
plesk_cli_restore(struct jiku_op *op, const struct jiku_server_info *server, const char *file,
                  const char *domain, bool ignore_sign, bool *left_running, struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct jiku_buf cmd = JIKU_BUF_INIT, filter = JIKU_BUF_INIT;
    char *job = NULL;
    int r;

    if (!plug_valid_path(file) || !plesk_valid_domain(domain))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid restore of '%s' from '%s'", domain, file);
    if ((r = plug_job_dir(srv, op->params->operation_id, "restore", &job, err)) != 0)
        return r;
    if (jiku_buf_addf(&filter, "list:%s", domain) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    {
        const char *w[] = {
            "plesk",  "bin",     "pleskrestore", "--restore", file,
            "-level", "domains", "-filter",      filter.data, ignore_sign ? "-ignore-sign" : NULL,
            NULL};

        if ((r = plug_words(&cmd, w) != 0 ? plug_nomem(err) : 0) != 0)
            goto out;
    }
    op->host->log(op, JIKU_LOG_INFO, "restoring '%s' on '%s' from '%s'%s", domain, srv->name, file,
                  ignore_sign ? " (signature not required: sha256 matched)" : "");
    r = plug_job_run(op, srv, job, cmd.data, "pleskrestore", false, left_running, err);
out:
    free(job);
    jiku_buf_release(&cmd);
    jiku_buf_release(&filter);
    return r;
}
