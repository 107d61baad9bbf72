/*
 * The plugin tests' shared fixture (fixture.h).  Criterion runs each test in its own process,
 * so the globals are per test.
 */
#include "fixture.h"
#include "fsutil.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char dir[64];
char host_log[4096];

void
fixture_log(struct jiku_op *op, enum jiku_log_level level, const char *fmt, ...)
{
    size_t n = strlen(host_log);
    va_list ap;

    (void)op;
    (void)level;
    va_start(ap, fmt);
    vsnprintf(host_log + n, sizeof(host_log) - n, fmt, ap);
    va_end(ap);
    n = strlen(host_log);
    if (n + 1 < sizeof(host_log)) {
        host_log[n] = '\n';
        host_log[n + 1] = '\0';
    }
}

int
fixture_secret(struct jiku_op *op, const struct jiku_server_info *server, enum jiku_secret which,
               struct jiku_buf *out, struct jiku_err *err)
{
    (void)op;
    (void)server;
    (void)which;
    (void)err;
    return jiku_buf_adds(out, FIXTURE_TOKEN);
}

const struct jiku_host fake_host = {
    .abi_version = JIKU_HOST_ABI_VERSION,
    .struct_size = sizeof(struct jiku_host),
    .read_secret = fixture_secret,
    .log = fixture_log,
};

const char *
at(const char *name)
{
    static char bufs[4][PATH_SIZE];
    static unsigned next;
    char *b = bufs[next++ % 4];
    int n = snprintf(b, PATH_SIZE, "%s/%s", dir, name);

    cr_assert(n > 0 && n < PATH_SIZE);
    return b;
}

void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    cr_assert_geq(fd, 0, "cannot create '%s': %s", path, strerror(errno));
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    cr_assert_eq(fchmod(fd, mode), 0);
    close(fd);
}

void
install(const char *src, const char *name, mode_t mode)
{
    char buf[1 << 16];
    int in = open(src, O_RDONLY | O_CLOEXEC), out;
    ssize_t n;

    cr_assert_geq(in, 0, "cannot open '%s': %s", src, strerror(errno));
    out = open(at(name), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    cr_assert_geq(out, 0, "cannot create '%s': %s", at(name), strerror(errno));
    while ((n = read(in, buf, sizeof(buf))) > 0)
        cr_assert_eq(write(out, buf, (size_t)n), n);
    cr_assert_eq(n, 0);
    cr_assert_eq(fchmod(out, mode), 0);
    close(in);
    close(out);
}

void
fixture_setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/jiku-plugins-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(chmod(dir, 0755), 0);
    host_log[0] = '\0';
}

void
fixture_teardown(void)
{
    /* Put back what a test may have changed, or the walk cannot go in. */
    chmod(dir, 0755);
    jiku_remove_tree(dir, NULL);
}
