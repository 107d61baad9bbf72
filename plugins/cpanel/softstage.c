/*
 * Copies of a Softaculous installation (docs/WIRE.md §5.2): stage = act=staging, promote =
 * act=pushtolive, clone = act=sclone, unstage = act=remove; a copy lives at the root of its
 * domain, which is created first when missing and, for staging, marked as the agent's so that
 * unstage removes it and nothing else.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cpanel_remote.h"
#include "softaculous.h"

/* snapshot_dir/U/.jiku-domains/DOMAIN: the mark of a domain the agent created for a copy. */
static int
domain_mark(struct jiku_op *op, const char *user, const char *domain, char **dir, char **mark,
            struct jiku_err *err)
{
    char *user_dir = NULL;
    int r;

    *mark = NULL;
    if ((r = cpanel_snapshot_paths(op->server, user, ".jiku-domains", &user_dir, dir, err)) != 0)
        return r;
    free(user_dir);
    if (plug_strfmt(mark, "%s/%s", *dir, domain) != 0) {
        *mark = NULL;
        free(*dir);
        *dir = NULL;
        return plug_nomem(err);
    }
    return 0;
}

/* DOMAIN exists for USER afterwards; *CREATED when this call made it (and, MARK, marked it). */
static int
ensure_domain(struct jiku_op *op, const char *user, const char *domain, bool mark, bool *created,
              struct jiku_err *err)
{
    char *dir = NULL, *file = NULL, *user_dir = NULL;
    int r;

    *created = false;
    if ((r = cpanel_domain_exists(op, user, domain, err)) != 0)
        return r == 1 ? 0 : r;
    if (mark) {
        /* Marked first: a domain made but not marked would outlive unstage. */
        if ((r = domain_mark(op, user, domain, &dir, &file, err)) != 0)
            return r;
        if ((r = cpanel_snapshot_paths(op->server, user, ".jiku-domains", &user_dir, NULL, err)) ==
            0) {
            const char *dirs[] = {user_dir, dir, NULL};
            const char *touch[] = {"sh", "-c", ": >\"$1\" && chmod 600 \"$1\"", "sh", file, NULL};

            if ((r = plug_remote_mkdirs(op, NULL, dirs, err)) == 0)
                r = cpanel_soft_run_words(op, touch, "touch", err);
        }
    }
    if (r == 0 && (r = cpanel_domain_create(op, user, domain, err)) == 0)
        *created = true;
    if (r != 0 && file != NULL) {
        struct jiku_err e = {0};

        plug_remote_remove(op, NULL, file, &e);
    }
    free(user_dir);
    free(dir);
    free(file);
    return r;
}

static void
remove_domain_quietly(struct jiku_op *op, const char *user, const char *domain)
{
    char *dir = NULL, *file = NULL;
    struct jiku_err e = {0};

    if (cpanel_domain_remove(op, user, domain, &e) != 0)
        op->host->log(op, JIKU_LOG_WARN, "cannot remove domain '%s': %s", domain, e.msg);
    else if (domain_mark(op, user, domain, &dir, &file, &e) == 0)
        plug_remote_remove(op, NULL, file, &e);
    free(dir);
    free(file);
}

/* The domain removed when the agent's mark says it created it; *REMOVED then. */
static int
remove_created_domain(struct jiku_op *op, const char *user, const char *domain, bool *removed,
                      struct jiku_err *err)
{
    char *dir = NULL, *file = NULL;
    int r;

    *removed = false;
    if ((r = domain_mark(op, user, domain, &dir, &file, err)) != 0)
        return r;
    if ((r = cpanel_remote_exists(op, NULL, file, err)) == 1) {
        if ((r = cpanel_domain_exists(op, user, domain, err)) == 1 &&
            (r = cpanel_domain_remove(op, user, domain, err)) == 0)
            *removed = true;
        if (r == 0)
            r = plug_remote_remove(op, NULL, file, err);
    } else if (r == 0) {
        op->host->log(op, JIKU_LOG_INFO, "domain '%s' was not made by the agent: left in place",
                      domain);
    }
    free(dir);
    free(file);
    return r;
}

/* The staging domain of this operation: --domain, else the target's staging_domain. */
static int
staging_domain(struct jiku_op *op, const char **out, struct jiku_err *err)
{
    const char *d = op->params->domain != NULL ? op->params->domain : op->target->staging_domain;

    if (d == NULL)
        return jiku_err_set(err, JIKU_E_USAGE, "target '%s' has no staging_domain (or --domain)",
                            op->target->id);
    if (!cpanel_soft_valid_domain(d))
        return jiku_err_set(err, JIKU_E_USAGE, "invalid domain '%s'", d);
    if (strcasecmp(d, op->target->domain) == 0)
        return jiku_err_set(err, JIKU_E_USAGE, "the staging domain of '%s' is its own domain",
                            op->target->id);
    *out = d;
    return 0;
}

/*
 * A short database name for a copy (1-16 of [a-z0-9_], prefixed U_ by Softaculous): the
 * target's name, a kind letter and the time in base 36, so that a copy made again later does
 * not meet the old database.
 */
static void
copy_db_name(const struct jiku_target_info *t, char kind, char out[17])
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    unsigned long long now = (unsigned long long)time(NULL);
    char stamp[16];
    size_t n = 0, k = 0;

    for (const char *s = t->name; s != NULL && *s != '\0' && n < 7; s++)
        if (isalnum((unsigned char)*s))
            out[n++] = (char)tolower((unsigned char)*s);
    if (n == 0)
        out[n++] = 'a';
    out[n++] = '_';
    out[n++] = kind;
    do {
        stamp[k++] = digits[now % 36];
        now /= 36;
    } while (now > 0 && k < 6);
    while (k > 0)
        out[n++] = stamp[--k];
    out[n] = '\0';
}

/* A copy (staging or sclone) of the live installation at the root of DOMAIN; its new id. */
static int
make_copy(struct jiku_op *op, struct cpanel_soft_ctx *c, const char *act, const char *domain,
          char **insid, struct jiku_err *err)
{
    struct cpanel_soft_ins there = {0};
    const struct cpanel_param q[] = {{"insid", c->live.insid}};
    char db[17];
    int r;

    copy_db_name(op->target, strcmp(act, "staging") == 0 ? 's' : 'c', db);
    {
        const struct cpanel_param form[] = {
            {"softsubmit", "1"}, {"softdomain", domain}, {"softdirectory", ""}, {"softdb", db}};

        if ((r = cpanel_soft_run_task(op, c, act, q, 1, form, 4, NULL, err)) != 0)
            return r;
    }
    if ((r = cpanel_soft_ins_at(op, c, domain, "", NULL, &there, err)) != 0) {
        jiku_err_prefix(err, "Softaculous reported the %s done", act);
        return r;
    }
    *insid = there.insid;
    there.insid = NULL;
    cpanel_soft_ins_release(&there);
    return 0;
}

/* No installation may already sit at the root of DOMAIN. */
static int
domain_free(struct jiku_op *op, struct cpanel_soft_ctx *c, const char *domain, struct jiku_err *err)
{
    struct cpanel_soft_ins there = {0};
    int r = cpanel_soft_ins_at(op, c, domain, "", NULL, &there, err);

    if (r == 0)
        r = jiku_err_set(err, JIKU_E_PANEL, "'%s' already holds installation '%s'%s: nothing done",
                         domain, there.insid,
                         there.is_staging ? " (a staging copy; unstage it first)" : "");
    else if (r == JIKU_E_NOTFOUND) {
        jiku_err_clear(err);
        r = 0;
    }
    cpanel_soft_ins_release(&there);
    return r;
}

/* The agent's stage record (remote.h): the staging installation it made, and where. */
static int
record_stage(struct jiku_op *op, const char *insid, const char *domain, struct jiku_err *err)
{
    struct jiku_buf i = JIKU_BUF_INIT, d = JIKU_BUF_INIT;
    int r;

    if (jiku_buf_addf(&i, "insid=%s", insid) != 0 || jiku_buf_addf(&d, "domain=%s", domain) != 0)
        r = plug_nomem(err);
    else
        r = plug_stage_record_write(op, (const char *const[]){i.data, d.data, NULL}, err);
    if (r != 0)
        jiku_err_prefix(err, "staged as installation '%s' on %s, but", insid, domain);
    jiku_buf_release(&i);
    jiku_buf_release(&d);
    return r;
}

/* Remove installation INSID (a staging copy the agent made) whole: files, data, database, user. */
static int
remove_copy(struct jiku_op *op, struct cpanel_soft_ctx *c, const char *insid, struct jiku_err *err)
{
    const struct cpanel_param q[] = {{"insid", insid}};
    const struct cpanel_param form[] = {{"removeins", "1"},
                                        {"remove_dir", "1"},
                                        {"remove_datadir", "1"},
                                        {"remove_db", "1"},
                                        {"remove_dbuser", "1"}};
    json_t *root = NULL;
    int r;

    /* Synchronous: the answer is the removal's result. */
    r = cpanel_soft_call(op, &c->sess, "remove", q, 1, form, 5, true, &root, err);
    json_decref(root);
    return r;
}

/*
 * A stage onto DOMAIN where the agent's own earlier stage left its staging copy refreshes it:
 * that copy (and only that one, as the stage record names it) is removed first, the domain
 * kept.  *REFRESHED is set when one was removed.
 */
static int
drop_own_copy(struct jiku_op *op, struct cpanel_soft_ctx *c, const char *domain, bool *refreshed,
              struct jiku_err *err)
{
    struct cpanel_soft_ins st = {0};
    char *insid = NULL, *recorded = NULL;
    int r;

    *refreshed = false;
    r = cpanel_soft_read_stage_record(op, "refresh", &insid, &recorded, err);
    if (r == JIKU_E_NOTFOUND || (r == 0 && strcasecmp(recorded, domain) != 0)) {
        jiku_err_clear(err);
        r = 0;
        goto out;
    }
    if (r != 0)
        goto out;
    r = cpanel_soft_recorded_staging(op, c, insid, recorded, &st, err);
    if (r == JIKU_E_NOTFOUND) {
        jiku_err_clear(err);
        r = 0;
    } else if (r == 0 && (r = remove_copy(op, c, st.insid, err)) == 0) {
        *refreshed = true;
    }
out:
    cpanel_soft_ins_release(&st);
    free(insid);
    free(recorded);
    return r;
}

int
cpanel_soft_stage(struct jiku_op *op, struct jiku_err *err)
{
    struct cpanel_soft_ctx c;
    const char *domain = NULL;
    char *insid = NULL;
    bool created = false, refreshed = false;
    int r;

    memset(&c, 0, sizeof(c));
    if ((r = staging_domain(op, &domain, err)) != 0)
        return r;
    if ((r = cpanel_soft_open_live(op, &c, err)) != 0)
        goto out;
    if (c.live.is_staging) {
        r = jiku_err_set(err, JIKU_E_PANEL, "installation '%s' of '%s' is itself a staging copy",
                         c.live.insid, op->target->id);
        goto out;
    }
    if ((r = drop_own_copy(op, &c, domain, &refreshed, err)) != 0 ||
        (r = domain_free(op, &c, domain, err)) != 0 ||
        (r = ensure_domain(op, c.user, domain, true, &created, err)) != 0)
        goto out;
    if ((r = make_copy(op, &c, "staging", domain, &insid, err)) != 0) {
        if (created)
            remove_domain_quietly(op, c.user, domain);
        goto out;
    }
    if ((r = record_stage(op, insid, domain, err)) != 0)
        goto out;
    if (plug_strfmt(&op->result->details, "staged '%s' as installation '%s' on %s%s%s",
                    c.live.insid, insid, domain, created ? " (domain created)" : "",
                    refreshed ? " (the earlier staging copy replaced)" : "") != 0)
        op->result->details = NULL;
out:
    free(insid);
    cpanel_soft_ctx_release(&c);
    return r;
}

/*
 * The staging copy the agent's stage record names (INSID, made on DOMAIN): Softaculous's own
 * staging keys (is_staging, live_insid) are in no documented answer, so they are not needed;
 * one that is shown and disagrees stops the operation all the same.  JIKU_E_NOTFOUND when
 * the installation is no longer listed.
 */
int
cpanel_soft_recorded_staging(struct jiku_op *op, struct cpanel_soft_ctx *c, const char *insid,
                             const char *domain, struct cpanel_soft_ins *out, struct jiku_err *err)
{
    int r;

    if ((r = cpanel_soft_ins_at(op, c, NULL, NULL, insid, out, err)) != 0)
        return r;
    if (out->domain == NULL || strcasecmp(out->domain, domain) != 0 || *out->directory != '\0')
        r = jiku_err_set(err, JIKU_E_DATA,
                         "installation '%s', the staging copy the agent made on '%s', is now "
                         "listed at '%s/%s': nothing done",
                         insid, domain, out->domain != NULL ? out->domain : "", out->directory);
    else if ((out->has_is_staging && !out->is_staging) ||
             (out->live_insid != NULL && strcmp(out->live_insid, c->live.insid) != 0))
        r = jiku_err_set(err, JIKU_E_DATA,
                         "Softaculous says installation '%s' on '%s' is not a staging copy of "
                         "'%s' (%s): nothing done",
                         out->insid, domain, c->live.insid, op->target->id);
    if (r != 0)
        cpanel_soft_ins_release(out);
    return r;
}

/*
 * The agent's stage record of the target: *INSID and *DOMAIN (malloc()ed); JIKU_E_NOTFOUND
 * without one, JIKU_E_USAGE when --domain names another domain.  WHAT: the refused action.
 */
int
cpanel_soft_read_stage_record(struct jiku_op *op, const char *what, char **insid, char **domain,
                              struct jiku_err *err)
{
    struct jiku_buf rec = JIKU_BUF_INIT;
    int r;

    *insid = *domain = NULL;
    if ((r = plug_stage_record_read(op, &rec, err)) != 0)
        goto out;
    *insid = plug_record_get(rec.data, "insid");
    *domain = plug_record_get(rec.data, "domain");
    if (*insid == NULL || *domain == NULL || !cpanel_soft_valid_insid(*insid) ||
        !cpanel_soft_valid_domain(*domain)) {
        r = jiku_err_set(err, JIKU_E_NOTFOUND,
                         "'%s' has no staging copy the agent made on '%s' (no stage record): "
                         "refusing to %s anything",
                         op->target->id, op->server->name, what);
        goto out;
    }
    if (op->params->domain != NULL && strcasecmp(op->params->domain, *domain) != 0)
        r = jiku_err_set(err, JIKU_E_USAGE,
                         "the agent staged '%s' on '%s', not '%s': refusing to %s '%s'",
                         op->target->id, *domain, op->params->domain, what, op->params->domain);
out:
    if (r != 0) {
        free(*insid);
        free(*domain);
        *insid = *domain = NULL;
    }
    jiku_buf_release(&rec);
    return r;
}

int
cpanel_soft_unstage(struct jiku_op *op, struct jiku_err *err)
{
    struct cpanel_soft_ins st = {0};
    struct cpanel_soft_ctx c;
    char *insid = NULL, *domain = NULL;
    bool removed_domain = false;
    int r;

    memset(&c, 0, sizeof(c));
    /* Only the installation the agent's own stage record names is ever removed. */
    if ((r = cpanel_soft_read_stage_record(op, "remove", &insid, &domain, err)) != 0 ||
        (r = cpanel_soft_open_live(op, &c, err)) != 0)
        goto out;
    r = cpanel_soft_recorded_staging(op, &c, insid, domain, &st, err);
    if (r == JIKU_E_NOTFOUND) {
        /* Gone already; but the domain goes only when no other installation sits on it. */
        jiku_err_clear(err);
        if ((r = domain_free(op, &c, domain, err)) != 0) {
            jiku_err_prefix(err, "the staging copy '%s' the agent made is gone, and", insid);
            goto out;
        }
        r = JIKU_E_NOTFOUND;
    }
    if (r == 0) {
        if ((r = remove_copy(op, &c, st.insid, err)) != 0)
            goto out;
    } else if (r == JIKU_E_NOTFOUND) {
        op->host->log(op, JIKU_LOG_INFO, "no staging installation on '%s'", domain);
    } else {
        goto out;
    }
    if ((r = remove_created_domain(op, c.user, domain, &removed_domain, err)) != 0)
        goto out;
    plug_stage_record_remove(op);
    if (plug_strfmt(&op->result->details, "removed %s%s%s%s",
                    st.insid != NULL ? "installation '" : "", st.insid != NULL ? st.insid : "",
                    st.insid != NULL ? "'" : "no installation",
                    removed_domain ? " and the domain the agent created" : "") != 0)
        op->result->details = NULL;
out:
    cpanel_soft_ins_release(&st);
    cpanel_soft_ctx_release(&c);
    free(insid);
    free(domain);
    return r;
}

int
cpanel_soft_promote(struct jiku_op *op, struct jiku_err *err)
{
    const char *mode = op->target->promote_db != NULL ? op->target->promote_db : "all";
    const struct cpanel_param all[] = {{"softsubmit", "1"}};
    const struct cpanel_param files[] = {
        {"softsubmit", "1"}, {"custom_push", "1"}, {"overwrite_files", "1"}};
    struct cpanel_soft_ins st = {0};
    struct cpanel_soft_ctx c;
    char *insid = NULL, *domain = NULL;
    int r;

    memset(&c, 0, sizeof(c));
    /* Only the staging copy the agent's own stage record names is pushed. */
    if ((r = cpanel_soft_read_stage_record(op, "push", &insid, &domain, err)) != 0 ||
        (r = cpanel_soft_open_live(op, &c, err)) != 0)
        goto out;
    if ((r = cpanel_soft_recorded_staging(op, &c, insid, domain, &st, err)) != 0) {
        if (r == JIKU_E_NOTFOUND)
            jiku_err_prefix(err, "the staging copy '%s' the agent made on '%s' is gone", insid,
                            domain);
        goto out;
    }
    {
        const struct cpanel_param q[] = {{"insid", st.insid}};
        bool files_only = strcmp(mode, "none") == 0;

        JIKU_OP_SET_CHANGED(op); /* act=pushtolive writes onto live */
        if ((r = cpanel_soft_run_task(op, &c, "pushtolive", q, 1, files_only ? files : all,
                                      files_only ? 3 : 1, NULL, err)) != 0 ||
            (r = cpanel_soft_check_live(op, &c, "pushtolive", err)) != 0)
            goto out;
    }
    if (plug_strfmt(&op->result->details, "pushed staging '%s' to live '%s' (database: %s)",
                    st.insid, c.live.insid, mode) != 0)
        op->result->details = NULL;
out:
    cpanel_soft_ins_release(&st);
    cpanel_soft_ctx_release(&c);
    free(insid);
    free(domain);
    return r;
}

int
cpanel_soft_clone(struct jiku_op *op, struct jiku_err *err)
{
    const char *domain = op->params->domain;
    struct cpanel_soft_ctx c;
    char *insid = NULL;
    bool created = false;
    int r;

    memset(&c, 0, sizeof(c));
    if (op->params->dest_server != NULL &&
        strcmp(op->params->dest_server->name, op->server->name) != 0)
        return jiku_err_set(err, JIKU_E_USAGE,
                            "Softaculous clones within the account: '%s' cannot be cloned onto "
                            "'%s'",
                            op->target->id, op->params->dest_server->name);
    if (domain == NULL)
        return jiku_err_set(err, JIKU_E_USAGE, "clone of '%s' needs --domain", op->target->id);
    if (!cpanel_soft_valid_domain(domain) || strcasecmp(domain, op->target->domain) == 0)
        return jiku_err_set(err, JIKU_E_USAGE, "invalid clone domain '%s'", domain);
    if ((r = cpanel_soft_open_live(op, &c, err)) != 0 ||
        (r = domain_free(op, &c, domain, err)) != 0 ||
        (r = ensure_domain(op, c.user, domain, false, &created, err)) != 0)
        goto out;
    if ((r = make_copy(op, &c, "sclone", domain, &insid, err)) != 0) {
        if (created)
            remove_domain_quietly(op, c.user, domain);
        goto out;
    }
    if (plug_strfmt(&op->result->details, "cloned '%s' as installation '%s' on %s", c.live.insid,
                    insid, domain) != 0)
        op->result->details = NULL;
out:
    free(insid);
    cpanel_soft_ctx_release(&c);
    return r;
}
