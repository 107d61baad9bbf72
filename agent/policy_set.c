/*
 * The tier files (policy_set.h): reading, checking and keeping them.
 *
 * A tier file is INI read by inih through the agent's line reader (ini_lines.c) so that
 * Debian's 200-byte line buffer and its continuation lines can never split or glue a line
 * silently.  Every rule keeps the line it came from, because every decision names its source.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini_lines.h"
#include "jiku/buf.h"
#include "policy_set.h"
#include "validate.h"
#include "vocab.h"

/* The sections of a tier file besides [tier]: the areas of the actions. */
static const char *const areas[] = {"infrastructure", "server", "application"};

struct jiku_tier_policy {
    char *name;
    char *description; /* NULL when the file has none */
    char *file;        /* DIR/NAME.policy, DIR as configured: the "FILE" of every source */
    int assignment[JIKU_N_ACTIONS];
    int line[JIKU_N_ACTIONS];
};

struct jiku_policy_set {
    struct jiku_tier_policy *tiers;
    size_t n;
};

/* ---- reading one tier file ---- */

struct parse_ctx {
    struct jiku_ini ini; /* the line inih is working on is jiku_ini_line(&ini) */
    const char *file;    /* for messages */
    const char *tier;    /* the name [tier] must carry */
    struct jiku_diags *diags;
    int n_errors;
    bool read_failed;
    bool section_lost; /* a rejected [header] line: its keys are not read as another's */
    int name_line;
    int desc_line;
    bool mentioned[JIKU_N_ACTIONS]; /* a bad line is reported once, not again as missing */
    struct jiku_tier_policy *tp;
};

static void parse_error(struct parse_ctx *ctx, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
parse_error(struct parse_ctx *ctx, int line, const char *fmt, ...)
{
    struct jiku_buf msg = JIKU_BUF_INIT;
    va_list ap;
    int r;

    if (line > 0)
        r = jiku_buf_addf(&msg, "%s:%d: ", ctx->file, line);
    else
        r = jiku_buf_addf(&msg, "%s: ", ctx->file);
    va_start(ap, fmt);
    if (r == 0)
        r = jiku_buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    /* The error counts either way; without memory for its text it says so. */
    jiku_diag_add(ctx->diags, true, "%s", r == 0 ? msg.data : "out of memory");
    jiku_buf_release(&msg);
    ctx->n_errors++;
}

static bool
known_section(const char *s, size_t len)
{
    if (len == 4 && strncmp(s, "tier", 4) == 0)
        return true;
    for (size_t i = 0; i < sizeof(areas) / sizeof(areas[0]); i++)
        if (strlen(areas[i]) == len && strncmp(areas[i], s, len) == 0)
            return true;
    return false;
}

/*
 * A line the reader rejected is reported and reaches inih as an empty line.  A read error is
 * reported after the parse, with the line it stopped after.
 */
static void
read_problem(void *user, const struct jiku_ini_problem *pb)
{
    struct parse_ctx *ctx = user;

    if (pb->fault == JIKU_INI_READ)
        ctx->read_failed = true;
    else
        parse_error(ctx, pb->line, "%s", pb->msg);
    if (pb->header)
        ctx->section_lost = true;
}

/*
 * Section headers are checked here: inih only calls the handler for keys, and an empty unknown
 * section is still a mistake.
 */
static const char *
read_text(void *user, int line, char *text, char *out, size_t outlen)
{
    struct parse_ctx *ctx = user;
    const char *end;

    (void)out;
    (void)outlen;
    if (*text == '[')
        ctx->section_lost = false;
    if (*text == '[' && (end = strchr(text, ']')) != NULL &&
        !known_section(text + 1, (size_t)(end - text - 1)))
        parse_error(ctx, line,
                    "unknown section [%.*s] (expected tier, infrastructure, server or "
                    "application)",
                    (int)(end - text - 1), text + 1);
    return text;
}

static const struct jiku_ini_ops read_ops = {read_problem, read_text};

static bool
is_area(const char *section)
{
    for (size_t i = 0; i < sizeof(areas) / sizeof(areas[0]); i++)
        if (strcmp(areas[i], section) == 0)
            return true;
    return false;
}

static int
handle_tier_key(struct parse_ctx *ctx, const char *name, const char *value)
{
    struct jiku_tier_policy *tp = ctx->tp;
    int line = jiku_ini_line(&ctx->ini);
    int *seen;
    char **slot;

    if (strcmp(name, "name") == 0) {
        seen = &ctx->name_line;
        slot = &tp->name;
    } else if (strcmp(name, "description") == 0) {
        seen = &ctx->desc_line;
        slot = &tp->description;
    } else {
        parse_error(ctx, line, "unknown key '%s' in [tier] (expected name or description)", name);
        return 1;
    }
    if (*seen != 0) {
        parse_error(ctx, line, "duplicate key '%s' in [tier] (first at line %d)", name, *seen);
        return 1;
    }
    *seen = line;
    if (slot == &tp->name && strcmp(value, ctx->tier) != 0) {
        parse_error(ctx, line, "tier name '%s' does not match the file name '%s.policy'", value,
                    ctx->tier);
        return 1;
    }
    free(*slot);
    if ((*slot = strdup(value)) == NULL) {
        parse_error(ctx, line, "out of memory");
        return 0;
    }
    return 1;
}

/* An action no tier assigns, with the near one or the list of them. */
static void
unknown_action(struct parse_ctx *ctx, int line, const char *action)
{
    struct jiku_buf hint = JIKU_BUF_INIT;

    /* without memory for the hint the error still stands, shorter */
    (void)jiku_action_hint(action, &hint);
    parse_error(ctx, line, "unknown action '%s'%s", action, hint.len > 0 ? hint.data : "");
    jiku_buf_release(&hint);
}

static int
handle_key(void *user, const char *section, const char *name, const char *value)
{
    struct parse_ctx *ctx = user;
    struct jiku_buf action = JIKU_BUF_INIT;
    int line = jiku_ini_line(&ctx->ini);
    int i, a;

    if (ctx->section_lost)
        return 1; /* the rejected header was reported; its keys belong to no section */
    if (section[0] == '\0') {
        parse_error(ctx, line, "key '%s' outside any section", name);
        return 1;
    }
    if (strcmp(section, "tier") == 0)
        return handle_tier_key(ctx, name, value);
    if (!is_area(section))
        return 1; /* the reader reported the section header */

    if (jiku_buf_addf(&action, "%s.%s", section, name) != 0) {
        parse_error(ctx, line, "out of memory");
        return 0;
    }
    i = jiku_action_index(action.data);
    a = jiku_assignment_parse(value);
    if (i >= 0)
        ctx->mentioned[i] = true;
    if (i < 0)
        unknown_action(ctx, line, action.data);
    else if (a < 0)
        parse_error(ctx, line, "bad assignment '%s' for %s (expected jiku, customer or open)",
                    value, action.data);
    else if (ctx->tp->line[i] != 0)
        parse_error(ctx, line, "duplicate %s (first at line %d)", action.data, ctx->tp->line[i]);
    else {
        ctx->tp->assignment[i] = a;
        ctx->tp->line[i] = line;
    }
    jiku_buf_release(&action);
    return 1;
}

static const char *
errno_text(int e)
{
    /* git-like and stable across libcs for the cases an admin meets */
    switch (e) {
    case ENOENT:
        return "no such file";
    case EACCES:
        return "permission denied";
    case EISDIR:
        return "is a directory";
    default:
        return strerror(e);
    }
}

/* One message for every action the file leaves out: a new action should not flood the list. */
static void
missing_actions(struct parse_ctx *ctx)
{
    struct jiku_buf list = JIKU_BUF_INIT;

    for (size_t i = 0; i < JIKU_N_ACTIONS; i++) {
        if (ctx->tp->assignment[i] != JIKU_ASSIGN_NONE || ctx->mentioned[i])
            continue;
        if (jiku_buf_addf(&list, "%s%s", list.len > 0 ? ", " : "", jiku_actions[i]) != 0) {
            parse_error(ctx, 0, "out of memory");
            goto out;
        }
    }
    if (list.len > 0)
        parse_error(ctx, 0, "not assigned: %s (every action needs jiku, customer or open)",
                    list.data);
out:
    jiku_buf_release(&list);
}

static void
tier_release(struct jiku_tier_policy *tp)
{
    free(tp->name);
    free(tp->description);
    free(tp->file);
    memset(tp, 0, sizeof(*tp));
}

static char *
policy_path(const char *dir, const char *tier)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    size_t len = strlen(dir);

    if (jiku_buf_adds(&b, dir) != 0 ||
        ((len == 0 || dir[len - 1] != '/') && jiku_buf_addch(&b, '/') != 0) ||
        jiku_buf_addf(&b, "%s.policy", tier) != 0) {
        jiku_buf_release(&b);
        return NULL;
    }
    return jiku_buf_detach(&b);
}

/*
 * Parse the file of TIER in DIR into *TP (which the caller releases either way).  Returns the
 * number of errors reported to DIAGS; 0 means *TP is complete.
 */
static int
tier_parse(const char *dir, const char *tier, struct jiku_tier_policy *tp, struct jiku_diags *diags)
{
    struct parse_ctx ctx;
    int r;

    memset(tp, 0, sizeof(*tp));
    for (size_t i = 0; i < JIKU_N_ACTIONS; i++)
        tp->assignment[i] = JIKU_ASSIGN_NONE;
    memset(&ctx, 0, sizeof(ctx));
    ctx.tier = tier;
    ctx.diags = diags;
    ctx.tp = tp;
    if ((tp->file = policy_path(dir, tier)) == NULL)
        return 1;
    ctx.file = tp->file;

    if (jiku_ini_open(&ctx.ini, tp->file, &read_ops, &ctx) != 0) {
        jiku_diag_add(diags, true, "cannot read policy '%s': %s", tp->file, errno_text(errno));
        return 1;
    }
    if (!jiku_ini_regular(&ctx.ini)) {
        jiku_diag_add(diags, true, "cannot read policy '%s': not a regular file", tp->file);
        jiku_ini_close(&ctx.ini);
        return 1;
    }
    r = jiku_ini_parse(&ctx.ini, handle_key, &ctx);
    if (r > 0)
        parse_error(&ctx, r, "syntax error (expected [section], 'key = value' or a comment)");
    else if (r < 0)
        parse_error(&ctx, 0, "cannot parse (out of memory)");
    if (ctx.read_failed)
        parse_error(&ctx, 0, "read error after line %d", jiku_ini_line(&ctx.ini));
    jiku_ini_close(&ctx.ini);

    if (ctx.name_line == 0)
        parse_error(&ctx, 0, "missing [tier] name (expected 'name = %s')", tier);
    missing_actions(&ctx);
    return ctx.n_errors;
}

static const struct jiku_tier_policy *
set_find(const struct jiku_policy_set *set, const char *tier)
{
    if (set == NULL || tier == NULL)
        return NULL;
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->tiers[i].name, tier) == 0)
            return &set->tiers[i];
    return NULL;
}

void
jiku_policy_set_free(struct jiku_policy_set *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->n; i++)
        tier_release(&set->tiers[i]);
    free(set->tiers);
    free(set);
}

int
jiku_policy_set_load(const char *dir, const char *const *tiers, struct jiku_policy_set **out,
                     struct jiku_diags *diags, struct jiku_err *err)
{
    struct jiku_diags local = {NULL, 0, 0};
    struct jiku_policy_set *set = NULL;
    size_t first_diag, n_tiers = 0;
    int n_errors = 0, r;

    if (out != NULL)
        *out = NULL;
    if (dir == NULL || tiers == NULL || out == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "policy set: missing argument");
    if (diags == NULL)
        diags = &local;
    first_diag = diags->n;

    while (tiers[n_tiers] != NULL)
        n_tiers++;
    if ((set = calloc(1, sizeof(*set))) == NULL ||
        (n_tiers > 0 && (set->tiers = calloc(n_tiers, sizeof(*set->tiers))) == NULL)) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_tiers; i++) {
        struct jiku_tier_policy tp;

        /* the name becomes a path: nothing but a plain name may ever get that far */
        if (!jiku_valid_name(tiers[i])) {
            jiku_diag_add(diags, true, "invalid tier name '%s' (expected [a-z0-9][a-z0-9-]*)",
                          tiers[i]);
            n_errors++;
            continue;
        }
        if (set_find(set, tiers[i]) != NULL)
            continue;
        if (tier_parse(dir, tiers[i], &tp, diags) != 0) {
            tier_release(&tp);
            n_errors++;
            continue;
        }
        set->tiers[set->n++] = tp;
    }
    if (n_errors > 0) {
        const char *msg = jiku_diags_first_error(diags, first_diag);

        r = jiku_err_set(err, JIKU_E_CONFIG, "%s", msg != NULL ? msg : "policy errors");
        goto out;
    }
    *out = set;
    set = NULL;
    r = 0;
out:
    jiku_policy_set_free(set);
    jiku_diags_release(&local);
    return r;
}

const char *
jiku_policy_tier_description(const struct jiku_policy_set *set, const char *tier)
{
    const struct jiku_tier_policy *tp = set_find(set, tier);

    return tp != NULL ? tp->description : NULL;
}

bool
jiku_policy_set_rule(const struct jiku_policy_set *set, const char *tier, int index,
                     int *assignment, struct jiku_source *src)
{
    const struct jiku_tier_policy *tp = set_find(set, tier);

    if (tp == NULL)
        return false;
    *assignment = tp->assignment[index];
    src->file = tp->file;
    src->line = tp->line[index];
    return true;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void
jiku_policy_tiers_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int
jiku_policy_tiers(const char *dir, char ***out, size_t *n_out)
{
    static const char suffix[] = ".policy";
    const size_t slen = sizeof(suffix) - 1;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int r = 0;
    DIR *d;

    *out = NULL;
    *n_out = 0;
    if ((d = opendir(dir)) == NULL)
        return errno == ENOMEM ? JIKU_E_NOMEM : JIKU_E_IO;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);

        if (de->d_name[0] == '.' || len <= slen || strcmp(de->d_name + len - slen, suffix) != 0)
            continue;
        if (n + 1 >= cap) {
            size_t ncap = cap == 0 ? 8 : cap * 2;
            char **tmp = realloc(names, ncap * sizeof(*names));

            if (tmp == NULL) {
                r = JIKU_E_NOMEM;
                goto out;
            }
            names = tmp;
            cap = ncap;
        }
        if ((names[n] = strndup(de->d_name, len - slen)) == NULL) {
            r = JIKU_E_NOMEM;
            goto out;
        }
        n++;
    }
    if (n > 0) {
        qsort(names, n, sizeof(*names), compare_names);
        names[n] = NULL;
    }
    *out = names;
    *n_out = n;
    names = NULL;
    n = 0;
out:
    jiku_policy_tiers_free(names, n);
    closedir(d);
    return r;
}

int
jiku_policy_lint_dir(const char *dir, struct jiku_diags *diags)
{
    char **names = NULL;
    size_t n = 0;
    int n_errors = 0, r;

    if (dir == NULL || diags == NULL)
        return JIKU_E_INVAL;
    if ((r = jiku_policy_tiers(dir, &names, &n)) == JIKU_E_NOMEM)
        return r;
    if (r != 0) {
        jiku_diag_add(diags, true, "cannot read policy directory '%s': %s", dir, errno_text(errno));
        return JIKU_E_CONFIG;
    }
    if (n == 0)
        jiku_diag_add(diags, false, "%s: no policy files (*.policy)", dir);
    for (size_t i = 0; i < n; i++) {
        struct jiku_tier_policy tp;

        if (!jiku_valid_name(names[i])) {
            jiku_diag_add(diags, true,
                          "%s/%s.policy: invalid tier name '%s' (expected [a-z0-9][a-z0-9-]*)", dir,
                          names[i], names[i]);
            n_errors++;
            continue;
        }
        n_errors += tier_parse(dir, names[i], &tp, diags);
        tier_release(&tp);
    }
    jiku_policy_tiers_free(names, n);
    return n_errors > 0 ? JIKU_E_CONFIG : 0;
}
