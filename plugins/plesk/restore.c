/*
 * Rollback and clone of `subscription` targets (SPEC §6): the archive made available on the
 * server (its own copy re-checked, or the backup uploaded and checked by sha256), checked with
 * `pleskrestore --check-backup`, the web root emptied for an exact rollback, then the detached
 * restore — with -ignore-sign only for a file whose sha256 matched the catalog.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plesk.h"

/* ---- rollback ---------------------------------------------------------------------------- */

/*
 * The web root of DOMAIN as the panel gives it, accepted for emptying only when it is
 * VHOSTS/DOMAIN/SUB… — inside the subscription's own directory, never that directory itself.
 */
static int
checked_www_root(struct jiku_op *op, const char *domain, char **out, struct jiku_err *err)
{
    struct plesk_webspace w = {0};
    int r;

    *out = NULL;
    if ((r = plesk_webspace_get(op, NULL, domain, false, true, &w, err)) != 0)
        return r;
    if (!plesk_www_root_ok(w.www_root, domain)) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "refusing to empty the web root '%s' of '%s' on '%s': "
                         "not inside the subscription's own directory",
                         w.www_root, domain, op->server->name);
        goto out;
    }
    *out = w.www_root;
    w.www_root = NULL;
out:
    plesk_webspace_release(&w);
    return r;
}

/*
 * Make sure artifact A is on the server: its own copy (size and sha256 re-checked), or the
 * backup uploaded into snapshot_dir/D/ID/ and checked by sha256.  *UPLOADED is set when an
 * upload made a directory the caller removes afterwards; *SIGNED_HERE when the file is a
 * repository backup that this server made and signed itself.
 */
static int
file_on_server(struct jiku_op *op, const char *domain, const struct jiku_artifact_ref *a,
               char **file, char **uploaded, bool *signed_here, struct jiku_err *err)
{
    struct plesk_digest d = {0};
    struct jiku_xfer_result x = {0};
    enum plesk_location kind = PLESK_LOC_EXPORT;
    char *dir = NULL, *remote = NULL;
    int r;

    *file = NULL;
    *uploaded = NULL;
    *signed_here = false;
    if (a->location != NULL) {
        if ((r = plesk_classify(op, domain, a->location, &kind, NULL, NULL, err)) != 0)
            return r;
        r = plesk_remote_digest(op, NULL, a->location, &d, err);
        if (r == 0) {
            if ((a->sha256 != NULL && strcmp(a->sha256, d.sha256) != 0) ||
                (a->size != 0 && a->size != d.size))
                return jiku_err_set(err, JIKU_E_DATA,
                                    "'%s' on '%s' does not match the catalog (size %llu, sha256 "
                                    "%s): refusing to restore it",
                                    a->location, op->server->name, (unsigned long long)d.size,
                                    d.sha256);
            *signed_here = kind == PLESK_LOC_REPOSITORY;
            return plesk_set_str(file, a->location, err);
        }
        if (r != JIKU_E_NOTFOUND)
            return r;
        op->host->log(op, JIKU_LOG_INFO, "%s", err->msg);
        jiku_err_clear(err);
    }
    if (a->backup_path == NULL)
        return jiku_err_set(err, JIKU_E_NOTFOUND,
                            "artifact '%s' is neither on '%s' nor in backup_dir", a->id,
                            op->server->name);
    if (a->sha256 == NULL)
        return jiku_err_set(err, JIKU_E_DATA, "backup '%s' has no sha256 in the catalog",
                            a->backup_path);
    if (op->params->dry_run)
        return 0;
    if ((r = plesk_export_paths(op->server, domain, a->id, NULL, &dir, err)) != 0)
        return r;
    if (asprintf(&remote, "%s/%s", dir, PLESK_EXPORT_NAME) < 0) {
        remote = NULL;
        r = plesk_nomem(err);
        goto out;
    }
    {
        char *parent = strndup(dir, (size_t)(strrchr(dir, '/') - dir));
        const char *dirs[] = {parent, dir, NULL};

        r = parent == NULL ? plesk_nomem(err) : plesk_remote_mkdirs(op, NULL, dirs, err);
        free(parent);
        if (r != 0)
            goto out;
    }
    op->host->log(op, JIKU_LOG_INFO, "uploading '%s' to '%s'", a->backup_path, op->server->name);
    if ((r = op->host->sftp_put(op, NULL, a->backup_path, remote, &x, err)) == 0 &&
        (r = plesk_remote_digest(op, NULL, remote, &d, err)) == 0 &&
        (strcmp(x.sha256, a->sha256) != 0 || strcmp(d.sha256, a->sha256) != 0 || d.size != x.size))
        r = jiku_err_set(err, JIKU_E_DATA,
                         "backup '%s' does not match the catalog once uploaded: sha256 %s "
                         "(catalog: %s)",
                         a->backup_path, d.sha256, a->sha256);
    if (r != 0) {
        plesk_remote_remove_quietly(op, NULL, dir);
        goto out;
    }
    *file = remote;
    remote = NULL;
    *uploaded = dir;
    dir = NULL;
out:
    free(dir);
    free(remote);
    return r;
}

/* The dry-run answer: what the rollback would do, and what the web root holds now. */
static int
dry_run_details(struct jiku_op *op, const char *domain, const char *file, bool exact,
                struct jiku_err *err)
{
    const struct jiku_artifact_ref *a = op->params->artifact;
    struct jiku_exec_result res = {-1, JIKU_BUF_INIT, JIKU_BUF_INIT};
    struct jiku_buf b = JIKU_BUF_INIT, cmd = JIKU_BUF_INIT;
    char *root = NULL;
    int r = 0;

    if (file == NULL)
        jiku_buf_addf(&b, "would upload '%s' to '%s'\n", a->backup_path, op->server->name);
    jiku_buf_addf(&b, "would restore subscription '%s' from %s (%s)\n", domain,
                  file != NULL ? file : "the uploaded backup", exact ? "exact" : "merge");
    if (exact) {
        if ((r = checked_www_root(op, domain, &root, err)) != 0)
            goto out;
        jiku_buf_addf(&b,
                      "would empty the web root '%s' first; these paths would go unless "
                      "the archive holds them:\n",
                      root);
        if (jiku_buf_adds(&cmd, "find ") != 0 || jiku_buf_add_shell_word(&cmd, root) != 0 ||
            jiku_buf_adds(&cmd, " -mindepth 1 -maxdepth 3 -printf '%P\\n' | sort | head -n "
                                "1000") != 0) {
            r = plesk_nomem(err);
            goto out;
        }
        if ((r = plesk_run(op, NULL, cmd.data, true, 0, "listing the web root", &res, err)) != 0)
            goto out;
        for (const char *p = jiku_buf_str(&res.out); *p != '\0';) {
            const char *nl = strchr(p, '\n');
            size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

            if (n > 0)
                jiku_buf_addf(&b, "- %.*s\n", (int)n, p);
            p += n + (nl != NULL);
        }
    }
    jiku_buf_rtrim(&b);
    op->result->details = jiku_buf_detach(&b);
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&b);
    jiku_buf_release(&cmd);
    free(root);
    return r;
}

int
plesk_rollback(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_op_params *p = op->params;
    bool exact = p->mode == JIKU_ROLLBACK_EXACT, signed_here = false, running = false;
    char *file = NULL, *uploaded = NULL, *root = NULL;
    const char *domain;
    bool ignore_sign;
    int r;

    if ((r = plesk_target_domain(op, &domain, err)) != 0)
        return r;
    if (p->artifact == NULL || !plesk_valid_component(p->artifact->id))
        return jiku_err_set(err, JIKU_E_INVAL, "rollback without a valid artifact");
    if ((r = file_on_server(op, domain, p->artifact, &file, &uploaded, &signed_here, err)) != 0)
        goto out;
    if (p->dry_run) {
        r = dry_run_details(op, domain, file, exact, err);
        goto out;
    }
    /*
     * Exports are signed by the server that made them; the signature check is waived only
     * for a file whose sha256 was just found equal to the catalog's (file_on_server).
     */
    ignore_sign = !signed_here && p->artifact->sha256 != NULL;
    if ((r = plesk_cli_check(op, NULL, file, ignore_sign, err)) != 0)
        goto out;
    if (exact) {
        if ((r = checked_www_root(op, domain, &root, err)) != 0 ||
            (r = plesk_remote_empty_dir(op, NULL, root, err)) != 0)
            goto out;
        op->host->log(op, JIKU_LOG_INFO, "emptied the web root '%s' for an exact rollback", root);
    }
    if ((r = plesk_cli_restore(op, NULL, file, domain, ignore_sign, &running, err)) != 0)
        goto out;
    if (asprintf(&op->result->details, "restored '%s' from %s (%s)", domain, file,
                 exact ? "exact" : "merge") < 0)
        op->result->details = NULL;
out:
    /* A restore that may still run reads the upload: leave it. */
    if (uploaded != NULL && !running)
        plesk_remote_remove_quietly(op, NULL, uploaded);
    free(file);
    free(uploaded);
    free(root);
    return r;
}

/* ---- clone ------------------------------------------------------------------------------- */

/* A private 0700 directory for the relay, under TMPDIR or /var/tmp. */
static int
local_tmpdir(char **out, struct jiku_err *err)
{
    const char *base = getenv("TMPDIR");
    char *tmpl = NULL;

    if (base == NULL || base[0] != '/')
        base = "/var/tmp";
    if (asprintf(&tmpl, "%s/jiku-clone-XXXXXX", base) < 0)
        return plesk_nomem(err);
    if (mkdtemp(tmpl) == NULL) {
        int e = errno;

        free(tmpl);
        return jiku_err_set(err, JIKU_E_IO, "cannot create a directory in '%s': %s", base,
                            strerror(e));
    }
    *out = tmpl;
    return 0;
}

int
plesk_clone(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_op_params *p = op->params;
    const struct jiku_server_info *dest = p->dest_server;
    struct plesk_webspace there = {0};
    struct plesk_digest d = {0}, dd = {0};
    struct jiku_xfer_result x = {0};
    char *src_dir = NULL, *file = NULL, *tmp = NULL, *local = NULL, *dest_dir = NULL,
         *remote = NULL;
    const char *domain;
    bool running = false;
    int r;

    if ((r = plesk_target_domain(op, &domain, err)) != 0)
        return r;
    if (dest == NULL)
        return jiku_err_set(err, JIKU_E_USAGE, "clone of a subscription needs --server");
    if (p->as_user != NULL)
        return jiku_err_set(err, JIKU_E_USAGE,
                            "clone --as is not supported for Plesk "
                            "subscriptions");
    if (strcmp(dest->name, op->server->name) == 0 ||
        (strcmp(dest->host, op->server->host) == 0 && dest->api_port == op->server->api_port))
        return jiku_err_set(err, JIKU_E_USAGE, "cloning '%s' onto its own server '%s' is refused",
                            domain, op->server->name);
    if (p->operation_id == NULL || !plesk_valid_component(p->operation_id))
        return jiku_err_set(err, JIKU_E_INVAL, "clone without a valid operation id");
    /* Never over an existing subscription: a clone is an independent copy. */
    r = plesk_webspace_get(op, dest, domain, false, false, &there, err);
    plesk_webspace_release(&there);
    if (r == 0)
        return jiku_err_set(err, JIKU_E_PANEL, "subscription '%s' already exists on '%s'", domain,
                            dest->name);
    if (r != JIKU_E_NOTFOUND)
        return r;
    jiku_err_clear(err);
    if ((r = plesk_export_paths(dest, domain, p->operation_id, NULL, &dest_dir, err)) != 0)
        return r;

    if ((r = plesk_export_into(op, NULL, domain, p->operation_id, &src_dir, &file, &d, err)) != 0)
        goto out;
    if ((r = local_tmpdir(&tmp, err)) != 0)
        goto out;
    if (asprintf(&local, "%s/%s", tmp, PLESK_EXPORT_NAME) < 0 ||
        asprintf(&remote, "%s/%s", dest_dir, PLESK_EXPORT_NAME) < 0) {
        r = plesk_nomem(err);
        goto out;
    }
    if ((r = plesk_download(op, NULL, file, &d, local, &x, err)) != 0)
        goto out;
    {
        char *parent = strndup(dest_dir, (size_t)(strrchr(dest_dir, '/') - dest_dir));
        const char *dirs[] = {parent, dest_dir, NULL};

        r = parent == NULL ? plesk_nomem(err) : plesk_remote_mkdirs(op, dest, dirs, err);
        free(parent);
        if (r != 0)
            goto out;
    }
    if ((r = op->host->sftp_put(op, dest, local, remote, &x, err)) != 0 ||
        (r = plesk_remote_digest(op, dest, remote, &dd, err)) != 0)
        goto out_dest;
    if (strcmp(x.sha256, d.sha256) != 0 || strcmp(dd.sha256, d.sha256) != 0) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "the archive on '%s' does not match the source's "
                         "(sha256 %s, source %s)",
                         dest->name, dd.sha256, d.sha256);
        goto out_dest;
    }
    /* Made and signed elsewhere: -ignore-sign, now that the sha256 matched. */
    if ((r = plesk_cli_check(op, dest, remote, true, err)) != 0 ||
        (r = plesk_cli_restore(op, dest, remote, domain, true, &running, err)) != 0)
        goto out_dest;
    if (asprintf(&op->result->details, "cloned '%s' from '%s' onto '%s'", domain, op->server->name,
                 dest->name) < 0)
        op->result->details = NULL;
out_dest:
    if (!running)
        plesk_remote_remove_quietly(op, dest, dest_dir);
out:
    if (src_dir != NULL)
        plesk_remote_remove_quietly(op, NULL, src_dir);
    if (local != NULL)
        unlink(local);
    if (tmp != NULL)
        rmdir(tmp);
    free(src_dir);
    free(file);
    free(tmp);
    free(local);
    free(dest_dir);
    free(remote);
    return r;
}
