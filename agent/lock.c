/* Target locks: flock files under state_dir/locks (SPEC §7). */
#include "lock.h"

#include <stdlib.h>

struct jiku_lock {
    int fd;
};

int
jiku_lock_key(const char *state_dir, const char *key, bool shared, int wait_seconds,
              struct jiku_lock **out, struct jiku_err *err)
{
    (void)state_dir;
    (void)key;
    (void)shared;
    (void)wait_seconds;
    *out = NULL;
    return jiku_err_set(err, JIKU_E_UNSUPPORTED, "locks are not implemented yet");
}

int
jiku_lock_target(const char *state_dir, const struct jiku_target_conf *target, int wait_seconds,
                 struct jiku_lock **out, struct jiku_err *err)
{
    (void)target;
    return jiku_lock_key(state_dir, "", false, wait_seconds, out, err);
}

void
jiku_lock_release(struct jiku_lock *lock)
{
    free(lock);
}
