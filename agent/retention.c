/*
 * Retention (jiku-agent.conf(5), [retention]) with restic's semantics (`restic forget`):
 *
 * - Only good artifacts count.  Pending, failed and pruned rows are left alone ("not good"):
 *   failed leftovers are the caller's business.
 * - Two groups, each with its own rules: regular artifacts (snapshots and backups) under
 *   keep_last/daily/weekly/monthly, safety snapshots under keep_safety alone.  Newest first,
 *   an artifact is kept by a rule when it opens a new bucket of that rule (keep_last: every
 *   artifact; daily: a local calendar day; weekly: an ISO week; monthly: a month) while the
 *   rule still has count left.  Only buckets that hold artifacts count, as in restic.
 * - A rule of 0 or -1 keeps nothing by itself, but a group none of whose rules is set removes
 *   nothing (restic refuses an empty policy).  keep_on_server of 0 or -1 sets no limit.
 * - Never removed: pinned artifacts, artifacts in use, the newest good regular artifact and
 *   the newest good safety snapshot.
 * - keep_on_server: of the regular artifacts kept that still have a server copy, only the
 *   newest keep_on_server keep it.  A backup beyond that loses its server copy and keeps its
 *   backup_dir copy; a snapshot has no other copy, so it goes altogether.  Safety snapshots
 *   are governed by keep_safety alone.
 *
 * NOW is not needed: there are no duration rules (keep-within), and calendar buckets come
 * from each artifact's own time.
 */
#include "retention.h"

#include <stdlib.h>
#include <string.h>

enum { RULE_LAST, RULE_DAILY, RULE_WEEKLY, RULE_MONTHLY, N_RULES };

static const char *const rule_why[N_RULES] = {"keep_last", "keep_daily", "keep_weekly",
                                              "keep_monthly"};

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long
days_from_civil(long y, int m, int d)
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The year of a day number (the inverse of days_from_civil, year only). */
static long
year_of_days(long z)
{
    long era, doe, yoe, doy, mp, y;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    return mp >= 10 ? y + 1 : y;
}

struct entry {
    const struct jiku_artifact *a;
    size_t idx;
    long bucket[N_RULES]; /* the artifact's bucket value under each rule */
};

/* The calendar buckets of T in local time; keep_last's bucket is the position, set later. */
static void
set_buckets(struct entry *e)
{
    struct tm tm;
    time_t t = e->a->created;
    long y, days, thursday, iso_year;
    int wday_mon;

    if (localtime_r(&t, &tm) == NULL) {
        /* An unrepresentable time: a bucket of its own under every rule. */
        e->bucket[RULE_DAILY] = e->bucket[RULE_WEEKLY] = e->bucket[RULE_MONTHLY] =
            -1 - (long)e->idx;
        return;
    }
    y = (long)tm.tm_year + 1900;
    days = days_from_civil(y, tm.tm_mon + 1, tm.tm_mday);
    /* ISO 8601: weeks start on Monday, and a week belongs to the year of its Thursday. */
    wday_mon = (tm.tm_wday + 6) % 7;
    thursday = days - wday_mon + 3;
    iso_year = year_of_days(thursday);
    e->bucket[RULE_DAILY] = days;
    e->bucket[RULE_WEEKLY] = iso_year * 100 + (thursday - days_from_civil(iso_year, 1, 1)) / 7 + 1;
    e->bucket[RULE_MONTHLY] = y * 100 + tm.tm_mon + 1;
}

/* Newest first; ids break ties, since they sort by time and then by .2, .3 suffixes. */
static int
newest_first(const void *pa, const void *pb)
{
    const struct jiku_artifact *a = ((const struct entry *)pa)->a;
    const struct jiku_artifact *b = ((const struct entry *)pb)->a;
    int c;

    if (a->created != b->created)
        return a->created > b->created ? -1 : 1;
    c = strcmp(b->id != NULL ? b->id : "", a->id != NULL ? a->id : "");
    if (c != 0)
        return c;
    return ((const struct entry *)pa)->idx < ((const struct entry *)pb)->idx ? -1 : 1;
}

/* Why an artifact may never be removed, or NULL.  FIRST: it is its group's newest. */
static const char *
protected_why(const struct jiku_artifact *a, bool first)
{
    if (a->pinned)
        return "pinned";
    if (a->in_use)
        return "in use";
    if (first)
        return "newest good";
    return NULL;
}

/* The regular group: keep rules, protection, then the keep_on_server limit. */
static void
decide_regular(struct entry *es, size_t n, const struct jiku_retention *rules,
               struct jiku_prune_decision *out)
{
    int count[N_RULES] = {rules->keep_last, rules->keep_daily, rules->keep_weekly,
                          rules->keep_monthly};
    long last[N_RULES] = {0};
    bool seen[N_RULES] = {false, false, false, false};
    bool any_rule = false;
    int on_server = 0;
    size_t i;
    int k;

    for (k = 0; k < N_RULES; k++)
        any_rule = any_rule || count[k] > 0;
    if (!any_rule && rules->keep_on_server <= 0) {
        for (i = 0; i < n; i++)
            out[es[i].idx] = (struct jiku_prune_decision){JIKU_PRUNE_KEEP, "empty policy"};
        return;
    }
    for (i = 0; i < n; i++) {
        struct jiku_prune_decision *d = &out[es[i].idx];
        const char *why = protected_why(es[i].a, i == 0);
        bool is_protected = why != NULL;

        es[i].bucket[RULE_LAST] = (long)i;
        /* Every rule sees every artifact, so that each counts its own buckets (restic). */
        for (k = 0; k < N_RULES; k++) {
            if (count[k] <= 0 || (seen[k] && es[i].bucket[k] == last[k]))
                continue;
            seen[k] = true;
            last[k] = es[i].bucket[k];
            count[k]--;
            if (why == NULL)
                why = rule_why[k];
        }
        if (why == NULL && !any_rule)
            why = "no keep rule set";
        if (why == NULL) {
            *d = (struct jiku_prune_decision){JIKU_PRUNE_ALL, "no rule keeps it"};
            continue;
        }
        *d = (struct jiku_prune_decision){JIKU_PRUNE_KEEP, why};
        if (rules->keep_on_server <= 0 || es[i].a->location == NULL)
            continue;
        /* Protected artifacts use up server slots too, but never lose their copy. */
        if (++on_server <= rules->keep_on_server || is_protected)
            continue;
        if (es[i].a->backup_path != NULL)
            *d = (struct jiku_prune_decision){JIKU_PRUNE_SERVER_COPY, "keep_on_server"};
        else
            *d = (struct jiku_prune_decision){JIKU_PRUNE_ALL, "keep_on_server"};
    }
}

static void
decide_safety(struct entry *es, size_t n, const struct jiku_retention *rules,
              struct jiku_prune_decision *out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        struct jiku_prune_decision *d = &out[es[i].idx];
        const char *why = protected_why(es[i].a, i == 0);

        if (rules->keep_safety <= 0)
            *d = (struct jiku_prune_decision){JIKU_PRUNE_KEEP, "empty policy"};
        else if (why != NULL)
            *d = (struct jiku_prune_decision){JIKU_PRUNE_KEEP, why};
        else if (i < (size_t)rules->keep_safety)
            *d = (struct jiku_prune_decision){JIKU_PRUNE_KEEP, "keep_safety"};
        else
            *d = (struct jiku_prune_decision){JIKU_PRUNE_ALL, "no rule keeps it"};
    }
}

void
jiku_retention_decide(const struct jiku_artifact *arts, size_t n,
                      const struct jiku_retention *rules, time_t now,
                      struct jiku_prune_decision *out)
{
    struct entry *regular = NULL, *safety = NULL;
    size_t i, n_regular = 0, n_safety = 0;

    (void)now;
    for (i = 0; i < n; i++)
        out[i] = (struct jiku_prune_decision){JIKU_PRUNE_KEEP, "not good"};
    if (n == 0)
        return;
    regular = calloc(n, sizeof(*regular));
    safety = calloc(n, sizeof(*safety));
    if (regular == NULL || safety == NULL) {
        /* Keeping everything is always safe. */
        for (i = 0; i < n; i++)
            out[i].why = "out of memory";
        goto out;
    }
    for (i = 0; i < n; i++) {
        struct entry *e;

        if (arts[i].status != JIKU_ART_GOOD)
            continue;
        e = arts[i].kind == JIKU_ARTIFACT_SAFETY ? &safety[n_safety++] : &regular[n_regular++];
        e->a = &arts[i];
        e->idx = i;
        set_buckets(e);
    }
    qsort(regular, n_regular, sizeof(*regular), newest_first);
    qsort(safety, n_safety, sizeof(*safety), newest_first);
    decide_regular(regular, n_regular, rules, out);
    decide_safety(safety, n_safety, rules, out);
out:
    free(safety);
    free(regular);
}
