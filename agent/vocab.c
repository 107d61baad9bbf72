/*
 * The action vocabulary (vocab.h): one table of verbs, one of kinds, the list of policy
 * actions and the names of the assignments.
 */
#include <string.h>

#include "diag.h"
#include "vocab.h"

/* A verb's policy action on a kind of each area; see jiku_action_for. */
enum { AREA_SERVER, AREA_APPLICATION, N_AREAS };

/*
 * PROBE, VERIFY and DISCOVER are read-only and need no assignment.  PRUNE has no action of its
 * own: it is governed by the action that made the artifact, which only the caller knows from
 * the catalog, so it maps to NULL here and the caller asks with that action.  An account has
 * no staging copy.
 */
static const struct {
    const char *name;
    const char *action[N_AREAS];
} verbs[JIKU_VERB_COUNT] = {
    [JIKU_VERB_PROBE] = {"probe", {NULL, NULL}},
    [JIKU_VERB_SNAPSHOT] = {"snapshot", {"server.snapshot", "application.snapshot"}},
    [JIKU_VERB_BACKUP] = {"backup", {"server.backup", "application.backup"}},
    [JIKU_VERB_ROLLBACK] = {"rollback", {"server.rollback", "application.rollback"}},
    [JIKU_VERB_STAGE] = {"stage", {NULL, "application.stage"}},
    [JIKU_VERB_UNSTAGE] = {"unstage", {NULL, "application.stage"}},
    [JIKU_VERB_PROMOTE] = {"promote", {NULL, "application.promote"}},
    [JIKU_VERB_CLONE] = {"clone", {"server.clone", "application.clone"}},
    [JIKU_VERB_PRUNE] = {"prune", {NULL, NULL}},
    [JIKU_VERB_VERIFY] = {"verify", {NULL, NULL}},
    [JIKU_VERB_DISCOVER] = {"discover", {NULL, NULL}}, /* of a whole server */
    [JIKU_VERB_UPDATE] = {"update", {NULL, "application.update"}},
    [JIKU_VERB_MAIL] = {"mail", {"server.mail-accounts", NULL}},
    [JIKU_VERB_USERS] = {"users", {NULL, "application.users"}},
};

const char *const jiku_kind_names[JIKU_KIND_COUNT + 1] = {
    [JIKU_KIND_ACCOUNT] = "account",
    [JIKU_KIND_SUBSCRIPTION] = "subscription",
    [JIKU_KIND_WORDPRESS] = "wordpress",
    [JIKU_KIND_SOFTACULOUS] = "softaculous",
    [JIKU_KIND_COUNT] = NULL,
};

/* What the vocabulary knows of each kind besides its name. */
static const struct {
    int area;            /* the actions that govern it: AREA_SERVER or AREA_APPLICATION */
    bool default_tables; /* promote_db = default names a table set of its (WP Toolkit's) */
    unsigned updates;    /* the components an update may touch (JIKU_UPDATE_BIT) */
    /*
     * Its application's users get their password from the agent and belong to groups
     * (Nextcloud); otherwise they set their own through the application's reset mail and
     * have a role (WordPress).
     */
    bool user_passwords;
} kinds[JIKU_KIND_COUNT] = {
    [JIKU_KIND_ACCOUNT] = {AREA_SERVER, false, 0},
    [JIKU_KIND_SUBSCRIPTION] = {AREA_SERVER, false, 0},
    [JIKU_KIND_WORDPRESS] = {AREA_APPLICATION, true,
                             JIKU_UPDATE_BIT(JIKU_UPDATE_CORE) |
                                 JIKU_UPDATE_BIT(JIKU_UPDATE_PLUGINS) |
                                 JIKU_UPDATE_BIT(JIKU_UPDATE_THEMES)},
    [JIKU_KIND_SOFTACULOUS] = {AREA_APPLICATION, false, JIKU_UPDATE_BIT(JIKU_UPDATE_APP), true},
};

const char *const jiku_update_component_names[JIKU_UPDATE_COMPONENT_COUNT + 1] = {
    [JIKU_UPDATE_CORE] = "core",          [JIKU_UPDATE_PLUGINS] = "plugins",
    [JIKU_UPDATE_THEMES] = "themes",      [JIKU_UPDATE_APP] = "app",
    [JIKU_UPDATE_COMPONENT_COUNT] = NULL,
};

/* The matrix order of the tier files; a loaded tier's arrays are indexed by it. */
const char *const jiku_actions[JIKU_N_ACTIONS] = {
    "infrastructure.operate", "server.snapshot",      "server.backup",
    "server.rollback",        "server.clone",         "server.update",
    "server.mail-accounts",   "application.snapshot", "application.backup",
    "application.rollback",   "application.stage",    "application.promote",
    "application.clone",      "application.update",   "application.users",
    "application.phones",
};
const size_t jiku_n_actions = JIKU_N_ACTIONS;

/* What some plugin implements today (jiku-agent(8), "Policy and configuration"). */
static const char *const executable_actions[] = {
    "server.snapshot",      "server.backup",      "server.rollback",      "server.clone",
    "application.snapshot", "application.backup", "application.rollback", "application.stage",
    "application.promote",  "application.clone",  "application.update",   "server.mail-accounts",
    "application.users",
};

static const char *const assignment_names[] = {
    [JIKU_ASSIGN_JIKU] = "jiku",
    [JIKU_ASSIGN_CUSTOMER] = "customer",
    [JIKU_ASSIGN_OPEN] = "open",
};

const char *
jiku_verb_name(enum jiku_verb verb)
{
    if ((int)verb < 0 || verb >= JIKU_VERB_COUNT)
        return "?";
    return verbs[verb].name;
}

int
jiku_verb_parse(const char *s)
{
    for (int i = 0; s != NULL && i < JIKU_VERB_COUNT; i++)
        if (strcmp(verbs[i].name, s) == 0)
            return i;
    return -1;
}

const char *
jiku_kind_name(enum jiku_target_kind kind)
{
    if ((int)kind < 0 || kind >= JIKU_KIND_COUNT)
        return "unknown";
    return jiku_kind_names[kind];
}

int
jiku_action_index(const char *action)
{
    for (size_t i = 0; action != NULL && i < JIKU_N_ACTIONS; i++)
        if (strcmp(jiku_actions[i], action) == 0)
            return (int)i;
    return -1;
}

bool
jiku_action_known(const char *action)
{
    return jiku_action_index(action) >= 0;
}

int
jiku_action_hint(const char *action, struct jiku_buf *out)
{
    struct jiku_near near = JIKU_NEAR_INIT(action);
    int r;

    for (size_t i = 0; i < JIKU_N_ACTIONS; i++)
        jiku_near_try(&near, jiku_actions[i]);
    if (near.best != NULL)
        return jiku_buf_addf(out, "; did you mean '%s'?", near.best);
    r = jiku_buf_adds(out, "; expected one of ");
    for (size_t i = 0; r == 0 && i < JIKU_N_ACTIONS; i++)
        r = jiku_buf_addf(out, "%s%s", i > 0 ? ", " : "", jiku_actions[i]);
    return r;
}

const char *
jiku_action_unperformed(const char *action)
{
    if (action == NULL || jiku_action_executable(action))
        return NULL;
    /* VoIP telephones: no panel the agent serves has them; who answers for them is settled */
    if (strcmp(action, "application.phones") == 0)
        return "policy only: no panel serves telephones";
    return "not performed by the agent";
}

bool
jiku_action_executable(const char *action)
{
    if (action == NULL)
        return false;
    for (size_t i = 0; i < sizeof(executable_actions) / sizeof(executable_actions[0]); i++)
        if (strcmp(executable_actions[i], action) == 0)
            return true;
    return false;
}

const char *
jiku_action_for(enum jiku_verb verb, enum jiku_target_kind kind)
{
    if ((int)verb < 0 || verb >= JIKU_VERB_COUNT || (int)kind < 0 || kind >= JIKU_KIND_COUNT)
        return NULL;
    return verbs[verb].action[kinds[kind].area];
}

bool
jiku_kind_is_application(enum jiku_target_kind kind)
{
    return (int)kind >= 0 && kind < JIKU_KIND_COUNT && kinds[kind].area == AREA_APPLICATION;
}

bool
jiku_kind_default_tables(enum jiku_target_kind kind)
{
    return (int)kind >= 0 && kind < JIKU_KIND_COUNT && kinds[kind].default_tables;
}

bool
jiku_kind_user_passwords(enum jiku_target_kind kind)
{
    return (int)kind >= 0 && kind < JIKU_KIND_COUNT && kinds[kind].user_passwords;
}

const char *
jiku_update_item_name(enum jiku_update_component c)
{
    static const char *const names[JIKU_UPDATE_COMPONENT_COUNT] = {
        [JIKU_UPDATE_CORE] = "core",
        [JIKU_UPDATE_PLUGINS] = "plugin",
        [JIKU_UPDATE_THEMES] = "theme",
        [JIKU_UPDATE_APP] = "app",
    };

    return (int)c >= 0 && c < JIKU_UPDATE_COMPONENT_COUNT ? names[c] : "?";
}

unsigned
jiku_kind_update_components(enum jiku_target_kind kind)
{
    return (int)kind >= 0 && kind < JIKU_KIND_COUNT ? kinds[kind].updates : 0;
}

int
jiku_assignment_parse(const char *s)
{
    if (s == NULL)
        return -1;
    for (int i = JIKU_ASSIGN_JIKU; i <= JIKU_ASSIGN_OPEN; i++)
        if (strcmp(assignment_names[i], s) == 0)
            return i;
    return -1;
}

const char *
jiku_assignment_name(int assignment)
{
    if (assignment < JIKU_ASSIGN_JIKU || assignment > JIKU_ASSIGN_OPEN)
        return "none";
    return assignment_names[assignment];
}
