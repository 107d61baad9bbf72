/* The diagnostics list of the configuration and tier-file loaders (diag.h). */
#include <stdarg.h>
#include <stdlib.h>

#include "diag.h"
#include "jiku/buf.h"

void
jiku_diag_add(struct jiku_diags *d, bool is_error, const char *fmt, ...)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    struct jiku_diag *items;
    va_list ap;
    int r;

    /* An error counts even when there is no memory left to keep its message. */
    if (is_error)
        d->n_errors++;
    va_start(ap, fmt);
    r = jiku_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    if (r != 0 || (items = realloc(d->items, (d->n + 1) * sizeof(*items))) == NULL) {
        jiku_buf_release(&b);
        return;
    }
    d->items = items;
    d->items[d->n].is_error = is_error;
    d->items[d->n].msg = jiku_buf_detach(&b);
    d->n++;
}

void
jiku_diags_release(struct jiku_diags *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->items[i].msg);
    free(d->items);
    d->items = NULL;
    d->n = 0;
    d->n_errors = 0;
}

const char *
jiku_diags_first_error(const struct jiku_diags *d, size_t from)
{
    for (size_t i = from; i < d->n; i++)
        if (d->items[i].is_error)
            return d->items[i].msg;
    return NULL;
}
