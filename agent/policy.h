/*
 * The decision (policy.c): whether JIKU may perform an action for a customer, from the policy
 * set of the tier files (policy_set.h) and the customer's contract overrides.  Allow only when
 * the effective assignment is jiku; everything else denies, with a reason that names the rule
 * and its source line.
 */
#ifndef JIKU_POLICY_H
#define JIKU_POLICY_H

#include <stdbool.h>

#include "diag.h"
#include "jiku/err.h"
#include "policy_set.h"
#include "vocab.h"

struct jiku_config;
struct jiku_customer_conf;

struct jiku_decision {
    const char *customer; /* borrowed from the question */
    const char *tier;
    const char *action;
    int assignment; /* enum jiku_assignment; NONE when the question was invalid */
    bool allowed;
    bool by_contract; /* a contract override answered, not the tier file */
    char source[512]; /* "FILE:LINE" of the rule */
    char reason[1024];
};

/*
 * Decide whether JIKU may perform ACTION for CUSTOMER under the tier files of SET.  Returns 0
 * with *OUT filled for any valid question, allowed or not; JIKU_E_CONFIG for an unknown action
 * or a tier SET does not hold (OUT then holds a denial with the reason).
 */
int jiku_policy_decide(const struct jiku_policy_set *set, const struct jiku_customer_conf *customer,
                       const char *action, struct jiku_decision *out, struct jiku_err *err);
/* The answer to a question about CUSTOMER, a name the configuration does not have: a denial
 * that says so in *OUT, and JIKU_E_NOTFOUND. */
int jiku_policy_unknown_customer(const char *customer, struct jiku_decision *out,
                                 struct jiku_err *err);

/* Skills check of policy check: warnings for overrides that hand a low customer server work. */
void jiku_policy_skills_check(const struct jiku_config *cfg, struct jiku_diags *diags);

#endif
