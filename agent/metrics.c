/*
 * The node_exporter textfile collector's file.  The collector reads whatever is there at
 * scrape time, so the file is replaced by rename, never rewritten in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog_db.h"
#include "metrics.h"

int
jiku_metrics_label(struct jiku_buf *b, const char *value)
{
    int r = 0;

    for (const char *p = value; r == 0 && *p != '\0'; p++) {
        if (*p == '\\')
            r = jiku_buf_adds(b, "\\\\");
        else if (*p == '"')
            r = jiku_buf_adds(b, "\\\"");
        else if (*p == '\n')
            r = jiku_buf_adds(b, "\\n");
        else
            r = jiku_buf_addch(b, *p);
    }
    return r;
}

/* {customer="...",target="...",action="..."} of TARGET ("customer/name") and ACTION. */
static int
target_labels(struct jiku_buf *b, const char *target, const char *action)
{
    const char *slash = strchr(target, '/');
    size_t clen = slash != NULL ? (size_t)(slash - target) : strlen(target);
    char customer[128];
    int r;

    snprintf(customer, sizeof(customer), "%.*s", (int)(clen < 127 ? clen : 127), target);
    if ((r = jiku_buf_adds(b, "{customer=\"")) != 0 || (r = jiku_metrics_label(b, customer)) != 0 ||
        (r = jiku_buf_adds(b, "\",target=\"")) != 0 || (r = jiku_metrics_label(b, target)) != 0 ||
        (r = jiku_buf_adds(b, "\",action=\"")) != 0 || (r = jiku_metrics_label(b, action)) != 0)
        return r;
    return jiku_buf_adds(b, "\"}");
}

static int
add_last_success(struct jiku_catalog *cat, struct jiku_buf *b, struct jiku_err *err)
{
    static const char sql[] = "SELECT target, action, MAX(ended) FROM operations "
                              "WHERE status = 'ok' AND ended IS NOT NULL "
                              "GROUP BY target, action ORDER BY target, action";
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = jiku_catalog_prepare(cat, sql, &st, "read operations", err)) != 0)
        return r;
    if ((r = jiku_buf_adds(b, "# HELP jiku_agent_last_success_timestamp_seconds When an action "
                              "last succeeded for a target.\n"
                              "# TYPE jiku_agent_last_success_timestamp_seconds gauge\n")) != 0)
        goto nomem;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((r = jiku_buf_adds(b, "jiku_agent_last_success_timestamp_seconds")) != 0 ||
            (r = target_labels(b, (const char *)sqlite3_column_text(st, 0),
                               (const char *)sqlite3_column_text(st, 1))) != 0 ||
            (r = jiku_buf_addf(b, " %lld\n", (long long)sqlite3_column_int64(st, 2))) != 0)
            goto nomem;
    }
    r = rc == SQLITE_DONE ? 0 : jiku_catalog_fail(cat, rc, "read operations", err);
    goto out;
nomem:
    r = jiku_err_set(err, r, "out of memory");
out:
    sqlite3_finalize(st);
    return r;
}

static int
add_totals(struct jiku_catalog *cat, struct jiku_buf *b, struct jiku_err *err)
{
    static const char sql[] = "SELECT status, COUNT(*) FROM operations "
                              "WHERE status <> 'running' GROUP BY status ORDER BY status";
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = jiku_catalog_prepare(cat, sql, &st, "count operations", err)) != 0)
        return r;
    if ((r = jiku_buf_adds(b, "# HELP jiku_agent_operations_total Operations recorded in the "
                              "catalog, by result.\n"
                              "# TYPE jiku_agent_operations_total counter\n")) != 0)
        goto nomem;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((r = jiku_buf_adds(b, "jiku_agent_operations_total{result=\"")) != 0 ||
            (r = jiku_metrics_label(b, (const char *)sqlite3_column_text(st, 0))) != 0 ||
            (r = jiku_buf_addf(b, "\"} %lld\n", (long long)sqlite3_column_int64(st, 1))) != 0)
            goto nomem;
    }
    r = rc == SQLITE_DONE ? 0 : jiku_catalog_fail(cat, rc, "count operations", err);
    goto out;
nomem:
    r = jiku_err_set(err, r, "out of memory");
out:
    sqlite3_finalize(st);
    return r;
}

static int
write_atomically(const char *path, const struct jiku_buf *b, struct jiku_err *err)
{
    struct jiku_buf tmp = JIKU_BUF_INIT;
    int fd = -1, r = 0;

    if ((r = jiku_buf_addf(&tmp, "%s.XXXXXX", path)) != 0)
        return jiku_err_set(err, r, "out of memory");
    if ((fd = mkstemp(tmp.data)) < 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot create '%s': %s", tmp.data, strerror(errno));
        goto out;
    }
    /* node_exporter runs as another user: the metrics are not secret. */
    if (fchmod(fd, 0644) != 0 || write(fd, b->data, b->len) != (ssize_t)b->len || fsync(fd) != 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot write '%s': %s", tmp.data, strerror(errno));
        goto out;
    }
    if (close(fd) != 0 || (fd = -1, rename(tmp.data, path) != 0)) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot replace '%s': %s", path, strerror(errno));
        goto out;
    }
out:
    if (fd >= 0)
        close(fd);
    if (r != 0)
        unlink(tmp.data);
    jiku_buf_release(&tmp);
    return r;
}

int
jiku_metrics_write(struct jiku_catalog *cat, const char *path, const struct jiku_metric_op *ops,
                   size_t n, struct jiku_err *err)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    int r;

    if ((r = add_last_success(cat, &b, err)) != 0 || (r = add_totals(cat, &b, err)) != 0)
        goto out;
    if ((r = jiku_buf_adds(&b, "# HELP jiku_agent_operation_duration_seconds How long the "
                               "target's operation took in the last run.\n"
                               "# TYPE jiku_agent_operation_duration_seconds gauge\n")) != 0)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ops[i].status, "ok") != 0 && strcmp(ops[i].status, "failed") != 0)
            continue;
        if ((r = jiku_buf_adds(&b, "jiku_agent_operation_duration_seconds")) != 0 ||
            (r = target_labels(&b, ops[i].target, ops[i].action)) != 0 ||
            (r = jiku_buf_addf(&b, " %.3f\n", (double)ops[i].duration_ms / 1000.0)) != 0)
            goto nomem;
    }
    r = write_atomically(path, &b, err);
    goto out;
nomem:
    r = jiku_err_set(err, r, "out of memory");
out:
    jiku_buf_release(&b);
    return r;
}
