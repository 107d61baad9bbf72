/*
 * A large catalog made through the agent's own code paths, for the scale rows of the
 * benchmark (bench/README.md, "How cost grows"): N_TARGETS targets cust<C>/site<T> (ten a
 * customer), PER_TARGET good snapshots each, one an hour going back, each reserved and then
 * updated as `snapshot` does it (jiku_catalog_artifact_reserve, _update), a transaction per
 * 10,000 rows.
 *
 *     scale_gen STATE_DIR N_TARGETS PER_TARGET
 *
 * Prints the rows made and the seconds it took.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "artifact.h"
#include "catalog.h"
#include "catalog_db.h"

#define BATCH 10000

int
main(int argc, char **argv)
{
    struct jiku_catalog *cat = NULL;
    struct jiku_err err = {0};
    struct timespec t0, t1;
    char customer[32], target[64];
    long n_targets, per_target, made = 0;
    time_t base = 1796083200; /* 2026-12-01T00:00:00Z */
    int r;

    if (argc != 4 || (n_targets = atol(argv[2])) < 1 || (per_target = atol(argv[3])) < 1) {
        fprintf(stderr, "usage: scale_gen STATE_DIR N_TARGETS PER_TARGET\n");
        return 64;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((r = jiku_catalog_open(argv[1], &cat, &err)) != 0)
        goto out;
    for (long t = 0; t < n_targets && r == 0; t++) {
        snprintf(customer, sizeof(customer), "cust%ld", t / 10);
        snprintf(target, sizeof(target), "cust%ld/site%ld", t / 10, t % 10);
        for (long i = 0; i < per_target && r == 0; i++) {
            struct jiku_artifact a = {
                .customer = customer,
                .target = target,
                .kind = JIKU_ARTIFACT_SNAPSHOT,
                .server = "web1",
                .panel = "cpanel",
                .created = base - (time_t)i * 3600,
                .status = JIKU_ART_PENDING,
            };
            char *id = NULL;

            if (made % BATCH == 0 && (r = jiku_catalog_begin(cat, false, "scale", &err)) != 0)
                break;
            if ((r = jiku_catalog_artifact_reserve(cat, &a, &id, &err)) == 0) {
                a.id = id;
                a.location = "/var/lib/jiku-snapshots/x.tar.gz";
                a.size = 1 << 20;
                a.sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
                a.status = JIKU_ART_GOOD;
                r = jiku_catalog_artifact_update(cat, &a, &err);
            }
            free(id);
            if (r == 0 && ++made % BATCH == 0)
                r = jiku_catalog_commit(cat, "scale", &err);
        }
    }
    if (r == 0 && made % BATCH != 0)
        r = jiku_catalog_commit(cat, "scale", &err);
out:
    jiku_catalog_close(cat);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (r != 0) {
        fprintf(stderr, "scale_gen: %s\n", err.msg);
        return 1;
    }
    printf("rows %ld seconds %.1f\n", made,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
