/*
 * The shared WP Toolkit code's parsers and matching (plugins/common/wpt.c): `--list` and
 * `--info` answers in the shape the protocol notes and the simulator's contract give
 * (tests/fakes/wptoolkit/README.md; [3P] keys id, siteUrl, fullPath), garbage, ambiguous and
 * mismatched instances, and the domain and URL path rules (the remote path rules:
 * test_plug_remote.c).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "wpt.h"

/* Two sites of acmeshop (cPanel) and another customer's; keys as WP Toolkit prints them. */
static const char list_cpanel[] =
    "[{\"id\":1,\"mainDomainId\":1,\"mainDomain\":\"shop.acme.example\",\"domain\":"
    "\"blog.acme.example\",\"owner\":\"acmeshop\",\"path\":\"/blog.acme.example\",\"fullPath\":"
    "\"/home/acmeshop/blog.acme.example\",\"siteUrl\":\"https://blog.acme.example\",\"name\":"
    "\"Acme Blog\",\"version\":\"6.5.2\",\"infected\":false,\"broken\":false,\"alive\":true},"
    "{\"id\":2,\"mainDomainId\":1,\"mainDomain\":\"shop.acme.example\",\"domain\":"
    "\"shop.acme.example\",\"owner\":\"acmeshop\",\"path\":\"/public_html/news\",\"fullPath\":"
    "\"/home/acmeshop/public_html/news\",\"siteUrl\":\"https://shop.acme.example/news\","
    "\"infected\":false,\"broken\":false},"
    "{\"id\":3,\"mainDomainId\":2,\"mainDomain\":\"low.example\",\"domain\":\"low.example\","
    "\"owner\":\"lowco\",\"path\":\"/public_html\",\"fullPath\":\"/home/lowco/public_html\","
    "\"siteUrl\":\"https://low.example\",\"infected\":false,\"broken\":false}]";

/* Plesk: owner is the customer's login, mainDomain the subscription. */
static const char list_plesk[] =
    "[{\"id\":1,\"mainDomainId\":1,\"mainDomain\":\"shop.example\",\"domain\":\"shop.example\","
    "\"owner\":\"jdoe\",\"path\":\"/httpdocs\",\"fullPath\":"
    "\"/var/www/vhosts/shop.example/httpdocs\",\"siteUrl\":\"https://shop.example\","
    "\"broken\":false},"
    "{\"id\":2,\"mainDomainId\":2,\"mainDomain\":\"resold.example\",\"domain\":"
    "\"resold.example\",\"owner\":\"rcust\",\"path\":\"/httpdocs\",\"fullPath\":"
    "\"/var/www/vhosts/resold.example/httpdocs\",\"siteUrl\":\"https://resold.example\"}]";

static struct wpt_site
site(const char *account, const char *domain, const char *path, bool main_domain)
{
    return (struct wpt_site){account, domain, path, main_domain};
}

static void
parse_ok(const char *json, struct wpt_list *l)
{
    struct jiku_err err = {0};
    int r = wpt_list_parse(json, strlen(json), l, &err);

    cr_assert_eq(r, 0, "parse failed: %s", err.msg);
}

static int
parse_bad(const char *json, struct jiku_err *err)
{
    struct wpt_list l = {0};
    int r = wpt_list_parse(json, strlen(json), &l, err);

    wpt_list_release(&l);
    return r;
}

Test(wpt_list, parses_the_documented_keys)
{
    struct wpt_list l = {0};

    parse_ok(list_cpanel, &l);
    cr_assert_eq(l.n, 3);
    cr_assert_eq(l.items[1].id, 2);
    cr_assert_str_eq(l.items[1].site_url, "https://shop.acme.example/news");
    cr_assert_str_eq(l.items[1].full_path, "/home/acmeshop/public_html/news");
    cr_assert_str_eq(l.items[2].owner, "lowco");
    cr_assert_str_eq(l.items[0].main_domain, "shop.acme.example");
    cr_assert_not(l.items[0].broken);
    wpt_list_release(&l);
}

Test(wpt_list, empty_array_is_no_instance)
{
    struct wpt_list l = {0};
    const struct wpt_instance *i = NULL;
    struct wpt_site s = site("acmeshop", "blog.acme.example", "/", false);
    struct jiku_err err = {0};

    parse_ok("[]", &l);
    cr_assert_eq(l.n, 0);
    cr_assert_eq(wpt_match(&l, &s, &i, &err), JIKU_E_NOTFOUND);
    cr_assert_null(i);
    cr_assert(strstr(err.msg, "https://blog.acme.example") != NULL, "%s", err.msg);
    wpt_list_release(&l);
}

Test(wpt_list, string_ids_are_read_as_integers)
{
    struct wpt_list l = {0};

    parse_ok("[{\"id\":\"17\",\"siteUrl\":\"https://a.example\",\"fullPath\":\"/home/a/x\"}]", &l);
    cr_assert_eq(l.items[0].id, 17);
    wpt_list_release(&l);
}

Test(wpt_list, garbage_is_bad_data)
{
    static const char *const bad[] = {
        "",
        "Error: something went wrong",
        "{\"id\":1,\"siteUrl\":\"https://a.example\",\"fullPath\":\"/x\"}", /* not an array */
        "[{\"id\":1,\"siteUrl\":\"https://a.example\"",                     /* truncated */
        "[1, 2]",
        "[{\"siteUrl\":\"https://a.example\",\"fullPath\":\"/x/y\"}]",          /* no id */
        "[{\"id\":0,\"siteUrl\":\"https://a.example\",\"fullPath\":\"/x/y\"}]", /* id 0 */
        "[{\"id\":\"7x\",\"siteUrl\":\"https://a.example\",\"fullPath\":\"/x/y\"}]",
        "[{\"id\":1,\"fullPath\":\"/x/y\"}]",                                    /* no siteUrl */
        "[{\"id\":1,\"siteUrl\":\"https://a.example\"}]",                        /* no fullPath */
        "[{\"id\":1,\"siteUrl\":5,\"fullPath\":\"/x/y\"}]",                      /* wrong type */
        "[{\"id\":1,\"id\":2,\"siteUrl\":\"https://a\",\"fullPath\":\"/x/y\"}]", /* dup key */
        "[{\"id\":4,\"siteUrl\":\"https://a.example\",\"fullPath\":\"/x/y\"},"
        "{\"id\":4,\"siteUrl\":\"https://b.example\",\"fullPath\":\"/x/z\"}]", /* id twice */
    };

    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        struct jiku_err err = {0};

        cr_expect_eq(parse_bad(bad[k], &err), JIKU_E_DATA, "accepted: %s", bad[k]);
        cr_expect(err.msg[0] != '\0');
    }
}

Test(wpt_list, binary_bytes_are_bad_data)
{
    static const char bin[] = "\x89PNG\r\n\x1a\n\0\0";
    struct wpt_list l = {0};
    struct jiku_err err = {0};

    cr_assert_eq(wpt_list_parse(bin, sizeof(bin) - 1, &l, &err), JIKU_E_DATA);
    wpt_list_release(&l);
}

Test(wpt_info, parses_one_object_and_refuses_a_list)
{
    static const char info[] =
        "{\"id\":1,\"mainDomain\":\"shop.acme.example\",\"owner\":\"acmeshop\",\"fullPath\":"
        "\"/home/acmeshop/blog.acme.example\",\"siteUrl\":\"https://blog.acme.example\","
        "\"loginUrl\":\"https://blog.acme.example/wp-admin/\",\"dbName\":\"acmeshop_wp1\","
        "\"searchEnginesIndexing\":true,\"plugins\":{},\"themes\":{\"twentytwentyfour\":"
        "{\"name\":\"Twenty Twenty-Four\",\"active\":true}},\"broken\":false}";
    struct wpt_instance i = {0};
    struct jiku_err err = {0};

    cr_assert_eq(wpt_info_parse(info, strlen(info), &i, &err), 0, "%s", err.msg);
    cr_assert_eq(i.id, 1);
    cr_assert_str_eq(i.owner, "acmeshop");
    wpt_instance_release(&i);
    cr_assert_eq(wpt_info_parse(list_cpanel, strlen(list_cpanel), &i, &err), JIKU_E_DATA);
    wpt_instance_release(&i);
    cr_assert_eq(wpt_info_parse("{\"id\":1", 7, &i, &err), JIKU_E_DATA);
    wpt_instance_release(&i);
}

Test(wpt_match, finds_the_site_by_account_domain_and_path)
{
    struct wpt_list l = {0};
    const struct wpt_instance *i = NULL;
    struct jiku_err err = {0};
    struct wpt_site blog = site("acmeshop", "blog.acme.example", "/", false);
    struct wpt_site news = site("acmeshop", "shop.acme.example", "/news", false);
    struct wpt_site news_slash = site("acmeshop", "shop.acme.example", "/news/", false);

    parse_ok(list_cpanel, &l);
    cr_assert_eq(wpt_match(&l, &blog, &i, &err), 0, "%s", err.msg);
    cr_assert_eq(i->id, 1);
    cr_assert_eq(wpt_match(&l, &news, &i, &err), 0, "%s", err.msg);
    cr_assert_eq(i->id, 2);
    cr_assert_eq(wpt_match(&l, &news_slash, &i, &err), 0, "%s", err.msg);
    cr_assert_eq(i->id, 2);
    wpt_list_release(&l);
}

Test(wpt_match, path_and_domain_must_match_exactly)
{
    struct wpt_list l = {0};
    const struct wpt_instance *i = NULL;
    struct jiku_err err = {0};
    /* The main domain's root is not its /news site, and no prefix of a host matches. */
    struct wpt_site root = site("acmeshop", "shop.acme.example", "/", false);
    struct wpt_site part = site("acmeshop", "blog.acme", "/", false);
    struct wpt_site deeper = site("acmeshop", "shop.acme.example", "/news/old", false);

    parse_ok(list_cpanel, &l);
    cr_assert_eq(wpt_match(&l, &root, &i, &err), JIKU_E_NOTFOUND);
    cr_assert_eq(wpt_match(&l, &part, &i, &err), JIKU_E_NOTFOUND);
    cr_assert_eq(wpt_match(&l, &deeper, &i, &err), JIKU_E_NOTFOUND);
    cr_assert_null(i);
    wpt_list_release(&l);
}

Test(wpt_match, another_accounts_site_is_refused)
{
    struct wpt_list l = {0};
    const struct wpt_instance *i = NULL;
    struct jiku_err err = {0};
    /* A target that names lowco's site under acmeshop: the site exists, but is not ours. */
    struct wpt_site s = site("acmeshop", "low.example", "/", false);

    parse_ok(list_cpanel, &l);
    cr_assert_eq(wpt_match(&l, &s, &i, &err), JIKU_E_DATA);
    cr_assert_null(i);
    cr_assert(strstr(err.msg, "lowco") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "acmeshop") != NULL, "%s", err.msg);
    wpt_list_release(&l);
}

Test(wpt_match, several_sites_at_one_url_are_ambiguous)
{
    static const char dup[] =
        "[{\"id\":5,\"owner\":\"acmeshop\",\"siteUrl\":\"https://blog.acme.example\","
        "\"fullPath\":\"/home/acmeshop/a\"},"
        "{\"id\":9,\"owner\":\"acmeshop\",\"siteUrl\":\"http://BLOG.acme.example/\","
        "\"fullPath\":\"/home/acmeshop/b\"}]";
    struct wpt_list l = {0};
    const struct wpt_instance *i = NULL;
    struct jiku_err err = {0};
    struct wpt_site s = site("acmeshop", "blog.acme.example", "/", false);

    parse_ok(dup, &l);
    cr_assert_eq(wpt_match(&l, &s, &i, &err), JIKU_E_DATA);
    cr_assert_null(i);
    cr_assert(strstr(err.msg, "ambiguous") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "5, 9") != NULL, "%s", err.msg);
    wpt_list_release(&l);
}

Test(wpt_match, plesk_matches_the_subscription_not_the_owner_login)
{
    struct wpt_list l = {0};
    const struct wpt_instance *i = NULL;
    struct jiku_err err = {0};
    struct wpt_site shop = site("shop.example", "shop.example", "/", true);
    struct wpt_site wrong = site("shop.example", "resold.example", "/", true);
    struct wpt_site as_owner = site("jdoe", "shop.example", "/", true);

    parse_ok(list_plesk, &l);
    cr_assert_eq(wpt_match(&l, &shop, &i, &err), 0, "%s", err.msg);
    cr_assert_eq(i->id, 1);
    cr_assert_eq(wpt_match(&l, &wrong, &i, &err), JIKU_E_DATA);
    cr_assert_eq(wpt_match(&l, &as_owner, &i, &err), JIKU_E_DATA);
    wpt_list_release(&l);
}

Test(wpt_check, a_stale_id_describing_another_site_is_refused)
{
    /* --info of the id we listed now describes lowco's site: the id changed hands. */
    static const char info[] = "{\"id\":1,\"owner\":\"lowco\",\"mainDomain\":\"low.example\","
                               "\"siteUrl\":\"https://low.example\",\"fullPath\":"
                               "\"/home/lowco/public_html\"}";
    struct wpt_instance i = {0};
    struct jiku_err err = {0};
    struct wpt_site s = site("acmeshop", "blog.acme.example", "/", false);

    cr_assert_eq(wpt_info_parse(info, strlen(info), &i, &err), 0);
    cr_assert_eq(wpt_instance_check(&i, &s, &err), JIKU_E_DATA);
    cr_assert(strstr(err.msg, "low.example") != NULL, "%s", err.msg);
    wpt_instance_release(&i);
}

/*
 * The owner keys are undocumented: absent proves nothing (the caller checks fullPath against
 * the account's directory), present and naming another account refuses.
 */
Test(wpt_check, an_absent_owner_key_does_not_refuse_a_present_wrong_one_does)
{
    static const char info[] = "{\"id\":1,\"siteUrl\":\"https://blog.acme.example\","
                               "\"fullPath\":\"/home/acmeshop/blog\"}";
    static const char other[] = "{\"id\":1,\"siteUrl\":\"https://blog.acme.example\","
                                "\"owner\":\"lowco\",\"fullPath\":\"/home/acmeshop/blog\"}";
    static const char plesk[] = "{\"id\":1,\"siteUrl\":\"https://blog.acme.example\","
                                "\"owner\":\"jdoe\",\"fullPath\":\"/var/www/vhosts/b/httpdocs\"}";
    struct wpt_instance i = {0};
    struct jiku_err err = {0};
    struct wpt_site s = site("acmeshop", "blog.acme.example", "/", false);
    struct wpt_site ps = site("blog.acme.example", "blog.acme.example", "/", true);

    cr_assert_eq(wpt_info_parse(info, strlen(info), &i, &err), 0);
    cr_assert_eq(wpt_instance_check(&i, &s, &err), 0, "%s", err.msg);
    wpt_instance_release(&i);
    cr_assert_eq(wpt_info_parse(other, strlen(other), &i, &err), 0);
    cr_assert_eq(wpt_instance_check(&i, &s, &err), JIKU_E_DATA);
    wpt_instance_release(&i);
    /* Plesk matches mainDomain, absent here; owner is the customer's login, not compared */
    cr_assert_eq(wpt_info_parse(plesk, strlen(plesk), &i, &err), 0);
    cr_assert_eq(wpt_instance_check(&i, &ps, &err), 0, "%s", err.msg);
    wpt_instance_release(&i);
}

Test(wpt_url, site_url_and_matching)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    struct wpt_site s = site("a", "blog.acme.example", "/news/", false);

    cr_assert_eq(wpt_site_url(&s, &b), 0);
    cr_assert_str_eq(b.data, "https://blog.acme.example/news");
    jiku_buf_release(&b);
    cr_assert(wpt_url_matches("https://blog.acme.example/news", &s));
    cr_assert(wpt_url_matches("http://Blog.Acme.Example/news/", &s));
    cr_assert_not(wpt_url_matches("https://blog.acme.example/News", &s));
    cr_assert_not(wpt_url_matches("https://blog.acme.example/newsletter", &s));
    cr_assert_not(wpt_url_matches("ftp://blog.acme.example/news", &s));
    cr_assert_not(wpt_url_matches("https://blog.acme.example.evil/news", &s));
    cr_assert_not(wpt_url_matches("blog.acme.example/news", &s));
}

Test(wpt_paths, domains_and_url_paths)
{
    cr_assert(wpt_valid_domain("staging.blog.acme.example"));
    cr_assert_not(wpt_valid_domain("-x.example"));
    cr_assert_not(wpt_valid_domain("a..example"));
    cr_assert_not(wpt_valid_domain("a.example;rm"));
    cr_assert(wpt_valid_url_path("/"));
    cr_assert(wpt_valid_url_path("/news"));
    cr_assert_not(wpt_valid_url_path("/a/../b"));
    cr_assert_not(wpt_valid_url_path("/a b"));
    cr_assert_not(wpt_valid_url_path("news"));
}

Test(wpt_cmd, every_word_is_quoted)
{
    static const char *const prefix[] = {"plesk", "ext", "wp-toolkit", NULL};
    const struct wpt_panel p = {.name = "Plesk", .prefix = prefix};
    const char *w[] = {"--wp-cli", "-instance-id", "3", "--", "db", "export", "/a b/$(x)'", NULL};
    struct jiku_buf b = JIKU_BUF_INIT;

    cr_assert_eq(wpt_cmd(&p, &b, w), 0);
    cr_assert_str_eq(b.data, "'plesk' 'ext' 'wp-toolkit' '--wp-cli' '-instance-id' '3' '--' 'db' "
                             "'export' '/a b/$(x)'\\'''");
    jiku_buf_release(&b);
}
