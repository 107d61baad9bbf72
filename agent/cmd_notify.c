/*
 * notify-failure UNIT: what systemd's OnFailure= runs (packaging/systemd/
 * jiku-agent-notify@.service) after UNIT failed.  When the agent ran to its end it reported the
 * failure itself (jiku_notify_run) and recorded the invocation: then nothing more is sent.
 * Otherwise the agent did not end the run (a crash, a kill, a timeout, no memory) and this is
 * the only notice: what systemd reported, and the journalctl command that shows the run
 * (_SYSTEMD_INVOCATION_ID=: journalctl's --invocation= is newer than systemd 252).
 * systemd passes the failed unit's MONITOR_* variables (systemd.exec(5), 251 and later).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "err.h"
#include "log.h"
#include "notify.h"
#include "textsafe.h"

/* A unit name as systemd escapes it: no blank, quote or control can reach the notice. */
static bool
valid_unit(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n <= 256 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@") == n;
}

/* $NAME when it is short printable ASCII without blanks, else "unknown". */
static const char *
monitor_env(const char *name)
{
    const char *v = getenv(name);

    if (v == NULL || *v == '\0' || strlen(v) > 64)
        return "unknown";
    for (const char *p = v; *p != '\0'; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return "unknown";
    return v;
}

/* The failed run's exit code for the ping; -1 when it did not exit (a signal, a timeout). */
static int
exit_code(const char *code, const char *status)
{
    char *end;
    long v;

    if (strcmp(code, "exited") != 0)
        return -1;
    v = strtol(status, &end, 10);
    return *end == '\0' && v > 0 && v < 256 ? (int)v : -1;
}

int
jiku_cmd_notify_failure(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    const char *unit = args->argv[0];
    const char *id = monitor_env("MONITOR_INVOCATION_ID");
    const char *result = monitor_env("MONITOR_SERVICE_RESULT");
    const char *code = monitor_env("MONITOR_EXIT_CODE");
    const char *status = monitor_env("MONITOR_EXIT_STATUS");
    struct jiku_buf subject = JIKU_BUF_INIT, head = JIKU_BUF_INIT, body = JIKU_BUF_INIT;
    struct jiku_config *own = NULL;
    const struct jiku_config *cfg;
    struct jiku_err err = {0};
    char host[256];
    int r = 0;

    ctx->notified = true;
    if (!valid_unit(unit))
        return jiku_cmd_usage(ctx, args->cmd, "invalid unit name");
    if (jiku_session_open(ctx, JIKU_NEED_CONFIG, &err) != 0) {
        log_warn("%s", err.msg);
        if ((own = jiku_notify_config(ctx->config_path)) == NULL)
            return JIKU_E_NOMEM;
    }
    cfg = own != NULL ? own : ctx->cfg;
    if (jiku_notify_reported(cfg, id)) {
        log_info("%s: invocation %s was reported by the agent itself", unit, id);
        goto out;
    }
    jiku_text_host_name(host, sizeof(host));
    if (jiku_buf_addf(&subject, "jiku-agent %s on %s: failed (%s)", unit, host, result) != 0 ||
        jiku_buf_addf(&head, "systemd reports that %s failed: result %s, code %s, status %s", unit,
                      result, code, status) != 0 ||
        jiku_buf_addf(&body,
                      "The agent did not end this run itself: it crashed, was killed, ran out "
                      "of time or of memory.\n\nWhat it logged:\n  journalctl -u %s%s%s\n",
                      unit, strcmp(id, "unknown") != 0 ? " _SYSTEMD_INVOCATION_ID=" : "",
                      strcmp(id, "unknown") != 0 ? id : "") != 0) {
        r = JIKU_E_NOMEM;
        goto out;
    }
    {
        struct jiku_notice n = {.to = cfg->notify_mail,
                                .subject = subject.data,
                                .date = time(NULL),
                                .head = head.data,
                                .body = body.data};
        struct jiku_buf ping_body = JIKU_BUF_INIT;

        jiku_notice_send(cfg, &n);
        if (jiku_buf_addf(&ping_body, "%s\n%s", head.data, body.data) == 0)
            jiku_ping_finish(jiku_ping_start(cfg->ping_url, false), exit_code(code, status),
                             ping_body.data);
        jiku_buf_release(&ping_body);
    }
out:
    jiku_config_free(own);
    jiku_buf_release(&subject);
    jiku_buf_release(&head);
    jiku_buf_release(&body);
    return r;
}
