/*
 * Who is acting, for the audit (jiku-agent(8), --actor): what the process can tell about the
 * person or the scheduler that started it.
 */
#ifndef JIKU_ACTOR_H
#define JIKU_ACTOR_H

#include <stdbool.h>

/* What the actor is chosen from; each member may be NULL (unknown). Borrowed. */
struct jiku_actor_env {
    const char *sudo_user;     /* $SUDO_USER: the person behind sudo */
    const char *login;         /* the login name: the session's loginuid (getlogin) */
    const char *invocation_id; /* $INVOCATION_ID: started by systemd */
    const char *unit;          /* the systemd unit the process runs in */
    bool cron;                 /* started by cron */
    const char *user;          /* the name of the real uid */
};

/*
 * The first of: SUDO_USER, the login name, "systemd:UNIT" (or "systemd") when started by
 * systemd, "cron" when started by cron, the user name, "unknown".  The caller's (free).
 */
char *jiku_actor_pick(const struct jiku_actor_env *env);

/* The unit ("x.service") in the text of /proc/self/cgroup, or NULL.  The caller's (free). */
char *jiku_actor_cgroup_unit(const char *cgroup);

/* jiku_actor_pick of this process's environment.  The caller's (free); NULL out of memory. */
char *jiku_actor_default(void);

#endif
