/*
 * New passwords (agent/password.c): what --generate makes, what --password-file accepts, and
 * the --password-out file.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "password.h"

static char dir[64];

static void
setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/jiku-password.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
    struct jiku_err err = {0};

    cr_assert_eq(jiku_remove_tree(dir, &err), 0, "%s", err.msg);
}

TestSuite(password, .init = setup, .fini = teardown);

/* DIR/NAME in one of two rotating buffers: enough for a call's two paths. */
static const char *
path(const char *name)
{
    static char p[2][128];
    static int k;

    k = !k;
    snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
    return p[k];
}

static void
put(const char *name, const char *text, mode_t mode)
{
    FILE *fp = fopen(path(name), "w");

    cr_assert_not_null(fp);
    fputs(text, fp);
    fclose(fp);
    cr_assert_eq(chmod(path(name), mode), 0);
}

/* Every class each time, no look-alike, and no two of 200 alike. */
Test(password, generated)
{
    static char seen[200][JIKU_PASSWORD_GENERATED + 1];

    for (int i = 0; i < 200; i++) {
        struct jiku_buf pw = JIKU_BUF_INIT;
        struct jiku_err err = {0};

        cr_assert_eq(jiku_password_generate(&pw, &err), 0, "%s", err.msg);
        cr_assert_eq(pw.len, JIKU_PASSWORD_GENERATED);
        memcpy(seen[i], pw.data, pw.len);
        cr_assert_neq(strpbrk(seen[i], "ABCDEFGHJKLMNPQRSTUVWXYZ"), NULL, "%s", seen[i]);
        cr_assert_neq(strpbrk(seen[i], "abcdefghijkmnopqrstuvwxyz"), NULL, "%s", seen[i]);
        cr_assert_neq(strpbrk(seen[i], "23456789"), NULL, "%s", seen[i]);
        cr_assert_neq(strpbrk(seen[i], "%+-.:=@_"), NULL, "%s", seen[i]);
        cr_assert_eq(strpbrk(seen[i], "0O1lI \"'\\$`"), NULL, "%s", seen[i]);
        for (int k = 0; k < i; k++)
            cr_assert_str_neq(seen[k], seen[i]);
        jiku_buf_release_secure(&pw);
    }
}

Test(password, file_accepted_and_refused)
{
    struct jiku_buf pw = JIKU_BUF_INIT;
    struct jiku_err err = {0};

    put("good", "Correct Horse-7\n", 0600);
    cr_assert_eq(jiku_password_read(path("good"), &pw, &err), 0, "%s", err.msg);
    cr_assert_eq(pw.len, 15);
    cr_assert_eq(memcmp(pw.data, "Correct Horse-7", 15), 0);
    jiku_buf_release_secure(&pw);

    put("open", "Correct Horse-7\n", 0640);
    put("short", "seven77\n", 0600);
    put("tab", "Correct\tHorse-7\n", 0600);
    put("lines", "Correct-Horse-7\nsecond line\n", 0600);
    cr_assert_eq(symlink(path("good"), path("link")), 0);
    const char *bad[] = {"open", "short", "tab", "lines", "link", "missing"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = (struct jiku_err){0};
        cr_assert_eq(jiku_password_read(path(bad[i]), &pw, &err), JIKU_E_USAGE, "%s", bad[i]);
        cr_assert_eq(err.status, JIKU_E_USAGE);
        cr_assert_eq(pw.len, 0, "%s left a password behind", bad[i]);
        cr_assert_null(strstr(err.msg, "seven"), "%s", err.msg);
        cr_assert_null(strstr(err.msg, "Horse"), "%s", err.msg);
    }
}

/* A new 0600 file whatever the umask, never an existing one, nor through a link. */
Test(password, saved)
{
    struct jiku_buf pw = JIKU_BUF_INIT;
    struct jiku_err err = {0};
    char back[64] = {0};
    struct stat st;
    FILE *fp;

    cr_assert_eq(jiku_buf_adds(&pw, "Xy7%abcdefghijkmnopqrstu"), 0);
    umask(0);
    cr_assert_eq(jiku_password_save(path("out"), &pw, &err), 0, "%s", err.msg);
    cr_assert_eq(stat(path("out"), &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0600);
    cr_assert_not_null(fp = fopen(path("out"), "r"));
    cr_assert_not_null(fgets(back, sizeof(back), fp));
    fclose(fp);
    cr_assert_str_eq(back, "Xy7%abcdefghijkmnopqrstu\n");
    cr_assert_eq(jiku_password_save(path("out"), &pw, &err), JIKU_E_IO);
    cr_assert_eq(symlink(path("elsewhere"), path("dangling")), 0);
    cr_assert_eq(jiku_password_save(path("dangling"), &pw, &err), JIKU_E_IO);
    cr_assert_eq(access(path("elsewhere"), F_OK), -1, "a password was written through a link");
    jiku_buf_release_secure(&pw);
}
