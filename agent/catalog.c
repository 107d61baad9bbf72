/*
 * The catalog (SPEC §7): runs, operations and artifacts in state_dir/state.db.
 *
 * Several agent processes may share the database (the nightly run and an admin's rollback),
 * so it runs in WAL mode with a busy timeout, every write is one statement or one
 * BEGIN IMMEDIATE transaction, and artifact ids are reserved by inserting their row: the
 * primary key, not a read-then-write, decides who gets an id.  Every statement is prepared
 * with bound parameters; no SQL is ever built from input.
 */
#include "catalog.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog_db.h"

struct jiku_catalog {
    sqlite3 *db;
    char *path;
    int version;
};

/*
 * The schema, one step per version.  Steps are only ever appended: a released step never
 * changes, because databases in the field are already past it.
 */
const char *const jiku_catalog_migrations[] = {
    /* 1: runs, operations, artifacts */
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  command TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  dry_run INTEGER NOT NULL DEFAULT 0,"
    "  started INTEGER NOT NULL,"
    "  ended INTEGER,"
    "  exit_code INTEGER);"
    "CREATE TABLE operations ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES runs(id),"
    "  target TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN"
    "    ('running', 'ok', 'failed', 'denied', 'interrupted', 'skipped')),"
    "  exit_code INTEGER,"
    "  error TEXT,"
    "  artifact TEXT," /* history: no foreign key, the artifact may be gone since */
    "  started INTEGER NOT NULL,"
    "  ended INTEGER);"
    "CREATE TABLE artifacts ("
    "  id TEXT PRIMARY KEY,"
    "  customer TEXT NOT NULL,"
    "  target TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'backup', 'safety')),"
    "  server TEXT,"
    "  panel TEXT,"
    "  location TEXT,"
    "  backup_path TEXT,"
    "  size INTEGER,"
    "  md5 TEXT,"
    "  sha256 TEXT,"
    "  warnings TEXT,"
    "  created INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('pending', 'good', 'failed', 'pruned')),"
    "  pinned INTEGER NOT NULL DEFAULT 0);",

    /* 2: the audit, hash-chained by audit.c */
    "CREATE TABLE audit ("
    "  seq INTEGER PRIMARY KEY,"
    "  time INTEGER NOT NULL,"
    "  run_id INTEGER NOT NULL,"
    "  event TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  customer TEXT,"
    "  tier TEXT,"
    "  target TEXT,"
    "  action TEXT NOT NULL,"
    "  decision TEXT NOT NULL,"
    "  reason TEXT,"
    "  source TEXT,"
    "  artifact TEXT,"
    "  dry_run INTEGER NOT NULL,"
    "  prev_hash TEXT NOT NULL,"
    "  hash TEXT NOT NULL);",

    /* 3: lookups by target and by time */
    "CREATE INDEX artifacts_target ON artifacts(target, created);"
    "CREATE INDEX artifacts_customer ON artifacts(customer, created);"
    "CREATE INDEX operations_run ON operations(run_id, status);"
    "CREATE INDEX audit_target ON audit(target, seq);"
    "CREATE INDEX audit_time ON audit(time);",
};

const int jiku_catalog_schema_latest =
    (int)(sizeof(jiku_catalog_migrations) / sizeof(jiku_catalog_migrations[0]));

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

int
jiku_catalog_status(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_BUSY:
        return JIKU_E_BUSY;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_LOCKED:
    case SQLITE_PROTOCOL:
        return JIKU_E_IO;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
    case SQLITE_SCHEMA:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    /* Our SQL is fixed and tested: a plain SQL error means the schema is not ours. */
    case SQLITE_ERROR:
        return JIKU_E_DATA;
    case SQLITE_NOMEM:
        return JIKU_E_NOMEM;
    default:
        return JIKU_E_FAILED;
    }
}

int
jiku_catalog_fail(struct jiku_catalog *cat, int rc, const char *what, struct jiku_err *err)
{
    int status = jiku_catalog_status(rc);

    if (status == 0)
        status = JIKU_E_FAILED;
    if (status == JIKU_E_BUSY)
        return jiku_err_set(err, status,
                            "cannot %s: state database '%s' stayed locked by another process "
                            "for %d s",
                            what, cat->path, JIKU_CATALOG_BUSY_MS / 1000);
    if (what == NULL)
        return jiku_err_set(err, status, "cannot open state database '%s': %s", cat->path,
                            cat->db != NULL ? sqlite3_errmsg(cat->db) : sqlite3_errstr(rc));
    return jiku_err_set(err, status, "cannot %s in state database '%s': %s", what, cat->path,
                        cat->db != NULL ? sqlite3_errmsg(cat->db) : sqlite3_errstr(rc));
}

const char *
jiku_catalog_path(const struct jiku_catalog *cat)
{
    return cat->path;
}

struct sqlite3 *
jiku_catalog_db(struct jiku_catalog *cat)
{
    return cat->db;
}

int
jiku_catalog_schema_version(struct jiku_catalog *cat)
{
    return cat->version;
}

int
jiku_catalog_begin(struct jiku_catalog *cat, const char *what, struct jiku_err *err)
{
    int rc = sqlite3_exec(cat->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

    return rc == SQLITE_OK ? 0 : jiku_catalog_fail(cat, rc, what, err);
}

int
jiku_catalog_commit(struct jiku_catalog *cat, const char *what, struct jiku_err *err)
{
    int rc = sqlite3_exec(cat->db, "COMMIT", NULL, NULL, NULL);
    int r;

    if (rc == SQLITE_OK)
        return 0;
    r = jiku_catalog_fail(cat, rc, what, err);
    jiku_catalog_rollback(cat);
    return r;
}

void
jiku_catalog_rollback(struct jiku_catalog *cat)
{
    if (!sqlite3_get_autocommit(cat->db))
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
prepare(struct jiku_catalog *cat, const char *sql, sqlite3_stmt **st, const char *what,
        struct jiku_err *err)
{
    int rc = sqlite3_prepare_v2(cat->db, sql, -1, st, NULL);

    return rc == SQLITE_OK ? 0 : jiku_catalog_fail(cat, rc, what, err);
}

/* NULL binds SQL NULL, so absent values stay distinguishable from empty ones. */
static int
bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s != NULL ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

/* Run a statement that returns no rows. */
static int
step_done(struct jiku_catalog *cat, sqlite3_stmt *st, const char *what, struct jiku_err *err)
{
    int rc = sqlite3_step(st);

    return rc == SQLITE_DONE ? 0 : jiku_catalog_fail(cat, rc, what, err);
}

/* A copy of text column I, NULL for SQL NULL; false when out of memory. */
static bool
column_dup(sqlite3_stmt *st, int i, char **out)
{
    const unsigned char *s;

    *out = NULL;
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return true;
    if ((s = sqlite3_column_text(st, i)) == NULL)
        return false;
    return (*out = strdup((const char *)s)) != NULL;
}

static int
ensure_dir(const char *dir, struct jiku_err *err)
{
    struct stat sb;

    if (mkdir(dir, 0700) == 0)
        return 0;
    if (errno != EEXIST)
        return jiku_err_set(err, JIKU_E_IO, "cannot create state directory '%s': %s", dir,
                            strerror(errno));
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return jiku_err_set(err, JIKU_E_IO, "state directory '%s' is not a directory", dir);
    return 0;
}

/*
 * SQLite would create the file with 0644 less the umask; the audit and the artifact list are
 * nobody else's business, so the file is created 0600 first (SQLite gives -wal and -shm the
 * database file's mode).
 */
static int
ensure_file(const char *path, struct jiku_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

    if (fd < 0)
        return jiku_err_set(err, JIKU_E_IO, "cannot open state database '%s': %s", path,
                            strerror(errno));
    close(fd);
    return 0;
}

static int
read_version(struct jiku_catalog *cat, int *version, struct jiku_err *err)
{
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = prepare(cat, "PRAGMA user_version", &st, NULL, err)) != 0)
        return r;
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *version = sqlite3_column_int(st, 0);
        r = 0;
    } else {
        r = jiku_catalog_fail(cat, rc, NULL, err);
    }
    sqlite3_finalize(st);
    return r;
}

static int
too_new(struct jiku_catalog *cat, int version, struct jiku_err *err)
{
    return jiku_err_set(err, JIKU_E_DATA,
                        "cannot open state database '%s': state.db schema version %d is newer "
                        "than this jiku-agent (%d)",
                        cat->path, version, jiku_catalog_schema_latest);
}

/*
 * Apply the missing steps, each in its own BEGIN IMMEDIATE transaction.  The version is read
 * again inside the transaction: another agent process may have migrated meanwhile.
 */
static int
migrate(struct jiku_catalog *cat, struct jiku_err *err)
{
    struct jiku_buf sql = JIKU_BUF_INIT;
    int version = 0, r, rc;

    if ((r = read_version(cat, &version, err)) != 0)
        goto out;
    while (version < jiku_catalog_schema_latest) {
        if ((r = jiku_catalog_begin(cat, "migrate the schema", err)) != 0 ||
            (r = read_version(cat, &version, err)) != 0)
            goto out;
        if (version >= jiku_catalog_schema_latest) {
            jiku_catalog_rollback(cat);
            break;
        }
        jiku_buf_reset(&sql);
        /* The version is our own integer, not input: PRAGMA cannot take a parameter. */
        if ((r = jiku_buf_addf(&sql, "%s; PRAGMA user_version = %d;",
                               jiku_catalog_migrations[version], version + 1)) != 0) {
            r = jiku_err_set(err, r, "out of memory");
            goto out;
        }
        if ((rc = sqlite3_exec(cat->db, jiku_buf_str(&sql), NULL, NULL, NULL)) != SQLITE_OK) {
            r = jiku_catalog_status(rc);
            r = jiku_err_set(err, r != 0 ? r : JIKU_E_FAILED,
                             "cannot migrate state database '%s' to schema version %d: %s",
                             cat->path, version + 1, sqlite3_errmsg(cat->db));
            goto out;
        }
        if ((r = jiku_catalog_commit(cat, "migrate the schema", err)) != 0)
            goto out;
        version++;
    }
    if (version > jiku_catalog_schema_latest) {
        r = too_new(cat, version, err);
        goto out;
    }
    cat->version = version;
    r = 0;
out:
    if (r != 0)
        jiku_catalog_rollback(cat);
    jiku_buf_release(&sql);
    return r;
}

/* A PRAGMA that answers one row; its answer is compared with EXPECT when non-NULL. */
static int
pragma(struct jiku_catalog *cat, const char *sql, const char *expect, struct jiku_err *err)
{
    sqlite3_stmt *st = NULL;
    const unsigned char *got;
    int r, rc;

    if ((r = prepare(cat, sql, &st, NULL, err)) != 0)
        return r;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        r = jiku_catalog_fail(cat, rc, NULL, err);
    } else if (expect != NULL && (rc != SQLITE_ROW || (got = sqlite3_column_text(st, 0)) == NULL ||
                                  strcmp((const char *)got, expect) != 0)) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot open state database '%s': '%s' not accepted",
                         cat->path, sql);
    }
    sqlite3_finalize(st);
    return r;
}

int
jiku_catalog_open(const char *state_dir, struct jiku_catalog **out, struct jiku_err *err)
{
    struct jiku_catalog *cat = NULL;
    struct jiku_buf path = JIKU_BUF_INIT;
    int r, rc;

    *out = NULL;
    if (state_dir == NULL || state_dir[0] == '\0')
        return jiku_err_set(err, JIKU_E_CONFIG, "no state directory configured");
    if ((cat = calloc(1, sizeof(*cat))) == NULL ||
        jiku_buf_addf(&path, "%s/state.db", state_dir) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    cat->path = jiku_buf_detach(&path);
    if ((r = ensure_dir(state_dir, err)) != 0 || (r = ensure_file(cat->path, err)) != 0)
        goto out;
    /* SQLite opens every file O_CLOEXEC itself; FULLMUTEX makes a shared handle safe. */
    rc =
        sqlite3_open_v2(cat->path, &cat->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc != SQLITE_OK) {
        r = jiku_err_set(err, jiku_catalog_status(rc) ? jiku_catalog_status(rc) : JIKU_E_IO,
                         "cannot open state database '%s': %s", cat->path,
                         cat->db != NULL ? sqlite3_errmsg(cat->db) : sqlite3_errstr(rc));
        goto out;
    }
    sqlite3_extended_result_codes(cat->db, 1);
    sqlite3_busy_timeout(cat->db, JIKU_CATALOG_BUSY_MS);
    /* The first read also tells a file that is not a database from one that is. */
    if ((r = pragma(cat, "PRAGMA journal_mode = WAL", "wal", err)) != 0 ||
        (r = pragma(cat, "PRAGMA foreign_keys = ON", NULL, err)) != 0 ||
        (r = migrate(cat, err)) != 0)
        goto out;
    *out = cat;
    cat = NULL;
    r = 0;
out:
    jiku_buf_release(&path);
    jiku_catalog_close(cat);
    return r;
}

void
jiku_catalog_close(struct jiku_catalog *cat)
{
    if (cat == NULL)
        return;
    sqlite3_close_v2(cat->db);
    free(cat->path);
    free(cat);
}

int
jiku_catalog_run_begin(struct jiku_catalog *cat, const char *command, const char *actor,
                       bool dry_run, int64_t *run_id, struct jiku_err *err)
{
    static const char sql[] =
        "INSERT INTO runs (command, actor, dry_run, started) VALUES (?, ?, ?, ?)";
    sqlite3_stmt *st = NULL;
    int r;

    if (command == NULL || actor == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "run without command or actor");
    if ((r = prepare(cat, sql, &st, "record the run", err)) != 0)
        return r;
    if (bind_text(st, 1, command) != SQLITE_OK || bind_text(st, 2, actor) != SQLITE_OK ||
        sqlite3_bind_int(st, 3, dry_run) != SQLITE_OK ||
        sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL)) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "record the run", err);
        goto out;
    }
    if ((r = step_done(cat, st, "record the run", err)) != 0)
        goto out;
    *run_id = sqlite3_last_insert_rowid(cat->db);
out:
    sqlite3_finalize(st);
    return r;
}

int
jiku_catalog_run_end(struct jiku_catalog *cat, int64_t run_id, int exit_code, struct jiku_err *err)
{
    static const char sql[] = "UPDATE runs SET ended = ?, exit_code = ? WHERE id = ?";
    sqlite3_stmt *st = NULL;
    int r;

    if ((r = prepare(cat, sql, &st, "record the end of the run", err)) != 0)
        return r;
    if (sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL)) != SQLITE_OK ||
        sqlite3_bind_int(st, 2, exit_code) != SQLITE_OK ||
        sqlite3_bind_int64(st, 3, run_id) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "record the end of the run", err);
        goto out;
    }
    if ((r = step_done(cat, st, "record the end of the run", err)) != 0)
        goto out;
    if (sqlite3_changes(cat->db) == 0)
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "no run %lld in state database '%s'",
                         (long long)run_id, cat->path);
out:
    sqlite3_finalize(st);
    return r;
}

int
jiku_catalog_op_begin(struct jiku_catalog *cat, int64_t run_id, const char *target,
                      const char *action, int64_t *op_id, struct jiku_err *err)
{
    static const char sql[] = "INSERT INTO operations (run_id, target, action, status, started) "
                              "VALUES (?, ?, ?, 'running', ?)";
    sqlite3_stmt *st = NULL;
    int r;

    if (target == NULL || action == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "operation without target or action");
    if ((r = prepare(cat, sql, &st, "record the operation", err)) != 0)
        return r;
    if (sqlite3_bind_int64(st, 1, run_id) != SQLITE_OK || bind_text(st, 2, target) != SQLITE_OK ||
        bind_text(st, 3, action) != SQLITE_OK ||
        sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL)) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "record the operation", err);
        goto out;
    }
    if ((r = step_done(cat, st, "record the operation", err)) != 0)
        goto out;
    *op_id = sqlite3_last_insert_rowid(cat->db);
out:
    sqlite3_finalize(st);
    return r;
}

static bool
op_status_valid(const char *status)
{
    static const char *const ok[] = {"ok", "failed", "denied", "interrupted", "skipped"};

    for (size_t i = 0; status != NULL && i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strcmp(status, ok[i]) == 0)
            return true;
    return false;
}

/*
 * Only a running operation is ended: one already marked interrupted by the signal path keeps
 * that outcome even if its step later returns, because its result was never awaited in full.
 */
int
jiku_catalog_op_end(struct jiku_catalog *cat, int64_t op_id, const char *status, int exit_code,
                    const char *error, const char *artifact_id, struct jiku_err *err)
{
    static const char sql[] = "UPDATE operations SET status = ?, exit_code = ?, error = ?, "
                              "artifact = ?, ended = ? WHERE id = ? AND status = 'running'";
    static const char exists_sql[] = "SELECT 1 FROM operations WHERE id = ?";
    sqlite3_stmt *st = NULL;
    int r, rc;

    if (!op_status_valid(status))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid operation status '%s'",
                            status != NULL ? status : "(null)");
    if ((r = prepare(cat, sql, &st, "record the end of the operation", err)) != 0)
        return r;
    if (bind_text(st, 1, status) != SQLITE_OK || sqlite3_bind_int(st, 2, exit_code) != SQLITE_OK ||
        bind_text(st, 3, error) != SQLITE_OK || bind_text(st, 4, artifact_id) != SQLITE_OK ||
        sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL)) != SQLITE_OK ||
        sqlite3_bind_int64(st, 6, op_id) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "record the end of the operation", err);
        goto out;
    }
    if ((r = step_done(cat, st, "record the end of the operation", err)) != 0 ||
        sqlite3_changes(cat->db) != 0)
        goto out;
    sqlite3_finalize(st);
    st = NULL;
    if ((r = prepare(cat, exists_sql, &st, "look up the operation", err)) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, op_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "no operation %lld in state database '%s'",
                         (long long)op_id, cat->path);
    else if (rc != SQLITE_ROW)
        r = jiku_catalog_fail(cat, rc, "look up the operation", err);
out:
    sqlite3_finalize(st);
    return r;
}

int
jiku_catalog_ops_interrupt(struct jiku_catalog *cat, int64_t run_id, struct jiku_err *err)
{
    static const char sql[] = "UPDATE operations SET status = 'interrupted', exit_code = ?, "
                              "ended = ? WHERE run_id = ? AND status = 'running'";
    sqlite3_stmt *st = NULL;
    int r;

    if ((r = prepare(cat, sql, &st, "mark operations interrupted", err)) != 0)
        return r;
    if (sqlite3_bind_int(st, 1, jiku_status_exit_code(JIKU_E_INTERRUPTED)) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL)) != SQLITE_OK ||
        sqlite3_bind_int64(st, 3, run_id) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "mark operations interrupted", err);
        goto out;
    }
    r = step_done(cat, st, "mark operations interrupted", err);
out:
    sqlite3_finalize(st);
    return r;
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
    if ((rc = bind_text(st, i++, id != NULL ? id : a->id)) != SQLITE_OK ||
        (rc = bind_text(st, i++, customer != NULL ? customer : a->customer)) != SQLITE_OK ||
        (rc = bind_text(st, i++, a->target)) != SQLITE_OK ||
        (rc = bind_text(st, i++, jiku_artifact_kind_name(a->kind))) != SQLITE_OK ||
        (rc = bind_text(st, i++, a->server)) != SQLITE_OK ||
        (rc = bind_text(st, i++, a->panel)) != SQLITE_OK ||
        (rc = bind_text(st, i++, a->location)) != SQLITE_OK ||
        (rc = bind_text(st, i++, a->backup_path)) != SQLITE_OK)
        return rc;
    rc =
        a->size != 0 ? sqlite3_bind_int64(st, i, (sqlite3_int64)a->size) : sqlite3_bind_null(st, i);
    i++;
    if (rc != SQLITE_OK || (rc = bind_text(st, i++, a->md5)) != SQLITE_OK ||
        (rc = bind_text(st, i++, a->sha256)) != SQLITE_OK ||
        (rc = bind_text(st, i++, a->warnings)) != SQLITE_OK ||
        (rc = sqlite3_bind_int64(st, i++, (sqlite3_int64)a->created)) != SQLITE_OK ||
        (rc = bind_text(st, i++, jiku_artifact_status_name(a->status))) != SQLITE_OK ||
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
    if (!column_dup(st, 0, &out->id) || !column_dup(st, 1, &out->customer) ||
        !column_dup(st, 2, &out->target) || !column_dup(st, 4, &out->server) ||
        !column_dup(st, 5, &out->panel) || !column_dup(st, 6, &out->location) ||
        !column_dup(st, 7, &out->backup_path) || !column_dup(st, 9, &out->md5) ||
        !column_dup(st, 10, &out->sha256) || !column_dup(st, 11, &out->warnings)) {
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
                            cat->path);
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
    if ((r = prepare(cat, sql, &st, "reserve an artifact id", err)) != 0)
        goto out;
    for (int n = 1; n <= ID_SUFFIX_MAX; n++) {
        jiku_buf_reset(&cand);
        if ((n == 1 ? jiku_buf_adds(&cand, base) : jiku_buf_addf(&cand, "%s.%d", base, n)) != 0) {
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            goto out;
        }
        sqlite3_reset(st);
        if ((rc = bind_artifact(st, 1, &row, jiku_buf_str(&cand), customer)) != SQLITE_OK) {
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
    if ((r = prepare(cat, sql, &st, "update the artifact", err)) != 0)
        return r;
    if ((rc = bind_artifact(st, 1, a, NULL, NULL)) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, rc, "update the artifact", err);
        goto out;
    }
    if ((r = step_done(cat, st, "update the artifact", err)) != 0)
        goto out;
    if (sqlite3_changes(cat->db) == 0)
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

    if ((r = prepare(cat, sql, &st, what, err)) != 0)
        return r;
    if (bind_text(st, 1, id) != SQLITE_OK ||
        (bind2 && sqlite3_bind_int(st, 2, value) != SQLITE_OK)) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, what, err);
        goto out;
    }
    if ((r = step_done(cat, st, what, err)) != 0)
        goto out;
    if (sqlite3_changes(cat->db) == 0)
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
    if ((r = prepare(cat, sql, &st, "insert the artifact", err)) != 0)
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
    if ((r = prepare(cat, sql, &st, "read the artifact", err)) != 0)
        return r;
    if (bind_text(st, 1, id) != SQLITE_OK) {
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
    /* rowid breaks ties within one second: the .2 made after the plain id comes first. */
    static const char sql[] = "SELECT " ARTIFACT_COLUMNS " FROM artifacts "
                              "WHERE (?1 IS NULL OR target = ?1) AND (?2 IS NULL OR customer = ?2) "
                              "AND (?3 OR status <> 'pruned') ORDER BY created DESC, rowid DESC";
    struct jiku_artifact_list l = {NULL, 0};
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int r, rc;

    out->items = NULL;
    out->n = 0;
    if ((r = prepare(cat, sql, &st, "list artifacts", err)) != 0)
        return r;
    if (bind_text(st, 1, target) != SQLITE_OK || bind_text(st, 2, customer) != SQLITE_OK ||
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
