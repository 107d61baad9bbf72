/*
 * The line reader between a config file and inih.
 *
 * Debian's libinih reads into a 200-byte buffer and simply carries on with the rest of a longer
 * line as if it were the next one, and it glues an indented line onto the previous value.  Both
 * would let a config mean something other than what it says.  So inih never sees a raw line:
 * this reader reads whole lines itself, rejects what inih would split or glue, strips " ;"
 * comments (inih misses one that directly follows "= "), and hands inih only a normalized
 * "[section]" or "key=value".  The handler then checks that inih read the line the same way.
 */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "config.h"
#include "config_int.h"

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

/* Cut S at the first ';' that follows a blank: the inline comment of SPEC §4. */
static void
strip_comment(char *s)
{
    for (char *c = s + 1; *c != '\0'; c++) {
        if (*c == ';' && is_blank(c[-1])) {
            *c = '\0';
            return;
        }
    }
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
    snprintf(out, outlen, "[%s%s%s]", type, name != NULL ? " " : "", name != NULL ? name : "");
    return out;
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
    snprintf(out, outlen, "%s=%s", key, value);
    return out;
}

/*
 * The ini_reader: one line per call, like fgets, but the whole line or an error.  NUM is the
 * size of inih's buffer; a line that would not fit in it (with its NUL) is rejected.
 */
static char *
reader(char *out, int num, void *stream)
{
    struct cfg_parse *p = stream;
    size_t len, limit = num > 1 ? (size_t)num - 1 : 0;
    const char *give = "";
    char *s, *t;
    ssize_t n;

    if (limit > JIKU_MAX_LINE)
        limit = JIKU_MAX_LINE;
    p->key = p->value = NULL;
    if ((n = getline(&p->raw, &p->raw_cap, p->fp)) < 0) {
        if (ferror(p->fp))
            cfg_error(p, "read error: %s", strerror(errno));
        return NULL;
    }
    p->line++;
    len = (size_t)n;
    if (len > 0 && p->raw[len - 1] == '\n')
        p->raw[--len] = '\0';
    if (len > 0 && p->raw[len - 1] == '\r')
        p->raw[--len] = '\0';
    s = p->raw;
    if (p->line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
        s += 3;
    t = ltrim(s);

    if (strlen(p->raw) != len || len > limit || (t != s && *t != '\0' && !strchr("#;", *t))) {
        if (strlen(p->raw) != len)
            cfg_error(p, "line contains a NUL byte");
        else if (len > limit)
            cfg_error(p, "line is %zu characters long, the limit is %zu", len, limit);
        else
            cfg_error(p, "indented line (continuation lines are not supported)");
        /* the keys after a header that was not read must not land in the previous section */
        if (*t == '[')
            p->sect = CS_IGNORE;
    } else if (*t != '\0' && *t != '#' && *t != ';') {
        strip_comment(s);
        rtrim(s);
        if (*s == '[')
            give = read_header(p, s, out, (size_t)num);
        else
            give = read_pair(p, s, out, (size_t)num);
    }
    if (give != out)
        snprintf(out, (size_t)num, "%s", give);
    return out;
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
    struct jiku_source at = {NULL, 0};
    int r;

    if ((p->file = cfg_intern(p, path)) == NULL)
        return;
    at.file = p->file;
    if ((p->fp = fopen(path, "re")) == NULL) {
        cfg_diag(p, true, &at, "cannot open: %s", strerror(errno));
        return;
    }
    p->line = 0;
    p->sect = CS_NONE;
    p->priv->n_files++;
    r = ini_parse_stream(reader, p, handler, p);
    if (r == -2)
        p->nomem = true;
    else if (r > 0) {
        /* the reader only passes lines inih accepts; this is a safety net */
        at.line = r;
        cfg_diag(p, true, &at, "syntax error");
    }
    fclose(p->fp);
    p->fp = NULL;
}
