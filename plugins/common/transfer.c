/*
 * Archives between a panel server, backup_dir and another server, the same on both panels:
 * every copy checked against what the server computed or what the catalog says, and nothing
 * left behind by a copy that failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote.h"

int
plug_check_catalog(struct jiku_op *op, const struct jiku_artifact_ref *a, const char *path,
                   const struct plug_digest *d, struct jiku_err *err)
{
    if ((a->size != 0 && d->size != a->size) ||
        (a->sha256 != NULL && strcmp(d->sha256, a->sha256) != 0) ||
        (a->md5 != NULL && d->md5[0] != '\0' && strcmp(d->md5, a->md5) != 0))
        return jiku_err_set(err, JIKU_E_DATA,
                            "archive '%s' on '%s' does not match the catalog: size %llu, sha256 "
                            "%s (catalog: %llu, %s)",
                            path, op->server->name, (unsigned long long)d->size, d->sha256,
                            (unsigned long long)a->size, a->sha256 != NULL ? a->sha256 : "none");
    return 0;
}

int
plug_download(struct jiku_op *op, const struct jiku_server_info *server, const char *file,
              const struct plug_digest *d, const char *local, struct jiku_xfer_result *x,
              struct jiku_err *err)
{
    int r;

    memset(x, 0, sizeof(*x));
    if ((r = op->host->sftp_get(op, server, file, local, x, err)) != 0)
        return r;
    if (x->size != d->size || strcmp(x->sha256, d->sha256) != 0 ||
        (d->md5[0] != '\0' && strcmp(x->md5, d->md5) != 0)) {
        unlink(local);
        return jiku_err_set(err, JIKU_E_DATA,
                            "download of '%s' does not match the server's copy: size %llu, "
                            "sha256 %s (server: %llu, %s)",
                            file, (unsigned long long)x->size, x->sha256,
                            (unsigned long long)d->size, d->sha256);
    }
    return 0;
}

int
plug_archive_on_server(struct jiku_op *op, const struct jiku_artifact_ref *a,
                       const struct plug_place *place, bool md5, char **archive, char **uploaded,
                       struct jiku_err *err)
{
    struct plug_digest d = {0};
    struct jiku_xfer_result x = {0};
    int r;

    *archive = NULL;
    *uploaded = NULL;
    if (a->location != NULL) {
        if (place->location_root != NULL && !plug_path_inside(a->location, place->location_root))
            return jiku_err_set(err, JIKU_E_DATA, "artifact '%s' names '%s', outside '%s'", a->id,
                                a->location, place->location_root);
        if ((r = plug_remote_digest(op, NULL, a->location, md5, &d, err)) == 0) {
            if ((r = plug_check_catalog(op, a, a->location, &d, err)) != 0)
                return r;
            if ((*archive = strdup(a->location)) == NULL)
                return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            return 0;
        }
        if (r != JIKU_E_NOTFOUND)
            return r;
        op->host->log(op, JIKU_LOG_INFO, "%s", err != NULL ? err->msg : "server copy gone");
        jiku_err_clear(err);
    }
    if (a->backup_path == NULL)
        return jiku_err_set(err, JIKU_E_NOTFOUND,
                            "artifact '%s' is neither on '%s' nor in backup_dir", a->id,
                            op->server->name);
    /* The sha256 is what makes an upload the catalog's archive (and, on Plesk, trusted). */
    if (a->sha256 == NULL)
        return jiku_err_set(err, JIKU_E_DATA, "backup '%s' has no sha256 in the catalog",
                            a->backup_path);
    if (op->params->dry_run)
        return 0;
    {
        const char *dirs[] = {place->acct_dir, place->dir, NULL};

        if ((r = plug_remote_mkdirs(op, NULL, dirs, err)) != 0)
            return r;
    }
    op->host->log(op, JIKU_LOG_INFO, "uploading '%s' to '%s'", a->backup_path, op->server->name);
    if ((r = op->host->sftp_put(op, NULL, a->backup_path, place->file, &x, err)) == 0 &&
        (r = plug_remote_digest(op, NULL, place->file, false, &d, err)) == 0 &&
        (strcmp(x.sha256, a->sha256) != 0 || strcmp(d.sha256, a->sha256) != 0 || d.size != x.size))
        r = jiku_err_set(err, JIKU_E_DATA,
                         "backup '%s' does not match the catalog once uploaded: sha256 %s "
                         "(catalog: %s)",
                         a->backup_path, d.sha256, a->sha256);
    if (r == 0 &&
        ((*archive = strdup(place->file)) == NULL || (*uploaded = strdup(place->dir)) == NULL))
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    if (r != 0) {
        free(*archive);
        *archive = NULL;
        plug_remote_remove_quietly(op, NULL, place->dir);
    }
    return r;
}

int
plug_details_upload_first(struct jiku_op *op, const struct jiku_artifact_ref *a,
                          struct jiku_err *err)
{
    if (plug_strfmt(&op->result->details,
                    "would upload '%s' to '%s' and restore it; the changes can be listed once the "
                    "archive is on the server",
                    a->backup_path, op->server->name) != 0) {
        op->result->details = NULL;
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    return 0;
}

int
plug_local_tmpdir(char **out, struct jiku_err *err)
{
    const char *base = getenv("TMPDIR");
    char *tmpl = NULL;

    if (base == NULL || base[0] != '/')
        base = "/var/tmp";
    if (plug_strfmt(&tmpl, "%s/jiku-clone-XXXXXX", base) != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
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
plug_relay(struct jiku_op *op, const struct jiku_server_info *dest, const char *file,
           const struct plug_digest *d, const struct plug_place *place, struct jiku_err *err)
{
    const char *name = strrchr(place->file, '/');
    struct jiku_xfer_result x = {0};
    struct plug_digest dd = {0};
    char *tmp = NULL, *local = NULL;
    int r;

    if ((r = plug_local_tmpdir(&tmp, err)) != 0)
        return r;
    if (plug_strfmt(&local, "%s/%s", tmp, name != NULL ? name + 1 : place->file) != 0) {
        local = NULL;
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = plug_download(op, NULL, file, d, local, &x, err)) != 0)
        goto out;
    {
        const char *dirs[] = {place->acct_dir, place->dir, NULL};

        if ((r = plug_remote_mkdirs(op, dest, dirs, err)) != 0)
            goto out;
    }
    if ((r = op->host->sftp_put(op, dest, local, place->file, &x, err)) == 0 &&
        (r = plug_remote_digest(op, dest, place->file, false, &dd, err)) == 0 &&
        (strcmp(x.sha256, d->sha256) != 0 || strcmp(dd.sha256, d->sha256) != 0))
        r = jiku_err_set(err, JIKU_E_DATA,
                         "the archive on '%s' does not match the source's (sha256 %s, source %s)",
                         dest->name, dd.sha256, d->sha256);
    if (r != 0)
        plug_remote_remove_quietly(op, dest, place->dir);
out:
    if (local != NULL)
        unlink(local);
    rmdir(tmp);
    free(local);
    free(tmp);
    return r;
}
