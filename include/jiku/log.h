/*
 * Log levels.  A plugin logs through host->log (host.h); the core prefixes the plugin's name
 * and the target, and chooses the destination.  Messages never contain secrets.
 */
#ifndef JIKU_LOG_H
#define JIKU_LOG_H

enum jiku_log_level {
    JIKU_LOG_ERROR = 0,
    JIKU_LOG_WARN = 1,
    JIKU_LOG_INFO = 2,
    JIKU_LOG_DEBUG = 3,
    JIKU_LOG_TRACE = 4, /* -vvv: wire traces, always redacted */
};

#endif
