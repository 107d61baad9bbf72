/*
 * WordPress targets through the WP Toolkit CLI, shared by both panel plugins (docs/WIRE.md §4).
 * The CLI is the same on both panels except its command prefix and the way a domain is made, so
 * each plugin describes its panel in a struct wpt_panel and registers thin wrappers around the
 * actions below.
 *
 * wpt.c parses `--list`/`--info` answers and matches a target to its instance; wptremote.c
 * runs WP Toolkit over the host's SSH (commands, files and jobs through remote.h); wptops.c,
 * wptstage.c and wptupdate.c hold the actions.
 */
#ifndef JIKU_WPT_H
#define JIKU_WPT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jiku/buf.h"
#include "jiku/err.h"
#include "jiku/host.h"
#include "jiku/plugin.h"
#include "remote.h"

/* Largest answer of --list / --info we parse. */
#define WPT_JSON_MAX ((size_t)8 << 20)
/* The application archive's name in snapshot_dir/ACCOUNT/ID/. */
#define WPT_ARCHIVE_NAME "wordpress.tar"

/* What differs between the panels. */
struct wpt_panel {
    const char *name;            /* "cPanel" | "Plesk", for messages */
    const char *const *prefix;   /* the CLI: {"wp-toolkit", NULL} / {"plesk", "ext", …} */
    bool account_is_main_domain; /* Plesk: instance.mainDomain names the subscription */
    /*
     * The account's own directory (cPanel home, Plesk vhost directory) and the system user who
     * owns it (cPanel account user, Plesk subscription's system user), both from the panel's
     * API and malloc()ed.
     */
    int (*account_base)(struct jiku_op *op, const char *account, char **base, char **owner,
                        struct jiku_err *err);
    /* 1 when DOMAIN exists for ACCOUNT, 0 when not; JIKU_E_DATA when another account has it. */
    int (*domain_exists)(struct jiku_op *op, const char *account, const char *domain,
                         struct jiku_err *err);
    /* Create DOMAIN (a subdomain of one of ACCOUNT's domains) with its own document root. */
    int (*create_domain)(struct jiku_op *op, const char *account, const char *domain,
                         struct jiku_err *err);
    /* Remove DOMAIN, which create_domain made, and its document root (either may be gone). */
    int (*remove_domain)(struct jiku_op *op, const char *account, const char *domain,
                         struct jiku_err *err);
    /*
     * NULL where WP Toolkit's `--remove` takes a site's files and database (Plesk).  cPanel's
     * WP Toolkit has no --remove, so unstage detaches the staging instance and removes what
     * the stage record says the clone made itself: its files, and through this its database
     * DB (USER NULL) or its database user USER (DB NULL) of ACCOUNT; already gone is done.
     */
    int (*remove_db)(struct jiku_op *op, const char *account, const char *db, const char *user,
                     struct jiku_err *err);
};

/* ---- wpt.c: answers and matching ------------------------------------------------------- */

/* One WP Toolkit instance as --list / --info describe it.  Strings are owned. */
struct wpt_instance {
    long long id;
    char *owner;       /* cPanel user / Plesk owner login, or NULL */
    char *main_domain; /* cPanel main domain / Plesk subscription, or NULL */
    char *domain;      /* the domain whose document root holds it, or NULL */
    char *site_url;
    char *full_path;
    bool broken;
    /* wpt_resolve: other instances inside full_path, relative, one a line; or NULL */
    char *nested;
    /* wpt_resolve_site: the system user who owns the account's tree, every file act runs as */
    char *sys_user;
};

struct wpt_list {
    struct wpt_instance *items;
    size_t n;
};

void wpt_instance_release(struct wpt_instance *i);
void wpt_list_release(struct wpt_list *l);

/*
 * Parse the JSON of `--list -format json` (an array of instance objects).  JIKU_E_DATA for
 * anything else, an entry without an integer id, siteUrl or fullPath, or two entries with one
 * id.  OUT is the caller's (wpt_list_release) whatever the result.
 */
int wpt_list_parse(const char *json, size_t len, struct wpt_list *out, struct jiku_err *err);
/* Parse `--info -format json` (one instance object).  OUT as for wpt_list_parse. */
int wpt_info_parse(const char *json, size_t len, struct wpt_instance *out, struct jiku_err *err);

/* What a target names: its account, domain and URL path ("/" or "/sub"). Borrowed. */
struct wpt_site {
    const char *account;
    const char *domain;
    const char *path;
    bool account_is_main_domain;
};

/* "https://DOMAIN" + PATH without a trailing '/', into OUT (appended). */
int wpt_site_url(const struct wpt_site *site, struct jiku_buf *out);
/* True when the instance's siteUrl names SITE (scheme, case of the host, trailing '/' aside). */
bool wpt_url_matches(const char *site_url, const struct wpt_site *site);
/*
 * 0 when I names SITE's URL and no owner key it has (owner / mainDomain, undocumented) names
 * another account; JIKU_E_DATA with the reason if not.  Not proof of ownership alone: that is
 * I's fullPath inside the account's directory (wpt_resolve_site).
 */
int wpt_instance_check(const struct wpt_instance *i, const struct wpt_site *site,
                       struct jiku_err *err);
/*
 * The one instance of LIST whose site URL is SITE's, checked with wpt_instance_check:
 * JIKU_E_NOTFOUND when none, JIKU_E_DATA when several or when it belongs to another account.
 * *OUT is borrowed from LIST.
 */
int wpt_match(const struct wpt_list *list, const struct wpt_site *site,
              const struct wpt_instance **out, struct jiku_err *err);

/* Host names as the config allows them; URL paths "/" or "/a/b" of [A-Za-z0-9._~-]. */
bool wpt_valid_domain(const char *s);
bool wpt_valid_url_path(const char *s);

/* ---- wptremote.c: WP Toolkit on the server ------------------------------------------------ */

/* Append the panel's CLI prefix and WORDS (NULL-terminated), each quoted, to CMD. */
int wpt_cmd(const struct wpt_panel *panel, struct jiku_buf *cmd, const char *const *words);

/*
 * Append `--wp-cli -instance-id ID -- WORDS…` (NULL-terminated, quoted) after the panel's CLI
 * prefix to CMD: wp-cli on instance ID, which WP Toolkit may run as the site's owner.
 * JIKU_E_NOMEM without a message.
 */
int wpt_wp_cli_cmd(const struct wpt_panel *panel, struct jiku_buf *cmd, long long id,
                   const char *const *words);
/*
 * Run wp-cli WORDS on instance ID as plug_run does (a non-zero exit is JIKU_E_PANEL), named by
 * its first two words ("wp-cli plugin list") in messages.  RES (may be NULL) as for plug_run.
 */
int wpt_wp_cli(const struct wpt_panel *panel, struct jiku_op *op, long long id,
               const char *const *words, bool safe, struct jiku_exec_result *res,
               struct jiku_err *err);

/*
 * wpt_wp_cli of WORDS, whose answer must be a JSON array (wp-cli's --format=json lists): *ROOT
 * gets it (the caller's, json_decref); JIKU_E_DATA for anything else.
 */
int wpt_wp_cli_array(const struct wpt_panel *panel, struct jiku_op *op, long long id,
                     const char *const *words, json_t **root, struct jiku_err *err);

/*
 * Every instance WP Toolkit lists on op->server (`--list -format json`): JIKU_E_PANEL when the
 * command fails (no WP Toolkit), JIKU_E_DATA when its answer is unreadable.  OUT is the
 * caller's (wpt_list_release) whatever the result.
 */
int wpt_list(const struct wpt_panel *panel, struct jiku_op *op, struct wpt_list *out,
             struct jiku_err *err);

/*
 * The instance of SITE on the server: `--list` resolved by wpt_match, then `--info` of that id
 * checked again (docs/WIRE.md §4.1: before every write; ids are never kept across operations).  OUT
 * is the caller's (wpt_instance_release).  Actions use wpt_resolve_site, which adds the check that
 * proves the account's ownership.
 */
int wpt_resolve(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_site *site,
                struct wpt_instance *out, struct jiku_err *err);
/*
 * STATUS with "other WordPress sites live inside DIR (…): CONSEQUENCE" when INST has sites
 * inside its directory (inst->nested), which a copy of INST alone lacks; 0 when it has none.
 */
int wpt_refuse_nested(const struct wpt_instance *inst, int status, const char *consequence,
                      struct jiku_err *err);
/* 1 when an instance names SITE, 0 when none does (no --info check). */
int wpt_exists(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_site *site,
               struct jiku_err *err);

/* ---- wptops.c: the actions on `wordpress` targets ---------------------------------------- */

/* The target's site (DOMAIN: another domain at path "/", or NULL for the target's own). */
int wpt_target_site(const struct wpt_panel *panel, struct jiku_op *op, const char *domain,
                    struct wpt_site *site, struct jiku_err *err);
/* wpt_resolve, and the instance's directory must lie inside the account's own directory. */
int wpt_resolve_site(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_site *site,
                     struct wpt_instance *inst, struct jiku_err *err);

int wpt_probe(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err);
int wpt_snapshot(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err);
int wpt_backup(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err);
int wpt_rollback(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err);
int wpt_stage(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err);
int wpt_unstage(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err);
int wpt_promote(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err);
int wpt_clone(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err);
int wpt_prune(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err);
int wpt_verify(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err);

/* ---- wptstage.c ---------------------------------------------------------------------------- */

/*
 * The domain of the target's staging copy into *DOMAIN (malloc()ed): the stage record's, else
 * the target's staging_domain; JIKU_E_NOTFOUND "'ID' has no staging copy PURPOSE" when neither.
 */
int wpt_staging_domain(struct jiku_op *op, const char *purpose, char **domain,
                       struct jiku_err *err);

/* ---- wptupdate.c: the UPDATE action (op->params->update) ----------------------------------- */

/*
 * One step of an update of the target's WordPress (plugin.h, enum jiku_update_step) through
 * wp-cli: LIST what is pending of core, plugins and themes; APPLY it on live as one detached
 * job, then check live's health; STAGING the same on the staging copy; CHECK live's health.
 */
int wpt_update(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err);

/* ---- wptusers.c: the USERS action (op->params->login) ----------------------------------- */

/*
 * One USERS operation on the target's WordPress (plugin.h, struct jiku_login_params) through
 * wp-cli: LIST into result->logins; ADD, PASSWD, ROLE and REMOVE of one user, named by the ID
 * `user list` gives for the login, with one line of result->details.  No password ever passes.
 */
int wpt_users(const struct wpt_panel *panel, struct jiku_op *op, struct jiku_err *err);

/*
 * A panel's action functions PREFIX_probe … PREFIX_users (struct jiku_plugin_action's
 * signature), each the action above with PANEL.
 */
#define WPT_PANEL_ACTION(prefix, panel, verb)                                                      \
    int prefix##_##verb(struct jiku_op *op, struct jiku_err *err)                                  \
    {                                                                                              \
        return wpt_##verb(&(panel), op, err);                                                      \
    }
#define WPT_PANEL_ACTIONS(prefix, panel)                                                           \
    WPT_PANEL_ACTION(prefix, panel, probe)                                                         \
    WPT_PANEL_ACTION(prefix, panel, snapshot)                                                      \
    WPT_PANEL_ACTION(prefix, panel, backup)                                                        \
    WPT_PANEL_ACTION(prefix, panel, rollback)                                                      \
    WPT_PANEL_ACTION(prefix, panel, stage)                                                         \
    WPT_PANEL_ACTION(prefix, panel, unstage)                                                       \
    WPT_PANEL_ACTION(prefix, panel, promote)                                                       \
    WPT_PANEL_ACTION(prefix, panel, clone)                                                         \
    WPT_PANEL_ACTION(prefix, panel, prune)                                                         \
    WPT_PANEL_ACTION(prefix, panel, verify)                                                        \
    WPT_PANEL_ACTION(prefix, panel, update)                                                        \
    WPT_PANEL_ACTION(prefix, panel, users)

#endif
