/*
 * The core's logging.  Destination (stderr or syslog) and level are chosen once at start; a
 * plugin logs through host->log (include/jiku/host.h), which lands here with the plugin's name
 * as prefix.  Messages never contain secrets.
 */
#ifndef JIKU_AGENT_LOG_H
#define JIKU_AGENT_LOG_H

#include <stdarg.h>

#include "jiku/log.h"

enum jiku_log_dest {
    JIKU_LOG_AUTO = 0, /* stderr on a tty, syslog otherwise */
    JIKU_LOG_STDERR,
    JIKU_LOG_SYSLOG,
};

void jiku_log_setup(enum jiku_log_dest dest, enum jiku_log_level max_level);
enum jiku_log_level jiku_log_level(void);
void jiku_log(enum jiku_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void jiku_vlog(enum jiku_log_level level, const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
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
