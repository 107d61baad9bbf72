/*
 * The catalog (docs/ARCHITECTURE.md, "State"): state_dir/state.db, its schema and migrations, error
 * mapping, runs and operations.  Artifacts are in artifact.c, the audit in audit.c.
 *
 * Several agent processes may share the database (the nightly run and an admin's rollback),
 * so it runs in WAL mode with a busy timeout, and every write is one statement or one
 * BEGIN IMMEDIATE transaction.
 *
 * Durability is proportionate (docs/ARCHITECTURE.md, "State"): the connection commits with
 * synchronous = NORMAL, which in WAL mode survives a crash of the process but may lose the last
 * commits to a power loss, and never one from the middle: the WAL is appended in order, so a
 * synced commit makes every earlier one durable too.  The commits that the world outside the
 * database learns of are synced (jiku_catalog_begin with SYNCED): each audit record, which
 * syslog names as soon as it is committed, and an operation's end with its audit record,
 * after the artifact's row and before the agent reports the outcome.  Every statement is prepared
 * with bound parameters; no SQL is ever built from input.
 */
#include "catalog.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog_db.h"
#include "err.h"
#include "log.h"

struct jiku_catalog {
    sqlite3 *db;
    char *path;
    int version;
    int busy_ms;
    /* lines for syslog once the open transaction commits (jiku_catalog_log_on_commit) */
    struct jiku_buf on_commit;
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

    /*
     * 4: an operation's nonce (16 hex digits from getrandom), the last part of the id that
     * names its directories on a server (jiku-op-RUN-OP-NONCE): ids restart after a catalog
     * rebuild and agent hosts may share servers, so RUN-OP alone does not say the directory is
     * this operation's.  leftovers: what an interrupted operation could not remove from a
     * server ("SERVER:PATH" lines), for prune's sweep to report.
     */
    ("ALTER TABLE operations ADD COLUMN nonce TEXT;"
     "ALTER TABLE operations ADD COLUMN leftovers TEXT;"),

    /*
     * 5: the metrics file (metrics.c) is computed from the whole catalog after every command
     * that changes something; these let each of its GROUP BY passes read one index in order
     * (covering for operations) instead of sorting a table of millions of rows.
     */
    ("CREATE INDEX operations_target ON operations(target, action, status, ended, started);"
     "CREATE INDEX artifacts_good ON artifacts(target, kind, created, size) "
     "WHERE status = 'good';"
     "CREATE INDEX audit_updates ON audit(target, reason) WHERE event = 'operation' AND "
     "action LIKE '%.update' AND dry_run = 0;"),

    /*
     * 6: prune's sweep asks, for each directory it finds on a server, whether an artifact
     * there lies in it, holds it or lies beside it (artifact.c, jiku_catalog_dir_known): by
     * location, and by the location's directory (rtrim of everything after the last '/').
     */
    ("CREATE INDEX artifacts_location ON artifacts(server, location) "
     "WHERE location IS NOT NULL;"
     "CREATE INDEX artifacts_location_dir ON artifacts(server, "
     "rtrim(location, replace(location, '/', ''))) WHERE location IS NOT NULL;"),
};

const int jiku_catalog_schema_latest =
    (int)(sizeof(jiku_catalog_migrations) / sizeof(jiku_catalog_migrations[0]));

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
                            "for %.1f s",
                            what, cat->path, cat->busy_ms / 1000.0);
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

void
jiku_catalog_set_busy_timeout(struct jiku_catalog *cat, int ms)
{
    cat->busy_ms = ms;
    sqlite3_busy_timeout(cat->db, ms);
}

int
jiku_catalog_schema_version(struct jiku_catalog *cat)
{
    return cat->version;
}

/*
 * Worker threads share one connection, and a transaction belongs to the connection, not to a
 * thread: another thread's statement would land inside it.  So a transaction holds the
 * connection's own (recursive, FULLMUTEX) mutex from BEGIN to COMMIT or ROLLBACK, which every
 * other thread's SQLite call waits for.  TX_CAT says which catalog this thread holds, so that
 * a rollback on an error path never releases a mutex the thread does not hold.
 *
 * A synced transaction commits with synchronous = FULL (the WAL is synced), and the
 * connection goes back to NORMAL after it, still under the mutex: SQLite refuses to change
 * the level inside a transaction, and no other thread's commit may inherit it.
 */
static __thread struct jiku_catalog *tx_cat;
static __thread bool tx_synced;

/* Leave the transaction's mutex, the level back to NORMAL first. */
static void
tx_leave(struct jiku_catalog *cat)
{
    if (tx_synced)
        sqlite3_exec(cat->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    tx_synced = false;
    tx_cat = NULL;
    sqlite3_mutex_leave(sqlite3_db_mutex(cat->db));
}

int
jiku_catalog_begin(struct jiku_catalog *cat, bool synced, const char *what, struct jiku_err *err)
{
    sqlite3_mutex *mu = sqlite3_db_mutex(cat->db);
    int rc = SQLITE_OK;

    sqlite3_mutex_enter(mu);
    tx_cat = cat;
    tx_synced = synced;
    if ((synced && (rc = sqlite3_exec(cat->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL)) !=
                       SQLITE_OK) ||
        (rc = sqlite3_exec(cat->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK) {
        int r = jiku_catalog_fail(cat, rc, what, err);

        tx_leave(cat);
        return r;
    }
    return 0;
}

int
jiku_catalog_commit(struct jiku_catalog *cat, const char *what, struct jiku_err *err)
{
    int rc = sqlite3_exec(cat->db, "COMMIT", NULL, NULL, NULL);
    int r;

    if (rc == SQLITE_OK) {
        /* Logged once the mutex is let go: a slow syslog must not stall the other workers. */
        struct jiku_buf lines = cat->on_commit;

        jiku_buf_init(&cat->on_commit);
        if (tx_cat == cat)
            tx_leave(cat);
        for (char *line = lines.data, *nl; *line != '\0'; line = nl + 1) {
            nl = strchr(line, '\n');
            *nl = '\0';
            jiku_log_syslog_only("%s", line);
        }
        jiku_buf_release(&lines);
        return 0;
    }
    r = jiku_catalog_fail(cat, rc, what, err);
    jiku_catalog_rollback(cat);
    return r;
}

void
jiku_catalog_rollback(struct jiku_catalog *cat)
{
    if (tx_cat != cat)
        return;
    if (!sqlite3_get_autocommit(cat->db))
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    jiku_buf_reset(&cat->on_commit);
    tx_leave(cat);
}

bool
jiku_catalog_in_tx(const struct jiku_catalog *cat)
{
    return tx_cat == cat;
}

bool
jiku_catalog_tx_lost(const struct jiku_catalog *cat)
{
    return tx_cat != cat || sqlite3_get_autocommit(cat->db);
}

int
jiku_catalog_log_on_commit(struct jiku_catalog *cat, const char *line)
{
    if (jiku_buf_adds(&cat->on_commit, line) != 0 || jiku_buf_addch(&cat->on_commit, '\n') != 0)
        return JIKU_E_NOMEM;
    return 0;
}

int
jiku_catalog_prepare(struct jiku_catalog *cat, const char *sql, sqlite3_stmt **st, const char *what,
                     struct jiku_err *err)
{
    int rc = sqlite3_prepare_v2(cat->db, sql, -1, st, NULL);

    return rc == SQLITE_OK ? 0 : jiku_catalog_fail(cat, rc, what, err);
}

/* NULL binds SQL NULL, so absent values stay distinguishable from empty ones. */
int
jiku_catalog_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s != NULL ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

/* Run a statement that returns no rows. */
int
jiku_catalog_step_done(struct jiku_catalog *cat, sqlite3_stmt *st, const char *what,
                       struct jiku_err *err)
{
    int rc = sqlite3_step(st);

    return rc == SQLITE_DONE ? 0 : jiku_catalog_fail(cat, rc, what, err);
}

/* A copy of text column I, NULL for SQL NULL; false when out of memory. */
bool
jiku_catalog_column_dup(sqlite3_stmt *st, int i, char **out)
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

    if ((r = jiku_catalog_prepare(cat, "PRAGMA user_version", &st, NULL, err)) != 0)
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
 * Copy the catalog at schema VERSION to state.db.bak-VERSION (0600) through SQLite's backup
 * API, inside the transaction of the first migration step: the copy is consistent and no other
 * process migrates before it is made.  The copy reads through a connection of its own: the
 * backup cannot read from the connection that holds the write transaction (it stays busy),
 * while in WAL mode a second reader sees the committed, unmigrated catalog.  An old agent can
 * open the copy if the new one is rolled back (jiku-agent(8), FILES).
 */
static int
keep_old(struct jiku_catalog *cat, int version, struct jiku_err *err)
{
    struct jiku_buf path = JIKU_BUF_INIT;
    sqlite3_backup *b = NULL;
    sqlite3 *copy = NULL, *src = NULL;
    int fd = -1, r = 0, rc;

    if (jiku_buf_addf(&path, "%s.bak-%d", cat->path, version) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((fd = open(path.data, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 ||
        fchmod(fd, 0600) != 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot copy state database to '%s': %s", path.data,
                         strerror(errno));
        goto out;
    }
    rc = sqlite3_open_v2(cat->path, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_open_v2(path.data, &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc == SQLITE_OK && (b = sqlite3_backup_init(copy, "main", src, "main")) == NULL)
        rc = sqlite3_errcode(copy);
    if (b != NULL) {
        rc = sqlite3_backup_step(b, -1);
        rc = sqlite3_backup_finish(b) == SQLITE_OK && rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    if (rc != SQLITE_OK) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot copy state database to '%s': %s", path.data,
                         copy != NULL ? sqlite3_errmsg(copy) : sqlite3_errstr(rc));
        goto out;
    }
    log_info("catalog schema %d -> %d: copy of the old catalog kept as '%s'", version,
             jiku_catalog_schema_latest, path.data);
out:
    sqlite3_close(copy);
    sqlite3_close(src);
    if (fd >= 0)
        close(fd);
    jiku_buf_release(&path);
    return r;
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
    bool kept = false;

    if ((r = read_version(cat, &version, err)) != 0)
        goto out;
    while (version < jiku_catalog_schema_latest) {
        if ((r = jiku_catalog_begin(cat, false, "migrate the schema", err)) != 0 ||
            (r = read_version(cat, &version, err)) != 0)
            goto out;
        if (version >= jiku_catalog_schema_latest) {
            jiku_catalog_rollback(cat);
            break;
        }
        /* a new catalog (version 0) has nothing to keep */
        if (!kept && version > 0 && (r = keep_old(cat, version, err)) != 0)
            goto out;
        kept = true;
        jiku_buf_reset(&sql);
        /* The version is our own integer, not input: PRAGMA cannot take a parameter. */
        if ((r = jiku_buf_addf(&sql, "%s; PRAGMA user_version = %d;",
                               jiku_catalog_migrations[version], version + 1)) != 0) {
            r = jiku_err_set(err, r, "out of memory");
            goto out;
        }
        if ((rc = sqlite3_exec(cat->db, sql.data, NULL, NULL, NULL)) != SQLITE_OK) {
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

    if ((r = jiku_catalog_prepare(cat, sql, &st, NULL, err)) != 0)
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

/*
 * STATE_DIR/state.db opened; READ_ONLY: as it is, only when it exists at the current schema,
 * else created and migrated.
 */
static int
open_catalog(const char *state_dir, bool read_only, struct jiku_catalog **out, struct jiku_err *err)
{
    struct jiku_catalog *cat = NULL;
    struct jiku_buf path = JIKU_BUF_INIT;
    int r, rc, version = 0;

    *out = NULL;
    if (state_dir == NULL || state_dir[0] == '\0')
        return jiku_err_set(err, JIKU_E_CONFIG, "no state directory configured");
    if ((cat = calloc(1, sizeof(*cat))) == NULL ||
        jiku_buf_addf(&path, "%s/state.db", state_dir) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    cat->path = jiku_buf_detach(&path);
    jiku_buf_init(&cat->on_commit);
    if (!read_only &&
        ((r = ensure_dir(state_dir, err)) != 0 || (r = ensure_file(cat->path, err)) != 0))
        goto out;
    /* SQLite opens every file O_CLOEXEC itself; FULLMUTEX makes a shared handle safe. */
    rc = sqlite3_open_v2(cat->path, &cat->db,
                         (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                             SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW,
                         NULL);
    if (rc != SQLITE_OK) {
        r = jiku_err_set(err, jiku_catalog_status(rc) ? jiku_catalog_status(rc) : JIKU_E_IO,
                         "cannot open state database '%s': %s", cat->path,
                         cat->db != NULL ? sqlite3_errmsg(cat->db) : sqlite3_errstr(rc));
        goto out;
    }
    sqlite3_extended_result_codes(cat->db, 1);
    jiku_catalog_set_busy_timeout(cat, JIKU_CATALOG_BUSY_MS);
    /* The first read also tells a file that is not a database from one that is. */
    if (read_only) {
        if ((r = read_version(cat, &version, err)) != 0)
            goto out;
        if (version != jiku_catalog_schema_latest) {
            r = jiku_err_set(err, JIKU_E_DATA, "state database '%s' is at schema %d, not %d",
                             cat->path, version, jiku_catalog_schema_latest);
            goto out;
        }
        cat->version = version;
    } else if ((r = pragma(cat, "PRAGMA journal_mode = WAL", "wal", err)) != 0 ||
               (r = pragma(cat, "PRAGMA synchronous = NORMAL", NULL, err)) != 0 ||
               (r = pragma(cat, "PRAGMA foreign_keys = ON", NULL, err)) != 0 ||
               (r = migrate(cat, err)) != 0) {
        goto out;
    }
    *out = cat;
    cat = NULL;
    r = 0;
out:
    jiku_buf_release(&path);
    jiku_catalog_close(cat);
    return r;
}

int
jiku_catalog_open(const char *state_dir, struct jiku_catalog **out, struct jiku_err *err)
{
    return open_catalog(state_dir, false, out, err);
}

int
jiku_catalog_open_read_only(const char *state_dir, struct jiku_catalog **out, struct jiku_err *err)
{
    return open_catalog(state_dir, true, out, err);
}

void
jiku_catalog_close(struct jiku_catalog *cat)
{
    if (cat == NULL)
        return;
    sqlite3_close_v2(cat->db);
    jiku_buf_release(&cat->on_commit);
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
    if ((r = jiku_catalog_prepare(cat, sql, &st, "record the run", err)) != 0)
        return r;
    if (jiku_catalog_bind_text(st, 1, command) != SQLITE_OK ||
        jiku_catalog_bind_text(st, 2, actor) != SQLITE_OK ||
        sqlite3_bind_int(st, 3, dry_run) != SQLITE_OK ||
        sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL)) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "record the run", err);
        goto out;
    }
    if ((r = jiku_catalog_step_done(cat, st, "record the run", err)) != 0)
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

    if ((r = jiku_catalog_prepare(cat, sql, &st, "record the end of the run", err)) != 0)
        return r;
    if (sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL)) != SQLITE_OK ||
        sqlite3_bind_int(st, 2, exit_code) != SQLITE_OK ||
        sqlite3_bind_int64(st, 3, run_id) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "record the end of the run", err);
        goto out;
    }
    if ((r = jiku_catalog_step_done(cat, st, "record the end of the run", err)) != 0)
        goto out;
    if (sqlite3_changes(cat->db) == 0)
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "no run %lld in state database '%s'",
                         (long long)run_id, cat->path);
out:
    sqlite3_finalize(st);
    return r;
}

int
jiku_catalog_nonce_new(char nonce[JIKU_NONCE_SIZE], struct jiku_err *err)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char raw[(JIKU_NONCE_SIZE - 1) / 2];
    size_t got = 0;

    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return jiku_err_set(err, JIKU_E_FAILED, "cannot make a nonce: getrandom: %s",
                                strerror(errno));
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof(raw); i++) {
        nonce[2 * i] = digits[raw[i] >> 4];
        nonce[2 * i + 1] = digits[raw[i] & 15];
    }
    nonce[JIKU_NONCE_SIZE - 1] = '\0';
    return 0;
}

int
jiku_catalog_op_name(int64_t run_id, int64_t op_id, const char *nonce, struct jiku_buf *out)
{
    jiku_buf_reset(out);
    if (nonce != NULL)
        return jiku_buf_addf(out, "jiku-op-%lld-%lld-%s", (long long)run_id, (long long)op_id,
                             nonce);
    return jiku_buf_addf(out, "jiku-op-%lld-%lld", (long long)run_id, (long long)op_id);
}

static int
op_insert(struct jiku_catalog *cat, int64_t run_id, const char *target, const char *action,
          const char *nonce, int64_t *op_id, struct jiku_err *err)
{
    static const char sql[] = "INSERT INTO operations (run_id, target, action, status, started, "
                              "nonce) VALUES (?, ?, ?, 'running', ?, ?)";
    sqlite3_stmt *st = NULL;
    int r;

    if (target == NULL || action == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "operation without target or action");
    if ((r = jiku_catalog_prepare(cat, sql, &st, "record the operation", err)) != 0)
        return r;
    if (sqlite3_bind_int64(st, 1, run_id) != SQLITE_OK ||
        jiku_catalog_bind_text(st, 2, target) != SQLITE_OK ||
        jiku_catalog_bind_text(st, 3, action) != SQLITE_OK ||
        sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL)) != SQLITE_OK ||
        jiku_catalog_bind_text(st, 5, nonce) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "record the operation", err);
        goto out;
    }
    /* Workers share the handle: another insert between the step and the rowid read would
     * hand two operations one id.  The handle's mutex is recursive (FULLMUTEX). */
    sqlite3_mutex_enter(sqlite3_db_mutex(cat->db));
    if ((r = jiku_catalog_step_done(cat, st, "record the operation", err)) == 0)
        *op_id = sqlite3_last_insert_rowid(cat->db);
    sqlite3_mutex_leave(sqlite3_db_mutex(cat->db));
out:
    sqlite3_finalize(st);
    return r;
}

bool
jiku_catalog_op_exists(struct jiku_catalog *cat, int64_t op_id, const char *nonce)
{
    static const char sql[] = "SELECT 1 FROM operations WHERE id = ? AND nonce IS ?";
    sqlite3_stmt *st = NULL;
    struct jiku_err e = {0};
    bool found = false;

    if (jiku_catalog_prepare(cat, sql, &st, NULL, &e) != 0)
        return false;
    if (sqlite3_bind_int64(st, 1, op_id) == SQLITE_OK &&
        jiku_catalog_bind_text(st, 2, nonce) == SQLITE_OK)
        found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

int
jiku_catalog_op_begin(struct jiku_catalog *cat, int64_t run_id, const char *target,
                      const char *action, int64_t *op_id, struct jiku_err *err)
{
    return op_insert(cat, run_id, target, action, NULL, op_id, err);
}

int
jiku_catalog_op_begin_nonce(struct jiku_catalog *cat, int64_t run_id, const char *target,
                            const char *action, char nonce[JIKU_NONCE_SIZE], int64_t *op_id,
                            struct jiku_err *err)
{
    int r;

    if ((r = jiku_catalog_nonce_new(nonce, err)) != 0)
        return r;
    return op_insert(cat, run_id, target, action, nonce, op_id, err);
}

int
jiku_catalog_op_leftovers(struct jiku_catalog *cat, int64_t op_id, const char *leftovers,
                          struct jiku_err *err)
{
    static const char sql[] = "UPDATE operations SET leftovers = ? WHERE id = ?";
    sqlite3_stmt *st = NULL;
    int r;

    if ((r = jiku_catalog_prepare(cat, sql, &st, "record what the operation left", err)) != 0)
        return r;
    if (jiku_catalog_bind_text(st, 1, leftovers) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, op_id) != SQLITE_OK)
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "record what the operation left", err);
    else
        r = jiku_catalog_step_done(cat, st, "record what the operation left", err);
    sqlite3_finalize(st);
    return r;
}

void
jiku_op_marks_release(struct jiku_op_marks *m)
{
    for (size_t i = 0; m->items != NULL && i < m->n; i++) {
        free(m->items[i].name);
        free(m->items[i].leftovers);
    }
    free(m->items);
    memset(m, 0, sizeof(*m));
}

/*
 * An operation still counts as running while its row says so and its run has not ended: a run
 * that crashed never ends, so what it left stays protected rather than being swept under it.
 */
int
jiku_catalog_op_marks(struct jiku_catalog *cat, struct jiku_op_marks *out, struct jiku_err *err)
{
    static const char sql[] =
        "SELECT o.id, o.run_id, o.nonce, o.status = 'running' AND r.ended IS NULL, o.leftovers "
        "FROM operations o JOIN runs r ON r.id = o.run_id "
        "WHERE (o.status = 'running' AND r.ended IS NULL) OR o.leftovers IS NOT NULL "
        "ORDER BY o.id";
    struct jiku_buf name = JIKU_BUF_INIT;
    sqlite3_stmt *st = NULL;
    int r, rc;

    memset(out, 0, sizeof(*out));
    if ((r = jiku_catalog_prepare(cat, sql, &st, "list running operations", err)) != 0)
        return r;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct jiku_op_mark *m, *grown;

        grown = realloc(out->items, (out->n + 1) * sizeof(*out->items));
        if (grown == NULL)
            goto nomem;
        out->items = grown;
        m = &out->items[out->n];
        memset(m, 0, sizeof(*m));
        m->op_id = sqlite3_column_int64(st, 0);
        m->running = sqlite3_column_int(st, 3) != 0;
        out->n++;
        if (jiku_catalog_op_name(sqlite3_column_int64(st, 1), m->op_id,
                                 (const char *)sqlite3_column_text(st, 2), &name) != 0 ||
            (m->name = jiku_buf_detach(&name)) == NULL ||
            !jiku_catalog_column_dup(st, 4, &m->leftovers))
            goto nomem;
    }
    r = rc == SQLITE_DONE ? 0 : jiku_catalog_fail(cat, rc, "list running operations", err);
    goto out;
nomem:
    r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
out:
    sqlite3_finalize(st);
    jiku_buf_release(&name);
    if (r != 0)
        jiku_op_marks_release(out);
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
    if ((r = jiku_catalog_prepare(cat, sql, &st, "record the end of the operation", err)) != 0)
        return r;
    if (jiku_catalog_bind_text(st, 1, status) != SQLITE_OK ||
        sqlite3_bind_int(st, 2, exit_code) != SQLITE_OK ||
        jiku_catalog_bind_text(st, 3, error) != SQLITE_OK ||
        jiku_catalog_bind_text(st, 4, artifact_id) != SQLITE_OK ||
        sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL)) != SQLITE_OK ||
        sqlite3_bind_int64(st, 6, op_id) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "record the end of the operation", err);
        goto out;
    }
    if ((r = jiku_catalog_step_done(cat, st, "record the end of the operation", err)) != 0 ||
        sqlite3_changes(cat->db) != 0)
        goto out;
    sqlite3_finalize(st);
    st = NULL;
    if ((r = jiku_catalog_prepare(cat, exists_sql, &st, "look up the operation", err)) != 0)
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

    if ((r = jiku_catalog_prepare(cat, sql, &st, "mark operations interrupted", err)) != 0)
        return r;
    if (sqlite3_bind_int(st, 1, jiku_status_exit_code(JIKU_E_INTERRUPTED)) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL)) != SQLITE_OK ||
        sqlite3_bind_int64(st, 3, run_id) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "mark operations interrupted", err);
        goto out;
    }
    r = jiku_catalog_step_done(cat, st, "mark operations interrupted", err);
out:
    sqlite3_finalize(st);
    return r;
}

int
jiku_catalog_artifact_verified(struct jiku_catalog *cat, const char *target, const char *id,
                               time_t *out, struct jiku_err *err)
{
    static const char sql[] = "SELECT max(ended) FROM operations WHERE target = ? AND "
                              "action = 'verify' AND status = 'ok' AND artifact = ?";
    sqlite3_stmt *st = NULL;
    int r, rc;

    *out = 0;
    if ((r = jiku_catalog_prepare(cat, sql, &st, "look up verifications", err)) != 0)
        return r;
    if (jiku_catalog_bind_text(st, 1, target) != SQLITE_OK ||
        jiku_catalog_bind_text(st, 2, id) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, SQLITE_NOMEM, "look up verifications", err);
        goto out;
    }
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        *out = (time_t)sqlite3_column_int64(st, 0); /* max() of no row is NULL, read as 0 */
    else
        r = jiku_catalog_fail(cat, rc, "look up verifications", err);
out:
    sqlite3_finalize(st);
    return r;
}
