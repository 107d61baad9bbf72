/*
 * Answers of the Softaculous enduser API on cPanel (docs/WIRE.md §2.7, §5): the
 * session URL and its redirect, the JSON envelope, task keys and the task list, installations,
 * backups and updates.  Shapes vary between versions ([3P] docs): objects or lists, numbers or
 * strings are both read; what cannot be read is JIKU_E_DATA, never a guess.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpanel.h"

static bool
valid_theme(const char *s, size_t n)
{
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

/* Length of a "/cpsess" + digits segment at S, or 0. */
static size_t
cpsess_len(const char *s)
{
    size_t n = 7;

    if (strncmp(s, "/cpsess", 7) != 0)
        return 0;
    while (isdigit((unsigned char)s[n]))
        n++;
    return n > 7 && n <= 7 + 32 ? n : 0;
}

/* S without "https://HOST[:PORT]" when it is an absolute URL; NULL for another scheme. */
static const char *
url_path(const char *s)
{
    if (strncasecmp(s, "https://", 8) == 0) {
        s = strchr(s + 8, '/');
        return s;
    }
    if (strstr(s, "://") != NULL)
        return NULL;
    return s;
}

int
cpanel_soft_login_path(const char *url, char **path, struct jiku_err *err)
{
    const char *p = url != NULL ? url_path(url) : NULL;
    size_t n;

    *path = NULL;
    if (p == NULL || (n = cpsess_len(p)) == 0 || strncmp(p + n, "/login/", 7) != 0)
        return jiku_err_set(err, JIKU_E_DATA,
                            "create_user_session gave no usable session URL (expected "
                            "https://HOST:PORT/cpsessN/login/?session=…)");
    for (const char *c = p; *c != '\0'; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f)
            return jiku_err_set(err, JIKU_E_DATA, "the session URL holds control characters");
    if ((*path = strdup(p)) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

int
cpanel_soft_redirect(const char *location, char **prefix, char **theme, struct jiku_err *err)
{
    const char *p = location != NULL ? url_path(location) : NULL, *t, *end;
    size_t n;

    *prefix = *theme = NULL;
    if (p == NULL || (n = cpsess_len(p)) == 0)
        return jiku_err_set(err, JIKU_E_AUTH,
                            "the cPanel session login did not redirect into a session");
    t = p + n;
    if (strncmp(t, "/frontend/", 10) != 0)
        return jiku_err_set(err, JIKU_E_DATA,
                            "the cPanel session redirect names no /frontend/THEME/ page");
    t += 10;
    end = t + strcspn(t, "/?#");
    if (*end != '/' || !valid_theme(t, (size_t)(end - t)))
        return jiku_err_set(err, JIKU_E_DATA, "the cPanel session redirect names no valid theme");
    if ((*prefix = strndup(p, n)) == NULL || (*theme = strndup(t, (size_t)(end - t))) == NULL) {
        free(*prefix);
        *prefix = NULL;
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    return 0;
}

/* One text V of an "error" list or object, the Nth: at most 8 are kept.  0 or JIKU_E_NOMEM. */
static int
add_error(struct jiku_buf *b, json_t *v, int *n)
{
    if (!json_is_string(v) || *n >= 8)
        return 0;
    if (jiku_buf_adds(b, (*n)++ > 0 ? "; " : "") != 0 ||
        cpanel_add_text(b, json_string_value(v), 400) != 0)
        return JIKU_E_NOMEM;
    return 0;
}

/*
 * The texts of an "error" member (a list, an object of texts, or one text) appended to B: their
 * number, 0 for none, or JIKU_E_NOMEM when B cannot grow.
 */
static int
error_text(json_t *e, struct jiku_buf *b)
{
    size_t i;
    const char *k;
    json_t *v;
    int n = 0;

    if (json_is_string(e) && json_string_length(e) > 0)
        return cpanel_add_text(b, json_string_value(e), 400) != 0 ? JIKU_E_NOMEM : 1;
    if (json_is_array(e) || json_is_object(e)) {
        /* Each loop walks nothing on the other kind of container. */
        json_array_foreach(e, i, v)
        {
            if (add_error(b, v, &n) != 0)
                return JIKU_E_NOMEM;
        }
        json_object_foreach(e, k, v)
        {
            if (add_error(b, v, &n) != 0)
                return JIKU_E_NOMEM;
        }
        if (n == 0 && (json_array_size(e) > 0 || json_object_size(e) > 0))
            return jiku_buf_adds(b, "unknown error") != 0 ? JIKU_E_NOMEM : 1;
        return n;
    }
    if (json_is_true(e) || (json_is_integer(e) && json_integer_value(e) != 0))
        return jiku_buf_adds(b, "unknown error") != 0 ? JIKU_E_NOMEM : 1;
    return 0;
}

static bool
login_page(const char *body, size_t len)
{
    return memmem(body, len, "login_form", 10) != NULL ||
           memmem(body, len, "Token denied", 12) != NULL ||
           memmem(body, len, "Token Denied", 12) != NULL;
}

int
cpanel_soft_parse(const char *act, long status, const char *body, size_t len, json_t **root,
                  struct jiku_err *err)
{
    struct jiku_buf why = JIKU_BUF_INIT;
    json_error_t jerr;
    json_t *j;
    int r;

    *root = NULL;
    if (status == 401 || status == 403 ||
        (status == 200 && login_page(body, len) && (len == 0 || body[0] != '{')))
        return jiku_err_set(err, JIKU_E_AUTH,
                            "Softaculous '%s' answered with the cPanel login page (HTTP %ld): "
                            "the session was refused",
                            act, status);
    if (status < 200 || status > 299)
        return jiku_err_set(err, JIKU_E_DATA, "unexpected HTTP %ld from Softaculous '%s'", status,
                            act);
    if (len == 0)
        return jiku_err_set(err, JIKU_E_DATA, "empty answer from Softaculous '%s'", act);
    if (len > CPANEL_JSON_MAX)
        return jiku_err_set(err, JIKU_E_DATA, "answer from Softaculous '%s' exceeds %zu bytes", act,
                            CPANEL_JSON_MAX);
    if ((j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
        return jiku_err_set(err, JIKU_E_DATA,
                            "answer from Softaculous '%s' is not valid JSON (line %d column %d: "
                            "%s)",
                            act, jerr.line, jerr.column, jerr.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return jiku_err_set(err, JIKU_E_DATA, "answer from Softaculous '%s' is not a JSON object",
                            act);
    }
    if ((r = error_text(json_object_get(j, "error"), &why)) != 0) {
        r = r < 0 ? jiku_err_set(err, r, "out of memory")
                  : jiku_err_set(err, JIKU_E_PANEL, "Softaculous '%s' failed: %s", act, why.data);
        jiku_buf_release(&why);
        json_decref(j);
        return r;
    }
    *root = j;
    return 0;
}

int
cpanel_soft_task_key(json_t *root, const char *act, char **ssk, struct jiku_err *err)
{
    json_t *d = json_object_get(root, "done");
    char num[32];
    const char *s = NULL;

    *ssk = NULL;
    if (json_is_string(d))
        s = json_string_value(d);
    else if (json_is_integer(d) && json_integer_value(d) > 0) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(d));
        s = num;
    }
    if (s == NULL || *s == '\0' || strlen(s) > 64)
        return jiku_err_set(err, JIKU_E_DATA, "Softaculous '%s' gave no task key ('done')", act);
    for (const char *c = s; *c != '\0'; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
            return jiku_err_set(err, JIKU_E_DATA, "Softaculous '%s' gave an invalid task key", act);
    if ((*ssk = strdup(s)) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

/* An integer given as a number or a numeric string; -1 otherwise. */
static long long
num_value(json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_real(v))
        return (long long)json_real_value(v);
    if (json_is_string(v) && *json_string_value(v) != '\0') {
        char *end;
        long long n = strtoll(json_string_value(v), &end, 10);

        return *end == '\0' || *end == '.' ? n : -1;
    }
    return -1;
}

static bool
truthy(json_t *v)
{
    if (json_is_string(v))
        return *json_string_value(v) != '\0' && strcmp(json_string_value(v), "0") != 0;
    return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0);
}

/* A "status" with nothing in it: absent, null, false, "" or an empty list/object. */
static bool
empty_value(json_t *v)
{
    return v == NULL || json_is_null(v) || json_is_false(v) ||
           (json_is_string(v) && *json_string_value(v) == '\0') ||
           (json_is_array(v) && json_array_size(v) == 0) ||
           (json_is_object(v) && json_object_size(v) == 0);
}

int
cpanel_soft_task_state(json_t *root, int *progress, bool *done, struct jiku_err *err)
{
    json_t *st = json_object_get(root, "status");
    struct jiku_buf why = JIKU_BUF_INIT;
    long long p;
    int r;

    *done = false;
    *progress = 0;
    if (!json_is_object(st) || json_object_size(st) == 0) {
        /*
         * Softaculous deletes a task's status file when the task fails: a task that is gone
         * from the list after its start did not succeed (tests/fakes/wptoolkit/README.md).
         */
        if (empty_value(st) && truthy(json_object_get(root, "no_tasks")))
            return jiku_err_set(err, JIKU_E_PANEL,
                                "the task is gone from the Softaculous task list without reaching "
                                "100%% (Softaculous deletes the status of a task that failed)");
        return jiku_err_set(err, JIKU_E_DATA, "the Softaculous task list gives no task status");
    }
    if ((r = error_text(json_object_get(st, "error"), &why)) != 0) {
        r = r < 0 ? jiku_err_set(err, r, "out of memory")
                  : jiku_err_set(err, JIKU_E_PANEL, "%s", why.data);
        jiku_buf_release(&why);
        return r;
    }
    /*
     * Only progress says done: "completed" is a label ("Installation Completed") the status
     * carries from the start (tests/fakes/wptoolkit/README.md, eu_tasklist).
     */
    p = num_value(json_object_get(st, "progress"));
    if (p < 0)
        return jiku_err_set(err, JIKU_E_DATA, "the Softaculous task list gives no valid progress");
    *progress = p > 100 ? 100 : (int)p;
    *done = p >= 100;
    return 0;
}

/* ---- installations ------------------------------------------------------------------- */

void
cpanel_soft_ins_release(struct cpanel_soft_ins *i)
{
    free(i->insid);
    free(i->domain);
    free(i->directory);
    free(i->path);
    free(i->url);
    free(i->live_insid);
    free(i->script);
    free(i->backup_location);
    free(i->sid);
    free(i->ver);
    memset(i, 0, sizeof(*i));
}

/* DIR without leading and trailing slashes, into B. */
static int
add_dir(struct jiku_buf *b, const char *dir)
{
    size_t n;

    while (*dir == '/')
        dir++;
    n = strlen(dir);
    while (n > 0 && dir[n - 1] == '/')
        n--;
    return jiku_buf_add(b, dir, n);
}

static int
dup_or_null(char **dst, const char *s)
{
    if (s != NULL && (*dst = strdup(s)) == NULL)
        return JIKU_E_NOMEM;
    return 0;
}

/* A text or an integer V as text into *OUT: NULL when V is neither, or an empty text. */
static int
scalar_from(json_t *v, char **out)
{
    char num[32];

    *out = NULL;
    if (json_is_string(v) && *json_string_value(v) != '\0')
        return dup_or_null(out, json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        return dup_or_null(out, num);
    }
    return 0;
}

/*
 * The saved backup location LOC (a location id, text or number) into *OUT: NULL when not shown
 * or empty, "?" for a value that cannot be read (then taken as not local).
 */
static int
location_from(json_t *loc, char **out)
{
    int r;

    *out = NULL;
    if (empty_value(loc))
        return 0;
    if ((r = scalar_from(loc, out)) != 0 || *out != NULL)
        return r;
    return dup_or_null(out, "?");
}

/* The installation object V (key KEY) into OUT; the directory from softurl when absent. */
static int
ins_from(json_t *v, const char *key, struct cpanel_soft_ins *out)
{
    struct jiku_buf d = JIKU_BUF_INIT;
    const char *insid = cpanel_json_str(v, "insid"), *dir = cpanel_json_str(v, "softdirectory");
    const char *url = cpanel_json_str(v, "softurl"), *script = cpanel_json_str(v, "script");
    json_t *live = json_object_get(v, "live_insid"), *loc = json_object_get(v, "backup_location");
    int r = 0;

    memset(out, 0, sizeof(*out));
    if (dir == NULL && url != NULL && strncasecmp(url, "http", 4) == 0 &&
        strstr(url, "://") != NULL) {
        const char *p = strchr(strstr(url, "://") + 3, '/');

        dir = p != NULL ? p : "";
    }
    if (jiku_buf_adds(&d, "") != 0 || add_dir(&d, dir != NULL ? dir : "") != 0 ||
        (out->directory = jiku_buf_detach(&d)) == NULL ||
        dup_or_null(&out->insid, insid != NULL ? insid : key) != 0 ||
        dup_or_null(&out->domain, cpanel_json_str(v, "softdomain")) != 0 ||
        dup_or_null(&out->path, cpanel_json_str(v, "softpath")) != 0 ||
        dup_or_null(&out->url, url) != 0 ||
        dup_or_null(&out->script, script != NULL ? script : cpanel_json_str(v, "script_name")) !=
            0 ||
        scalar_from(json_object_get(v, "sid"), &out->sid) != 0 ||
        scalar_from(json_object_get(v, "ver"), &out->ver) != 0)
        r = JIKU_E_NOMEM;
    if (r == 0 && json_is_string(live) && *json_string_value(live) != '\0')
        r = dup_or_null(&out->live_insid, json_string_value(live));
    if (r == 0)
        r = location_from(loc, &out->backup_location);
    out->is_staging = truthy(json_object_get(v, "is_staging"));
    out->has_is_staging = json_object_get(v, "is_staging") != NULL;
    jiku_buf_release(&d);
    if (r != 0)
        cpanel_soft_ins_release(out);
    return r;
}

typedef bool (*ins_visit_fn)(json_t *v, const char *key, void *arg);

/* Every installation object in "installations": {SID:{INSID:{…}}}, tolerating one level. */
static void
each_ins(json_t *root, ins_visit_fn fn, void *arg)
{
    json_t *all = json_object_get(root, "installations"), *group, *v;
    const char *sid, *insid;

    json_object_foreach(all, sid, group)
    {
        if (!json_is_object(group))
            continue;
        if (json_is_string(json_object_get(group, "insid"))) {
            if (!fn(group, sid, arg))
                return;
            continue;
        }
        json_object_foreach(group, insid, v)
        {
            if (json_is_object(v) && !fn(v, insid, arg))
                return;
        }
    }
}

struct ins_match {
    const char *domain;
    struct jiku_buf dir;
    const char *insid;
    size_t n;
    json_t *found;
    const char *found_key;
};

static bool
match_one(json_t *v, const char *key, void *arg)
{
    struct ins_match *m = arg;
    struct cpanel_soft_ins i;

    if (ins_from(v, key, &i) != 0)
        return true;
    if (m->insid != NULL ? strcmp(i.insid, m->insid) == 0
                         : i.domain != NULL && strcasecmp(i.domain, m->domain) == 0 &&
                               strcmp(i.directory, m->dir.data) == 0) {
        m->n++;
        m->found = v;
        m->found_key = key;
    }
    cpanel_soft_ins_release(&i);
    return true;
}

int
cpanel_soft_find_ins(json_t *root, const char *domain, const char *dir, const char *insid,
                     struct cpanel_soft_ins *out, struct jiku_err *err)
{
    struct ins_match m = {.domain = domain, .dir = JIKU_BUF_INIT, .insid = insid};
    json_t *all = json_object_get(root, "installations");
    int r;

    memset(out, 0, sizeof(*out));
    if (all == NULL || (!json_is_object(all) && !json_is_array(all)))
        return jiku_err_set(err, JIKU_E_DATA, "Softaculous gave no installations list");
    if (jiku_buf_adds(&m.dir, "") != 0 || add_dir(&m.dir, dir != NULL ? dir : "") != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    each_ins(root, match_one, &m);
    if (m.n == 0)
        r = insid != NULL
                ? jiku_err_set(err, JIKU_E_NOTFOUND, "Softaculous has no installation '%s'", insid)
                : jiku_err_set(err, JIKU_E_NOTFOUND, "Softaculous has no installation at '%s/%s'",
                               domain, m.dir.data);
    else if (m.n > 1)
        r = jiku_err_set(err, JIKU_E_DATA,
                         "Softaculous lists %zu installations at '%s/%s': ambiguous, nothing "
                         "done",
                         m.n, domain != NULL ? domain : insid, m.dir.data);
    else if (ins_from(m.found, m.found_key, out) != 0)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    else if (!cpanel_soft_valid_insid(out->insid)) {
        cpanel_soft_ins_release(out);
        r = jiku_err_set(err, JIKU_E_DATA, "Softaculous lists an invalid installation id");
    } else
        r = 0;
    jiku_buf_release(&m.dir);
    return r;
}

bool
cpanel_soft_valid_insid(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

/* ---- updates (docs/WIRE.md §5.7) ----------------------------------------------------- */

/*
 * Softaculous's id of Nextcloud in its script list, as the simulator seeds it
 * (tests/fakes/wptoolkit/README.md): asked only of an installation that shows no script name.
 */
#define NEXTCLOUD_SID "483"

bool
cpanel_soft_is_nextcloud(const struct cpanel_soft_ins *i)
{
    if (i->script != NULL)
        return strcasecmp(i->script, "Nextcloud") == 0;
    return i->sid != NULL && strcmp(i->sid, NEXTCLOUD_SID) == 0;
}

bool
cpanel_soft_valid_version(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n == 0 || n > 64 || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && strchr("._+-", s[i]) == NULL)
            return false;
    return true;
}

int
cpanel_soft_offer(json_t *root, char **name, char **ver, struct jiku_err *err)
{
    json_t *sw = json_object_get(root, "software");
    const char *nm = cpanel_json_str(sw, "name");
    struct jiku_buf b = JIKU_BUF_INIT;

    *name = NULL;
    if (scalar_from(json_object_get(sw, "ver"), ver) != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    if (!cpanel_soft_valid_version(*ver) || nm == NULL || *nm == '\0') {
        free(*ver);
        *ver = NULL;
        return jiku_err_set(err, JIKU_E_DATA,
                            "Softaculous's script page gives no software name and valid version");
    }
    if (cpanel_add_text(&b, nm, 64) != 0 || (*name = jiku_buf_detach(&b)) == NULL) {
        jiku_buf_release(&b);
        free(*ver);
        *ver = NULL;
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    return 0;
}

/*
 * URL for a message: a /cpsessN segment (the session, a credential) as "/cpsess*", control
 * bytes as spaces, at most 200 bytes.  0 or JIKU_E_NOMEM.
 */
static int
add_url_text(struct jiku_buf *b, const char *url)
{
    for (const char *p = url; *p != '\0'; p++) {
        if (b->len >= 200)
            return jiku_buf_adds(b, "...");
        if (strncmp(p, "/cpsess", 7) == 0) {
            if (jiku_buf_adds(b, "/cpsess*") != 0)
                return JIKU_E_NOMEM;
            for (p += 7; isdigit((unsigned char)p[0]); p++)
                ;
            p--;
            continue;
        }
        if (jiku_buf_addch(b, (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p) != 0)
            return JIKU_E_NOMEM;
    }
    return 0;
}

int
cpanel_soft_upgraded(json_t *root, const char *what, struct jiku_err *err)
{
    json_t *cont = json_object_get(root, "setupcontinue");
    struct jiku_buf url = JIKU_BUF_INIT;
    int r;

    if (truthy(cont)) {
        if (add_url_text(&url, json_is_string(cont) ? json_string_value(cont) : "?") != 0)
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        else
            r = jiku_err_set(err, JIKU_E_FAILED,
                             "%s stopped: a step remains in Softaculous's web interface (%s)", what,
                             url.data);
        jiku_buf_release(&url);
        return r;
    }
    if (!truthy(json_object_get(root, "done")))
        return jiku_err_set(err, JIKU_E_PANEL, "Softaculous did not report %s done", what);
    return 0;
}

/* ---- backups ------------------------------------------------------------------------- */

void
cpanel_soft_backup_release(struct cpanel_soft_backup *b)
{
    free(b->name);
    free(b->dir);
    free(b->insid);
    memset(b, 0, sizeof(*b));
}

/* Is NAME a line of LIST ("a\nb\n")? */
static bool
listed(const char *list, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = list; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (strncmp(p, name, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

typedef bool (*backup_visit_fn)(json_t *e, const char *insid, void *arg);

/* Every backup entry in "backups": {SID:{INSID:[{…}]}}. */
static void
each_backup(json_t *root, backup_visit_fn fn, void *arg)
{
    json_t *all = json_object_get(root, "backups"), *group, *list, *e;
    const char *sid, *insid;
    size_t i;

    json_object_foreach(all, sid, group)
    {
        if (!json_is_object(group))
            continue;
        json_object_foreach(group, insid, list)
        {
            if (json_is_object(list) && json_is_string(json_object_get(list, "name"))) {
                if (!fn(list, insid, arg))
                    return;
                continue;
            }
            if (json_is_object(list)) {
                /* Some answers key the entries by name instead of listing them. */
                const char *k;

                json_object_foreach(list, k, e)
                {
                    if (json_is_object(e) && !fn(e, insid, arg))
                        return;
                }
                continue;
            }
            json_array_foreach(list, i, e)
            {
                if (json_is_object(e) && !fn(e, insid, arg))
                    return;
            }
        }
    }
    (void)sid;
}

struct backup_pick {
    const char *insid, *ssk, *before, *name;
    struct jiku_buf *names;
    json_t *best;
    const char *best_insid;
    long long best_time;
    bool by_ssk;
    bool nomem; /* names could not grow: the walk stopped */
    size_t n;
};

static bool
pick_one(json_t *e, const char *insid, void *arg)
{
    struct backup_pick *p = arg;
    const char *name = cpanel_json_str(e, "name"), *ssk = cpanel_json_str(e, "ssk");
    const char *own = cpanel_json_str(e, "insid");
    long long t = num_value(json_object_get(e, "btime"));

    if (own != NULL)
        insid = own;
    if (name == NULL)
        return true;
    if (p->names != NULL) {
        if ((p->insid == NULL || strcmp(insid, p->insid) == 0) &&
            (jiku_buf_adds(p->names, name) != 0 || jiku_buf_addch(p->names, '\n') != 0)) {
            p->nomem = true;
            return false;
        }
        return true;
    }
    if (p->name != NULL) {
        if (strcmp(name, p->name) == 0) {
            p->n++;
            p->best = e;
            p->best_insid = insid;
        }
        return true;
    }
    if (strcmp(insid, p->insid) != 0)
        return true;
    if (p->ssk != NULL && ssk != NULL && strcmp(ssk, p->ssk) == 0) {
        if (!p->by_ssk)
            p->n = 0;
        p->by_ssk = true;
        p->n++;
        p->best = e;
        p->best_insid = insid;
        return true;
    }
    if (p->by_ssk || listed(p->before, name))
        return true;
    p->n++;
    if (p->best == NULL || t > p->best_time) {
        p->best = e;
        p->best_insid = insid;
        p->best_time = t;
    }
    return true;
}

static int
backup_from(json_t *e, const char *insid, struct cpanel_soft_backup *out, struct jiku_err *err)
{
    const char *name = cpanel_json_str(e, "name"), *dir = cpanel_json_str(e, "path");
    long long size = num_value(json_object_get(e, "size"));

    memset(out, 0, sizeof(*out));
    if (name == NULL || !plug_valid_component(name))
        return jiku_err_set(err, JIKU_E_DATA, "Softaculous lists a backup with an invalid name");
    if (dir == NULL || *dir != '/')
        return jiku_err_set(err, JIKU_E_DATA, "Softaculous gives no directory for backup '%s'",
                            name);
    if ((out->name = strdup(name)) == NULL || (out->insid = strdup(insid)) == NULL ||
        (out->dir = strdup(dir)) == NULL) {
        cpanel_soft_backup_release(out);
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    /* "/home/u/softaculous_backups/" and without the slash alike. */
    for (size_t n = strlen(out->dir); n > 1 && out->dir[n - 1] == '/'; n--)
        out->dir[n - 1] = '\0';
    out->size = size >= 0 ? (uint64_t)size : 0;
    out->have_size = size >= 0;
    return 0;
}

int
cpanel_soft_backup_names(json_t *root, const char *insid, struct jiku_buf *names,
                         struct jiku_err *err)
{
    struct backup_pick p = {.insid = insid, .names = names};

    if (!json_is_object(json_object_get(root, "backups")) &&
        !json_is_array(json_object_get(root, "backups")))
        return jiku_err_set(err, JIKU_E_DATA, "Softaculous gave no backups list");
    if (jiku_buf_adds(names, "") != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    each_backup(root, pick_one, &p);
    if (p.nomem)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

int
cpanel_soft_find_new_backup(json_t *root, const char *insid, const char *ssk, const char *before,
                            struct cpanel_soft_backup *out, struct jiku_err *err)
{
    struct backup_pick p = {.insid = insid, .ssk = ssk, .before = before};

    memset(out, 0, sizeof(*out));
    if (!json_is_object(json_object_get(root, "backups")) &&
        !json_is_array(json_object_get(root, "backups")))
        return jiku_err_set(err, JIKU_E_DATA, "Softaculous gave no backups list");
    each_backup(root, pick_one, &p);
    if (p.best == NULL)
        return jiku_err_set(err, JIKU_E_PANEL,
                            "Softaculous reported the backup of '%s' done but lists no new backup",
                            insid);
    if (p.n > 1 && p.by_ssk)
        return jiku_err_set(err, JIKU_E_DATA,
                            "Softaculous lists %zu backups of task '%s' of '%s': ambiguous", p.n,
                            ssk, insid);
    if (p.n > 1)
        return jiku_err_set(err, JIKU_E_DATA,
                            "Softaculous lists %zu new backups of '%s': cannot tell which one is "
                            "ours",
                            p.n, insid);
    return backup_from(p.best, p.best_insid, out, err);
}

int
cpanel_soft_find_backup(json_t *root, const char *name, struct cpanel_soft_backup *out,
                        struct jiku_err *err)
{
    struct backup_pick p = {.name = name};

    memset(out, 0, sizeof(*out));
    if (!json_is_object(json_object_get(root, "backups")) &&
        !json_is_array(json_object_get(root, "backups")))
        return jiku_err_set(err, JIKU_E_DATA, "Softaculous gave no backups list");
    each_backup(root, pick_one, &p);
    if (p.n == 0)
        return jiku_err_set(err, JIKU_E_NOTFOUND, "Softaculous does not list the backup '%s'",
                            name);
    if (p.n > 1)
        return jiku_err_set(err, JIKU_E_DATA, "Softaculous lists the backup '%s' %zu times", name,
                            p.n);
    return backup_from(p.best, p.best_insid, out, err);
}
