/* Checksums of local files, streamed: md5 for panels that report it, sha256 for everything. */
#ifndef JIKU_DIGEST_H
#define JIKU_DIGEST_H

#include <stdint.h>

#include "jiku/err.h"

/* Size, md5 and sha256 (lowercase hex) of PATH; JIKU_E_NOTFOUND when it is missing. */
int jiku_digest_file(const char *path, uint64_t *size, char md5[33], char sha256[65],
                     struct jiku_err *err);

#endif
