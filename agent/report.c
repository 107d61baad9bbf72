/*
 * The report's model and its JSON lines: the responsibility matrix as policy show decides it,
 * the newest good restore points from the catalog, the failures, denials and updates of the
 * period from the audit (one "operation" record per finished operation, agent/action.c).
 * report_text.c and report_html.c lay the same model out for people.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "catalog.h"
#include "report_int.h"
#include "textsafe.h"
#include "timefmt.h"

int
jiku_report_format_parse(const char *s, enum jiku_report_format *out)
{
    static const char *const names[] = {
        [JIKU_REPORT_TEXT] = "text",
        [JIKU_REPORT_MARKDOWN] = "markdown",
        [JIKU_REPORT_HTML] = "html",
        [JIKU_REPORT_JSON] = "json",
    };

    for (size_t i = 0; s != NULL && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum jiku_report_format)i;
            return 0;
        }
    return JIKU_E_USAGE;
}

const char *
jiku_report_state_name(enum jiku_report_state s)
{
    static const char *const names[] = {"ok", "no-nightly", "failed", "stale"};

    return names[s];
}

const char *
jiku_report_state_label(enum jiku_report_state s)
{
    static const char *const labels[] = {"ok", "no nightly", "FAILED", "STALE"};

    return labels[s];
}

const char *
jiku_report_by(const struct jiku_decision *d)
{
    return d->assignment == JIKU_ASSIGN_JIKU ? "JIKU" : jiku_assignment_name(d->assignment);
}

const char *
jiku_report_source_base(const struct jiku_decision *d)
{
    const char *slash = strrchr(d->source, '/');

    return slash != NULL ? slash + 1 : d->source;
}

/* Whether T's nightly makes a snapshot or a backup, so that its age is the nightly's to keep. */
static bool
makes_restore_point(const struct jiku_target_conf *t)
{
    for (size_t i = 0; i < t->n_nightly; i++)
        if (t->nightly[i] == JIKU_VERB_SNAPSHOT || t->nightly[i] == JIKU_VERB_BACKUP)
            return true;
    return false;
}

const char *
jiku_report_nightly_note(const struct jiku_target_conf *t)
{
    return t->n_nightly == 0 ? "no nightly" : "nightly makes no restore point";
}

void
jiku_report_time(char *buf, size_t len, time_t t)
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(buf, len, "?");
}

static const char *
plural(size_t n)
{
    return n == 1 ? "" : "s";
}

int
jiku_report_headline(const struct jiku_report *r, struct jiku_buf *out)
{
    size_t none = r->n_state[JIKU_REPORT_NO_NIGHTLY];

    if (jiku_buf_addf(out, "%zu of %zu target%s without a recent restore point",
                      r->n_state[JIKU_REPORT_STALE], r->n_targets, plural(r->n_targets)) != 0 ||
        (none > 0 && jiku_buf_addf(out, "; %zu without a nightly one", none) != 0))
        return JIKU_E_NOMEM;
    return 0;
}

int
jiku_report_tally(const struct jiku_report *r, struct jiku_buf *out)
{
    char since[32];

    jiku_report_time(since, sizeof(since), r->opts->since);
    if (jiku_buf_addf(out, "since %s: %zu failure%s, %zu denial%s, %zu update%s (%zu rolled back)",
                      since, r->n_failures, plural(r->n_failures), r->n_denials,
                      plural(r->n_denials), r->n_updates, plural(r->n_updates),
                      r->n_rolled_back) != 0)
        return JIKU_E_NOMEM;
    return 0;
}

/* ---- gathering ---- */

struct gather {
    struct jiku_report *r;
    const struct jiku_config *cfg;
    struct jiku_report_target **by_conf; /* cfg->targets' order; NULL: not in the report */
    struct jiku_err *err;
};

static struct jiku_report_target *
lookup(const struct gather *g, const char *id)
{
    const struct jiku_target_conf *t = id != NULL ? jiku_config_target(g->cfg, id) : NULL;

    return t != NULL ? g->by_conf[t - g->cfg->targets] : NULL;
}

static int
gather_customer(struct gather *g, const struct jiku_customer_conf *c,
                struct jiku_report_customer *rc)
{
    const struct jiku_config *cfg = g->cfg;
    int r;

    rc->conf = c;
    for (size_t i = 0; i < JIKU_N_ACTIONS; i++)
        if ((r = jiku_policy_decide(cfg->policies, c, jiku_actions[i], &rc->matrix[i], g->err)) !=
            0)
            return r;
    for (size_t i = 0; i < cfg->n_targets; i++)
        rc->n_targets += cfg->targets[i].customer == c;
    if (rc->n_targets > 0 && (rc->targets = calloc(rc->n_targets, sizeof(*rc->targets))) == NULL)
        return jiku_err_set(g->err, JIKU_E_NOMEM, "out of memory");
    for (size_t i = 0, k = 0; i < cfg->n_targets; i++) {
        if (cfg->targets[i].customer != c)
            continue;
        rc->targets[k].conf = &cfg->targets[i];
        g->by_conf[i] = &rc->targets[k++];
    }
    g->r->n_targets += rc->n_targets;
    return 0;
}

/* The newest good snapshot and backup of each target: the list is newest first. */
static int
gather_points(struct gather *g, struct jiku_catalog *cat)
{
    struct jiku_report *r = g->r;
    int rc;

    if ((rc = jiku_catalog_artifact_list(cat, NULL, r->opts->customer, false, &r->artifacts,
                                         g->err)) != 0)
        return rc;
    for (size_t i = 0; i < r->artifacts.n; i++) {
        const struct jiku_artifact *a = &r->artifacts.items[i];
        struct jiku_report_target *t = lookup(g, a->target);
        struct jiku_report_point *p;
        time_t verified;

        if (t == NULL || a->status != JIKU_ART_GOOD || a->created > r->opts->now)
            continue;
        if (a->kind == JIKU_ARTIFACT_SNAPSHOT)
            p = &t->snapshot;
        else if (a->kind == JIKU_ARTIFACT_BACKUP)
            p = &t->backup;
        else
            continue; /* a safety snapshot is kept briefly; nightly does not make it */
        if (p->id != NULL)
            continue;
        if ((rc = jiku_catalog_artifact_verified(cat, a->target, a->id, &verified, g->err)) != 0)
            return rc;
        *p = (struct jiku_report_point){a->id, a->created, a->created, a->size};
        if (verified > p->verified && verified <= r->opts->now)
            p->verified = verified;
    }
    return 0;
}

static int
event_add(struct jiku_report_events *ev, time_t when, const char *action, const char *status,
          const char *text, size_t text_len)
{
    struct jiku_report_event *grown, *e;

    if ((grown = reallocarray(ev->items, ev->n + 1, sizeof(*grown))) == NULL)
        return JIKU_E_NOMEM;
    ev->items = grown;
    e = &ev->items[ev->n++];
    *e = (struct jiku_report_event){.time = when};
    if ((e->action = strdup(action)) == NULL || (e->status = strdup(status)) == NULL ||
        (e->text = strndup(text, text_len)) == NULL)
        return JIKU_E_NOMEM;
    return 0;
}

static void
events_release(struct jiku_report_events *ev)
{
    for (size_t i = 0; i < ev->n; i++) {
        free(ev->items[i].action);
        free(ev->items[i].status);
        free(ev->items[i].text);
    }
    free(ev->items);
}

/*
 * An update's audit reason (agent/action.c, finish): "ERROR-OR-ok; KIND NAME FROM -> TO, ...:
 * STATE".  True when REASON has that shape: *STATE and the components' span are set.
 */
static bool
update_parse(const char *reason, const char **state, const char **from, const char **to)
{
    static const char *const states[] = {"updated", "rolled-back", "not-applied", "failed"};
    static const char *const kinds[] = {"; core ", "; plugin ", "; theme ", "; app "};
    const char *colon = NULL, *p;

    for (p = strstr(reason, ": "); p != NULL; p = strstr(p + 1, ": "))
        colon = p;
    if (colon == NULL)
        return false;
    *state = NULL;
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        if (strcmp(colon + 2, states[i]) == 0)
            *state = states[i];
    *from = NULL;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if ((p = strstr(reason, kinds[i])) != NULL && p < colon && (*from == NULL || p < *from))
            *from = p;
    *to = colon;
    return *state != NULL && *from != NULL;
}

static int
audit_event(const struct jiku_audit_record *rec, void *arg)
{
    struct gather *g = arg;
    struct jiku_report_target *t = lookup(g, rec->target);
    const char *reason = rec->reason != NULL ? rec->reason : "";
    const char *state = NULL, *from = NULL, *to = NULL, *update_action;
    bool update;
    int r = 0;

    if (t == NULL || rec->dry_run || rec->time > g->r->opts->now ||
        strcmp(rec->event, "operation") != 0)
        return 0;
    update_action = jiku_action_for(JIKU_VERB_UPDATE, t->conf->info.kind);
    update = update_action != NULL && strcmp(rec->action, update_action) == 0 &&
             update_parse(reason, &state, &from, &to);
    if (strcmp(rec->decision, "failed") == 0 || strcmp(rec->decision, "interrupted") == 0) {
        /* an update's error alone: its components are in its update line */
        r = event_add(&t->failures, rec->time, rec->action, rec->decision, reason,
                      update ? (size_t)(from - reason) : strlen(reason));
        g->r->n_failures++;
    } else if (strcmp(rec->decision, "denied") == 0) {
        r = event_add(&t->denials, rec->time, rec->action, rec->decision, reason, strlen(reason));
        g->r->n_denials++;
    }
    if (r == 0 && update) {
        r = event_add(&t->updates, rec->time, rec->action, state, from + 2,
                      (size_t)(to - from - 2));
        g->r->n_updates++;
        g->r->n_rolled_back += strcmp(state, "rolled-back") == 0;
    }
    return r != 0 ? jiku_err_set(g->err, r, "out of memory") : 0;
}

static enum jiku_report_state
target_state(const struct jiku_report_target *t, time_t now)
{
    time_t newest =
        t->snapshot.created > t->backup.created ? t->snapshot.created : t->backup.created;
    bool expected = makes_restore_point(t->conf);

    if (expected && (newest == 0 || now - newest > JIKU_REPORT_FRESH_SECS))
        return JIKU_REPORT_STALE;
    if (t->failures.n > 0)
        return JIKU_REPORT_FAILED;
    return expected ? JIKU_REPORT_OK : JIKU_REPORT_NO_NIGHTLY;
}

static void
report_release(struct jiku_report *r)
{
    for (size_t i = 0; i < r->n_customers; i++) {
        struct jiku_report_customer *c = &r->customers[i];

        for (size_t k = 0; k < c->n_targets; k++) {
            events_release(&c->targets[k].failures);
            events_release(&c->targets[k].denials);
            events_release(&c->targets[k].updates);
        }
        free(c->targets);
    }
    free(r->customers);
    jiku_artifact_list_release(&r->artifacts);
}

static int
gather(struct jiku_catalog *cat, const struct jiku_config *cfg, struct jiku_report *r,
       struct jiku_err *err)
{
    const struct jiku_customer_conf *only = NULL;
    struct gather g = {r, cfg, NULL, err};
    int rc;

    if (r->opts->customer != NULL && (only = jiku_config_customer(cfg, r->opts->customer)) == NULL)
        return jiku_err_set(err, JIKU_E_NOTFOUND, "no such customer '%s'", r->opts->customer);
    r->n_customers = only != NULL ? 1 : cfg->n_customers;
    if ((r->customers = calloc(r->n_customers + 1, sizeof(*r->customers))) == NULL ||
        (g.by_conf = calloc(cfg->n_targets + 1, sizeof(*g.by_conf))) == NULL) {
        rc = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < r->n_customers; i++)
        if ((rc = gather_customer(&g, only != NULL ? only : &cfg->customers[i],
                                  &r->customers[i])) != 0)
            goto out;
    if ((rc = gather_points(&g, cat)) != 0 ||
        (rc = jiku_audit_each(cat, NULL, r->opts->since, audit_event, &g, err)) != 0)
        goto out;
    for (size_t i = 0; i < r->n_customers; i++)
        for (size_t k = 0; k < r->customers[i].n_targets; k++) {
            struct jiku_report_target *t = &r->customers[i].targets[k];

            t->state = target_state(t, r->opts->now);
            r->n_state[t->state]++;
        }
out:
    free(g.by_conf);
    return rc;
}

/* ---- JSON lines (jiku-agent(8), JSON OUTPUT) ---- */

/* S as a JSON string, made valid UTF-8 first (jansson refuses it otherwise); null for NULL. */
static json_t *
jstr(const char *s)
{
    char *safe;
    json_t *j;

    if (s == NULL || (safe = jiku_text_dup(s, JIKU_TEXT_UTF8)) == NULL)
        return json_null();
    j = json_string(safe);
    free(safe);
    return j;
}

static json_t *
jtime(time_t t)
{
    char *s = jiku_time_rfc3339(t);
    json_t *j = s != NULL ? json_string(s) : json_null();

    free(s);
    return j;
}

/* One line of TYPE with OBJ's keys after "type"; OBJ is stolen. */
static int
emit(struct jiku_buf *out, const char *type, json_t *obj)
{
    json_t *line = json_pack("{s:s}", "type", type);
    char *s = NULL;
    int r = JIKU_E_NOMEM;

    if (line != NULL && obj != NULL && json_object_update(line, obj) == 0 &&
        (s = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII)) != NULL &&
        jiku_buf_adds(out, s) == 0 && jiku_buf_addch(out, '\n') == 0)
        r = 0;
    free(s);
    json_decref(line);
    json_decref(obj);
    return r;
}

static json_t *
jpoint(const struct jiku_report_point *p, time_t now)
{
    if (p->id == NULL)
        return json_null();
    return json_pack("{s:o, s:o, s:I, s:I, s:o}", "id", jstr(p->id), "created", jtime(p->created),
                     "age_seconds", (json_int_t)(now - p->created), "size", (json_int_t)p->size,
                     "verified", jtime(p->verified));
}

/* EV as an array of objects whose text is KEY ("error", "reason", "components"). */
static json_t *
jevents(const struct jiku_report_events *ev, const char *status_key, const char *key)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < ev->n; i++)
        json_array_append_new(a, json_pack("{s:o, s:s, s:s, s:o}", "time", jtime(ev->items[i].time),
                                           "action", ev->items[i].action, status_key,
                                           ev->items[i].status, key, jstr(ev->items[i].text)));
    return a;
}

static int
json_target(const struct jiku_report *r, const struct jiku_report_target *t, struct jiku_buf *out)
{
    const struct jiku_target_conf *c = t->conf;
    json_t *nightly = json_array();

    for (size_t i = 0; nightly != NULL && i < c->n_nightly; i++)
        json_array_append_new(nightly, json_string(jiku_verb_name(c->nightly[i])));
    return emit(out, "target",
                json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "customer",
                          c->customer->name, "target", c->info.id, "kind",
                          jiku_kind_name(c->info.kind), "server", c->server->info.name, "nightly",
                          nightly, "state", jiku_report_state_name(t->state), "snapshot",
                          jpoint(&t->snapshot, r->opts->now), "backup",
                          jpoint(&t->backup, r->opts->now), "failures",
                          jevents(&t->failures, "status", "error"), "denials",
                          jevents(&t->denials, "status", "reason"), "updates",
                          jevents(&t->updates, "state", "components")));
}

static int
json_customer(const struct jiku_report *r, const struct jiku_report_customer *rc,
              struct jiku_buf *out)
{
    const struct jiku_customer_conf *c = rc->conf;
    int e;

    if ((e = emit(out, "customer",
                  json_pack("{s:s, s:s, s:o, s:I}", "customer", c->name, "tier", c->tier, "contact",
                            jstr(c->contact), "targets", (json_int_t)rc->n_targets))) != 0)
        return e;
    for (size_t i = 0; i < JIKU_N_ACTIONS; i++) {
        const struct jiku_decision *d = &rc->matrix[i];

        /* policy show's line, with where it comes from and whether the agent performs it */
        if ((e = emit(out, "policy",
                      json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:b, s:b}", "customer", c->name,
                                "tier", c->tier, "action", d->action, "assignment",
                                jiku_assignment_name(d->assignment), "allowed", d->allowed,
                                "source", jstr(d->source), "contract", d->by_contract, "performed",
                                jiku_action_executable(d->action)))) != 0)
            return e;
    }
    for (size_t i = 0; i < rc->n_targets; i++)
        if ((e = json_target(r, &rc->targets[i], out)) != 0)
            return e;
    return 0;
}

static int
report_json(const struct jiku_report *r, struct jiku_buf *out)
{
    int e =
        emit(out, "report",
             json_pack("{s:o, s:o, s:o, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "host",
                       jstr(r->opts->host), "generated", jtime(r->opts->now), "since",
                       jtime(r->opts->since), "fresh_hours", JIKU_REPORT_FRESH_SECS / 3600,
                       "customers", (json_int_t)r->n_customers, "targets", (json_int_t)r->n_targets,
                       "stale", (json_int_t)r->n_state[JIKU_REPORT_STALE], "failed",
                       (json_int_t)r->n_state[JIKU_REPORT_FAILED], "no_nightly",
                       (json_int_t)r->n_state[JIKU_REPORT_NO_NIGHTLY], "failures",
                       (json_int_t)r->n_failures, "denials", (json_int_t)r->n_denials, "updates",
                       (json_int_t)r->n_updates, "rolled_back", (json_int_t)r->n_rolled_back));

    for (size_t i = 0; e == 0 && i < r->n_customers; i++)
        e = json_customer(r, &r->customers[i], out);
    return e;
}

int
jiku_report_render(struct jiku_catalog *cat, const struct jiku_config *cfg,
                   const struct jiku_report_opts *opts, struct jiku_buf *out, struct jiku_err *err)
{
    static int (*const renderers[])(const struct jiku_report *, struct jiku_buf *) = {
        [JIKU_REPORT_TEXT] = jiku_report_text,
        [JIKU_REPORT_MARKDOWN] = jiku_report_markdown,
        [JIKU_REPORT_HTML] = jiku_report_html,
        [JIKU_REPORT_JSON] = report_json,
    };
    struct jiku_report r = {.opts = opts};
    int rc;

    if ((rc = gather(cat, cfg, &r, err)) == 0 && renderers[opts->format](&r, out) != 0)
        rc = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    report_release(&r);
    return rc;
}
