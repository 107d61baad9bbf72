/*
 * Artifacts in the catalog: their ids, names and rows.
 *
 * An id is reserved by inserting its pending row: the primary key, not a read-then-write,
 * decides which process gets it, so two agents making snapshots of one target in the same
 * second get .2 and .3 rather than one id twice.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "catalog.h"
#include "catalog_db.h"

/* Beyond this many artifacts of one target in one second something is looping. */
#define ID_SUFFIX_MAX 999

static const char *const kind_names[] = {"snapshot", "backup", "safety"};
static const char kind_letters[] = {'s', 'b', 'x'};
static const char *const status_names[] = {"pending", "good", "failed", "pruned"};

#define N_KINDS (sizeof(kind_names) / sizeof(kind_names[0]))
#define N_STATUSES (sizeof(status_names) / sizeof(status_names[0]))

/* The columns of artifacts in the order row_to_artifact reads and bind_artifact writes. */
#define ARTIFACT_COLUMNS                                                                           \
    "id, customer, target, kind, server, panel, location, backup_path, size, md5, sha256, "        \
    "warnings, created, status, pinned"

const char *
jiku_artifact_kind_name(enum jiku_artifact_kind kind)
{
    if ((unsigned)kind < N_KINDS)
        return kind_names[kind];
    return "unknown";
}

const char *
jiku_artifact_status_name(enum jiku_artifact_status st)
{
    if ((unsigned)st < N_STATUSES)
        return status_names[st];
    return "unknown";
}

int
jiku_artifact_kind_parse(const char *s, enum jiku_artifact_kind *out)
{
    for (size_t i = 0; s != NULL && i < N_KINDS; i++) {
        if (strcmp(s, kind_names[i]) == 0) {
            *out = (enum jiku_artifact_kind)i;
            return 0;
        }
    }
    return JIKU_E_DATA;
}

int
jiku_artifact_status_parse(const char *s, enum jiku_artifact_status *out)
{
    for (size_t i = 0; s != NULL && i < N_STATUSES; i++) {
        if (strcmp(s, status_names[i]) == 0) {
            *out = (enum jiku_artifact_status)i;
            return 0;
        }
    }
    return JIKU_E_DATA;
}

/* A customer or target name: [a-z0-9][a-z0-9-]{0,62}, the rule of config names. */
static size_t
name_span(const char *s)
{
    size_t n = 0;

    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
        return 0;
    while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '-')
        n++;
    return n <= 63 ? n : 0;
}

bool
jiku_artifact_target_valid(const char *target)
{
    size_t n;

    if (target == NULL || (n = name_span(target)) == 0 || target[n] != '/')
        return false;
    target += n + 1;
    return (n = name_span(target)) != 0 && target[n] == '\0';
}

char *
jiku_artifact_id_format(const char *target, enum jiku_artifact_kind kind, time_t t)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    struct tm tm;
    char stamp[32];
    const char *slash;

    if (!jiku_artifact_target_valid(target) || (unsigned)kind >= N_KINDS ||
        gmtime_r(&t, &tm) == NULL || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) != 16)
        return NULL;
    slash = strchr(target, '/');
    if (jiku_buf_addf(&b, "%s.%.*s.%s.%c", stamp, (int)(slash - target), target, slash + 1,
                      kind_letters[kind]) != 0) {
        jiku_buf_release(&b);
        return NULL;
    }
    return jiku_buf_detach(&b);
}

bool
jiku_artifact_id_valid(const char *id)
{
    size_t n;

    if (id == NULL || strlen(id) < 17)
        return false;
    for (int i = 0; i < 16; i++) {
        bool digit = id[i] >= '0' && id[i] <= '9';
        if (i == 8 ? id[i] != 'T' : i == 15 ? id[i] != 'Z' : !digit)
            return false;
    }
    id += 16;
    if (*id++ != '.' || (n = name_span(id)) == 0 || id[n] != '.')
        return false;
    id += n + 1;
    if ((n = name_span(id)) == 0 || id[n] != '.')
        return false;
    id += n + 1;
    if (memchr(kind_letters, id[0], sizeof(kind_letters)) == NULL)
        return false;
    if (id[1] == '\0')
        return true;
    /* The suffix: .2, .3 ... never .0, .1 or a leading zero. */
    if (id[1] != '.' || id[2] < '1' || id[2] > '9' || (id[2] == '1' && id[3] == '\0'))
        return false;
    n = strspn(id + 2, "0123456789");
    return n <= 4 && id[2 + n] == '\0';
}

void
jiku_artifact_release(struct jiku_artifact *a)
{
    if (a == NULL)
        return;
    free(a->id);
    free(a->customer);
    free(a->target);
    free(a->server);
    free(a->panel);
    free(a->location);
    free(a->backup_path);
    free(a->md5);
    free(a->sha256);
    free(a->warnings);
    memset(a, 0, sizeof(*a));
}

void
jiku_artifact_list_release(struct jiku_artifact_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        jiku_artifact_release(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/*
 * Bind A's columns, in ARTIFACT_COLUMNS order, from parameter FIRST on; ID overrides A->id
 * and CUSTOMER A->customer when non-NULL.  A size of 0 means unknown and is stored as NULL.
 */
static int
bind_artifact(sqlite3_stmt *st, int first, const struct jiku_artifact *a, const char *id,
              const char *customer)
{
    int i = first, rc = SQLITE_OK;

    if (a->size > (uint64_t)INT64_MAX)
        return SQLITE_RANGE;
    if ((rc = jiku_catalog_bind_text(st, i++, id != NULL ? id : a->id)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, customer != NULL ? customer : a->customer)) !=
            SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, a->target)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, jiku_artifact_kind_name(a->kind))) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, a->server)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, a->panel)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, a->location)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, a->backup_path)) != SQLITE_OK)
        return rc;
    rc =
        a->size != 0 ? sqlite3_bind_int64(st, i, (sqlite3_int64)a->size) : sqlite3_bind_null(st, i);
    i++;
    if (rc != SQLITE_OK || (rc = jiku_catalog_bind_text(st, i++, a->md5)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, a->sha256)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, a->warnings)) != SQLITE_OK ||
        (rc = sqlite3_bind_int64(st, i++, (sqlite3_int64)a->created)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, jiku_artifact_status_name(a->status))) != SQLITE_OK ||
        (rc = sqlite3_bind_int(st, i++, a->pinned ? 1 : 0)) != SQLITE_OK)
        return rc;
    return SQLITE_OK;
}

/* Read a row selected as ARTIFACT_COLUMNS into OUT (released first on failure). */
static int
row_to_artifact(struct jiku_catalog *cat, sqlite3_stmt *st, struct jiku_artifact *out,
                struct jiku_err *err)
{
    const char *kind, *status;
    sqlite3_int64 size;

    memset(out, 0, sizeof(*out));
    if (!jiku_catalog_column_dup(st, 0, &out->id) ||
        !jiku_catalog_column_dup(st, 1, &out->customer) ||
        !jiku_catalog_column_dup(st, 2, &out->target) ||
        !jiku_catalog_column_dup(st, 4, &out->server) ||
        !jiku_catalog_column_dup(st, 5, &out->panel) ||
        !jiku_catalog_column_dup(st, 6, &out->location) ||
        !jiku_catalog_column_dup(st, 7, &out->backup_path) ||
        !jiku_catalog_column_dup(st, 9, &out->md5) ||
        !jiku_catalog_column_dup(st, 10, &out->sha256) ||
        !jiku_catalog_column_dup(st, 11, &out->warnings)) {
        jiku_artifact_release(out);
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    kind = (const char *)sqlite3_column_text(st, 3);
    status = (const char *)sqlite3_column_text(st, 13);
    size = sqlite3_column_int64(st, 8);
    if (out->id == NULL || jiku_artifact_kind_parse(kind, &out->kind) != 0 ||
        jiku_artifact_status_parse(status, &out->status) != 0 || size < 0) {
        jiku_artifact_release(out);
        return jiku_err_set(err, JIKU_E_DATA, "state database '%s' holds a malformed artifact row",
                            jiku_catalog_path(cat));
    }
    out->size = (uint64_t)size;
    out->created = (time_t)sqlite3_column_int64(st, 12);
    out->pinned = sqlite3_column_int(st, 14) != 0;
    return 0;
}

static int
check_artifact(const struct jiku_artifact *a, bool need_id, struct jiku_err *err)
{
    if (!jiku_artifact_target_valid(a->target))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid artifact target '%s'",
                            a->target != NULL ? a->target : "(null)");
    if ((unsigned)a->kind >= N_KINDS || (unsigned)a->status >= N_STATUSES)
        return jiku_err_set(err, JIKU_E_INVAL, "invalid artifact kind or status");
    if (need_id && !jiku_artifact_id_valid(a->id))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid artifact id '%s'",
                            a->id != NULL ? a->id : "(null)");
    return 0;
}

/* The customer part of a valid TARGET; the caller owns the result. */
static char *
target_customer(const char *target)
{
    return strndup(target, (size_t)(strchr(target, '/') - target));
}

int
jiku_catalog_artifact_reserve(struct jiku_catalog *cat, const struct jiku_artifact *proto,
                              char **id, struct jiku_err *err)
{
    static const char sql[] = "INSERT INTO artifacts (" ARTIFACT_COLUMNS ") "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    struct jiku_artifact row = *proto;
    struct jiku_buf cand = JIKU_BUF_INIT;
    sqlite3_stmt *st = NULL;
    char *base = NULL, *customer = NULL;
    int r, rc;

    *id = NULL;
    if ((r = check_artifact(proto, false, err)) != 0)
        return r;
    if (row.created == 0)
        row.created = time(NULL);
    row.status = JIKU_ART_PENDING;
    if ((base = jiku_artifact_id_format(row.target, row.kind, row.created)) == NULL ||
        (customer = target_customer(row.target)) == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = jiku_catalog_prepare(cat, sql, &st, "reserve an artifact id", err)) != 0)
        goto out;
    for (int n = 1; n <= ID_SUFFIX_MAX; n++) {
        jiku_buf_reset(&cand);
        if ((n == 1 ? jiku_buf_adds(&cand, base) : jiku_buf_addf(&cand, "%s.%d", base, n)) != 0) {
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            goto out;
        }
        sqlite3_reset(st);
        if ((rc = bind_artifact(st, 1, &row, cand.data, customer)) != SQLITE_OK) {
            r = jiku_catalog_fail(cat, rc, "reserve an artifact id", err);
            goto out;
        }
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
            *id = jiku_buf_detach(&cand);
            r = 0;
            goto out;
        }
        /* Taken, by us earlier in this second or by another process: try the next suffix. */
        if (rc != SQLITE_CONSTRAINT_PRIMARYKEY) {
            r = jiku_catalog_fail(cat, rc, "reserve an artifact id", err);
            goto out;
        }
    }
    r = jiku_err_set(err, JIKU_E_FAILED, "cannot reserve an artifact id for '%s': %d ids taken",
                     row.target, ID_SUFFIX_MAX);
out:
    sqlite3_finalize(st);
    jiku_buf_release(&cand);
    free(base);
    free(customer);
    return r;
}

int
jiku_catalog_artifact_update(struct jiku_catalog *cat, const struct jiku_artifact *a,
                             struct jiku_err *err)
{
    static const char sql[] =
        "UPDATE artifacts SET id = ?1, customer = ?2, target = ?3, kind = ?4, server = ?5, "
        "panel = ?6, location = ?7, backup_path = ?8, size = ?9, md5 = ?10, sha256 = ?11, "
        "warnings = ?12, created = ?13, status = ?14, pinned = ?15 WHERE id = ?1";
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = check_artifact(a, true, err)) != 0)
        return r;
    if ((r = jiku_catalog_prepare(cat, sql, &st, "update the artifact", err)) != 0)
        return r;
    if ((rc = bind_artifact(st, 1, a, NULL, NULL)) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, rc, "update the artifact", err);
        goto out;
    }
    if ((r = jiku_catalog_step_done(cat, st, "update the artifact", err)) != 0)
        goto out;
    if (sqlite3_changes(jiku_catalog_db(cat)) == 0)
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "no artifact '%s' in the catalog", a->id);
out:
    sqlite3_finalize(st);
    return r;
}

/* One-parameter UPDATE or DELETE of an artifact by id; NOTFOUND when no row changed. */
static int
artifact_change(struct jiku_catalog *cat, const char *sql, const char *id, int value, bool bind2,
                const char *what, struct jiku_err *err)
{
    sqlite3_stmt *st = NULL;
    int r;

    if ((r = jiku_catalog_prepare(cat, sql, &st, what, err)) != 0)
        return r;
    if (jiku_catalog_bind_text(st, 1, id) != SQLITE_OK ||
        (bind2 && sqlite3_bind_int(st, 2, value) != SQLITE_OK)) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, what, err);
        goto out;
    }
    if ((r = jiku_catalog_step_done(cat, st, what, err)) != 0)
        goto out;
    if (sqlite3_changes(jiku_catalog_db(cat)) == 0)
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "no artifact '%s' in the catalog", id);
out:
    sqlite3_finalize(st);
    return r;
}

int
jiku_catalog_artifact_delete(struct jiku_catalog *cat, const char *id, struct jiku_err *err)
{
    return artifact_change(cat, "DELETE FROM artifacts WHERE id = ?1", id, 0, false,
                           "delete the artifact", err);
}

int
jiku_catalog_artifact_pin(struct jiku_catalog *cat, const char *id, bool pinned,
                          struct jiku_err *err)
{
    return artifact_change(cat, "UPDATE artifacts SET pinned = ?2 WHERE id = ?1", id, pinned, true,
                           pinned ? "pin the artifact" : "unpin the artifact", err);
}

int
jiku_catalog_artifact_insert(struct jiku_catalog *cat, const struct jiku_artifact *a,
                             struct jiku_err *err)
{
    static const char sql[] = "INSERT INTO artifacts (" ARTIFACT_COLUMNS ") "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    sqlite3_stmt *st = NULL;
    char *customer = NULL;
    int r, rc;

    if ((r = check_artifact(a, true, err)) != 0)
        return r;
    if (a->customer == NULL && (customer = target_customer(a->target)) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    if ((r = jiku_catalog_prepare(cat, sql, &st, "insert the artifact", err)) != 0)
        goto out;
    if ((rc = bind_artifact(st, 1, a, NULL, customer)) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, rc, "insert the artifact", err);
        goto out;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        r = jiku_err_set(err, JIKU_E_DATA, "artifact '%s' is already in the catalog", a->id);
    else if (rc != SQLITE_DONE)
        r = jiku_catalog_fail(cat, rc, "insert the artifact", err);
out:
    sqlite3_finalize(st);
    free(customer);
    return r;
}

int
jiku_catalog_artifact_get(struct jiku_catalog *cat, const char *id, struct jiku_artifact *out,
                          struct jiku_err *err)
{
    static const char sql[] = "SELECT " ARTIFACT_COLUMNS " FROM artifacts WHERE id = ?";
    sqlite3_stmt *st = NULL;
    int r, rc;

    memset(out, 0, sizeof(*out));
    if ((r = jiku_catalog_prepare(cat, sql, &st, "read the artifact", err)) != 0)
        return r;
    if (jiku_catalog_bind_text(st, 1, id) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "read the artifact", err);
        goto out;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        r = row_to_artifact(cat, st, out, err);
    else if (rc == SQLITE_DONE)
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "no artifact '%s' in the catalog",
                         id != NULL ? id : "(null)");
    else
        r = jiku_catalog_fail(cat, rc, "read the artifact", err);
out:
    sqlite3_finalize(st);
    return r;
}

int
jiku_catalog_artifact_list(struct jiku_catalog *cat, const char *target, const char *customer,
                           bool all, struct jiku_artifact_list *out, struct jiku_err *err)
{
    /*
     * rowid breaks ties within one second: the .2 made after the plain id comes first.  One
     * statement per filter, because "?1 IS NULL OR target = ?1" cannot use an index: the
     * target's rows come from artifacts_target in order, not from a sort of the whole table.
     */
#define LIST_SQL(where)                                                                            \
    "SELECT " ARTIFACT_COLUMNS " FROM artifacts WHERE " where                                      \
    " (?3 OR status <> 'pruned') ORDER BY created DESC, rowid DESC"
    static const char *const sqls[2][2] = {
        {LIST_SQL("?1 IS NULL AND ?2 IS NULL AND"), LIST_SQL("?1 IS NULL AND customer = ?2 AND")},
        {LIST_SQL("target = ?1 AND ?2 IS NULL AND"), LIST_SQL("target = ?1 AND customer = ?2 AND")},
    };
#undef LIST_SQL
    const char *sql = sqls[target != NULL][customer != NULL];
    struct jiku_artifact_list l = {NULL, 0};
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int r, rc;

    out->items = NULL;
    out->n = 0;
    if ((r = jiku_catalog_prepare(cat, sql, &st, "list artifacts", err)) != 0)
        return r;
    if (jiku_catalog_bind_text(st, 1, target) != SQLITE_OK ||
        jiku_catalog_bind_text(st, 2, customer) != SQLITE_OK ||
        sqlite3_bind_int(st, 3, all ? 1 : 0) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "list artifacts", err);
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (l.n == cap) {
            size_t ncap = cap != 0 ? cap * 2 : 16;
            struct jiku_artifact *items = reallocarray(l.items, ncap, sizeof(*items));
            if (items == NULL) {
                r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
                goto out;
            }
            l.items = items;
            cap = ncap;
        }
        if ((r = row_to_artifact(cat, st, &l.items[l.n], err)) != 0)
            goto out;
        l.n++;
    }
    if (rc != SQLITE_DONE) {
        r = jiku_catalog_fail(cat, rc, "list artifacts", err);
        goto out;
    }
    *out = l;
    l.items = NULL;
    l.n = 0;
    r = 0;
out:
    sqlite3_finalize(st);
    jiku_artifact_list_release(&l);
    return r;
}

int
jiku_catalog_server_locations(struct jiku_catalog *cat, const char *server, char ***out,
                              struct jiku_err *err)
{
    static const char sql[] = "SELECT location FROM artifacts WHERE server = ?1 AND location IS "
                              "NOT NULL AND status <> 'pruned' ORDER BY location";
    sqlite3_stmt *st = NULL;
    char **v = NULL;
    size_t n = 0, cap = 0;
    int r = 0, rc;

    *out = NULL;
    if ((r = jiku_catalog_prepare(cat, sql, &st, "list artifact locations", err)) != 0)
        return r;
    if (jiku_catalog_bind_text(st, 1, server) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "list artifact locations", err);
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n + 1 >= cap) {
            size_t ncap = cap != 0 ? cap * 2 : 16;
            char **nv = reallocarray(v, ncap, sizeof(*nv));

            if (nv == NULL)
                goto nomem;
            v = nv;
            cap = ncap;
        }
        if ((v[n] = strdup((const char *)sqlite3_column_text(st, 0))) == NULL)
            goto nomem;
        v[++n] = NULL;
    }
    if (rc != SQLITE_DONE) {
        r = jiku_catalog_fail(cat, rc, "list artifact locations", err);
        goto out;
    }
    if (v == NULL && (v = calloc(1, sizeof(*v))) == NULL)
        goto nomem;
    *out = v;
    v = NULL;
    goto out;
nomem:
    r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
out:
    sqlite3_finalize(st);
    jiku_strv_free(v);
    return r;
}

/* Step ST, a query of at most one row, into *YES; then reset it for the next bindings. */
static int
row_exists(struct jiku_catalog *cat, sqlite3_stmt *st, bool *yes, const char *what,
           struct jiku_err *err)
{
    int rc = sqlite3_step(st);

    *yes = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : jiku_catalog_fail(cat, rc, what, err);
}

int
jiku_catalog_server_uses_dir(struct jiku_catalog *cat, const char *server, const char *dir,
                             bool *used, struct jiku_err *err)
{
    /* [DIR/, DIR0) holds exactly the strings that start with DIR/ ('0' follows '/'). */
    static const char sql[] = "SELECT 1 FROM artifacts WHERE server = ?1 AND location IS NOT NULL "
                              "AND location >= ?2 || '/' AND location < ?2 || '0' LIMIT 1";
    static const char what[] = "look up artifact locations";
    sqlite3_stmt *st = NULL;
    int r;

    *used = false;
    if ((r = jiku_catalog_prepare(cat, sql, &st, what, err)) != 0)
        return r;
    if (jiku_catalog_bind_text(st, 1, server) != SQLITE_OK ||
        jiku_catalog_bind_text(st, 2, dir) != SQLITE_OK)
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, what, err);
    else
        r = row_exists(cat, st, used, what, err);
    sqlite3_finalize(st);
    return r;
}

int
jiku_catalog_dir_known(struct jiku_catalog *cat, const char *server, const char *path,
                       const char *name, bool *known, struct jiku_err *err)
{
    /* Any status: a row that still names a location keeps what lies there. */
    static const char at_sql[] = "SELECT 1 FROM artifacts WHERE server = ?1 AND location IS NOT "
                                 "NULL AND (location = ?2 OR (location >= ?2 || '/' AND "
                                 "location < ?2 || '0')) LIMIT 1";
    /* The location's directory with its '/', the expression of artifacts_location_dir. */
    static const char beside_sql[] = "SELECT 1 FROM artifacts WHERE server = ?1 AND location IS "
                                     "NOT NULL AND rtrim(location, replace(location, '/', '')) = "
                                     "?2 LIMIT 1";
    static const char id_sql[] = "SELECT 1 FROM artifacts WHERE id = ?1 AND server = ?2 AND "
                                 "(status = 'pending' OR (status = 'good' AND location IS NOT "
                                 "NULL))";
    static const char what[] = "look up artifact locations";
    sqlite3_stmt *st = NULL;
    int r;

    *known = false;
    if ((r = jiku_catalog_prepare(cat, at_sql, &st, what, err)) != 0)
        return r;
    if (jiku_catalog_bind_text(st, 1, server) != SQLITE_OK ||
        jiku_catalog_bind_text(st, 2, path) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, what, err);
        goto out;
    }
    if ((r = row_exists(cat, st, known, what, err)) != 0 || *known)
        goto out;
    sqlite3_finalize(st);
    st = NULL;
    /* PATH lies in a location's own directory: that directory is one of PATH's ancestors. */
    if ((r = jiku_catalog_prepare(cat, beside_sql, &st, what, err)) != 0)
        goto out;
    for (const char *slash = strchr(path + 1, '/'); slash != NULL && !*known;
         slash = strchr(slash + 1, '/')) {
        if (jiku_catalog_bind_text(st, 1, server) != SQLITE_OK ||
            sqlite3_bind_text(st, 2, path, (int)(slash - path + 1), SQLITE_TRANSIENT) !=
                SQLITE_OK) {
            r = jiku_catalog_fail(cat, SQLITE_NOMEM, what, err);
            goto out;
        }
        if ((r = row_exists(cat, st, known, what, err)) != 0)
            goto out;
    }
    if (*known)
        goto out;
    sqlite3_finalize(st);
    st = NULL;
    if ((r = jiku_catalog_prepare(cat, id_sql, &st, what, err)) != 0)
        goto out;
    if (jiku_catalog_bind_text(st, 1, name) != SQLITE_OK ||
        jiku_catalog_bind_text(st, 2, server) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, what, err);
        goto out;
    }
    r = row_exists(cat, st, known, what, err);
out:
    sqlite3_finalize(st);
    return r;
}

void
jiku_strv_free(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

void
jiku_artifact_ref_of(const struct jiku_artifact *a, struct jiku_artifact_ref *ref)
{
    *ref = (struct jiku_artifact_ref){
        .id = a->id,
        .kind = a->kind,
        .location = a->location,
        .backup_path = a->backup_path,
        .size = a->size,
        .md5 = a->md5,
        .sha256 = a->sha256,
        .warnings = a->warnings,
    };
}
