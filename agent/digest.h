/* Checksums of local files, streamed: md5 for panels that report it, sha256 for everything. */
#ifndef JIKU_DIGEST_H
#define JIKU_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "jiku/err.h"

/* Size, md5 and sha256 (lowercase hex) of PATH; JIKU_E_NOTFOUND when it is missing. */
int jiku_digest_file(const char *path, uint64_t *size, char md5[33], char sha256[65],
                     struct jiku_err *err);

/* The N bytes at IN as lowercase hex into OUT, which holds 2 * N + 1 bytes. */
void jiku_digest_hex(char *out, const unsigned char *in, size_t n);

/*
 * A stream's bytes written to a file and hashed (md5 and sha256) on a thread of their own,
 * while the caller fetches the next buffer: a transfer then needs the CPU time of the slower
 * side, not of both.  A few buffers of a fixed size circulate, so memory stays flat; the
 * result is the same as hashing in one thread.  Used by one thread at a time.
 */
struct jiku_digest_pipe;

/* A pipe into FD (or into the checksums only when FD < 0), buffers of SIZE bytes. */
int jiku_digest_pipe_new(int fd, size_t size, struct jiku_digest_pipe **out, struct jiku_err *err);
/*
 * A free buffer of SIZE bytes to fill, borrowed until the next jiku_digest_pipe_push; waits
 * while every buffer is queued.  JIKU_E_IO when a write into the file failed (ERR names PATH).
 */
int jiku_digest_pipe_buffer(struct jiku_digest_pipe *p, char **buf, const char *path,
                            struct jiku_err *err);
/* Queues the first N bytes of the buffer jiku_digest_pipe_buffer gave last. */
void jiku_digest_pipe_push(struct jiku_digest_pipe *p, size_t n);
/* Waits until everything queued is written and hashed: md5 and sha256 in lowercase hex. */
int jiku_digest_pipe_finish(struct jiku_digest_pipe *p, char md5[33], char sha256[65],
                            const char *path, struct jiku_err *err);
/* Stops the thread (dropping what is still queued) and frees P; NULL-safe. */
void jiku_digest_pipe_free(struct jiku_digest_pipe *p);

#endif
