/*
 * The session: built once by jiku_main from the command table's need-flags (cli.c), closed
 * when the command returned.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "catalog.h"
#include "hostimpl.h"
#include "metrics.h"
#include "plugin_loader.h"
#include "session.h"

enum jiku_log_level
jiku_session_verbosity(const struct jiku_session *s)
{
    if (s->quiet)
        return JIKU_LOG_ERROR;
    if (s->verbose >= 3)
        return JIKU_LOG_TRACE;
    return (enum jiku_log_level)(JIKU_LOG_WARN + s->verbose);
}

static int
open_config(struct jiku_session *s, unsigned needs, struct jiku_err *err)
{
    unsigned flags = (needs & JIKU_NEED_NEW_KNOWN_HOSTS) == JIKU_NEED_NEW_KNOWN_HOSTS
                         ? JIKU_CONFIG_NEW_KNOWN_HOSTS
                         : 0;

    if ((needs & JIKU_NEED_STATE_ONLY) == JIKU_NEED_STATE_ONLY)
        flags |= JIKU_CONFIG_STATE_ONLY;
    struct jiku_diags diags = {0};
    int r;

    if (s->config_customer != NULL)
        r = jiku_config_load_customer(s->config_path, s->config_customer, &s->cfg, &diags, err);
    else
        r = jiku_config_load(s->config_path, flags, &s->cfg, &diags, err);
    if (r == 0 && !s->quiet)
        for (size_t i = 0; i < diags.n; i++)
            log_warn("%s", diags.items[i].msg);
    /* The first error is the message; 'config check' lists them all. */
    if (r != 0 && diags.n_errors > 1) {
        char first[JIKU_ERR_MSG_MAX];

        memcpy(first, err->msg, sizeof(first));
        jiku_err_set(err, r, "%s (and %zu more error%s; see 'jiku-agent config check')", first,
                     diags.n_errors - 1, diags.n_errors == 2 ? "" : "s");
    }
    jiku_diags_release(&diags);
    if (r != 0)
        return r;
    if (strcmp(s->cfg->log, "stderr") == 0)
        jiku_log_setup(JIKU_LOG_STDERR, jiku_session_verbosity(s));
    else if (strcmp(s->cfg->log, "syslog") == 0)
        jiku_log_setup(JIKU_LOG_SYSLOG, jiku_session_verbosity(s));
    if (s->lock_wait < 0)
        s->lock_wait = s->cfg->lock_wait;
    return 0;
}

int
jiku_session_open(struct jiku_session *s, unsigned needs, struct jiku_err *err)
{
    int r;

    s->needs |= needs;
    if ((needs & JIKU_NEED_CONFIG) && s->cfg == NULL && (r = open_config(s, needs, err)) != 0)
        return r;
    if ((needs & JIKU_NEED_CATALOG) == JIKU_NEED_CATALOG && s->cat == NULL &&
        ((r = jiku_catalog_open(s->cfg->state_dir, &s->cat, err)) != 0 ||
         (r = jiku_catalog_run_begin(s->cat, s->out.command, s->actor, s->dry_run, &s->run_id,
                                     err)) != 0))
        return r;
    if ((needs & JIKU_NEED_CATALOG) == JIKU_NEED_CATALOG)
        jiku_log_set_run(s->run_id);
    if ((needs & JIKU_NEED_PLUGINS) == JIKU_NEED_PLUGINS && s->plugins == NULL) {
        if ((r = jiku_hostimpl_new(s->cfg, &s->out, &s->host, err)) != 0)
            return r;
        s->host_table = jiku_hostimpl_table(s->host);
        if ((s->plugins = jiku_plugins_new(s->cfg->plugin_dir)) == NULL)
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    return 0;
}

void
jiku_session_close(struct jiku_session *s, int exit_code)
{
    struct jiku_log_fields summary = {.result = jiku_exit_outcome(exit_code),
                                      .exit_code = exit_code};
    struct jiku_buf line = JIKU_BUF_INIT;
    struct jiku_err err = {0};

    /* A run's summary: a command that recorded a run, or one that failed before it could (a
     * nightly whose configuration does not load); not a lookup such as help or complete. */
    if (s->out.command != NULL && (s->cat != NULL || exit_code != 0) &&
        jiku_out_summary_text(&s->out, exit_code, &line) == 0)
        jiku_log_record(&summary, "%s", line.data);
    jiku_buf_release(&line);
    if (s->cat != NULL) {
        /* audit verify opens the catalog without a run of its own */
        if (s->run_id != 0 && jiku_catalog_run_end(s->cat, s->run_id, exit_code, &err) != 0)
            log_warn("%s", err.msg);
        /* After the run's row is ended, so that the file holds this run's exit code too. */
        if ((s->needs & JIKU_NEED_METRICS) == JIKU_NEED_METRICS && !s->dry_run &&
            s->cfg->metrics_file != NULL && jiku_metrics_write(s->cat, s->cfg, &err) != 0)
            log_warn("metrics: %s", err.msg);
        if (jiku_audit_log_head(s->cat, &err) != 0)
            log_warn("%s", err.msg);
        jiku_catalog_close(s->cat);
    }
    jiku_plugins_free(s->plugins);
    jiku_hostimpl_free(s->host);
    jiku_config_free(s->cfg);
    free(s->actor);
    memset(s, 0, sizeof(*s));
}
