/*
 * Monitoring (jiku-agent.conf(5): metrics_file): the node_exporter textfile (the pings are in
 * notify.h).  It may not fail or hold up a run: its own failures are logged as warnings.
 */
#ifndef JIKU_METRICS_H
#define JIKU_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

/* One operation of this run, for the duration gauge. */
struct jiku_metric_op {
    const char *target; /* "customer/name" */
    const char *action;
    const char *status;
    int64_t duration_ms;
};

/*
 * Write PATH atomically (temp file in the same directory, fsync, rename) with
 * jiku_agent_last_success_timestamp_seconds{customer,target,action} and
 * jiku_agent_operations_total{result} from the catalog, and
 * jiku_agent_operation_duration_seconds{customer,target,action} from this run's N OPS.
 */
int jiku_metrics_write(struct jiku_catalog *cat, const char *path, const struct jiku_metric_op *ops,
                       size_t n, struct jiku_err *err);

/* Append VALUE to B as a Prometheus label value: backslash, quote and newline escaped. */
int jiku_metrics_label(struct jiku_buf *b, const char *value);

#endif
