/*
 * A plugin built against ABI 1.0, before JIKU_VERB_DISCOVER: abi_version 1.0 and the 1.0
 * descriptor.  It must load under a 1.1 core and offer no discover.  With JIKU_TEST_DISCOVER it
 * names verb 10, which 1.0 did not have: garbage from a 1.0 plugin, refused.
 */
#include <stdlib.h>

#include "jiku/plugin.h"

static int
old_probe(struct jiku_op *op, struct jiku_err *err)
{
    (void)op;
    (void)err;
    return 0;
}

static const struct jiku_plugin_action old_actions[] = {
    {JIKU_VERB_PROBE, JIKU_KIND_ACCOUNT, old_probe},
#ifdef JIKU_TEST_DISCOVER
    {(enum jiku_verb)10, JIKU_KIND_ACCOUNT, old_probe},
#endif
};

static const struct jiku_plugin old_plugin = {
    .abi_version = 1u << 16,
    .struct_size = sizeof(struct jiku_plugin),
    .name = "cpanel",
    .version = "1.0-old",
    .actions = old_actions,
    .n_actions = sizeof(old_actions) / sizeof(old_actions[0]),
};

JIKU_PLUGIN_EXPORT(old, old_plugin);
