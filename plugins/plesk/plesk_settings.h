/*
 * The Plesk plugin's own [server] keys (jiku-agent.conf(5)), which the core reads through the
 * plugin's config map (plesk.c) into this struct and lends as jiku_server_info.settings.
 */
#ifndef JIKU_PLESK_SETTINGS_H
#define JIKU_PLESK_SETTINGS_H

#include "jiku/plugin.h"

struct plesk_settings {
    const char *dump_dir; /* the server's backup repository */
    const char *backup;   /* plesk_backup: "auto", "cli" or "xml" */
};

/* SRV's settings: the core's, or the defaults for a server it did not make (plugin tests). */
const struct plesk_settings *plesk_settings(const struct jiku_server_info *srv);

#endif
