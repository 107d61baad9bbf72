/*
 * A plugin built against a later 2.x (2.7): its descriptor is longer than ours, with members
 * this core does not know, and its table has a verb and a kind added after 2.0.  It must load,
 * with the unknown parts ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "jiku/plugin.h"

struct newer_plugin {
    struct jiku_plugin v2_0;
    /* Appended by later minors. */
    int (*added_in_2_3)(void);
    const char *added_in_2_7;
};

static int newer_state_token;

static int
newer_open(const struct jiku_host *host, void **state, struct jiku_err *err)
{
    (void)host;
    (void)err;
    *state = &newer_state_token;
    return 0;
}

static int
newer_snapshot(struct jiku_op *op, struct jiku_err *err)
{
    if (op->plugin_state != &newer_state_token)
        return jiku_err_set(err, JIKU_E_INVAL, "newer: called without its state");
    if ((op->result->details = strdup("snapshot by newer")) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

static int
newer_future(struct jiku_op *op, struct jiku_err *err)
{
    (void)op;
    return jiku_err_set(err, JIKU_E_INVAL, "newer: a 2.7 action was called by a 2.0 core");
}

static int
newer_added(void)
{
    return 17;
}

static const struct jiku_plugin_action newer_actions[] = {
    {(enum jiku_verb)(JIKU_VERB_COUNT + 2), JIKU_KIND_ACCOUNT, newer_future},
    {JIKU_VERB_SNAPSHOT, JIKU_KIND_ACCOUNT, newer_snapshot},
    {JIKU_VERB_SNAPSHOT, (enum jiku_target_kind)(JIKU_KIND_COUNT + 1), newer_future},
};

static const struct newer_plugin newer_plugin = {
    .v2_0 =
        {
            .abi_version = (2u << 16) | 7u,
            .struct_size = sizeof(struct newer_plugin),
            .name = "cpanel",
            .version = "2.7-test",
            .actions = newer_actions,
            .n_actions = sizeof(newer_actions) / sizeof(newer_actions[0]),
            .open = newer_open,
            .close = NULL,
        },
    .added_in_2_3 = newer_added,
    .added_in_2_7 = "unknown to a 2.0 core",
};

JIKU_PLUGIN_EXPORT(newer, newer_plugin.v2_0);
