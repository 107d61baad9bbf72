/*
 * The actions on `softaculous` targets (docs/WIRE.md §5): everything through
 * a Softaculous session of the account (softapi.c), never with a customer password.  An
 * artifact is a Softaculous backup file in the account's softaculous_backups directory; SSH
 * only checks, fetches, uploads and removes such files.  Copies (stage, promote, clone) are in
 * softstage.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cpanel_remote.h"
#include "softaculous.h"

void
cpanel_soft_ctx_release(struct cpanel_soft_ctx *c)
{
    cpanel_account_release(&c->acct);
    cpanel_soft_session_release(&c->sess);
    cpanel_soft_ins_release(&c->live);
    free(c->backups_dir);
    memset(c, 0, sizeof(*c));
}

/* The target's path as an installation directory ("/" → ""), checked. */
static const char *
target_dir(const struct jiku_target_info *t)
{
    const char *p = t->path != NULL ? t->path : "/";

    while (*p == '/')
        p++;
    return p;
}

bool
cpanel_soft_valid_domain(const char *d)
{
    size_t n = d != NULL ? strlen(d) : 0;

    if (n == 0 || n > 253 || d[0] == '.' || d[0] == '-' || d[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)d[i]) && d[i] != '.' && d[i] != '-')
            return false;
    return strstr(d, "..") == NULL;
}

/* The account, its home and backups directory; with SESSION also a session. */
int
cpanel_soft_ctx_open(struct jiku_op *op, bool session, struct cpanel_soft_ctx *c,
                     struct jiku_err *err)
{
    const struct jiku_target_info *t = op->target;
    int r;

    memset(c, 0, sizeof(*c));
    if (t == NULL || !cpanel_valid_user(t->account))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid cPanel user name '%s'",
                            t != NULL && t->account != NULL ? t->account : "");
    if (!cpanel_soft_valid_domain(t->domain))
        return jiku_err_set(err, JIKU_E_INVAL, "target '%s' has no valid domain", t->id);
    c->user = t->account;
    if ((r = cpanel_account_get(op, NULL, c->user, true, &c->acct, err)) != 0)
        return r;
    if (plug_strfmt(&c->backups_dir, "%s/softaculous_backups", c->acct.homedir) != 0) {
        c->backups_dir = NULL;
        return plug_nomem(err);
    }
    if (session && (r = cpanel_soft_open(op, c->user, &c->sess, err)) != 0)
        return r;
    return 0;
}

/* The installation at DOMAIN/DIR (or INSID) from a fresh "installations". */
int
cpanel_soft_ins_at(struct jiku_op *op, struct cpanel_soft_ctx *c, const char *domain,
                   const char *dir, const char *insid, struct cpanel_soft_ins *out,
                   struct jiku_err *err)
{
    json_t *root = NULL;
    int r;

    if ((r = cpanel_soft_call(op, &c->sess, "installations", NULL, 0, NULL, 0, false, &root,
                              err)) == 0)
        r = cpanel_soft_find_ins(root, domain, dir, insid, out, err);
    json_decref(root);
    if (r == JIKU_E_NOTFOUND || r == JIKU_E_DATA)
        jiku_err_prefix(err, "account '%s' on '%s'", c->user, op->server->name);
    return r;
}

int
cpanel_soft_check_home(struct jiku_op *op, const struct cpanel_soft_ctx *c,
                       const struct cpanel_soft_ins *ins, struct jiku_err *err)
{
    if (ins->path != NULL && !plug_path_inside(ins->path, c->acct.homedir) &&
        strcmp(ins->path, c->acct.homedir) != 0)
        return jiku_err_set(err, JIKU_E_DATA,
                            "installation '%s' of '%s' lies outside the home '%s' of '%s'",
                            ins->insid, op->target->id, c->acct.homedir, c->user);
    return 0;
}

int
cpanel_soft_occ(struct jiku_op *op, const struct cpanel_soft_ctx *c,
                const struct cpanel_soft_ins *ins, const char *script, const char *const *args,
                const struct jiku_buf *input, const char *what, const char *why,
                struct jiku_exec_result *res, struct jiku_err *err)
{
    const char *words[CPANEL_SOFT_OCC_ARGS + 2] = {ins->path, NULL};
    size_t n = 1;
    int r;

    if (ins->path == NULL || !plug_valid_path(ins->path))
        return jiku_err_set(err, JIKU_E_DATA,
                            "Softaculous gives no valid directory (softpath) of installation '%s'",
                            ins->insid);
    for (; args != NULL && args[n - 1] != NULL; n++) {
        if (n > CPANEL_SOFT_OCC_ARGS)
            return jiku_err_set(err, JIKU_E_INVAL, "%s: too many arguments", what);
        words[n] = args[n - 1];
    }
    words[n] = NULL;
    if ((r = cpanel_soft_check_home(op, c, ins, err)) != 0)
        return r;
    if (input != NULL)
        r = plug_run_as_owner_input(op, NULL, c->user, script, words, input->data, input->len,
                                    false, CPANEL_SOFT_OCC_MAX, what, res, err);
    else
        r = plug_run_as_owner(op, NULL, c->user, NULL, script, words, CPANEL_SOFT_OCC_MAX, what,
                              res, err);
    if (r == JIKU_E_PANEL)
        jiku_err_prefix(err, "%s in '%s'", why, ins->path);
    return r;
}

/* The target's own installation, checked to lie in the account's home. */
static int
find_live(struct jiku_op *op, struct cpanel_soft_ctx *c, struct jiku_err *err)
{
    const struct jiku_target_info *t = op->target;
    int r;

    if ((r = cpanel_soft_ins_at(op, c, t->domain, target_dir(t), NULL, &c->live, err)) != 0)
        return r;
    return cpanel_soft_check_home(op, c, &c->live, err);
}

int
cpanel_soft_open_live(struct jiku_op *op, struct cpanel_soft_ctx *c, struct jiku_err *err)
{
    int r;

    if ((r = cpanel_soft_ctx_open(op, true, c, err)) == 0)
        r = find_live(op, c, err);
    return r;
}

/*
 * After ACT reached 100%: the live installation is still listed, under its id, at the
 * target's domain and directory.  Progress alone is Softaculous's word that the task ended,
 * not that it did what was asked.
 */
int
cpanel_soft_check_live(struct jiku_op *op, struct cpanel_soft_ctx *c, const char *act,
                       struct jiku_err *err)
{
    const struct jiku_target_info *t = op->target;
    struct cpanel_soft_ins now = {0};
    int r;

    if ((r = cpanel_soft_ins_at(op, c, NULL, NULL, c->live.insid, &now, err)) != 0) {
        jiku_err_prefix(err, "Softaculous '%s' reached 100%% but its result is missing", act);
        if (r == JIKU_E_NOTFOUND && err != NULL)
            err->status = JIKU_E_PANEL;
        return r == JIKU_E_NOTFOUND ? JIKU_E_PANEL : r;
    }
    if (now.domain == NULL || strcasecmp(now.domain, t->domain) != 0 ||
        strcmp(now.directory, target_dir(t)) != 0)
        r = jiku_err_set(err, JIKU_E_PANEL,
                         "Softaculous '%s' reached 100%%, but installation '%s' of '%s' is now "
                         "listed at '%s/%s', not at '%s/%s'",
                         act, now.insid, t->id, now.domain != NULL ? now.domain : "", now.directory,
                         t->domain, target_dir(t));
    cpanel_soft_ins_release(&now);
    return r;
}

/* Start ACT (a background task) and wait for it. */
int
cpanel_soft_run_task(struct jiku_op *op, struct cpanel_soft_ctx *c, const char *act,
                     const struct cpanel_param *q, size_t nq, const struct cpanel_param *form,
                     size_t nf, char **ssk_out, struct jiku_err *err)
{
    json_t *root = NULL;
    char *ssk = NULL;
    int r;

    op->host->log(op, JIKU_LOG_INFO, "Softaculous '%s' of '%s' on '%s'", act, op->target->id,
                  op->server->name);
    if ((r = cpanel_soft_call(op, &c->sess, act, q, nq, form, nf, true, &root, err)) != 0)
        return r;
    r = cpanel_soft_task_key(root, act, &ssk, err);
    json_decref(root);
    if (r == 0)
        r = cpanel_soft_wait(op, &c->sess, act, ssk, err);
    if (r == 0 && ssk_out != NULL) {
        *ssk_out = ssk;
        ssk = NULL;
    }
    free(ssk);
    return r;
}

/* The file DIR/NAME of a listed backup, checked to be in the account's softaculous_backups. */
static int
backup_file(const struct cpanel_soft_ctx *c, const struct cpanel_soft_backup *b, char **out,
            struct jiku_err *err)
{
    if (strcmp(b->dir, c->backups_dir) != 0)
        return jiku_err_set(err, JIKU_E_DATA, "Softaculous keeps backup '%s' in '%s', not in '%s'",
                            b->name, b->dir, c->backups_dir);
    if (plug_strfmt(out, "%s/%s", b->dir, b->name) != 0) {
        *out = NULL;
        return plug_nomem(err);
    }
    return 0;
}

/* LOCATION checked to be a file directly in the account's softaculous_backups; *NAME borrowed. */
static int
artifact_file(const struct cpanel_soft_ctx *c, const char *location, const char **name,
              struct jiku_err *err)
{
    size_t n = strlen(c->backups_dir);

    if (location == NULL || !plug_valid_path(location) ||
        strncmp(location, c->backups_dir, n) != 0 || location[n] != '/' ||
        !plug_valid_component(location + n + 1))
        return jiku_err_set(err, JIKU_E_INVAL, "artifact location '%s' is not a file in '%s'",
                            location != NULL ? location : "", c->backups_dir);
    *name = location + n + 1;
    return 0;
}

int
cpanel_soft_run_words(struct jiku_op *op, const char *const *words, const char *what,
                      struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    int r;

    if (plug_words(&cmd, words) != 0)
        r = plug_nomem(err);
    else
        r = plug_run(op, NULL, cmd.data, true, 4096, what, NULL, err);
    jiku_buf_release(&cmd);
    return r;
}

/*
 * Remove a backup file of the account (validated by the caller).  softaculous_backups is the
 * customer's folder: the account's user removes it (docs/SECURITY.md).
 */
static int
remove_backup(struct jiku_op *op, const struct cpanel_soft_ctx *c, const char *file,
              struct jiku_err *err)
{
    const char *args[] = {file, NULL};

    return plug_run_as_owner(op, NULL, c->user, NULL, "rm -f -- \"$1\"", args, 4096, "rm", NULL,
                             err);
}

static void
remove_backup_quietly(struct jiku_op *op, const struct cpanel_soft_ctx *c, const char *file)
{
    struct jiku_err e = {0};

    if (remove_backup(op, c, file, &e) != 0)
        op->host->log(op, JIKU_LOG_WARN, "cannot remove '%s': %s", file, e.msg);
}

/*
 * The private directory (in snapshot_dir) where a backup file NAME passes between root and the
 * account's user, made now, and the copy's path in it.  Both malloc()ed.
 */
static int
staging_copy(struct jiku_op *op, const char *name, char **dir, char **copy, struct jiku_err *err)
{
    int r;

    *copy = NULL;
    if ((r = plug_job_dir(op->server, op->params->operation_id, "softaculous", dir, err)) != 0)
        return r;
    if ((r = plug_remote_mkdirs(op, NULL, (const char *const[]){*dir, NULL}, err)) == 0 &&
        plug_strfmt(copy, "%s/%s", *dir, name) != 0) {
        *copy = NULL;
        r = plug_nomem(err);
    }
    if (r != 0) {
        free(*dir);
        *dir = NULL;
    }
    return r;
}

/*
 * act=backup without backup_location writes to the location saved in the installation's
 * settings, which may be a remote one: a backup started there would be out of the agent's
 * reach and left behind if anything failed.  The installation's setting (its
 * "backup_location", the name act=backup takes it under; none shown or "0": local, as the
 * simulator's README says) is read first and a remote one refused before anything starts.
 * There is no documented id of the local location to ask for instead.
 */
static int
local_backups_only(struct jiku_op *op, const struct cpanel_soft_ctx *c, struct jiku_err *err)
{
    const char *loc = c->live.backup_location;

    if (loc == NULL || *loc == '\0' || strcmp(loc, "0") == 0)
        return 0;
    for (const char *p = loc; *p != '\0'; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            loc = "?";
    return jiku_err_set(err, JIKU_E_PANEL,
                        "installation '%s' of '%s' saves its backups to Softaculous backup "
                        "location '%.40s' (its backup_location setting), not on the server: "
                        "set its backup location to the local one (Softaculous: Edit "
                        "Installation, Backup Location); nothing started",
                        c->live.insid, op->target->id, loc);
}

/*
 * act=backup of the live installation, polled, then the new file found with act=backups and
 * checked over SSH.  *FILE and D describe it.
 */
static int
take_backup(struct jiku_op *op, struct cpanel_soft_ctx *c, char **file, struct plug_digest *d,
            struct jiku_err *err)
{
    const struct cpanel_param q[] = {{"insid", c->live.insid}};
    const struct cpanel_param form[] = {{"backupins", "1"},
                                        {"backup_dir", "1"},
                                        {"backup_datadir", "1"},
                                        {"backup_db", "1"},
                                        {"noemail", "1"}};
    struct jiku_buf before = JIKU_BUF_INIT;
    struct cpanel_soft_backup b = {0};
    json_t *root = NULL;
    char *ssk = NULL;
    int r;

    *file = NULL;
    if ((r = local_backups_only(op, c, err)) != 0)
        goto out;
    if ((r = cpanel_soft_call(op, &c->sess, "backups", NULL, 0, NULL, 0, false, &root, err)) != 0 ||
        (r = cpanel_soft_backup_names(root, c->live.insid, &before, err)) != 0)
        goto out;
    json_decref(root);
    root = NULL;
    if ((r = cpanel_soft_run_task(op, c, "backup", q, 1, form, 5, &ssk, err)) != 0)
        goto out;
    if ((r = cpanel_soft_call(op, &c->sess, "backups", NULL, 0, NULL, 0, false, &root, err)) != 0 ||
        (r = cpanel_soft_find_new_backup(root, c->live.insid, ssk, before.data, &b, err)) != 0 ||
        (r = backup_file(c, &b, file, err)) != 0)
        goto out;
    if ((r = plug_remote_digest_as(op, NULL, c->user, *file, true, d, err)) != 0)
        goto out;
    if (b.have_size && b.size != d->size) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "backup '%s' on '%s' has %llu bytes, Softaculous says %llu", *file,
                         op->server->name, (unsigned long long)d->size, (unsigned long long)b.size);
        goto out;
    }
out:
    if (r != 0 && *file != NULL) {
        free(*file);
        *file = NULL;
    }
    cpanel_soft_backup_release(&b);
    jiku_buf_release(&before);
    json_decref(root);
    free(ssk);
    return r;
}

static void
fill_result(struct jiku_op *op, char **file, const struct plug_digest *d)
{
    op->result->location = *file;
    *file = NULL;
    op->result->size = d->size;
    memcpy(op->result->md5, d->md5, sizeof(op->result->md5));
    memcpy(op->result->sha256, d->sha256, sizeof(op->result->sha256));
}

int
cpanel_soft_probe(struct jiku_op *op, struct jiku_err *err)
{
    struct cpanel_soft_ctx c;
    int r;

    if ((r = cpanel_soft_open_live(op, &c, err)) == 0 &&
        plug_strfmt(&op->result->details, "installation '%s' (%s) at %s", c.live.insid,
                    c.live.script != NULL ? c.live.script : "Softaculous",
                    c.live.url != NULL ? c.live.url : op->target->domain) != 0) {
        op->result->details = NULL;
        r = plug_nomem(err);
    }
    cpanel_soft_ctx_release(&c);
    return r;
}

int
cpanel_soft_snapshot(struct jiku_op *op, struct jiku_err *err)
{
    struct plug_digest d = {0};
    struct cpanel_soft_ctx c;
    char *file = NULL;
    int r;

    if ((r = cpanel_soft_open_live(op, &c, err)) == 0 &&
        (r = take_backup(op, &c, &file, &d, err)) == 0)
        fill_result(op, &file, &d);
    cpanel_soft_ctx_release(&c);
    return r;
}

int
cpanel_soft_backup(struct jiku_op *op, struct jiku_err *err)
{
    struct plug_digest d = {0}, dc = {0};
    struct jiku_xfer_result x = {0};
    struct cpanel_soft_ctx c;
    char *file = NULL, *local = NULL, *stage = NULL, *copy = NULL;
    const char *name;
    int r;

    if (op->params->backup_dir == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "backup without a backup_dir");
    if ((r = cpanel_soft_open_live(op, &c, err)) != 0 ||
        (r = take_backup(op, &c, &file, &d, err)) != 0)
        goto out;
    name = strrchr(file, '/') + 1;
    if (plug_strfmt(&local, "%s/%s", op->params->backup_dir, name) != 0) {
        local = NULL;
        r = plug_nomem(err);
        goto out_remove;
    }
    /* SFTP would read as root through the customer's folder: the user copies it out first. */
    if ((r = staging_copy(op, name, &stage, &copy, err)) != 0 ||
        (r = plug_copy_out(op, c.user, file, copy, err)) != 0 ||
        (r = plug_remote_digest(op, NULL, copy, true, &dc, err)) != 0)
        goto out_remove;
    if (dc.size != d.size || strcmp(dc.sha256, d.sha256) != 0) {
        r = jiku_err_set(err, JIKU_E_DATA, "backup '%s' on '%s' changed while it was copied", file,
                         op->server->name);
        goto out_remove;
    }
    if ((r = plug_download(op, NULL, copy, &dc, local, &x, err)) != 0)
        goto out_remove;
    op->result->backup_path = local;
    local = NULL;
    fill_result(op, &file, &d);
    goto out;
out_remove:
    /* Not recorded: the server copy would be nobody's. */
    remove_backup_quietly(op, &c, file);
out:
    plug_remote_remove_quietly(op, NULL, stage);
    free(stage);
    free(copy);
    cpanel_soft_ctx_release(&c);
    free(file);
    free(local);
    return r;
}

/*
 * The artifact's backup file on the server: its own copy when it still matches the catalog,
 * else the backup_dir copy uploaded into snapshot_dir, checked by sha256 there and copied into
 * softaculous_backups by the account's user (whose file it then is, as Softaculous expects).
 * *UPLOAD tells a dry run that an upload would be needed.
 */
static int
backup_on_server(struct jiku_op *op, struct cpanel_soft_ctx *c, const struct jiku_artifact_ref *a,
                 bool *upload, struct jiku_err *err)
{
    struct plug_digest d = {0};
    struct jiku_xfer_result x = {0};
    char *stage = NULL, *copy = NULL;
    const char *name, *want;
    int r;

    *upload = false;
    if ((r = artifact_file(c, a->location, &name, err)) != 0)
        return r;
    r = plug_remote_digest_as(op, NULL, c->user, a->location, true, &d, err);
    if (r == 0)
        return plug_check_catalog(op, a, a->location, &d, err);
    if (r != JIKU_E_NOTFOUND)
        return r;
    if (a->backup_path == NULL)
        return jiku_err_set(err, JIKU_E_NOTFOUND,
                            "artifact '%s' is neither on '%s' nor in backup_dir", a->id,
                            op->server->name);
    *upload = true;
    if (op->params->dry_run)
        return 0;
    if ((r = staging_copy(op, name, &stage, &copy, err)) != 0)
        return r;
    op->host->log(op, JIKU_LOG_INFO, "uploading '%s' to '%s'", a->backup_path, op->server->name);
    if ((r = op->host->sftp_put(op, NULL, a->backup_path, copy, &x, err)) != 0 ||
        (r = plug_remote_digest(op, NULL, copy, true, &d, err)) != 0)
        goto out;
    want = a->sha256 != NULL ? a->sha256 : x.sha256;
    if (strcmp(x.sha256, want) != 0 || strcmp(d.sha256, want) != 0 || d.size != x.size) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "backup '%s' does not match the catalog once uploaded: sha256 %s "
                         "(catalog: %s)",
                         a->backup_path, d.sha256, want);
        goto out;
    }
    if ((r = plug_copy_in(op, c->user, copy, c->backups_dir, name, err)) != 0 ||
        (r = plug_remote_digest_as(op, NULL, c->user, a->location, true, &d, err)) != 0)
        goto out;
    if (strcmp(d.sha256, want) != 0)
        r = jiku_err_set(err, JIKU_E_DATA, "'%s' on '%s' changed once copied into place",
                         a->location, op->server->name);
    if (r != 0)
        remove_backup_quietly(op, c, a->location);
out:
    plug_remote_remove_quietly(op, NULL, stage);
    free(stage);
    free(copy);
    return r;
}

int
cpanel_soft_rollback(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_op_params *p = op->params;
    const struct jiku_artifact_ref *a = p->artifact;
    /*
     * Softaculous lays the backup over the existing files unless restore_delete_files=1: an
     * exact rollback (the only mode, cpanel_soft_check) deletes them first, so that nothing
     * made after the backup survives it (packaging/man/jiku-agent.8.scd).
     */
    const struct cpanel_param form[] = {{"restore_ins", "1"},
                                        {"restore_dir", "1"},
                                        {"restore_datadir", "1"},
                                        {"restore_db", "1"},
                                        {"restore_delete_files", "1"}};
    struct cpanel_soft_backup b = {0};
    struct cpanel_soft_ctx c;
    json_t *root = NULL;
    const char *name = NULL;
    bool upload = false;
    int r;

    memset(&c, 0, sizeof(c));
    if (a == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "rollback without an artifact");
    if ((r = cpanel_soft_check(op, JIKU_VERB_ROLLBACK, err)) != 0)
        return r;
    if ((r = cpanel_soft_open_live(op, &c, err)) != 0 ||
        (r = artifact_file(&c, a->location, &name, err)) != 0 ||
        (r = backup_on_server(op, &c, a, &upload, err)) != 0)
        goto out;
    if (p->dry_run) {
        if (plug_strfmt(&op->result->details,
                        "would %srestore installation '%s' (files, data, database) from '%s'",
                        upload ? "upload the backup and " : "", c.live.insid, name) != 0) {
            op->result->details = NULL;
            r = plug_nomem(err);
        }
        goto out;
    }
    /* The file must be a backup of this very installation. */
    if ((r = cpanel_soft_call(op, &c.sess, "backups", NULL, 0, NULL, 0, false, &root, err)) != 0 ||
        (r = cpanel_soft_find_backup(root, name, &b, err)) != 0)
        goto out;
    if (strcmp(b.insid, c.live.insid) != 0) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "backup '%s' belongs to installation '%s', not to '%s' of '%s'", name,
                         b.insid, c.live.insid, op->target->id);
        goto out;
    }
    {
        const struct cpanel_param q[] = {{"restore", name}};

        JIKU_OP_SET_CHANGED(op); /* act=restore writes onto the installation */
        if ((r = cpanel_soft_run_task(op, &c, "restore", q, 1, form, 5, NULL, err)) != 0 ||
            (r = cpanel_soft_check_live(op, &c, "restore", err)) != 0)
            goto out;
    }
    if (plug_strfmt(&op->result->details, "restored installation '%s' from '%s'", c.live.insid,
                    name) != 0)
        op->result->details = NULL;
out:
    cpanel_soft_backup_release(&b);
    json_decref(root);
    cpanel_soft_ctx_release(&c);
    return r;
}

int
cpanel_soft_prune(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_artifact_ref *a = op->params->artifact;
    struct cpanel_soft_ctx c;
    const char *name;
    int r;

    if (a == NULL || a->location == NULL)
        return 0;
    if ((r = cpanel_soft_ctx_open(op, false, &c, err)) == 0 &&
        (r = artifact_file(&c, a->location, &name, err)) == 0)
        r = remove_backup(op, &c, a->location, err);
    cpanel_soft_ctx_release(&c);
    return r;
}

int
cpanel_soft_verify(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_artifact_ref *a = op->params->artifact;
    struct plug_digest d = {0};
    struct cpanel_soft_ctx c;
    const char *name;
    int r;

    if (a == NULL || a->location == NULL)
        return 0;
    if ((r = cpanel_soft_ctx_open(op, false, &c, err)) == 0 &&
        (r = artifact_file(&c, a->location, &name, err)) == 0 &&
        (r = plug_remote_digest_as(op, NULL, c.user, a->location, true, &d, err)) == 0)
        r = plug_check_catalog(op, a, a->location, &d, err);
    cpanel_soft_ctx_release(&c);
    return r;
}

int
cpanel_soft_check(const struct jiku_op *op, enum jiku_verb verb, struct jiku_err *err)
{
    if (verb == JIKU_VERB_ROLLBACK && op->params->mode == JIKU_ROLLBACK_MERGE)
        return jiku_err_set(err, JIKU_E_USAGE,
                            "a Softaculous restore replaces the installation's files, data and "
                            "database: --merge is not available for '%s'",
                            op->target->id);
    return 0;
}
