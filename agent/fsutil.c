/*
 * Local directories for archives: created private, removed whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "jiku/buf.h"

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int
jiku_remove_tree(const char *path, struct jiku_err *err)
{
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        return jiku_err_set(err, JIKU_E_IO, "cannot remove '%s': %s", path, strerror(errno));
    return 0;
}

int
jiku_mkdir_private(const char *path, struct jiku_err *err)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    int r = 0;

    if (jiku_buf_adds(&b, path) != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    for (char *s = b.data + 1; r == 0; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(b.data, 0700) != 0 && errno != EEXIST)
            r = jiku_err_set(err, JIKU_E_IO, "cannot create directory '%s': %s", b.data,
                             strerror(errno));
        *s = c;
        if (c == '\0')
            break;
    }
    jiku_buf_release(&b);
    return r;
}

int
jiku_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                       struct jiku_err *err)
{
    struct jiku_buf tmp = JIKU_BUF_INIT;
    int fd = -1, r = 0, rc;
    bool made = false;

    if ((r = jiku_buf_addf(&tmp, "%s.XXXXXX", path)) != 0)
        return jiku_err_set(err, r, "out of memory");
    if ((fd = mkostemp(tmp.data, O_CLOEXEC)) < 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot create '%s': %s", tmp.data, strerror(errno));
        goto out;
    }
    made = true;
    if (fchmod(fd, mode) != 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot write '%s': %s", tmp.data, strerror(errno));
        goto out;
    }
    /* closed whatever close says: the descriptor is gone either way */
    rc = close(fd);
    fd = -1;
    if (rc != 0 || rename(tmp.data, path) != 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot replace '%s': %s", path, strerror(errno));
        goto out;
    }
out:
    if (fd >= 0)
        close(fd);
    if (r != 0 && made)
        unlink(tmp.data);
    jiku_buf_release(&tmp);
    return r;
}
