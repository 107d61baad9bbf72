/*
 * What both panel plugins share on a panel server (plugins/common/remote.c): the path rules
 * every remote word passes, quoted command words, the checksum output, the job directory's
 * name, the growing poll interval, a job's end awaited on the server with polls as the
 * fallback, partial answers refused, commands run as a tree's owner, and the plugins' formatted
 * strings.
 */
#include <criterion/criterion.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "remote.h"

#define MD5 "0123456789abcdef0123456789abcdef"
#define SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

Test(plug_strings, strfmt_gives_the_caller_a_string)
{
    char *s = NULL;

    cr_assert_eq(plug_strfmt(&s, "%s/%s.%d", "/var/jiku", "acme", 7), 0);
    cr_assert_str_eq(s, "/var/jiku/acme.7");
    free(s);
    cr_assert_eq(plug_strfmt(&s, "%s", ""), 0);
    cr_assert_str_eq(s, "");
    free(s);
}

Test(plug_paths, valid_path_refuses_what_a_shell_or_a_walk_could_misread)
{
    cr_assert(plug_valid_path("/home/jiku-snapshots/acmeshop/20261127T021500Z.acme.shop.s"));
    cr_assert(plug_valid_path("/var/lib/psa/dumps"));
    cr_assert_not(plug_valid_path("relative/path"));
    cr_assert_not(plug_valid_path("/"));
    cr_assert_not(plug_valid_path("/home/../etc"));
    cr_assert_not(plug_valid_path("/home/./x"));
    cr_assert_not(plug_valid_path("/home//x"));
    cr_assert_not(plug_valid_path("/home/x/"));
    cr_assert_not(plug_valid_path("/home/x y"));
    cr_assert_not(plug_valid_path("/home/x'y"));
    cr_assert_not(plug_valid_path("/home/$(id)"));
    cr_assert_not(plug_valid_path(NULL));
}

Test(plug_paths, inside_is_strictly_below)
{
    cr_assert(plug_path_inside("/s/u/1/cpmove-u.tar.gz", "/s/u"));
    cr_assert(plug_path_inside("/home/acmeshop/blog", "/home/acmeshop"));
    cr_assert_not(plug_path_inside("/s/u", "/s/u"));
    cr_assert_not(plug_path_inside("/s/user/x", "/s/u"));
    cr_assert_not(plug_path_inside("/s/u/../../etc", "/s/u"));
    cr_assert_not(plug_path_inside("/s/u/x", "relative"));
}

Test(plug_paths, one_component)
{
    cr_assert(plug_valid_component("jiku-op-1-2"));
    cr_assert(plug_valid_component("20261127T021500Z.acme.blog.s"));
    cr_assert_not(plug_valid_component(".."));
    cr_assert_not(plug_valid_component("."));
    cr_assert_not(plug_valid_component("-rf"));
    cr_assert_not(plug_valid_component("a/b"));
    cr_assert_not(plug_valid_component(""));
    cr_assert_not(plug_valid_component(NULL));
}

/* What the login plugins check again of the core's names before they use them. */
Test(plug_logins, words_and_addresses)
{
    struct jiku_err err = {0};
    const char *domain = NULL;
    char *local = NULL;

    cr_expect(plug_valid_word("jane.doe@x", 60, "._@-"));
    cr_expect_not(plug_valid_word("-jane", 60, "._@-"));
    cr_expect_not(plug_valid_word(".jane", 60, "._@-"));
    cr_expect_not(plug_valid_word("ja ne", 60, "._@-"));
    cr_expect_not(plug_valid_word("", 60, "._@-"));
    cr_expect_not(plug_valid_word("abcd", 3, ""));
    cr_expect(plug_printable("Jane Doe"));
    cr_expect_not(plug_printable("a\x1b[31m"));
    cr_expect_not(plug_printable(""));

    cr_assert_eq(plug_split_address("sales+eu@shop.example", &local, &domain, &err), 0, "%s",
                 err.msg);
    cr_expect_str_eq(local, "sales+eu");
    cr_expect_str_eq(domain, "shop.example");
    free(local);
    const char *bad[] = {"sales",
                         "@shop.example",
                         "-x@shop.example",
                         "a b@shop.example",
                         "a@b@shop.example",
                         "a@-shop.example",
                         "a@shop..example",
                         NULL};
    for (size_t i = 0; bad[i] != NULL; i++) {
        cr_expect_eq(plug_split_address(bad[i], &local, &domain, &err), JIKU_E_INVAL, "%s", bad[i]);
        cr_expect_null(local, "%s", bad[i]);
    }
}

Test(plug_words, every_word_quoted_and_joined_by_one_space)
{
    const char *a[] = {"rm", "-rf", "--", "/a b/$(x)'", NULL};
    const char *b[] = {"x", NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;

    cr_assert_eq(plug_words(&cmd, a), 0);
    cr_assert_str_eq(cmd.data, "'rm' '-rf' '--' '/a b/$(x)'\\'''");
    jiku_buf_reset(&cmd);
    cr_assert_eq(jiku_buf_adds(&cmd, "umask 077; "), 0);
    cr_assert_eq(plug_words(&cmd, b), 0);
    cr_assert_str_eq(cmd.data, "umask 077; 'x'");
    jiku_buf_release(&cmd);
}

Test(plug_digest, md5_sha256_and_size)
{
    struct plug_digest d;
    struct jiku_err err = {0};
    const char *good = MD5 "  /s/a.tar.gz\n"
                           "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
                           "  /s/a.tar.gz\n42\n";

    cr_assert_eq(plug_parse_digest(good, true, &d, &err), 0, "%s", err.msg);
    cr_assert_str_eq(d.md5, MD5);
    cr_assert_str_eq(d.sha256, SHA256);
    cr_assert_eq(d.size, 42);
    cr_assert_eq(plug_parse_digest("md5sum: x: No such file\n", true, &d, &err), JIKU_E_DATA);
    cr_assert_eq(plug_parse_digest(MD5 "  x\n", true, &d, &err), JIKU_E_DATA);
    cr_assert_eq(plug_parse_digest("garbage\n", true, &d, &err), JIKU_E_DATA);
    cr_assert_eq(plug_parse_digest("", true, &d, &err), JIKU_E_DATA);
}

Test(plug_digest, sha256_and_size_without_md5)
{
    struct plug_digest d;
    struct jiku_err err = {0};

    cr_assert_eq(plug_parse_digest(SHA256 "  /x\n1234\n", false, &d, &err), 0, "%s", err.msg);
    cr_assert_eq(d.size, 1234);
    cr_assert_str_eq(d.sha256, SHA256);
    cr_assert_str_eq(d.md5, "");
    /* An md5 line where none was asked for is not a sha256. */
    cr_assert_eq(plug_parse_digest(MD5 "  /x\n" SHA256 "  /x\n1\n", false, &d, &err), JIKU_E_DATA);
    cr_assert_eq(plug_parse_digest(SHA256 "  /x\n12x\n", false, &d, &err), JIKU_E_DATA);
    cr_assert_eq(plug_parse_digest("12\nabc  /x\n", false, &d, &err), JIKU_E_DATA);
}

Test(plug_jobs, job_dir_names_the_operation_and_step)
{
    struct jiku_server_info s = {.name = "p1", .snapshot_dir = "/snap"};
    struct jiku_err err = {0};
    char *a = NULL;

    cr_assert_eq(plug_job_dir(&s, "jiku-op-3-4", "restore", &a, &err), 0, "%s", err.msg);
    cr_assert_str_eq(a, "/snap/.jobs/jiku-op-3-4/restore");
    free(a);
    cr_assert_eq(plug_job_dir(&s, "../x", "restore", &a, &err), JIKU_E_INVAL);
    cr_assert_null(a);
    cr_assert_eq(plug_job_dir(&s, "op", "a/b", &a, &err), JIKU_E_INVAL);
    s.snapshot_dir = "relative";
    cr_assert_eq(plug_job_dir(&s, "op", "restore", &a, &err), JIKU_E_CONFIG);
    cr_assert_null(a);
}

Test(plug_jobs, poll_interval_grows_within_bounds)
{
    cr_assert_eq(plug_poll_interval(0, 10), 250);
    cr_assert_eq(plug_poll_interval(5000, 10), 500);
    cr_assert_eq(plug_poll_interval(60000, 10), 6000);
    cr_assert_eq(plug_poll_interval(600000, 10), 10000);
    cr_assert_eq(plug_poll_interval(600000, 2), 2000);
    /* No poll_max configured: ten seconds. */
    cr_assert_eq(plug_poll_interval(600000, 0), 10000);
}

/* ---- plug_run through a fake host --------------------------------------------------------- */

static struct {
    const char *out;
    int exit_status;
    bool truncated;
} fake_exec;

static int
fake_ssh_exec(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd, bool safe,
              size_t max_output, struct jiku_exec_result *res, struct jiku_err *err)
{
    (void)op, (void)server, (void)cmd, (void)safe, (void)max_output, (void)err;
    res->exit_status = fake_exec.exit_status;
    res->truncated = fake_exec.truncated;
    return jiku_buf_adds(&res->out, fake_exec.out);
}

static const struct jiku_host fake_host = {.ssh_exec = fake_ssh_exec};
static const struct jiku_server_info fake_server = {.name = "web1"};

Test(plug_run, cut_output_is_bad_data_never_an_answer)
{
    struct jiku_op op = {.host = &fake_host, .server = &fake_server};
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    struct jiku_err err = {0};

    fake_exec.out = "a\nb\n";
    fake_exec.exit_status = 0;
    fake_exec.truncated = false;
    cr_assert_eq(plug_run(&op, NULL, "ls", true, 4, "ls", &res, &err), 0);
    cr_assert_str_eq(res.out.data, "a\nb\n");
    jiku_exec_result_release(&res);

    /* The same bytes, but the core says more followed: refused, and RES released. */
    fake_exec.truncated = true;
    cr_assert_eq(plug_run(&op, NULL, "ls", true, 4, "listing", &res, &err), JIKU_E_DATA);
    cr_assert_not_null(strstr(err.msg, "listing on 'web1'"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "partial"), "%s", err.msg);
    cr_assert_eq(res.out.len, 0);
}

/* ---- a detached job's end: awaited on the server, polled as the fallback ------------------ */

static struct {
    int wait_r;                     /* what job_wait returns */
    enum jiku_job_state wait_state; /* and the state it reports */
    int polls_running;              /* job_poll says RUNNING this many times, then DONE */
    int starts, waits, polls, sleeps;
} jobs;

static int
jobs_start(struct jiku_op *op, const struct jiku_server_info *server, const char *job_dir,
           const char *cmd, struct jiku_err *err)
{
    (void)op, (void)server, (void)job_dir, (void)cmd, (void)err;
    jobs.starts++;
    return 0;
}

static int
jobs_wait(struct jiku_op *op, const struct jiku_server_info *server, const char *job_dir,
          unsigned max_s, struct jiku_job_status *st, struct jiku_err *err)
{
    (void)op, (void)server, (void)job_dir;
    cr_assert(max_s >= 2 && max_s <= 30, "a wait bounded by %u s", max_s);
    jobs.waits++;
    st->state = JIKU_JOB_MISSING;
    if (jobs.wait_r != 0)
        return jiku_err_set(err, jobs.wait_r, "ssh to 'web1': connection cut");
    st->state = jobs.wait_state;
    st->exit_status = jobs.wait_state == JIKU_JOB_DONE ? 0 : -1;
    return 0;
}

static int
jobs_poll(struct jiku_op *op, const struct jiku_server_info *server, const char *job_dir,
          struct jiku_job_status *st, struct jiku_err *err)
{
    (void)op, (void)server, (void)job_dir, (void)err;
    jobs.polls++;
    st->state = jobs.polls > jobs.polls_running ? JIKU_JOB_DONE : JIKU_JOB_RUNNING;
    st->exit_status = st->state == JIKU_JOB_DONE ? 0 : -1;
    return 0;
}

static int
jobs_sleep(struct jiku_op *op, unsigned ms)
{
    (void)op, (void)ms;
    jobs.sleeps++;
    return 0;
}

static void
jobs_progress(struct jiku_op *op, const struct jiku_progress *p)
{
    (void)op, (void)p;
}

static void
jobs_log(struct jiku_op *op, enum jiku_log_level level, const char *fmt, ...)
{
    (void)op, (void)level, (void)fmt;
}

static struct jiku_host jobs_host = {
    .abi_version = JIKU_HOST_ABI_VERSION,
    .struct_size = sizeof(struct jiku_host),
    .ssh_exec = fake_ssh_exec, /* the job directory's removal */
    .job_start = jobs_start,
    .job_wait = jobs_wait,
    .job_poll = jobs_poll,
    .sleep_ms = jobs_sleep,
    .progress = jobs_progress,
    .log = jobs_log,
};

/* plug_job_run of one job with JOBS set up; its status. */
static int
run_job(void)
{
    static const struct jiku_server_info srv = {.name = "web1", .timeout = 60, .poll_max = 1};
    struct jiku_op op = {.host = &jobs_host, .server = &srv};
    struct jiku_err err = {0};
    bool left = true;
    int r;

    fake_exec.out = "";
    fake_exec.exit_status = 0;
    fake_exec.truncated = false;
    r = plug_job_run(&op, NULL, "/var/jiku/.jobs/op1/step", "sleep 5", "the job", false, &left,
                     &err);
    cr_assert_eq(left, false, "%s", err.msg);
    return r;
}

Test(plug_jobs, a_job_is_awaited_on_the_server_not_polled)
{
    memset(&jobs, 0, sizeof(jobs));
    jobs.wait_state = JIKU_JOB_DONE;
    cr_assert_eq(run_job(), 0);
    cr_assert_eq(jobs.starts, 1);
    cr_assert_eq(jobs.waits, 1);
    cr_assert_eq(jobs.polls + jobs.sleeps, 0, "no poll, no pause");
}

Test(plug_jobs, a_cut_wait_falls_back_to_polls_and_never_starts_again)
{
    memset(&jobs, 0, sizeof(jobs));
    jobs.wait_r = JIKU_E_UNREACHABLE;
    jobs.polls_running = 2;
    cr_assert_eq(run_job(), 0);
    cr_assert_eq(jobs.starts, 1);
    cr_assert_eq(jobs.waits, 1, "no second wait once one failed");
    cr_assert_eq(jobs.polls, 3);
    cr_assert_eq(jobs.sleeps, 3, "every poll after a pause");
}

Test(plug_jobs, a_wait_that_answers_at_once_gives_way_to_polls)
{
    memset(&jobs, 0, sizeof(jobs));
    jobs.wait_state = JIKU_JOB_RUNNING; /* a server without tail --pid: RUNNING at once */
    jobs.polls_running = 1;
    cr_assert_eq(run_job(), 0);
    cr_assert_eq(jobs.waits, 1);
    cr_assert_eq(jobs.polls, 2);
    cr_assert_eq(jobs.sleeps, 2);
}

Test(plug_jobs, an_older_core_without_job_wait_is_polled)
{
    memset(&jobs, 0, sizeof(jobs));
    jobs_host.abi_version = (JIKU_HOST_ABI_MAJOR << 16) | 1;
    jobs.polls_running = 1;
    cr_assert_eq(run_job(), 0);
    jobs_host.abi_version = JIKU_HOST_ABI_VERSION;
    cr_assert_eq(jobs.waits, 0);
    cr_assert_eq(jobs.polls, 2);
}

/* ---- acting as a tree's owner ------------------------------------------------------------- */

Test(plug_owner, valid_user_names)
{
    cr_assert(plug_valid_user("acmeshop"));
    cr_assert(plug_valid_user("_svc"));
    cr_assert(plug_valid_user("plk.shop-1_x"));
    cr_assert_not(plug_valid_user(NULL));
    cr_assert_not(plug_valid_user(""));
    cr_assert_not(plug_valid_user("-rf"));
    cr_assert_not(plug_valid_user("Root"));
    cr_assert_not(plug_valid_user("a b"));
    cr_assert_not(plug_valid_user("a'b"));
    cr_assert_not(plug_valid_user("a$(id)"));
    cr_assert_not(plug_valid_user("abcdefghijklmnopqrstuvwxyz0123456"));
}

/* Run SCRIPT with /bin/sh from a private file; its stdout (bounded) into OUT; its exit status. */
static int
run_sh(const char *script, char *out, size_t size)
{
    char path[] = "/tmp/jiku-test-owner.XXXXXX";
    int fd = mkstemp(path), pfd[2], st;
    size_t n = 0;
    ssize_t k;
    pid_t pid;

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, script, strlen(script)), (ssize_t)strlen(script));
    close(fd);
    cr_assert_eq(pipe(pfd), 0);
    if ((pid = fork()) == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execl("/bin/sh", "sh", path, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    while (n < size - 1 && (k = read(pfd[0], out + n, size - 1 - n)) > 0)
        n += (size_t)k;
    out[n] = '\0';
    close(pfd[0]);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    unlink(path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(plug_owner, as_owner_runs_as_that_user_and_refuses_root)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_err err = {0};
    char out[256], want[64];
    struct passwd *pw = getpwnam("nobody");

    cr_assert_eq(geteuid(), 0, "setpriv needs root: the suite runs as root");
    cr_assert_not_null(pw);
    cr_assert_eq(plug_owner_prelude(&cmd, "nobody", &err), 0, "%s", err.msg);
    cr_assert_eq(plug_as_owner(&cmd, (const char *const[]){"id", "-u", NULL}), 0);
    cr_assert_eq(jiku_buf_adds(&cmd, "; as_owner pwd"), 0);
    cr_assert_eq(run_sh(cmd.data, out, sizeof(out)), 0);
    snprintf(want, sizeof(want), "%u\n/\n", (unsigned)pw->pw_uid);
    cr_assert_str_eq(out, want);

    /* A panel naming root as a tree's owner stops the script before anything runs. */
    jiku_buf_reset(&cmd);
    cr_assert_eq(plug_owner_prelude(&cmd, "root", &err), 0);
    cr_assert_eq(jiku_buf_adds(&cmd, "echo ran"), 0);
    cr_assert_eq(run_sh(cmd.data, out, sizeof(out)), 70);
    cr_assert_str_eq(out, "");
    jiku_buf_release(&cmd);

    cr_assert_eq(plug_owner_prelude(&cmd, "x'; rm -rf /", &err), JIKU_E_INVAL);
    jiku_buf_release(&cmd);
}

/* ---- the agent's stage records ------------------------------------------------------------ */

Test(plug_records, values_and_membership_match_whole_lines)
{
    static const char recs[] = "insid=26_1\ndomain=staging.a.example\n"
                               "domain=b.example\ncreated=1\ninsid=26_12\n";
    char *v;

    cr_assert(plug_records_have(recs, "insid", "26_1"));
    cr_assert(plug_records_have(recs, "insid", "26_12"));
    cr_assert_not(plug_records_have(recs, "insid", "26"), "a prefix of a value is not the value");
    cr_assert_not(plug_records_have(recs, "insid", "26_123"));
    cr_assert_not(plug_records_have(recs, "nsid", "26_1"), "a suffix of a key is not the key");
    cr_assert_not(plug_records_have("", "insid", "26_1"));
    cr_assert_not(plug_records_have(NULL, "insid", "26_1"));
    /* The last of several values wins; an absent key is NULL. */
    cr_assert_not_null(v = plug_record_get(recs, "domain"));
    cr_assert_str_eq(v, "b.example");
    free(v);
    cr_assert_not_null(v = plug_record_get("created=1", "created"));
    cr_assert_str_eq(v, "1");
    free(v);
    cr_assert_null(plug_record_get(recs, "path"));
    cr_assert_null(plug_record_get(recs, "domai"));
}
