/*
 * config show: the effective configuration as INI text, defaults filled in, each named
 * section preceded by where it was written.  Secret files appear by path only; their content
 * is never read, here or anywhere in the loader.
 */
#include <stdarg.h>
#include <string.h>

#include "config.h"
#include "config_int.h"
#include "jiku/buf.h"
#include "policy.h"

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

static const char *
opt(const char *s)
{
    return s != NULL ? s : "";
}

static void
add_retention(struct show *b, const struct jiku_retention *r)
{
    const int keep[RK_COUNT] = {r->keep_last,    r->keep_daily,  r->keep_weekly,
                                r->keep_monthly, r->keep_safety, r->keep_on_server};

    for (int i = 0; i < RK_COUNT; i++)
        put(b, "%s = %d\n", cfg_retention_names[i], keep[i]);
}

static void
add_server(struct show *b, const struct jiku_server_conf *s)
{
    const struct jiku_server_info *i = &s->info;

    put(b, "\n# %s:%d\n[server %s]\n", s->src.file, s->src.line, i->name);
    put(b, "panel = %s\nhost = %s\napi_port = %d\napi_user = %s\n", opt(i->panel), opt(i->host),
        i->api_port, opt(i->api_user));
    put(b, "api_token_file = %s\napi_password_file = %s\n", opt(s->api_token_file),
        opt(s->api_password_file));
    put(b, "ca_file = %s\npinned_pubkey = %s\n", opt(s->ca_file), opt(s->pinned_pubkey));
    put(b, "ssh_port = %d\nssh_user = %s\nssh_key = %s\nknown_hosts = %s\n", i->ssh_port,
        opt(i->ssh_user), opt(s->ssh_key), opt(s->known_hosts));
    put(b, "max_parallel = %d\ntimeout = %d\npoll_max = %d\nstrict_warnings = %s\n",
        s->max_parallel, i->timeout, i->poll_max, i->strict_warnings ? "yes" : "no");
    put(b, "snapshot_dir = %s\n", opt(i->snapshot_dir));
    if (i->panel != NULL && strcmp(i->panel, "plesk") == 0)
        put(b, "dump_dir = %s\nplesk_backup = %s\n", opt(i->dump_dir), opt(i->plesk_backup));
    else
        put(b, "softaculous_port = %d\n", i->softaculous_port);
}

static void
add_customer(struct show *b, const struct jiku_customer_conf *c)
{
    put(b, "\n# %s:%d\n[customer %s]\ntier = %s\ncontact = %s\n", c->src.file, c->src.line, c->name,
        opt(c->tier), opt(c->contact));
    for (size_t i = 0; i < c->n_overrides; i++)
        put(b, "%s = %s\n", c->overrides[i].action,
            jiku_assignment_name(c->overrides[i].assignment));
}

static void
add_target(struct show *b, const struct jiku_target_conf *t)
{
    static const char *const nightly[] = {"none", "snapshot", "backup"};
    const struct jiku_target_info *i = &t->info;

    put(b, "\n# %s:%d\n[target %s]\n", t->src.file, t->src.line, i->id);
    put(b, "server = %s\nkind = %s\naccount = %s\ndomain = %s\npath = %s\n",
        t->server != NULL ? t->server->info.name : "", jiku_kind_name(i->kind), opt(i->account),
        opt(i->domain), opt(i->path));
    put(b, "staging_domain = %s\npromote_db = %s\nnightly = %s\n", opt(i->staging_domain),
        opt(i->promote_db), nightly[t->nightly]);
    add_retention(b, &t->retention);
}

int
jiku_config_show(const struct jiku_config *cfg, struct jiku_buf *out)
{
    const struct cfg_priv *priv = cfg->priv;
    struct show b = {JIKU_BUF_INIT, 0};
    int r;

    put(&b, "# effective configuration: %s", cfg->main_file);
    if (priv->n_files > 1)
        put(&b, " and %zu file%s in %s", priv->n_files - 1, priv->n_files == 2 ? "" : "s",
            cfg->conf_dir);
    put(&b, "\n\n[agent]\nstate_dir = %s\nbackup_dir = %s\npolicy_dir = %s\n", cfg->state_dir,
        cfg->backup_dir, cfg->policy_dir);
    put(&b, "plugin_dir = %s\nmax_parallel = %d\nlock_wait = %d\n", cfg->plugin_dir,
        cfg->max_parallel, cfg->lock_wait);
    put(&b, "connect_timeout = %d\nretry_deadline = %d\nlog = %s\n", cfg->connect_timeout,
        cfg->retry_deadline, cfg->log);
    put(&b, "metrics_file = %s\nping_url = %s\n\n[retention]\n", opt(cfg->metrics_file),
        opt(cfg->ping_url));
    add_retention(&b, &cfg->retention);
    for (size_t i = 0; i < cfg->n_servers; i++)
        add_server(&b, &cfg->servers[i]);
    for (size_t i = 0; i < cfg->n_customers; i++)
        add_customer(&b, &cfg->customers[i]);
    for (size_t i = 0; i < cfg->n_targets; i++)
        add_target(&b, &cfg->targets[i]);
    r = b.r != 0 ? b.r : jiku_buf_add(out, b.b.data, b.b.len);
    jiku_buf_release(&b.b);
    return r;
}
