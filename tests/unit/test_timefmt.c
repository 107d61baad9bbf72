/*
 * RFC 3339 UTC times and --since dates.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "jiku/err.h"
#include "timefmt.h"

Test(timefmt, format)
{
    char *s = jiku_time_rfc3339(1795745700);

    cr_assert_str_eq(s, "2026-11-27T02:15:00Z");
    free(s);
    s = jiku_time_rfc3339(0);
    cr_assert_str_eq(s, "1970-01-01T00:00:00Z");
    free(s);
}

Test(timefmt, parse_round_trips)
{
    const time_t times[] = {0, 1709164800, 1795745700, 951782400 /* 2000-02-29 */, 2147483648};

    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        char *s = jiku_time_rfc3339(times[i]);
        time_t t = -1;
        cr_assert_not_null(s);
        cr_assert_eq(jiku_time_parse_rfc3339(s, &t), 0, "%s", s);
        cr_assert_eq(t, times[i], "%s", s);
        free(s);
    }
}

Test(timefmt, parse_refuses_everything_else)
{
    const char *bad[] = {
        "",
        "2026-11-27T02:15:00",
        "2026-11-27T02:15:00z",
        "2026-11-27t02:15:00Z",
        "2026-11-27 02:15:00Z",
        "2026-11-27T02:15:00.5Z",
        "2026-11-27T02:15:00+00:00",
        "2026-11-27T02:15:00Z ",
        " 2026-11-27T02:15:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-11-00T00:00:00Z",
        "2026-11-31T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-11-27T24:00:00Z",
        "2026-11-27T23:60:00Z",
        "2026-11-27T23:59:60Z",
        "1969-12-31T23:59:59Z",
        "+026-11-27T02:15:00Z",
        "2026-1-027T02:15:00Z",
        "2026-11-27",
    };
    time_t t = 42;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(jiku_time_parse_rfc3339(bad[i], &t), JIKU_E_DATA, "'%s'", bad[i]);
    cr_assert_eq(t, 42, "a refused time leaves the output alone");
    cr_assert_eq(jiku_time_parse_rfc3339(NULL, &t), JIKU_E_DATA);
}

Test(timefmt, leap_days)
{
    time_t t;

    cr_assert_eq(jiku_time_parse_rfc3339("2024-02-29T00:00:00Z", &t), 0);
    cr_assert_eq(t, 1709164800);
    cr_assert_eq(jiku_time_parse_rfc3339("2000-02-29T00:00:00Z", &t), 0);
    cr_assert_eq(jiku_time_parse_rfc3339("2100-02-29T00:00:00Z", &t), JIKU_E_DATA);
}

Test(timefmt, dates_for_since)
{
    time_t t;

    cr_assert_eq(jiku_time_parse_date("2026-11-27", &t), 0);
    cr_assert_eq(t, 1795737600);
    cr_assert_eq(jiku_time_parse_date("2026-11-27T02:15:00Z", &t), 0);
    cr_assert_eq(t, 1795745700);
    cr_assert_eq(jiku_time_parse_date("2026-11-31", &t), JIKU_E_DATA);
    cr_assert_eq(jiku_time_parse_date("2026-11-2", &t), JIKU_E_DATA);
    cr_assert_eq(jiku_time_parse_date("2026/11/27", &t), JIKU_E_DATA);
    cr_assert_eq(jiku_time_parse_date("yesterday", &t), JIKU_E_DATA);
    cr_assert_eq(jiku_time_parse_date("2026-11-27T", &t), JIKU_E_DATA);
    cr_assert_eq(jiku_time_parse_date(NULL, &t), JIKU_E_DATA);
}

/* --since takes what people paste: RFC 3339 with an offset or a fraction, and "z". */
Test(timefmt, since_takes_rfc3339_offsets)
{
    const char *bad[] = {
        "2026-11-27T02:15:00",       "2026-11-27T02:15:00+2:00",   "2026-11-27T02:15:00+02",
        "2026-11-27T02:15:00+24:00", "2026-11-27T02:15:00.Z",      "2026-11-27T02:15:00Z ",
        "2026-11-27 02:15:00Z",      "2026-11-27T02:15:00+02:00x",
    };
    time_t t;

    cr_assert_eq(jiku_time_parse_date("2026-11-27T04:15:00+02:00", &t), 0);
    cr_assert_eq(t, 1795745700);
    cr_assert_eq(jiku_time_parse_date("2026-11-26T21:45:00-04:30", &t), 0);
    cr_assert_eq(t, 1795745700);
    cr_assert_eq(jiku_time_parse_date("2026-11-27T02:15:00.999z", &t), 0);
    cr_assert_eq(t, 1795745700);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(jiku_time_parse_date(bad[i], &t), JIKU_E_DATA, "'%s'", bad[i]);
}
