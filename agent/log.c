/*
 * Logging to stderr (a human is watching) or syslog (cron, systemd).  One line per message;
 * the destination is chosen once, before any thread starts.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "textsafe.h"

static enum jiku_log_dest log_dest = JIKU_LOG_STDERR;
static enum jiku_log_level log_max = JIKU_LOG_WARN;
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
    log_max = max_level;
}

enum jiku_log_level
jiku_log_level(void)
{
    return log_max;
}

void
jiku_vlog(enum jiku_log_level level, const char *prefix, const char *fmt, va_list ap)
{
    char line[2048];
    /* Every byte escaped at worst: four times the line, and the line is cut anyway. */
    char safe[4 * sizeof(line)];
    size_t off = 0;

    if (level > log_max)
        return;
    if (prefix != NULL && *prefix != '\0')
        off = (size_t)snprintf(line, sizeof(line), "%s: ", prefix);
    if (off < sizeof(line))
        vsnprintf(line + off, sizeof(line) - off, fmt, ap);
    /*
     * One record per line, and nothing that drives a terminal: a message quoting a customer's
     * file name or a panel's answer must never forge a second log line or clear the screen.
     */
    jiku_text_copy(safe, sizeof(safe), line, JIKU_TEXT_FIELD);

    pthread_mutex_lock(&log_lock);
    if (log_dest == JIKU_LOG_SYSLOG) {
        open_syslog();
        syslog(syslog_prio[level], "%s", safe);
    } else {
        fprintf(stderr, "jiku-agent: %s: %s\n", level_names[level], safe);
    }
    pthread_mutex_unlock(&log_lock);
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
