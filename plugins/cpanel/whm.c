/*
 * WHM API 1 over the host's HTTPS (docs/WIRE.md §2.1-2.3): `Authorization: whm USER:TOKEN`,
 * `api.version=1` always, every parameter percent-encoded, envelopes parsed with jansson under
 * a size cap and with duplicate keys refused.  cPanel API 2 calls for an account go through
 * WHM's /json-api/cpanel the same way (for what UAPI lacks, e.g. SubDomain::delsubdomain).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpanel.h"

int
cpanel_url_encode(struct jiku_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int r = 0;

    for (const unsigned char *p = (const unsigned char *)s; r == 0 && *p != '\0'; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            r = jiku_buf_addch(b, (char)*p);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

            r = jiku_buf_add(b, esc, sizeof(esc));
        }
    }
    return r;
}

const char *
cpanel_json_str(json_t *obj, const char *key)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

    return json_is_string(v) ? json_string_value(v) : NULL;
}

int
cpanel_whm_job_id(json_t *root, const char *function, const char *key,
                  const struct jiku_server_info *server, char **id, struct jiku_err *err)
{
    const char *s = cpanel_json_str(json_object_get(root, "data"), key);

    *id = NULL;
    if (s == NULL || !plug_valid_component(s))
        return jiku_err_set(err, JIKU_E_DATA, "%s on '%s' gives no usable %s", function,
                            server->name, key);
    if ((*id = strdup(s)) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

/* 1, 0 or -1 (absent or neither) for a result flag given as an integer or a string. */
static int
flag_value(json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) == 1 ? 1 : json_integer_value(v) == 0 ? 0 : -1;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);

        return strcmp(s, "1") == 0 ? 1 : strcmp(s, "0") == 0 ? 0 : -1;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? 1 : 0;
    return -1;
}

/* Does TEXT say our credentials were refused? */
static bool
says_denied(const char *text)
{
    return text != NULL && (strcasestr(text, "access denied") != NULL ||
                            strcasestr(text, "permission denied") != NULL ||
                            strcasestr(text, "token denied") != NULL);
}

int
cpanel_add_text(struct jiku_buf *b, const char *s, size_t max)
{
    size_t n = 0;
    int r;

    for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && n < max; p++, n++)
        if ((r = jiku_buf_addch(b, *p < 0x20 || *p == 0x7f ? ' ' : (char)*p)) != 0)
            return r;
    return s[n] != '\0' ? jiku_buf_adds(b, "...") : 0;
}

/* reason and errors[] of a failed envelope, joined: 0 or JIKU_E_NOMEM. */
static int
failure_text(json_t *md, struct jiku_buf *b)
{
    const char *reason = cpanel_json_str(md, "reason");
    json_t *errors = json_object_get(md, "errors");
    size_t i;
    json_t *e;
    int r;

    if ((r = cpanel_add_text(b, reason != NULL ? reason : "no reason given", 400)) != 0)
        return r;
    if (!json_is_array(errors) || json_array_size(errors) == 0)
        return 0;
    /* "… 1 error occurred." then ": the error" reads better without the full stop. */
    if (b->len > 0 && b->data[b->len - 1] == '.')
        b->data[--b->len] = '\0';
    json_array_foreach(errors, i, e)
    {
        if (!json_is_string(e) || i >= 8)
            continue;
        if (reason != NULL && strcmp(json_string_value(e), reason) == 0)
            continue;
        if ((r = jiku_buf_adds(b, i == 0 ? ": " : "; ")) != 0 ||
            (r = cpanel_add_text(b, json_string_value(e), 400)) != 0)
            return r;
    }
    return 0;
}

static int
parse_json(const char *function, const char *body, size_t len, json_t **out, struct jiku_err *err)
{
    json_error_t jerr;
    json_t *root;

    if (len == 0)
        return jiku_err_set(err, JIKU_E_DATA, "empty answer from WHM to '%s'", function);
    if (len > CPANEL_JSON_MAX)
        return jiku_err_set(err, JIKU_E_DATA, "answer from WHM to '%s' exceeds %zu bytes", function,
                            CPANEL_JSON_MAX);
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return jiku_err_set(err, JIKU_E_DATA,
                            "answer from WHM to '%s' is not valid JSON (line %d column %d: %s)",
                            function, jerr.line, jerr.column, jerr.text);
    *out = root;
    return 0;
}

/*
 * What both WHM envelopes (API 1, and API 2 through /json-api/cpanel) share: refused
 * credentials, an HTTP status that is not 2xx, and a body that is not a JSON object.  *OUT
 * gets the object (the caller's).
 */
static int
whm_object(const char *call, long status, const char *body, size_t len, json_t **out,
           struct jiku_err *err)
{
    json_t *j = NULL;
    int r;

    *out = NULL;
    if (status == 401 || status == 403) {
        const char *text = NULL;

        /* The body is the legacy cpanelresult form, or not JSON at all (docs/WIRE.md §2.1). */
        if (len > 0 && len <= CPANEL_JSON_MAX &&
            (j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL)) != NULL)
            text = cpanel_json_str(json_object_get(j, "cpanelresult"), "error");
        r = jiku_err_set(err, JIKU_E_AUTH,
                         "WHM refused the credentials for '%s' (HTTP %ld%s%s): check api_user "
                         "and api_token_file",
                         call, status, text != NULL ? ": " : "", text != NULL ? text : "");
        json_decref(j);
        return r;
    }
    if (status < 200 || status > 299)
        return jiku_err_set(err, JIKU_E_DATA, "unexpected HTTP %ld from WHM for '%s'", status,
                            call);
    if ((r = parse_json(call, body, len, &j, err)) != 0)
        return r;
    if (!json_is_object(j)) {
        json_decref(j);
        return jiku_err_set(err, JIKU_E_DATA, "answer from WHM to '%s' is not a JSON object", call);
    }
    *out = j;
    return 0;
}

int
cpanel_whm_parse(const char *function, long status, const char *body, size_t len, json_t **root,
                 struct jiku_err *err)
{
    struct jiku_buf why = JIKU_BUF_INIT;
    json_t *j = NULL, *md, *legacy;
    int r, ok;

    *root = NULL;
    if ((r = whm_object(function, status, body, len, &j, err)) != 0)
        return r;
    if ((legacy = json_object_get(j, "cpanelresult")) != NULL) {
        const char *text = cpanel_json_str(legacy, "error");

        r = jiku_err_set(err, says_denied(text) ? JIKU_E_AUTH : JIKU_E_DATA,
                         "WHM answered '%s' in the legacy cpanelresult form%s%s", function,
                         text != NULL ? ": " : "", text != NULL ? text : "");
        goto out;
    }
    md = json_object_get(j, "metadata");
    if (!json_is_object(md)) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "answer from WHM to '%s' has no metadata (not a WHM API 1 envelope)",
                         function);
        goto out;
    }
    if ((ok = flag_value(json_object_get(md, "result"))) < 0) {
        r = jiku_err_set(err, JIKU_E_DATA, "answer from WHM to '%s' has no valid metadata.result",
                         function);
        goto out;
    }
    if (ok == 0) {
        if (failure_text(md, &why) != 0) {
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            goto out;
        }
        r = jiku_err_set(err, says_denied(why.data) ? JIKU_E_AUTH : JIKU_E_PANEL,
                         "WHM '%s' failed: %s", function, why.data);
        goto out;
    }
    *root = j;
    j = NULL;
    r = 0;
out:
    jiku_buf_release(&why);
    json_decref(j);
    return r;
}

int
cpanel_uapi_result(json_t *root, json_t **data, struct jiku_err *err)
{
    json_t *uapi = json_object_get(json_object_get(root, "data"), "uapi");
    struct jiku_buf why = JIKU_BUF_INIT;
    json_t *errors, *e;
    size_t i;
    int ok, r;

    if (!json_is_object(uapi))
        return jiku_err_set(err, JIKU_E_DATA, "uapi_cpanel answer has no data.uapi object");
    if ((ok = flag_value(json_object_get(uapi, "status"))) < 0)
        return jiku_err_set(err, JIKU_E_DATA, "uapi_cpanel answer has no valid status");
    if (ok == 1) {
        *data = json_object_get(uapi, "data");
        return 0;
    }
    errors = json_object_get(uapi, "errors");
    if (json_is_array(errors)) {
        json_array_foreach(errors, i, e)
        {
            if (json_is_string(e) && i < 8 &&
                (jiku_buf_adds(&why, why.len > 0 ? "; " : "") != 0 ||
                 cpanel_add_text(&why, json_string_value(e), 400) != 0)) {
                jiku_buf_release(&why);
                return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            }
        }
    }
    r = jiku_err_set(err, says_denied(why.data) ? JIKU_E_AUTH : JIKU_E_PANEL,
                     "UAPI call failed: %s", why.len > 0 ? why.data : "no error given");
    jiku_buf_release(&why);
    return r;
}

int
cpanel_add_params(struct jiku_buf *b, const struct cpanel_param *params, size_t n, bool first)
{
    for (size_t i = 0; i < n; i++) {
        if ((!first || i > 0) && jiku_buf_addch(b, '&') != 0)
            return JIKU_E_NOMEM;
        if (cpanel_url_encode(b, params[i].key) != 0 || jiku_buf_addch(b, '=') != 0 ||
            cpanel_url_encode(b, params[i].value) != 0)
            return JIKU_E_NOMEM;
    }
    return 0;
}

/*
 * /json-api/FUNCTION with api.version=1&PARAMS on SRV into *RESP: in the query of a GET, or
 * (POST) in a form body, where a secret among PARAMS stays out of every URL, log line and
 * trace (the core traces bodies by size only).  LABEL names the call in messages.  A lost
 * answer to a START call comes back as JIKU_E_TRANSIENT.
 */
static int
whm_send(struct jiku_op *op, const struct jiku_server_info *srv, const char *function,
         const char *label, const struct cpanel_param *params, size_t n_params, bool start,
         bool post, struct jiku_http_response *resp, struct jiku_err *err)
{
    struct jiku_buf path = JIKU_BUF_INIT, form = JIKU_BUF_INIT, token = JIKU_BUF_INIT;
    struct jiku_buf auth = JIKU_BUF_INIT;
    struct jiku_http_header hdr = {.name = "Authorization", .secret = true};
    struct jiku_http_request req = {
        .method = post ? "POST" : "GET",
        .headers = &hdr,
        .n_headers = 1,
        .safe_to_retry = !start,
        .max_response = CPANEL_JSON_MAX,
    };
    const char *user = srv->api_user != NULL && *srv->api_user != '\0' ? srv->api_user : "root";
    size_t room = sizeof("api.version=1");
    int r;

    /* The form may hold a password: sized once, so that no outgrown copy is freed unwiped. */
    for (size_t i = 0; i < n_params; i++)
        room += 2 + 3 * (strlen(params[i].key) + strlen(params[i].value));
    if (jiku_buf_grow(&form, room) != 0 || jiku_buf_adds(&path, "/json-api/") != 0 ||
        cpanel_url_encode(&path, function) != 0 || jiku_buf_adds(&form, "api.version=1") != 0 ||
        cpanel_add_params(&form, params, n_params, false) != 0)
        goto nomem;
    if (post) {
        req.body = form.data;
        req.body_len = form.len;
        req.content_type = "application/x-www-form-urlencoded";
    } else if (jiku_buf_addch(&path, '?') != 0 || jiku_buf_add(&path, form.data, form.len) != 0) {
        goto nomem;
    }
    if ((r = op->host->read_secret(op, srv, JIKU_SECRET_API_TOKEN, &token, err)) != 0)
        goto out;
    if (memchr(token.data, ':', token.len) != NULL || strchr(user, ':') != NULL) {
        r = jiku_err_set(err, JIKU_E_CONFIG, "the API token or user of '%s' contains ':'",
                         srv->name);
        goto out;
    }
    if (jiku_buf_addf(&auth, "whm %s:%s", user, token.data) != 0)
        goto nomem;
    hdr.value = auth.data;
    req.path = path.data;
    r = op->host->http(op, srv, &req, resp, err);
    if (r == JIKU_E_TRANSIENT && start)
        jiku_err_prefix(err, "the answer to '%s' on '%s' was lost", label, srv->name);
    else if (r != 0)
        jiku_err_prefix(err, "WHM '%s' on '%s'", label, srv->name);
    goto out;
nomem:
    r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
out:
    jiku_buf_release_secure(&auth);
    jiku_buf_release_secure(&token);
    jiku_buf_release_secure(&form);
    jiku_buf_release(&path);
    return r;
}

static int
whm_call(struct jiku_op *op, const struct jiku_server_info *server, const char *function,
         const struct cpanel_param *params, size_t n_params, bool start, bool post, json_t **root,
         struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct jiku_http_response resp = {.body = JIKU_BUF_INIT};
    int r;

    *root = NULL;
    if ((r = whm_send(op, srv, function, function, params, n_params, start, post, &resp, err)) != 0)
        goto out;
    r = cpanel_whm_parse(function, resp.status, resp.body.data, resp.body.len, root, err);
    if (r != 0 && r != JIKU_E_PANEL)
        jiku_err_prefix(err, "server '%s'", srv->name);
out:
    jiku_http_response_release(&resp);
    return r;
}

int
cpanel_whm_call(struct jiku_op *op, const struct jiku_server_info *server, const char *function,
                const struct cpanel_param *params, size_t n_params, bool start, json_t **root,
                struct jiku_err *err)
{
    return whm_call(op, server, function, params, n_params, start, false, root, err);
}

int
cpanel_uapi_post(struct jiku_op *op, const char *user, const char *module, const char *function,
                 const struct cpanel_param *params, size_t n_params, bool start, json_t **root,
                 json_t **data, struct jiku_err *err)
{
    struct cpanel_param p[CPANEL_UAPI_MAX_PARAMS + 3] = {
        {"cpanel.user", user}, {"cpanel.module", module}, {"cpanel.function", function}};
    int r;

    *root = NULL;
    *data = NULL;
    if (n_params > CPANEL_UAPI_MAX_PARAMS)
        return jiku_err_set(err, JIKU_E_INVAL, "too many UAPI parameters");
    for (size_t i = 0; i < n_params; i++)
        p[3 + i] = params[i];
    if ((r = whm_call(op, NULL, "uapi_cpanel", p, 3 + n_params, start, true, root, err)) != 0)
        return r;
    if ((r = cpanel_uapi_result(*root, data, err)) != 0) {
        jiku_err_prefix(err, "%s::%s for '%s' on '%s'", module, function, user, op->server->name);
        json_decref(*root);
        *root = NULL;
    }
    return r;
}

/* ---- cPanel API 2 through WHM (the envelope of cPanel's Cpanel/Api2/Exec.pm) ------------ */

/* The first element of DATA (an array of objects) whose result is 0, or NULL. Borrowed. */
static json_t *
failed_item(json_t *data)
{
    json_t *e;
    size_t i;

    json_array_foreach(data, i, e)
    {
        if (json_is_object(e) && flag_value(json_object_get(e, "result")) == 0)
            return e;
    }
    return NULL;
}

int
cpanel_api2_parse(const char *call, long status, const char *body, size_t len, json_t **root,
                  struct jiku_err *err)
{
    struct jiku_buf why = JIKU_BUF_INIT;
    json_t *j = NULL, *cr, *event, *item;
    const char *text;
    int r, ok;

    *root = NULL;
    if ((r = whm_object(call, status, body, len, &j, err)) != 0)
        return r;
    if (!json_is_object(cr = json_object_get(j, "cpanelresult"))) {
        /*
         * A user WHM cannot run API 2 as (docs/WIRE.md §2.3):
         * {"data":{…},"type":"text","error":"…"}
         */
        if ((text = cpanel_json_str(j, "error")) != NULL) {
            if (cpanel_add_text(&why, text, 400) != 0)
                goto nomem;
            r = jiku_err_set(err, says_denied(text) ? JIKU_E_AUTH : JIKU_E_PANEL,
                             "cPanel API 2 '%s' failed: %s", call, why.data);
        } else {
            r = jiku_err_set(err, JIKU_E_DATA,
                             "answer from WHM to '%s' has no cpanelresult (not a cPanel API 2 "
                             "envelope)",
                             call);
        }
        goto out;
    }
    /*
     * event.result 1 says the call ran; the function may still have failed: cPanel then sets
     * the envelope's error and the item's result 0 with its reason.
     */
    event = json_object_get(cr, "event");
    ok = flag_value(json_object_get(event, "result"));
    item = failed_item(json_object_get(cr, "data"));
    text = cpanel_json_str(cr, "error");
    if (ok == 0 || (text != NULL && *text != '\0') || item != NULL) {
        const char *reason = ok == 0 ? cpanel_json_str(event, "reason") : NULL;

        if (reason == NULL && item != NULL)
            reason = cpanel_json_str(item, "reason");
        if (reason == NULL || *reason == '\0')
            reason = text;
        if (cpanel_add_text(&why, reason != NULL && *reason != '\0' ? reason : "no reason given",
                            400) != 0)
            goto nomem;
        r = jiku_err_set(err, says_denied(why.data) ? JIKU_E_AUTH : JIKU_E_PANEL,
                         "cPanel API 2 '%s' failed: %s", call, why.data);
        goto out;
    }
    if (ok < 0) {
        r = jiku_err_set(err, JIKU_E_DATA, "answer from WHM to '%s' has no valid event.result",
                         call);
        goto out;
    }
    *root = j;
    j = NULL;
    r = 0;
    goto out;
nomem:
    r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
out:
    jiku_buf_release(&why);
    json_decref(j);
    return r;
}

int
cpanel_api2_call(struct jiku_op *op, const struct jiku_server_info *server, const char *user,
                 const char *module, const char *function, const struct cpanel_param *params,
                 size_t n_params, bool start, json_t **root, struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct cpanel_param p[12] = {{"cpanel_jsonapi_user", user},
                                 {"cpanel_jsonapi_module", module},
                                 {"cpanel_jsonapi_func", function},
                                 {"cpanel_jsonapi_apiversion", "2"}};
    struct jiku_http_response resp = {.body = JIKU_BUF_INIT};
    struct jiku_buf call = JIKU_BUF_INIT;
    int r;

    *root = NULL;
    if (n_params > sizeof(p) / sizeof(p[0]) - 4)
        return jiku_err_set(err, JIKU_E_INVAL, "too many cPanel API 2 parameters");
    for (size_t i = 0; i < n_params; i++)
        p[4 + i] = params[i];
    if (jiku_buf_addf(&call, "%s::%s", module, function) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = whm_send(op, srv, "cpanel", call.data, p, 4 + n_params, start, false, &resp, err)) !=
        0)
        goto out;
    r = cpanel_api2_parse(call.data, resp.status, resp.body.data, resp.body.len, root, err);
    if (r == JIKU_E_PANEL)
        jiku_err_prefix(err, "'%s' on '%s'", user, srv->name);
    else if (r != 0)
        jiku_err_prefix(err, "server '%s'", srv->name);
out:
    jiku_http_response_release(&resp);
    jiku_buf_release(&call);
    return r;
}
