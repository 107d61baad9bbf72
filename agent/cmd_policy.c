/*
 * policy show / explain / check, config check / show: the contract and the configuration,
 * read-only, needing no assignment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "policy.h"
#include "textsafe.h"

static const char *
yesno(bool b)
{
    return b ? "yes" : "no";
}

/*
 * What the nightly run does for C's targets (only ONLY, when given): each action of a nightly
 * list decided alone.
 */
static int
nightly_show(struct jiku_session *ctx, const struct jiku_customer_conf *c,
             const struct jiku_target_conf *only)
{
    struct jiku_err err = {0};
    bool header = false;

    for (size_t i = 0; i < ctx->cfg->n_targets; i++) {
        const struct jiku_target_conf *t = &ctx->cfg->targets[i];

        if (only != NULL && t != only)
            continue;
        for (size_t k = 0; t->customer == c && k < t->n_nightly; k++) {
            const char *action = jiku_action_for(t->nightly[k], t->info.kind);
            struct jiku_decision d;

            if (jiku_policy_decide(ctx->cfg->policies, c, action, &d, &err) != 0)
                return jiku_cmd_fail(ctx, &err);
            if (!header)
                jiku_out_text(&ctx->out, "\n%-28s %-9s %-8s %s\n", "NIGHTLY", "ACTION", "ALLOWED",
                              "POLICY ACTION");
            header = true;
            jiku_out_json(&ctx->out, "nightly", "{s:s, s:s, s:s, s:s, s:b}", "customer", c->name,
                          "target", t->info.id, "action", jiku_verb_name(t->nightly[k]),
                          "policy_action", d.action, "allowed", d.allowed);
            jiku_out_text(&ctx->out, "%-28s %-9s %-8s %s\n", t->info.id,
                          jiku_verb_name(t->nightly[k]), yesno(d.allowed), d.action);
        }
    }
    return 0;
}

/*
 * policy show CUSTOMER: the customer's matrix.  policy show CUSTOMER/TARGET: the same matrix
 * (a target has no policy of its own: its customer's decides) under the target's name, and
 * only that target's nightly actions.  An action no plugin performs is marked so rather than
 * "yes": the matrix says who is responsible, and for those JIKU's part is done by hand.
 */
static int
policy_show(struct jiku_session *ctx, const char *name)
{
    const struct jiku_customer_conf *c;
    const struct jiku_target_conf *t = NULL;
    struct jiku_err err = {0};
    char *contact = NULL;
    int r;

    if ((r = jiku_session_open(ctx, JIKU_NEED_CONFIG, &err)) != 0)
        return jiku_cmd_fail(ctx, &err);
    if (strchr(name, '/') != NULL) {
        if ((t = jiku_config_target(ctx->cfg, name)) == NULL) {
            jiku_err_set(&err, JIKU_E_NOTFOUND, "no such target '%s'", name);
            return jiku_cmd_fail(ctx, &err);
        }
        c = t->customer;
        jiku_out_text(&ctx->out, "target %s (%s on %s)\n", t->info.id, jiku_kind_name(t->info.kind),
                      t->server->info.name);
    } else if ((c = jiku_config_customer(ctx->cfg, name)) == NULL) {
        jiku_err_set(&err, JIKU_E_NOTFOUND, "no such customer '%s'", name);
        return jiku_cmd_fail(ctx, &err);
    }
    /* a contact is free text: JSON takes it only as valid UTF-8 */
    if (c->contact != NULL && (contact = jiku_text_dup(c->contact, JIKU_TEXT_UTF8)) == NULL)
        return JIKU_E_NOMEM;
    jiku_out_text(&ctx->out, "customer %s (tier %s)\ncontact: %s\n%-28s %-9s %-8s %s\n", c->name,
                  c->tier, contact != NULL ? contact : "(none)", "ACTION", "ASSIGNED", "ALLOWED",
                  "SOURCE");
    for (size_t i = 0; i < jiku_n_actions; i++) {
        bool performed = jiku_action_executable(jiku_actions[i]);
        struct jiku_decision d;

        if ((r = jiku_policy_decide(ctx->cfg->policies, c, jiku_actions[i], &d, &err)) != 0) {
            r = jiku_cmd_fail(ctx, &err);
            goto out;
        }
        jiku_out_json(&ctx->out, "policy", "{s:s, s:s?, s:s, s:s?, s:s, s:s, s:b, s:b, s:s}",
                      "customer", c->name, "target", t != NULL ? t->info.id : NULL, "tier", c->tier,
                      "contact", contact, "action", d.action, "assignment",
                      jiku_assignment_name(d.assignment), "allowed", d.allowed, "performed",
                      performed, "source", d.source);
        jiku_out_text(&ctx->out, "%-28s %-9s %-8s %s%s%s%s%s\n", d.action,
                      jiku_assignment_name(d.assignment), performed ? yesno(d.allowed) : "-",
                      d.source, d.by_contract ? " (contract)" : "", performed ? "" : " (",
                      performed ? "" : jiku_action_unperformed(d.action), performed ? "" : ")");
    }
    r = nightly_show(ctx, c, t);
out:
    free(contact);
    return r;
}

static int
policy_explain(struct jiku_session *ctx, const char *customer, const char *action)
{
    const struct jiku_customer_conf *c;
    struct jiku_buf hint = JIKU_BUF_INIT;
    struct jiku_decision d;
    struct jiku_err err = {0};
    int r;

    if (!jiku_action_known(action)) {
        r = jiku_action_hint(action, &hint);
        jiku_err_set(&err, r != 0 ? r : JIKU_E_USAGE, "unknown action '%s'%s", action,
                     hint.len > 0 ? hint.data : "");
        jiku_buf_release(&hint);
        return jiku_cmd_fail(ctx, &err);
    }
    /*
     * The customer's section and tier file, not the whole fleet's configuration: a decision
     * costs the same for ten targets or ten thousand.  Mistakes elsewhere (servers, targets,
     * other customers' files) are config check's, which every run's load repeats.
     */
    ctx->config_customer = customer;
    if ((r = jiku_session_open(ctx, JIKU_NEED_CONFIG, &err)) != 0)
        return jiku_cmd_fail(ctx, &err);
    if ((c = jiku_config_customer(ctx->cfg, customer)) == NULL)
        r = jiku_policy_unknown_customer(customer, &d, &err);
    else
        r = jiku_policy_decide(ctx->cfg->policies, c, action, &d, &err);
    if (r != 0)
        return jiku_cmd_fail(ctx, &err);
    jiku_out_decision(&ctx->out, &d, NULL, false);
    jiku_out_text(&ctx->out, "%s\n", d.reason);
    if (!jiku_action_executable(action))
        jiku_out_text(&ctx->out, "note: %s: %s\n", action, jiku_action_unperformed(action));
    return d.allowed ? 0 : JIKU_E_DENIED;
}

static void
print_diags(struct jiku_session *ctx, const struct jiku_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        const char *sev = d->items[i].is_error ? "error" : "warning";

        jiku_out_json(&ctx->out, "diagnostic", "{s:s, s:s}", "severity", sev, "message",
                      d->items[i].msg);
        if (!ctx->out.json)
            fprintf(stderr, "jiku-agent: %s: %s\n", sev, d->items[i].msg);
    }
}

/*
 * A check's status after the configuration load's (R, ERR) and every diagnostic in DIAGS was
 * printed: a failure the diagnostics do not tell (out of memory) is said here.
 */
static int
load_status(struct jiku_session *ctx, int r, const struct jiku_diags *diags,
            const struct jiku_err *err)
{
    if (diags->n_errors > 0)
        return JIKU_E_CONFIG;
    if (r != 0)
        return jiku_cmd_fail(ctx, err);
    return 0;
}

/* policy check: every tier file in policy_dir, the contract overrides, the skills check. */
static int
policy_check(struct jiku_session *ctx)
{
    struct jiku_diags diags = {0};
    struct jiku_config *cfg = NULL;
    struct jiku_err err = {0};
    int r;

    if ((r = jiku_config_load(ctx->config_path, 0, &cfg, &diags, &err)) == 0) {
        jiku_policy_lint_dir(cfg->policy_dir, &diags);
        jiku_policy_skills_check(cfg, &diags);
    }
    print_diags(ctx, &diags);
    r = load_status(ctx, r, &diags, &err);
    if (r == 0)
        jiku_out_text(&ctx->out, "policy ok: %zu customer%s, %zu warning%s\n", cfg->n_customers,
                      cfg->n_customers == 1 ? "" : "s", diags.n, diags.n == 1 ? "" : "s");
    jiku_diags_release(&diags);
    jiku_config_free(cfg);
    return r;
}

int
jiku_cmd_policy(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    const char *sub = args->argv[0];
    int n = args->argc - 1;

    if (strcmp(sub, "show") == 0 && n == 1)
        return policy_show(ctx, args->argv[1]);
    if (strcmp(sub, "explain") == 0 && n == 2)
        return policy_explain(ctx, args->argv[1], args->argv[2]);
    if (strcmp(sub, "check") == 0 && n == 0)
        return policy_check(ctx);
    return jiku_cmd_usage(ctx, args->cmd, "bad 'policy %s' command", sub);
}

/*
 * config check: everything config load checks, plus nightly actions the policy denies and the
 * contract overrides that policy check questions (the skills check).
 */
static int
config_check(struct jiku_session *ctx)
{
    struct jiku_diags diags = {0};
    struct jiku_config *cfg = NULL;
    struct jiku_err err = {0};
    int r;

    if ((r = jiku_config_load(ctx->config_path, 0, &cfg, &diags, &err)) == 0) {
        for (size_t i = 0; i < cfg->n_targets; i++) {
            const struct jiku_target_conf *t = &cfg->targets[i];

            for (size_t k = 0; k < t->n_nightly; k++) {
                const char *verb = jiku_verb_name(t->nightly[k]);
                const char *action = jiku_action_for(t->nightly[k], t->info.kind);
                struct jiku_decision d;

                if (jiku_policy_decide(cfg->policies, t->customer, action, &d, &err) == 0 &&
                    !d.allowed)
                    jiku_diag_add(&diags, false,
                                  "%s:%d: target '%s' has %s in nightly, but %s; the nightly run "
                                  "will report it denied (take %s out of nightly or change the "
                                  "contract)",
                                  t->src.file, t->src.line, t->info.id, verb, d.reason, verb);
            }
        }
        jiku_policy_skills_check(cfg, &diags);
    }
    print_diags(ctx, &diags);
    r = load_status(ctx, r, &diags, &err);
    if (r == 0)
        jiku_out_text(&ctx->out,
                      "config ok: %zu server%s, %zu customer%s, %zu target%s, %zu warning%s\n",
                      cfg->n_servers, cfg->n_servers == 1 ? "" : "s", cfg->n_customers,
                      cfg->n_customers == 1 ? "" : "s", cfg->n_targets,
                      cfg->n_targets == 1 ? "" : "s", diags.n, diags.n == 1 ? "" : "s");
    jiku_diags_release(&diags);
    jiku_config_free(cfg);
    return r;
}

static int
config_show(struct jiku_session *ctx)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    struct jiku_err err = {0};
    int r;

    if ((r = jiku_session_open(ctx, JIKU_NEED_CONFIG, &err)) != 0)
        return jiku_cmd_fail(ctx, &err);
    if ((r = jiku_config_show(ctx->cfg, &b)) != 0) {
        jiku_err_set(&err, r, "cannot format the configuration");
        return jiku_cmd_fail(ctx, &err);
    }
    jiku_out_json(&ctx->out, "config", "{s:s}", "text", b.data);
    jiku_out_text(&ctx->out, "%s", b.data);
    jiku_buf_release(&b);
    return 0;
}

int
jiku_cmd_config(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    if (strcmp(args->argv[0], "check") == 0)
        return config_check(ctx);
    if (strcmp(args->argv[0], "show") == 0)
        return config_show(ctx);
    return jiku_cmd_usage(ctx, args->cmd, "bad 'config %s' command", args->argv[0]);
}
