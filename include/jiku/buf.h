/*
 * A growable byte string in the manner of git's strbuf.  data is never NULL and always
 * NUL-terminated, so it can be used as a C string: an empty buffer points at a static ""
 * that belongs to nobody (cap is 0) until the first add allocates.  A buffer is initialised
 * with JIKU_BUF_INIT (also in static initialisers) or jiku_buf_init, never with memset or
 * {0}.  Only the functions here write into data while cap is 0.
 */
#ifndef JIKU_BUF_H
#define JIKU_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct jiku_buf {
    char *data;
    size_t len;
    size_t cap;
};

#define JIKU_BUF_INIT                                                                              \
    {                                                                                              \
        (char *)"", 0, 0                                                                           \
    }

void jiku_buf_init(struct jiku_buf *b);
/* Frees the storage (never the static "") and re-initialises B. */
void jiku_buf_release(struct jiku_buf *b);
/* As jiku_buf_release, but zeroes the storage first: for secrets. */
void jiku_buf_release_secure(struct jiku_buf *b);
void jiku_buf_reset(struct jiku_buf *b);
/* Make room for EXTRA more bytes; 0 or JIKU_E_NOMEM. */
int jiku_buf_grow(struct jiku_buf *b, size_t extra);
int jiku_buf_add(struct jiku_buf *b, const void *data, size_t len);
int jiku_buf_adds(struct jiku_buf *b, const char *s);
int jiku_buf_addch(struct jiku_buf *b, char c);
int jiku_buf_addf(struct jiku_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int jiku_buf_vaddf(struct jiku_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/*
 * Hands the string to the caller and re-initialises B: the storage itself, or a fresh
 * allocated "" when B has none; NULL only when that allocation fails.
 */
char *jiku_buf_detach(struct jiku_buf *b);
/* Drops trailing whitespace. */
void jiku_buf_rtrim(struct jiku_buf *b);

/*
 * Append WORD to B single-quoted for a POSIX shell: the one quoting function for every remote
 * command word (docs/SECURITY.md, "Transports and local files").  Every byte 0x01-0xff survives; a
 * NUL cannot be represented, so words are C strings.
 */
int jiku_buf_add_shell_word(struct jiku_buf *b, const char *word);

/* Zero LEN bytes at P in a way the compiler may not elide. */
void jiku_memzero(void *p, size_t len);

#endif
