/*
 * complete: the words shell completion offers (packaging/bash-completion/jiku-agent), one a
 * line on stdout.  Read only and quiet: no run row, no warnings, and nothing at all (status 0)
 * when the configuration or the catalog cannot be read, so a TAB never prints into the line.
 */
#include <stdio.h>
#include <string.h>

#include "artifact.h"
#include "catalog.h"
#include "cli.h"

static void
complete_options(const struct jiku_cmd_option *o)
{
    for (; o != NULL && o->opt.name != NULL; o++)
        printf("--%s\n", o->opt.name);
}

/* The ids of the artifacts of TARGET (NULL: all), newest first, when the catalog exists. */
static void
complete_ids(struct jiku_session *ctx, const char *target)
{
    struct jiku_artifact_list list = {0};
    struct jiku_catalog *cat = NULL;
    struct jiku_err err = {0};

    /* A TAB neither creates nor migrates the catalog.  Not the session's: closing that one
     * ends a run and logs the audit's head. */
    if (jiku_catalog_open_read_only(ctx->cfg->state_dir, &cat, &err) != 0 ||
        jiku_catalog_artifact_list(cat, target, NULL, false, &list, &err) != 0)
        goto out;
    for (size_t i = 0; i < list.n; i++)
        printf("%s\n", list.items[i].id);
out:
    jiku_artifact_list_release(&list);
    jiku_catalog_close(cat);
}

int
jiku_cmd_complete(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    const char *what = args->argv[0], *arg = args->argc > 1 ? args->argv[1] : NULL;
    const struct jiku_command *cmds;
    struct jiku_err err = {0};
    size_t n;

    cmds = jiku_cli_commands(&n);
    if (strcmp(what, "commands") == 0) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", cmds[i].name);
        return 0;
    }
    if (strcmp(what, "options") == 0) {
        for (size_t i = 0; arg != NULL && i < n; i++)
            if (strcmp(cmds[i].name, arg) == 0)
                complete_options(cmds[i].options);
        complete_options(jiku_cli_global_options());
        return 0;
    }
    if (strcmp(what, "targets") != 0 && strcmp(what, "customers") != 0 &&
        strcmp(what, "servers") != 0 && strcmp(what, "ids") != 0)
        return jiku_cmd_usage(ctx, args->cmd, "unknown 'complete %s'", what);
    /* no warnings about the configuration while a TAB completes, and none for a new server */
    ctx->quiet = true;
    if (jiku_session_open(ctx, JIKU_NEED_NEW_KNOWN_HOSTS, &err) != 0)
        return 0;
    if (strcmp(what, "ids") == 0)
        complete_ids(ctx, arg);
    else if (strcmp(what, "targets") == 0)
        for (size_t i = 0; i < ctx->cfg->n_targets; i++)
            printf("%s\n", ctx->cfg->targets[i].info.id);
    else if (strcmp(what, "customers") == 0)
        for (size_t i = 0; i < ctx->cfg->n_customers; i++)
            printf("%s\n", ctx->cfg->customers[i].name);
    else
        for (size_t i = 0; i < ctx->cfg->n_servers; i++)
            printf("%s\n", ctx->cfg->servers[i].info.name);
    return 0;
}
