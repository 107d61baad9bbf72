/*
 * Section headers of the configuration: [agent], [retention], [server NAME],
 * [customer NAME], [target CUSTOMER/NAME].  A header that is rejected (bad or duplicate name,
 * unknown type) makes the reader skip the section's keys, so one mistake is one message.
 * New servers and targets start with the defaults of jiku-agent.conf(5).
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_int.h"
#include "paths.h"

const char *
cfg_section_label(struct cfg_parse *p, char *buf, size_t len)
{
    const struct jiku_config *cfg = p->cfg;

    switch (p->sect) {
    case CS_AGENT:
        return "[agent]";
    case CS_RETENTION:
        return "[retention]";
    case CS_SERVER:
        snprintf(buf, len, "[server %s]", cfg->servers[p->idx].info.name);
        return buf;
    case CS_CUSTOMER:
        snprintf(buf, len, "[customer %s]", cfg->customers[p->idx].name);
        return buf;
    case CS_TARGET:
        snprintf(buf, len, "[target %s]", cfg->targets[p->idx].info.id);
        return buf;
    default:
        return "[]";
    }
}

/* Grow an array of N elements of SIZE to hold one more; false when out of memory. */
static bool
grow(void **arr, size_t *cap, size_t n, size_t size)
{
    size_t ncap;
    void *a;

    if (n < *cap)
        return true;
    ncap = *cap ? *cap * 2 : 8;
    if ((a = realloc(*arr, ncap * size)) == NULL)
        return false;
    *arr = a;
    *cap = ncap;
    return true;
}

static bool
new_server(struct cfg_parse *p, const char *name)
{
    struct jiku_config *cfg = p->cfg;
    struct cfg_priv *priv = p->priv;
    struct jiku_server_conf *s;
    size_t cap = priv->cap_servers;

    if (!grow((void **)&cfg->servers, &cap, cfg->n_servers, sizeof(*cfg->servers)) ||
        !grow((void **)&priv->server_keys, &priv->cap_servers, cfg->n_servers,
              sizeof(*priv->server_keys)))
        return false;
    s = &cfg->servers[cfg->n_servers];
    memset(s, 0, sizeof(*s));
    memset(&priv->server_keys[cfg->n_servers], 0, sizeof(*priv->server_keys));
    if ((s->info.name = cfg_intern(p, name)) == NULL)
        return false;
    s->info.api_user = "root";
    s->info.ssh_port = 22;
    s->info.ssh_user = "root";
    s->info.timeout = 7200;
    s->info.poll_max = 10;
    s->info.snapshot_dir = "/home/jiku-snapshots";
    s->max_parallel = 2;
    s->web_port = 443;
    s->src.file = p->file;
    s->src.line = p->line;
    p->idx = cfg->n_servers++;
    return cfg_index_put(&priv->servers, s->info.name, p->idx) == 0;
}

static bool
new_customer(struct cfg_parse *p, const char *name)
{
    struct jiku_config *cfg = p->cfg;
    struct cfg_priv *priv = p->priv;
    struct jiku_customer_conf *c;
    size_t cap = priv->cap_customers;

    if (!grow((void **)&cfg->customers, &cap, cfg->n_customers, sizeof(*cfg->customers)) ||
        !grow((void **)&priv->customer_keys, &priv->cap_customers, cfg->n_customers,
              sizeof(*priv->customer_keys)))
        return false;
    c = &cfg->customers[cfg->n_customers];
    memset(c, 0, sizeof(*c));
    memset(&priv->customer_keys[cfg->n_customers], 0, sizeof(*priv->customer_keys));
    if ((c->name = cfg_intern(p, name)) == NULL)
        return false;
    c->src.file = p->file;
    c->src.line = p->line;
    p->idx = cfg->n_customers++;
    return cfg_index_put(&priv->customers, c->name, p->idx) == 0;
}

static bool
new_target(struct cfg_parse *p, const char *id)
{
    struct jiku_config *cfg = p->cfg;
    struct cfg_priv *priv = p->priv;
    struct jiku_target_conf *t;
    size_t cap = priv->cap_targets, clen = strcspn(id, "/");

    if (!grow((void **)&cfg->targets, &cap, cfg->n_targets, sizeof(*cfg->targets)) ||
        !grow((void **)&priv->target_keys, &priv->cap_targets, cfg->n_targets,
              sizeof(*priv->target_keys)))
        return false;
    t = &cfg->targets[cfg->n_targets];
    memset(t, 0, sizeof(*t));
    memset(&priv->target_keys[cfg->n_targets], 0, sizeof(*priv->target_keys));
    if ((t->info.id = cfg_intern(p, id)) == NULL ||
        (t->info.customer = cfg_intern_len(p, id, clen)) == NULL ||
        (t->info.name = cfg_intern(p, id + clen + 1)) == NULL)
        return false;
    t->info.kind = JIKU_KIND_COUNT; /* unset until "kind =" */
    t->info.path = "/";
    t->info.promote_db = "all";
    t->update.health_timeout = 30;
    t->auto_rollback = -1;
    t->retention = (struct jiku_retention){-1, -1, -1, -1, -1, -1};
    t->src.file = p->file;
    t->src.line = p->line;
    p->idx = cfg->n_targets++;
    return cfg_index_put(&priv->targets, t->info.id, p->idx) == 0;
}

/* A second [agent], [server web1], ...: an error naming where the first one stands. */
static bool
is_duplicate(struct cfg_parse *p, const char *label, const struct jiku_source *first)
{
    if (first->line == 0)
        return false;
    cfg_error(p, "duplicate section %s (first at %s:%d)", label, first->file, first->line);
    return true;
}

void
cfg_section_begin(struct cfg_parse *p, const char *type, const char *name)
{
    struct cfg_priv *priv = p->priv;
    const struct jiku_source *first = NULL;
    struct cfg_index *ix = NULL;
    struct jiku_source here = {p->file, p->line};
    size_t i;
    bool ok;

    p->sect = CS_IGNORE;
    if ((p->flags & (JIKU_CONFIG_AGENT_ONLY | JIKU_CONFIG_STATE_ONLY)) &&
        strcmp(type, "agent") != 0)
        return;
    /* one customer's decision: its section and the [agent] and [retention] it is read under */
    if (p->only != NULL && strcmp(type, "agent") != 0 && strcmp(type, "retention") != 0 &&
        (strcmp(type, "customer") != 0 || name == NULL || strcmp(name, p->only) != 0))
        return;
    if (strcmp(type, "agent") == 0 || strcmp(type, "retention") == 0) {
        bool agent = type[0] == 'a';

        if (name != NULL) {
            cfg_error(p, "section [%s] takes no name", type);
            return;
        }
        first = agent ? &priv->agent_at : &priv->retention_at;
        if (is_duplicate(p, agent ? "[agent]" : "[retention]", first))
            return;
        if (agent)
            priv->agent_at = here;
        else
            priv->retention_at = here;
        p->sect = agent ? CS_AGENT : CS_RETENTION;
        return;
    }
    if (strcmp(type, "server") == 0)
        ix = &priv->servers;
    else if (strcmp(type, "customer") == 0)
        ix = &priv->customers;
    else if (strcmp(type, "target") == 0)
        ix = &priv->targets;
    if (ix == NULL) {
        cfg_error(p, "unknown section [%s%s%s]", type, name ? " " : "", name ? name : "");
        return;
    }
    if (name == NULL) {
        cfg_error(p, "section [%s] needs a name: [%s %s]", type, type,
                  ix == &priv->targets ? "CUSTOMER/NAME" : "NAME");
        return;
    }
    if (ix == &priv->targets ? !jiku_valid_target_id(name) : !jiku_valid_name(name)) {
        cfg_error(p, "invalid %s name '%s' (expected %s)", type, name,
                  ix == &priv->targets ? "CUSTOMER/NAME, each [a-z0-9][a-z0-9-]{0,62}"
                                       : "[a-z0-9][a-z0-9-]{0,62}");
        return;
    }
    if (cfg_index_get(ix, name, &i)) {
        char label[160];
        const struct jiku_source *at = ix == &priv->servers     ? &p->cfg->servers[i].src
                                       : ix == &priv->customers ? &p->cfg->customers[i].src
                                                                : &p->cfg->targets[i].src;

        snprintf(label, sizeof(label), "[%s %s]", type, name);
        is_duplicate(p, label, at);
        return;
    }
    if (ix == &priv->servers) {
        ok = new_server(p, name);
        p->sect = CS_SERVER;
    } else if (ix == &priv->customers) {
        ok = new_customer(p, name);
        p->sect = CS_CUSTOMER;
    } else {
        ok = new_target(p, name);
        p->sect = CS_TARGET;
    }
    if (!ok) {
        p->nomem = true;
        p->sect = CS_IGNORE;
    }
}

int
cfg_set_defaults(struct cfg_parse *p)
{
    struct jiku_config *cfg = p->cfg;

    cfg->state_dir = cfg_intern(p, JIKU_STATE_DIR);
    cfg->backup_dir = cfg_intern(p, JIKU_STATE_DIR "/backups");
    cfg->policy_dir = cfg_intern(p, JIKU_POLICY_DIR);
    cfg->plugin_dir = cfg_intern(p, JIKU_PLUGIN_DIR);
    cfg->log = cfg_intern(p, "auto");
    cfg->max_parallel = 8;
    cfg->lock_wait = 600;
    cfg->connect_timeout = 10;
    cfg->retry_deadline = 300;
    cfg->auto_rollback = true;
    cfg->notify_on = JIKU_NOTIFY_PARTIAL;
    cfg->sendmail = cfg_intern(p, "/usr/sbin/sendmail");
    cfg->retention = (struct jiku_retention){3, 7, 4, 6, 5, 2};
    return p->nomem ? JIKU_E_NOMEM : 0;
}
