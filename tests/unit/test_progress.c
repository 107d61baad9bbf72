/* The progress line: bytes, percentage, rate and ETA for transfers; elapsed time for jobs. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <unistd.h>

#include "progress.h"

Test(progress, transfer_line, .init = cr_redirect_stderr)
{
    struct jiku_progress p = {.step = "download", .done = 0, .total = 100 << 20};

    jiku_progress_show("acme/shop", &p);
    usleep(250 * 1000);
    p.done = 50 << 20;
    jiku_progress_show("acme/shop", &p);
    p.done = p.total;
    jiku_progress_show("acme/shop", &p);
    fflush(stderr);
    FILE *f = cr_get_redirected_stderr();
    char buf[2048] = {0};
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    cr_assert_gt(n, 0);
    cr_assert(strstr(buf, "acme/shop download: 50.0 MiB / 100.0 MiB (50%)") != NULL, "%s", buf);
    cr_assert(strstr(buf, "MiB/s ETA 0:") != NULL, "%s", buf);
    cr_assert(strstr(buf, "100.0 MiB / 100.0 MiB (100%)") != NULL, "%s", buf);
    cr_assert_eq(buf[n - 1], '\n', "a finished transfer ends its line");
}

Test(progress, job_line, .init = cr_redirect_stderr)
{
    struct jiku_progress p = {.step = "pkgacct", .done = 12, .state = "running"};

    jiku_progress_show("web1", &p);
    fflush(stderr);
    FILE *f = cr_get_redirected_stderr();
    char buf[512] = {0};
    cr_assert_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
    cr_assert(strstr(buf, "web1 pkgacct: 12s running") != NULL, "%s", buf);
}
