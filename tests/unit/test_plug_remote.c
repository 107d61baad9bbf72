/*
 * What both panel plugins share on a panel server (plugins/common/remote.c): the path rules
 * every remote word passes, quoted command words, the checksum output, the job directory's
 * name and the growing poll interval.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "remote.h"

#define MD5 "0123456789abcdef0123456789abcdef"
#define SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

Test(plug_paths, valid_path_refuses_what_a_shell_or_a_walk_could_misread)
{
    cr_assert(plug_valid_path("/home/jiku-snapshots/acmeshop/20261127T021500Z.acme.shop.s"));
    cr_assert(plug_valid_path("/var/lib/psa/dumps"));
    cr_assert_not(plug_valid_path("relative/path"));
    cr_assert_not(plug_valid_path("/"));
    cr_assert_not(plug_valid_path("/home/../etc"));
    cr_assert_not(plug_valid_path("/home/./x"));
    cr_assert_not(plug_valid_path("/home//x"));
    cr_assert_not(plug_valid_path("/home/x/"));
    cr_assert_not(plug_valid_path("/home/x y"));
    cr_assert_not(plug_valid_path("/home/x'y"));
    cr_assert_not(plug_valid_path("/home/$(id)"));
    cr_assert_not(plug_valid_path(NULL));
}

Test(plug_paths, inside_is_strictly_below)
{
    cr_assert(plug_path_inside("/s/u/1/cpmove-u.tar.gz", "/s/u"));
    cr_assert(plug_path_inside("/home/acmeshop/blog", "/home/acmeshop"));
    cr_assert_not(plug_path_inside("/s/u", "/s/u"));
    cr_assert_not(plug_path_inside("/s/user/x", "/s/u"));
    cr_assert_not(plug_path_inside("/s/u/../../etc", "/s/u"));
    cr_assert_not(plug_path_inside("/s/u/x", "relative"));
}

Test(plug_paths, one_component)
{
    cr_assert(plug_valid_component("jiku-op-1-2"));
    cr_assert(plug_valid_component("20261127T021500Z.acme.blog.s"));
    cr_assert_not(plug_valid_component(".."));
    cr_assert_not(plug_valid_component("."));
    cr_assert_not(plug_valid_component("-rf"));
    cr_assert_not(plug_valid_component("a/b"));
    cr_assert_not(plug_valid_component(""));
    cr_assert_not(plug_valid_component(NULL));
}

Test(plug_words, every_word_quoted_and_joined_by_one_space)
{
    const char *a[] = {"rm", "-rf", "--", "/a b/$(x)'", NULL};
    const char *b[] = {"x", NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;

    cr_assert_eq(plug_words(&cmd, a), 0);
    cr_assert_str_eq(cmd.data, "'rm' '-rf' '--' '/a b/$(x)'\\'''");
    jiku_buf_reset(&cmd);
    cr_assert_eq(jiku_buf_adds(&cmd, "umask 077; "), 0);
    cr_assert_eq(plug_words(&cmd, b), 0);
    cr_assert_str_eq(cmd.data, "umask 077; 'x'");
    jiku_buf_release(&cmd);
}

Test(plug_digest, md5_sha256_and_size)
{
    struct plug_digest d;
    struct jiku_err err = {0};
    const char *good = MD5 "  /s/a.tar.gz\n"
                           "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
                           "  /s/a.tar.gz\n42\n";

    cr_assert_eq(plug_parse_digest(good, true, &d, &err), 0, "%s", err.msg);
    cr_assert_str_eq(d.md5, MD5);
    cr_assert_str_eq(d.sha256, SHA256);
    cr_assert_eq(d.size, 42);
    cr_assert_eq(plug_parse_digest("md5sum: x: No such file\n", true, &d, &err), JIKU_E_DATA);
    cr_assert_eq(plug_parse_digest(MD5 "  x\n", true, &d, &err), JIKU_E_DATA);
    cr_assert_eq(plug_parse_digest("garbage\n", true, &d, &err), JIKU_E_DATA);
    cr_assert_eq(plug_parse_digest("", true, &d, &err), JIKU_E_DATA);
}

Test(plug_digest, sha256_and_size_without_md5)
{
    struct plug_digest d;
    struct jiku_err err = {0};

    cr_assert_eq(plug_parse_digest(SHA256 "  /x\n1234\n", false, &d, &err), 0, "%s", err.msg);
    cr_assert_eq(d.size, 1234);
    cr_assert_str_eq(d.sha256, SHA256);
    cr_assert_str_eq(d.md5, "");
    /* An md5 line where none was asked for is not a sha256. */
    cr_assert_eq(plug_parse_digest(MD5 "  /x\n" SHA256 "  /x\n1\n", false, &d, &err), JIKU_E_DATA);
    cr_assert_eq(plug_parse_digest(SHA256 "  /x\n12x\n", false, &d, &err), JIKU_E_DATA);
    cr_assert_eq(plug_parse_digest("12\nabc  /x\n", false, &d, &err), JIKU_E_DATA);
}

Test(plug_jobs, job_dir_names_the_operation_and_step)
{
    struct jiku_server_info s = {.name = "p1", .snapshot_dir = "/snap"};
    struct jiku_err err = {0};
    char *a = NULL;

    cr_assert_eq(plug_job_dir(&s, "jiku-op-3-4", "restore", &a, &err), 0, "%s", err.msg);
    cr_assert_str_eq(a, "/snap/.jobs/jiku-op-3-4/restore");
    free(a);
    cr_assert_eq(plug_job_dir(&s, "../x", "restore", &a, &err), JIKU_E_INVAL);
    cr_assert_null(a);
    cr_assert_eq(plug_job_dir(&s, "op", "a/b", &a, &err), JIKU_E_INVAL);
    s.snapshot_dir = "relative";
    cr_assert_eq(plug_job_dir(&s, "op", "restore", &a, &err), JIKU_E_CONFIG);
    cr_assert_null(a);
}

Test(plug_jobs, poll_interval_grows_within_bounds)
{
    cr_assert_eq(plug_poll_interval(0, 10), 250);
    cr_assert_eq(plug_poll_interval(5000, 10), 500);
    cr_assert_eq(plug_poll_interval(60000, 10), 6000);
    cr_assert_eq(plug_poll_interval(600000, 10), 10000);
    cr_assert_eq(plug_poll_interval(600000, 2), 2000);
    /* No poll_max configured: ten seconds. */
    cr_assert_eq(plug_poll_interval(600000, 0), 10000);
}
