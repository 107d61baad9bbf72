/*
 * Private to the configuration loader (config.c, config_lines.c, config_sections.c,
 * config_keys.c, config_show.c, cfgstore.c, validate.c); nothing else includes this.
 *
 * The loader reads each file through the INI line reader (ini_lines.c, config_lines.c), hands
 * inih only lines it has already checked, and keeps the parse-time bookkeeping here: where
 * every key was set, the name indexes, and the interned strings that the public structs borrow
 * (the last two, with the diagnostics, in cfgstore.h).
 */
#ifndef JIKU_CONFIG_INT_H
#define JIKU_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cfgstore.h"
#include "config.h"
#include "plugin_loader.h"

enum cfg_agent_key {
    AK_STATE_DIR,
    AK_BACKUP_DIR,
    AK_POLICY_DIR,
    AK_PLUGIN_DIR,
    AK_MAX_PARALLEL,
    AK_LOCK_WAIT,
    AK_CONNECT_TIMEOUT,
    AK_RETRY_DEADLINE,
    AK_LOG,
    AK_METRICS_FILE,
    AK_PING_URL,
    AK_AUTO_ROLLBACK,
    AK_NOTIFY_MAIL,
    AK_NOTIFY_ON,
    AK_SENDMAIL,
    AK_COUNT
};

/* Shared by [retention] and the keep_* keys of a target, in struct jiku_retention order. */
enum cfg_retention_key {
    RK_KEEP_LAST,
    RK_KEEP_DAILY,
    RK_KEEP_WEEKLY,
    RK_KEEP_MONTHLY,
    RK_KEEP_SAFETY,
    RK_KEEP_ON_SERVER,
    RK_COUNT
};

enum cfg_server_key {
    SK_PANEL,
    SK_HOST,
    SK_API_PORT,
    SK_API_USER,
    SK_API_TOKEN_FILE,
    SK_API_PASSWORD_FILE,
    SK_CA_FILE,
    SK_PINNED_PUBKEY,
    SK_SSH_PORT,
    SK_SSH_USER,
    SK_SSH_KEY,
    SK_KNOWN_HOSTS,
    SK_MAX_PARALLEL,
    SK_TIMEOUT,
    SK_POLL_MAX,
    SK_STRICT_WARNINGS,
    SK_SNAPSHOT_DIR,
    SK_WEB_PORT,
    SK_COUNT
};

enum cfg_customer_key { CK_TIER, CK_CONTACT, CK_COUNT };

enum cfg_target_key {
    TK_SERVER,
    TK_KIND,
    TK_ACCOUNT,
    TK_DOMAIN,
    TK_PATH,
    TK_STAGING_DOMAIN,
    TK_PROMOTE_DB,
    TK_NIGHTLY,
    TK_AUTO_ROLLBACK,
    TK_UPDATE,
    TK_UPDATE_CORE,
    TK_UPDATE_EXCLUDE,
    TK_HEALTH_PATH,
    TK_HEALTH_TEXT,
    TK_HEALTH_TIMEOUT,
    TK_KEEP_FIRST, /* then RK_COUNT keep_* keys */
    TK_COUNT = TK_KEEP_FIRST + RK_COUNT
};

/*
 * The keys of a [server] or [target] section that the core does not have: the map of the
 * section's panel (struct jiku_config_map) decides about them once every file is read.
 */
struct cfg_panel_key {
    const char *key, *value; /* interned */
    struct jiku_source at;
};

struct cfg_panel_keys {
    struct cfg_panel_key *items;
    size_t n;
};

/* Where each key of each section was set; line 0 means "not set". */
struct cfg_server_keys {
    struct jiku_source at[SK_COUNT];
    unsigned bad; /* bit per key whose value was rejected (and reported) */
    struct cfg_panel_keys panel;
};

struct cfg_customer_keys {
    struct jiku_source at[CK_COUNT];
    unsigned bad;
};

struct cfg_target_keys {
    struct jiku_source at[TK_COUNT];
    unsigned bad;
    const char *server_name; /* resolved after all files are read */
    struct cfg_panel_keys panel;
};

struct cfg_priv {
    struct cfg_strings strs;
    struct cfg_index servers, customers, targets;
    struct jiku_source agent_at, retention_at; /* the section headers; line 0 = absent */
    struct jiku_source agent_keys[AK_COUNT];
    struct jiku_source retention_keys[RK_COUNT];
    struct cfg_server_keys *server_keys; /* parallel to cfg->servers */
    struct cfg_customer_keys *customer_keys;
    struct cfg_target_keys *target_keys;
    size_t cap_servers, cap_customers, cap_targets;
    size_t n_files;
    /*
     * The panels' plugins, loaded for their facts, never opened: the servers' panels, and
     * when a message must name the panels there are (all_panels), every one.
     */
    struct jiku_loaded_plugin **panels;
    size_t n_panels;
    bool all_panels;
    /*
     * The panels whose plugin did not load, so that each of a fleet's targets does not look
     * for it again: interned names.  A server's own look-up still tries, to report at its line.
     */
    const char **missed_panels;
    size_t n_missed_panels;
};

enum cfg_section {
    CS_NONE = 0, /* before the first header */
    CS_IGNORE,   /* a header that was rejected: its keys are skipped, not reported again */
    CS_AGENT,
    CS_RETENTION,
    CS_SERVER,
    CS_CUSTOMER,
    CS_TARGET,
};

/* The state of one load; the reader and the inih handler share it. */
struct cfg_parse {
    struct jiku_config *cfg;
    struct cfg_priv *priv;
    struct jiku_diags *diags;
    unsigned flags;
    const char *only; /* jiku_config_load_customer: the one customer read, else NULL */
    bool nomem;

    const char *file; /* interned; the file being read */
    int line;         /* the line the reader (ini_lines.c) handed over last, for messages */

    enum cfg_section sect;
    size_t idx; /* the current server, customer or target */

    /* The reader's own reading of the current key line, which inih's must match. */
    const char *key;
    const char *value;
};

/* Read one file into P->cfg (config_lines.c); problems go to the diagnostics. */
void cfg_read_file(struct cfg_parse *p, const char *path);

/* A section header, from the reader (config_sections.c). */
void cfg_section_begin(struct cfg_parse *p, const char *type, const char *name);
/* "[server web1]" for messages: BUF, or a static string. */
const char *cfg_section_label(struct cfg_parse *p, char *buf, size_t len);
/* Defaults of [agent] and [retention], before the first file. */
int cfg_set_defaults(struct cfg_parse *p);
/* One "key = value" line, from the inih handler (config_keys.c). */
void cfg_key(struct cfg_parse *p, const char *key, const char *value);

/* Hold every key the core reads in SECT against N (diag.h) for a "did you mean". */
void cfg_near_key(enum cfg_section sect, struct jiku_near *n);
/*
 * "unknown key 'N->word' in LABEL" at AT, an error, with the near key of N when there is one,
 * else the core section that has the key (the key of SECT, standing in the wrong section).
 */
void cfg_unknown_key(struct cfg_parse *p, const struct jiku_source *at, enum cfg_section sect,
                     const char *label, const struct jiku_near *n);

/* Keep KEY = VALUE of the current [server] or [target] for its panel's map, in KEYS. */
void cfg_panel_key(struct cfg_parse *p, struct cfg_panel_keys *keys, const char *key,
                   const char *value);
/* The entry of MAP (NULL-name-terminated, or NULL) named KEY, or NULL. */
const struct jiku_config_map *cfg_map_find(const struct jiku_config_map *map, const char *key);
/* The largest settings struct the core allocates for a panel's map. */
#define CFG_SETTINGS_MAX 65536
/*
 * Whether the core can fill settings of SIZE bytes from MAP in SECT (CS_SERVER, CS_TARGET):
 * names of the map's own that the section does not have, types, choices, ranges, members
 * inside the struct and apart, defaults that pass their own check.  If not, why into WHY.
 */
bool cfg_map_usable(const struct jiku_config_map *map, size_t size, enum cfg_section sect,
                    char *why, size_t len);
/*
 * A zeroed settings struct of SIZE bytes into *OUT, filled from MAP (usable): each default,
 * then each of KEYS that MAP has, checked and reported as the core's own keys are.  *OUT is
 * NULL when MAP is.  Fails only for memory.
 */
int cfg_map_fill(struct cfg_parse *p, const struct jiku_config_map *map, size_t size,
                 const struct cfg_panel_keys *keys, void **out);
/* Check K's value as M reads it, for a section whose panel is unknown; nothing is kept. */
void cfg_map_check(struct cfg_parse *p, const struct jiku_config_map *m,
                   const struct cfg_panel_key *k);
/* "a, b or c" of NAMES (NULL-terminated) into BUF. */
const char *cfg_join_or(const char *const *names, char *buf, size_t len);

/* Strict integer: decimal digits only, within [MIN, MAX]. */
bool cfg_parse_int(const char *s, long min, long max, int *out);
bool cfg_valid_login(const char *s);
bool cfg_valid_url(const char *s);
bool cfg_valid_pins(const char *s);
bool cfg_valid_host(const char *s); /* a host name, an IPv4 or an IPv6 address */
bool cfg_valid_text(const char *s);

extern const char *const cfg_retention_names[RK_COUNT];

#endif
