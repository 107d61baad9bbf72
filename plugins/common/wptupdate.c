/*
 * Updates of `wordpress` targets through wp-cli, which WP Toolkit runs for the site
 * (docs/WIRE.md §4.6): `core check-update`, `plugin list --update=available` and `theme list
 * --update=available` with --format=json say what is pending (an empty array when nothing is);
 * `core update`, `core update-db`, `plugin update SLUG…` and `theme update SLUG…` apply it;
 * `core verify-checksums` and `eval` say whether WordPress still stands.  The answers' shapes
 * are wp-cli's own, the same on both panels.
 *
 * Nothing is remembered between steps: every step resolves the instance and asks what is
 * pending afresh, the job updates exactly the slugs pending then and not held back, and what is
 * installed afterwards is asked again, so a component the job left at its old version is found
 * rather than assumed updated.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "wpt.h"

/* The longest slug or version taken from wp-cli. */
#define WORD_MAX 200
/* How much of one line of wp-cli's output a health check's evidence quotes. */
#define EVIDENCE_MAX 200
/* How many of verify-checksums' warnings the evidence names. */
#define WARNINGS_SHOWN 3

static const char *const component_word[] = {
    [JIKU_UPDATE_CORE] = "core",
    [JIKU_UPDATE_PLUGINS] = "plugin",
    [JIKU_UPDATE_THEMES] = "theme",
};

/* Updates as the result carries them, every string malloc()ed. */
struct items {
    struct jiku_update_item *v;
    size_t n;
};

static void
items_release(struct items *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].from);
        free(l->v[i].to);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int
items_add(struct items *l, enum jiku_update_component c, const char *name, const char *from,
          const char *to, struct jiku_err *err)
{
    struct jiku_update_item *v = realloc(l->v, (l->n + 1) * sizeof(*v)), *it;

    if (v == NULL)
        return plug_nomem(err);
    l->v = v;
    it = &v[l->n];
    it->component = c;
    it->name = strdup(name);
    it->from = strdup(from);
    it->to = strdup(to);
    l->n++;
    if (it->name == NULL || it->from == NULL || it->to == NULL)
        return plug_nomem(err);
    return 0;
}

/* L into the result: the core frees it, after a failure too. */
static void
items_give(struct items *l, struct jiku_op *op)
{
    op->result->updates = l->v;
    op->result->n_updates = l->n;
    memset(l, 0, sizeof(*l));
}

/*
 * A plugin or theme slug as it may reach wp-cli's command line: a word that cannot be taken
 * for an option, of the characters directory names of plugins and themes have.
 */
static bool
valid_slug(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n == 0 || n > WORD_MAX || s[0] == '-' || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.'))
            return false;
    return true;
}

static bool
valid_version(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n == 0 || n > WORD_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || strchr(".-+_~", s[i]) != NULL))
            return false;
    return true;
}

/* <0, 0, >0 as version A is older than, the same as, newer than B; numbers as numbers. */
static int
version_cmp(const char *a, const char *b)
{
    while (*a != '\0' || *b != '\0') {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *ea, *eb;
            unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);

            if (x != y)
                return x < y ? -1 : 1;
            a = ea;
            b = eb;
        } else if (*a != *b) {
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        } else {
            a++;
            b++;
        }
    }
    return 0;
}

static bool
excluded(const struct jiku_update_params *u, const char *slug)
{
    for (const char *const *e = u->exclude; e != NULL && *e != NULL; e++)
        if (strcmp(*e, slug) == 0)
            return true;
    return false;
}

/* The string member KEY of OBJ, or NULL. */
static const char *
member(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The WordPress version installed on instance ID into *OUT (malloc()ed). */
static int
core_version(const struct wpt_panel *panel, struct jiku_op *op, long long id, char **out,
             struct jiku_err *err)
{
    static const char *const w[] = {"core", "version", NULL};
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    int r;

    *out = NULL;
    if ((r = wpt_wp_cli(panel, op, id, w, true, &res, err)) != 0)
        return r;
    jiku_buf_rtrim(&res.out);
    if (!valid_version(res.out.data))
        r = jiku_err_set(err, JIKU_E_DATA,
                         "wp-cli core version on '%s' printed '%.60s', not a version",
                         op->server->name, res.out.data);
    else if ((*out = strdup(res.out.data)) == NULL)
        r = plug_nomem(err);
    jiku_exec_result_release(&res);
    return r;
}

/*
 * The core release an update would install: the newest check-update offers (with --minor,
 * only one of the installed branch: `core update --minor` takes no other).
 */
static int
pending_core(const struct wpt_panel *panel, struct jiku_op *op, long long id, struct items *out,
             struct jiku_err *err)
{
    const struct jiku_update_params *u = op->params->update;
    const char *w[] = {"core", "check-update", "--format=json", u->core_major ? NULL : "--minor",
                       NULL};
    const char *best = NULL;
    char *installed = NULL;
    json_t *root = NULL, *e;
    size_t i;
    int r;

    if ((r = core_version(panel, op, id, &installed, err)) != 0 ||
        (r = wpt_wp_cli_array(panel, op, id, w, &root, err)) != 0)
        goto out;
    json_array_foreach(root, i, e)
    {
        const char *v = member(e, "version");

        if (!valid_version(v)) {
            r = jiku_err_set(err, JIKU_E_DATA,
                             "wp-cli core check-update on '%s' printed an offer without a version",
                             op->server->name);
            goto out;
        }
        if (best == NULL || version_cmp(v, best) > 0)
            best = v;
    }
    if (best != NULL)
        r = items_add(out, JIKU_UPDATE_CORE, "wordpress", installed, best, err);
out:
    json_decref(root);
    free(installed);
    return r;
}

/* The plugins or themes (C) with an update available, those held back left out. */
static int
pending_ext(const struct wpt_panel *panel, struct jiku_op *op, long long id,
            enum jiku_update_component c, struct items *out, struct jiku_err *err)
{
    const char *w[] = {component_word[c], "list", "--update=available", "--format=json", NULL};
    json_t *root = NULL, *e;
    size_t i;
    int r;

    if ((r = wpt_wp_cli_array(panel, op, id, w, &root, err)) != 0)
        return r;
    json_array_foreach(root, i, e)
    {
        const char *name = member(e, "name"), *from = member(e, "version"),
                   *to = member(e, "update_version"), *update = member(e, "update");

        if (!valid_slug(name) || !valid_version(from) || !valid_version(to)) {
            r = jiku_err_set(err, JIKU_E_DATA,
                             "wp-cli %s list on '%s' printed entry %zu without a usable name, "
                             "version and update_version",
                             w[0], op->server->name, i + 1);
            break;
        }
        /* The filter asked for these only; "unavailable" ones need a newer PHP or core. */
        if ((update != NULL && strcmp(update, "available") != 0) ||
            excluded(op->params->update, name))
            continue;
        if ((r = items_add(out, c, name, from, to, err)) != 0)
            break;
    }
    json_decref(root);
    return r;
}

/* What is pending on instance ID: FROM installed, TO available. */
static int
list_pending(const struct wpt_panel *panel, struct jiku_op *op, long long id, struct items *out,
             struct jiku_err *err)
{
    unsigned want = op->params->update->components;
    int r = 0;

    if (want & JIKU_UPDATE_BIT(JIKU_UPDATE_CORE))
        r = pending_core(panel, op, id, out, err);
    if (r == 0 && (want & JIKU_UPDATE_BIT(JIKU_UPDATE_PLUGINS)))
        r = pending_ext(panel, op, id, JIKU_UPDATE_PLUGINS, out, err);
    if (r == 0 && (want & JIKU_UPDATE_BIT(JIKU_UPDATE_THEMES)))
        r = pending_ext(panel, op, id, JIKU_UPDATE_THEMES, out, err);
    return r;
}

static bool
has_component(const struct items *l, enum jiku_update_component c)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].component == c)
            return true;
    return false;
}

/* The version of SLUG in ROOT, wp-cli's list of installed plugins or themes, or NULL. */
static const char *
installed_version(json_t *root, const char *slug)
{
    json_t *e;
    size_t i;

    json_array_foreach(root, i, e)
    {
        const char *name = member(e, "name");

        if (name != NULL && strcmp(name, slug) == 0)
            return member(e, "version");
    }
    return NULL;
}

/*
 * What is installed now of each of BEFORE's components: NOW gets FROM before, TO now ("none"
 * for one that is gone); STUCK names those the update did not move, ", "-separated.
 */
static int
list_now(const struct wpt_panel *panel, struct jiku_op *op, long long id,
         const struct items *before, struct items *now, struct jiku_buf *stuck,
         struct jiku_err *err)
{
    static const char *const pw[] = {
        "plugin", "list", "--fields=name,version", "--format=json", "--skip-update-check", NULL};
    static const char *const tw[] = {
        "theme", "list", "--fields=name,version", "--format=json", "--skip-update-check", NULL};
    json_t *plugins = NULL, *themes = NULL;
    char *core = NULL;
    int r = 0, noted = 0;

    if (has_component(before, JIKU_UPDATE_CORE))
        r = core_version(panel, op, id, &core, err);
    if (r == 0 && has_component(before, JIKU_UPDATE_PLUGINS))
        r = wpt_wp_cli_array(panel, op, id, pw, &plugins, err);
    if (r == 0 && has_component(before, JIKU_UPDATE_THEMES))
        r = wpt_wp_cli_array(panel, op, id, tw, &themes, err);
    for (size_t i = 0; r == 0 && i < before->n; i++) {
        const struct jiku_update_item *b = &before->v[i];
        const char *v = b->component == JIKU_UPDATE_CORE      ? core
                        : b->component == JIKU_UPDATE_PLUGINS ? installed_version(plugins, b->name)
                                                              : installed_version(themes, b->name);

        if (v != NULL && !valid_version(v)) {
            r = jiku_err_set(err, JIKU_E_DATA, "wp-cli %s list on '%s' gives %s no usable version",
                             component_word[b->component], op->server->name, b->name);
            break;
        }
        if (v == NULL || strcmp(v, b->from) == 0)
            noted |= jiku_buf_addf(stuck, "%s%s%s%s %s%s", stuck->len > 0 ? ", " : "",
                                   component_word[b->component],
                                   b->component == JIKU_UPDATE_CORE ? "" : " ",
                                   b->component == JIKU_UPDATE_CORE ? "" : b->name,
                                   v == NULL ? "gone" : "at ", v == NULL ? "" : v);
        r = items_add(now, b->component, b->name, b->from, v != NULL ? v : "none", err);
    }
    if (r == 0 && noted != 0)
        r = plug_nomem(err);
    json_decref(plugins);
    json_decref(themes);
    free(core);
    return r;
}

/* `--wp-cli -instance-id ID -- WORDS` of one update, chained after what CMD holds. */
static int
chain(const struct wpt_panel *panel, struct jiku_buf *cmd, long long id, const char *const *words)
{
    if (cmd->len > 0 && jiku_buf_adds(cmd, " && ") != 0)
        return JIKU_E_NOMEM;
    return wpt_wp_cli_cmd(panel, cmd, id, words);
}

/* `plugin update SLUG…` or `theme update SLUG…` of PENDING's components C, when it has some. */
static int
chain_ext(const struct wpt_panel *panel, struct jiku_buf *cmd, long long id,
          const struct items *pending, enum jiku_update_component c)
{
    const char **w = calloc(pending->n + 3, sizeof(*w));
    size_t n = 0;
    int r = 0;

    if (w == NULL)
        return JIKU_E_NOMEM;
    w[n++] = component_word[c];
    w[n++] = "update";
    for (size_t i = 0; i < pending->n; i++)
        if (pending->v[i].component == c)
            w[n++] = pending->v[i].name;
    if (n > 2)
        r = chain(panel, cmd, id, w);
    free(w);
    return r;
}

/*
 * The update job: core (and its database) first, for plugins and themes may need the new
 * release, each command only once the one before succeeded.
 */
static int
update_script(const struct wpt_panel *panel, struct jiku_op *op, long long id,
              const struct items *pending, struct jiku_buf *cmd)
{
    const char *core[] = {"core", "update", op->params->update->core_major ? NULL : "--minor",
                          NULL};
    static const char *const db[] = {"core", "update-db", NULL};

    if (has_component(pending, JIKU_UPDATE_CORE) &&
        (chain(panel, cmd, id, core) != 0 || chain(panel, cmd, id, db) != 0))
        return JIKU_E_NOMEM;
    if (chain_ext(panel, cmd, id, pending, JIKU_UPDATE_PLUGINS) != 0 ||
        chain_ext(panel, cmd, id, pending, JIKU_UPDATE_THEMES) != 0)
        return JIKU_E_NOMEM;
    return 0;
}

/* LINE (LEN bytes) as evidence: at most EVIDENCE_MAX bytes, what is not printable as '?'. */
static int
add_evidence(struct jiku_buf *b, const char *line, size_t len)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < len && i < EVIDENCE_MAX; i++)
        r = jiku_buf_addch(b, line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?');
    return r;
}

/*
 * The lines of TEXT that start with one of PREFIXES (NULL-terminated) into OUT, " / "-separated:
 * the "Warning:" ones up to WARNINGS_SHOWN, the count of the rest.  *FOUND counts the lines.
 */
static int
add_lines(struct jiku_buf *out, const char *text, const char *const *prefixes, size_t *found)
{
    size_t warnings = 0;
    int r = 0;

    for (const char *p = text; r == 0 && p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

        for (const char *const *x = prefixes; r == 0 && *x != NULL; x++) {
            if (strncmp(p, *x, strlen(*x)) != 0)
                continue;
            if (strcmp(*x, "Warning:") == 0 && ++warnings > WARNINGS_SHOWN)
                break;
            if (out->len > 0)
                r = jiku_buf_adds(out, " / ");
            if (r == 0)
                r = add_evidence(out, p, len);
            (*found)++;
            break;
        }
        p = nl != NULL ? nl + 1 : NULL;
    }
    if (r == 0 && warnings > WARNINGS_SHOWN)
        r = jiku_buf_addf(out, " / %zu more warnings", warnings - WARNINGS_SHOWN);
    return r;
}

/* The last line of TEXT that says something, as evidence; 0 bytes added when none does. */
static int
add_last_line(struct jiku_buf *out, const char *text)
{
    const char *end = text + strlen(text), *start;

    while (end > text && isspace((unsigned char)end[-1]))
        end--;
    for (start = end; start > text && start[-1] != '\n'; start--)
        ;
    return add_evidence(out, start, (size_t)(end - start));
}

/* A check of WordPress itself through wp-cli, whose failure is evidence, not an error. */
struct wp_check {
    const char *name;            /* for messages */
    const char *const *words;    /* the wp-cli command */
    const char *expect;          /* what it must print (trimmed), or NULL: its exit status says */
    const char *const *evidence; /* prefixes of the lines that say what is wrong */
    const char *ok;              /* for the summary when it passes */
    const char *failure;         /* for the error when it does not */
};

/* Core's files as the release has them (their Warning and Error lines say which are not). */
static const struct wp_check checksums = {
    "core verify-checksums",
    (const char *const[]){"core", "verify-checksums", NULL},
    NULL,
    (const char *const[]){"Warning:", "Error:", NULL},
    "checksums ok",
    "core files fail their checksums",
};
/* WordPress loads, the site's plugins and theme included (else PHP's fatal error says why). */
static const struct wp_check loads = {
    "eval",
    (const char *const[]){"eval", "echo 1;", NULL},
    "1",
    (const char *const[]){"PHP Fatal error:", "Fatal error:", NULL},
    "WordPress loads",
    "WordPress does not load",
};

/*
 * Run check C on instance ID: ", OK" appended to SEEN when it passes, "health check: FAILURE
 * (wp-cli … exit N): EVIDENCE" to FAILED ("; "-separated) when not.  Non-zero only when it
 * could not be run.
 */
static int
wp_check(const struct wpt_panel *panel, struct jiku_op *op, long long id, const struct wp_check *c,
         struct jiku_buf *seen, struct jiku_buf *failed, struct jiku_err *err)
{
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    struct jiku_buf cmd = JIKU_BUF_INIT, said = JIKU_BUF_INIT;
    size_t found = 0;
    int r;

    if (wpt_wp_cli_cmd(panel, &cmd, id, c->words) != 0) {
        r = plug_nomem(err);
        goto out;
    }
    if ((r = op->host->ssh_exec(op, op->server, cmd.data, true, 1 << 20, &res, err)) != 0) {
        jiku_err_prefix(err, "health check: wp-cli %s on '%s'", c->name, op->server->name);
        goto out;
    }
    jiku_buf_rtrim(&res.out);
    if (res.exit_status == 0 && !res.truncated &&
        (c->expect == NULL || strcmp(res.out.data, c->expect) == 0)) {
        if (jiku_buf_addf(seen, ", %s", c->ok) != 0)
            r = plug_nomem(err);
        goto out;
    }
    /* PHP's CLI shows an error on stdout and logs it on stderr. */
    if (add_lines(&said, res.errout.data, c->evidence, &found) != 0 ||
        (found == 0 && add_lines(&said, res.out.data, c->evidence, &found) != 0) ||
        (found == 0 && add_last_line(&said, res.errout.data) != 0) ||
        (said.len == 0 && add_last_line(&said, res.out.data) != 0) ||
        jiku_buf_addf(failed, "%shealth check: %s (wp-cli %s exit %d)%s%s",
                      failed->len > 0 ? "; " : "", c->failure, c->name, res.exit_status,
                      said.len > 0 ? ": " : "", said.data) != 0)
        r = plug_nomem(err);
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    jiku_buf_release(&said);
    return r;
}

/*
 * The health of the site SITE, instance ID: its page (plug_health_http, health_path moved onto
 * SITE's path), core's checksums and WordPress loading.  0 and "health: …" appended to SUMMARY;
 * JIKU_E_FAILED naming every check that failed with its evidence; the statuses of the SSH
 * layer when a check could not be run.
 */
static int
check_health(const struct wpt_panel *panel, struct jiku_op *op, long long id,
             const struct wpt_site *site, struct jiku_buf *summary, struct jiku_err *err)
{
    struct jiku_buf path = JIKU_BUF_INIT, seen = JIKU_BUF_INIT, failed = JIKU_BUF_INIT;
    struct jiku_err e = {0};
    int r;

    if (plug_health_path(op, site->path, &path) != 0) {
        r = plug_nomem(err);
        goto out;
    }
    if ((r = plug_health_http(op, site->domain, path.data, &seen, &e)) == JIKU_E_FAILED)
        r = jiku_buf_adds(&failed, e.msg) != 0 ? plug_nomem(err) : 0;
    else if (r != 0)
        r = jiku_err_set(err, r, "%s", e.msg);
    if (r != 0 || (r = wp_check(panel, op, id, &checksums, &seen, &failed, err)) != 0 ||
        (r = wp_check(panel, op, id, &loads, &seen, &failed, err)) != 0)
        goto out;
    if (failed.len > 0)
        r = jiku_err_set(err, JIKU_E_FAILED, "%s", failed.data);
    else if (jiku_buf_addf(summary, "health: %s", seen.data) != 0)
        r = plug_nomem(err);
out:
    jiku_buf_release(&path);
    jiku_buf_release(&seen);
    jiku_buf_release(&failed);
    return r;
}

/* "core 6.5.2 -> 6.5.5, plugin akismet 5.3.1 -> 5.3.5" of L into OUT. */
static int
describe(const struct items *l, struct jiku_buf *out)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < l->n; i++) {
        const struct jiku_update_item *it = &l->v[i];

        if (it->component == JIKU_UPDATE_CORE)
            r = jiku_buf_addf(out, "%score %s -> %s", i > 0 ? ", " : "", it->from, it->to);
        else
            r = jiku_buf_addf(out, "%s%s %s %s -> %s", i > 0 ? ", " : "",
                              component_word[it->component], it->name, it->from, it->to);
    }
    return r;
}

/*
 * APPLY (live) or STAGING: what is pending on INST updated by one detached job, never sent
 * twice (a lost start is looked for by the host, not repeated), then what is installed now,
 * then the site's health.  Only live's update marks the operation changed.
 */
static int
apply(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_instance *inst,
      const struct wpt_site *site, bool staging, struct jiku_err *err)
{
    struct items before = {0}, now = {0};
    struct jiku_buf cmd = JIKU_BUF_INIT, stuck = JIKU_BUF_INIT, done = JIKU_BUF_INIT;
    char *job = NULL;
    bool running = false;
    int r;

    if ((r = plug_job_dir(op->server, op->params->operation_id,
                          staging ? "update-staging" : "update", &job, err)) != 0 ||
        (r = list_pending(panel, op, inst->id, &before, err)) != 0 || before.n == 0)
        goto out;
    if (update_script(panel, op, inst->id, &before, &cmd) != 0 || describe(&before, &done) != 0) {
        r = plug_nomem(err);
        goto out;
    }
    op->host->log(op, JIKU_LOG_INFO, "updating WordPress instance %lld ('%s') on '%s': %s",
                  inst->id, inst->site_url, op->server->name, done.data);
    jiku_buf_reset(&done);
    if (!staging)
        JIKU_OP_SET_CHANGED(op); /* the job writes onto live */
    /* Stopped at the timeout: a restore of the safety snapshot must not race it. */
    if ((r = plug_job_run(op, NULL, job, cmd.data, "WordPress update", true, &running, err)) != 0) {
        struct jiku_err e = {0};

        /* What the failed job changed, for the report; its own error is the one told. */
        if (!running)
            (void)list_now(panel, op, inst->id, &before, &now, &stuck, &e);
        goto out;
    }
    if ((r = list_now(panel, op, inst->id, &before, &now, &stuck, err)) != 0)
        goto out;
    if (stuck.len > 0) {
        r = jiku_err_set(err, JIKU_E_FAILED, "the update of '%s' left %s", inst->site_url,
                         stuck.data);
        goto out;
    }
    if ((staging && jiku_buf_addf(&done, "staging '%s': ", inst->site_url) != 0) ||
        describe(&now, &done) != 0 || jiku_buf_adds(&done, "; ") != 0) {
        r = plug_nomem(err);
        goto out;
    }
    if ((r = check_health(panel, op, inst->id, site, &done, err)) != 0)
        goto out;
    op->result->details = jiku_buf_detach(&done);
out:
    items_give(&now, op);
    items_release(&before);
    items_release(&now);
    jiku_buf_release(&cmd);
    jiku_buf_release(&stuck);
    jiku_buf_release(&done);
    free(job);
    return r;
}

/* What makes no sense for a WordPress site, refused before anything runs. */
static int
check_params(const struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_update_params *u = op->params->update;
    const unsigned known = JIKU_UPDATE_BIT(JIKU_UPDATE_CORE) |
                           JIKU_UPDATE_BIT(JIKU_UPDATE_PLUGINS) |
                           JIKU_UPDATE_BIT(JIKU_UPDATE_THEMES);

    if (u == NULL || op->target == NULL || op->target->kind != JIKU_KIND_WORDPRESS)
        return jiku_err_set(err, JIKU_E_INVAL, "WordPress update without a WordPress target");
    if (u->components == 0 || (u->components & ~known) != 0)
        return jiku_err_set(err, JIKU_E_INVAL,
                            "a WordPress site updates its core, plugins and themes, not "
                            "components 0x%x",
                            u->components);
    if (u->step > JIKU_UPDATE_CHECK)
        return jiku_err_set(err, JIKU_E_INVAL, "unknown update step %d", (int)u->step);
    if (op->params->dry_run && u->step != JIKU_UPDATE_LIST)
        return jiku_err_set(err, JIKU_E_INVAL, "a dry run of an update only lists what is pending");
    return 0;
}

int
wpt_update(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_update_params *u = op->params->update;
    struct wpt_site site;
    struct wpt_instance inst = {0};
    struct items pending = {0};
    struct jiku_buf health = JIKU_BUF_INIT;
    char *domain = NULL;
    int r;

    if ((r = check_params(op, err)) != 0)
        return r;
    if (u->step == JIKU_UPDATE_STAGING &&
        (r = wpt_staging_domain(op, "to update", &domain, err)) != 0)
        return r;
    if ((r = wpt_target_site(panel, op, domain, &site, err)) != 0 ||
        (r = wpt_resolve_site(panel, op, &site, &inst, err)) != 0)
        goto out;
    switch (u->step) {
    case JIKU_UPDATE_LIST:
        if ((r = list_pending(panel, op, inst.id, &pending, err)) == 0)
            items_give(&pending, op);
        break;
    case JIKU_UPDATE_APPLY:
    case JIKU_UPDATE_STAGING:
        r = apply(panel, op, &inst, &site, u->step == JIKU_UPDATE_STAGING, err);
        break;
    case JIKU_UPDATE_CHECK:
        if ((r = check_health(panel, op, inst.id, &site, &health, err)) == 0)
            op->result->details = jiku_buf_detach(&health);
        break;
    }
out:
    items_release(&pending);
    wpt_instance_release(&inst);
    jiku_buf_release(&health);
    free(domain);
    return r;
}
