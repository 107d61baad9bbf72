/*
 * The plugin loader (docs/ARCHITECTURE.md, "The plugin ABI"): file checks before dlopen, the ABI
 * handshake, members past struct_size, the static table, open/close and the `plugins` listing.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "paths.h"
#include "plugin_loader.h"

/* The test's own static table (it shadows the generated one): a built-in "plesk". */
static int
static_probe(struct jiku_op *op, struct jiku_err *err)
{
    (void)err;
    op->result->panel_version = strdup("static");
    return 0;
}

static const struct jiku_plugin_action static_actions[] = {
    {JIKU_VERB_PROBE, JIKU_KIND_SUBSCRIPTION, static_probe},
};

static const struct jiku_plugin static_plesk = {
    .abi_version = JIKU_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jiku_plugin),
    .name = "plesk",
    .version = "static-test",
    .actions = static_actions,
    .n_actions = 1,
};

const struct jiku_plugin *const jiku_static_plugins[] = {&static_plesk, NULL};

TestSuite(loader, .init = fixture_setup, .fini = fixture_teardown, .timeout = 60);

static int
load(const char *name, struct jiku_loaded_plugin *lp, struct jiku_err *err)
{
    return jiku_plugin_load_file(at(name), lp, err);
}

/* Expect loading DIR/NAME to fail with STATUS and exactly the message FMT. */
static void
expect_refusal(const char *name, int status, const char *fmt, ...)
{
    struct jiku_loaded_plugin lp;
    struct jiku_err err = {0};
    char want[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(want, sizeof(want), fmt, ap);
    va_end(ap);
    cr_assert_eq(load(name, &lp, &err), status, "%s", err.msg);
    cr_assert_eq(err.status, status);
    cr_assert_str_eq(err.msg, want);
}

Test(loader, loads_a_good_plugin)
{
    struct jiku_loaded_plugin lp;
    struct jiku_err err = {0};

    install(JIKU_TPLUGIN_GOOD, "cpanel.so", 0755);
    cr_assert_eq(load("cpanel.so", &lp, &err), 0, "%s", err.msg);
    cr_assert_str_eq(lp.desc.name, "cpanel");
    cr_assert_str_eq(lp.desc.version, "1.0");
    cr_assert_str_eq(lp.path, at("cpanel.so"));
    cr_assert_not_null(lp.handle);
    cr_assert_eq(lp.desc.n_actions, 2);
    cr_assert_not_null(lp.desc.open);
    cr_assert_not_null(lp.desc.close);
    cr_assert_not(lp.opened, "load_file must not open");
    cr_assert_str_empty(host_log);

    cr_assert_not_null(jiku_plugin_action(&lp, JIKU_VERB_SNAPSHOT, JIKU_KIND_ACCOUNT));
    cr_assert_not_null(jiku_plugin_action(&lp, JIKU_VERB_PROBE, JIKU_KIND_ACCOUNT));
    cr_assert_null(jiku_plugin_action(&lp, JIKU_VERB_ROLLBACK, JIKU_KIND_ACCOUNT));
    cr_assert_null(jiku_plugin_action(&lp, JIKU_VERB_SNAPSHOT, JIKU_KIND_WORDPRESS));
    cr_assert_null(jiku_plugin_action(NULL, JIKU_VERB_SNAPSHOT, JIKU_KIND_ACCOUNT));

    /* Only the descriptor is exported; the plugin's functions stay private. */
    cr_assert_null(dlsym(lp.handle, "good_snapshot"));

    jiku_plugin_unload(&lp);
    cr_assert_null(lp.path);
    cr_assert_null(lp.handle);
    cr_assert_str_empty(host_log, "close() of a plugin never opened");
}

Test(loader, get_opens_once_and_free_closes)
{
    const struct jiku_loaded_plugin *lp = NULL, *again = NULL;
    struct jiku_plugins *p = jiku_plugins_new(dir);
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};
    struct jiku_op op = {0};
    jiku_action_fn fn;

    install(JIKU_TPLUGIN_GOOD, "cpanel.so", 0755);
    cr_assert_not_null(p);
    cr_assert_eq(jiku_plugins_get(p, "cpanel", &fake_host, &lp, &err), 0, "%s", err.msg);
    cr_assert(lp->opened);
    cr_assert_not_null(lp->state);
    cr_assert_str_eq(lp->path, at("cpanel.so"));
    cr_assert_str_eq(host_log, "open cpanel\n");
    cr_assert_eq(jiku_plugins_get(p, "cpanel", &fake_host, &again, &err), 0, "%s", err.msg);
    cr_assert_eq(again, lp);
    cr_assert_str_eq(host_log, "open cpanel\n", "opened a second time");

    op.host = &fake_host;
    op.result = &res;
    op.plugin_state = lp->state;
    fn = jiku_plugin_action(lp, JIKU_VERB_SNAPSHOT, JIKU_KIND_ACCOUNT);
    cr_assert_not_null(fn);
    cr_assert_eq(fn(&op, &err), 0, "%s", err.msg);
    cr_assert_str_eq(res.details, "snapshot by cpanel");
    free(res.details);

    jiku_plugins_free(p);
    cr_assert_str_eq(host_log, "open cpanel\nclose cpanel\n");
}

Test(loader, open_failure_is_a_plugin_error_and_not_cached)
{
    const struct jiku_loaded_plugin *lp = NULL;
    struct jiku_plugins *p = jiku_plugins_new(dir);
    struct jiku_host small = fake_host;
    struct jiku_err err = {0};
    char want[512];

    install(JIKU_TPLUGIN_GOOD, "cpanel.so", 0755);
    small.struct_size = 16;
    cr_assert_eq(jiku_plugins_get(p, "cpanel", &small, &lp, &err), JIKU_E_PLUGIN);
    snprintf(want, sizeof(want),
             "cannot start plugin 'cpanel': good: host table has 16 bytes, %zu needed",
             sizeof(struct jiku_host));
    cr_assert_str_eq(err.msg, want);
    cr_assert_null(lp);
    cr_assert_str_empty(host_log);

    cr_assert_eq(jiku_plugins_get(p, "cpanel", &fake_host, &lp, &err), 0, "%s", err.msg);
    cr_assert_str_eq(host_log, "open cpanel\n");
    jiku_plugins_free(p);
}

Test(loader, missing_plugin)
{
    const struct jiku_loaded_plugin *lp = NULL;
    struct jiku_plugins *p = jiku_plugins_new(dir), *q = jiku_plugins_new(at("none"));
    struct jiku_err err = {0};
    char want[1024];

    cr_assert_eq(jiku_plugins_get(p, "cpanel", &fake_host, &lp, &err), JIKU_E_PLUGIN);
    snprintf(want, sizeof(want), "no plugin for panel 'cpanel' (looked in '%s')", dir);
    cr_assert_str_eq(err.msg, want);

    cr_assert_eq(jiku_plugins_get(q, "cpanel", &fake_host, &lp, &err), JIKU_E_PLUGIN);
    snprintf(want, sizeof(want), "no plugin for panel 'cpanel' (looked in '%s')", at("none"));
    cr_assert_str_eq(err.msg, want);
    cr_assert_null(lp);
    jiku_plugins_free(p);
    jiku_plugins_free(q);
}

Test(loader, default_directory)
{
    const struct jiku_loaded_plugin *lp = NULL;
    struct jiku_plugins *p = jiku_plugins_new(NULL);
    struct jiku_err err = {0};

    if (access(JIKU_PLUGIN_DIR "/cpanel.so", F_OK) == 0)
        cr_skip_test("a cpanel plugin is installed in " JIKU_PLUGIN_DIR);
    cr_assert_eq(jiku_plugins_get(p, "cpanel", &fake_host, &lp, &err), JIKU_E_PLUGIN);
    cr_assert_str_eq(err.msg, "no plugin for panel 'cpanel' (looked in '" JIKU_PLUGIN_DIR "')");
    jiku_plugins_free(p);
}

Test(loader, panel_names_are_checked_before_a_path_is_made)
{
    static const char *const bad[] = {
        "",       "../cpanel", "cpanel/x",
        "CPanel", "cp anel",   "cpanel.so",
        ".",      "cpanel\n",  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 33 */
    };
    const struct jiku_loaded_plugin *lp = NULL;
    struct jiku_plugins *p = jiku_plugins_new(dir);
    struct jiku_err err = {0};

    /* A file a path built from an unchecked name would find. */
    install(JIKU_TPLUGIN_GOOD, "CPanel.so", 0755);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_not(jiku_plugin_name_valid(bad[i]), "'%s' accepted", bad[i]);
        cr_assert_eq(jiku_plugins_get(p, bad[i], &fake_host, &lp, &err), JIKU_E_INVAL, "'%s': %s",
                     bad[i], err.msg);
        cr_assert(strncmp(err.msg, "invalid panel name '", 20) == 0, "%s", err.msg);
    }
    cr_assert_eq(jiku_plugins_get(p, NULL, &fake_host, &lp, &err), JIKU_E_INVAL);
    cr_assert_not(jiku_plugin_name_valid(NULL));
    cr_assert(jiku_plugin_name_valid("cpanel"));
    cr_assert(jiku_plugin_name_valid("plesk-2"));
    cr_assert(jiku_plugin_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 32 */
    cr_assert_null(lp);
    cr_assert_str_empty(host_log);
    jiku_plugins_free(p);
}

Test(loader, refuses_a_world_writable_file)
{
    const struct jiku_loaded_plugin *lp = NULL;
    struct jiku_plugins *p = jiku_plugins_new(dir);
    struct jiku_err err = {0};

    install(JIKU_TPLUGIN_GOOD, "cpanel.so", 0666);
    expect_refusal("cpanel.so", JIKU_E_PLUGIN,
                   "plugin '%s' is writable by group or others (mode 0666); fix: chmod 755",
                   at("cpanel.so"));
    /* Through get too: a refused file is not reported as a missing one. */
    cr_assert_eq(jiku_plugins_get(p, "cpanel", &fake_host, &lp, &err), JIKU_E_PLUGIN);
    cr_assert(strstr(err.msg, "(mode 0666)") != NULL, "%s", err.msg);
    cr_assert_str_empty(host_log);
    jiku_plugins_free(p);
}

Test(loader, refuses_a_group_writable_file)
{
    install(JIKU_TPLUGIN_GOOD, "cpanel.so", 0775);
    expect_refusal("cpanel.so", JIKU_E_PLUGIN,
                   "plugin '%s' is writable by group or others (mode 0775); fix: chmod 755",
                   at("cpanel.so"));
}

Test(loader, refuses_a_group_writable_directory)
{
    install(JIKU_TPLUGIN_GOOD, "cpanel.so", 0755);
    cr_assert_eq(chmod(dir, 0775), 0);
    expect_refusal(
        "cpanel.so", JIKU_E_PLUGIN,
        "plugin directory '%s' is writable by group or others (mode 0775); fix: chmod 755", dir);
}

Test(loader, refuses_a_sticky_world_writable_directory)
{
    install(JIKU_TPLUGIN_GOOD, "cpanel.so", 0755);
    cr_assert_eq(chmod(dir, 01777), 0);
    expect_refusal(
        "cpanel.so", JIKU_E_PLUGIN,
        "plugin directory '%s' is writable by group or others (mode 1777); fix: chmod 755", dir);
}

static uid_t
nobody_uid(void)
{
    struct passwd *pw = getpwnam("nobody");

    if (geteuid() != 0)
        cr_skip_test("changing a file's owner needs root");
    cr_assert_not_null(pw);
    return pw->pw_uid;
}

Test(loader, refuses_a_file_owned_by_someone_else)
{
    uid_t nobody = nobody_uid();

    install(JIKU_TPLUGIN_GOOD, "cpanel.so", 0755);
    cr_assert_eq(chown(at("cpanel.so"), nobody, (gid_t)-1), 0);
    expect_refusal("cpanel.so", JIKU_E_PLUGIN,
                   "plugin '%s' is owned by uid %lu, not root or the running user; fix: chown root",
                   at("cpanel.so"), (unsigned long)nobody);
}

Test(loader, refuses_a_directory_owned_by_someone_else)
{
    uid_t nobody = nobody_uid();

    install(JIKU_TPLUGIN_GOOD, "cpanel.so", 0755);
    cr_assert_eq(chown(dir, nobody, (gid_t)-1), 0);
    expect_refusal("cpanel.so", JIKU_E_PLUGIN,
                   "plugin directory '%s' is owned by uid %lu, not root or the running user; fix: "
                   "chown root",
                   dir, (unsigned long)nobody);
}

Test(loader, refuses_a_symbolic_link)
{
    const struct jiku_loaded_plugin *lp = NULL;
    struct jiku_plugins *p = jiku_plugins_new(dir);
    struct jiku_err err = {0};

    install(JIKU_TPLUGIN_GOOD, "real.so", 0755);
    cr_assert_eq(symlink("real.so", at("cpanel.so")), 0);
    expect_refusal("cpanel.so", JIKU_E_PLUGIN,
                   "plugin '%s' is a symbolic link; fix: install the file itself", at("cpanel.so"));
    cr_assert_eq(jiku_plugins_get(p, "cpanel", &fake_host, &lp, &err), JIKU_E_PLUGIN);
    cr_assert(strstr(err.msg, "symbolic link") != NULL, "%s", err.msg);
    jiku_plugins_free(p);
}

Test(loader, refuses_what_is_not_a_regular_file)
{
    cr_assert_eq(mkdir(at("cpanel.so"), 0755), 0);
    expect_refusal("cpanel.so", JIKU_E_PLUGIN, "plugin '%s' is not a regular file",
                   at("cpanel.so"));
    /* A FIFO must not block the open, nor be loaded. */
    cr_assert_eq(mkfifo(at("plesk.so"), 0644), 0);
    expect_refusal("plesk.so", JIKU_E_PLUGIN, "plugin '%s' is not a regular file", at("plesk.so"));
}

Test(loader, refuses_a_file_that_is_not_an_object)
{
    static const char junk[] = "this is not an ELF file\n";
    struct jiku_loaded_plugin lp;
    struct jiku_err err = {0};
    char want[PATH_SIZE + 64];

    write_file(at("cpanel.so"), junk, sizeof(junk) - 1, 0755);
    cr_assert_eq(load("cpanel.so", &lp, &err), JIKU_E_PLUGIN);
    snprintf(want, sizeof(want), "cannot load plugin '%s': ", at("cpanel.so"));
    cr_assert(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    cr_assert_gt(strlen(err.msg), strlen(want), "no reason given");
    cr_assert_null(strstr(err.msg, "/proc/self/fd"), "names the descriptor: %s", err.msg);
}

Test(loader, refuses_an_object_without_the_symbol)
{
    install(JIKU_TPLUGIN_NOEXPORT, "cpanel.so", 0755);
    expect_refusal("cpanel.so", JIKU_E_PLUGIN,
                   "plugin '%s' does not export 'jiku_plugin'; it is not a jiku-agent plugin",
                   at("cpanel.so"));
}

Test(loader, refuses_another_major_before_reading_on)
{
    /* The ABI 3 descriptor holds small integers where 2.x has pointers: reading on crashes. */
    install(JIKU_TPLUGIN_WRONGMAJOR, "cpanel.so", 0755);
    expect_refusal("cpanel.so", JIKU_E_ABI,
                   "plugin '%s' was built for ABI 3.0, this jiku-agent speaks ABI 2.x",
                   at("cpanel.so"));
}

Test(loader, refuses_a_truncated_descriptor)
{
    install(JIKU_TPLUGIN_TRUNCATED, "cpanel.so", 0755);
    expect_refusal("cpanel.so", JIKU_E_ABI,
                   "plugin '%s' is truncated: its descriptor has %zu bytes, ABI 2.0 needs at "
                   "least %zu",
                   at("cpanel.so"), offsetof(struct jiku_plugin, n_actions),
                   offsetof(struct jiku_plugin, open));
}

Test(loader, members_past_struct_size_are_absent)
{
    /* The minimal plugin's open and close abort: they lie past its struct_size. */
    const struct jiku_loaded_plugin *lp = NULL;
    struct jiku_plugins *p = jiku_plugins_new(dir);
    struct jiku_err err = {0};

    install(JIKU_TPLUGIN_MINIMAL, "cpanel.so", 0755);
    cr_assert_eq(jiku_plugins_get(p, "cpanel", &fake_host, &lp, &err), 0, "%s", err.msg);
    cr_assert_null(lp->desc.open);
    cr_assert_null(lp->desc.close);
    cr_assert_null(lp->desc.check);
    cr_assert_eq(lp->desc.struct_size, offsetof(struct jiku_plugin, open));
    cr_assert_not_null(jiku_plugin_action(lp, JIKU_VERB_PROBE, JIKU_KIND_ACCOUNT));
    cr_assert(lp->opened);
    cr_assert_null(lp->state);
    jiku_plugins_free(p);
}

Test(loader, a_member_cut_by_struct_size_is_absent)
{
    struct jiku_loaded_plugin lp;
    struct jiku_err err = {0};

    install(JIKU_TPLUGIN_SPLIT, "cpanel.so", 0755);
    cr_assert_eq(load("cpanel.so", &lp, &err), 0, "%s", err.msg);
    cr_assert_eq(lp.desc.struct_size, offsetof(struct jiku_plugin, open) + 4);
    cr_assert_null(lp.desc.open, "open half-copied");
    cr_assert_null(lp.desc.close);
    cr_assert_null(lp.desc.check);
    jiku_plugin_unload(&lp);

    install(JIKU_TPLUGIN_SPLITCHECK, "check.so", 0755);
    cr_assert_eq(load("check.so", &lp, &err), 0, "%s", err.msg);
    cr_assert_eq(lp.desc.struct_size, offsetof(struct jiku_plugin, check) + 4);
    cr_assert_not_null(lp.desc.open);
    cr_assert_not_null(lp.desc.close);
    cr_assert_null(lp.desc.check, "check half-copied");
    jiku_plugin_unload(&lp);
}

Test(loader, a_newer_minor_loads_with_its_extras_ignored)
{
    const struct jiku_loaded_plugin *lp = NULL;
    struct jiku_plugins *p = jiku_plugins_new(dir);
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};
    struct jiku_op op = {0};
    jiku_action_fn fn;

    install(JIKU_TPLUGIN_NEWER, "cpanel.so", 0755);
    cr_assert_eq(jiku_plugins_get(p, "cpanel", &fake_host, &lp, &err), 0, "%s", err.msg);
    cr_assert_eq(lp->desc.abi_version, (2u << 16) | 7u);
    cr_assert_gt(lp->desc.struct_size, sizeof(struct jiku_plugin));
    cr_assert_str_eq(lp->desc.version, "2.7-test");
    cr_assert_not_null(lp->desc.open);
    cr_assert_null(lp->desc.close);
    cr_assert_eq(lp->desc.n_actions, 3);
    cr_assert_not_null(lp->state, "open() was not called");

    /* The 2.7 verb and kind are never handed out, not even when asked for by number. */
    cr_assert_null(
        jiku_plugin_action(lp, (enum jiku_verb)(JIKU_VERB_COUNT + 2), JIKU_KIND_ACCOUNT));
    cr_assert_null(
        jiku_plugin_action(lp, JIKU_VERB_SNAPSHOT, (enum jiku_target_kind)(JIKU_KIND_COUNT + 1)));
    fn = jiku_plugin_action(lp, JIKU_VERB_SNAPSHOT, JIKU_KIND_ACCOUNT);
    cr_assert_not_null(fn);
    op.result = &res;
    op.plugin_state = lp->state;
    cr_assert_eq(fn(&op, &err), 0, "%s", err.msg);
    cr_assert_str_eq(res.details, "snapshot by newer");
    free(res.details);
    jiku_plugins_free(p);
}

Test(loader, refuses_broken_action_tables)
{
    install(JIKU_TPLUGIN_BADVERB, "badverb.so", 0755);
    install(JIKU_TPLUGIN_DUPLICATE, "duplicate.so", 0755);
    install(JIKU_TPLUGIN_NOTABLE, "notable.so", 0755);
    expect_refusal("badverb.so", JIKU_E_PLUGIN,
                   "plugin '%s' has action 2 with verb %d and kind 0, outside ABI %d.%d",
                   at("badverb.so"), (int)JIKU_VERB_COUNT, JIKU_PLUGIN_ABI_MAJOR,
                   JIKU_PLUGIN_ABI_MINOR);
    expect_refusal("duplicate.so", JIKU_E_PLUGIN,
                   "plugin '%s' has two actions for snapshot on account", at("duplicate.so"));
    expect_refusal("notable.so", JIKU_E_PLUGIN, "plugin '%s' declares 2 actions but no table",
                   at("notable.so"));
}

Test(loader, refuses_facts_the_core_cannot_use)
{
    install(JIKU_TPLUGIN_BADFACTS, "badfacts.so", 0755);
    expect_refusal("badfacts.so", JIKU_E_PLUGIN,
                   "plugin '%s' declares an owner object that is not a name ([a-z0-9-]+) or is "
                   "'site'",
                   at("badfacts.so"));
}

Test(loader, refuses_a_1_x_plugin_saying_so)
{
    const struct jiku_loaded_plugin *lp = NULL;
    struct jiku_plugins *p = jiku_plugins_new(dir);
    struct jiku_err err = {0};
    char want[1024];

    install(JIKU_TPLUGIN_OLD, "cpanel.so", 0755);
    snprintf(want, sizeof(want),
             "plugin '%s' was built for ABI 1.3, this jiku-agent speaks ABI 2.x", at("cpanel.so"));
    expect_refusal("cpanel.so", JIKU_E_ABI, "%s", want);
    /* What a command that needs the panel reports: the file, not a missing plugin. */
    cr_assert_eq(jiku_plugins_get(p, "cpanel", &fake_host, &lp, &err), JIKU_E_ABI, "%s", err.msg);
    cr_assert_str_eq(err.msg, want);
    cr_assert_null(lp);
    cr_assert_str_empty(host_log, "a refused plugin was opened");
    jiku_plugins_free(p);
}

Test(loader, refuses_a_plugin_named_for_another_panel)
{
    const struct jiku_loaded_plugin *lp = NULL;
    struct jiku_plugins *p = jiku_plugins_new(dir);
    struct jiku_err err = {0};
    char want[1024];

    install(JIKU_TPLUGIN_MISNAMED, "cpanel.so", 0755);
    cr_assert_eq(jiku_plugins_get(p, "cpanel", &fake_host, &lp, &err), JIKU_E_PLUGIN);
    snprintf(want, sizeof(want), "plugin '%s' is named 'plesk', expected 'cpanel'",
             at("cpanel.so"));
    cr_assert_str_eq(err.msg, want);
    cr_assert_str_empty(host_log, "a misnamed plugin was opened");
    jiku_plugins_free(p);
}

Test(loader, a_static_plugin_comes_first)
{
    const struct jiku_loaded_plugin *lp = NULL;
    struct jiku_plugins *p = jiku_plugins_new(dir);
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};
    struct jiku_op op = {0};
    jiku_action_fn fn;

    install(JIKU_TPLUGIN_PLESK, "plesk.so", 0755);
    cr_assert_eq(jiku_plugins_get(p, "plesk", &fake_host, &lp, &err), 0, "%s", err.msg);
    cr_assert_null(lp->path);
    cr_assert_null(lp->handle);
    cr_assert_str_eq(lp->desc.version, "static-test");
    cr_assert(lp->opened);
    cr_assert_str_empty(host_log, "the plesk.so file was opened");
    fn = jiku_plugin_action(lp, JIKU_VERB_PROBE, JIKU_KIND_SUBSCRIPTION);
    cr_assert_not_null(fn);
    op.result = &res;
    cr_assert_eq(fn(&op, &err), 0);
    cr_assert_str_eq(res.panel_version, "static");
    free(res.panel_version);
    jiku_plugins_free(p);
}

/*
 * glibc finds a loaded object by the name it was opened under: were the descriptor behind
 * /proc/self/fd/N closed while its object stays loaded, the next plugin opened on N would
 * come back as the first one.
 */
Test(loader, distinct_files_stay_distinct)
{
    struct jiku_loaded_plugin a, b, a2, c;
    struct jiku_err err = {0};

    install(JIKU_TPLUGIN_GOOD, "cpanel.so", 0755);
    install(JIKU_TPLUGIN_PLESK, "plesk.so", 0755);
    cr_assert_eq(load("cpanel.so", &a, &err), 0, "%s", err.msg);
    cr_assert_eq(load("plesk.so", &b, &err), 0, "%s", err.msg);
    cr_assert_str_eq(a.desc.name, "cpanel");
    cr_assert_str_eq(b.desc.name, "plesk");
    cr_assert_neq(a.handle, b.handle);

    /* The same file twice shares one object; both handles can go, in any order. */
    cr_assert_eq(load("cpanel.so", &a2, &err), 0, "%s", err.msg);
    cr_assert_eq(a2.handle, a.handle);
    jiku_plugin_unload(&a);
    cr_assert_str_eq(a2.desc.name, "cpanel");
    jiku_plugin_unload(&a2);
    jiku_plugin_unload(&b);

    cr_assert_eq(load("plesk.so", &c, &err), 0, "%s", err.msg);
    cr_assert_str_eq(c.desc.name, "plesk");
    jiku_plugin_unload(&c);
    cr_assert_eq(load("cpanel.so", &c, &err), 0, "%s", err.msg);
    cr_assert_str_eq(c.desc.name, "cpanel");
    jiku_plugin_unload(&c);
}

#define SEEN_MAX 16

struct seen {
    size_t n;
    const struct jiku_loaded_plugin *lp[SEEN_MAX];
    char *name[SEEN_MAX];
    char *path[SEEN_MAX];
    char *error[SEEN_MAX];
};

static char *
dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static void
record_each(const struct jiku_loaded_plugin *lp, const char *error, void *arg)
{
    struct seen *s = arg;

    cr_assert_lt(s->n, SEEN_MAX);
    s->lp[s->n] = lp;
    s->name[s->n] = dup_or_null(lp->desc.name);
    s->path[s->n] = dup_or_null(lp->path);
    s->error[s->n] = dup_or_null(error);
    s->n++;
}

static void
expect_seen(const struct seen *s, size_t i, const char *name, const char *path, const char *error)
{
    cr_assert_lt(i, s->n);
    if (name == NULL)
        cr_assert_null(s->name[i], "entry %zu: name %s", i, s->name[i]);
    else
        cr_assert_str_eq(s->name[i], name, "entry %zu", i);
    if (path == NULL)
        cr_assert_null(s->path[i], "entry %zu: path %s", i, s->path[i]);
    else
        cr_assert_str_eq(s->path[i], path, "entry %zu", i);
    if (error == NULL)
        cr_assert_null(s->error[i], "entry %zu: error %s", i, s->error[i]);
    else
        cr_assert_str_eq(s->error[i], error, "entry %zu", i);
}

static void
seen_release(struct seen *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->name[i]);
        free(s->path[i]);
        free(s->error[i]);
    }
}

Test(loader, each_lists_static_then_files_in_name_order)
{
    static const char junk[] = "junk\n";
    struct jiku_plugins *p = jiku_plugins_new(dir);
    const struct jiku_loaded_plugin *in_use = NULL;
    struct jiku_err err = {0};
    struct seen s = {0};
    char want[1024], abi[1024];

    install(JIKU_TPLUGIN_GOOD, "cpanel.so", 0755);
    install(JIKU_TPLUGIN_GOOD, "Bad_Name.so", 0755);
    install(JIKU_TPLUGIN_GOOD, "zz.so", 0755);
    install(JIKU_TPLUGIN_PLESK, "plesk.so", 0755);
    install(JIKU_TPLUGIN_WRONGMAJOR, "wrong.so", 0755);
    write_file(at("garbage.so"), junk, sizeof(junk) - 1, 0755);
    write_file(at("notes.txt"), junk, sizeof(junk) - 1, 0644);
    cr_assert_eq(mkdir(at("sub.so"), 0755), 0);

    /* A plugin already in use is reported as it is, not loaded a second time. */
    cr_assert_eq(jiku_plugins_get(p, "cpanel", &fake_host, &in_use, &err), 0, "%s", err.msg);
    jiku_plugins_each(p, record_each, &s);

    cr_assert_eq(s.n, 8, "%zu entries", s.n);
    expect_seen(&s, 0, "plesk", NULL, NULL);
    expect_seen(&s, 1, NULL, at("Bad_Name.so"),
                "plugin file name 'Bad_Name.so' is not a panel name ([a-z0-9-]+.so)");
    expect_seen(&s, 2, "cpanel", at("cpanel.so"), NULL);
    cr_assert_eq(s.lp[2], in_use);
    cr_assert_not_null(s.error[3]);
    snprintf(want, sizeof(want), "cannot load plugin '%s': ", at("garbage.so"));
    cr_assert(strncmp(s.error[3], want, strlen(want)) == 0, "%s", s.error[3]);
    expect_seen(&s, 3, NULL, at("garbage.so"), s.error[3]);
    snprintf(want, sizeof(want),
             "plugin '%s' is not used: the built-in 'plesk' plugin takes precedence",
             at("plesk.so"));
    expect_seen(&s, 4, NULL, at("plesk.so"), want);
    snprintf(want, sizeof(want), "plugin '%s' is not a regular file", at("sub.so"));
    expect_seen(&s, 5, NULL, at("sub.so"), want);
    snprintf(abi, sizeof(abi), "plugin '%s' was built for ABI 3.0, this jiku-agent speaks ABI 2.x",
             at("wrong.so"));
    expect_seen(&s, 6, NULL, at("wrong.so"), abi);
    snprintf(want, sizeof(want), "plugin '%s' is named 'cpanel', expected 'zz'", at("zz.so"));
    expect_seen(&s, 7, "cpanel", at("zz.so"), want);

    cr_assert_str_eq(host_log, "open cpanel\n", "each opened or closed a plugin");
    seen_release(&s);
    jiku_plugins_free(p);
}

Test(loader, each_without_a_directory_lists_the_static_plugins)
{
    struct jiku_plugins *p = jiku_plugins_new(at("none"));
    struct seen s = {0};

    jiku_plugins_each(p, record_each, &s);
    cr_assert_eq(s.n, 1);
    expect_seen(&s, 0, "plesk", NULL, NULL);
    seen_release(&s);
    jiku_plugins_free(p);
}
