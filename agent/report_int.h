/*
 * What the report's renderers share (report.c gathers, report_text.c and report_html.c lay
 * out): the report as a model, built once from the configuration, the catalog and the audit.
 */
#ifndef JIKU_REPORT_INT_H
#define JIKU_REPORT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "artifact.h"
#include "config.h"
#include "policy.h"
#include "report.h"

/* A target's state, worst last: the order the summary counts them in. */
enum jiku_report_state {
    JIKU_REPORT_OK,
    JIKU_REPORT_NO_NIGHTLY, /* its nightly makes no restore point: not flagged for age */
    JIKU_REPORT_FAILED,     /* a recent restore point, but failures in the period */
    JIKU_REPORT_STALE,      /* no good restore point younger than JIKU_REPORT_FRESH_SECS */
};

/* The newest good artifact of one kind; ID NULL when there is none. */
struct jiku_report_point {
    const char *id; /* borrowed from the report's artifact list */
    time_t created;
    time_t verified; /* the last 'verify' that found it intact, else its making */
    uint64_t size;
};

/* A failure, denial or update of the period, from the audit. */
struct jiku_report_event {
    time_t time;
    char *action;
    char *status; /* failed | interrupted | denied, or an update's state (updated ...) */
    char *text;   /* the error or reason; an update's components */
};

struct jiku_report_events {
    struct jiku_report_event *items;
    size_t n;
};

struct jiku_report_target {
    const struct jiku_target_conf *conf;
    struct jiku_report_point snapshot, backup;
    enum jiku_report_state state;
    struct jiku_report_events failures, denials, updates; /* newest first */
};

struct jiku_report_customer {
    const struct jiku_customer_conf *conf;
    struct jiku_decision matrix[JIKU_N_ACTIONS]; /* jiku_actions' order */
    struct jiku_report_target *targets;
    size_t n_targets;
};

struct jiku_report {
    const struct jiku_report_opts *opts;
    struct jiku_report_customer *customers;
    size_t n_customers;
    /* the summary */
    size_t n_targets, n_state[JIKU_REPORT_STALE + 1], n_failures, n_denials, n_updates,
        n_rolled_back;
    struct jiku_artifact_list artifacts;
};

/* "ok", "no-nightly", "failed", "stale": the JSON and the HTML classes. */
const char *jiku_report_state_name(enum jiku_report_state s);
/* What a person reads for STATE in the target's line: "ok", "no nightly", "FAILED", "STALE". */
const char *jiku_report_state_label(enum jiku_report_state s);
/* The action's assignment as the matrix shows it: "JIKU", "customer", "open". */
const char *jiku_report_by(const struct jiku_decision *d);
/* The last path component of a decision's "FILE:LINE" source. Borrowed from D. */
const char *jiku_report_source_base(const struct jiku_decision *d);
/* What a target's nightly makes when it makes no restore point: "no nightly" ... */
const char *jiku_report_nightly_note(const struct jiku_target_conf *t);
/* T as "2026-11-27 02:15 UTC" into BUF (at least 24 bytes). */
void jiku_report_time(char *buf, size_t len, time_t t);

/* The summary's first line: "1 of 5 targets without a recent restore point"; 0 or NOMEM. */
int jiku_report_headline(const struct jiku_report *r, struct jiku_buf *out);
/* Its second: "since 2026-11-20 00:00 UTC: 2 failures, 1 denial, 3 updates (1 rolled back)". */
int jiku_report_tally(const struct jiku_report *r, struct jiku_buf *out);

/* The renderers: append R to OUT.  0 or JIKU_E_NOMEM. */
int jiku_report_text(const struct jiku_report *r, struct jiku_buf *out);
int jiku_report_markdown(const struct jiku_report *r, struct jiku_buf *out);
int jiku_report_html(const struct jiku_report *r, struct jiku_buf *out);

#endif
