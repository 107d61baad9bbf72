/*
 * The line reader between an INI file and libinih: see ini_lines.h for why it exists.  The rules
 * are jiku-agent.conf(5)'s ("Comments and lines"), the same for every INI file the agent reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "ini_lines.h"
#include "jiku/err.h"

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void
rtrim(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && is_blank(s[n - 1]))
        s[--n] = '\0';
}

/*
 * Cut S at the first ';' that follows a blank: the inline comment of jiku-agent.conf(5).  Done
 * here, not left to inih: whether and how inih strips one (older versions kept a comment that
 * directly follows "= " as the value) depends on how it was built.
 */
static void
strip_comment(char *s)
{
    for (char *c = s; *c != '\0'; c++) {
        if (*c == ';' && c > s && is_blank(c[-1])) {
            *c = '\0';
            return;
        }
    }
}

static void
report(struct jiku_ini *ini, enum jiku_ini_fault fault, bool header, int errnum, const char *msg)
{
    struct jiku_ini_problem pb = {fault, ini->line, msg, header, errnum};

    ini->ops->problem(ini->user, &pb);
}

/*
 * The ini_reader: one line per call, like fgets, but the whole line or an empty one.  NUM is
 * the size of inih's buffer OUT; a line that would not fit in it with its NUL is rejected.
 */
static char *
read_line(char *out, int num, void *stream)
{
    struct jiku_ini *ini = stream;
    /* the longest message is two size_t numbers and 40 characters of text */
    char msg[128];
    size_t len, limit;
    const char *give;
    char *s, *t;
    ssize_t n;

    if (num < 1)
        return NULL;
    limit = (size_t)num - 1;
    if (limit > JIKU_MAX_LINE)
        limit = JIKU_MAX_LINE;
    if ((n = getline(&ini->buf, &ini->cap, ini->fp)) < 0) {
        if (ferror(ini->fp)) {
            int e = errno;

            snprintf(msg, sizeof(msg), "read error: %s", strerror(e));
            report(ini, JIKU_INI_READ, false, e, msg);
        }
        return NULL;
    }
    ini->line++;
    len = (size_t)n;
    if (len > 0 && ini->buf[len - 1] == '\n')
        ini->buf[--len] = '\0';
    if (len > 0 && ini->buf[len - 1] == '\r')
        ini->buf[--len] = '\0';
    s = ini->buf;
    if (ini->line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
        s += 3;
    t = s + strspn(s, " \t");

    out[0] = '\0';
    if (strlen(ini->buf) != len) {
        report(ini, JIKU_INI_NUL, *t == '[', 0, "line contains a NUL byte");
        return out;
    }
    if (len > limit) {
        snprintf(msg, sizeof(msg), "line is %zu characters long, the limit is %zu", len, limit);
        report(ini, JIKU_INI_TOO_LONG, *t == '[', 0, msg);
        return out;
    }
    if (*t == '\0' || *t == '#' || *t == ';') {
        *s = '\0'; /* blank or a whole-line comment, indented or not */
    } else if (t != s) {
        report(ini, JIKU_INI_INDENTED, *t == '[', 0,
               "indented line (continuation lines are not supported)");
        return out;
    } else {
        strip_comment(s);
        rtrim(s);
    }
    give = ini->ops->line != NULL ? ini->ops->line(ini->user, ini->line, s, out, (size_t)num) : s;
    if (give != out) {
        /* not snprintf: this runs for every line of every file (a 10,000-target config) */
        size_t k = strnlen(give, limit);

        memcpy(out, give, k);
        out[k] = '\0';
    }
    return out;
}

int
jiku_ini_open(struct jiku_ini *ini, const char *path, const struct jiku_ini_ops *ops, void *user)
{
    memset(ini, 0, sizeof(*ini));
    if ((ini->fp = fopen(path, "re")) == NULL)
        return JIKU_E_IO;
    ini->ops = ops;
    ini->user = user;
    return 0;
}

bool
jiku_ini_regular(const struct jiku_ini *ini)
{
    struct stat st;

    return fstat(fileno(ini->fp), &st) == 0 && S_ISREG(st.st_mode);
}

int
jiku_ini_parse(struct jiku_ini *ini, ini_handler handler, void *handler_user)
{
    return ini_parse_stream(read_line, ini, handler, handler_user);
}

int
jiku_ini_line(const struct jiku_ini *ini)
{
    return ini->line;
}

void
jiku_ini_close(struct jiku_ini *ini)
{
    if (ini->fp != NULL)
        fclose(ini->fp);
    free(ini->buf);
    memset(ini, 0, sizeof(*ini));
}
