/*
 * Human and JSON-lines output on stdout.  JSON keys follow the contract of jiku-agent(8), JSON
 * OUTPUT: more keys may be added, none renamed.
 *
 * Targets' file names, URLs, owners and panel messages are customers' data: every human line
 * passes them through the sanitiser (textsafe.h), so nothing they hold drives the admin's
 * terminal.  JSON lines are escaped by jansson (JSON_ENSURE_ASCII: controls as \u00XX,
 * everything past ASCII as \uXXXX); their strings are only made valid UTF-8 first, since
 * jansson refuses a line with a string that is not.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "output.h"
#include "retry.h"
#include "textsafe.h"
#include "timefmt.h"

/* Notes past this many bytes are dropped: a notice is read, not archived. */
#define JIKU_OUT_NOTES_MAX 65536

/* The errno of the first write to stdout that failed (stdio keeps only a flag). */
static int stdout_errno;

static void
note_stdout(void)
{
    if (ferror(stdout) && stdout_errno == 0)
        stdout_errno = errno != 0 ? errno : EIO;
}

int
jiku_out_flush(void)
{
    if (fflush(stdout) != 0 && stdout_errno == 0)
        stdout_errno = errno != 0 ? errno : EIO;
    note_stdout();
    return stdout_errno;
}

/*
 * The line of a failure or error: "jiku-agent: TEXT" on stderr unless under --json, and kept
 * for the notice when OUT collects notes.  TEXT is already clean.
 */
static void
failure_line(struct jiku_out *out, const char *text)
{
    if (!out->json)
        fprintf(stderr, "jiku-agent: %s\n", text);
    if (out->notes != NULL && out->notes->len < JIKU_OUT_NOTES_MAX)
        jiku_buf_addf(out->notes, "%s\n", text);
}

/* Sanitised copies of a line's fields, freed together. */
struct safe_fields {
    char *s[8];
    size_t n;
};

/* S made safe for MODE, kept in F; "?" when memory ran out, NULL for NULL. */
static const char *
safe(struct safe_fields *f, const char *s, enum jiku_text_mode mode)
{
    char *c;

    if (s == NULL)
        return NULL;
    if (jiku_text_is_clean(s, mode))
        return s;
    if (f->n == sizeof(f->s) / sizeof(f->s[0]) || (c = jiku_text_dup(s, mode)) == NULL)
        return "?";
    f->s[f->n++] = c;
    return c;
}

static void
safe_fields_release(struct safe_fields *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->s[i]);
    f->n = 0;
}

void
jiku_op_report_release(struct jiku_op_report *rep)
{
    free(rep->id);
    free(rep->error);
    free(rep->artifact);
    free(rep->safety_artifact);
    free(rep->details);
    free(rep->warnings);
    jiku_update_items_free(rep->updates, rep->n_updates);
    jiku_login_items_free(rep->logins, rep->n_logins);
    memset(rep, 0, sizeof(*rep));
}

void
jiku_login_items_free(struct jiku_login_item *logins, size_t n)
{
    for (size_t i = 0; i < n && logins != NULL; i++) {
        free(logins[i].name);
        free(logins[i].email);
        free(logins[i].roles);
    }
    free(logins);
}

void
jiku_update_items_free(struct jiku_update_item *updates, size_t n)
{
    for (size_t i = 0; i < n && updates != NULL; i++) {
        free(updates[i].name);
        free(updates[i].from);
        free(updates[i].to);
    }
    free(updates);
}

/* An update's lines under cron: a success is silent (jiku-agent(8), cron). */
static bool
updates_silent(const struct jiku_out *out, const struct jiku_op_report *rep)
{
    return out->cron && !out->dry_run && rep->error == NULL;
}

/* An update's components: one `update` line each (JSON), or one indented line each. */
static void
out_updates(struct jiku_out *out, const struct jiku_op_report *rep)
{
    for (size_t i = 0; i < rep->n_updates; i++) {
        const struct jiku_update_item *u = &rep->updates[i];
        struct safe_fields f = {0};

        if (out->json) {
            jiku_out_json(out, "update", "{s:s?, s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "operation",
                          rep->id, "target", safe(&f, rep->target, JIKU_TEXT_UTF8), "component",
                          jiku_update_item_name(u->component), "name",
                          safe(&f, u->name, JIKU_TEXT_UTF8), "from",
                          safe(&f, u->from, JIKU_TEXT_UTF8), "to", safe(&f, u->to, JIKU_TEXT_UTF8),
                          "state", rep->update_state);
        } else if (!out->quiet && !updates_silent(out, rep)) {
            const char *name = safe(&f, u->name, JIKU_TEXT_FIELD);
            const char *from = safe(&f, u->from, JIKU_TEXT_FIELD);
            const char *to = safe(&f, u->to, JIKU_TEXT_FIELD);

            printf("  %-6s %-24s %s -> %s  %s\n", jiku_update_item_name(u->component),
                   name != NULL ? name : "-", from != NULL ? from : "-", to != NULL ? to : "-",
                   rep->update_state);
        }
        safe_fields_release(&f);
    }
    note_stdout();
}

/* A mail account's quota or size in MiB for the table: "512 MiB", "unlimited", "-". */
static void
mib_text(char *buf, size_t len, bool known, double mib)
{
    if (!known)
        snprintf(buf, len, "-");
    else if (mib < 0)
        snprintf(buf, len, "unlimited");
    else
        snprintf(buf, len, "%.1f MiB", mib);
}

/*
 * What a list of mail accounts or users found: one JSON line each, or a table.  Printed under
 * cron too: it is what the command was asked for.
 */
static void
out_logins(struct jiku_out *out, const struct jiku_op_report *rep)
{
    bool mail = rep->login_type != NULL && strcmp(rep->login_type, "mail-account") == 0;

    if (rep->n_logins > 0 && !out->json && !out->quiet)
        printf(mail ? "  %-40s %12s %12s  %s\n" : "  %-24s %-32s %-20s %s\n",
               mail ? "ADDRESS" : "LOGIN", mail ? "QUOTA" : "EMAIL", mail ? "USED" : "ROLES",
               "STATE");
    for (size_t i = 0; i < rep->n_logins; i++) {
        const struct jiku_login_item *l = &rep->logins[i];
        struct safe_fields f = {0};
        char quota[32], used[32];

        if (out->json && mail) {
            jiku_out_json(out, rep->login_type, "{s:s?, s:s, s:s, s:o, s:o, s:b}", "operation",
                          rep->id, "target", safe(&f, rep->target, JIKU_TEXT_UTF8), "address",
                          safe(&f, l->name, JIKU_TEXT_UTF8), "quota_mib",
                          l->quota_mib == 0 ? json_null() : json_integer(l->quota_mib), "used_mib",
                          l->has_used ? json_real(l->used_mib) : json_null(), "suspended",
                          l->disabled);
        } else if (out->json) {
            jiku_out_json(out, rep->login_type, "{s:s?, s:s, s:s, s:s?, s:s?, s:b}", "operation",
                          rep->id, "target", safe(&f, rep->target, JIKU_TEXT_UTF8), "login",
                          safe(&f, l->name, JIKU_TEXT_UTF8), "email",
                          safe(&f, l->email, JIKU_TEXT_UTF8), "roles",
                          safe(&f, l->roles, JIKU_TEXT_UTF8), "disabled", l->disabled);
        } else if (!out->quiet && mail) {
            const char *name = safe(&f, l->name, JIKU_TEXT_FIELD);

            mib_text(quota, sizeof(quota), l->quota_mib != 0, (double)l->quota_mib);
            mib_text(used, sizeof(used), l->has_used, l->used_mib);
            printf("  %-40s %12s %12s  %s\n", name != NULL ? name : "", quota, used,
                   l->disabled ? "suspended" : "active");
        } else if (!out->quiet) {
            const char *email = safe(&f, l->email, JIKU_TEXT_FIELD);
            const char *roles = safe(&f, l->roles, JIKU_TEXT_FIELD);

            printf("  %-24s %-32s %-20s %s\n", safe(&f, l->name, JIKU_TEXT_FIELD),
                   email != NULL ? email : "-", roles != NULL ? roles : "-",
                   l->disabled ? "disabled" : "active");
        }
        safe_fields_release(&f);
    }
    note_stdout();
}

void
jiku_op_report_fail(struct jiku_op_report *rep, int status, const char *msg)
{
    rep->status = status == JIKU_E_DENIED        ? "denied"
                  : status == JIKU_E_INTERRUPTED ? "interrupted"
                                                 : "failed";
    rep->status_code = status;
    free(rep->error);
    rep->error = strdup(msg);
}

void
jiku_out_init(struct jiku_out *out, const char *command, bool json, bool quiet)
{
    memset(out, 0, sizeof(*out));
    out->command = command;
    out->json = json;
    out->quiet = quiet;
    out->start_ms = jiku_now_ms();
}

static void
emit(json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);

    if (s != NULL) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
    json_decref(obj);
    note_stdout();
}

/* json_string of NULL is NULL, which json_pack's "s?" turns into null. */
void
jiku_out_json(struct jiku_out *out, const char *type, const char *fmt, ...)
{
    json_error_t jerr;
    json_t *obj;
    va_list ap;

    if (!out->json)
        return;
    va_start(ap, fmt);
    obj = json_vpack_ex(&jerr, 0, fmt, ap);
    va_end(ap);
    /* Never silently: a reader counting lines must learn that one is missing. */
    if (obj == NULL) {
        log_error("cannot write a '%s' JSON line: %s", type, jerr.text);
        return;
    }
    /* "type" first: readers that grep for it find it without parsing. */
    json_t *line = json_pack("{s:s}", "type", type);
    json_object_update(line, obj);
    json_decref(obj);
    emit(line);
}

void
jiku_out_text(struct jiku_out *out, const char *fmt, ...)
{
    struct jiku_buf raw = JIKU_BUF_INIT, clean = JIKU_BUF_INIT;
    va_list ap;
    int r;

    if (out->json)
        return;
    va_start(ap, fmt);
    r = jiku_buf_vaddf(&raw, fmt, ap);
    va_end(ap);
    /* The format lays out the lines; what the arguments bring cannot drive the terminal. */
    if (r == 0 && jiku_text_add(&clean, raw.data, raw.len, JIKU_TEXT_LINES) == 0)
        fputs(clean.data, stdout);
    else
        log_error("out of memory");
    note_stdout();
    jiku_buf_release(&raw);
    jiku_buf_release(&clean);
}

void
jiku_out_decision(struct jiku_out *out, const struct jiku_decision *d, const char *target,
                  bool dry_run)
{
    jiku_out_json(out, "decision", "{s:s?, s:s?, s:s?, s:s?, s:s?, s:b, s:s, s:s?, s:b}",
                  "customer", d->customer, "tier", d->tier, "target", target, "action", d->action,
                  "assignment", d->assignment >= 0 ? jiku_assignment_name(d->assignment) : NULL,
                  "allowed", d->allowed, "reason", d->reason, "source",
                  d->source[0] != '\0' ? d->source : NULL, "dry_run", dry_run);
    /* A human sees a denial once, as the operation's error line; a dry run shows them all. */
    if (!out->json && dry_run && !out->quiet) {
        struct safe_fields f = {0};

        printf("dry-run: %s\n", safe(&f, d->reason, JIKU_TEXT_FIELD));
        safe_fields_release(&f);
        note_stdout();
    }
}

/* Each of the panel's warning lines on a line of its own, after LEAD. */
static void
human_warnings(const char *lead, const char *warnings)
{
    struct jiku_buf line = JIKU_BUF_INIT;

    for (const char *p = warnings; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

        jiku_buf_reset(&line);
        if (len > 0 && jiku_text_add(&line, p, len, JIKU_TEXT_FIELD) == 0)
            printf("%swarning: %s\n", lead, line.data);
        p = nl != NULL ? nl + 1 : NULL;
    }
    jiku_buf_release(&line);
}

/* The human lines of one operation; every field may quote a customer's data. */
static void
human_operation(struct jiku_out *out, const struct jiku_op_report *rep)
{
    struct safe_fields f = {0};
    const char *target = safe(&f, rep->target, JIKU_TEXT_FIELD);
    const char *action = safe(&f, rep->action, JIKU_TEXT_FIELD);
    const char *artifact = safe(&f, rep->artifact, JIKU_TEXT_FIELD);
    const char *safety = safe(&f, rep->safety_artifact, JIKU_TEXT_FIELD);
    struct jiku_buf lead = JIKU_BUF_INIT;

    /* A failure is one line on stderr, jiku_out_operation's: under cron the only one. */
    if (rep->error == NULL && out->cron && !out->dry_run) {
        /* Under cron a success is silent; a warning still deserves its mail. */
        if (rep->warnings != NULL && !out->quiet &&
            jiku_buf_addf(&lead, "%s %s: ", action, target) == 0)
            human_warnings(lead.data, rep->warnings);
    } else if (rep->error == NULL && !out->quiet) {
        printf("%-28s %-22s %-8s %s%s%s\n", target, action, rep->status,
               artifact != NULL       ? artifact
               : rep->request != NULL ? rep->request
                                      : "-",
               safety ? "  safety " : "", safety ? safety : "");
        human_warnings("  ", rep->warnings);
    }
    /*
     * A change list: its lines are the plugin's, what they name is the customer's.  An
     * update's summary goes with its update lines: silent under cron when it succeeded.
     */
    if (rep->details != NULL && !out->quiet && !(rep->n_updates > 0 && updates_silent(out, rep)))
        printf("%s\n", safe(&f, rep->details, JIKU_TEXT_LINES));
    jiku_buf_release(&lead);
    safe_fields_release(&f);
    note_stdout();
}

void
jiku_out_operation(struct jiku_out *out, const struct jiku_op_report *rep)
{
    int code = jiku_status_exit_code(rep->status_code);

    if (strcmp(rep->status, "ok") == 0)
        out->ok++;
    else if (strcmp(rep->status, "denied") == 0)
        out->denied++;
    else if (strcmp(rep->status, "skipped") == 0)
        out->skipped++;
    else
        out->failed++;
    if (strcmp(rep->status, "ok") != 0 && strcmp(rep->status, "skipped") != 0) {
        if (out->first_fail_code == 0)
            out->first_fail_code = code;
        else if (out->first_fail_code != code)
            out->first_fail_code = 1;
    }

    {
        /* jansson refuses invalid UTF-8 (a message cut inside a character, a panel's bytes). */
        struct safe_fields j = {0};

        jiku_out_json(
            out, "operation", "{s:s?, s:s, s:s, s:s, s:s?, s:i, s:I, s:s?, s:s?, s:s?, s:s?}", "id",
            rep->id, "target", safe(&j, rep->target, JIKU_TEXT_UTF8), "action", rep->action,
            "status", rep->status, "error", safe(&j, rep->error, JIKU_TEXT_UTF8), "exit_code",
            strcmp(rep->status, "ok") == 0 ? 0 : code, "duration_ms", (json_int_t)rep->duration_ms,
            "artifact", rep->artifact, "safety_artifact", rep->safety_artifact, "warnings",
            safe(&j, rep->warnings, JIKU_TEXT_UTF8), "request",
            safe(&j, rep->request, JIKU_TEXT_UTF8));
        safe_fields_release(&j);
    }
    if (rep->error != NULL) {
        struct safe_fields f = {0};
        struct jiku_buf line = JIKU_BUF_INIT;

        if (jiku_buf_addf(&line, "%s %s: %s", safe(&f, rep->action, JIKU_TEXT_FIELD),
                          safe(&f, rep->target, JIKU_TEXT_FIELD),
                          safe(&f, rep->error, JIKU_TEXT_FIELD)) == 0)
            failure_line(out, line.data);
        jiku_buf_release(&line);
        safe_fields_release(&f);
    }
    if (!out->json)
        human_operation(out, rep);
    out_updates(out, rep);
    out_logins(out, rep);
}

void
jiku_human_size(char *buf, size_t len, uint64_t size)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)size;
    size_t u = 0;

    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

void
jiku_human_age(char *buf, size_t len, time_t age)
{
    if (age < 0)
        age = 0;
    if (age < 3600)
        snprintf(buf, len, "%ldm", (long)(age / 60));
    else if (age < 86400 * 2)
        snprintf(buf, len, "%ldh", (long)(age / 3600));
    else
        snprintf(buf, len, "%ldd", (long)(age / 86400));
}

void
jiku_out_artifact_header(struct jiku_out *out)
{
    if (!out->json && !out->quiet)
        printf("%-40s %-8s %10s %6s %-7s %s\n", "ID", "KIND", "SIZE", "AGE", "STATUS", "PIN");
    note_stdout();
}

void
jiku_out_artifact(struct jiku_out *out, const struct jiku_artifact *a, time_t now)
{
    char *created = jiku_time_rfc3339(a->created);
    struct safe_fields f = {0};
    char size[32], age[32];

    if (out->json)
        jiku_out_json(
            out, "artifact", "{s:s, s:s, s:s, s:s, s:s, s:s?, s:o, s:s?, s:s?, s:b, s:s?}", "id",
            safe(&f, a->id, JIKU_TEXT_UTF8), "customer", a->customer, "target", a->target, "kind",
            jiku_artifact_kind_name(a->kind), "status", jiku_artifact_status_name(a->status),
            "created", created, "size",
            a->status == JIKU_ART_PENDING ? json_null() : json_integer((json_int_t)a->size), "md5",
            a->md5, "sha256", a->sha256, "pinned", a->pinned, "location",
            /* the panel named it */
            safe(&f, a->backup_path != NULL ? a->backup_path : a->location, JIKU_TEXT_UTF8));
    if (!out->json) {
        jiku_human_size(size, sizeof(size), a->size);
        jiku_human_age(age, sizeof(age), now - a->created);
        printf("%-40s %-8s %10s %6s %-7s %s\n", safe(&f, a->id, JIKU_TEXT_FIELD),
               jiku_artifact_kind_name(a->kind), size, age, jiku_artifact_status_name(a->status),
               a->pinned ? "pinned" : "");
    }
    safe_fields_release(&f);
    free(created);
    note_stdout();
}

void
jiku_out_error(struct jiku_out *out, int status, const char *msg)
{
    struct safe_fields f = {0};

    if (out->json)
        jiku_out_json(out, "error", "{s:s, s:i}", "message", safe(&f, msg, JIKU_TEXT_UTF8),
                      "exit_code", jiku_status_exit_code(status));
    failure_line(out, safe(&f, msg, JIKU_TEXT_FIELD));
    safe_fields_release(&f);
}

int
jiku_out_exit_code(const struct jiku_out *out)
{
    unsigned ok = out->ok + (out->dry_run ? out->skipped : 0);

    if (out->failed + out->denied == 0)
        return 0;
    if (ok > 0)
        return 3;
    return out->first_fail_code != 0 ? out->first_fail_code : 1;
}

int
jiku_out_summary_text(const struct jiku_out *out, int exit_code, struct jiku_buf *b)
{
    return jiku_buf_addf(b, "%s: %u ok, %u failed, %u denied, %u skipped (exit %d)",
                         out->command != NULL ? out->command : "jiku-agent", out->ok, out->failed,
                         out->denied, out->skipped, exit_code);
}

const char *
jiku_exit_outcome(int exit_code)
{
    return exit_code == 0 ? "ok" : exit_code == 3 ? "partial" : "failed";
}

int
jiku_out_summary(struct jiku_out *out, int exit_code)
{
    jiku_out_json(out, "summary", "{s:s, s:i, s:i, s:i, s:i, s:i, s:I}", "command",
                  out->command != NULL ? out->command : "", "ok", out->ok, "failed", out->failed,
                  "denied", out->denied, "skipped", out->skipped, "exit_code", exit_code,
                  "duration_ms", (json_int_t)(jiku_now_ms() - out->start_ms));
    jiku_out_flush();
    return exit_code;
}
