/*
 * Diagnostics of the configuration and the tier files: "FILE:LINE: text" messages collected
 * while loading or checking, so that `config check` and `policy check` report every problem,
 * not only the first.  Errors make a load fail; warnings do not.
 */
#ifndef JIKU_DIAG_H
#define JIKU_DIAG_H

#include <stdbool.h>
#include <stddef.h>

/* Where a value came from, for messages: "FILE:LINE". */
struct jiku_source {
    const char *file; /* interned in the config; borrowed */
    int line;
};

struct jiku_diag {
    bool is_error;
    char *msg; /* "FILE:LINE: text" or "FILE: text" */
};

struct jiku_diags {
    struct jiku_diag *items;
    size_t n;
    size_t n_errors;
};

void jiku_diags_release(struct jiku_diags *d);
/* The message of the first error from item FROM on; NULL when there is none.  Borrowed. */
const char *jiku_diags_first_error(const struct jiku_diags *d, size_t from);
void jiku_diag_add(struct jiku_diags *d, bool is_error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
