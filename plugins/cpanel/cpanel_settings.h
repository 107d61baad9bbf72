/*
 * The cPanel plugin's own [server] keys (jiku-agent.conf(5)), which the core reads through
 * the plugin's config map (cpanel.c) into this struct and lends as jiku_server_info.settings.
 */
#ifndef JIKU_CPANEL_SETTINGS_H
#define JIKU_CPANEL_SETTINGS_H

#include "jiku/plugin.h"

struct cpanel_settings {
    int softaculous_port;             /* cPanel's own port (cpaneld), where Softaculous answers */
    int pkgacct_start_grace;          /* seconds in which WHM may not yet know a started pkgacct */
    const char *pkgacct_sessions_dir; /* root's directory of pkgacct sessions (pkgwait.c) */
};

/* SRV's settings: the core's, or the defaults for a server it did not make (plugin tests). */
const struct cpanel_settings *cpanel_settings(const struct jiku_server_info *srv);

#endif
