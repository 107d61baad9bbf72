/*
 * Loading the configuration (jiku-agent.conf(5)): the main file, then every conf.d/NAME.conf beside
 * it in byte order of their names, then the checks that need everything (references, kind against
 * panel, required keys), then the policy files of the tiers in use.  Every problem is collected;
 * the load fails when there was any error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_int.h"
#include "jiku/buf.h"
#include "paths.h"
#include "policy_set.h"

/* A required key that is neither set nor already reported as invalid. */
static bool
missing(const void *value, unsigned bad, int id)
{
    return value == NULL && (bad & (1u << id)) == 0;
}

/*
 * The panels.  A server's panel is the plugin of that name, built in or in plugin_dir, loaded
 * (never opened) once for its facts and kept while the configuration lives: its maps then say
 * which of the section's other keys it takes.  Messages that name the panels there are load
 * every plugin first.  A packaged panel whose plugin is not installed is only a warning: its
 * servers' own keys are not checked, and the first command that needs the plugin says why.
 */

/* Keep LP (loaded) among the panels if its maps are usable; else report at AT, if given. */
static struct jiku_loaded_plugin *
add_panel(struct cfg_parse *p, struct jiku_loaded_plugin *lp, const struct jiku_source *at)
{
    const struct jiku_panel_facts *f = lp->desc.facts;
    struct cfg_priv *priv = p->priv;
    struct jiku_loaded_plugin **grown, *kept = NULL;
    char why[160];

    if (f != NULL &&
        (!cfg_map_usable(f->server_map, f->server_size, CS_SERVER, why, sizeof(why)) ||
         !cfg_map_usable(f->target_map, f->target_size, CS_TARGET, why, sizeof(why)))) {
        if (at != NULL)
            cfg_diag(p, true, at, "plugin '%s' cannot be used: its %s", lp->desc.name, why);
        goto out;
    }
    if ((grown = realloc(priv->panels, (priv->n_panels + 1) * sizeof(*grown))) == NULL) {
        p->nomem = true;
        goto out;
    }
    priv->panels = grown;
    if ((kept = malloc(sizeof(*kept))) == NULL) {
        p->nomem = true;
        goto out;
    }
    *kept = *lp;
    *lp = (struct jiku_loaded_plugin){.fd = -1};
    priv->panels[priv->n_panels++] = kept;
out:
    jiku_plugin_unload(lp);
    return kept;
}

static void panel_unknown(struct cfg_parse *p, const struct jiku_source *at, const char *panel);

/* Whether NAME is a panel whose plugin comes in its own package (jiku-agent-plugin-NAME). */
static bool
packaged(const char *name)
{
    const char *list = JIKU_PACKAGED_PANELS, *at;
    size_t n = strlen(name);

    for (at = strstr(list, name); at != NULL; at = strstr(at + 1, name))
        if ((at == list || at[-1] == ' ') && (at[n] == ' ' || at[n] == '\0'))
            return true;
    return false;
}

/* Why a panel has no plugin to read its keys with. */
enum panel_miss {
    PANEL_UNKNOWN, /* no plugin serves the name: an error */
    PANEL_ABSENT,  /* a packaged panel whose package is not installed: a warning */
    PANEL_BROKEN,  /* a plugin that does not load, or whose maps cannot be used: an error */
};

/* Remember that NAME's plugin did not load (panel_get). */
static void
missed(struct cfg_parse *p, const char *name)
{
    struct cfg_priv *priv = p->priv;
    const char **grown;

    for (size_t i = 0; i < priv->n_missed_panels; i++)
        if (strcmp(priv->missed_panels[i], name) == 0)
            return;
    if ((grown = realloc(priv->missed_panels, (priv->n_missed_panels + 1) * sizeof(*grown))) ==
            NULL ||
        (grown[priv->n_missed_panels] = cfg_intern(p, name)) == NULL) {
        if (grown != NULL)
            priv->missed_panels = grown;
        p->nomem = true;
        return;
    }
    priv->missed_panels = grown;
    priv->n_missed_panels++;
}

/*
 * The plugin of panel NAME; NULL after reporting at AT (if given) why there is none, which
 * *MISS (if given) says.
 */
static const struct jiku_loaded_plugin *
panel_get(struct cfg_parse *p, const char *name, const struct jiku_source *at,
          enum panel_miss *miss)
{
    const struct jiku_loaded_plugin *kept;
    enum panel_miss why = PANEL_BROKEN;
    struct jiku_loaded_plugin lp;
    struct jiku_err err = {0};
    int r;

    for (size_t i = 0; i < p->priv->n_panels; i++)
        if (strcmp(p->priv->panels[i]->desc.name, name) == 0)
            return p->priv->panels[i];
    for (size_t i = 0; at == NULL && i < p->priv->n_missed_panels; i++)
        if (strcmp(p->priv->missed_panels[i], name) == 0)
            return NULL;
    if ((r = jiku_plugin_load_panel(p->cfg->plugin_dir, name, &lp, &err)) == 0) {
        if ((kept = add_panel(p, &lp, at)) != NULL)
            return kept;
    } else if (r == JIKU_E_NOTFOUND && packaged(name)) {
        why = PANEL_ABSENT;
        if (at != NULL)
            cfg_diag(p, false, at,
                     "%s: install jiku-agent-plugin-%s; until then its own keys "
                     "are not checked",
                     err.msg, name);
    } else if (r == JIKU_E_NOMEM) {
        p->nomem = true;
    } else if (r == JIKU_E_NOTFOUND || r == JIKU_E_INVAL) {
        why = PANEL_UNKNOWN;
        if (at != NULL)
            panel_unknown(p, at, name);
    } else if (at != NULL) {
        cfg_diag(p, true, at, "%s", err.msg);
    }
    if (miss != NULL)
        *miss = why;
    missed(p, name);
    return NULL;
}

static void
load_each(const struct jiku_loaded_plugin *lp, const char *error, void *arg)
{
    if (error == NULL)
        panel_get(arg, lp->desc.name, NULL, NULL);
}

/* Every panel there is; the ones that cannot be used are left out quietly here. */
static void
load_all_panels(struct cfg_parse *p)
{
    struct jiku_plugins *all;

    if (p->priv->all_panels)
        return;
    p->priv->all_panels = true;
    if ((all = jiku_plugins_new(p->cfg->plugin_dir)) == NULL) {
        p->nomem = true;
        return;
    }
    jiku_plugins_each(all, load_each, p);
    jiku_plugins_free(all);
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef bool panel_pred(const struct jiku_loaded_plugin *lp, const void *arg);

/* "a, b or c": every panel for which PRED(ARG) holds (NULL: every panel) into BUF; "" if none. */
static const char *
panels_where(struct cfg_parse *p, panel_pred *pred, const void *arg, char *buf, size_t len)
{
    const char **names;
    size_t n = 0;

    buf[0] = '\0';
    load_all_panels(p);
    if ((names = calloc(p->priv->n_panels + 1, sizeof(*names))) == NULL) {
        p->nomem = true;
        return buf;
    }
    for (size_t i = 0; i < p->priv->n_panels; i++)
        if (pred == NULL || pred(p->priv->panels[i], arg))
            names[n++] = p->priv->panels[i]->desc.name;
    qsort(names, n, sizeof(*names), cmp_names);
    cfg_join_or(names, buf, len);
    free(names);
    return buf;
}

static bool
takes_password(const struct jiku_loaded_plugin *lp, const void *arg)
{
    (void)arg;
    return lp->desc.facts != NULL && lp->desc.facts->api_password;
}

static bool
has_server_key(const struct jiku_loaded_plugin *lp, const void *key)
{
    return lp->desc.facts != NULL && cfg_map_find(lp->desc.facts->server_map, key) != NULL;
}

static bool
has_target_key(const struct jiku_loaded_plugin *lp, const void *key)
{
    return lp->desc.facts != NULL && cfg_map_find(lp->desc.facts->target_map, key) != NULL;
}

/* Whether LP's action table names the kind *ARG: its panel serves such targets. */
static bool
serves_kind(const struct jiku_loaded_plugin *lp, const void *arg)
{
    enum jiku_target_kind kind = *(const enum jiku_target_kind *)arg;

    for (size_t i = 0; i < lp->desc.n_actions; i++)
        if (lp->desc.actions[i].kind == kind)
            return true;
    return false;
}

/* "invalid panel 'X': expected ..." at AT, for a panel no plugin serves. */
static void
panel_unknown(struct cfg_parse *p, const struct jiku_source *at, const char *panel)
{
    char list[256];

    if (panels_where(p, NULL, NULL, list, sizeof(list))[0] != '\0')
        cfg_diag(p, true, at, "invalid panel '%s': expected %s", panel, list);
    else
        cfg_diag(p, true, at, "invalid panel '%s': no panel plugin in '%s'", panel,
                 p->cfg->plugin_dir);
}

/* "unknown key" for K of a [server] (IN_SERVER) or [target], near a key of the core or a panel. */
static void
unknown_panel_key(struct cfg_parse *p, const struct cfg_panel_key *k, bool in_server,
                  const char *label)
{
    enum cfg_section sect = in_server ? CS_SERVER : CS_TARGET;
    struct jiku_near near = JIKU_NEAR_INIT(k->key);

    cfg_near_key(sect, &near);
    load_all_panels(p);
    for (size_t i = 0; i < p->priv->n_panels; i++) {
        const struct jiku_panel_facts *f = p->priv->panels[i]->desc.facts;
        const struct jiku_config_map *m = f == NULL   ? NULL
                                          : in_server ? f->server_map
                                                      : f->target_map;

        for (; m != NULL && m->name != NULL; m++)
            jiku_near_try(&near, m->name);
    }
    cfg_unknown_key(p, &k->at, sect, label, &near);
}

/*
 * The keys of KEYS that OWN (the section's panel's map) does not have: a warning when another
 * panel's map has them (IN_SERVER: its [server] map, else its [target] map), else unknown.
 */
static void
foreign_keys(struct cfg_parse *p, const struct jiku_config_map *own,
             const struct cfg_panel_keys *keys, bool in_server, const char *label)
{
    char list[256];

    for (size_t i = 0; i < keys->n; i++) {
        const struct cfg_panel_key *k = &keys->items[i];

        if (cfg_map_find(own, k->key) != NULL)
            continue;
        if (panels_where(p, in_server ? has_server_key : has_target_key, k->key, list,
                         sizeof(list))[0] == '\0')
            unknown_panel_key(p, k, in_server, label);
        else if (in_server)
            cfg_diag(p, false, &k->at, "%s applies to %s servers only", k->key, list);
        else
            cfg_diag(p, false, &k->at, "%s applies to targets on %s servers only", k->key, list);
    }
}

/*
 * The keys of KEYS in a section whose panel is unknown: each is checked as the first panel
 * whose map has it reads it, so that one config check reports all it can; else it is unknown.
 */
static void
orphan_keys(struct cfg_parse *p, const struct cfg_panel_keys *keys, bool in_server,
            const char *label)
{
    if (keys->n > 0)
        load_all_panels(p);
    for (size_t i = 0; i < keys->n; i++) {
        const struct cfg_panel_key *k = &keys->items[i];
        const struct jiku_config_map *m = NULL;

        for (size_t j = 0; j < p->priv->n_panels && m == NULL; j++) {
            const struct jiku_panel_facts *f = p->priv->panels[j]->desc.facts;

            if (f != NULL)
                m = cfg_map_find(in_server ? f->server_map : f->target_map, k->key);
        }
        if (m != NULL)
            cfg_map_check(p, m, k);
        else
            unknown_panel_key(p, k, in_server, label);
    }
}

/* One API secret, of the kinds the panel takes (a password too, when PASSWORD). */
static void
check_secrets(struct cfg_parse *p, const struct jiku_server_conf *s,
              const struct cfg_server_keys *sk, bool password)
{
    const char *name = s->info.name;

    if (s->api_token_file != NULL && s->api_password_file != NULL)
        cfg_diag(p, true, &sk->at[SK_API_PASSWORD_FILE],
                 "[server %s] has both api_token_file and api_password_file; set one", name);
    else if (missing(s->api_token_file, sk->bad, SK_API_TOKEN_FILE) &&
             missing(s->api_password_file, sk->bad, SK_API_PASSWORD_FILE))
        cfg_diag(p, true, &s->src, "[server %s] needs api_token_file%s", name,
                 password ? " or api_password_file" : "");
}

static void
finish_server(struct cfg_parse *p, struct jiku_server_conf *s, struct cfg_server_keys *sk)
{
    static const struct jiku_panel_facts no_facts;
    const struct jiku_source *at = sk->at;
    const struct jiku_loaded_plugin *lp = NULL;
    const struct jiku_panel_facts *f;
    const char *name = s->info.name;
    enum panel_miss miss = PANEL_UNKNOWN;
    char list[256], label[160];
    void *settings;

    snprintf(label, sizeof(label), "[server %s]", name);
    if (s->info.panel != NULL && (lp = panel_get(p, s->info.panel, &at[SK_PANEL], &miss)) == NULL &&
        miss != PANEL_ABSENT) {
        s->info.panel = NULL;
        sk->bad |= 1u << SK_PANEL;
    }
    if (missing(s->info.host, sk->bad, SK_HOST))
        cfg_diag(p, true, &s->src, "[server %s] needs 'host'", name);
    if (missing(s->ssh_key, sk->bad, SK_SSH_KEY))
        cfg_diag(p, true, &s->src, "[server %s] needs 'ssh_key'", name);
    if (missing(s->known_hosts, sk->bad, SK_KNOWN_HOSTS))
        cfg_diag(p, true, &s->src, "[server %s] needs 'known_hosts'", name);
    if (lp == NULL && miss == PANEL_ABSENT)
        check_secrets(p, s, sk, true);
    if (lp == NULL && miss == PANEL_UNKNOWN) {
        if (missing(s->info.panel, sk->bad, SK_PANEL) &&
            panels_where(p, NULL, NULL, list, sizeof(list))[0] != '\0')
            cfg_diag(p, true, &s->src, "[server %s] needs 'panel' (%s)", name, list);
        else if (missing(s->info.panel, sk->bad, SK_PANEL))
            cfg_diag(p, true, &s->src, "[server %s] needs 'panel'", name);
        orphan_keys(p, &sk->panel, true, label);
    }
    /* an absent or broken plugin's keys are not checked: the panel line says why */
    if (lp == NULL)
        return;
    s->facts = lp->desc.facts;
    f = s->facts != NULL ? s->facts : &no_facts;
    if (at[SK_API_PORT].line == 0 && f->api_port != 0)
        s->info.api_port = f->api_port;
    else if (at[SK_API_PORT].line == 0)
        cfg_diag(p, true, &s->src, "[server %s] needs 'api_port'", name);
    if (!f->api_password && s->api_password_file != NULL &&
        panels_where(p, takes_password, NULL, list, sizeof(list))[0] != '\0')
        cfg_diag(p, true, &at[SK_API_PASSWORD_FILE],
                 "api_password_file is for %s servers; [server %s] is %s (use api_token_file)",
                 list, name, s->info.panel);
    else if (!f->api_password && s->api_password_file != NULL)
        cfg_diag(p, true, &at[SK_API_PASSWORD_FILE],
                 "[server %s] is %s, which takes api_token_file, not api_password_file", name,
                 s->info.panel);
    else
        check_secrets(p, s, sk, f->api_password);
    if (cfg_map_fill(p, f->server_map, f->server_size, &sk->panel, &settings) != 0)
        return;
    s->info.settings = settings;
    foreign_keys(p, f->server_map, &sk->panel, true, label);
}

static void
finish_servers(struct cfg_parse *p)
{
    for (size_t i = 0; i < p->cfg->n_servers; i++)
        finish_server(p, &p->cfg->servers[i], &p->priv->server_keys[i]);
}

/*
 * What the update and nightly keys of T say, against its kind: only the components the kind
 * has, and update keys or a nightly update only where there are updates at all.  Unset
 * components are every one the kind has.
 */
static void
finish_target_updates(struct cfg_parse *p, struct jiku_target_conf *t, const struct jiku_source *at)
{
    static const int update_keys[] = {TK_UPDATE,      TK_UPDATE_CORE, TK_UPDATE_EXCLUDE,
                                      TK_HEALTH_PATH, TK_HEALTH_TEXT, TK_HEALTH_TIMEOUT};
    unsigned has;

    if (t->info.kind == JIKU_KIND_COUNT)
        return; /* no kind: said already */
    has = jiku_kind_update_components(t->info.kind);
    if (has == 0) {
        for (size_t i = 0; i < sizeof(update_keys) / sizeof(update_keys[0]); i++)
            if (at[update_keys[i]].line != 0)
                cfg_diag(p, true, &at[update_keys[i]], "%s targets have no updates",
                         jiku_kind_name(t->info.kind));
        for (size_t i = 0; i < t->n_nightly; i++)
            if (t->nightly[i] == JIKU_VERB_UPDATE)
                cfg_diag(p, true, &at[TK_NIGHTLY], "nightly = update: %s targets have no updates",
                         jiku_kind_name(t->info.kind));
        return;
    }
    if (t->update.components == 0) {
        t->update.components = has;
    } else if ((t->update.components & ~has) != 0) {
        struct jiku_buf names = JIKU_BUF_INIT;

        for (int c = 0; c < JIKU_UPDATE_COMPONENT_COUNT; c++)
            if ((has & JIKU_UPDATE_BIT(c)) &&
                jiku_buf_addf(&names, "%s%s", names.len > 0 ? ", " : "",
                              jiku_update_component_names[c]) != 0)
                p->nomem = true;
        cfg_diag(p, true, &at[TK_UPDATE], "invalid update for a %s target: it has only %s",
                 jiku_kind_name(t->info.kind), names.data);
        jiku_buf_release(&names);
    }
}

/* The target's own keys of its panel, and whether that panel serves its kind. */
static void
finish_target_panel(struct cfg_parse *p, struct jiku_target_conf *t, struct cfg_target_keys *tk)
{
    const struct jiku_server_conf *s = t->server;
    const struct jiku_loaded_plugin *lp = panel_get(p, s->info.panel, NULL, NULL);
    const struct jiku_config_map *map = s->facts != NULL ? s->facts->target_map : NULL;
    enum jiku_target_kind kind = t->info.kind;
    char list[256], label[160];
    void *settings;

    if (lp == NULL)
        return;
    if (kind != JIKU_KIND_COUNT && !serves_kind(lp, &kind)) {
        if (panels_where(p, serves_kind, &kind, list, sizeof(list))[0] != '\0')
            cfg_diag(p, true, &tk->at[TK_KIND], "kind %s needs a %s server; '%s' is %s",
                     jiku_kind_name(kind), list, s->info.name, s->info.panel);
        else
            cfg_diag(p, true, &tk->at[TK_KIND], "kind %s is served by no panel plugin; '%s' is %s",
                     jiku_kind_name(kind), s->info.name, s->info.panel);
    }
    if (cfg_map_fill(p, map, s->facts != NULL ? s->facts->target_size : 0, &tk->panel, &settings) !=
        0)
        return;
    t->info.settings = settings;
    snprintf(label, sizeof(label), "[target %s]", t->info.id);
    foreign_keys(p, map, &tk->panel, false, label);
}

static void
finish_target(struct cfg_parse *p, struct jiku_target_conf *t, struct cfg_target_keys *tk)
{
    const struct jiku_retention *g = &p->cfg->retention;
    struct jiku_retention *r = &t->retention;
    const struct jiku_source *at = tk->at;
    const char *id = t->info.id, *panel = NULL;
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
    if (jiku_kind_is_application(t->info.kind) && missing(t->info.domain, tk->bad, TK_DOMAIN))
        cfg_diag(p, true, &t->src, "[target %s] needs 'domain' (kind %s)", id,
                 jiku_kind_name(t->info.kind));
    if (t->info.kind != JIKU_KIND_COUNT && !jiku_kind_default_tables(t->info.kind) &&
        at[TK_PROMOTE_DB].line != 0 && strcmp(t->info.promote_db, "default") == 0)
        cfg_diag(p, true, &at[TK_PROMOTE_DB],
                 "promote_db = default is a WordPress table mode; a %s target promotes all "
                 "tables or none",
                 jiku_kind_name(t->info.kind));
    finish_target_updates(p, t, at);
    /* a server without a usable panel said why at its panel line; its targets' keys wait */
    if (panel != NULL) {
        finish_target_panel(p, t, tk);
    } else if (t->server == NULL) {
        char label[160];

        snprintf(label, sizeof(label), "[target %s]", id);
        orphan_keys(p, &tk->panel, false, label);
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
 * "; the tiers there are high, low or medium" for a customer whose tier has no file: filled
 * into KNOWN on first use, "" when policy_dir holds no tier or cannot be read.
 */
static const char *
tier_list(struct cfg_parse *p, struct jiku_buf *known)
{
    char **names = NULL, list[256];
    size_t n = 0;
    int r;

    if (known->len > 0)
        return known->data;
    if ((r = jiku_policy_tiers(p->cfg->policy_dir, &names, &n)) == 0 && n > 0)
        r = jiku_buf_addf(known, "; the %s there %s %s", n == 1 ? "only tier" : "tiers",
                          n == 1 ? "is" : "are",
                          cfg_join_or((const char *const *)names, list, sizeof(list)));
    if (r == JIKU_E_NOMEM)
        p->nomem = true;
    jiku_policy_tiers_free(names, n);
    return known->len > 0 ? known->data : "";
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
    struct jiku_buf path = JIKU_BUF_INIT, known = JIKU_BUF_INIT;
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
                     "customer '%s': no policy file for tier '%s' ('%s/%s.policy')%s", c->name,
                     c->tier, cfg->policy_dir, c->tier, tier_list(p, &known));
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
    jiku_buf_release(&known);
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

/* The length of the blanks at S (at most N bytes). */
static size_t
blanks(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

/* Whether the LEN bytes at LINE start a "[customer NAME]" header as config_lines.c reads one. */
static bool
is_customer_header(const char *line, size_t len, const char *name)
{
    size_t i = 1, k, n = strlen(name);

    if (len == 0 || line[0] != '[')
        return false;
    i += blanks(line + i, len - i);
    if (len - i < 8 || memcmp(line + i, "customer", 8) != 0)
        return false;
    i += 8;
    if ((k = blanks(line + i, len - i)) == 0)
        return false;
    i += k;
    if (len - i < n || memcmp(line + i, name, n) != 0)
        return false;
    i += n;
    i += blanks(line + i, len - i);
    return i < len && line[i] == ']';
}

/*
 * Whether the file at PATH may hold [customer NAME]: a scan of its raw lines, far cheaper than
 * reading it (jiku_config_load_customer skips the files of a fleet's other customers).  A file
 * that cannot be read says yes: reading it then reports why.
 */
static bool
may_hold_customer(const char *path, const char *name)
{
    char *text = NULL;
    bool found = true;
    size_t len = 0, cap;
    struct stat st;
    ssize_t n;
    int fd;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return true;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        goto out;
    /*
     * One byte more than its size: a single read() for a file that does not grow meanwhile
     * (a regular file's read() returns less than asked only at its end).
     */
    cap = (size_t)st.st_size + 1;
    for (;;) {
        char *grown;

        if (len == cap) {
            cap *= 2;
            if ((grown = realloc(text, cap)) == NULL)
                goto out;
            text = grown;
        } else if (text == NULL && (text = malloc(cap)) == NULL) {
            goto out;
        }
        if ((n = read(fd, text + len, cap - len)) < 0 && errno != EINTR)
            goto out;
        if (n == 0)
            break;
        len += n > 0 ? (size_t)n : 0;
        if (n > 0 && len < cap)
            break;
    }
    found = false;
    for (const char *s = text, *end = text + len; s != NULL && s < end && !found;) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n_line = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);

        if (s == text && n_line >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
            found = is_customer_header(s + 3, n_line - 3, name);
        else
            found = is_customer_header(s, n_line, name);
        s = nl != NULL ? nl + 1 : NULL;
    }
out:
    close(fd);
    free(text);
    return found;
}

/*
 * Every conf.d/NAME.conf in byte order of the names; a missing conf.d is an empty one.  For one
 * customer's decision (P->only), only the files that may hold its section.
 */
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
        if (p->only == NULL || may_hold_customer(path.data, p->only))
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

/* jiku_config_load, or jiku_config_load_customer when ONLY names the customer. */
static int
load(const char *path, unsigned flags, const char *only, struct jiku_config **out,
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
    p.only = only;
    slash = strrchr(path, '/');
    cfg->main_file = cfg_intern(&p, path);
    if (slash == NULL)
        cfg->conf_dir = cfg_intern(&p, "conf.d");
    else
        cfg->conf_dir = cfg_intern_fmt(&p, "%.*s/conf.d", (int)(slash - path), path);
    if (cfg_set_defaults(&p) != 0 || cfg->main_file == NULL || cfg->conf_dir == NULL)
        goto nomem;

    cfg_read_file(&p, path);
    if (p.priv->n_files == 1 && !(flags & (JIKU_CONFIG_AGENT_ONLY | JIKU_CONFIG_STATE_ONLY)))
        read_conf_dir(&p);
    if (p.nomem)
        goto nomem;
    if (flags & JIKU_CONFIG_AGENT_ONLY)
        goto done;
    /* one customer's decision: no server or target was read, so none is finished */
    if (p.priv->n_files > 0 && !(flags & JIKU_CONFIG_STATE_ONLY) &&
        (r = only != NULL ? load_policies(&p, err) : finish(&p, err)) != 0)
        goto out;
    if (p.nomem)
        goto nomem;
    if (diags->n_errors > errors_before) {
        const char *first = jiku_diags_first_error(diags, first_diag);

        r = jiku_err_set(err, JIKU_E_CONFIG, "%s", first != NULL ? first : "configuration error");
        goto out;
    }
done:
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

int
jiku_config_load(const char *path, unsigned flags, struct jiku_config **out,
                 struct jiku_diags *diags, struct jiku_err *err)
{
    return load(path, flags, NULL, out, diags, err);
}

int
jiku_config_load_customer(const char *path, const char *name, struct jiku_config **out,
                          struct jiku_diags *diags, struct jiku_err *err)
{
    return load(path, 0, name, out, diags, err);
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
        for (size_t i = 0; i < cfg->n_servers; i++)
            free(priv->server_keys[i].panel.items);
        for (size_t i = 0; i < cfg->n_targets; i++)
            free(priv->target_keys[i].panel.items);
        free(priv->server_keys);
        free(priv->customer_keys);
        free(priv->target_keys);
        for (size_t i = 0; i < priv->n_panels; i++) {
            jiku_plugin_unload(priv->panels[i]);
            free(priv->panels[i]);
        }
        free(priv->panels);
        free(priv->missed_panels);
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
