/*
 * Target locks: keys by panel object, shared/exclusive semantics between processes, waiting,
 * the busy message, release at process death, interruption by a signal.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "jiku/buf.h"
#include "lock.h"
#include "run.h"

static char tmpdir[64];
static char state_dir[128];

/* The lock owners come from the real panels' facts. */
extern const struct jiku_plugin jiku_plugin_cpanel_desc, jiku_plugin_plesk_desc;
static struct jiku_server_conf cpanel_server = {.info = {.name = "web1", .panel = "cpanel"}};
static struct jiku_server_conf plesk_server = {.info = {.name = "web2", .panel = "plesk"}};

static void
setup(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/jiku-lock-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    /* state_dir itself does not exist yet: the lock code creates it and locks/ */
    snprintf(state_dir, sizeof(state_dir), "%s/state", tmpdir);
    cpanel_server.facts = jiku_plugin_cpanel_desc.facts;
    plesk_server.facts = jiku_plugin_plesk_desc.facts;
}

static void
teardown(void)
{
    jiku_remove_tree(tmpdir, NULL);
}

TestSuite(lock, .init = setup, .fini = teardown, .timeout = 60);

static struct jiku_target_conf
make_target(const char *id, enum jiku_target_kind kind, const struct jiku_server_conf *server,
            const char *account, const char *domain, const char *path)
{
    struct jiku_target_conf t;

    memset(&t, 0, sizeof(t));
    t.info.id = id;
    t.info.kind = kind;
    t.info.account = account;
    t.info.domain = domain;
    t.info.path = path;
    t.server = server;
    return t;
}

/* A child process holding the locks of a target until told to go, or until it exits. */
struct holder {
    pid_t pid;
    int go_fd; /* write end: a byte (or closing it) lets the child exit */
};

/*
 * Fork a child that takes TARGET's locks (or KEY's, exclusively, when TARGET is NULL), reports
 * back, and holds them until released; when EXIT_AT_ONCE it exits still holding them.
 */
static struct holder
hold_in_child(const struct jiku_target_conf *target, const char *key, bool exit_at_once)
{
    int ready[2], go[2];
    struct holder h = {-1, -1};
    char c = 0;

    cr_assert_eq(pipe(ready), 0);
    cr_assert_eq(pipe(go), 0);
    h.pid = fork();
    cr_assert_geq(h.pid, 0);
    if (h.pid == 0) {
        struct jiku_lock *lock = NULL;
        struct pollfd pfd = {.fd = go[0], .events = POLLIN};
        int r;

        close(ready[0]);
        close(go[1]);
        r = target != NULL ? jiku_lock_target(state_dir, target, 0, &lock, NULL)
                           : jiku_lock_key(state_dir, key, false, 0, &lock, NULL);
        c = r == 0 ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1 || r != 0 || exit_at_once)
            _exit(r == 0 ? 0 : 1);
        /* Bounded: never outlive a broken parent by more than 20 s. */
        poll(&pfd, 1, 20000);
        jiku_lock_release(lock);
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    cr_assert_eq(read(ready[0], &c, 1), 1);
    cr_assert_eq(c, 'y', "the child could not take its lock");
    close(ready[0]);
    h.go_fd = go[1];
    return h;
}

static void
release_child(struct holder *h)
{
    int status = -1;

    if (h->go_fd >= 0)
        close(h->go_fd);
    h->go_fd = -1;
    cr_assert_eq(waitpid(h->pid, &status, 0), h->pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int
try_target(const struct jiku_target_conf *t, int wait_seconds, struct jiku_err *err)
{
    struct jiku_lock *lock = NULL;
    int r = jiku_lock_target(state_dir, t, wait_seconds, &lock, err);

    if (r == 0)
        cr_assert_not_null(lock);
    else
        cr_assert_null(lock);
    jiku_lock_release(lock);
    return r;
}

static void
assert_mode(const char *path, mode_t mode)
{
    struct stat st;

    cr_assert_eq(lstat(path, &st), 0, "'%s' missing", path);
    cr_assert_eq(st.st_mode & 07777, mode, "'%s' has mode %o", path, st.st_mode & 07777);
}

Test(lock, files_and_modes)
{
    struct jiku_target_conf blog = make_target("acme/blog", JIKU_KIND_WORDPRESS, &cpanel_server,
                                               "acmeshop", "Blog.Acme.example", "/");
    struct jiku_lock *lock = NULL;
    char path[PATH_MAX];
    char pid_text[32] = "";
    FILE *f;

    cr_assert_eq(jiku_lock_target(state_dir, &blog, 0, &lock, NULL), 0);
    snprintf(path, sizeof(path), "%s/locks", state_dir);
    assert_mode(path, 0700);
    snprintf(path, sizeof(path), "%s/locks/web1.account.acmeshop", state_dir);
    assert_mode(path, 0600);
    /* domain lowercased, "/" escaped: no path separator can reach the file name */
    snprintf(path, sizeof(path), "%s/locks/web1.site.blog.acme.example._2f", state_dir);
    assert_mode(path, 0600);
    /* the exclusive site lock names its holder; the shared account lock cannot */
    f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(pid_text, sizeof(pid_text), f));
    fclose(f);
    cr_assert_eq(strtol(pid_text, NULL, 10), (long)getpid());
    jiku_lock_release(lock);
    /* the pid goes with the lock */
    f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_assert_null(fgets(pid_text, sizeof(pid_text), f));
    fclose(f);
}

Test(lock, lock_fds_are_close_on_exec)
{
    struct jiku_lock *lock = NULL;
    int fd, found = 0;

    cr_assert_eq(jiku_lock_key(state_dir, "web1.account.acmeshop", false, 0, &lock, NULL), 0);
    for (fd = 3; fd < 1024; fd++) {
        char link[64], target[PATH_MAX];
        ssize_t len;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        len = readlink(link, target, sizeof(target) - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        if (strstr(target, "/locks/web1.account.acmeshop") == NULL)
            continue;
        found++;
        cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    }
    cr_assert_eq(found, 1);
    jiku_lock_release(lock);
}

Test(lock, busy_after_waiting_names_the_holder)
{
    struct jiku_target_conf shop = make_target("acme/shop", JIKU_KIND_ACCOUNT, &cpanel_server,
                                               "acmeshop", "shop.acme.example", NULL);
    struct holder h = hold_in_child(&shop, NULL, false);
    struct jiku_err err;
    char want[64];
    struct timespec t0, t1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(try_target(&shop, 1, &err), JIKU_E_BUSY);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* it did wait for lock_wait, rather than failing at once */
    cr_assert_geq((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000, 1000);
    cr_assert_eq(err.status, JIKU_E_BUSY);
    cr_assert(strstr(err.msg, "target 'acme/shop' is busy: lock 'web1.account.acmeshop' held "
                              "by another jiku-agent") == err.msg,
              "message: %s", err.msg);
    snprintf(want, sizeof(want), "(pid %ld)", (long)h.pid);
    cr_assert_not_null(strstr(err.msg, want), "message: %s", err.msg);
    release_child(&h);
    /* free again once the holder let go */
    cr_assert_eq(try_target(&shop, 0, NULL), 0);
}

Test(lock, application_and_account_work_exclude_each_other)
{
    struct jiku_target_conf shop = make_target("acme/shop", JIKU_KIND_ACCOUNT, &cpanel_server,
                                               "acmeshop", "shop.acme.example", NULL);
    struct jiku_target_conf blog = make_target("acme/blog", JIKU_KIND_WORDPRESS, &cpanel_server,
                                               "acmeshop", "blog.acme.example", "/");
    struct holder h;

    h = hold_in_child(&shop, NULL, false);
    cr_assert_eq(try_target(&blog, 0, NULL), JIKU_E_BUSY);
    release_child(&h);

    h = hold_in_child(&blog, NULL, false);
    cr_assert_eq(try_target(&shop, 0, NULL), JIKU_E_BUSY);
    release_child(&h);
}

Test(lock, other_accounts_and_servers_are_independent)
{
    struct jiku_target_conf shop =
        make_target("acme/shop", JIKU_KIND_ACCOUNT, &cpanel_server, "acmeshop", NULL, NULL);
    struct jiku_target_conf other =
        make_target("beta/main", JIKU_KIND_ACCOUNT, &cpanel_server, "betamain", NULL, NULL);
    struct jiku_server_conf web3 = {.info = {.name = "web3", .panel = "cpanel"},
                                    .facts = cpanel_server.facts};
    struct jiku_target_conf elsewhere =
        make_target("acme/copy", JIKU_KIND_ACCOUNT, &web3, "acmeshop", NULL, NULL);
    struct holder h = hold_in_child(&shop, NULL, false);

    cr_assert_eq(try_target(&other, 0, NULL), 0);
    cr_assert_eq(try_target(&elsewhere, 0, NULL), 0);
    release_child(&h);
}

Test(lock, different_sites_of_one_account_run_together)
{
    struct jiku_target_conf blog = make_target("acme/blog", JIKU_KIND_WORDPRESS, &cpanel_server,
                                               "acmeshop", "blog.acme.example", "/");
    struct jiku_target_conf cloud = make_target("acme/cloud", JIKU_KIND_SOFTACULOUS, &cpanel_server,
                                                "acmeshop", "cloud.acme.example", "/");
    struct jiku_target_conf sub = make_target("acme/sub", JIKU_KIND_WORDPRESS, &cpanel_server,
                                              "acmeshop", "blog.acme.example", "/news");
    struct holder h = hold_in_child(&blog, NULL, false);

    cr_assert_eq(try_target(&cloud, 0, NULL), 0);
    cr_assert_eq(try_target(&sub, 0, NULL), 0);
    release_child(&h);
}

Test(lock, same_site_excludes)
{
    struct jiku_target_conf blog = make_target("acme/blog", JIKU_KIND_WORDPRESS, &cpanel_server,
                                               "acmeshop", "blog.acme.example", "/news");
    /* another target name for the very same instance; the trailing slash changes nothing */
    struct jiku_target_conf alias = make_target("acme/news", JIKU_KIND_SOFTACULOUS, &cpanel_server,
                                                "acmeshop", "BLOG.acme.example", "/news/");
    struct holder h = hold_in_child(&blog, NULL, false);
    struct jiku_err err;

    cr_assert_eq(try_target(&alias, 0, &err), JIKU_E_BUSY);
    cr_assert_not_null(strstr(err.msg, "lock 'web1.site.blog.acme.example._2fnews'"), "message: %s",
                       err.msg);
    release_child(&h);
}

Test(lock, plesk_applications_share_their_subscription_lock)
{
    struct jiku_target_conf sub = make_target("acme/site", JIKU_KIND_SUBSCRIPTION, &plesk_server,
                                              "acme.example", "acme.example", NULL);
    struct jiku_target_conf wp = make_target("acme/wp", JIKU_KIND_WORDPRESS, &plesk_server,
                                             "acme.example", "acme.example", "/");
    struct holder h = hold_in_child(&sub, NULL, false);

    cr_assert_eq(try_target(&wp, 0, NULL), JIKU_E_BUSY);
    release_child(&h);
}

Test(lock, released_when_the_holder_dies)
{
    struct jiku_target_conf shop =
        make_target("acme/shop", JIKU_KIND_ACCOUNT, &cpanel_server, "acmeshop", NULL, NULL);
    /* the child exits without releasing anything */
    struct holder h = hold_in_child(&shop, NULL, true);

    release_child(&h);
    cr_assert_eq(try_target(&shop, 0, NULL), 0);
}

Test(lock, exclusive_within_one_process_too)
{
    /* worker threads open their own descriptions, and flock keeps those apart */
    struct jiku_lock *a = NULL, *b = NULL;

    cr_assert_eq(jiku_lock_key(state_dir, "web1.account.acmeshop", false, 0, &a, NULL), 0);
    cr_assert_eq(jiku_lock_key(state_dir, "web1.account.acmeshop", true, 0, &b, NULL), JIKU_E_BUSY);
    cr_assert_null(b);
    jiku_lock_release(a);
    cr_assert_eq(jiku_lock_key(state_dir, "web1.account.acmeshop", true, 0, &a, NULL), 0);
    cr_assert_eq(jiku_lock_key(state_dir, "web1.account.acmeshop", true, 0, &b, NULL), 0);
    jiku_lock_release(a);
    jiku_lock_release(b);
}

static void *
raise_later(void *arg)
{
    struct timespec ts = {0, 100 * 1000000L};

    (void)arg;
    nanosleep(&ts, NULL);
    raise(SIGTERM);
    return NULL;
}

Test(lock, signal_ends_the_wait)
{
    struct holder h = hold_in_child(NULL, "web1.account.acmeshop", false);
    struct jiku_lock *lock = NULL;
    struct jiku_err err;
    pthread_t th;
    time_t t0 = time(NULL);

    cr_assert_eq(jiku_signals_install(NULL), 0);
    cr_assert_eq(pthread_create(&th, NULL, raise_later, NULL), 0);
    cr_assert_eq(jiku_lock_key(state_dir, "web1.account.acmeshop", false, 30, &lock, &err),
                 JIKU_E_INTERRUPTED);
    cr_assert_null(lock);
    cr_assert_eq(err.status, JIKU_E_INTERRUPTED);
    /* far less than the 30 s it was willing to wait */
    cr_assert_lt(time(NULL) - t0, 15);
    pthread_join(th, NULL);
    jiku_interrupt_reset();
    release_child(&h);
}

Test(lock, hostile_keys_are_refused)
{
    static const char *const bad[] = {"../escape", "a/b", ".hidden", "", "UPPER", "a b", "a\nb"};
    struct jiku_lock *lock = NULL;
    struct jiku_err err;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(jiku_lock_key(state_dir, bad[i], false, 0, &lock, &err), JIKU_E_INVAL,
                     "key '%s' accepted", bad[i]);
        cr_assert_null(lock);
    }
}

Test(lock, paths_stay_inside_the_lock_directory)
{
    /* a path full of dots and slashes still makes one plain file name */
    struct jiku_target_conf t = make_target("acme/odd", JIKU_KIND_WORDPRESS, &cpanel_server,
                                            "acmeshop", "blog.acme.example", "/../../x_y.Z");
    char path[PATH_MAX];

    cr_assert_eq(try_target(&t, 0, NULL), 0);
    snprintf(path, sizeof(path),
             "%s/locks/web1.site.blog.acme.example._2f_2e_2e_2f_2e_2e_2fx_5fy_2e_5a", state_dir);
    assert_mode(path, 0600);
}
