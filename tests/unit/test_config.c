/*
 * Configuration loading (jiku-agent.conf(5)): values, defaults, files, the line reader, secrets,
 * references, policy files, show, and a thousand customers.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "cpanel_settings.h"
#include "fsutil.h"
#include "jiku/buf.h"
#include "plesk_settings.h"
#include "plugin_loader.h"
#include "policy.h"
#include "secret.h"

#define POLICY_DIR JIKU_SOURCE_DIR "/policies"

/*
 * The real panels, built in: the loader takes their facts (default ports, account syntax) from
 * their descriptors, as it takes them from plugin_dir in the packaged build.
 */
extern const struct jiku_plugin jiku_plugin_cpanel_desc, jiku_plugin_plesk_desc;
const struct jiku_plugin *const jiku_static_plugins[] = {
    &jiku_plugin_cpanel_desc,
    &jiku_plugin_plesk_desc,
    NULL,
};

/* What makes a cPanel account, as the configuration checks it. */
static bool
cpanel_account(const char *s)
{
    return jiku_plugin_cpanel_desc.facts->valid_account(s);
}

static char dir[64];
static struct jiku_config *cfg;
static struct jiku_diags diags;
static struct jiku_err err;

/* S with @D@ → the test directory and @P@ → the shipped policies. Caller frees. */
static char *
subst(const char *s)
{
    struct jiku_buf b = JIKU_BUF_INIT;

    while (*s != '\0') {
        if (strncmp(s, "@D@", 3) == 0) {
            jiku_buf_adds(&b, dir);
            s += 3;
        } else if (strncmp(s, "@P@", 3) == 0) {
            jiku_buf_adds(&b, POLICY_DIR);
            s += 3;
        } else if (strncmp(s, "@F@", 3) == 0) {
            jiku_buf_addf(&b, "%s/agent.conf", dir);
            s += 3;
        } else {
            jiku_buf_addch(&b, *s++);
        }
    }
    return jiku_buf_detach(&b);
}

static void
write_file(const char *rel, mode_t mode, const char *text)
{
    char path[512];
    char *body = subst(text);
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    cr_assert_not_null(f = fopen(path, "w"), "cannot write %s", path);
    fputs(body, f);
    fclose(f);
    cr_assert_eq(chmod(path, mode), 0);
    free(body);
}

static void
mkdir_in(const char *rel)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    cr_assert_eq(mkdir(path, 0700), 0, "mkdir %s: %s", path, strerror(errno));
}

static void
setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/jiku-config-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    write_file("web1.token", 0600, "SECRET-TOKEN-web1\n");
    write_file("plesk1.token", 0600, "SECRET-TOKEN-plesk1\n");
    write_file("plesk1.password", 0600, "SECRET-PASSWORD\n");
    write_file("id_ed25519", 0600, "SECRET-KEY\n");
    write_file("known_hosts", 0644, "# none\n");
    write_file("ca.pem", 0644, "# not a certificate\n");
    {
        char link[512];

        snprintf(link, sizeof(link), "%s/link.token", dir);
        cr_assert_eq(symlink("web1.token", link), 0);
    }
    cfg = NULL;
    memset(&diags, 0, sizeof(diags));
    memset(&err, 0, sizeof(err));
}

static void
teardown(void)
{
    jiku_config_free(cfg);
    jiku_diags_release(&diags);
    jiku_remove_tree(dir, NULL);
}

TestSuite(config, .init = setup, .fini = teardown);

/* Two servers every snippet can refer to; 14 lines. */
static const char base_conf[] = "# base\n"
                                "[server web1]\n"
                                "panel = cpanel\n"
                                "host = 127.0.0.1\n"
                                "api_token_file = @D@/web1.token\n"
                                "ssh_key = @D@/id_ed25519\n"
                                "known_hosts = @D@/known_hosts\n"
                                "\n"
                                "[server plesk1]\n"
                                "panel = plesk\n"
                                "host = plesk1.example.net\n"
                                "api_token_file = @D@/plesk1.token\n"
                                "ssh_key = @D@/id_ed25519\n"
                                "known_hosts = @D@/known_hosts\n";
#define BASE_LINES 14

/* "[agent] policy_dir" and one medium customer: 4 lines, for target snippets. */
#define ACME "[agent]\npolicy_dir = @P@\n[customer acme]\ntier = medium\n"

/* The last load's configuration, diagnostics and error gone, for the next. */
static void
unload(void)
{
    jiku_config_free(cfg);
    cfg = NULL;
    jiku_diags_release(&diags);
    memset(&err, 0, sizeof(err));
}

static int
load_path(const char *path, unsigned flags)
{
    unload();
    return jiku_config_load(path, flags, &cfg, &diags, &err);
}

static int
load(unsigned flags)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/agent.conf", dir);
    return load_path(path, flags);
}

/* base_conf + SNIPPET as agent.conf, loaded. */
static int
load_snippet(const char *snippet)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    int r;

    jiku_buf_adds(&b, base_conf);
    jiku_buf_adds(&b, snippet);
    write_file("agent.conf", 0644, b.data);
    jiku_buf_release(&b);
    r = load(0);
    return r;
}

static void
dump_diags(void)
{
    for (size_t i = 0; i < diags.n; i++)
        cr_log_error("  have %s: %s", diags.items[i].is_error ? "error" : "warning",
                     diags.items[i].msg);
}

/* True when DIAGS holds exactly the message TEMPLATE (after @D@/@F@ substitution). */
static bool
has_diag(bool is_error, const char *template)
{
    char *want = subst(template);
    bool found = false;

    for (size_t i = 0; i < diags.n && !found; i++)
        found = diags.items[i].is_error == is_error && strcmp(diags.items[i].msg, want) == 0;
    if (!found) {
        cr_log_error("missing %s: %s", is_error ? "error" : "warning", want);
        dump_diags();
    }
    free(want);
    return found;
}

static void
expect_ok(int r)
{
    if (r != 0)
        dump_diags();
    cr_assert_eq(r, 0, "load failed: %s", err.msg);
    cr_assert_not_null(cfg);
    cr_assert_eq(diags.n_errors, 0);
}

/* ------------------------------------------------------------------ defaults and values */

Test(config, defaults)
{
    const struct jiku_server_conf *s;

    expect_ok(load_snippet(""));
    cr_assert_eq(diags.n, 0);
    cr_assert_eq(cfg->max_parallel, 8);
    cr_assert_eq(cfg->lock_wait, 600);
    cr_assert_eq(cfg->connect_timeout, 10);
    cr_assert_eq(cfg->retry_deadline, 300);
    cr_assert_str_eq(cfg->log, "auto");
    cr_assert_null(cfg->metrics_file);
    cr_assert_null(cfg->ping_url);
    cr_assert_str_eq(cfg->state_dir, "/var/lib/jiku-agent");
    cr_assert_str_eq(cfg->backup_dir, "/var/lib/jiku-agent/backups");
    cr_assert_str_neq(cfg->policy_dir, "");
    cr_assert_eq(cfg->policy_dir[0], '/');
    cr_assert_eq(cfg->plugin_dir[0], '/');
    cr_assert_eq(cfg->retention.keep_last, 3);
    cr_assert_eq(cfg->retention.keep_daily, 7);
    cr_assert_eq(cfg->retention.keep_weekly, 4);
    cr_assert_eq(cfg->retention.keep_monthly, 6);
    cr_assert_eq(cfg->retention.keep_safety, 5);
    cr_assert_eq(cfg->retention.keep_on_server, 2);

    cr_assert_eq(cfg->n_servers, 2);
    cr_assert_not_null(s = jiku_config_server(cfg, "web1"));
    cr_assert_eq(s, &cfg->servers[0]);
    cr_assert_str_eq(s->info.panel, "cpanel");
    cr_assert_eq(s->info.api_port, 2087);
    cr_assert_str_eq(s->info.api_user, "root");
    cr_assert_eq(s->info.ssh_port, 22);
    cr_assert_str_eq(s->info.ssh_user, "root");
    cr_assert_eq(s->max_parallel, 2);
    cr_assert_eq(s->info.timeout, 7200);
    cr_assert_eq(s->info.poll_max, 10);
    cr_assert_not(s->info.strict_warnings);
    cr_assert_str_eq(s->info.snapshot_dir, "/home/jiku-snapshots");
    cr_assert_eq(cpanel_settings(&s->info)->softaculous_port, 2083);
    cr_assert_eq(cpanel_settings(&s->info)->pkgacct_start_grace, 30);
    cr_assert_not(s->info.api_password);
    cr_assert_null(s->ca_file);
    cr_assert_null(s->pinned_pubkey);
    cr_assert_eq(s->src.line, 2);
    cr_assert_not_null(s = jiku_config_server(cfg, "plesk1"));
    cr_assert_eq(s->info.api_port, 8443);
    cr_assert_null(jiku_config_server(cfg, "web2"));
    cr_assert_null(jiku_config_customer(cfg, "acme"));
    cr_assert_null(jiku_config_target(cfg, "acme/shop"));
}

Test(config, target_defaults_and_inherited_retention)
{
    const struct jiku_target_conf *t;

    expect_ok(load_snippet(ACME "[retention]\nkeep_daily = 9\n"
                                "[target acme/shop]\nserver = web1\nkind = account\n"
                                "account = acmeshop\nkeep_last = 1\n"));
    cr_assert_not_null(t = jiku_config_target(cfg, "acme/shop"));
    cr_assert_str_eq(t->info.id, "acme/shop");
    cr_assert_str_eq(t->info.customer, "acme");
    cr_assert_str_eq(t->info.name, "shop");
    cr_assert_eq(t->info.kind, JIKU_KIND_ACCOUNT);
    cr_assert_str_eq(t->info.account, "acmeshop");
    cr_assert_null(t->info.domain);
    cr_assert_str_eq(t->info.path, "/");
    cr_assert_null(t->info.staging_domain);
    cr_assert_str_eq(t->info.promote_db, "all");
    cr_assert_eq(t->n_nightly, 0);
    cr_assert_eq(t->server, jiku_config_server(cfg, "web1"));
    cr_assert_eq(t->customer, jiku_config_customer(cfg, "acme"));
    cr_assert_eq(t->retention.keep_last, 1);
    cr_assert_eq(t->retention.keep_daily, 9);
    cr_assert_eq(t->retention.keep_weekly, 4);
    cr_assert_eq(t->retention.keep_on_server, 2);
    cr_assert_eq(t->src.line, BASE_LINES + 7);
    cr_assert_str_eq(cfg->customers[0].tier, "medium");
    cr_assert_null(cfg->customers[0].contact);
    cr_assert_eq(cfg->customers[0].n_overrides, 0);
    cr_assert_not_null(cfg->policies);
}

/* The update keys, a nightly list in its order, and what the kind gives by default. */
Test(config, update_keys_and_nightly_list)
{
    const struct jiku_target_conf *t;

    expect_ok(load_snippet(ACME "[target acme/blog]\nserver = web1\nkind = wordpress\n"
                                "account = acmeshop\ndomain = blog.example\npath = /shop\n"
                                "nightly = backup, update , snapshot\nupdate = themes,plugins\n"
                                "update_core = major\nupdate_exclude = akismet, hello-dolly\n"
                                "health_path = /shop/cart\nhealth_text = Add to cart\n"
                                "health_timeout = 90\n"
                                "[target acme/cloud]\nserver = web1\nkind = softaculous\n"
                                "account = acmeshop\ndomain = cloud.example\nnightly = none\n"));
    cr_assert_not_null(t = jiku_config_target(cfg, "acme/blog"));
    cr_assert_eq(t->n_nightly, 3);
    cr_assert_eq(t->nightly[0], JIKU_VERB_BACKUP);
    cr_assert_eq(t->nightly[1], JIKU_VERB_UPDATE);
    cr_assert_eq(t->nightly[2], JIKU_VERB_SNAPSHOT);
    cr_assert_eq(t->update.components,
                 JIKU_UPDATE_BIT(JIKU_UPDATE_PLUGINS) | JIKU_UPDATE_BIT(JIKU_UPDATE_THEMES));
    cr_assert(t->update.core_major);
    cr_assert_not_null(t->update.exclude);
    cr_assert_str_eq(t->update.exclude[0], "akismet");
    cr_assert_str_eq(t->update.exclude[1], "hello-dolly");
    cr_assert_null(t->update.exclude[2]);
    cr_assert_str_eq(t->update.health_path, "/shop/cart");
    cr_assert_str_eq(t->update.health_text, "Add to cart");
    cr_assert_eq(t->update.health_timeout, 90);
    cr_assert_eq(t->server->web_port, 443);

    cr_assert_not_null(t = jiku_config_target(cfg, "acme/cloud"));
    cr_assert_eq(t->n_nightly, 0);
    cr_assert_eq(t->update.components, JIKU_UPDATE_BIT(JIKU_UPDATE_APP));
    cr_assert_not(t->update.core_major);
    cr_assert_null(t->update.exclude);
    cr_assert_null(t->update.health_path);
    cr_assert_eq(t->update.health_timeout, 30);
}

static void
copy_fixture(const char *from, const char *to)
{
    char path[512];
    char text[8192];
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/tests/unit/config/%s", JIKU_SOURCE_DIR, from);
    cr_assert_not_null(f = fopen(path, "r"), "fixture %s", path);
    n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    write_file(to, 0644, text);
}

static void
load_full_fixture(void)
{
    mkdir_in("conf.d");
    copy_fixture("full/agent.conf", "agent.conf");
    copy_fixture("full/conf.d/10-acme.conf", "conf.d/10-acme.conf");
    copy_fixture("full/conf.d/20-high.conf", "conf.d/20-high.conf");
    copy_fixture("full/conf.d/50-plesk.conf", "conf.d/50-plesk.conf");
    expect_ok(load(0));
}

Test(config, every_key)
{
    const struct jiku_server_conf *s;
    const struct jiku_customer_conf *c;
    const struct jiku_target_conf *t;
    char want[512];

    load_full_fixture();
    cr_assert_eq(diags.n, 0);
    snprintf(want, sizeof(want), "%s/state", dir);
    cr_assert_str_eq(cfg->state_dir, want);
    snprintf(want, sizeof(want), "%s/backups", dir);
    cr_assert_str_eq(cfg->backup_dir, want);
    cr_assert_str_eq(cfg->policy_dir, POLICY_DIR);
    snprintf(want, sizeof(want), "%s/plugins", dir);
    cr_assert_str_eq(cfg->plugin_dir, want);
    cr_assert_eq(cfg->max_parallel, 16);
    cr_assert_eq(cfg->lock_wait, 0);
    cr_assert_eq(cfg->connect_timeout, 300);
    cr_assert_eq(cfg->retry_deadline, 86400);
    cr_assert_str_eq(cfg->log, "syslog");
    snprintf(want, sizeof(want), "%s/jiku.prom", dir);
    cr_assert_str_eq(cfg->metrics_file, want);
    cr_assert_str_eq(cfg->ping_url, "https://hc.example.net/ping/5f2c?x=1");
    cr_assert_eq(cfg->retention.keep_last, 0);
    cr_assert_eq(cfg->retention.keep_daily, 10000);
    cr_assert_eq(cfg->retention.keep_weekly, 5);
    cr_assert_eq(cfg->retention.keep_monthly, 12);
    cr_assert_eq(cfg->retention.keep_safety, 1);
    cr_assert_eq(cfg->retention.keep_on_server, 0);

    cr_assert_not_null(s = jiku_config_server(cfg, "web1"));
    cr_assert_str_eq(s->info.host, "web1.example.net");
    cr_assert_eq(s->info.api_port, 2088);
    cr_assert_str_eq(s->info.api_user, "whmadmin");
    snprintf(want, sizeof(want), "%s/web1.token", dir);
    cr_assert_str_eq(s->api_token_file, want);
    cr_assert_null(s->api_password_file);
    snprintf(want, sizeof(want), "%s/ca.pem", dir);
    cr_assert_str_eq(s->ca_file, want);
    cr_assert_str_eq(s->pinned_pubkey, "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;"
                                       "sha256//n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=");
    cr_assert_eq(s->info.ssh_port, 2222);
    cr_assert_str_eq(s->info.ssh_user, "jiku");
    snprintf(want, sizeof(want), "%s/id_ed25519", dir);
    cr_assert_str_eq(s->ssh_key, want);
    snprintf(want, sizeof(want), "%s/known_hosts", dir);
    cr_assert_str_eq(s->known_hosts, want);
    cr_assert_eq(s->max_parallel, 4);
    cr_assert_eq(s->info.timeout, 3600);
    cr_assert_eq(s->info.poll_max, 30);
    cr_assert(s->info.strict_warnings);
    cr_assert_str_eq(s->info.snapshot_dir, "/backup/snaps");
    cr_assert_eq(cpanel_settings(&s->info)->softaculous_port, 2084);

    cr_assert_not_null(s = jiku_config_server(cfg, "plesk1"));
    cr_assert_str_eq(s->info.host, "::1");
    cr_assert_eq(s->info.api_port, 8443);
    cr_assert_str_eq(s->info.api_user, "admin");
    cr_assert(s->info.api_password);
    cr_assert_null(s->api_token_file);
    snprintf(want, sizeof(want), "%s/plesk1.password", dir);
    cr_assert_str_eq(s->api_password_file, want);
    cr_assert_str_eq(plesk_settings(&s->info)->dump_dir, "/srv/dumps");
    cr_assert_str_eq(plesk_settings(&s->info)->backup, "xml");

    cr_assert_not_null(c = jiku_config_customer(cfg, "acme"));
    cr_assert_str_eq(c->tier, "medium");
    cr_assert_str_eq(c->contact, "Ops Team <ops@acme.example>");
    cr_assert_eq(c->n_overrides, 3);
    cr_assert_str_eq(c->overrides[0].action, "application.stage");
    cr_assert_eq(c->overrides[0].assignment, JIKU_ASSIGN_JIKU);
    cr_assert_str_eq(c->overrides[1].action, "application.promote");
    cr_assert_eq(c->overrides[1].assignment, JIKU_ASSIGN_CUSTOMER);
    cr_assert_str_eq(c->overrides[2].action, "server.update");
    cr_assert_eq(c->overrides[2].assignment, JIKU_ASSIGN_OPEN);
    cr_assert_eq(c->overrides[2].src.line, 6);

    cr_assert_not_null(t = jiku_config_target(cfg, "acme/shop"));
    cr_assert_eq(t->n_nightly, 1);
    cr_assert_eq(t->nightly[0], JIKU_VERB_BACKUP);
    cr_assert_str_eq(t->info.domain, "shop.acme.example");
    cr_assert_eq(t->retention.keep_daily, 14);
    cr_assert_eq(t->retention.keep_on_server, 1);
    cr_assert_eq(t->retention.keep_weekly, 5);
    cr_assert_not_null(t = jiku_config_target(cfg, "acme/cloud"));
    cr_assert_eq(t->info.kind, JIKU_KIND_SOFTACULOUS);
    cr_assert_str_eq(t->info.path, "/nextcloud");
    cr_assert_str_eq(t->info.staging_domain, "staging.cloud.acme.example");
    cr_assert_str_eq(t->info.promote_db, "none");
    cr_assert_eq(t->n_nightly, 1);
    cr_assert_eq(t->nightly[0], JIKU_VERB_SNAPSHOT);
    cr_assert_not_null(t = jiku_config_target(cfg, "acme/site"));
    cr_assert_eq(t->info.kind, JIKU_KIND_SUBSCRIPTION);
    cr_assert_str_eq(t->info.account, "acme.example");
    cr_assert_str_eq(t->info.promote_db, "none");
    /* a section may stand in any file: plesk1 comes from a later file than its targets */
    cr_assert_eq(t->server, jiku_config_server(cfg, "plesk1"));
    cr_assert_not_null(t = jiku_config_target(cfg, "high-co/blog"));
    cr_assert_eq(t->info.kind, JIKU_KIND_WORDPRESS);
    cr_assert_str_eq(t->info.promote_db, "default");
    cr_assert_str_eq(t->customer->tier, "high");
}

/* ------------------------------------------------------------------ errors, one by one */

struct bad_case {
    const char *snippet;
    int line; /* relative to the snippet's first line */
    const char *msg;
};

static const struct bad_case bad_cases[] = {
    /* [agent] */
    {"[agent]\nmax_parallel = 0\n", 2,
     "invalid max_parallel '0': expected an integer from 1 to 256"},
    {"[agent]\nmax_parallel = 257\n", 2,
     "invalid max_parallel '257': expected an integer from 1 to 256"},
    {"[agent]\nmax_parallel = 8x\n", 2,
     "invalid max_parallel '8x': expected an integer from 1 to 256"},
    {"[agent]\nmax_parallel = -1\n", 2,
     "invalid max_parallel '-1': expected an integer from 1 to 256"},
    {"[agent]\nmax_parallel = +8\n", 2,
     "invalid max_parallel '+8': expected an integer from 1 to 256"},
    {"[agent]\nlock_wait = 86401\n", 2,
     "invalid lock_wait '86401': expected an integer from 0 to 86400"},
    {"[agent]\nconnect_timeout = 0\n", 2,
     "invalid connect_timeout '0': expected an integer from 1 to 300"},
    {"[agent]\nretry_deadline = 99999999999999999999\n", 2,
     "invalid retry_deadline '99999999999999999999': expected an integer from 0 to 86400"},
    {"[agent]\nlog = file\n", 2, "invalid log 'file': expected auto, stderr or syslog"},
    {"[agent]\nstate_dir = var/lib\n", 2,
     "invalid state_dir 'var/lib': expected an absolute path of letters, digits and /._-+@,:~"},
    {"[agent]\nbackup_dir = /var/../etc\n", 2,
     "invalid backup_dir '/var/../etc': expected an absolute path of letters, digits and "
     "/._-+@,:~"},
    {"[agent]\nplugin_dir = /opt/my plugins\n", 2,
     "invalid plugin_dir '/opt/my plugins': expected an absolute path of letters, digits and "
     "/._-+@,:~"},
    {"[agent]\nping_url = ftp://hc.example/x\n", 2,
     "invalid ping_url 'ftp://hc.example/x': expected an http:// or https:// URL without "
     "credentials"},
    {"[agent]\nping_url = https://user:pw@hc.example/x\n", 2,
     "invalid ping_url 'https://user:pw@hc.example/x': expected an http:// or https:// URL "
     "without credentials"},
    {"[agent]\nstate_dir =\n", 2, "state_dir needs a value"},
    {"[agent]\nfoo = 1\n", 2, "unknown key 'foo' in [agent]"},
    {"[agent]\nstate_dri = /x\n", 2,
     "unknown key 'state_dri' in [agent]; did you mean 'state_dir'?"},
    {"[agent]\nsnapshot_dir = /x\n", 2,
     "unknown key 'snapshot_dir' in [agent]; snapshot_dir is a key of [server]"},
    {"[agent]\nlog = auto\nlog = stderr\n", 3, "duplicate key 'log' in [agent] (first at @F@:16)"},
    {"[agent x]\n", 1, "section [agent] takes no name"},
    {"[agent]\n[agent]\n", 2, "duplicate section [agent] (first at @F@:15)"},
    {"[agent]\nmax_parallel\n", 2, "expected 'key = value' or a [section] header"},
    {"[agent]\nlog: auto\n", 2, "expected 'key = value' or a [section] header"},
    {"[agent]\nLog = auto\n", 2, "invalid key name 'Log'"},
    {"[agent]\n  max_parallel = 3\n", 2, "indented line (continuation lines are not supported)"},
    {"[agent]\n\tlog = auto\n", 2, "indented line (continuation lines are not supported)"},
    {"[agent]\nlog = auto\n  syslog\n", 3, "indented line (continuation lines are not supported)"},
    /* [retention] */
    {"[retention]\nkeep_last = 10001\n", 2,
     "invalid keep_last '10001': expected an integer from 0 to 10000"},
    {"[retention]\nkeep_hourly = 1\n", 2, "unknown key 'keep_hourly' in [retention]"},
    {"[retention]\nkeep_daily = 1\nkeep_daily = 2\n", 3,
     "duplicate key 'keep_daily' in [retention] (first at @F@:16)"},
    /* headers */
    {"[foo]\n", 1, "unknown section [foo]"},
    {"[foo bar]\n", 1, "unknown section [foo bar]"},
    {"[server]\n", 1, "section [server] needs a name: [server NAME]"},
    {"[target]\n", 1, "section [target] needs a name: [target CUSTOMER/NAME]"},
    {"[server Web2]\n", 1, "invalid server name 'Web2' (expected [a-z0-9][a-z0-9-]{0,62})"},
    {"[customer -acme]\n", 1, "invalid customer name '-acme' (expected [a-z0-9][a-z0-9-]{0,62})"},
    {"[server web1]\n", 1, "duplicate section [server web1] (first at @F@:2)"},
    {"[target acme/x;rm -rf]\n", 1,
     "invalid target name 'acme/x;rm -rf' (expected CUSTOMER/NAME, each "
     "[a-z0-9][a-z0-9-]{0,62})"},
    {"[target acme/$(reboot)]\n", 1,
     "invalid target name 'acme/$(reboot)' (expected CUSTOMER/NAME, each "
     "[a-z0-9][a-z0-9-]{0,62})"},
    {"[target acme]\n", 1,
     "invalid target name 'acme' (expected CUSTOMER/NAME, each [a-z0-9][a-z0-9-]{0,62})"},
    {"[target acme/x/y]\n", 1,
     "invalid target name 'acme/x/y' (expected CUSTOMER/NAME, each [a-z0-9][a-z0-9-]{0,62})"},
    {"[target acme/x ;rm -rf]\n", 1, "missing ']' in section header"},
    {"[agent] x\n", 1, "unexpected text after ']' in section header"},
    {"  [agent]\n", 1, "indented line (continuation lines are not supported)"},
    /* [server] */
    {"[server s3]\npanel = directadmin\n", 2,
     "invalid panel 'directadmin': expected cpanel or plesk"},
    {"[server s3]\nhost = -oProxyCommand=x\n", 2,
     "invalid host '-oProxyCommand=x': expected a host name or an IP address"},
    {"[server s3]\nhost = exa_mple.com\n", 2,
     "invalid host 'exa_mple.com': expected a host name or an IP address"},
    {"[server s3]\napi_port = 65536\n", 2,
     "invalid api_port '65536': expected an integer from 1 to 65535"},
    {"[server s3]\nssh_port = 0\n", 2, "invalid ssh_port '0': expected an integer from 1 to 65535"},
    {"[server s3]\napi_user = -x\n", 2,
     "invalid api_user '-x': expected a user name of letters, digits and ._@-"},
    {"[server s3]\nssh_user = a b\n", 2,
     "invalid ssh_user 'a b': expected a user name of letters, digits and ._@-"},
    {"[server s3]\nstrict_warnings = true\n", 2,
     "invalid strict_warnings 'true': expected yes or no"},
    {"[server s3]\nplesk_backup = pleskbackup\n", 2,
     "invalid plesk_backup 'pleskbackup': expected auto, cli or xml"},
    {"[server s3]\npinned_pubkey = sha256//short\n", 2,
     "invalid pinned_pubkey 'sha256//short': expected sha256//BASE64 of 32 bytes, several joined "
     "by ';'"},
    {"[server s3]\ntimeout = 0\n", 2, "invalid timeout '0': expected an integer from 1 to 604800"},
    {"[server s3]\napi_token_file = web1.token\n", 2,
     "invalid api_token_file 'web1.token': expected an absolute path of letters, digits and "
     "/._-+@,:~"},
    {"[server s3]\napi_token_file = @D@/missing.token\n", 2,
     "token file '@D@/missing.token' does not exist"},
    /* The secret store opens with O_NOFOLLOW: config check must not accept what it refuses. */
    {"[server s3]\napi_token_file = @D@/link.token\n", 2,
     "token file '@D@/link.token' is a symbolic link; fix: name the file itself"},
    {"[server s3]\nssh_key = @D@\n", 2, "ssh key '@D@' is not a regular file"},
    {"[server s3]\nknown_hosts = @D@/nope\n", 2,
     "known_hosts file '@D@/nope' does not exist; fix: jiku-agent servers fingerprint SERVER, "
     "compare, then jiku-agent servers trust SERVER --fingerprint SHA256:..."},
    {"[server s3]\nca_file = @D@\n", 2, "CA file '@D@' is not a regular file"},
    {"[server s3]\nhost = a.example\nhost = b.example\n", 3,
     "duplicate key 'host' in [server s3] (first at @F@:16)"},
    {"[server s3]\nsnapshot = yes\n", 2, "unknown key 'snapshot' in [server s3]"},
    {"[server s3]\napi_prot = 1\n", 2,
     "unknown key 'api_prot' in [server s3]; did you mean 'api_port'?"},
    {"[server s3]\n", 1, "[server s3] needs 'panel' (cpanel or plesk)"},
    {"[server s3]\n", 1, "[server s3] needs 'host'"},
    {"[server s3]\n", 1, "[server s3] needs 'ssh_key'"},
    {"[server s3]\n", 1, "[server s3] needs 'known_hosts'"},
    {"[server s3]\npanel = plesk\n", 1, "[server s3] needs api_token_file or api_password_file"},
    {"[server s3]\npanel = cpanel\napi_token_file =\n", 1, "[server s3] needs api_token_file"},
    {"[server s3]\npanel = cpanel\napi_password_file = @D@/plesk1.password\n", 3,
     "api_password_file is for plesk servers; [server s3] is cpanel (use api_token_file)"},
    {"[server s3]\npanel = plesk\napi_token_file = @D@/plesk1.token\n"
     "api_password_file = @D@/plesk1.password\n",
     4, "[server s3] has both api_token_file and api_password_file; set one"},
    /* [customer] */
    {"[agent]\npolicy_dir = @P@\n[customer acme]\ntier = gold\n", 4,
     "customer 'acme': no policy file for tier 'gold' ('@P@/gold.policy'); the tiers there are "
     "high, low or medium"},
    {"[customer acme]\ntier = ../medium\n", 2,
     "invalid tier '../medium': expected a name of [a-z0-9][a-z0-9-]{0,62}"},
    {"[customer acme]\n", 1, "[customer acme] needs 'tier'"},
    {ACME "application.deploy = jiku\n", 5,
     "unknown action 'application.deploy' in [customer acme]; expected one of "
     "infrastructure.operate, server.snapshot, server.backup, server.rollback, server.clone, "
     "server.update, server.mail-accounts, application.snapshot, application.backup, "
     "application.rollback, application.stage, application.promote, application.clone, "
     "application.update, application.users, application.phones"},
    {ACME "application.stage = maybe\n", 5,
     "invalid application.stage 'maybe': expected jiku, customer or open"},
    {ACME "server.update = jiku\nserver.update = open\n", 6,
     "duplicate key 'server.update' in [customer acme] (first at @F@:19)"},
    {ACME "colour = red\n", 5, "unknown key 'colour' in [customer acme]"},
    {ACME "contatc = x\n", 5, "unknown key 'contatc' in [customer acme]; did you mean 'contact'?"},
    {ACME "application.stagee = jiku\n", 5,
     "unknown action 'application.stagee' in [customer acme]; did you mean 'application.stage'?"},
    {ACME "contact = a\tb\n", 5, "invalid contact: control character in value"},
    {ACME "[customer acme]\n", 5, "duplicate section [customer acme] (first at @F@:17)"},
    /* [target] */
    {ACME "[target acme/shop]\nserver = web9\nkind = account\naccount = shop\n", 6,
     "unknown server 'web9' in [target acme/shop]"},
    {ACME "[target nobody/shop]\nserver = web1\nkind = account\naccount = shop\n", 5,
     "[target nobody/shop]: no [customer nobody] section"},
    {ACME "[target acme/shop]\nserver = plesk1\nkind = account\naccount = shop\n", 7,
     "kind account needs a cpanel server; 'plesk1' is plesk"},
    {ACME "[target acme/shop]\nserver = web1\nkind = subscription\naccount = shop.example\n", 7,
     "kind subscription needs a plesk server; 'web1' is cpanel"},
    {ACME "[target acme/cloud]\nserver = plesk1\nkind = softaculous\naccount = a.example\n"
          "domain = cloud.example\n",
     7, "kind softaculous needs a cpanel server; 'plesk1' is plesk"},
    {ACME "[target acme/shop]\nserver = web1\nkind = account\naccount = Shop\n", 8,
     "invalid account 'Shop': expected a cPanel user name ([a-z][a-z0-9]{0,15})"},
    {ACME "[target acme/shop]\nserver = web1\nkind = account\naccount = abcdefghijklmnopq\n", 8,
     "invalid account 'abcdefghijklmnopq': expected a cPanel user name ([a-z][a-z0-9]{0,15})"},
    {ACME "[target acme/shop]\nserver = web1\nkind = account\naccount = 1shop\n", 8,
     "invalid account '1shop': expected a cPanel user name ([a-z][a-z0-9]{0,15})"},
    {ACME "[target acme/site]\nserver = plesk1\nkind = subscription\naccount = acme_example\n", 8,
     "invalid account 'acme_example': expected the domain of a Plesk subscription"},
    {ACME "[target acme/blog]\nserver = web1\nkind = wordpress\naccount = shop\n", 5,
     "[target acme/blog] needs 'domain' (kind wordpress)"},
    {ACME "[target acme/cloud]\nserver = web1\nkind = softaculous\naccount = shop\n", 5,
     "[target acme/cloud] needs 'domain' (kind softaculous)"},
    {ACME "[target acme/cloud]\nserver = web1\nkind = softaculous\naccount = shop\n"
          "domain = cloud.example\npromote_db = default\n",
     10,
     "promote_db = default is a WordPress table mode; a softaculous target promotes all "
     "tables or none"},
    {ACME "[target acme/shop]\nkind = vps\n", 6,
     "invalid kind 'vps': expected account, subscription, wordpress or softaculous"},
    {ACME "[target acme/shop]\n", 5, "[target acme/shop] needs 'server'"},
    {ACME "[target acme/shop]\n", 5, "[target acme/shop] needs 'kind'"},
    {ACME "[target acme/shop]\n", 5, "[target acme/shop] needs 'account'"},
    {ACME "[target acme/shop]\nserver = Web1\n", 6,
     "invalid server 'Web1': expected a name of [a-z0-9][a-z0-9-]{0,62}"},
    {ACME "[target acme/shop]\npath = /../x\n", 6,
     "invalid path '/../x': expected a URL path such as / or /blog"},
    {ACME "[target acme/shop]\npath = blog\n", 6,
     "invalid path 'blog': expected a URL path such as / or /blog"},
    {ACME "[target acme/shop]\npath = /a?b\n", 6,
     "invalid path '/a?b': expected a URL path such as / or /blog"},
    {ACME "[target acme/shop]\ndomain = shop..acme\n", 6,
     "invalid domain 'shop..acme': expected a domain name (letters, digits, hyphens and dots)"},
    {ACME "[target acme/shop]\nstaging_domain = -x.example\n", 6,
     "invalid staging_domain '-x.example': expected a domain name (letters, digits, hyphens and "
     "dots)"},
    {ACME "[target acme/shop]\npromote_db = some\n", 6,
     "invalid promote_db 'some': expected all, default or none"},
    {ACME "[target acme/shop]\nnightly = weekly\n", 6,
     "invalid nightly 'weekly': expected a list of none, snapshot, backup or update"},
    {ACME "[target acme/shop]\nnightly = snapshot, none\n", 6,
     "invalid nightly 'snapshot, none': expected none alone, or a list without none"},
    {ACME "[target acme/shop]\nnightly = update,update\n", 6,
     "invalid nightly 'update,update': expected each of none, snapshot, backup or update at most "
     "once"},
    {ACME "[target acme/shop]\nupdate = core, widgets\n", 6,
     "invalid update 'core, widgets': expected a list of core, plugins, themes or app"},
    {ACME "[target acme/shop]\nupdate_exclude = akismet, ../x\n", 6,
     "invalid update_exclude 'akismet, ../x': expected slugs of letters, digits and ._- separated "
     "by commas"},
    {ACME "[target acme/shop]\nupdate_core = latest\n", 6,
     "invalid update_core 'latest': expected minor or major"},
    {ACME "[target acme/shop]\nhealth_timeout = 0\n", 6,
     "invalid health_timeout '0': expected an integer from 1 to 600"},
    {ACME "[target acme/cloud]\nserver = web1\nkind = softaculous\naccount = shop\n"
          "domain = cloud.example\nupdate = core\n",
     10, "invalid update for a softaculous target: it has only app"},
    {ACME "[target acme/shop]\nserver = web1\nkind = account\naccount = shop\n"
          "health_text = Welcome\n",
     9, "account targets have no updates"},
    {ACME "[target acme/shop]\nserver = web1\nkind = account\naccount = shop\n"
          "nightly = snapshot, update\n",
     9, "nightly = update: account targets have no updates"},
    {ACME "[target acme/shop]\nkeep_daily = 10001\n", 6,
     "invalid keep_daily '10001': expected an integer from 0 to 10000"},
    {ACME "[target acme/shop]\nkeep_safety = 1\nkeep_safety = 2\n", 7,
     "duplicate key 'keep_safety' in [target acme/shop] (first at @F@:20)"},
    {ACME "[target acme/shop]\nowner = me\n", 6, "unknown key 'owner' in [target acme/shop]"},
    {ACME "[target acme/shop]\nkeep_dialy = 1\n", 6,
     "unknown key 'keep_dialy' in [target acme/shop]; did you mean 'keep_daily'?"},
};

Test(config, bad_values_name_file_and_line)
{
    size_t n = sizeof(bad_cases) / sizeof(bad_cases[0]);

    for (size_t i = 0; i < n; i++) {
        const struct bad_case *c = &bad_cases[i];
        char want[1024];

        snprintf(want, sizeof(want), "@F@:%d: %s", BASE_LINES + c->line, c->msg);
        cr_assert_eq(load_snippet(c->snippet), JIKU_E_CONFIG, "case %zu accepted: %s", i,
                     c->snippet);
        cr_assert_null(cfg);
        cr_assert(has_diag(true, want), "case %zu: %s", i, c->snippet);
    }
}

Test(config, first_error_in_err_and_all_collected)
{
    char *want;

    cr_assert_eq(load_snippet("[agent]\nmax_parallel = 0\nlog = x\n[nope]\n"), JIKU_E_CONFIG);
    cr_assert_eq(diags.n_errors, 3);
    cr_assert_eq(err.status, JIKU_E_CONFIG);
    want = subst("@F@:16: invalid max_parallel '0': expected an integer from 1 to 256");
    cr_assert_str_eq(err.msg, want);
    free(want);
    cr_assert(has_diag(true, "@F@:18: unknown section [nope]"));
}

/* ------------------------------------------------------------------ the line reader */

static char *
long_line(const char *prefix, size_t total)
{
    char *s = malloc(total + 2);

    memset(s, 'x', total);
    memcpy(s, prefix, strlen(prefix));
    s[total] = '\n';
    s[total + 1] = '\0';
    return s;
}

Test(config, long_line_is_an_error_with_its_line)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    char *line = long_line("contact = ", 220);

    jiku_buf_adds(&b, ACME);
    jiku_buf_adds(&b, line);
    cr_assert_eq(load_snippet(b.data), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:19: line is 220 characters long, the limit is 199"));
    cr_assert_eq(diags.n_errors, 1, "the rest of the line must not be read as another line");
    free(line);
    jiku_buf_release(&b);
}

Test(config, long_comment_is_not_split_into_a_key)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    char *line = long_line("# ", 260);

    /* split at 199 by a naive reader, the tail "max_parallel = 99" would become a key */
    memcpy(line + 260 - 17, "max_parallel = 99", 17);
    jiku_buf_adds(&b, "[agent]\n");
    jiku_buf_adds(&b, line);
    cr_assert_eq(load_snippet(b.data), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:16: line is 260 characters long, the limit is 199"));
    cr_assert_eq(diags.n_errors, 1);
    free(line);
    jiku_buf_release(&b);
}

Test(config, longest_line_that_fits)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    char *line = long_line("contact = ", 199);

    jiku_buf_adds(&b, ACME);
    jiku_buf_adds(&b, line);
    expect_ok(load_snippet(b.data));
    cr_assert_eq(strlen(jiku_config_customer(cfg, "acme")->contact), 189);
    free(line);
    line = long_line("contact = ", 200);
    jiku_buf_reset(&b);
    jiku_buf_adds(&b, ACME);
    jiku_buf_adds(&b, line);
    cr_assert_eq(load_snippet(b.data), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:19: line is 200 characters long, the limit is 199"));
    free(line);
    jiku_buf_release(&b);
}

/* Debian's libinih makes its build options variables; each test runs in its own process. */
Test(config, limit_follows_the_buffer_inih_offers)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    char *line = long_line("contact = ", 150);

    ini_max_line = 100;
    jiku_buf_adds(&b, ACME);
    jiku_buf_adds(&b, line);
    cr_assert_eq(load_snippet(b.data), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:19: line is 150 characters long, the limit is 99"));
    free(line);
    jiku_buf_release(&b);
}

Test(config, inih_reading_a_line_differently_is_caught)
{
    static char prefixes[] = ";#";

    ini_inline_comment_prefixes = prefixes;
    cr_assert_eq(load_snippet(ACME "contact = a #b\n"), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:19: line was not read as written (check the libinih build)"));
}

Test(config, inline_comments)
{
    const struct jiku_customer_conf *c;

    expect_ok(load_snippet("[agent]   ; the agent\n"
                           "policy_dir = @P@ ; shipped\n"
                           "metrics_file =                  ; empty: unset\n"
                           "ping_url =\t; tab before the comment\n"
                           "[customer acme]\n"
                           "tier = medium\t\t; tier\n"
                           "contact = a;b ; only ' ;' starts a comment\n"
                           "; a whole-line comment\n"
                           "   # an indented comment is still a comment\n"
                           "\n"
                           "   \n"));
    cr_assert_str_eq(cfg->policy_dir, POLICY_DIR);
    cr_assert_null(cfg->metrics_file);
    cr_assert_null(cfg->ping_url);
    cr_assert_not_null(c = jiku_config_customer(cfg, "acme"));
    cr_assert_str_eq(c->tier, "medium");
    cr_assert_str_eq(c->contact, "a;b");
    cr_assert_eq(diags.n, 0);
}

Test(config, hash_in_value_warns_and_stays)
{
    expect_ok(load_snippet(ACME "contact = ops@acme.example # the ops team\n"));
    cr_assert_str_eq(jiku_config_customer(cfg, "acme")->contact, "ops@acme.example # the ops team");
    cr_assert(has_diag(false, "@F@:19: value of 'contact' contains ' #', which is part of the "
                              "value (comments after a value start with ' ;')"));
    cr_assert_eq(diags.n, 1);
}

Test(config, hash_right_after_equals_warns_too)
{
    expect_ok(load_snippet(ACME "contact = # nobody yet\n"));
    cr_assert_str_eq(jiku_config_customer(cfg, "acme")->contact, "# nobody yet");
    cr_assert(has_diag(false, "@F@:19: value of 'contact' contains ' #', which is part of the "
                              "value (comments after a value start with ' ;')"));
}

Test(config, crlf_and_bom)
{
    write_file("agent.conf", 0644,
               "\xef\xbb\xbf[agent]\r\nlog = stderr\r\nmax_parallel = 3\r\n[server web1]\r\n"
               "panel = cpanel\r\nhost = 127.0.0.1\r\napi_token_file = @D@/web1.token\r\n"
               "ssh_key = @D@/id_ed25519\r\nknown_hosts = @D@/known_hosts");
    expect_ok(load(0));
    cr_assert_str_eq(cfg->log, "stderr");
    cr_assert_eq(cfg->max_parallel, 3);
    cr_assert_not_null(jiku_config_server(cfg, "web1"));
}

Test(config, nul_byte_is_an_error)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/agent.conf", dir);
    cr_assert_not_null(f = fopen(path, "w"));
    fwrite("[agent]\nlog = auto\0 x\n", 1, 22, f);
    fclose(f);
    cr_assert_eq(load(0), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:2: line contains a NUL byte"));
}

Test(config, key_before_any_section)
{
    write_file("agent.conf", 0644, "log = auto\n");
    cr_assert_eq(load(0), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:1: key 'log' outside of any section"));
}

/* ------------------------------------------------------------------ files */

Test(config, conf_d_in_byte_order)
{
    static const char *const files[] = {"b-10.conf", "B-20.conf", "a.conf", "_x.conf", "10.conf"};

    mkdir_in("conf.d");
    mkdir_in("conf.d/sub.conf.d");
    for (size_t i = 0; i < 5; i++) {
        char rel[128], text[256];

        snprintf(rel, sizeof(rel), "conf.d/%s", files[i]);
        snprintf(text, sizeof(text), "[customer c%zu]\ntier = low\n", i);
        write_file(rel, 0644, text);
    }
    /* not *.conf, or hidden: never read (they would be errors if they were) */
    write_file("conf.d/.hidden.conf", 0644, "[bogus]\n");
    write_file("conf.d/old.conf.bak", 0644, "[bogus]\n");
    write_file("conf.d/README", 0644, "[bogus]\n");
    write_file("agent.conf", 0644, "[agent]\npolicy_dir = @P@\n");
    expect_ok(load(0));
    cr_assert_eq(cfg->n_customers, 5);
    /* C locale byte order: '1' < 'B' < '_' < 'a' < 'b' */
    cr_assert_str_eq(cfg->customers[0].name, "c4");
    cr_assert_str_eq(cfg->customers[1].name, "c1");
    cr_assert_str_eq(cfg->customers[2].name, "c3");
    cr_assert_str_eq(cfg->customers[3].name, "c2");
    cr_assert_str_eq(cfg->customers[4].name, "c0");
    cr_assert(strstr(cfg->customers[0].src.file, "/conf.d/10.conf") != NULL);
    cr_assert_eq(cfg->customers[0].src.line, 1);
}

Test(config, relative_main_file_and_unreadable_conf_d_entry)
{
    mkdir_in("conf.d");
    mkdir_in("conf.d/dir.conf");
    write_file("conf.d/a.conf", 0644, "[agent]\nlog = stderr\n");
    write_file("agent.conf", 0644, "# nothing here\n");
    cr_assert_eq(chdir(dir), 0);
    cr_assert_eq(load_path("agent.conf", 0), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "conf.d/dir.conf: read error: Is a directory"));
    cr_assert_eq(diags.n_errors, 1);
    cr_assert_eq(rmdir("conf.d/dir.conf"), 0);
    expect_ok(load_path("agent.conf", 0));
    cr_assert_str_eq(cfg->conf_dir, "conf.d");
    cr_assert_str_eq(cfg->log, "stderr");
}

/* policy explain's load: the customer's own files, and only its section in them. */
static int
load_customer(const char *name)
{
    char path[512];

    unload();
    snprintf(path, sizeof(path), "%s/agent.conf", dir);
    return jiku_config_load_customer(path, name, &cfg, &diags, &err);
}

Test(config, duplicate_across_files)
{
    static const char dup[] = "@D@/conf.d/20-b.conf:2: duplicate section [customer acme] (first "
                              "at @D@/conf.d/10-a.conf:1)";

    mkdir_in("conf.d");
    write_file("conf.d/10-a.conf", 0644, "[customer acme]\ntier = low\n");
    write_file("conf.d/20-b.conf", 0644, "\n[customer  acme]\ntier = high\n");
    cr_assert_eq(load_snippet("[agent]\npolicy_dir = @P@\n"), JIKU_E_CONFIG);
    cr_assert(has_diag(true, dup));
    cr_assert_eq(diags.n_errors, 1, "the duplicate's keys are not reported again");
    /* policy explain's load reads both files too: which section decides would be a guess */
    cr_assert_eq(load_customer("acme"), JIKU_E_CONFIG);
    cr_assert(has_diag(true, dup));
    cr_assert_eq(diags.n_errors, 1);
}

Test(config, one_customer_skips_the_rest_of_the_fleet)
{
    mkdir_in("conf.d");
    /* the header as config_lines.c reads it: blanks inside, a BOM, a comment after it */
    write_file("conf.d/10-acme.conf", 0644,
               "\xef\xbb\xbf# acme\n[ customer\tacme ] ; the customer\ntier = high\n"
               "server.snapshot = jiku\n[target acme/x]\nserver = nowhere\n");
    /* mistakes elsewhere: another customer's file, and targets the config check refuses */
    write_file("conf.d/20-other.conf", 0644,
               "[customer acme2]\ntier = gold\n[target acme/y]\nkind = bogus\n  indented\n");
    write_file("conf.d/30-acmes.conf", 0644, "# [customer acme]\n[customer acmes]\ntier = x\n");
    cr_assert_eq(load_snippet("[agent]\npolicy_dir = @P@\n"), JIKU_E_CONFIG, "a full load refuses");
    expect_ok(load_customer("acme"));
    cr_assert_eq(cfg->n_customers, 1);
    cr_assert_eq(cfg->n_servers, 0);
    cr_assert_eq(cfg->n_targets, 0);
    cr_assert_str_eq(cfg->customers[0].tier, "high");
    cr_assert_eq(cfg->customers[0].n_overrides, 1);
    cr_assert_not_null(cfg->policies);
    /* a name no file holds: no error, no customer */
    expect_ok(load_customer("nobody"));
    cr_assert_eq(cfg->n_customers, 0);
}

Test(config, state_only_reads_the_agent_section_and_refuses_its_mistakes)
{
    mkdir_in("conf.d");
    /* a fleet the full load refuses: a bad file in conf.d, a target without a server */
    write_file("conf.d/10-a.conf", 0644, "[customer acme]\ntier = gold\n  x = 1\n");
    cr_assert_eq(load_snippet("[agent]\nstate_dir = /var/lib/x\n[target acme/y]\nkind = account\n"),
                 JIKU_E_CONFIG);
    expect_ok(load(JIKU_CONFIG_STATE_ONLY));
    cr_assert_str_eq(cfg->state_dir, "/var/lib/x");
    cr_assert_eq(cfg->n_customers, 0);
    cr_assert_eq(cfg->n_targets, 0);
    /* but [agent] is read as the full load reads it */
    write_file("agent.conf", 0644, "[agent]\nstate_dir = /var/lib/x\nlog = x\n");
    cr_assert_eq(load(JIKU_CONFIG_STATE_ONLY), JIKU_E_CONFIG);
    cr_assert_eq(diags.n_errors, 1);
}

Test(config, one_customer_still_refuses_its_own_mistakes)
{
    mkdir_in("conf.d");
    write_file("agent.conf", 0644, "[agent]\npolicy_dir = @P@\n");
    /* its tier without a policy file; a line of its file the reader rejects */
    write_file("conf.d/10-a.conf", 0644, "[customer acme]\ntier = gold\n  x = 1\n");
    cr_assert_eq(load_customer("acme"), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@D@/conf.d/10-a.conf:3: indented line (continuation lines are not "
                             "supported)"));
    cr_assert_eq(diags.n_errors, 2, "and the tier");
    /* the main file's [agent] */
    write_file("conf.d/10-a.conf", 0644, "[customer acme]\ntier = low\n");
    write_file("agent.conf", 0644, "[agent]\npolicy_dir = @P@\nlog = x\n");
    cr_assert_eq(load_customer("acme"), JIKU_E_CONFIG);
    cr_assert_eq(diags.n_errors, 1);
}

Test(config, missing_main_file)
{
    cr_assert_eq(load(0), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@: cannot open: No such file or directory"));
    cr_assert_eq(diags.n_errors, 1);
}

Test(config, env_names_the_main_file)
{
    char path[512];

    write_file("other.conf", 0644, "[agent]\nlog = syslog\n");
    snprintf(path, sizeof(path), "%s/other.conf", dir);
    setenv("JIKU_AGENT_CONFIG", path, 1);
    expect_ok(load_path(NULL, 0));
    unsetenv("JIKU_AGENT_CONFIG");
    cr_assert_str_eq(cfg->log, "syslog");
    cr_assert_str_eq(cfg->main_file, path);
    snprintf(path, sizeof(path), "%s/conf.d", dir);
    cr_assert_str_eq(cfg->conf_dir, path);
}

Test(config, diags_may_be_null)
{
    char path[512];

    write_file("agent.conf", 0644, "[agent]\nlog = x\n");
    snprintf(path, sizeof(path), "%s/agent.conf", dir);
    cr_assert_eq(jiku_config_load(path, 0, &cfg, NULL, &err), JIKU_E_CONFIG);
    cr_assert(strstr(err.msg, ":2: invalid log 'x'") != NULL, "%s", err.msg);
}

/* ------------------------------------------------------------------ secrets */

Test(config, token_file_readable_by_others)
{
    write_file("web1.token", 0644, "SECRET\n");
    cr_assert_eq(load_snippet(""), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:5: token file '@D@/web1.token' is readable by group or others "
                             "(mode 0644); fix: chmod 600 '@D@/web1.token'"));
    cr_assert_eq(diags.n_errors, 1);
    /* the check is the only thing the flag turns off */
    expect_ok(load(JIKU_CONFIG_NO_SECRET_CHECK));
}

Test(config, ssh_key_writable_by_group)
{
    write_file("id_ed25519", 0620, "SECRET\n");
    cr_assert_eq(load_snippet(""), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:6: ssh key '@D@/id_ed25519' is writable by group or others "
                             "(mode 0620); fix: chmod 600 '@D@/id_ed25519'"));
}

Test(config, known_hosts_writable_by_others)
{
    write_file("known_hosts", 0666, "# none\n");
    cr_assert_eq(load_snippet(""), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:7: known_hosts file '@D@/known_hosts' is writable by group or "
                             "others (mode 0666); fix: chmod go-w '@D@/known_hosts'"));
    write_file("known_hosts", 0644, "# none\n");
    expect_ok(load(0));
}

Test(config, secret_owned_by_another_user)
{
    char path[512];

    if (geteuid() != 0)
        cr_skip_test("needs root to chown a file to another user");
    snprintf(path, sizeof(path), "%s/plesk1.token", dir);
    cr_assert_eq(chown(path, 65534, 65534), 0);
    snprintf(path, sizeof(path), "%s/known_hosts", dir);
    cr_assert_eq(chown(path, 65534, 65534), 0);
    cr_assert_eq(load_snippet(""), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:12: token file '@D@/plesk1.token' is owned by uid 65534, not "
                             "by root or the running user; fix: chown root '@D@/plesk1.token'"));
    cr_assert(has_diag(true, "@F@:14: known_hosts file '@D@/known_hosts' is owned by uid 65534, "
                             "not by root or the running user; fix: chown root '@D@/known_hosts'"));
    expect_ok(load(JIKU_CONFIG_NO_SECRET_CHECK));
}

/* ------------------------------------------------------------------ policy files */

Test(config, policy_files_loaded_for_the_tiers_in_use)
{
    struct jiku_decision d;

    expect_ok(load_snippet(ACME "application.stage = jiku\n"));
    cr_assert_not_null(cfg->policies);
    cr_assert_eq(jiku_policy_decide(cfg->policies, jiku_config_customer(cfg, "acme"),
                                    "application.stage", &d, &err),
                 0, "%s", err.msg);
    cr_assert(d.allowed);
}

Test(config, missing_policy_file_names_each_customer)
{
    mkdir_in("policies");
    write_file("agent.conf", 0644,
               "[agent]\npolicy_dir = @D@/policies\n"
               "[customer acme]\ntier = medium\n[customer beta]\ncontact = x\ntier = medium\n");
    cr_assert_eq(load(0), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:4: customer 'acme': no policy file for tier 'medium' "
                             "('@D@/policies/medium.policy')"));
    cr_assert(has_diag(true, "@F@:7: customer 'beta': no policy file for tier 'medium' "
                             "('@D@/policies/medium.policy')"));
}

Test(config, broken_policy_file_fails_the_load)
{
    mkdir_in("policies");
    write_file("policies/medium.policy", 0644,
               "[tier]\nname = medium\n[server]\nsnapshot = maybe\n");
    write_file("agent.conf", 0644,
               "[agent]\npolicy_dir = @D@/policies\n[customer acme]\ntier = medium\n");
    cr_assert_eq(load(0), JIKU_E_CONFIG);
    cr_assert_geq(diags.n_errors, 1);
    cr_assert(strstr(err.msg, "medium.policy") != NULL, "%s", err.msg);
}

/* ------------------------------------------------------------------ show */

/* TEXT without its "#" lines (they say where each section was written). Caller frees. */
static char *
without_comments(const char *text)
{
    struct jiku_buf b = JIKU_BUF_INIT;

    while (*text != '\0') {
        size_t len = strcspn(text, "\n");

        if (text[0] != '#')
            jiku_buf_add(&b, text, len);
        if (text[len] == '\n' && text[0] != '#')
            jiku_buf_addch(&b, '\n');
        text += len + (text[len] == '\n');
    }
    return jiku_buf_detach(&b);
}

Test(config, show_has_paths_never_secrets_and_reads_back)
{
    struct jiku_buf out = JIKU_BUF_INIT, again = JIKU_BUF_INIT;
    char *want, *first, *second;
    const char *text;

    load_full_fixture();
    cr_assert_eq(jiku_config_show(cfg, &out), 0);
    text = out.data;
    cr_assert(strstr(text, "SECRET") == NULL, "a secret's content leaked:\n%s", text);
    want = subst("api_token_file = @D@/web1.token\n");
    cr_assert(strstr(text, want) != NULL, "%s", text);
    free(want);
    want = subst("api_password_file = @D@/plesk1.password\n");
    cr_assert(strstr(text, want) != NULL, "%s", text);
    free(want);
    cr_assert(strstr(text, "\n[target acme/shop]\nserver = web1\nkind = account\n") != NULL);
    cr_assert(strstr(text, "application.promote = customer\n") != NULL);
    cr_assert(strstr(text, "keep_daily = 14\n") != NULL);
    cr_assert(strstr(text, "strict_warnings = yes\n") != NULL);
    cr_assert(strstr(text, "\nstaging_domain =\n") != NULL, "an unset value is 'key ='");
    cr_assert(strstr(text, "and 3 files in") != NULL, "%s", text);

    /* the effective config is itself a config that means the same */
    mkdir_in("shown");
    write_file("shown/agent.conf", 0644, text);
    want = subst("@D@/shown/agent.conf");
    cr_assert_eq(load_path(want, 0), 0, "%s", err.msg);
    free(want);
    cr_assert_eq(cfg->n_targets, 4);
    cr_assert_eq(jiku_config_show(cfg, &again), 0);
    first = without_comments(text);
    second = without_comments(again.data);
    cr_assert_str_eq(second, first);
    free(first);
    free(second);
    jiku_buf_release(&out);
    jiku_buf_release(&again);
}

/* ------------------------------------------------------------------ scale */

Test(config, thousand_customers)
{
    static const char *const tiers[] = {"low", "medium", "high"};
    struct jiku_buf b = JIKU_BUF_INIT;

    mkdir_in("conf.d");
    for (int f = 0; f < 10; f++) {
        char rel[64];

        jiku_buf_reset(&b);
        for (int i = f * 100; i < f * 100 + 100; i++)
            jiku_buf_addf(&b,
                          "[customer c%04d]\ntier = %s\n[target c%04d/site]\nserver = web1\n"
                          "kind = account\naccount = u%04d\nnightly = snapshot\n",
                          i, tiers[i % 3], i, i);
        snprintf(rel, sizeof(rel), "conf.d/%02d.conf", f);
        write_file(rel, 0644, b.data);
    }
    jiku_buf_release(&b);
    expect_ok(load_snippet("[agent]\npolicy_dir = @P@\n"));
    cr_assert_eq(cfg->n_customers, 1000);
    cr_assert_eq(cfg->n_targets, 1000);
    for (int i = 0; i < 1000; i++) {
        const struct jiku_customer_conf *c;
        const struct jiku_target_conf *t;
        char name[32], id[64], account[32];

        snprintf(name, sizeof(name), "c%04d", i);
        snprintf(id, sizeof(id), "c%04d/site", i);
        snprintf(account, sizeof(account), "u%04d", i);
        cr_assert_not_null(c = jiku_config_customer(cfg, name), "%s", name);
        cr_assert_str_eq(c->name, name);
        cr_assert_str_eq(c->tier, tiers[i % 3]);
        cr_assert_not_null(t = jiku_config_target(cfg, id), "%s", id);
        cr_assert_eq(t->customer, c);
        cr_assert_eq(t->server, &cfg->servers[0]);
        cr_assert_str_eq(t->info.account, account);
    }
    cr_assert_null(jiku_config_customer(cfg, "c1000"));
    cr_assert_null(jiku_config_target(cfg, "c0001/other"));
}

/* ------------------------------------------------------------------ systemd credentials */

/* A server whose secrets are systemd credentials: 6 lines after base_conf. */
#define CRED_SERVER                                                                                \
    "[server s3]\npanel = cpanel\nhost = h.example\napi_token_file = cred:web1.token\n"            \
    "ssh_key = cred:ssh-key\nknown_hosts = @D@/known_hosts\n"

/* What LoadCredentialEncrypted= leaves: the files in a directory named by the environment. */
static void
credentials_dir(mode_t mode)
{
    char creds[600];

    mkdir_in("creds");
    write_file("creds/web1.token", mode, "CRED-TOKEN\n");
    write_file("creds/ssh-key", 0400, "CRED-KEY\n");
    snprintf(creds, sizeof(creds), "%s/creds", dir);
    cr_assert_eq(setenv("CREDENTIALS_DIRECTORY", creds, 1), 0);
}

Test(config, cred_reads_the_credentials_directory)
{
    struct jiku_buf token = JIKU_BUF_INIT;
    const struct jiku_server_conf *s;
    char want[600];

    credentials_dir(0440);
    expect_ok(load_snippet(CRED_SERVER));
    cr_assert_eq(diags.n, 0);
    cr_assert_not_null(s = jiku_config_server(cfg, "s3"));
    snprintf(want, sizeof(want), "%s/creds/web1.token", dir);
    cr_assert_str_eq(s->api_token_file, want);
    snprintf(want, sizeof(want), "%s/creds/ssh-key", dir);
    cr_assert_str_eq(s->ssh_key, want);
    /* systemd's 0440 is read there, and only there */
    cr_assert_eq(jiku_secret_get(s->api_token_file, "token file", &token, &err), 0, "%s", err.msg);
    cr_assert_str_eq(token.data, "CRED-TOKEN");
    jiku_buf_release_secure(&token);
    write_file("group.token", 0440, "T\n");
    snprintf(want, sizeof(want), "%s/group.token", dir);
    cr_assert_eq(jiku_secret_get(want, "token file", &token, &err), JIKU_E_CONFIG);
    jiku_secret_wipe_all();
}

Test(config, cred_file_is_checked_as_a_secret)
{
    credentials_dir(0444);
    cr_assert_eq(load_snippet(CRED_SERVER), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:18: token file '@D@/creds/web1.token' is readable by group or "
                             "others (mode 0444); fix: chmod 600 '@D@/creds/web1.token'"));
}

Test(config, cred_without_systemd_says_why)
{
    unsetenv("CREDENTIALS_DIRECTORY");
    cr_assert_eq(load_snippet(CRED_SERVER), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:18: api_token_file = cred:web1.token: CREDENTIALS_DIRECTORY is "
                             "not set; systemd sets it only for a service with LoadCredential= "
                             "or LoadCredentialEncrypted="));
    cr_assert(has_diag(true, "@F@:19: ssh_key = cred:ssh-key: CREDENTIALS_DIRECTORY is not set; "
                             "systemd sets it only for a service with LoadCredential= or "
                             "LoadCredentialEncrypted="));
}

Test(config, cred_name_is_a_plain_name)
{
    credentials_dir(0400);
    cr_assert_eq(load_snippet("[server s3]\napi_token_file = cred:../web1.token\n"), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:16: invalid api_token_file 'cred:../web1.token': expected "
                             "cred:NAME, NAME of letters, digits and ._-"));
    cr_assert_eq(load_snippet("[server s3]\napi_password_file = cred:\n"), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:16: invalid api_password_file 'cred:': expected cred:NAME, "
                             "NAME of letters, digits and ._-"));
}

/* ------------------------------------------------------------------ the shipped example */

Test(config, example_config_loads)
{
    static const char *const files[] = {"agent.conf",
                                        "conf.d/10-acme.conf",
                                        "conf.d/20-lowco.conf",
                                        "conf.d/30-highco.conf",
                                        "credentials/web1.token",
                                        "credentials/plesk1.token",
                                        "credentials/id_ed25519",
                                        "known_hosts"};
    char src[512], text[8192];
    const struct jiku_target_conf *t;

    mkdir_in("conf.d");
    mkdir_in("credentials");
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct jiku_buf b = JIKU_BUF_INIT;
        size_t n;
        FILE *f;

        snprintf(src, sizeof(src), "%s/examples/%s", JIKU_SOURCE_DIR, files[i]);
        cr_assert_not_null(f = fopen(src, "r"), "%s", src);
        n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        text[n] = '\0';
        /* what examples/setup.sh does with sed */
        for (const char *s = text; *s != '\0';) {
            if (strncmp(s, "@EXAMPLE_DIR@", 13) == 0) {
                jiku_buf_adds(&b, "@D@");
                s += 13;
            } else if (strncmp(s, "@POLICY_DIR@", 12) == 0) {
                jiku_buf_adds(&b, "@P@");
                s += 12;
            } else if (strncmp(s, "@PLUGIN_DIR@", 12) == 0) {
                jiku_buf_adds(&b, "@D@/plugins");
                s += 12;
            } else {
                jiku_buf_addch(&b, *s++);
            }
        }
        write_file(files[i], strncmp(files[i], "credentials/", 12) == 0 ? 0600 : 0644, b.data);
        jiku_buf_release(&b);
    }
    expect_ok(load(0));
    cr_assert_eq(diags.n, 0);
    cr_assert_eq(cfg->n_servers, 2);
    cr_assert_eq(cfg->n_customers, 3);
    cr_assert_eq(cfg->n_targets, 4);
    cr_assert_not_null(t = jiku_config_target(cfg, "acme/blog"));
    cr_assert_eq(t->info.kind, JIKU_KIND_WORDPRESS);
    cr_assert_eq(t->n_nightly, 1);
    cr_assert_eq(t->nightly[0], JIKU_VERB_SNAPSHOT);
    cr_assert_not_null(t = jiku_config_target(cfg, "lowco/site"));
    cr_assert_eq(t->n_nightly, 1);
    cr_assert_eq(t->nightly[0], JIKU_VERB_BACKUP);
    cr_assert_not_null(t = jiku_config_target(cfg, "highco/portal"));
    cr_assert_eq(t->info.kind, JIKU_KIND_SUBSCRIPTION);
    cr_assert_str_eq(t->server->info.name, "plesk1");
    cr_assert_str_eq(t->customer->tier, "high");
}

/* ------------------------------------------------------------------ validators */

Test(config, validators)
{
    cr_assert(jiku_valid_name("a"));
    cr_assert(jiku_valid_name("0-a"));
    cr_assert(jiku_valid_name("a23456789012345678901234567890123456789012345678901234567890123"));
    cr_assert_not(
        jiku_valid_name("a234567890123456789012345678901234567890123456789012345678901234"));
    cr_assert_not(jiku_valid_name(""));
    cr_assert_not(jiku_valid_name("-a"));
    cr_assert_not(jiku_valid_name("A"));
    cr_assert_not(jiku_valid_name("a_b"));
    cr_assert_not(jiku_valid_name(NULL));

    cr_assert(jiku_valid_target_id("acme/shop"));
    cr_assert_not(jiku_valid_target_id("acme"));
    cr_assert_not(jiku_valid_target_id("/shop"));
    cr_assert_not(jiku_valid_target_id("acme/"));
    cr_assert_not(jiku_valid_target_id("acme/shop/x"));
    cr_assert_not(jiku_valid_target_id("acme/shop;id"));
    cr_assert_not(jiku_valid_target_id(NULL));

    cr_assert(cpanel_account("a"));
    cr_assert(cpanel_account("abcdefghijklmnop"));
    cr_assert_not(cpanel_account("abcdefghijklmnopq"));
    cr_assert_not(cpanel_account("1abc"));
    cr_assert_not(cpanel_account("ab-c"));
    cr_assert_not(cpanel_account(""));
    cr_assert_not(cpanel_account(NULL));

    cr_assert(jiku_valid_hostname("a"));
    cr_assert(jiku_valid_hostname("Web-1.Example.NET"));
    cr_assert(jiku_valid_hostname("127.0.0.1"));
    cr_assert_not(jiku_valid_hostname("a..b"));
    cr_assert_not(jiku_valid_hostname(".a"));
    cr_assert_not(jiku_valid_hostname("a."));
    cr_assert_not(jiku_valid_hostname("-a.b"));
    cr_assert_not(jiku_valid_hostname("a-.b"));
    cr_assert_not(jiku_valid_hostname("a b"));
    cr_assert_not(jiku_valid_hostname(""));
    cr_assert_not(jiku_valid_hostname(NULL));
    {
        char label[70], name[300];

        memset(label, 'a', 64);
        label[64] = '\0';
        cr_assert_not(jiku_valid_hostname(label));
        label[63] = '\0';
        cr_assert(jiku_valid_hostname(label));
        snprintf(name, sizeof(name), "%s.%s.%s.%s", label, label, label, label);
        cr_assert_eq(strlen(name), 255);
        cr_assert_not(jiku_valid_hostname(name));
        name[253] = '\0';
        name[252] = 'a';
        cr_assert(jiku_valid_hostname(name));
    }

    cr_assert(jiku_valid_url_path("/"));
    cr_assert(jiku_valid_url_path("/blog/wp-1_x.y~z"));
    cr_assert_not(jiku_valid_url_path(""));
    cr_assert_not(jiku_valid_url_path("blog"));
    cr_assert_not(jiku_valid_url_path("/a/../b"));
    cr_assert_not(jiku_valid_url_path("/.."));
    cr_assert_not(jiku_valid_url_path("/./a"));
    cr_assert_not(jiku_valid_url_path("/a//b"));
    cr_assert_not(jiku_valid_url_path("/a b"));
    cr_assert_not(jiku_valid_url_path("/a'b"));
    cr_assert_not(jiku_valid_url_path(NULL));

    cr_assert(jiku_valid_abs_path("/"));
    cr_assert(jiku_valid_abs_path("/etc/jiku-agent/credentials/web1.token"));
    cr_assert(jiku_valid_abs_path("/a/..b/c."));
    cr_assert_not(jiku_valid_abs_path("etc"));
    cr_assert_not(jiku_valid_abs_path("/a/../b"));
    cr_assert_not(jiku_valid_abs_path("/a/.."));
    cr_assert_not(jiku_valid_abs_path("/a/./b"));
    cr_assert_not(jiku_valid_abs_path("/a b"));
    cr_assert_not(jiku_valid_abs_path("/a$(x)"));
    cr_assert_not(jiku_valid_abs_path(NULL));

    cr_assert_str_eq(jiku_kind_name(JIKU_KIND_ACCOUNT), "account");
    cr_assert_str_eq(jiku_kind_name(JIKU_KIND_SUBSCRIPTION), "subscription");
    cr_assert_str_eq(jiku_kind_name(JIKU_KIND_WORDPRESS), "wordpress");
    cr_assert_str_eq(jiku_kind_name(JIKU_KIND_SOFTACULOUS), "softaculous");
    cr_assert_str_eq(jiku_kind_name(JIKU_KIND_COUNT), "unknown");
}

Test(config, value_validators)
{
    static const char *const good_pins[] = {
        "sha256//n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
        "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;"
        "sha256//n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
    };
    static const char *const bad_pins[] = {
        "",
        "sha256//",
        "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
        "sha256//n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgh=", /* not canonical */
        "sha256//n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg",
        "sha256//n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=;",
        "sha256//n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCg*=",
        "sha256//n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg= ",
    };

    for (size_t i = 0; i < sizeof(good_pins) / sizeof(good_pins[0]); i++) {
        char snippet[512];

        snprintf(snippet, sizeof(snippet),
                 "[server s3]\npanel = cpanel\nhost = s3\n"
                 "api_token_file = @D@/web1.token\nssh_key = @D@/id_ed25519\n"
                 "known_hosts = @D@/known_hosts\npinned_pubkey = %s\n",
                 good_pins[i]);
        expect_ok(load_snippet(snippet));
        cr_assert_str_eq(jiku_config_server(cfg, "s3")->pinned_pubkey, good_pins[i]);
    }
    for (size_t i = 0; i < sizeof(bad_pins) / sizeof(bad_pins[0]); i++) {
        char snippet[512];

        snprintf(snippet, sizeof(snippet), "[server s3]\npinned_pubkey = %s\n", bad_pins[i]);
        cr_assert_eq(load_snippet(snippet), JIKU_E_CONFIG, "pin %zu accepted", i);
    }
    cr_assert_eq(load_snippet("[agent]\nping_url = http://127.0.0.1:8000/ping/abc\n"), 0, "%s",
                 err.msg);
    cr_assert_eq(load_snippet("[agent]\nping_url = https://[::1]/x\n"), 0, "%s", err.msg);
    cr_assert_eq(load_snippet("[agent]\nping_url = https:///x\n"), JIKU_E_CONFIG);
    cr_assert_eq(load_snippet("[agent]\nping_url = https://h/a\"b\n"), JIKU_E_CONFIG);
}

/* jiku-agent.conf(5) documents every key the packaged panels add, as their maps declare them. */
Test(config, the_manual_lists_the_panels_own_keys)
{
    const struct jiku_plugin *const panels[] = {&jiku_plugin_cpanel_desc, &jiku_plugin_plesk_desc};
    FILE *f = fopen(JIKU_SOURCE_DIR "/packaging/man/jiku-agent.conf.5.scd", "r");
    char page[65536], want[128];
    size_t n;

    cr_assert_not_null(f);
    n = fread(page, 1, sizeof(page) - 1, f);
    fclose(f);
    page[n] = '\0';
    for (size_t i = 0; i < sizeof(panels) / sizeof(panels[0]); i++) {
        const struct jiku_config_map *m = panels[i]->facts->server_map;

        cr_assert_not_null(m, "%s has no [server] keys", panels[i]->name);
        for (; m->name != NULL; m++) {
            snprintf(want, sizeof(want), "\n*%s* = ", m->name);
            cr_assert(strstr(page, want) != NULL, "the manual lacks %s's key %s", panels[i]->name,
                      m->name);
        }
    }
}

Test(config, warnings_for_keys_of_the_other_panel)
{
    const struct jiku_server_conf *s;

    expect_ok(load_snippet("[server s3]\npanel = cpanel\nhost = s3\n"
                           "api_token_file = @D@/web1.token\nssh_key = @D@/id_ed25519\n"
                           "known_hosts = @D@/known_hosts\ndump_dir = /x\nplesk_backup = cli\n"
                           "[server s4]\npanel = plesk\nhost = s4\n"
                           "api_token_file = @D@/web1.token\nssh_key = @D@/id_ed25519\n"
                           "known_hosts = @D@/known_hosts\nsoftaculous_port = 2\n"));
    cr_assert(has_diag(false, "@F@:21: dump_dir applies to plesk servers only"));
    cr_assert(has_diag(false, "@F@:22: plesk_backup applies to plesk servers only"));
    cr_assert(has_diag(false, "@F@:29: softaculous_port applies to cpanel servers only"));
    /* the panel's defaults, from its map, and nothing of the other panel's */
    cr_assert_not_null(s = jiku_config_server(cfg, "s4"));
    cr_assert_not_null(s->info.settings);
    cr_assert_str_eq(plesk_settings(&s->info)->dump_dir, "/var/lib/psa/dumps");
    cr_assert_str_eq(plesk_settings(&s->info)->backup, "auto");
    cr_assert_not_null(s = jiku_config_server(cfg, "s3"));
    cr_assert_eq(cpanel_settings(&s->info)->softaculous_port, 2083);
    /* a server the configuration did not make gets the same defaults from the plugin */
    cr_assert_str_eq(plesk_settings(NULL)->dump_dir, "/var/lib/psa/dumps");
    cr_assert_str_eq(plesk_settings(NULL)->backup, "auto");
    cr_assert_eq(cpanel_settings(NULL)->softaculous_port, 2083);
    cr_assert_eq(cpanel_settings(NULL)->pkgacct_start_grace, 30);
}

Test(config, diag_add_counts_errors_only)
{
    struct jiku_diags d = {0};

    jiku_diag_add(&d, false, "w %d", 1);
    jiku_diag_add(&d, true, "e %s", "x");
    cr_assert_eq(d.n, 2);
    cr_assert_eq(d.n_errors, 1);
    cr_assert_str_eq(d.items[0].msg, "w 1");
    cr_assert_not(d.items[0].is_error);
    cr_assert_str_eq(d.items[1].msg, "e x");
    jiku_diags_release(&d);
    cr_assert_eq(d.n, 0);
    cr_assert_null(d.items);
    jiku_diags_release(NULL);
}

/* auto_rollback (jiku-agent.conf(5)): yes by default, [agent] sets it, a target overrides it. */
Test(config, auto_rollback_agent_and_target)
{
    const char *targets = "[target acme/a]\nserver = web1\nkind = account\naccount = acmea\n"
                          "[target acme/b]\nserver = web1\nkind = account\naccount = acmeb\n"
                          "auto_rollback = yes\n"
                          "[target acme/c]\nserver = web1\nkind = account\naccount = acmec\n"
                          "auto_rollback = no\n";
    struct jiku_buf b = JIKU_BUF_INIT;
    const char *text;

    jiku_buf_adds(&b, ACME);
    jiku_buf_adds(&b, targets);
    expect_ok(load_snippet(b.data));
    cr_assert(cfg->auto_rollback);
    cr_assert(jiku_auto_rollback(cfg, jiku_config_target(cfg, "acme/a")));
    cr_assert(jiku_auto_rollback(cfg, jiku_config_target(cfg, "acme/b")));
    cr_assert_not(jiku_auto_rollback(cfg, jiku_config_target(cfg, "acme/c")));

    jiku_buf_reset(&b);
    jiku_buf_adds(&b, "[agent]\npolicy_dir = @P@\nauto_rollback = no\n[customer acme]\n"
                      "tier = medium\n");
    jiku_buf_adds(&b, targets);
    expect_ok(load_snippet(b.data));
    cr_assert_not(cfg->auto_rollback);
    cr_assert_not(jiku_auto_rollback(cfg, jiku_config_target(cfg, "acme/a")));
    cr_assert(jiku_auto_rollback(cfg, jiku_config_target(cfg, "acme/b")));
    cr_assert_not(jiku_auto_rollback(cfg, jiku_config_target(cfg, "acme/c")));
    /* config show writes both back */
    jiku_buf_reset(&b);
    cr_assert_eq(jiku_config_show(cfg, &b), 0);
    text = b.data;
    cr_assert(strstr(text, "[agent]\n") != NULL && strstr(text, "auto_rollback = no\n") != NULL);
    cr_assert(strstr(text, "auto_rollback = yes\n") != NULL);

    cr_assert_eq(load_snippet(ACME "[target acme/shop]\nauto_rollback = maybe\n"), JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:20: invalid auto_rollback 'maybe': expected yes or no"));
    jiku_buf_release(&b);
}

/* ACME split around the [agent] keys of a test */
#define NOTICE "[agent]\npolicy_dir = @P@\n"
#define CUSTOMER "[customer acme]\ntier = medium\n"

Test(config, notice_keys)
{
    struct jiku_buf b = JIKU_BUF_INIT;

    /* defaults: no mail, partial runs and worse, the system's sendmail */
    expect_ok(load_snippet(ACME));
    cr_assert_null(cfg->notify_mail);
    cr_assert_eq(cfg->notify_on, JIKU_NOTIFY_PARTIAL);
    cr_assert_str_eq(cfg->sendmail, "/usr/sbin/sendmail");

    expect_ok(load_snippet(NOTICE "notify_mail = ops@example.net, oncall+jiku@example.org\n"
                                  "notify_on = failure\nsendmail = /usr/bin/msmtp\n" CUSTOMER));
    cr_assert_not_null(cfg->notify_mail);
    cr_assert_str_eq(cfg->notify_mail[0], "ops@example.net");
    cr_assert_str_eq(cfg->notify_mail[1], "oncall+jiku@example.org");
    cr_assert_null(cfg->notify_mail[2]);
    cr_assert_eq(cfg->notify_on, JIKU_NOTIFY_FAILURE);
    cr_assert_str_eq(cfg->sendmail, "/usr/bin/msmtp");
    /* config show writes them back as they were read */
    cr_assert_eq(jiku_config_show(cfg, &b), 0);
    cr_assert(strstr(b.data, "notify_mail = ops@example.net, oncall+jiku@example.org\n") != NULL,
              "%s", b.data);
    cr_assert(strstr(b.data, "notify_on = failure\n") != NULL, "%s", b.data);
    jiku_buf_release(&b);

    /* what would become a header of its own, or a group, is no address */
    cr_assert_eq(load_snippet(NOTICE "notify_mail = Ops <ops@example.net>\n" CUSTOMER),
                 JIKU_E_CONFIG);
    cr_assert(has_diag(true, "@F@:17: invalid notify_mail 'Ops <ops@example.net>': expected mail "
                             "addresses local@domain separated by commas"));
    cr_assert_eq(load_snippet(NOTICE "notify_mail = ops@example.net;bcc@evil.example\n" CUSTOMER),
                 JIKU_E_CONFIG);
    cr_assert_eq(load_snippet(NOTICE "notify_mail = ops\n" CUSTOMER), JIKU_E_CONFIG);
    cr_assert_eq(load_snippet(NOTICE "notify_on = sometimes\n" CUSTOMER), JIKU_E_CONFIG);
    cr_assert_eq(load_snippet(NOTICE "sendmail = sendmail\n" CUSTOMER), JIKU_E_CONFIG);
}

/* A run whose configuration does not load still finds where to send its notice. */
Test(config, agent_only_reads_the_notice_settings_of_a_broken_configuration)
{
    char path[512];

    mkdir_in("conf.d");
    write_file("agent.conf", 0644,
               "[agent]\nnotify_mail = ops@example.net\nnotify_on = always\n"
               "ping_url = http://127.0.0.1:9/ping\nmax_paralel = 3\n");
    write_file("conf.d/10-broken.conf", 0644, "[customer x]\ntier = gold\n[nonsense\n");
    cr_assert_eq(load(0), JIKU_E_CONFIG);
    cr_assert_null(cfg);

    snprintf(path, sizeof(path), "%s/agent.conf", dir);
    jiku_diags_release(&diags);
    /* [agent] alone, best effort: conf.d is not read, the unknown key is left out */
    jiku_config_load(path, JIKU_CONFIG_AGENT_ONLY, &cfg, NULL, &err);
    cr_assert_not_null(cfg);
    cr_assert_str_eq(cfg->notify_mail[0], "ops@example.net");
    cr_assert_eq(cfg->notify_on, JIKU_NOTIFY_ALWAYS);
    cr_assert_str_eq(cfg->ping_url, "http://127.0.0.1:9/ping");
    cr_assert_eq(cfg->n_customers, 0);
}
