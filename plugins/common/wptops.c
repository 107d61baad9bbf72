/*
 * The actions on `wordpress` targets (docs/WIRE.md §4), the same on both panels.
 *
 * Application archives are made by the agent: snapshot_dir/ACCOUNT/ID/wordpress.tar holds
 * db.sql (wp-cli's export) and files.tar.gz (the site directory), so one file carries the
 * catalog's size and checksums.  Every write first resolves the instance afresh (wpt_resolve)
 * and touches only the site directory WP Toolkit names, inside the account's own directory,
 * and the site's database.
 *
 * Staging (wptstage.c): what `stage` made is recorded in snapshot_dir/.staging/CUSTOMER.NAME
 * (0600), outside the staging site, which a clone empties; `unstage` removes only that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wpt.h"

/* The target's site, validated again: the core did, but these words reach a shell. */
int
wpt_target_site(const struct wpt_panel *panel, struct jiku_op *op, const char *domain,
                struct wpt_site *site, struct jiku_err *err)
{
    const struct jiku_target_info *t = op->target;

    site->account = t->account;
    site->domain = domain != NULL ? domain : t->domain;
    site->path = domain != NULL || t->path == NULL ? "/" : t->path;
    site->account_is_main_domain = panel->account_is_main_domain;
    if (!plug_valid_component(site->account))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid account '%s'",
                            site->account != NULL ? site->account : "");
    if (!wpt_valid_domain(site->domain))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid domain '%s'",
                            site->domain != NULL ? site->domain : "");
    if (!wpt_valid_url_path(site->path))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid site path '%s'", site->path);
    return 0;
}

/* The instance of SITE, whose directory must lie inside the account's own directory. */
int
wpt_resolve_site(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_site *site,
                 struct wpt_instance *inst, struct jiku_err *err)
{
    char *base = NULL;
    int r;

    if ((r = wpt_resolve(panel, op, site, inst, err)) != 0)
        return r;
    if ((r = panel->account_base(op, site->account, &base, &inst->sys_user, err)) != 0)
        goto out;
    if (!plug_path_inside(inst->full_path, base))
        r = jiku_err_set(err, JIKU_E_DATA,
                         "WP Toolkit instance %lld on '%s' lives in '%s', outside the account's "
                         "directory '%s': refusing to touch it",
                         inst->id, op->server->name, inst->full_path, base);
out:
    free(base);
    if (r != 0)
        wpt_instance_release(inst);
    return r;
}

/* snapshot_dir/ACCOUNT, snapshot_dir/ACCOUNT/ID and the archive in it (each may be NULL). */
static int
archive_paths(struct jiku_op *op, const char *account, const char *id, char **acct_dir,
              char **id_dir, char **archive, struct jiku_err *err)
{
    const char *sd = op->server->snapshot_dir;
    char *a = NULL, *d = NULL, *f = NULL;

    if (!plug_valid_path(sd))
        return jiku_err_set(err, JIKU_E_CONFIG, "server '%s' has no usable snapshot_dir",
                            op->server->name);
    if (!plug_valid_component(account) || !plug_valid_component(id))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid account '%s' or artifact id '%s'",
                            account != NULL ? account : "", id != NULL ? id : "");
    if (plug_strfmt(&a, "%s/%s", sd, account) != 0 || plug_strfmt(&d, "%s/%s", a, id) != 0 ||
        plug_strfmt(&f, "%s/%s", d, WPT_ARCHIVE_NAME) != 0) {
        free(a);
        free(d);
        return plug_nomem(err);
    }
    if (acct_dir != NULL) {
        *acct_dir = a;
        a = NULL;
    }
    if (id_dir != NULL) {
        *id_dir = d;
        d = NULL;
    }
    if (archive != NULL) {
        *archive = f;
        f = NULL;
    }
    free(a);
    free(d);
    free(f);
    return 0;
}

static int
id_word(const struct wpt_instance *inst, char *buf, size_t n)
{
    snprintf(buf, n, "%lld", inst->id);
    return 0;
}

/* ---- snapshot and backup --------------------------------------------------------------- */

/* `--exclude ./REL` for each line of NESTED: other sites inside this one are not its files. */
static int
add_excludes(struct jiku_buf *cmd, const char *nested)
{
    struct jiku_buf pat = JIKU_BUF_INIT;
    int r = 0;

    for (const char *p = nested; r == 0 && p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        const char *w[] = {"--exclude", NULL, NULL};

        jiku_buf_reset(&pat);
        if (jiku_buf_adds(&pat, "./") != 0 || jiku_buf_add(&pat, p, len) != 0) {
            r = JIKU_E_NOMEM;
            break;
        }
        w[1] = pat.data;
        r = plug_words(cmd, w);
        p = nl != NULL ? nl + 1 : NULL;
    }
    jiku_buf_release(&pat);
    return r;
}

/*
 * The application archive of SITE in snapshot_dir/ACCOUNT/ID/, made by one detached job and
 * checked over SSH.  On failure nothing is left, unless the job may still be running.
 */
static int
make_archive(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_site *site,
             const char *id, char **archive_out, struct plug_digest *d, struct jiku_err *err)
{
    struct wpt_instance inst = {0};
    struct jiku_buf cmd = JIKU_BUF_INIT, db = JIKU_BUF_INIT, files = JIKU_BUF_INIT,
                    part = JIKU_BUF_INIT;
    char *acct_dir = NULL, *dir = NULL, *archive = NULL, *job = NULL, iid[32];
    bool created = false, running = false;
    int r;

    if ((r = archive_paths(op, site->account, id, &acct_dir, &dir, &archive, err)) != 0 ||
        (r = plug_job_dir(op->server, op->params->operation_id, "archive", &job, err)) != 0)
        goto out;
    if ((r = wpt_resolve_site(panel, op, site, &inst, err)) != 0)
        goto out;
    id_word(&inst, iid, sizeof(iid));
    if (jiku_buf_addf(&db, "%s/db.sql", dir) != 0 ||
        jiku_buf_addf(&files, "%s/files.tar.gz", dir) ||
        jiku_buf_addf(&part, "%s.part", archive) != 0) {
        r = plug_nomem(err);
        goto out;
    }
    {
        const char *dirs[] = {acct_dir, dir, NULL};

        if ((r = plug_remote_mkdirs(op, NULL, dirs, err)) != 0)
            goto out;
    }
    created = true;
    {
        const char *exp[] = {"--wp-cli", "-instance-id", iid, "--", "db", "export", "-", NULL};
        const char *tar1[] = {"tar", "-C", inst.full_path, "--anchored", NULL};
        const char *tar1b[] = {"-czf", "-", ".", NULL};
        const char *tar2[] = {"tar", "-C", dir, "-cf", part.data, "db.sql", "files.tar.gz", NULL};
        const char *rm[] = {"rm", "-f", "--", db.data, files.data, NULL};
        const char *mv[] = {"mv", "--", part.data, archive, NULL};

        /*
         * The site is read by its owner; root only writes the streams into its own files.  WP
         * Toolkit may run wp-cli as the site's owner, who cannot write into this 0700
         * directory: the dump comes on stdout and root's shell writes it.
         */
        if (jiku_buf_adds(&cmd, "set -e; umask 077\n") != 0 ||
            plug_owner_prelude(&cmd, inst.sys_user, err) != 0 || wpt_cmd(panel, &cmd, exp) != 0 ||
            jiku_buf_adds(&cmd, " >") != 0 || jiku_buf_add_shell_word(&cmd, db.data) != 0 ||
            jiku_buf_addch(&cmd, '\n') != 0 || plug_as_owner(&cmd, tar1) != 0 ||
            add_excludes(&cmd, inst.nested) != 0 || plug_words(&cmd, tar1b) != 0 ||
            jiku_buf_adds(&cmd, " >") != 0 || jiku_buf_add_shell_word(&cmd, files.data) != 0 ||
            jiku_buf_addch(&cmd, '\n') != 0 || plug_words(&cmd, tar2) != 0 ||
            jiku_buf_addch(&cmd, '\n') != 0 || plug_words(&cmd, rm) != 0 ||
            jiku_buf_addch(&cmd, '\n') != 0 || plug_words(&cmd, mv) != 0) {
            r = plug_nomem(err);
            goto out;
        }
    }
    op->host->log(op, JIKU_LOG_INFO, "archiving WordPress instance %s ('%s') on '%s' into '%s'",
                  iid, inst.site_url, op->server->name, archive);
    if ((r = plug_job_run(op, NULL, job, cmd.data, "WordPress archive", true, &running, err)) != 0)
        goto out;
    if ((r = plug_remote_digest(op, NULL, archive, true, d, err)) != 0) {
        if (r == JIKU_E_NOTFOUND)
            r = jiku_err_set(err, JIKU_E_PANEL, "the archive job on '%s' left no '%s'",
                             op->server->name, archive);
        goto out;
    }
    if (d->size == 0) {
        r = jiku_err_set(err, JIKU_E_DATA, "the archive job on '%s' left an empty '%s'",
                         op->server->name, archive);
        goto out;
    }
    *archive_out = archive;
    archive = NULL;
out:
    if (r != 0 && created && !running)
        plug_remote_remove_quietly(op, NULL, dir);
    wpt_instance_release(&inst);
    jiku_buf_release(&cmd);
    jiku_buf_release(&db);
    jiku_buf_release(&files);
    jiku_buf_release(&part);
    free(acct_dir);
    free(dir);
    free(archive);
    free(job);
    return r;
}

static void
fill_result(struct jiku_op *op, char **archive, const struct plug_digest *d)
{
    op->result->location = *archive;
    *archive = NULL;
    op->result->size = d->size;
    memcpy(op->result->md5, d->md5, sizeof(op->result->md5));
    memcpy(op->result->sha256, d->sha256, sizeof(op->result->sha256));
}

int
wpt_snapshot(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err)
{
    struct wpt_site site;
    struct plug_digest d = {0};
    char *archive = NULL;
    int r;

    if ((r = wpt_target_site(panel, op, NULL, &site, err)) != 0)
        return r;
    if (op->params->new_artifact_id == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "snapshot without an artifact id");
    if ((r = make_archive(panel, op, &site, op->params->new_artifact_id, &archive, &d, err)) == 0)
        fill_result(op, &archive, &d);
    free(archive);
    return r;
}

int
wpt_backup(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err)
{
    struct wpt_site site;
    struct plug_digest d = {0};
    struct jiku_xfer_result x = {0};
    char *archive = NULL, *local = NULL, *dir = NULL;
    int r;

    if ((r = wpt_target_site(panel, op, NULL, &site, err)) != 0)
        return r;
    if (op->params->new_artifact_id == NULL || op->params->backup_dir == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "backup without an artifact id or backup_dir");
    if (plug_strfmt(&local, "%s/%s", op->params->backup_dir, WPT_ARCHIVE_NAME) != 0)
        return plug_nomem(err);
    if ((r = make_archive(panel, op, &site, op->params->new_artifact_id, &archive, &d, err)) != 0)
        goto out;
    if ((r = plug_download(op, NULL, archive, &d, local, &x, err)) != 0) {
        if (archive_paths(op, site.account, op->params->new_artifact_id, NULL, &dir, NULL, NULL) ==
            0)
            plug_remote_remove_quietly(op, NULL, dir);
        goto out;
    }
    op->result->backup_path = local;
    local = NULL;
    fill_result(op, &archive, &d);
out:
    free(archive);
    free(local);
    free(dir);
    return r;
}

/* ---- rollback ---------------------------------------------------------------------------- */

/* Artifact A's archive on the server, uploaded into snapshot_dir/ACCOUNT/ID/ if need be. */
static int
archive_on_server(struct jiku_op *op, const char *account, const struct jiku_artifact_ref *a,
                  char **archive, char **uploaded, struct jiku_err *err)
{
    char *acct_dir = NULL, *dir = NULL, *remote = NULL;
    int r;

    if ((r = archive_paths(op, account, a->id, &acct_dir, &dir, &remote, err)) == 0) {
        const struct plug_place place = {acct_dir, dir, remote, acct_dir};

        r = plug_archive_on_server(op, a, &place, true, archive, uploaded, err);
    }
    free(acct_dir);
    free(dir);
    free(remote);
    return r;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Lines of TEXT, "./" and a trailing '/' dropped, into NAMES (strings in TEXT); with DIRS, the
 * names that had a trailing '/' (tar's directories) also go there, *ND counting them.
 */
static size_t
split_names(char *text, char **names, size_t max, char **dirs, size_t *nd)
{
    size_t n = 0;

    for (char *line = text; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        size_t len;

        if (nl != NULL)
            *nl = '\0';
        if (strncmp(line, "./", 2) == 0)
            line += 2;
        len = strlen(line);
        if (len > 0 && line[len - 1] == '/') {
            line[--len] = '\0';
            if (dirs != NULL && len > 0 && strcmp(line, ".") != 0 && *nd < max)
                dirs[(*nd)++] = line;
        }
        if (len > 0 && strcmp(line, ".") != 0 && n < max)
            names[n++] = line;
        line = nl != NULL ? nl + 1 : NULL;
    }
    return n;
}

static bool
has_name(char **names, size_t n, const char *name)
{
    return n > 0 && bsearch(&name, names, n, sizeof(*names), cmp_str) != NULL;
}

/*
 * What a rollback would change, from the archive's file list, the site's and tar's own
 * comparison: "+ path" added, "- path" removed (exact), "~ path" replaced.
 */
static int
dry_run_details(struct jiku_op *op, const char *archive, const char *site_dir, const char *owner,
                bool exact, struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT, out = JIKU_BUF_INIT;
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    char **arch = NULL, **site = NULL, **dirs = NULL, *a_text, *s_text, *d_text;
    const char *last = "";
    size_t na, ns, nd = 0, max;
    int r, listed = 0;

    /* The archive is root's own file; the site is listed and compared by its owner. */
    if ((r = plug_owner_prelude(&cmd, owner, err)) != 0)
        goto out;
    if (jiku_buf_adds(&cmd, "a=") != 0 || jiku_buf_add_shell_word(&cmd, archive) != 0 ||
        jiku_buf_adds(&cmd, "; s=") != 0 || jiku_buf_add_shell_word(&cmd, site_dir) != 0 ||
        jiku_buf_adds(&cmd, "; export LC_ALL=C; echo '@@archive'; "
                            "tar -xOf \"$a\" files.tar.gz | tar -tzf - || exit 1; "
                            "echo '@@site'; as_owner sh -c 'cd -P -- \"$1\" && find . -mindepth 1' "
                            "sh \"$s\" || exit 1; "
                            "echo '@@diff'; tar -xOf \"$a\" files.tar.gz | "
                            "as_owner tar -dzf - -C \"$s\" 2>&1 | grep ' differs$'; exit 0") != 0) {
        r = plug_nomem(err);
        goto out;
    }
    if ((r = plug_run(op, NULL, cmd.data, true, (size_t)64 << 20, "listing the rollback's changes",
                      &res, err)) != 0)
        goto out;
    a_text = strstr(res.out.data, "@@archive\n");
    s_text = a_text != NULL ? strstr(a_text, "\n@@site\n") : NULL;
    d_text = s_text != NULL ? strstr(s_text + 1, "\n@@diff\n") : NULL;
    if (d_text == NULL) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "listing the rollback's changes on '%s' printed "
                         "something unexpected",
                         op->server->name);
        goto out;
    }
    *s_text = '\0';
    *d_text = '\0';
    a_text += 10;
    s_text += 8;
    d_text += 8;
    max = res.out.len / 2 + 1;
    if ((arch = calloc(max, sizeof(*arch))) == NULL ||
        (site = calloc(max, sizeof(*site))) == NULL ||
        (dirs = calloc(max, sizeof(*dirs))) == NULL) {
        r = plug_nomem(err);
        goto out;
    }
    na = split_names(a_text, arch, max, dirs, &nd);
    ns = split_names(s_text, site, max, NULL, NULL);
    qsort(arch, na, sizeof(*arch), cmp_str);
    qsort(site, ns, sizeof(*site), cmp_str);
    qsort(dirs, nd, sizeof(*dirs), cmp_str);
    for (size_t i = 0; i < na; i++)
        if (!has_name(site, ns, arch[i]))
            listed |= jiku_buf_addf(&out, "+ %s\n", arch[i]);
    for (size_t i = 0; exact && i < ns; i++)
        if (!has_name(arch, na, site[i]))
            listed |= jiku_buf_addf(&out, "- %s\n", site[i]);
    for (char *line = d_text; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n'), *colon;

        if (nl != NULL)
            *nl = '\0';
        if (strncmp(line, "./", 2) == 0)
            line += 2;
        if ((colon = strstr(line, ": ")) != NULL && colon > line) {
            *colon = '\0';
            /* Directories differ in their times whenever a file in them changed; tar gives
             * one line per difference of a file. */
            if (has_name(site, ns, line) && !has_name(dirs, nd, line) && strcmp(line, last)) {
                listed |= jiku_buf_addf(&out, "~ %s\n", line);
                last = line;
            }
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    listed |= jiku_buf_adds(&out, "database: replaced by the archive's dump");
    if (listed != 0) {
        r = plug_nomem(err);
        goto out;
    }
    op->result->details = jiku_buf_detach(&out);
out:
    free(arch);
    free(site);
    free(dirs);
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    jiku_buf_release(&out);
    return r;
}

/* DIR(SITE)/.BASENAME.jiku-WHAT-OPERATION: beside the site, on its filesystem. */
static int
sibling(const char *site_dir, const char *what, const char *opid, char **out, struct jiku_err *err)
{
    const char *slash = strrchr(site_dir, '/');

    if (slash == NULL || slash == site_dir ||
        plug_strfmt(out, "%.*s/.%s.jiku-%s-%s", (int)(slash - site_dir), site_dir, slash + 1, what,
                    opid) != 0) {
        *out = NULL;
        return jiku_err_set(err, JIKU_E_INVAL, "cannot place a directory beside '%s'", site_dir);
    }
    if (!plug_valid_path(*out)) {
        free(*out);
        *out = NULL;
        return jiku_err_set(err, JIKU_E_INVAL, "cannot place a directory beside '%s'", site_dir);
    }
    return 0;
}

/* `as_owner WORDS…` and a newline. */
static int
owner_line(struct jiku_buf *cmd, const char *const *words)
{
    return plug_as_owner(cmd, words) != 0 || jiku_buf_addch(cmd, '\n') != 0 ? JIKU_E_NOMEM : 0;
}

/*
 * ` <FILE`: wp-cli reads the dump on stdin from root's file, whichever user WP Toolkit runs it
 * as (the job directory is root's 0700 and stays so).
 */
static int
add_input(struct jiku_buf *cmd, const char *file)
{
    return jiku_buf_adds(cmd, " <") != 0 || jiku_buf_add_shell_word(cmd, file) != 0 ? JIKU_E_NOMEM
                                                                                    : 0;
}

/*
 * The rollback job: the files swapped in (exact) or overlaid (merge), then the database
 * imported — so files that cannot be restored leave the database as it was.  Root only unpacks
 * its own archive in the job directory and feeds files.tar.gz to a tar run by the site's owner;
 * every act beside or inside the site (the fresh tree, the renames, the removals) is the
 * owner's, so a link the customer swaps in leads nowhere they could not go.  tar -p keeps the
 * archived modes (the web server must still read the site); mv -T never moves into a
 * directory that appeared at the destination.
 */
static int
rollback_script(const struct wpt_panel *panel, struct jiku_op *op, const char *archive,
                const char *job, const struct wpt_instance *inst, bool exact, struct jiku_buf *cmd,
                struct jiku_err *err)
{
    struct jiku_buf trap = JIKU_BUF_INIT;
    char *fresh = NULL, *old = NULL, *dump = NULL, iid[32];
    int r;

    id_word(inst, iid, sizeof(iid));
    if ((r = sibling(inst->full_path, "new", op->params->operation_id, &fresh, err)) != 0 ||
        (r = sibling(inst->full_path, "old", op->params->operation_id, &old, err)) != 0)
        goto out;
    if (plug_strfmt(&dump, "%s/db.sql", job) != 0) {
        dump = NULL;
        r = plug_nomem(err);
        goto out;
    }
    if ((r = plug_owner_prelude(cmd, inst->sys_user, err)) != 0)
        goto out;
    {
        const char *x1[] = {"tar", "-xf", archive, "db.sql", "files.tar.gz", NULL};
        const char *imp[] = {"--wp-cli", "-instance-id", iid, "--", "db", "import", "-", NULL};
        const char *mk[] = {"mkdir", "-m", "700", "--", fresh, NULL};
        const char *x2[] = {"tar", "-xpzf", "-", "--no-same-owner", "-C", fresh, NULL};
        const char *x2merge[] = {
            "tar", "-xpzf",         "-", "--no-same-owner", "--no-overwrite-dir",
            "-C",  inst->full_path, NULL};
        const char *rmnew[] = {"rm", "-rf", "--", fresh, NULL};
        const char *rmold[] = {"rm", "-rf", "--", old, NULL};
        const char *aside[] = {"mv", "-T", "--", inst->full_path, old, NULL};
        const char *swap[] = {"mv", "-T", "--", fresh, inst->full_path, NULL};
        const char *back[] = {"mv", "-T", "--", old, inst->full_path, NULL};
        const char *unswap[] = {"mv", "-T", "--", inst->full_path, fresh, NULL};
        const char *rmplanted[] = {"rm", "-f", "--", inst->full_path, NULL};
        struct jiku_buf left = JIKU_BUF_INIT;

        r = 0;
        if (jiku_buf_adds(&left, "the site's files are left in ") != 0 ||
            jiku_buf_adds(&left, old) != 0 || jiku_buf_adds(cmd, "set -e; umask 077\n") != 0 ||
            plug_words(cmd, x1) != 0 || jiku_buf_addch(cmd, '\n') != 0)
            r = JIKU_E_NOMEM;
        if (r == 0 && !exact &&
            (plug_as_owner(cmd, x2merge) != 0 || jiku_buf_adds(cmd, " <files.tar.gz\n") != 0 ||
             wpt_cmd(panel, cmd, imp) != 0 || add_input(cmd, dump) != 0))
            r = JIKU_E_NOMEM;
        /*
         * Exact: the fresh tree is complete before anything moves.  Two renames swap it in: if
         * the second fails (the customer planted something at the site's name), the first is
         * undone; the database comes last, and a failed import swaps the old files back.
         */
        if (r == 0 && exact &&
            (plug_as_owner(&trap, rmnew) != 0 || jiku_buf_adds(cmd, "trap ") != 0 ||
             jiku_buf_add_shell_word(cmd, trap.data) != 0 || jiku_buf_adds(cmd, " EXIT\n") != 0 ||
             owner_line(cmd, rmnew) != 0 || owner_line(cmd, mk) != 0 ||
             plug_as_owner(cmd, x2) != 0 || jiku_buf_adds(cmd, " <files.tar.gz\n") != 0 ||
             owner_line(cmd, aside) != 0 ||
             /* put_back: the old tree back at the site's name, or say where it is */
             jiku_buf_adds(cmd, "put_back() { ") != 0 || plug_as_owner(cmd, rmplanted) != 0 ||
             jiku_buf_adds(cmd, " 2>/dev/null || :; ") != 0 || plug_as_owner(cmd, back) != 0 ||
             jiku_buf_adds(cmd, " || echo ") != 0 || jiku_buf_add_shell_word(cmd, left.data) ||
             jiku_buf_adds(cmd, " >&2; exit 1; }\nif ! ") != 0 || plug_as_owner(cmd, swap) != 0 ||
             jiku_buf_adds(cmd, "; then put_back; fi\nif ! ") != 0 ||
             wpt_cmd(panel, cmd, imp) != 0 || add_input(cmd, dump) != 0 ||
             jiku_buf_adds(cmd, "; then ") != 0 || plug_as_owner(cmd, unswap) != 0 ||
             jiku_buf_adds(cmd, " || :; put_back; fi\n") || plug_as_owner(cmd, rmold) != 0))
            r = JIKU_E_NOMEM;
        jiku_buf_release(&left);
        if (r != 0)
            r = plug_nomem(err);
    }
out:
    jiku_buf_release(&trap);
    free(fresh);
    free(old);
    free(dump);
    return r;
}

int
wpt_rollback(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_op_params *p = op->params;
    bool exact = p->mode == JIKU_ROLLBACK_EXACT, running = false;
    struct wpt_site site;
    struct wpt_instance inst = {0};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    char *archive = NULL, *uploaded = NULL, *job = NULL;
    int r;

    if ((r = wpt_target_site(panel, op, NULL, &site, err)) != 0)
        return r;
    if (p->artifact == NULL || !plug_valid_component(p->artifact->id))
        return jiku_err_set(err, JIKU_E_INVAL, "rollback without a valid artifact");
    if ((r = plug_job_dir(op->server, op->params->operation_id, "rollback", &job, err)) != 0)
        return r;
    if ((r = archive_on_server(op, site.account, p->artifact, &archive, &uploaded, err)) != 0)
        goto out;
    if ((r = wpt_resolve_site(panel, op, &site, &inst, err)) != 0)
        goto out;
    /* The archive lacks them, and an exact rollback would drop them with the old tree. */
    if (exact &&
        (r = wpt_refuse_nested(&inst, JIKU_E_USAGE,
                               "an exact rollback would remove them; use --merge", err)) != 0)
        goto out;
    if (p->dry_run) {
        if (archive == NULL) {
            r = plug_details_upload_first(op, p->artifact, err);
            goto out;
        }
        r = dry_run_details(op, archive, inst.full_path, inst.sys_user, exact, err);
        goto out;
    }
    if ((r = rollback_script(panel, op, archive, job, &inst, exact, &cmd, err)) != 0)
        goto out;
    JIKU_OP_SET_CHANGED(op); /* the rollback job swaps the files, imports the database */
    op->host->log(op, JIKU_LOG_INFO, "restoring WordPress instance %lld ('%s') on '%s' from '%s'",
                  inst.id, inst.site_url, op->server->name, archive);
    if ((r = plug_job_run(op, NULL, job, cmd.data, "WordPress restore", false, &running, err)) !=
        0) {
        if (running) {
            /* The restore may still read the upload: leave it. */
            free(uploaded);
            uploaded = NULL;
        }
        goto out;
    }
    if (plug_strfmt(&op->result->details, "restored '%s' (instance %lld) from %s (%s)",
                    inst.site_url, inst.id, archive, exact ? "exact" : "merge") != 0)
        op->result->details = NULL;
out:
    if (uploaded != NULL)
        plug_remote_remove_quietly(op, NULL, uploaded);
    wpt_instance_release(&inst);
    jiku_buf_release(&cmd);
    free(archive);
    free(uploaded);
    free(job);
    return r;
}

/* ---- probe, prune, verify ---------------------------------------------------------------- */

int
wpt_probe(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err)
{
    struct wpt_site site;
    struct wpt_instance inst = {0};
    int r;

    if ((r = wpt_target_site(panel, op, NULL, &site, err)) != 0)
        return r;
    if ((r = wpt_resolve_site(panel, op, &site, &inst, err)) != 0)
        return r;
    if (plug_strfmt(&op->result->details, "WordPress site '%s' is WP Toolkit instance %lld in '%s'",
                    inst.site_url, inst.id, inst.full_path) != 0) {
        op->result->details = NULL;
        r = plug_nomem(err);
    }
    wpt_instance_release(&inst);
    return r;
}

/* snapshot_dir/ACCOUNT/ID of artifact A, whose location must be its archive there. */
static int
artifact_dir(struct jiku_op *op, const char *account, const struct jiku_artifact_ref *a, char **dir,
             struct jiku_err *err)
{
    char *archive = NULL;
    int r;

    if ((r = archive_paths(op, account, a->id, NULL, dir, &archive, err)) != 0)
        return r;
    if (strcmp(a->location, archive) != 0) {
        r = jiku_err_set(err, JIKU_E_INVAL, "artifact '%s' names '%s', not '%s'", a->id,
                         a->location, archive);
        free(*dir);
        *dir = NULL;
    }
    free(archive);
    return r;
}

int
wpt_prune(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_artifact_ref *a = op->params->artifact;
    struct wpt_site site;
    char *dir = NULL;
    int r;

    if ((r = wpt_target_site(panel, op, NULL, &site, err)) != 0)
        return r;
    if (a == NULL || a->location == NULL)
        return 0;
    if ((r = artifact_dir(op, site.account, a, &dir, err)) != 0)
        return r;
    r = plug_remote_remove(op, NULL, dir, err);
    free(dir);
    return r;
}

int
wpt_verify(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_artifact_ref *a = op->params->artifact;
    struct wpt_site site;
    struct plug_digest d = {0};
    char *dir = NULL;
    int r;

    if ((r = wpt_target_site(panel, op, NULL, &site, err)) != 0)
        return r;
    if (a == NULL || a->location == NULL)
        return 0;
    if ((r = artifact_dir(op, site.account, a, &dir, err)) != 0)
        return r;
    free(dir);
    if ((r = plug_remote_digest(op, NULL, a->location, true, &d, err)) != 0)
        return r;
    return plug_check_catalog(op, a, a->location, &d, err);
}
