/*
 * The configuration's side of the line reader (ini_lines.c): what a config line means.
 *
 * The reader hands over whole lines that inih can neither split nor glue, with " ;" comments
 * already stripped.  Here each one becomes a normalized "[section]" or "key=value" for inih,
 * and the handler checks that inih read the line the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_int.h"
#include "ini_lines.h"

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static char *
rtrim(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && is_blank(s[n - 1]))
        s[--n] = '\0';
    return s;
}

static char *
ltrim(char *s)
{
    while (is_blank(*s))
        s++;
    return s;
}

static bool
valid_key_name(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("_.-", *s)))
            return false;
    return true;
}

/*
 * OUT (OUTLEN bytes, at least 1) := the N strings of PARTS one after another, cut to fit: what
 * snprintf "%s%s..." would give, without its cost, which was a third of a large configuration's
 * load (one call for every line).
 */
static const char *
concat(char *out, size_t outlen, const char *const *parts, size_t n)
{
    size_t len = 0;

    for (size_t i = 0; i < n; i++) {
        size_t k = strnlen(parts[i], outlen - 1 - len);

        memcpy(out + len, parts[i], k);
        len += k;
    }
    out[len] = '\0';
    return out;
}

/*
 * "[TYPE]" or "[TYPE NAME]" at S (comment already stripped).  Returns the text inih gets: the
 * header normalized into OUT, or "" when it is rejected.
 */
static const char *
read_header(struct cfg_parse *p, char *s, char *out, size_t outlen)
{
    char *close = strchr(s, ']');
    char *type, *name;

    if (close == NULL) {
        cfg_error(p, "missing ']' in section header");
        p->sect = CS_IGNORE;
        return "";
    }
    if (*ltrim(close + 1) != '\0') {
        cfg_error(p, "unexpected text after ']' in section header");
        p->sect = CS_IGNORE;
        return "";
    }
    *close = '\0';
    type = rtrim(ltrim(s + 1));
    name = type + strcspn(type, " \t");
    if (*name != '\0') {
        *name++ = '\0';
        name = ltrim(name);
    } else {
        name = NULL;
    }
    cfg_section_begin(p, type, name);
    /* never longer than the raw line, which the caller checked fits */
    return concat(
        out, outlen,
        (const char *const[]){"[", type, name != NULL ? " " : "", name != NULL ? name : "", "]"},
        5);
}

/* "key = value": the reader's own reading, which the handler compares with inih's. */
static const char *
read_pair(struct cfg_parse *p, char *s, char *out, size_t outlen)
{
    char *eq = strchr(s, '=');
    char *key, *value;

    if (eq == NULL) {
        cfg_error(p, "expected 'key = value' or a [section] header");
        return "";
    }
    *eq = '\0';
    key = rtrim(s);
    value = ltrim(eq + 1);
    if (!valid_key_name(key)) {
        cfg_error(p, "invalid key name '%s'", key);
        return "";
    }
    p->key = key;
    p->value = value;
    /* never longer than the raw line, which the caller checked fits */
    return concat(out, outlen, (const char *const[]){key, "=", value}, 3);
}

/* A line the reader rejected: its message, at its line. */
static void
problem(void *user, const struct jiku_ini_problem *pb)
{
    struct cfg_parse *p = user;

    p->line = pb->line;
    p->key = p->value = NULL;
    cfg_error(p, "%s", pb->msg);
    /* the keys after a header that was not read must not land in the previous section */
    if (pb->header)
        p->sect = CS_IGNORE;
}

/* A line that passed the reader's checks, comment stripped: "" when blank or a comment. */
static const char *
read_text(void *user, int line, char *s, char *out, size_t outlen)
{
    struct cfg_parse *p = user;

    p->line = line;
    p->key = p->value = NULL;
    if (*s == '\0')
        return "";
    if (*s == '[')
        return read_header(p, s, out, outlen);
    return read_pair(p, s, out, outlen);
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
    struct cfg_parse *p = user;

    (void)section; /* the reader tracks sections itself, including empty and repeated ones */
    if (name == NULL)
        return 1; /* a build that reports each new section: the reader has seen it already */
    if (p->key == NULL || value == NULL || strcmp(p->key, name) != 0 ||
        strcmp(p->value, value) != 0) {
        cfg_error(p, "line was not read as written (check the libinih build)");
        return 1;
    }
    cfg_key(p, p->key, p->value);
    p->key = NULL; /* one call per line */
    return 1;
}

void
cfg_read_file(struct cfg_parse *p, const char *path)
{
    static const struct jiku_ini_ops ops = {problem, read_text};
    struct jiku_source at = {NULL, 0};
    struct jiku_ini ini;
    int r;

    if ((p->file = cfg_intern(p, path)) == NULL)
        return;
    at.file = p->file;
    if (jiku_ini_open(&ini, path, &ops, p) != 0) {
        cfg_diag(p, true, &at, "cannot open: %s", strerror(errno));
        return;
    }
    p->line = 0;
    p->sect = CS_NONE;
    p->priv->n_files++;
    r = jiku_ini_parse(&ini, handler, p);
    if (r == -2)
        p->nomem = true;
    else if (r > 0) {
        /* the reader only passes lines inih accepts; this is a safety net */
        at.line = r;
        cfg_diag(p, true, &at, "syntax error");
    }
    jiku_ini_close(&ini);
}
