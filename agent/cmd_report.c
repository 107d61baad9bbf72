/*
 * report: what the catalog and the audit say of each customer's targets (report.h), for an
 * admin in the morning or an account manager's mail.  Read-only and fleet-level.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
#include "textsafe.h"
#include "timefmt.h"

/* --since's default: a week back. */
#define REPORT_DEFAULT_DAYS 7

int
jiku_cmd_report(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    const struct jiku_command *cmd = args->cmd;
    struct jiku_report_opts opts = {.now = time(NULL), .format = JIKU_REPORT_TEXT};
    struct jiku_buf out = JIKU_BUF_INIT;
    struct jiku_err err = {0};
    const char *format = NULL;
    bool since_given = false;
    char host[256];
    int r;

    for (size_t i = 0; i < args->n_opts; i++) {
        const char *arg = args->opts[i].arg;

        if (args->opts[i].c == 'C') {
            opts.customer = arg;
        } else if (args->opts[i].c == 's') {
            if (jiku_time_parse_date(arg, &opts.since) != 0)
                return jiku_cmd_usage(ctx, cmd, "invalid date '%s': expected " JIKU_DATE_FORMS,
                                      arg);
            since_given = true;
        } else if (jiku_report_format_parse(arg, &opts.format) != 0) {
            return jiku_cmd_usage(
                ctx, cmd, "invalid format '%s': expected text, markdown, html or json", arg);
        } else {
            format = arg;
        }
    }
    /* --json is the JSON format; with another one it is a contradiction */
    if (ctx->out.json && format != NULL && opts.format != JIKU_REPORT_JSON)
        return jiku_cmd_usage(ctx, cmd, "--json and --format %s contradict each other", format);
    if (ctx->out.json)
        opts.format = JIKU_REPORT_JSON;
    /* the JSON lines end with the summary line, as every command's do */
    ctx->out.json = opts.format == JIKU_REPORT_JSON;
    if (!since_given)
        opts.since = opts.now - REPORT_DEFAULT_DAYS * 86400;
    jiku_text_host_name(host, sizeof(host));
    opts.host = host;
    if ((r = jiku_report_render(ctx->cat, ctx->cfg, &opts, &out, &err)) != 0)
        r = jiku_cmd_fail(ctx, &err);
    /* the report is the result itself, printed even under cron; jiku_main checks the write */
    else if (out.data != NULL && !ctx->quiet)
        fputs(out.data, stdout);
    jiku_buf_release(&out);
    return r;
}
