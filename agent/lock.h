/*
 * Target locks (docs/ARCHITECTURE.md, "State"): flock files under state_dir/locks, keyed by server
 * and panel object, not by target name.  Account/subscription work takes its object's lock
 * exclusively; application work takes the owning account's lock shared and its own site's lock
 * exclusively.  Locks die with the process.
 */
#ifndef JIKU_LOCK_H
#define JIKU_LOCK_H

#include <stdbool.h>

#include "config.h"
#include "jiku/err.h"

struct jiku_lock;

/*
 * Take the locks TARGET needs, waiting up to WAIT_SECONDS (then JIKU_E_BUSY, exit 75; a
 * signal while waiting gives JIKU_E_INTERRUPTED).  *OUT is the caller's (jiku_lock_release).
 */
int jiku_lock_target(const char *state_dir, const struct jiku_target_conf *target, int wait_seconds,
                     struct jiku_lock **out, struct jiku_err *err);
/* One lock file by key (e.g. "web1.account.acmeshop"); SHARED or exclusive. */
int jiku_lock_key(const char *state_dir, const char *key, bool shared, int wait_seconds,
                  struct jiku_lock **out, struct jiku_err *err);
void jiku_lock_release(struct jiku_lock *lock);

#endif
