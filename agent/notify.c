/*
 * Failure notices (jiku-agent(8), FAILURE NOTICES): the message, sendmail, and what the end of
 * a run sends.  Header values come from our own words, gethostname and checked addresses, and
 * each still passes header_value(), which keeps printable ASCII only: no source can end a
 * header and start another.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "notify.h"
#include "retry.h"
#include "session.h"
#include "textsafe.h"

/* How long sendmail gets to take the message and exit. */
#define SENDMAIL_WAIT_MS 60000
/* RFC 5322's line limit is 998 bytes; a longer body line is cut. */
#define BODY_LINE_MAX 900
/* The file in state_dir naming the systemd invocation whose failure the agent reported. */
#define REPORTED_FILE "notified-invocation"

/* VALUE with every byte outside printable ASCII as '?'. */
static int
header_value(struct jiku_buf *msg, const char *value)
{
    int r = 0;

    for (const char *p = value; r == 0 && *p != '\0'; p++)
        r = jiku_buf_addch(msg, *p >= 0x20 && *p < 0x7f ? *p : '?');
    return r;
}

static int
header(struct jiku_buf *msg, const char *name, const char *value)
{
    int r = jiku_buf_addf(msg, "%s: ", name);

    if (r == 0)
        r = header_value(msg, value);
    return r != 0 ? r : jiku_buf_adds(msg, "\n");
}

/* To: one address a line, folded (RFC 5322 allows 998 bytes a line; 32 addresses may not fit). */
static int
header_to(struct jiku_buf *msg, const char *const *to)
{
    int r = jiku_buf_adds(msg, "To: ");

    for (size_t i = 0; r == 0 && to != NULL && to[i] != NULL; i++)
        if ((r = i == 0 ? 0 : jiku_buf_adds(msg, ",\n\t")) == 0)
            r = header_value(msg, to[i]);
    return r != 0 ? r : jiku_buf_adds(msg, "\n");
}

/* LINES (any bytes): each line cleaned of control characters and cut at BODY_LINE_MAX. */
static int
body_lines(struct jiku_buf *msg, const char *lines)
{
    int r = 0;

    for (const char *p = lines; r == 0 && p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        struct jiku_buf line = JIKU_BUF_INIT;

        if ((r = jiku_text_add(&line, p, len, JIKU_TEXT_FIELD)) == 0) {
            if (line.len > BODY_LINE_MAX)
                line.data[BODY_LINE_MAX] = '\0';
            r = jiku_buf_addf(msg, "%s\n", line.data);
        }
        jiku_buf_release(&line);
        p = nl != NULL ? nl + 1 : NULL;
    }
    return r;
}

int
jiku_notice_compose(const struct jiku_notice *n, struct jiku_buf *msg)
{
    static const char days[][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char date[64];
    struct tm tm;
    int r;

    /* Spelled out: strftime's names follow the locale, RFC 5322's do not. */
    gmtime_r(&n->date, &tm);
    snprintf(date, sizeof(date), "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7],
             tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
             tm.tm_sec);
    if ((r = header_to(msg, n->to)) != 0 || (r = header(msg, "Subject", n->subject)) != 0 ||
        (r = header(msg, "Date", date)) != 0 ||
        (r = header(msg, "Auto-Submitted", "auto-generated")) != 0 ||
        (r = header(msg, "MIME-Version", "1.0")) != 0 ||
        (r = header(msg, "Content-Type", "text/plain; charset=utf-8")) != 0 ||
        (r = header(msg, "Content-Transfer-Encoding", "8bit")) != 0 ||
        (r = jiku_buf_adds(msg, "\n")) != 0 || (r = body_lines(msg, n->head)) != 0)
        return r;
    if (n->body != NULL && *n->body != '\0' && (r = jiku_buf_adds(msg, "\n")) == 0)
        r = body_lines(msg, n->body);
    return r;
}

/* Write MSG to FD (non-blocking) until DEADLINE_MS.  0, or -1 with errno set. */
static int
feed(int fd, const struct jiku_buf *msg, int64_t deadline_ms)
{
    size_t off = 0;

    while (off < msg->len) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        int64_t left = deadline_ms - jiku_now_ms();
        ssize_t w;

        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
            return -1;
        if ((w = write(fd, msg->data + off, msg->len - off)) < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

/* Wait for PID until DEADLINE_MS, then kill it.  Its wait status, or -1 when it was killed. */
static int
reap(pid_t pid, int64_t deadline_ms)
{
    int st;
    pid_t w;

    while ((w = waitpid(pid, &st, WNOHANG)) == 0 || (w < 0 && errno == EINTR)) {
        if (jiku_now_ms() >= deadline_ms) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            return -1;
        }
        poll(NULL, 0, 50);
    }
    return w == pid ? st : -1;
}

static int
run_sendmail(const char *path, const struct jiku_buf *msg, struct jiku_err *err)
{
    char *const argv[] = {(char *)path, "-t", "-oi", NULL};
    int64_t deadline = jiku_now_ms() + SENDMAIL_WAIT_MS;
    int fds[2] = {-1, -1}, st, r = 0;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) != 0)
        return jiku_err_set(err, JIKU_E_IO, "cannot run '%s': %s", path, strerror(errno));
    if ((pid = fork()) < 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot run '%s': %s", path, strerror(errno));
        goto out;
    }
    if (pid == 0) {
        /* The agent ignores SIGPIPE; an ignored signal stays ignored across exec. */
        signal(SIGPIPE, SIG_DFL);
        /* stdout carries the agent's results: what sendmail says goes to stderr. */
        if (dup2(fds[0], STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
            _exit(127);
        execv(path, argv);
        _exit(127);
    }
    close(fds[0]);
    fds[0] = -1;
    if (fcntl(fds[1], F_SETFL, O_NONBLOCK) != 0 || feed(fds[1], msg, deadline) != 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot hand the notice to '%s': %s", path,
                         strerror(errno));
        /* before the pipe closes: at its end a sendmail would send the message cut short */
        kill(pid, SIGKILL);
    }
    close(fds[1]);
    fds[1] = -1;
    st = reap(pid, deadline);
    if (r == 0 && st < 0)
        r = jiku_err_set(err, JIKU_E_IO, "'%s' did not finish within %d s, killed", path,
                         SENDMAIL_WAIT_MS / 1000);
    else if (r == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        r = jiku_err_set(err, JIKU_E_IO, "'%s' %s %d", path,
                         WIFEXITED(st) ? "exited with" : "was killed by signal",
                         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
out:
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    return r;
}

void
jiku_notice_send(const struct jiku_config *cfg, const struct jiku_notice *n)
{
    struct jiku_buf msg = JIKU_BUF_INIT;
    struct jiku_err err = {0};

    if (cfg->notify_mail == NULL || cfg->notify_mail[0] == NULL)
        return;
    if (jiku_notice_compose(n, &msg) != 0)
        log_warn("notice: out of memory");
    else if (run_sendmail(cfg->sendmail, &msg, &err) != 0)
        log_warn("notice: %s", err.msg);
    jiku_buf_release(&msg);
}

struct jiku_config *
jiku_notify_config(const char *path)
{
    struct jiku_config *cfg = NULL;
    struct jiku_err err = {0};

    if (jiku_config_load(path, JIKU_CONFIG_AGENT_ONLY, &cfg, NULL, &err) != 0)
        log_warn("notice: %s", err.msg);
    return cfg;
}

/* A systemd invocation id: 32 lowercase hex digits. */
static bool
valid_invocation(const char *id)
{
    return id != NULL && strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32;
}

/* state_dir/REPORTED_FILE into B. */
static int
reported_path(const struct jiku_config *cfg, struct jiku_buf *b)
{
    return jiku_buf_addf(b, "%s/%s", cfg->state_dir, REPORTED_FILE);
}

bool
jiku_notify_reported(const struct jiku_config *cfg, const char *id)
{
    struct jiku_buf path = JIKU_BUF_INIT;
    char seen[40] = "";
    bool same = false;
    FILE *fp;

    if (valid_invocation(id) && reported_path(cfg, &path) == 0 &&
        (fp = fopen(path.data, "re")) != NULL) {
        same = fgets(seen, sizeof(seen), fp) != NULL && strncmp(seen, id, 32) == 0 &&
               (seen[32] == '\n' || seen[32] == '\0');
        fclose(fp);
    }
    jiku_buf_release(&path);
    return same;
}

/* Record that this run reported invocation ID, replacing the record of an earlier one. */
static void
record_reported(const struct jiku_config *cfg, const char *id)
{
    struct jiku_buf path = JIKU_BUF_INIT, line = JIKU_BUF_INIT;
    struct jiku_err err = {0};

    if (reported_path(cfg, &path) != 0 || jiku_buf_addf(&line, "%s\n", id) != 0)
        log_warn("notice: out of memory");
    else if (jiku_write_file_atomic(path.data, line.data, line.len, 0600, &err) != 0)
        log_warn("notice: cannot record the reported invocation: %s", err.msg);
    jiku_buf_release(&path);
    jiku_buf_release(&line);
}

/* Whether a run that ends with EXIT_CODE is mailed under NOTIFY_ON (enum jiku_notify_on). */
static bool
worth_mailing(int notify_on, int exit_code)
{
    int least = exit_code == 0   ? JIKU_NOTIFY_ALWAYS
                : exit_code == 3 ? JIKU_NOTIFY_PARTIAL
                                 : JIKU_NOTIFY_FAILURE;

    return notify_on >= least;
}

void
jiku_notify_run(struct jiku_session *s, int exit_code)
{
    const char *invocation = getenv("INVOCATION_ID");
    bool nightly = s->out.command != NULL && strcmp(s->out.command, "nightly") == 0;
    bool systemd = valid_invocation(invocation);
    struct jiku_config *own = NULL;
    const struct jiku_config *cfg = s->cfg;
    struct jiku_buf head = JIKU_BUF_INIT, subject = JIKU_BUF_INIT;
    const char *notes = s->out.notes != NULL ? s->out.notes->data : NULL;
    char host[256];

    if (s->dry_run || s->notified || !(nightly || systemd))
        goto out;
    /* A configuration that did not load still names where to report. */
    if (cfg == NULL && (cfg = own = jiku_notify_config(s->config_path)) == NULL)
        goto out;
    /* A nightly that never started (it did not load) sends no /start, only how it ended. */
    if (nightly && s->ping == NULL)
        s->ping = jiku_ping_start(cfg->ping_url, false);
    jiku_ping_finish(s->ping, exit_code, notes);
    s->ping = NULL;
    if (worth_mailing(cfg->notify_on, exit_code)) {
        struct jiku_notice n = {.to = cfg->notify_mail, .date = time(NULL), .body = notes};

        jiku_text_host_name(host, sizeof(host));
        if (jiku_buf_addf(&subject, "jiku-agent %s on %s: %s (exit %d)", s->out.command, host,
                          jiku_exit_outcome(exit_code), exit_code) != 0 ||
            jiku_out_summary_text(&s->out, exit_code, &head) != 0) {
            log_warn("notice: out of memory");
            goto out;
        }
        n.subject = subject.data;
        n.head = head.data;
        jiku_notice_send(cfg, &n);
    }
    /* The unit fails with this code, and its OnFailure= must not report it again. */
    if (systemd && exit_code != 0)
        record_reported(cfg, invocation);
out:
    jiku_config_free(own);
    jiku_buf_release(&head);
    jiku_buf_release(&subject);
}
