/*
 * A plugin built for ABI 1.3, the last 1.x, with the descriptor 1.3 laid out.  A 2.x core
 * refuses it on its version alone: its action must never run.
 */
#include <stdint.h>
#include <stdlib.h>

#include "jiku/plugin.h"

/* struct jiku_plugin as ABI 1.3 had it. */
struct plugin_1_3 {
    uint32_t abi_version;
    uint32_t struct_size;
    const char *name;
    const char *version;
    const struct jiku_plugin_action *actions;
    size_t n_actions;
    int (*open)(const struct jiku_host *host, void **state, struct jiku_err *err);
    void (*close)(void *state);
    int (*check)(const struct jiku_op *op, enum jiku_verb verb, struct jiku_err *err);
};

static int
old_probe(struct jiku_op *op, struct jiku_err *err)
{
    (void)op;
    (void)err;
    abort();
}

static const struct jiku_plugin_action old_actions[] = {
    {JIKU_VERB_PROBE, JIKU_KIND_ACCOUNT, old_probe},
};

static const struct plugin_1_3 old_plugin = {
    .abi_version = (1u << 16) | 3u,
    .struct_size = sizeof(struct plugin_1_3),
    .name = "cpanel",
    .version = "1.3-old",
    .actions = old_actions,
    .n_actions = sizeof(old_actions) / sizeof(old_actions[0]),
};

__attribute__((visibility("default"))) const struct plugin_1_3 *const jiku_plugin = &old_plugin;
