/*
 * Artifact holds across processes (agent/hold.c): a rollback's shared hold keeps prune's
 * exclusive one out, dies with its process, and a pruned artifact's hold file goes.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "hold.h"

#define ID "20261127T021500Z.acme.shop.s"

static char tmpdir[64];
static char state_dir[128];

static void
setup(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/jiku-hold-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    snprintf(state_dir, sizeof(state_dir), "%s/state", tmpdir);
}

static void
teardown(void)
{
    jiku_remove_tree(tmpdir, NULL);
}

TestSuite(hold, .init = setup, .fini = teardown, .timeout = 60);

/* A child process that holds ID shared until killed; returns its pid once it holds it. */
static pid_t
holder(void)
{
    int fds[2];
    pid_t pid;
    char c;

    cr_assert_eq(pipe(fds), 0);
    if ((pid = fork()) == 0) {
        struct jiku_lock *h = NULL;

        close(fds[0]);
        if (jiku_artifact_hold(state_dir, ID, true, 5, &h, NULL) != 0)
            _exit(1);
        if (write(fds[1], "h", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    close(fds[1]);
    cr_assert_eq(read(fds[0], &c, 1), 1, "the child could not hold the artifact");
    close(fds[0]);
    return pid;
}

Test(hold, a_use_in_another_process_keeps_removal_out_until_it_ends)
{
    struct jiku_lock *h = NULL, *h2 = NULL;
    struct jiku_err err = {0};
    pid_t pid = holder();
    int st;

    /* prune: exclusive, without waiting: busy while the rollback holds it */
    cr_assert_eq(jiku_artifact_hold(state_dir, ID, false, 0, &h, &err), JIKU_E_BUSY, "%s", err.msg);
    cr_assert_null(h);
    /* another user of the same source is fine */
    cr_assert_eq(jiku_artifact_hold(state_dir, ID, true, 0, &h2, &err), 0, "%s", err.msg);
    jiku_lock_release(h2);
    /* the holder dies (a crash, a kill): its hold goes with it */
    kill(pid, SIGKILL);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert_eq(jiku_artifact_hold(state_dir, ID, false, 0, &h, &err), 0, "%s", err.msg);
    /* and while prune holds it, a rollback that wants it waits, then gives up busy */
    pid = fork();
    if (pid == 0) {
        struct jiku_lock *u = NULL;

        _exit(jiku_artifact_hold(state_dir, ID, true, 1, &u, NULL) == JIKU_E_BUSY ? 0 : 1);
    }
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a shared hold was granted under prune's");
    jiku_lock_release(h);
}

Test(hold, a_pruned_artifacts_hold_file_goes)
{
    struct jiku_lock *h = NULL;
    struct jiku_err err = {0};
    char path[256];
    struct stat sb;

    cr_assert_eq(jiku_artifact_hold(state_dir, ID, false, 0, &h, &err), 0, "%s", err.msg);
    snprintf(path, sizeof(path), "%s/locks/artifact.20261127t021500z.acme.shop.s", state_dir);
    cr_assert_eq(stat(path, &sb), 0, "no hold file '%s'", path);
    jiku_artifact_hold_forget(state_dir, ID);
    jiku_lock_release(h);
    cr_assert_neq(stat(path, &sb), 0, "hold file '%s' left behind", path);
}

Test(hold, refuses_what_is_not_an_artifact_id)
{
    struct jiku_lock *h = NULL;
    struct jiku_err err = {0};

    cr_assert_eq(jiku_artifact_hold(state_dir, "../../etc/passwd", true, 0, &h, &err),
                 JIKU_E_INVAL);
    cr_assert_null(h);
}
