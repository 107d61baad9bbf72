/*
 * The session one command runs in: the global options, the output, and what the command table
 * says the command needs (config, catalog, plugins and host table), built once by jiku_main
 * before the command runs and closed after it.  The action engine and the commands read it;
 * nothing in it is opened on demand.
 */
#ifndef JIKU_SESSION_H
#define JIKU_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "log.h"
#include "output.h"

struct jiku_catalog;
struct jiku_plugins;
struct jiku_hostimpl;
struct jiku_host;
struct jiku_ping;

/* What a command needs before it runs (git's RUN_SETUP): each implies the configuration. */
#define JIKU_NEED_CONFIG 0x1
#define JIKU_NEED_CATALOG (0x2 | JIKU_NEED_CONFIG) /* and this run's row in it */
#define JIKU_NEED_PLUGINS (0x4 | JIKU_NEED_CONFIG) /* the plugin set and the host table */
/* The command changes targets: metrics_file is rewritten once its run is recorded (no dry run). */
#define JIKU_NEED_METRICS (0x8 | JIKU_NEED_CATALOG)
/* a known_hosts that does not exist yet is no error (servers fingerprint and trust) */
#define JIKU_NEED_NEW_KNOWN_HOSTS (0x10 | JIKU_NEED_CONFIG)
/* the state only: of the configuration, the main file's [agent] (JIKU_CONFIG_STATE_ONLY) */
#define JIKU_NEED_STATE_ONLY (0x20 | JIKU_NEED_CATALOG)

struct jiku_session {
    /* global options */
    const char *config_path; /* -c; NULL: $JIKU_AGENT_CONFIG or the default */
    /* policy explain: the configuration is read for this customer only (config.h) */
    const char *config_customer;
    bool dry_run;
    bool quiet;
    int verbose;
    int lock_wait;         /* --lock-wait; -1: the config's */
    const char *actor_opt; /* --actor, borrowed from argv */
    char *actor;           /* who acts, for the audit */

    struct jiku_out out;
    struct jiku_ping *ping; /* nightly's pings, ended by jiku_notify_run (notify.h) */
    bool notified;          /* the command sent its own notice: the run's end sends none */

    unsigned needs; /* what jiku_session_open was asked for (JIKU_NEED_*) */

    /* what jiku_session_open opened; NULL when the command does not need it */
    struct jiku_config *cfg;
    struct jiku_catalog *cat;
    int64_t run_id;
    struct jiku_plugins *plugins;
    struct jiku_hostimpl *host;         /* the core's transports behind HOST_TABLE */
    const struct jiku_host *host_table; /* what plugins get (a test may lend its own) */
};

/* The log level the options -q and -v ask for. */
enum jiku_log_level jiku_session_verbosity(const struct jiku_session *s);

/*
 * Open what NEEDS (JIKU_NEED_*) names and S does not hold yet.  A configuration that does not
 * load is one message: its first error, and how many more 'config check' lists.
 */
int jiku_session_open(struct jiku_session *s, unsigned needs, struct jiku_err *err);

/*
 * Record the run's end with EXIT_CODE, rewrite metrics_file when the command changes targets
 * (JIKU_NEED_METRICS), then close what S holds.
 */
void jiku_session_close(struct jiku_session *s, int exit_code);

#endif
