/*
 * Times as people and JSON see them: RFC 3339 in UTC, always with a "Z" and whole seconds
 * ("2026-11-27T02:15:00Z").  Used by manifests, list/history output and --since.
 */
#ifndef JIKU_TIMEFMT_H
#define JIKU_TIMEFMT_H

#include <time.h>

/* "YYYY-MM-DDTHH:MM:SSZ" for T; the caller owns the result (NULL when out of memory). */
char *jiku_time_rfc3339(time_t t);

/*
 * Parse exactly "YYYY-MM-DDTHH:MM:SSZ" (UTC, no fraction, no offset).  0, or JIKU_E_DATA for
 * anything else, including impossible dates such as February 30.
 */
int jiku_time_parse_rfc3339(const char *s, time_t *out);

/*
 * What people type for --since: "YYYY-MM-DD" (midnight UTC), or any RFC 3339 date-time
 * ("2026-12-01T10:00:00Z", "2026-12-01T12:00:00.5+02:00"; a fraction is dropped).  0 or
 * JIKU_E_DATA.
 */
int jiku_time_parse_date(const char *s, time_t *out);
/* What jiku_time_parse_date takes, for messages. */
#define JIKU_DATE_FORMS "YYYY-MM-DD or RFC 3339 (2026-12-01T10:00:00Z, 2026-12-01T12:00:00+02:00)"

#endif
