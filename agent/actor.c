/*
 * The audit's actor when --actor is not given.  The login name comes from the loginuid that
 * pam_loginuid sets for ssh and cron sessions, so a person's ssh session is named even without
 * a terminal; "cron" is said only when cron started us (the packaged cron file passes --actor
 * cron anyway: packaging/cron/jiku-agent).
 */
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actor.h"

static bool
given(const char *s)
{
    return s != NULL && *s != '\0';
}

char *
jiku_actor_pick(const struct jiku_actor_env *env)
{
    char *s;

    if (given(env->sudo_user))
        return strdup(env->sudo_user);
    if (given(env->login))
        return strdup(env->login);
    if (given(env->invocation_id)) {
        if (!given(env->unit))
            return strdup("systemd");
        if ((s = malloc(strlen("systemd:") + strlen(env->unit) + 1)) != NULL) {
            memcpy(s, "systemd:", 8);
            memcpy(s + 8, env->unit, strlen(env->unit) + 1);
        }
        return s;
    }
    if (env->cron)
        return strdup("cron");
    return strdup(given(env->user) ? env->user : "unknown");
}

char *
jiku_actor_cgroup_unit(const char *cgroup)
{
    /* cgroup v2: "0::/system.slice/x.service"; v1 names it on the "name=systemd" line too */
    for (const char *line = cgroup; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n'), *slash, *dot;
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);

        for (slash = line + len; slash > line && slash[-1] != '/'; slash--)
            ;
        dot = memchr(slash, '.', len - (size_t)(slash - line));
        if (slash > line && dot != NULL && dot > slash && line + len - dot == 8 &&
            memcmp(dot, ".service", 8) == 0)
            return strndup(slash, len - (size_t)(slash - line));
        line = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

/* The start of the file PATH (under /proc) into BUF of SIZE, NUL-terminated; false if none. */
static bool
read_proc(const char *path, char *buf, size_t size)
{
    ssize_t n;
    int fd;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return false;
    n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return true;
}

/* Our unit, from /proc/self/cgroup; NULL when not in one. */
static char *
own_unit(void)
{
    char buf[4096];

    return read_proc("/proc/self/cgroup", buf, sizeof(buf)) ? jiku_actor_cgroup_unit(buf) : NULL;
}

/* Whether cron started us: cron, or the shell cron ran the command line with, is an ancestor. */
static bool
started_by_cron(void)
{
    pid_t pid = getppid();

    for (int depth = 0; depth < 3 && pid > 1; depth++) {
        char path[64], stat[512], *comm, *close_paren;

        snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
        if (!read_proc(path, stat, sizeof(stat)))
            return false;
        /* "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses */
        if ((comm = strchr(stat, '(')) == NULL || (close_paren = strrchr(stat, ')')) == NULL)
            return false;
        *close_paren = '\0';
        comm++;
        if (strcmp(comm, "cron") == 0 || strcmp(comm, "crond") == 0 || strcmp(comm, "CROND") == 0)
            return true;
        pid = (pid_t)strtol(close_paren + 3, NULL, 10);
    }
    return false;
}

char *
jiku_actor_default(void)
{
    struct passwd *pw = getpwuid(getuid());
    struct jiku_actor_env env = {
        .sudo_user = getenv("SUDO_USER"),
        .login = getlogin(),
        .invocation_id = getenv("INVOCATION_ID"),
        .user = pw != NULL ? pw->pw_name : NULL,
    };
    char *unit = NULL, *actor;

    if (!given(env.sudo_user) && !given(env.login)) {
        if (given(env.invocation_id))
            env.unit = unit = own_unit();
        else
            env.cron = started_by_cron();
    }
    actor = jiku_actor_pick(&env);
    free(unit);
    return actor;
}
