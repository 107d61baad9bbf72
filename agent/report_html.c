/*
 * The report as one self-contained HTML page: inline CSS, no script, nothing loaded from
 * anywhere (its Content-Security-Policy forbids it), readable on a phone (the target table
 * becomes one card per target under 640 px).  Every value is sanitised (textsafe.h) and then
 * HTML-escaped: target names, contacts and panel errors are customers' text.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "report_int.h"
#include "textsafe.h"

static const char css[] =
    ":root{--ink:#1d2939;--muted:#667085;--line:#e4e7ec;--ok:#17724a;--ok-bg:#e7f5ee;"
    "--stale:#b42318;--stale-bg:#fdeceb;--failed:#a15c07;--failed-bg:#fef4e4;--none:#475467;"
    "--none-bg:#eef0f3}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:#f5f6f8;color:var(--ink);"
    "font:15px/1.5 \"DejaVu Sans\",system-ui,-apple-system,\"Segoe UI\",sans-serif}\n"
    "main{max-width:1000px;margin:0 auto;padding:28px 16px 48px}\n"
    "h1{font-size:22px;margin:0 0 2px}\n"
    "h2{font-size:18px;margin:0}\n"
    ".muted{color:var(--muted)}\n"
    ".sub{color:var(--muted);font-size:13px}\n"
    ".summary{margin:18px 0 24px;padding:14px 18px;border-radius:10px;border-left:6px solid}\n"
    ".summary p{margin:2px 0}\n"
    ".summary .head{font-size:17px;font-weight:600}\n"
    ".summary.ok{background:var(--ok-bg);border-color:var(--ok)}\n"
    ".summary.failed{background:var(--failed-bg);border-color:var(--failed)}\n"
    ".summary.stale{background:var(--stale-bg);border-color:var(--stale)}\n"
    "section{background:#fff;border:1px solid var(--line);border-radius:10px;"
    "padding:16px 18px;margin-bottom:20px}\n"
    ".customer-head{display:flex;flex-wrap:wrap;gap:4px 12px;align-items:baseline;"
    "margin-bottom:10px}\n"
    "table{width:100%;border-collapse:collapse;font-size:14px}\n"
    "table.targets{table-layout:fixed}\n"
    "table.targets th:nth-child(1){width:34%}table.targets th:nth-child(2){width:16%}\n"
    "th{text-align:left;color:var(--muted);font-weight:600;padding:6px 8px;"
    "border-bottom:1px solid var(--line)}\n"
    "td{padding:8px;border-bottom:1px solid var(--line);vertical-align:top;"
    "overflow-wrap:anywhere}\n"
    "tr.stale td:first-child{box-shadow:inset 4px 0 var(--stale)}\n"
    "tr.failed td:first-child{box-shadow:inset 4px 0 var(--failed)}\n"
    ".badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;"
    "font-weight:600;white-space:nowrap}\n"
    ".badge.ok{color:var(--ok);background:var(--ok-bg)}\n"
    ".badge.stale{color:var(--stale);background:var(--stale-bg)}\n"
    ".badge.failed,.badge.interrupted,.badge.rolled-back{color:var(--failed);"
    "background:var(--failed-bg)}\n"
    ".badge.no-nightly,.badge.denied,.badge.updated,.badge.not-applied{color:var(--none);"
    "background:var(--none-bg)}\n"
    "ul.events{list-style:none;margin:12px 0 0;padding:0;font-size:14px}\n"
    "ul.events li{padding:6px 0;border-top:1px dashed var(--line)}\n"
    "details{margin-top:14px}\n"
    "summary{cursor:pointer;color:var(--muted);font-size:14px}\n"
    "footer{color:var(--muted);font-size:12px;text-align:center}\n"
    "@media (max-width:640px){main{padding:18px 10px}section{padding:12px}"
    "table.targets thead{display:none}"
    "table.targets tr{display:block;padding:8px 0;border-bottom:1px solid var(--line)}"
    "table.targets td{display:block;border:0;padding:2px 6px}"
    "table.targets td[data-label]::before{content:attr(data-label) \" \";color:var(--muted);"
    "font-size:12px}}\n";

/* S made safe and HTML-escaped; NULL as "". */
static int
esc(struct jiku_buf *out, const char *s)
{
    char *safe = jiku_text_dup(s != NULL ? s : "", JIKU_TEXT_FIELD);
    int r = safe != NULL ? 0 : JIKU_E_NOMEM;

    for (const char *p = safe; r == 0 && *p != '\0'; p++) {
        switch (*p) {
        case '&':
            r = jiku_buf_adds(out, "&amp;");
            break;
        case '<':
            r = jiku_buf_adds(out, "&lt;");
            break;
        case '>':
            r = jiku_buf_adds(out, "&gt;");
            break;
        case '"':
            r = jiku_buf_adds(out, "&quot;");
            break;
        case '\'':
            r = jiku_buf_adds(out, "&#39;");
            break;
        default:
            r = jiku_buf_addch(out, *p);
        }
    }
    free(safe);
    return r != 0 ? JIKU_E_NOMEM : 0;
}

/*
 * FMT with "%s" for our own words and "%e" for a value to escape, each taking one string.
 * The only formatting the page needs, so that no value is ever added unescaped by mistake.
 */
static int
put(struct jiku_buf *out, const char *fmt, ...)
{
    va_list ap;
    int r = 0;

    va_start(ap, fmt);
    for (const char *p = fmt; r == 0 && *p != '\0'; p++) {
        if (p[0] == '%' && p[1] == 's')
            r = jiku_buf_adds(out, va_arg(ap, const char *)) != 0 ? JIKU_E_NOMEM : 0;
        else if (p[0] == '%' && p[1] == 'e')
            r = esc(out, va_arg(ap, const char *));
        else
            r = jiku_buf_addch(out, *p) != 0 ? JIKU_E_NOMEM : 0;
        p += p[0] == '%' && (p[1] == 's' || p[1] == 'e');
    }
    va_end(ap);
    return r;
}

static int
html_point(struct jiku_buf *out, const char *label, const struct jiku_report_point *p, time_t now)
{
    char age[32], size[32], verified[32];

    if (p->id == NULL)
        return put(out, "<td data-label=\"%s\"><span class=\"muted\">none</span></td>\n", label);
    jiku_human_age(age, sizeof(age), now - p->created);
    jiku_human_size(size, sizeof(size), p->size);
    jiku_human_age(verified, sizeof(verified), now - p->verified);
    return put(out,
               "<td data-label=\"%s\">%s ago<div class=\"sub\">%s &middot; verified %s ago</div>"
               "<div class=\"sub\">%e</div></td>\n",
               label, age, size, verified, p->id);
}

static int
html_target(const struct jiku_report *r, const struct jiku_report_target *t, struct jiku_buf *out)
{
    const struct jiku_target_conf *c = t->conf;
    const char *state = jiku_report_state_name(t->state);
    struct jiku_buf nightly = JIKU_BUF_INIT;
    char stale[64];
    int e = 0;

    snprintf(stale, sizeof(stale), "<div class=\"sub\">none younger than %d h</div>",
             JIKU_REPORT_FRESH_SECS / 3600);

    for (size_t i = 0; e == 0 && i < c->n_nightly; i++)
        e = jiku_buf_addf(&nightly, "%s%s", i == 0 ? "nightly " : ", ",
                          jiku_verb_name(c->nightly[i]));
    if (e == 0 && c->n_nightly == 0)
        e = jiku_buf_adds(&nightly, jiku_report_nightly_note(c));
    if (e != 0 ||
        (e = put(out,
                 "<tr class=\"%s\"><td><strong>%e</strong><div class=\"sub\">%s on %e &middot; "
                 "%s</div></td>\n<td data-label=\"State\"><span class=\"badge %s\">%s</span>%s"
                 "</td>\n",
                 state, c->info.id, jiku_kind_name(c->info.kind), c->server->info.name,
                 nightly.data, state, jiku_report_state_label(t->state),
                 t->state == JIKU_REPORT_STALE ? stale : "")) != 0 ||
        (e = html_point(out, "Snapshot", &t->snapshot, r->opts->now)) != 0 ||
        (e = html_point(out, "Backup", &t->backup, r->opts->now)) != 0)
        e = JIKU_E_NOMEM;
    else
        e = put(out, "</tr>\n");
    jiku_buf_release(&nightly);
    return e;
}

static int
html_events(const struct jiku_report_target *t, const struct jiku_report_events *ev, bool update,
            struct jiku_buf *out)
{
    int e = 0;

    for (size_t i = 0; e == 0 && i < ev->n; i++) {
        const struct jiku_report_event *x = &ev->items[i];
        char when[32];

        jiku_report_time(when, sizeof(when), x->time);
        e = put(out,
                "<li><span class=\"badge %e\">%e</span> <strong>%e</strong> %e "
                "<span class=\"sub\">%s</span><div>%e</div></li>\n",
                x->status, update ? "update" : x->status, t->conf->info.id,
                update ? x->status : x->action, when, x->text);
    }
    return e;
}

static int
html_customer(const struct jiku_report *r, const struct jiku_report_customer *rc,
              struct jiku_buf *out)
{
    const struct jiku_customer_conf *c = rc->conf;
    size_t n_events = 0, by[JIKU_ASSIGN_OPEN + 1] = {0};
    char counts[96];
    int e;

    if ((e = put(out,
                 "<section>\n<div class=\"customer-head\"><h2>%e</h2><span class=\"muted\">tier "
                 "%e</span><span class=\"muted\">contact %e</span></div>\n",
                 c->name, c->tier, c->contact != NULL ? c->contact : "none")) != 0)
        return e;
    if (rc->n_targets == 0)
        e = put(out, "<p class=\"muted\">No targets.</p>\n");
    else
        e = put(out, "<table class=\"targets\"><thead><tr><th>Target</th><th>State</th>"
                     "<th>Newest snapshot</th><th>Newest backup</th></tr></thead><tbody>\n");
    for (size_t i = 0; e == 0 && i < rc->n_targets; i++) {
        e = html_target(r, &rc->targets[i], out);
        n_events += rc->targets[i].failures.n + rc->targets[i].denials.n + rc->targets[i].updates.n;
    }
    if (e == 0 && rc->n_targets > 0)
        e = put(out, "</tbody></table>\n");
    if (e == 0 && n_events > 0)
        e = put(out, "<ul class=\"events\">\n");
    for (size_t i = 0; e == 0 && i < rc->n_targets; i++) {
        const struct jiku_report_target *t = &rc->targets[i];

        if ((e = html_events(t, &t->failures, false, out)) == 0 &&
            (e = html_events(t, &t->denials, false, out)) == 0)
            e = html_events(t, &t->updates, true, out);
    }
    if (e == 0 && n_events > 0)
        e = put(out, "</ul>\n");
    for (size_t i = 0; i < JIKU_N_ACTIONS; i++)
        if (rc->matrix[i].assignment >= JIKU_ASSIGN_JIKU &&
            rc->matrix[i].assignment <= JIKU_ASSIGN_OPEN)
            by[rc->matrix[i].assignment]++;
    snprintf(counts, sizeof(counts), "JIKU %zu &middot; customer %zu &middot; open %zu",
             by[JIKU_ASSIGN_JIKU], by[JIKU_ASSIGN_CUSTOMER], by[JIKU_ASSIGN_OPEN]);
    if (e == 0)
        e = put(out,
                "<details><summary>Who does what: %s</summary>\n<table><thead><tr><th>Action</th>"
                "<th>By</th><th>Source</th></tr></thead><tbody>\n",
                counts);
    for (size_t i = 0; e == 0 && i < JIKU_N_ACTIONS; i++) {
        const struct jiku_decision *d = &rc->matrix[i];

        const char *unperformed = jiku_action_unperformed(d->action);

        e = put(out, "<tr><td>%s</td><td>%s</td><td>%e%s%s%s%s</td></tr>\n", d->action,
                jiku_report_by(d), jiku_report_source_base(d),
                d->by_contract ? " <span class=\"sub\">(contract)</span>" : "",
                unperformed != NULL ? " <span class=\"sub\">" : "",
                unperformed != NULL ? unperformed : "", unperformed != NULL ? "</span>" : "");
    }
    return e == 0 ? put(out, "</tbody></table></details>\n</section>\n") : e;
}

int
jiku_report_html(const struct jiku_report *r, struct jiku_buf *out)
{
    const char *tone = r->n_state[JIKU_REPORT_STALE] > 0    ? "stale"
                       : r->n_state[JIKU_REPORT_FAILED] > 0 ? "failed"
                                                            : "ok";
    struct jiku_buf headline = JIKU_BUF_INIT, tally = JIKU_BUF_INIT;
    char now[32], since[32];
    int e;

    jiku_report_time(now, sizeof(now), r->opts->now);
    jiku_report_time(since, sizeof(since), r->opts->since);
    if ((e = jiku_report_headline(r, &headline)) != 0 || (e = jiku_report_tally(r, &tally)) != 0)
        goto out;
    e = put(out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; img-src data:\">\n"
            "<title>Restore points report%s%e</title>\n<style>\n%s</style>\n</head>\n<body>\n"
            "<main>\n<header><h1>Restore points report</h1>\n<div class=\"muted\">%e%s%s to "
            "%s</div></header>\n<div class=\"summary %s\"><p class=\"head\">%e</p><p>%e</p>"
            "</div>\n",
            r->opts->host != NULL ? " \xe2\x80\x94 " : "", r->opts->host, css, r->opts->host,
            r->opts->host != NULL ? " &middot; " : "", since, now, tone, headline.data, tally.data);
    for (size_t i = 0; e == 0 && i < r->n_customers; i++)
        e = html_customer(r, &r->customers[i], out);
    if (e == 0)
        e = put(out,
                "<footer>jiku-agent report &middot; generated %s</footer>\n</main>\n"
                "</body>\n</html>\n",
                now);
out:
    jiku_buf_release(&headline);
    jiku_buf_release(&tally);
    return e;
}
