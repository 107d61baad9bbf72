/*
 * Nimbus, a panel that does not exist: a plugin that declares its panel's facts (plugin.h,
 * struct jiku_panel_facts) and no action, so that tests/plugins/test_facts.c can show that a
 * new panel's default port, lock owner, account syntax and secrets need nothing in agent/.
 */
#include <stdbool.h>
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

static const struct jiku_panel_facts nimbus_facts = {
    .api_port = 7443,
    .owner_object = "tenant",
    .valid_account = nimbus_valid_tenant,
    .account_syntax = "a Nimbus tenant id (t and 1 to 8 digits)",
    .admin_login = "operator",
    .secret_headers = nimbus_secret_headers,
    .secret_segments = nimbus_secret_segments,
};

static const struct jiku_plugin nimbus_plugin = {
    .abi_version = JIKU_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jiku_plugin),
    .name = "nimbus",
    .version = "0.1",
    .facts = &nimbus_facts,
};

JIKU_PLUGIN_EXPORT(nimbus, nimbus_plugin);
