/*
 * The policy layer (SPEC §3).  Work in progress: the action table and assignment names are
 * final; loading and deciding are stubs until the tier file parser lands.
 */
#include <stdlib.h>
#include <string.h>

#include "jiku/buf.h"
#include "policy.h"

const char *const jiku_actions[] = {
    "infrastructure.operate", "server.snapshot",      "server.backup",
    "server.rollback",        "server.clone",         "server.update",
    "server.mail-accounts",   "application.snapshot", "application.backup",
    "application.rollback",   "application.stage",    "application.promote",
    "application.clone",      "application.update",   "application.users",
    "application.phones",
};
const size_t jiku_n_actions = sizeof(jiku_actions) / sizeof(jiku_actions[0]);

static const char *const assignment_names[] = {"jiku", "customer", "open"};

bool
jiku_action_known(const char *action)
{
    if (action == NULL)
        return false;
    for (size_t i = 0; i < jiku_n_actions; i++)
        if (strcmp(jiku_actions[i], action) == 0)
            return true;
    return false;
}

bool
jiku_action_executable(const char *action)
{
    (void)action;
    return false;
}

const char *
jiku_action_for(enum jiku_verb verb, enum jiku_target_kind kind)
{
    (void)verb;
    (void)kind;
    return NULL;
}

int
jiku_assignment_parse(const char *s)
{
    if (s == NULL)
        return -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(assignment_names[i], s) == 0)
            return i;
    return -1;
}

const char *
jiku_assignment_name(int assignment)
{
    if (assignment < 0 || assignment > 2)
        return "none";
    return assignment_names[assignment];
}

int
jiku_policy_set_load(const char *dir, const char *const *tiers, struct jiku_policy_set **out,
                     struct jiku_diags *diags, struct jiku_err *err)
{
    (void)dir;
    (void)tiers;
    (void)diags;
    *out = NULL;
    return jiku_err_set(err, JIKU_E_CONFIG, "policy loading not implemented yet");
}

void
jiku_policy_set_free(struct jiku_policy_set *set)
{
    (void)set;
}

int
jiku_policy_lint_dir(const char *dir, struct jiku_diags *diags)
{
    (void)dir;
    (void)diags;
    return 0;
}

int
jiku_policy_decide(const struct jiku_config *cfg, const char *customer, const char *action,
                   struct jiku_decision *out, struct jiku_err *err)
{
    (void)cfg;
    memset(out, 0, sizeof(*out));
    out->customer = customer;
    out->action = action;
    out->assignment = JIKU_ASSIGN_NONE;
    return jiku_err_set(err, JIKU_E_CONFIG, "policy decisions not implemented yet");
}

void
jiku_policy_skills_check(const struct jiku_config *cfg, struct jiku_diags *diags)
{
    (void)cfg;
    (void)diags;
}
