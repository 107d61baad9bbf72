/*
 * The one sanitiser for human-readable text (textsafe.h): a strict UTF-8 decoder (RFC 3629:
 * no overlong forms, no surrogates, nothing past U+10FFFF) that passes printable characters
 * through and shows everything else byte by byte as \xNN.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jiku/err.h"
#include "textsafe.h"

/*
 * Length of the valid UTF-8 sequence at S (N bytes available) and its code point, or 0 when
 * the byte at S starts no valid sequence.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0f;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* past U+10FFFF */
    } else {
        return 0; /* a continuation byte, an overlong lead (0xc0, 0xc1) or 0xf5-0xff */
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    v = (v << 6) | (s[1] & 0x3f);
    for (size_t i = 2; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    *cp = v;
    return len;
}

/* Code points that are valid UTF-8 but must not reach a terminal raw. */
static bool
unsafe_code_point(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f)         /* C1 controls (0x9b is a CSI) */
           || cp == 0x061c                    /* Arabic letter mark */
           || (cp >= 0x200e && cp <= 0x200f)  /* LRM, RLM */
           || (cp >= 0x2028 && cp <= 0x202e)  /* line/paragraph separators, embeddings */
           || (cp >= 0x2066 && cp <= 0x2069); /* isolates */
}

/*
 * The next unit of S (N > 0 bytes): its length, and whether it is shown escaped (each of its
 * bytes as \xNN).  An invalid byte is a unit of one.
 */
static size_t
next_unit(const unsigned char *s, size_t n, enum jiku_text_mode mode, bool *escape)
{
    uint32_t cp = 0;
    size_t len = utf8_seq(s, n, &cp);

    if (len == 0) {
        *escape = true;
        return 1;
    }
    if (mode == JIKU_TEXT_UTF8)
        *escape = false;
    else if (cp < 0x20)
        *escape = !(cp == '\n' && mode == JIKU_TEXT_LINES);
    else
        *escape = cp == 0x7f || unsafe_code_point(cp);
    return len;
}

static void
hex_escape(char out[4], unsigned char c)
{
    static const char digits[] = "0123456789abcdef";

    out[0] = '\\';
    out[1] = 'x';
    out[2] = digits[c >> 4];
    out[3] = digits[c & 0xf];
}

int
jiku_text_add(struct jiku_buf *b, const char *s, size_t len, enum jiku_text_mode mode)
{
    const unsigned char *p = (const unsigned char *)s;
    char esc[4];
    bool escape;
    int r;

    /* Room for the clean case at once; escapes grow it further. */
    if ((r = jiku_buf_grow(b, len)) != 0)
        return r;
    while (len > 0) {
        size_t u = next_unit(p, len, mode, &escape);

        for (size_t i = 0; i < u && escape; i++) {
            hex_escape(esc, p[i]);
            if ((r = jiku_buf_add(b, esc, sizeof(esc))) != 0)
                return r;
        }
        if (!escape && (r = jiku_buf_add(b, p, u)) != 0)
            return r;
        p += u;
        len -= u;
    }
    return 0;
}

/* Length of S made safe for MODE. */
static size_t
safe_len(const unsigned char *p, size_t n, enum jiku_text_mode mode)
{
    size_t total = 0;
    bool escape;

    while (n > 0) {
        size_t u = next_unit(p, n, mode, &escape);

        total += escape ? 4 * u : u;
        p += u;
        n -= u;
    }
    return total;
}

size_t
jiku_text_copy(char *dst, size_t size, const char *s, enum jiku_text_mode mode)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), off = 0, limit;
    bool cut, escape;

    if (size == 0)
        return 0;
    cut = safe_len(p, n, mode) >= size;
    /* A cut text keeps room for "..." after its last whole unit. */
    limit = cut && size >= 4 ? size - 4 : size - 1;
    while (n > 0) {
        size_t u = next_unit(p, n, mode, &escape);

        if (off + (escape ? 4 * u : u) > limit)
            break;
        for (size_t i = 0; i < u; i++) {
            if (escape) {
                hex_escape(dst + off, p[i]);
                off += 4;
            } else {
                dst[off++] = (char)p[i];
            }
        }
        p += u;
        n -= u;
    }
    if (cut && size >= 4) {
        memcpy(dst + off, "...", 3);
        off += 3;
    }
    dst[off] = '\0';
    return off;
}

char *
jiku_text_dup(const char *s, enum jiku_text_mode mode)
{
    struct jiku_buf b = JIKU_BUF_INIT;

    if (s == NULL)
        return NULL;
    if (jiku_text_add(&b, s, strlen(s), mode) != 0) {
        jiku_buf_release(&b);
        return NULL;
    }
    return jiku_buf_detach(&b);
}

int
jiku_text_is_clean(const char *s, enum jiku_text_mode mode)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    bool escape;

    while (n > 0) {
        size_t u = next_unit(p, n, mode, &escape);

        if (escape)
            return 0;
        p += u;
        n -= u;
    }
    return 1;
}

void
jiku_text_host_name(char *buf, size_t len)
{
    char name[256];

    if (gethostname(name, sizeof(name)) != 0 || name[0] == '\0')
        snprintf(name, sizeof(name), "localhost");
    name[sizeof(name) - 1] = '\0';
    jiku_text_copy(buf, len, name, JIKU_TEXT_FIELD);
}
