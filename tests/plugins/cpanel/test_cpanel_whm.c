/*
 * The cPanel plugin's parsers: WHM API 1 envelopes (the documented samples of cPanel's
 * documentation as the simulator replays them, tests/fakes/cpanel/samples, and garbage), pkgacct's
 * master log, a transfer session's log, df/stat/checksum output, remote path rules, archive and
 * home listings and their comparison.  Links the plugin's static library.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpanel.h"
#include "cpanel_remote.h"
#include "err.h"

static char *
sample(const char *name, size_t *len)
{
    char path[512];
    FILE *fp;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/tests/fakes/cpanel/samples/%s", JIKU_SOURCE_DIR, name);
    fp = fopen(path, "rb");
    cr_assert_not_null(fp, "cannot open sample %s", path);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static int
parse(const char *fn, long status, const char *body, json_t **root, struct jiku_err *err)
{
    return cpanel_whm_parse(fn, status, body, strlen(body), root, err);
}

/* ---- envelopes ----------------------------------------------------------------------- */

Test(whm, documented_success_samples)
{
    const char *names[] = {"s17-start-local-cpmove-restore.body",
                           "s18-start-background-pkgacct.body",
                           "s22-get-transfer-session-state.body"};
    const char *key[] = {"transfer_session_id", "session_id", "state_name"};
    const char *want[] = {"example202003301756425ugO", "example20151109162046c4xzDp55q9u4tPj",
                          "TRANSFER_INPROGRESS"};

    for (size_t i = 0; i < 3; i++) {
        struct jiku_err err = {0};
        json_t *root = NULL;
        size_t len;
        char *body = sample(names[i], &len);

        cr_assert_eq(cpanel_whm_parse("f", 200, body, len, &root, &err), 0, "%s: %s", names[i],
                     err.msg);
        cr_assert_str_eq(cpanel_json_str(json_object_get(root, "data"), key[i]), want[i]);
        json_decref(root);
        free(body);
    }
}

Test(whm, result_zero_is_a_panel_failure_with_reason_and_errors)
{
    struct jiku_err err = {0};
    json_t *root = NULL;
    size_t len;
    char *body = sample("s09-whmapi1-failure-elevate.body", &len);

    cr_assert_eq(cpanel_whm_parse("set_local_mysql_root_password", 200, body, len, &root, &err),
                 JIKU_E_PANEL);
    cr_assert_null(root);
    cr_assert_not_null(strstr(err.msg, "1 error occurred"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "(XID kv75bw) The given password is too weak"), "%s",
                       err.msg);
    free(body);
}

Test(whm, http_403_with_the_documented_body_is_auth)
{
    struct jiku_err err = {0};
    json_t *root = NULL;
    size_t len;
    char *body = sample("s01-forbidden.body", &len);

    cr_assert_eq(cpanel_whm_parse("version", 403, body, len, &root, &err), JIKU_E_AUTH);
    cr_assert_not_null(strstr(err.msg, "HTTP 403: Access denied"), "%s", err.msg);
    cr_assert_eq(jiku_status_exit_code(err.status), 77);
    free(body);
}

Test(whm, http_401_without_json_is_auth)
{
    struct jiku_err err = {0};
    json_t *root = NULL;

    cr_assert_eq(parse("version", 401, "Access denied\n", &root, &err), JIKU_E_AUTH);
    cr_assert_not_null(strstr(err.msg, "HTTP 401"));
}

Test(whm, legacy_access_denied_with_200_is_auth)
{
    struct jiku_err err = {0};
    json_t *root = NULL;
    size_t len;
    char *body = sample("s01-forbidden.body", &len);

    cr_assert_eq(cpanel_whm_parse("version", 200, body, len, &root, &err), JIKU_E_AUTH);
    free(body);
}

Test(whm, uapi_cpanel_result_is_read_from_data_uapi)
{
    struct jiku_err err = {0};
    json_t *root = NULL, *data = NULL;
    size_t len;
    char *body = sample("s02-uapi-cpanel-fullbackup.body", &len);

    cr_assert_eq(cpanel_whm_parse("uapi_cpanel", 200, body, len, &root, &err), 0, "%s", err.msg);
    cr_assert_eq(cpanel_uapi_result(root, &data, &err), 0, "%s", err.msg);
    cr_assert_str_eq(cpanel_json_str(data, "pid"), "2857");
    json_decref(root);
    free(body);
}

Test(whm, uapi_cpanel_status_zero_fails_even_when_metadata_says_ok)
{
    const char *body =
        "{\"data\":{\"uapi\":{\"status\":0,\"errors\":[\"Could not find function \\\"x\\\" in "
        "module \\\"Backup\\\"\"],\"data\":null}},\"metadata\":{\"result\":1,\"reason\":\"OK\","
        "\"command\":\"uapi_cpanel\",\"version\":1}}";
    struct jiku_err err = {0};
    json_t *root = NULL, *data = NULL;

    cr_assert_eq(parse("uapi_cpanel", 200, body, &root, &err), 0);
    cr_assert_eq(cpanel_uapi_result(root, &data, &err), JIKU_E_PANEL);
    cr_assert_not_null(strstr(err.msg, "Could not find function"), "%s", err.msg);
    json_decref(root);
}

Test(whm, garbage_truncated_and_wrong_shapes_are_data)
{
    static const char garbage[] = "\x00\x1f<html><body>502 Bad Gateway\xff\xfe</body>";
    const char *bodies[] = {
        "{\"data\":{\"version\":\"11.126\"},\"metadata\":{\"result\":1", /* truncated */
        "<html>Bad Gateway</html>",                                      /* not JSON */
        "[1,2,3]",                                                       /* not an object */
        "{\"result\":[{\"status\":0,\"statusmsg\":\"api0\"}]}",          /* API 0 shape */
        "{\"data\":{},\"metadata\":{\"reason\":\"OK\"}}",                /* no result */
        "{\"metadata\":{\"result\":\"maybe\"}}",                         /* bad result */
        "{\"metadata\":{\"result\":1},\"metadata\":{\"result\":0}}",     /* duplicate keys */
        "",
    };
    struct jiku_err err = {0};
    json_t *root = NULL;

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        cr_assert_eq(parse("version", 200, bodies[i], &root, &err), JIKU_E_DATA, "body %zu: %s", i,
                     err.msg);
        cr_assert_null(root);
    }
    cr_assert_eq(cpanel_whm_parse("version", 200, garbage, sizeof(garbage) - 1, &root, &err),
                 JIKU_E_DATA);
    cr_assert_eq(parse("version", 404, "Not Found", &root, &err), JIKU_E_DATA);
    cr_assert_eq(jiku_status_exit_code(JIKU_E_DATA), 65);
}

Test(whm, result_as_string_and_oversized_body)
{
    struct jiku_err err = {0};
    json_t *root = NULL;
    char *big;

    cr_assert_eq(parse("f", 200, "{\"metadata\":{\"result\":\"1\"}}", &root, &err), 0);
    json_decref(root);
    cr_assert_eq(
        parse("f", 200, "{\"metadata\":{\"result\":\"0\",\"reason\":\"Nope\"}}", &root, &err),
        JIKU_E_PANEL);
    cr_assert_not_null(strstr(err.msg, "Nope"));
    big = calloc(1, CPANEL_JSON_MAX + 2);
    cr_assert_not_null(big);
    memset(big, ' ', CPANEL_JSON_MAX + 1);
    cr_assert_eq(cpanel_whm_parse("f", 200, big, CPANEL_JSON_MAX + 1, &root, &err), JIKU_E_DATA);
    free(big);
}

Test(whm, url_encoding_keeps_only_unreserved)
{
    struct jiku_buf b = JIKU_BUF_INIT;

    cr_assert_eq(cpanel_url_encode(&b, "/home/jiku snapshots/a&b=c+d~e_f.g-h"), 0);
    cr_assert_str_eq(b.data, "%2Fhome%2Fjiku%20snapshots%2Fa%26b%3Dc%2Bd~e_f.g-h");
    jiku_buf_release(&b);
}

/* ---- pkgacct master log ------------------------------------------------------------- */

#define LINE(type, text)                                                                           \
    "{\"contents\":\"[2026-11-27 22:48:01 +0000] " text "\\n\",\"indent\":0,\"partial\":0,"        \
    "\"pid\":4242,\"type\":\"" type "\"}\n"

#define MD5 "0123456789abcdef0123456789abcdef"

static const char good_log[] = LINE("out", "pkgacct started.")
    LINE("out", "pkgacct version 11 - user : acmeshop - tarball: 1 - target mysql : 8.0")
        LINE("out", "Copying Mail files....Done")
            LINE("out", "pkgacctfile is: /home/jiku-snapshots/acmeshop/ID1/cpmove-acmeshop.tar.gz")
                LINE("out", "md5sum is: " MD5) LINE("out", "") LINE("out", "size is: 123456")
                    LINE("out", "homesize is: 99") LINE("out", "pkgacct completed");

Test(pkgacct, the_documented_end_lines)
{
    struct cpanel_pkgacct_log log;
    struct jiku_err err = {0};

    cr_assert_eq(cpanel_pkgacct_log_parse(good_log, strlen(good_log), &log, &err), 0, "%s",
                 err.msg);
    cr_assert_str_eq(log.archive, "/home/jiku-snapshots/acmeshop/ID1/cpmove-acmeshop.tar.gz");
    cr_assert_str_eq(log.md5, MD5);
    cr_assert(log.have_size);
    cr_assert_eq(log.size, 123456);
    cr_assert(log.completed);
    cr_assert_eq(log.n_errors, 0);
    cr_assert_eq(log.n_warnings, 0);
    cpanel_pkgacct_log_release(&log);
}

Test(pkgacct, error_and_warn_lines_are_collected_even_when_completed)
{
    static const char text[] =
        LINE("out", "pkgacct started.") LINE("warn", "WARN: Warning: failed to dump the quota")
            LINE("error", "ERROR: mysqldump: Got error: 2002: Can't connect")
                LINE("out", "pkgacct completed");
    struct cpanel_pkgacct_log log;
    struct jiku_err err = {0};

    cr_assert_eq(cpanel_pkgacct_log_parse(text, strlen(text), &log, &err), 0, "%s", err.msg);
    cr_assert_eq(log.n_warnings, 1);
    cr_assert_eq(log.n_errors, 1);
    cr_assert_not_null(strstr(log.errors.data, "2002"));
    cr_assert_not_null(strstr(log.warnings.data, "quota"));
    cr_assert(log.completed);
    cr_assert_null(log.archive);
    cpanel_pkgacct_log_release(&log);
}

Test(pkgacct, partial_entries_are_joined_and_plain_lines_tolerated)
{
    static const char text[] =
        "{\"contents\":\"[2026-11-27 22:48:01 +0000] pkgacctfile is: /s/u/\",\"partial\":1,"
        "\"type\":\"out\"}\n"
        "{\"contents\":\"I/cpmove-u.tar.gz\\n\",\"partial\":0,\"type\":\"out\"}\n"
        "[2026-11-27 22:48:02 +0000] md5sum is: " MD5 "\n"
        "size is: 7\n"
        "[2026-11-27 22:48:02 +0000] pkgacct completed\n";
    struct cpanel_pkgacct_log log;
    struct jiku_err err = {0};

    cr_assert_eq(cpanel_pkgacct_log_parse(text, strlen(text), &log, &err), 0, "%s", err.msg);
    cr_assert_str_eq(log.archive, "/s/u/I/cpmove-u.tar.gz");
    cr_assert_eq(log.size, 7);
    cr_assert(log.completed);
    cpanel_pkgacct_log_release(&log);
}

Test(pkgacct, broken_and_contradicting_logs_are_data)
{
    const char *logs[] = {
        LINE("out", "pkgacct started.") "{\"contents\":\"[2026-11-27 22:48:01 +0000] pkgacc",
        "{not json}\n",
        LINE("out", "pkgacctfile is: /a/cpmove-u.tar.gz") LINE("out", "pkgacctfile is: /b/x"),
        LINE("out", "md5sum is: nothex"),
        LINE("out", "size is: 12abc"),
        LINE("out", "size is: 1") LINE("out", "size is: 2"),
        "{\"contents\":\"x\",\"contents\":\"y\",\"type\":\"out\"}\n",
    };
    struct cpanel_pkgacct_log log;
    struct jiku_err err = {0};

    for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
        cr_assert_eq(cpanel_pkgacct_log_parse(logs[i], strlen(logs[i]), &log, &err), JIKU_E_DATA,
                     "log %zu", i);
        cpanel_pkgacct_log_release(&log);
    }
}

Test(pkgacct, garbage_without_lines_yields_no_archive)
{
    static const char text[] = "\x01\x02 random bytes \xff\xfe\n\n   \n";
    struct cpanel_pkgacct_log log;
    struct jiku_err err = {0};

    cr_assert_eq(cpanel_pkgacct_log_parse(text, sizeof(text) - 1, &log, &err), 0);
    cr_assert_null(log.archive);
    cr_assert_not(log.completed);
    cpanel_pkgacct_log_release(&log);
}

/* ---- transfer session log ----------------------------------------------------------- */

static const char translog_head[] =
    "{\"contents\":{\"action\":\"start\",\"time\":1},\"indent\":0,\"partial\":0,\"pid\":1,"
    "\"type\":\"control\"}\n"
    "{\"contents\":{\"action\":\"version\",\"msg\":\"11.126.0.15\"},\"type\":\"control\"}\n";

Test(translog, item_results)
{
    struct cpanel_restore_item it;
    struct jiku_err err = {0};
    struct jiku_buf b = JIKU_BUF_INIT;

    jiku_buf_adds(&b, translog_head);
    jiku_buf_adds(&b, "{\"contents\":{\"action\":\"success-item\",\"msg\":{\"message\":\"Account "
                      "Restore Complete\"}},\"type\":\"control\"}\n");
    cr_assert_eq(cpanel_translog_parse(b.data, b.len, &it, &err), 0, "%s", err.msg);
    cr_assert_eq(it.result, CPANEL_ITEM_OK);
    cr_assert_str_eq(it.message.data, "Account Restore Complete");
    cpanel_restore_item_release(&it);

    jiku_buf_adds(&b, "{\"contents\":{\"action\":\"failed-item\",\"msg\":{\"failure\":\"MySQL "
                      "restore failed\"}},\"type\":\"control\"}\n"
                      "{\"contents\":{\"action\":\"complete\"},\"type\":\"control\"}\n");
    cr_assert_eq(cpanel_translog_parse(b.data, b.len, &it, &err), 0);
    cr_assert_eq(it.result, CPANEL_ITEM_FAILED);
    cr_assert_str_eq(it.message.data, "MySQL restore failed");
    cpanel_restore_item_release(&it);

    cr_assert_eq(cpanel_translog_parse(translog_head, strlen(translog_head), &it, &err), 0);
    cr_assert_eq(it.result, CPANEL_ITEM_NONE);
    cpanel_restore_item_release(&it);

    cr_assert_eq(cpanel_translog_parse("{\"contents\":{\"action\":", 22, &it, &err), JIKU_E_DATA);
    cpanel_restore_item_release(&it);
    jiku_buf_release(&b);
}

Test(translog, item_log_errors)
{
    static const char text[] =
        "{\"contents\":\"Restoring\\n\",\"type\":\"out\"}\n"
        "{\"contents\":\"The system failed to fork.\\n\",\"type\":\"error\"}\n";
    struct jiku_buf b = JIKU_BUF_INIT;
    struct jiku_err err = {0};

    cr_assert_eq(cpanel_itemlog_errors(text, strlen(text), &b, &err), 0);
    cr_assert_str_eq(b.data, "The system failed to fork.");
    jiku_buf_release(&b);
}

/* ---- remote parsers and path rules --------------------------------------------------- */

Test(remote, df_output)
{
    struct jiku_err err = {0};
    uint64_t avail = 0;

    cr_assert_eq(cpanel_parse_df("Filesystem     1024-blocks      Used Available Capacity "
                                 "Mounted on\n/dev/vda 264212084 17766624 82570564 18% /\n",
                                 &avail, &err),
                 0, "%s", err.msg);
    cr_assert_eq(avail, (uint64_t)82570564 * 1024);
    cr_assert_eq(cpanel_parse_df("Filesystem 512-blocks Used Available Capacity Mounted on\n"
                                 "fs 100 50 40 50% /x\n",
                                 &avail, &err),
                 0);
    cr_assert_eq(avail, 40 * 512);
    cr_assert_eq(cpanel_parse_df("df: /nope: No such file\n", &avail, &err), JIKU_E_DATA);
    cr_assert_eq(cpanel_parse_df("Filesystem 1024-blocks\n", &avail, &err), JIKU_E_DATA);
    cr_assert_eq(cpanel_parse_df("Filesystem 1024-blocks\nfs 1 2 x 4 /\n", &avail, &err),
                 JIKU_E_DATA);
}

Test(remote, disk_used)
{
    struct jiku_err err = {0};
    uint64_t b = 0;

    cr_assert_eq(cpanel_parse_disk_used("14M", &b, &err), 0);
    cr_assert_eq(b, (uint64_t)14 << 20);
    cr_assert_eq(cpanel_parse_disk_used("3 GB", &b, &err), 0);
    cr_assert_eq(b, (uint64_t)3 << 30);
    cr_assert_eq(cpanel_parse_disk_used("1.5G", &b, &err), 0);
    cr_assert_eq(b, (uint64_t)3 << 29);
    cr_assert_eq(cpanel_parse_disk_used("0", &b, &err), 0);
    cr_assert_eq(b, 0);
    cr_assert_eq(cpanel_parse_disk_used("unlimited", &b, &err), JIKU_E_DATA);
    cr_assert_eq(cpanel_parse_disk_used("12Q", &b, &err), JIKU_E_DATA);
    cr_assert_eq(cpanel_parse_disk_used("", &b, &err), JIKU_E_DATA);
}

Test(remote, user_names)
{
    cr_assert(cpanel_valid_user("acmeshop"));
    cr_assert_not(cpanel_valid_user("Acme"));
    cr_assert_not(cpanel_valid_user("1acme"));
    cr_assert_not(cpanel_valid_user("abcdefghijklmnopq"));
    cr_assert_not(cpanel_valid_user("a-b"));
}

/* ---- listings and their comparison --------------------------------------------------- */

static const char tar_out[] =
    "drwx--x--x 1001/1001         0 2026-11-27 22:48:01.1560407 \"cpmove-u/homedir/\"\n"
    "-rw-r--r-- 1001/1001        20 2026-11-27 22:48:01.15598  \"cpmove-u/homedir/.bashrc\"\n"
    "drwxr-x--- u/u               0 2026-11-27 22:48:01 \"cpmove-u/homedir/public_html/\"\n"
    "-rw-r--r-- u/u              10 2026-11-27 22:48:01 "
    "\"cpmove-u/homedir/public_html/index.html\"\n"
    "-rw-r--r-- u/u               5 2026-11-27 22:48:01 "
    "\"cpmove-u/homedir/ odd\\nna\\\"me\\040x\"\n"
    "lrwxrwxrwx u/u               0 2026-11-27 22:48:01 \"cpmove-u/homedir/www\" -> "
    "\"public_html\"\n"
    "-rw------- root/root        40 2026-11-27 22:48:01 \"cpmove-u/mysql/u_db.sql\"\n";

Test(listing, tar_escapes_prefix_and_links)
{
    struct cpanel_listing l = {0};
    struct jiku_err err = {0};

    cr_assert_eq(cpanel_parse_tar_listing(tar_out, strlen(tar_out), "cpmove-u/homedir/", &l, &err),
                 0, "%s", err.msg);
    cpanel_listing_sort(&l);
    cr_assert_eq(l.n, 5);
    cr_assert_str_eq(l.items[0].path, " odd\nna\"me x");
    cr_assert_str_eq(l.items[1].path, ".bashrc");
    cr_assert_eq(l.items[1].size, 20);
    cr_assert_eq(l.items[1].mtime, 1795819681);
    cr_assert_str_eq(l.items[2].path, "public_html");
    cr_assert_eq(l.items[2].type, 'd');
    cr_assert_str_eq(l.items[4].path, "www");
    cr_assert_eq(l.items[4].type, 'l');
    cpanel_listing_release(&l);
    cr_assert_eq(cpanel_parse_tar_listing("garbage line here\n", 18, "cpmove-u/homedir/", &l, &err),
                 JIKU_E_DATA);
    cpanel_listing_release(&l);
    cr_assert_eq(cpanel_parse_tar_listing(
                     "-rw-r--r-- u/u 1 2026-11-27 22:48:01 \"cpmove-u/homedir/../../etc/x\"\n", 68,
                     "cpmove-u/homedir/", &l, &err),
                 JIKU_E_DATA);
    cpanel_listing_release(&l);
}

Test(listing, diff_exact_merge_and_details)
{
    static const char find_out[] = "f 20 1795819681.0000000000 .bashrc\0"
                                   "d 4096 1795819681.5 public_html\0"
                                   "f 11 1795820000.1 public_html/index.html\0"
                                   "d 4096 1795820000.1 newdir\0"
                                   "f 3 1795820000.1 newdir/a\0"
                                   "f 3 1795820000.1 public_html/new.html\0"
                                   "d 4096 1795820000.1 .cpanel\0"
                                   "f 3 1795820000.1 .cpanel/logs\0";
    struct cpanel_listing a = {0}, h = {0};
    struct jiku_buf d = JIKU_BUF_INIT;
    struct jiku_err err = {0};

    cr_assert_eq(cpanel_parse_tar_listing(tar_out, strlen(tar_out), "cpmove-u/homedir/", &a, &err),
                 0);
    cr_assert_eq(cpanel_parse_find_listing(find_out, sizeof(find_out) - 1, &h, &err), 0, "%s",
                 err.msg);
    cpanel_listing_sort(&a);
    cpanel_listing_sort(&h);
    cr_assert_eq(cpanel_home_diff(&a, &h, true, NULL, &d), 0);
    cr_assert_not_null(strstr(d.data, "\n- public_html/new.html"), "%s", d.data);
    /* A new directory goes as a whole: its contents are not listed on their own. */
    cr_assert_null(strstr(d.data, "newdir/a"), "%s", d.data);
    cr_assert_not_null(strstr(d.data, "would add 2, replace 1 and remove 2 paths"), "%s", d.data);
    cr_assert_not_null(strstr(d.data, "\n~ public_html/index.html"), "%s", d.data);
    cr_assert_not_null(strstr(d.data, "\n- newdir"), "%s", d.data);
    cr_assert_not_null(strstr(d.data, "\n+ www"), "%s", d.data);
    cr_assert_null(strstr(d.data, ".cpanel"), "%s", d.data);
    jiku_buf_release(&d);

    cr_assert_eq(cpanel_home_diff(&a, &h, false, NULL, &d), 0);
    cr_assert_not_null(strstr(d.data, "keep (merge) 2 paths"), "%s", d.data);
    cr_assert_null(strstr(d.data, "\n- "), "%s", d.data);
    jiku_buf_release(&d);
    cpanel_listing_release(&a);
    cpanel_listing_release(&h);

    cr_assert_eq(cpanel_parse_find_listing("f x 1 a\0", 8, &h, &err), JIKU_E_DATA);
    cpanel_listing_release(&h);
    cr_assert_eq(cpanel_parse_find_listing("f 1 1 ../a\0", 11, &h, &err), JIKU_E_DATA);
    cpanel_listing_release(&h);
}

Test(listing, snapshot_dir_inside_the_home_is_never_removed)
{
    static const char tar_min[] =
        "-rw-r--r-- u/u 1 2026-11-27 22:48:01 \"cpmove-u/homedir/keep.txt\"\n";
    static const char find_out[] = "f 1 1795819681.0 keep.txt\0"
                                   "d 4096 1795819681.0 backups\0"
                                   "d 4096 1795819681.0 backups/snaps\0"
                                   "f 9 1795819681.0 backups/snaps/x.tar.gz\0"
                                   "f 9 1795819681.0 backups/other\0"
                                   "f 9 1795819681.0 stray\0";
    struct cpanel_listing a = {0}, h = {0};
    struct jiku_buf d = JIKU_BUF_INIT;
    struct jiku_err err = {0};

    cr_assert_eq(cpanel_parse_tar_listing(tar_min, strlen(tar_min), "cpmove-u/homedir/", &a, &err),
                 0, "%s", err.msg);
    cr_assert_eq(cpanel_parse_find_listing(find_out, sizeof(find_out) - 1, &h, &err), 0);
    cpanel_listing_sort(&a);
    cpanel_listing_sort(&h);
    cr_assert_eq(cpanel_home_diff(&a, &h, true, "backups/snaps", &d), 0);
    cr_assert_not_null(strstr(d.data, "remove 2 paths\n- backups/other\n- stray"), "%s", d.data);
    jiku_buf_release(&d);
    cr_assert_eq(cpanel_home_diff(&a, &h, true, NULL, &d), 0);
    cr_assert_not_null(strstr(d.data, "remove 2 paths\n- backups\n- stray"), "%s", d.data);
    jiku_buf_release(&d);
    cpanel_listing_release(&a);
    cpanel_listing_release(&h);
}

/* ---- the client through a fake host table ------------------------------------------- */

static struct {
    char path[1024];
    char auth[256];
    bool secret;
    bool safe;
    int answer; /* what http returns */
    const char *body;
} fake;

static int
fake_http(struct jiku_op *op, const struct jiku_server_info *server,
          const struct jiku_http_request *req, struct jiku_http_response *resp,
          struct jiku_err *err)
{
    (void)op;
    (void)server;
    snprintf(fake.path, sizeof(fake.path), "%s", req->path);
    cr_assert_eq(req->n_headers, 1);
    snprintf(fake.auth, sizeof(fake.auth), "%s: %s", req->headers[0].name, req->headers[0].value);
    fake.secret = req->headers[0].secret;
    fake.safe = req->safe_to_retry;
    resp->status = 200;
    jiku_buf_init(&resp->body);
    jiku_buf_adds(&resp->body, fake.body);
    if (fake.answer != 0)
        return jiku_err_set(err, fake.answer, "connection reset");
    return 0;
}

static int
fake_secret(struct jiku_op *op, const struct jiku_server_info *server, enum jiku_secret which,
            struct jiku_buf *out, struct jiku_err *err)
{
    (void)op;
    (void)server;
    (void)err;
    cr_assert_eq(which, JIKU_SECRET_API_TOKEN);
    return jiku_buf_adds(out, "UWU28DCA23NKY76CN17MDPKM3O7EFQY8");
}

Test(client, request_shape_auth_and_retry_marking)
{
    struct jiku_host host = {.http = fake_http, .read_secret = fake_secret};
    struct jiku_server_info srv = {.name = "web1", .api_user = "root"};
    struct jiku_op op = {.host = &host, .server = &srv};
    const struct cpanel_param p[] = {{"user", "acmeshop"}, {"tarroot", "/s/acmeshop/I D&x"}};
    struct jiku_err err = {0};
    json_t *root = NULL;

    memset(&fake, 0, sizeof(fake));
    fake.body = "{\"data\":{\"session_id\":\"abc\"},\"metadata\":{\"result\":1}}";
    cr_assert_eq(cpanel_whm_call(&op, NULL, "start_background_pkgacct", p, 2, true, &root, &err), 0,
                 "%s", err.msg);
    cr_assert_str_eq(fake.path, "/json-api/start_background_pkgacct?api.version=1&user=acmeshop"
                                "&tarroot=%2Fs%2Facmeshop%2FI%20D%26x");
    cr_assert_str_eq(fake.auth, "Authorization: whm root:UWU28DCA23NKY76CN17MDPKM3O7EFQY8");
    cr_assert(fake.secret);
    cr_assert_not(fake.safe, "a start call must not be retried");
    cr_assert_str_eq(cpanel_json_str(json_object_get(root, "data"), "session_id"), "abc");
    json_decref(root);

    cr_assert_eq(cpanel_whm_call(&op, NULL, "get_pkgacct_session_state", p, 1, false, &root, &err),
                 0);
    cr_assert(fake.safe, "a poll may be retried");
    json_decref(root);

    fake.answer = JIKU_E_TRANSIENT;
    cr_assert_eq(cpanel_whm_call(&op, NULL, "start_background_pkgacct", p, 2, true, &root, &err),
                 JIKU_E_TRANSIENT);
    cr_assert_not_null(strstr(err.msg, "was lost"), "%s", err.msg);
    cr_assert_null(root);
    cr_assert_null(strstr(err.msg, "UWU28DCA"), "the token leaked into '%s'", err.msg);
}

/* ---- cPanel API 2 through WHM (SubDomain::delsubdomain) ------------------------------- */

/*
 * The cPanel API 2 envelope as cPanel's Cpanel/Api2/Exec.pm builds it around
 * Cpanel/SubDomain.pm api2_delsubdomain's item {result, reason}.
 */
Test(api2, delsubdomain_success)
{
    const char *body = "{\"cpanelresult\":{\"apiversion\":2,\"data\":[{\"reason\":\"The subdomain "
                       "removed.\",\"result\":1}],\"event\":{\"result\":1},\"func\":"
                       "\"delsubdomain\",\"module\":\"SubDomain\"}}";
    struct jiku_err err = {0};
    json_t *root = NULL;

    cr_assert_eq(cpanel_api2_parse("SubDomain::delsubdomain", 200, body, strlen(body), &root, &err),
                 0, "%s", err.msg);
    cr_assert_not_null(json_object_get(json_object_get(root, "cpanelresult"), "data"));
    json_decref(root);
    /* Results as strings, no data at all: still a success. */
    body = "{\"cpanelresult\":{\"apiversion\":\"2\",\"event\":{\"result\":\"1\"}}}";
    cr_assert_eq(cpanel_api2_parse("SubDomain::delsubdomain", 200, body, strlen(body), &root, &err),
                 0, "%s", err.msg);
    json_decref(root);
}

Test(api2, function_failures_are_panel_with_the_reason)
{
    const char *bodies[] = {
        /* the function failed: error and the item's reason */
        "{\"cpanelresult\":{\"apiversion\":2,\"data\":[{\"reason\":\"The subdomain “x” does not "
        "exist.\",\"result\":0}],\"error\":\"The subdomain “x” does not exist.\",\"event\":"
        "{\"result\":1},\"func\":\"delsubdomain\",\"module\":\"SubDomain\"}}",
        /* only the item says so */
        "{\"cpanelresult\":{\"data\":[{\"reason\":\"The subdomain “x” does not exist.\","
        "\"result\":\"0\"}],\"event\":{\"result\":1}}}",
        /* the call did not run */
        "{\"cpanelresult\":{\"error\":\"x\",\"event\":{\"reason\":\"The subdomain “x” does not "
        "exist.\",\"result\":0}}}",
        /* WHM cannot run API 2 as that user (docs/WIRE.md §2.3) */
        "{\"data\":{\"reason\":\"The subdomain “x” does not exist.\",\"result\":\"0\"},\"type\":"
        "\"text\",\"error\":\"The subdomain “x” does not exist.\"}",
    };
    struct jiku_err err = {0};
    json_t *root = NULL;

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        cr_assert_eq(cpanel_api2_parse("SubDomain::delsubdomain", 200, bodies[i], strlen(bodies[i]),
                                       &root, &err),
                     JIKU_E_PANEL, "body %zu: %s", i, err.msg);
        cr_assert_null(root);
        cr_assert_not_null(strstr(err.msg, "'SubDomain::delsubdomain' failed: The subdomain “x” "
                                           "does not exist."),
                           "body %zu: %s", i, err.msg);
    }
}

Test(api2, denied_and_wrong_shapes)
{
    const char *data[] = {
        "{\"metadata\":{\"result\":1,\"reason\":\"OK\"}}",                   /* WHM API 1 */
        "{\"apiversion\":3,\"func\":\"f\",\"module\":\"M\",\"result\":{}}",  /* UAPI, legacy */
        "{\"cpanelresult\":{\"apiversion\":2,\"data\":[]}}",                 /* no event */
        "{\"cpanelresult\":[]}",                                             /* not an object */
        "{\"cpanelresult\":{\"event\":{\"result\":1}},\"cpanelresult\":{}}", /* duplicate keys */
        "{\"cpanelresult\":{\"event\":{\"result\":1}",                       /* truncated */
        "",
    };
    struct jiku_err err = {0};
    json_t *root = NULL;
    size_t len;
    char *body = sample("s01-forbidden.body", &len);

    cr_assert_eq(cpanel_api2_parse("SubDomain::delsubdomain", 403, body, len, &root, &err),
                 JIKU_E_AUTH);
    cr_assert_eq(cpanel_api2_parse("SubDomain::delsubdomain", 200, body, len, &root, &err),
                 JIKU_E_AUTH, "%s", err.msg);
    free(body);
    body = sample("s03-legacy-cpanel-bad-user.body", &len);
    cr_assert_eq(cpanel_api2_parse("SubDomain::delsubdomain", 200, body, len, &root, &err),
                 JIKU_E_PANEL);
    cr_assert_not_null(strstr(err.msg, "User parameter is invalid"), "%s", err.msg);
    free(body);
    for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
        cr_assert_eq(cpanel_api2_parse("SubDomain::delsubdomain", 200, data[i], strlen(data[i]),
                                       &root, &err),
                     JIKU_E_DATA, "body %zu: %s", i, err.msg);
        cr_assert_null(root);
    }
    cr_assert_eq(cpanel_api2_parse("SubDomain::delsubdomain", 500, "", 0, &root, &err),
                 JIKU_E_DATA);
}

Test(client, api2_request_shape)
{
    struct jiku_host host = {.http = fake_http, .read_secret = fake_secret};
    struct jiku_server_info srv = {.name = "web1", .api_user = "root"};
    struct jiku_op op = {.host = &host, .server = &srv};
    const struct cpanel_param p[] = {{"domain", "stage.shop.acme.example"}};
    struct jiku_err err = {0};
    json_t *root = NULL;

    memset(&fake, 0, sizeof(fake));
    fake.body = "{\"cpanelresult\":{\"apiversion\":2,\"data\":[{\"result\":1}],\"event\":"
                "{\"result\":1}}}";
    cr_assert_eq(cpanel_api2_call(&op, NULL, "acmeshop", "SubDomain", "delsubdomain", p, 1, true,
                                  &root, &err),
                 0, "%s", err.msg);
    cr_assert_str_eq(fake.path, "/json-api/cpanel?api.version=1&cpanel_jsonapi_user=acmeshop"
                                "&cpanel_jsonapi_module=SubDomain&cpanel_jsonapi_func=delsubdomain"
                                "&cpanel_jsonapi_apiversion=2&domain=stage.shop.acme.example");
    cr_assert_str_eq(fake.auth, "Authorization: whm root:UWU28DCA23NKY76CN17MDPKM3O7EFQY8");
    cr_assert_not(fake.safe, "a removal must not be repeated blindly");
    json_decref(root);

    fake.body = "{\"cpanelresult\":{\"data\":[{\"reason\":\"nope\",\"result\":0}],\"error\":"
                "\"nope\",\"event\":{\"result\":1}}}";
    cr_assert_eq(cpanel_api2_call(&op, NULL, "acmeshop", "SubDomain", "delsubdomain", p, 1, true,
                                  &root, &err),
                 JIKU_E_PANEL);
    cr_assert_not_null(strstr(err.msg, "'acmeshop' on 'web1'"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "nope"), "%s", err.msg);

    fake.answer = JIKU_E_TRANSIENT;
    cr_assert_eq(cpanel_api2_call(&op, NULL, "acmeshop", "SubDomain", "delsubdomain", p, 1, true,
                                  &root, &err),
                 JIKU_E_TRANSIENT);
    cr_assert_not_null(
        strstr(err.msg, "the answer to 'SubDomain::delsubdomain' on 'web1' was lost"), "%s",
        err.msg);
    cr_assert_null(root);
}
