/*
 * The command line's tables (agent/cli.c): every option documented in its command's help, and
 * the audit's actor (agent/actor.c) from each source it may come from.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "cli.h"

/* CMD's help (NULL: global) as a string; the caller frees it. */
static char *
help_of(const struct jiku_command *cmd)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);

    cr_assert_not_null(fp);
    jiku_cli_help(cmd, fp);
    fclose(fp);
    return text;
}

/* "--NAME ARG" or "--NAME" followed by a blank, with the help line on the same line. */
static void
assert_documented(const char *help, const char *cmd, const struct jiku_cmd_option *o)
{
    char want[128];
    const char *at, *eol;

    cr_assert_not_null(help, "%s: no options section for --%s", cmd, o->opt.name);
    cr_assert(o->help != NULL && o->help[0] != '\0', "%s --%s has no help line", cmd, o->opt.name);
    cr_assert(o->opt.has_arg == (o->arg != NULL ? required_argument : no_argument),
              "%s --%s: argument name and getopt disagree", cmd, o->opt.name);
    snprintf(want, sizeof(want), "--%s%s%s ", o->opt.name, o->arg ? " " : "", o->arg ? o->arg : "");
    cr_assert_not_null(at = strstr(help, want), "%s --help lacks '%s'", cmd, want);
    eol = strchr(at, '\n');
    cr_assert(eol != NULL && (size_t)(eol - at) >= strlen(want) + strlen(o->help) &&
                  strncmp(eol - strlen(o->help), o->help, strlen(o->help)) == 0,
              "%s --help: '%s' is not on the line of --%s", cmd, o->help, o->opt.name);
}

Test(cli, every_option_in_its_commands_help)
{
    size_t n;
    const struct jiku_command *cmds = jiku_cli_commands(&n);

    cr_assert_gt(n, 20);
    for (size_t i = 0; i < n; i++) {
        char *help = help_of(&cmds[i]);

        cr_assert_not_null(strstr(help, cmds[i].usage), "%s", cmds[i].name);
        cr_assert(cmds[i].summary != NULL && cmds[i].summary[0] != '\0', "%s", cmds[i].name);
        /* in their sections, not in the usage line */
        for (const struct jiku_cmd_option *o = cmds[i].options; o && o->opt.name; o++)
            assert_documented(strstr(help, "\nOptions:\n"), cmds[i].name, o);
        for (const struct jiku_cmd_option *o = jiku_cli_global_options(); o->opt.name; o++)
            assert_documented(strstr(help, "\nGlobal options:\n"), cmds[i].name, o);
        free(help);
    }
}

Test(cli, global_help_lists_every_command_and_option)
{
    size_t n;
    const struct jiku_command *cmds = jiku_cli_commands(&n);
    char *help = help_of(NULL);

    /* one line each: "  NAME", blanks up to the column, the summary */
    for (size_t i = 0; i < n; i++) {
        char want[64];
        const char *p;

        snprintf(want, sizeof(want), "\n  %s ", cmds[i].name);
        cr_assert_not_null(p = strstr(help, want), "global help lacks %s", cmds[i].name);
        p += strlen(want);
        p += strspn(p, " ");
        cr_assert(strncmp(p, cmds[i].summary, strlen(cmds[i].summary)) == 0 &&
                      p[strlen(cmds[i].summary)] == '\n',
                  "global help: %s without its summary", cmds[i].name);
    }
    for (const struct jiku_cmd_option *o = jiku_cli_global_options(); o->opt.name; o++)
        assert_documented(help, "(global)", o);
    free(help);
}

/* A short form shows as "-y, --yes": only the options whose value the command lists. */
Test(cli, short_forms_shown)
{
    size_t n;
    const struct jiku_command *cmds = jiku_cli_commands(&n);

    for (size_t i = 0; i < n; i++) {
        char *help = help_of(&cmds[i]);

        cr_assert_not_null(strstr(help, "  -c, --config FILE "), "%s", cmds[i].name);
        cr_assert_null(strstr(help, "-C, --customer"), "%s", cmds[i].name);
        if (strcmp(cmds[i].name, "rollback") == 0)
            cr_assert_not_null(strstr(help, "  -y, --yes "));
        free(help);
    }
}

/*
 * getopt hands a command the value of each option it was given: a command's option whose value
 * is also a global option's (or another of its own) would be taken for that one.
 */
Test(cli, option_values_unique)
{
    size_t n;
    const struct jiku_command *cmds = jiku_cli_commands(&n);

    for (size_t i = 0; i < n; i++) {
        for (const struct jiku_cmd_option *o = cmds[i].options; o != NULL && o->opt.name; o++) {
            for (const struct jiku_cmd_option *g = jiku_cli_global_options(); g->opt.name; g++)
                cr_assert_neq(o->opt.val, g->opt.val, "%s --%s has the value of --%s", cmds[i].name,
                              o->opt.name, g->opt.name);
            for (const struct jiku_cmd_option *p = cmds[i].options; p != o; p++)
                cr_assert_neq(o->opt.val, p->opt.val, "%s: --%s and --%s share a value",
                              cmds[i].name, o->opt.name, p->opt.name);
        }
    }
}

static char *
pick(struct jiku_actor_env env)
{
    char *s = jiku_actor_pick(&env);

    cr_assert_not_null(s);
    return s;
}

#define assert_actor(want, ...)                                                                    \
    do {                                                                                           \
        char *got_ = pick((struct jiku_actor_env){__VA_ARGS__});                                   \
        cr_assert_str_eq(got_, want);                                                              \
        free(got_);                                                                                \
    } while (0)

Test(actor, order_of_sources)
{
    assert_actor("alice", .sudo_user = "alice", .login = "bob", .invocation_id = "x",
                 .unit = "jiku-agent-nightly.service", .cron = true, .user = "root");
    assert_actor("bob", .sudo_user = "", .login = "bob", .invocation_id = "x", .cron = true,
                 .user = "root");
    assert_actor("systemd:jiku-agent-nightly.service", .invocation_id = "0123",
                 .unit = "jiku-agent-nightly.service", .cron = true, .user = "root");
    assert_actor("systemd", .invocation_id = "0123", .user = "root");
    assert_actor("cron", .cron = true, .user = "root");
    assert_actor("root", .user = "root");
    assert_actor("unknown", .user = NULL);
}

/* A person's ssh session without a terminal (a script over ssh) is the person, never cron. */
Test(actor, ssh_session_without_tty_is_the_person)
{
    assert_actor("carol", .login = "carol", .user = "root");
}

Test(actor, unit_from_cgroup)
{
    char *u;

    u = jiku_actor_cgroup_unit("0::/system.slice/jiku-agent-nightly.service\n");
    cr_assert_str_eq(u, "jiku-agent-nightly.service");
    free(u);
    u = jiku_actor_cgroup_unit("12:pids:/\n1:name=systemd:/system.slice/x.service\n0::/\n");
    cr_assert_str_eq(u, "x.service");
    free(u);
    cr_assert_null(jiku_actor_cgroup_unit("0::/user.slice/user-0.slice/session-3.scope\n"));
    cr_assert_null(jiku_actor_cgroup_unit("0::/\n"));
    cr_assert_null(jiku_actor_cgroup_unit(""));
    cr_assert_null(jiku_actor_cgroup_unit("0::/.service\n"));
}
