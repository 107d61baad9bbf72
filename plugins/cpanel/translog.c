/*
 * A transfer session's logs (docs/WIRE.md §2.5): master.log is JSON lines whose
 * "control" entries carry {"action": ...}; a restore item ends with success-item, warning-item
 * or failed-item.  A session can be COMPLETED while its item failed, so the item decides.
 */
#include <string.h>

#include "cpanel.h"

void
cpanel_restore_item_release(struct cpanel_restore_item *it)
{
    jiku_buf_release(&it->message);
    *it = (struct cpanel_restore_item){.message = JIKU_BUF_INIT};
}

/* Call FN on each JSON line of LOG; JIKU_E_DATA for a line that is not a JSON object. */
static int
each_line(const char *what, const char *log, size_t len,
          int (*fn)(json_t *j, void *arg, struct jiku_err *err), void *arg, struct jiku_err *err)
{
    const char *p = log, *end = log + len;
    size_t lineno = 0;
    int r = 0;

    if (len > CPANEL_JSON_MAX)
        return jiku_err_set(err, JIKU_E_DATA, "%s exceeds %zu bytes", what, CPANEL_JSON_MAX);
    while (r == 0 && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        const char *s = p;
        json_error_t jerr;
        json_t *j;

        p = nl != NULL ? nl + 1 : end;
        lineno++;
        while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r')) {
            s++;
            n--;
        }
        if (n == 0)
            continue;
        j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(j))
            r = jiku_err_set(err, JIKU_E_DATA, "%s line %zu is not a JSON object%s%s", what, lineno,
                             j == NULL ? ": " : "", j == NULL ? jerr.text : "");
        else
            r = fn(j, arg, err);
        json_decref(j);
    }
    return r;
}

/* 0, or JIKU_E_NOMEM with ERR set. */
static int
set_message(struct jiku_buf *b, json_t *msg, const char *key, struct jiku_err *err)
{
    const char *text = json_is_string(msg) ? json_string_value(msg) : cpanel_json_str(msg, key);

    if (text == NULL && json_is_object(msg))
        text = cpanel_json_str(msg, "message");
    jiku_buf_reset(b);
    for (size_t i = 0; text != NULL && text[i] != '\0' && i < 600; i++)
        if (jiku_buf_addch(b, (unsigned char)text[i] < 0x20 ? ' ' : text[i]) != 0)
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

static int
item_line(json_t *j, void *arg, struct jiku_err *err)
{
    struct cpanel_restore_item *it = arg;
    json_t *contents = json_object_get(j, "contents");
    const char *action = cpanel_json_str(contents, "action");

    if (action == NULL)
        return 0;
    if (strcmp(action, "failed-item") == 0) {
        it->result = CPANEL_ITEM_FAILED;
        return set_message(&it->message, json_object_get(contents, "msg"), "failure", err);
    }
    if (it->result != CPANEL_ITEM_FAILED && strcmp(action, "warning-item") == 0) {
        it->result = CPANEL_ITEM_WARN;
        return set_message(&it->message, json_object_get(contents, "msg"), "message", err);
    }
    if (it->result == CPANEL_ITEM_NONE && strcmp(action, "success-item") == 0) {
        it->result = CPANEL_ITEM_OK;
        return set_message(&it->message, json_object_get(contents, "msg"), "message", err);
    }
    return 0;
}

int
cpanel_translog_parse(const char *log, size_t len, struct cpanel_restore_item *out,
                      struct jiku_err *err)
{
    *out = (struct cpanel_restore_item){.message = JIKU_BUF_INIT};
    return each_line("transfer session log", log, len, item_line, out, err);
}

struct errors_acc {
    struct jiku_buf *b;
    unsigned n;
};

static int
error_line(json_t *j, void *arg, struct jiku_err *err)
{
    struct errors_acc *acc = arg;
    const char *type = cpanel_json_str(j, "type");
    const char *text = cpanel_json_str(j, "contents");

    if (type == NULL || strcmp(type, "error") != 0 || text == NULL || acc->n++ >= 5)
        return 0;
    if (acc->b->len > 0 && jiku_buf_adds(acc->b, "; ") != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    for (size_t i = 0; text[i] != '\0' && i < 400; i++)
        if (text[i] != '\n' &&
            jiku_buf_addch(acc->b, (unsigned char)text[i] < 0x20 ? ' ' : text[i]) != 0)
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

int
cpanel_itemlog_errors(const char *log, size_t len, struct jiku_buf *errors, struct jiku_err *err)
{
    struct errors_acc acc = {.b = errors};

    return each_line("restore item log", log, len, error_line, &acc, err);
}
