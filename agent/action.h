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
#include "retention.h"
#include "session.h"

struct jiku_lock;

struct jiku_action_args {
    enum jiku_rollback_mode mode;
    const char *to;          /* rollback: artifact id or "latest" */
    const char *domain;      /* stage/clone --domain */
    const char *dest_server; /* clone --server */
    const char *as_user;     /* clone --as */
    /* prune: the artifact to remove (a row of the caller's list) and what of it goes */
    struct jiku_artifact *artifact;
    enum jiku_prune_what prune;
    /* update: the components --only keeps (JIKU_UPDATE_BIT()s; 0: all), and --staged */
    unsigned only;
    bool staged;
    /* mail and users: the request, and how it reads in reports and the audit ("add NAME") */
    struct jiku_login_params login;
    const char *request;
};

struct jiku_action {
    const struct jiku_target_conf *target;
    enum jiku_verb verb;
    struct jiku_action_args args;
    /* filled by jiku_actions_hold and jiku_actions_run */
    struct jiku_lock *hold; /* on the artifact restored or removed, until the run ends */
    struct jiku_decision decision;
    struct jiku_op_report rep;
};

/*
 * Hold what the N actions will remove (prune) before anything is decided, exclusively and
 * without waiting, so that no rollback chooses it meanwhile: an artifact another process holds
 * is in use (ARGS.artifact->in_use) and is to be kept.  Only good artifacts are held.
 */
int jiku_actions_hold(struct jiku_session *ctx, struct jiku_action *acts, size_t n,
                      struct jiku_err *err);

/*
 * Decide, audit, schedule and run the N actions (under the global and per-server limits),
 * then print one report each in order.  Every outcome, including denials and dry runs, is
 * counted in ctx->out; returns 0 or an internal error that stopped everything.  CTX holds
 * the catalog and the plugins (JIKU_NEED_CATALOG | JIKU_NEED_PLUGINS).
 *
 * A prune action is a step of its caller's report instead: its decision is audited but not
 * printed, it has no operation row and no report of its own, and REP tells the caller what
 * happened: "denied" when the policy leaves the artifact to the customer, REP.artifact set
 * when the artifact (or its server copy) was removed, or in a dry run would be, NULL when
 * another process removed it first.
 */
int jiku_actions_run(struct jiku_session *ctx, struct jiku_action *acts, size_t n,
                     struct jiku_err *err);
/* Release the reports and any holds of the N actions. */
void jiku_actions_release(struct jiku_action *acts, size_t n);

/*
 * Call the plugin's VERB for the whole server S (discover: op->target NULL), as
 * jiku_action_plugin does for a target.
 */
int jiku_action_server_plugin(struct jiku_session *ctx, const struct jiku_server_conf *s,
                              enum jiku_verb verb, const struct jiku_op_params *params,
                              struct jiku_op_result *result, struct jiku_err *err);
/* Call the plugin's VERB for target T directly (prune, verify): no policy, no lock. */
int jiku_action_plugin(struct jiku_session *ctx, const struct jiku_target_conf *t,
                       enum jiku_verb verb, const struct jiku_op_params *params,
                       struct jiku_op_result *result, struct jiku_err *err);
void jiku_op_result_release(struct jiku_op_result *res);

#endif
