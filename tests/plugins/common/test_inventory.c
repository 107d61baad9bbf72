/*
 * The inventory a DISCOVER action builds (plugins/common/inventory.c): site URLs split into a
 * target's domain and path, the list handed to the core's result (and freed by
 * jiku_op_result_release), and WP Toolkit's `--list` as wordpress items through a fake SSH —
 * a panel without WP Toolkit, or an instance that cannot be a target, leaves the kind
 * unlisted (no drift may be claimed for it) without failing the inventory.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "action.h"
#include "inventory.h"

Test(inventory, site_urls_split_into_domain_and_path)
{
    static const struct {
        const char *url, *domain, *path;
    } ok[] = {
        {"https://blog.acme.example", "blog.acme.example", "/"},
        {"https://blog.acme.example/", "blog.acme.example", "/"},
        {"http://Shop.Acme.Example/news/", "shop.acme.example", "/news"},
        {"HTTPS://low.example/a/b", "low.example", "/a/b"},
    };
    static const char *const bad[] = {
        NULL,
        "",
        "ftp://x.example",
        "https://",
        "https://bad_host.example/",
        "https://x.example/a b",
        "https://x.example/../etc",
        "blog.acme.example",
    };
    struct jiku_err err = {0};
    char *d, *p;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        cr_assert_eq(inv_split_url(ok[i].url, &d, &p, &err), 0, "%s: %s", ok[i].url, err.msg);
        cr_expect_str_eq(d, ok[i].domain, "%s", ok[i].url);
        cr_expect_str_eq(p, ok[i].path, "%s", ok[i].url);
        free(d);
        free(p);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(inv_split_url(bad[i], &d, &p, &err), JIKU_E_DATA, "%s", bad[i]);
        cr_expect_null(d);
        cr_expect_null(p);
    }
}

Test(inventory, items_move_to_the_result)
{
    struct inv_list l = {0};
    struct jiku_op_result res = {0};
    struct jiku_err err = {0};

    for (int i = 0; i < 40; i++)
        cr_assert_eq(inv_add(&l, JIKU_KIND_ACCOUNT, "acmeshop", i % 2 ? "shop.acme.example" : NULL,
                             NULL, "root", "account", &err),
                     0);
    cr_assert_eq(l.n, 40);
    cr_assert_null(l.items[0].domain);
    cr_assert_str_eq(l.items[1].domain, "shop.acme.example");
    inv_give(&l, &res);
    cr_assert_eq(l.n, 0);
    cr_assert_null(l.items);
    cr_assert_eq(res.n_inventory, 40);
    cr_assert_str_eq(res.inventory[39].owner, "root");
    jiku_op_result_release(&res);
    cr_assert_null(res.inventory);
    cr_assert_eq(res.n_inventory, 0);
    inv_release(&l); /* empty: nothing twice */
}

/* ---- WP Toolkit through a fake SSH --------------------------------------------------------- */

static const char *fake_out;
static int fake_exit;
static int fake_warnings;
static char fake_cmd[256];

static int
fake_exec(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd, bool safe,
          size_t max_output, struct jiku_exec_result *res, struct jiku_err *err)
{
    (void)op;
    (void)server;
    (void)safe;
    (void)max_output;
    (void)err;
    snprintf(fake_cmd, sizeof(fake_cmd), "%s", cmd);
    res->exit_status = fake_exit;
    if (fake_exit != 0)
        jiku_buf_adds(&res->errout, "sh: 1: wp-toolkit: not found\n");
    else
        jiku_buf_adds(&res->out, fake_out);
    return 0;
}

static void
fake_log(struct jiku_op *op, enum jiku_log_level level, const char *fmt, ...)
{
    (void)op;
    (void)fmt;
    if (level == JIKU_LOG_WARN)
        fake_warnings++;
}

static const struct jiku_host fake_host = {.ssh_exec = fake_exec, .log = fake_log};
static const struct jiku_server_info server = {.name = "web1", .panel = "cpanel"};
static const char *const prefix[] = {"wp-toolkit", NULL};
static const struct wpt_panel cpanel = {.name = "cPanel", .prefix = prefix};
static const struct wpt_panel plesk = {
    .name = "Plesk", .prefix = prefix, .account_is_main_domain = true};

static const char two_sites[] =
    "[{\"id\":1,\"mainDomain\":\"shop.example\",\"owner\":\"jdoe\",\"fullPath\":\"/v/a\","
    "\"siteUrl\":\"https://shop.example\",\"broken\":false},"
    "{\"id\":2,\"mainDomain\":\"shop.example\",\"owner\":\"jdoe\",\"fullPath\":\"/v/b\","
    "\"siteUrl\":\"https://blog.shop.example/news/\",\"broken\":true}]";

static void
list(const struct wpt_panel *panel, struct inv_list *l, bool *listed, int want)
{
    struct jiku_op_result res = {0};
    struct jiku_op op = {.host = &fake_host, .server = &server, .result = &res};
    struct jiku_err err = {0};

    fake_warnings = 0;
    cr_assert_eq(inv_wordpress(panel, &op, l, listed, &err), want, "%s", err.msg);
}

Test(inventory, wordpress_sites_from_the_list)
{
    struct inv_list l = {0};
    bool listed = false;

    fake_out = two_sites;
    fake_exit = 0;
    list(&plesk, &l, &listed, 0);
    cr_assert_str_eq(fake_cmd, "'wp-toolkit' '--list' '-format' 'json'");
    cr_assert(listed);
    cr_assert_eq(l.n, 2);
    cr_assert_eq(l.items[0].kind, JIKU_KIND_WORDPRESS);
    cr_assert_str_eq(l.items[0].account, "shop.example"); /* Plesk: the subscription */
    cr_assert_str_eq(l.items[0].domain, "shop.example");
    cr_assert_str_eq(l.items[0].path, "/");
    cr_assert_str_eq(l.items[0].owner, "jdoe");
    cr_assert_str_eq(l.items[1].domain, "blog.shop.example");
    cr_assert_str_eq(l.items[1].path, "/news");
    cr_assert(strstr(l.items[1].detail, "broken") != NULL);
    inv_release(&l);

    list(&cpanel, &l, &listed, 0);
    cr_assert(listed);
    cr_assert_str_eq(l.items[0].account, "jdoe"); /* cPanel: the owner */
    inv_release(&l);
}

Test(inventory, no_wp_toolkit_is_a_warning_not_a_failure)
{
    struct inv_list l = {0};
    bool listed = true;

    fake_exit = 127;
    list(&cpanel, &l, &listed, 0);
    cr_assert_not(listed);
    cr_assert_eq(l.n, 0);
    cr_assert_eq(fake_warnings, 1);

    fake_exit = 0;
    fake_out = "<html>not json</html>";
    list(&cpanel, &l, &listed, 0);
    cr_assert_not(listed);
    cr_assert_eq(fake_warnings, 1);
    inv_release(&l);
}

Test(inventory, an_unusable_instance_leaves_the_kind_unlisted)
{
    struct inv_list l = {0};
    bool listed = true;

    fake_exit = 0;
    fake_out = "[{\"id\":1,\"owner\":\"acmeshop\",\"fullPath\":\"/h/a\","
               "\"siteUrl\":\"https://blog.acme.example\"},"
               "{\"id\":2,\"owner\":\"acmeshop\",\"fullPath\":\"/h/b\",\"siteUrl\":\"ftp://x\"},"
               "{\"id\":3,\"fullPath\":\"/h/c\",\"siteUrl\":\"https://c.example\"}]";
    list(&cpanel, &l, &listed, 0);
    cr_assert_eq(l.n, 1, "the usable instance is still listed");
    cr_assert_str_eq(l.items[0].domain, "blog.acme.example");
    cr_assert_not(listed, "a left-out instance would make its target look gone");
    cr_assert_eq(fake_warnings, 2);
    inv_release(&l);
}
