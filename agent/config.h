/*
 * Configuration (jiku-agent.conf(5)): agent.conf, then every conf.d/NAME.conf in name order, parsed
 * by inih through our own line reader.  Everything is validated at load time; the result is
 * read-only and shared by all threads.
 */
#ifndef JIKU_CONFIG_H
#define JIKU_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "jiku/buf.h"
#include "jiku/err.h"
#include "jiku/plugin.h"
#include "validate.h" /* the names it holds, checked as the command line checks them */
#include "vocab.h"

#define JIKU_DEFAULT_CONFIG "/etc/jiku-agent/agent.conf"

struct jiku_policy_set;

/* Retention rules; -1 means "not set here" (a target inherits the global value). */
struct jiku_retention {
    int keep_last;
    int keep_daily;
    int keep_weekly;
    int keep_monthly;
    int keep_safety;
    int keep_on_server;
};

/* A target's nightly list holds each of its verbs at most once: snapshot, backup, update. */
#define JIKU_NIGHTLY_MAX 3

/* A target's update keys (jiku-agent.conf(5)), defaults filled: what its updates may do. */
struct jiku_update_conf {
    unsigned components;        /* JIKU_UPDATE_BIT()s; by default every one its kind has */
    bool core_major;            /* update_core = major */
    const char *const *exclude; /* update_exclude: slugs, NULL-terminated, or NULL */
    const char *health_path;    /* NULL: the target's path */
    const char *health_text;    /* NULL: any page */
    int health_timeout;         /* seconds */
};

struct jiku_server_conf {
    struct jiku_server_info info; /* what plugins see */
    /*
     * The panel's facts, from its plugin's descriptor, which the configuration keeps loaded
     * (not opened) while it lives; NULL when no plugin for the panel could be loaded.
     */
    const struct jiku_panel_facts *facts;
    char *api_token_file; /* NULL when unset */
    char *api_password_file;
    char *ca_file;
    char *pinned_pubkey; /* "sha256//B64[;sha256//B64...]" */
    char *ssh_key;
    char *known_hosts;
    int max_parallel;
    int web_port; /* the web server's port on the server's own 127.0.0.1 (health checks) */
    struct jiku_source src;
};

/* One contract override: "application.stage = jiku" in a [customer] section. */
struct jiku_override {
    char *action;   /* "application.stage" */
    int assignment; /* enum jiku_assignment (vocab.h) */
    struct jiku_source src;
};

struct jiku_customer_conf {
    char *name;
    char *tier;
    char *contact;
    struct jiku_override *overrides;
    size_t n_overrides;
    struct jiku_source src;
};

struct jiku_target_conf {
    struct jiku_target_info info; /* what plugins see */
    const struct jiku_server_conf *server;
    const struct jiku_customer_conf *customer;
    enum jiku_verb nightly[JIKU_NIGHTLY_MAX]; /* what nightly does, in order */
    size_t n_nightly;
    struct jiku_update_conf update;
    struct jiku_retention retention; /* effective: the target's keys over [retention] */
    int auto_rollback;               /* 1 yes, 0 no, -1 unset: [agent]'s (jiku_auto_rollback) */
    struct jiku_source src;
};

/* notify_on: the least severe outcome of a run that is mailed (jiku-agent.conf(5)). */
enum jiku_notify_on { JIKU_NOTIFY_FAILURE, JIKU_NOTIFY_PARTIAL, JIKU_NOTIFY_ALWAYS };
/* Their names, in that order, NULL-terminated. */
extern const char *const jiku_notify_on_names[];

struct jiku_config {
    char *main_file;
    char *conf_dir; /* conf.d beside main_file */
    char *state_dir;
    char *backup_dir;
    char *policy_dir;
    char *plugin_dir;
    int max_parallel;
    int lock_wait;
    int connect_timeout;
    int retry_deadline;
    char *log;                /* "auto" | "stderr" | "syslog" */
    char *metrics_file;       /* NULL when unset */
    char *ping_url;           /* NULL when unset */
    bool auto_rollback;       /* a failed rollback/promote that changed the server is undone */
    const char **notify_mail; /* NULL-terminated addresses; NULL when unset */
    int notify_on;            /* enum jiku_notify_on */
    char *sendmail;
    struct jiku_retention retention;

    struct jiku_server_conf *servers; /* in order of appearance */
    size_t n_servers;
    struct jiku_customer_conf *customers;
    size_t n_customers;
    struct jiku_target_conf *targets;
    size_t n_targets;

    struct jiku_policy_set *policies; /* the tier files the customers use (policy_set.h) */

    void *priv; /* interned strings, name indexes */
};

enum jiku_config_flags {
    /* skip owner/mode checks of secret files (unit tests that run as another user) */
    JIKU_CONFIG_NO_SECRET_CHECK = 1 << 0,
    /*
     * Only the main file's [agent] section, best effort: other sections and conf.d unread,
     * a rejected key left at its default, and *OUT set even when errors were found.  What a
     * run whose configuration does not load still needs to send its failure notice.
     */
    JIKU_CONFIG_AGENT_ONLY = 1 << 1,
    /* a known_hosts that does not exist yet is no error: its directory is checked instead */
    JIKU_CONFIG_NEW_KNOWN_HOSTS = 1 << 2,
    /*
     * Only the main file's [agent] section, its errors errors: for a command that reads the
     * state and nothing of the fleet (list), so that a fleet's size does not slow it down.
     */
    JIKU_CONFIG_STATE_ONLY = 1 << 3,
};

/*
 * Load PATH (NULL: $JIKU_AGENT_CONFIG, else JIKU_DEFAULT_CONFIG) and its conf.d, validate
 * everything, load the policy files of the tiers in use.  Every problem found goes to DIAGS
 * (all of them, not only the first); on any error returns JIKU_E_CONFIG with the first one in
 * ERR and *OUT NULL.  On success *OUT is the caller's (jiku_config_free).
 */
int jiku_config_load(const char *path, unsigned flags, struct jiku_config **out,
                     struct jiku_diags *diags, struct jiku_err *err);
/*
 * Only what a decision about customer NAME needs (policy explain), so that it costs the same
 * for a fleet of any size: the main file's [agent] and [retention], the [customer NAME]
 * sections of the main file and of the conf.d files that hold one (two are a duplicate: an
 * error), and the policy file of its tier.  Every other section is skipped unchecked, servers,
 * targets and plugins included: the reader still reports the lines of the files it reads that
 * it cannot read at all.  No [customer NAME] at all is no error: *OUT has no customer.  Else
 * as jiku_config_load.
 */
int jiku_config_load_customer(const char *path, const char *name, struct jiku_config **out,
                              struct jiku_diags *diags, struct jiku_err *err);
void jiku_config_free(struct jiku_config *cfg);

/* Lookups by name; NULL when absent. Borrowed. */
const struct jiku_server_conf *jiku_config_server(const struct jiku_config *cfg, const char *name);
const struct jiku_customer_conf *jiku_config_customer(const struct jiku_config *cfg,
                                                      const char *name);
const struct jiku_target_conf *jiku_config_target(const struct jiku_config *cfg, const char *id);

/* Append the effective config to OUT as INI text that reads back as the same config: defaults
 * filled in, secrets' file paths shown, their contents never read.  0 or JIKU_E_NOMEM. */
int jiku_config_show(const struct jiku_config *cfg, struct jiku_buf *out);

/* Whether NAME can be an account on S's panel; any name when its plugin gives no rule. */
static inline bool
jiku_server_account_ok(const struct jiku_server_conf *s, const char *name)
{
    return s->facts == NULL || s->facts->valid_account == NULL || s->facts->valid_account(name);
}

/* Whether a failed rollback or promote of T that changed the server is undone: T's key, else
 * [agent]'s. */
static inline bool
jiku_auto_rollback(const struct jiku_config *cfg, const struct jiku_target_conf *t)
{
    return t->auto_rollback >= 0 ? t->auto_rollback != 0 : cfg->auto_rollback;
}

#endif
