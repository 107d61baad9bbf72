/*
 * The server inventory a plugin's DISCOVER action hands to the core (struct
 * jiku_inventory_item), shared by both panel plugins: a growing list of items and the
 * WordPress instances WP Toolkit lists, the same way on either panel.
 */
#ifndef JIKU_INVENTORY_H
#define JIKU_INVENTORY_H

#include <stddef.h>

#include "jiku/err.h"
#include "jiku/plugin.h"
#include "wpt.h"

struct inv_list {
    struct jiku_inventory_item *items;
    size_t n, cap;
};

/* Append one item; the strings (each may be NULL) are copied. */
int inv_add(struct inv_list *l, enum jiku_target_kind kind, const char *account, const char *domain,
            const char *path, const char *owner, const char *detail, struct jiku_err *err);
void inv_release(struct inv_list *l);
/* Hand the items to RESULT (the core frees them); L is left empty. */
void inv_give(struct inv_list *l, struct jiku_op_result *result);

/*
 * The domain and URL path of SITE_URL ("https://blog.example/news/" → "blog.example",
 * "/news"; no path → "/"), malloc()ed; JIKU_E_DATA for anything that is not an http(s) URL of
 * a valid host name and URL path.
 */
int inv_split_url(const char *site_url, char **domain, char **path, struct jiku_err *err);

/*
 * Every WP Toolkit instance on the server (`--list -format json`) as a wordpress item of L:
 * account = its owner (cPanel) or its main domain (Plesk, PANEL->account_is_main_domain),
 * domain and path from its siteUrl.  Only PANEL->name, ->prefix and ->account_is_main_domain
 * are used.  *LISTED is set when the list is complete; a panel without a usable WP Toolkit
 * (the command fails) leaves it false with a warning logged, and returns 0: the rest of the
 * inventory stands.  Transport failures are returned.
 */
int inv_wordpress(const struct wpt_panel *panel, struct jiku_op *op, struct inv_list *l,
                  bool *listed, struct jiku_err *err);

#endif
