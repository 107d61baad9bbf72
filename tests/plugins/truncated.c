/*
 * A plugin whose struct_size stops short, at JIKU_TEST_SIZE: before n_actions it is truncated
 * and refused; at open it is the smallest that loads; half-way into open, or into check, it
 * loads with that member absent, not half-copied.  Open, close and check are set in memory but
 * may lie past struct_size, so they are absent: calling them aborts.
 */
#include <stdlib.h>

#include "jiku/plugin.h"

#ifndef JIKU_TEST_SIZE
#define JIKU_TEST_SIZE offsetof(struct jiku_plugin, n_actions)
#endif

static int
truncated_open(const struct jiku_host *host, void **state, struct jiku_err *err)
{
    (void)host;
    (void)state;
    (void)err;
    abort();
}

static void
truncated_close(void *state)
{
    (void)state;
    abort();
}

static int
truncated_check(const struct jiku_op *op, enum jiku_verb verb, struct jiku_err *err)
{
    (void)op;
    (void)verb;
    (void)err;
    abort();
}

static int
truncated_probe(struct jiku_op *op, struct jiku_err *err)
{
    (void)op;
    (void)err;
    return 0;
}

static const struct jiku_plugin_action truncated_actions[] = {
    {JIKU_VERB_PROBE, JIKU_KIND_ACCOUNT, truncated_probe},
};

static const struct jiku_plugin truncated_plugin = {
    .abi_version = JIKU_PLUGIN_ABI_VERSION,
    .struct_size = JIKU_TEST_SIZE,
    .name = "cpanel",
    .version = "1.0",
    .actions = truncated_actions,
    .n_actions = 1,
    .open = truncated_open,
    .close = truncated_close,
    .check = truncated_check,
};

JIKU_PLUGIN_EXPORT(truncated, truncated_plugin);
