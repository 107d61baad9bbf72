/*
 * Error messages and the one status → exit code table (jiku-agent(8), EXIT STATUS).
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "jiku/err.h"

static const struct {
    int status;
    int exit_code;
    const char *name;
} status_table[] = {
    {JIKU_OK, 0, "ok"},
    {JIKU_E_FAILED, 1, "failed"},
    {JIKU_E_PANEL, 1, "panel"},
    {JIKU_E_DATA, 65, "data"},
    {JIKU_E_NOTFOUND, 66, "notfound"},
    {JIKU_E_UNREACHABLE, 69, "unreachable"},
    {JIKU_E_IO, 74, "io"},
    {JIKU_E_BUSY, 75, "busy"},
    {JIKU_E_TLS, 76, "tls"},
    {JIKU_E_HOSTKEY, 76, "hostkey"},
    {JIKU_E_DENIED, 77, "denied"},
    {JIKU_E_AUTH, 77, "auth"},
    {JIKU_E_CONFIG, 78, "config"},
    {JIKU_E_INTERRUPTED, 130, "interrupted"},
    {JIKU_E_USAGE, 64, "usage"},
    {JIKU_E_NOMEM, 1, "nomem"},
    {JIKU_E_INVAL, 1, "inval"},
    {JIKU_E_PLUGIN, 1, "plugin"},
    {JIKU_E_ABI, 1, "abi"},
    {JIKU_E_TRANSIENT, 69, "transient"},
    {JIKU_E_UNSUPPORTED, 1, "unsupported"},
};

#define N_STATUS (sizeof(status_table) / sizeof(status_table[0]))

int
jiku_status_exit_code(int status)
{
    for (size_t i = 0; i < N_STATUS; i++)
        if (status_table[i].status == status)
            return status_table[i].exit_code;
    return 1;
}

const char *
jiku_status_name(int status)
{
    for (size_t i = 0; i < N_STATUS; i++)
        if (status_table[i].status == status)
            return status_table[i].name;
    return "unknown";
}

int
jiku_err_setv(struct jiku_err *err, int status, const char *fmt, va_list ap)
{
    if (err != NULL) {
        err->status = status;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    }
    return status;
}

int
jiku_err_set(struct jiku_err *err, int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    jiku_err_setv(err, status, fmt, ap);
    va_end(ap);
    return status;
}

int
jiku_err_prefix(struct jiku_err *err, const char *fmt, ...)
{
    char prefix[JIKU_ERR_MSG_MAX];
    char old[JIKU_ERR_MSG_MAX];
    va_list ap;

    if (err == NULL)
        return JIKU_E_FAILED;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    /* A message too long for the slot keeps its beginning: the context is worth most. */
    if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) >= (int)sizeof(err->msg))
        memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
    return err->status != 0 ? err->status : JIKU_E_FAILED;
}

void
jiku_err_clear(struct jiku_err *err)
{
    if (err != NULL) {
        err->status = 0;
        err->msg[0] = '\0';
    }
}
