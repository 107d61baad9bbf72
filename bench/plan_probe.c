/*
 * The planning probe of bench/scale_config.sh: a "cpanel" plugin, built only for the
 * benchmark, whose first action call writes the agent's CPU time so far (getrusage of the
 * whole process: user + sys, in microseconds) to the file named by $JIKU_PLAN_PROBE and then
 * ends the process at once.  What `nightly` spent before that call is its planning: loading
 * the configuration, the policy decisions, the catalog, locks and plugins for every target.
 * Ending there is the cheapest honest way to stop a run of 10,000 operations: nothing after
 * the first start call is measured, and the benchmark's state directory is thrown away.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "jiku/plugin.h"

static int
probe_first_call(struct jiku_op *op, struct jiku_err *err)
{
    const char *path = getenv("JIKU_PLAN_PROBE");
    struct rusage ru;
    char line[64];
    int fd, n;

    (void)op;
    (void)err;
    if (path == NULL || getrusage(RUSAGE_SELF, &ru) != 0)
        _exit(3);
    n = snprintf(line, sizeof(line), "%lld\n",
                 (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
                     ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    /* O_EXCL: only the first call of all the workers writes */
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0) {
        if (write(fd, line, (size_t)n) != n)
            _exit(3);
        close(fd);
    }
    _exit(0);
}

static const struct jiku_plugin_action probe_actions[] = {
    {JIKU_VERB_SNAPSHOT, JIKU_KIND_ACCOUNT, probe_first_call},
    {JIKU_VERB_BACKUP, JIKU_KIND_ACCOUNT, probe_first_call},
};

/* cPanel's port and lock owner, as tests/plugins/recorder.c has them */
static const struct jiku_panel_facts probe_facts = {
    .api_port = 2087,
    .owner_object = "account",
};

static const struct jiku_plugin probe_plugin = {
    .abi_version = JIKU_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jiku_plugin),
    .name = "cpanel",
    .version = "plan-probe",
    .actions = probe_actions,
    .n_actions = sizeof(probe_actions) / sizeof(probe_actions[0]),
    .facts = &probe_facts,
};

JIKU_PLUGIN_EXPORT(plan_probe, probe_plugin);
