/*
 * The node_exporter textfile collector's file (jiku-agent(8), MONITORING), computed whole from
 * the catalog after every run of a command that changes something.  The collector reads
 * whatever is there at scrape time, so the file is replaced by rename, never rewritten in
 * place.  Runs that end together take turns on a lock file beside it, and each computes the
 * file after the one before it renamed its own: the last file written holds every run.
 *
 * Each table is read in one GROUP BY pass over an index (catalog.c, schema step 5), never once
 * per target: the catalog of a large fleet holds millions of operations.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog_db.h"
#include "config.h"
#include "fsutil.h"
#include "metrics.h"

/* How long a run waits for another run writing the file before it gives up (a warning). */
#define METRICS_LOCK_WAIT_MS 30000

enum family {
    F_LAST_SUCCESS,
    F_DURATION,
    F_OPERATIONS,
    F_DENIALS,
    F_NEWEST,
    F_OLDEST,
    F_ARTIFACTS,
    F_BYTES,
    F_NEVER,
    F_NIGHTLY,
    F_RUN_EXIT,
    F_RUN_END,
    F_UPDATES,
    F_COUNT
};

/* Every series the agent writes; jiku-agent(8) documents each, and the dashboard test
 * (tests/monitoring) reads these names from here. */
static const struct {
    const char *name, *type, *help;
} families[F_COUNT] = {
    [F_LAST_SUCCESS] = {"jiku_agent_last_success_timestamp_seconds", "gauge",
                        "When an action last succeeded for a target."},
    [F_DURATION] = {"jiku_agent_operation_duration_seconds", "gauge",
                    "How long the target's last finished operation of an action took."},
    [F_OPERATIONS] = {"jiku_agent_operations_total", "counter",
                      "Operations recorded in the catalog, by action and result."},
    [F_DENIALS] = {"jiku_agent_denials_total", "counter",
                   "Operations the policy denied, by target and action."},
    [F_NEWEST] = {"jiku_agent_newest_artifact_timestamp_seconds", "gauge",
                  "When the target's newest good artifact of a kind was made."},
    [F_OLDEST] = {"jiku_agent_oldest_artifact_timestamp_seconds", "gauge",
                  "When the target's oldest good artifact of a kind was made."},
    [F_ARTIFACTS] = {"jiku_agent_artifacts", "gauge", "Good artifacts kept, by target and kind."},
    [F_BYTES] = {"jiku_agent_artifact_bytes", "gauge",
                 "Size of the good artifacts kept, by target and kind."},
    [F_NEVER] = {"jiku_agent_target_never_succeeded", "gauge",
                 "1 for a configured target without any good artifact, else 0."},
    [F_NIGHTLY] = {"jiku_agent_target_nightly_restore_point", "gauge",
                   "1 for a target whose nightly takes a snapshot or backup, else 0."},
    [F_RUN_EXIT] = {"jiku_agent_last_run_exit_code", "gauge",
                    "Exit code of the last run of a command (dry runs excluded)."},
    [F_RUN_END] = {"jiku_agent_last_run_end_timestamp_seconds", "gauge",
                   "When the last run of a command ended (dry runs excluded)."},
    [F_UPDATES] = {"jiku_agent_updates_total", "counter",
                   "Updates by target and result: applied, rolled_back, failed, not_applied."},
};

static int
label_n(struct jiku_buf *b, const char *value, size_t len)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < len; i++) {
        if (value[i] == '\\')
            r = jiku_buf_adds(b, "\\\\");
        else if (value[i] == '"')
            r = jiku_buf_adds(b, "\\\"");
        else if (value[i] == '\n')
            r = jiku_buf_adds(b, "\\n");
        else
            r = jiku_buf_addch(b, value[i]);
    }
    return r;
}

/* VALUE appended to B as a Prometheus label value: backslash, quote and newline escaped. */
static int
label(struct jiku_buf *b, const char *value)
{
    return label_n(b, value, strlen(value));
}

/*
 * NAME{customer="C",target="T"[,KEY="VALUE"]} of TARGET ("customer/name"); the caller adds
 * the value.
 */
static int
target_sample(struct jiku_buf *b, enum family f, const char *target, const char *key,
              const char *value)
{
    const char *slash = strchr(target, '/');
    size_t clen = slash != NULL ? (size_t)(slash - target) : strlen(target);
    int r;

    if ((r = jiku_buf_addf(b, "%s{customer=\"", families[f].name)) != 0 ||
        (r = label_n(b, target, clen)) != 0 || (r = jiku_buf_adds(b, "\",target=\"")) != 0 ||
        (r = label(b, target)) != 0 || (r = jiku_buf_addch(b, '"')) != 0)
        return r;
    if (key != NULL && ((r = jiku_buf_addf(b, ",%s=\"", key)) != 0 || (r = label(b, value)) != 0 ||
                        (r = jiku_buf_addch(b, '"')) != 0))
        return r;
    return jiku_buf_addch(b, '}');
}

static const char *
col(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);

    return s != NULL ? s : "";
}

/* Operations by action and result, summed over targets: a handful of rows. */
struct tally {
    struct tally_row {
        char *action, *result;
        long long n;
    } * rows;
    size_t n, cap;
};

static int
tally_add(struct tally *t, const char *action, const char *result, long long n)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->rows[i].action, action) == 0 && strcmp(t->rows[i].result, result) == 0) {
            t->rows[i].n += n;
            return 0;
        }
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 32;
        struct tally_row *rows = realloc(t->rows, cap * sizeof(*rows));

        if (rows == NULL)
            return JIKU_E_NOMEM;
        t->rows = rows;
        t->cap = cap;
    }
    t->rows[t->n] = (struct tally_row){strdup(action), strdup(result), n};
    if (t->rows[t->n].action == NULL || t->rows[t->n].result == NULL) {
        free(t->rows[t->n].action);
        free(t->rows[t->n].result);
        return JIKU_E_NOMEM;
    }
    t->n++;
    return 0;
}

static void
tally_release(struct tally *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->rows[i].action);
        free(t->rows[i].result);
    }
    free(t->rows);
}

/* The last finished (ok or failed) operation of one target and action, for its duration. */
struct last_op {
    struct jiku_buf target, action;
    bool have;
    long long ended, seconds;
};

static int
last_op_flush(struct last_op *l, struct jiku_buf *fam)
{
    int r = 0;

    if (l->have &&
        ((r = target_sample(fam, F_DURATION, l->target.data, "action", l->action.data)) != 0 ||
         (r = jiku_buf_addf(fam, " %lld\n", l->seconds)) != 0))
        return r;
    l->have = false;
    return 0;
}

/*
 * One pass over the operations, grouped by target, action and result: the bare columns
 * (ended - started) come from the row of MAX(ended), SQLite's documented rule for a single
 * min() or max().
 */
static int
add_operations(struct jiku_catalog *cat, struct jiku_buf *fam, struct jiku_err *err)
{
    static const char sql[] = "SELECT target, action, status, COUNT(*), MAX(ended), "
                              "ended - started FROM operations WHERE status <> 'running' "
                              "GROUP BY target, action, status";
    struct last_op last = {JIKU_BUF_INIT, JIKU_BUF_INIT, false, 0, 0};
    struct tally totals = {0};
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = jiku_catalog_prepare(cat, sql, &st, "read operations", err)) != 0)
        return r;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *target = col(st, 0), *action = col(st, 1), *status = col(st, 2);
        long long n = sqlite3_column_int64(st, 3), ended = sqlite3_column_int64(st, 4);

        if (strcmp(last.target.data, target) != 0 || strcmp(last.action.data, action) != 0) {
            if ((r = last_op_flush(&last, &fam[F_DURATION])) != 0)
                goto nomem;
            jiku_buf_reset(&last.target);
            jiku_buf_reset(&last.action);
            if ((r = jiku_buf_adds(&last.target, target)) != 0 ||
                (r = jiku_buf_adds(&last.action, action)) != 0)
                goto nomem;
        }
        if ((strcmp(status, "ok") == 0 || strcmp(status, "failed") == 0) &&
            (!last.have || ended > last.ended)) {
            last.have = true;
            last.ended = ended;
            last.seconds = sqlite3_column_int64(st, 5);
        }
        if (strcmp(status, "ok") == 0 &&
            ((r = target_sample(&fam[F_LAST_SUCCESS], F_LAST_SUCCESS, target, "action", action)) !=
                 0 ||
             (r = jiku_buf_addf(&fam[F_LAST_SUCCESS], " %lld\n", ended)) != 0))
            goto nomem;
        if (strcmp(status, "denied") == 0 &&
            ((r = target_sample(&fam[F_DENIALS], F_DENIALS, target, "action", action)) != 0 ||
             (r = jiku_buf_addf(&fam[F_DENIALS], " %lld\n", n)) != 0))
            goto nomem;
        if ((r = tally_add(&totals, action, status, n)) != 0)
            goto nomem;
    }
    if (rc != SQLITE_DONE) {
        r = jiku_catalog_fail(cat, rc, "read operations", err);
        goto out;
    }
    if ((r = last_op_flush(&last, &fam[F_DURATION])) != 0)
        goto nomem;
    for (size_t i = 0; i < totals.n; i++) {
        struct jiku_buf *b = &fam[F_OPERATIONS];

        if ((r = jiku_buf_addf(b, "%s{action=\"", families[F_OPERATIONS].name)) != 0 ||
            (r = label(b, totals.rows[i].action)) != 0 ||
            (r = jiku_buf_adds(b, "\",result=\"")) != 0 ||
            (r = label(b, totals.rows[i].result)) != 0 ||
            (r = jiku_buf_addf(b, "\"} %lld\n", totals.rows[i].n)) != 0)
            goto nomem;
    }
    goto out;
nomem:
    r = jiku_err_set(err, r, "out of memory");
out:
    sqlite3_finalize(st);
    tally_release(&totals);
    jiku_buf_release(&last.target);
    jiku_buf_release(&last.action);
    return r;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Good artifacts by target and kind, then every configured target of CFG: 1 when none of its
 * artifacts is good.
 */
static int
add_artifacts(struct jiku_catalog *cat, const struct jiku_config *cfg, struct jiku_buf *fam,
              struct jiku_err *err)
{
    static const char sql[] = "SELECT target, kind, COUNT(*), SUM(size), MIN(created), "
                              "MAX(created) FROM artifacts WHERE status = 'good' "
                              "GROUP BY target, kind";
    const char **ids = calloc(cfg->n_targets + 1, sizeof(*ids));
    bool *seen = calloc(cfg->n_targets + 1, sizeof(*seen));
    sqlite3_stmt *st = NULL;
    int r, rc;

    if (ids == NULL || seen == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < cfg->n_targets; i++)
        ids[i] = cfg->targets[i].info.id;
    qsort(ids, cfg->n_targets, sizeof(*ids), cmp_str);
    if ((r = jiku_catalog_prepare(cat, sql, &st, "read artifacts", err)) != 0)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *target = col(st, 0), *kind = col(st, 1);
        const char **hit = bsearch(&target, ids, cfg->n_targets, sizeof(*ids), cmp_str);
        static const enum family f[] = {F_ARTIFACTS, F_BYTES, F_OLDEST, F_NEWEST};

        if (hit != NULL)
            seen[hit - ids] = true;
        for (int i = 0; i < 4; i++)
            if ((r = target_sample(&fam[f[i]], f[i], target, "kind", kind)) != 0 ||
                (r = jiku_buf_addf(&fam[f[i]], " %lld\n",
                                   (long long)sqlite3_column_int64(st, 2 + i))) != 0)
                goto nomem;
    }
    if (rc != SQLITE_DONE) {
        r = jiku_catalog_fail(cat, rc, "read artifacts", err);
        goto out;
    }
    for (size_t i = 0; i < cfg->n_targets; i++)
        if ((r = target_sample(&fam[F_NEVER], F_NEVER, ids[i], NULL, NULL)) != 0 ||
            (r = jiku_buf_addf(&fam[F_NEVER], " %d\n", seen[i] ? 0 : 1)) != 0)
            goto nomem;
    goto out;
nomem:
    r = jiku_err_set(err, r, "out of memory");
out:
    sqlite3_finalize(st);
    free(ids);
    free(seen);
    return r;
}

/*
 * Whether each configured target's nightly makes a restore point: the alert on restore points
 * that grew old leaves alone the targets no night is meant to reach (nightly = none, update).
 */
static int
add_nightly(const struct jiku_config *cfg, struct jiku_buf *fam, struct jiku_err *err)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < cfg->n_targets; i++) {
        const struct jiku_target_conf *t = &cfg->targets[i];
        bool makes = false;

        for (size_t k = 0; k < t->n_nightly; k++)
            makes |= t->nightly[k] == JIKU_VERB_SNAPSHOT || t->nightly[k] == JIKU_VERB_BACKUP;
        if ((r = target_sample(&fam[F_NIGHTLY], F_NIGHTLY, t->info.id, NULL, NULL)) == 0)
            r = jiku_buf_addf(&fam[F_NIGHTLY], " %d\n", makes ? 1 : 0);
    }
    return r != 0 ? jiku_err_set(err, r, "out of memory") : 0;
}

/* Each command's last run that is not a dry run: its exit code and when it ended. */
static int
add_runs(struct jiku_catalog *cat, struct jiku_buf *fam, struct jiku_err *err)
{
    static const char sql[] = "SELECT command, MAX(id), exit_code, ended FROM runs "
                              "WHERE ended IS NOT NULL AND dry_run = 0 GROUP BY command";
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = jiku_catalog_prepare(cat, sql, &st, "read runs", err)) != 0)
        return r;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < 2; i++) {
            enum family f = i == 0 ? F_RUN_EXIT : F_RUN_END;

            if ((r = jiku_buf_addf(&fam[f], "%s{command=\"", families[f].name)) != 0 ||
                (r = label(&fam[f], col(st, 0))) != 0 ||
                (r = jiku_buf_addf(&fam[f], "\"} %lld\n",
                                   (long long)sqlite3_column_int64(st, 2 + i))) != 0) {
                r = jiku_err_set(err, r, "out of memory");
                goto out;
            }
        }
    }
    r = rc == SQLITE_DONE ? 0 : jiku_catalog_fail(cat, rc, "read runs", err);
out:
    sqlite3_finalize(st);
    return r;
}

/*
 * What became of each update: the audit's operation record ends its reason with
 * "; COMPONENT NAME FROM -> TO: STATE" (action.c, finish).  The WHERE clause is the one of
 * the partial index audit_updates (catalog.c), word for word, so that SQLite uses it.
 */
static int
add_updates(struct jiku_catalog *cat, struct jiku_buf *fam, struct jiku_err *err)
{
    static const char sql[] =
        "SELECT target, CASE WHEN reason LIKE '%; % -> %: updated' THEN 'applied' "
        "WHEN reason LIKE '%; % -> %: rolled-back' THEN 'rolled_back' "
        "WHEN reason LIKE '%; % -> %: failed' THEN 'failed' "
        "WHEN reason LIKE '%; % -> %: not-applied' THEN 'not_applied' END AS result, COUNT(*) "
        "FROM audit WHERE event = 'operation' AND action LIKE '%.update' AND dry_run = 0 "
        "GROUP BY target, result HAVING result IS NOT NULL";
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = jiku_catalog_prepare(cat, sql, &st, "read the audit", err)) != 0)
        return r;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((r = target_sample(&fam[F_UPDATES], F_UPDATES, col(st, 0), "result", col(st, 1))) !=
                0 ||
            (r = jiku_buf_addf(&fam[F_UPDATES], " %lld\n",
                               (long long)sqlite3_column_int64(st, 2))) != 0) {
            r = jiku_err_set(err, r, "out of memory");
            goto out;
        }
    }
    r = rc == SQLITE_DONE ? 0 : jiku_catalog_fail(cat, rc, "read the audit", err);
out:
    sqlite3_finalize(st);
    return r;
}

/* Every family from one read transaction: the series agree with each other. */
static int
compute(struct jiku_catalog *cat, const struct jiku_config *cfg, struct jiku_buf *out,
        struct jiku_err *err)
{
    struct jiku_buf fam[F_COUNT];
    sqlite3 *db = jiku_catalog_db(cat);
    int r, rc;

    for (int f = 0; f < F_COUNT; f++)
        jiku_buf_init(&fam[f]);
    if ((rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK)
        return jiku_catalog_fail(cat, rc, "read the catalog", err);
    r = add_operations(cat, fam, err);
    if (r == 0)
        r = add_artifacts(cat, cfg, fam, err);
    if (r == 0)
        r = add_nightly(cfg, fam, err);
    if (r == 0)
        r = add_runs(cat, fam, err);
    if (r == 0)
        r = add_updates(cat, fam, err);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL); /* a read: nothing to lose */
    for (int f = 0; f < F_COUNT && r == 0; f++)
        if ((r = jiku_buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", families[f].name,
                               families[f].help, families[f].name, families[f].type)) != 0 ||
            (r = jiku_buf_add(out, fam[f].data, fam[f].len)) != 0)
            r = jiku_err_set(err, r, "out of memory");
    for (int f = 0; f < F_COUNT; f++)
        jiku_buf_release(&fam[f]);
    return r;
}

/* PATH.lock, taken exclusively within METRICS_LOCK_WAIT_MS; *FD is the caller's to close. */
static int
lock_beside(const char *path, int *fd, struct jiku_err *err)
{
    struct jiku_buf lock = JIKU_BUF_INIT;
    struct timespec pause = {0, 50 * 1000 * 1000};
    int r = 0;

    if ((r = jiku_buf_addf(&lock, "%s.lock", path)) != 0)
        return jiku_err_set(err, r, "out of memory");
    if ((*fd = open(lock.data, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot open '%s': %s", lock.data, strerror(errno));
        goto out;
    }
    for (int waited = 0; flock(*fd, LOCK_EX | LOCK_NB) != 0; waited += 50) {
        if (errno != EWOULDBLOCK || waited >= METRICS_LOCK_WAIT_MS) {
            r = jiku_err_set(err, JIKU_E_BUSY, "cannot lock '%s': %s", lock.data,
                             errno == EWOULDBLOCK ? "another run kept it" : strerror(errno));
            goto out;
        }
        nanosleep(&pause, NULL);
    }
out:
    jiku_buf_release(&lock);
    return r;
}

int
jiku_metrics_write(struct jiku_catalog *cat, const struct jiku_config *cfg, struct jiku_err *err)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    int fd = -1, r;

    if ((r = lock_beside(cfg->metrics_file, &fd, err)) == 0 &&
        (r = compute(cat, cfg, &b, err)) == 0)
        /* node_exporter runs as another user: the metrics are not secret. */
        r = jiku_write_file_atomic(cfg->metrics_file, b.data, b.len, 0644, err);
    if (fd >= 0)
        close(fd);
    jiku_buf_release(&b);
    return r;
}
