/*
 * The configuration's store (cfgstore.c), private to the configuration loader like
 * config_int.h: the interned strings that the public structs of config.h borrow, the name
 * indexes behind jiku_config_server/customer/target, and the "FILE:LINE: msg" diagnostics of
 * a load (diag.h).
 */
#ifndef JIKU_CFGSTORE_H
#define JIKU_CFGSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

struct cfg_parse; /* config_int.h */

/*
 * Every interned string and block of one configuration, freed together: carved from large
 * blocks (V) rather than one malloc each, since a fleet's configuration holds a hundred
 * thousand of them.  AT and LEFT: the unused end of the last block.
 */
struct cfg_strings {
    void **v;
    size_t n, cap;
    char *at;
    size_t left;
};

/* Copy S into the config's string store; NULL (and P->nomem set) when out of memory. */
char *cfg_intern(struct cfg_parse *p, const char *s);
/* The same for the LEN bytes at S, which need no NUL. */
char *cfg_intern_len(struct cfg_parse *p, const char *s, size_t len);
char *cfg_intern_fmt(struct cfg_parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* SIZE zeroed bytes in the store (a panel's settings); NULL (P->nomem set) without memory. */
void *cfg_alloc(struct cfg_parse *p, size_t size);
void cfg_strings_release(struct cfg_strings *st);

/* A name → array index map with open addressing; names are borrowed interned strings. */
struct cfg_slot {
    const char *name;
    size_t index;
};

struct cfg_index {
    struct cfg_slot *slots;
    size_t cap; /* a power of two, or 0 */
    size_t n;
};

int cfg_index_put(struct cfg_index *ix, const char *name, size_t index);
bool cfg_index_get(const struct cfg_index *ix, const char *name, size_t *index);
void cfg_index_release(struct cfg_index *ix);

/* Add "FILE:LINE: msg" (or "FILE: msg" when the line is 0) to the load's diagnostics. */
void cfg_diag(struct cfg_parse *p, bool is_error, const struct jiku_source *at, const char *fmt,
              ...) __attribute__((format(printf, 4, 5)));
/* The same at the line being read now. */
void cfg_error(struct cfg_parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
