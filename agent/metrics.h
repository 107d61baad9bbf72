/*
 * Monitoring (jiku-agent.conf(5): metrics_file, ping_url): the node_exporter textfile and the
 * healthchecks-style pings.  Neither may fail or hold up a run: their own failures are logged as
 * warnings.
 */
#ifndef JIKU_METRICS_H
#define JIKU_METRICS_H

#include "catalog.h"

struct jiku_config;

/*
 * Write CFG's metrics_file from the catalog (every series jiku-agent(8) lists under
 * MONITORING) atomically (temp file in the same directory, fsync, rename), holding an flock on
 * METRICS_FILE.lock so that runs ending together write one after the other.
 */
int jiku_metrics_write(struct jiku_catalog *cat, const struct jiku_config *cfg,
                       struct jiku_err *err);

/* Append VALUE to B as a Prometheus label value: backslash, quote and newline escaped. */
int jiku_metrics_label(struct jiku_buf *b, const char *value);

struct jiku_ping;

/* Start a run: "/start" pinged in the background (10 s timeout); NULL URL: nothing at all. */
struct jiku_ping *jiku_ping_start(const char *url);
/* End it: the base URL on success, "/fail" otherwise (10 s timeout), then free. */
void jiku_ping_finish(struct jiku_ping *p, int success);

#endif
