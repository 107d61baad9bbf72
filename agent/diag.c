/* The diagnostics list of the configuration and tier-file loaders (diag.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

/* Longer words than this are never near anything: no key or action is that long. */
#define NEAR_MAX 64

/* Edit distance of A and B, a swap of two neighbours counting one (optimal string alignment). */
static size_t
distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t d[NEAR_MAX + 1][NEAR_MAX + 1];

    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

void
jiku_near_try(struct jiku_near *n, const char *candidate)
{
    size_t lw = strlen(n->word), lc = strlen(candidate), d;
    /* one edit in a short word, up to three in a long one: a guess, not a rewrite */
    size_t limit = lw <= 4 ? 1 : lw <= 9 ? 2 : 3;

    if (lw > NEAR_MAX || lc > NEAR_MAX || (lw > lc ? lw - lc : lc - lw) > limit)
        return;
    d = distance(n->word, lw, candidate, lc);
    if (d > 0 && d <= limit && (n->best == NULL || d < n->dist)) {
        n->best = candidate;
        n->dist = d;
    }
}
