/*
 * The audit's hash chain: appending, verifying, and the tampering verify must (and the one
 * it cannot, without a logged head) detect.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit.h"
#include "catalog_db.h"
#include "fsutil.h"

#define T0 1795745700 /* 2026-11-27T02:15:00Z */
#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

extern char **environ;

static char tmpdir[64];
static char state_dir[128];
static char db_path[192];
static struct jiku_catalog *cat;

static void
setup(void)
{
    struct jiku_err err = {0};

    snprintf(tmpdir, sizeof(tmpdir), "/tmp/jiku-audit-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    snprintf(state_dir, sizeof(state_dir), "%s/state", tmpdir);
    snprintf(db_path, sizeof(db_path), "%s/state.db", state_dir);
    cr_assert_eq(jiku_catalog_open(state_dir, &cat, &err), 0, "%s", err.msg);
}

static void
teardown(void)
{
    jiku_catalog_close(cat);
    cat = NULL;
    jiku_remove_tree(tmpdir, NULL);
}

TestSuite(audit, .init = setup, .fini = teardown, .timeout = 60);

static struct jiku_audit_record
decision(const char *target, const char *reason, time_t t)
{
    struct jiku_audit_record r;

    memset(&r, 0, sizeof(r));
    r.time = t;
    r.run_id = 1;
    r.event = "decision";
    r.actor = "cron";
    r.customer = "acme";
    r.tier = "medium";
    r.target = target;
    r.action = "server.snapshot";
    r.decision = "allow";
    r.reason = reason;
    r.source = "policies/medium.policy:4";
    return r;
}

static void
append_n(struct jiku_catalog *c, int n, time_t t0)
{
    struct jiku_err err = {0};
    char reason[64];

    for (int i = 0; i < n; i++) {
        struct jiku_audit_record r = decision(i % 2 ? "acme/blog" : "acme/shop", reason, t0 + i);
        snprintf(reason, sizeof(reason), "assigned to jiku (%d)", i);
        cr_assert_eq(jiku_audit_append(c, &r, &err), 0, "%s", err.msg);
    }
}

/* A raw edit through another connection: what someone with write access to the file can do. */
static void
tamper(const char *sql)
{
    sqlite3 *db = NULL;

    cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_gt(sqlite3_changes(db), 0, "%s changed nothing", sql);
    sqlite3_close(db);
}

static void
verify_fails(const char *head, int want_status, const char *want_msg)
{
    struct jiku_err err = {0};
    int64_t n = -1;

    cr_assert_eq(jiku_audit_verify(cat, head, &n, &err), want_status, "got '%s'", err.msg);
    cr_assert_str_eq(err.msg, want_msg);
}

static void
verify_ok(const char *head, int64_t want_n)
{
    struct jiku_err err = {0};
    int64_t n = -1;

    cr_assert_eq(jiku_audit_verify(cat, head, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, want_n);
}

static void
head_string(char *out, size_t len)
{
    struct jiku_err err = {0};
    char hash[65];
    int64_t count = -1;

    cr_assert_eq(jiku_audit_head(cat, hash, &count, &err), 0, "%s", err.msg);
    snprintf(out, len, "%s:%lld", hash, (long long)count);
}

Test(audit, append_chains_records)
{
    struct jiku_audit_record a = decision("acme/shop", "first", T0);
    struct jiku_audit_record b = decision(NULL, "second", 0);
    struct jiku_err err = {0};
    char hash[65];
    int64_t count = -1;
    time_t before = time(NULL);

    cr_assert_eq(jiku_audit_head(cat, hash, &count, &err), 0);
    cr_assert_eq(count, 0);
    cr_assert_str_eq(hash, "");

    cr_assert_eq(jiku_audit_append(cat, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(a.seq, 1);
    cr_assert_eq(a.time, T0);
    cr_assert_str_eq(a.prev_hash, ZEROS);
    cr_assert_eq(strlen(a.hash), 64);
    cr_assert_eq(strspn(a.hash, "0123456789abcdef"), 64);

    cr_assert_eq(jiku_audit_append(cat, &b, &err), 0, "%s", err.msg);
    cr_assert_eq(b.seq, 2);
    cr_assert(b.time >= before && b.time <= time(NULL), "time 0 means now");
    cr_assert_str_eq(b.prev_hash, a.hash);
    cr_assert_str_neq(b.hash, a.hash);

    cr_assert_eq(jiku_audit_head(cat, hash, &count, &err), 0);
    cr_assert_eq(count, 2);
    cr_assert_str_eq(hash, b.hash);
    cr_assert_eq(jiku_audit_log_head(cat, &err), 0, "%s", err.msg);
    verify_ok(NULL, 2);
}

Test(audit, append_refuses_incomplete_records)
{
    struct jiku_audit_record r = decision("acme/shop", "x", T0);
    struct jiku_err err = {0};

    r.actor = NULL;
    cr_assert_eq(jiku_audit_append(cat, &r, &err), JIKU_E_INVAL);
    verify_ok(NULL, 0);
}

/* The status of operation ID. */
static char *
op_status(int64_t id)
{
    sqlite3_stmt *st = NULL;
    char *status = NULL;

    cr_assert_eq(sqlite3_prepare_v2(jiku_catalog_db(cat),
                                    "SELECT status FROM operations WHERE id = ?", -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW)
        status = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    cr_assert_not_null(status);
    return status;
}

Test(audit, an_operation_ends_with_its_record_or_not_at_all)
{
    struct jiku_audit_record r = decision("acme/shop", "ok", T0);
    struct jiku_op_end end = {.status = "ok", .artifact = "a1"};
    struct jiku_op_end missing = {.op_id = 9999, .status = "ok"};
    struct jiku_err err = {0};
    int64_t run = 0;
    char *status;

    r.event = "operation";
    r.decision = "ok";
    cr_assert_eq(jiku_catalog_run_begin(cat, "snapshot", "cron", false, &run, &err), 0);
    cr_assert_eq(jiku_catalog_op_begin(cat, run, "acme/shop", "server.snapshot", &end.op_id, &err),
                 0, "%s", err.msg);
    /* No such operation: nothing is appended either. */
    cr_assert_eq(jiku_audit_op_end(cat, &missing, &r, &err), JIKU_E_NOTFOUND);
    verify_ok(NULL, 0);
    /* The record cannot be written: the operation is not ended either. */
    cr_assert_eq(sqlite3_exec(jiku_catalog_db(cat), "ALTER TABLE audit RENAME TO audit_away", NULL,
                              NULL, NULL),
                 SQLITE_OK);
    cr_assert_neq(jiku_audit_op_end(cat, &end, &r, &err), 0);
    cr_assert_str_eq(status = op_status(end.op_id), "running");
    free(status);
    cr_assert_eq(sqlite3_exec(jiku_catalog_db(cat), "ALTER TABLE audit_away RENAME TO audit", NULL,
                              NULL, NULL),
                 SQLITE_OK);
    cr_assert_eq(jiku_audit_op_end(cat, &end, &r, &err), 0, "%s", err.msg);
    cr_assert_eq(r.seq, 1);
    cr_assert_str_eq(status = op_status(end.op_id), "ok");
    free(status);
    verify_ok(NULL, 1);
}

Test(audit, hash_covers_every_field_and_is_unambiguous)
{
    struct jiku_audit_record base = decision("acme/shop", "why", T0), r;
    char h0[65], h[65];

    memcpy(base.prev_hash, ZEROS, sizeof(ZEROS));
    base.seq = 5;
    cr_assert_eq(jiku_audit_record_hash(&base, h0), 0);
    cr_assert_eq(jiku_audit_record_hash(&base, h), 0);
    cr_assert_str_eq(h, h0, "the hash is deterministic");

#define CHANGED(stmt)                                                                              \
    do {                                                                                           \
        r = base;                                                                                  \
        stmt;                                                                                      \
        cr_assert_eq(jiku_audit_record_hash(&r, h), 0);                                            \
        cr_assert_str_neq(h, h0, "%s leaves the hash alone", #stmt);                               \
    } while (0)
    CHANGED(r.seq = 6);
    CHANGED(r.time = T0 + 1);
    CHANGED(r.run_id = 2);
    CHANGED(r.event = "operation");
    CHANGED(r.actor = "alice");
    CHANGED(r.customer = "beta");
    CHANGED(r.customer = NULL);
    CHANGED(r.tier = "high");
    CHANGED(r.target = "acme/blog");
    CHANGED(r.action = "server.backup");
    CHANGED(r.decision = "deny");
    CHANGED(r.reason = "why not");
    CHANGED(r.source = NULL);
    CHANGED(r.artifact = "20261127T021500Z.acme.shop.s");
    CHANGED(r.dry_run = true);
    CHANGED(r.prev_hash[0] = '1');
    /* NULL and "" are different records. */
    CHANGED(r.reason = NULL);
    CHANGED(r.reason = "");
#undef CHANGED

    /* Moving bytes across a field boundary changes the hash. */
    {
        struct jiku_audit_record x = base, y = base;
        char hx[65], hy[65];
        x.tier = "ab";
        x.target = "c";
        y.tier = "a";
        y.target = "bc";
        cr_assert_eq(jiku_audit_record_hash(&x, hx), 0);
        cr_assert_eq(jiku_audit_record_hash(&y, hy), 0);
        cr_assert_str_neq(hx, hy);
        x.tier = "s1:a";
        x.target = NULL;
        y.tier = NULL;
        y.target = "s1:a";
        cr_assert_eq(jiku_audit_record_hash(&x, hx), 0);
        cr_assert_eq(jiku_audit_record_hash(&y, hy), 0);
        cr_assert_str_neq(hx, hy);
    }
}

Test(audit, verify_good_chain)
{
    char head[80];

    verify_ok(NULL, 0);
    verify_ok(ZEROS ":0", 0);
    append_n(cat, 20, T0);
    verify_ok(NULL, 20);
    head_string(head, sizeof(head));
    verify_ok(head, 20);
}

Test(audit, verify_detects_an_edited_field)
{
    append_n(cat, 20, T0);
    tamper("UPDATE audit SET reason = 'assigned to the customer' WHERE seq = 17");
    verify_fails(NULL, JIKU_E_DATA, "audit record 17 is broken: hash mismatch");
}

Test(audit, verify_detects_an_edit_with_a_recomputed_hash)
{
    struct jiku_audit_record r = decision("acme/shop", "assigned to jiku (6)", T0 + 6);
    char sql[256];

    append_n(cat, 10, T0);
    /* The forger fixes record 7's own hash; record 8's prev_hash still names the old one. */
    r.seq = 7;
    r.decision = "deny";
    tamper("UPDATE audit SET decision = 'deny' WHERE seq = 7");
    {
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
        cr_assert_eq(
            sqlite3_prepare_v2(db, "SELECT prev_hash FROM audit WHERE seq = 7", -1, &st, NULL),
            SQLITE_OK);
        cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
        memcpy(r.prev_hash, sqlite3_column_text(st, 0), 65);
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    cr_assert_eq(jiku_audit_record_hash(&r, r.hash), 0);
    snprintf(sql, sizeof(sql), "UPDATE audit SET hash = '%s' WHERE seq = 7", r.hash);
    tamper(sql);
    verify_fails(NULL, JIKU_E_DATA, "audit record 8 is broken: prev_hash does not match record 7");
}

Test(audit, verify_detects_a_deleted_middle_record)
{
    append_n(cat, 20, T0);
    tamper("DELETE FROM audit WHERE seq = 17");
    verify_fails(NULL, JIKU_E_DATA, "missing audit record 17");
}

Test(audit, verify_detects_a_renumbered_record)
{
    append_n(cat, 5, T0);
    tamper("DELETE FROM audit WHERE seq = 1");
    verify_fails(NULL, JIKU_E_DATA, "missing audit record 1");
}

Test(audit, cut_from_the_end_needs_the_logged_head)
{
    char head[80];

    append_n(cat, 15, T0);
    head_string(head, sizeof(head));
    tamper("DELETE FROM audit WHERE seq > 12");
    /*
     * Without a head the shortened chain is still a valid chain: nothing inside the database
     * can tell.  That is why every run logs the head to syslog.
     */
    verify_ok(NULL, 12);
    verify_fails(head, JIKU_E_DATA,
                 "audit chain ends at record 12 but the logged head names record 15");
}

Test(audit, cut_and_regrown_chain_fails_the_head)
{
    char head[80];

    append_n(cat, 15, T0);
    head_string(head, sizeof(head));
    tamper("DELETE FROM audit WHERE seq > 12");
    append_n(cat, 3, T0 + 100); /* records 13..15 again, different ones */
    verify_ok(NULL, 15);
    verify_fails(head, JIKU_E_DATA,
                 "audit record 15 is broken: hash does not match the logged head");
}

Test(audit, an_older_head_still_verifies)
{
    char head[80], upper[80];

    append_n(cat, 5, T0);
    head_string(head, sizeof(head));
    append_n(cat, 5, T0 + 10);
    verify_ok(head, 10);
    for (size_t i = 0; head[i] != '\0'; i++)
        upper[i] = (char)(head[i] >= 'a' && head[i] <= 'f' ? head[i] - 'a' + 'A' : head[i]);
    upper[strlen(head)] = '\0';
    verify_ok(upper, 10);
}

Test(audit, head_beyond_an_empty_audit)
{
    verify_fails("1111111111111111111111111111111111111111111111111111111111111111:1", JIKU_E_DATA,
                 "audit chain ends at record 0 but the logged head names record 1");
}

Test(audit, malformed_heads_are_usage_errors)
{
    const char *bad[] = {
        "",
        ":",
        "abc:3",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000:",
        "000000000000000000000000000000000000000000000000000000000000000:1",
        "00000000000000000000000000000000000000000000000000000000000000000:1",
        "000000000000000000000000000000000000000000000000000000000000000g:1",
        "0000000000000000000000000000000000000000000000000000000000000000:-1",
        "0000000000000000000000000000000000000000000000000000000000000000:1x",
        "0000000000000000000000000000000000000000000000000000000000000000: 1",
        "0000000000000000000000000000000000000000000000000000000000000000:99999999999999999999",
        "1111111111111111111111111111111111111111111111111111111111111111:0",
    };
    struct jiku_err err = {0};

    append_n(cat, 2, T0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(jiku_audit_verify(cat, bad[i], NULL, &err), JIKU_E_USAGE, "'%s'", bad[i]);
        cr_assert_not_null(strstr(err.msg, "malformed audit head"), "%s", err.msg);
    }
}

Test(audit, append_waits_for_a_writer_then_gives_up_cleanly)
{
    struct jiku_audit_record r = decision("acme/shop", "x", T0);
    struct jiku_err err = {0};
    sqlite3 *db = NULL;

    append_n(cat, 2, T0);
    cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    jiku_catalog_set_busy_timeout(cat, 100);
    cr_assert_eq(jiku_audit_append(cat, &r, &err), JIKU_E_BUSY);
    cr_assert_not_null(strstr(err.msg, "cannot append to the audit"), "%s", err.msg);
    cr_assert_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    /* Nothing half-done stays behind: the next append continues the chain. */
    r = decision("acme/shop", "y", T0);
    cr_assert_eq(jiku_audit_append(cat, &r, &err), 0, "%s", err.msg);
    cr_assert_eq(r.seq, 3);
    verify_ok(NULL, 3);
}

struct seen {
    int n;
    int64_t seqs[32];
    int stop_after;
    int fail_with;
};

static int
collect(const struct jiku_audit_record *rec, void *arg)
{
    struct seen *s = arg;

    cr_assert_lt(s->n, 32);
    s->seqs[s->n++] = rec->seq;
    cr_assert_str_eq(rec->event, "decision");
    cr_assert_str_eq(rec->actor, "cron");
    cr_assert_str_eq(rec->source, "policies/medium.policy:4");
    cr_assert_null(rec->artifact);
    cr_assert_eq(strlen(rec->hash), 64);
    if (s->fail_with != 0 && s->n == s->stop_after)
        return s->fail_with;
    return s->stop_after != 0 && s->n == s->stop_after;
}

Test(audit, each_is_newest_first_with_filters)
{
    struct jiku_err err = {0};
    struct seen s = {0};

    append_n(cat, 10, T0); /* even seqs - 1 are acme/shop, at T0 + seq - 1 */
    cr_assert_eq(jiku_audit_each(cat, NULL, 0, collect, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(s.n, 10);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(s.seqs[i], 10 - i);

    memset(&s, 0, sizeof(s));
    cr_assert_eq(jiku_audit_each(cat, "acme/shop", 0, collect, &s, &err), 0);
    cr_assert_eq(s.n, 5);
    cr_assert_eq(s.seqs[0], 9);
    cr_assert_eq(s.seqs[4], 1);

    memset(&s, 0, sizeof(s));
    cr_assert_eq(jiku_audit_each(cat, NULL, T0 + 7, collect, &s, &err), 0);
    cr_assert_eq(s.n, 3);
    cr_assert_eq(s.seqs[2], 8);

    memset(&s, 0, sizeof(s));
    cr_assert_eq(jiku_audit_each(cat, "acme/blog", T0 + 7, collect, &s, &err), 0);
    cr_assert_eq(s.n, 2);

    memset(&s, 0, sizeof(s));
    s.stop_after = 3;
    cr_assert_eq(jiku_audit_each(cat, NULL, 0, collect, &s, &err), 0);
    cr_assert_eq(s.n, 3);

    memset(&s, 0, sizeof(s));
    s.stop_after = 2;
    s.fail_with = JIKU_E_IO;
    cr_assert_eq(jiku_audit_each(cat, NULL, 0, collect, &s, &err), JIKU_E_IO);
    cr_assert_eq(s.n, 2);

    memset(&s, 0, sizeof(s));
    cr_assert_eq(jiku_audit_each(cat, "nobody/here", 0, collect, &s, &err), 0);
    cr_assert_eq(s.n, 0);
}

Test(audit, syslog_line_quotes_values)
{
    struct jiku_audit_record r = decision("acme/shop", "contract says \"no\"\nsee §4", T0);
    struct jiku_buf b = JIKU_BUF_INIT;

    r.seq = 3;
    r.tier = "";
    r.customer = NULL;
    r.artifact = "a=b\\c";
    memcpy(r.hash, ZEROS, sizeof(ZEROS));
    cr_assert_eq(jiku_audit_format_line(&r, &b), 0);
    cr_assert_str_eq(b.data,
                     "audit seq=3 time=2026-11-27T02:15:00Z run=1 event=decision actor=cron "
                     "tier=\"\" target=acme/shop action=server.snapshot decision=allow "
                     "reason=\"contract says \\\"no\\\"\\nsee §4\" "
                     "source=policies/medium.policy:4 artifact=\"a=b\\\\c\" dry_run=0 hash=" ZEROS);
    jiku_buf_release(&b);

    r.reason = "tab\there\x01";
    r.artifact = NULL;
    r.dry_run = true;
    cr_assert_eq(jiku_audit_format_line(&r, &b), 0);
    cr_assert_not_null(strstr(b.data, " reason=\"tab\\there\\x01\" "), "%s", b.data);
    cr_assert_null(strstr(b.data, "artifact="));
    cr_assert_not_null(strstr(b.data, " dry_run=1 "));
    jiku_buf_release(&b);
}

struct appender {
    int status;
};

static void *
append_thread(void *arg)
{
    struct appender *a = arg;
    struct jiku_catalog *c = NULL;
    struct jiku_err err = {0};

    if ((a->status = jiku_catalog_open(state_dir, &c, &err)) != 0)
        return NULL;
    for (int i = 0; i < 25 && a->status == 0; i++) {
        struct jiku_audit_record r = decision("acme/shop", "concurrent", T0 + i);
        a->status = jiku_audit_append(c, &r, &err);
    }
    jiku_catalog_close(c);
    return NULL;
}

Test(audit, concurrent_appenders_chain_correctly)
{
    struct appender a[2] = {{0}, {0}};
    pthread_t th[2];

    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, append_thread, &a[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(a[i].status, 0);
    }
    verify_ok(NULL, 50);
}

/* The run engine's workers share the run's one connection: audit transactions and other
 * threads' plain writes must neither interleave inside a transaction nor fail. */
struct sharer {
    int64_t run_id;
    int status;
};

static void *
share_thread(void *arg)
{
    struct sharer *sh = arg;
    struct jiku_err err = {0};

    for (int i = 0; i < 25 && sh->status == 0; i++) {
        struct jiku_audit_record r = decision("acme/shop", "shared", T0 + i);
        int64_t op_id;

        if ((sh->status = jiku_catalog_op_begin(cat, sh->run_id, "acme/shop", "server.snapshot",
                                                &op_id, &err)) == 0)
            sh->status = jiku_audit_append(cat, &r, &err);
    }
    return NULL;
}

Test(audit, threads_sharing_one_connection_chain_correctly)
{
    struct sharer sh[4];
    pthread_t th[4];
    struct jiku_err err = {0};
    int64_t run_id;
    sqlite3_stmt *st;

    cr_assert_eq(jiku_catalog_run_begin(cat, "nightly", "tester", false, &run_id, &err), 0);
    for (int i = 0; i < 4; i++) {
        sh[i] = (struct sharer){run_id, 0};
        cr_assert_eq(pthread_create(&th[i], NULL, share_thread, &sh[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(sh[i].status, 0, "thread %d failed", i);
    }
    verify_ok(NULL, 100);
    cr_assert_eq(sqlite3_prepare_v2(jiku_catalog_db(cat),
                                    "SELECT COUNT(DISTINCT id) FROM "
                                    "operations",
                                    -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(st, 0), 100, "an operation row was lost or shared");
    sqlite3_finalize(st);
}

Test(audit, concurrent_processes_chain_correctly)
{
    struct appender mine = {0};
    int status = 0;
    pid_t pid = fork();

    cr_assert_geq(pid, 0);
    if (pid == 0) {
        struct appender child = {0};
        append_thread(&child);
        _exit(child.status == 0 ? 0 : 1);
    }
    append_thread(&mine);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cr_assert_eq(mine.status, 0);
    verify_ok(NULL, 50);
}

/* The same tampering through the sqlite3 shell, as an admin would do it. */
Test(audit, tampering_with_the_sqlite3_cli_is_detected)
{
    char *argv[] = {"sqlite3", db_path, "UPDATE audit SET actor = 'mallory' WHERE seq = 3", NULL};
    int status = 0;
    pid_t pid;

    if (access("/usr/bin/sqlite3", X_OK) != 0)
        cr_skip_test("sqlite3 CLI not installed");
    append_n(cat, 5, T0);
    cr_assert_eq(posix_spawn(&pid, "/usr/bin/sqlite3", NULL, NULL, argv, environ), 0);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    verify_fails(NULL, JIKU_E_DATA, "audit record 3 is broken: hash mismatch");
}
