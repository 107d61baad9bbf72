/*
 * Monitoring (jiku-agent.conf(5): metrics_file): the node_exporter textfile (the pings are in
 * notify.h).  It may not fail or hold up a run: its own failures are logged as warnings.
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

#endif
