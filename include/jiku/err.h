/*
 * Status codes and error messages.
 *
 * Every fallible function returns 0 or a negative enum jiku_status and takes an optional
 * trailing struct jiku_err * for the message.  Each status maps to exactly one exit code of
 * jiku-agent (EXIT STATUS in jiku-agent(8)); the core keeps that table, a plugin only returns
 * the status that says what went wrong.
 */
#ifndef JIKU_ERR_H
#define JIKU_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum jiku_status {
    JIKU_OK = 0,
    JIKU_E_FAILED = -1,       /* generic failure                                → 1  */
    JIKU_E_PANEL = -2,        /* panel reported a job failed / ran past timeout → 1  */
    JIKU_E_DATA = -3,         /* unparsable or inconsistent answer, bad checksum → 65 */
    JIKU_E_NOTFOUND = -4,     /* no such target, artifact, account               → 66 */
    JIKU_E_UNREACHABLE = -5,  /* transient failures outlived retry_deadline      → 69 */
    JIKU_E_IO = -6,           /* local I/O: disk full, unwritable store          → 74 */
    JIKU_E_BUSY = -7,         /* lock stayed busy past lock_wait                 → 75 */
    JIKU_E_TLS = -8,          /* certificate or pin verification                 → 76 */
    JIKU_E_HOSTKEY = -9,      /* SSH host key not a MATCH                        → 76 */
    JIKU_E_DENIED = -10,      /* the policy layer said no                        → 77 */
    JIKU_E_AUTH = -11,        /* the panel refused our credentials               → 77 */
    JIKU_E_CONFIG = -12,      /* configuration error                             → 78 */
    JIKU_E_INTERRUPTED = -13, /* SIGINT/SIGTERM                                  → 130 */
    JIKU_E_USAGE = -14,       /* bad command line                                → 64 */
    JIKU_E_NOMEM = -15,       /* internal                                        → 1  */
    JIKU_E_INVAL = -16,       /* internal: a caller broke a contract             → 1  */
    JIKU_E_PLUGIN = -17,      /* plugin missing or misbehaving                   → 1  */
    JIKU_E_ABI = -18,         /* plugin ABI mismatch                             → 1  */
    JIKU_E_TRANSIENT = -19,   /* one transient failure, retry may help; becomes
                                 JIKU_E_UNREACHABLE once retry_deadline is spent → 69 */
    JIKU_E_UNSUPPORTED = -20, /* no plugin implements this action for this kind  → 1  */
};

#define JIKU_ERR_MSG_MAX 1024

/* A message slot; fixed size so that reporting an error never needs to allocate. */
struct jiku_err {
    int status;
    char msg[JIKU_ERR_MSG_MAX];
};

/*
 * Record STATUS and a printf-style message in ERR (which may be NULL) and return STATUS,
 * so callers can write `return jiku_err_set(err, JIKU_E_IO, "cannot open '%s': %s", p, e);`.
 */
int jiku_err_set(struct jiku_err *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int jiku_err_setv(struct jiku_err *err, int status, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Prepend "CONTEXT: " to the message already in ERR; returns err->status (or JIKU_E_FAILED). */
int jiku_err_prefix(struct jiku_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void jiku_err_clear(struct jiku_err *err);

#endif
