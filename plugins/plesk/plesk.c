/*
 * The Plesk plugin: descriptor and the actions on `subscription` targets (docs/WIRE.md §3).  The
 * XML API for what the panel describes (version, subscription, owner, web root) and for
 * backup-manager on Plesk ≤ 17.5; `plesk bin pleskbackup/pleskrestore` over SSH as detached jobs
 * for exports and restores; SFTP for archives; everything through the host table.
 */
#include <errno.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plesk.h"
#include "plesk_discover.h"
#include "plesk_wp.h"

#define PLESK_PLUGIN_VERSION "0.1.0"

/* What the plugin learnt about a server during this process. */
struct server_memo {
    struct server_memo *next;
    char *name;
    char *version; /* Plesk version, once read */
    bool cli_only; /* backup-manager refused: exports through the CLI from now on */
    long refused_errcode;
};

struct plesk_state {
    pthread_mutex_t lock;
    struct server_memo *servers;
};

/* ---- plugin state ------------------------------------------------------------------------ */

static int
plesk_open(const struct jiku_host *host, void **state, struct jiku_err *err)
{
    struct plesk_state *st = calloc(1, sizeof(*st));

    (void)host;
    if (st == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    /* libxml2 wants its global set-up done once, before threads use it. */
    xmlInitParser();
    pthread_mutex_init(&st->lock, NULL);
    *state = st;
    return 0;
}

static void
plesk_close(void *state)
{
    struct plesk_state *st = state;

    if (st == NULL)
        return;
    while (st->servers != NULL) {
        struct server_memo *m = st->servers;

        st->servers = m->next;
        free(m->name);
        free(m->version);
        free(m);
    }
    pthread_mutex_destroy(&st->lock);
    free(st);
}

/* The memo of SERVER, created when missing; call with the lock held. */
static struct server_memo *
memo_of(struct plesk_state *st, const struct jiku_server_info *server)
{
    struct server_memo *m;

    for (m = st->servers; m != NULL; m = m->next)
        if (strcmp(m->name, server->name) == 0)
            return m;
    if ((m = calloc(1, sizeof(*m))) == NULL || (m->name = strdup(server->name)) == NULL) {
        free(m);
        return NULL;
    }
    m->next = st->servers;
    st->servers = m;
    return m;
}

/* The Plesk version of SERVER, read once per process; *VERSION is the caller's. */
static int
server_version(struct jiku_op *op, const struct jiku_server_info *server, char **version,
               struct jiku_err *err)
{
    struct plesk_state *st = op->plugin_state;
    struct server_memo *m;
    int r;

    if (server == NULL)
        server = op->server;
    *version = NULL;
    if (st != NULL) {
        pthread_mutex_lock(&st->lock);
        m = memo_of(st, server);
        if (m != NULL && m->version != NULL)
            *version = strdup(m->version);
        pthread_mutex_unlock(&st->lock);
        if (*version != NULL)
            return 0;
    }
    if ((r = plesk_server_version(op, server, version, err)) != 0 || st == NULL)
        return r;
    pthread_mutex_lock(&st->lock);
    m = memo_of(st, server);
    if (m != NULL && m->version == NULL)
        m->version = strdup(*version);
    pthread_mutex_unlock(&st->lock);
    return 0;
}

static bool
server_cli_only(struct jiku_op *op)
{
    struct plesk_state *st = op->plugin_state;
    struct server_memo *m;
    bool cli = false;

    if (st == NULL)
        return false;
    pthread_mutex_lock(&st->lock);
    if ((m = memo_of(st, op->server)) != NULL)
        cli = m->cli_only;
    pthread_mutex_unlock(&st->lock);
    return cli;
}

static void
remember_cli_only(struct jiku_op *op, long errcode)
{
    struct plesk_state *st = op->plugin_state;
    struct server_memo *m;

    op->host->log(op, JIKU_LOG_WARN,
                  "server '%s' does not offer backup-manager (errcode %ld): snapshots go through "
                  "the plesk CLI from now on",
                  op->server->name, errcode);
    if (st == NULL)
        return;
    pthread_mutex_lock(&st->lock);
    if ((m = memo_of(st, op->server)) != NULL) {
        m->cli_only = true;
        m->refused_errcode = errcode;
    }
    pthread_mutex_unlock(&st->lock);
}

/* ---- helpers ----------------------------------------------------------------------------- */

/* The target's subscription, re-checked: the core validated it, but it reaches a shell. */
int
plesk_target_domain(struct jiku_op *op, const char **domain, struct jiku_err *err)
{
    const char *d = op->target != NULL ? op->target->account : NULL;

    if (!plesk_valid_domain(d))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid subscription name '%s'", d ? d : "");
    *domain = d;
    return 0;
}

static const char *
owner_words(const struct plesk_webspace *w, char *buf, size_t len)
{
    switch (w->owner_kind) {
    case PLESK_OWNER_ADMIN:
        return "the administrator";
    case PLESK_OWNER_CUSTOMER:
        snprintf(buf, len, "customer '%s'", w->owner_login);
        break;
    case PLESK_OWNER_RESELLER_CUSTOMER:
        snprintf(buf, len, "customer '%s' of reseller '%s'", w->owner_login, w->reseller_login);
        break;
    case PLESK_OWNER_RESELLER:
        snprintf(buf, len, "reseller '%s'", w->owner_login);
        break;
    }
    return buf;
}

/* Does this server take snapshots through backup-manager (true) or the CLI (false)? */
static int
use_backup_manager(struct jiku_op *op, bool *xml, struct jiku_err *err)
{
    const char *mode = plesk_settings(op->server)->backup;
    char *version = NULL;
    int r;

    *xml = false;
    if (strcmp(mode, "cli") == 0 || server_cli_only(op))
        return 0;
    if (strcmp(mode, "xml") == 0) {
        *xml = true;
        return 0;
    }
    if ((r = server_version(op, NULL, &version, err)) != 0)
        return r;
    *xml = plesk_version_before_178(version);
    free(version);
    return 0;
}

/* ---- probe ------------------------------------------------------------------------------- */

static int
check_protos(struct jiku_op *op, struct jiku_err *err)
{
    struct plesk_packet p = {0};
    struct plesk_reply reply = {0};
    xmlNodePtr protos;
    int r;

    if ((r = plesk_packet_new(&p, "server", "get_protos", err)) != 0)
        return r;
    if ((r = plesk_xml_call(op, NULL, &p, true, &reply, err)) == 0 &&
        ((protos = plesk_xml_child(reply.result, "protos")) == NULL ||
         plesk_xml_child(protos, "proto") == NULL))
        r = jiku_err_set(err, JIKU_E_DATA, "server '%s': get_protos lists no protocol version",
                         op->server->name);
    plesk_reply_release(&reply);
    plesk_packet_release(&p);
    return r;
}

static int
plesk_probe(struct jiku_op *op, struct jiku_err *err)
{
    struct plesk_webspace w = {0};
    char *version = NULL, owner[200];
    const char *domain;
    bool xml = false;
    int r;

    if ((r = plesk_target_domain(op, &domain, err)) != 0)
        return r;
    if ((r = check_protos(op, err)) != 0 || (r = server_version(op, NULL, &version, err)) != 0 ||
        (r = plesk_webspace_get(op, NULL, domain, true, true, &w, err)) != 0 ||
        (r = use_backup_manager(op, &xml, err)) != 0)
        goto out;
    op->result->panel_version = version;
    version = NULL;
    if (plug_strfmt(&op->result->details,
                    "subscription '%s' exists, owned by %s; web root '%s'; snapshots through %s",
                    domain, owner_words(&w, owner, sizeof(owner)), w.www_root,
                    xml ? "backup-manager" : "pleskbackup") != 0) {
        op->result->details = NULL;
        r = plug_nomem(err);
    }
out:
    plesk_webspace_release(&w);
    free(version);
    return r;
}

/* ---- snapshot, backup -------------------------------------------------------------------- */

/* A CLI export of DOMAIN into snapshot_dir/DOMAIN/NAME/backup.tar on SERVER. */
int
plesk_export_into(struct jiku_op *op, const struct jiku_server_info *server, const char *domain,
                  const char *name, char **dir, char **file, struct plug_digest *d,
                  struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    char step[300];
    int r;

    *file = NULL;
    if ((r = plesk_export_paths(srv, domain, name, NULL, dir, err)) != 0)
        return r;
    snprintf(step, sizeof(step), "export-%s", name);
    if ((r = plesk_cli_export(op, srv, domain, *dir, step, d, file, err)) != 0) {
        free(*dir);
        *dir = NULL;
    }
    return r;
}

static int
plesk_snapshot(struct jiku_op *op, struct jiku_err *err)
{
    const char *id = op->params->new_artifact_id, *domain;
    struct plug_digest d = {0};
    char *dir = NULL, *file = NULL;
    bool xml;
    int r;

    if ((r = plesk_target_domain(op, &domain, err)) != 0)
        return r;
    if (id == NULL || !plug_valid_component(id))
        return jiku_err_set(err, JIKU_E_INVAL, "snapshot without a valid artifact id");
    if ((r = use_backup_manager(op, &xml, err)) != 0)
        return r;
    if (xml) {
        long code = 0;

        r = plesk_xml_snapshot(op, domain, id, &file, &d, &code, err);
        if (r == JIKU_E_UNSUPPORTED && (code == 1014 || code == 1017)) {
            /* This Plesk has no backup-manager (or not for this protocol): the CLI it is. */
            remember_cli_only(op, code);
            jiku_err_clear(err);
            xml = false;
        } else if (r != 0) {
            return r;
        }
    }
    if (!xml && (r = plesk_export_into(op, NULL, domain, id, &dir, &file, &d, err)) != 0)
        return r;
    op->result->location = file;
    op->result->size = d.size;
    memcpy(op->result->sha256, d.sha256, sizeof(op->result->sha256));
    free(dir);
    return 0;
}

static int
plesk_backup(struct jiku_op *op, struct jiku_err *err)
{
    const char *id = op->params->new_artifact_id, *domain;
    struct plug_digest d = {0};
    struct jiku_xfer_result x;
    char *dir = NULL, *file = NULL, *local = NULL;
    int r;

    if ((r = plesk_target_domain(op, &domain, err)) != 0)
        return r;
    if (id == NULL || !plug_valid_component(id) || op->params->backup_dir == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "backup without an artifact id or backup_dir");
    if (plug_strfmt(&local, "%s/%s", op->params->backup_dir, PLESK_EXPORT_NAME) != 0)
        return plug_nomem(err);
    if ((r = plesk_export_into(op, NULL, domain, id, &dir, &file, &d, err)) != 0)
        goto out;
    r = plug_download(op, NULL, file, &d, local, &x, err);
    /* The export was only a means: the backup lives in backup_dir. */
    plug_remote_remove_quietly(op, NULL, dir);
    if (r != 0)
        goto out;
    op->result->backup_path = local;
    local = NULL;
    op->result->size = x.size;
    memcpy(op->result->md5, x.md5, sizeof(op->result->md5));
    memcpy(op->result->sha256, x.sha256, sizeof(op->result->sha256));
out:
    free(dir);
    free(file);
    free(local);
    return r;
}

/* ---- where an artifact lives --------------------------------------------------------------- */

/*
 * Check A->location against what this plugin makes for DOMAIN: an export
 * snapshot_dir/D/X/backup.tar (*DIR = snapshot_dir/D/X), or a repository file
 * dump_dir/…/domains/D/NAME (*NAME = NAME).  Anything else is refused.
 */
int
plesk_classify(struct jiku_op *op, const char *domain, const char *location,
               enum plesk_location *kind, char **dir, char **name, struct jiku_err *err)
{
    const struct jiku_server_info *srv = op->server;
    const char *dump_dir = plesk_settings(srv)->dump_dir;
    char *ddir = NULL, *tail = NULL;
    const char *rest, *slash;
    int r = 0;

    if (dir != NULL)
        *dir = NULL;
    if (name != NULL)
        *name = NULL;
    if ((r = plesk_export_paths(srv, domain, NULL, &ddir, NULL, err)) != 0)
        return r;
    if (plug_path_inside(location, ddir)) {
        rest = location + strlen(ddir) + 1;
        slash = strchr(rest, '/');
        if (slash == NULL || strcmp(slash + 1, PLESK_EXPORT_NAME) != 0)
            goto bad;
        *kind = PLESK_LOC_EXPORT;
        if (dir != NULL && (*dir = strndup(location, (size_t)(slash - location))) == NULL)
            r = plug_nomem(err);
        goto out;
    }
    if (plug_valid_path(dump_dir) && plug_path_inside(location, dump_dir)) {
        const char *base = strrchr(location, '/') + 1;

        if (plug_strfmt(&tail, "/domains/%s/%s", domain, base) != 0) {
            tail = NULL;
            r = plug_nomem(err);
            goto out;
        }
        if (strlen(location) <= strlen(tail) ||
            strcmp(location + strlen(location) - strlen(tail), tail) != 0 ||
            !plug_valid_component(base))
            goto bad;
        *kind = PLESK_LOC_REPOSITORY;
        if (name != NULL && (*name = strdup(base)) == NULL)
            r = plug_nomem(err);
        goto out;
    }
bad:
    r = jiku_err_set(err, JIKU_E_DATA,
                     "the catalog names '%s' for '%s': neither an export in "
                     "'%s' nor a file of its in dump_dir",
                     location, domain, ddir);
out:
    free(ddir);
    free(tail);
    return r;
}

static int
plesk_verify(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_artifact_ref *a = op->params->artifact;
    struct plug_digest d = {0};
    enum plesk_location kind;
    const char *domain;
    int r;

    if ((r = plesk_target_domain(op, &domain, err)) != 0)
        return r;
    if (a == NULL || a->location == NULL)
        return 0;
    if ((r = plesk_classify(op, domain, a->location, &kind, NULL, NULL, err)) != 0 ||
        (r = plug_remote_digest(op, NULL, a->location, false, &d, err)) != 0)
        return r;
    return plug_check_catalog(op, a, a->location, &d, err);
}

static int
plesk_prune(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_artifact_ref *a = op->params->artifact;
    enum plesk_location kind;
    char *dir = NULL, *name = NULL;
    const char *domain;
    int r;

    if ((r = plesk_target_domain(op, &domain, err)) != 0)
        return r;
    if (a == NULL || a->location == NULL)
        return 0;
    if ((r = plesk_classify(op, domain, a->location, &kind, &dir, &name, err)) != 0)
        return r;
    if (kind == PLESK_LOC_EXPORT)
        r = plug_remote_remove(op, NULL, dir, err);
    else
        r = plesk_xml_remove_file(op, domain, name, err);
    free(dir);
    free(name);
    return r;
}

/* ---- descriptor -------------------------------------------------------------------------- */

static const struct jiku_plugin_action plesk_actions[] = {
    {JIKU_VERB_PROBE, JIKU_KIND_SUBSCRIPTION, plesk_probe},
    {JIKU_VERB_SNAPSHOT, JIKU_KIND_SUBSCRIPTION, plesk_snapshot},
    {JIKU_VERB_BACKUP, JIKU_KIND_SUBSCRIPTION, plesk_backup},
    {JIKU_VERB_ROLLBACK, JIKU_KIND_SUBSCRIPTION, plesk_rollback},
    {JIKU_VERB_CLONE, JIKU_KIND_SUBSCRIPTION, plesk_clone},
    {JIKU_VERB_PRUNE, JIKU_KIND_SUBSCRIPTION, plesk_prune},
    {JIKU_VERB_VERIFY, JIKU_KIND_SUBSCRIPTION, plesk_verify},
    {JIKU_VERB_PROBE, JIKU_KIND_WORDPRESS, plesk_wp_probe},
    {JIKU_VERB_SNAPSHOT, JIKU_KIND_WORDPRESS, plesk_wp_snapshot},
    {JIKU_VERB_BACKUP, JIKU_KIND_WORDPRESS, plesk_wp_backup},
    {JIKU_VERB_ROLLBACK, JIKU_KIND_WORDPRESS, plesk_wp_rollback},
    {JIKU_VERB_STAGE, JIKU_KIND_WORDPRESS, plesk_wp_stage},
    {JIKU_VERB_UNSTAGE, JIKU_KIND_WORDPRESS, plesk_wp_unstage},
    {JIKU_VERB_PROMOTE, JIKU_KIND_WORDPRESS, plesk_wp_promote},
    {JIKU_VERB_CLONE, JIKU_KIND_WORDPRESS, plesk_wp_clone},
    {JIKU_VERB_PRUNE, JIKU_KIND_WORDPRESS, plesk_wp_prune},
    {JIKU_VERB_VERIFY, JIKU_KIND_WORDPRESS, plesk_wp_verify},
    {JIKU_VERB_UPDATE, JIKU_KIND_WORDPRESS, plesk_wp_update},
    {JIKU_VERB_USERS, JIKU_KIND_WORDPRESS, plesk_wp_users},
    {JIKU_VERB_DISCOVER, JIKU_KIND_SUBSCRIPTION, plesk_discover},
    {JIKU_VERB_MAIL, JIKU_KIND_SUBSCRIPTION, plesk_mail},
};

/* The XML API's credentials, whichever way a request or an answer carries them. */
static const char *const plesk_secret_headers[] = {"HTTP_AUTH_PASSWD", "KEY", NULL};

/* The [server] keys of Plesk servers (jiku-agent.conf(5)), and what they are when unset. */
static const char *const plesk_backup_choices[] = {"auto", "cli", "xml", NULL};
static const struct jiku_config_map plesk_server_map[] = {
    {"dump_dir", JIKU_CONFIG_PATH, "/var/lib/psa/dumps", 0, 0, NULL,
     offsetof(struct plesk_settings, dump_dir), "the server's Plesk backup repository"},
    {"plesk_backup", JIKU_CONFIG_CHOICE, "auto", 0, 0, plesk_backup_choices,
     offsetof(struct plesk_settings, backup),
     "how snapshots are made: the XML API's backup-manager, the pleskbackup CLI, or auto"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};
static const struct plesk_settings plesk_defaults = {"/var/lib/psa/dumps", "auto"};

const struct plesk_settings *
plesk_settings(const struct jiku_server_info *srv)
{
    return srv != NULL && srv->settings != NULL ? srv->settings : &plesk_defaults;
}

/*
 * What the core knows of Plesk (plugin.h; docs/WIRE.md §3.1): the panel's port, subscriptions by
 * domain, customers as owners, a login by password, its own keys.
 */
static const struct jiku_panel_facts plesk_facts = {
    .api_port = 8443,
    .owner_object = "subscription",
    .valid_account = jiku_valid_hostname,
    .account_syntax = "the domain of a Plesk subscription",
    .admin_login = "admin",
    .secret_headers = plesk_secret_headers,
    .secret_segments = NULL,
    .api_password = true,
    .server_map = plesk_server_map,
    .server_size = sizeof(struct plesk_settings),
};

static const struct jiku_plugin plesk_plugin = {
    .abi_version = JIKU_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jiku_plugin),
    .name = "plesk",
    .version = PLESK_PLUGIN_VERSION,
    .actions = plesk_actions,
    .n_actions = sizeof(plesk_actions) / sizeof(plesk_actions[0]),
    .open = plesk_open,
    .close = plesk_close,
    .facts = &plesk_facts,
};

JIKU_PLUGIN_EXPORT(plesk, plesk_plugin);
