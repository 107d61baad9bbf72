/*
 * The tier files (low.policy, medium.policy, high.policy and site-made ones): loaded into a
 * policy set that the decision reads (policy.h), and linted by `policy check`.  Every rule
 * keeps the file and line it came from, because every decision names its source.
 */
#ifndef JIKU_POLICY_SET_H
#define JIKU_POLICY_SET_H

#include <stdbool.h>

#include "diag.h"
#include "jiku/err.h"

/* The loaded tier files. */
struct jiku_policy_set;

/*
 * Load the tier files named by TIERS (NULL-terminated) from DIR into *OUT; problems go to
 * DIAGS with file:line.  Used by the config loader for the tiers its customers reference.
 */
int jiku_policy_set_load(const char *dir, const char *const *tiers, struct jiku_policy_set **out,
                         struct jiku_diags *diags, struct jiku_err *err);
void jiku_policy_set_free(struct jiku_policy_set *set);
/* The [tier] description of a loaded TIER; NULL when absent. Borrowed from SET. */
const char *jiku_policy_tier_description(const struct jiku_policy_set *set, const char *tier);
/*
 * The tiers of DIR, from its *.policy files, sorted: *OUT (N_OUT names, NULL-terminated when
 * there are any; the caller's, freed with jiku_policy_tiers_free).  0, JIKU_E_IO (cannot read DIR;
 * errno says why) or _NOMEM.
 */
int jiku_policy_tiers(const char *dir, char ***out, size_t *n_out);
void jiku_policy_tiers_free(char **names, size_t n);
/* Lint every *.policy file in DIR (policy check). */
int jiku_policy_lint_dir(const char *dir, struct jiku_diags *diags);

/*
 * The rule of TIER for the action at INDEX (jiku_action_index, in range): its assignment (enum
 * jiku_assignment) and where it is written, the file borrowed from SET.  False when SET (which
 * may be NULL) has no tier TIER.
 */
bool jiku_policy_set_rule(const struct jiku_policy_set *set, const char *tier, int index,
                          int *assignment, struct jiku_source *src);

#endif
