/*
 * struct jiku_buf: a growable, always NUL-terminated byte string.  cap 0 means data is the
 * static "" of jiku_buf_init, which nothing may write into or free.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jiku/buf.h"
#include "jiku/err.h"

void
jiku_buf_init(struct jiku_buf *b)
{
    *b = (struct jiku_buf)JIKU_BUF_INIT;
}

void
jiku_buf_release(struct jiku_buf *b)
{
    if (b->cap > 0)
        free(b->data);
    jiku_buf_init(b);
}

void
jiku_memzero(void *p, size_t len)
{
    /* A volatile function pointer keeps the compiler from dropping the store. */
    static void *(*const volatile set)(void *, int, size_t) = memset;

    if (p != NULL)
        set(p, 0, len);
}

void
jiku_buf_release_secure(struct jiku_buf *b)
{
    jiku_memzero(b->data, b->cap);
    jiku_buf_release(b);
}

void
jiku_buf_reset(struct jiku_buf *b)
{
    b->len = 0;
    if (b->cap > 0)
        b->data[0] = '\0';
}

int
jiku_buf_grow(struct jiku_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > SIZE_MAX - b->len - 1)
        return JIKU_E_NOMEM;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if ((p = realloc(b->cap > 0 ? b->data : NULL, cap)) == NULL)
        return JIKU_E_NOMEM;
    if (b->cap == 0)
        p[0] = '\0';
    b->data = p;
    b->cap = cap;
    return 0;
}

int
jiku_buf_add(struct jiku_buf *b, const void *data, size_t len)
{
    int r;

    if ((r = jiku_buf_grow(b, len)) != 0)
        return r;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int
jiku_buf_adds(struct jiku_buf *b, const char *s)
{
    return jiku_buf_add(b, s, strlen(s));
}

int
jiku_buf_addch(struct jiku_buf *b, char c)
{
    return jiku_buf_add(b, &c, 1);
}

int
jiku_buf_vaddf(struct jiku_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n, r;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return JIKU_E_INVAL;
    if ((r = jiku_buf_grow(b, (size_t)n)) != 0)
        return r;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int
jiku_buf_addf(struct jiku_buf *b, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = jiku_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return r;
}

char *
jiku_buf_detach(struct jiku_buf *b)
{
    char *s = b->cap > 0 ? b->data : calloc(1, 1);

    jiku_buf_init(b);
    return s;
}

void
jiku_buf_rtrim(struct jiku_buf *b)
{
    while (b->len > 0 && (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\t' ||
                          b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\r'))
        b->data[--b->len] = '\0';
}

/*
 * Inside single quotes a POSIX shell takes every byte literally except the closing quote, so
 * a quote is written as '\'' (close, escaped quote, reopen).  The empty word becomes ''.
 */
int
jiku_buf_add_shell_word(struct jiku_buf *b, const char *word)
{
    int r;

    if ((r = jiku_buf_addch(b, '\'')) != 0)
        return r;
    for (const char *p = word; *p != '\0'; p++) {
        if (*p == '\'')
            r = jiku_buf_adds(b, "'\\''");
        else
            r = jiku_buf_addch(b, *p);
        if (r != 0)
            return r;
    }
    return jiku_buf_addch(b, '\'');
}
