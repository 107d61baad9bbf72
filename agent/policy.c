/*
 * The decision: whether JIKU may perform an action for a customer, from the customer's tier
 * file and contract overrides.  Allow only when the effective assignment is jiku; everything
 * else denies, with a reason that names the rule and its source line.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "policy.h"

static void
format_reason(struct jiku_decision *out, int assignment, bool by_contract)
{
    const char *head = assignment == JIKU_ASSIGN_JIKU ? "allowed" : "denied";
    const char *what;

    switch (assignment) {
    case JIKU_ASSIGN_JIKU:
        what = by_contract ? "is assigned to jiku by contract" : "is assigned to jiku";
        break;
    case JIKU_ASSIGN_CUSTOMER:
        what =
            by_contract ? "is assigned to the customer by contract" : "is assigned to the customer";
        break;
    default:
        what = "is open — not yet settled in the contract";
        break;
    }
    snprintf(out->reason, sizeof(out->reason), "%s: %s for customer '%s' (tier %s) %s (%s)", head,
             out->action, out->customer, out->tier, what, out->source);
}

int
jiku_policy_unknown_customer(const char *customer, struct jiku_decision *out, struct jiku_err *err)
{
    if (out == NULL || customer == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "policy decision: missing argument");
    memset(out, 0, sizeof(*out));
    out->customer = customer;
    out->assignment = JIKU_ASSIGN_NONE;
    snprintf(out->reason, sizeof(out->reason), "denied: no such customer '%s'", customer);
    return jiku_err_set(err, JIKU_E_NOTFOUND, "no such customer '%s'", customer);
}

int
jiku_policy_decide(const struct jiku_policy_set *set, const struct jiku_customer_conf *c,
                   const char *action, struct jiku_decision *out, struct jiku_err *err)
{
    const struct jiku_override *ov = NULL;
    struct jiku_source rule;
    int i, assignment;

    if (out == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "policy decision: no place for the answer");
    memset(out, 0, sizeof(*out));
    out->action = action;
    out->assignment = JIKU_ASSIGN_NONE;
    out->allowed = false;
    if (c == NULL || action == NULL) {
        snprintf(out->reason, sizeof(out->reason), "denied: incomplete question");
        return jiku_err_set(err, JIKU_E_INVAL, "policy decision: missing argument");
    }
    out->customer = c->name;
    out->tier = c->tier;
    if ((i = jiku_action_index(action)) < 0) {
        snprintf(out->reason, sizeof(out->reason), "denied: unknown action '%s'", action);
        return jiku_err_set(err, JIKU_E_CONFIG, "unknown action '%s'", action);
    }
    out->action = jiku_actions[i];
    /* checked even when an override answers: a customer of an unknown tier is a config error */
    if (!jiku_policy_set_rule(set, c->tier, i, &assignment, &rule)) {
        snprintf(out->reason, sizeof(out->reason),
                 "denied: %s for customer '%s' (tier %s): no policy loaded for tier '%s'",
                 out->action, out->customer, c->tier != NULL ? c->tier : "", c->tier);
        return jiku_err_set(err, JIKU_E_CONFIG, "no policy loaded for tier '%s'",
                            c->tier != NULL ? c->tier : "");
    }
    for (size_t k = 0; k < c->n_overrides; k++) {
        if (c->overrides[k].action != NULL && strcmp(c->overrides[k].action, out->action) == 0) {
            ov = &c->overrides[k];
            break;
        }
    }
    if (ov != NULL) {
        out->assignment = ov->assignment;
        snprintf(out->source, sizeof(out->source), "%s:%d",
                 ov->src.file != NULL ? ov->src.file : "?", ov->src.line);
    } else {
        out->assignment = assignment;
        snprintf(out->source, sizeof(out->source), "%s:%d", rule.file, rule.line);
    }
    if (out->assignment < JIKU_ASSIGN_JIKU || out->assignment > JIKU_ASSIGN_OPEN) {
        /* a loaded set assigns every action; only a hand-built config gets here */
        out->assignment = JIKU_ASSIGN_NONE;
        snprintf(out->reason, sizeof(out->reason),
                 "denied: %s for customer '%s' (tier %s) has no valid assignment (%s)", out->action,
                 out->customer, out->tier, out->source);
        return jiku_err_set(err, JIKU_E_CONFIG, "%s has no valid assignment (%s)", out->action,
                            out->source);
    }
    out->allowed = out->assignment == JIKU_ASSIGN_JIKU;
    out->by_contract = ov != NULL;
    format_reason(out, out->assignment, out->by_contract);
    return 0;
}

/* ---- skills check ---- */

/*
 * What each shipped tier file's description says it assumes the customer cannot do.  Low buys
 * administration and keeps at most its users and phones; medium takes part in server and
 * application work but not infrastructure.  Other tiers (high, site-made ones) assume nothing.
 */
static bool
tier_lacks(const char *tier, const char *action)
{
    if (tier == NULL)
        return false;
    if (strcmp(tier, "low") == 0)
        return strcmp(action, "application.users") != 0 &&
               strcmp(action, "application.phones") != 0;
    if (strcmp(tier, "medium") == 0)
        return strncmp(action, "infrastructure.", 15) == 0;
    return false;
}

void
jiku_policy_skills_check(const struct jiku_config *cfg, struct jiku_diags *diags)
{
    if (cfg == NULL || diags == NULL)
        return;
    for (size_t i = 0; i < cfg->n_customers; i++) {
        const struct jiku_customer_conf *c = &cfg->customers[i];

        for (size_t k = 0; k < c->n_overrides; k++) {
            const struct jiku_override *ov = &c->overrides[k];
            const char *dot;

            if (ov->assignment != JIKU_ASSIGN_CUSTOMER || ov->action == NULL ||
                !jiku_action_known(ov->action) || !tier_lacks(c->tier, ov->action))
                continue;
            dot = strchr(ov->action, '.');
            jiku_diag_add(diags, false,
                          "%s:%d: customer '%s' (tier %s) is given %s, but tier %s assumes the "
                          "customer lacks %.*s skills",
                          ov->src.file != NULL ? ov->src.file : "?", ov->src.line, c->name, c->tier,
                          ov->action, c->tier, (int)(dot - ov->action), ov->action);
        }
    }
}
