/*
 * A panel the core has never heard of: Nimbus (tests/plugins/nimbus.c) declares its facts in
 * its descriptor, and the configuration takes its default port and checks its accounts in its
 * words, the target locks use its owner object, and wire traces keep its secret header and
 * path segment out, all from plugin_dir, without the plugin being opened.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fixture.h"
#include "http_int.h"
#include "jiku/buf.h"
#include "lock.h"
#include "log.h"

static struct jiku_config *cfg;
static struct jiku_diags diags;
static struct jiku_err err;

static void
setup(void)
{
    fixture_setup();
    install(JIKU_TPLUGIN_NIMBUS, "nimbus.so", 0755);
    write_file(at("n1.token"), "SECRET-TOKEN\n", 13, 0600);
    write_file(at("id_ed25519"), "SECRET-KEY\n", 11, 0600);
    write_file(at("known_hosts"), "# none\n", 7, 0644);
    cfg = NULL;
}

static void
teardown(void)
{
    jiku_config_free(cfg);
    jiku_diags_release(&diags);
    fixture_teardown();
}

TestSuite(facts, .init = setup, .fini = teardown, .timeout = 60);

/*
 * agent.conf with one Nimbus server (its keys end on line 12, then SERVER_KEYS) and a target
 * of KIND on ACCOUNT (line 20 without SERVER_KEYS; TARGET_KEYS last); loaded.
 */
static int
load_with(const char *plugin_dir, const char *kind, const char *account, const char *server_keys,
          const char *target_keys)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    int r;

    cr_assert_eq(jiku_buf_addf(&b,
                               "[agent]\nstate_dir = %s/state\nbackup_dir = %s/backups\n"
                               "policy_dir = %s/policies\nplugin_dir = %s\n\n"
                               "[server n1]\npanel = nimbus\nhost = n1.example.net\n"
                               "api_token_file = %s\nssh_key = %s\nknown_hosts = %s\n%s\n"
                               "[customer acme]\ntier = medium\n\n"
                               "[target acme/blog]\nserver = n1\nkind = %s\n"
                               "account = %s\ndomain = blog.acme.example\n%s",
                               dir, dir, JIKU_SOURCE_DIR, plugin_dir, at("n1.token"),
                               at("id_ed25519"), at("known_hosts"), server_keys, kind, account,
                               target_keys),
                 0);
    unlink(at("agent.conf"));
    write_file(at("agent.conf"), b.data, b.len, 0644);
    jiku_buf_release(&b);
    r = jiku_config_load(at("agent.conf"), 0, &cfg, &diags, &err);
    for (size_t i = 0; i < diags.n; i++)
        cr_log_info("diag: %s", diags.items[i].msg);
    return r;
}

/* agent.conf with one Nimbus server and a WordPress target on ACCOUNT (line 20); loaded. */
static int
load(const char *plugin_dir, const char *account)
{
    return load_with(plugin_dir, "wordpress", account, "", "");
}

/* Whether the diagnostics hold "agent.conf:LINE: MSG" exactly. */
static bool
has_diag(int line, const char *msg)
{
    char want[1024];

    snprintf(want, sizeof(want), "%s:%d: %s", at("agent.conf"), line, msg);
    for (size_t i = 0; i < diags.n; i++)
        if (strcmp(diags.items[i].msg, want) == 0)
            return true;
    cr_log_error("missing: %s", want);
    return false;
}

Test(facts, config_takes_the_panels_port_and_accounts)
{
    const struct jiku_server_conf *s;

    cr_assert_eq(load(dir, "t1024"), 0, "%s", err.msg);
    cr_assert_not_null(s = jiku_config_server(cfg, "n1"));
    cr_assert_not_null(s->facts);
    cr_assert_eq(s->info.api_port, 7443);
    cr_assert_str_eq(s->facts->admin_login, "operator");
}

Test(facts, config_refuses_an_account_in_the_panels_words)
{
    cr_assert_eq(load(dir, "acme"), JIKU_E_CONFIG);
    cr_assert(has_diag(20, "invalid account 'acme': expected a Nimbus tenant id (t and 1 to 8 "
                           "digits)"));
    cr_assert_eq(diags.n_errors, 1);
}

Test(facts, a_panel_without_a_plugin_is_unknown)
{
    char want[PATH_SIZE + 64];

    cr_assert_eq(load(at("none"), "t1024"), JIKU_E_CONFIG);
    snprintf(want, sizeof(want), "invalid panel 'nimbus': no panel plugin in '%s'", at("none"));
    cr_assert(has_diag(8, want));
}

Test(facts, config_reads_the_panels_own_keys)
{
    struct jiku_buf shown = JIKU_BUF_INIT;
    const struct jiku_server_conf *s;
    const struct jiku_target_conf *t;

    cr_assert_eq(load_with(dir, "wordpress", "t1024", "region = us-east\nticket_ttl = 120\n",
                           "site_record = wp-77\n"),
                 0, "%s", err.msg);
    cr_assert_eq(diags.n, 0);
    cr_assert_not_null(s = jiku_config_server(cfg, "n1"));
    cr_assert_not_null(t = jiku_config_target(cfg, "acme/blog"));
    cr_assert_not_null(s->info.settings);
    cr_assert_not_null(t->info.settings);
    cr_assert_eq(jiku_config_show(cfg, &shown), 0);
    /* set, and the default of the one left unset, in the order of the panel's map */
    cr_assert(strstr(shown.data, "snapshot_dir = /home/jiku-snapshots\nweb_port = 443\n"
                                 "region = us-east\n"
                                 "ticket_ttl = 120\nstaging_api = no\n") != NULL,
              "%s", shown.data);
    cr_assert(strstr(shown.data, "site_record = wp-77\n") != NULL, "%s", shown.data);
    jiku_buf_release(&shown);
}

Test(facts, config_checks_the_panels_own_keys)
{
    char want[PATH_SIZE + 64];

    cr_assert_eq(load_with(dir, "wordpress", "t1024",
                           "region = mars\nticket_ttl = 5\nfrobnicate = 1\ndump_dir = /x\n"
                           "region = eu-central\n",
                           "site_record =\n"),
                 JIKU_E_CONFIG);
    cr_assert(has_diag(13, "invalid region 'mars': expected eu-central or us-east"));
    cr_assert(has_diag(14, "invalid ticket_ttl '5': expected an integer from 60 to 86400"));
    cr_assert(has_diag(15, "unknown key 'frobnicate' in [server n1]"));
    cr_assert(has_diag(16, "unknown key 'dump_dir' in [server n1]"));
    snprintf(want, sizeof(want), "duplicate key 'region' in [server n1] (first at %s:13)",
             at("agent.conf"));
    cr_assert(has_diag(17, want));
    cr_assert(has_diag(27, "site_record needs a value"));
    cr_assert_eq(diags.n_errors, 6);
}

Test(facts, a_map_the_core_cannot_use_makes_the_plugin_unusable)
{
    cr_assert_eq(mkdir(at("bad"), 0755), 0);
    install(JIKU_TPLUGIN_NIMBUS_BADMAP, "bad/nimbus.so", 0755);
    cr_assert_eq(
        load_with(at("bad"), "wordpress", "t1024", "ticket_ttl = 120\n", "site_record = wp-77\n"),
        JIKU_E_CONFIG);
    cr_assert(has_diag(8, "plugin 'nimbus' cannot be used: its [server] key 'host' is not a "
                          "name of its own"));
    /* said once: its keys are not reported again as unknown */
    cr_assert_eq(diags.n_errors, 1);

    /* two keys on the same bytes would write an int into a pointer */
    cr_assert_eq(mkdir(at("overlap"), 0755), 0);
    install(JIKU_TPLUGIN_NIMBUS_OVERLAP, "overlap/nimbus.so", 0755);
    jiku_config_free(cfg);
    cfg = NULL;
    jiku_diags_release(&diags);
    cr_assert_eq(load(at("overlap"), "t1024"), JIKU_E_CONFIG);
    cr_assert(has_diag(8, "plugin 'nimbus' cannot be used: its [server] key 'ticket_ttl' lies "
                          "outside its settings or on another key's"));
}

Test(facts, config_refuses_a_kind_the_panel_does_not_serve)
{
    cr_assert_eq(load_with(dir, "account", "t1024", "", ""), JIKU_E_CONFIG);
    cr_assert(has_diag(19, "kind account is served by no panel plugin; 'n1' is nimbus"));
}

Test(facts, locks_use_the_panels_owner_object)
{
    const struct jiku_target_conf *t;
    struct jiku_lock *lock = NULL;
    char state[PATH_SIZE];
    struct stat st;

    cr_assert_eq(load(dir, "t1024"), 0, "%s", err.msg);
    cr_assert_not_null(t = jiku_config_target(cfg, "acme/blog"));
    snprintf(state, sizeof(state), "%s", at("state"));
    cr_assert_eq(jiku_lock_target(state, t, 0, &lock, &err), 0, "%s", err.msg);
    cr_assert_eq(stat(at("state/locks/n1.tenant.t1024"), &st), 0, "no owner lock");
    cr_assert_eq(stat(at("state/locks/n1.site.blog.acme.example._2f"), &st), 0, "no site lock");
    jiku_lock_release(lock);
}

/* What the trace logs for one block of headers going DIR ('>' out, '<' in), FACTS applied. */
static char *
trace(const struct jiku_panel_facts *facts, curl_infotype dir_type, const char *headers)
{
    struct jiku_http_request req = {.method = "GET", .path = "/ticket-SECRET2/v1/sites?x=1"};
    struct jiku_http_trace_ctx ctx = {&req, facts};
    char *data = strdup(headers), *out;
    int saved, fd;
    FILE *f;
    long n;

    cr_assert_not_null(data);
    fflush(stderr);
    saved = dup(STDERR_FILENO);
    fd = open(at("trace.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    jiku_log_setup(JIKU_LOG_STDERR, JIKU_LOG_TRACE);
    jiku_http_trace(NULL, dir_type, data, strlen(data), &ctx);
    jiku_log_setup(JIKU_LOG_STDERR, JIKU_LOG_WARN);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    free(data);

    cr_assert_not_null(f = fopen(at("trace.txt"), "r"));
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    cr_assert_not_null(out = calloc(1, (size_t)n + 1));
    cr_assert_eq(fread(out, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return out;
}

Test(facts, traces_keep_the_panels_secrets_out)
{
    const struct jiku_server_conf *s;
    char *in, *out, *bare;

    cr_assert_eq(load(dir, "t1024"), 0, "%s", err.msg);
    cr_assert_not_null(s = jiku_config_server(cfg, "n1"));
    out = trace(s->facts, CURLINFO_HEADER_OUT,
                "GET /ticket-SECRET2/v1/sites?x=1 HTTP/1.1\r\nX-Visible: shown\r\n");
    in = trace(s->facts, CURLINFO_HEADER_IN,
               "HTTP/1.1 302 Found\r\nX-Nimbus-Ticket: SECRET1\r\n"
               "Location: https://n1.example.net:7443/ticket-SECRET3/home\r\n");
    bare = trace(NULL, CURLINFO_HEADER_IN, "X-Nimbus-Ticket: SECRET1\r\n");

    cr_assert(strstr(out, "> GET /ticket-*/v1/sites?...") != NULL, "%s", out);
    cr_assert(strstr(out, "X-Visible: shown") != NULL, "%s", out);
    cr_assert(strstr(in, "< X-Nimbus-Ticket: <redacted>") != NULL, "%s", in);
    cr_assert(strstr(in, "< Location: https://n1.example.net:7443/ticket-*/home") != NULL, "%s",
              in);
    cr_assert(strstr(out, "SECRET") == NULL && strstr(in, "SECRET") == NULL, "%s%s", out, in);
    /* Without the panel's facts the header is nothing special: the facts did the redacting. */
    cr_assert(strstr(bare, "X-Nimbus-Ticket: SECRET1") != NULL, "%s", bare);
    free(out);
    free(in);
    free(bare);
}
