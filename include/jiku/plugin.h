/*
 * The panel plugin ABI (docs/ARCHITECTURE.md, "The plugin ABI").
 *
 * A plugin is one shared object exporting the data symbol JIKU_PLUGIN_SYMBOL, a pointer to a
 * const struct jiku_plugin.  The struct starts with abi_version and struct_size; members are
 * only ever appended, and members past struct_size count as absent.  A plugin never decides
 * policy, never reads configuration files and never calls libcurl or libssh2: it works through
 * the host table (host.h) that each operation carries.  Of the core's functions it may call
 * only those include/jiku/ declares: the jiku-agent binary exports those and nothing else.
 *
 * Threads.  Actions run on the core's worker threads (the main thread among them), several at
 * once: up to [agent] max_parallel operations, up to a server's max_parallel on one server, so
 * two actions of one plugin may run at the same time on one server.  The actions that change a
 * target (snapshot, backup, rollback, stage, unstage, promote, clone) hold that target's lock,
 * across processes too, so two of them never run on one target at once; probe, verify, prune,
 * discover and dry runs take no target lock.  Shared by concurrent actions: the state open()
 * made (op->plugin_state), which the plugin guards with its own lock if actions change it;
 * the host table, whose functions are safe to call from any thread; and the server, target and
 * artifact descriptions, which are read-only.  Each call's struct jiku_op, params and result
 * belong to that call alone.  The jiku_buf_* and jiku_err_* functions keep no state of their
 * own.  A plugin's own mutable globals would be shared by every thread: it keeps none.
 *
 * Lifetimes.  What an action reaches through OP (server, target, params and what they point
 * to) is lent by the core for that call: read it, never free or change it, keep no pointer to
 * it past the return (copy a string to keep it).
 */
#ifndef JIKU_PLUGIN_H
#define JIKU_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "jiku/err.h"

/*
 * The version of struct jiku_plugin and of the verbs and kinds its action table may name, as
 * major << 16 | minor.  The loader refuses another major before it reads anything else; a
 * minor appends members (and verbs or kinds) only.  The host table has a version of its own
 * (JIKU_HOST_ABI_VERSION, host.h), whose major moves with this one.
 */
#define JIKU_PLUGIN_ABI_MAJOR 2
#define JIKU_PLUGIN_ABI_MINOR 2
#define JIKU_PLUGIN_ABI_VERSION ((JIKU_PLUGIN_ABI_MAJOR << 16) | JIKU_PLUGIN_ABI_MINOR)
#define JIKU_PLUGIN_SYMBOL "jiku_plugin"

struct jiku_host;

enum jiku_target_kind {
    JIKU_KIND_ACCOUNT = 0,      /* cPanel account */
    JIKU_KIND_SUBSCRIPTION = 1, /* Plesk subscription */
    JIKU_KIND_WORDPRESS = 2,    /* WP Toolkit instance, either panel */
    JIKU_KIND_SOFTACULOUS = 3,  /* Softaculous installation, cPanel */
    JIKU_KIND_COUNT
};

/* What a plugin can be asked to do; the policy action is derived from verb + kind by the core. */
enum jiku_verb {
    JIKU_VERB_PROBE = 0, /* servers check: the target exists, versions */
    JIKU_VERB_SNAPSHOT,
    JIKU_VERB_BACKUP,
    JIKU_VERB_ROLLBACK,
    JIKU_VERB_STAGE,
    JIKU_VERB_UNSTAGE,
    JIKU_VERB_PROMOTE,
    JIKU_VERB_CLONE,
    JIKU_VERB_PRUNE,  /* remove one artifact's server copy */
    JIKU_VERB_VERIFY, /* check one artifact's server copy */
    /*
     * The server's inventory for `discover`: called with op->target NULL and
     * op->params->operation_id set; fills op->result->inventory.  A plugin registers it once,
     * under the kind of its panel's main target (account for cPanel, subscription for Plesk);
     * the core runs the first DISCOVER of the table.  Read-only on the server.
     */
    JIKU_VERB_DISCOVER,
    /*
     * ABI 2.1: an application's updates, one step of the core's flow at a time
     * (op->params->update, struct jiku_update_params).
     */
    JIKU_VERB_UPDATE,
    /*
     * ABI 2.2: the e-mail accounts of an account or subscription (MAIL) and the users of a
     * WordPress or Nextcloud application (USERS), one request a call
     * (op->params->login, struct jiku_login_params).
     */
    JIKU_VERB_MAIL,
    JIKU_VERB_USERS,
    JIKU_VERB_COUNT
};

enum jiku_artifact_kind {
    JIKU_ARTIFACT_SNAPSHOT = 0, /* id letter 's' */
    JIKU_ARTIFACT_BACKUP = 1,   /* 'b' */
    JIKU_ARTIFACT_SAFETY = 2,   /* 'x' */
};

/* A server as a plugin sees it: settings, never secrets. Borrowed from the core's config. */
struct jiku_server_info {
    const char *name;
    const char *panel; /* the plugin's name */
    const char *host;
    int api_port;
    const char *api_user;
    bool api_password; /* the API secret is a password (api_password_file), not a token */
    int ssh_port;
    const char *ssh_user;
    int timeout;          /* seconds for one long panel job */
    int poll_max;         /* longest pause between two polls, seconds */
    bool strict_warnings; /* a WARN line fails the job */
    const char *snapshot_dir;
    /*
     * The panel's own [server] keys: the struct the panel's facts' server_map describes,
     * filled (defaults included) by the core, or NULL when the panel has no such keys or the
     * server was not made by the configuration (a plugin's own tests): then the defaults apply.
     */
    const void *settings;
};

/* A target as a plugin sees it. Borrowed from the core's config. */
struct jiku_target_info {
    const char *id;       /* "customer/name" */
    const char *customer; /* "customer" */
    const char *name;     /* "name" */
    enum jiku_target_kind kind;
    const char *account;        /* cPanel user / Plesk subscription domain */
    const char *domain;         /* may be NULL for accounts */
    const char *path;           /* application path under the domain, "/" by default */
    const char *staging_domain; /* may be NULL */
    const char *promote_db;     /* "all" | "default" | "none" */
    const void *settings; /* the panel's own [target] keys (target_map), as server->settings */
};

/* An artifact as the catalog knows it; handed to rollback, prune and verify. Borrowed. */
struct jiku_artifact_ref {
    const char *id; /* "20261127T021500Z.acme.shop.s" */
    enum jiku_artifact_kind kind;
    const char *location;    /* panel reference: the archive path on the server, or NULL */
    const char *backup_path; /* local archive in backup_dir, or NULL */
    uint64_t size;
    const char *md5;    /* hex or NULL */
    const char *sha256; /* hex or NULL */
    /* The panel's WARN lines recorded when it was made, newline-separated, or NULL. */
    const char *warnings;
};

enum jiku_rollback_mode { JIKU_ROLLBACK_EXACT = 0, JIKU_ROLLBACK_MERGE = 1 };

/* What of an application an update may touch: bits of jiku_update_params.components. */
enum jiku_update_component {
    JIKU_UPDATE_CORE = 0,    /* WordPress core */
    JIKU_UPDATE_PLUGINS = 1, /* WordPress plugins */
    JIKU_UPDATE_THEMES = 2,  /* WordPress themes */
    JIKU_UPDATE_APP = 3,     /* a whole application as its installer updates it (Softaculous) */
    JIKU_UPDATE_COMPONENT_COUNT
};
#define JIKU_UPDATE_BIT(component) (1u << (unsigned)(component))

/*
 * The step of an update the core asks for (docs/ARCHITECTURE.md, "Updates").  The core runs
 * LIST first, under the target's lock; only when something is pending does it take the safety
 * snapshot and go on, with APPLY, or for --staged with the STAGE action, STAGING, the PROMOTE
 * action and CHECK.
 */
enum jiku_update_step {
    /* Read-only: what is pending, into result->updates (FROM installed, TO available). */
    JIKU_UPDATE_LIST = 0,
    /*
     * Update the live application, then check its health.  Set result->changed right before
     * the first command that changes it: a failure after that (the update's or the health
     * check's) makes the core restore the safety snapshot.  result->updates: what was updated
     * (FROM before, TO installed now); the error of a failed health check carries its evidence.
     */
    JIKU_UPDATE_APPLY,
    /*
     * As APPLY, on the target's staging copy (which the core's STAGE action just refreshed);
     * live is never touched, so result->changed stays false.
     */
    JIKU_UPDATE_STAGING,
    /*
     * After the core's promote of the updated staging copy: what the application needs to
     * finish an update pushed to it (Nextcloud's occ upgrade), then live's health check.
     */
    JIKU_UPDATE_CHECK,
};

/* An update's parameters, from the target's update keys and the command line.  Borrowed. */
struct jiku_update_params {
    enum jiku_update_step step;
    unsigned components;        /* JIKU_UPDATE_BIT()s, only of components the target's kind has */
    bool core_major;            /* WordPress core: major releases too (update_core = major) */
    const char *const *exclude; /* plugin and theme slugs held back, NULL-terminated, or NULL */
    /* The health check: an HTTPS GET of the site, made on the server itself. */
    const char *health_path; /* URL path, "/" or "/a/b"; the target's path unless set */
    const char *health_text; /* text the page must contain, or NULL */
    int health_timeout;      /* seconds for the whole request */
    int web_port; /* the port of the server's web server on 127.0.0.1 ([server] web_port) */
};

/* ABI 2.2: what one MAIL or USERS call is asked to do. */
enum jiku_login_op {
    /* Read-only: every mail account, or every user, into result->logins. */
    JIKU_LOGIN_LIST = 0,
    JIKU_LOGIN_ADD, /* create NAME */
    /*
     * Mail: set NAME's password.  Users: WordPress sends NAME its own password-reset mail;
     * Nextcloud sets NAME's password and enables NAME.
     */
    JIKU_LOGIN_PASSWD,
    /* Mail: delete NAME.  Users: WordPress deletes NAME; Nextcloud disables NAME, or deletes. */
    JIKU_LOGIN_REMOVE,
    /* Users: WordPress sets NAME's role; Nextcloud adds NAME to a group. */
    JIKU_LOGIN_ROLE,
};

/* The quota of a mailbox without a limit (jiku_login_params and jiku_login_item). */
#define JIKU_QUOTA_UNLIMITED (-1)

/*
 * ABI 2.2: the parameters of MAIL and USERS, checked by the core: NAME, EMAIL and REASSIGN are
 * [A-Za-z0-9._@+-] with no leading '-' or '.' (an address's domain a host name, lowercase),
 * ROLE and GROUP [A-Za-z0-9._-].  Borrowed.
 */
struct jiku_login_params {
    enum jiku_login_op op;
    const char *name; /* mail: the address, local@domain; users: the login; NULL for LIST */
    /*
     * ADD and PASSWD of mail and of Nextcloud users: the new password, lent for this call
     * only, in memory the core wipes after the run.  It reaches the server in a request body or on
     * a command's stdin, never in a URL, an argument, a log line or an error.  NULL: WordPress
     * (people set their own through the reset mail), and a Nextcloud user created DISABLED, who
     * gets an unknown random password of the plugin's.
     */
    const char *password;
    long quota_mib;       /* mail ADD: MiB, JIKU_QUOTA_UNLIMITED, or 0: the panel's default */
    const char *email;    /* users ADD: the person's address (WordPress needs one) */
    const char *role;     /* users ADD and ROLE, WordPress: the role; NULL: the site's default */
    const char *group;    /* users ADD and ROLE, Nextcloud: a group; NULL: none */
    const char *reassign; /* users REMOVE, WordPress: the login that gets NAME's content */
    bool disabled;        /* users ADD, Nextcloud: created disabled */
    bool delete;          /* users REMOVE, Nextcloud: delete rather than disable */
};

/* Parameters of one operation, set by the core from the command line. Borrowed. */
struct jiku_op_params {
    bool dry_run;
    enum jiku_rollback_mode mode;               /* rollback */
    const struct jiku_artifact_ref *artifact;   /* rollback source, prune/verify subject */
    const char *new_artifact_id;                /* id the core reserved for what this op makes */
    const char *domain;                         /* stage --domain, clone --domain */
    const struct jiku_server_info *dest_server; /* clone --server */
    const char *as_user;                        /* clone --as */
    const char *backup_dir;   /* backup: directory (0700, created by the core) for the archive */
    const char *operation_id; /* unique per operation: names remote job directories */
    /*
     * Rollback: the locations on the server of every artifact the catalog knows there
     * (NULL-terminated, or NULL), which a clean-up must never remove.
     */
    const char *const *keep_paths;
    /* ABI 2.1: UPDATE only (NULL for every other verb). */
    const struct jiku_update_params *update;
    /* ABI 2.2: MAIL and USERS only (NULL for every other verb). */
    const struct jiku_login_params *login;
};

/* ABI 2.2: one mail account or application user, filled by the plugin (strings malloc()ed). */
struct jiku_login_item {
    char *name;      /* the address, or the login */
    char *email;     /* users: their address, or NULL */
    char *roles;     /* users: WordPress roles, Nextcloud groups, comma-separated, or NULL */
    long quota_mib;  /* mail: MiB, JIKU_QUOTA_UNLIMITED, or 0 when the panel did not say */
    bool has_used;   /* mail: USED_MIB is what the panel reported */
    double used_mib; /* mail: the mailbox's size */
    bool disabled;   /* a user who cannot log in, a mailbox whose login is suspended */
};

/* One component of an update, filled by the plugin (every string malloc()ed). */
struct jiku_update_item {
    enum jiku_update_component component;
    char *name; /* plugin or theme slug, "wordpress", the application's name ("Nextcloud") */
    char *from; /* the version installed before */
    char *to;   /* LIST: the version available; otherwise the version installed now */
};

/* The bit of KIND in jiku_op_result.inventory_kinds. */
#define JIKU_KIND_BIT(kind) (1u << (unsigned)(kind))

/*
 * One thing `discover` found on a server.  KIND says what a target of it would be;
 * ACCOUNT is the cPanel user or Plesk subscription it belongs to, DOMAIN its domain (an
 * account's main domain), PATH the URL path of an application ("/" for a site at the domain's
 * root, NULL for accounts and subscriptions), OWNER the panel login that owns it (cPanel
 * reseller or owner, Plesk customer/reseller login; may be NULL), DETAIL a short description
 * for people ("WordPress 6.5.2", "Nextcloud", may be NULL).  Every string is malloc()ed by the
 * plugin and freed by the core.
 */
struct jiku_inventory_item {
    enum jiku_target_kind kind;
    char *account;
    char *domain;
    char *path;
    char *owner;
    char *detail;
};

/*
 * What an operation made, filled by the plugin.  The core zeroes it before the call and, after
 * it, frees with free() the strings the plugin malloc()ed into it, whether the action succeeded
 * or failed; on failure it reads only changed and updates.
 */
struct jiku_op_result {
    char *location;    /* archive path on the server */
    char *backup_path; /* archive path in backup_dir */
    uint64_t size;
    char md5[33];
    char sha256[65];
    char *warnings;      /* panel WARN lines, newline-separated, or NULL */
    char *panel_version; /* probe */
    char *details;       /* human summary, e.g. dry-run change list */
    /*
     * DISCOVER only: an array of N_INVENTORY items, malloc()ed by the plugin, freed (items and
     * strings) by the core.
     */
    struct jiku_inventory_item *inventory;
    size_t n_inventory;
    /*
     * DISCOVER only: bit (1u << kind) set for each kind the plugin listed completely.
     * A kind left out (no WP Toolkit on the server, Softaculous not answering) is not known to
     * be absent, so the core reports no drift for its targets.
     */
    uint32_t inventory_kinds;
    /*
     * ROLLBACK and PROMOTE: set (with JIKU_OP_SET_CHANGED) right before the first
     * change on the server, and left set when the action then fails: the core restores the
     * safety snapshot it took first only when the failed action changed something.  Read on
     * failure too, unlike the members above.
     */
    bool changed;
    /*
     * ABI 2.1, UPDATE only: an array of N_UPDATES items, malloc()ed by the plugin, freed (items
     * and strings) by the core.  Read on failure too: what a failed update had changed.
     */
    struct jiku_update_item *updates;
    size_t n_updates;
    /*
     * ABI 2.2, MAIL and USERS LIST: an array of N_LOGINS items, malloc()ed by the plugin, freed
     * (items and strings) by the core.
     */
    struct jiku_login_item *logins;
    size_t n_logins;
};

/* Mark OP as having changed the server (jiku_op_result.changed). */
#define JIKU_OP_SET_CHANGED(op)                                                                    \
    do {                                                                                           \
        if ((op)->result != NULL)                                                                  \
            (op)->result->changed = true;                                                          \
    } while (0)

/* One operation: everything a plugin action gets, lent for the call. */
struct jiku_op {
    const struct jiku_host *host;
    /*
     * The target's server.  The host functions find the core's own record of a server from
     * this very pointer: hand them it (or params->dest_server, or NULL), never a copy.
     */
    const struct jiku_server_info *server;
    const struct jiku_target_info *target;
    const struct jiku_op_params *params;
    struct jiku_op_result *result;
    void *plugin_state; /* what the plugin's open() returned */
    void *core;         /* the core's own per-operation state; opaque */
};

typedef int (*jiku_action_fn)(struct jiku_op *op, struct jiku_err *err);

/* The type of a panel's own configuration key, and of the member it fills. */
enum jiku_config_type {
    JIKU_CONFIG_TEXT,   /* printable text: const char * */
    JIKU_CONFIG_PATH,   /* an absolute path: const char * */
    JIKU_CONFIG_INT,    /* decimal digits within [min, max]: int */
    JIKU_CONFIG_BOOL,   /* yes or no: bool */
    JIKU_CONFIG_CHOICE, /* one of choices: const char *, a copy (compare with strcmp) */
};

/*
 * One key that a panel adds to the [server] sections of its servers or to the [target]
 * sections of their targets, in the manner of Fluent Bit's flb_config_map.  The core reads and
 * checks the value as it does its own keys (config check: "FILE:LINE: invalid NAME 'X':
 * expected ..."), stores it at OFFSET in the settings struct the map describes, and shows it
 * in config show and `jiku-agent plugins`.  A map is an array ending with a NULL name.
 */
struct jiku_config_map {
    const char *name; /* [a-z][a-z0-9_]*, not one of the core's keys of the section */
    enum jiku_config_type type;
    const char *def; /* the default as the file would say it; NULL (text and paths only): unset */
    int min, max;    /* JIKU_CONFIG_INT */
    const char *const *choices; /* JIKU_CONFIG_CHOICE: NULL-terminated */
    size_t offset;              /* offsetof() of the member in the settings struct */
    const char *description;    /* one line, for people */
};

/*
 * What the core knows of a panel, from its plugin's descriptor and nothing else: it reads
 * these before the plugin is opened (the configuration loader checks accounts with them), so
 * the strings, lists and functions are constant data of the plugin's, and the functions are
 * pure (they may run on any thread, before open() and after close()).  Any member may be
 * 0 or NULL: the core then applies no rule of its own (an account is any name, a path has no
 * secret segment).  Members are appended with a minor of the plugin ABI, and read only from a
 * plugin whose abi_version has that minor.
 */
struct jiku_panel_facts {
    int api_port; /* the API's port when [server] api_port is unset; 0: the key is required */
    /*
     * The panel object a target belongs to ("account", "subscription"), a panel-name-like
     * word ([a-z0-9-]+).  It names the target lock, SERVER.OWNER.ACCOUNT, which an account's
     * own work takes exclusively and work on its applications shared (docs/ARCHITECTURE.md,
     * "State"): without it the core takes no lock for the panel's targets and refuses to act.
     */
    const char *owner_object;
    /*
     * Whether NAME can be a target's account (and a clone's new account, --as): checked by
     * `config check`, `discover` and the command line.  ACCOUNT_SYNTAX completes the message
     * "invalid account 'X': expected ..." ("a cPanel user name ([a-z][a-z0-9]{0,15})").
     */
    bool (*valid_account)(const char *name);
    const char *account_syntax;
    /*
     * discover: the login of the panel's administrator when the owner of an inventory item is
     * the customer who holds it, except for this one login, which holds what belongs to no
     * customer; NULL when an owner is who sells the item (a reseller), never its customer.
     */
    const char *admin_login;
    /*
     * Header names (case-insensitive) whose values are secrets in requests and answers, beyond
     * the credentials and cookies of HTTP itself: never traced.  NULL-terminated, or NULL.
     */
    const char *const *secret_headers;
    /*
     * Prefixes of URL path segments that are credentials ("cpsess" for /cpsess0123/...): in
     * messages and traces the segment is shown as "/PREFIX*", and a Location answer that
     * names one as a path without its query.  NULL-terminated, or NULL.
     */
    const char *const *secret_segments;
    /* Whether the API also takes a password (api_password_file) instead of a token. */
    bool api_password;
    /*
     * The panel's own keys (struct jiku_config_map): SERVER_MAP's in its servers' [server]
     * sections, TARGET_MAP's in their targets' [target] sections.  The core allocates a zeroed
     * struct of SERVER_SIZE (TARGET_SIZE; at most 64 KiB, the members apart) bytes per
     * section, fills it and lends it as jiku_server_info.settings (jiku_target_info.settings).
     * NULL: no keys.
     */
    const struct jiku_config_map *server_map;
    size_t server_size;
    const struct jiku_config_map *target_map;
    size_t target_size;
};

/* A host name: labels of letters, digits and hyphens, at most 253 bytes (a valid_account). */
bool jiku_valid_hostname(const char *s);

struct jiku_plugin_action {
    enum jiku_verb verb;
    enum jiku_target_kind kind;
    jiku_action_fn fn;
};

struct jiku_plugin {
    uint32_t abi_version; /* JIKU_PLUGIN_ABI_VERSION the plugin was built with */
    uint32_t struct_size; /* sizeof(struct jiku_plugin) the plugin was built with */
    const char *name;     /* panel name: "cpanel", "plesk" */
    const char *version;
    const struct jiku_plugin_action *actions;
    size_t n_actions;
    /*
     * May be NULL.  Called once, before the plugin's first action, by whichever thread first
     * needs the plugin, with the core's plugin lock held: every other thread that needs a
     * plugin waits for it.  *STATE becomes every op's plugin_state and close()'s argument.
     * So open():
     *  - neither blocks nor touches the network.  It may keep HOST, valid until close(), but
     *    call none of its functions: each of them needs an operation;
     *  - checks that host->abi_version and host->struct_size cover what the plugin uses;
     *  - keeps its state in *STATE, not in globals: the same object may be opened more than
     *    once in a process.  It changes nothing the process shares: signal handlers and
     *    masks, umask, working directory, environment, locale, stdio, resource limits, the
     *    global set-up of libcurl, libssh2 and OpenSSL.  A library's own idempotent set-up
     *    (xmlInitParser) is fine;
     *  - leaves nothing behind when it fails: close() is not called, and the plugin is loaded
     *    and opened afresh the next time it is needed.
     */
    int (*open)(const struct jiku_host *host, void **state, struct jiku_err *err);
    /* May be NULL.  Once, after the process's last action returned, if the plugin was opened. */
    void (*close)(void *state);
    /*
     * May be NULL: refuse, before any side effect, what the panel cannot do for VERB with OP's
     * target and parameters (e.g. a --merge rollback of a kind whose restores only replace).
     * Reads OP only: OP->host, OP->result and OP->core are NULL.  The core asks before it runs
     * a command's action, not before every call of an action (not before the automatic
     * rollback after a failed one): an action that must never run what check refuses calls
     * it itself.
     */
    int (*check)(const struct jiku_op *op, enum jiku_verb verb, struct jiku_err *err);
    /* May be NULL: the panel's facts (struct jiku_panel_facts), read without open(). */
    const struct jiku_panel_facts *facts;
    /* ABI 2.0 ends here; append only. */
};

/*
 * Export DESC (a struct jiku_plugin) under the plugin symbol.  A shared build exports the data
 * symbol JIKU_PLUGIN_SYMBOL; a static build (JIKU_STATIC_PLUGIN defined) names it
 * jiku_plugin_NAME, and gives the struct itself the global name jiku_plugin_NAME_desc, whose
 * address (unlike a pointer variable's value) can initialise the generated table.  In a static
 * build DESC must be the name of an object defined in the same file.
 */
#ifdef JIKU_STATIC_PLUGIN
#define JIKU_PLUGIN_EXPORT(name, desc)                                                             \
    extern const struct jiku_plugin jiku_plugin_##name##_desc __attribute__((alias(#desc)));       \
    const struct jiku_plugin *const jiku_plugin_##name = &(desc)
#else
#define JIKU_PLUGIN_EXPORT(name, desc)                                                             \
    __attribute__((visibility("default"))) const struct jiku_plugin *const jiku_plugin = &(desc)
#endif

#endif
