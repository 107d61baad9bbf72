/*
 * A Softaculous session of one account (docs/WIRE.md §2.7, §5.1): WHM
 * create_user_session, its URL followed on the cPanel port for the cookie and the /cpsessN
 * prefix, the theme read from the redirect; then the calls and the polling of background
 * tasks.  The session URL, the prefix and the cookie are credentials: they never reach a
 * message (the core hides /cpsess segments, cookies and Location in its own traces).
 */
#include <stdlib.h>
#include <string.h>

#include "cpanel.h"

#define SOFT_LOGIN_MAX ((size_t)1 << 20)

void
cpanel_soft_session_release(struct cpanel_soft_session *s)
{
    if (s->prefix != NULL)
        jiku_memzero(s->prefix, strlen(s->prefix));
    free(s->prefix);
    free(s->theme);
    memset(s, 0, sizeof(*s));
}

/* ---- the session and the calls ------------------------------------------------------- */

static int
open_once(struct jiku_op *op, const char *user, struct cpanel_soft_session *s, struct jiku_err *err)
{
    const struct cpanel_param pu[] = {{"user", user}, {"service", "cpaneld"}};
    struct jiku_http_response resp = {.body = JIKU_BUF_INIT};
    struct jiku_http_request req = {
        .method = "GET",
        .port = cpanel_settings(op->server)->softaculous_port,
        .use_cookies = true,
        .safe_to_retry = false,
        .max_response = SOFT_LOGIN_MAX,
    };
    json_t *root = NULL, *data;
    const char *token;
    char *path = NULL;
    int r;

    memset(s, 0, sizeof(*s));
    if ((r = cpanel_whm_call(op, NULL, "create_user_session", pu, 2, false, &root, err)) != 0)
        return r;
    data = json_object_get(root, "data");
    if ((r = cpanel_soft_login_path(cpanel_json_str(data, "url"), &path, err)) != 0)
        goto out;
    token = cpanel_json_str(data, "cp_security_token");
    if (token != NULL && strncmp(path, token, strlen(token)) != 0) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "create_user_session gave a URL outside its own security token");
        goto out;
    }
    req.path = path;
    if ((r = op->host->http(op, NULL, &req, &resp, err)) != 0) {
        jiku_err_prefix(err, "cPanel session login for '%s' on '%s'", user, op->server->name);
        goto out;
    }
    if (resp.status < 300 || resp.status > 399 || resp.location == NULL) {
        r = jiku_err_set(err, JIKU_E_AUTH,
                         "the cPanel session login for '%s' on '%s' was refused (HTTP %ld, no "
                         "redirect into a session)",
                         user, op->server->name, resp.status);
        goto out;
    }
    if ((r = cpanel_soft_redirect(resp.location, &s->prefix, &s->theme, err)) != 0) {
        jiku_err_prefix(err, "server '%s'", op->server->name);
        goto out;
    }
    if (strncmp(path, s->prefix, strlen(s->prefix)) != 0 || path[strlen(s->prefix)] != '/') {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "the cPanel session login on '%s' redirected into another session",
                         op->server->name);
        goto out;
    }
    s->user = user;
out:
    if (r != 0)
        cpanel_soft_session_release(s);
    if (path != NULL)
        jiku_memzero(path, strlen(path));
    free(path);
    jiku_http_response_release(&resp);
    json_decref(root);
    return r;
}

/*
 * A session URL may be good for one login only, so a login whose answer was lost is never
 * repeated: a fresh session is asked for instead, once.
 */
int
cpanel_soft_open(struct jiku_op *op, const char *user, struct cpanel_soft_session *s,
                 struct jiku_err *err)
{
    int r = open_once(op, user, s, err);

    if (r == JIKU_E_TRANSIENT) {
        op->host->log(op, JIKU_LOG_WARN, "%s; asking for a new session",
                      err != NULL ? err->msg : "the cPanel session login failed");
        if ((r = open_once(op, user, s, err)) == JIKU_E_TRANSIENT) {
            r = JIKU_E_UNREACHABLE;
            if (err != NULL)
                err->status = r;
        }
    }
    return r;
}

int
cpanel_soft_call(struct jiku_op *op, const struct cpanel_soft_session *s, const char *act,
                 const struct cpanel_param *query, size_t n_query, const struct cpanel_param *form,
                 size_t n_form, bool start, json_t **root, struct jiku_err *err)
{
    struct jiku_buf path = JIKU_BUF_INIT, body = JIKU_BUF_INIT;
    struct jiku_http_response resp = {.body = JIKU_BUF_INIT};
    struct jiku_http_request req = {
        .method = n_form > 0 ? "POST" : "GET",
        .port = cpanel_settings(op->server)->softaculous_port,
        .use_cookies = true,
        .safe_to_retry = !start,
        .max_response = CPANEL_JSON_MAX,
    };
    int r;

    *root = NULL;
    if (jiku_buf_addf(&path, "%s/frontend/%s/softaculous/index.live.php?act=", s->prefix,
                      s->theme) != 0 ||
        cpanel_url_encode(&path, act) != 0 || jiku_buf_adds(&path, "&api=json") != 0 ||
        cpanel_add_params(&path, query, n_query, false) != 0 ||
        (n_form > 0 && (cpanel_add_params(&body, form, n_form, true) != 0))) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    req.path = path.data;
    if (n_form > 0) {
        req.body = body.data;
        req.body_len = body.len;
        req.content_type = "application/x-www-form-urlencoded";
    }
    r = op->host->http(op, NULL, &req, &resp, err);
    if (r == JIKU_E_TRANSIENT && start) {
        jiku_err_prefix(err,
                        "the answer to Softaculous '%s' on '%s' was lost; the task may be running "
                        "there and was not started again",
                        act, op->server->name);
        r = JIKU_E_UNREACHABLE;
        if (err != NULL)
            err->status = r;
        goto out;
    }
    if (r != 0) {
        jiku_err_prefix(err, "Softaculous '%s' on '%s'", act, op->server->name);
        goto out;
    }
    r = cpanel_soft_parse(act, resp.status, resp.body.data, resp.body.len, root, err);
    if (r != 0 && r != JIKU_E_PANEL)
        jiku_err_prefix(err, "server '%s'", op->server->name);
out:
    jiku_http_response_release(&resp);
    jiku_buf_release_secure(&path);
    jiku_buf_release(&body);
    return r;
}

int
cpanel_soft_wait(struct jiku_op *op, const struct cpanel_soft_session *s, const char *act,
                 const char *ssk, struct jiku_err *err)
{
    const struct cpanel_param q[] = {{"ssk", ssk}};
    int64_t start = plug_now_ms(), timeout_ms = (int64_t)op->server->timeout * 1000;
    json_t *root = NULL;
    int r, progress;
    bool done = false;

    if (timeout_ms <= 0)
        timeout_ms = (int64_t)3600 * 1000;
    for (;;) {
        int64_t elapsed = plug_now_ms() - start;

        if ((r = op->host->sleep_ms(op, plug_poll_interval(elapsed, op->server->poll_max))) != 0)
            return jiku_err_set(err, r, "interrupted while Softaculous '%s' runs on '%s'", act,
                                op->server->name);
        r = cpanel_soft_call(op, s, "eu_tasklist", q, 1, NULL, 0, false, &root, err);
        if (r == 0)
            r = cpanel_soft_task_state(root, &progress, &done, err);
        json_decref(root);
        root = NULL;
        if (r == JIKU_E_PANEL)
            return jiku_err_prefix(err, "Softaculous task '%s' failed on '%s'", act,
                                   op->server->name);
        if (r != 0)
            return r;
        if (op->host->progress != NULL) {
            struct jiku_progress p = {.step = act,
                                      .done = (uint64_t)(plug_now_ms() - start) / 1000,
                                      .state = done ? "done" : "running"};

            op->host->progress(op, &p);
        }
        if (done)
            return 0;
        if (plug_now_ms() - start > timeout_ms)
            return jiku_err_set(err, JIKU_E_PANEL,
                                "Softaculous task '%s' on '%s' ran past timeout (%d s, %d%% done)",
                                act, op->server->name, op->server->timeout, progress);
    }
}
