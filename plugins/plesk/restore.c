/*
 * Rollback and clone of `subscription` targets (docs/WIRE.md §3.5): the archive made available on
 * the server (its own copy re-checked, or the backup uploaded and checked by sha256), checked with
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
 * VHOSTS/DOMAIN/SUB… — inside the subscription's own directory, never that directory itself —
 * and the system user who owns it, who does every file act there.
 */
static int
checked_www_root(struct jiku_op *op, const char *domain, char **out, char **owner,
                 struct jiku_err *err)
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
    *owner = w.sys_user;
    w.sys_user = NULL;
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
    enum plesk_location kind = PLESK_LOC_EXPORT;
    char *domain_dir = NULL, *dir = NULL, *remote = NULL;
    int r;

    *file = NULL;
    *uploaded = NULL;
    *signed_here = false;
    if (a->location != NULL &&
        (r = plesk_classify(op, domain, a->location, &kind, NULL, NULL, err)) != 0)
        return r;
    if ((r = plesk_export_paths(op->server, domain, a->id, &domain_dir, &dir, err)) != 0)
        return r;
    if (plug_strfmt(&remote, "%s/%s", dir, PLESK_EXPORT_NAME) != 0) {
        remote = NULL;
        r = plug_nomem(err);
    } else {
        const struct plug_place place = {domain_dir, dir, remote, NULL};

        r = plug_archive_on_server(op, a, &place, false, file, uploaded, err);
    }
    /* Its own copy, found where the catalog says: signed by this server when in dump_dir. */
    if (r == 0 && *file != NULL && *uploaded == NULL)
        *signed_here = kind == PLESK_LOC_REPOSITORY;
    free(domain_dir);
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
    struct jiku_exec_result res = {
        .exit_status = -1, .out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    struct jiku_buf b = JIKU_BUF_INIT;
    char *root = NULL, *owner = NULL;
    int r = 0, listed = 0;

    if (file == NULL)
        listed |=
            jiku_buf_addf(&b, "would upload '%s' to '%s'\n", a->backup_path, op->server->name);
    listed |= jiku_buf_addf(&b, "would restore subscription '%s' from %s (%s)\n", domain,
                            file != NULL ? file : "the uploaded backup", exact ? "exact" : "merge");
    if (exact) {
        if ((r = checked_www_root(op, domain, &root, &owner, err)) != 0)
            goto out;
        listed |= jiku_buf_addf(&b,
                                "would empty the web root '%s' first; these paths would go unless "
                                "the archive holds them:\n",
                                root);
        if ((r = plug_run_as_owner(op, NULL, owner, NULL,
                                   "find \"$1\" -mindepth 1 -maxdepth 3 -printf '%P\\n' | sort | "
                                   "head -n 1000",
                                   (const char *const[]){root, NULL}, 0, "listing the web root",
                                   &res, err)) != 0)
            goto out;
        for (const char *p = res.out.data; *p != '\0';) {
            const char *nl = strchr(p, '\n');
            size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

            if (n > 0)
                listed |= jiku_buf_addf(&b, "- %.*s\n", (int)n, p);
            p += n + (nl != NULL);
        }
    }
    if (listed != 0) {
        r = plug_nomem(err);
        goto out;
    }
    jiku_buf_rtrim(&b);
    op->result->details = jiku_buf_detach(&b);
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&b);
    free(root);
    free(owner);
    return r;
}

/* ROOT's sibling .jiku-aside-OPERATION, where an exact rollback keeps the old files. */
static int
aside_path(const char *root, const char *opid, char **out, struct jiku_err *err)
{
    const char *slash = strrchr(root, '/');

    *out = NULL;
    if (slash == NULL || slash == root || !plug_valid_component(opid) ||
        plug_strfmt(out, "%.*s/.jiku-aside-%s", (int)(slash - root), root, opid) != 0 ||
        !plug_valid_path(*out)) {
        free(*out);
        *out = NULL;
        return jiku_err_set(err, JIKU_E_INVAL, "cannot place a directory beside '%s'", root);
    }
    return 0;
}

int
plesk_rollback(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_op_params *p = op->params;
    bool exact = p->mode == JIKU_ROLLBACK_EXACT, signed_here = false, running = false;
    char *file = NULL, *uploaded = NULL, *root = NULL, *owner = NULL, *aside = NULL;
    const char *domain;
    bool ignore_sign;
    int r;

    if ((r = plesk_target_domain(op, &domain, err)) != 0)
        return r;
    if (p->artifact == NULL || !plug_valid_component(p->artifact->id))
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
    JIKU_OP_SET_CHANGED(op); /* the web root moves aside, the restore starts */
    if (exact) {
        /*
         * The restore recreates exactly the archived files into an emptied web root; the old
         * ones wait beside it until the restore has succeeded, so a failure never leaves the
         * site empty.
         */
        if ((r = checked_www_root(op, domain, &root, &owner, err)) != 0 ||
            (r = aside_path(root, p->operation_id, &aside, err)) != 0 ||
            (r = plesk_webroot_aside(op, owner, root, aside, err)) != 0) {
            free(aside);
            aside = NULL;
            goto out;
        }
        op->host->log(op, JIKU_LOG_INFO, "moved the files of the web root '%s' aside to '%s'", root,
                      aside);
    }
    if ((r = plesk_cli_restore(op, NULL, file, domain, ignore_sign, &running, err)) != 0)
        goto out;
    if (plug_strfmt(&op->result->details, "restored '%s' from %s (%s)", domain, file,
                    exact ? "exact" : "merge") != 0)
        op->result->details = NULL;
out:
    if (aside != NULL && r == 0) {
        plesk_webroot_drop_aside(op, owner, aside);
    } else if (aside != NULL && running) {
        op->host->log(op, JIKU_LOG_WARN,
                      "the restore may still run: the web root's old files stay in '%s'", aside);
    } else if (aside != NULL) {
        struct jiku_err e = {0};

        if (plesk_webroot_put_back(op, owner, root, aside, &e) == 0)
            op->host->log(op, JIKU_LOG_INFO, "the web root '%s' holds its files again", root);
        else
            op->host->log(op, JIKU_LOG_ERROR,
                          "cannot put the web root's files back: they are in '%s': %s", aside,
                          e.msg);
    }
    /* A restore that may still run reads the upload: leave it. */
    if (uploaded != NULL && !running)
        plug_remote_remove_quietly(op, NULL, uploaded);
    free(file);
    free(uploaded);
    free(root);
    free(owner);
    free(aside);
    return r;
}

/* ---- clone ------------------------------------------------------------------------------- */

int
plesk_clone(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_op_params *p = op->params;
    const struct jiku_server_info *dest = p->dest_server;
    struct plesk_webspace there = {0};
    struct plug_digest d = {0};
    char *src_dir = NULL, *file = NULL, *dest_domain_dir = NULL, *dest_dir = NULL, *remote = NULL;
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
    if (p->operation_id == NULL || !plug_valid_component(p->operation_id))
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
    if ((r = plesk_export_paths(dest, domain, p->operation_id, &dest_domain_dir, &dest_dir, err)) !=
        0)
        return r;

    if ((r = plesk_export_into(op, NULL, domain, p->operation_id, &src_dir, &file, &d, err)) != 0)
        goto out;
    if (plug_strfmt(&remote, "%s/%s", dest_dir, PLESK_EXPORT_NAME) != 0) {
        remote = NULL;
        r = plug_nomem(err);
        goto out;
    }
    {
        const struct plug_place place = {dest_domain_dir, dest_dir, remote, NULL};

        if ((r = plug_relay(op, dest, file, &d, &place, err)) != 0)
            goto out;
    }
    /* Made and signed elsewhere: -ignore-sign, now that the sha256 matched. */
    if ((r = plesk_cli_check(op, dest, remote, true, err)) != 0 ||
        (r = plesk_cli_restore(op, dest, remote, domain, true, &running, err)) != 0)
        goto out_dest;
    if (plug_strfmt(&op->result->details, "cloned '%s' from '%s' onto '%s'", domain,
                    op->server->name, dest->name) != 0)
        op->result->details = NULL;
out_dest:
    if (!running)
        plug_remote_remove_quietly(op, dest, dest_dir);
out:
    if (src_dir != NULL)
        plug_remote_remove_quietly(op, NULL, src_dir);
    free(src_dir);
    free(file);
    free(dest_domain_dir);
    free(dest_dir);
    free(remote);
    return r;
}
