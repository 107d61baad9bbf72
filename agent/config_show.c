/*
 * config show: the effective configuration as INI text, defaults filled in, each named
 * section preceded by where it was written.  The text reads back as the same configuration.
 * Secret files appear by path only; their content is never read, here or anywhere in the
 * loader.
 */
#include <stdarg.h>
#include <string.h>

#include "config.h"
#include "config_int.h"
#include "jiku/buf.h"

/* The text so far and the first failure; adds after a failure are skipped. */
struct show {
    struct jiku_buf b;
    int r;
};

static void __attribute__((format(printf, 2, 3))) put(struct show *sh, const char *fmt, ...)
{
    va_list ap;

    if (sh->r != 0)
        return;
    va_start(ap, fmt);
    sh->r = jiku_buf_vaddf(&sh->b, fmt, ap);
    va_end(ap);
}

/* "key = value", or "key =" for an unset value. */
static void
kv(struct show *sh, const char *key, const char *value)
{
    if (value != NULL && *value != '\0')
        put(sh, "%s = %s\n", key, value);
    else
        put(sh, "%s =\n", key);
}

static void
kvi(struct show *sh, const char *key, int value)
{
    put(sh, "%s = %d\n", key, value);
}

/* notify_mail: the addresses joined as they may be written. */
static void
add_mails(struct show *sh, const char *const *mails)
{
    put(sh, "notify_mail =");
    for (size_t i = 0; mails != NULL && mails[i] != NULL; i++)
        put(sh, "%s%s", i == 0 ? " " : ", ", mails[i]);
    put(sh, "\n");
}

static void
add_retention(struct show *sh, const struct jiku_retention *r)
{
    const int keep[RK_COUNT] = {r->keep_last,    r->keep_daily,  r->keep_weekly,
                                r->keep_monthly, r->keep_safety, r->keep_on_server};

    for (int i = 0; i < RK_COUNT; i++)
        kvi(sh, cfg_retention_names[i], keep[i]);
}

/*
 * The panel's own keys of a section: from its map as SETTINGS holds them, or as RAW has them
 * written when no plugin read them (the panel's plugin is not installed).
 */
static void
add_panel_keys(struct show *sh, const struct jiku_panel_facts *facts, bool server,
               const void *settings, const struct cfg_panel_keys *raw)
{
    const struct jiku_config_map *map;

    if (facts == NULL) {
        for (size_t i = 0; i < raw->n; i++)
            kv(sh, raw->items[i].key, raw->items[i].value);
        return;
    }
    map = server ? facts->server_map : facts->target_map;
    for (; map != NULL && map->name != NULL && settings != NULL; map++) {
        const void *at = (const char *)settings + map->offset;

        switch (map->type) {
        case JIKU_CONFIG_INT:
            kvi(sh, map->name, *(const int *)at);
            break;
        case JIKU_CONFIG_BOOL:
            kv(sh, map->name, *(const bool *)at ? "yes" : "no");
            break;
        default:
            /* unset: left out, since an empty value would not read back */
            if (*(const char *const *)at != NULL)
                kv(sh, map->name, *(const char *const *)at);
            break;
        }
    }
}

static void
add_server(struct show *sh, const struct jiku_server_conf *s, const struct cfg_server_keys *sk)
{
    const struct jiku_server_info *i = &s->info;

    put(sh, "\n# %s:%d\n[server %s]\n", s->src.file, s->src.line, i->name);
    kv(sh, "panel", i->panel);
    kv(sh, "host", i->host);
    /* 0: unset, and no plugin to give the panel's default: left unset, as it was read. */
    if (i->api_port != 0)
        kvi(sh, "api_port", i->api_port);
    kv(sh, "api_user", i->api_user);
    kv(sh, "api_token_file", s->api_token_file);
    if (s->api_password_file != NULL || (s->facts != NULL && s->facts->api_password))
        kv(sh, "api_password_file", s->api_password_file);
    kv(sh, "ca_file", s->ca_file);
    kv(sh, "pinned_pubkey", s->pinned_pubkey);
    kvi(sh, "ssh_port", i->ssh_port);
    kv(sh, "ssh_user", i->ssh_user);
    kv(sh, "ssh_key", s->ssh_key);
    kv(sh, "known_hosts", s->known_hosts);
    kvi(sh, "max_parallel", s->max_parallel);
    kvi(sh, "timeout", i->timeout);
    kvi(sh, "poll_max", i->poll_max);
    kv(sh, "strict_warnings", i->strict_warnings ? "yes" : "no");
    kv(sh, "snapshot_dir", i->snapshot_dir);
    kvi(sh, "web_port", s->web_port);
    if (i->panel != NULL)
        add_panel_keys(sh, s->facts, true, i->settings, &sk->panel);
}

static void
add_customer(struct show *sh, const struct jiku_customer_conf *c)
{
    put(sh, "\n# %s:%d\n[customer %s]\n", c->src.file, c->src.line, c->name);
    kv(sh, "tier", c->tier);
    kv(sh, "contact", c->contact);
    for (size_t i = 0; i < c->n_overrides; i++)
        kv(sh, c->overrides[i].action, jiku_assignment_name(c->overrides[i].assignment));
}

static void
add_nightly(struct show *sh, const struct jiku_target_conf *t)
{
    put(sh, "nightly = ");
    for (size_t i = 0; i < t->n_nightly; i++)
        put(sh, "%s%s", i > 0 ? ", " : "", jiku_verb_name(t->nightly[i]));
    put(sh, "%s\n", t->n_nightly == 0 ? "none" : "");
}

/* A target's update keys, where its kind has updates. */
static void
add_update(struct show *sh, const struct jiku_update_conf *u)
{
    put(sh, "update = ");
    for (int c = 0, n = 0; c < JIKU_UPDATE_COMPONENT_COUNT; c++)
        if (u->components & JIKU_UPDATE_BIT(c))
            put(sh, "%s%s", n++ > 0 ? ", " : "", jiku_update_component_names[c]);
    put(sh, "\nupdate_core = %s\n", u->core_major ? "major" : "minor");
    if (u->exclude != NULL) {
        put(sh, "update_exclude = ");
        for (size_t i = 0; u->exclude[i] != NULL; i++)
            put(sh, "%s%s", i > 0 ? ", " : "", u->exclude[i]);
        put(sh, "\n");
    }
    kv(sh, "health_path", u->health_path);
    kv(sh, "health_text", u->health_text);
    kvi(sh, "health_timeout", u->health_timeout);
}

static void
add_target(struct show *sh, const struct jiku_target_conf *t, const struct cfg_target_keys *tk)
{
    const struct jiku_target_info *i = &t->info;

    put(sh, "\n# %s:%d\n[target %s]\n", t->src.file, t->src.line, i->id);
    kv(sh, "server", t->server != NULL ? t->server->info.name : NULL);
    kv(sh, "kind", jiku_kind_name(i->kind));
    kv(sh, "account", i->account);
    kv(sh, "domain", i->domain);
    kv(sh, "path", i->path);
    kv(sh, "staging_domain", i->staging_domain);
    kv(sh, "promote_db", i->promote_db);
    add_nightly(sh, t);
    if (t->auto_rollback >= 0)
        kv(sh, "auto_rollback", t->auto_rollback ? "yes" : "no");
    if (t->update.components != 0)
        add_update(sh, &t->update);
    add_retention(sh, &t->retention);
    if (t->server != NULL && t->server->info.panel != NULL)
        add_panel_keys(sh, t->server->facts, false, i->settings, &tk->panel);
}

int
jiku_config_show(const struct jiku_config *cfg, struct jiku_buf *out)
{
    const struct cfg_priv *priv = cfg->priv;
    struct show sh = {JIKU_BUF_INIT, 0};
    int r;

    put(&sh, "# effective configuration: %s", cfg->main_file);
    if (priv->n_files > 1)
        put(&sh, " and %zu file%s in %s", priv->n_files - 1, priv->n_files == 2 ? "" : "s",
            cfg->conf_dir);
    put(&sh, "\n\n[agent]\n");
    kv(&sh, "state_dir", cfg->state_dir);
    kv(&sh, "backup_dir", cfg->backup_dir);
    kv(&sh, "policy_dir", cfg->policy_dir);
    kv(&sh, "plugin_dir", cfg->plugin_dir);
    kvi(&sh, "max_parallel", cfg->max_parallel);
    kvi(&sh, "lock_wait", cfg->lock_wait);
    kvi(&sh, "connect_timeout", cfg->connect_timeout);
    kvi(&sh, "retry_deadline", cfg->retry_deadline);
    kv(&sh, "log", cfg->log);
    kv(&sh, "metrics_file", cfg->metrics_file);
    kv(&sh, "ping_url", cfg->ping_url);
    kv(&sh, "auto_rollback", cfg->auto_rollback ? "yes" : "no");
    add_mails(&sh, cfg->notify_mail);
    kv(&sh, "notify_on", jiku_notify_on_names[cfg->notify_on]);
    kv(&sh, "sendmail", cfg->sendmail);
    put(&sh, "\n[retention]\n");
    add_retention(&sh, &cfg->retention);
    for (size_t i = 0; i < cfg->n_servers; i++)
        add_server(&sh, &cfg->servers[i], &priv->server_keys[i]);
    for (size_t i = 0; i < cfg->n_customers; i++)
        add_customer(&sh, &cfg->customers[i]);
    for (size_t i = 0; i < cfg->n_targets; i++)
        add_target(&sh, &cfg->targets[i], &priv->target_keys[i]);
    r = sh.r != 0 ? sh.r : jiku_buf_add(out, sh.b.data, sh.b.len);
    jiku_buf_release(&sh.b);
    return r;
}
