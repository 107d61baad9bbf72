/*
 * The audit (docs/ARCHITECTURE.md, "State"): one record per decision and per finished operation, in
 * table `audit` of state.db, hash-chained: each row stores the SHA-256 of the previous row and of
 * its own fields.  Each record also goes to syslog as one key=value line.
 */
#ifndef JIKU_AUDIT_H
#define JIKU_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "catalog.h"
#include "jiku/err.h"

struct jiku_audit_record {
    int64_t seq; /* assigned on append */
    time_t time; /* 0: now */
    int64_t run_id;
    const char *event; /* "decision" | "operation" */
    const char *actor;
    const char *customer; /* may be NULL */
    const char *tier;     /* may be NULL */
    const char *target;   /* may be NULL */
    const char *action;
    const char *decision; /* allow|deny for decisions; ok|failed|interrupted... for operations */
    const char *reason;
    const char *source;   /* "file:line" or NULL */
    const char *artifact; /* may be NULL */
    bool dry_run;
    char prev_hash[65];
    char hash[65];
};

/*
 * Append REC (fills seq, time, prev_hash, hash) inside one synced transaction (catalog_db.h:
 * on disk when this returns), and log it to syslog once committed.  Inside a transaction of
 * the caller's (jiku_catalog_begin) it joins that one, which must be synced, and is logged when
 * that commits; an error leaves the rollback to the caller.
 */
int jiku_audit_append(struct jiku_catalog *cat, struct jiku_audit_record *rec,
                      struct jiku_err *err);

/* An operation's end, as jiku_catalog_op_end records it. */
struct jiku_op_end {
    int64_t op_id;
    const char *status;
    int exit_code;
    const char *error;    /* may be NULL */
    const char *artifact; /* may be NULL */
};

/*
 * End the operation (jiku_catalog_op_end) and append REC about it in one synced transaction:
 * one step, one sync, and both or neither.
 */
int jiku_audit_op_end(struct jiku_catalog *cat, const struct jiku_op_end *op_end,
                      struct jiku_audit_record *rec, struct jiku_err *err);

/* The chain head: hash of the last record ("" and 0 for an empty audit). */
int jiku_audit_head(struct jiku_catalog *cat, char hash[65], int64_t *count, struct jiku_err *err);
/* Log the head to syslog: "audit head=HASH:COUNT". */
int jiku_audit_log_head(struct jiku_catalog *cat, struct jiku_err *err);

/*
 * Check the chain.  HEAD ("HASH:COUNT", or NULL) is a head logged by an earlier run: the
 * record COUNT must still exist with that hash, which detects rows cut from the end.
 * JIKU_E_DATA naming the first bad record on a break; JIKU_E_USAGE for a malformed HEAD.
 */
int jiku_audit_verify(struct jiku_catalog *cat, const char *head, int64_t *n_checked,
                      struct jiku_err *err);

/* Parse "HASH:COUNT" (hex in either case; COUNT 0 only with the zero hash); JIKU_E_USAGE. */
int jiku_audit_head_parse(const char *head, char hash[65], int64_t *count, struct jiku_err *err);

/* REC's chain hash from its fields and prev_hash, as lowercase hex into OUT. */
int jiku_audit_record_hash(const struct jiku_audit_record *rec, char out[65]);

/* Append REC's syslog line ("audit seq=1 time=... key=value ...", values quoted as needed). */
int jiku_audit_format_line(const struct jiku_audit_record *rec, struct jiku_buf *out);

/*
 * Newest first; TARGET and SINCE (0: no limit) filter.  REC and its strings are borrowed for
 * the call only.  CB returns 0 to go on, a positive value to stop (jiku_audit_each then
 * returns 0) or a negative status, which jiku_audit_each returns.
 */
typedef int (*jiku_audit_cb)(const struct jiku_audit_record *rec, void *arg);
int jiku_audit_each(struct jiku_catalog *cat, const char *target, time_t since, jiku_audit_cb cb,
                    void *arg, struct jiku_err *err);

#endif
