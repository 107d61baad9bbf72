/*
 * Logging to stderr (a human is watching) or the system log (cron, systemd): the journal's
 * native protocol when journald's socket is there, with the structured fields of
 * jiku-agent(8), MONITORING, and syslog otherwise.  One line per message; the destination is
 * chosen before any thread starts.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "log.h"
#include "textsafe.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static enum jiku_log_dest log_dest = JIKU_LOG_STDERR;
static enum jiku_log_level log_max = JIKU_LOG_WARN;
static bool log_journal; /* the system log is the journal */
static int64_t log_run;
static int syslog_open;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"error", "warning", "info", "debug", "trace"};
static const int syslog_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_DEBUG};

static void
open_syslog(void)
{
    if (!syslog_open) {
        openlog("jiku-agent", LOG_PID, LOG_DAEMON);
        syslog_open = 1;
    }
}

void
jiku_log_setup(enum jiku_log_dest dest, enum jiku_log_level max_level)
{
    if (dest == JIKU_LOG_AUTO)
        dest = isatty(STDERR_FILENO) ? JIKU_LOG_STDERR : JIKU_LOG_SYSLOG;
    log_dest = dest;
    log_journal = dest == JIKU_LOG_SYSLOG && access(JOURNAL_SOCKET, F_OK) == 0;
    log_max = max_level;
}

void
jiku_log_set_run(int64_t run_id)
{
    log_run = run_id;
}

enum jiku_log_level
jiku_log_level(void)
{
    return log_max;
}

/* KEY=VALUE into the next of IOV's slots, in BUF (under log_lock); VALUE is one line. */
static void
field(struct iovec *iov, int *n, char *buf, size_t size, const char *key, const char *value)
{
    int len = snprintf(buf, size, "%s=%s", key, value);

    iov[*n] = (struct iovec){buf, (size_t)len < size ? (size_t)len : size - 1};
    (*n)++;
}

/* One journal entry; false when journald did not take it (the caller falls back to syslog). */
static bool
journal_send(enum jiku_log_level level, const struct jiku_log_fields *f, const char *line)
{
    static char msg[4 * 4096 + 16], bufs[7][256];
    struct iovec iov[9];
    char num[32];
    int n = 0;

    snprintf(num, sizeof(num), "%d", syslog_prio[level]);
    field(iov, &n, bufs[0], sizeof(bufs[0]), "PRIORITY", num);
    field(iov, &n, bufs[1], sizeof(bufs[1]), "SYSLOG_IDENTIFIER", "jiku-agent");
    field(iov, &n, msg, sizeof(msg), "MESSAGE", line);
    if (log_run > 0) {
        snprintf(num, sizeof(num), "%" PRId64, log_run);
        field(iov, &n, bufs[2], sizeof(bufs[2]), "JIKU_RUN", num);
    }
    if (f != NULL && f->target != NULL)
        field(iov, &n, bufs[3], sizeof(bufs[3]), "JIKU_TARGET", f->target);
    if (f != NULL && f->action != NULL)
        field(iov, &n, bufs[4], sizeof(bufs[4]), "JIKU_ACTION", f->action);
    if (f != NULL && f->result != NULL)
        field(iov, &n, bufs[5], sizeof(bufs[5]), "JIKU_RESULT", f->result);
    if (f != NULL && f->exit_code >= 0) {
        snprintf(num, sizeof(num), "%d", f->exit_code);
        field(iov, &n, bufs[6], sizeof(bufs[6]), "JIKU_EXIT", num);
    }
    return sd_journal_sendv(iov, n) >= 0;
}

/* LINE (already safe) with FIELDS (or NULL) to the destination. */
static void
emit(enum jiku_log_level level, const struct jiku_log_fields *fields, const char *line)
{
    pthread_mutex_lock(&log_lock);
    if (log_dest == JIKU_LOG_STDERR) {
        fprintf(stderr, "jiku-agent: %s: %s\n", level_names[level], line);
    } else if (!log_journal || !journal_send(level, fields, line)) {
        open_syslog();
        syslog(syslog_prio[level], "%s", line);
    }
    pthread_mutex_unlock(&log_lock);
}

/*
 * PREFIX: FMT into SAFE, one record per line and nothing that drives a terminal: a message
 * quoting a customer's file name or a panel's answer must never forge a second log line or
 * clear the screen.
 */
static void
format_safe(char *safe, size_t size, const char *prefix, const char *fmt, va_list ap)
{
    char line[2048];
    size_t off = 0;

    if (prefix != NULL && *prefix != '\0')
        off = (size_t)snprintf(line, sizeof(line), "%s: ", prefix);
    if (off < sizeof(line))
        vsnprintf(line + off, sizeof(line) - off, fmt, ap);
    jiku_text_copy(safe, size, line, JIKU_TEXT_FIELD);
}

/* Every byte escaped at worst: four times the line, and the line is cut anyway. */
#define SAFE_MAX (4 * 2048)

void
jiku_vlog(enum jiku_log_level level, const char *prefix, const char *fmt, va_list ap)
{
    char safe[SAFE_MAX];

    if (level > log_max)
        return;
    format_safe(safe, sizeof(safe), prefix, fmt, ap);
    emit(level, NULL, safe);
}

void
jiku_log_record(const struct jiku_log_fields *fields, const char *fmt, ...)
{
    char safe[SAFE_MAX];
    va_list ap;

    if (log_dest == JIKU_LOG_STDERR && JIKU_LOG_INFO > log_max)
        return;
    va_start(ap, fmt);
    format_safe(safe, sizeof(safe), NULL, fmt, ap);
    va_end(ap);
    emit(JIKU_LOG_INFO, fields, safe);
}

void
jiku_log(enum jiku_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    jiku_vlog(level, NULL, fmt, ap);
    va_end(ap);
}

void
jiku_log_syslog_only(const char *fmt, ...)
{
    /* An audit record quotes a whole error message and its reason. */
    char line[4096];
    char safe[4 * sizeof(line)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    jiku_text_copy(safe, sizeof(safe), line, JIKU_TEXT_FIELD);
    pthread_mutex_lock(&log_lock);
    open_syslog();
    syslog(LOG_INFO, "%s", safe);
    pthread_mutex_unlock(&log_lock);
}
