/* Local directories for archives (backup_dir): created 0700, removed whole. */
#ifndef JIKU_FSUTIL_H
#define JIKU_FSUTIL_H

#include "jiku/err.h"

/* Create PATH and any missing parents, each 0700 (archives hold dumps, keys and hashes). */
int jiku_mkdir_private(const char *path, struct jiku_err *err);
/* Remove the tree at PATH, not following symlinks; a missing PATH is not an error. */
int jiku_remove_tree(const char *path, struct jiku_err *err);

#endif
