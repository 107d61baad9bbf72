/*
 * The report as text (aligned, at most 100 columns) and as Markdown (tables).  Everything a
 * customer or a panel wrote (a contact, an error) passes through the sanitiser (textsafe.h)
 * first, and Markdown's own markup characters are escaped after it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "report_int.h"
#include "textsafe.h"

#define WIDTH 100

/* Append N spaces. */
static int
pad(struct jiku_buf *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (jiku_buf_addch(out, ' ') != 0)
            return JIKU_E_NOMEM;
    return 0;
}

/*
 * S made safe and wrapped at WIDTH, ending the line: the first part follows what the current
 * line holds (COL columns), the next lines start at INDENT.  Bytes are counted as columns, which
 * never undercounts.
 */
static int
add_wrapped(struct jiku_buf *out, size_t col, size_t indent, const char *s)
{
    struct jiku_buf safe = JIKU_BUF_INIT;
    const char *p;
    int r;

    if ((r = jiku_text_add(&safe, s, strlen(s), JIKU_TEXT_FIELD)) != 0)
        goto out;
    for (p = safe.data != NULL ? safe.data : ""; r == 0 && strlen(p) + col > WIDTH;) {
        size_t room = WIDTH - col, cut = room;

        /* a line that is (nearly) full already: S starts on the next one */
        if (col + 8 > WIDTH) {
            jiku_buf_rtrim(out);
            if (jiku_buf_addch(out, '\n') != 0 || pad(out, indent) != 0)
                r = JIKU_E_NOMEM;
            col = indent;
            continue;
        }
        while (cut > 0 && p[cut] != ' ')
            cut--;
        if (cut == 0) /* no space: a hard cut, not inside a UTF-8 character */
            for (cut = room; cut > 1 && ((unsigned char)p[cut] & 0xc0) == 0x80;)
                cut--;
        if (jiku_buf_add(out, p, cut) != 0 || jiku_buf_addch(out, '\n') != 0 ||
            pad(out, indent) != 0)
            r = JIKU_E_NOMEM;
        for (p += cut; *p == ' ';)
            p++;
        col = indent;
    }
    if (r == 0 && (jiku_buf_adds(out, p) != 0 || jiku_buf_addch(out, '\n') != 0))
        r = JIKU_E_NOMEM;
out:
    jiku_buf_release(&safe);
    return r;
}

/* A line's fixed part from FMT, then S wrapped after it. */
static int line_then(struct jiku_buf *out, size_t indent, const char *s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
line_then(struct jiku_buf *out, size_t indent, const char *s, const char *fmt, ...)
{
    size_t start = out->len;
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = jiku_buf_vaddf(out, fmt, ap);
    va_end(ap);
    return r != 0 ? JIKU_E_NOMEM : add_wrapped(out, out->len - start, indent, s);
}

/* "account on web1, nightly snapshot, backup" or "..., no nightly" into B. */
static int
describe(const struct jiku_target_conf *t, struct jiku_buf *b)
{
    if (jiku_buf_addf(b, "%s on %s, ", jiku_kind_name(t->info.kind), t->server->info.name) != 0)
        return JIKU_E_NOMEM;
    if (t->n_nightly == 0)
        return jiku_buf_adds(b, "no nightly") != 0 ? JIKU_E_NOMEM : 0;
    for (size_t i = 0; i < t->n_nightly; i++)
        if (jiku_buf_addf(b, "%s%s", i == 0 ? "nightly " : ", ", jiku_verb_name(t->nightly[i])) !=
            0)
            return JIKU_E_NOMEM;
    return 0;
}

/* "4h ago, 1.2 GiB, verified 4h ago" of P into B, or "none". */
static int
point_summary(const struct jiku_report_point *p, time_t now, struct jiku_buf *b)
{
    char age[32], size[32], verified[32];

    if (p->id == NULL)
        return jiku_buf_adds(b, "none") != 0 ? JIKU_E_NOMEM : 0;
    jiku_human_age(age, sizeof(age), now - p->created);
    jiku_human_size(size, sizeof(size), p->size);
    jiku_human_age(verified, sizeof(verified), now - p->verified);
    return jiku_buf_addf(b, "%s ago, %s, verified %s ago", age, size, verified) != 0 ? JIKU_E_NOMEM
                                                                                     : 0;
}

/* ---- text ---- */

static int
text_point(struct jiku_buf *out, const char *kind, const struct jiku_report_point *p, time_t now)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    int r;

    if (p->id == NULL)
        r = jiku_buf_addf(out, "    %-9s none\n", kind) != 0 ? JIKU_E_NOMEM : 0;
    else if ((r = point_summary(p, now, &b)) == 0)
        r = line_then(out, 14, p->id, "    %-9s %-36s ", kind, b.data);
    jiku_buf_release(&b);
    return r;
}

/* Failures and denials say what they were about, an update what became of it. */
static int
text_events(struct jiku_buf *out, const struct jiku_report_events *ev, bool update)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < ev->n; i++) {
        const struct jiku_report_event *e = &ev->items[i];
        struct jiku_buf b = JIKU_BUF_INIT;
        char when[32];

        jiku_report_time(when, sizeof(when), e->time);
        if (jiku_buf_addf(&b, "%s: %s", update ? e->status : e->action, e->text) != 0)
            r = JIKU_E_NOMEM;
        else
            r = line_then(out, 14, b.data, "    %-9s %s  ", update ? "update" : e->status, when);
        jiku_buf_release(&b);
    }
    return r;
}

static int
text_target(struct jiku_buf *out, const struct jiku_report_target *t, time_t now)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    int r;

    if ((r = describe(t->conf, &b)) == 0)
        r = line_then(out, 4, b.data, "  %-30s %-10s ", t->conf->info.id,
                      jiku_report_state_label(t->state));
    if (r == 0 && t->state == JIKU_REPORT_STALE)
        r = jiku_buf_addf(out, "    no good snapshot or backup younger than %d h\n",
                          JIKU_REPORT_FRESH_SECS / 3600) != 0
                ? JIKU_E_NOMEM
                : 0;
    if (r == 0)
        r = text_point(out, "snapshot", &t->snapshot, now);
    if (r == 0)
        r = text_point(out, "backup", &t->backup, now);
    if (r == 0)
        r = text_events(out, &t->failures, false);
    if (r == 0)
        r = text_events(out, &t->denials, false);
    if (r == 0)
        r = text_events(out, &t->updates, true);
    jiku_buf_release(&b);
    return r;
}

/* "medium.policy:5", "10-acme.conf:4 (contract)", and whether the agent performs it. */
static int
source_note(const struct jiku_decision *d, struct jiku_buf *b)
{
    const char *unperformed = jiku_action_unperformed(d->action);

    return jiku_buf_addf(b, "%s%s%s%s", jiku_report_source_base(d),
                         d->by_contract ? " (contract)" : "", unperformed != NULL ? ", " : "",
                         unperformed != NULL ? unperformed : "") != 0
               ? JIKU_E_NOMEM
               : 0;
}

static int
text_customer(const struct jiku_report *r, const struct jiku_report_customer *rc,
              struct jiku_buf *out)
{
    const struct jiku_customer_conf *c = rc->conf;
    int e;

    if ((e = line_then(out, 2, c->contact != NULL ? c->contact : "none",
                       "\ncustomer %s, tier %s, contact ", c->name, c->tier)) != 0)
        return e;
    for (size_t i = 0; e == 0 && i < rc->n_targets; i++)
        e = text_target(out, &rc->targets[i], r->opts->now);
    if (e == 0 && jiku_buf_addf(out, "\n  %-26s %-9s %s\n", "RESPONSIBILITY", "BY", "SOURCE") != 0)
        e = JIKU_E_NOMEM;
    for (size_t i = 0; e == 0 && i < JIKU_N_ACTIONS; i++) {
        const struct jiku_decision *d = &rc->matrix[i];
        struct jiku_buf b = JIKU_BUF_INIT;

        if ((e = source_note(d, &b)) == 0)
            e = line_then(out, 39, b.data, "  %-26s %-9s ", d->action, jiku_report_by(d));
        jiku_buf_release(&b);
    }
    return e;
}

/* The heading and the summary, as two lines each; MD: Markdown's heading and emphasis. */
static int
heading(const struct jiku_report *r, struct jiku_buf *out, bool md)
{
    char now[32], since[32];
    int e;

    jiku_report_time(now, sizeof(now), r->opts->now);
    jiku_report_time(since, sizeof(since), r->opts->since);
    if (jiku_buf_addf(out, "%sjiku-agent report%s%s\n%s%s to %s\n\n%s", md ? "# " : "",
                      r->opts->host != NULL ? " for " : "",
                      r->opts->host != NULL ? r->opts->host : "", md ? "\nPeriod: " : "period ",
                      since, now, md ? "**" : "") != 0 ||
        (e = jiku_report_headline(r, out)) != 0 || jiku_buf_adds(out, md ? "**  \n" : "\n") != 0 ||
        (e = jiku_report_tally(r, out)) != 0 || jiku_buf_addch(out, '\n') != 0)
        return JIKU_E_NOMEM;
    return 0;
}

int
jiku_report_text(const struct jiku_report *r, struct jiku_buf *out)
{
    int e = heading(r, out, false);

    for (size_t i = 0; e == 0 && i < r->n_customers; i++)
        e = text_customer(r, &r->customers[i], out);
    return e;
}

/* ---- Markdown ---- */

/* S made safe, then its Markdown markup escaped, so that a cell shows it as it is. */
static int
md_cell(struct jiku_buf *out, const char *s)
{
    char *safe = jiku_text_dup(s != NULL ? s : "", JIKU_TEXT_FIELD);
    int r = safe != NULL ? 0 : JIKU_E_NOMEM;

    for (const char *p = safe; r == 0 && *p != '\0'; p++)
        if ((strchr("\\`*_[]<|", *p) != NULL && jiku_buf_addch(out, '\\') != 0) ||
            jiku_buf_addch(out, *p) != 0)
            r = JIKU_E_NOMEM;
    free(safe);
    return r;
}

/* One table row of N cells. */
static int
md_row(struct jiku_buf *out, size_t n, const char *const *cells)
{
    for (size_t i = 0; i < n; i++)
        if (jiku_buf_adds(out, "| ") != 0 || md_cell(out, cells[i]) != 0 ||
            jiku_buf_addch(out, ' ') != 0)
            return JIKU_E_NOMEM;
    return jiku_buf_adds(out, "|\n") != 0 ? JIKU_E_NOMEM : 0;
}

static int
md_header(struct jiku_buf *out, size_t n, const char *const *cells)
{
    if (md_row(out, n, cells) != 0)
        return JIKU_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (jiku_buf_adds(out, "|---") != 0)
            return JIKU_E_NOMEM;
    return jiku_buf_adds(out, "|\n") != 0 ? JIKU_E_NOMEM : 0;
}

static int
md_targets(const struct jiku_report *r, const struct jiku_report_customer *rc, struct jiku_buf *out)
{
    static const char *const head[] = {"Target", "State", "Snapshot", "Backup", "Nightly"};
    int e = md_header(out, 5, head);

    for (size_t i = 0; e == 0 && i < rc->n_targets; i++) {
        const struct jiku_report_target *t = &rc->targets[i];
        struct jiku_buf desc = JIKU_BUF_INIT, snap = JIKU_BUF_INIT, backup = JIKU_BUF_INIT;
        const char *cells[5];

        if ((e = describe(t->conf, &desc)) == 0 &&
            (e = point_summary(&t->snapshot, r->opts->now, &snap)) == 0 &&
            (e = point_summary(&t->backup, r->opts->now, &backup)) == 0) {
            cells[0] = t->conf->info.id;
            cells[1] = jiku_report_state_label(t->state);
            cells[2] = snap.data;
            cells[3] = backup.data;
            cells[4] = desc.data;
            e = md_row(out, 5, cells);
        }
        jiku_buf_release(&desc);
        jiku_buf_release(&snap);
        jiku_buf_release(&backup);
    }
    return e;
}

static int
md_events(const struct jiku_report_target *t, const struct jiku_report_events *ev, bool update,
          struct jiku_buf *out)
{
    int e = 0;

    for (size_t i = 0; e == 0 && i < ev->n; i++) {
        const struct jiku_report_event *x = &ev->items[i];
        struct jiku_buf what = JIKU_BUF_INIT;
        const char *cells[4];
        char when[32];

        jiku_report_time(when, sizeof(when), x->time);
        if (jiku_buf_addf(&what, "%s %s", update ? "update" : x->status,
                          update ? x->status : x->action) != 0) {
            e = JIKU_E_NOMEM;
        } else {
            cells[0] = t->conf->info.id;
            cells[1] = when;
            cells[2] = what.data;
            cells[3] = x->text;
            e = md_row(out, 4, cells);
        }
        jiku_buf_release(&what);
    }
    return e;
}

static int
md_customer(const struct jiku_report *r, const struct jiku_report_customer *rc,
            struct jiku_buf *out)
{
    static const char *const ev_head[] = {"Target", "Time", "Event", "Detail"};
    static const char *const pol_head[] = {"Action", "By", "Source"};
    const struct jiku_customer_conf *c = rc->conf;
    size_t n_events = 0;
    int e;

    if (jiku_buf_addf(out, "\n## %s (tier %s)\n\nContact: ", c->name, c->tier) != 0 ||
        md_cell(out, c->contact != NULL ? c->contact : "none") != 0 ||
        jiku_buf_adds(out, "\n\n") != 0)
        return JIKU_E_NOMEM;
    if ((e = md_targets(r, rc, out)) != 0)
        return e;
    for (size_t i = 0; i < rc->n_targets; i++)
        n_events += rc->targets[i].failures.n + rc->targets[i].denials.n + rc->targets[i].updates.n;
    if (n_events > 0 && (jiku_buf_adds(out, "\n### Failures, denials and updates\n\n") != 0 ||
                         (e = md_header(out, 4, ev_head)) != 0))
        return JIKU_E_NOMEM;
    for (size_t i = 0; e == 0 && i < rc->n_targets; i++) {
        const struct jiku_report_target *t = &rc->targets[i];

        if ((e = md_events(t, &t->failures, false, out)) == 0 &&
            (e = md_events(t, &t->denials, false, out)) == 0)
            e = md_events(t, &t->updates, true, out);
    }
    if (e == 0 && (jiku_buf_adds(out, "\n### Responsibilities\n\n") != 0 ||
                   (e = md_header(out, 3, pol_head)) != 0))
        return JIKU_E_NOMEM;
    for (size_t i = 0; e == 0 && i < JIKU_N_ACTIONS; i++) {
        const struct jiku_decision *d = &rc->matrix[i];
        struct jiku_buf b = JIKU_BUF_INIT;
        const char *cells[3] = {d->action, jiku_report_by(d), NULL};

        if ((e = source_note(d, &b)) == 0) {
            cells[2] = b.data;
            e = md_row(out, 3, cells);
        }
        jiku_buf_release(&b);
    }
    return e;
}

int
jiku_report_markdown(const struct jiku_report *r, struct jiku_buf *out)
{
    int e = heading(r, out, true);

    for (size_t i = 0; e == 0 && i < r->n_customers; i++)
        e = md_customer(r, &r->customers[i], out);
    return e;
}
