/*
 * New passwords (password.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "password.h"
#include "secret.h"

/*
 * The generator's alphabet: letters and digits without the look-alikes (0 O 1 l I), and signs
 * that mean nothing to an XML text node or a shell's `read -r` and that people can type.  57 +
 * 8 symbols: 24 characters carry about 144 bits.
 */
static const char upper[] = "ABCDEFGHJKLMNPQRSTUVWXYZ";
static const char lower[] = "abcdefghijkmnopqrstuvwxyz";
static const char digits[] = "23456789";
static const char signs[] = "%+-.:=@_";

int
jiku_password_read(const char *path, struct jiku_buf *out, struct jiku_err *err)
{
    int r;

    if ((r = jiku_secret_get(path, "password file", out, err)) != 0) {
        err->status = JIKU_E_USAGE;
        return JIKU_E_USAGE;
    }
    if (out->len < JIKU_PASSWORD_MIN || out->len > JIKU_PASSWORD_MAX)
        r = jiku_err_set(err, JIKU_E_USAGE, "password file '%s': expected %d to %d characters",
                         path, JIKU_PASSWORD_MIN, JIKU_PASSWORD_MAX);
    for (size_t i = 0; r == 0 && i < out->len; i++)
        if (out->data[i] < 0x20 || out->data[i] > 0x7e)
            r = jiku_err_set(err, JIKU_E_USAGE,
                             "password file '%s': expected one line of printable ASCII", path);
    if (r != 0)
        jiku_buf_release_secure(out);
    return r;
}

/* A random index below N (N ≤ 256), without the bias of a plain modulo. */
static int
random_below(unsigned n, unsigned *out, struct jiku_err *err)
{
    unsigned char b;

    for (;;) {
        if (getrandom(&b, 1, 0) != 1) {
            if (errno == EINTR)
                continue;
            return jiku_err_set(err, JIKU_E_FAILED, "getrandom: %s", strerror(errno));
        }
        if (b < 256 / n * n) {
            *out = b % n;
            return 0;
        }
    }
}

int
jiku_password_generate(struct jiku_buf *out, struct jiku_err *err)
{
    const char *classes[] = {upper, lower, digits, signs};
    char all[sizeof(upper) + sizeof(lower) + sizeof(digits) + sizeof(signs)];
    char pw[JIKU_PASSWORD_GENERATED];
    unsigned k = 0, have;
    int r = 0;

    snprintf(all, sizeof(all), "%s%s%s%s", upper, lower, digits, signs);
    /* Every class at least once, as panels' strength rules want: drawn again about 1 in 20. */
    do {
        have = 0;
        for (size_t i = 0; r == 0 && i < sizeof(pw); i++) {
            if ((r = random_below((unsigned)strlen(all), &k, err)) != 0)
                break;
            pw[i] = all[k];
            for (unsigned c = 0; c < 4; c++)
                if (strchr(classes[c], pw[i]) != NULL)
                    have |= 1u << c;
        }
    } while (r == 0 && have != 0xf);
    if (r == 0 && (r = jiku_buf_add(out, pw, sizeof(pw))) != 0)
        r = jiku_err_set(err, r, "out of memory");
    explicit_bzero(pw, sizeof(pw));
    return r;
}

int
jiku_password_save(const char *path, const struct jiku_buf *pw, struct jiku_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int r = 0;

    if (fd < 0)
        return jiku_err_set(err, JIKU_E_IO, "cannot create '%s': %s", path, strerror(errno));
    /* 0600 whatever the umask: the file is the password's only copy. */
    if (fchmod(fd, 0600) != 0 || write(fd, pw->data, pw->len) != (ssize_t)pw->len ||
        write(fd, "\n", 1) != 1 || fsync(fd) != 0)
        r = jiku_err_set(err, JIKU_E_IO, "cannot write '%s': %s", path, strerror(errno));
    if (close(fd) != 0 && r == 0)
        r = jiku_err_set(err, JIKU_E_IO, "cannot write '%s': %s", path, strerror(errno));
    if (r != 0)
        unlink(path);
    return r;
}
