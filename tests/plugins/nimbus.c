/*
 * Nimbus, a panel that does not exist: a plugin that declares its panel's facts (plugin.h,
 * struct jiku_panel_facts), its own [server] and [target] keys, and WordPress sites as the
 * one kind it serves, so that tests/plugins/test_facts.c can show that a new panel's keys,
 * default port, lock owner, account syntax and secrets need nothing in agent/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "jiku/plugin.h"

/* A tenant id: "t" and 1 to 8 digits. */
static bool
nimbus_valid_tenant(const char *s)
{
    size_t n;

    if (s == NULL || s[0] != 't' || (n = strlen(s)) < 2 || n > 9)
        return false;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* The session ticket Nimbus answers with, and the ticket it puts into its URLs. */
static const char *const nimbus_secret_headers[] = {"X-Nimbus-Ticket", NULL};
static const char *const nimbus_secret_segments[] = {"ticket-", NULL};

/* Nimbus's own keys: where its servers run, and which of its site records a target is. */
struct nimbus_server {
    const char *region;
    int ticket_ttl;
    bool staging_api;
};

struct nimbus_target {
    const char *site_record;
};

static const char *const nimbus_regions[] = {"eu-central", "us-east", NULL};

/*
 * Maps the core must refuse: NIMBUS_BAD_MAP 1 names a key as one of the core's own [server]
 * keys, 2 puts the ticket's lifetime (an int) on the bytes of the region (a pointer).
 */
#if NIMBUS_BAD_MAP == 1
#define REGION_KEY "host"
#else
#define REGION_KEY "region"
#endif
#if NIMBUS_BAD_MAP == 2
#define TTL_OFFSET offsetof(struct nimbus_server, region)
#else
#define TTL_OFFSET offsetof(struct nimbus_server, ticket_ttl)
#endif

static const struct jiku_config_map nimbus_server_map[] = {
    {REGION_KEY, JIKU_CONFIG_CHOICE, "eu-central", 0, 0, nimbus_regions,
     offsetof(struct nimbus_server, region), "the Nimbus region the server runs in"},
    {"ticket_ttl", JIKU_CONFIG_INT, "900", 60, 86400, NULL, TTL_OFFSET,
     "seconds a session ticket lives"},
    {"staging_api", JIKU_CONFIG_BOOL, "no", 0, 0, NULL, offsetof(struct nimbus_server, staging_api),
     "talk to the panel's staging API"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static const struct jiku_config_map nimbus_target_map[] = {
    {"site_record", JIKU_CONFIG_TEXT, NULL, 0, 0, NULL, offsetof(struct nimbus_target, site_record),
     "the panel's record of the site"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static const struct jiku_panel_facts nimbus_facts = {
    .api_port = 7443,
    .owner_object = "tenant",
    .valid_account = nimbus_valid_tenant,
    .account_syntax = "a Nimbus tenant id (t and 1 to 8 digits)",
    .admin_login = "operator",
    .secret_headers = nimbus_secret_headers,
    .secret_segments = nimbus_secret_segments,
    .server_map = nimbus_server_map,
    .server_size = sizeof(struct nimbus_server),
    .target_map = nimbus_target_map,
    .target_size = sizeof(struct nimbus_target),
};

/* There is no Nimbus to ask: the action exists to say which kind the panel serves. */
static int
nimbus_probe(struct jiku_op *op, struct jiku_err *err)
{
    (void)op;
    return jiku_err_set(err, JIKU_E_UNSUPPORTED, "Nimbus is a panel of the test suite");
}

static const struct jiku_plugin_action nimbus_actions[] = {
    {JIKU_VERB_PROBE, JIKU_KIND_WORDPRESS, nimbus_probe},
};

static const struct jiku_plugin nimbus_plugin = {
    .abi_version = JIKU_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jiku_plugin),
    .name = "nimbus",
    .version = "0.1",
    .actions = nimbus_actions,
    .n_actions = sizeof(nimbus_actions) / sizeof(nimbus_actions[0]),
    .facts = &nimbus_facts,
};

JIKU_PLUGIN_EXPORT(nimbus, nimbus_plugin);
