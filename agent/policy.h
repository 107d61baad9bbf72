/*
 * The policy layer (jiku-agent(8), DESCRIPTION): tier files, contract overrides, and the one
 * decision function.  Allow only when the effective assignment is jiku; everything else denies,
 * with a reason that names the rule and its source line.
 */
#ifndef JIKU_POLICY_H
#define JIKU_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "jiku/err.h"
#include "jiku/plugin.h"

enum jiku_assignment {
    JIKU_ASSIGN_NONE = -1, /* not assigned by the file */
    JIKU_ASSIGN_JIKU = 0,
    JIKU_ASSIGN_CUSTOMER = 1,
    JIKU_ASSIGN_OPEN = 2,
};

/* Every known action, in matrix order ("infrastructure.operate", "server.snapshot", ...). */
extern const char *const jiku_actions[];
extern const size_t jiku_n_actions;

bool jiku_action_known(const char *action);
/*
 * Executable now (jiku-agent(8), end of COMMANDS); the others are "not implemented by any plugin".
 */
bool jiku_action_executable(const char *action);
/* "server.snapshot" for (SNAPSHOT, ACCOUNT), "application.snapshot" for (SNAPSHOT, WORDPRESS);
 * unstage → *.stage.  Static string, or NULL when the verb needs no assignment (probe, verify),
 * does not apply to the kind (stage/unstage/promote of an account), or is prune: pruning is
 * governed by the action that made the artifact, so the caller asks with that action. */
const char *jiku_action_for(enum jiku_verb verb, enum jiku_target_kind kind);

/* "jiku" | "customer" | "open" → enum; -1 for anything else. */
int jiku_assignment_parse(const char *s);
const char *jiku_assignment_name(int assignment);

/* One tier file. */
struct jiku_tier_policy;

/*
 * Load the tier files named by TIERS (NULL-terminated) from DIR into *OUT; problems go to
 * DIAGS with file:line.  Used by the config loader for the tiers its customers reference.
 */
int jiku_policy_set_load(const char *dir, const char *const *tiers, struct jiku_policy_set **out,
                         struct jiku_diags *diags, struct jiku_err *err);
void jiku_policy_set_free(struct jiku_policy_set *set);
/* The [tier] description of a loaded TIER; NULL when absent. Borrowed from SET. */
const char *jiku_policy_tier_description(const struct jiku_policy_set *set, const char *tier);
/* Lint every *.policy file in DIR (policy check). */
int jiku_policy_lint_dir(const char *dir, struct jiku_diags *diags);

struct jiku_decision {
    const char *customer;
    const char *tier;
    const char *action;
    int assignment; /* enum jiku_assignment; NONE when the question was invalid */
    bool allowed;
    char source[512]; /* "FILE:LINE" of the rule */
    char reason[1024];
};

/*
 * Decide whether JIKU may perform ACTION for CUSTOMER.  Returns 0 with *OUT filled for any
 * valid question, allowed or not; JIKU_E_NOTFOUND for an unknown customer, JIKU_E_CONFIG for
 * an unknown action or tier (OUT then holds a denial with the reason).
 */
int jiku_policy_decide(const struct jiku_config *cfg, const char *customer, const char *action,
                       struct jiku_decision *out, struct jiku_err *err);

/* Skills check of policy check: warnings for overrides that hand a low customer server work. */
void jiku_policy_skills_check(const struct jiku_config *cfg, struct jiku_diags *diags);

#endif
