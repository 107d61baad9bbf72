/*
 * The subscription as the XML API describes it (webspace, customer, reseller and server
 * operators) and the backup-manager path of Plesk ≤ 17.5 (docs/WIRE.md §3.3, §3.4).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plesk.h"

#define LOGIN_MAX 64

void
plesk_webspace_release(struct plesk_webspace *w)
{
    free(w->owner_login);
    free(w->reseller_login);
    free(w->www_root);
    free(w->sys_user);
    memset(w, 0, sizeof(*w));
}

/* A login as it may reach a path: [A-Za-z0-9._@-], not "." or "..", not starting with '-'. */
static bool
valid_login(const char *s)
{
    return s != NULL && strlen(s) <= LOGIN_MAX && plug_valid_component(s) && !strchr(s, '+');
}

/* The first element named NAME anywhere under NODE (depth-first), or NULL. */
static xmlNodePtr
find_deep(xmlNodePtr node, const char *name, int depth)
{
    if (node == NULL || depth > 16)
        return NULL;
    for (xmlNodePtr c = node->children; c != NULL; c = c->next) {
        xmlNodePtr f;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (xmlStrcmp(c->name, BAD_CAST name) == 0)
            return c;
        if ((f = find_deep(c, name, depth + 1)) != NULL)
            return f;
    }
    return NULL;
}

/*
 * The hosting property KEY of a webspace's data: Plesk's hosting dataset gives each as
 * <property><name>KEY</name><value>…</value></property>; a plain <KEY> element is accepted
 * too.  malloc()ed, or NULL.
 */
static char *
find_hosting_property(xmlNodePtr data, const char *key)
{
    xmlNodePtr hosting = find_deep(data, "hosting", 0), n;
    char *s;

    for (n = hosting != NULL ? find_deep(hosting, "property", 0) : NULL; n != NULL; n = n->next) {
        char *name;

        if (n->type != XML_ELEMENT_NODE || xmlStrcmp(n->name, BAD_CAST "property") != 0)
            continue;
        name = plesk_xml_text(n, "name");
        if (name != NULL && strcmp(name, key) == 0) {
            free(name);
            return plesk_xml_text(n, "value");
        }
        free(name);
    }
    if ((n = find_deep(data, key, 0)) != NULL && (s = plesk_xml_text(n, NULL)) != NULL)
        return s;
    return NULL;
}

/* The general dataset's name: the reseller operator spells it gen-info, the others gen_info. */
static const char *
gen_name(const char *operator_name)
{
    return strcmp(operator_name, "reseller") == 0 ? "gen-info" : "gen_info";
}

/* OPERATOR get by FIELD = VALUE with its general dataset: the result's data, or NOTFOUND. */
static int
get_gen_info(struct jiku_op *op, const struct jiku_server_info *srv, const char *operator_name,
             const char *field, const char *value, const char *dataset2, struct plesk_reply *reply,
             xmlNodePtr *data, struct jiku_err *err)
{
    struct plesk_packet p = {0};
    xmlNodePtr filter, ds;
    int r;

    *data = NULL;
    if ((r = plesk_packet_new(&p, operator_name, "get", err)) != 0)
        return r;
    if ((r = plesk_packet_add(p.op, "filter", NULL, &filter, err)) != 0 ||
        (r = plesk_packet_add(filter, field, value, NULL, err)) != 0 ||
        (r = plesk_packet_add(p.op, "dataset", NULL, &ds, err)) != 0 ||
        (r = plesk_packet_add(ds, gen_name(operator_name), NULL, NULL, err)) != 0 ||
        (dataset2 != NULL && (r = plesk_packet_add(ds, dataset2, NULL, NULL, err)) != 0))
        goto out;
    if ((r = plesk_xml_call(op, srv, &p, true, reply, err)) != 0)
        goto out;
    /* A get that matches nothing may come back without any <result> (api-php-lib#55). */
    if (reply->result == NULL) {
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "server '%s' has no %s '%s'", srv->name,
                         operator_name, value);
        goto out;
    }
    if ((*data = plesk_xml_child(reply->result, "data")) == NULL) {
        r = jiku_err_set(err, JIKU_E_DATA, "server '%s': %s get of '%s' has no data", srv->name,
                         operator_name, value);
        goto out;
    }
out:
    plesk_packet_release(&p);
    return r;
}

/* The login of OPERATOR (customer, reseller) with id ID. */
static int
login_of_id(struct jiku_op *op, const struct jiku_server_info *srv, const char *operator_name,
            const char *id, char **login, struct jiku_err *err)
{
    struct plesk_reply reply = {0};
    xmlNodePtr data;
    int r;

    *login = NULL;
    if ((r = get_gen_info(op, srv, operator_name, "id", id, NULL, &reply, &data, err)) == 0) {
        *login = plesk_xml_text(plesk_xml_child(data, gen_name(operator_name)), "login");
        if (!valid_login(*login)) {
            free(*login);
            *login = NULL;
            r = jiku_err_set(err, JIKU_E_DATA, "server '%s': %s %s has no usable login", srv->name,
                             operator_name, id);
        }
    }
    plesk_reply_release(&reply);
    return r;
}

/*
 * A gen_info's owner: owner-login, else the login behind owner-id (admin is id 1) — looked up
 * as a customer, then a reseller, for a subscription (ANY_ACCOUNT), as a reseller otherwise.
 */
static int
owner_of(struct jiku_op *op, const struct jiku_server_info *srv, xmlNodePtr gen_info,
         bool any_account, char **login, struct jiku_err *err)
{
    char *id;
    long n;
    int r = 0;

    *login = plesk_xml_text(gen_info, "owner-login");
    if (*login != NULL && (*login)[0] != '\0') {
        if (valid_login(*login))
            return 0;
        r = jiku_err_set(err, JIKU_E_DATA, "server '%s' names an unusable owner login", srv->name);
    }
    free(*login);
    *login = NULL;
    if (r != 0)
        return r;
    id = plesk_xml_text(gen_info, "owner-id");
    n = plesk_parse_id(id);
    if (id == NULL || n == 1) {
        /* No owner named, or the administrator's own id. */
        if ((*login = strdup("admin")) == NULL)
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    } else if (n < 0) {
        r = jiku_err_set(err, JIKU_E_DATA, "server '%s' names an unusable owner id", srv->name);
    } else {
        r = any_account ? login_of_id(op, srv, "customer", id, login, err) : JIKU_E_NOTFOUND;
        if (r == JIKU_E_NOTFOUND) {
            jiku_err_clear(err);
            r = login_of_id(op, srv, "reseller", id, login, err);
        }
        if (r == JIKU_E_NOTFOUND)
            r = jiku_err_set(err, JIKU_E_DATA, "server '%s': owner id %s is no known account",
                             srv->name, id);
    }
    free(id);
    return r;
}

/* Resolve W->owner_login into its kind and, for a reseller's customer, its reseller. */
static int
resolve_owner(struct jiku_op *op, const struct jiku_server_info *srv, struct plesk_webspace *w,
              struct jiku_err *err)
{
    struct plesk_reply reply = {0};
    xmlNodePtr data;
    char *parent = NULL;
    int r;

    if (strcmp(w->owner_login, "admin") == 0) {
        w->owner_kind = PLESK_OWNER_ADMIN;
        return 0;
    }
    r = get_gen_info(op, srv, "customer", "login", w->owner_login, NULL, &reply, &data, err);
    if (r == JIKU_E_NOTFOUND) {
        /* Not a customer: a reseller's own subscription. */
        plesk_reply_release(&reply);
        jiku_err_clear(err);
        r = get_gen_info(op, srv, "reseller", "login", w->owner_login, NULL, &reply, &data, err);
        if (r == 0)
            w->owner_kind = PLESK_OWNER_RESELLER;
        else if (r == JIKU_E_NOTFOUND)
            r = jiku_err_set(err, JIKU_E_DATA,
                             "server '%s': the owner '%s' of the subscription "
                             "is neither a customer nor a reseller",
                             srv->name, w->owner_login);
        goto out;
    }
    if (r != 0)
        goto out;
    if ((r = owner_of(op, srv, plesk_xml_child(data, "gen_info"), false, &parent, err)) != 0)
        goto out;
    if (strcmp(parent, "admin") == 0) {
        w->owner_kind = PLESK_OWNER_CUSTOMER;
    } else {
        w->owner_kind = PLESK_OWNER_RESELLER_CUSTOMER;
        w->reseller_login = parent;
        parent = NULL;
    }
out:
    free(parent);
    plesk_reply_release(&reply);
    return r;
}

int
plesk_webspace_get(struct jiku_op *op, const struct jiku_server_info *server, const char *domain,
                   bool want_owner, bool want_root, struct plesk_webspace *out,
                   struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct plesk_reply reply = {0};
    xmlNodePtr data, gen;
    char *s = NULL;
    int r;

    memset(out, 0, sizeof(*out));
    out->id = -1;
    if (!plesk_valid_domain(domain))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid subscription name '%s'",
                            domain != NULL ? domain : "");
    r = get_gen_info(op, srv, "webspace", "name", domain, want_root ? "hosting" : NULL, &reply,
                     &data, err);
    if (r == JIKU_E_NOTFOUND) {
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "subscription '%s' does not exist on '%s'", domain,
                         srv->name);
        goto out;
    }
    if (r != 0)
        goto out;
    gen = plesk_xml_child(data, "gen_info");
    s = plesk_xml_text(gen, "name");
    if (s == NULL || strcmp(s, domain) != 0) {
        free(s);
        s = plesk_xml_text(gen, "ascii-name");
        if (s == NULL || strcmp(s, domain) != 0) {
            r = jiku_err_set(err, JIKU_E_DATA,
                             "server '%s': webspace get of '%s' describes "
                             "another subscription",
                             srv->name, domain);
            goto out;
        }
    }
    free(s);
    s = plesk_xml_text(reply.result, "id");
    out->id = plesk_parse_id(s);
    if (want_root) {
        out->www_root = find_hosting_property(data, "www_root");
        if (!plug_valid_path(out->www_root)) {
            r = jiku_err_set(err, JIKU_E_DATA, "server '%s' gives no usable web root for '%s'",
                             srv->name, domain);
            goto out;
        }
        /* The system user every file act in the web space runs as (docs/SECURITY.md). */
        out->sys_user = find_hosting_property(data, "ftp_login");
        if (!plug_valid_user(out->sys_user)) {
            r = jiku_err_set(err, JIKU_E_DATA,
                             "server '%s' gives no usable system user (ftp_login) for '%s'",
                             srv->name, domain);
            goto out;
        }
    }
    if (want_owner) {
        if ((r = owner_of(op, srv, gen, true, &out->owner_login, err)) != 0 ||
            (r = resolve_owner(op, srv, out, err)) != 0)
            goto out;
    }
out:
    free(s);
    plesk_reply_release(&reply);
    if (r != 0)
        plesk_webspace_release(out);
    return r;
}

int
plesk_dump_domain_dir(const struct jiku_server_info *server, const struct plesk_webspace *w,
                      const char *domain, char **out, struct jiku_err *err)
{
    const char *dump = plesk_settings(server)->dump_dir;
    int r = JIKU_E_NOMEM; /* an owner kind none of the cases knows */

    *out = NULL;
    if (!plug_valid_path(dump))
        return jiku_err_set(err, JIKU_E_CONFIG, "server '%s' has no usable dump_dir", server->name);
    if (!plesk_valid_domain(domain))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid subscription name '%s'", domain);
    switch (w->owner_kind) {
    case PLESK_OWNER_ADMIN:
        r = plug_strfmt(out, "%s/domains/%s", dump, domain);
        break;
    case PLESK_OWNER_CUSTOMER:
        r = plug_strfmt(out, "%s/clients/%s/domains/%s", dump, w->owner_login, domain);
        break;
    case PLESK_OWNER_RESELLER_CUSTOMER:
        r = plug_strfmt(out, "%s/resellers/%s/clients/%s/domains/%s", dump, w->reseller_login,
                        w->owner_login, domain);
        break;
    case PLESK_OWNER_RESELLER:
        r = plug_strfmt(out, "%s/resellers/%s/domains/%s", dump, w->owner_login, domain);
        break;
    }
    if (r != 0) {
        *out = NULL;
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    if (!plug_valid_path(*out)) {
        free(*out);
        *out = NULL;
        return jiku_err_set(err, JIKU_E_DATA, "server '%s': no usable dump directory for '%s'",
                            server->name, domain);
    }
    return 0;
}

int
plesk_server_version(struct jiku_op *op, const struct jiku_server_info *server, char **version,
                     struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct plesk_packet p = {0};
    struct plesk_reply reply = {0};
    xmlNodePtr ds, ver;
    char *v = NULL;
    int r;

    *version = NULL;
    if ((r = plesk_packet_new(&p, "server", "get", err)) != 0)
        return r;
    if ((r = plesk_packet_add(p.op, "stat", NULL, &ds, err)) != 0 ||
        (r = plesk_xml_call(op, srv, &p, true, &reply, err)) != 0)
        goto out;
    ver = plesk_xml_child(plesk_xml_child(reply.result, "stat"), "version");
    v = plesk_xml_text(ver, "plesk_version");
    if (v == NULL || v[0] == '\0' || strlen(v) > 40 || !isdigit((unsigned char)v[0]) ||
        strspn(v, "0123456789.") != strlen(v)) {
        r = jiku_err_set(err, JIKU_E_DATA, "server '%s': server get stat gives no Plesk version",
                         srv->name);
        goto out;
    }
    *version = v;
    v = NULL;
out:
    free(v);
    plesk_reply_release(&reply);
    plesk_packet_release(&p);
    return r;
}

bool
plesk_version_before_178(const char *version)
{
    char *end;
    long major = strtol(version, &end, 10), minor = 0;

    if (*end == '.')
        minor = strtol(end + 1, NULL, 10);
    return major < 17 || (major == 17 && minor < 8);
}
