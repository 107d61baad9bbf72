/*
 * Retention decisions, table-driven: each case is a target's artifacts (newest first, though
 * the function must not care), the rules, and the decision expected for each row.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "retention.h"

static void
use_utc(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
}

TestSuite(retention, .init = use_utc);

enum { SRV = 1, BAK = 2, PIN = 4, USE = 8 };

struct row {
    const char *when; /* "YYYY-MM-DD HH:MM:SS", local time */
    char kind;        /* s snapshot, b backup, x safety */
    char status;      /* g good, p pending, f failed, x pruned */
    unsigned flags;
    char what; /* expected: k keep, c server copy goes, a everything goes */
    const char *why;
    const char *id; /* NULL: made from when and kind */
};

#define N_ROWS(t) (sizeof(t) / sizeof((t)[0]))

/* -1 everywhere: a blank policy that each case fills in. */
#define NO_RULES                                                                                   \
    {                                                                                              \
        -1, -1, -1, -1, -1, -1                                                                     \
    }

static time_t
parse_when(const char *when)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    cr_assert_eq(sscanf(when, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                        &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
                 6, "bad time '%s'", when);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    return mktime(&tm);
}

static void
fill(struct jiku_artifact *a, const struct row *r, char *id, size_t id_size)
{
    memset(a, 0, sizeof(*a));
    a->created = parse_when(r->when);
    if (r->id != NULL) {
        snprintf(id, id_size, "%s", r->id);
    } else {
        struct tm tm;

        gmtime_r(&a->created, &tm);
        strftime(id, id_size, "%Y%m%dT%H%M%SZ.acme.shop.", &tm);
        snprintf(id + strlen(id), id_size - strlen(id), "%c", r->kind);
    }
    a->id = id;
    a->customer = "acme";
    a->target = "acme/shop";
    a->kind = r->kind == 's'   ? JIKU_ARTIFACT_SNAPSHOT
              : r->kind == 'b' ? JIKU_ARTIFACT_BACKUP
                               : JIKU_ARTIFACT_SAFETY;
    a->status = r->status == 'g'   ? JIKU_ART_GOOD
                : r->status == 'p' ? JIKU_ART_PENDING
                : r->status == 'f' ? JIKU_ART_FAILED
                                   : JIKU_ART_PRUNED;
    a->location = (r->flags & SRV) ? "/home/jiku-snapshots/acmeshop/x" : NULL;
    a->backup_path = (r->flags & BAK) ? "/var/lib/jiku-agent/backups/x.tar.gz" : NULL;
    a->pinned = (r->flags & PIN) != 0;
    a->in_use = (r->flags & USE) != 0;
}

static enum jiku_prune_what
what_of(char c)
{
    return c == 'k' ? JIKU_PRUNE_KEEP : c == 'c' ? JIKU_PRUNE_SERVER_COPY : JIKU_PRUNE_ALL;
}

/* Decide over ROWS, once in the given order and once reversed: the order must not matter. */
static void
check(const char *name, const struct jiku_retention *rules, const struct row *rows, size_t n)
{
    struct jiku_artifact arts[32];
    char ids[32][64];
    struct jiku_prune_decision out[32];
    time_t now = parse_when("2027-02-01 12:00:00");
    int pass;
    size_t i;

    cr_assert_leq(n, 32);
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < n; i++) {
            size_t at = pass == 0 ? i : n - 1 - i;

            fill(&arts[at], &rows[i], ids[at], sizeof(ids[at]));
            out[at].what = (enum jiku_prune_what)99;
            out[at].why = NULL;
        }
        jiku_retention_decide(arts, n, rules, now, out);
        for (i = 0; i < n; i++) {
            size_t at = pass == 0 ? i : n - 1 - i;

            cr_assert_eq(out[at].what, what_of(rows[i].what),
                         "%s, row %zu (%s %c, pass %d): what %d, want %c (why '%s')", name, i,
                         rows[i].when, rows[i].kind, pass, out[at].what, rows[i].what,
                         out[at].why != NULL ? out[at].why : "(null)");
            cr_assert_not_null(out[at].why);
            cr_assert_str_eq(out[at].why, rows[i].why, "%s, row %zu (%s %c, pass %d)", name, i,
                             rows[i].when, rows[i].kind, pass);
        }
    }
}

Test(retention, keep_last)
{
    static const struct row rows[] = {
        {"2026-11-27 04:00:00", 's', 'g', SRV, 'k', "newest good", NULL},
        {"2026-11-27 03:00:00", 's', 'g', SRV, 'k', "keep_last", NULL},
        {"2026-11-27 02:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL},
        {"2026-11-27 01:00:00", 'b', 'g', SRV | BAK, 'a', "no rule keeps it", NULL},
    };
    struct jiku_retention rules = NO_RULES;

    rules.keep_last = 2;
    check("keep_last", &rules, rows, N_ROWS(rows));
}

Test(retention, daily_buckets_are_days_that_have_artifacts)
{
    static const struct row rows[] = {
        {"2026-11-27 03:00:00", 's', 'g', SRV, 'k', "newest good", NULL},
        {"2026-11-27 01:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL},
        {"2026-11-26 05:00:00", 's', 'g', SRV, 'k', "keep_daily", NULL},
        {"2026-11-26 02:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL},
        {"2026-11-25 23:59:59", 's', 'g', SRV, 'k', "keep_daily", NULL},
        /* no artifact on the 23rd: that day does not use up a bucket */
        {"2026-11-24 00:00:00", 's', 'g', SRV, 'k', "keep_daily", NULL},
        {"2026-11-20 12:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL},
    };
    struct jiku_retention rules = NO_RULES;

    rules.keep_daily = 4;
    check("keep_daily", &rules, rows, N_ROWS(rows));
}

Test(retention, rules_combine_and_each_counts_its_own_buckets)
{
    static const struct row rows[] = {
        {"2026-11-27 03:00:00", 's', 'g', SRV, 'k', "newest good", NULL},
        {"2026-11-27 02:00:00", 's', 'g', SRV, 'k', "keep_last", NULL},
        {"2026-11-27 01:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL},
        /* the newest of the 26th: kept by keep_daily (the 27th was the first daily bucket) */
        {"2026-11-26 05:00:00", 's', 'g', SRV, 'k', "keep_daily", NULL},
        {"2026-11-25 05:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL},
    };
    struct jiku_retention rules = NO_RULES;

    rules.keep_last = 2;
    rules.keep_daily = 2;
    check("combined", &rules, rows, N_ROWS(rows));
}

Test(retention, weekly_uses_iso_weeks)
{
    static const struct row rows[] = {
        {"2026-11-29 10:00:00", 's', 'g', SRV, 'k', "newest good", NULL},      /* Sun, W48 */
        {"2026-11-23 10:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL}, /* Mon, W48 */
        {"2026-11-22 10:00:00", 's', 'g', SRV, 'k', "keep_weekly", NULL},      /* Sun, W47 */
        {"2026-11-14 10:00:00", 's', 'g', SRV, 'k', "keep_weekly", NULL},      /* Sat, W46 */
        {"2026-11-08 10:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL}, /* Sun, W45 */
    };
    struct jiku_retention rules = NO_RULES;

    rules.keep_weekly = 3;
    check("keep_weekly", &rules, rows, N_ROWS(rows));
}

Test(retention, iso_weeks_across_new_year)
{
    static const struct row into_2027[] = {
        {"2027-01-04 10:00:00", 's', 'g', SRV, 'k', "newest good", NULL},      /* 2027-W01 */
        {"2027-01-03 10:00:00", 's', 'g', SRV, 'k', "keep_weekly", NULL},      /* 2026-W53 */
        {"2026-12-28 10:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL}, /* 2026-W53 */
        {"2026-12-27 10:00:00", 's', 'g', SRV, 'k', "keep_weekly", NULL},      /* 2026-W52 */
    };
    static const struct row into_2026[] = {
        {"2026-01-01 10:00:00", 's', 'g', SRV, 'k', "newest good", NULL},      /* 2026-W01 */
        {"2025-12-29 10:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL}, /* 2026-W01 */
        {"2025-12-28 10:00:00", 's', 'g', SRV, 'k', "keep_weekly", NULL},      /* 2025-W52 */
    };
    struct jiku_retention rules = NO_RULES;

    rules.keep_weekly = 3;
    check("2027", &rules, into_2027, N_ROWS(into_2027));
    check("2026", &rules, into_2026, N_ROWS(into_2026));
}

Test(retention, monthly)
{
    static const struct row rows[] = {
        {"2026-12-01 00:30:00", 's', 'g', SRV, 'k', "newest good", NULL},
        {"2026-11-30 23:30:00", 's', 'g', SRV, 'k', "keep_monthly", NULL},
        {"2026-11-01 00:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL},
        {"2026-10-31 12:00:00", 'b', 'g', BAK, 'k', "keep_monthly", NULL},
        {"2026-09-15 12:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL},
    };
    struct jiku_retention rules = NO_RULES;

    rules.keep_monthly = 3;
    check("keep_monthly", &rules, rows, N_ROWS(rows));
}

Test(retention, buckets_follow_local_time)
{
    /* 23:30 and 22:30 UTC: one day in UTC, two days one hour east */
    static const struct row utc[] = {
        {"2026-11-26 23:30:00", 's', 'g', SRV, 'k', "newest good", NULL},
        {"2026-11-26 22:30:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL},
    };
    static const struct row east[] = {
        {"2026-11-27 00:30:00", 's', 'g', SRV, 'k', "newest good", NULL},
        {"2026-11-26 23:30:00", 's', 'g', SRV, 'k', "keep_daily", NULL},
    };
    struct jiku_retention rules = NO_RULES;

    rules.keep_daily = 2;
    check("utc", &rules, utc, N_ROWS(utc));
    setenv("TZ", "CET-1", 1); /* a POSIX zone: needs no tzdata */
    tzset();
    check("cet", &rules, east, N_ROWS(east));
}

Test(retention, pinned_and_in_use_are_never_removed)
{
    static const struct row rows[] = {
        {"2026-11-27 04:00:00", 's', 'g', SRV, 'k', "newest good", NULL},
        {"2026-11-27 03:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL},
        {"2026-11-27 02:00:00", 's', 'g', SRV | USE, 'k', "in use", NULL},
        {"2026-11-27 01:00:00", 'b', 'g', SRV | BAK | PIN, 'k', "pinned", NULL},
        {"2026-10-01 01:00:00", 's', 'g', SRV | PIN | USE, 'k', "pinned", NULL},
    };
    struct jiku_retention rules = NO_RULES;

    rules.keep_last = 1;
    check("pinned", &rules, rows, N_ROWS(rows));
}

Test(retention, rows_that_are_not_good_are_left_alone)
{
    static const struct row rows[] = {
        {"2026-11-27 05:00:00", 's', 'f', SRV, 'k', "not good", NULL},
        {"2026-11-27 04:00:00", 'b', 'p', 0, 'k', "not good", NULL},
        /* the newest good one, even though newer rows exist */
        {"2026-11-27 03:00:00", 's', 'g', SRV, 'k', "newest good", NULL},
        {"2026-11-27 02:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL},
        {"2026-11-26 02:00:00", 's', 'x', 0, 'k', "not good", NULL},
        {"2026-11-25 02:00:00", 'x', 'f', SRV, 'k', "not good", NULL},
    };
    struct jiku_retention rules = NO_RULES;

    rules.keep_last = 1;
    rules.keep_safety = 1;
    check("not good", &rules, rows, N_ROWS(rows));
}

Test(retention, an_empty_policy_removes_nothing)
{
    static const struct row rows[] = {
        {"2026-11-27 04:00:00", 's', 'g', SRV, 'k', "empty policy", NULL},
        {"2026-11-26 04:00:00", 'b', 'g', SRV | BAK, 'k', "empty policy", NULL},
        {"2026-11-25 04:00:00", 'x', 'g', SRV, 'k', "empty policy", NULL},
        {"2026-11-24 04:00:00", 's', 'f', SRV, 'k', "not good", NULL},
    };
    struct jiku_retention unset = NO_RULES;
    struct jiku_retention zero = {0, 0, 0, 0, 0, 0};

    check("unset", &unset, rows, N_ROWS(rows));
    check("zero", &zero, rows, N_ROWS(rows));
}

Test(retention, safety_snapshots_have_their_own_count)
{
    static const struct row rows[] = {
        {"2026-11-27 06:00:00", 'x', 'g', SRV, 'k', "newest good", NULL},
        {"2026-11-27 05:00:00", 's', 'g', SRV, 'k', "newest good", NULL},
        {"2026-11-27 04:00:00", 'x', 'g', SRV, 'k', "keep_safety", NULL},
        {"2026-11-27 03:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL},
        {"2026-11-27 02:00:00", 'x', 'g', SRV, 'a', "no rule keeps it", NULL},
        {"2026-11-27 01:00:00", 'x', 'g', SRV | PIN, 'k', "pinned", NULL},
        {"2026-11-20 01:00:00", 'x', 'g', SRV, 'a', "no rule keeps it", NULL},
    };
    struct jiku_retention rules = NO_RULES;

    rules.keep_last = 1;
    rules.keep_safety = 2;
    /* safety copies on the server are not limited by keep_on_server */
    rules.keep_on_server = 1;
    check("keep_safety", &rules, rows, N_ROWS(rows));
}

Test(retention, safety_without_keep_safety_is_kept)
{
    static const struct row rows[] = {
        {"2026-11-27 05:00:00", 's', 'g', SRV, 'k', "newest good", NULL},
        {"2026-11-27 04:00:00", 'x', 'g', SRV, 'k', "empty policy", NULL},
        {"2026-11-27 03:00:00", 's', 'g', SRV, 'a', "no rule keeps it", NULL},
        {"2026-11-27 02:00:00", 'x', 'g', SRV, 'k', "empty policy", NULL},
    };
    struct jiku_retention rules = NO_RULES;

    rules.keep_last = 1;
    check("no keep_safety", &rules, rows, N_ROWS(rows));
}

Test(retention, keep_on_server_backups_keep_their_store_copy)
{
    static const struct row rows[] = {
        {"2026-11-27 05:00:00", 'b', 'g', SRV | BAK, 'k', "newest good", NULL},
        {"2026-11-27 04:00:00", 's', 'g', SRV, 'k', "keep_last", NULL},
        /* beyond the two server copies: a backup loses only its server copy */
        {"2026-11-27 03:00:00", 'b', 'g', SRV | BAK, 'c', "keep_on_server", NULL},
        /* its server copy is gone already: nothing to limit */
        {"2026-11-27 02:00:00", 'b', 'g', BAK, 'k', "keep_last", NULL},
        /* a snapshot's only copy is on the server: it goes */
        {"2026-11-27 01:00:00", 's', 'g', SRV, 'a', "keep_on_server", NULL},
        {"2026-11-27 00:30:00", 's', 'g', SRV | PIN, 'k', "pinned", NULL},
        {"2026-11-27 00:20:00", 'b', 'g', SRV | BAK | USE, 'k', "in use", NULL},
        /* not kept by any rule: removed everywhere, server copy or not */
        {"2026-11-26 00:10:00", 'b', 'g', SRV | BAK, 'a', "no rule keeps it", NULL},
    };
    struct jiku_retention rules = NO_RULES;

    rules.keep_last = 7;
    rules.keep_on_server = 2;
    check("keep_on_server", &rules, rows, N_ROWS(rows));
}

Test(retention, keep_on_server_alone)
{
    static const struct row rows[] = {
        {"2026-11-27 05:00:00", 's', 'g', SRV, 'k', "newest good", NULL},
        {"2026-11-27 04:00:00", 'b', 'g', SRV | BAK, 'c', "keep_on_server", NULL},
        {"2026-11-27 03:00:00", 's', 'g', SRV, 'a', "keep_on_server", NULL},
        {"2026-11-27 02:00:00", 'b', 'g', BAK, 'k', "no keep rule set", NULL},
    };
    struct jiku_retention rules = NO_RULES;

    rules.keep_on_server = 1;
    check("keep_on_server alone", &rules, rows, N_ROWS(rows));
}

Test(retention, ids_break_ties_within_a_second)
{
    static const struct row rows[] = {
        {"2026-11-27 02:15:00", 's', 'g', SRV, 'k', "newest good",
         "20261127T021500Z.acme.shop.s.2"},
        {"2026-11-27 02:15:00", 's', 'g', SRV, 'a', "no rule keeps it",
         "20261127T021500Z.acme.shop.s"},
    };
    struct jiku_retention rules = NO_RULES;

    rules.keep_last = 1;
    check("ties", &rules, rows, N_ROWS(rows));
}

Test(retention, nothing_to_decide)
{
    struct jiku_retention rules = {3, 7, 4, 6, 5, 2};
    struct jiku_prune_decision out[1] = {{(enum jiku_prune_what)99, NULL}};

    jiku_retention_decide(NULL, 0, &rules, 0, out);
    cr_assert_eq(out[0].what, (enum jiku_prune_what)99, "wrote past N");
}

/* 40 nightlies at 02:15 from 2026-10-19 to 2026-11-27, then one failed tonight. */
static void
nightlies(struct jiku_artifact *arts, char ids[][64], char kind, unsigned flags)
{
    time_t first = parse_when("2026-10-19 02:15:00");
    size_t i;

    for (i = 0; i < 41; i++) {
        struct row r = {"2026-01-01 00:00:00", kind, i == 40 ? 'f' : 'g', flags, 'k', "", NULL};

        fill(&arts[i], &r, ids[i], sizeof(ids[i]));
        arts[i].created = first + (time_t)(i < 40 ? i : 39) * 86400 + (i == 40 ? 60 : 0);
    }
}

Test(retention, shipped_defaults_over_nightly_snapshots)
{
    struct jiku_retention rules = {3, 7, 4, 6, 5, 2};
    struct jiku_artifact arts[41];
    struct jiku_prune_decision out[41];
    char ids[41][64];
    size_t i, kept = 0;

    nightlies(arts, ids, 's', SRV);
    jiku_retention_decide(arts, 41, &rules, arts[40].created, out);
    for (i = 0; i < 41; i++)
        kept += out[i].what == JIKU_PRUNE_KEEP;
    /* a snapshot lives only on the server, so keep_on_server = 2 bounds them: the newest two */
    cr_assert_eq(out[39].what, JIKU_PRUNE_KEEP);
    cr_assert_eq(out[38].what, JIKU_PRUNE_KEEP);
    cr_assert_eq(out[40].what, JIKU_PRUNE_KEEP);
    cr_assert_str_eq(out[40].why, "not good");
    cr_assert_eq(kept, 3);
    cr_assert_eq(out[37].what, JIKU_PRUNE_ALL);
    cr_assert_str_eq(out[37].why, "keep_on_server");
    cr_assert_eq(out[0].what, JIKU_PRUNE_ALL);
}

Test(retention, shipped_defaults_over_nightly_backups)
{
    struct jiku_retention rules = {3, 7, 4, 6, 5, 2};
    struct jiku_artifact arts[41];
    struct jiku_prune_decision out[41];
    char ids[41][64];
    size_t i, n_keep = 0, n_copy = 0, n_all = 0;

    nightlies(arts, ids, 'b', SRV | BAK);
    jiku_retention_decide(arts, 41, &rules, arts[40].created, out);
    for (i = 0; i < 40; i++) {
        n_keep += out[i].what == JIKU_PRUNE_KEEP;
        n_copy += out[i].what == JIKU_PRUNE_SERVER_COPY;
        n_all += out[i].what == JIKU_PRUNE_ALL;
    }
    /*
     * Kept: Nov 21-27 (daily, which covers last), Nov 15 and 8 (weekly: W46, W45; W48 and
     * W47 are Nov 27 and 22), Oct 31 (monthly).  Of those only Nov 27 and 26 stay on the
     * server.
     */
    cr_assert_eq(n_keep, 2);
    cr_assert_eq(n_copy, 8);
    cr_assert_eq(n_all, 30);
    cr_assert_eq(out[39].what, JIKU_PRUNE_KEEP);
    cr_assert_eq(out[38].what, JIKU_PRUNE_KEEP);
    cr_assert_eq(out[37].what, JIKU_PRUNE_SERVER_COPY); /* Nov 25 */
    cr_assert_eq(out[27].what, JIKU_PRUNE_SERVER_COPY); /* Nov 15 */
    cr_assert_eq(out[20].what, JIKU_PRUNE_SERVER_COPY); /* Nov 8 */
    cr_assert_eq(out[12].what, JIKU_PRUNE_SERVER_COPY); /* Oct 31 */
    cr_assert_eq(out[13].what, JIKU_PRUNE_ALL);         /* Nov 1 */
    cr_assert_eq(out[26].what, JIKU_PRUNE_ALL);         /* Nov 14 */
    cr_assert_eq(out[40].what, JIKU_PRUNE_KEEP);
}
