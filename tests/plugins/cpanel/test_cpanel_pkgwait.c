/*
 * Waiting for a pkgacct session (plugins/cpanel/pkgwait.c) through a fake host table: the
 * wait over SSH then one state call; and when the wait channel fails, answers garbage or is
 * wrong, polling WHM still brings the session to its end (docs/WIRE.md §2.4).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cpanel.h"
#include "fixture.h"

#define SID "web120261207221500AbCdEfGh12345678"

static struct {
    const char *waits[4];  /* what each wait command prints, in turn (NULL: "failed") */
    int wait_fails;        /* what ssh_exec returns instead */
    const char *states[4]; /* each get_pkgacct_session_state answer's state, in turn */
    int n_ssh, n_state, n_sleep, n_progress;
    char cmd[4096];
} fx;

static int
fake_ssh(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd, bool safe,
         size_t max_output, struct jiku_exec_result *res, struct jiku_err *err)
{
    const char *out = fx.n_ssh < 4 ? fx.waits[fx.n_ssh] : NULL;

    (void)op;
    (void)server;
    (void)max_output;
    cr_assert(safe, "the wait changes nothing: it may be repeated");
    snprintf(fx.cmd, sizeof(fx.cmd), "%s", cmd);
    fx.n_ssh++;
    if (fx.wait_fails != 0)
        return jiku_err_set(err, fx.wait_fails, "the connection was cut");
    res->exit_status = 0;
    jiku_buf_adds(&res->out, out != NULL ? out : "jiku-wait failed\n");
    return 0;
}

static int
fake_http(struct jiku_op *op, const struct jiku_server_info *server,
          const struct jiku_http_request *req, struct jiku_http_response *resp,
          struct jiku_err *err)
{
    const char *state = fx.n_state < 4 ? fx.states[fx.n_state] : NULL;

    (void)op;
    (void)server;
    (void)err;
    cr_assert_not_null(strstr(req->path, "/json-api/get_pkgacct_session_state?"), "%s", req->path);
    cr_assert_not_null(strstr(req->path, "session_id=" SID), "%s", req->path);
    cr_assert_not_null(state, "more state calls than the test expected");
    fx.n_state++;
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    jiku_buf_adds(&resp->body, "{\"data\":{\"state\":\"");
    jiku_buf_adds(&resp->body, state);
    jiku_buf_adds(&resp->body, "\"},\"metadata\":{\"result\":1,\"reason\":\"OK\"}}");
    return 0;
}

static int
fake_sleep(struct jiku_op *op, unsigned ms)
{
    (void)op;
    (void)ms;
    fx.n_sleep++;
    return 0;
}

static void
fake_progress(struct jiku_op *op, const struct jiku_progress *p)
{
    (void)op;
    cr_assert_str_eq(p->step, "pkgacct");
    fx.n_progress++;
}

static struct jiku_host host;
static const struct jiku_server_info server = {
    .name = "web1", .panel = "cpanel", .timeout = 60, .poll_max = 1};

static void
setup(void)
{
    fixture_setup();
    memset(&fx, 0, sizeof(fx));
    host = fake_host;
    host.ssh_exec = fake_ssh;
    host.http = fake_http;
    host.sleep_ms = fake_sleep;
    host.progress = fake_progress;
}

TestSuite(pkgwait, .init = setup, .fini = fixture_teardown);

/* Wait for SID; its status, the state in STATE. */
static int
wait_for(const char *sid, char *state, size_t len, struct jiku_err *err)
{
    struct jiku_op op = {.host = &host, .server = &server};

    return cpanel_pkgacct_wait(&op, NULL, "acmeshop", sid, state, len, err);
}

Test(pkgwait, the_wait_then_one_state_call)
{
    char state[16] = "";
    struct jiku_err err = {0};

    fx.waits[0] = "jiku-wait noupid\n"; /* within the start grace: waited for again */
    fx.waits[1] = "jiku-wait running\n";
    fx.waits[2] = "jiku-wait ended\n";
    fx.states[0] = "RUNNING"; /* after the bound: WHM says it still runs, so wait again */
    fx.states[1] = "COMPLETED";
    cr_assert_eq(wait_for(SID, state, sizeof(state), &err), 0, "%s", err.msg);
    cr_assert_str_eq(state, "COMPLETED");
    cr_assert_eq(fx.n_ssh, 3);
    cr_assert_eq(fx.n_state, 2, "one state call after the bound, one to confirm, no polls");
    cr_assert_eq(fx.n_sleep, 0, "no pause before the confirmation");
    cr_assert_geq(fx.n_progress, 3, "progress at each wait's return");
    cr_assert_not_null(strstr(fx.cmd, "'/var/cpanel/pkgacct_sessions/" SID "'"), "%s", fx.cmd);
    cr_assert_not_null(strstr(fx.cmd, "tail -s 0.1 --pid="), "%s", fx.cmd);
}

Test(pkgwait, a_pid_outliving_the_bound_is_not_taken_for_pkgacct)
{
    char state[16] = "";
    struct jiku_err err = {0};

    /* the session's pid was reused by a process that lives on: WHM knows the session ended */
    fx.waits[0] = "jiku-wait running\n";
    fx.waits[1] = "jiku-wait running\n";
    fx.states[0] = "COMPLETED";
    cr_assert_eq(wait_for(SID, state, sizeof(state), &err), 0, "%s", err.msg);
    cr_assert_str_eq(state, "COMPLETED");
    cr_assert_eq(fx.n_ssh, 1, "no second wait on a pid WHM no longer vouches for");
    cr_assert_eq(fx.n_state, 1);
}

Test(pkgwait, a_failed_job_is_its_state)
{
    char state[16] = "";
    struct jiku_err err = {0};

    fx.waits[0] = "jiku-wait ended\n";
    fx.states[0] = "FAILED";
    cr_assert_eq(wait_for(SID, state, sizeof(state), &err), 0, "%s", err.msg);
    cr_assert_str_eq(state, "FAILED");
}

/* The job ends while its wait channel is cut: polling WHM finds its end. */
Test(pkgwait, a_cut_wait_channel_falls_back_to_polls)
{
    char state[16] = "";
    struct jiku_err err = {0};

    fx.wait_fails = JIKU_E_TRANSIENT;
    fx.states[0] = "RUNNING";
    fx.states[1] = "RUNNING";
    fx.states[2] = "COMPLETED";
    cr_assert_eq(wait_for(SID, state, sizeof(state), &err), 0, "%s", err.msg);
    cr_assert_str_eq(state, "COMPLETED");
    cr_assert_eq(fx.n_ssh, 1, "a failed wait is not repeated");
    cr_assert_eq(fx.n_state, 3);
    cr_assert_eq(fx.n_sleep, 3, "a pause before each poll");
    cr_assert_not_null(strstr(host_log, "polling WHM"), "%s", host_log);
}

Test(pkgwait, garbage_or_no_session_falls_back_to_polls)
{
    const char *answers[] = {"jiku-wait nosession\n", "jiku-wait failed\n", "hello\n",
                             "jiku-wait ended\njiku-wait running\n", ""};

    for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
        char state[16] = "";
        struct jiku_err err = {0};

        memset(&fx, 0, sizeof(fx));
        fx.waits[0] = answers[i];
        fx.states[0] = "RUNNING";
        fx.states[1] = "COMPLETED";
        cr_assert_eq(wait_for(SID, state, sizeof(state), &err), 0, "%s", err.msg);
        cr_assert_str_eq(state, "COMPLETED");
        cr_assert_eq(fx.n_ssh, 1, "answer '%s'", answers[i]);
        cr_assert_eq(fx.n_state, 2, "answer '%s'", answers[i]);
        cr_assert_eq(fx.n_sleep, 2, "answer '%s': polls pause", answers[i]);
    }
    cr_assert_not_null(strstr(host_log, "pkgacct_sessions_dir"), "%s", host_log);
}

/* The wait saw the process end, WHM still says RUNNING: WHM decides, polled from then on. */
Test(pkgwait, whm_still_running_after_the_wait_is_polled)
{
    char state[16] = "";
    struct jiku_err err = {0};

    fx.waits[0] = "jiku-wait ended\n";
    fx.states[0] = "RUNNING";
    fx.states[1] = "COMPLETED";
    cr_assert_eq(wait_for(SID, state, sizeof(state), &err), 0, "%s", err.msg);
    cr_assert_str_eq(state, "COMPLETED");
    cr_assert_eq(fx.n_state, 2);
    cr_assert_eq(fx.n_sleep, 1);
}

/* A session id that is not a plain name never reaches a command: WHM is polled. */
Test(pkgwait, a_hostile_session_id_is_only_polled)
{
    const char *sids[] = {"/../../etc", "a b", "'x", "x;reboot", "a/b", "\n"};

    for (size_t i = 0; i < sizeof(sids) / sizeof(sids[0]); i++) {
        char state[16] = "", sid[64];
        struct jiku_err err = {0};

        memset(&fx, 0, sizeof(fx));
        fx.states[0] = "COMPLETED";
        /* fake_http wants SID in the query: put the hostile part after it. */
        snprintf(sid, sizeof(sid), SID "%s", sids[i]);
        cr_assert_eq(wait_for(sid, state, sizeof(state), &err), 0, "%s", err.msg);
        cr_assert_eq(fx.n_ssh, 0, "session id '%s' reached a command", sid);
    }
}

Test(pkgwait, interrupted_while_waiting)
{
    char state[16] = "";
    struct jiku_err err = {0};

    fx.wait_fails = JIKU_E_INTERRUPTED;
    cr_assert_eq(wait_for(SID, state, sizeof(state), &err), JIKU_E_INTERRUPTED);
    cr_assert_not_null(strstr(err.msg, "interrupted while pkgacct of 'acmeshop'"), "%s", err.msg);
    cr_assert_eq(fx.n_state, 0);
}
