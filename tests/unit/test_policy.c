/*
 * The policy layer on its own: action table, tier file parsing (every error with file:line),
 * decisions over a hand-built config, lint and the skills check.  The golden tests in
 * tests/policy/ drive the same code through the real config loader.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "fsutil.h"
#include "jiku/buf.h"
#include "jiku/err.h"
#include "policy.h"

#define SHIPPED JIKU_SOURCE_DIR "/policies"

/* ---- helpers ---- */

static char tmpdir[256];

static void
make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/jiku-policy-test.XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
}

static void
remove_tmpdir(void)
{
    if (tmpdir[0] == '\0')
        return;
    jiku_remove_tree(tmpdir, NULL);
    tmpdir[0] = '\0';
}

static void
write_file(const char *name, const char *text, size_t len)
{
    struct jiku_buf p = JIKU_BUF_INIT;
    FILE *f;

    jiku_buf_addf(&p, "%s/%s", tmpdir, name);
    f = fopen(p.data, "w");
    cr_assert_not_null(f, "cannot write %s", p.data);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    fclose(f);
    jiku_buf_release(&p);
}

static void
write_policy(const char *tier, const char *text)
{
    struct jiku_buf name = JIKU_BUF_INIT;

    jiku_buf_addf(&name, "%s.policy", tier);
    write_file(name.data, text, strlen(text));
    jiku_buf_release(&name);
}

/* A complete, valid tier file body after the [tier] section (16 lines, starting at line 4). */
#define ALL_ACTIONS_JIKU                                                                           \
    "[infrastructure]\n"                                                                           \
    "operate = jiku\n"                                                                             \
    "[server]\n"                                                                                   \
    "snapshot = jiku\n"                                                                            \
    "backup = jiku\n"                                                                              \
    "rollback = jiku\n"                                                                            \
    "clone = jiku\n"                                                                               \
    "update = jiku\n"                                                                              \
    "mail-accounts = jiku\n"                                                                       \
    "[application]\n"                                                                              \
    "snapshot = jiku\n"                                                                            \
    "backup = jiku\n"                                                                              \
    "rollback = jiku\n"                                                                            \
    "stage = jiku\n"                                                                               \
    "promote = jiku\n"                                                                             \
    "clone = jiku\n"                                                                               \
    "update = jiku\n"                                                                              \
    "users = jiku\n"                                                                               \
    "phones = jiku\n"

#define HEADER(name) "[tier]\nname = " name "\ndescription = test tier\n"

/* Does some diag (of the given severity) equal TEXT exactly? */
static bool
has_diag(const struct jiku_diags *d, bool is_error, const char *text)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].is_error == is_error && strcmp(d->items[i].msg, text) == 0)
            return true;
    return false;
}

static void
dump_diags(const struct jiku_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        cr_log_info("diag %zu: %s%s", i,
                    d->items[i].is_error ? "error: " : "warning: ", d->items[i].msg);
}

/* Load TIER from tmpdir; returns the status, *diags filled. */
static int
load_one(const char *tier, struct jiku_diags *diags, struct jiku_err *err)
{
    const char *tiers[] = {tier, NULL};
    struct jiku_policy_set *set = NULL;
    int r;

    r = jiku_policy_set_load(tmpdir, tiers, &set, diags, err);
    if (r == 0)
        cr_assert_not_null(set);
    else
        cr_assert_null(set);
    jiku_policy_set_free(set);
    return r;
}

/* Expect loading TEXT as tier "t" to fail with exactly the error "DIR/t.policy:LINE: MSG". */
static void
expect_parse_error(const char *text, int line, const char *msg)
{
    struct jiku_diags diags = {NULL, 0, 0};
    struct jiku_err err = {0};
    struct jiku_buf want = JIKU_BUF_INIT;
    int r;

    make_tmpdir();
    write_policy("t", text);
    if (line > 0)
        jiku_buf_addf(&want, "%s/t.policy:%d: %s", tmpdir, line, msg);
    else
        jiku_buf_addf(&want, "%s/t.policy: %s", tmpdir, msg);
    r = load_one("t", &diags, &err);
    dump_diags(&diags);
    cr_expect_eq(r, JIKU_E_CONFIG);
    cr_expect(has_diag(&diags, true, want.data), "missing diag: %s", want.data);
    cr_expect_eq(err.status, JIKU_E_CONFIG);
    cr_expect_str_eq(err.msg, diags.n > 0 ? diags.items[0].msg : "");
    jiku_buf_release(&want);
    jiku_diags_release(&diags);
    remove_tmpdir();
}

/* ---- the action table ---- */

Test(actions, matrix_order)
{
    static const char *const want[] = {
        "infrastructure.operate", "server.snapshot",      "server.backup",
        "server.rollback",        "server.clone",         "server.update",
        "server.mail-accounts",   "application.snapshot", "application.backup",
        "application.rollback",   "application.stage",    "application.promote",
        "application.clone",      "application.update",   "application.users",
        "application.phones",
    };

    cr_assert_eq(jiku_n_actions, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < jiku_n_actions; i++) {
        cr_expect_str_eq(jiku_actions[i], want[i]);
        cr_expect(jiku_action_known(want[i]));
    }
    cr_expect_not(jiku_action_known("server.frobnicate"));
    cr_expect_not(jiku_action_known("server"));
    cr_expect_not(jiku_action_known("server.snapshot "));
    cr_expect_not(jiku_action_known(""));
    cr_expect_not(jiku_action_known(NULL));
}

Test(actions, executable_now)
{
    static const char *const yes[] = {
        "server.snapshot",      "server.backup",        "server.rollback",
        "server.clone",         "application.snapshot", "application.backup",
        "application.rollback", "application.stage",    "application.promote",
        "application.clone",    "application.update",   "server.mail-accounts",
        "application.users",
    };
    size_t n = 0;

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        cr_expect(jiku_action_executable(yes[i]), "%s", yes[i]);
    for (size_t i = 0; i < jiku_n_actions; i++)
        n += jiku_action_executable(jiku_actions[i]);
    cr_expect_eq(n, 13);
    cr_expect_not(jiku_action_executable("infrastructure.operate"));
    cr_expect_not(jiku_action_executable("server.update"));
    cr_expect_not(jiku_action_executable("application.phones"));
    cr_expect_str_eq(jiku_action_unperformed("application.phones"),
                     "policy only: no panel serves telephones");
    cr_expect_str_eq(jiku_action_unperformed("server.update"), "not performed by the agent");
    cr_expect_null(jiku_action_unperformed("server.mail-accounts"));
    cr_expect_not(jiku_action_executable("server.frobnicate"));
    cr_expect_not(jiku_action_executable(NULL));
}

Test(actions, action_for_table)
{
    static const struct {
        enum jiku_verb verb;
        const char *server;      /* account and subscription */
        const char *application; /* wordpress and softaculous */
    } rows[] = {
        {JIKU_VERB_PROBE, NULL, NULL},
        {JIKU_VERB_SNAPSHOT, "server.snapshot", "application.snapshot"},
        {JIKU_VERB_BACKUP, "server.backup", "application.backup"},
        {JIKU_VERB_ROLLBACK, "server.rollback", "application.rollback"},
        {JIKU_VERB_STAGE, NULL, "application.stage"},
        {JIKU_VERB_UNSTAGE, NULL, "application.stage"},
        {JIKU_VERB_PROMOTE, NULL, "application.promote"},
        {JIKU_VERB_CLONE, "server.clone", "application.clone"},
        {JIKU_VERB_PRUNE, NULL, NULL},
        {JIKU_VERB_VERIFY, NULL, NULL},
        {JIKU_VERB_DISCOVER, NULL, NULL},
        {JIKU_VERB_UPDATE, NULL, "application.update"},
        {JIKU_VERB_MAIL, "server.mail-accounts", NULL},
        {JIKU_VERB_USERS, NULL, "application.users"},
    };
    static const enum jiku_target_kind server_kinds[] = {JIKU_KIND_ACCOUNT, JIKU_KIND_SUBSCRIPTION};
    static const enum jiku_target_kind app_kinds[] = {JIKU_KIND_WORDPRESS, JIKU_KIND_SOFTACULOUS};

    cr_assert_eq(sizeof(rows) / sizeof(rows[0]), JIKU_VERB_COUNT, "a verb is missing here");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        for (size_t k = 0; k < 2; k++) {
            const char *got = jiku_action_for(rows[i].verb, server_kinds[k]);
            if (rows[i].server == NULL)
                cr_expect_null(got, "verb %d kind %d gave %s", rows[i].verb, server_kinds[k], got);
            else
                cr_expect(got != NULL && strcmp(got, rows[i].server) == 0, "verb %d kind %d",
                          rows[i].verb, server_kinds[k]);
            got = jiku_action_for(rows[i].verb, app_kinds[k]);
            if (rows[i].application == NULL)
                cr_expect_null(got, "verb %d kind %d gave %s", rows[i].verb, app_kinds[k], got);
            else
                cr_expect(got != NULL && strcmp(got, rows[i].application) == 0, "verb %d kind %d",
                          rows[i].verb, app_kinds[k]);
            if (got != NULL)
                cr_expect(jiku_action_known(got));
        }
    }
    cr_expect_null(jiku_action_for(JIKU_VERB_SNAPSHOT, JIKU_KIND_COUNT));
    cr_expect_null(jiku_action_for(JIKU_VERB_COUNT, JIKU_KIND_ACCOUNT));
    cr_expect_null(jiku_action_for((enum jiku_verb) - 1, JIKU_KIND_ACCOUNT));
}

Test(actions, assignments)
{
    cr_expect_eq(jiku_assignment_parse("jiku"), JIKU_ASSIGN_JIKU);
    cr_expect_eq(jiku_assignment_parse("customer"), JIKU_ASSIGN_CUSTOMER);
    cr_expect_eq(jiku_assignment_parse("open"), JIKU_ASSIGN_OPEN);
    cr_expect_eq(jiku_assignment_parse("JIKU"), -1);
    cr_expect_eq(jiku_assignment_parse("jiku "), -1);
    cr_expect_eq(jiku_assignment_parse(""), -1);
    cr_expect_eq(jiku_assignment_parse(NULL), -1);
    cr_expect_str_eq(jiku_assignment_name(JIKU_ASSIGN_JIKU), "jiku");
    cr_expect_str_eq(jiku_assignment_name(JIKU_ASSIGN_CUSTOMER), "customer");
    cr_expect_str_eq(jiku_assignment_name(JIKU_ASSIGN_OPEN), "open");
    cr_expect_str_eq(jiku_assignment_name(JIKU_ASSIGN_NONE), "none");
    cr_expect_str_eq(jiku_assignment_name(3), "none");
}

/* ---- the shipped tier files ---- */

/* The shipped tiers (the files in policies/), in matrix order: low, medium, high. */
static const char *const spec_matrix[][3] = {
    {"jiku", "jiku", "customer"},     /* infrastructure.operate */
    {"jiku", "jiku", "customer"},     /* server.snapshot */
    {"jiku", "jiku", "customer"},     /* server.backup */
    {"jiku", "jiku", "customer"},     /* server.rollback */
    {"jiku", "open", "customer"},     /* server.clone */
    {"jiku", "open", "customer"},     /* server.update */
    {"jiku", "open", "customer"},     /* server.mail-accounts */
    {"jiku", "open", "customer"},     /* application.snapshot */
    {"jiku", "open", "customer"},     /* application.backup */
    {"jiku", "open", "customer"},     /* application.rollback */
    {"jiku", "open", "customer"},     /* application.stage */
    {"jiku", "open", "customer"},     /* application.promote */
    {"jiku", "open", "customer"},     /* application.clone */
    {"jiku", "open", "customer"},     /* application.update */
    {"open", "customer", "customer"}, /* application.users */
    {"open", "customer", "customer"}, /* application.phones */
};

static const char *const tier_names[] = {"low", "medium", "high"};

/*
 * A config loaded by the real loader from tmpdir: agent.conf names POLICY_DIR, and
 * conf.d/10-customers.conf holds BASE_CUSTOMERS (lines 1-6) followed by the test's own text
 * (from line 7).  Decisions need the loader's name index, so configs are never built by hand.
 */
#define BASE_CUSTOMERS                                                                             \
    "[customer lowco]\ntier = low\n[customer mediumco]\ntier = medium\n"                           \
    "[customer highco]\ntier = high\n"

struct fixture {
    struct jiku_config *cfg;
    struct jiku_diags diags;
    char src[512]; /* conf_src's answer */
};

static void
fixture_load(struct fixture *fx, const char *policy_dir, const char *extra)
{
    struct jiku_buf text = JIKU_BUF_INIT, path = JIKU_BUF_INIT;
    struct jiku_err err = {0};
    int r;

    memset(fx, 0, sizeof(*fx));
    if (tmpdir[0] == '\0')
        make_tmpdir();
    jiku_buf_addf(&text, "[agent]\npolicy_dir = %s\n", policy_dir != NULL ? policy_dir : tmpdir);
    write_file("agent.conf", text.data, text.len);
    jiku_buf_addf(&path, "%s/conf.d", tmpdir);
    cr_assert_eq(mkdir(path.data, 0700), 0);
    jiku_buf_reset(&text);
    jiku_buf_addf(&text, "%s%s", BASE_CUSTOMERS, extra != NULL ? extra : "");
    write_file("conf.d/10-customers.conf", text.data, text.len);
    jiku_buf_reset(&path);
    jiku_buf_addf(&path, "%s/agent.conf", tmpdir);
    r = jiku_config_load(path.data, JIKU_CONFIG_NO_SECRET_CHECK, &fx->cfg, &fx->diags, &err);
    dump_diags(&fx->diags);
    cr_assert_eq(r, 0, "loading the test config: %s", err.msg);
    cr_assert_not_null(fx->cfg);
    jiku_buf_release(&text);
    jiku_buf_release(&path);
}

static void
fixture_release(struct fixture *fx)
{
    jiku_config_free(fx->cfg);
    jiku_diags_release(&fx->diags);
    remove_tmpdir();
}

/* "TMPDIR/conf.d/10-customers.conf:LINE", valid until the next call. */
static const char *
conf_src(struct fixture *fx, int line)
{
    snprintf(fx->src, sizeof(fx->src), "%s/conf.d/10-customers.conf:%d", tmpdir, line);
    return fx->src;
}

/* A question as `policy explain` asks it: the customer by name. */
static int
decide(const struct jiku_config *cfg, const char *customer, const char *action,
       struct jiku_decision *d, struct jiku_err *err)
{
    const struct jiku_customer_conf *c = jiku_config_customer(cfg, customer);

    if (c == NULL)
        return jiku_policy_unknown_customer(customer, d, err);
    return jiku_policy_decide(cfg->policies, c, action, d, err);
}

/* Expect REASON to be exactly PREFIX, then "(SOURCE)". */
static void
expect_reason(const struct jiku_decision *d, const char *prefix, const char *source)
{
    struct jiku_buf want = JIKU_BUF_INIT;

    jiku_buf_addf(&want, "%s(%s)", prefix, source);
    cr_expect_str_eq(d->source, source);
    cr_expect_str_eq(d->reason, want.data);
    jiku_buf_release(&want);
}

Test(shipped, lint_clean)
{
    struct jiku_diags diags = {NULL, 0, 0};

    cr_expect_eq(jiku_policy_lint_dir(SHIPPED, &diags), 0);
    dump_diags(&diags);
    cr_expect_eq(diags.n, 0, "the shipped tier files must lint without a word");
    jiku_diags_release(&diags);
}

Test(shipped, matrix_is_the_spec)
{
    static const char *const customers[] = {"lowco", "mediumco", "highco"};
    struct fixture fx;

    fixture_load(&fx, SHIPPED, NULL);
    cr_assert_eq(sizeof(spec_matrix) / sizeof(spec_matrix[0]), jiku_n_actions);
    for (size_t t = 0; t < 3; t++) {
        for (size_t i = 0; i < jiku_n_actions; i++) {
            struct jiku_decision d;
            struct jiku_err err = {0};

            cr_assert_eq(decide(fx.cfg, customers[t], jiku_actions[i], &d, &err), 0, "%s", err.msg);
            cr_expect_str_eq(jiku_assignment_name(d.assignment), spec_matrix[i][t], "%s %s",
                             tier_names[t], jiku_actions[i]);
            cr_expect_eq(d.allowed, strcmp(spec_matrix[i][t], "jiku") == 0);
            cr_expect_str_eq(d.tier, tier_names[t]);
            cr_expect_str_eq(d.customer, customers[t]);
            cr_expect_str_eq(d.action, jiku_actions[i]);
        }
        cr_expect_not_null(jiku_policy_tier_description(fx.cfg->policies, tier_names[t]));
    }
    cr_expect_null(jiku_policy_tier_description(fx.cfg->policies, "gold"));
    fixture_release(&fx);
}

/* Each source line really holds the assignment it is cited for. */
Test(shipped, sources_point_at_the_line)
{
    static const char *const customers[] = {"lowco", "mediumco", "highco"};
    struct fixture fx;

    fixture_load(&fx, SHIPPED, NULL);
    for (size_t t = 0; t < 3; t++) {
        for (size_t i = 0; i < jiku_n_actions; i++) {
            struct jiku_decision d;
            char *colon, *line_text = NULL;
            size_t cap = 0;
            long want_line;
            FILE *f;
            const char *verb = strchr(jiku_actions[i], '.') + 1;

            cr_assert_eq(decide(fx.cfg, customers[t], jiku_actions[i], &d, NULL), 0);
            colon = strrchr(d.source, ':');
            cr_assert_not_null(colon);
            *colon = '\0';
            want_line = strtol(colon + 1, NULL, 10);
            cr_assert_gt(want_line, 0);
            f = fopen(d.source, "r");
            cr_assert_not_null(f, "%s", d.source);
            for (long n = 0; n < want_line; n++)
                cr_assert_geq(getline(&line_text, &cap, f), 0);
            fclose(f);
            cr_expect(strncmp(line_text, verb, strlen(verb)) == 0 &&
                          line_text[strlen(verb)] == ' ' &&
                          strstr(line_text, jiku_assignment_name(d.assignment)) != NULL,
                      "%s:%ld is '%s', not %s", d.source, want_line, line_text, jiku_actions[i]);
            free(line_text);
        }
    }
    fixture_release(&fx);
}

/* ---- decisions ---- */

Test(decide, tier_jiku_allows)
{
    struct fixture fx;
    struct jiku_decision d;
    struct jiku_err err = {0};

    fixture_load(&fx, SHIPPED, NULL);
    cr_assert_eq(decide(fx.cfg, "lowco", "server.rollback", &d, &err), 0);
    cr_expect(d.allowed);
    cr_expect_eq(d.assignment, JIKU_ASSIGN_JIKU);
    cr_expect_str_eq(d.customer, "lowco");
    cr_expect_str_eq(d.tier, "low");
    cr_expect_str_eq(d.action, "server.rollback");
    cr_expect_str_eq(d.source, SHIPPED "/low.policy:19");
    cr_expect_str_eq(d.reason, "allowed: server.rollback for customer 'lowco' (tier low) is "
                               "assigned to jiku (" SHIPPED "/low.policy:19)");
    fixture_release(&fx);
}

Test(decide, tier_open_denies)
{
    struct fixture fx;
    struct jiku_decision d;

    fixture_load(&fx, SHIPPED, NULL);
    cr_assert_eq(decide(fx.cfg, "mediumco", "application.stage", &d, NULL), 0);
    cr_expect_not(d.allowed);
    cr_expect_eq(d.assignment, JIKU_ASSIGN_OPEN);
    cr_expect_str_eq(d.source, SHIPPED "/medium.policy:31");
    cr_expect_str_eq(d.reason,
                     "denied: application.stage for customer 'mediumco' (tier medium) is open — "
                     "not yet settled in the contract (" SHIPPED "/medium.policy:31)");
    fixture_release(&fx);
}

Test(decide, tier_customer_denies)
{
    struct fixture fx;
    struct jiku_decision d;

    fixture_load(&fx, SHIPPED, NULL);
    cr_assert_eq(decide(fx.cfg, "highco", "server.rollback", &d, NULL), 0);
    cr_expect_not(d.allowed);
    cr_expect_eq(d.assignment, JIKU_ASSIGN_CUSTOMER);
    cr_expect_str_eq(d.reason, "denied: server.rollback for customer 'highco' (tier high) is "
                               "assigned to the customer (" SHIPPED "/high.policy:20)");
    fixture_release(&fx);
}

Test(decide, override_jiku_allows)
{
    struct fixture fx;
    struct jiku_decision d;

    fixture_load(&fx, SHIPPED, "[customer acme]\ntier = medium\napplication.stage = jiku\n");
    cr_assert_eq(decide(fx.cfg, "acme", "application.stage", &d, NULL), 0);
    cr_expect(d.allowed);
    cr_expect_eq(d.assignment, JIKU_ASSIGN_JIKU);
    expect_reason(&d,
                  "allowed: application.stage for customer 'acme' (tier medium) is assigned to "
                  "jiku by contract ",
                  conf_src(&fx, 9));
    /* the override touches only its own action, and only its own customer */
    cr_assert_eq(decide(fx.cfg, "acme", "application.promote", &d, NULL), 0);
    cr_expect_not(d.allowed);
    cr_expect_str_eq(d.source, SHIPPED "/medium.policy:32");
    cr_assert_eq(decide(fx.cfg, "mediumco", "application.stage", &d, NULL), 0);
    cr_expect_not(d.allowed);
    fixture_release(&fx);
}

Test(decide, override_customer_denies)
{
    struct fixture fx;
    struct jiku_decision d;

    fixture_load(&fx, SHIPPED, "[customer acme]\ntier = low\nserver.update = customer\n");
    cr_assert_eq(decide(fx.cfg, "acme", "server.update", &d, NULL), 0);
    cr_expect_not(d.allowed);
    cr_expect_eq(d.assignment, JIKU_ASSIGN_CUSTOMER);
    expect_reason(&d,
                  "denied: server.update for customer 'acme' (tier low) is assigned to the "
                  "customer by contract ",
                  conf_src(&fx, 9));
    fixture_release(&fx);
}

Test(decide, override_open_denies)
{
    struct fixture fx;
    struct jiku_decision d;

    fixture_load(&fx, SHIPPED, "[customer acme]\ntier = low\nserver.backup = open\n");
    cr_assert_eq(decide(fx.cfg, "acme", "server.backup", &d, NULL), 0);
    cr_expect_not(d.allowed);
    cr_expect_eq(d.assignment, JIKU_ASSIGN_OPEN);
    expect_reason(&d,
                  "denied: server.backup for customer 'acme' (tier low) is open — not yet settled "
                  "in the contract ",
                  conf_src(&fx, 9));
    fixture_release(&fx);
}

Test(decide, high_books_an_add_on)
{
    struct fixture fx;
    struct jiku_decision d;

    fixture_load(&fx, SHIPPED,
                 "[customer acme]\ntier = high\nserver.backup = jiku\nserver.snapshot = jiku\n");
    cr_assert_eq(decide(fx.cfg, "acme", "server.snapshot", &d, NULL), 0);
    cr_expect(d.allowed);
    cr_expect_str_eq(d.source, conf_src(&fx, 10));
    cr_assert_eq(decide(fx.cfg, "acme", "server.backup", &d, NULL), 0);
    cr_expect(d.allowed);
    cr_expect_str_eq(d.source, conf_src(&fx, 9));
    cr_assert_eq(decide(fx.cfg, "acme", "server.rollback", &d, NULL), 0);
    cr_expect_not(d.allowed);
    fixture_release(&fx);
}

Test(decide, unknown_action)
{
    struct fixture fx;
    struct jiku_decision d;
    struct jiku_err err = {0};

    fixture_load(&fx, SHIPPED, NULL);
    cr_expect_eq(decide(fx.cfg, "lowco", "server.frobnicate", &d, &err), JIKU_E_CONFIG);
    cr_expect_eq(jiku_status_exit_code(err.status), 78);
    cr_expect_str_eq(err.msg, "unknown action 'server.frobnicate'");
    cr_expect_not(d.allowed);
    cr_expect_eq(d.assignment, JIKU_ASSIGN_NONE);
    cr_expect_str_eq(d.reason, "denied: unknown action 'server.frobnicate'");
    cr_expect_str_eq(d.tier, "low");
    cr_expect_eq(decide(fx.cfg, "lowco", "server", &d, &err), JIKU_E_CONFIG);
    cr_expect_not(d.allowed);
    fixture_release(&fx);
}

Test(decide, unknown_customer)
{
    struct fixture fx;
    struct jiku_decision d;
    struct jiku_err err = {0};

    fixture_load(&fx, SHIPPED, NULL);
    cr_expect_eq(decide(fx.cfg, "x", "server.snapshot", &d, &err), JIKU_E_NOTFOUND);
    cr_expect_eq(jiku_status_exit_code(err.status), 66);
    cr_expect_str_eq(err.msg, "no such customer 'x'");
    cr_expect_not(d.allowed);
    cr_expect_str_eq(d.customer, "x");
    cr_expect_null(d.tier);
    cr_expect_str_eq(d.reason, "denied: no such customer 'x'");
    fixture_release(&fx);
}

Test(decide, tier_without_policy)
{
    struct fixture fx;
    struct jiku_decision d;
    struct jiku_err err = {0};
    struct jiku_customer_conf *c;

    /* the loader never lets this happen; change a loaded config to get there */
    fixture_load(&fx, SHIPPED, "[customer goldco]\ntier = low\nserver.snapshot = jiku\n");
    c = (struct jiku_customer_conf *)jiku_config_customer(fx.cfg, "goldco");
    cr_assert_not_null(c);
    c->tier = "gold";
    /* an override does not rescue a customer whose tier is unknown */
    cr_expect_eq(decide(fx.cfg, "goldco", "server.snapshot", &d, &err), JIKU_E_CONFIG);
    cr_expect_str_eq(err.msg, "no policy loaded for tier 'gold'");
    cr_expect_not(d.allowed);
    cr_expect_eq(d.assignment, JIKU_ASSIGN_NONE);
    cr_expect_str_eq(d.reason, "denied: server.snapshot for customer 'goldco' (tier gold): no "
                               "policy loaded for tier 'gold'");
    /* and a config without any policies denies everything */
    jiku_policy_set_free(fx.cfg->policies);
    fx.cfg->policies = NULL;
    cr_expect_eq(decide(fx.cfg, "lowco", "server.snapshot", &d, &err), JIKU_E_CONFIG);
    cr_expect_not(d.allowed);
    fixture_release(&fx);
}

Test(decide, bad_override_assignment_denies)
{
    struct fixture fx;
    struct jiku_decision d;
    struct jiku_err err = {0};
    struct jiku_customer_conf *c;
    struct jiku_buf want = JIKU_BUF_INIT;

    fixture_load(&fx, SHIPPED, "[customer acme]\ntier = low\nserver.snapshot = jiku\n");
    c = (struct jiku_customer_conf *)jiku_config_customer(fx.cfg, "acme");
    cr_assert_not_null(c);
    cr_assert_eq(c->n_overrides, 1);
    c->overrides[0].assignment = 7;
    cr_expect_eq(decide(fx.cfg, "acme", "server.snapshot", &d, &err), JIKU_E_CONFIG);
    cr_expect_not(d.allowed);
    cr_expect_eq(d.assignment, JIKU_ASSIGN_NONE);
    jiku_buf_addf(&want, "server.snapshot has no valid assignment (%s)", conf_src(&fx, 9));
    cr_expect_str_eq(err.msg, want.data);
    jiku_buf_release(&want);
    fixture_release(&fx);
}

Test(decide, invalid_arguments)
{
    struct fixture fx;
    struct jiku_decision d;
    struct jiku_err err = {0};
    const struct jiku_customer_conf *c;

    fixture_load(&fx, SHIPPED, NULL);
    c = jiku_config_customer(fx.cfg, "lowco");
    cr_expect_eq(jiku_policy_decide(NULL, NULL, "server.snapshot", &d, &err), JIKU_E_INVAL);
    cr_expect_not(d.allowed);
    cr_expect_eq(jiku_policy_decide(fx.cfg->policies, NULL, "server.snapshot", &d, &err),
                 JIKU_E_INVAL);
    cr_expect_not(d.allowed);
    cr_expect_eq(jiku_policy_decide(fx.cfg->policies, c, NULL, &d, &err), JIKU_E_INVAL);
    cr_expect_not(d.allowed);
    cr_expect_eq(jiku_policy_decide(fx.cfg->policies, c, "server.snapshot", NULL, &err),
                 JIKU_E_INVAL);
    fixture_release(&fx);
}

/* ---- tier file errors, each with file:line ---- */

Test(parse, valid_minimal)
{
    struct jiku_diags diags = {NULL, 0, 0};

    make_tmpdir();
    write_policy("t", "# comment\n; comment\n\n" HEADER("t") ALL_ACTIONS_JIKU);
    cr_expect_eq(load_one("t", &diags, NULL), 0);
    dump_diags(&diags);
    cr_expect_eq(diags.n, 0);
    jiku_diags_release(&diags);
    remove_tmpdir();
}

Test(parse, crlf_bom_and_inline_comment)
{
    struct fixture fx;
    struct jiku_decision d;

    make_tmpdir();
    write_policy("t", "\xEF\xBB\xBF[tier]\r\nname = t ; the tier\r\n" ALL_ACTIONS_JIKU);
    write_policy("low", HEADER("low") ALL_ACTIONS_JIKU); /* for BASE_CUSTOMERS */
    write_policy("medium", HEADER("medium") ALL_ACTIONS_JIKU);
    write_policy("high", HEADER("high") ALL_ACTIONS_JIKU);
    fixture_load(&fx, NULL, "[customer c]\ntier = t\n");
    cr_assert_eq(decide(fx.cfg, "c", "server.backup", &d, NULL), 0);
    cr_expect(d.allowed);
    cr_expect_null(jiku_policy_tier_description(fx.cfg->policies, "t"));
    fixture_release(&fx);
}

Test(parse, unknown_section)
{
    expect_parse_error(HEADER("t") ALL_ACTIONS_JIKU "[database]\n", 23,
                       "unknown section [database] (expected tier, infrastructure, server or "
                       "application)");
    expect_parse_error(HEADER("t") "[Server]\nsnapshot = jiku\n" ALL_ACTIONS_JIKU, 4,
                       "unknown section [Server] (expected tier, infrastructure, server or "
                       "application)");
}

Test(parse, unknown_action)
{
    expect_parse_error(HEADER("t") ALL_ACTIONS_JIKU "frobnicate = jiku\n", 23,
                       "unknown action 'application.frobnicate'; expected one of "
                       "infrastructure.operate, server.snapshot, server.backup, server.rollback, "
                       "server.clone, server.update, server.mail-accounts, application.snapshot, "
                       "application.backup, application.rollback, application.stage, "
                       "application.promote, application.clone, application.update, "
                       "application.users, application.phones");
    expect_parse_error(HEADER("t") ALL_ACTIONS_JIKU "udpate = jiku\n", 23,
                       "unknown action 'application.udpate'; did you mean 'application.update'?");
}

Test(parse, bad_assignment)
{
    expect_parse_error(HEADER("t") "[server]\nsnapshot = maybe\n", 5,
                       "bad assignment 'maybe' for server.snapshot (expected jiku, customer or "
                       "open)");
    expect_parse_error(HEADER("t") "[server]\nsnapshot =\n", 5,
                       "bad assignment '' for server.snapshot (expected jiku, customer or open)");
}

Test(parse, duplicate_action)
{
    expect_parse_error(HEADER("t") ALL_ACTIONS_JIKU "[server]\nbackup = open\n", 24,
                       "duplicate server.backup (first at line 8)");
}

Test(parse, duplicate_tier_keys)
{
    expect_parse_error(HEADER("t") "name = t\n" ALL_ACTIONS_JIKU, 4,
                       "duplicate key 'name' in [tier] (first at line 2)");
    expect_parse_error(HEADER("t") "description = again\n" ALL_ACTIONS_JIKU, 4,
                       "duplicate key 'description' in [tier] (first at line 3)");
}

Test(parse, unknown_tier_key)
{
    expect_parse_error(HEADER("t") "colour = red\n" ALL_ACTIONS_JIKU, 4,
                       "unknown key 'colour' in [tier] (expected name or description)");
}

Test(parse, missing_name)
{
    expect_parse_error("[tier]\ndescription = x\n" ALL_ACTIONS_JIKU, 0,
                       "missing [tier] name (expected 'name = t')");
    expect_parse_error(ALL_ACTIONS_JIKU, 0, "missing [tier] name (expected 'name = t')");
}

Test(parse, name_mismatch)
{
    expect_parse_error(HEADER("medium") ALL_ACTIONS_JIKU, 2,
                       "tier name 'medium' does not match the file name 't.policy'");
}

Test(parse, key_outside_section)
{
    expect_parse_error("snapshot = jiku\n" HEADER("t") ALL_ACTIONS_JIKU, 1,
                       "key 'snapshot' outside any section");
}

Test(parse, missing_action)
{
    expect_parse_error(HEADER("t") "[server]\nsnapshot = jiku\nbackup = maybe\n", 0,
                       "not assigned: infrastructure.operate, server.rollback, server.clone, "
                       "server.update, server.mail-accounts, application.snapshot, "
                       "application.backup, application.rollback, application.stage, "
                       "application.promote, application.clone, application.update, "
                       "application.users, application.phones (every action needs jiku, "
                       "customer or open)");
}

Test(parse, syntax_error)
{
    expect_parse_error(HEADER("t") ALL_ACTIONS_JIKU "snapshot jiku\n", 23,
                       "syntax error (expected [section], 'key = value' or a comment)");
    expect_parse_error(HEADER("t") "[server\n" ALL_ACTIONS_JIKU, 4,
                       "syntax error (expected [section], 'key = value' or a comment)");
}

Test(parse, indented_line)
{
    /* inih would glue this to the description: never silently */
    expect_parse_error(HEADER("t") "  and more words\n" ALL_ACTIONS_JIKU, 4,
                       "indented line (continuation lines are not supported)");
    expect_parse_error(HEADER("t") "\tsnapshot = jiku\n" ALL_ACTIONS_JIKU, 4,
                       "indented line (continuation lines are not supported)");
}

/*
 * A rejected [header] line loses its section: the keys under it are not read as the previous
 * section's (where "stage = jiku" would become an unknown action server.stage).
 */
Test(parse, keys_of_a_rejected_header_belong_to_no_section)
{
    struct jiku_diags diags = {NULL, 0, 0};

    make_tmpdir();
    write_policy("t", HEADER("t") "[server]\nsnapshot = jiku\n  [application]\nstage = jiku\n");
    cr_expect_eq(load_one("t", &diags, NULL), JIKU_E_CONFIG);
    dump_diags(&diags);
    for (size_t i = 0; i < diags.n; i++)
        cr_expect(strstr(diags.items[i].msg, "server.stage") == NULL,
                  "a key of the lost section was read as [server]'s: %s", diags.items[i].msg);
    cr_expect(strstr(diags.items[0].msg, ":6: indented line") != NULL, "%s",
              diags.n > 0 ? diags.items[0].msg : "no diagnostics");
    jiku_diags_release(&diags);
    remove_tmpdir();
}

Test(parse, indented_blank_and_comment_lines_are_fine)
{
    struct jiku_diags diags = {NULL, 0, 0};

    make_tmpdir();
    write_policy("t", HEADER("t") "   \n\t\n  # indented comment\n\t; another\n" ALL_ACTIONS_JIKU);
    cr_expect_eq(load_one("t", &diags, NULL), 0);
    dump_diags(&diags);
    jiku_diags_release(&diags);
    remove_tmpdir();
}

Test(parse, long_line)
{
    struct jiku_buf text = JIKU_BUF_INIT;
    struct jiku_diags diags = {NULL, 0, 0};

    /* 199 characters and the NUL fit inih's 200-byte buffer; 200 would be split: an error */
    jiku_buf_adds(&text, "[tier]\nname = t\ndescription = ");
    for (size_t i = strlen("description = "); i < 199; i++)
        jiku_buf_addch(&text, 'x');
    jiku_buf_adds(&text, "\n" ALL_ACTIONS_JIKU);
    make_tmpdir();
    write_policy("t", text.data);
    cr_expect_eq(load_one("t", &diags, NULL), 0);
    dump_diags(&diags);
    jiku_diags_release(&diags);
    remove_tmpdir();

    jiku_buf_reset(&text);
    jiku_buf_adds(&text, "[tier]\nname = t\ndescription = ");
    for (size_t i = strlen("description = "); i < 200; i++)
        jiku_buf_addch(&text, 'x');
    /* what follows the long line is still parsed: the error names this line */
    jiku_buf_adds(&text, "\n" ALL_ACTIONS_JIKU "[server]\nsnapshot = open\n");
    expect_parse_error(text.data, 3, "line is 200 characters long, the limit is 199");
    expect_parse_error(text.data, 24, "duplicate server.snapshot (first at line 7)");

    /* far past any buffer */
    jiku_buf_reset(&text);
    jiku_buf_adds(&text, HEADER("t"));
    for (size_t i = 0; i < 10000; i++)
        jiku_buf_addch(&text, ';');
    jiku_buf_adds(&text, "\n" ALL_ACTIONS_JIKU);
    expect_parse_error(text.data, 4, "line is 10000 characters long, the limit is 199");
    jiku_buf_release(&text);
}

Test(parse, nul_byte)
{
    static const char text[] = "[tier]\nname = t\nde\0scription = x\n" ALL_ACTIONS_JIKU;
    struct jiku_diags diags = {NULL, 0, 0};
    struct jiku_buf want = JIKU_BUF_INIT;

    make_tmpdir();
    write_file("t.policy", text, sizeof(text) - 1);
    cr_expect_eq(load_one("t", &diags, NULL), JIKU_E_CONFIG);
    dump_diags(&diags);
    jiku_buf_addf(&want, "%s/t.policy:3: line contains a NUL byte", tmpdir);
    cr_expect(has_diag(&diags, true, want.data));
    jiku_buf_release(&want);
    jiku_diags_release(&diags);
    remove_tmpdir();
}

Test(parse, every_error_reported)
{
    struct jiku_diags diags = {NULL, 0, 0};

    make_tmpdir();
    write_policy("t", HEADER("t") ALL_ACTIONS_JIKU "[server]\nbackup = maybe\nclone = jiku\n"
                                                   "[nope]\n");
    cr_expect_eq(load_one("t", &diags, NULL), JIKU_E_CONFIG);
    dump_diags(&diags);
    cr_expect_eq(diags.n, 3);
    cr_expect_eq(diags.n_errors, 3);
    jiku_diags_release(&diags);
    remove_tmpdir();
}

/* ---- loading sets ---- */

Test(load, missing_file_message)
{
    struct jiku_diags diags = {NULL, 0, 0};
    struct jiku_err err = {0};
    struct jiku_buf want = JIKU_BUF_INIT;

    make_tmpdir();
    write_policy("low", HEADER("low") ALL_ACTIONS_JIKU);
    cr_expect_eq(load_one("medium", &diags, &err), JIKU_E_CONFIG);
    jiku_buf_addf(&want, "cannot read policy '%s/medium.policy': no such file", tmpdir);
    cr_expect_eq(diags.n, 1);
    cr_expect(has_diag(&diags, true, want.data));
    cr_expect_str_eq(err.msg, want.data);
    cr_expect_eq(jiku_status_exit_code(err.status), 78);
    jiku_buf_release(&want);
    jiku_diags_release(&diags);
    remove_tmpdir();
}

Test(load, source_path_as_configured)
{
    const char *tiers[] = {"low", NULL};
    struct jiku_policy_set *set = NULL;
    struct fixture fx;
    struct jiku_decision d;

    /* a trailing slash does not double */
    fixture_load(&fx, SHIPPED "/", NULL);
    cr_assert_eq(decide(fx.cfg, "lowco", "infrastructure.operate", &d, NULL), 0);
    cr_expect_str_eq(d.source, SHIPPED "/low.policy:14");

    /* a relative dir stays relative in every source (the loader only takes absolute ones) */
    cr_assert_eq(chdir(JIKU_SOURCE_DIR), 0);
    cr_assert_eq(jiku_policy_set_load("policies", tiers, &set, NULL, NULL), 0);
    jiku_policy_set_free(fx.cfg->policies);
    fx.cfg->policies = set;
    cr_assert_eq(decide(fx.cfg, "lowco", "infrastructure.operate", &d, NULL), 0);
    cr_expect_str_eq(d.reason, "allowed: infrastructure.operate for customer 'lowco' (tier low) is "
                               "assigned to jiku (policies/low.policy:14)");
    fixture_release(&fx);
}

Test(load, invalid_tier_names_never_reach_a_path)
{
    static const char *const bad[] = {"../low", "low/..",     "",           "Low",
                                      "-low",   "low.policy", "/etc/passwd"};
    struct jiku_err err = {0};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct jiku_diags diags = {NULL, 0, 0};
        struct jiku_buf want = JIKU_BUF_INIT;

        cr_expect_eq(jiku_policy_set_load(SHIPPED, (const char *[]){bad[i], NULL},
                                          &(struct jiku_policy_set *){NULL}, &diags, &err),
                     JIKU_E_CONFIG, "%s", bad[i]);
        jiku_buf_addf(&want, "invalid tier name '%s' (expected [a-z0-9][a-z0-9-]*)", bad[i]);
        cr_expect_eq(diags.n, 1);
        cr_expect(has_diag(&diags, true, want.data), "%s", want.data);
        jiku_buf_release(&want);
        jiku_diags_release(&diags);
    }
}

Test(load, duplicates_and_empty_lists)
{
    const char *twice[] = {"low", "high", "low", NULL};
    const char *none[] = {NULL};
    struct jiku_policy_set *set = NULL;
    struct jiku_diags diags = {NULL, 0, 0};

    cr_assert_eq(jiku_policy_set_load(SHIPPED, twice, &set, &diags, NULL), 0);
    cr_expect_not_null(jiku_policy_tier_description(set, "low"));
    cr_expect_not_null(jiku_policy_tier_description(set, "high"));
    cr_expect_null(jiku_policy_tier_description(set, "medium"));
    jiku_policy_set_free(set);
    set = NULL;
    cr_assert_eq(jiku_policy_set_load(SHIPPED, none, &set, &diags, NULL), 0);
    cr_expect_not_null(set);
    jiku_policy_set_free(set);
    cr_expect_eq(diags.n, 0);
    jiku_diags_release(&diags);
    jiku_policy_set_free(NULL);
}

Test(load, bad_arguments)
{
    const char *tiers[] = {"low", NULL};
    struct jiku_policy_set *set = (struct jiku_policy_set *)&set;
    struct jiku_err err = {0};

    cr_expect_eq(jiku_policy_set_load(NULL, tiers, &set, NULL, &err), JIKU_E_INVAL);
    cr_expect_null(set);
    cr_expect_eq(jiku_policy_set_load(SHIPPED, NULL, &set, NULL, &err), JIKU_E_INVAL);
    cr_expect_eq(jiku_policy_set_load(SHIPPED, tiers, NULL, NULL, &err), JIKU_E_INVAL);
}

Test(load, directory_is_not_a_policy)
{
    struct jiku_diags diags = {NULL, 0, 0};
    struct jiku_buf p = JIKU_BUF_INIT;
    struct jiku_buf want = JIKU_BUF_INIT;

    make_tmpdir();
    jiku_buf_addf(&p, "%s/d.policy", tmpdir);
    cr_assert_eq(mkdir(p.data, 0700), 0);
    cr_expect_eq(load_one("d", &diags, NULL), JIKU_E_CONFIG);
    jiku_buf_addf(&want, "cannot read policy '%s/d.policy': not a regular file", tmpdir);
    cr_expect(has_diag(&diags, true, want.data));
    dump_diags(&diags);
    jiku_buf_release(&p);
    jiku_buf_release(&want);
    jiku_diags_release(&diags);
    remove_tmpdir();
}

/*
 * The check of load::unreadable_file, in a child process that is nobody (65534) when the test
 * runs as root, who reads every file: its exit status is 0, or which step failed.
 */
enum unreadable_step {
    UNREADABLE_OK = 0,
    UNREADABLE_SETID = 1,  /* cannot become nobody */
    UNREADABLE_STATUS = 2, /* loaded, or failed with another status than JIKU_E_CONFIG */
    UNREADABLE_DIAG = 3,   /* not the expected diagnostic */
};

static int
unreadable_child(const char *path)
{
    const char *tiers[] = {"u", NULL};
    struct jiku_policy_set *set = NULL;
    struct jiku_diags diags = {NULL, 0, 0};
    struct jiku_buf want = JIKU_BUF_INIT;
    int step = UNREADABLE_OK;

    if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
        return UNREADABLE_SETID;
    if (jiku_policy_set_load(tmpdir, tiers, &set, &diags, NULL) != JIKU_E_CONFIG)
        step = UNREADABLE_STATUS;
    else if (jiku_buf_addf(&want, "cannot read policy '%s': permission denied", path) != 0 ||
             !has_diag(&diags, true, want.data))
        step = UNREADABLE_DIAG;
    for (size_t i = 0; i < diags.n; i++)
        fprintf(stderr, "diag %zu: %s\n", i, diags.items[i].msg);
    jiku_policy_set_free(set);
    jiku_buf_release(&want);
    jiku_diags_release(&diags);
    return step;
}

Test(load, unreadable_file)
{
    struct jiku_buf p = JIKU_BUF_INIT;
    pid_t pid;
    int status;

    make_tmpdir();
    write_policy("u", HEADER("u") ALL_ACTIONS_JIKU);
    cr_assert_eq(jiku_buf_addf(&p, "%s/u.policy", tmpdir), 0);
    /* nobody may search the directory: only the file's own mode keeps it out. */
    cr_assert_eq(chmod(tmpdir, 0711), 0);
    cr_assert_eq(chmod(p.data, 0), 0);
    fflush(NULL);
    cr_assert_neq(pid = fork(), -1, "fork: %s", strerror(errno));
    if (pid == 0)
        _exit(unreadable_child(p.data));
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "the child died of signal %d", WTERMSIG(status));
    cr_expect_neq(WEXITSTATUS(status), UNREADABLE_SETID, "cannot become nobody (65534)");
    cr_expect_neq(WEXITSTATUS(status), UNREADABLE_STATUS,
                  "loading an unreadable policy did not fail as a configuration error");
    cr_expect_neq(WEXITSTATUS(status), UNREADABLE_DIAG,
                  "no diagnostic \"cannot read policy '%s': permission denied\"", p.data);
    cr_expect_eq(WEXITSTATUS(status), UNREADABLE_OK);
    jiku_buf_release(&p);
    remove_tmpdir();
}

/* ---- lint ---- */

Test(lint, every_file_checked)
{
    struct jiku_diags diags = {NULL, 0, 0};
    struct jiku_buf want = JIKU_BUF_INIT;

    make_tmpdir();
    write_policy("good", HEADER("good") ALL_ACTIONS_JIKU);
    write_policy("bad", HEADER("bad") ALL_ACTIONS_JIKU "[server]\nbackup = maybe\n");
    write_policy("Upper", HEADER("Upper") ALL_ACTIONS_JIKU);
    write_file("README", "not a policy\n", 13);
    write_file(".hidden.policy", "garbage\n", 8);
    cr_expect_eq(jiku_policy_lint_dir(tmpdir, &diags), JIKU_E_CONFIG);
    dump_diags(&diags);
    cr_expect_eq(diags.n, 2);
    jiku_buf_addf(&want, "%s/Upper.policy: invalid tier name 'Upper' (expected [a-z0-9][a-z0-9-]*)",
                  tmpdir);
    cr_expect(has_diag(&diags, true, want.data), "%s", want.data);
    jiku_buf_reset(&want);
    jiku_buf_addf(&want,
                  "%s/bad.policy:24: bad assignment 'maybe' for server.backup (expected jiku, "
                  "customer or open)",
                  tmpdir);
    cr_expect(has_diag(&diags, true, want.data), "%s", want.data);
    jiku_buf_release(&want);
    jiku_diags_release(&diags);
    remove_tmpdir();
}

Test(lint, empty_and_missing_dirs)
{
    struct jiku_diags diags = {NULL, 0, 0};
    struct jiku_buf want = JIKU_BUF_INIT;

    make_tmpdir();
    cr_expect_eq(jiku_policy_lint_dir(tmpdir, &diags), 0);
    jiku_buf_addf(&want, "%s: no policy files (*.policy)", tmpdir);
    cr_expect_eq(diags.n_errors, 0);
    cr_expect(has_diag(&diags, false, want.data));
    jiku_diags_release(&diags);

    jiku_buf_reset(&want);
    jiku_buf_addf(&want, "cannot read policy directory '%s/none': no such file", tmpdir);
    {
        struct jiku_buf dir = JIKU_BUF_INIT;
        jiku_buf_addf(&dir, "%s/none", tmpdir);
        cr_expect_eq(jiku_policy_lint_dir(dir.data, &diags), JIKU_E_CONFIG);
        jiku_buf_release(&dir);
    }
    cr_expect(has_diag(&diags, true, want.data));
    cr_expect_eq(jiku_policy_lint_dir(NULL, &diags), JIKU_E_INVAL);
    cr_expect_eq(jiku_policy_lint_dir(tmpdir, NULL), JIKU_E_INVAL);
    jiku_buf_release(&want);
    jiku_diags_release(&diags);
    remove_tmpdir();
}

/* ---- skills check ---- */

Test(skills, low_given_server_work)
{
    struct fixture fx;
    struct jiku_diags diags = {NULL, 0, 0};
    struct jiku_buf want = JIKU_BUF_INIT;

    fixture_load(&fx, SHIPPED,
                 "[customer lowc]\ntier = low\n"         /* 7, 8 */
                 "server.rollback = customer\n"          /* 9: warn */
                 "application.stage = customer\n"        /* 10: warn */
                 "application.users = customer\n"        /* low keeps these */
                 "server.backup = open\n"                /* not handed over */
                 "[customer medc]\ntier = medium\n"      /* 13, 14 */
                 "infrastructure.operate = customer\n"   /* 15: warn */
                 "server.rollback = customer\n"          /* medium may */
                 "[customer highc]\ntier = high\n"       /* 17, 18 */
                 "infrastructure.operate = customer\n"); /* high may */
    jiku_policy_skills_check(fx.cfg, &diags);
    dump_diags(&diags);
    cr_expect_eq(diags.n, 3);
    cr_expect_eq(diags.n_errors, 0);
    jiku_buf_addf(&want,
                  "%s/conf.d/10-customers.conf:9: customer 'lowc' (tier low) is given "
                  "server.rollback, but tier low assumes the customer lacks server skills",
                  tmpdir);
    cr_expect(has_diag(&diags, false, want.data), "%s", want.data);
    jiku_buf_reset(&want);
    jiku_buf_addf(&want,
                  "%s/conf.d/10-customers.conf:10: customer 'lowc' (tier low) is given "
                  "application.stage, but tier low assumes the customer lacks application skills",
                  tmpdir);
    cr_expect(has_diag(&diags, false, want.data), "%s", want.data);
    jiku_buf_reset(&want);
    jiku_buf_addf(&want,
                  "%s/conf.d/10-customers.conf:15: customer 'medc' (tier medium) is given "
                  "infrastructure.operate, but tier medium assumes the customer lacks "
                  "infrastructure skills",
                  tmpdir);
    cr_expect(has_diag(&diags, false, want.data), "%s", want.data);
    jiku_policy_skills_check(NULL, &diags);
    jiku_policy_skills_check(fx.cfg, NULL);
    cr_expect_eq(diags.n, 3);
    jiku_buf_release(&want);
    jiku_diags_release(&diags);
    fixture_release(&fx);
}
