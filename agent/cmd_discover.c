/*
 * discover SERVER (jiku-agent(8)): what the server has, against what the configuration names.
 *
 * The plugin's DISCOVER action lists the accounts or subscriptions and the
 * application instances; every item is matched to the configured targets of that server, the
 * ones no target names get a ready-to-edit [target] section (and a [customer] section when
 * the customer is new), and a configured target whose kind was listed completely but which
 * the server no longer has is drift.  Read-only, fleet-level: no policy decision, no lock, no
 * catalog.
 *
 * Exit code: 0 when nothing drifted, 3 when some configured target is gone (the listing
 * worked, the configuration did not hold), else the failure's own code.  A kind the plugin
 * could not list completely (no WP Toolkit, Softaculous not answering) is a warning on stderr
 * and its targets are counted as skipped, never as drift.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "action.h"
#include "cli.h"
#include "err.h"
#include "hostimpl.h"
#include "jiku/buf.h"
#include "log.h"
#include "plugin_loader.h"
#include "vocab.h"

#define NAME_MAX_LEN 63
/* The safest tier for a customer nobody has settled a contract with: JIKU acts on nothing. */
#define NEW_CUSTOMER_TIER "high"

/* What discover decided about one inventory item. */
struct found {
    const struct jiku_target_conf *target; /* the configured target it is, or NULL */
    bool staging;                          /* it is TARGET's staging copy */
    char *customer;                        /* proposal: customer name, or NULL */
    char *id;                              /* proposal: "customer/name", or NULL */
    char *section;                         /* proposal: INI text, or NULL */
    char *unusable;                        /* why no section can be proposed, or NULL */
    bool new_customer;                     /* the proposal's customer is not configured */
};

struct discovery {
    struct jiku_session *ctx;
    const struct jiku_server_conf *server;
    struct jiku_op_result res;
    struct found *found; /* one per res.inventory item */
    unsigned n_drift, n_unchecked;
};

static bool
same_str(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Host names compare without case. */
static bool
same_host(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

/* URL paths: NULL is "/", a trailing '/' changes nothing. */
static bool
same_path(const char *a, const char *b)
{
    size_t na, nb;

    a = a != NULL ? a : "/";
    b = b != NULL ? b : "/";
    na = strlen(a);
    nb = strlen(b);
    while (na > 1 && a[na - 1] == '/')
        na--;
    while (nb > 1 && b[nb - 1] == '/')
        nb--;
    return na == nb && strncmp(a, b, na) == 0;
}

/* Is IT what T names? */
static bool
names_item(const struct jiku_target_info *t, const struct jiku_inventory_item *it)
{
    if (t->kind != it->kind || !same_str(t->account, it->account))
        return false;
    return !jiku_kind_is_application(it->kind) ||
           (same_host(t->domain, it->domain) && same_path(t->path, it->path));
}

/* Is IT the staging copy of application target T (its staging_domain, at the domain root)? */
static bool
staging_of(const struct jiku_target_info *t, const struct jiku_inventory_item *it)
{
    return jiku_kind_is_application(it->kind) && t->kind == it->kind &&
           same_str(t->account, it->account) && same_host(t->staging_domain, it->domain);
}

/*
 * SRC as a configuration name ([a-z0-9][a-z0-9-]{0,62}): lowercase, every run of other
 * characters one '-', none at either end.  malloc()ed; "x" when nothing is left.
 */
static char *
sanitise(const char *src)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    bool dash = false;

    for (const char *p = src != NULL ? src : ""; *p != '\0' && b.len < NAME_MAX_LEN; p++) {
        int c = tolower((unsigned char)*p);

        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && b.len > 0 && jiku_buf_addch(&b, '-') != 0)
                goto nomem;
            dash = false;
            if (b.len < NAME_MAX_LEN && jiku_buf_addch(&b, (char)c) != 0)
                goto nomem;
        } else {
            dash = true;
        }
    }
    while (b.len > 0 && b.data[b.len - 1] == '-')
        b.data[--b.len] = '\0';
    if (b.len == 0 && jiku_buf_adds(&b, "x") != 0)
        goto nomem;
    return jiku_buf_detach(&b);
nomem:
    jiku_buf_release(&b);
    return NULL;
}

static bool
id_taken(const struct discovery *d, size_t upto, const char *id)
{
    if (jiku_config_target(d->ctx->cfg, id) != NULL)
        return true;
    for (size_t i = 0; i < upto; i++)
        if (same_str(d->found[i].id, id))
            return true;
    return false;
}

static bool
customer_known(const struct discovery *d, size_t upto, const char *name)
{
    if (jiku_config_customer(d->ctx->cfg, name) != NULL)
        return true;
    for (size_t i = 0; i < upto; i++)
        if (same_str(d->found[i].customer, name))
            return true;
    return false;
}

/*
 * The customer of a new target for IT: the customer of a configured target of the same
 * account on this server, else of an earlier proposal for that account, else one named after
 * the owner (when the panel's owners are customers, as Plesk's) or the account.  malloc()ed.
 */
static char *
customer_for(const struct discovery *d, size_t upto, const struct jiku_inventory_item *it)
{
    const struct jiku_config *cfg = d->ctx->cfg;
    const struct jiku_panel_facts *f = d->server->facts;

    for (size_t i = 0; i < cfg->n_targets; i++)
        if (cfg->targets[i].server == d->server &&
            same_str(cfg->targets[i].info.account, it->account))
            return strdup(cfg->targets[i].customer->name);
    for (size_t i = 0; i < upto; i++)
        if (d->found[i].customer != NULL && same_str(d->res.inventory[i].account, it->account))
            return strdup(d->found[i].customer);
    /* On a panel whose owners are customers, any owner but the administrator is one; else an
     * owner is who sells the account, not its customer (plugin.h, admin_login). */
    if (f != NULL && f->admin_login != NULL && it->owner != NULL &&
        strcmp(it->owner, f->admin_login) != 0)
        return sanitise(it->owner);
    return sanitise(it->account);
}

/* Why IT cannot become a target as it is (a value config check would refuse), or NULL. */
static const char *
unusable(const struct discovery *d, const struct jiku_inventory_item *it)
{
    if (it->account == NULL || !jiku_server_account_ok(d->server, it->account))
        return "its account is not a valid name for the configuration";
    if (it->domain != NULL && !jiku_valid_hostname(it->domain))
        return "its domain is not a valid host name";
    if (jiku_kind_is_application(it->kind) &&
        (it->domain == NULL || !jiku_valid_url_path(it->path != NULL ? it->path : "/")))
        return "it has no usable domain and path";
    return NULL;
}

/* The proposal for item I (not configured): customer, id and section text. */
static int
propose(struct discovery *d, size_t i, struct jiku_err *err)
{
    const struct jiku_inventory_item *it = &d->res.inventory[i];
    struct found *f = &d->found[i];
    struct jiku_buf base = JIKU_BUF_INIT, id = JIKU_BUF_INIT, sec = JIKU_BUF_INIT;
    const char *why = unusable(d, it);
    char *name = NULL;
    int r = 0;

    if (why != NULL) {
        if ((f->unusable = strdup(why)) == NULL)
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        return r;
    }
    if ((f->customer = customer_for(d, i, it)) == NULL)
        goto nomem;
    f->new_customer = !customer_known(d, i, f->customer);
    /* Named after what people call it: the domain, and the path of an application. */
    if (jiku_buf_adds(&base, it->domain != NULL ? it->domain : it->account) != 0 ||
        (jiku_kind_is_application(it->kind) && !same_path(it->path, "/") &&
         jiku_buf_adds(&base, it->path) != 0) ||
        (name = sanitise(base.data)) == NULL)
        goto nomem;
    for (unsigned n = 1; n < 1000; n++) {
        jiku_buf_reset(&id);
        if (n == 1)
            r = jiku_buf_addf(&id, "%s/%s", f->customer, name);
        else if (n == 2)
            r = jiku_buf_addf(&id, "%s/%.50s-%s", f->customer, name, jiku_kind_name(it->kind));
        else
            r = jiku_buf_addf(&id, "%s/%.50s-%u", f->customer, name, n);
        if (r != 0)
            goto nomem;
        if (!id_taken(d, i, id.data))
            break;
    }
    if (f->new_customer &&
        jiku_buf_addf(&sec,
                      "[customer %s]\n"
                      "; a new customer: set the tier of its contract (" NEW_CUSTOMER_TIER
                      " lets JIKU do nothing)\n"
                      "tier = " NEW_CUSTOMER_TIER "\n\n",
                      f->customer) != 0)
        goto nomem;
    if (jiku_buf_addf(&sec, "[target %s]\nserver = %s\nkind = %s\naccount = %s\n", id.data,
                      d->server->info.name, jiku_kind_name(it->kind), it->account) != 0 ||
        (it->domain != NULL && jiku_buf_addf(&sec, "domain = %s\n", it->domain) != 0) ||
        (jiku_kind_is_application(it->kind) &&
         jiku_buf_addf(&sec, "path = %s\n", it->path != NULL ? it->path : "/") != 0) ||
        jiku_buf_adds(&sec, "nightly = none\n") != 0)
        goto nomem;
    f->id = jiku_buf_detach(&id);
    f->section = jiku_buf_detach(&sec);
    if (f->id == NULL || f->section == NULL)
        goto nomem;
    goto out;
nomem:
    r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
out:
    free(name);
    jiku_buf_release(&base);
    jiku_buf_release(&id);
    jiku_buf_release(&sec);
    return r;
}

/* Match every item to the configured targets and propose sections for the others. */
static int
classify(struct discovery *d, struct jiku_err *err)
{
    const struct jiku_config *cfg = d->ctx->cfg;
    int r;

    for (size_t i = 0; i < d->res.n_inventory; i++) {
        const struct jiku_inventory_item *it = &d->res.inventory[i];
        struct found *f = &d->found[i];

        for (size_t k = 0; k < cfg->n_targets && f->target == NULL; k++) {
            const struct jiku_target_conf *t = &cfg->targets[k];

            if (t->server != d->server)
                continue;
            if (names_item(&t->info, it))
                f->target = t;
            else if (staging_of(&t->info, it)) {
                f->target = t;
                f->staging = true;
            }
        }
        if (f->target == NULL && (r = propose(d, i, err)) != 0)
            return r;
    }
    return 0;
}

static const char *
or_dash(const char *s)
{
    return s != NULL ? s : "-";
}

static int
print_items(struct discovery *d, struct jiku_err *err)
{
    struct jiku_out *out = &d->ctx->out;
    int r;

    jiku_out_text(out, "%-12s %-16s %-32s %-12s %-12s %s\n", "KIND", "ACCOUNT", "DOMAIN", "PATH",
                  "OWNER", "TARGET");
    for (size_t i = 0; i < d->res.n_inventory; i++) {
        const struct jiku_inventory_item *it = &d->res.inventory[i];
        const struct found *f = &d->found[i];
        struct jiku_buf what = JIKU_BUF_INIT;

        if (f->target != NULL)
            r = jiku_buf_addf(&what, "%s%s", f->target->info.id, f->staging ? " (staging)" : "");
        else if (f->id != NULL)
            r = jiku_buf_addf(&what, "not configured (suggested %s)", f->id);
        else
            r = jiku_buf_addf(&what, "not configured: %s", or_dash(f->unusable));
        if (r != 0) {
            jiku_buf_release(&what);
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        }
        jiku_out_text(out, "%-12s %-16s %-32s %-12s %-12s %s\n", jiku_kind_name(it->kind),
                      or_dash(it->account), or_dash(it->domain), or_dash(it->path),
                      or_dash(it->owner), what.data);
        jiku_out_json(out, "inventory",
                      "{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:b, s:s?, s:b, s:s?, s:s?}",
                      "server", d->server->info.name, "kind", jiku_kind_name(it->kind), "account",
                      it->account, "domain", it->domain, "path", it->path, "owner", it->owner,
                      "detail", it->detail, "configured", f->target != NULL, "target",
                      f->target != NULL ? f->target->info.id : NULL, "staging", f->staging,
                      "suggested", f->id, "section", f->section);
        jiku_buf_release(&what);
    }
    return 0;
}

/* Configured targets of this server that the inventory lacks. */
static int
print_drift(struct discovery *d, struct jiku_err *err)
{
    const struct jiku_config *cfg = d->ctx->cfg;
    struct jiku_out *out = &d->ctx->out;
    struct jiku_buf what = JIKU_BUF_INIT, src = JIKU_BUF_INIT;
    int r = 0;

    for (size_t k = 0; k < cfg->n_targets; k++) {
        const struct jiku_target_conf *t = &cfg->targets[k];
        const char *file = t->src.file != NULL ? t->src.file : "?";
        bool present = false;

        if (t->server != d->server)
            continue;
        for (size_t i = 0; i < d->res.n_inventory && !present; i++)
            present = names_item(&t->info, &d->res.inventory[i]);
        if (present)
            continue;
        if ((unsigned)t->info.kind >= JIKU_KIND_COUNT ||
            (d->res.inventory_kinds & JIKU_KIND_BIT(t->info.kind)) == 0) {
            /* Not listed completely: gone or not, nobody can tell from here. */
            log_warn("target '%s' not checked: server '%s' did not list its %s targets", t->info.id,
                     d->server->info.name, jiku_kind_name(t->info.kind));
            d->n_unchecked++;
            continue;
        }
        d->n_drift++;
        if (d->n_drift == 1)
            jiku_out_text(out, "\ndrift: configured on '%s' but not on the server\n",
                          d->server->info.name);
        jiku_buf_reset(&what);
        jiku_buf_reset(&src);
        if (jiku_buf_addf(&what, "%s '%s'", jiku_kind_name(t->info.kind), t->info.account) != 0 ||
            (jiku_kind_is_application(t->info.kind) &&
             jiku_buf_addf(&what, " at %s%s", or_dash(t->info.domain),
                           t->info.path != NULL ? t->info.path : "/") != 0) ||
            jiku_buf_addf(&src, "%s:%d", file, t->src.line) != 0) {
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            break;
        }
        jiku_out_text(out, "  %s (%s; %s)\n", t->info.id, what.data, src.data);
        jiku_out_json(
            out, "drift", "{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s}", "server", d->server->info.name,
            "target", t->info.id, "kind", jiku_kind_name(t->info.kind), "account", t->info.account,
            "domain", t->info.domain, "path",
            jiku_kind_is_application(t->info.kind) ? t->info.path : NULL, "source", src.data);
    }
    jiku_buf_release(&what);
    jiku_buf_release(&src);
    return r;
}

static void
print_sections(struct discovery *d)
{
    struct jiku_out *out = &d->ctx->out;
    bool first = true;

    for (size_t i = 0; i < d->res.n_inventory; i++) {
        const struct found *f = &d->found[i];

        if (f->section == NULL)
            continue;
        if (first)
            jiku_out_text(out, "\n; not configured yet: ready-to-edit sections for conf.d\n");
        first = false;
        jiku_out_text(out, "\n%s", f->section);
    }
}

/* The plugin's DISCOVER, and what it listed checked. */
static int
run_discover(struct discovery *d, struct jiku_err *err)
{
    const char *plugin = d->server->info.panel;
    struct jiku_op_params params = {.operation_id = "discover"};
    int r;

    r = jiku_action_server_plugin(d->ctx, d->server, JIKU_VERB_DISCOVER, &params, &d->res, err);
    if (r != 0)
        return jiku_err_prefix(err, "discover on '%s'", d->server->info.name);
    if (d->res.n_inventory > 0 && d->res.inventory == NULL)
        return jiku_err_set(err, JIKU_E_PLUGIN, "plugin %s listed %zu items without a list", plugin,
                            d->res.n_inventory);
    for (size_t i = 0; i < d->res.n_inventory; i++)
        if ((unsigned)d->res.inventory[i].kind >= JIKU_KIND_COUNT ||
            d->res.inventory[i].account == NULL)
            return jiku_err_set(err, JIKU_E_PLUGIN, "plugin %s listed item %zu with kind %d%s",
                                plugin, i + 1, (int)d->res.inventory[i].kind,
                                d->res.inventory[i].account == NULL ? " and no account" : "");
    return 0;
}

static void
discovery_release(struct discovery *d)
{
    for (size_t i = 0; d->found != NULL && i < d->res.n_inventory; i++) {
        free(d->found[i].customer);
        free(d->found[i].id);
        free(d->found[i].section);
        free(d->found[i].unusable);
    }
    free(d->found);
    jiku_op_result_release(&d->res);
}

int
jiku_cmd_discover(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    struct discovery d = {.ctx = ctx};
    struct jiku_err err = {0};
    size_t n_new = 0, n_known = 0;
    int r;

    if ((d.server = jiku_config_server(ctx->cfg, args->argv[0])) == NULL) {
        jiku_err_set(&err, JIKU_E_NOTFOUND, "no such server '%s'", args->argv[0]);
        return jiku_cmd_fail(ctx, &err);
    }
    if ((r = run_discover(&d, &err)) != 0 ||
        (d.found = calloc(d.res.n_inventory + 1, sizeof(*d.found))) == NULL ||
        (r = classify(&d, &err)) != 0) {
        if (r == 0)
            jiku_err_set(&err, JIKU_E_NOMEM, "out of memory");
        discovery_release(&d);
        return jiku_cmd_fail(ctx, &err);
    }
    if ((r = print_items(&d, &err)) != 0 || (r = print_drift(&d, &err)) != 0) {
        discovery_release(&d);
        return jiku_cmd_fail(ctx, &err);
    }
    print_sections(&d);
    for (size_t i = 0; i < d.res.n_inventory; i++) {
        n_known += d.found[i].target != NULL;
        n_new += d.found[i].target == NULL;
    }
    jiku_out_text(&ctx->out, "\n%s: %zu listed, %zu configured, %zu not configured, %u drifted%s\n",
                  d.server->info.name, d.res.n_inventory, n_known, n_new, d.n_drift,
                  d.n_unchecked > 0 ? " (some targets not checked, see above)" : "");
    ctx->out.ok = (unsigned)d.res.n_inventory;
    ctx->out.failed = d.n_drift;
    ctx->out.skipped = d.n_unchecked;
    /* Drift is a partial result (3), however many items the server listed. */
    ctx->out.first_fail_code = d.n_drift > 0 ? 3 : 0;
    discovery_release(&d);
    return 0;
}
