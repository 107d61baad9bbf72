/* Retention: restic-style keep rules over one target's artifacts (SPEC §7). */
#include "retention.h"

void
jiku_retention_decide(const struct jiku_artifact *arts, size_t n,
                      const struct jiku_retention *rules, time_t now,
                      struct jiku_prune_decision *out)
{
    size_t i;

    (void)arts;
    (void)rules;
    (void)now;
    for (i = 0; i < n; i++) {
        out[i].what = JIKU_PRUNE_KEEP;
        out[i].why = "not implemented";
    }
}
