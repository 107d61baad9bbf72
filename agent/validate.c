/*
 * Validators for configuration values and command-line names.
 *
 * Everything that may end up in a panel request, a remote command or a log line passes one of
 * these first; they accept a narrow set on purpose.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "validate.h"

static bool
is_lower_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_alnum(int c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9][a-z0-9-]{0,62}, LEN bytes of S. */
static bool
valid_name_n(const char *s, size_t len)
{
    if (len == 0 || len > 63 || !is_lower_alnum((unsigned char)s[0]))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!is_lower_alnum((unsigned char)s[i]) && s[i] != '-')
            return false;
    return true;
}

bool
jiku_valid_name(const char *s)
{
    return s != NULL && valid_name_n(s, strlen(s));
}

/* S is [A-Za-z0-9][A-Za-z0-9EXTRA]{0,MAX-1}. */
static bool
valid_word(const char *s, size_t max, const char *extra)
{
    size_t len;

    if (s == NULL || (len = strlen(s)) == 0 || len > max || !is_alnum((unsigned char)s[0]))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!is_alnum((unsigned char)s[i]) && strchr(extra, s[i]) == NULL)
            return false;
    return true;
}

bool
jiku_valid_address_n(const char *s, size_t len, const char *local_extra)
{
    const char *at = memchr(s, '@', len);
    char domain[256];
    size_t local;

    if (at == NULL || (local = (size_t)(at - s)) == 0 || local > 64 || len - local - 1 >= 254)
        return false;
    for (size_t i = 0; i < local; i++)
        if (!is_alnum((unsigned char)s[i]) && (s[i] == '\0' || strchr(local_extra, s[i]) == NULL))
            return false;
    memcpy(domain, at + 1, len - local - 1);
    domain[len - local - 1] = '\0';
    return jiku_valid_hostname(domain);
}

bool
jiku_valid_mailbox(const char *s)
{
    return s != NULL && is_alnum((unsigned char)s[0]) && strstr(s, "..") == NULL &&
           jiku_valid_address_n(s, strlen(s), "._+-");
}

bool
jiku_valid_login(const char *s)
{
    return valid_word(s, 60, "._@-");
}

bool
jiku_valid_role(const char *s)
{
    return valid_word(s, 64, "._-");
}

bool
jiku_valid_target_id(const char *s)
{
    const char *slash;

    if (s == NULL || (slash = strchr(s, '/')) == NULL)
        return false;
    return valid_name_n(s, (size_t)(slash - s)) && jiku_valid_name(slash + 1);
}

/*
 * Labels of 1..63 letters, digits and hyphens, not starting or ending with a hyphen, so that
 * no host name can ever be read as an option by a program it is handed to.
 */
bool
jiku_valid_hostname(const char *s)
{
    size_t len, label = 0;

    if (s == NULL || (len = strlen(s)) == 0 || len > 253)
        return false;
    for (size_t i = 0; i <= len; i++) {
        char c = s[i];

        if (c == '.' || c == '\0') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
        } else if (is_alnum((unsigned char)c) || c == '-') {
            if (label == 0 && c == '-')
                return false;
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return true;
}

/* "/", or "/" followed by segments of safe characters; no "." or ".." segments. */
bool
jiku_valid_url_path(const char *s)
{
    size_t len;

    if (s == NULL || s[0] != '/' || (len = strlen(s)) > 1024)
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];

        if (!is_alnum((unsigned char)c) && !strchr("-._~/", c))
            return false;
    }
    for (const char *seg = s; seg != NULL; seg = strchr(seg + 1, '/')) {
        if (strncmp(seg, "/./", 3) == 0 || strcmp(seg, "/.") == 0 || strncmp(seg, "/../", 4) == 0 ||
            strcmp(seg, "/..") == 0 || strncmp(seg, "//", 2) == 0)
            return false;
    }
    return true;
}

/* Absolute, of characters no admin needs to quote, and without "." or ".." components. */
bool
jiku_valid_abs_path(const char *s)
{
    size_t len;

    if (s == NULL || s[0] != '/' || (len = strlen(s)) > 4095)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (!is_alnum((unsigned char)c) && !strchr("/._-+@,:~", c))
            return false;
    }
    for (const char *seg = s; seg != NULL; seg = strchr(seg + 1, '/')) {
        if (strncmp(seg, "/./", 3) == 0 || strcmp(seg, "/.") == 0 || strncmp(seg, "/../", 4) == 0 ||
            strcmp(seg, "/..") == 0)
            return false;
    }
    return true;
}

/* No atoi: the whole string must be decimal digits and the value within range. */
bool
cfg_parse_int(const char *s, long min, long max, int *out)
{
    char *end = NULL;
    long v;

    if (s == NULL || s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max || v > INT_MAX)
        return false;
    *out = (int)v;
    return true;
}

/* A WHM user, a Plesk login or an SSH user: [A-Za-z0-9_][A-Za-z0-9._@-]{0,63}. */
bool
cfg_valid_login(const char *s)
{
    size_t len;

    if (s == NULL || (len = strlen(s)) == 0 || len > 64)
        return false;
    if (!is_alnum((unsigned char)s[0]) && s[0] != '_')
        return false;
    for (size_t i = 1; i < len; i++)
        if (!is_alnum((unsigned char)s[i]) && !strchr("._@-", s[i]))
            return false;
    return true;
}

bool
cfg_valid_host(const char *s)
{
    unsigned char addr[16];

    return jiku_valid_hostname(s) || (s != NULL && inet_pton(AF_INET6, s, addr) == 1);
}

/*
 * http(s)://HOST[:PORT][/REST] without credentials (they would end up in logs) and without
 * characters that need quoting anywhere.
 */
bool
cfg_valid_url(const char *s)
{
    const char *host, *end;
    size_t hlen;

    if (s == NULL)
        return false;
    if (strncmp(s, "https://", 8) == 0)
        host = s + 8;
    else if (strncmp(s, "http://", 7) == 0)
        host = s + 7;
    else
        return false;
    end = host + strcspn(host, "/?#");
    hlen = (size_t)(end - host);
    if (hlen == 0 || hlen > 260)
        return false;
    for (const char *c = host; c < end; c++)
        if (!is_alnum((unsigned char)*c) && !strchr(".-:[]", *c))
            return false;
    for (const char *c = end; *c != '\0'; c++)
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f || strchr("\"'\\`<>{}|^", *c))
            return false;
    return strlen(s) <= 1024;
}

static bool
is_b64(int c)
{
    return is_alnum(c) || c == '+' || c == '/';
}

/* Value of one base64 digit; the caller has checked is_b64. */
static int
b64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : 63;
}

/*
 * "sha256//" + the canonical base64 of 32 bytes (43 digits and one '='), joined by ';' —
 * what CURLOPT_PINNEDPUBLICKEY takes.
 */
bool
cfg_valid_pins(const char *s)
{
    const char *pin = s;

    if (s == NULL || *s == '\0')
        return false;
    for (;;) {
        if (strncmp(pin, "sha256//", 8) != 0)
            return false;
        pin += 8;
        for (int i = 0; i < 43; i++)
            if (!is_b64((unsigned char)pin[i]))
                return false;
        /* 32 bytes use 256 of the 258 bits of 43 digits: the last 2 must be zero */
        if ((b64_value((unsigned char)pin[42]) & 3) != 0 || pin[43] != '=')
            return false;
        pin += 44;
        if (*pin == '\0')
            return true;
        if (*pin != ';')
            return false;
        pin++;
    }
}

/* Printable text for free-form values (contact): no control characters. */
bool
cfg_valid_text(const char *s)
{
    for (; s != NULL && *s != '\0'; s++)
        if ((unsigned char)*s < ' ' || (unsigned char)*s == 0x7f)
            return false;
    return s != NULL;
}
