/*
 * servers check / trust, plugins: the fleet-level commands (discover: cmd_discover.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "cli.h"
#include "err.h"
#include "hostimpl.h"
#include "http.h"
#include "plugin_loader.h"
#include "ssh.h"

/* Worst of two statuses for one server's line: the first failure wins. */
static int
first_failure(int a, int b)
{
    return a != 0 ? a : b;
}

/* TLS: any HTTP answer from the API port means the certificate (or pin) checked out. */
static int
check_tls(struct jiku_session *ctx, const struct jiku_server_conf *s, struct jiku_err *err)
{
    struct jiku_http_request req = {.method = "GET", .path = "/", .safe_to_retry = true};
    struct jiku_http_response resp = {.body = JIKU_BUF_INIT};
    struct jiku_http *http;
    int r;

    if ((r = jiku_hostimpl_http(ctx->host, &http, err)) != 0)
        return r;
    r = jiku_http_request(http, s, &req, &resp, err);
    jiku_http_response_release(&resp);
    return r;
}

/* The API and each target on the server, through the plugin's probe. */
static int
check_api(struct jiku_session *ctx, const struct jiku_server_conf *s, char **version,
          struct jiku_err *err)
{
    const struct jiku_loaded_plugin *lp;
    int r;

    if ((r = jiku_plugins_get(ctx->plugins, s->info.panel, ctx->host_table, &lp, err)) != 0)
        return r;
    for (size_t i = 0; i < ctx->cfg->n_targets; i++) {
        const struct jiku_target_conf *t = &ctx->cfg->targets[i];
        struct jiku_op_params params = {.operation_id = "probe"};
        struct jiku_op_result result = {0};

        if (t->server != s)
            continue;
        r = jiku_action_plugin(ctx, t, JIKU_VERB_PROBE, &params, &result, err);
        if (r == 0 && *version == NULL && result.panel_version != NULL)
            *version = strdup(result.panel_version);
        jiku_op_result_release(&result);
        if (r != 0)
            return jiku_err_prefix(err, "target '%s'", t->info.id);
    }
    return 0;
}

static int
check_server(struct jiku_session *ctx, const struct jiku_server_conf *s)
{
    struct jiku_err tls = {0}, api = {0}, ssh = {0};
    struct jiku_ssh *sh = NULL;
    char *version = NULL;
    int rt, ra, rs, code;

    rt = check_tls(ctx, s, &tls);
    ra = rt == 0 ? check_api(ctx, s, &version, &api) : 0;
    rs = jiku_hostimpl_ssh(ctx->host, &sh, &ssh);
    if (rs == 0)
        rs = jiku_ssh_check_host(sh, s, &ssh);
    code = jiku_status_exit_code(first_failure(first_failure(rt, rs), ra));

    jiku_out_json(&ctx->out, "server", "{s:s, s:s, s:s?, s:s, s:s, s:s, s:i}", "server",
                  s->info.name, "panel", s->info.panel, "version", version, "tls",
                  rt == 0 ? "ok" : tls.msg, "api",
                  rt != 0   ? "not checked"
                  : ra == 0 ? "ok"
                            : api.msg,
                  "ssh", rs == 0 ? "ok" : ssh.msg, "exit_code", code);
    jiku_out_text(&ctx->out, "%-16s %-7s %-10s tls %s; api %s; ssh %s\n", s->info.name,
                  s->info.panel, version ? version : "-", rt == 0 ? "ok" : tls.msg,
                  rt != 0   ? "not checked"
                  : ra == 0 ? "ok"
                            : api.msg,
                  rs == 0 ? "ok" : ssh.msg);
    if (code == 0)
        ctx->out.ok++;
    else {
        ctx->out.failed++;
        ctx->out.first_fail_code =
            ctx->out.first_fail_code == 0 || ctx->out.first_fail_code == code ? code : 1;
    }
    free(version);
    return code;
}

static int
servers_trust(struct jiku_session *ctx, const struct jiku_command *cmd, const char *name,
              const char *fingerprint)
{
    const struct jiku_server_conf *s;
    struct jiku_err err = {0};

    if (fingerprint == NULL || strncmp(fingerprint, "SHA256:", 7) != 0)
        return jiku_cmd_usage(ctx, cmd,
                              "--fingerprint SHA256:... is required (obtained out of "
                              "band, e.g. from the provider's console; 'jiku-agent servers "
                              "fingerprint %s' shows what the server offers)",
                              name);
    if ((s = jiku_config_server(ctx->cfg, name)) == NULL) {
        jiku_err_set(&err, JIKU_E_NOTFOUND, "no such server '%s'", name);
        return jiku_cmd_fail(ctx, &err);
    }
    if (jiku_ssh_trust(s, ctx->cfg->connect_timeout, fingerprint, &err) != 0)
        return jiku_cmd_fail(ctx, &err);
    jiku_out_text(&ctx->out, "enrolled the host key %s of '%s' into '%s'\n", fingerprint, name,
                  s->known_hosts);
    return 0;
}

struct fingerprint_out {
    struct jiku_session *ctx;
    const char *server;
    int n;
};

static void
fingerprint_line(const char *type, const char *fp, void *arg)
{
    struct fingerprint_out *fo = arg;

    fo->n++;
    jiku_out_json(&fo->ctx->out, "hostkey", "{s:s, s:s, s:s}", "server", fo->server, "key_type",
                  type, "fingerprint", fp);
    /* "TYPE SHA256:..." with nothing else on the line: scripts read the second field */
    if (!fo->ctx->out.json)
        printf("%s %s\n", type, fp);
}

/* The keys the server offers, and how to compare them before trusting one; never writes. */
static int
servers_fingerprint(struct jiku_session *ctx, const char *name)
{
    struct fingerprint_out fo = {ctx, name, 0};
    const struct jiku_server_conf *s;
    struct jiku_err err = {0};

    if ((s = jiku_config_server(ctx->cfg, name)) == NULL) {
        jiku_err_set(&err, JIKU_E_NOTFOUND, "no such server '%s'", name);
        return jiku_cmd_fail(ctx, &err);
    }
    if (jiku_ssh_fingerprints(s, ctx->cfg->connect_timeout, fingerprint_line, &fo, &err) != 0)
        return jiku_cmd_fail(ctx, &err);
    if (!ctx->out.json)
        printf("\nCompare on the server's console, for each key type:\n"
               "  ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\n"
               "then enrol the key that matches:\n"
               "  jiku-agent servers trust %s --fingerprint SHA256:...\n",
               name);
    return 0;
}

int
jiku_cmd_servers(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    const struct jiku_command *cmd = args->cmd;
    const char *sub = args->argv[0], *fingerprint = NULL;
    bool check = strcmp(sub, "check") == 0;
    struct jiku_err err = {0};

    if (!check && strcmp(sub, "trust") != 0 && strcmp(sub, "fingerprint") != 0)
        return jiku_cmd_usage(ctx, cmd, "unknown 'servers %s' command", sub);
    if (!check && args->argc != 2)
        return jiku_cmd_usage(ctx, cmd, "servers %s takes one server", sub);
    for (size_t i = 0; i < args->n_opts; i++)
        fingerprint = args->opts[i].arg;
    if (fingerprint != NULL && strcmp(sub, "trust") != 0)
        return jiku_cmd_usage(ctx, cmd, "--fingerprint belongs to 'servers trust'");
    /* Enrolling a key is how known_hosts comes to exist: only check needs it already. */
    if (jiku_session_open(ctx, check ? JIKU_NEED_PLUGINS : JIKU_NEED_NEW_KNOWN_HOSTS, &err) != 0)
        return jiku_cmd_fail(ctx, &err);
    if (strcmp(sub, "trust") == 0)
        return servers_trust(ctx, cmd, args->argv[1], fingerprint);
    if (!check)
        return servers_fingerprint(ctx, args->argv[1]);
    if (args->argc == 1) {
        for (size_t i = 0; i < ctx->cfg->n_servers; i++)
            check_server(ctx, &ctx->cfg->servers[i]);
    } else {
        for (int i = 1; i < args->argc; i++) {
            const struct jiku_server_conf *s = jiku_config_server(ctx->cfg, args->argv[i]);

            if (s == NULL) {
                jiku_err_set(&err, JIKU_E_NOTFOUND, "no such server '%s'", args->argv[i]);
                return jiku_cmd_fail(ctx, &err);
            }
            check_server(ctx, s);
        }
    }
    return 0;
}

/* The keys a plugin adds to SECTION ("server", "target"), from its MAP. */
static void
plugin_keys(struct jiku_session *ctx, const char *plugin, const char *section,
            const struct jiku_config_map *map)
{
    static const char *const types[] = {
        [JIKU_CONFIG_TEXT] = "text",     [JIKU_CONFIG_PATH] = "path",
        [JIKU_CONFIG_INT] = "integer",   [JIKU_CONFIG_BOOL] = "yes/no",
        [JIKU_CONFIG_CHOICE] = "choice",
    };

    for (; map != NULL && map->name != NULL; map++) {
        const char *type = (unsigned)map->type <= JIKU_CONFIG_CHOICE ? types[map->type] : "?";

        jiku_out_json(&ctx->out, "plugin_key", "{s:s, s:s, s:s, s:s, s:s?, s:s?}", "plugin", plugin,
                      "section", section, "name", map->name, "value_type", type, "default",
                      map->def, "description", map->description);
        jiku_out_text(&ctx->out, "  [%s] %s = %s  (%s) %s\n", section, map->name,
                      map->def != NULL ? map->def : "", type,
                      map->description != NULL ? map->description : "");
    }
}

static void
plugin_line(const struct jiku_loaded_plugin *lp, const char *error, void *arg)
{
    struct jiku_session *ctx = arg;
    unsigned abi = lp->desc.abi_version;

    jiku_out_json(&ctx->out, "plugin", "{s:s?, s:s?, s:s, s:s?, s:s?}", "name", lp->desc.name,
                  "version", lp->desc.version, "abi",
                  abi == 0                               ? ""
                  : (abi >> 16) == JIKU_PLUGIN_ABI_MAJOR ? "compatible"
                                                         : "mismatch",
                  "path", lp->path, "error", error);
    if (error != NULL)
        jiku_out_text(&ctx->out, "%-10s error: %s\n", lp->path ? lp->path : "?", error);
    else
        jiku_out_text(&ctx->out, "%-10s %-10s ABI %u.%u  %s\n", lp->desc.name, lp->desc.version,
                      abi >> 16, abi & 0xffff, lp->path ? lp->path : "(built in)");
    if (error == NULL && lp->desc.facts != NULL) {
        plugin_keys(ctx, lp->desc.name, "server", lp->desc.facts->server_map);
        plugin_keys(ctx, lp->desc.name, "target", lp->desc.facts->target_map);
    }
}

int
jiku_cmd_plugins(struct jiku_session *ctx, const struct jiku_cmd_args *args)
{
    (void)args; /* no options, no operands */
    jiku_plugins_each(ctx->plugins, plugin_line, ctx);
    return 0;
}
