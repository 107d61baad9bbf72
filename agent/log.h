/*
 * The core's logging.  Destination (stderr or syslog) and level are chosen once at start; a
 * plugin logs through host->log (include/jiku/host.h), which lands here with the plugin's name
 * as prefix.  Messages never contain secrets.
 */
#ifndef JIKU_AGENT_LOG_H
#define JIKU_AGENT_LOG_H

#include <stdarg.h>
#include <stdint.h>

#include "jiku/log.h"

enum jiku_log_dest {
    JIKU_LOG_AUTO = 0, /* stderr on a tty, the system log otherwise */
    JIKU_LOG_STDERR,
    JIKU_LOG_SYSLOG, /* the system log: the journal when its socket is there, else syslog */
};

/* The structured fields of a record, for the journal (jiku-agent(8), MONITORING). */
struct jiku_log_fields {
    const char *target; /* JIKU_TARGET, or NULL */
    const char *action; /* JIKU_ACTION, or NULL */
    const char *result; /* JIKU_RESULT, or NULL */
    int exit_code;      /* JIKU_EXIT; -1: none */
};

void jiku_log_setup(enum jiku_log_dest dest, enum jiku_log_level max_level);
enum jiku_log_level jiku_log_level(void);
void jiku_log(enum jiku_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void jiku_vlog(enum jiku_log_level level, const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* JIKU_RUN of every journal record from now on: the catalog's run id. */
void jiku_log_set_run(int64_t run_id);
/*
 * An info record with FIELDS: an operation's end or a run's summary.  The system log always
 * gets it, whatever -q or -v say; stderr only with -v.
 */
void jiku_log_record(const struct jiku_log_fields *fields, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Always to syslog (LOG_AUTHPRIV|LOG_INFO) whatever the destination: audit lines, chain head. */
void jiku_log_syslog_only(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_error(...)                                                                             \
    do {                                                                                           \
        jiku_log(JIKU_LOG_ERROR, __VA_ARGS__);                                                     \
    } while (0)
#define log_warn(...)                                                                              \
    do {                                                                                           \
        jiku_log(JIKU_LOG_WARN, __VA_ARGS__);                                                      \
    } while (0)
#define log_info(...)                                                                              \
    do {                                                                                           \
        jiku_log(JIKU_LOG_INFO, __VA_ARGS__);                                                      \
    } while (0)
#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (jiku_log_level() >= JIKU_LOG_DEBUG)                                                    \
            jiku_log(JIKU_LOG_DEBUG, __VA_ARGS__);                                                 \
    } while (0)

#endif
