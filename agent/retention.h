/*
 * Retention (jiku-agent.conf(5), [retention]): restic-style keep rules over one target's good
 * artifacts.  A pure function over catalog rows, so that it can be tested without a panel.
 */
#ifndef JIKU_RETENTION_H
#define JIKU_RETENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "artifact.h"
#include "config.h"

enum jiku_prune_what {
    JIKU_PRUNE_KEEP = 0,
    JIKU_PRUNE_SERVER_COPY = 1, /* remove the copy on the panel server only */
    JIKU_PRUNE_ALL = 2,         /* remove everywhere: the artifact becomes pruned */
};

struct jiku_prune_decision {
    enum jiku_prune_what what;
    const char *why; /* static: "keep_last", "pinned", "newest good", "in use", ... */
};

/*
 * Decide for each of the N artifacts of one target (any order) what to remove under RULES,
 * at time NOW (local calendar for daily/weekly/monthly buckets).  OUT has N entries.
 * Rules of -1 or 0 keep nothing by that rule; when every rule is unset nothing is removed.
 */
void jiku_retention_decide(const struct jiku_artifact *arts, size_t n,
                           const struct jiku_retention *rules, time_t now,
                           struct jiku_prune_decision *out);

#endif
