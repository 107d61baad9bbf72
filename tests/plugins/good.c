/*
 * The well-behaved test plugin.  One source builds several: JIKU_TEST_NAME sets the panel
 * name, and each JIKU_TEST_BREAK_* breaks one thing for one of the loader's refusals.  open()
 * and close() log through the host table so that a test can count them: the tests' fake table
 * takes a NULL operation, where the core's needs one (host.h).
 */
#include <stdlib.h>
#include <string.h>

#include "jiku/host.h"
#include "jiku/plugin.h"

#ifndef JIKU_TEST_NAME
#define JIKU_TEST_NAME "cpanel"
#endif

#define GOOD_MAGIC 0x600du

struct good_state {
    const struct jiku_host *host;
    unsigned magic;
};

static int
good_open(const struct jiku_host *host, void **state, struct jiku_err *err)
{
    struct good_state *st;

    /* A host table older than ours lacks services a real plugin would call. */
    if (host == NULL || host->struct_size < sizeof(struct jiku_host))
        return jiku_err_set(err, JIKU_E_ABI, "good: host table has %u bytes, %zu needed",
                            host != NULL ? (unsigned)host->struct_size : 0u,
                            sizeof(struct jiku_host));
    if ((st = calloc(1, sizeof(*st))) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    st->host = host;
    st->magic = GOOD_MAGIC;
    host->log(NULL, JIKU_LOG_INFO, "open %s", JIKU_TEST_NAME);
    *state = st;
    return 0;
}

static void
good_close(void *state)
{
    struct good_state *st = state;

    st->host->log(NULL, JIKU_LOG_INFO, "close %s", JIKU_TEST_NAME);
    free(st);
}

static int
good_snapshot(struct jiku_op *op, struct jiku_err *err)
{
    struct good_state *st = op->plugin_state;

    if (st == NULL || st->magic != GOOD_MAGIC)
        return jiku_err_set(err, JIKU_E_INVAL, "good: called without its state");
    if ((op->result->details = strdup("snapshot by " JIKU_TEST_NAME)) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

static int
good_probe(struct jiku_op *op, struct jiku_err *err)
{
    if ((op->result->panel_version = strdup("good 1.0")) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

static const struct jiku_plugin_action good_actions[] = {
    {JIKU_VERB_PROBE, JIKU_KIND_ACCOUNT, good_probe},
    {JIKU_VERB_SNAPSHOT, JIKU_KIND_ACCOUNT, good_snapshot},
#ifdef JIKU_TEST_BREAK_VERB
    {(enum jiku_verb)JIKU_VERB_COUNT, JIKU_KIND_ACCOUNT, good_probe},
#endif
#ifdef JIKU_TEST_BREAK_DUPLICATE
    {JIKU_VERB_SNAPSHOT, JIKU_KIND_ACCOUNT, good_probe},
#endif
};

#ifdef JIKU_TEST_BREAK_FACTS
/* "site" would name the core's own application locks. */
static const struct jiku_panel_facts good_facts = {.owner_object = "site"};
#endif

static const struct jiku_plugin good_plugin = {
    .abi_version = JIKU_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jiku_plugin),
    .name = JIKU_TEST_NAME,
    .version = "1.0",
#ifdef JIKU_TEST_BREAK_TABLE
    .actions = NULL,
#else
    .actions = good_actions,
#endif
    .n_actions = sizeof(good_actions) / sizeof(good_actions[0]),
    .open = good_open,
    .close = good_close,
#ifdef JIKU_TEST_BREAK_FACTS
    .facts = &good_facts,
#endif
};

#ifdef JIKU_TEST_BREAK_EXPORT
/* Visible, but under a name the loader does not look for. */
__attribute__((visibility("default"))) const struct jiku_plugin *const jiku_plugin_good =
    &good_plugin;
#else
JIKU_PLUGIN_EXPORT(good, good_plugin);
#endif
