/*
 * The action vocabulary: the verbs the agent performs, the kinds of target it performs them
 * on, the policy actions that tier files and contracts assign ("server.snapshot"), and the
 * assignments ("jiku", "customer", "open").  Each is spelled once, here; the command line,
 * the configuration, the policy, the plugin loader and the output all name them through this.
 * The lists are those of jiku-agent.conf(5) and jiku-agent(8) in packaging/man/.
 */
#ifndef JIKU_VOCAB_H
#define JIKU_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

#include "jiku/buf.h"
#include "jiku/plugin.h"

/* "snapshot" for JIKU_VERB_SNAPSHOT, ...; "?" outside the enum.  Static. */
const char *jiku_verb_name(enum jiku_verb verb);
/* The verb S names; -1 when it names none. */
int jiku_verb_parse(const char *s);

/* The kind names in enum order, NULL-terminated: also the choices of a target's "kind" key. */
extern const char *const jiku_kind_names[];
/* "account" for JIKU_KIND_ACCOUNT, ...; "unknown" outside the enum.  Static. */
const char *jiku_kind_name(enum jiku_target_kind kind);
/* An application (a site under an account) rather than the account itself. */
bool jiku_kind_is_application(enum jiku_target_kind kind);
/* Whether promote_db = default (the application's default tables) means anything for KIND. */
bool jiku_kind_default_tables(enum jiku_target_kind kind);
/*
 * Whether the users of KIND's application get a password from the agent and belong to groups
 * (`users add --password-file`, `--group`); else they set their own and have a role.
 */
bool jiku_kind_user_passwords(enum jiku_target_kind kind);

/* "core", "plugins", "themes", "app" in enum jiku_update_component order, NULL-terminated. */
extern const char *const jiku_update_component_names[];
/* One updated thing of component C as reports name it: "core", "plugin", "theme", "app". */
const char *jiku_update_item_name(enum jiku_update_component c);
/* The components an update of a KIND target may touch (JIKU_UPDATE_BIT()s; 0: no updates). */
unsigned jiku_kind_update_components(enum jiku_target_kind kind);

/* Every known action, in matrix order ("infrastructure.operate", "server.snapshot", ...). */
#define JIKU_N_ACTIONS 16
extern const char *const jiku_actions[JIKU_N_ACTIONS];
extern const size_t jiku_n_actions;

/* The index of ACTION in jiku_actions; -1 when it is not one. */
int jiku_action_index(const char *action);
bool jiku_action_known(const char *action);
/*
 * For a message about ACTION, which is not one: "; did you mean 'X'?" when an action is near
 * it, else "; expected one of A, B, ...", appended to OUT.  0 or JIKU_E_NOMEM.
 */
int jiku_action_hint(const char *action, struct jiku_buf *out);
/* Implemented by some plugin today; the others are "not implemented by any plugin". */
bool jiku_action_executable(const char *action);
/*
 * Why the agent never performs ACTION, for people ("not performed by the agent"; telephones
 * are served by no panel at all), or NULL when some plugin performs it.  Static.
 */
const char *jiku_action_unperformed(const char *action);
/* "server.snapshot" for (SNAPSHOT, ACCOUNT), "application.snapshot" for (SNAPSHOT, WORDPRESS);
 * unstage → *.stage.  Static string, or NULL when the verb needs no assignment (probe, verify),
 * does not apply to the kind (stage/unstage/promote of an account), or is prune: pruning is
 * governed by the action that made the artifact, so the caller asks with that action. */
const char *jiku_action_for(enum jiku_verb verb, enum jiku_target_kind kind);

enum jiku_assignment {
    JIKU_ASSIGN_NONE = -1, /* not assigned by the file */
    JIKU_ASSIGN_JIKU = 0,
    JIKU_ASSIGN_CUSTOMER = 1,
    JIKU_ASSIGN_OPEN = 2,
};

/* "jiku" | "customer" | "open" → enum; -1 for anything else. */
int jiku_assignment_parse(const char *s);
/* The name of ASSIGNMENT; "none" outside the three.  Static. */
const char *jiku_assignment_name(int assignment);

#endif
