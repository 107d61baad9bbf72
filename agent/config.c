/*
 * Loading the configuration (jiku-agent.conf(5)): the main file, then every conf.d/NAME.conf beside
 * it in byte order of their names, then the checks that need everything (references, kind against
 * panel, required keys), then the policy files of the tiers in use.  Every problem is collected;
 * the load fails when there was any error.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "config_int.h"
#include "jiku/buf.h"
#include "policy_set.h"

/* A required key that is neither set nor already reported as invalid. */
static bool
missing(const void *value, unsigned bad, int id)
{
    return value == NULL && (bad & (1u << id)) == 0;
}

/*
 * S's panel facts, from its plugin loaded (never opened) from plugin_dir once per panel.  A
 * built-in panel name whose plugin is missing or broken has none: its checks are then those of
 * a configuration without plugins, and the first command that needs the plugin says why.  Any
 * other name is a panel only when a plugin serves it.
 */
static void
find_facts(struct cfg_parse *p, struct jiku_server_conf *s, struct cfg_server_keys *sk)
{
    struct cfg_priv *priv = p->priv;
    struct jiku_loaded_plugin lp, *grown;
    struct jiku_err err = {0};
    int r;

    for (size_t i = 0; i < priv->n_panels; i++) {
        if (strcmp(priv->panels[i].desc.name, s->info.panel) == 0) {
            s->facts = priv->panels[i].desc.facts;
            return;
        }
    }
    if ((r = jiku_plugin_load_panel(p->cfg->plugin_dir, s->info.panel, &lp, &err)) == 0) {
        if ((grown = realloc(priv->panels, (priv->n_panels + 1) * sizeof(*grown))) == NULL) {
            jiku_plugin_unload(&lp);
            p->nomem = true;
            return;
        }
        priv->panels = grown;
        priv->panels[priv->n_panels++] = lp;
        s->facts = lp.desc.facts;
        return;
    }
    if (r == JIKU_E_NOMEM)
        p->nomem = true;
    if (r == JIKU_E_NOMEM || cfg_panel_builtin(s->info.panel))
        return;
    if (r == JIKU_E_NOTFOUND)
        cfg_panel_unknown(p, &sk->at[SK_PANEL], s->info.panel);
    else
        cfg_diag(p, true, &sk->at[SK_PANEL], "%s", err.msg);
    s->info.panel = NULL;
    sk->bad |= 1u << SK_PANEL;
}

static void
finish_servers(struct cfg_parse *p)
{
    for (size_t i = 0; i < p->cfg->n_servers; i++) {
        struct jiku_server_conf *s = &p->cfg->servers[i];
        const struct jiku_source *at = p->priv->server_keys[i].at;
        const char *name = s->info.name;
        unsigned bad;
        bool cpanel;

        if (s->info.panel != NULL)
            find_facts(p, s, &p->priv->server_keys[i]);
        bad = p->priv->server_keys[i].bad;
        if (missing(s->info.host, bad, SK_HOST))
            cfg_diag(p, true, &s->src, "[server %s] needs 'host'", name);
        if (missing(s->ssh_key, bad, SK_SSH_KEY))
            cfg_diag(p, true, &s->src, "[server %s] needs 'ssh_key'", name);
        if (missing(s->known_hosts, bad, SK_KNOWN_HOSTS))
            cfg_diag(p, true, &s->src, "[server %s] needs 'known_hosts'", name);
        if (s->info.panel == NULL) {
            if (missing(s->info.panel, bad, SK_PANEL))
                cfg_diag(p, true, &s->src, "[server %s] needs 'panel' (cpanel or plesk)", name);
            continue;
        }
        cpanel = strcmp(s->info.panel, "cpanel") == 0;
        if (at[SK_API_PORT].line == 0 && s->facts != NULL && s->facts->api_port != 0)
            s->info.api_port = s->facts->api_port;
        else if (at[SK_API_PORT].line == 0 && s->facts != NULL)
            cfg_diag(p, true, &s->src, "[server %s] needs 'api_port'", name);
        if (cpanel && s->api_password_file != NULL)
            cfg_diag(p, true, &at[SK_API_PASSWORD_FILE],
                     "api_password_file is for plesk servers; [server %s] is cpanel (use "
                     "api_token_file)",
                     name);
        else if (s->api_token_file != NULL && s->api_password_file != NULL)
            cfg_diag(p, true, &at[SK_API_PASSWORD_FILE],
                     "[server %s] has both api_token_file and api_password_file; set one", name);
        else if (missing(s->api_token_file, bad, SK_API_TOKEN_FILE) &&
                 missing(s->api_password_file, bad, SK_API_PASSWORD_FILE))
            cfg_diag(p, true, &s->src, "[server %s] needs api_token_file%s", name,
                     cpanel ? "" : " or api_password_file");
        if (cpanel && at[SK_DUMP_DIR].line != 0)
            cfg_diag(p, false, &at[SK_DUMP_DIR], "dump_dir applies to plesk servers only");
        if (cpanel && at[SK_PLESK_BACKUP].line != 0)
            cfg_diag(p, false, &at[SK_PLESK_BACKUP], "plesk_backup applies to plesk servers only");
        if (!cpanel && at[SK_SOFTACULOUS_PORT].line != 0)
            cfg_diag(p, false, &at[SK_SOFTACULOUS_PORT],
                     "softaculous_port applies to cpanel servers only");
        if (!cpanel && at[SK_PKGACCT_START_GRACE].line != 0)
            cfg_diag(p, false, &at[SK_PKGACCT_START_GRACE],
                     "pkgacct_start_grace applies to cpanel servers only");
    }
}

/* The panel each kind of target lives on; NULL: either. */
static const char *
kind_panel(enum jiku_target_kind kind)
{
    switch (kind) {
    case JIKU_KIND_ACCOUNT:
    case JIKU_KIND_SOFTACULOUS:
        return "cpanel";
    case JIKU_KIND_SUBSCRIPTION:
        return "plesk";
    default:
        return NULL;
    }
}

static void
finish_target(struct cfg_parse *p, struct jiku_target_conf *t, struct cfg_target_keys *tk)
{
    const struct jiku_retention *g = &p->cfg->retention;
    struct jiku_retention *r = &t->retention;
    const struct jiku_source *at = tk->at;
    const char *id = t->info.id, *panel = NULL, *need;
    size_t i;

    if (cfg_index_get(&p->priv->customers, t->info.customer, &i))
        t->customer = &p->cfg->customers[i];
    else
        cfg_diag(p, true, &t->src, "[target %s]: no [customer %s] section", id, t->info.customer);
    if (tk->server_name != NULL) {
        if (cfg_index_get(&p->priv->servers, tk->server_name, &i)) {
            t->server = &p->cfg->servers[i];
            panel = t->server->info.panel;
        } else {
            cfg_diag(p, true, &at[TK_SERVER], "unknown server '%s' in [target %s]", tk->server_name,
                     id);
        }
    } else if (missing(tk->server_name, tk->bad, TK_SERVER)) {
        cfg_diag(p, true, &t->src, "[target %s] needs 'server'", id);
    }
    if (at[TK_KIND].line == 0)
        cfg_diag(p, true, &t->src, "[target %s] needs 'kind'", id);
    if (missing(t->info.account, tk->bad, TK_ACCOUNT))
        cfg_diag(p, true, &t->src, "[target %s] needs 'account'", id);
    if (t->info.kind == JIKU_KIND_WORDPRESS || t->info.kind == JIKU_KIND_SOFTACULOUS) {
        if (missing(t->info.domain, tk->bad, TK_DOMAIN))
            cfg_diag(p, true, &t->src, "[target %s] needs 'domain' (kind %s)", id,
                     jiku_kind_name(t->info.kind));
    }
    /* WP Toolkit's table modes: Softaculous pushes every table or none. */
    if (t->info.kind == JIKU_KIND_SOFTACULOUS && at[TK_PROMOTE_DB].line != 0 &&
        strcmp(t->info.promote_db, "default") == 0)
        cfg_diag(p, true, &at[TK_PROMOTE_DB],
                 "promote_db = default is a WordPress table mode; a softaculous target "
                 "promotes all tables or none");
    if (panel != NULL && t->info.kind != JIKU_KIND_COUNT) {
        need = kind_panel(t->info.kind);
        if (need != NULL && strcmp(need, panel) != 0)
            cfg_diag(p, true, &at[TK_KIND], "kind %s needs a %s server; '%s' is %s",
                     jiku_kind_name(t->info.kind), need, t->server->info.name, panel);
    }
    if (panel != NULL && t->info.account != NULL &&
        !jiku_server_account_ok(t->server, t->info.account))
        cfg_diag(p, true, &at[TK_ACCOUNT], "invalid account '%s': expected %s", t->info.account,
                 t->server->facts->account_syntax);
    r->keep_last = r->keep_last >= 0 ? r->keep_last : g->keep_last;
    r->keep_daily = r->keep_daily >= 0 ? r->keep_daily : g->keep_daily;
    r->keep_weekly = r->keep_weekly >= 0 ? r->keep_weekly : g->keep_weekly;
    r->keep_monthly = r->keep_monthly >= 0 ? r->keep_monthly : g->keep_monthly;
    r->keep_safety = r->keep_safety >= 0 ? r->keep_safety : g->keep_safety;
    r->keep_on_server = r->keep_on_server >= 0 ? r->keep_on_server : g->keep_on_server;
}

/*
 * The policy files of the tiers in use.  A tier without a file is reported at each customer
 * that names it (the policy loader only knows the tier), and only the files that exist are
 * handed on, so that the policy loader's diagnostics are about their content.
 */
static int
load_policies(struct cfg_parse *p, struct jiku_err *err)
{
    struct jiku_config *cfg = p->cfg;
    const char **tiers = NULL;
    bool *present = NULL;
    size_t n_tiers = 0, n_present = 0, errors;
    struct jiku_buf path = JIKU_BUF_INIT;
    struct stat st;
    int r = 0;

    if ((tiers = calloc(cfg->n_customers + 1, sizeof(*tiers))) == NULL ||
        (present = calloc(cfg->n_customers + 1, sizeof(*present))) == NULL) {
        r = JIKU_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < cfg->n_customers; i++) {
        const struct jiku_customer_conf *c = &cfg->customers[i];
        size_t t;

        if (c->tier == NULL) {
            if (missing(c->tier, p->priv->customer_keys[i].bad, CK_TIER))
                cfg_diag(p, true, &c->src, "[customer %s] needs 'tier'", c->name);
            continue;
        }
        for (t = 0; t < n_tiers && strcmp(tiers[t], c->tier) != 0; t++)
            ;
        if (t == n_tiers) {
            jiku_buf_reset(&path);
            if (jiku_buf_addf(&path, "%s/%s.policy", cfg->policy_dir, c->tier) != 0) {
                r = JIKU_E_NOMEM;
                goto out;
            }
            tiers[n_tiers] = c->tier;
            present[n_tiers++] = stat(path.data, &st) == 0 && S_ISREG(st.st_mode);
        }
        if (!present[t])
            cfg_diag(p, true, &p->priv->customer_keys[i].at[CK_TIER],
                     "customer '%s': no policy file for tier '%s' ('%s/%s.policy')", c->name,
                     c->tier, cfg->policy_dir, c->tier);
    }
    for (size_t t = 0; t < n_tiers; t++)
        if (present[t])
            tiers[n_present++] = tiers[t];
    tiers[n_present] = NULL;
    errors = p->diags->n_errors;
    if (jiku_policy_set_load(cfg->policy_dir, tiers, &cfg->policies, p->diags, err) != 0 &&
        p->diags->n_errors == errors) {
        struct jiku_source at = {cfg->policy_dir, 0};

        /* the policy loader reports in DIAGS; a failure it did not report must still count */
        cfg_diag(p, true, &at, "%s", err != NULL ? err->msg : "cannot load the policy files");
    }
out:
    free(tiers);
    free(present);
    jiku_buf_release(&path);
    return r;
}

static int
finish(struct cfg_parse *p, struct jiku_err *err)
{
    finish_servers(p);
    for (size_t i = 0; i < p->cfg->n_targets; i++)
        finish_target(p, &p->cfg->targets[i], &p->priv->target_keys[i]);
    return load_policies(p, err);
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every conf.d/NAME.conf in byte order of the names; a missing conf.d is an empty one. */
static void
read_conf_dir(struct cfg_parse *p)
{
    const char *dir = p->cfg->conf_dir;
    struct jiku_source at = {dir, 0};
    struct jiku_buf path = JIKU_BUF_INIT;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    DIR *d;

    if ((d = opendir(dir)) == NULL) {
        if (errno != ENOENT)
            cfg_diag(p, true, &at, "cannot read directory: %s", strerror(errno));
        return;
    }
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);

        if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap ? cap * 2 : 16) * sizeof(*names));

            if (nn == NULL)
                goto nomem;
            names = nn;
            cap = cap ? cap * 2 : 16;
        }
        if ((names[n] = strdup(de->d_name)) == NULL)
            goto nomem;
        n++;
    }
    if (n > 0)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n && !p->nomem; i++) {
        jiku_buf_reset(&path);
        if (jiku_buf_addf(&path, "%s/%s", dir, names[i]) != 0)
            goto nomem;
        cfg_read_file(p, path.data);
    }
    goto out;
nomem:
    p->nomem = true;
out:
    closedir(d);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    jiku_buf_release(&path);
}

int
jiku_config_load(const char *path, unsigned flags, struct jiku_config **out,
                 struct jiku_diags *diags, struct jiku_err *err)
{
    struct jiku_diags local = {0};
    struct cfg_parse p = {0};
    struct jiku_config *cfg = NULL;
    const char *slash;
    size_t first_diag, errors_before;
    int r = 0;

    *out = NULL;
    if (diags == NULL)
        diags = &local;
    first_diag = diags->n;
    errors_before = diags->n_errors;
    if (path == NULL && ((path = getenv("JIKU_AGENT_CONFIG")) == NULL || *path == '\0'))
        path = JIKU_DEFAULT_CONFIG;
    if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
        (cfg->priv = calloc(1, sizeof(struct cfg_priv))) == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    p.cfg = cfg;
    p.priv = cfg->priv;
    p.diags = diags;
    p.flags = flags;
    slash = strrchr(path, '/');
    cfg->main_file = cfg_intern(&p, path);
    if (slash == NULL)
        cfg->conf_dir = cfg_intern(&p, "conf.d");
    else
        cfg->conf_dir = cfg_intern_fmt(&p, "%.*s/conf.d", (int)(slash - path), path);
    if (cfg_set_defaults(&p) != 0 || cfg->main_file == NULL || cfg->conf_dir == NULL)
        goto nomem;

    cfg_read_file(&p, path);
    if (p.priv->n_files == 1)
        read_conf_dir(&p);
    if (p.nomem)
        goto nomem;
    if (p.priv->n_files > 0 && (r = finish(&p, err)) != 0)
        goto out;
    if (p.nomem)
        goto nomem;
    if (diags->n_errors > errors_before) {
        const char *first = jiku_diags_first_error(diags, first_diag);

        r = jiku_err_set(err, JIKU_E_CONFIG, "%s", first != NULL ? first : "configuration error");
        goto out;
    }
    *out = cfg;
    cfg = NULL;
    goto out;
nomem:
    r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory while reading the configuration");
out:
    jiku_config_free(cfg);
    jiku_diags_release(&local);
    return r;
}

void
jiku_config_free(struct jiku_config *cfg)
{
    struct cfg_priv *priv;

    if (cfg == NULL)
        return;
    priv = cfg->priv;
    for (size_t i = 0; i < cfg->n_customers; i++)
        free(cfg->customers[i].overrides);
    free(cfg->servers);
    free(cfg->customers);
    free(cfg->targets);
    jiku_policy_set_free(cfg->policies);
    if (priv != NULL) {
        cfg_strings_release(&priv->strs);
        cfg_index_release(&priv->servers);
        cfg_index_release(&priv->customers);
        cfg_index_release(&priv->targets);
        free(priv->server_keys);
        free(priv->customer_keys);
        free(priv->target_keys);
        for (size_t i = 0; i < priv->n_panels; i++)
            jiku_plugin_unload(&priv->panels[i]);
        free(priv->panels);
        free(priv);
    }
    free(cfg);
}

const struct jiku_server_conf *
jiku_config_server(const struct jiku_config *cfg, const char *name)
{
    size_t i;

    if (cfg == NULL || !cfg_index_get(&((struct cfg_priv *)cfg->priv)->servers, name, &i))
        return NULL;
    return &cfg->servers[i];
}

const struct jiku_customer_conf *
jiku_config_customer(const struct jiku_config *cfg, const char *name)
{
    size_t i;

    if (cfg == NULL || !cfg_index_get(&((struct cfg_priv *)cfg->priv)->customers, name, &i))
        return NULL;
    return &cfg->customers[i];
}

const struct jiku_target_conf *
jiku_config_target(const struct jiku_config *cfg, const char *id)
{
    size_t i;

    if (cfg == NULL || !cfg_index_get(&((struct cfg_priv *)cfg->priv)->targets, id, &i))
        return NULL;
    return &cfg->targets[i];
}
