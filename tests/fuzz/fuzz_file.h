/*
 * The parsers under fuzzing read files, as the agent does: each input is written to one
 * file in a private directory made once per process.
 */
#ifndef JIKU_FUZZ_FILE_H
#define JIKU_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Write DATA to NAME in the fuzzer's directory; returns the path (static storage). */
const char *fuzz_write(const char *name, const uint8_t *data, size_t size);
/* The fuzzer's directory. */
const char *fuzz_dir(void);

#endif
