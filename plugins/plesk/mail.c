/*
 * The mail accounts of a subscription through the XML API's mail operator (docs/WIRE.md §3.7):
 * get_info per domain for LIST, create, update/set for a new password, remove.  A mailbox is
 * named by its domain's site id and its local part.  The password goes only into the request
 * body: the core traces bodies by size only (agent/http_trace.c), plesk_xml_call wipes the
 * body and the packet's text node is wiped before the tree is freed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plesk.h"

#define LOCAL_MAX 64
#define MIB (1024LL * 1024LL)

/* One domain of the subscription and the site id the mail operator knows it by. */
struct mail_domain {
    char *name;
    long id;
};

struct mail_domains {
    struct mail_domain *v;
    size_t n;
};

static void
domains_release(struct mail_domains *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].name);
    free(d->v);
    memset(d, 0, sizeof(*d));
}

static int
domains_add(struct mail_domains *d, const char *name, long id, struct jiku_err *err)
{
    struct mail_domain *v = realloc(d->v, (d->n + 1) * sizeof(*v));

    if (v == NULL)
        return plug_nomem(err);
    d->v = v;
    if ((v[d->n].name = strdup(name)) == NULL)
        return plug_nomem(err);
    v[d->n++].id = id;
    return 0;
}

/*
 * The subscription's domains with their site ids: its own, whose site id is the webspace's
 * (the mail operator takes it so: docs/WIRE.md §3.7), then its sites (`site get` by
 * parent-id), each checked as a host name.
 */
static int
mail_domains(struct jiku_op *op, const char *sub, struct mail_domains *out, struct jiku_err *err)
{
    struct plesk_webspace w = {0};
    struct plesk_packet p = {0};
    struct plesk_reply reply = {0};
    xmlNodePtr filter, ds;
    char id[24];
    int r;

    memset(out, 0, sizeof(*out));
    if ((r = plesk_webspace_get(op, NULL, sub, false, false, &w, err)) != 0)
        goto out;
    if (w.id <= 0) {
        r = jiku_err_set(err, JIKU_E_DATA, "server '%s': webspace get of '%s' gives no id",
                         op->server->name, sub);
        goto out;
    }
    snprintf(id, sizeof(id), "%ld", w.id);
    if ((r = domains_add(out, sub, w.id, err)) != 0 ||
        (r = plesk_packet_new(&p, "site", "get", err)) != 0 ||
        (r = plesk_packet_add(p.op, "filter", NULL, &filter, err)) != 0 ||
        (r = plesk_packet_add(filter, "parent-id", id, NULL, err)) != 0 ||
        (r = plesk_packet_add(p.op, "dataset", NULL, &ds, err)) != 0 ||
        (r = plesk_packet_add(ds, "gen_info", NULL, NULL, err)) != 0 ||
        (r = plesk_xml_call(op, NULL, &p, true, &reply, err)) != 0)
        goto out;
    /* A subscription without other sites may answer without any <result> (§3.2). */
    for (xmlNodePtr n = reply.op->children; n != NULL && r == 0; n = n->next) {
        char *sid, *name;
        long site;

        if (!plesk_is_result(n))
            continue;
        sid = plesk_xml_text(n, "id");
        name = plesk_xml_text(plesk_xml_child(plesk_xml_child(n, "data"), "gen_info"), "name");
        site = plesk_parse_id(sid);
        if (site <= 0 || !plesk_valid_domain(name))
            r = jiku_err_set(err, JIKU_E_DATA,
                             "server '%s': site get of '%s' gives a site "
                             "without a usable id or name",
                             op->server->name, sub);
        else
            r = domains_add(out, name, site, err);
        free(sid);
        free(name);
    }
out:
    if (r != 0)
        domains_release(out);
    plesk_reply_release(&reply);
    plesk_packet_release(&p);
    plesk_webspace_release(&w);
    return r;
}

/* The site id of DOMAIN, which must be one of the subscription's. */
static int
site_of(struct jiku_op *op, const char *sub, const char *domain, long *site, struct jiku_err *err)
{
    struct mail_domains d;
    int r;

    if ((r = mail_domains(op, sub, &d, err)) != 0)
        return r;
    r = jiku_err_set(err, JIKU_E_NOTFOUND, "domain '%s' is not part of subscription '%s' on '%s'",
                     domain, sub, op->server->name);
    for (size_t i = 0; i < d.n; i++) {
        if (strcmp(d.v[i].name, domain) == 0) {
            *site = d.v[i].id;
            jiku_err_clear(err);
            r = 0;
            break;
        }
    }
    domains_release(&d);
    return r;
}

/* ---- LIST -------------------------------------------------------------------------------- */

/* A quota as get_info gives it, bytes or -1, into MiB (rounded up) or JIKU_QUOTA_UNLIMITED. */
static int
quota_mib(const char *s, long *mib)
{
    char *end;
    long long v;

    *mib = 0;
    if (s == NULL || s[0] == '\0')
        return 0; /* not said */
    if (strcmp(s, "-1") == 0) {
        *mib = JIKU_QUOTA_UNLIMITED;
        return 0;
    }
    if (!isdigit((unsigned char)s[0]) || strlen(s) > 18)
        return -1;
    v = strtoll(s, &end, 10);
    if (*end != '\0')
        return -1;
    *mib = (long)((v + MIB - 1) / MIB);
    return 0;
}

/* One <mailname> of DOMAIN's get_info into a new item of the result. */
static int
add_item(struct jiku_op *op, const char *domain, xmlNodePtr mailname, struct jiku_err *err)
{
    struct jiku_op_result *res = op->result;
    xmlNodePtr box = plesk_xml_child(mailname, "mailbox");
    char *name = plesk_xml_text(mailname, "name"), *quota = plesk_xml_text(box, "quota");
    char *enabled = plesk_xml_text(box, "enabled");
    struct jiku_login_item *v, it = {0};
    int r = 0;

    if (!plug_valid_word(name, LOCAL_MAX, "._+-") || quota_mib(quota, &it.quota_mib) != 0) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "server '%s': mail get_info of '%s' gives a mailbox without a usable "
                         "name or quota",
                         op->server->name, domain);
        goto out;
    }
    it.disabled = enabled != NULL && strcmp(enabled, "false") == 0;
    if ((v = realloc(res->logins, (res->n_logins + 1) * sizeof(*v))) == NULL) {
        r = plug_nomem(err);
        goto out;
    }
    res->logins = v;
    if (plug_strfmt(&it.name, "%s@%s", name, domain) != 0) {
        r = plug_nomem(err);
        goto out;
    }
    v[res->n_logins++] = it;
out:
    free(name);
    free(quota);
    free(enabled);
    return r;
}

/* Every mailbox of one domain: get_info by site id with the mailbox dataset. */
static int
list_domain(struct jiku_op *op, const struct mail_domain *d, struct jiku_err *err)
{
    struct plesk_packet p = {0};
    struct plesk_reply reply = {0};
    xmlNodePtr filter;
    char id[24];
    int r;

    snprintf(id, sizeof(id), "%ld", d->id);
    if ((r = plesk_packet_new(&p, "mail", "get_info", err)) != 0 ||
        (r = plesk_packet_add(p.op, "filter", NULL, &filter, err)) != 0 ||
        (r = plesk_packet_add(filter, "site-id", id, NULL, err)) != 0 ||
        (r = plesk_packet_add(p.op, "mailbox", NULL, NULL, err)) != 0 ||
        (r = plesk_xml_call(op, NULL, &p, true, &reply, err)) != 0)
        goto out;
    /* No mailbox: no <result> at all (§3.2). */
    for (xmlNodePtr n = reply.op->children; n != NULL && r == 0; n = n->next) {
        xmlNodePtr mailname;

        if (!plesk_is_result(n))
            continue;
        if ((mailname = plesk_xml_child(n, "mailname")) == NULL)
            r = jiku_err_set(err, JIKU_E_DATA,
                             "server '%s': mail get_info of '%s' gives a "
                             "result without a mailname",
                             op->server->name, d->name);
        else
            r = add_item(op, d->name, mailname, err);
    }
out:
    plesk_reply_release(&reply);
    plesk_packet_release(&p);
    return r;
}

static int
mail_list(struct jiku_op *op, const char *sub, struct jiku_err *err)
{
    struct mail_domains d;
    int r;

    if ((r = mail_domains(op, sub, &d, err)) != 0)
        return r;
    for (size_t i = 0; i < d.n && r == 0; i++)
        r = list_domain(op, &d.v[i], err);
    domains_release(&d);
    return r;
}

/* ---- changes ----------------------------------------------------------------------------- */

/*
 * <password><value>PASSWORD</value><type>plain</type></password> under MAILNAME; *VALUE is the
 * element to wipe.  A control character would make the packet invalid XML: refused, unnamed.
 */
static int
add_password(xmlNodePtr mailname, const char *password, xmlNodePtr *value, struct jiku_err *err)
{
    xmlNodePtr pw;
    int r;

    if (password == NULL || password[0] == '\0')
        return jiku_err_set(err, JIKU_E_INVAL, "a mailbox needs a password");
    for (const char *c = password; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return jiku_err_set(err, JIKU_E_INVAL, "the password has a control character");
    if ((r = plesk_packet_add(mailname, "password", NULL, &pw, err)) != 0 ||
        (r = plesk_packet_add(pw, "value", password, value, err)) != 0)
        return r;
    return plesk_packet_add(pw, "type", "plain", NULL, err);
}

/* Zero the text of VALUE (the password) before the tree is freed. */
static void
wipe_value(xmlNodePtr value)
{
    for (xmlNodePtr t = value != NULL ? value->children : NULL; t != NULL; t = t->next)
        if (t->content != NULL)
            jiku_memzero(t->content, (size_t)xmlStrlen(t->content));
}

/* "512 MiB", "unlimited", "the panel's default" for details. */
static void
quota_words(long mib, char *buf, size_t len)
{
    if (mib == JIKU_QUOTA_UNLIMITED)
        snprintf(buf, len, "unlimited");
    else if (mib > 0)
        snprintf(buf, len, "%ld MiB", mib);
    else
        snprintf(buf, len, "the panel's default");
}

/*
 * The packet of a change of LOCAL on SITE: create, update/set (the password) or remove.
 * *VALUE: the password's element, or NULL.
 */
static int
change_packet(const struct jiku_login_params *lp, long site, const char *local,
              struct plesk_packet *p, xmlNodePtr *value, struct jiku_err *err)
{
    xmlNodePtr filter, mailname, box;
    char id[24], quota[24];
    int r;

    *value = NULL;
    snprintf(id, sizeof(id), "%ld", site);
    if (lp->op == JIKU_LOGIN_REMOVE) {
        /* A filter without a name would remove every mailbox of the site. */
        if ((r = plesk_packet_new(p, "mail", "remove", err)) != 0 ||
            (r = plesk_packet_add(p->op, "filter", NULL, &filter, err)) != 0 ||
            (r = plesk_packet_add(filter, "site-id", id, NULL, err)) != 0)
            return r;
        return plesk_packet_add(filter, "name", local, NULL, err);
    }
    if (lp->op == JIKU_LOGIN_ADD) {
        if ((r = plesk_packet_new(p, "mail", "create", err)) != 0)
            return r;
    } else if ((r = plesk_packet_new(p, "mail", "update", err)) != 0 ||
               (r = plesk_packet_add(p->op, "set", NULL, &p->op, err)) != 0) {
        return r;
    }
    if ((r = plesk_packet_add(p->op, "filter", NULL, &filter, err)) != 0 ||
        (r = plesk_packet_add(filter, "site-id", id, NULL, err)) != 0 ||
        (r = plesk_packet_add(filter, "mailname", NULL, &mailname, err)) != 0 ||
        (r = plesk_packet_add(mailname, "name", local, NULL, err)) != 0)
        return r;
    if (lp->op == JIKU_LOGIN_ADD) {
        if ((r = plesk_packet_add(mailname, "mailbox", NULL, &box, err)) != 0 ||
            (r = plesk_packet_add(box, "enabled", "true", NULL, err)) != 0)
            return r;
        if (lp->quota_mib == JIKU_QUOTA_UNLIMITED || lp->quota_mib > 0) {
            snprintf(quota, sizeof(quota), "%lld",
                     lp->quota_mib > 0 ? (long long)lp->quota_mib * MIB : -1LL);
            if ((r = plesk_packet_add(box, "quota", quota, NULL, err)) != 0)
                return r;
        }
    }
    return add_password(mailname, lp->password, value, err);
}

static int
mail_change(struct jiku_op *op, const char *sub, struct jiku_err *err)
{
    const struct jiku_login_params *lp = op->params->login;
    static const char *const done[] = {[JIKU_LOGIN_ADD] = "created",
                                       [JIKU_LOGIN_PASSWD] = "changed the password of",
                                       [JIKU_LOGIN_REMOVE] = "removed"};
    static const char *const plan[] = {[JIKU_LOGIN_ADD] = "would create",
                                       [JIKU_LOGIN_PASSWD] = "would change the password of",
                                       [JIKU_LOGIN_REMOVE] = "would remove"};
    struct plesk_packet p = {0};
    struct plesk_reply reply = {0};
    xmlNodePtr value = NULL;
    const char *domain = NULL;
    char *local = NULL, quota[40] = "";
    long site = -1;
    int r;

    if ((r = plug_split_address(lp->name, &local, &domain, err)) != 0 ||
        (r = site_of(op, sub, domain, &site, err)) != 0 ||
        (r = change_packet(lp, site, local, &p, &value, err)) != 0)
        goto out;
    if (lp->op == JIKU_LOGIN_ADD) {
        char q[24];

        quota_words(lp->quota_mib, q, sizeof(q));
        snprintf(quota, sizeof(quota), ", quota %s", q);
    }
    if (op->params->dry_run) {
        if (plug_strfmt(&op->result->details, "%s %s%s", plan[lp->op], lp->name, quota) != 0)
            r = plug_nomem(err);
        goto out;
    }
    /* A change is sent once: an answer lost on the way comes back as JIKU_E_TRANSIENT. */
    if ((r = plesk_xml_call(op, NULL, &p, false, &reply, err)) != 0)
        goto out;
    if (reply.result == NULL) {
        r = jiku_err_set(err, JIKU_E_DATA, "server '%s': mail %s of '%s' gives no result",
                         op->server->name, (const char *)p.op->name, lp->name);
        goto out;
    }
    if (plug_strfmt(&op->result->details, "%s %s%s", done[lp->op], lp->name, quota) != 0)
        r = plug_nomem(err);
out:
    wipe_value(value);
    plesk_reply_release(&reply);
    plesk_packet_release(&p);
    free(local);
    return r;
}

int
plesk_mail(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_login_params *lp = op->params != NULL ? op->params->login : NULL;
    const char *sub;
    int r;

    if ((r = plesk_target_domain(op, &sub, err)) != 0)
        return r;
    if (lp == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "mail without its parameters");
    switch (lp->op) {
    case JIKU_LOGIN_LIST:
        return mail_list(op, sub, err);
    case JIKU_LOGIN_ADD:
    case JIKU_LOGIN_PASSWD:
    case JIKU_LOGIN_REMOVE:
        return mail_change(op, sub, err);
    case JIKU_LOGIN_ROLE:
        break;
    }
    return jiku_err_set(err, JIKU_E_UNSUPPORTED, "a Plesk mailbox has no role");
}
