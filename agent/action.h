/*
 * The flow of one action (docs/ARCHITECTURE.md): policy decides → audit records the decision → the
 * run engine takes the target's lock and schedules → the plugin acts through the host table → the
 * catalog records the artifact → the audit records the outcome.
 */
#ifndef JIKU_ACTION_H
#define JIKU_ACTION_H

#include <stdbool.h>

#include "output.h"
#include "policy.h"
#include "session.h"

struct jiku_action_args {
    enum jiku_rollback_mode mode;
    const char *to;          /* rollback: artifact id or "latest" */
    const char *domain;      /* stage/clone --domain */
    const char *dest_server; /* clone --server */
    const char *as_user;     /* clone --as */
};

struct jiku_action {
    const struct jiku_target_conf *target;
    enum jiku_verb verb;
    struct jiku_action_args args;
    /* filled by jiku_actions_run */
    struct jiku_decision decision;
    struct jiku_op_report rep;
};

/*
 * Decide, audit, schedule and run the N actions (under the global and per-server limits),
 * then print one report each in order.  Every outcome, including denials and dry runs, is
 * counted in ctx->out; returns 0 or an internal error that stopped everything.  CTX holds
 * the catalog and the plugins (JIKU_NEED_CATALOG | JIKU_NEED_PLUGINS).
 */
int jiku_actions_run(struct jiku_session *ctx, struct jiku_action *acts, size_t n,
                     struct jiku_err *err);
void jiku_actions_release(struct jiku_action *acts, size_t n);

/* Call the plugin's VERB for target T directly (prune, verify): no policy, no lock. */
int jiku_action_plugin(struct jiku_session *ctx, const struct jiku_target_conf *t,
                       enum jiku_verb verb, const struct jiku_op_params *params,
                       struct jiku_op_result *result, struct jiku_err *err);
void jiku_op_result_release(struct jiku_op_result *res);

/* Audit one decision (allowed or not) of this run. */
int jiku_action_audit_decision(struct jiku_session *ctx, const struct jiku_decision *d,
                               const char *target, struct jiku_err *err);

#endif
