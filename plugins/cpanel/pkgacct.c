/*
 * pkgacct's master log (docs/WIRE.md §2.4): JSON lines {"contents":"[stamp] text\n",
 * "type":"out|warn|error","partial":0|1,...}.  The archive path comes only from the
 * "pkgacctfile is:" line; "md5sum is:" and "size is:" are checked against the file later.  A 3P
 * report says pkgacct can print "pkgacct completed" although dumps failed, so ERROR and WARN
 * lines are collected whatever the end says.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpanel.h"

#define KEEP_LINES 20 /* error/warning lines kept for messages */
#define LINE_TEXT 300 /* bytes kept of each */
#define SEV_NONE 0
#define SEV_WARN 1
#define SEV_ERROR 2

static void
log_init(struct cpanel_pkgacct_log *l)
{
    *l = (struct cpanel_pkgacct_log){.errors = JIKU_BUF_INIT, .warnings = JIKU_BUF_INIT};
}

void
cpanel_pkgacct_log_release(struct cpanel_pkgacct_log *l)
{
    free(l->archive);
    jiku_buf_release(&l->errors);
    jiku_buf_release(&l->warnings);
    log_init(l);
}

static bool
starts(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);

    return len >= n && memcmp(s, prefix, n) == 0;
}

/* 0, or JIKU_E_NOMEM with ERR set. */
static int
keep_line(struct jiku_buf *b, unsigned *count, const char *s, size_t len, struct jiku_err *err)
{
    if (++*count > KEEP_LINES)
        return 0;
    if (b->len > 0 && jiku_buf_addch(b, '\n') != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    for (size_t i = 0; i < len && i < LINE_TEXT; i++)
        if (jiku_buf_addch(b, (unsigned char)s[i] < 0x20 ? ' ' : s[i]) != 0)
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

static int
set_value(const char *what, const char *s, size_t len, struct cpanel_pkgacct_log *out,
          struct jiku_err *err)
{
    if (strcmp(what, "archive") == 0) {
        if (len == 0 || memchr(s, '\0', len) != NULL)
            return jiku_err_set(err, JIKU_E_DATA, "pkgacct log has an empty 'pkgacctfile is:'");
        if (out->archive != NULL) {
            if (strlen(out->archive) == len && memcmp(out->archive, s, len) == 0)
                return 0;
            return jiku_err_set(err, JIKU_E_DATA, "pkgacct log names two different archives");
        }
        if ((out->archive = strndup(s, len)) == NULL)
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        return 0;
    }
    if (strcmp(what, "md5") == 0) {
        char md5[33];

        if (len != 32)
            return jiku_err_set(err, JIKU_E_DATA, "pkgacct log has a malformed 'md5sum is:'");
        for (size_t i = 0; i < 32; i++) {
            if (!isxdigit((unsigned char)s[i]))
                return jiku_err_set(err, JIKU_E_DATA, "pkgacct log has a malformed 'md5sum is:'");
            md5[i] = (char)tolower((unsigned char)s[i]);
        }
        md5[32] = '\0';
        if (out->md5[0] != '\0' && strcmp(out->md5, md5) != 0)
            return jiku_err_set(err, JIKU_E_DATA, "pkgacct log gives two different md5 sums");
        memcpy(out->md5, md5, sizeof(md5));
        return 0;
    }
    /* size */
    {
        uint64_t v = 0;

        if (len == 0 || len > 19)
            return jiku_err_set(err, JIKU_E_DATA, "pkgacct log has a malformed 'size is:'");
        for (size_t i = 0; i < len; i++) {
            if (!isdigit((unsigned char)s[i]))
                return jiku_err_set(err, JIKU_E_DATA, "pkgacct log has a malformed 'size is:'");
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (out->have_size && out->size != v)
            return jiku_err_set(err, JIKU_E_DATA, "pkgacct log gives two different sizes");
        out->size = v;
        out->have_size = true;
        return 0;
    }
}

/* One line of pkgacct's text, with SEV from the JSON type it came in. */
static int
text_line(const char *s, size_t len, int sev, struct cpanel_pkgacct_log *out, struct jiku_err *err)
{
    int r = 0;

    /* "[2026-11-27 22:48:01 +0000] " */
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len < 48 ? len : 48);

        if (close != NULL) {
            len -= (size_t)(close + 1 - s);
            s = close + 1;
        }
    }
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0)
        return 0;

    if (starts(s, len, "ERROR") || sev == SEV_ERROR)
        r = keep_line(&out->errors, &out->n_errors, s, len, err);
    else if (starts(s, len, "WARN") || sev == SEV_WARN)
        r = keep_line(&out->warnings, &out->n_warnings, s, len, err);
    if (r != 0)
        return r;

    if (starts(s, len, "pkgacctfile is:"))
        return set_value("archive", s + 15 + strspn(s + 15, " "), len - 15 - strspn(s + 15, " "),
                         out, err);
    if (starts(s, len, "md5sum is:"))
        return set_value("md5", s + 10 + strspn(s + 10, " "), len - 10 - strspn(s + 10, " "), out,
                         err);
    if (starts(s, len, "size is:"))
        return set_value("size", s + 8 + strspn(s + 8, " "), len - 8 - strspn(s + 8, " "), out,
                         err);
    if (len == 17 && memcmp(s, "pkgacct completed", 17) == 0)
        out->completed = true;
    return 0;
}

/* Complete lines of PENDING go to text_line; the rest stays for the next piece. */
static int
flush_lines(struct jiku_buf *pending, int sev, bool all, struct cpanel_pkgacct_log *out,
            struct jiku_err *err)
{
    size_t start = 0;
    int r = 0;

    for (size_t i = 0; r == 0 && i < pending->len; i++) {
        if (pending->data[i] != '\n')
            continue;
        r = text_line(pending->data + start, i - start, sev, out, err);
        start = i + 1;
    }
    if (r == 0 && all && start < pending->len) {
        r = text_line(pending->data + start, pending->len - start, sev, out, err);
        start = pending->len;
    }
    if (start > 0) {
        memmove(pending->data, pending->data + start, pending->len - start);
        pending->len -= start;
        pending->data[pending->len] = '\0';
    }
    return r;
}

static int
severity(const char *type)
{
    if (type == NULL)
        return SEV_NONE;
    if (strcmp(type, "error") == 0)
        return SEV_ERROR;
    if (strcmp(type, "warn") == 0 || strcmp(type, "warning") == 0)
        return SEV_WARN;
    return SEV_NONE;
}

int
cpanel_pkgacct_log_parse(const char *log, size_t len, struct cpanel_pkgacct_log *out,
                         struct jiku_err *err)
{
    struct jiku_buf pending = JIKU_BUF_INIT;
    int pending_sev = SEV_NONE, r = 0;
    size_t lineno = 0;
    const char *p = log, *end = log + len;

    log_init(out);
    if (len > CPANEL_JSON_MAX)
        return jiku_err_set(err, JIKU_E_DATA, "pkgacct log exceeds %zu bytes", CPANEL_JSON_MAX);
    while (r == 0 && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        const char *s = p;

        p = nl != NULL ? nl + 1 : end;
        lineno++;
        while (n > 0 && isspace((unsigned char)*s)) {
            s++;
            n--;
        }
        if (n == 0)
            continue;
        if (*s != '{') {
            /* Plain pkgacct output (the script's human form). */
            if ((r = flush_lines(&pending, pending_sev, true, out, err)) == 0)
                r = text_line(s, n, SEV_NONE, out, err);
            pending_sev = SEV_NONE;
            continue;
        }
        json_error_t jerr;
        json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &jerr);
        json_t *contents = json_object_get(j, "contents");
        int sev = severity(cpanel_json_str(j, "type"));

        if (!json_is_object(j)) {
            r = jiku_err_set(err, JIKU_E_DATA, "pkgacct log line %zu is not a JSON object%s%s",
                             lineno, j == NULL ? ": " : "", j == NULL ? jerr.text : "");
        } else if (json_is_string(contents)) {
            if (jiku_buf_add(&pending, json_string_value(contents), json_string_length(contents)) !=
                0)
                r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            if (sev > pending_sev)
                pending_sev = sev;
            if (r == 0)
                r = flush_lines(&pending, pending_sev, false, out, err);
            if (pending.len == 0)
                pending_sev = SEV_NONE;
        } else if (sev == SEV_ERROR) {
            r = keep_line(&out->errors, &out->n_errors, "error entry without text", 24, err);
        }
        json_decref(j);
    }
    if (r == 0)
        r = flush_lines(&pending, pending_sev, true, out, err);
    jiku_buf_release(&pending);
    return r;
}
