/*
 * The cPanel plugin's private interfaces: the WHM API 1 client (whm.c), the parsers of pkgacct's
 * master log (pkgacct.c) and of a transfer session's log (translog.c), the snapshot job
 * (snapshot.c), cpmove restores (restore.c) and the comparison of an archive with a home
 * directory (homediff.c).  cPanel's remote checks have cpanel_remote.h, the account as WHM
 * describes it cpanel_account.h.  Wire facts: docs/WIRE.md §2.
 */
#ifndef JIKU_CPANEL_H
#define JIKU_CPANEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpanel_settings.h"
#include "jiku/buf.h"
#include "jiku/err.h"
#include "jiku/host.h"
#include "jiku/plugin.h"
#include "remote.h"

/* Largest WHM answer we parse (a pkgacct master log included). */
#define CPANEL_JSON_MAX ((size_t)16 << 20)
/* Largest output of a listing command (tar -t, find) we accept. */
#define CPANEL_LIST_MAX ((size_t)64 << 20)

/* ---- whm.c ---------------------------------------------------------------------------- */

struct cpanel_param {
    const char *key;
    const char *value;
};

/*
 * Parse the answer to WHM API 1 FUNCTION (HTTP status STATUS, BODY of LEN bytes).  On success
 * *ROOT is the envelope (the caller's, json_decref); its "data" member may be absent.
 * JIKU_E_AUTH for 401/403 or an "access denied" answer, JIKU_E_DATA for anything that is not a
 * WHM API 1 envelope, JIKU_E_PANEL for metadata.result 0 (message: reason and errors[]).
 */
int cpanel_whm_parse(const char *function, long status, const char *body, size_t len, json_t **root,
                     struct jiku_err *err);

/*
 * GET /json-api/FUNCTION?api.version=1&PARAMS on SERVER (NULL: op->server) and parse it.  START
 * marks a call that starts a job: never retried by the core, and a lost answer comes back as
 * JIKU_E_TRANSIENT for the caller to look for the job.  *ROOT as for cpanel_whm_parse.
 */
int cpanel_whm_call(struct jiku_op *op, const struct jiku_server_info *server, const char *function,
                    const struct cpanel_param *params, size_t n_params, bool start, json_t **root,
                    struct jiku_err *err);

/*
 * Parse the answer to the cPanel API 2 call CALL ("Module::function") made through WHM's
 * /json-api/cpanel: {"cpanelresult":{"apiversion":2,"data":[…],"event":{"result":1},…}}.  On
 * success *ROOT is the whole answer (the caller's).  JIKU_E_AUTH as for cpanel_whm_parse,
 * JIKU_E_DATA for anything but that envelope, JIKU_E_PANEL when the call did not run
 * (event.result 0, or WHM's {"error":…} for a user it cannot run as) or the function failed
 * (an "error", or an item of "data" with result 0; message: its reason).
 */
int cpanel_api2_parse(const char *call, long status, const char *body, size_t len, json_t **root,
                      struct jiku_err *err);

/*
 * cPanel API 2 MODULE::FUNCTION as the account USER on SERVER (NULL: op->server), through WHM:
 * /json-api/cpanel?cpanel_jsonapi_user=USER&…&cpanel_jsonapi_apiversion=2&PARAMS (at most
 * 8).  START as for cpanel_whm_call; *ROOT as for cpanel_api2_parse.
 */
int cpanel_api2_call(struct jiku_op *op, const struct jiku_server_info *server, const char *user,
                     const char *module, const char *function, const struct cpanel_param *params,
                     size_t n_params, bool start, json_t **root, struct jiku_err *err);

/* The result of a uapi_cpanel call in ROOT: data.uapi, whose status is the truth. Borrowed. */
int cpanel_uapi_result(json_t *root, json_t **data, struct jiku_err *err);

/* The most function parameters cpanel_uapi_post takes. */
#define CPANEL_UAPI_MAX_PARAMS 8

/*
 * UAPI MODULE::FUNCTION as the account USER on op->server through WHM's uapi_cpanel, as a POST
 * with every parameter in the form body (never in the URL: a password among PARAMS, at most
 * CPANEL_UAPI_MAX_PARAMS, stays out of logs and traces).  START as for cpanel_whm_call.  On
 * success *ROOT is the envelope (the caller's) and *DATA its data.uapi.data (borrowed from
 * *ROOT, may be NULL); JIKU_E_PANEL when UAPI's status is 0 (message: its errors).
 */
int cpanel_uapi_post(struct jiku_op *op, const char *user, const char *module, const char *function,
                     const struct cpanel_param *params, size_t n_params, bool start, json_t **root,
                     json_t **data, struct jiku_err *err);

/* Append S to B percent-encoded (RFC 3986 unreserved characters kept). */
int cpanel_url_encode(struct jiku_buf *b, const char *s);
/* PARAMS as "k=v&k=v" (percent-encoded) appended to B, with a leading '&' unless FIRST. */
int cpanel_add_params(struct jiku_buf *b, const struct cpanel_param *params, size_t n, bool first);
/*
 * Append a printable copy of the panel text S to B for a message: control bytes become
 * spaces, and "..." follows when S is longer than MAX bytes.  0 or JIKU_E_NOMEM.
 */
int cpanel_add_text(struct jiku_buf *b, const char *s, size_t max);

/* A string member of OBJ, or NULL. Borrowed. */
const char *cpanel_json_str(json_t *obj, const char *key);
/*
 * The id data.KEY that FUNCTION, which started a job on SERVER, answered in ROOT, checked as a
 * path component (it reaches log lines and shell words): *ID malloc()ed; JIKU_E_DATA if none.
 */
int cpanel_whm_job_id(json_t *root, const char *function, const char *key,
                      const struct jiku_server_info *server, char **id, struct jiku_err *err);

/* ---- pkgacct.c ------------------------------------------------------------------------ */

/* What pkgacct's master log says. */
struct cpanel_pkgacct_log {
    char *archive; /* from "pkgacctfile is:", or NULL */
    char md5[33];  /* from "md5sum is:", or "" */
    uint64_t size; /* from "size is:" */
    bool have_size;
    bool completed;         /* "pkgacct completed" seen */
    struct jiku_buf errors; /* ERROR lines, newline-separated */
    struct jiku_buf warnings;
    unsigned n_errors;
    unsigned n_warnings;
};

/*
 * Parse LOG (JSON lines {"contents":…,"type":…}; plain pkgacct output lines are tolerated).
 * JIKU_E_DATA for a broken JSON line, conflicting or malformed archive/md5/size lines;
 * JIKU_E_NOMEM when the kept lines cannot grow.  OUT is the caller's (cpanel_pkgacct_log_release)
 * whatever the result.
 */
int cpanel_pkgacct_log_parse(const char *log, size_t len, struct cpanel_pkgacct_log *out,
                             struct jiku_err *err);
void cpanel_pkgacct_log_release(struct cpanel_pkgacct_log *l);

/* ---- translog.c ----------------------------------------------------------------------- */

enum cpanel_item_result {
    CPANEL_ITEM_NONE = 0,
    CPANEL_ITEM_OK,
    CPANEL_ITEM_WARN,
    CPANEL_ITEM_FAILED
};

struct cpanel_restore_item {
    enum cpanel_item_result result;
    struct jiku_buf message; /* the item's message or failure text */
};

/*
 * The restore item's own result in a transfer session's master log (JSON lines whose control
 * contents carry action success-item / warning-item / failed-item).  A failed item wins over a
 * successful one.  JIKU_E_DATA for a broken line, JIKU_E_NOMEM.  OUT is the caller's
 * (cpanel_restore_item_release).
 */
int cpanel_translog_parse(const char *log, size_t len, struct cpanel_restore_item *out,
                          struct jiku_err *err);
/* Lines of an item log (JSON lines) of type "error" into ERRORS; JIKU_E_DATA, JIKU_E_NOMEM. */
int cpanel_itemlog_errors(const char *log, size_t len, struct jiku_buf *errors,
                          struct jiku_err *err);
void cpanel_restore_item_release(struct cpanel_restore_item *it);

/* ---- snapshot.c ----------------------------------------------------------------------- */

struct cpanel_snap {
    char *dir;     /* snapshot_dir/U/ID */
    char *archive; /* dir/cpmove-U.tar.gz */
    struct plug_digest digest;
    char *warnings;
};

/*
 * A pkgacct archive of USER on SERVER in snapshot_dir/USER/ID/, verified over SSH.  On failure
 * nothing is left on the server but a work directory pkgacct may still be writing into, which
 * the error names (prune's sweep removes it).  OUT is the caller's (cpanel_snap_release) on
 * success.
 */
int cpanel_snapshot_take(struct jiku_op *op, const struct jiku_server_info *server,
                         const char *user, const char *id, struct cpanel_snap *out,
                         struct jiku_err *err);
void cpanel_snap_release(struct cpanel_snap *s);

/* ---- pkgwait.c ------------------------------------------------------------------------ */

/*
 * Wait for pkgacct session SID (USER's) on SERVER (NULL: op->server) to end: on the server over
 * SSH, then one get_pkgacct_session_state; polling that call when the wait cannot be had or WHM
 * still says RUNNING.  *STATE is "COMPLETED" or "FAILED".  JIKU_E_PANEL past the timeout or the
 * start grace, JIKU_E_INTERRUPTED, or what the state call failed with.
 */
int cpanel_pkgacct_wait(struct jiku_op *op, const struct jiku_server_info *server, const char *user,
                        const char *sid, char *state, size_t state_len, struct jiku_err *err);

/* ---- restore.c ------------------------------------------------------------------------ */

/*
 * start_local_cpmove_restore of ARCHIVE on SERVER (as USERNAME when not NULL), polled to its
 * end; success only when the restore item itself succeeded.  *WARNINGS (may be NULL) gets the
 * item's warning text.
 */
int cpanel_restore_run(struct jiku_op *op, const struct jiku_server_info *server,
                       const char *archive, const char *username, bool overwrite, char **warnings,
                       struct jiku_err *err);

/* ---- homediff.c ----------------------------------------------------------------------- */

struct cpanel_entry {
    char *path; /* relative to the home directory, no trailing '/' */
    char type;  /* 'f' file, 'd' directory, 'l' symlink, '?' other */
    uint64_t size;
    int64_t mtime;
};

struct cpanel_listing {
    struct cpanel_entry *items;
    size_t n, cap;
};

void cpanel_listing_release(struct cpanel_listing *l);
/*
 * `tar -tv --full-time --quoting-style=c -f A` output: the entries under PREFIX
 * ("cpmove-U/homedir/"), names unescaped.  JIKU_E_DATA for a line that does not parse.
 */
int cpanel_parse_tar_listing(const char *out, size_t len, const char *prefix,
                             struct cpanel_listing *l, struct jiku_err *err);
/* `find . -mindepth 1 -printf '%y %s %T@ %P\0'` output. */
int cpanel_parse_find_listing(const char *out, size_t len, struct cpanel_listing *l,
                              struct jiku_err *err);
/* Sort by path (byte order). */
void cpanel_listing_sort(struct cpanel_listing *l);

/*
 * Compare ARCHIVE with HOME (both sorted) for a dry run: DETAILS gets the change list, "+ path"
 * added, "- path" removed (when EXACT; the topmost paths absent from the archive, skipping
 * cPanel's own ".cpanel" and KEEP, a relative path, its contents and its ancestors; may be
 * NULL), "~ path" replaced.  0, or JIKU_E_NOMEM when DETAILS could not be built whole.
 */
int cpanel_home_diff(const struct cpanel_listing *archive, const struct cpanel_listing *home,
                     bool exact, const char *keep, struct jiku_buf *details);

/*
 * ARCHIVE's homedir entries against HOME, on the server as USER: the exact-mode clean-up
 * (EXACT and not DRY_RUN; nothing to do for a merge), its summary into *DETAILS (may be NULL;
 * "; removed N paths…" and a "kept REASON: PATH" line each); or the dry-run list into *DETAILS.
 */
int cpanel_home_sync(struct jiku_op *op, const struct jiku_server_info *server, const char *archive,
                     const char *user, const char *home, bool exact, bool dry_run, char **details,
                     struct jiku_err *err);

/* ---- softapi.c: the Softaculous enduser API (docs/WIRE.md §5) -------------------------- */

/* A Softaculous session of one account.  PREFIX ("/cpsessN") is a credential. */
struct cpanel_soft_session {
    char *prefix;
    char *theme;
    const char *user; /* borrowed */
};

/* An installation as "installations" lists it. */
struct cpanel_soft_ins {
    char *insid;
    char *domain;          /* softdomain */
    char *directory;       /* softdirectory without slashes ("" = the domain's root) */
    char *path;            /* softpath, or NULL */
    char *url;             /* softurl, or NULL */
    char *live_insid;      /* a staging copy's live installation, or NULL */
    char *script;          /* script, else script_name: "Nextcloud"; or NULL */
    char *sid;             /* the script's id in Softaculous's list, or NULL */
    char *ver;             /* the version installed, or NULL */
    char *backup_location; /* the saved backup location ("" or "0": local), NULL: not shown */
    bool is_staging;
    bool has_is_staging; /* is_staging shown at all (undocumented: absent says nothing) */
};

/* A backup as "backups" lists it. */
struct cpanel_soft_backup {
    char *name;  /* file name, a valid path component */
    char *dir;   /* directory on the server, no trailing slash */
    char *insid; /* the installation it belongs to */
    uint64_t size;
    bool have_size;
};

/* The path of create_user_session's URL ("/cpsessN/login/?session=…") into *PATH (malloc). */
int cpanel_soft_login_path(const char *url, char **path, struct jiku_err *err);
/*
 * The session prefix and theme from the login's Location ("/cpsessN/frontend/THEME/…", or
 * absolute).  JIKU_E_AUTH when it leads into no session.  Both malloc()ed.
 */
int cpanel_soft_redirect(const char *location, char **prefix, char **theme, struct jiku_err *err);
/*
 * An answer to ACT: JIKU_E_AUTH for 401/403 or the login page, JIKU_E_DATA for anything but a
 * JSON object, JIKU_E_PANEL for a non-empty "error".  *ROOT is the caller's (json_decref).
 */
int cpanel_soft_parse(const char *act, long status, const char *body, size_t len, json_t **root,
                      struct jiku_err *err);
/* The task key ("done") of a background start call (malloc). */
int cpanel_soft_task_key(json_t *root, const char *act, char **ssk, struct jiku_err *err);
/*
 * An eu_tasklist answer: *DONE at progress 100 ("completed" is a label shown from the start);
 * JIKU_E_PANEL when the task failed (message: its error) or is gone from the list (Softaculous
 * deletes a failed task's status).
 */
int cpanel_soft_task_state(json_t *root, int *progress, bool *done, struct jiku_err *err);
/*
 * The one installation at DOMAIN/DIR, or the one named INSID when INSID is not NULL.
 * JIKU_E_NOTFOUND for none, JIKU_E_DATA for several.  OUT: cpanel_soft_ins_release.
 */
int cpanel_soft_find_ins(json_t *root, const char *domain, const char *dir, const char *insid,
                         struct cpanel_soft_ins *out, struct jiku_err *err);
void cpanel_soft_ins_release(struct cpanel_soft_ins *i);
bool cpanel_soft_valid_insid(const char *s);
/* Whether I is a Nextcloud: by its script name, or without one by Nextcloud's script id. */
bool cpanel_soft_is_nextcloud(const struct cpanel_soft_ins *i);
/* A version as Softaculous shows them: 1-64 of [A-Za-z0-9._+-], starting alphanumeric. */
bool cpanel_soft_valid_version(const char *s);
/*
 * act=software&giveinfo=1: the script's name (software.name, printable) and the version
 * Softaculous offers (software.ver) into *NAME and *VER, both malloc()ed.  JIKU_E_DATA without
 * them.
 */
int cpanel_soft_offer(json_t *root, char **name, char **ver, struct jiku_err *err);
/*
 * The answer to act=upgrade (an "error" is cpanel_soft_parse's): JIKU_E_FAILED when a
 * "setupcontinue" URL says a step remains in the web interface (the message names it, a
 * session segment hidden), JIKU_E_PANEL without a non-empty "done".  WHAT names the upgrade in
 * the message ("the upgrade of Nextcloud 28.0.4 (installation '483_1')").
 */
int cpanel_soft_upgraded(json_t *root, const char *what, struct jiku_err *err);
/* The names of INSID's backups (every one when INSID is NULL), one a line, into NAMES. */
int cpanel_soft_backup_names(json_t *root, const char *insid, struct jiku_buf *names,
                             struct jiku_err *err);
/*
 * The backup task SSK made of INSID: the entry carrying that ssk, else the one entry not in
 * BEFORE (names one a line).  OUT: cpanel_soft_backup_release.
 */
int cpanel_soft_find_new_backup(json_t *root, const char *insid, const char *ssk,
                                const char *before, struct cpanel_soft_backup *out,
                                struct jiku_err *err);
/* The backup file NAME; JIKU_E_NOTFOUND when not listed. */
int cpanel_soft_find_backup(json_t *root, const char *name, struct cpanel_soft_backup *out,
                            struct jiku_err *err);
void cpanel_soft_backup_release(struct cpanel_soft_backup *b);

/* A session for USER: create_user_session, the login followed on softaculous_port. */
int cpanel_soft_open(struct jiku_op *op, const char *user, struct cpanel_soft_session *s,
                     struct jiku_err *err);
void cpanel_soft_session_release(struct cpanel_soft_session *s);
/*
 * ACT with QUERY parameters (and FORM ones, then a POST).  START: a call that starts a task,
 * never repeated; a lost answer is JIKU_E_UNREACHABLE.  *ROOT as for cpanel_soft_parse.
 */
int cpanel_soft_call(struct jiku_op *op, const struct cpanel_soft_session *s, const char *act,
                     const struct cpanel_param *query, size_t n_query,
                     const struct cpanel_param *form, size_t n_form, bool start, json_t **root,
                     struct jiku_err *err);
/* Poll eu_tasklist for SSK until done, failed (JIKU_E_PANEL) or past timeout (JIKU_E_PANEL). */
int cpanel_soft_wait(struct jiku_op *op, const struct cpanel_soft_session *s, const char *act,
                     const char *ssk, struct jiku_err *err);

/* ---- domain.c: domains for staging copies and clones ------------------------------------ */

/* 1 when DOMAIN is ACCOUNT's, 0 when nobody's; JIKU_E_DATA when another account has it. */
int cpanel_domain_exists(struct jiku_op *op, const char *account, const char *domain,
                         struct jiku_err *err);
/*
 * SubDomain::addsubdomain of DOMAIN (LABEL.PARENT, PARENT one of ACCOUNT's domains) with the
 * document root HOME/DOMAIN.
 */
int cpanel_domain_create(struct jiku_op *op, const char *account, const char *domain,
                         struct jiku_err *err);
/*
 * cPanel API 2 SubDomain::delsubdomain of DOMAIN (UAPI has none), and its document root when it
 * is HOME/DOMAIN.
 */
int cpanel_domain_remove(struct jiku_op *op, const char *account, const char *domain,
                         struct jiku_err *err);

/* ---- softaculous.c: the actions on `softaculous` targets ------------------------------- */

int cpanel_soft_probe(struct jiku_op *op, struct jiku_err *err);
int cpanel_soft_snapshot(struct jiku_op *op, struct jiku_err *err);
int cpanel_soft_backup(struct jiku_op *op, struct jiku_err *err);
int cpanel_soft_rollback(struct jiku_op *op, struct jiku_err *err);
/* What Softaculous cannot do, refused before any side effect (a --merge restore). */
int cpanel_soft_check(const struct jiku_op *op, enum jiku_verb verb, struct jiku_err *err);
int cpanel_soft_stage(struct jiku_op *op, struct jiku_err *err);
int cpanel_soft_unstage(struct jiku_op *op, struct jiku_err *err);
int cpanel_soft_promote(struct jiku_op *op, struct jiku_err *err);
int cpanel_soft_clone(struct jiku_op *op, struct jiku_err *err);
int cpanel_soft_prune(struct jiku_op *op, struct jiku_err *err);
int cpanel_soft_verify(struct jiku_op *op, struct jiku_err *err);
/* softupdate.c: one step of an update (op->params->update->step). */
int cpanel_soft_update(struct jiku_op *op, struct jiku_err *err);
/* softusers.c: one request on the users of a Nextcloud (op->params->login). */
int cpanel_soft_users(struct jiku_op *op, struct jiku_err *err);

/* ---- mail.c: MAIL on `account` targets (UAPI Email, docs/WIRE.md §2.9) -------------- */

int cpanel_mail(struct jiku_op *op, struct jiku_err *err);
/*
 * The UAPI Email function for LOGIN and its parameters into PARAMS (room for
 * CPANEL_UAPI_MAX_PARAMS; values borrowed from LOGIN, *LOCAL and QUOTA): email (the address's
 * local part, *LOCAL malloc()ed), domain, password (ADD, PASSWD), quota (ADD, MiB, 0 unlimited;
 * none for the account's default).  JIKU_E_UNSUPPORTED for ROLE, JIKU_E_INVAL for an address
 * UAPI cannot take or a missing password.
 */
int cpanel_mail_request(const struct jiku_login_params *login, const char **function,
                        struct cpanel_param *params, size_t *n_params, char **local, char *quota,
                        size_t quota_size, struct jiku_err *err);
/*
 * Email::list_pops_with_disk's data (an array) into *ITEMS (N of them, the caller's:
 * plug_login_items_free): the addresses with '@' (not the account's system mailbox), diskquota
 * ("unlimited", MiB; 0 is unlimited), diskused (MiB), suspended_login.  JIKU_E_DATA otherwise.
 */
int cpanel_mail_parse_list(json_t *data, struct jiku_login_item **items, size_t *n,
                           struct jiku_err *err);

/* ---- wordpress.c: the actions on `wordpress` targets (plugins/common/wpt.h) ------------ */

struct wpt_panel;
/* cPanel as the WP Toolkit code sees it (its CLI `wp-toolkit`, home, subdomains). */
extern const struct wpt_panel cpanel_wpt;

int cpanel_wp_probe(struct jiku_op *op, struct jiku_err *err);
int cpanel_wp_snapshot(struct jiku_op *op, struct jiku_err *err);
int cpanel_wp_backup(struct jiku_op *op, struct jiku_err *err);
int cpanel_wp_rollback(struct jiku_op *op, struct jiku_err *err);
int cpanel_wp_stage(struct jiku_op *op, struct jiku_err *err);
int cpanel_wp_unstage(struct jiku_op *op, struct jiku_err *err);
int cpanel_wp_promote(struct jiku_op *op, struct jiku_err *err);
int cpanel_wp_clone(struct jiku_op *op, struct jiku_err *err);
int cpanel_wp_prune(struct jiku_op *op, struct jiku_err *err);
int cpanel_wp_verify(struct jiku_op *op, struct jiku_err *err);
int cpanel_wp_update(struct jiku_op *op, struct jiku_err *err);
int cpanel_wp_users(struct jiku_op *op, struct jiku_err *err);

#endif
