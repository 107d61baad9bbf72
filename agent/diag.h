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

/*
 * The known word closest to a mistyped one, for "did you mean 'snapshot_dir'?": WORD is held
 * against each candidate in turn (jiku_near_try); the nearest, by edit distance with a swap of
 * two neighbours counted as one edit, is kept.  Both strings are borrowed.
 */
struct jiku_near {
    const char *word;
    const char *best; /* NULL until a candidate is near enough */
    size_t dist;
};
#define JIKU_NEAR_INIT(w)                                                                          \
    {                                                                                              \
        (w), NULL, 0                                                                               \
    }

/* Hold CANDIDATE against N->word; kept when nearer than the best so far and near enough. */
void jiku_near_try(struct jiku_near *n, const char *candidate);

#endif
