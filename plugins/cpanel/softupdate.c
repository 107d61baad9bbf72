/*
 * Updates of `softaculous` targets (docs/WIRE.md §5.7), one step of the core's flow a call
 * (plugin.h, enum jiku_update_step): what is pending comes from the installations Softaculous
 * lists as outdated (act=installations&showupdates=true, `ver` the installed version) and the
 * version the script's page offers (act=software&giveinfo=1); act=upgrade applies it, one
 * synchronous POST that is never sent twice; then the health check of the site
 * (plugins/common/health.h) and, for a Nextcloud, `php occ status`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "softaculous.h"

static void
item_release(struct jiku_update_item *it)
{
    free(it->name);
    free(it->from);
    free(it->to);
    memset(it, 0, sizeof(*it));
}

/* IT moved into op->result as its one update item. */
static int
keep_item(struct jiku_op *op, struct jiku_update_item *it, struct jiku_err *err)
{
    if ((op->result->updates = calloc(1, sizeof(*it))) == NULL) {
        item_release(it);
        return plug_nomem(err);
    }
    op->result->updates[0] = *it;
    op->result->n_updates = 1;
    memset(it, 0, sizeof(*it));
    return 0;
}

/*
 * The update of INS Softaculous has, into IT (name, FROM the version installed, TO the one
 * offered) when the update's components include the application and Softaculous lists INS as
 * outdated; IT->name stays NULL otherwise.
 */
static int
pending(struct jiku_op *op, struct cpanel_soft_ctx *c, const struct cpanel_soft_ins *ins,
        struct jiku_update_item *it, struct jiku_err *err)
{
    const struct cpanel_param show[] = {{"showupdates", "true"}};
    struct cpanel_soft_ins out = {0};
    json_t *root = NULL;
    int r;

    memset(it, 0, sizeof(*it));
    it->component = JIKU_UPDATE_APP;
    if ((op->params->update->components & JIKU_UPDATE_BIT(JIKU_UPDATE_APP)) == 0)
        return 0;
    if ((r = cpanel_soft_call(op, &c->sess, "installations", show, 1, NULL, 0, false, &root,
                              err)) != 0)
        goto out;
    if ((r = cpanel_soft_find_ins(root, NULL, NULL, ins->insid, &out, err)) == JIKU_E_NOTFOUND) {
        jiku_err_clear(err);
        r = 0;
        goto out;
    }
    if (r != 0)
        goto out;
    if (out.sid == NULL || !cpanel_soft_valid_version(out.ver)) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "Softaculous lists installation '%s' as outdated without its script id "
                         "and a valid version",
                         ins->insid);
        goto out;
    }
    json_decref(root);
    root = NULL;
    {
        const struct cpanel_param q[] = {{"soft", out.sid}, {"giveinfo", "1"}};

        if ((r = cpanel_soft_call(op, &c->sess, "software", q, 2, NULL, 0, false, &root, err)) !=
                0 ||
            (r = cpanel_soft_offer(root, &it->name, &it->to, err)) != 0)
            goto out;
    }
    if (strcmp(it->to, out.ver) == 0) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "Softaculous lists installation '%s' as outdated but offers the version "
                         "it has (%s)",
                         ins->insid, out.ver);
        goto out;
    }
    it->from = out.ver;
    out.ver = NULL;
out:
    if (r != 0)
        item_release(it);
    cpanel_soft_ins_release(&out);
    json_decref(root);
    return r;
}

/*
 * What `php occ status --output=json` printed in OUT: its JSON line (the last line that starts
 * with '{': warnings may come first) says installed, not in maintenance, no database upgrade
 * pending.  JIKU_E_FAILED naming what is wrong, JIKU_E_DATA for no such line.
 */
static int
occ_verdict(const char *out, const char *dir, struct jiku_err *err)
{
    struct jiku_buf bad = JIKU_BUF_INIT;
    const char *line = NULL;
    json_t *j = NULL, *inst, *maint, *upg;
    int r = 0;

    for (const char *p = out; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (*p == '{')
            line = p;
    if (line != NULL)
        j = json_loadb(line, strcspn(line, "\n"), JSON_REJECT_DUPLICATES, NULL);
    inst = json_object_get(j, "installed");
    maint = json_object_get(j, "maintenance");
    upg = json_object_get(j, "needsDbUpgrade");
    if (!json_is_boolean(inst) || !json_is_boolean(maint) || !json_is_boolean(upg)) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "health check: php occ status in '%s' printed no status (installed, "
                         "maintenance, needsDbUpgrade)",
                         dir);
        goto out;
    }
    if ((json_is_false(inst) && jiku_buf_adds(&bad, ", not installed") != 0) ||
        (json_is_true(maint) && jiku_buf_adds(&bad, ", in maintenance mode") != 0) ||
        (json_is_true(upg) && jiku_buf_adds(&bad, ", waiting for a database upgrade") != 0)) {
        r = plug_nomem(err);
        goto out;
    }
    if (bad.len > 0)
        r = jiku_err_set(err, JIKU_E_FAILED,
                         "health check: php occ status says Nextcloud in '%s' is %s", dir,
                         bad.data + 2);
out:
    jiku_buf_release(&bad);
    json_decref(j);
    return r;
}

/* cpanel_soft_occ for the update's checks: a failing occ is a failed update, JIKU_E_FAILED. */
static int
occ(struct jiku_op *op, const struct cpanel_soft_ctx *c, const struct cpanel_soft_ins *ins,
    const char *script, const char *what, const char *why, struct jiku_exec_result *res,
    struct jiku_err *err)
{
    int r = cpanel_soft_occ(op, c, ins, script, NULL, NULL, what, why, res, err);

    if (r == JIKU_E_PANEL) {
        r = JIKU_E_FAILED;
        if (err != NULL)
            err->status = r;
    }
    return r;
}

/* Nextcloud's own word on its state: `php occ status`.  A failing occ is a failed check. */
static int
occ_status(struct jiku_op *op, const struct cpanel_soft_ctx *c, const struct cpanel_soft_ins *ins,
           struct jiku_buf *summary, struct jiku_err *err)
{
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    int r;

    r = occ(op, c, ins, "cd -- \"$1\" && exec php occ status --output=json", "php occ status",
            "health check of Nextcloud", &res, err);
    if (r == 0 && (r = occ_verdict(res.out.data, ins->path, err)) == 0 &&
        jiku_buf_adds(summary, ", occ status: installed, not in maintenance, database "
                               "up to date") != 0)
        r = plug_nomem(err);
    jiku_exec_result_release(&res);
    return r;
}

/*
 * The health of INS, whose site is at SITE_PATH on DOMAIN: its page, and a Nextcloud's occ
 * status.  What was seen is appended to SUMMARY.
 */
static int
health(struct jiku_op *op, const struct cpanel_soft_ctx *c, const struct cpanel_soft_ins *ins,
       const char *domain, const char *site_path, struct jiku_buf *summary, struct jiku_err *err)
{
    struct jiku_buf path = JIKU_BUF_INIT;
    int r;

    if (plug_health_path(op, site_path, &path) != 0)
        r = plug_nomem(err);
    else if ((r = plug_health_http(op, domain, path.data, summary, err)) == 0 &&
             cpanel_soft_is_nextcloud(ins))
        r = occ_status(op, c, ins, summary, err);
    jiku_buf_release(&path);
    return r;
}

/*
 * INS updated to the version Softaculous offers, when it offers one, and its health checked on
 * DOMAIN (SITE_PATH the site's path there).  LIVE: INS is the target's own installation, which
 * the update changes (JIKU_OP_SET_CHANGED before the POST); else a staging copy.
 */
static int
upgrade(struct jiku_op *op, struct cpanel_soft_ctx *c, const struct cpanel_soft_ins *ins,
        const char *domain, const char *site_path, bool live, struct jiku_err *err)
{
    const struct cpanel_param q[] = {{"insid", ins->insid}};
    const struct cpanel_param form[] = {{"softsubmit", "1"}};
    struct jiku_buf what = JIKU_BUF_INIT, summary = JIKU_BUF_INIT;
    struct cpanel_soft_ins now = {0};
    struct jiku_update_item it = {0}, *done;
    json_t *root = NULL;
    size_t head;
    int r;

    if ((r = pending(op, c, ins, &it, err)) != 0)
        goto out;
    if (it.name == NULL) {
        if (plug_strfmt(&op->result->details, "no update of installation '%s' pending",
                        ins->insid) != 0)
            r = plug_nomem(err);
        goto out;
    }
    if (jiku_buf_addf(&what, "the upgrade of %s %s (installation '%s') to %s", it.name, it.from,
                      ins->insid, it.to) != 0) {
        r = plug_nomem(err);
        goto out;
    }
    op->host->log(op, JIKU_LOG_INFO, "Softaculous 'upgrade' of '%s' (%s %s to %s) on '%s'",
                  ins->insid, it.name, it.from, it.to, op->server->name);
    if (live)
        JIKU_OP_SET_CHANGED(op); /* act=upgrade writes onto the installation */
    /* A start call: never repeated, a lost answer an unknown outcome (softsession.c). */
    r = cpanel_soft_call(op, &c->sess, "upgrade", q, 1, form, 1, true, &root, err);
    if (r == 0)
        r = cpanel_soft_upgraded(root, what.data, err);
    /* Answered: what it changed is reported, whether or not it then fails. */
    if ((r == 0 || r == JIKU_E_FAILED) && keep_item(op, &it, err) != 0)
        r = JIKU_E_NOMEM;
    if (r != 0)
        goto out;
    done = &op->result->updates[0];
    if ((r = cpanel_soft_ins_at(op, c, NULL, NULL, ins->insid, &now, err)) != 0) {
        jiku_err_prefix(err, "Softaculous reported %s done, but", what.data);
        if (r == JIKU_E_NOTFOUND && err != NULL)
            err->status = JIKU_E_PANEL; /* the installation, not the target, is missing */
        r = r == JIKU_E_NOTFOUND ? JIKU_E_PANEL : r;
        goto out;
    }
    if (now.ver == NULL || strcmp(now.ver, done->to) != 0) {
        r = jiku_err_set(err, JIKU_E_FAILED,
                         "Softaculous reported %s done, but lists the installation at version %s",
                         what.data, cpanel_soft_valid_version(now.ver) ? now.ver : "(none)");
        if (cpanel_soft_valid_version(now.ver)) {
            free(done->to);
            done->to = now.ver;
            now.ver = NULL;
        }
        goto out;
    }
    /* "Nextcloud updated from 28.0.4 to 28.0.14 (installation '483_1')": the report's head. */
    if (jiku_buf_addf(&summary, "%s%s updated from %s to %s (installation '%s')",
                      live ? "" : "staging copy: ", done->name, done->from, done->to,
                      ins->insid) != 0) {
        r = plug_nomem(err);
        goto out;
    }
    head = summary.len;
    if (jiku_buf_adds(&summary, "; health: ") != 0) {
        r = plug_nomem(err);
        goto out;
    }
    if ((r = health(op, c, ins, domain, site_path, &summary, err)) != 0) {
        jiku_err_prefix(err, "%.*s", (int)head, summary.data);
        goto out;
    }
    op->result->details = jiku_buf_detach(&summary);
out:
    item_release(&it);
    cpanel_soft_ins_release(&now);
    json_decref(root);
    jiku_buf_release(&what);
    jiku_buf_release(&summary);
    return r;
}

/* LIST: the live installation's pending update, read only. */
static int
list(struct jiku_op *op, struct cpanel_soft_ctx *c, struct jiku_err *err)
{
    struct jiku_update_item it = {0};
    int r;

    if ((r = pending(op, c, &c->live, &it, err)) != 0 || it.name == NULL)
        return r;
    if (plug_strfmt(&op->result->details, "%s %s to %s available (installation '%s')", it.name,
                    it.from, it.to, c->live.insid) != 0) {
        item_release(&it);
        return plug_nomem(err);
    }
    return keep_item(op, &it, err);
}

/* STAGING: the update of the staging copy the agent's stage record names; live untouched. */
static int
staging(struct jiku_op *op, struct cpanel_soft_ctx *c, struct jiku_err *err)
{
    struct cpanel_soft_ins st = {0};
    char *insid = NULL, *domain = NULL;
    int r;

    if ((r = cpanel_soft_read_stage_record(op, "update", &insid, &domain, err)) != 0)
        goto out;
    if ((r = cpanel_soft_recorded_staging(op, c, insid, domain, &st, err)) != 0) {
        if (r == JIKU_E_NOTFOUND)
            jiku_err_prefix(err, "the staging copy '%s' the agent made on '%s' is gone", insid,
                            domain);
        goto out;
    }
    /* A copy lives at the root of its domain (softstage.c). */
    if ((r = cpanel_soft_check_home(op, c, &st, err)) == 0)
        r = upgrade(op, c, &st, domain, "/", false, err);
out:
    cpanel_soft_ins_release(&st);
    free(insid);
    free(domain);
    return r;
}

/*
 * A push to live copies a staging copy's code and database but keeps live's own config.php,
 * whose `version` then lags behind the code: Nextcloud waits for its upgrade step.  `php occ
 * upgrade` (Nextcloud admin manual, "Upgrade via occ") finishes it, as the account's user in
 * the installation's directory; when nothing is needed it only says so.
 */
static int
occ_upgrade(struct jiku_op *op, const struct cpanel_soft_ctx *c, const struct cpanel_soft_ins *ins,
            struct jiku_err *err)
{
    return occ(op, c, ins, "cd -- \"$1\" && exec php occ upgrade --no-interaction",
               "php occ upgrade", "finishing the pushed update of Nextcloud", NULL, err);
}

/* CHECK, after the core's promote: a Nextcloud's upgrade step finished, then live's health. */
static int
check(struct jiku_op *op, struct cpanel_soft_ctx *c, struct jiku_err *err)
{
    const struct jiku_target_info *t = op->target;
    struct jiku_buf summary = JIKU_BUF_INIT;
    int r;

    if (cpanel_soft_is_nextcloud(&c->live) && (r = occ_upgrade(op, c, &c->live, err)) != 0)
        goto out;
    if ((r = health(op, c, &c->live, t->domain, t->path != NULL ? t->path : "/", &summary, err)) ==
        0)
        op->result->details = jiku_buf_detach(&summary);
out:
    jiku_buf_release(&summary);
    return r;
}

int
cpanel_soft_update(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_update_params *u = op->params->update;
    const struct jiku_target_info *t = op->target;
    struct cpanel_soft_ctx c;
    int r;

    memset(&c, 0, sizeof(c));
    if (u == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "update without update parameters");
    if ((r = cpanel_soft_open_live(op, &c, err)) != 0)
        goto out;
    switch (u->step) {
    case JIKU_UPDATE_LIST:
        r = list(op, &c, err);
        break;
    case JIKU_UPDATE_APPLY:
        r = upgrade(op, &c, &c.live, t->domain, t->path != NULL ? t->path : "/", true, err);
        break;
    case JIKU_UPDATE_STAGING:
        r = staging(op, &c, err);
        break;
    case JIKU_UPDATE_CHECK:
        r = check(op, &c, err);
        break;
    default:
        r = jiku_err_set(err, JIKU_E_INVAL, "unknown update step %d", (int)u->step);
    }
out:
    cpanel_soft_ctx_release(&c);
    return r;
}
