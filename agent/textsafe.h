/*
 * Text from customers' servers is data.  File names, site URLs, owner values and panel
 * messages reach the admin's terminal and syslog only through this sanitiser: valid UTF-8
 * printable text stays as it is; every byte that could drive a terminal or forge a line is
 * shown as \xNN (two lowercase hex digits per byte).
 *
 * Escaped: C0 controls (0x00-0x1f, so ESC and with it every escape sequence, CR, TAB), DEL,
 * bytes that are not part of valid UTF-8 (raw C1 0x80-0x9f among them), C1 controls encoded as
 * UTF-8 (U+0080-U+009F), and the Unicode line separators and bidirectional controls that
 * reorder or break what a terminal shows (U+061C, U+200E-U+200F, U+2028-U+202E,
 * U+2066-U+2069).  A backslash stays as it is.
 */
#ifndef JIKU_TEXTSAFE_H
#define JIKU_TEXTSAFE_H

#include <stddef.h>

#include "jiku/buf.h"

enum jiku_text_mode {
    JIKU_TEXT_FIELD = 0, /* one line: a newline is escaped as \x0a like any control */
    JIKU_TEXT_LINES = 1, /* several lines of our own layout: '\n' is kept */
    JIKU_TEXT_UTF8 = 2,  /* a JSON string: only invalid UTF-8 is escaped; the JSON encoder
                            escapes controls itself (\u00XX) */
};

/* Append LEN bytes of S to B, made safe for MODE.  0 or JIKU_E_NOMEM. */
int jiku_text_add(struct jiku_buf *b, const char *s, size_t len, enum jiku_text_mode mode);

/*
 * The NUL-terminated S made safe into DST of SIZE bytes (SIZE > 0), always terminated.  What
 * does not fit is cut at a whole character or escape and marked with "...".  Returns the
 * length written.  For paths that must not allocate (logging).
 */
size_t jiku_text_copy(char *dst, size_t size, const char *s, enum jiku_text_mode mode);

/* S made safe, malloc'd; the caller frees it.  NULL when S is NULL or memory ran out. */
char *jiku_text_dup(const char *s, enum jiku_text_mode mode);

/* True when S needs no escaping in MODE. */
int jiku_text_is_clean(const char *s, enum jiku_text_mode mode);

/* This host's name, cleaned, into BUF of LEN bytes ("localhost" when it has none). */
void jiku_text_host_name(char *buf, size_t len);

#endif
