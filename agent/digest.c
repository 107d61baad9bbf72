#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"

static void
hex(const unsigned char *in, unsigned len, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (unsigned i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

int
jiku_digest_file(const char *path, uint64_t *size, char md5[33], char sha256[65],
                 struct jiku_err *err)
{
    enum { CHUNK = 1 << 18 };
    EVP_MD_CTX *m = EVP_MD_CTX_new(), *s = EVP_MD_CTX_new();
    unsigned char *buf = malloc(CHUNK), md[EVP_MAX_MD_SIZE];
    unsigned mdlen;
    uint64_t total = 0;
    ssize_t n;
    int fd = -1, r = 0;

    if (m == NULL || s == NULL || buf == NULL || !EVP_DigestInit_ex(m, EVP_md5(), NULL) ||
        !EVP_DigestInit_ex(s, EVP_sha256(), NULL)) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "cannot set up checksums");
        goto out;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        r = jiku_err_set(err, errno == ENOENT ? JIKU_E_NOTFOUND : JIKU_E_IO, "cannot open '%s': %s",
                         path, strerror(errno));
        goto out;
    }
    while ((n = read(fd, buf, CHUNK)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = jiku_err_set(err, JIKU_E_IO, "cannot read '%s': %s", path, strerror(errno));
            goto out;
        }
        EVP_DigestUpdate(m, buf, (size_t)n);
        EVP_DigestUpdate(s, buf, (size_t)n);
        total += (uint64_t)n;
    }
    EVP_DigestFinal_ex(m, md, &mdlen);
    hex(md, mdlen, md5);
    EVP_DigestFinal_ex(s, md, &mdlen);
    hex(md, mdlen, sha256);
    *size = total;
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    EVP_MD_CTX_free(m);
    EVP_MD_CTX_free(s);
    return r;
}
