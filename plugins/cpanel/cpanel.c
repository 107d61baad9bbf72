/*
 * The cPanel plugin: descriptor and the actions on `account` targets (docs/WIRE.md §2).  WHM API 1
 * for the panel's own jobs, SSH for what WHM cannot do (free space, checksums, listings, clean-up),
 * SFTP for archives; everything through the host table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpanel.h"
#include "cpanel_account.h"
#include "cpanel_discover.h"
#include "cpanel_remote.h"

#ifndef CPANEL_PLUGIN_VERSION
#define CPANEL_PLUGIN_VERSION "unknown"
#endif

/* The target's cPanel user, re-checked: the core validated it, but it reaches a shell. */
static int
target_user(struct jiku_op *op, const char **user, struct jiku_err *err)
{
    const char *u = op->target != NULL ? op->target->account : NULL;

    if (!cpanel_valid_user(u))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid cPanel user name '%s'", u ? u : "");
    *user = u;
    return 0;
}

static int
cpanel_probe(struct jiku_op *op, struct jiku_err *err)
{
    struct cpanel_account acct = {0};
    json_t *root = NULL;
    const char *user, *version;
    int r;

    if ((r = target_user(op, &user, err)) != 0)
        return r;
    if ((r = cpanel_whm_call(op, NULL, "version", NULL, 0, false, &root, err)) != 0)
        return r;
    version = cpanel_json_str(json_object_get(root, "data"), "version");
    if (version == NULL || strlen(version) > 40) {
        r = jiku_err_set(err, JIKU_E_DATA, "WHM 'version' on '%s' gives no version",
                         op->server->name);
        goto out;
    }
    if ((r = cpanel_account_get(op, NULL, user, true, &acct, err)) != 0)
        goto out;
    if ((r = plug_set_str(&op->result->panel_version, version, err)) != 0)
        goto out;
    if (plug_strfmt(&op->result->details, "account '%s' exists; home '%s'", user, acct.homedir) !=
        0) {
        op->result->details = NULL;
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
out:
    cpanel_account_release(&acct);
    json_decref(root);
    return r;
}

static int
fill_snapshot_result(struct jiku_op *op, struct cpanel_snap *snap, struct jiku_err *err)
{
    struct jiku_op_result *res = op->result;

    res->location = snap->archive;
    snap->archive = NULL;
    res->size = snap->digest.size;
    memcpy(res->md5, snap->digest.md5, sizeof(res->md5));
    memcpy(res->sha256, snap->digest.sha256, sizeof(res->sha256));
    res->warnings = snap->warnings;
    snap->warnings = NULL;
    (void)err;
    return 0;
}

static int
cpanel_snapshot(struct jiku_op *op, struct jiku_err *err)
{
    struct cpanel_snap snap = {0};
    const char *user;
    int r;

    if ((r = target_user(op, &user, err)) != 0)
        return r;
    if (op->params->new_artifact_id == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "snapshot without an artifact id");
    if ((r = cpanel_snapshot_take(op, NULL, user, op->params->new_artifact_id, &snap, err)) != 0)
        return r;
    r = fill_snapshot_result(op, &snap, err);
    cpanel_snap_release(&snap);
    return r;
}

static int
cpanel_backup(struct jiku_op *op, struct jiku_err *err)
{
    struct cpanel_snap snap = {0};
    struct jiku_xfer_result x;
    char *local = NULL;
    const char *user;
    int r;

    if ((r = target_user(op, &user, err)) != 0)
        return r;
    if (op->params->new_artifact_id == NULL || op->params->backup_dir == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "backup without an artifact id or backup_dir");
    if (plug_strfmt(&local, "%s/cpmove-%s.tar.gz", op->params->backup_dir, user) != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    if ((r = cpanel_snapshot_take(op, NULL, user, op->params->new_artifact_id, &snap, err)) != 0)
        goto out;
    if ((r = plug_download(op, NULL, snap.archive, &snap.digest, local, &x, err)) != 0) {
        plug_remote_remove_quietly(op, op->server, snap.dir);
        goto out;
    }
    op->result->backup_path = local;
    local = NULL;
    r = fill_snapshot_result(op, &snap, err);
out:
    cpanel_snap_release(&snap);
    free(local);
    return r;
}

/*
 * Make sure artifact A's archive is on the server: its own copy, or the backup uploaded into
 * snapshot_dir/U/ID/ (plug_archive_on_server).
 */
static int
archive_on_server(struct jiku_op *op, const char *user, const struct jiku_artifact_ref *a,
                  char **archive, char **uploaded_dir, struct jiku_err *err)
{
    char *user_dir = NULL, *dir = NULL, *remote = NULL;
    int r;

    if ((r = cpanel_snapshot_paths(op->server, user, a->id, &user_dir, &dir, err)) != 0)
        return r;
    if (plug_strfmt(&remote, "%s/cpmove-%s.tar.gz", dir, user) != 0) {
        remote = NULL;
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    } else {
        const struct plug_place place = {user_dir, dir, remote, user_dir};

        r = plug_archive_on_server(op, a, &place, true, archive, uploaded_dir, err);
    }
    free(user_dir);
    free(dir);
    free(remote);
    return r;
}

static int
cpanel_rollback(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_op_params *p = op->params;
    bool exact = p->mode == JIKU_ROLLBACK_EXACT;
    struct cpanel_account acct = {0};
    char *archive = NULL, *uploaded = NULL, *warnings = NULL, *cleaned = NULL;
    const char *user;
    int r;

    if ((r = target_user(op, &user, err)) != 0)
        return r;
    if (p->artifact == NULL || !plug_valid_component(p->artifact->id))
        return jiku_err_set(err, JIKU_E_INVAL, "rollback without a valid artifact");
    if ((r = archive_on_server(op, user, p->artifact, &archive, &uploaded, err)) != 0)
        goto out;
    if (p->dry_run) {
        if (archive == NULL) {
            r = plug_details_upload_first(op, p->artifact, err);
            goto out;
        }
        if ((r = cpanel_account_get(op, NULL, user, true, &acct, err)) == 0)
            r = cpanel_home_sync(op, NULL, archive, user, acct.homedir, exact, true,
                                 &op->result->details, err);
        goto out;
    }
    JIKU_OP_SET_CHANGED(op); /* the restore session starts: a failure from here undoes it */
    if ((r = cpanel_restore_run(op, NULL, archive, user, true, &warnings, err)) != 0) {
        if (r == JIKU_E_UNREACHABLE) {
            /* The restore may still read the upload: leave it. */
            free(uploaded);
            uploaded = NULL;
        }
        goto out;
    }
    if (exact) {
        if ((r = cpanel_account_get(op, NULL, user, true, &acct, err)) != 0 ||
            (r = cpanel_home_sync(op, NULL, archive, user, acct.homedir, true, false, &cleaned,
                                  err)) != 0) {
            jiku_err_prefix(err, "restored, but the exact clean-up failed");
            goto out;
        }
    }
    op->result->warnings = warnings;
    warnings = NULL;
    if (plug_strfmt(&op->result->details, "restored '%s' from %s (%s)%s", user, archive,
                    exact ? "exact" : "merge", cleaned != NULL ? cleaned : "") != 0)
        op->result->details = NULL;
out:
    if (uploaded != NULL)
        plug_remote_remove_quietly(op, NULL, uploaded);
    cpanel_account_release(&acct);
    free(archive);
    free(uploaded);
    free(warnings);
    free(cleaned);
    return r;
}

static int
cpanel_clone(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_op_params *p = op->params;
    const struct jiku_server_info *dest = p->dest_server;
    struct cpanel_account there = {0};
    struct cpanel_snap snap = {0};
    char *user_dir = NULL, *dir = NULL, *remote = NULL;
    const char *user, *newuser;
    bool keep_remote = false;
    int r;

    if ((r = target_user(op, &user, err)) != 0)
        return r;
    if (dest == NULL)
        return jiku_err_set(err, JIKU_E_USAGE, "clone of an account needs --server");
    newuser = p->as_user != NULL ? p->as_user : user;
    if (!cpanel_valid_user(newuser))
        return jiku_err_set(err, JIKU_E_USAGE, "invalid cPanel user name '%s'", newuser);
    if (strcmp(dest->name, op->server->name) == 0 ||
        (strcmp(dest->host, op->server->host) == 0 && dest->api_port == op->server->api_port))
        return jiku_err_set(err, JIKU_E_USAGE,
                            "a cpmove restore keeps the account's domains: cloning '%s' onto its "
                            "own server '%s' is refused",
                            user, op->server->name);
    if (p->operation_id == NULL || !plug_valid_component(p->operation_id))
        return jiku_err_set(err, JIKU_E_INVAL, "clone without a valid operation id");
    r = cpanel_account_get(op, dest, newuser, false, &there, err);
    cpanel_account_release(&there);
    if (r == 0)
        return jiku_err_set(err, JIKU_E_PANEL, "account '%s' already exists on '%s'", newuser,
                            dest->name);
    if (r != JIKU_E_NOTFOUND)
        return r;
    jiku_err_clear(err);
    if ((r = cpanel_snapshot_paths(dest, newuser, p->operation_id, &user_dir, &dir, err)) != 0)
        return r;

    if ((r = cpanel_snapshot_take(op, NULL, user, p->operation_id, &snap, err)) != 0)
        goto out;
    if (plug_strfmt(&remote, "%s/cpmove-%s.tar.gz", dir, user) != 0) {
        remote = NULL;
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    {
        const struct plug_place place = {user_dir, dir, remote, NULL};

        if ((r = plug_relay(op, dest, snap.archive, &snap.digest, &place, err)) != 0)
            goto out;
    }
    /* Never overwrite: the destination account was checked absent above. */
    r = cpanel_restore_run(op, dest, remote, p->as_user != NULL ? newuser : NULL, false,
                           &op->result->warnings, err);
    keep_remote = r == JIKU_E_UNREACHABLE;
    /* The item said it succeeded; the account must now exist there. */
    if (r == 0 && (r = cpanel_account_get(op, dest, newuser, false, &there, err)) != 0)
        jiku_err_prefix(err, "the restore on '%s' reported success", dest->name);
    cpanel_account_release(&there);
    if (r == 0 && plug_strfmt(&op->result->details, "cloned '%s' from '%s' onto '%s' as '%s'", user,
                              op->server->name, dest->name, newuser) != 0)
        op->result->details = NULL;
    if (!keep_remote)
        plug_remote_remove_quietly(op, dest, dir);
out:
    if (snap.dir != NULL)
        plug_remote_remove_quietly(op, NULL, snap.dir);
    cpanel_snap_release(&snap);
    free(remote);
    free(user_dir);
    free(dir);
    return r;
}

/* The artifact's own directory snapshot_dir/U/X from its location snapshot_dir/U/X/FILE. */
static int
artifact_dir(struct jiku_op *op, const char *user, const struct jiku_artifact_ref *a, char **out,
             struct jiku_err *err)
{
    char *user_dir = NULL;
    const char *rest, *slash;
    int r;

    if ((r = cpanel_snapshot_paths(op->server, user, a->id, &user_dir, NULL, err)) != 0)
        return r;
    if (!plug_path_inside(a->location, user_dir) ||
        (slash = strchr((rest = a->location + strlen(user_dir) + 1), '/')) == NULL ||
        strchr(slash + 1, '/') != NULL) {
        r = jiku_err_set(err, JIKU_E_INVAL, "artifact '%s' names '%s', not a file in '%s/ID/'",
                         a->id, a->location, user_dir);
    } else if ((*out = strndup(a->location, (size_t)(slash - a->location))) == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    free(user_dir);
    return r;
}

static int
cpanel_prune(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_artifact_ref *a = op->params->artifact;
    char *dir = NULL;
    const char *user;
    int r;

    if ((r = target_user(op, &user, err)) != 0)
        return r;
    if (a == NULL || a->location == NULL)
        return 0;
    if ((r = artifact_dir(op, user, a, &dir, err)) != 0)
        return r;
    r = plug_remote_remove(op, NULL, dir, err);
    free(dir);
    return r;
}

static int
cpanel_verify(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_artifact_ref *a = op->params->artifact;
    struct plug_digest d = {0};
    char *dir = NULL;
    const char *user;
    int r;

    if ((r = target_user(op, &user, err)) != 0)
        return r;
    if (a == NULL || a->location == NULL)
        return 0;
    if ((r = artifact_dir(op, user, a, &dir, err)) != 0)
        return r;
    free(dir);
    if ((r = plug_remote_digest(op, NULL, a->location, true, &d, err)) != 0)
        return r;
    return plug_check_catalog(op, a, a->location, &d, err);
}

static const struct jiku_plugin_action cpanel_actions[] = {
    {JIKU_VERB_PROBE, JIKU_KIND_ACCOUNT, cpanel_probe},
    {JIKU_VERB_SNAPSHOT, JIKU_KIND_ACCOUNT, cpanel_snapshot},
    {JIKU_VERB_BACKUP, JIKU_KIND_ACCOUNT, cpanel_backup},
    {JIKU_VERB_ROLLBACK, JIKU_KIND_ACCOUNT, cpanel_rollback},
    {JIKU_VERB_CLONE, JIKU_KIND_ACCOUNT, cpanel_clone},
    {JIKU_VERB_PRUNE, JIKU_KIND_ACCOUNT, cpanel_prune},
    {JIKU_VERB_VERIFY, JIKU_KIND_ACCOUNT, cpanel_verify},
    {JIKU_VERB_PROBE, JIKU_KIND_SOFTACULOUS, cpanel_soft_probe},
    {JIKU_VERB_SNAPSHOT, JIKU_KIND_SOFTACULOUS, cpanel_soft_snapshot},
    {JIKU_VERB_BACKUP, JIKU_KIND_SOFTACULOUS, cpanel_soft_backup},
    {JIKU_VERB_ROLLBACK, JIKU_KIND_SOFTACULOUS, cpanel_soft_rollback},
    {JIKU_VERB_STAGE, JIKU_KIND_SOFTACULOUS, cpanel_soft_stage},
    {JIKU_VERB_UNSTAGE, JIKU_KIND_SOFTACULOUS, cpanel_soft_unstage},
    {JIKU_VERB_PROMOTE, JIKU_KIND_SOFTACULOUS, cpanel_soft_promote},
    {JIKU_VERB_CLONE, JIKU_KIND_SOFTACULOUS, cpanel_soft_clone},
    {JIKU_VERB_PRUNE, JIKU_KIND_SOFTACULOUS, cpanel_soft_prune},
    {JIKU_VERB_VERIFY, JIKU_KIND_SOFTACULOUS, cpanel_soft_verify},
    {JIKU_VERB_UPDATE, JIKU_KIND_SOFTACULOUS, cpanel_soft_update},
    {JIKU_VERB_USERS, JIKU_KIND_SOFTACULOUS, cpanel_soft_users},
    {JIKU_VERB_PROBE, JIKU_KIND_WORDPRESS, cpanel_wp_probe},
    {JIKU_VERB_SNAPSHOT, JIKU_KIND_WORDPRESS, cpanel_wp_snapshot},
    {JIKU_VERB_BACKUP, JIKU_KIND_WORDPRESS, cpanel_wp_backup},
    {JIKU_VERB_ROLLBACK, JIKU_KIND_WORDPRESS, cpanel_wp_rollback},
    {JIKU_VERB_STAGE, JIKU_KIND_WORDPRESS, cpanel_wp_stage},
    {JIKU_VERB_UNSTAGE, JIKU_KIND_WORDPRESS, cpanel_wp_unstage},
    {JIKU_VERB_PROMOTE, JIKU_KIND_WORDPRESS, cpanel_wp_promote},
    {JIKU_VERB_CLONE, JIKU_KIND_WORDPRESS, cpanel_wp_clone},
    {JIKU_VERB_PRUNE, JIKU_KIND_WORDPRESS, cpanel_wp_prune},
    {JIKU_VERB_VERIFY, JIKU_KIND_WORDPRESS, cpanel_wp_verify},
    {JIKU_VERB_UPDATE, JIKU_KIND_WORDPRESS, cpanel_wp_update},
    {JIKU_VERB_USERS, JIKU_KIND_WORDPRESS, cpanel_wp_users},
    {JIKU_VERB_DISCOVER, JIKU_KIND_ACCOUNT, cpanel_discover},
    {JIKU_VERB_MAIL, JIKU_KIND_ACCOUNT, cpanel_mail},
};

/* Refusals that need no panel: before the core does anything. */
static int
cpanel_check(const struct jiku_op *op, enum jiku_verb verb, struct jiku_err *err)
{
    if (op->target != NULL && op->target->kind == JIKU_KIND_SOFTACULOUS)
        return cpanel_soft_check(op, verb, err);
    return 0;
}

/* WHM's session segment, /cpsess0123456789/, is a credential in a URL. */
static const char *const cpanel_secret_segments[] = {"cpsess", NULL};

/* The [server] keys of cPanel servers (jiku-agent.conf(5)), and what they are when unset. */
static const struct jiku_config_map cpanel_server_map[] = {
    {"softaculous_port", JIKU_CONFIG_INT, "2083", 1, 65535, NULL,
     offsetof(struct cpanel_settings, softaculous_port),
     "cPanel's own port (cpaneld), where Softaculous answers"},
    {"pkgacct_start_grace", JIKU_CONFIG_INT, "30", 1, 600, NULL,
     offsetof(struct cpanel_settings, pkgacct_start_grace),
     "seconds after a pkgacct start in which WHM may not know the job yet"},
    {"pkgacct_sessions_dir", JIKU_CONFIG_PATH, "/var/cpanel/pkgacct_sessions", 0, 0, NULL,
     offsetof(struct cpanel_settings, pkgacct_sessions_dir),
     "where WHM keeps its pkgacct sessions, whose end a snapshot waits for over SSH"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};
static const struct cpanel_settings cpanel_defaults = {2083, 30, "/var/cpanel/pkgacct_sessions"};

const struct cpanel_settings *
cpanel_settings(const struct jiku_server_info *srv)
{
    return srv != NULL && srv->settings != NULL ? srv->settings : &cpanel_defaults;
}

/*
 * What the core knows of cPanel (plugin.h; docs/WIRE.md §2.1): WHM's port, accounts by user,
 * its own keys.
 */
static const struct jiku_panel_facts cpanel_facts = {
    .api_port = 2087,
    .owner_object = "account",
    .valid_account = cpanel_valid_user,
    .account_syntax = "a cPanel user name ([a-z][a-z0-9]{0,15})",
    .admin_login = NULL, /* an account's owner is the reseller who sells it */
    .secret_headers = NULL,
    .secret_segments = cpanel_secret_segments,
    .api_password = false,
    .server_map = cpanel_server_map,
    .server_size = sizeof(struct cpanel_settings),
};

static const struct jiku_plugin cpanel_plugin = {
    .abi_version = JIKU_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jiku_plugin),
    .name = "cpanel",
    .version = CPANEL_PLUGIN_VERSION,
    .actions = cpanel_actions,
    .n_actions = sizeof(cpanel_actions) / sizeof(cpanel_actions[0]),
    .open = NULL,
    .close = NULL,
    .check = cpanel_check,
    .facts = &cpanel_facts,
};

JIKU_PLUGIN_EXPORT(cpanel, cpanel_plugin);
