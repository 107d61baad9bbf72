/*
 * Applying retention (jiku-agent.conf(5), [retention]): retention.c decides which artifacts go,
 * and each goes through the action engine (action.c: decided, audited, held, removed — the
 * server copy through the plugin, the backup_dir copy locally — and recorded in the catalog).
 */
#ifndef JIKU_PRUNE_H
#define JIKU_PRUNE_H

#include <stdbool.h>
#include <stddef.h>

#include "session.h"

/*
 * Prune the N TARGETS (all configured targets when N is 0).  Each target is one operation
 * report, unless HOUSEKEEPING (after nightly): then only failures are logged, and nothing is
 * counted in the run's summary.
 */
void jiku_prune_targets(struct jiku_session *ctx, const struct jiku_target_conf *const *targets,
                        size_t n, bool housekeeping);

#endif
