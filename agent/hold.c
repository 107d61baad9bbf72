/*
 * Artifact holds (hold.h).  The lock key is "artifact." and the id in lowercase: lock keys are
 * lowercase, and ids differ in more than case (their only capitals are the fixed T and Z).
 */
#include "hold.h"

#include <stdio.h>
#include <unistd.h>

#include "artifact.h"
#include "catalog.h"
#include "jiku/buf.h"

static int
hold_key(const char *id, struct jiku_buf *key, struct jiku_err *err)
{
    if (id == NULL || !jiku_artifact_id_valid(id))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid artifact id '%s'", id != NULL ? id : "");
    if (jiku_buf_adds(key, "artifact.") != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    for (const char *p = id; *p != '\0'; p++)
        if (jiku_buf_addch(key, (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p) != 0)
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

int
jiku_artifact_hold(const char *state_dir, const char *id, bool shared, int wait_seconds,
                   struct jiku_lock **out, struct jiku_err *err)
{
    struct jiku_buf key = JIKU_BUF_INIT;
    int r;

    *out = NULL;
    if ((r = hold_key(id, &key, err)) == 0)
        r = jiku_lock_key(state_dir, key.data, shared, wait_seconds, out, err);
    jiku_buf_release(&key);
    return r;
}

void
jiku_artifact_hold_forget(const char *state_dir, const char *id)
{
    struct jiku_buf key = JIKU_BUF_INIT, path = JIKU_BUF_INIT;

    if (hold_key(id, &key, NULL) == 0 &&
        jiku_buf_addf(&path, "%s/locks/%s", state_dir, key.data) == 0)
        (void)unlink(path.data);
    jiku_buf_release(&path);
    jiku_buf_release(&key);
}
