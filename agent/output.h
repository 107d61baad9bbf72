/*
 * What a command prints on stdout: human tables, or JSON lines (jiku-agent(8), JSON OUTPUT) that
 * always end with a summary line.  Logs and progress go to stderr, never here.
 */
#ifndef JIKU_OUTPUT_H
#define JIKU_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "artifact.h"
#include "jiku/buf.h"
#include "policy.h"

struct jiku_out {
    bool json;
    bool quiet;
    bool dry_run; /* skipped operations are what a real run would have done */
    bool cron;    /* no tty at all (jiku-agent(8)): a success prints nothing, a failure one line */
    const char *command;
    int64_t start_ms;
    unsigned ok, failed, denied, skipped;
    int first_fail_code; /* the shared failure code, or 1 when they differ */
    /*
     * When set (borrowed): each failure's, denial's and error's line as stderr shows it, one
     * per line and cleaned, also under --json; what a failure notice quotes (notify.h).
     */
    struct jiku_buf *notes;
};

/* One finished operation, as printed and counted. */
struct jiku_op_report {
    char *id; /* operation id, "run.N" */
    const char *target;
    const char *action;
    const char *status; /* ok | failed | denied | interrupted | skipped */
    int status_code;    /* enum jiku_status */
    char *error;        /* NULL when ok */
    int64_t duration_ms;
    char *artifact;
    char *safety_artifact;
    char *details; /* plugin's human summary (dry-run change list), or NULL */
    char *warnings;
    /* update: its components as the plugin last reported them, and what became of them */
    struct jiku_update_item *updates;
    size_t n_updates;
    const char *update_state; /* pending | updated | rolled-back | not-applied | failed */
    /* mail and users: the request ("add info@example.com"), and what a list found */
    const char *request;
    const char *login_type; /* "mail-account" | "user": the JSON lines' type */
    bool changed; /* the plugin said it had begun to change the server (it may have failed) */
    struct jiku_login_item *logins;
    size_t n_logins;
};

void jiku_op_report_release(struct jiku_op_report *rep);
/* Free the N update items UPDATES (and their strings), as plugins fill them. */
void jiku_update_items_free(struct jiku_update_item *updates, size_t n);
/* Free the N login items LOGINS (and their strings), as plugins fill them. */
void jiku_login_items_free(struct jiku_login_item *logins, size_t n);
/* REP ended with STATUS (< 0): "denied", "interrupted" or "failed", with MSG as its error. */
void jiku_op_report_fail(struct jiku_op_report *rep, int status, const char *msg);

void jiku_out_init(struct jiku_out *out, const char *command, bool json, bool quiet);
void jiku_out_decision(struct jiku_out *out, const struct jiku_decision *d, const char *target,
                       bool dry_run);
/* Prints REP and counts it for the summary. */
void jiku_out_operation(struct jiku_out *out, const struct jiku_op_report *rep);
void jiku_out_artifact(struct jiku_out *out, const struct jiku_artifact *a, time_t now);
void jiku_out_artifact_header(struct jiku_out *out);
/* SIZE as "512 B", "1.2 GiB"; AGE (seconds, negative as 0) as "45m", "26h", "3d"; into BUF. */
void jiku_human_size(char *buf, size_t len, uint64_t size);
void jiku_human_age(char *buf, size_t len, time_t age);
void jiku_out_error(struct jiku_out *out, int status, const char *msg);
/* Free-form human line on stdout (nothing under --json). */
void jiku_out_text(struct jiku_out *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A JSON object line of TYPE from jansson's json_pack FMT (nothing in human mode). */
void jiku_out_json(struct jiku_out *out, const char *type, const char *fmt, ...);

/*
 * Flush stdout.  0, or the errno of the first write to stdout that failed in this process
 * (a full disk, a reader that went away): jiku_main turns it into an I/O error.
 */
int jiku_out_flush(void);

/* Exit code from the counted operations: 0, 3, or the shared failure code (jiku-agent(8)). */
int jiku_out_exit_code(const struct jiku_out *out);
/* "COMMAND: N ok, N failed, N denied, N skipped (exit EXIT)" appended to B (no newline). */
int jiku_out_summary_text(const struct jiku_out *out, int exit_code, struct jiku_buf *b);
/* How a run that exits with EXIT_CODE ended, in one word: "ok", "partial" (3) or "failed". */
const char *jiku_exit_outcome(int exit_code);
/* The summary line (JSON) or nothing (human: commands print their own). Returns EXIT. */
int jiku_out_summary(struct jiku_out *out, int exit_code);

#endif
