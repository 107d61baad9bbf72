/*
 * `discover` on Plesk: every subscription with its owner's login, from one
 * `webspace get` with an empty filter (docs/WIRE.md §3.3: empty = all), and the WordPress
 * sites WP Toolkit lists (`plesk ext wp-toolkit --list`, plugins/common/inventory.c).  Owners
 * given only by id are resolved with one `customer get` and one `reseller get` of everybody,
 * not one request per subscription.  Read-only: nothing is started on the server.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "plesk.h"
#include "plesk_discover.h"
#include "plesk_wp.h"

#define ADMIN_ID "1"

/* An id → login table from OPERATOR get with an empty filter. */
struct logins {
    char **ids;
    char **names;
    size_t n;
};

static void
logins_release(struct logins *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->ids[i]);
        free(t->names[i]);
    }
    free(t->ids);
    free(t->names);
    memset(t, 0, sizeof(*t));
}

static const char *
logins_find(const struct logins *t, const char *id)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->ids[i], id) == 0)
            return t->names[i];
    return NULL;
}

/* Every object of OPERATOR ("webspace", "customer", "reseller"): the get answer in *REPLY. */
static int
get_all(struct jiku_op *op, const char *operator_name, const char *dataset,
        struct plesk_reply *reply, struct jiku_err *err)
{
    struct plesk_packet p = {0};
    xmlNodePtr ds;
    int r;

    if ((r = plesk_packet_new(&p, operator_name, "get", err)) != 0)
        return r;
    if ((r = plesk_packet_add(p.op, "filter", NULL, NULL, err)) == 0 &&
        (r = plesk_packet_add(p.op, "dataset", NULL, &ds, err)) == 0 &&
        (r = plesk_packet_add(ds, dataset, NULL, NULL, err)) == 0)
        r = plesk_xml_call(op, NULL, &p, true, reply, err);
    plesk_packet_release(&p);
    return r;
}

/* Customers' or resellers' ids and logins (DATASET: gen_info / gen-info). */
static int
load_logins(struct jiku_op *op, const char *operator_name, const char *dataset, struct logins *t,
            struct jiku_err *err)
{
    struct plesk_reply reply = {0};
    size_t cap = 0;
    int r;

    if ((r = get_all(op, operator_name, dataset, &reply, err)) != 0)
        goto out;
    for (xmlNodePtr n = reply.op != NULL ? reply.op->children : NULL; n != NULL; n = n->next) {
        char *id, *login;

        if (!plesk_is_result(n))
            continue;
        id = plesk_xml_text(n, "id");
        login = plesk_xml_text(plesk_xml_child(plesk_xml_child(n, "data"), dataset), "login");
        if (id == NULL || login == NULL) {
            free(id);
            free(login);
            continue;
        }
        if (t->n == cap) {
            size_t c = cap ? cap * 2 : 16;
            char **ids = realloc(t->ids, c * sizeof(*ids)), **names;

            if (ids != NULL)
                t->ids = ids;
            names = ids != NULL ? realloc(t->names, c * sizeof(*names)) : NULL;
            if (names == NULL) {
                free(id);
                free(login);
                r = plug_nomem(err);
                goto out;
            }
            t->names = names;
            cap = c;
        }
        t->ids[t->n] = id;
        t->names[t->n++] = login;
    }
out:
    plesk_reply_release(&reply);
    return r;
}

/* The owner of a subscription: owner-login, else the login behind owner-id (admin is 1). */
static int
owner_login(struct jiku_op *op, xmlNodePtr gen, struct logins *customers, struct logins *resellers,
            bool *loaded, char **out, struct jiku_err *err)
{
    char *id;
    const char *login;
    int r = 0;

    *out = plesk_xml_text(gen, "owner-login");
    if (*out != NULL && **out != '\0')
        return 0;
    free(*out);
    *out = NULL;
    id = plesk_xml_text(gen, "owner-id");
    if (id == NULL || strcmp(id, ADMIN_ID) == 0) {
        free(id);
        return (*out = strdup("admin")) != NULL ? 0 : plug_nomem(err);
    }
    if (!*loaded) {
        *loaded = true;
        if ((r = load_logins(op, "customer", "gen_info", customers, err)) != 0 ||
            (r = load_logins(op, "reseller", "gen-info", resellers, err)) != 0)
            goto out;
    }
    login = logins_find(customers, id);
    if (login == NULL)
        login = logins_find(resellers, id);
    /* Unknown owners are listed without one rather than hide the subscription. */
    if (login != NULL && (*out = strdup(login)) == NULL)
        r = plug_nomem(err);
out:
    free(id);
    return r;
}

int
plesk_discover(struct jiku_op *op, struct jiku_err *err)
{
    struct logins customers = {0}, resellers = {0};
    struct plesk_reply reply = {0};
    struct inv_list inv = {0};
    bool loaded = false, wp_listed = false, complete = true;
    int r;

    if ((r = get_all(op, "webspace", "gen_info", &reply, err)) != 0)
        goto out;
    for (xmlNodePtr n = reply.op != NULL ? reply.op->children : NULL; n != NULL; n = n->next) {
        xmlNodePtr gen;
        char *name, *owner = NULL;

        if (!plesk_is_result(n))
            continue;
        gen = plesk_xml_child(plesk_xml_child(n, "data"), "gen_info");
        name = plesk_xml_text(gen, "ascii-name");
        if (name == NULL || !plesk_valid_domain(name)) {
            free(name);
            name = plesk_xml_text(gen, "name");
        }
        if (name == NULL || !plesk_valid_domain(name)) {
            op->host->log(op, JIKU_LOG_WARN, "a subscription without a usable name left out");
            complete = false;
            free(name);
            continue;
        }
        r = owner_login(op, gen, &customers, &resellers, &loaded, &owner, err);
        if (r == 0)
            r = inv_add(&inv, JIKU_KIND_SUBSCRIPTION, name, name, NULL, owner, "subscription", err);
        free(name);
        free(owner);
        if (r != 0)
            goto out;
    }
    if ((r = inv_wordpress(&plesk_wpt, op, &inv, &wp_listed, err)) != 0)
        goto out;
    op->result->inventory_kinds = (complete ? JIKU_KIND_BIT(JIKU_KIND_SUBSCRIPTION) : 0) |
                                  (wp_listed ? JIKU_KIND_BIT(JIKU_KIND_WORDPRESS) : 0);
    inv_give(&inv, op->result);
out:
    inv_release(&inv);
    logins_release(&customers);
    logins_release(&resellers);
    plesk_reply_release(&reply);
    return r;
}
