/* Local files of the agent's own: directories for archives (backup_dir), created 0700 and
 * removed whole, and small files replaced atomically. */
#ifndef JIKU_FSUTIL_H
#define JIKU_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "jiku/err.h"

/* Create PATH and any missing parents, each 0700 (archives hold dumps, keys and hashes). */
int jiku_mkdir_private(const char *path, struct jiku_err *err);
/* Remove the tree at PATH, not following symlinks; a missing PATH is not an error. */
int jiku_remove_tree(const char *path, struct jiku_err *err);
/*
 * Replace PATH with LEN bytes of DATA, mode MODE: written to a temporary file beside it,
 * synced, renamed over it.  A reader sees the old file or the new one, never a part.
 */
int jiku_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           struct jiku_err *err);

#endif
