/*
 * The staging lifecycle of `wordpress` targets (docs/WIRE.md §4): stage, unstage, promote, and
 * clone onto a new domain.  WP Toolkit's --clone needs an existing target domain, so the panel's
 * callbacks create it first.  What stage made is the agent's stage record (remote.h: "domain=D",
 * "created=1|0", and where WP Toolkit has no --remove, cPanel, "path=", "db=", "dbuser=" of the
 * clone), outside the staging site's own directory, which a clone with -force-overwrite empties:
 * unstage then removes exactly that.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wpt.h"

/*
 * The stage record: the staging domain and whether stage created it; where WP Toolkit has no
 * --remove (cPanel), also what the clone made: the site's directory, its database and the
 * database's user.  Unstage removes what it lists and drops each line once it is gone.
 */
struct marker {
    char *domain; /* NULL: nothing recorded */
    bool created;
    char *path;   /* the staging site's directory, or NULL */
    char *db;     /* its database, or NULL */
    char *dbuser; /* its database user, or NULL */
};

static void
marker_release(struct marker *m)
{
    free(m->domain);
    free(m->path);
    free(m->db);
    free(m->dbuser);
    memset(m, 0, sizeof(*m));
}

/* A MySQL database or user name, as the stage record may hold it. */
static bool
valid_db_name(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static int
marker_read(struct jiku_op *op, struct marker *m, struct jiku_err *err)
{
    struct jiku_buf rec = JIKU_BUF_INIT;
    char *created = NULL;
    int r;

    memset(m, 0, sizeof(*m));
    if ((r = plug_stage_record_read(op, &rec, err)) != 0)
        goto out;
    m->domain = plug_record_get(rec.data, "domain");
    if (m->domain != NULL && !wpt_valid_domain(m->domain)) {
        free(m->domain);
        m->domain = NULL;
    }
    created = plug_record_get(rec.data, "created");
    m->created = m->domain != NULL && created != NULL && strcmp(created, "1") == 0;
    if (m->domain != NULL) {
        m->path = plug_record_get(rec.data, "path");
        m->db = plug_record_get(rec.data, "db");
        m->dbuser = plug_record_get(rec.data, "dbuser");
    }
    /* A record the agent did not write as such names nothing to remove. */
    if (m->path != NULL && !plug_valid_path(m->path)) {
        free(m->path);
        m->path = NULL;
    }
    if (m->db != NULL && !valid_db_name(m->db)) {
        free(m->db);
        m->db = NULL;
    }
    if (m->dbuser != NULL && !valid_db_name(m->dbuser)) {
        free(m->dbuser);
        m->dbuser = NULL;
    }
out:
    free(created);
    jiku_buf_release(&rec);
    return r;
}

/* The record: DOMAIN and CREATED, and PATH, DB, DBUSER where not NULL. */
static int
marker_write(struct jiku_op *op, const char *domain, bool created, const char *path, const char *db,
             const char *dbuser, struct jiku_err *err)
{
    struct jiku_buf l[4] = {JIKU_BUF_INIT, JIKU_BUF_INIT, JIKU_BUF_INIT, JIKU_BUF_INIT};
    const char *lines[6] = {NULL};
    size_t n = 0;
    int r = 0;

    if (jiku_buf_addf(&l[0], "domain=%s", domain) != 0 ||
        (path != NULL && jiku_buf_addf(&l[1], "path=%s", path) != 0) ||
        (db != NULL && jiku_buf_addf(&l[2], "db=%s", db) != 0) ||
        (dbuser != NULL && jiku_buf_addf(&l[3], "dbuser=%s", dbuser) != 0))
        r = plug_nomem(err);
    if (r == 0) {
        lines[n++] = l[0].data;
        lines[n++] = created ? "created=1" : "created=0";
        for (size_t i = 1; i < 4; i++)
            if (l[i].len > 0)
                lines[n++] = l[i].data;
        r = plug_stage_record_write(op, lines, err);
    }
    for (size_t i = 0; i < 4; i++)
        jiku_buf_release(&l[i]);
    return r;
}

/* M as the record again (after unstage removed one of its parts). */
static int
marker_rewrite(struct jiku_op *op, const struct marker *m, struct jiku_err *err)
{
    return marker_write(op, m->domain, m->created, m->path, m->db, m->dbuser, err);
}

/* The site's blog_public option into *VALUE (malloc()ed). */
static int
get_blog_public(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_instance *inst,
                char **value, struct jiku_err *err)
{
    static const char *const w[] = {"option", "get", "blog_public", NULL};
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    int r;

    if ((r = wpt_wp_cli(panel, op, inst->id, w, true, &res, err)) != 0)
        return r;
    jiku_buf_rtrim(&res.out);
    if ((*value = strdup(res.out.data)) == NULL)
        r = plug_nomem(err);
    jiku_exec_result_release(&res);
    return r;
}

static int
set_blog_public(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_instance *inst,
                const char *value, struct jiku_err *err)
{
    const char *w[] = {"option", "update", "blog_public", value, NULL};

    return wpt_wp_cli(panel, op, inst->id, w, false, NULL, err);
}

/* `--clone` of LIVE onto DOMAIN's document root, as a detached job. */
static int
clone_onto(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_instance *live,
           const char *domain, bool overwrite, const char *step, bool *running,
           struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    char *job = NULL, iid[32];
    int r;

    snprintf(iid, sizeof(iid), "%lld", live->id);
    if ((r = plug_job_dir(op->server, op->params->operation_id, step, &job, err)) != 0)
        return r;
    {
        const char *w[] = {"--clone",
                           "-source-instance-id",
                           iid,
                           "-target-domain-name",
                           domain,
                           "-force-overwrite",
                           overwrite ? "yes" : "no",
                           "-format",
                           "json",
                           NULL};

        if (wpt_cmd(panel, &cmd, w) != 0) {
            r = plug_nomem(err);
            goto out;
        }
    }
    op->host->log(op, JIKU_LOG_INFO, "cloning WordPress instance %s ('%s') onto '%s' on '%s'", iid,
                  live->site_url, domain, op->server->name);
    r = plug_job_run(op, NULL, job, cmd.data, "WP Toolkit --clone", false, running, err);
out:
    jiku_buf_release(&cmd);
    free(job);
    return r;
}

int
wpt_staging_domain(struct jiku_op *op, const char *purpose, char **domain, struct jiku_err *err)
{
    struct marker m = {0};
    const char *d;
    int r;

    *domain = NULL;
    if ((r = marker_read(op, &m, err)) != 0)
        return r;
    d = m.domain != NULL ? m.domain : op->target->staging_domain;
    if (d == NULL)
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "'%s' has no staging copy %s", op->target->id,
                         purpose);
    else if ((*domain = strdup(d)) == NULL)
        r = plug_nomem(err);
    marker_release(&m);
    return r;
}

/* `wp config get NAME` of INST: a constant of its wp-config.php, read by wp-cli. */
static int
config_get(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_instance *inst,
           const char *name, char **value, struct jiku_err *err)
{
    const char *w[] = {"config", "get", name, NULL};
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    int r;

    *value = NULL;
    if ((r = wpt_wp_cli(panel, op, inst->id, w, true, &res, err)) != 0)
        return r;
    jiku_buf_rtrim(&res.out);
    if (!valid_db_name(res.out.data))
        r = jiku_err_set(err, JIKU_E_DATA, "the staging site '%s' has an unusable %s '%.100s'",
                         inst->site_url, name, res.out.data);
    else if ((*value = strdup(res.out.data)) == NULL)
        r = plug_nomem(err);
    jiku_exec_result_release(&res);
    return r;
}

/*
 * Where WP Toolkit has no --remove: record what the clone SI made (its directory, database and
 * database user, read from its wp-config.php right after the clone) so that unstage removes
 * exactly that.  A database an earlier stage made and this clone replaced is removed now.
 */
static int
record_clone(const struct wpt_panel *panel, struct jiku_op *op, const struct marker *old,
             const char *domain, bool created, const struct wpt_instance *si, char **db,
             char **dbuser, struct jiku_err *err)
{
    struct jiku_err e = {0};
    int r;

    if ((r = config_get(panel, op, si, "DB_NAME", db, err)) != 0 ||
        (r = config_get(panel, op, si, "DB_USER", dbuser, err)) != 0 ||
        (r = marker_write(op, domain, created, si->full_path, *db, *dbuser, err)) != 0)
        return r;
    if (old->db != NULL && strcmp(old->db, *db) != 0 &&
        panel->remove_db(op, op->target->account, old->db, NULL, &e) != 0)
        op->host->log(op, JIKU_LOG_WARN,
                      "the database '%s' of the previous staging copy is left: %s", old->db, e.msg);
    jiku_err_clear(&e);
    if (old->dbuser != NULL && strcmp(old->dbuser, *dbuser) != 0 &&
        panel->remove_db(op, op->target->account, NULL, old->dbuser, &e) != 0)
        op->host->log(op, JIKU_LOG_WARN,
                      "the database user '%s' of the previous staging copy is left: %s",
                      old->dbuser, e.msg);
    jiku_err_clear(&e);
    return 0;
}

int
wpt_stage(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err)
{
    const char *domain =
        op->params->domain != NULL ? op->params->domain : op->target->staging_domain;
    struct wpt_site live, stg;
    struct wpt_instance li = {0}, si = {0};
    struct marker m = {0};
    char *value = NULL, *db = NULL, *dbuser = NULL;
    bool running = false, created = false, adopted = false;
    int r, exists;

    if (domain == NULL)
        return jiku_err_set(err, JIKU_E_USAGE,
                            "stage of '%s' needs --domain or the target's staging_domain",
                            op->target->id);
    if ((r = wpt_target_site(panel, op, NULL, &live, err)) != 0 ||
        (r = wpt_target_site(panel, op, domain, &stg, err)) != 0)
        return r;
    if (strcasecmp(stg.domain, live.domain) == 0)
        return jiku_err_set(err, JIKU_E_USAGE, "the staging domain of '%s' is its own domain '%s'",
                            op->target->id, live.domain);
    if ((r = marker_read(op, &m, err)) != 0)
        return r;
    if (m.domain != NULL && strcasecmp(m.domain, stg.domain) != 0) {
        r = jiku_err_set(err, JIKU_E_USAGE,
                         "'%s' is staged on '%s'; unstage it before staging on '%s'",
                         op->target->id, m.domain, stg.domain);
        goto out;
    }
    if ((r = wpt_resolve_site(panel, op, &live, &li, err)) != 0)
        goto out;
    if ((exists = panel->domain_exists(op, live.account, stg.domain, err)) < 0) {
        r = exists;
        goto out;
    }
    if (exists && m.domain == NULL) {
        /* A domain stage did not make: never overwrite a site someone else put there. */
        if ((r = wpt_exists(panel, op, &stg, err)) < 0)
            goto out;
        if (r == 1) {
            r = jiku_err_set(err, JIKU_E_PANEL,
                             "'%s' already holds a WordPress site that stage did not make; "
                             "nothing done",
                             stg.domain);
            goto out;
        }
        if ((r = marker_write(op, stg.domain, false, NULL, NULL, NULL, err)) != 0)
            goto out;
        adopted = true;
    } else if (!exists) {
        /* Recorded first, so that an interruption cannot leave a domain nobody removes. */
        if ((r = marker_write(op, stg.domain, true, NULL, NULL, NULL, err)) != 0)
            goto out;
        if ((r = panel->create_domain(op, live.account, stg.domain, err)) != 0) {
            plug_stage_record_remove(op);
            goto out;
        }
        created = true;
    }
    /*
     * Overwrite only what an earlier stage made: a domain that existed before gets a clone only
     * while its document root is empty (WP Toolkit refuses otherwise).
     */
    if ((r = clone_onto(panel, op, &li, stg.domain, m.domain != NULL || created, "stage", &running,
                        err)) != 0) {
        /* A domain that was not ours and got no copy stays not ours. */
        if (adopted && !running)
            plug_stage_record_remove(op);
        goto out;
    }
    if ((r = wpt_resolve_site(panel, op, &stg, &si, err)) != 0) {
        jiku_err_prefix(err, "the clone reported success");
        goto out;
    }
    if (panel->remove_db != NULL &&
        (r = record_clone(panel, op, &m, stg.domain, created || m.created, &si, &db, &dbuser,
                          err)) != 0)
        goto out;
    if ((r = set_blog_public(panel, op, &si, "0", err)) != 0 ||
        (r = get_blog_public(panel, op, &si, &value, err)) != 0)
        goto out;
    if (strcmp(value, "0") != 0) {
        r = jiku_err_set(err, JIKU_E_PANEL,
                         "the staging site '%s' still has blog_public '%.20s' after it was set to "
                         "0",
                         si.site_url, value);
        goto out;
    }
    if (plug_strfmt(&op->result->details,
                    "staged '%s' onto '%s' (instance %lld%s); search engines discouraged",
                    li.site_url, si.site_url, si.id, created ? ", domain created" : "") != 0)
        op->result->details = NULL;
out:
    marker_release(&m);
    wpt_instance_release(&li);
    wpt_instance_release(&si);
    free(value);
    free(db);
    free(dbuser);
    return r;
}

/*
 * Remove PATH, the staging site's directory that stage recorded, as the account's owner: the
 * whole directory when stage created its domain (it goes with the domain), its content when
 * the domain existed before.  Only inside the account's directory, and never where another
 * WordPress site (live included) still is, in it or around it.
 */
static int
remove_site_files(const struct wpt_panel *panel, struct jiku_op *op, const char *path, bool created,
                  struct jiku_err *err)
{
    static const char rm_dir[] = "rm -rf -- \"$1\"";
    static const char rm_content[] = "[ ! -d \"$1\" ] || find \"$1\" -mindepth 1 -delete";
    const char *args[] = {path, NULL};
    struct wpt_list list = {0};
    char *base = NULL, *owner = NULL;
    int r;

    if ((r = panel->account_base(op, op->target->account, &base, &owner, err)) != 0)
        goto out;
    if (!plug_path_inside(path, base)) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "the recorded staging directory '%s' is not inside the account's "
                         "directory '%s': refusing to remove it",
                         path, base);
        goto out;
    }
    if ((r = wpt_list(panel, op, &list, err)) != 0)
        goto out;
    for (size_t i = 0; i < list.n; i++) {
        const char *p = list.items[i].full_path;

        if (strcmp(p, path) == 0 || plug_path_inside(p, path) || plug_path_inside(path, p)) {
            r = jiku_err_set(err, JIKU_E_DATA,
                             "WordPress site '%.200s' (instance %lld) is in '%s': refusing to "
                             "remove the staging directory '%s'",
                             list.items[i].site_url, list.items[i].id, p, path);
            goto out;
        }
    }
    op->host->log(op, JIKU_LOG_INFO, "removing the staging site's files in '%s' on '%s'", path,
                  op->server->name);
    r = plug_run_as_owner(op, NULL, owner, NULL, created ? rm_dir : rm_content, args, 4096,
                          "removing the staging site's files", NULL, err);
out:
    wpt_list_release(&list);
    free(base);
    free(owner);
    return r;
}

/*
 * What the clone made, as M records it: files, database, database user.  Each part leaves
 * the record once it is gone, so an unstage that stopped half-way is run again safely.  A
 * DONE that cannot grow does not stop the removal: it is reported once everything is gone.
 */
static int
remove_made(const struct wpt_panel *panel, struct jiku_op *op, struct marker *m,
            struct jiku_buf *done, struct jiku_err *err)
{
    const char *account = op->target->account;
    int r, noted = 0;

    if (m->path != NULL) {
        if ((r = remove_site_files(panel, op, m->path, m->created, err)) != 0)
            return r;
        noted |=
            jiku_buf_addf(done, "%sremoved its files in '%s'", done->len > 0 ? "; " : "", m->path);
        free(m->path);
        m->path = NULL;
        if ((r = marker_rewrite(op, m, err)) != 0)
            return r;
    }
    if (m->db != NULL) {
        if ((r = panel->remove_db(op, account, m->db, NULL, err)) != 0)
            return r;
        noted |=
            jiku_buf_addf(done, "%sremoved the database '%s'", done->len > 0 ? "; " : "", m->db);
        free(m->db);
        m->db = NULL;
        if ((r = marker_rewrite(op, m, err)) != 0)
            return r;
    }
    if (m->dbuser != NULL) {
        if ((r = panel->remove_db(op, account, NULL, m->dbuser, err)) != 0)
            return r;
        noted |= jiku_buf_addf(done, "%sremoved the database user '%s'", done->len > 0 ? "; " : "",
                               m->dbuser);
        free(m->dbuser);
        m->dbuser = NULL;
        if ((r = marker_rewrite(op, m, err)) != 0)
            return r;
    }
    return noted != 0 ? plug_nomem(err) : 0;
}

int
wpt_unstage(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err)
{
    const char *domain;
    struct wpt_site stg;
    struct wpt_instance si = {0};
    struct marker m = {0};
    struct jiku_buf cmd = JIKU_BUF_INIT, done = JIKU_BUF_INIT;
    int r, n, noted = 0;

    if ((r = marker_read(op, &m, err)) != 0)
        return r;
    /* Only what the agent's own stage record says it made is ever removed. */
    if (m.domain == NULL) {
        r = jiku_err_set(err, JIKU_E_NOTFOUND,
                         "'%s' has no staging copy the agent made on '%s' (no stage record): "
                         "refusing to remove anything",
                         op->target->id, op->server->name);
        goto out;
    }
    domain = m.domain;
    if (op->params->domain != NULL && strcmp(op->params->domain, domain) != 0) {
        r = jiku_err_set(err, JIKU_E_USAGE,
                         "the agent staged '%s' on '%s', not '%s': refusing to remove '%s'",
                         op->target->id, domain, op->params->domain, op->params->domain);
        goto out;
    }
    if ((r = wpt_target_site(panel, op, domain, &stg, err)) != 0)
        goto out;
    if ((n = wpt_exists(panel, op, &stg, err)) < 0) {
        r = n;
        goto out;
    }
    if (n == 1) {
        /* Plesk: --remove takes files and database; cPanel's WP Toolkit has only --detach. */
        const char *verb = panel->remove_db == NULL ? "--remove" : "--detach";
        char iid[32];

        if ((r = wpt_resolve_site(panel, op, &stg, &si, err)) != 0)
            goto out;
        if (panel->remove_db != NULL && m.path != NULL && strcmp(si.full_path, m.path) != 0) {
            r = jiku_err_set(err, JIKU_E_DATA,
                             "the staging site '%s' is in '%s', not in '%s' where stage made it: "
                             "refusing to remove anything",
                             si.site_url, si.full_path, m.path);
            goto out;
        }
        snprintf(iid, sizeof(iid), "%lld", si.id);
        {
            const char *w[] = {verb, "-instance-id", iid, "-format", "json", NULL};

            if (wpt_cmd(panel, &cmd, w) != 0) {
                r = plug_nomem(err);
                goto out;
            }
        }
        if ((r = plug_run(op, NULL, cmd.data, false, 65536,
                          panel->remove_db == NULL ? "WP Toolkit --remove" : "WP Toolkit --detach",
                          NULL, err)) != 0)
            goto out;
        /* Checked once the staging copy is gone: a message does not stop the removal. */
        noted |=
            jiku_buf_addf(&done, "%s the staging site '%s' (instance %lld)",
                          panel->remove_db == NULL ? "removed" : "detached", si.site_url, si.id);
    }
    if (panel->remove_db != NULL && (r = remove_made(panel, op, &m, &done, err)) != 0)
        goto out;
    if (m.created) {
        /* remove_domain copes with a domain already gone: its document root may be left. */
        if ((r = panel->remove_domain(op, op->target->account, stg.domain, err)) != 0)
            goto out;
        noted |=
            jiku_buf_addf(&done, "%sremoved the domain '%s'", done.len > 0 ? "; " : "", stg.domain);
    }
    plug_stage_record_remove(op);
    if (done.len == 0)
        noted |= jiku_buf_addf(&done, "nothing left of the staging copy on '%s'", stg.domain);
    if (noted != 0) {
        r = plug_nomem(err);
        goto out;
    }
    op->result->details = jiku_buf_detach(&done);
out:
    marker_release(&m);
    wpt_instance_release(&si);
    jiku_buf_release(&cmd);
    jiku_buf_release(&done);
    return r;
}

int
wpt_promote(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err)
{
    const char *mode = op->target->promote_db != NULL ? op->target->promote_db : "all";
    struct wpt_site live, stg;
    struct wpt_instance li = {0}, si = {0};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    char *before = NULL, *after = NULL, *job = NULL, *domain = NULL, sid[32], lid[32];
    bool running = false;
    int r;

    if (strcmp(mode, "all") != 0 && strcmp(mode, "default") != 0 && strcmp(mode, "none") != 0)
        return jiku_err_set(err, JIKU_E_CONFIG, "promote_db of '%s' is '%s', not all|default|none",
                            op->target->id, mode);
    if ((r = wpt_staging_domain(op, "to promote", &domain, err)) != 0)
        return r;
    if ((r = wpt_target_site(panel, op, NULL, &live, err)) != 0 ||
        (r = wpt_target_site(panel, op, domain, &stg, err)) != 0 ||
        (r = plug_job_dir(op->server, op->params->operation_id, "promote", &job, err)) != 0)
        goto out;
    if ((r = wpt_resolve_site(panel, op, &stg, &si, err)) != 0 ||
        (r = wpt_resolve_site(panel, op, &live, &li, err)) != 0)
        goto out;
    /* Staging's copy lacks them, and -files-remove-missing (below) would delete them. */
    r = wpt_refuse_nested(&li, JIKU_E_FAILED,
                          "promote makes live exactly staging and would remove them", err);
    if (r != 0)
        goto out;
    if ((r = get_blog_public(panel, op, &li, &before, err)) != 0)
        goto out;
    snprintf(sid, sizeof(sid), "%lld", si.id);
    snprintf(lid, sizeof(lid), "%lld", li.id);
    {
        /*
         * "none" copies files only: -data-to-copy files is WP Toolkit's documented way.  Live
         * becomes exactly staging: without -files-remove-missing yes, copy-data keeps the files
         * live has and staging lacks (the option of cPanel's and Plesk's WP Toolkit CLI
         * documentation).
         */
        bool files_only = strcmp(mode, "none") == 0;
        const char *w[] = {"--copy-data",
                           "-source-instance-id",
                           sid,
                           "-target-instance-id",
                           lid,
                           "-data-to-copy",
                           files_only ? "files" : "all",
                           "-files-remove-missing",
                           "yes",
                           "-create-restore-point",
                           "yes",
                           "-format",
                           "json",
                           files_only ? NULL : "-db-tables-copy-mode",
                           mode,
                           NULL};

        if (wpt_cmd(panel, &cmd, w) != 0) {
            r = plug_nomem(err);
            goto out;
        }
    }
    op->host->log(op, JIKU_LOG_INFO,
                  "promoting '%s' (instance %s) onto '%s' (instance %s), "
                  "database mode %s",
                  si.site_url, sid, li.site_url, lid, mode);
    JIKU_OP_SET_CHANGED(op); /* --copy-data writes onto live */
    if ((r = plug_job_run(op, NULL, job, cmd.data, "WP Toolkit --copy-data", false, &running,
                          err)) != 0)
        goto out;
    /* A non-indexed staging site must not make live non-indexed. */
    wpt_instance_release(&li);
    if ((r = wpt_resolve_site(panel, op, &live, &li, err)) != 0 ||
        (r = get_blog_public(panel, op, &li, &after, err)) != 0)
        goto out;
    if (strcmp(before, after) != 0 && (r = set_blog_public(panel, op, &li, before, err)) != 0)
        goto out;
    if (plug_strfmt(&op->result->details, "promoted '%s' onto '%s' (database: %s)", si.site_url,
                    li.site_url, mode) != 0)
        op->result->details = NULL;
out:
    wpt_instance_release(&li);
    wpt_instance_release(&si);
    jiku_buf_release(&cmd);
    free(before);
    free(after);
    free(job);
    free(domain);
    return r;
}

int
wpt_clone(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err)
{
    struct wpt_site live, dst;
    struct wpt_instance li = {0}, ni = {0};
    bool running = false, created = false;
    int r, exists;

    if (op->params->domain == NULL)
        return jiku_err_set(err, JIKU_E_USAGE, "clone of a WordPress site needs --domain");
    if (op->params->dest_server != NULL)
        return jiku_err_set(err, JIKU_E_USAGE,
                            "a WordPress site is cloned onto a domain (--domain), not a server");
    if ((r = wpt_target_site(panel, op, NULL, &live, err)) != 0 ||
        (r = wpt_target_site(panel, op, op->params->domain, &dst, err)) != 0)
        return r;
    if (strcasecmp(dst.domain, live.domain) == 0)
        return jiku_err_set(err, JIKU_E_USAGE, "cannot clone '%s' onto its own domain",
                            op->target->id);
    if ((r = wpt_resolve_site(panel, op, &live, &li, err)) != 0)
        goto out;
    if ((exists = panel->domain_exists(op, live.account, dst.domain, err)) < 0) {
        r = exists;
        goto out;
    }
    if (exists) {
        if ((r = wpt_exists(panel, op, &dst, err)) < 0)
            goto out;
        if (r == 1) {
            r = jiku_err_set(err, JIKU_E_PANEL, "'%s' already holds a WordPress site; nothing done",
                             dst.domain);
            goto out;
        }
    } else {
        if ((r = panel->create_domain(op, live.account, dst.domain, err)) != 0)
            goto out;
        created = true;
    }
    /* Never overwrite: a domain that has files keeps them and the clone fails. */
    if ((r = clone_onto(panel, op, &li, dst.domain, false, "clone", &running, err)) != 0 ||
        (r = wpt_resolve_site(panel, op, &dst, &ni, err)) != 0)
        goto out;
    if (plug_strfmt(&op->result->details, "cloned '%s' onto '%s' (instance %lld%s)", li.site_url,
                    ni.site_url, ni.id, created ? ", domain created" : "") != 0)
        op->result->details = NULL;
out:
    if (r != 0 && created && !running) {
        struct jiku_err e = {0};

        if (panel->remove_domain(op, live.account, dst.domain, &e) != 0)
            op->host->log(op, JIKU_LOG_WARN, "cannot remove the domain '%s' made for the clone: %s",
                          dst.domain, e.msg);
    }
    wpt_instance_release(&li);
    wpt_instance_release(&ni);
    return r;
}
