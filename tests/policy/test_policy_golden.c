/*
 * Policy golden files, after sudo's testsudoers: each directory under cases/ holds a small
 * configuration (agent.conf, conf.d/, maybe its own policies/) and a file `expected` that lists
 * questions and their answers.  The runner copies the case into a temporary directory (paths
 * in a config must be absolute: @CASE_DIR@ becomes the copy, @POLICY_DIR@ the shipped
 * policies/), loads it with the real config loader, and writes the expected file again from
 * what the code answers.  The test passes when both texts are equal.
 *
 * Lines of `expected`:
 *   # ... and blank lines      copied as they are
 *   config:                     "config: ok" or "config: error", then one "diag: " line per
 *                               message of the loader (warnings too), in order
 *   ? CUSTOMER ACTION           one question, answered by allowed/assignment/source/reason/
 *                               error/exit lines (exit as `policy explain` would: 0 allowed,
 *                               77 denied, 78 config error, 66 unknown customer)
 *   skills:                     one "warning: " line per finding of the skills check
 * When a case fails, what the code answered is left in the build tree as CASE.actual.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "fsutil.h"
#include "jiku/buf.h"
#include "jiku/err.h"
#include "policy.h"

#define CASES_DIR JIKU_SOURCE_DIR "/tests/policy/cases"
#define POLICY_DIR JIKU_SOURCE_DIR "/policies"
#define MIN_CASES 15
#define MAX_FILE (1 << 20)

struct golden_case {
    char name[256]; /* an array, not a pointer: parameters are copied between processes */
};

static void
replace_all(struct jiku_buf *b, const char *from, const char *to)
{
    struct jiku_buf out = JIKU_BUF_INIT;
    const char *p = b->data, *hit;
    size_t flen = strlen(from);

    while ((hit = strstr(p, from)) != NULL) {
        jiku_buf_add(&out, p, (size_t)(hit - p));
        jiku_buf_adds(&out, to);
        p = hit + flen;
    }
    jiku_buf_adds(&out, p);
    jiku_buf_release(b);
    *b = out;
}

static void
read_file(const char *path, struct jiku_buf *out)
{
    FILE *f = fopen(path, "r");
    char chunk[4096];
    size_t n;

    cr_assert_not_null(f, "cannot read '%s': %s", path, strerror(errno));
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        jiku_buf_add(out, chunk, n);
        cr_assert_lt(out->len, MAX_FILE, "'%s' is too big for a golden case", path);
    }
    fclose(f);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    size_t len = strlen(text);

    cr_assert_geq(fd, 0, "cannot write '%s': %s", path, strerror(errno));
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* Copy SRC into DST (which exists), placeholders replaced; DEPTH bounds the recursion. */
static void
copy_case(const char *src, const char *dst, const char *case_dir, int depth)
{
    DIR *d = opendir(src);
    struct dirent *de;

    cr_assert_not_null(d, "cannot list '%s'", src);
    cr_assert_lt(depth, 4, "case directories nest too deep");
    while ((de = readdir(d)) != NULL) {
        struct jiku_buf from = JIKU_BUF_INIT, to = JIKU_BUF_INIT;
        struct stat st;

        if (de->d_name[0] == '.' || (depth == 0 && strcmp(de->d_name, "expected") == 0))
            continue;
        jiku_buf_addf(&from, "%s/%s", src, de->d_name);
        jiku_buf_addf(&to, "%s/%s", dst, de->d_name);
        cr_assert_eq(stat(from.data, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            cr_assert_eq(mkdir(to.data, 0700), 0);
            copy_case(from.data, to.data, case_dir, depth + 1);
        } else {
            struct jiku_buf text = JIKU_BUF_INIT;

            read_file(from.data, &text);
            replace_all(&text, "@CASE_DIR@", case_dir);
            replace_all(&text, "@POLICY_DIR@", POLICY_DIR);
            write_file(to.data, text.data, 0600);
            jiku_buf_release(&text);
        }
        jiku_buf_release(&from);
        jiku_buf_release(&to);
    }
    closedir(d);
}

/* Secret files any case config may name; they must exist (the owner/mode check is off). */
static void
make_secrets(const char *dir)
{
    static const char *const names[] = {"web1.token", "web1.password", "id_ed25519", "known_hosts"};
    struct jiku_buf p = JIKU_BUF_INIT;

    jiku_buf_addf(&p, "%s/credentials", dir);
    cr_assert_eq(mkdir(p.data, 0700), 0);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        jiku_buf_reset(&p);
        jiku_buf_addf(&p, "%s/credentials/%s", dir, names[i]);
        write_file(p.data, "not a real secret\n", 0600);
    }
    jiku_buf_release(&p);
}

static bool
starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Lines the runner writes itself; in `expected` they are skipped and regenerated. */
static bool
is_answer_line(const char *line)
{
    static const char *const keys[] = {
        "allowed:", "assignment:", "source:", "reason:", "error:", "exit:", "diag:", "warning:"};

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (starts_with(line, keys[i]))
            return true;
    return false;
}

static void
answer(struct jiku_buf *out, const struct jiku_config *cfg, int load_status, const char *question)
{
    char customer[128], action[128], extra[2];
    const struct jiku_customer_conf *c;
    struct jiku_decision d;
    struct jiku_err err = {0};
    int r;

    cr_assert_eq(sscanf(question, "? %127s %127s %1s", customer, action, extra), 2,
                 "malformed question '%s' (expected '? CUSTOMER ACTION')", question);
    if (cfg == NULL) {
        jiku_buf_addf(out, "exit: %d\n", jiku_status_exit_code(load_status));
        return;
    }
    if ((c = jiku_config_customer(cfg, customer)) == NULL)
        r = jiku_policy_unknown_customer(customer, &d, &err);
    else
        r = jiku_policy_decide(cfg->policies, c, action, &d, &err);
    if (r == 0) {
        jiku_buf_addf(out, "allowed: %s\n", d.allowed ? "yes" : "no");
        jiku_buf_addf(out, "assignment: %s\n", jiku_assignment_name(d.assignment));
        jiku_buf_addf(out, "source: %s\n", d.source);
    } else {
        cr_expect_not(d.allowed, "a failed decision must deny");
        cr_expect_eq(d.assignment, JIKU_ASSIGN_NONE);
    }
    jiku_buf_addf(out, "reason: %s\n", d.reason);
    if (r != 0)
        jiku_buf_addf(out, "error: %s\n", err.msg);
    jiku_buf_addf(out, "exit: %d\n",
                  r != 0 ? jiku_status_exit_code(r)
                         : (d.allowed ? 0 : jiku_status_exit_code(JIKU_E_DENIED)));
}

static void
run_case(const char *name)
{
    char tmpl[] = "/tmp/jiku-golden.XXXXXX";
    struct jiku_buf src = JIKU_BUF_INIT, path = JIKU_BUF_INIT;
    struct jiku_buf expected = JIKU_BUF_INIT, actual = JIKU_BUF_INIT;
    struct jiku_config *cfg = NULL;
    struct jiku_diags diags = {NULL, 0, 0};
    struct jiku_err err = {0};
    char *tmp, *line = NULL;
    int load_status, n_questions = 0;

    cr_assert_not_null(tmp = mkdtemp(tmpl));
    jiku_buf_addf(&src, "%s/%s", CASES_DIR, name);
    copy_case(src.data, tmp, tmp, 0);
    make_secrets(tmp);

    jiku_buf_addf(&path, "%s/agent.conf", tmp);
    load_status = jiku_config_load(path.data, JIKU_CONFIG_NO_SECRET_CHECK, &cfg, &diags, &err);
    cr_expect((load_status == 0) == (cfg != NULL), "a config is returned exactly on success");

    jiku_buf_reset(&path);
    jiku_buf_addf(&path, "%s/expected", src.data);
    read_file(path.data, &expected);
    cr_assert(expected.len > 0 && expected.data[expected.len - 1] == '\n',
              "case %s: expected must end with a newline", name);
    for (const char *p = expected.data; *p != '\0'; p = strchr(p, '\n') + 1) {
        size_t len = (size_t)(strchr(p, '\n') - p);

        free(line);
        cr_assert_not_null(line = strndup(p, len));
        if (is_answer_line(line))
            continue;
        jiku_buf_addf(&actual, "%s\n", line);
        if (starts_with(line, "config:")) {
            cr_assert_str_eq(line, load_status == 0 ? "config: ok" : "config: error",
                             "case %s: the config %s (%s)", name,
                             load_status == 0 ? "loaded" : "did not load", err.msg);
            for (size_t i = 0; i < diags.n; i++)
                jiku_buf_addf(&actual, "diag: %s%s\n",
                              diags.items[i].is_error ? "" : "warning: ", diags.items[i].msg);
        } else if (starts_with(line, "? ")) {
            answer(&actual, cfg, load_status, line);
            n_questions++;
        } else if (starts_with(line, "skills:")) {
            struct jiku_diags skills = {NULL, 0, 0};

            cr_assert_not_null(cfg, "case %s: skills check without a config", name);
            jiku_policy_skills_check(cfg, &skills);
            for (size_t i = 0; i < skills.n; i++)
                jiku_buf_addf(&actual, "warning: %s\n", skills.items[i].msg);
            jiku_diags_release(&skills);
        }
    }
    free(line);
    replace_all(&actual, tmp, "@CASE_DIR@");
    replace_all(&actual, POLICY_DIR, "@POLICY_DIR@");

    cr_expect_gt(n_questions, 0, "case %s asks nothing", name);
    if (strcmp(expected.data, actual.data) != 0) {
        jiku_buf_reset(&path);
        jiku_buf_addf(&path, "%s/tests/policy/%s.actual", JIKU_BINARY_DIR, name);
        write_file(path.data, actual.data, 0644);
        cr_expect_fail("case %s differs (what the code says is in %s)\n--- expected\n%s--- "
                       "actual\n%s",
                       name, path.data, expected.data, actual.data);
    }

    jiku_config_free(cfg);
    jiku_diags_release(&diags);
    jiku_remove_tree(tmp, NULL);
    jiku_buf_release(&src);
    jiku_buf_release(&path);
    jiku_buf_release(&expected);
    jiku_buf_release(&actual);
}

static size_t
list_cases(struct golden_case *out, size_t max)
{
    DIR *d = opendir(CASES_DIR);
    struct dirent *de;
    size_t n = 0;

    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (out != NULL && n < max)
            snprintf(out[n].name, sizeof(out[n].name), "%s", de->d_name);
        n++;
    }
    closedir(d);
    return n < max ? n : max;
}

static void
free_cases(struct criterion_test_params *params)
{
    cr_free(params->params);
}

ParameterizedTestParameters(golden, cases)
{
    size_t n = list_cases(NULL, 1000);
    struct golden_case *cases = cr_malloc(sizeof(*cases) * (n > 0 ? n : 1));

    n = list_cases(cases, n);
    return cr_make_param_array(struct golden_case, cases, n, free_cases);
}

ParameterizedTest(struct golden_case *c, golden, cases)
{
    cr_log_info("case %s", c->name);
    run_case(c->name);
}

/* An empty or unreadable cases/ must not pass as "nothing failed". */
Test(golden, enough_cases)
{
    cr_expect_geq(list_cases(NULL, 1000), MIN_CASES);
}
