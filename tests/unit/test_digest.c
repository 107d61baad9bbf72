/*
 * The digest pipe (agent/digest.c) that SFTP transfers write and hash through on a second
 * thread: the same md5 and sha256 as one thread reading the file, whatever the chunk sizes
 * and however many turns of its ring of buffers; a write that fails is an error naming the
 * file; a pipe dropped midway stops its thread without leaking.
 */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"

#define BUFSZ 4096

/* Deterministic bytes, so that a chunk boundary moved by one byte changes the digests. */
static unsigned char
byte_at(size_t i)
{
    return (unsigned char)((i * 2654435761u) >> 13);
}

/* Pushes TOTAL bytes through P in chunks of 1, 2, ... up to BUFSZ bytes, cycling. */
static void
push_all(struct jiku_digest_pipe *p, size_t total)
{
    struct jiku_err err = {0};
    size_t done = 0, step = 1;

    while (done < total) {
        size_t n = step < total - done ? step : total - done;
        char *buf = NULL;

        cr_assert_eq(jiku_digest_pipe_buffer(p, &buf, "f", &err), 0, "%s", err.msg);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)byte_at(done + i);
        jiku_digest_pipe_push(p, n);
        done += n;
        step = step * 7 % BUFSZ + 1;
    }
}

Test(digest, known_answer_through_the_pipe)
{
    struct jiku_digest_pipe *p = NULL;
    struct jiku_err err = {0};
    char md5[33], sha256[65], *buf = NULL;

    cr_assert_eq(jiku_digest_pipe_new(-1, BUFSZ, &p, &err), 0, "%s", err.msg);
    cr_assert_eq(jiku_digest_pipe_buffer(p, &buf, "f", &err), 0);
    memcpy(buf, "ab", 2);
    jiku_digest_pipe_push(p, 2);
    cr_assert_eq(jiku_digest_pipe_buffer(p, &buf, "f", &err), 0);
    memcpy(buf, "c", 1);
    jiku_digest_pipe_push(p, 1);
    cr_assert_eq(jiku_digest_pipe_finish(p, md5, sha256, "f", &err), 0, "%s", err.msg);
    cr_expect_str_eq(md5, "900150983cd24fb0d6963f7d28e17f72");
    cr_expect_str_eq(sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    jiku_digest_pipe_free(p);
}

Test(digest, file_written_and_hashed_across_many_turns_of_the_ring)
{
    char path[] = "/tmp/jiku-digest-XXXXXX";
    struct jiku_digest_pipe *p = NULL;
    struct jiku_err err = {0};
    char md5[33], sha256[65], fmd5[33], fsha256[65];
    size_t total = 300 * 1000 + 17;
    uint64_t size = 0;
    int fd = mkstemp(path);

    cr_assert_geq(fd, 0);
    cr_assert_eq(jiku_digest_pipe_new(fd, BUFSZ, &p, &err), 0, "%s", err.msg);
    push_all(p, total);
    cr_assert_eq(jiku_digest_pipe_finish(p, md5, sha256, path, &err), 0, "%s", err.msg);
    jiku_digest_pipe_free(p);
    close(fd);
    cr_assert_eq(jiku_digest_file(path, &size, fmd5, fsha256, &err), 0, "%s", err.msg);
    unlink(path);
    cr_expect_eq(size, total, "every byte pushed reached the file once, in order");
    cr_expect_str_eq(md5, fmd5);
    cr_expect_str_eq(sha256, fsha256);
}

Test(digest, write_error_names_the_file)
{
    struct jiku_digest_pipe *p = NULL;
    struct jiku_err err = {0};
    char md5[33], sha256[65], *buf = NULL;
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), r = 0;

    cr_assert_geq(fd, 0);
    cr_assert_eq(jiku_digest_pipe_new(fd, BUFSZ, &p, &err), 0, "%s", err.msg);
    /* The failure shows at a later buffer or at the end, whichever comes first. */
    for (int i = 0; i < 10 && r == 0; i++) {
        if ((r = jiku_digest_pipe_buffer(p, &buf, "/x/backup.tar", &err)) == 0) {
            memset(buf, 0, BUFSZ);
            jiku_digest_pipe_push(p, BUFSZ);
        }
    }
    if (r == 0)
        r = jiku_digest_pipe_finish(p, md5, sha256, "/x/backup.tar", &err);
    cr_expect_eq(r, JIKU_E_IO);
    cr_expect(strstr(err.msg, "cannot write '/x/backup.tar'") != NULL, "%s", err.msg);
    jiku_digest_pipe_free(p);
    close(fd);
}

Test(digest, dropped_midway_stops_the_thread)
{
    struct jiku_digest_pipe *p = NULL;
    struct jiku_err err = {0};

    cr_assert_eq(jiku_digest_pipe_new(-1, BUFSZ, &p, &err), 0, "%s", err.msg);
    push_all(p, 10 * BUFSZ);
    jiku_digest_pipe_free(p);
    jiku_digest_pipe_free(NULL);
}
