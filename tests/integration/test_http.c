/*
 * The HTTPS transport against tests/fakes/faultd.py with certificates from
 * tests/fakes/certs.sh: TLS rules, retries, timeouts, caps, connection reuse, cancellation and
 * redaction of secrets in traces.  Every test starts its own server on 127.0.0.1 and stops it
 * by pid.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "fsutil.h"
#include "http.h"
#include "log.h"
#include "retry.h"
#include "run.h"

#define CERTS_SH JIKU_SOURCE_DIR "/tests/fakes/certs.sh"
#define FAULTD_PY JIKU_SOURCE_DIR "/tests/fakes/faultd.py"
#define MAX_PATHS 32

static struct {
    char dir[64];
    pid_t faultd;
    int port;
    char *paths[MAX_PATHS];
    size_t n_paths;
    struct jiku_config cfg;
    struct jiku_server_conf srv;
    struct jiku_http_opts opts;
    struct jiku_http *http;
    struct jiku_http_response resp;
    struct jiku_err err;
} t;

/* DIR/NAME; freed in teardown. */
static const char *
in_dir(const char *name)
{
    struct jiku_buf b = JIKU_BUF_INIT;

    cr_assert_lt(t.n_paths, MAX_PATHS);
    cr_assert_eq(jiku_buf_addf(&b, "%s/%s", t.dir, name), 0);
    t.paths[t.n_paths++] = jiku_buf_detach(&b);
    return t.paths[t.n_paths - 1];
}

/* Wait for PID at most SECONDS; 0 and its status, or -1 when it is still running. */
static int
wait_bounded(pid_t pid, int seconds, int *status)
{
    for (int i = 0; i < seconds * 20; i++) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        usleep(50000);
    }
    return -1;
}

static void
run_certs(void)
{
    int status = 0;
    pid_t pid = fork();

    cr_assert_neq(pid, -1);
    if (pid == 0) {
        execl("/bin/sh", "sh", CERTS_SH, t.dir, (char *)NULL);
        _exit(127);
    }
    cr_assert_eq(wait_bounded(pid, 60, &status), 0, "certs.sh did not finish");
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "certs.sh failed");
}

/*
 * Start faultd.py serving NAME.crt/NAME.key with FLAG (or none); its request log is
 * DIR/requests.log, its handshake log DIR/handshakes.log.
 */
static void
serve_with(const char *name, const char *flag)
{
    struct jiku_buf cert = JIKU_BUF_INIT, key = JIKU_BUF_INIT;
    char line[32] = "";
    size_t len = 0;
    int pfd[2];
    pid_t pid;

    cr_assert_eq(jiku_buf_addf(&cert, "%s/%s.crt", t.dir, name), 0);
    cr_assert_eq(jiku_buf_addf(&key, "%s/%s.key", t.dir, name), 0);
    cr_assert_eq(pipe(pfd), 0);
    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(pfd[1], STDOUT_FILENO);
        close(pfd[0]);
        close(pfd[1]);
        execlp("python3", "python3", FAULTD_PY, "--cert", cert.data, "--key", key.data, "--log",
               in_dir("requests.log"), "--handshakes", in_dir("handshakes.log"), "--lifetime",
               "120", flag, (char *)NULL);
        _exit(127);
    }
    t.faultd = pid;
    close(pfd[1]);
    /* The first line is the port; bounded at 15 s. */
    for (int i = 0; i < 150 && memchr(line, '\n', len) == NULL && len < sizeof(line) - 1; i++) {
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        if (poll(&p, 1, 100) > 0) {
            ssize_t n = read(pfd[0], line + len, sizeof(line) - 1 - len);
            if (n <= 0)
                break;
            len += (size_t)n;
            line[len] = '\0';
        }
    }
    close(pfd[0]);
    t.port = (int)strtol(line, NULL, 10);
    cr_assert(t.port > 0 && t.port < 65536, "faultd.py did not report a port");
    t.srv.info.api_port = t.port;
    jiku_buf_release(&cert);
    jiku_buf_release(&key);
}

static void
serve(const char *name)
{
    serve_with(name, NULL);
}

static char *
slurp(const char *path)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    char chunk[4096];
    ssize_t n;
    int fd = open(path, O_RDONLY);

    cr_assert_geq(fd, 0, "cannot open %s", path);
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        cr_assert_eq(jiku_buf_add(&b, chunk, (size_t)n), 0);
    close(fd);
    return jiku_buf_detach(&b);
}

/* Contents of DIR/NAME without the trailing newline (a pin). */
static const char *
read_pin(const char *name)
{
    char *s = slurp(in_dir(name));

    s[strcspn(s, "\n")] = '\0';
    cr_assert_lt(t.n_paths, MAX_PATHS);
    t.paths[t.n_paths++] = s;
    return s;
}

static size_t
count_requests(void)
{
    char *s = slurp(in_dir("requests.log"));
    size_t n = 0;

    for (char *p = s; *p != '\0'; p++)
        n += *p == '\n';
    free(s);
    return n;
}

/* Distinct client ports in the request log: the connections the client opened. */
static size_t
count_connections(void)
{
    char *s = slurp(in_dir("requests.log"));
    long ports[64];
    size_t n = 0;

    for (char *line = strtok(s, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *sp = strrchr(line, ' ');
        long port = sp ? strtol(sp + 1, NULL, 10) : -1;
        bool seen = false;

        for (size_t i = 0; i < n; i++)
            seen = seen || ports[i] == port;
        if (!seen && n < 64)
            ports[n++] = port;
    }
    free(s);
    return n;
}

static void
client(const char *ca, const char *pin)
{
    t.srv.ca_file = ca ? (char *)in_dir(ca) : NULL;
    t.srv.pinned_pubkey = pin ? (char *)read_pin(pin) : NULL;
    cr_assert_eq(jiku_http_new(&t.cfg, &t.opts, &t.http, &t.err), 0, "%s", t.err.msg);
}

/* One request with REQ; the previous response is released first. */
static int
call(const struct jiku_http_request *req)
{
    jiku_http_response_release(&t.resp);
    return jiku_http_request(t.http, &t.srv, req, &t.resp, &t.err);
}

static int
get(const char *path, bool safe)
{
    struct jiku_http_request req = {.method = "GET", .path = path, .safe_to_retry = safe};

    return call(&req);
}

static int
post(const char *path, bool safe)
{
    static const char body[] = "{\"start\":1}";
    struct jiku_http_request req = {.method = "POST",
                                    .path = path,
                                    .body = body,
                                    .body_len = sizeof(body) - 1,
                                    .content_type = "application/json",
                                    .safe_to_retry = safe};

    return call(&req);
}

static double
now_s(void)
{
    return (double)jiku_now_ms() / 1000.0;
}

static void
setup(void)
{
    memset(&t, 0, sizeof(t));
    t.faultd = -1;
    memcpy(t.dir, "/tmp/jiku-http-XXXXXX", sizeof("/tmp/jiku-http-XXXXXX"));
    cr_assert_not_null(mkdtemp(t.dir));
    run_certs();
    t.cfg.connect_timeout = 5;
    t.cfg.retry_deadline = 0;
    t.srv.info.name = "web1";
    t.srv.info.host = "127.0.0.1";
    t.opts.total_timeout = 20;
}

static void
teardown(void)
{
    int status;

    if (t.faultd > 0) {
        kill(t.faultd, SIGTERM);
        if (wait_bounded(t.faultd, 5, &status) != 0) {
            kill(t.faultd, SIGKILL);
            waitpid(t.faultd, &status, 0);
        }
    }
    jiku_http_response_release(&t.resp);
    jiku_http_free(t.http);
    if (t.dir[0] != '\0')
        jiku_remove_tree(t.dir, NULL);
    for (size_t i = 0; i < t.n_paths; i++)
        free(t.paths[i]);
}

TestSuite(http, .init = setup, .fini = teardown, .timeout = 90);

/* ------------------------------------------------------------------ TLS */

Test(http, right_ca_gives_the_body)
{
    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(get("/hello", true), 0, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 200);
    cr_assert_str_eq(t.resp.body.data, "{\"ok\": 1, \"path\": \"/hello\"}");
    cr_assert_null(t.resp.location);
}

static void
assert_tls_failure(int r)
{
    cr_assert_eq(r, JIKU_E_TLS, "got %d: %s", r, t.err.msg);
    cr_assert_eq(jiku_status_exit_code(r), 76);
    cr_assert_eq(count_requests(), 0, "a request went through an untrusted connection");
}

Test(http, other_ca_is_refused)
{
    serve("other");
    client("ca.crt", NULL);
    assert_tls_failure(get("/hello", true));
    cr_assert(strstr(t.err.msg, "web1") != NULL, "%s", t.err.msg);
}

Test(http, wrong_name_is_refused)
{
    serve("wrongname");
    client("ca.crt", NULL);
    assert_tls_failure(get("/hello", true));
}

Test(http, expired_certificate_is_refused)
{
    serve("expired");
    client("ca.crt", NULL);
    assert_tls_failure(get("/hello", true));
    cr_assert(strstr(t.err.msg, "expired") != NULL, "%s", t.err.msg);
}

Test(http, tls_failure_is_never_retried)
{
    double start;

    t.opts.retry_deadline = 30;
    serve("other");
    client("ca.crt", NULL);
    start = now_s();
    assert_tls_failure(get("/hello", true));
    /* Retrying would go on until the 30 s deadline. */
    cr_assert_lt(now_s() - start, 10.0);
}

Test(http, self_signed_without_pin_is_refused)
{
    serve("selfsigned");
    client(NULL, NULL);
    assert_tls_failure(get("/hello", true));
}

Test(http, pin_alone_trusts_a_self_signed_certificate)
{
    serve("selfsigned");
    client(NULL, "selfsigned-pin.txt");
    cr_assert_eq(get("/hello", true), 0, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 200);
}

Test(http, wrong_pin_alone_is_refused)
{
    serve("selfsigned");
    client(NULL, "pin.txt");
    assert_tls_failure(get("/hello", true));
}

Test(http, pin_alone_still_checks_the_name)
{
    serve("wrongname");
    client(NULL, "wrongname-pin.txt");
    assert_tls_failure(get("/hello", true));
}

Test(http, right_ca_and_right_pin_pass)
{
    serve("server");
    client("ca.crt", "pin.txt");
    cr_assert_eq(get("/hello", true), 0, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 200);
}

Test(http, right_ca_and_wrong_pin_is_refused)
{
    serve("server");
    client("ca.crt", "other-pin.txt");
    assert_tls_failure(get("/hello", true));
}

Test(http, right_pin_and_wrong_ca_is_refused)
{
    /* With both set, both must pass: the pin does not excuse the chain. */
    serve("selfsigned");
    client("ca.crt", "selfsigned-pin.txt");
    assert_tls_failure(get("/hello", true));
}

/* ------------------------------------------------------------------ retries */

Test(http, retry_after_503_then_success)
{
    double start;

    t.opts.retry_deadline = 20;
    serve("server");
    client("ca.crt", NULL);
    start = now_s();
    cr_assert_eq(get("/fault/503-then-200/a?ra=1", true), 0, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 200);
    cr_assert(strstr(t.resp.body.data, "\"attempt\": 2") != NULL);
    cr_assert_eq(count_requests(), 2);
    /* Retry-After: 1 was honoured (our own first backoff is at most 0.5 s). */
    cr_assert_geq(now_s() - start, 0.9);
}

Test(http, persistent_503_ends_unreachable_with_the_last_response)
{
    t.opts.retry_deadline = 3;
    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(get("/fault/503-then-200/b?n=100&ra=1", true), JIKU_E_UNREACHABLE, "%s",
                 t.err.msg);
    cr_assert_eq(t.resp.status, 503);
    cr_assert_str_eq(t.resp.body.data, "{\"error\":\"busy\"}");
    cr_assert(strstr(t.err.msg, "server answered HTTP 503") != NULL, "%s", t.err.msg);
    cr_assert_geq(count_requests(), 2);
}

Test(http, reset_on_a_safe_request_is_retried_then_unreachable)
{
    t.opts.retry_deadline = 2;
    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(get("/fault/reset/x", true), JIKU_E_UNREACHABLE, "%s", t.err.msg);
    cr_assert_eq(jiku_status_exit_code(JIKU_E_UNREACHABLE), 69);
    cr_assert_geq(count_requests(), 2);
    cr_assert(strstr(t.err.msg, "GET /fault/reset/x on 'web1' failed after") != NULL, "%s",
              t.err.msg);
}

Test(http, reset_on_an_unsafe_request_is_sent_once)
{
    t.opts.retry_deadline = 10;
    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(post("/fault/reset/x", false), JIKU_E_TRANSIENT, "%s", t.err.msg);
    cr_assert_eq(count_requests(), 1);
    cr_assert(strstr(t.err.msg, "POST /fault/reset/x on 'web1'") != NULL, "%s", t.err.msg);
}

/* Cut short on every try: a broken answer (65), not an unreachable server (69). */
Test(http, truncated_body_on_a_safe_request_is_retried_then_bad_data)
{
    t.opts.retry_deadline = 2;
    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(get("/fault/truncate/x", true), JIKU_E_DATA, "%s", t.err.msg);
    cr_assert_eq(jiku_status_exit_code(t.err.status), 65);
    cr_assert_geq(count_requests(), 2);
}

Test(http, truncated_body_on_an_unsafe_request_is_sent_once)
{
    t.opts.retry_deadline = 10;
    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(post("/fault/truncate/x", false), JIKU_E_TRANSIENT, "%s", t.err.msg);
    cr_assert_eq(count_requests(), 1);
}

Test(http, server_error_on_an_unsafe_request_is_transient_with_the_response)
{
    t.opts.retry_deadline = 10;
    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(post("/fault/status/x?code=500", false), JIKU_E_TRANSIENT, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 500);
    cr_assert_str_eq(t.resp.body.data, "{\"status\": 500}");
    cr_assert_eq(count_requests(), 1);
}

Test(http, client_errors_come_back_as_they_are)
{
    t.opts.retry_deadline = 10;
    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(get("/fault/status/x?code=401", true), 0, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 401);
    cr_assert_eq(get("/fault/status/y?code=404", true), 0, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 404);
    cr_assert_eq(count_requests(), 2);
}

static int
closed_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert_geq(fd, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

Test(http, refused_connection_is_transient)
{
    t.opts.retry_deadline = 1;
    client("ca.crt", NULL);
    t.srv.info.api_port = closed_port();
    cr_assert_eq(post("/start", false), JIKU_E_TRANSIENT, "%s", t.err.msg);
    cr_assert_eq(get("/probe", true), JIKU_E_UNREACHABLE, "%s", t.err.msg);
}

/*
 * A bare TCP listener for what faultd.py cannot do: break the TLS handshake itself.  RESET
 * reads the ClientHello and answers with an RST; PLAIN answers in clear-text HTTP.
 */
struct raw {
    int fd;
    bool reset;
    int accepted;
    pthread_t th;
};

static void *
raw_serve(void *arg)
{
    struct raw *rs = arg;
    static const char plain[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

    for (int i = 0; i < 8; i++) {
        struct pollfd p = {.fd = rs->fd, .events = POLLIN};
        char hello[4096];
        int c;

        if (poll(&p, 1, 10000) <= 0 || (c = accept(rs->fd, NULL, NULL)) < 0)
            break;
        rs->accepted++;
        p.fd = c;
        if (poll(&p, 1, 2000) > 0 && read(c, hello, sizeof(hello)) > 0) {
            if (rs->reset) {
                struct linger lg = {.l_onoff = 1, .l_linger = 0};
                setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
            } else if (write(c, plain, sizeof(plain) - 1) < 0) {
                /* the client gave up first: nothing to do */
            }
        }
        close(c);
    }
    return NULL;
}

static void
raw_start(struct raw *rs, bool reset)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);

    rs->reset = reset;
    rs->accepted = 0;
    rs->fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(rs->fd, 0);
    cr_assert_eq(bind(rs->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(rs->fd, 8), 0);
    cr_assert_eq(getsockname(rs->fd, (struct sockaddr *)&sa, &len), 0);
    t.srv.info.api_port = ntohs(sa.sin_port);
    cr_assert_eq(pthread_create(&rs->th, NULL, raw_serve, rs), 0);
}

static int
raw_stop(struct raw *rs)
{
    /* Wakes the thread's poll: accept then fails and the loop ends. */
    shutdown(rs->fd, SHUT_RDWR);
    pthread_join(rs->th, NULL);
    close(rs->fd);
    return rs->accepted;
}

Test(http, handshake_cut_by_a_reset_is_transient)
{
    struct raw rs;
    int r;

    t.opts.retry_deadline = 10;
    client("ca.crt", NULL);
    raw_start(&rs, true);
    r = post("/start", false);
    cr_assert_eq(raw_stop(&rs), 1);
    cr_assert_eq(r, JIKU_E_TRANSIENT, "got %d: %s", r, t.err.msg);
}

Test(http, clear_text_server_is_a_tls_failure)
{
    struct raw rs;
    int r;

    t.opts.retry_deadline = 10;
    client("ca.crt", NULL);
    raw_start(&rs, false);
    r = get("/probe", true);
    cr_assert_eq(raw_stop(&rs), 1, "a TLS failure was retried");
    cr_assert_eq(r, JIKU_E_TLS, "got %d: %s", r, t.err.msg);
}

/* ------------------------------------------------------------------ timeouts, caps */

Test(http, stall_times_out_within_the_bound)
{
    double start;

    t.opts.total_timeout = 2;
    serve("server");
    client("ca.crt", NULL);
    start = now_s();
    cr_assert_eq(get("/fault/stall/x", false), JIKU_E_TRANSIENT, "%s", t.err.msg);
    cr_assert_lt(now_s() - start, 10.0);
    cr_assert(strstr(t.err.msg, "timed out") != NULL, "%s", t.err.msg);
}

Test(http, low_speed_limit_ends_a_stalled_transfer)
{
    double start;

    t.opts.total_timeout = 60;
    t.opts.low_speed_time = 2;
    serve("server");
    client("ca.crt", NULL);
    start = now_s();
    cr_assert_eq(get("/fault/stall/x", false), JIKU_E_TRANSIENT, "%s", t.err.msg);
    cr_assert_lt(now_s() - start, 20.0);
}

static void
assert_capped(const char *path)
{
    struct jiku_http_request req = {
        .method = "GET", .path = path, .safe_to_retry = true, .max_response = 1 << 20};

    cr_assert_eq(call(&req), JIKU_E_DATA, "%s", t.err.msg);
    cr_assert(strstr(t.err.msg, "response from 'web1' exceeds 1 MiB") != NULL, "%s", t.err.msg);
    cr_assert_leq(t.resp.body.len, (size_t)1 << 20);
    jiku_http_response_release(&t.resp);
}

Test(http, response_over_the_cap_is_refused)
{
    t.opts.retry_deadline = 10;
    serve("server");
    client("ca.crt", NULL);
    assert_capped("/fault/big/x?size=2097152");
    assert_capped("/fault/big/y?size=2097152&chunked=1");
    /* Exactly at the cap is fine. */
    cr_assert_eq(get("/fault/big/z?size=1048576", true), 0, "%s", t.err.msg);
    cr_assert_eq(t.resp.body.len, (size_t)1 << 20);
    cr_assert_eq(count_requests(), 3, "a capped response was retried");
}

Test(http, default_cap_is_64_mib)
{
    t.opts.max_response = 1000;
    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(get("/fault/big/x?size=1001", true), JIKU_E_DATA, "%s", t.err.msg);
    cr_assert(strstr(t.err.msg, "exceeds 1000 bytes") != NULL, "%s", t.err.msg);
}

Test(http, garbage_is_returned_for_the_plugin_to_judge)
{
    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(get("/fault/garbage/x", true), 0, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 200);
    cr_assert_eq(t.resp.body.len, 256 * 4 + 4);
}

/* ------------------------------------------------------------------ input checks */

Test(http, header_with_crlf_is_refused_and_nothing_is_sent)
{
    struct jiku_http_header bad[] = {{"X-Note", "a\r\nX-Injected: 1", false}};
    struct jiku_http_header badname[] = {{"X Note", "a", false}};
    struct jiku_http_header lf[] = {{"Authorization", "Bearer x\nEvil: 1", true}};
    struct jiku_http_request req = {.method = "GET", .path = "/h", .headers = bad, .n_headers = 1};

    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(call(&req), JIKU_E_INVAL);
    req.headers = badname;
    cr_assert_eq(call(&req), JIKU_E_INVAL);
    req.headers = lf;
    cr_assert_eq(call(&req), JIKU_E_INVAL);
    cr_assert(strstr(t.err.msg, "Bearer") == NULL, "%s", t.err.msg);
    /* The server is up and logging: only this one arrives. */
    cr_assert_eq(get("/ok", true), 0, "%s", t.err.msg);
    cr_assert_eq(count_requests(), 1);
}

Test(http, bad_paths_and_methods_are_refused)
{
    struct jiku_http_request req = {.method = "DELETE", .path = "/x"};

    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(get("noslash", true), JIKU_E_INVAL);
    cr_assert_eq(get("/a b", true), JIKU_E_INVAL);
    cr_assert_eq(get("/a\r\nHost: evil", true), JIKU_E_INVAL);
    cr_assert_eq(get("//evil.example@x", true), 0, "%s", t.err.msg); /* still our host */
    cr_assert_eq(call(&req), JIKU_E_INVAL);
    t.srv.info.host = "evil.example/x?";
    cr_assert_eq(get("/x", true), JIKU_E_INVAL);
    cr_assert_eq(count_requests(), 1);
}

Test(http, redirects_are_returned_not_followed)
{
    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(get("/fault/redirect/x?to=https://127.0.0.1:1/stolen", true), 0, "%s", t.err.msg);
    cr_assert_eq(t.resp.status, 302);
    cr_assert_str_eq(t.resp.location, "https://127.0.0.1:1/stolen");
    cr_assert_eq(count_requests(), 1);
}

/* ------------------------------------------------------------------ reuse, cookies */

Test(http, keep_alive_reuses_one_connection)
{
    char path[32];

    serve("server");
    client("ca.crt", NULL);
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof(path), "/k%d", i);
        cr_assert_eq(get(path, true), 0, "%s", t.err.msg);
    }
    cr_assert_eq(count_requests(), 5);
    cr_assert_eq(count_connections(), 1);
    cr_assert_eq(jiku_http_handshakes(t.http), 1);
}

static void *
three_requests(void *arg)
{
    struct jiku_http_request req = {.method = "GET", .path = "/t", .safe_to_retry = true};
    intptr_t failures = 0;

    (void)arg;
    for (int i = 0; i < 3; i++) {
        struct jiku_http_response resp;
        struct jiku_err err;

        if (jiku_http_request(t.http, &t.srv, &req, &resp, &err) != 0 || resp.status != 200)
            failures++;
        jiku_http_response_release(&resp);
    }
    return (void *)failures;
}

Test(http, threads_share_the_client)
{
    pthread_t th[2];
    void *failures;

    serve("server");
    client("ca.crt", NULL);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, three_requests, NULL), 0);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(pthread_join(th[i], &failures), 0);
        cr_assert_null(failures);
    }
    cr_assert_eq(count_requests(), 6);
    cr_assert_eq(jiku_http_handshakes(t.http), count_connections());
    cr_assert_leq(jiku_http_handshakes(t.http), 2);
}

static int
echo(bool cookies, const struct jiku_http_header *headers, size_t n)
{
    struct jiku_http_request req = {.method = "GET",
                                    .path = "/fault/echo/x",
                                    .headers = headers,
                                    .n_headers = n,
                                    .use_cookies = cookies};

    return call(&req);
}

Test(http, cookies_only_when_asked)
{
    struct jiku_http_request login = {
        .method = "GET", .path = "/fault/cookie/x?value=sess42", .use_cookies = true};

    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(call(&login), 0, "%s", t.err.msg);
    cr_assert_eq(echo(true, NULL, 0), 0, "%s", t.err.msg);
    cr_assert(strstr(t.resp.body.data, "jikusess=sess42") != NULL, "%s", t.resp.body.data);
    cr_assert_eq(echo(false, NULL, 0), 0, "%s", t.err.msg);
    cr_assert(strstr(t.resp.body.data, "jikusess") == NULL, "%s", t.resp.body.data);
}

/* ------------------------------------------------------------------ what a run pays once */

/* The server's handshake log: "full" or "resumed", one line each. */
static const char *
handshakes(void)
{
    char *s = slurp(in_dir("handshakes.log"));

    cr_assert_lt(t.n_paths, MAX_PATHS);
    t.paths[t.n_paths++] = s;
    return s;
}

/* DIR/TO gets DIR/FROM's contents. */
static void
copy_in_dir(const char *from, const char *to)
{
    char *s = slurp(in_dir(from));

    cr_assert_eq(jiku_write_file_atomic(in_dir(to), s, strlen(s), 0644, &t.err), 0, "%s",
                 t.err.msg);
    free(s);
}

Test(http, a_second_handle_resumes_the_tls_session)
{
    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(get("/a", true), 0, "%s", t.err.msg);
    /* A cookie jar is a handle of its own: a new connection, the run's session. */
    cr_assert_eq(echo(true, NULL, 0), 0, "%s", t.err.msg);
    cr_assert_eq(count_connections(), 2);
    cr_assert_str_eq(handshakes(), "full\nresumed\n");
}

Test(http, a_handle_parses_its_ca_file_once)
{
    serve_with("server", "--no-resume");
    client("ca.crt", NULL);
    cr_assert_eq(get("/a", true), 0, "%s", t.err.msg);
    /*
     * The file now holds a CA the server's certificate does not chain to, yet the handle's
     * next connection (a start call's own, verified in a full handshake) still passes: it
     * verified against the store parsed the first time.
     */
    copy_in_dir("other-ca.crt", "ca.crt");
    cr_assert_eq(post("/start", false), 0, "%s", t.err.msg);
    cr_assert_str_eq(handshakes(), "full\nfull\n");
}

Test(http, a_cached_ca_or_session_never_vouches_for_another_ca_file)
{
    struct jiku_server_conf web1;

    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(get("/a", true), 0, "%s", t.err.msg);
    web1 = t.srv;
    /* Same handle, same host and port: another CA file builds its own store. */
    t.srv.ca_file = (char *)in_dir("other-ca.crt");
    cr_assert_eq(get("/b", true), JIKU_E_TLS, "%s", t.err.msg);
    /* Another server on the same address with that CA file: no session of web1's. */
    t.srv.info.name = "web2";
    cr_assert_eq(get("/c", true), JIKU_E_TLS, "%s", t.err.msg);
    cr_assert_eq(count_requests(), 1, "a request went through an untrusted connection");
    t.srv = web1;
    cr_assert_eq(get("/d", true), 0, "%s", t.err.msg);
}

Test(http, a_handle_idle_past_its_age_is_freed_and_its_session_resumed)
{
    t.opts.max_idle_ms = 200;
    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(get("/a", true), 0, "%s", t.err.msg);
    usleep(300 * 1000);
    /* An old handle is still taken when it is the one idle... */
    cr_assert_eq(get("/b", true), 0, "%s", t.err.msg);
    cr_assert_eq(count_connections(), 1);
    usleep(300 * 1000);
    /* ...but returning another handle (a cookie jar's) frees it... */
    cr_assert_eq(echo(true, NULL, 0), 0, "%s", t.err.msg);
    /* ...so the next request makes a new handle, which resumes the run's session. */
    cr_assert_eq(get("/c", true), 0, "%s", t.err.msg);
    cr_assert_eq(count_connections(), 3);
    cr_assert_str_eq(handshakes(), "full\nresumed\nresumed\n");
}

/* ------------------------------------------------------------------ cancellation */

static void *
raise_later(void *arg)
{
    (void)arg;
    usleep(1000 * 1000);
    kill(getpid(), SIGTERM);
    return NULL;
}

Test(http, signal_interrupts_a_slow_transfer)
{
    pthread_t th;
    double start;

    t.opts.total_timeout = 60;
    t.opts.low_speed_time = 60;
    cr_assert_eq(jiku_signals_install(&t.err), 0, "%s", t.err.msg);
    serve("server");
    client("ca.crt", NULL);
    cr_assert_eq(pthread_create(&th, NULL, raise_later, NULL), 0);
    start = now_s();
    cr_assert_eq(get("/fault/trickle/x?len=120", true), JIKU_E_INTERRUPTED, "%s", t.err.msg);
    /* Raised after 1 s; noticed within 3 s of that. */
    cr_assert_lt(now_s() - start, 4.0);
    cr_assert_eq(jiku_status_exit_code(JIKU_E_INTERRUPTED), 130);
    pthread_join(th, NULL);
    /* Nothing new starts once interrupted. */
    cr_assert_eq(get("/hello", true), JIKU_E_INTERRUPTED);
    jiku_interrupt_reset();
    cr_assert_eq(get("/hello", true), 0, "%s", t.err.msg);
}

/* ------------------------------------------------------------------ secrets */

Test(http, secrets_never_reach_the_trace)
{
    struct jiku_http_header hdrs[] = {
        {"Authorization", "whm root:TOKENSECRET1", false}, /* secret by name */
        {"X-Api-Key", "KEYSECRET2", true},                 /* secret by flag */
        {"X-Visible", "visible-value", false},
    };
    struct jiku_http_request login = {
        .method = "GET", .path = "/fault/cookie/x?value=COOKIESECRET3", .use_cookies = true};
    char *trace;
    int saved, fd;

    serve("server");
    client("ca.crt", NULL);
    fflush(stderr);
    saved = dup(STDERR_FILENO);
    fd = open(in_dir("trace.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    jiku_log_setup(JIKU_LOG_STDERR, JIKU_LOG_TRACE);

    int r1 = call(&login);
    int r2 = echo(true, hdrs, 3);

    jiku_log_setup(JIKU_LOG_STDERR, JIKU_LOG_WARN);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);

    cr_assert_eq(r1, 0, "%s", t.err.msg);
    cr_assert_eq(r2, 0, "%s", t.err.msg);
    /* The secrets were sent... */
    cr_assert(strstr(t.resp.body.data, "TOKENSECRET1") != NULL);
    cr_assert(strstr(t.resp.body.data, "KEYSECRET2") != NULL);
    cr_assert(strstr(t.resp.body.data, "COOKIESECRET3") != NULL);
    /* ...and traced, but never shown. */
    trace = slurp(in_dir("trace.txt"));
    cr_assert(strstr(trace, "X-Visible: visible-value") != NULL, "no trace:\n%s", trace);
    cr_assert(strstr(trace, "Authorization: <redacted>") != NULL, "%s", trace);
    cr_assert(strstr(trace, "bytes of body") != NULL, "%s", trace);
    cr_assert(strstr(trace, "TOKENSECRET1") == NULL, "%s", trace);
    cr_assert(strstr(trace, "KEYSECRET2") == NULL, "%s", trace);
    cr_assert(strstr(trace, "COOKIESECRET3") == NULL, "%s", trace);
    free(trace);
}
