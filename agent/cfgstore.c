/*
 * The configuration's store (cfgstore.h): the strings its structs borrow, its name indexes, and
 * the diagnostics of a load.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfgstore.h"
#include "config_int.h"
#include "jiku/buf.h"

/* Keep BLOCK (malloc()ed, or NULL) in the store; BLOCK, or NULL after freeing it. */
static void *
keep(struct cfg_parse *p, void *block)
{
    struct cfg_strings *st = &p->priv->strs;

    if (block != NULL && st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 64;
        void **v = realloc(st->v, cap * sizeof(*v));

        if (v == NULL) {
            free(block);
            block = NULL;
        } else {
            st->v = v;
            st->cap = cap;
        }
    }
    if (block == NULL) {
        p->nomem = true;
        return NULL;
    }
    st->v[st->n++] = block;
    return block;
}

/* The store's blocks; a request larger than a quarter of one gets a block of its own. */
#define CFG_BLOCK_SIZE 65536

/* SIZE bytes from the store, at a multiple of ALIGN (a power of two); NULL when out of memory. */
static void *
take(struct cfg_parse *p, size_t size, size_t align)
{
    struct cfg_strings *st = &p->priv->strs;
    size_t pad = (align - (uintptr_t)st->at % align) % align;
    char *block;

    if (st->at == NULL || pad + size > st->left) {
        size_t len = size > CFG_BLOCK_SIZE / 4 ? size : CFG_BLOCK_SIZE;

        /* malloc's blocks are aligned for any object */
        if ((block = keep(p, malloc(len))) == NULL || len == size)
            return block;
        st->at = block;
        st->left = len;
        pad = 0;
    }
    block = st->at + pad;
    st->at += pad + size;
    st->left -= pad + size;
    return block;
}

char *
cfg_intern_len(struct cfg_parse *p, const char *s, size_t len)
{
    char *copy = take(p, len + 1, 1);

    if (copy == NULL)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *
cfg_intern(struct cfg_parse *p, const char *s)
{
    return cfg_intern_len(p, s, strlen(s));
}

void *
cfg_alloc(struct cfg_parse *p, size_t size)
{
    void *block = take(p, size, _Alignof(max_align_t));

    if (block != NULL)
        memset(block, 0, size);
    return block;
}

char *
cfg_intern_fmt(struct cfg_parse *p, const char *fmt, ...)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    va_list ap;
    char *s = NULL;
    int r;

    va_start(ap, fmt);
    r = jiku_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    if (r == 0)
        s = cfg_intern(p, b.data);
    else
        p->nomem = true;
    jiku_buf_release(&b);
    return s;
}

void
cfg_strings_release(struct cfg_strings *st)
{
    for (size_t i = 0; i < st->n; i++)
        free(st->v[i]);
    free(st->v);
    memset(st, 0, sizeof(*st));
}

static void
vdiag(struct cfg_parse *p, bool is_error, const struct jiku_source *at, const char *fmt, va_list ap)
{
    struct jiku_buf b = JIKU_BUF_INIT;

    if (jiku_buf_vaddf(&b, fmt, ap) != 0) {
        p->nomem = true;
        if (is_error)
            p->diags->n_errors++;
    } else if (at->line > 0) {
        jiku_diag_add(p->diags, is_error, "%s:%d: %s", at->file, at->line, b.data);
    } else {
        jiku_diag_add(p->diags, is_error, "%s: %s", at->file, b.data);
    }
    jiku_buf_release(&b);
}

void
cfg_diag(struct cfg_parse *p, bool is_error, const struct jiku_source *at, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vdiag(p, is_error, at, fmt, ap);
    va_end(ap);
}

void
cfg_error(struct cfg_parse *p, const char *fmt, ...)
{
    struct jiku_source here = {p->file, p->line};
    va_list ap;

    va_start(ap, fmt);
    vdiag(p, true, &here, fmt, ap);
    va_end(ap);
}

/* FNV-1a: names are short, and a thousand of them must load in a blink. */
static size_t
hash_name(const char *s)
{
    uint64_t h = 14695981039346656037ULL;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

static size_t
find_slot(const struct cfg_slot *slots, size_t cap, const char *name)
{
    size_t i = hash_name(name) & (cap - 1);

    while (slots[i].name != NULL && strcmp(slots[i].name, name) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

int
cfg_index_put(struct cfg_index *ix, const char *name, size_t index)
{
    size_t i;

    if (ix->n * 2 >= ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 16;
        struct cfg_slot *slots = calloc(cap, sizeof(*slots));

        if (slots == NULL)
            return JIKU_E_NOMEM;
        for (size_t j = 0; j < ix->cap; j++)
            if (ix->slots[j].name != NULL)
                slots[find_slot(slots, cap, ix->slots[j].name)] = ix->slots[j];
        free(ix->slots);
        ix->slots = slots;
        ix->cap = cap;
    }
    i = find_slot(ix->slots, ix->cap, name);
    if (ix->slots[i].name == NULL)
        ix->n++;
    ix->slots[i].name = name;
    ix->slots[i].index = index;
    return 0;
}

bool
cfg_index_get(const struct cfg_index *ix, const char *name, size_t *index)
{
    size_t i;

    if (ix->cap == 0 || name == NULL)
        return false;
    i = find_slot(ix->slots, ix->cap, name);
    if (ix->slots[i].name == NULL)
        return false;
    *index = ix->slots[i].index;
    return true;
}

void
cfg_index_release(struct cfg_index *ix)
{
    free(ix->slots);
    memset(ix, 0, sizeof(*ix));
}
