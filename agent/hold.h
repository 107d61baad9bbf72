/*
 * Artifact holds: an artifact in use (the source of a rollback, from the moment it is chosen)
 * is held shared; prune holds an artifact exclusively, without waiting, before it removes it,
 * so it never removes one that another process uses.  flock files under state_dir/locks
 * (lock.c): a hold dies with its process, so a crash leaves none behind.
 */
#ifndef JIKU_HOLD_H
#define JIKU_HOLD_H

#include <stdbool.h>

#include "jiku/err.h"
#include "lock.h"

/*
 * Hold artifact ID, SHARED for use or exclusively for removal, waiting up to WAIT_SECONDS
 * (0: not at all), then JIKU_E_BUSY.  *OUT is the caller's (jiku_lock_release).
 */
int jiku_artifact_hold(const char *state_dir, const char *id, bool shared, int wait_seconds,
                       struct jiku_lock **out, struct jiku_err *err);
/*
 * Remove the hold file of ID, which the caller holds exclusively and has just pruned for good:
 * a process that opened the file before sees the artifact pruned once it gets its hold.
 */
void jiku_artifact_hold_forget(const char *state_dir, const char *id);

#endif
