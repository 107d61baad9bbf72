/*
 * RFC 3339 UTC times.  Parsing is strict on purpose: a manifest or a --since with a time we
 * would silently misread (a local offset, a day that does not exist) must be refused.
 */
#include "timefmt.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jiku/err.h"

#define RFC3339_LEN 20 /* "YYYY-MM-DDTHH:MM:SSZ" */
#define DATE_LEN 10    /* "YYYY-MM-DD" */

char *
jiku_time_rfc3339(time_t t)
{
    struct tm tm;
    char *s = NULL;

    if (gmtime_r(&t, &tm) == NULL)
        return NULL;
    if ((s = malloc(RFC3339_LEN + 1)) == NULL)
        return NULL;
    if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999 ||
        strftime(s, RFC3339_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) != RFC3339_LEN) {
        free(s);
        return NULL;
    }
    return s;
}

/* N decimal digits at S into *OUT; false unless all N are digits. */
static bool
digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* "YYYY-MM-DD", with DATE_ONLY false "YYYY-MM-DDTHH:MM:SS" too, at S: the time as in UTC. */
static int
parse_fields(const char *s, bool date_only, time_t *out)
{
    struct tm tm, check;
    int year, mon, day, hour = 0, min = 0, sec = 0;
    time_t t;

    if (!digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &mon) || s[7] != '-' ||
        !digits(s + 8, 2, &day))
        return JIKU_E_DATA;
    if (!date_only) {
        if (s[10] != 'T' || !digits(s + 11, 2, &hour) || s[13] != ':' || !digits(s + 14, 2, &min) ||
            s[16] != ':' || !digits(s + 17, 2, &sec))
            return JIKU_E_DATA;
    }
    /* No leap seconds: time_t cannot hold them and nothing we write has one. */
    if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
        sec > 59)
        return JIKU_E_DATA;

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    t = timegm(&tm);
    /* timegm normalises February 30 to March 2; going back and comparing refuses it. */
    if (t == (time_t)-1 || gmtime_r(&t, &check) == NULL || check.tm_year != year - 1900 ||
        check.tm_mon != mon - 1 || check.tm_mday != day)
        return JIKU_E_DATA;
    *out = t;
    return 0;
}

int
jiku_time_parse_rfc3339(const char *s, time_t *out)
{
    if (s == NULL || strlen(s) != RFC3339_LEN || s[19] != 'Z')
        return JIKU_E_DATA;
    return parse_fields(s, false, out);
}

/* After the seconds: an optional fraction, then "Z" or "+HH:MM"/"-HH:MM"; its offset in S. */
static int
parse_zone(const char *s, long *offset)
{
    int hh, mm;

    if (*s == '.') {
        if (s[1] < '0' || s[1] > '9')
            return JIKU_E_DATA;
        for (s++; *s >= '0' && *s <= '9'; s++)
            ;
    }
    if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
        *offset = 0;
        return 0;
    }
    if ((s[0] != '+' && s[0] != '-') || !digits(s + 1, 2, &hh) || s[3] != ':' ||
        !digits(s + 4, 2, &mm) || s[6] != '\0' || hh > 23 || mm > 59)
        return JIKU_E_DATA;
    *offset = (s[0] == '-' ? -1L : 1L) * (hh * 3600L + mm * 60L);
    return 0;
}

int
jiku_time_parse_date(const char *s, time_t *out)
{
    long offset;
    time_t t;

    if (s == NULL || strlen(s) < DATE_LEN)
        return JIKU_E_DATA;
    if (strlen(s) == DATE_LEN)
        return parse_fields(s, true, out);
    if (strlen(s) < RFC3339_LEN || parse_fields(s, false, &t) != 0 ||
        parse_zone(s + 19, &offset) != 0)
        return JIKU_E_DATA;
    *out = t - (time_t)offset;
    return 0;
}
