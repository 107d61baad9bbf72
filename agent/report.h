/*
 * The report (jiku-agent(8), report): per customer the responsibility matrix and contact, per
 * target its newest good restore points, the failures, denials and updates of a period, and a
 * flag for a target without a recent restore point.  Read-only: the configuration, the catalog
 * and the audit; never a plugin or the network.  Rendered as text, Markdown, one self-contained
 * HTML page or JSON lines.
 */
#ifndef JIKU_REPORT_H
#define JIKU_REPORT_H

#include <time.h>

#include "jiku/buf.h"
#include "jiku/err.h"

struct jiku_catalog;
struct jiku_config;

/*
 * How old the newest good snapshot or backup of a target whose nightly makes one may be.
 * nightly runs once a day (packaging/systemd/jiku-agent-nightly.timer): two runs may be 24 h
 * plus the timer's 30 min RandomizedDelaySec apart, and an artifact is stamped when its
 * operation starts, so a fleet's run of up to an hour and a half still counts as on time; the
 * same 26 h as the monitoring's alert on the newest good snapshot.
 */
#define JIKU_REPORT_FRESH_SECS (26 * 3600)

enum jiku_report_format {
    JIKU_REPORT_TEXT,
    JIKU_REPORT_MARKDOWN,
    JIKU_REPORT_HTML,
    JIKU_REPORT_JSON,
};

struct jiku_report_opts {
    const char *customer; /* NULL: every customer */
    time_t since;         /* the period's start: failures, denials and updates from here */
    time_t now;           /* ages and the period's end; fixed by the golden tests */
    const char *host;     /* the agent's host name for the heading, or NULL */
    enum jiku_report_format format;
};

/* "text", "markdown", "html" or "json" into *OUT; JIKU_E_USAGE for anything else. */
int jiku_report_format_parse(const char *s, enum jiku_report_format *out);

/*
 * Append the report of CFG's customers (or OPTS->customer alone) from CAT to OUT.
 * JIKU_E_NOTFOUND for an unknown OPTS->customer; catalog and policy errors as they come.
 */
int jiku_report_render(struct jiku_catalog *cat, const struct jiku_config *cfg,
                       const struct jiku_report_opts *opts, struct jiku_buf *out,
                       struct jiku_err *err);

#endif
