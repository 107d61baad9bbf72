/*
 * The catalog: creating and migrating state.db, artifact ids, runs, operations, artifacts.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "artifact.h"
#include "catalog.h"
#include "catalog_db.h"
#include "fsutil.h"

#define T0 1795745700 /* 2026-11-27T02:15:00Z */

static char tmpdir[64];
static char state_dir[128];
static char db_path[192];

static void
setup(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/jiku-catalog-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    snprintf(state_dir, sizeof(state_dir), "%s/state", tmpdir);
    snprintf(db_path, sizeof(db_path), "%s/state.db", state_dir);
}

static void
teardown(void)
{
    jiku_remove_tree(tmpdir, NULL);
}

TestSuite(catalog, .init = setup, .fini = teardown, .timeout = 60);

static struct jiku_catalog *
open_ok(void)
{
    struct jiku_catalog *cat = NULL;
    struct jiku_err err = {0};

    cr_assert_eq(jiku_catalog_open(state_dir, &cat, &err), 0, "%s", err.msg);
    cr_assert_not_null(cat);
    return cat;
}

/* A raw connection, the way an admin (or an attacker) would reach the file. */
static sqlite3 *
raw_open(void)
{
    sqlite3 *db = NULL;

    cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    return db;
}

static long long
raw_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v;

    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void
raw_text(sqlite3 *db, const char *sql, char *out, size_t n)
{
    sqlite3_stmt *st = NULL;

    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    snprintf(out, n, "%s",
             sqlite3_column_type(st, 0) == SQLITE_NULL ? "(null)"
                                                       : (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

static struct jiku_artifact
proto(const char *target, enum jiku_artifact_kind kind, time_t created)
{
    struct jiku_artifact a;

    memset(&a, 0, sizeof(a));
    a.target = (char *)target;
    a.kind = kind;
    a.created = created;
    a.server = "web1";
    a.panel = "cpanel";
    return a;
}

static char *
reserve_ok(struct jiku_catalog *cat, const char *target, enum jiku_artifact_kind kind, time_t t)
{
    struct jiku_artifact p = proto(target, kind, t);
    struct jiku_err err = {0};
    char *id = NULL;

    cr_assert_eq(jiku_catalog_artifact_reserve(cat, &p, &id, &err), 0, "%s", err.msg);
    cr_assert_not_null(id);
    return id;
}

Test(catalog, open_creates_private_dir_and_file_in_wal_mode)
{
    struct jiku_catalog *cat = open_ok();
    struct stat sb;
    sqlite3 *db;
    char mode[16];

    cr_assert_eq(stat(state_dir, &sb), 0);
    cr_assert(S_ISDIR(sb.st_mode));
    cr_assert_eq(sb.st_mode & 07777, 0700);
    cr_assert_eq(stat(db_path, &sb), 0);
    cr_assert_eq(sb.st_mode & 07777, 0600);
    cr_assert_eq(jiku_catalog_schema_version(cat), jiku_catalog_schema_latest);
    cr_assert_eq(raw_int(jiku_catalog_db(cat), "PRAGMA foreign_keys"), 1);
    cr_assert_str_eq(jiku_catalog_path(cat), db_path);
    jiku_catalog_close(cat);

    db = raw_open();
    raw_text(db, "PRAGMA journal_mode", mode, sizeof(mode));
    cr_assert_str_eq(mode, "wal");
    cr_assert_eq(raw_int(db, "PRAGMA user_version"), jiku_catalog_schema_latest);
    cr_assert_eq(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                             "('runs', 'operations', 'artifacts', 'audit')"),
                 4);
    sqlite3_close(db);

    /* A second open of an up-to-date database changes nothing. */
    cat = open_ok();
    cr_assert_eq(jiku_catalog_schema_version(cat), jiku_catalog_schema_latest);
    jiku_catalog_close(cat);
}

Test(catalog, every_database_fd_is_close_on_exec)
{
    struct jiku_catalog *cat = open_ok();
    char *id = reserve_ok(cat, "acme/shop", JIKU_ARTIFACT_SNAPSHOT, T0); /* opens -wal, -shm */
    char link[PATH_MAX], fdpath[64];
    struct dirent *de;
    DIR *d;
    int seen = 0;

    cr_assert_not_null(d = opendir("/proc/self/fd"));
    while ((de = readdir(d)) != NULL) {
        ssize_t n;
        int fd;
        if (de->d_name[0] == '.')
            continue;
        fd = (int)strtol(de->d_name, NULL, 10);
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
        if ((n = readlink(fdpath, link, sizeof(link) - 1)) < 0)
            continue;
        link[n] = '\0';
        if (strncmp(link, db_path, strlen(db_path)) != 0)
            continue;
        seen++;
        cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC, "'%s' (fd %d) lacks FD_CLOEXEC", link, fd);
    }
    closedir(d);
    cr_assert_geq(seen, 3, "expected state.db, -wal and -shm open, saw %d", seen);
    /* SQLite gives -wal and -shm the database's own mode. */
    snprintf(link, sizeof(link), "%s-wal", db_path);
    {
        struct stat sb;
        cr_assert_eq(stat(link, &sb), 0);
        cr_assert_eq(sb.st_mode & 07777, 0600);
    }
    free(id);
    jiku_catalog_close(cat);
}

Test(catalog, migrates_an_old_database_forward_keeping_its_rows)
{
    struct jiku_catalog *cat;
    struct jiku_artifact a;
    struct jiku_err err = {0};
    sqlite3 *db;

    cr_assert_eq(mkdir(state_dir, 0700), 0);
    db = raw_open();
    /* What a version-1 agent left: no audit table, no indexes. */
    cr_assert_eq(sqlite3_exec(db, jiku_catalog_migrations[0], NULL, NULL, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "INSERT INTO artifacts (id, customer, target, kind, created, status) "
                              "VALUES ('20261127T021500Z.acme.shop.s', 'acme', 'acme/shop', "
                              "'snapshot', 1795745700, 'good');"
                              "PRAGMA user_version = 1;",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);

    cat = open_ok();
    cr_assert_eq(jiku_catalog_schema_version(cat), jiku_catalog_schema_latest);
    cr_assert_eq(jiku_catalog_artifact_get(cat, "20261127T021500Z.acme.shop.s", &a, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(a.status, JIKU_ART_GOOD);
    jiku_artifact_release(&a);
    cr_assert_eq(raw_int(jiku_catalog_db(cat),
                         "SELECT count(*) FROM sqlite_master WHERE name IN ('audit', "
                         "'audit_target', 'artifacts_target')"),
                 3);
    cr_assert_eq(raw_int(jiku_catalog_db(cat), "PRAGMA user_version"), jiku_catalog_schema_latest);
    jiku_catalog_close(cat);

    /* the catalog as it was, kept beside it before the first step, 0600 */
    {
        char bak[600];
        struct stat st;

        snprintf(bak, sizeof(bak), "%s/state.db.bak-1", state_dir);
        cr_assert_eq(stat(bak, &st), 0, "no %s", bak);
        cr_assert_eq(st.st_mode & 07777, 0600);
        cr_assert_eq(sqlite3_open_v2(bak, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        cr_assert_eq(raw_int(db, "PRAGMA user_version"), 1);
        cr_assert_eq(raw_int(db, "SELECT count(*) FROM artifacts"), 1);
        cr_assert_eq(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'audit'"), 0);
        sqlite3_close(db);
    }
}

/* What completion opens: nothing created, nothing migrated, only a catalog as it should be. */
Test(catalog, read_only_open_takes_only_a_current_catalog)
{
    struct jiku_catalog *cat = NULL;
    struct jiku_err err = {0};
    struct stat st;
    sqlite3 *db;

    cr_assert_neq(jiku_catalog_open_read_only(state_dir, &cat, &err), 0);
    cr_assert_null(cat);
    cr_assert_neq(stat(state_dir, &st), 0, "a read-only open created the state directory");

    cr_assert_eq(mkdir(state_dir, 0700), 0);
    db = raw_open();
    cr_assert_eq(sqlite3_exec(db, jiku_catalog_migrations[0], NULL, NULL, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    cr_assert_eq(jiku_catalog_open_read_only(state_dir, &cat, &err), JIKU_E_DATA);
    cr_assert_null(cat);
    db = raw_open();
    cr_assert_eq(raw_int(db, "PRAGMA user_version"), 1, "a read-only open migrated");
    sqlite3_close(db);

    jiku_catalog_close(open_ok());
    cr_assert_eq(jiku_catalog_open_read_only(state_dir, &cat, &err), 0, "%s", err.msg);
    cr_assert_eq(jiku_catalog_schema_version(cat), jiku_catalog_schema_latest);
    jiku_catalog_close(cat);
}

Test(catalog, a_new_catalog_keeps_no_copy)
{
    struct jiku_catalog *cat = open_ok();
    char bak[600];
    struct stat st;

    jiku_catalog_close(cat);
    snprintf(bak, sizeof(bak), "%s/state.db.bak-0", state_dir);
    cr_assert_neq(stat(bak, &st), 0);
}

Test(catalog, a_failed_migration_step_changes_nothing)
{
    struct jiku_catalog *cat = NULL;
    struct jiku_err err = {0};
    sqlite3 *db;

    cr_assert_eq(mkdir(state_dir, 0700), 0);
    db = raw_open();
    /* Version 1 plus a stray table in the way of step 2. */
    cr_assert_eq(sqlite3_exec(db, jiku_catalog_migrations[0], NULL, NULL, NULL), SQLITE_OK);
    cr_assert_eq(
        sqlite3_exec(db, "CREATE TABLE audit (x); PRAGMA user_version = 1;", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);

    cr_assert_eq(jiku_catalog_open(state_dir, &cat, &err), JIKU_E_DATA);
    cr_assert_null(cat);
    cr_assert_not_null(strstr(err.msg, "cannot migrate state database '"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "to schema version 2: table audit already exists"), "%s",
                       err.msg);
    db = raw_open();
    cr_assert_eq(raw_int(db, "PRAGMA user_version"), 1);
    cr_assert_eq(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'audit_target'"), 0);
    sqlite3_close(db);
}

Test(catalog, refuses_a_database_from_a_newer_agent)
{
    struct jiku_catalog *cat = open_ok();
    struct jiku_err err = {0};
    char want[128];
    sqlite3 *db;

    jiku_catalog_close(cat);
    db = raw_open();
    cr_assert_eq(sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    cat = NULL;
    cr_assert_eq(jiku_catalog_open(state_dir, &cat, &err), JIKU_E_DATA);
    cr_assert_null(cat);
    snprintf(want, sizeof(want), "schema version 7 is newer than this jiku-agent (%d)",
             jiku_catalog_schema_latest);
    cr_assert_not_null(strstr(err.msg, want), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, db_path), "%s", err.msg);
}

Test(catalog, refuses_a_file_that_is_not_a_database)
{
    struct jiku_catalog *cat = NULL;
    struct jiku_err err = {0};
    FILE *f;

    cr_assert_eq(mkdir(state_dir, 0700), 0);
    cr_assert_not_null(f = fopen(db_path, "w"));
    for (int i = 0; i < 200; i++)
        fputs("this is not an SQLite database, just text\n", f);
    fclose(f);
    cr_assert_eq(jiku_catalog_open(state_dir, &cat, &err), JIKU_E_DATA);
    cr_assert_null(cat);
    cr_assert_not_null(strstr(err.msg, "cannot open state database '"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "not a database"), "%s", err.msg);
}

Test(catalog, state_dir_that_is_a_file_is_an_io_error)
{
    struct jiku_catalog *cat = NULL;
    struct jiku_err err = {0};
    FILE *f;

    cr_assert_not_null(f = fopen(state_dir, "w"));
    fclose(f);
    cr_assert_eq(jiku_catalog_open(state_dir, &cat, &err), JIKU_E_IO);
    cr_assert_null(cat);
    cr_assert_not_null(strstr(err.msg, state_dir), "%s", err.msg);
    cr_assert_eq(jiku_catalog_open("", &cat, &err), JIKU_E_CONFIG);
}

/* PRAGMA synchronous of CAT's connection: 1 NORMAL, 2 FULL. */
static int
synchronous_of(struct jiku_catalog *cat)
{
    sqlite3_stmt *st = NULL;
    int level = -1;

    cr_assert_eq(sqlite3_prepare_v2(jiku_catalog_db(cat), "PRAGMA synchronous", -1, &st, NULL),
                 SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        level = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return level;
}

Test(catalog, only_a_synced_transaction_commits_with_full_durability)
{
    struct jiku_catalog *cat = open_ok();
    struct jiku_err err = {0};

    cr_assert_eq(synchronous_of(cat), 1);
    cr_assert_eq(jiku_catalog_begin(cat, true, "test", &err), 0, "%s", err.msg);
    cr_assert_eq(synchronous_of(cat), 2);
    cr_assert_eq(jiku_catalog_commit(cat, "test", &err), 0, "%s", err.msg);
    cr_assert_eq(synchronous_of(cat), 1);
    cr_assert_eq(jiku_catalog_begin(cat, true, "test", &err), 0, "%s", err.msg);
    jiku_catalog_rollback(cat);
    cr_assert_eq(synchronous_of(cat), 1);
    cr_assert_eq(jiku_catalog_begin(cat, false, "test", &err), 0, "%s", err.msg);
    cr_assert_eq(synchronous_of(cat), 1);
    cr_assert_eq(jiku_catalog_commit(cat, "test", &err), 0, "%s", err.msg);
    jiku_catalog_close(cat);
}

Test(catalog, a_write_lock_held_too_long_is_busy)
{
    struct jiku_catalog *cat = open_ok();
    struct jiku_err err = {0};
    int64_t run = 0;
    sqlite3 *db = raw_open();

    /* Another agent process in the middle of a long write transaction. */
    cr_assert_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    jiku_catalog_set_busy_timeout(cat, 100);
    cr_assert_eq(jiku_catalog_run_begin(cat, "nightly", "cron", false, &run, &err), JIKU_E_BUSY);
    cr_assert_not_null(strstr(err.msg, "stayed locked by another process for 0.1 s"), "%s",
                       err.msg);
    cr_assert_eq(jiku_catalog_begin(cat, true, "test", &err), JIKU_E_BUSY);
    cr_assert_eq(synchronous_of(cat), 1, "a failed synced BEGIN left the level raised");
    /* Readers are not blocked in WAL mode. */
    {
        struct jiku_artifact_list l;
        cr_assert_eq(jiku_catalog_artifact_list(cat, NULL, NULL, true, &l, &err), 0, "%s", err.msg);
        jiku_artifact_list_release(&l);
    }
    cr_assert_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    cr_assert_eq(jiku_catalog_run_begin(cat, "nightly", "cron", false, &run, &err), 0, "%s",
                 err.msg);
    jiku_catalog_close(cat);
}

Test(catalog, sqlite_codes_map_to_statuses)
{
    cr_assert_eq(jiku_catalog_status(SQLITE_OK), 0);
    cr_assert_eq(jiku_catalog_status(SQLITE_BUSY), JIKU_E_BUSY);
    cr_assert_eq(jiku_catalog_status(SQLITE_BUSY_SNAPSHOT), JIKU_E_BUSY);
    cr_assert_eq(jiku_catalog_status(SQLITE_FULL), JIKU_E_IO);
    cr_assert_eq(jiku_catalog_status(SQLITE_IOERR_WRITE), JIKU_E_IO);
    cr_assert_eq(jiku_catalog_status(SQLITE_READONLY), JIKU_E_IO);
    cr_assert_eq(jiku_catalog_status(SQLITE_CORRUPT), JIKU_E_DATA);
    cr_assert_eq(jiku_catalog_status(SQLITE_NOTADB), JIKU_E_DATA);
    cr_assert_eq(jiku_catalog_status(SQLITE_NOMEM), JIKU_E_NOMEM);
}

Test(catalog, id_format)
{
    struct {
        const char *target;
        enum jiku_artifact_kind kind;
        const char *want;
    } cases[] = {
        {"acme/shop", JIKU_ARTIFACT_SNAPSHOT, "20261127T021500Z.acme.shop.s"},
        {"acme/shop", JIKU_ARTIFACT_BACKUP, "20261127T021500Z.acme.shop.b"},
        {"a-1/my-blog", JIKU_ARTIFACT_SAFETY, "20261127T021500Z.a-1.my-blog.x"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *id = jiku_artifact_id_format(cases[i].target, cases[i].kind, T0);
        cr_assert_str_eq(id, cases[i].want);
        cr_assert(jiku_artifact_id_valid(id));
        free(id);
    }
    cr_assert_null(jiku_artifact_id_format("acme", JIKU_ARTIFACT_SNAPSHOT, T0));
    cr_assert_null(jiku_artifact_id_format("acme/shop/x", JIKU_ARTIFACT_SNAPSHOT, T0));
    cr_assert_null(jiku_artifact_id_format("Acme/shop", JIKU_ARTIFACT_SNAPSHOT, T0));
    cr_assert_null(jiku_artifact_id_format("acme/sh.op", JIKU_ARTIFACT_SNAPSHOT, T0));
    cr_assert_null(jiku_artifact_id_format(NULL, JIKU_ARTIFACT_SNAPSHOT, T0));
    cr_assert_null(jiku_artifact_id_format("acme/shop", (enum jiku_artifact_kind)7, T0));
}

Test(catalog, id_validation)
{
    const char *good[] = {
        "20261127T021500Z.acme.shop.s",
        "20261127T021500Z.acme.shop.b.2",
        "20261127T021500Z.acme.shop.x.10",
        "20261127T021500Z.a.b-c.s.999",
    };
    const char *bad[] = {
        "",
        "20261127T021500Z.acme.shop",
        "20261127T021500Z.acme.shop.q",
        "20261127T021500Z.acme.shop.s.",
        "20261127T021500Z.acme.shop.s.1",
        "20261127T021500Z.acme.shop.s.02",
        "20261127T021500Z.acme.shop.s.2x",
        "20261127T021500Z.acme.shop.s.12345",
        "20261127X021500Z.acme.shop.s",
        "2026112T0021500Z.acme.shop.s",
        "20261127T021500Z..shop.s",
        "20261127T021500Z.acme/shop.s",
        "20261127T021500Z.Acme.shop.s",
        "20261127T021500Z.acme.shop.s/../x",
        "20261127T021500Z.-acme.shop.s",
    };

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        cr_assert(jiku_artifact_id_valid(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_not(jiku_artifact_id_valid(bad[i]), "%s", bad[i]);
    cr_assert_not(jiku_artifact_id_valid(NULL));
}

Test(catalog, names_round_trip)
{
    enum jiku_artifact_kind k;
    enum jiku_artifact_status s;

    for (int i = 0; i < 3; i++) {
        cr_assert_eq(jiku_artifact_kind_parse(jiku_artifact_kind_name(i), &k), 0);
        cr_assert_eq((int)k, i);
    }
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(jiku_artifact_status_parse(jiku_artifact_status_name(i), &s), 0);
        cr_assert_eq((int)s, i);
    }
    cr_assert_str_eq(jiku_artifact_kind_name(JIKU_ARTIFACT_SAFETY), "safety");
    cr_assert_str_eq(jiku_artifact_status_name(JIKU_ART_PRUNED), "pruned");
    cr_assert_eq(jiku_artifact_kind_parse("Snapshot", &k), JIKU_E_DATA);
    cr_assert_eq(jiku_artifact_status_parse(NULL, &s), JIKU_E_DATA);
}

Test(catalog, same_second_gets_suffixes)
{
    struct jiku_catalog *cat = open_ok();
    char *a = reserve_ok(cat, "acme/shop", JIKU_ARTIFACT_SNAPSHOT, T0);
    char *b = reserve_ok(cat, "acme/shop", JIKU_ARTIFACT_SNAPSHOT, T0);
    char *c = reserve_ok(cat, "acme/shop", JIKU_ARTIFACT_SNAPSHOT, T0);
    char *d = reserve_ok(cat, "acme/shop", JIKU_ARTIFACT_BACKUP, T0);
    char *e = reserve_ok(cat, "acme/shop", JIKU_ARTIFACT_SNAPSHOT, T0 + 1);
    struct jiku_artifact got;
    struct jiku_err err = {0};

    cr_assert_str_eq(a, "20261127T021500Z.acme.shop.s");
    cr_assert_str_eq(b, "20261127T021500Z.acme.shop.s.2");
    cr_assert_str_eq(c, "20261127T021500Z.acme.shop.s.3");
    cr_assert_str_eq(d, "20261127T021500Z.acme.shop.b");
    cr_assert_str_eq(e, "20261127T021501Z.acme.shop.s");

    /* The reservation is a pending row with the prototype's fields. */
    cr_assert_eq(jiku_catalog_artifact_get(cat, b, &got, &err), 0, "%s", err.msg);
    cr_assert_eq(got.status, JIKU_ART_PENDING);
    cr_assert_str_eq(got.customer, "acme");
    cr_assert_str_eq(got.target, "acme/shop");
    cr_assert_str_eq(got.server, "web1");
    cr_assert_str_eq(got.panel, "cpanel");
    cr_assert_eq(got.created, T0);
    cr_assert_null(got.location);
    cr_assert_eq(got.size, 0);
    jiku_artifact_release(&got);

    free(a);
    free(b);
    free(c);
    free(d);
    free(e);
    jiku_catalog_close(cat);
}

Test(catalog, reserve_without_time_uses_now_and_refuses_bad_targets)
{
    struct jiku_catalog *cat = open_ok();
    struct jiku_artifact p = proto("acme/shop", JIKU_ARTIFACT_SNAPSHOT, 0), got;
    struct jiku_err err = {0};
    time_t before = time(NULL), after;
    char *id = NULL;

    cr_assert_eq(jiku_catalog_artifact_reserve(cat, &p, &id, &err), 0, "%s", err.msg);
    after = time(NULL);
    cr_assert_eq(jiku_catalog_artifact_get(cat, id, &got, &err), 0, "%s", err.msg);
    cr_assert(got.created >= before && got.created <= after);
    jiku_artifact_release(&got);
    free(id);

    id = NULL;
    p.target = "acme";
    cr_assert_eq(jiku_catalog_artifact_reserve(cat, &p, &id, &err), JIKU_E_INVAL);
    cr_assert_null(id);
    jiku_catalog_close(cat);
}

#define PER_WORKER 15

struct worker {
    int shared; /* use the shared connection instead of opening one */
    struct jiku_catalog *cat;
    char *ids[PER_WORKER];
    int status;
};

static void *
reserve_many(void *arg)
{
    struct worker *w = arg;
    struct jiku_catalog *cat = w->cat;
    struct jiku_err err = {0};

    if (!w->shared && (w->status = jiku_catalog_open(state_dir, &cat, &err)) != 0)
        return NULL;
    for (int i = 0; i < PER_WORKER; i++) {
        struct jiku_artifact p = proto("acme/shop", JIKU_ARTIFACT_BACKUP, T0);
        if ((w->status = jiku_catalog_artifact_reserve(cat, &p, &w->ids[i], &err)) != 0)
            break;
    }
    if (!w->shared)
        jiku_catalog_close(cat);
    return NULL;
}

static void
assert_distinct(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cr_assert_not_null(ids[i]);
        cr_assert(jiku_artifact_id_valid(ids[i]), "%s", ids[i]);
        for (size_t j = i + 1; j < n; j++)
            cr_assert_str_neq(ids[i], ids[j]);
    }
}

static void
run_threads(int shared)
{
    struct jiku_catalog *cat = open_ok();
    struct worker w[2];
    pthread_t th[2];
    char *all[2 * PER_WORKER];
    struct jiku_artifact_list l;
    struct jiku_err err = {0};

    memset(w, 0, sizeof(w));
    for (int i = 0; i < 2; i++) {
        w[i].shared = shared;
        w[i].cat = cat;
        cr_assert_eq(pthread_create(&th[i], NULL, reserve_many, &w[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(w[i].status, 0, "worker %d: %d", i, w[i].status);
        memcpy(all + i * PER_WORKER, w[i].ids, sizeof(w[i].ids));
    }
    assert_distinct(all, 2 * PER_WORKER);
    cr_assert_eq(jiku_catalog_artifact_list(cat, "acme/shop", NULL, false, &l, &err), 0);
    cr_assert_eq(l.n, 2 * PER_WORKER);
    jiku_artifact_list_release(&l);
    for (int i = 0; i < 2 * PER_WORKER; i++)
        free(all[i]);
    jiku_catalog_close(cat);
}

Test(catalog, reserve_from_two_threads_with_own_connections)
{
    run_threads(0);
}

Test(catalog, reserve_from_two_threads_sharing_a_connection)
{
    run_threads(1);
}

Test(catalog, reserve_from_two_processes)
{
    struct jiku_catalog *cat = open_ok();
    struct jiku_artifact_list l;
    struct jiku_err err = {0};
    char *ids[PER_WORKER];
    int status = 0;
    pid_t pid;

    jiku_catalog_close(cat);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        struct worker w = {0};
        reserve_many(&w);
        _exit(w.status == 0 ? 0 : 1);
    }
    cat = open_ok();
    for (int i = 0; i < PER_WORKER; i++)
        ids[i] = reserve_ok(cat, "acme/shop", JIKU_ARTIFACT_BACKUP, T0);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    cr_assert_eq(jiku_catalog_artifact_list(cat, NULL, NULL, true, &l, &err), 0, "%s", err.msg);
    cr_assert_eq(l.n, 2 * PER_WORKER);
    {
        char *all[2 * PER_WORKER];
        for (size_t i = 0; i < l.n; i++)
            all[i] = l.items[i].id;
        assert_distinct(all, l.n);
    }
    jiku_artifact_list_release(&l);
    for (int i = 0; i < PER_WORKER; i++)
        free(ids[i]);
    jiku_catalog_close(cat);
}

static void
insert_full(struct jiku_catalog *cat, const char *target, enum jiku_artifact_kind kind, time_t t,
            enum jiku_artifact_status st)
{
    char *id = reserve_ok(cat, target, kind, t);
    struct jiku_artifact a;
    struct jiku_err err = {0};

    cr_assert_eq(jiku_catalog_artifact_get(cat, id, &a, &err), 0, "%s", err.msg);
    a.status = st;
    cr_assert_eq(jiku_catalog_artifact_update(cat, &a, &err), 0, "%s", err.msg);
    jiku_artifact_release(&a);
    free(id);
}

Test(catalog, list_is_newest_first_and_filters)
{
    struct jiku_catalog *cat = open_ok();
    struct jiku_artifact_list l;
    struct jiku_err err = {0};

    insert_full(cat, "acme/shop", JIKU_ARTIFACT_SNAPSHOT, T0, JIKU_ART_GOOD);
    insert_full(cat, "acme/shop", JIKU_ARTIFACT_BACKUP, T0 + 100, JIKU_ART_GOOD);
    insert_full(cat, "acme/blog", JIKU_ARTIFACT_SNAPSHOT, T0 + 50, JIKU_ART_GOOD);
    insert_full(cat, "beta/www", JIKU_ARTIFACT_SNAPSHOT, T0 + 200, JIKU_ART_FAILED);
    insert_full(cat, "acme/shop", JIKU_ARTIFACT_SNAPSHOT, T0 - 100, JIKU_ART_PRUNED);
    insert_full(cat, "acme/shop", JIKU_ARTIFACT_SNAPSHOT, T0 + 100, JIKU_ART_GOOD); /* tie */

    cr_assert_eq(jiku_catalog_artifact_list(cat, NULL, NULL, false, &l, &err), 0, "%s", err.msg);
    cr_assert_eq(l.n, 5);
    cr_assert_str_eq(l.items[0].id, "20261127T021820Z.beta.www.s");
    /* Same second: the one made later comes first. */
    cr_assert_str_eq(l.items[1].id, "20261127T021640Z.acme.shop.s");
    cr_assert_str_eq(l.items[2].id, "20261127T021640Z.acme.shop.b");
    cr_assert_str_eq(l.items[3].id, "20261127T021550Z.acme.blog.s");
    cr_assert_str_eq(l.items[4].id, "20261127T021500Z.acme.shop.s");
    jiku_artifact_list_release(&l);

    cr_assert_eq(jiku_catalog_artifact_list(cat, NULL, NULL, true, &l, &err), 0);
    cr_assert_eq(l.n, 6);
    cr_assert_str_eq(l.items[5].id, "20261127T021320Z.acme.shop.s");
    cr_assert_eq(l.items[5].status, JIKU_ART_PRUNED);
    jiku_artifact_list_release(&l);

    cr_assert_eq(jiku_catalog_artifact_list(cat, "acme/shop", NULL, false, &l, &err), 0);
    cr_assert_eq(l.n, 3);
    for (size_t i = 0; i < l.n; i++)
        cr_assert_str_eq(l.items[i].target, "acme/shop");
    jiku_artifact_list_release(&l);

    cr_assert_eq(jiku_catalog_artifact_list(cat, NULL, "acme", true, &l, &err), 0);
    cr_assert_eq(l.n, 5);
    for (size_t i = 0; i < l.n; i++)
        cr_assert_str_eq(l.items[i].customer, "acme");
    jiku_artifact_list_release(&l);

    cr_assert_eq(jiku_catalog_artifact_list(cat, "nobody/here", NULL, true, &l, &err), 0);
    cr_assert_eq(l.n, 0);
    cr_assert_null(l.items);
    jiku_artifact_list_release(&l);

    /* A hostile filter is a value, not SQL. */
    cr_assert_eq(jiku_catalog_artifact_list(cat, "x' OR '1'='1", NULL, true, &l, &err), 0);
    cr_assert_eq(l.n, 0);
    jiku_artifact_list_release(&l);
    jiku_catalog_close(cat);
}

Test(catalog, update_get_insert_delete)
{
    struct jiku_catalog *cat = open_ok();
    char *id = reserve_ok(cat, "acme/shop", JIKU_ARTIFACT_BACKUP, T0);
    struct jiku_artifact a, got;
    struct jiku_err err = {0};

    cr_assert_eq(jiku_catalog_artifact_get(cat, id, &a, &err), 0, "%s", err.msg);
    free(a.location);
    free(a.backup_path);
    free(a.md5);
    free(a.sha256);
    free(a.warnings);
    a.location = strdup("/home/cpmove-shop.tar.gz");
    a.backup_path = strdup("/var/lib/jiku-agent/backups/acme/shop/x/cpmove-shop.tar.gz");
    a.md5 = strdup("0123456789abcdef0123456789abcdef");
    a.sha256 = strdup("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    a.warnings = strdup("pkgacct: WARN something \"odd\"");
    a.size = 5000000000ULL; /* past 32 bits */
    a.status = JIKU_ART_GOOD;
    cr_assert_eq(jiku_catalog_artifact_update(cat, &a, &err), 0, "%s", err.msg);

    cr_assert_eq(jiku_catalog_artifact_get(cat, id, &got, &err), 0, "%s", err.msg);
    cr_assert_str_eq(got.location, a.location);
    cr_assert_str_eq(got.backup_path, a.backup_path);
    cr_assert_str_eq(got.md5, a.md5);
    cr_assert_str_eq(got.sha256, a.sha256);
    cr_assert_str_eq(got.warnings, a.warnings);
    cr_assert_eq(got.size, 5000000000ULL);
    cr_assert_eq(got.status, JIKU_ART_GOOD);
    cr_assert_eq(got.kind, JIKU_ARTIFACT_BACKUP);
    cr_assert_not(got.pinned);
    jiku_artifact_release(&got);

    /* Insert (catalog rebuild) refuses an existing id, accepts a new one. */
    cr_assert_eq(jiku_catalog_artifact_insert(cat, &a, &err), JIKU_E_DATA);
    cr_assert_not_null(strstr(err.msg, id), "%s", err.msg);
    cr_assert_eq(jiku_catalog_artifact_delete(cat, id, &err), 0, "%s", err.msg);
    cr_assert_eq(jiku_catalog_artifact_get(cat, id, &got, &err), JIKU_E_NOTFOUND);
    cr_assert_eq(jiku_catalog_artifact_insert(cat, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(jiku_catalog_artifact_get(cat, id, &got, &err), 0, "%s", err.msg);
    cr_assert_eq(got.size, a.size);
    jiku_artifact_release(&got);

    /* Unknown ids. */
    cr_assert_eq(jiku_catalog_artifact_delete(cat, "20261127T021500Z.no.such.s", &err),
                 JIKU_E_NOTFOUND);
    cr_assert_not_null(strstr(err.msg, "no artifact '20261127T021500Z.no.such.s'"), "%s", err.msg);
    free(a.id);
    a.id = strdup("20261127T021500Z.no.such.s");
    cr_assert_eq(jiku_catalog_artifact_update(cat, &a, &err), JIKU_E_NOTFOUND);
    free(a.id);
    a.id = strdup("not an id");
    cr_assert_eq(jiku_catalog_artifact_insert(cat, &a, &err), JIKU_E_INVAL);

    jiku_artifact_release(&a);
    free(id);
    jiku_catalog_close(cat);
}

Test(catalog, pin_and_unpin)
{
    struct jiku_catalog *cat = open_ok();
    char *id = reserve_ok(cat, "acme/shop", JIKU_ARTIFACT_SNAPSHOT, T0);
    struct jiku_artifact got;
    struct jiku_err err = {0};

    cr_assert_eq(jiku_catalog_artifact_pin(cat, id, true, &err), 0, "%s", err.msg);
    cr_assert_eq(jiku_catalog_artifact_get(cat, id, &got, &err), 0);
    cr_assert(got.pinned);
    jiku_artifact_release(&got);
    cr_assert_eq(jiku_catalog_artifact_pin(cat, id, false, &err), 0, "%s", err.msg);
    cr_assert_eq(jiku_catalog_artifact_get(cat, id, &got, &err), 0);
    cr_assert_not(got.pinned);
    jiku_artifact_release(&got);
    cr_assert_eq(jiku_catalog_artifact_pin(cat, "20261127T021500Z.no.such.s", true, &err),
                 JIKU_E_NOTFOUND);
    free(id);
    jiku_catalog_close(cat);
}

Test(catalog, runs_and_operations)
{
    struct jiku_catalog *cat = open_ok();
    struct jiku_err err = {0};
    int64_t run = 0, other = 0, op1 = 0, op2 = 0, op3 = 0, op4 = 0;
    sqlite3 *db = jiku_catalog_db(cat);
    char s[64], q[160];

    cr_assert_eq(jiku_catalog_run_begin(cat, "nightly", "cron", false, &run, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(jiku_catalog_run_begin(cat, "snapshot", "alice", true, &other, &err), 0);
    cr_assert_neq(run, other);
    cr_assert_eq(jiku_catalog_op_begin(cat, run, "acme/shop", "server.snapshot", &op1, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(jiku_catalog_op_begin(cat, run, "acme/blog", "server.backup", &op2, &err), 0);
    cr_assert_eq(jiku_catalog_op_begin(cat, run, "beta/www", "server.backup", &op3, &err), 0);
    cr_assert_eq(jiku_catalog_op_begin(cat, other, "acme/shop", "server.snapshot", &op4, &err), 0);

    cr_assert_eq(jiku_catalog_op_end(cat, op1, "ok", 0, NULL, "20261127T021500Z.acme.shop.s", &err),
                 0, "%s", err.msg);
    cr_assert_eq(jiku_catalog_ops_interrupt(cat, run, &err), 0, "%s", err.msg);

    snprintf(q, sizeof(q), "SELECT status FROM operations WHERE id = %lld", (long long)op1);
    raw_text(db, q, s, sizeof(s));
    cr_assert_str_eq(s, "ok");
    snprintf(q, sizeof(q), "SELECT artifact FROM operations WHERE id = %lld", (long long)op1);
    raw_text(db, q, s, sizeof(s));
    cr_assert_str_eq(s, "20261127T021500Z.acme.shop.s");
    snprintf(q, sizeof(q),
             "SELECT count(*) FROM operations WHERE status = 'interrupted' "
             "AND exit_code = 130 AND ended IS NOT NULL");
    cr_assert_eq(raw_int(db, q), 2);
    /* Another run's operation is not touched. */
    snprintf(q, sizeof(q), "SELECT status FROM operations WHERE id = %lld", (long long)op4);
    raw_text(db, q, s, sizeof(s));
    cr_assert_str_eq(s, "running");

    /* An interrupted operation keeps that outcome when its step returns late. */
    cr_assert_eq(jiku_catalog_op_end(cat, op2, "ok", 0, NULL, NULL, &err), 0, "%s", err.msg);
    snprintf(q, sizeof(q), "SELECT status FROM operations WHERE id = %lld", (long long)op2);
    raw_text(db, q, s, sizeof(s));
    cr_assert_str_eq(s, "interrupted");

    cr_assert_eq(
        jiku_catalog_op_end(cat, op4, "failed", 69, "server 'web1' unreachable", NULL, &err), 0);
    snprintf(q, sizeof(q), "SELECT error FROM operations WHERE id = %lld", (long long)op4);
    raw_text(db, q, s, sizeof(s));
    cr_assert_str_eq(s, "server 'web1' unreachable");

    cr_assert_eq(jiku_catalog_op_end(cat, op3, "bogus", 0, NULL, NULL, &err), JIKU_E_INVAL);
    cr_assert_eq(jiku_catalog_op_end(cat, op3, "running", 0, NULL, NULL, &err), JIKU_E_INVAL);
    cr_assert_eq(jiku_catalog_op_end(cat, 99999, "ok", 0, NULL, NULL, &err), JIKU_E_NOTFOUND);
    /* An operation of a run that does not exist breaks a foreign key. */
    cr_assert_eq(jiku_catalog_op_begin(cat, 99999, "acme/shop", "server.snapshot", &op4, &err),
                 JIKU_E_DATA);

    cr_assert_eq(jiku_catalog_run_end(cat, run, 3, &err), 0, "%s", err.msg);
    snprintf(q, sizeof(q), "SELECT exit_code FROM runs WHERE id = %lld AND ended IS NOT NULL",
             (long long)run);
    cr_assert_eq(raw_int(db, q), 3);
    snprintf(q, sizeof(q), "SELECT dry_run FROM runs WHERE id = %lld", (long long)other);
    cr_assert_eq(raw_int(db, q), 1);
    cr_assert_eq(jiku_catalog_run_end(cat, 99999, 0, &err), JIKU_E_NOTFOUND);
    jiku_catalog_close(cat);
}

Test(catalog, malformed_rows_are_data_errors)
{
    struct jiku_catalog *cat = open_ok();
    struct jiku_artifact got;
    struct jiku_err err = {0};
    sqlite3 *db;

    db = raw_open();
    /* Hand-edited past the CHECK constraints (they can be dropped; the reader still checks). */
    cr_assert_eq(sqlite3_exec(db,
                              "PRAGMA ignore_check_constraints = ON;"
                              "INSERT INTO artifacts (id, customer, target, kind, created, status)"
                              " VALUES ('20261127T021500Z.acme.shop.s', 'acme', 'acme/shop', "
                              "'tarball', 1, 'good');",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
    cr_assert_eq(jiku_catalog_artifact_get(cat, "20261127T021500Z.acme.shop.s", &got, &err),
                 JIKU_E_DATA);
    cr_assert_not_null(strstr(err.msg, "malformed artifact row"), "%s", err.msg);
    jiku_catalog_close(cat);
}

/* Schema 4: a version-3 database gains operations.nonce and .leftovers, its rows intact. */
Test(catalog, migration_4_adds_the_operation_nonce_keeping_old_rows)
{
    struct jiku_catalog *cat;
    struct jiku_err err = {0};
    char nonce[JIKU_NONCE_SIZE], q[200], s[64];
    int64_t run = 0, op = 0;
    sqlite3 *db;

    cr_assert_eq(mkdir(state_dir, 0700), 0);
    db = raw_open();
    for (int i = 0; i < 3; i++)
        cr_assert_eq(sqlite3_exec(db, jiku_catalog_migrations[i], NULL, NULL, NULL), SQLITE_OK,
                     "step %d: %s", i + 1, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_exec(db,
                              "INSERT INTO runs (id, command, actor, started) "
                              "VALUES (7, 'nightly', 'cron', 1795745700);"
                              "INSERT INTO operations (id, run_id, target, action, status, "
                              "started) VALUES (3, 7, 'acme/shop', 'server.snapshot', 'ok', "
                              "1795745700);"
                              "PRAGMA user_version = 3;",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);

    cat = open_ok();
    db = jiku_catalog_db(cat);
    cr_assert_geq(jiku_catalog_schema_latest, 4);
    cr_assert_eq(jiku_catalog_schema_version(cat), jiku_catalog_schema_latest);
    cr_assert_eq(raw_int(db, "PRAGMA user_version"), jiku_catalog_schema_latest);
    /* The old operation is there, without a nonce and without leftovers. */
    raw_text(db, "SELECT target || ' ' || status FROM operations WHERE id = 3", s, sizeof(s));
    cr_assert_str_eq(s, "acme/shop ok");
    cr_assert_eq(raw_int(db, "SELECT count(*) FROM operations WHERE id = 3 AND nonce IS NULL AND "
                             "leftovers IS NULL"),
                 1);
    /* A new one records the nonce it was given. */
    cr_assert_eq(jiku_catalog_run_begin(cat, "snapshot", "alice", false, &run, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(
        jiku_catalog_op_begin_nonce(cat, run, "acme/shop", "server.snapshot", nonce, &op, &err), 0,
        "%s", err.msg);
    snprintf(q, sizeof(q), "SELECT nonce FROM operations WHERE id = %lld", (long long)op);
    raw_text(db, q, s, sizeof(s));
    cr_assert_str_eq(s, nonce);
    cr_assert_eq(jiku_catalog_op_leftovers(cat, op, "web1:/snap/acmeshop/x\n", &err), 0, "%s",
                 err.msg);
    snprintf(q, sizeof(q), "SELECT leftovers FROM operations WHERE id = %lld", (long long)op);
    raw_text(db, q, s, sizeof(s));
    cr_assert_str_eq(s, "web1:/snap/acmeshop/x\n");
    jiku_catalog_close(cat);
}

/* Each operation gets its own 16-hex-digit nonce, and its name is one path component. */
Test(catalog, every_operation_has_its_own_nonce_in_its_name)
{
    struct jiku_catalog *cat = open_ok();
    struct jiku_buf name = JIKU_BUF_INIT;
    struct jiku_err err = {0};
    char nonces[200][JIKU_NONCE_SIZE];
    int64_t run = 0, op = 0;
    char want[128];

    cr_assert_eq(jiku_catalog_run_begin(cat, "nightly", "cron", false, &run, &err), 0, "%s",
                 err.msg);
    for (int i = 0; i < 200; i++) {
        cr_assert_eq(jiku_catalog_op_begin_nonce(cat, run, "acme/shop", "server.snapshot",
                                                 nonces[i], &op, &err),
                     0, "%s", err.msg);
        cr_assert_eq(strlen(nonces[i]), 16);
        cr_assert_eq(strspn(nonces[i], "0123456789abcdef"), 16, "'%s'", nonces[i]);
        for (int k = 0; k < i; k++)
            cr_assert_str_neq(nonces[i], nonces[k], "operations %d and %d share a nonce", k, i);
    }
    cr_assert_eq(jiku_catalog_op_name(run, op, nonces[199], &name), 0);
    snprintf(want, sizeof(want), "jiku-op-%lld-%lld-%s", (long long)run, (long long)op,
             nonces[199]);
    cr_assert_str_eq(name.data, want);
    /* [A-Za-z0-9._+@-]: what the plugins accept as a path component. */
    cr_assert_eq(strspn(name.data, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789._+@-"),
                 strlen(name.data));
    /* Without a nonce (operations from before schema 4), the old name. */
    cr_assert_eq(jiku_catalog_op_name(4, 9, NULL, &name), 0);
    cr_assert_str_eq(name.data, "jiku-op-4-9");
    jiku_buf_release(&name);
    jiku_catalog_close(cat);
}

/* The sweep's view: running operations of live runs, and whatever recorded leftovers. */
Test(catalog, op_marks_list_running_operations_and_leftovers)
{
    struct jiku_catalog *cat = open_ok();
    struct jiku_op_marks marks = {0};
    struct jiku_err err = {0};
    char n1[JIKU_NONCE_SIZE], n2[JIKU_NONCE_SIZE], n3[JIKU_NONCE_SIZE], want[128];
    int64_t run = 0, ended = 0, op1 = 0, op2 = 0, op3 = 0;

    cr_assert_eq(jiku_catalog_run_begin(cat, "nightly", "cron", false, &run, &err), 0);
    cr_assert_eq(jiku_catalog_run_begin(cat, "snapshot", "alice", false, &ended, &err), 0);
    cr_assert_eq(jiku_catalog_op_begin_nonce(cat, run, "acme/shop", "s", n1, &op1, &err), 0);
    cr_assert_eq(jiku_catalog_op_begin_nonce(cat, run, "acme/blog", "s", n2, &op2, &err), 0);
    cr_assert_eq(jiku_catalog_op_begin_nonce(cat, ended, "beta/www", "s", n3, &op3, &err), 0);
    cr_assert_eq(jiku_catalog_op_end(cat, op2, "interrupted", 130, "x", NULL, &err), 0);
    cr_assert_eq(jiku_catalog_op_leftovers(cat, op2, "web1:/snap/.jobs/x\n", &err), 0);
    /* op3 never ended, but its run did: a crash leftover, not running. */
    cr_assert_eq(jiku_catalog_run_end(cat, ended, 130, &err), 0);

    cr_assert_eq(jiku_catalog_op_marks(cat, &marks, &err), 0, "%s", err.msg);
    cr_assert_eq(marks.n, 2);
    snprintf(want, sizeof(want), "jiku-op-%lld-%lld-%s", (long long)run, (long long)op1, n1);
    cr_assert_eq(marks.items[0].op_id, op1);
    cr_assert_str_eq(marks.items[0].name, want);
    cr_assert(marks.items[0].running);
    cr_assert_null(marks.items[0].leftovers);
    cr_assert_eq(marks.items[1].op_id, op2);
    cr_assert_not(marks.items[1].running);
    cr_assert_str_eq(marks.items[1].leftovers, "web1:/snap/.jobs/x\n");
    jiku_op_marks_release(&marks);
    jiku_catalog_close(cat);
}

/* Set A's location and status (A reserved by reserve_ok). */
static void
place(struct jiku_catalog *cat, const char *id, const char *location,
      enum jiku_artifact_status status)
{
    struct jiku_artifact a;
    struct jiku_err err = {0};

    cr_assert_eq(jiku_catalog_artifact_get(cat, id, &a, &err), 0, "%s", err.msg);
    free(a.location);
    a.location = location != NULL ? strdup(location) : NULL;
    a.status = status;
    cr_assert_eq(jiku_catalog_artifact_update(cat, &a, &err), 0, "%s", err.msg);
    jiku_artifact_release(&a);
}

Test(catalog, server_locations_are_what_a_clean_up_must_keep)
{
    struct jiku_catalog *cat = open_ok();
    char *a = reserve_ok(cat, "acme/shop", JIKU_ARTIFACT_SNAPSHOT, T0);
    char *b = reserve_ok(cat, "acme/cloud", JIKU_ARTIFACT_SNAPSHOT, T0 + 1);
    char *c = reserve_ok(cat, "acme/cloud", JIKU_ARTIFACT_SNAPSHOT, T0 + 2);
    char *d = reserve_ok(cat, "acme/bk", JIKU_ARTIFACT_BACKUP, T0 + 3);
    struct jiku_err err = {0};
    char **v = NULL;

    place(cat, a, "/snap/acmeshop/a/cpmove-acmeshop.tar.gz", JIKU_ART_GOOD);
    place(cat, b, "/home/acmeshop/softaculous_backups/b.tar.gz", JIKU_ART_GOOD);
    place(cat, c, "/home/acmeshop/softaculous_backups/c.tar.gz", JIKU_ART_PRUNED);
    place(cat, d, NULL, JIKU_ART_GOOD); /* only in backup_dir */
    cr_assert_eq(jiku_catalog_server_locations(cat, "web1", &v, &err), 0, "%s", err.msg);
    cr_assert_not_null(v);
    cr_assert_str_eq(v[0], "/home/acmeshop/softaculous_backups/b.tar.gz");
    cr_assert_str_eq(v[1], "/snap/acmeshop/a/cpmove-acmeshop.tar.gz");
    cr_assert_null(v[2]);
    jiku_strv_free(v);
    /* Another server's catalog rows are not this server's: an empty list, not NULL. */
    cr_assert_eq(jiku_catalog_server_locations(cat, "web2", &v, &err), 0, "%s", err.msg);
    cr_assert_not_null(v);
    cr_assert_null(v[0]);
    jiku_strv_free(v);
    jiku_strv_free(NULL);
    free(a);
    free(b);
    free(c);
    free(d);
    jiku_catalog_close(cat);
}

static bool
dir_known(struct jiku_catalog *cat, const char *server, const char *path, const char *name)
{
    struct jiku_err err = {0};
    bool yes = false;

    cr_assert_eq(jiku_catalog_dir_known(cat, server, path, name, &yes, &err), 0, "%s", err.msg);
    return yes;
}

/* The sweep's rules (sweep.c), asked of the catalog one directory at a time. */
Test(catalog, dir_known_by_location_directory_and_id)
{
    struct jiku_catalog *cat = open_ok();
    char *a = reserve_ok(cat, "acme/shop", JIKU_ARTIFACT_SNAPSHOT, T0);
    char *b = reserve_ok(cat, "acme/blog", JIKU_ARTIFACT_SNAPSHOT, T0 + 1);
    char *c = reserve_ok(cat, "acme/bk", JIKU_ARTIFACT_BACKUP, T0 + 2);
    char *p = reserve_ok(cat, "acme/new", JIKU_ARTIFACT_SNAPSHOT, T0 + 3);
    struct jiku_err err = {0};
    bool used = true;

    place(cat, a, "/snap/acmeshop/A1/cpmove.tar.gz", JIKU_ART_GOOD);
    place(cat, b, "/snap/blogs/file.tar.gz", JIKU_ART_PRUNED); /* any status keeps */
    place(cat, c, NULL, JIKU_ART_GOOD);                        /* good, not on the server */
    /* p stays pending: its id names its directory before any location is known */

    cr_assert(dir_known(cat, "web1", "/snap/acmeshop/A1", "A1"), "holds a location");
    cr_assert(dir_known(cat, "web1", "/snap/acmeshop/A1/cpmove.tar.gz", "x"), "is a location");
    cr_assert(dir_known(cat, "web1", "/snap/blogs/X9", "X9"), "beside a location");
    cr_assert(dir_known(cat, "web1", "/snap/blogs/deep/X9", "X9"), "under a location's dir");
    cr_assert(dir_known(cat, "web1", "/snap/acme/new", p), "a pending id");
    cr_assert_not(dir_known(cat, "web1", "/snap/acmeshop/A2", "A2"));
    cr_assert_not(dir_known(cat, "web1", "/snap/acmeshop/A", "A"), "a prefix is not a parent");
    cr_assert_not(dir_known(cat, "web1", "/snap/other/x", c), "good without a location");
    cr_assert_not(dir_known(cat, "web2", "/snap/acmeshop/A1", p), "another server's rows");

    cr_assert_eq(jiku_catalog_server_uses_dir(cat, "web1", "/snap", &used, &err), 0);
    cr_assert(used);
    cr_assert_eq(jiku_catalog_server_uses_dir(cat, "web1", "/sna", &used, &err), 0);
    cr_assert_not(used, "a prefix of the directory is not the directory");
    cr_assert_eq(jiku_catalog_server_uses_dir(cat, "web2", "/snap", &used, &err), 0);
    cr_assert_not(used);
    free(a);
    free(b);
    free(c);
    free(p);
    jiku_catalog_close(cat);
}

/* list TARGET reads the target's rows through its index, not a scan of every artifact. */
Test(catalog, list_of_a_target_uses_its_index)
{
    struct jiku_catalog *cat = open_ok();
    sqlite3_stmt *st = NULL;
    char plan[512] = "";

    cr_assert_eq(sqlite3_prepare_v2(jiku_catalog_db(cat),
                                    "EXPLAIN QUERY PLAN SELECT id FROM artifacts WHERE target = "
                                    "?1 AND ?2 IS NULL AND (?3 OR status <> 'pruned') ORDER BY "
                                    "created DESC, rowid DESC",
                                    -1, &st, NULL),
                 SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        strncat(plan, (const char *)sqlite3_column_text(st, 3), sizeof(plan) - strlen(plan) - 1);
    sqlite3_finalize(st);
    cr_assert(strstr(plan, "USING INDEX artifacts_target") != NULL, "%s", plan);
    cr_assert(strstr(plan, "TEMP B-TREE") == NULL, "sorted: %s", plan);
    jiku_catalog_close(cat);
}
