/*
 * A cpmove restore (docs/WIRE.md §2.5): start_local_cpmove_restore, then
 * get_transfer_session_state until COMPLETED / ABORTED / FAILED, then the restore item's own
 * result from fetch_transfer_session_log — COMPLETED describes the session, not the item.
 */
#include <stdlib.h>
#include <string.h>

#include "cpanel.h"
#include "cpanel_remote.h"

static bool
terminal(const char *state)
{
    return strcmp(state, "COMPLETED") == 0 || strcmp(state, "ABORTED") == 0 ||
           strcmp(state, "FAILED") == 0;
}

/* States are upper-case words (PENDING, RESTORE_INPROGRESS, ...); anything else is garbage. */
static bool
plausible_state(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 40)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_'))
            return false;
    return true;
}

static void
abort_session(struct jiku_op *op, const struct jiku_server_info *srv, const char *tid)
{
    const struct cpanel_param p[] = {{"transfer_session_id", tid}};
    struct jiku_err e = {0};
    json_t *root = NULL;

    if (cpanel_whm_call(op, srv, "abort_transfer_session", p, 1, false, &root, &e) != 0)
        op->host->log(op, JIKU_LOG_WARN, "cannot abort transfer session %s: %s", tid, e.msg);
    json_decref(root);
}

static int
wait_session(struct jiku_op *op, const struct jiku_server_info *srv, const char *tid, char *state,
             size_t state_len, struct jiku_err *err)
{
    const struct cpanel_param p[] = {{"transfer_session_id", tid}};
    int64_t start = plug_now_ms(), timeout_ms = plug_timeout_ms(srv);
    int r;

    for (;;) {
        int64_t elapsed = plug_now_ms() - start;
        json_t *root = NULL;
        const char *s;

        if (elapsed > timeout_ms) {
            abort_session(op, srv, tid);
            return jiku_err_set(err, JIKU_E_PANEL,
                                "restore on '%s' (transfer session %s) ran past timeout (%d s)",
                                srv->name, tid, srv->timeout);
        }
        if ((r = op->host->sleep_ms(op, plug_poll_interval(elapsed, srv->poll_max))) != 0)
            return jiku_err_set(err, r,
                                "interrupted while restoring on '%s'; transfer session %s is "
                                "left to finish there",
                                srv->name, tid);
        if ((r = cpanel_whm_call(op, srv, "get_transfer_session_state", p, 1, false, &root, err)) !=
            0)
            return r;
        s = cpanel_json_str(json_object_get(root, "data"), "state_name");
        if (s == NULL || !plausible_state(s)) {
            r = jiku_err_set(err, JIKU_E_DATA,
                             "get_transfer_session_state on '%s' gives no valid state_name",
                             srv->name);
            json_decref(root);
            return r;
        }
        snprintf(state, state_len, "%s", s);
        json_decref(root);
        op->host->progress(op, &(struct jiku_progress){.step = "restore",
                                                       .done = (uint64_t)elapsed / 1000,
                                                       .state = state});
        if (terminal(state))
            return 0;
    }
}

static int
fetch_log(struct jiku_op *op, const struct jiku_server_info *srv, const char *tid,
          const char *logfile, json_t **root, const char **text, struct jiku_err *err)
{
    const struct cpanel_param p[] = {{"transfer_session_id", tid}, {"logfile", logfile}};
    int r;

    if ((r = cpanel_whm_call(op, srv, "fetch_transfer_session_log", p, 2, false, root, err)) != 0)
        return r;
    if ((*text = cpanel_json_str(json_object_get(*root, "data"), "log")) == NULL)
        return jiku_err_set(err, JIKU_E_DATA, "fetch_transfer_session_log on '%s' gives no log",
                            srv->name);
    return 0;
}

/* Best effort: the error lines of the item's own log, for a message. */
static void
item_errors(struct jiku_op *op, const struct jiku_server_info *srv, const char *tid,
            const char *user, struct jiku_buf *out)
{
    struct jiku_buf name = JIKU_BUF_INIT;
    struct jiku_err e = {0};
    json_t *root = NULL;
    const char *text;

    /* A text cut short by a lack of memory is not shown. */
    if (user != NULL && jiku_buf_addf(&name, "item-RESTORE_AccountLocal_%s", user) == 0 &&
        fetch_log(op, srv, tid, name.data, &root, &text, &e) == 0 &&
        cpanel_itemlog_errors(text, strlen(text), out, &e) == JIKU_E_NOMEM)
        jiku_buf_reset(out);
    json_decref(root);
    jiku_buf_release(&name);
}

int
cpanel_restore_run(struct jiku_op *op, const struct jiku_server_info *server, const char *archive,
                   const char *username, bool overwrite, char **warnings, struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct cpanel_restore_item item = {.message = JIKU_BUF_INIT};
    struct jiku_buf why = JIKU_BUF_INIT;
    struct cpanel_param p[3] = {{"cpmovepath", archive}, {"overwrite", overwrite ? "1" : "0"}};
    json_t *root = NULL, *lroot = NULL;
    char *tid = NULL, state[48] = "";
    const char *text;
    int r;

    if (!plug_valid_path(archive) || (username != NULL && !cpanel_valid_user(username)))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing to restore '%s' as '%s'", archive,
                            username != NULL ? username : "");
    if (username != NULL)
        p[2] = (struct cpanel_param){"username", username};
    r = cpanel_whm_call(op, srv, "start_local_cpmove_restore", p, username != NULL ? 3 : 2, true,
                        &root, err);
    if (r == JIKU_E_TRANSIENT) {
        /* Nothing lists restores by archive: never re-send; say where to look instead. */
        r = jiku_err_set(err, JIKU_E_UNREACHABLE,
                         "the answer to start_local_cpmove_restore on '%s' was lost; the restore "
                         "of '%s' may be running there (see WHM's transfer sessions); not "
                         "starting it again",
                         srv->name, archive);
        goto out;
    }
    if (r != 0)
        goto out;
    if ((r = cpanel_whm_job_id(root, "start_local_cpmove_restore", "transfer_session_id", srv, &tid,
                               err)) != 0)
        goto out;
    op->host->log(op, JIKU_LOG_INFO, "restore of '%s' started on '%s' (transfer session %s)",
                  archive, srv->name, tid);
    if ((r = wait_session(op, srv, tid, state, sizeof(state), err)) != 0)
        goto out;
    if ((r = fetch_log(op, srv, tid, "master.log", &lroot, &text, err)) != 0 ||
        (r = cpanel_translog_parse(text, strlen(text), &item, err)) != 0) {
        jiku_err_prefix(err, "server '%s'", srv->name);
        goto out;
    }
    if (strcmp(state, "COMPLETED") != 0 || item.result == CPANEL_ITEM_FAILED) {
        const struct jiku_buf *why_text = item.message.len > 0 ? &item.message : &why;

        if (item.message.len == 0)
            item_errors(op, srv, tid, username, &why);
        r = jiku_err_set(err, JIKU_E_PANEL, "restore of '%s' on '%s' %s%s%s%s", archive, srv->name,
                         strcmp(state, "COMPLETED") != 0 ? "ended " : "failed",
                         strcmp(state, "COMPLETED") != 0 ? state : "",
                         why_text->len > 0 ? ": " : "", why_text->data);
        goto out;
    }
    if (item.result == CPANEL_ITEM_NONE) {
        r = jiku_err_set(err, JIKU_E_PANEL,
                         "restore of '%s' on '%s' COMPLETED, but its log holds no result for the "
                         "restored account",
                         archive, srv->name);
        goto out;
    }
    if (item.result == CPANEL_ITEM_WARN) {
        if (srv->strict_warnings) {
            r = jiku_err_set(err, JIKU_E_PANEL,
                             "restore of '%s' on '%s' warned (strict_warnings): %s", archive,
                             srv->name, item.message.data);
            goto out;
        }
        op->host->log(op, JIKU_LOG_WARN, "restore of '%s' warned: %s", archive, item.message.data);
        if (warnings != NULL && (*warnings = strdup(item.message.data)) == NULL)
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
out:
    cpanel_restore_item_release(&item);
    jiku_buf_release(&why);
    json_decref(root);
    json_decref(lroot);
    free(tid);
    return r;
}
