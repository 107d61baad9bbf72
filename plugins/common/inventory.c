/*
 * The inventory list of a DISCOVER action, and the WordPress part of it, which is the same on
 * both panels: WP Toolkit's `--list`, whose siteUrl is what a wordpress target names (its
 * domain and path), the very key wpt_match() resolves a target by later.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inventory.h"
#include "jiku/log.h"

static int
dup_opt(char **dst, const char *s)
{
    *dst = NULL;
    if (s != NULL && (*dst = strdup(s)) == NULL)
        return JIKU_E_NOMEM;
    return 0;
}

static void
item_release(struct jiku_inventory_item *it)
{
    free(it->account);
    free(it->domain);
    free(it->path);
    free(it->owner);
    free(it->detail);
    memset(it, 0, sizeof(*it));
}

int
inv_add(struct inv_list *l, enum jiku_target_kind kind, const char *account, const char *domain,
        const char *path, const char *owner, const char *detail, struct jiku_err *err)
{
    struct jiku_inventory_item it = {.kind = kind};

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct jiku_inventory_item *grown = realloc(l->items, cap * sizeof(*grown));

        if (grown == NULL)
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        l->items = grown;
        l->cap = cap;
    }
    if (dup_opt(&it.account, account) != 0 || dup_opt(&it.domain, domain) != 0 ||
        dup_opt(&it.path, path) != 0 || dup_opt(&it.owner, owner) != 0 ||
        dup_opt(&it.detail, detail) != 0) {
        item_release(&it);
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    l->items[l->n++] = it;
    return 0;
}

void
inv_release(struct inv_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        item_release(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

void
inv_give(struct inv_list *l, struct jiku_op_result *result)
{
    result->inventory = l->items;
    result->n_inventory = l->n;
    memset(l, 0, sizeof(*l));
}

int
inv_split_url(const char *site_url, char **domain, char **path, struct jiku_err *err)
{
    const char *u = site_url, *slash;
    char *d = NULL, *p = NULL;
    size_t n;

    *domain = *path = NULL;
    if (u != NULL && strncasecmp(u, "https://", 8) == 0)
        u += 8;
    else if (u != NULL && strncasecmp(u, "http://", 7) == 0)
        u += 7;
    else
        goto bad;
    slash = strchr(u, '/');
    n = slash != NULL ? (size_t)(slash - u) : strlen(u);
    if ((d = strndup(u, n)) == NULL)
        goto nomem;
    for (char *c = d; *c != '\0'; c++)
        *c = (char)tolower((unsigned char)*c);
    /* "/news/" and "/news" are one site; "" and "/" the domain's root. */
    n = slash != NULL ? strlen(slash) : 0;
    while (n > 1 && slash[n - 1] == '/')
        n--;
    if ((p = n > 0 ? strndup(slash, n) : strdup("/")) == NULL)
        goto nomem;
    if (!wpt_valid_domain(d) || !wpt_valid_url_path(p))
        goto bad;
    *domain = d;
    *path = p;
    return 0;
nomem:
    free(d);
    free(p);
    return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
bad:
    free(d);
    free(p);
    return jiku_err_set(err, JIKU_E_DATA, "unusable site URL '%.200s'",
                        site_url != NULL ? site_url : "");
}

int
inv_wordpress(const struct wpt_panel *panel, struct jiku_op *op, struct inv_list *l, bool *listed,
              struct jiku_err *err)
{
    struct wpt_list list = {0};
    struct jiku_err e = {0};
    bool complete = true;
    int r;

    *listed = false;
    r = wpt_list(panel, op, &list, &e);
    if (r == JIKU_E_PANEL || r == JIKU_E_DATA) {
        /* No WP Toolkit, or one we cannot read: the accounts are still worth listing. */
        op->host->log(op, JIKU_LOG_WARN, "WordPress sites not listed: %s", e.msg);
        r = 0;
        goto out;
    }
    if (r != 0) {
        jiku_err_set(err, r, "%s", e.msg);
        goto out;
    }
    for (size_t i = 0; i < list.n; i++) {
        const struct wpt_instance *in = &list.items[i];
        const char *account = panel->account_is_main_domain ? in->main_domain : in->owner;
        char *domain = NULL, *path = NULL;

        if (inv_split_url(in->site_url, &domain, &path, &e) != 0 || account == NULL) {
            op->host->log(op, JIKU_LOG_WARN, "WordPress instance %lld left out: %s", in->id,
                          account == NULL ? "WP Toolkit names no owner" : e.msg);
            free(domain);
            free(path);
            complete = false; /* its target would look gone: no drift claimed for any */
            continue;
        }
        r = inv_add(l, JIKU_KIND_WORDPRESS, account, domain, path, in->owner,
                    in->broken ? "WordPress (WP Toolkit: broken)" : "WordPress", err);
        free(domain);
        free(path);
        if (r != 0)
            goto out;
    }
    *listed = complete;
out:
    wpt_list_release(&list);
    return r;
}
