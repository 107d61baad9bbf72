/*
 * A long audit made through the agent's own append, for the scale rows of the benchmark
 * (bench/scale_catalog.sh): records like a nightly run's, a decision and an operation per
 * target, appended one by one with jiku_audit_append, which chains each to the last, a
 * transaction per BATCH records (the append joins it).  The
 * audit is extended to each size in turn, and at each a consistent copy of the database is
 * written to OUT_DIR/audit-SIZE/state/state.db, so one chain of the largest size makes them
 * all.
 *
 *     scale_audit OUT_DIR SIZE...      (sizes ascending)
 *
 * Durability is not what is measured: the connection runs with synchronous = OFF, so an
 * append's commit costs no fsync.  A made-up audit is not the machine's: the agent's copy of
 * each record for syslog is masked out here (setlogmask), not sent.  Prints the records made and
 * the seconds it took.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include "audit.h"
#include "catalog.h"
#include "catalog_db.h"

#define BATCH 100000

static int
copy_to(sqlite3 *db, const char *out_dir, long size)
{
    char path[4096];
    sqlite3_stmt *st = NULL;
    int rc;

    snprintf(path, sizeof(path), "%s/audit-%ld", out_dir, size);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/audit-%ld/state", out_dir, size);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/audit-%ld/state/state.db", out_dir, size);
    remove(path);
    if ((rc = sqlite3_prepare_v2(db, "VACUUM INTO ?", -1, &st, NULL)) == SQLITE_OK &&
        (rc = sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT)) == SQLITE_OK)
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        fprintf(stderr, "scale_audit: cannot copy to '%s': %s\n", path, sqlite3_errmsg(db));
    return rc;
}

int
main(int argc, char **argv)
{
    struct jiku_catalog *cat = NULL;
    struct jiku_err err = {0};
    struct timespec t0, t1;
    char customer[32], target[64], dir[4096];
    time_t base = 1796083200; /* 2026-12-01T00:00:00Z */
    int64_t made = 0;
    int r = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: scale_audit OUT_DIR SIZE...\n");
        return 64;
    }
    setlogmask(LOG_MASK(LOG_EMERG));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    snprintf(dir, sizeof(dir), "%s/audit-gen", argv[1]);
    if ((r = jiku_catalog_open(dir, &cat, &err)) != 0)
        goto out;
    sqlite3_exec(jiku_catalog_db(cat), "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    for (int k = 2; k < argc && r == 0; k++) {
        long size = atol(argv[k]);

        for (; made < size && r == 0; made++) {
            long t = (long)(made / 2);
            bool decision = made % 2 == 0;
            struct jiku_audit_record rec = {
                .time = base + (time_t)made,
                .run_id = 1 + made / 20000,
                .event = decision ? "decision" : "operation",
                .actor = "cron",
                .customer = customer,
                .tier = "low",
                .target = target,
                .action = "server.snapshot",
                .decision = decision ? "allow" : "ok",
                .reason = decision ? "default for tier low" : NULL,
                .source = decision ? "policies/low.policy:12" : NULL,
                .artifact = decision ? NULL : "20261201T000000Z.cust1.site1.s",
            };

            snprintf(customer, sizeof(customer), "cust%ld", t % 100000 / 10);
            snprintf(target, sizeof(target), "cust%ld/site%ld", t % 100000 / 10, t % 10);
            if (!jiku_catalog_in_tx(cat) &&
                (r = jiku_catalog_begin(cat, false, "scale", &err)) != 0)
                break;
            if ((r = jiku_audit_append(cat, &rec, &err)) == 0 &&
                ((made + 1) % BATCH == 0 || made + 1 == size))
                r = jiku_catalog_commit(cat, "scale", &err);
        }
        if (r == 0 && copy_to(jiku_catalog_db(cat), argv[1], size) != SQLITE_OK)
            r = 1;
    }
out:
    if (cat != NULL)
        jiku_catalog_rollback(cat);
    jiku_catalog_close(cat);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (r != 0) {
        fprintf(stderr, "scale_audit: %s\n", err.msg);
        return 1;
    }
    printf("records %" PRId64 " seconds %.1f\n", made,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
