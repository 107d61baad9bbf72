/*
 * WP Toolkit answers: `--list` and `--info` with `-format json`, whose shapes no vendor
 * documents (docs/WIRE.md §4.2: only the keys id, siteUrl, fullPath are seen, by third parties), so
 * the parser asks for no more than those, reads the owner keys only when present, and refuses
 * anything it cannot read rather than guess.  Matching a target to an instance is by site URL
 * and account, never by a remembered id: ids are server-wide and change on re-registration.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wpt.h"

void
wpt_instance_release(struct wpt_instance *i)
{
    free(i->owner);
    free(i->main_domain);
    free(i->domain);
    free(i->site_url);
    free(i->full_path);
    free(i->nested);
    free(i->sys_user);
    memset(i, 0, sizeof(*i));
}

void
wpt_list_release(struct wpt_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        wpt_instance_release(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static int
dup_member(json_t *obj, const char *key, bool required, char **out, struct jiku_err *err)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (required)
            return jiku_err_set(err, JIKU_E_DATA, "WP Toolkit instance without '%s'", key);
        return 0;
    }
    if (!json_is_string(v) || strlen(json_string_value(v)) > 4000)
        return jiku_err_set(err, JIKU_E_DATA, "WP Toolkit instance with a bad '%s'", key);
    if ((*out = strdup(json_string_value(v))) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

static int
instance_from_json(json_t *obj, struct wpt_instance *out, struct jiku_err *err)
{
    json_t *id = json_object_get(obj, "id");
    int r;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(obj))
        return jiku_err_set(err, JIKU_E_DATA, "WP Toolkit instance is not a JSON object");
    /* Some versions print ids as strings; both are the same integer. */
    if (json_is_integer(id)) {
        out->id = json_integer_value(id);
    } else if (json_is_string(id)) {
        const char *s = json_string_value(id);
        char *end;

        out->id = strtoll(s, &end, 10);
        if (*s == '\0' || *end != '\0')
            out->id = -1;
    } else {
        out->id = -1;
    }
    if (out->id <= 0)
        return jiku_err_set(err, JIKU_E_DATA, "WP Toolkit instance without a positive integer id");
    if ((r = dup_member(obj, "siteUrl", true, &out->site_url, err)) != 0 ||
        (r = dup_member(obj, "fullPath", true, &out->full_path, err)) != 0 ||
        (r = dup_member(obj, "owner", false, &out->owner, err)) != 0 ||
        (r = dup_member(obj, "mainDomain", false, &out->main_domain, err)) != 0 ||
        (r = dup_member(obj, "domain", false, &out->domain, err)) != 0)
        return r;
    out->broken = json_is_true(json_object_get(obj, "broken"));
    return 0;
}

static int
load(const char *what, const char *json, size_t len, json_t **out, struct jiku_err *err)
{
    json_error_t jerr;

    if (json == NULL || len == 0)
        return jiku_err_set(err, JIKU_E_DATA, "WP Toolkit %s printed nothing", what);
    if (len > WPT_JSON_MAX)
        return jiku_err_set(err, JIKU_E_DATA, "WP Toolkit %s printed more than %zu bytes", what,
                            WPT_JSON_MAX);
    if ((*out = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
        return jiku_err_set(err, JIKU_E_DATA,
                            "WP Toolkit %s printed no valid JSON (line %d column %d: %s)", what,
                            jerr.line, jerr.column, jerr.text);
    return 0;
}

int
wpt_list_parse(const char *json, size_t len, struct wpt_list *out, struct jiku_err *err)
{
    json_t *root = NULL, *e;
    size_t i;
    int r;

    memset(out, 0, sizeof(*out));
    if ((r = load("--list", json, len, &root, err)) != 0)
        return r;
    if (!json_is_array(root)) {
        r = jiku_err_set(err, JIKU_E_DATA, "WP Toolkit --list printed no JSON array");
        goto out;
    }
    if (json_array_size(root) > 0 &&
        (out->items = calloc(json_array_size(root), sizeof(*out->items))) == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    json_array_foreach(root, i, e)
    {
        if ((r = instance_from_json(e, &out->items[i], err)) != 0) {
            out->n = i + 1;
            jiku_err_prefix(err, "WP Toolkit --list entry %zu", i + 1);
            goto out;
        }
        out->n = i + 1;
        for (size_t j = 0; j < i; j++) {
            if (out->items[j].id == out->items[i].id) {
                r = jiku_err_set(err, JIKU_E_DATA, "WP Toolkit --list names id %lld twice",
                                 out->items[i].id);
                goto out;
            }
        }
    }
out:
    json_decref(root);
    return r;
}

int
wpt_info_parse(const char *json, size_t len, struct wpt_instance *out, struct jiku_err *err)
{
    json_t *root = NULL;
    int r;

    memset(out, 0, sizeof(*out));
    if ((r = load("--info", json, len, &root, err)) != 0)
        return r;
    if ((r = instance_from_json(root, out, err)) != 0)
        jiku_err_prefix(err, "WP Toolkit --info");
    json_decref(root);
    return r;
}

int
wpt_site_url(const struct wpt_site *site, struct jiku_buf *out)
{
    const char *p = site->path != NULL ? site->path : "/";
    size_t n = strlen(p);

    while (n > 0 && p[n - 1] == '/')
        n--;
    if (jiku_buf_adds(out, "https://") != 0 || jiku_buf_adds(out, site->domain) != 0 ||
        jiku_buf_add(out, p, n) != 0)
        return JIKU_E_NOMEM;
    return 0;
}

bool
wpt_url_matches(const char *site_url, const struct wpt_site *site)
{
    const char *u = site_url, *p = site->path != NULL ? site->path : "/";
    size_t dl = strlen(site->domain), ul, pl = strlen(p);

    if (strncasecmp(u, "https://", 8) == 0)
        u += 8;
    else if (strncasecmp(u, "http://", 7) == 0)
        u += 7;
    else
        return false;
    if (strncasecmp(u, site->domain, dl) != 0)
        return false;
    u += dl;
    /* The rest is the URL path; a trailing '/' on either side means the same site. */
    ul = strlen(u);
    while (ul > 0 && u[ul - 1] == '/')
        ul--;
    while (pl > 0 && p[pl - 1] == '/')
        pl--;
    return ul == pl && strncmp(u, p, ul) == 0;
}

/*
 * The owner keys (owner, mainDomain) are undocumented: one that is present and names another
 * account stops the operation, one that is absent proves nothing either way.  What proves the
 * instance is the account's is its fullPath inside the account's directory, which the panel's
 * API gives (wpt_resolve_site, the only way the actions resolve an instance).
 */
int
wpt_instance_check(const struct wpt_instance *i, const struct wpt_site *site, struct jiku_err *err)
{
    const char *who = site->account_is_main_domain ? i->main_domain : i->owner;
    struct jiku_buf url = JIKU_BUF_INIT;
    int r = 0;

    if (wpt_site_url(site, &url) != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    if (!wpt_url_matches(i->site_url, site))
        r = jiku_err_set(err, JIKU_E_DATA,
                         "WP Toolkit instance %lld is '%.200s', not '%s': refusing to touch it",
                         i->id, i->site_url, url.data);
    else if (who != NULL && strcmp(who, site->account) != 0)
        r = jiku_err_set(err, JIKU_E_DATA,
                         "WP Toolkit instance %lld ('%s') belongs to '%.100s', not '%s': "
                         "refusing to touch it",
                         i->id, url.data, who, site->account);
    jiku_buf_release(&url);
    return r;
}

int
wpt_match(const struct wpt_list *list, const struct wpt_site *site, const struct wpt_instance **out,
          struct jiku_err *err)
{
    const struct wpt_instance *found = NULL;
    struct jiku_buf url = JIKU_BUF_INIT, ids = JIKU_BUF_INIT;
    size_t n = 0;
    int r = 0;

    *out = NULL;
    if (wpt_site_url(site, &url) != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    for (size_t k = 0; k < list->n; k++) {
        if (!wpt_url_matches(list->items[k].site_url, site))
            continue;
        found = &list->items[k];
        if (jiku_buf_addf(&ids, "%s%lld", n > 0 ? ", " : "", found->id) != 0) {
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            goto out;
        }
        n++;
    }
    if (n == 0)
        r = jiku_err_set(err, JIKU_E_NOTFOUND, "WP Toolkit knows no WordPress site '%s'", url.data);
    else if (n > 1)
        r = jiku_err_set(err, JIKU_E_DATA,
                         "WP Toolkit lists several WordPress sites at '%s' (ids %s): ambiguous, "
                         "nothing done",
                         url.data, ids.data);
    else if ((r = wpt_instance_check(found, site, err)) == 0)
        *out = found;
out:
    jiku_buf_release(&url);
    jiku_buf_release(&ids);
    return r;
}

bool
wpt_valid_domain(const char *s)
{
    size_t n;

    if (s == NULL || (n = strlen(s)) == 0 || n > 253 || s[0] == '-' || s[0] == '.' ||
        s[n - 1] == '.' || strstr(s, "..") != NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '.'))
            return false;
    return true;
}

bool
wpt_valid_url_path(const char *s)
{
    if (s == NULL || s[0] != '/' || strlen(s) > 1000 || strstr(s, "//") != NULL ||
        strstr(s, "/./") != NULL || strstr(s, "/../") != NULL)
        return false;
    for (const char *p = s; *p != '\0'; p++)
        if (!(isalnum((unsigned char)*p) || strchr("/._~-", *p) != NULL))
            return false;
    return true;
}
