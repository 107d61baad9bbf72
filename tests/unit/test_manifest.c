/*
 * Backup manifests: a round trip, and every way a manifest on disk can be wrong.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "manifest.h"

#define T0 1795745700 /* 2026-11-27T02:15:00Z */
#define MD5 "0123456789abcdef0123456789abcdef"
#define SHA "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static char tmpdir[64];
static char path[128];

static void
setup(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/jiku-manifest-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    snprintf(path, sizeof(path), "%s/manifest.json", tmpdir);
}

static void
teardown(void)
{
    jiku_remove_tree(tmpdir, NULL);
}

TestSuite(manifest, .init = setup, .fini = teardown, .timeout = 30);

static struct jiku_artifact
sample(void)
{
    struct jiku_artifact a;

    memset(&a, 0, sizeof(a));
    a.id = "20261127T021500Z.acme.shop.b.2";
    a.customer = "acme";
    a.target = "acme/shop";
    a.kind = JIKU_ARTIFACT_BACKUP;
    a.server = "web1";
    a.panel = "cpanel";
    a.location = "/home/cpmove-shop.tar.gz";
    a.backup_path = "/var/lib/jiku-agent/backups/acme/shop/x/cpmove-shop.tar.gz";
    a.size = 5000000000ULL;
    a.md5 = MD5;
    a.sha256 = SHA;
    a.created = T0;
    a.status = JIKU_ART_GOOD;
    return a;
}

/* The JSON a correct writer produces, as a jansson object to break one key at a time. */
static json_t *
good_json(void)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "id",
                          "20261127T021500Z.acme.shop.b", "customer", "acme", "target", "acme/shop",
                          "kind", "backup", "panel", "cpanel", "server", "web1", "created",
                          "2026-11-27T02:15:00Z", "size", (json_int_t)1234, "md5", MD5, "sha256",
                          SHA, "agent_version", "0.1.0", "archive", "cpmove-shop.tar.gz");
    cr_assert_not_null(o);
    return o;
}

static void
put_text(const char *text, size_t len)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

static void
put_json(json_t *o)
{
    char *s = json_dumps(o, 0);

    cr_assert_not_null(s);
    put_text(s, strlen(s));
    free(s);
    json_decref(o);
}

static void
read_fails(int want, const char *want_msg)
{
    struct jiku_artifact a;
    struct jiku_err err = {0};
    char *archive = (char *)"untouched";

    cr_assert_eq(jiku_manifest_read(path, &a, &archive, &err), want, "got '%s'", err.msg);
    cr_assert_null(archive);
    cr_assert_null(a.id);
    cr_assert_not_null(strstr(err.msg, want_msg), "'%s' lacks '%s'", err.msg, want_msg);
    cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);
}

Test(manifest, round_trip)
{
    struct jiku_artifact a = sample(), got;
    struct jiku_err err = {0};
    char *archive = NULL;
    struct stat sb;
    struct dirent *de;
    DIR *d;
    int entries = 0;
    json_t *root;
    json_error_t jerr;

    cr_assert_eq(jiku_manifest_write(tmpdir, &a, "0.1.0", &err), 0, "%s", err.msg);
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 07777, 0600);
    /* No temp file left behind. */
    cr_assert_not_null(d = opendir(tmpdir));
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' || strncmp(de->d_name, ".manifest", 9) == 0)
            entries++;
    closedir(d);
    cr_assert_eq(entries, 1);

    cr_assert_eq(jiku_manifest_read(path, &got, &archive, &err), 0, "%s", err.msg);
    cr_assert_str_eq(got.id, a.id);
    cr_assert_str_eq(got.customer, "acme");
    cr_assert_str_eq(got.target, "acme/shop");
    cr_assert_eq(got.kind, JIKU_ARTIFACT_BACKUP);
    cr_assert_str_eq(got.server, "web1");
    cr_assert_str_eq(got.panel, "cpanel");
    cr_assert_eq(got.size, 5000000000ULL);
    cr_assert_str_eq(got.md5, MD5);
    cr_assert_str_eq(got.sha256, SHA);
    cr_assert_eq(got.created, T0);
    cr_assert_eq(got.status, JIKU_ART_PENDING);
    cr_assert_null(got.backup_path);
    cr_assert_null(got.location);
    cr_assert_str_eq(archive, "cpmove-shop.tar.gz");
    jiku_artifact_release(&got);
    free(archive);

    /* The keys a manifest carries (docs/ARCHITECTURE.md, "State"), with the time in RFC 3339. */
    cr_assert_not_null(root = json_load_file(path, 0, &jerr));
    cr_assert_str_eq(json_string_value(json_object_get(root, "created")), "2026-11-27T02:15:00Z");
    cr_assert_str_eq(json_string_value(json_object_get(root, "agent_version")), "0.1.0");
    cr_assert_str_eq(json_string_value(json_object_get(root, "kind")), "backup");
    json_decref(root);

    /* Writing again replaces the manifest. */
    a.size = 42;
    cr_assert_eq(jiku_manifest_write(tmpdir, &a, "0.1.1", &err), 0, "%s", err.msg);
    cr_assert_eq(jiku_manifest_read(path, &got, &archive, &err), 0, "%s", err.msg);
    cr_assert_eq(got.size, 42);
    jiku_artifact_release(&got);
    free(archive);
}

Test(manifest, writer_refuses_incomplete_artifacts)
{
    struct jiku_artifact a;
    struct jiku_err err = {0};
    char missing[160];

    a = sample();
    a.md5 = NULL;
    cr_assert_eq(jiku_manifest_write(tmpdir, &a, "0.1.0", &err), JIKU_E_INVAL);
    a = sample();
    a.sha256 = "ABC";
    cr_assert_eq(jiku_manifest_write(tmpdir, &a, "0.1.0", &err), JIKU_E_INVAL);
    a = sample();
    a.id = "20261127T021500Z.acme.shop.s"; /* kind says backup */
    cr_assert_eq(jiku_manifest_write(tmpdir, &a, "0.1.0", &err), JIKU_E_INVAL);
    a = sample();
    a.backup_path = NULL;
    cr_assert_eq(jiku_manifest_write(tmpdir, &a, "0.1.0", &err), JIKU_E_INVAL);
    a = sample();
    cr_assert_eq(jiku_manifest_write(tmpdir, &a, NULL, &err), JIKU_E_INVAL);
    cr_assert_neq(access(path, F_OK), 0, "nothing written");

    snprintf(missing, sizeof(missing), "%s/no/such/dir", tmpdir);
    a = sample();
    cr_assert_eq(jiku_manifest_write(missing, &a, "0.1.0", &err), JIKU_E_IO);
    cr_assert_not_null(strstr(err.msg, "cannot write manifest"), "%s", err.msg);
}

Test(manifest, missing_file_and_non_files)
{
    struct jiku_artifact a;
    struct jiku_err err = {0};
    char *archive = NULL;

    read_fails(JIKU_E_NOTFOUND, "cannot read manifest");
    cr_assert_eq(mkdir(path, 0700), 0);
    read_fails(JIKU_E_DATA, "not a regular file");
    cr_assert_eq(rmdir(path), 0);
    cr_assert_eq(jiku_manifest_read(tmpdir, &a, &archive, &err), JIKU_E_DATA);
}

Test(manifest, size_cap)
{
    size_t len = JIKU_MANIFEST_MAX + 1;
    char *big = malloc(len);
    const char *body = "{\"id\": \"x\"}";

    cr_assert_not_null(big);
    memset(big, ' ', len);
    memcpy(big, body, strlen(body));
    put_text(big, len);
    free(big);
    read_fails(JIKU_E_DATA, "larger than");
}

Test(manifest, not_json)
{
    put_text("", 0);
    read_fails(JIKU_E_DATA, "is not valid JSON");
    put_text("{\"id\": ", 7);
    read_fails(JIKU_E_DATA, "is not valid JSON");
    put_text("[1, 2]", 6);
    read_fails(JIKU_E_DATA, "is not a JSON object");
    put_text("{} {}", 5);
    read_fails(JIKU_E_DATA, "is not valid JSON");
}

Test(manifest, duplicate_keys_are_refused)
{
    json_t *o = good_json();
    char *s = json_dumps(o, 0);
    char *dup = NULL;

    json_decref(o);
    cr_assert_not_null(s);
    /* Append a second "size" before the closing brace. */
    s[strlen(s) - 1] = '\0';
    cr_assert_gt(asprintf(&dup, "%s, \"size\": 1}", s), 0);
    put_text(dup, strlen(dup));
    free(s);
    free(dup);
    read_fails(JIKU_E_DATA, "is not valid JSON");
}

Test(manifest, every_required_key)
{
    const char *keys[] = {"id",      "customer", "target", "kind",   "panel",         "server",
                          "created", "size",     "md5",    "sha256", "agent_version", "archive"};
    char want[64];

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *o = good_json();
        cr_assert_eq(json_object_del(o, keys[i]), 0);
        put_json(o);
        snprintf(want, sizeof(want), "missing key '%s'", keys[i]);
        read_fails(JIKU_E_DATA, want);
    }
}

Test(manifest, every_key_type)
{
    const char *strings[] = {"id",      "customer", "target", "kind",          "panel",  "server",
                             "created", "md5",      "sha256", "agent_version", "archive"};
    char want[64];
    json_t *o;

    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        o = good_json();
        json_object_set_new(o, strings[i], json_integer(7));
        put_json(o);
        snprintf(want, sizeof(want), "key '%s' is not a string", strings[i]);
        read_fails(JIKU_E_DATA, want);
    }
    o = good_json();
    json_object_set_new(o, "size", json_string("1234"));
    put_json(o);
    read_fails(JIKU_E_DATA, "key 'size' is not a byte count");
    o = good_json();
    json_object_set_new(o, "size", json_real(12.5));
    put_json(o);
    read_fails(JIKU_E_DATA, "key 'size' is not a byte count");
    o = good_json();
    json_object_set_new(o, "size", json_integer(-1));
    put_json(o);
    read_fails(JIKU_E_DATA, "key 'size' is not a byte count");
    o = good_json();
    json_object_set_new(o, "size", json_null());
    put_json(o);
    read_fails(JIKU_E_DATA, "key 'size' is not a byte count");
}

struct bad_value {
    const char *key;
    const char *value;
    const char *msg;
};

Test(manifest, bad_values)
{
    static const struct bad_value cases[] = {
        {"id", "shop-backup-1", "invalid id"},
        {"id", "20261127T021500Z.acme.shop.b.1", "invalid id"},
        {"id", "20261127T021500Z.acme.shop.s", "does not match its target, kind"},
        {"id", "20261127T021501Z.acme.shop.b", "does not match its target, kind"},
        {"id", "20261127T021500Z.acme.blog.b", "does not match its target, kind"},
        {"id", "20261127T021500Z.acme.shopx.b", "does not match its target, kind"},
        {"target", "acme", "invalid target"},
        {"target", "acme/../shop", "invalid target"},
        {"target", "beta/shop", "customer 'acme' does not own target 'beta/shop'"},
        {"customer", "acm", "customer 'acm' does not own target"},
        {"kind", "tarball", "unknown kind 'tarball'"},
        {"panel", "", "invalid panel"},
        {"panel", "C Panel", "invalid panel"},
        {"server", "web1;rm -rf /", "invalid server"},
        {"created", "2026-11-27T02:15:00+00:00", "not an RFC 3339 UTC time"},
        {"created", "2026-11-27 02:15:00Z", "not an RFC 3339 UTC time"},
        {"created", "2026-02-30T02:15:00Z", "not an RFC 3339 UTC time"},
        {"created", "yesterday", "not an RFC 3339 UTC time"},
        {"md5", "0123456789ABCDEF0123456789ABCDEF", "md5 is not 32 lowercase hex digits"},
        {"md5", "0123456789abcdef", "md5 is not 32 lowercase hex digits"},
        {"md5", "0123456789abcdef0123456789abcdeg", "md5 is not 32 lowercase hex digits"},
        {"sha256", MD5, "sha256 is not 64 lowercase hex digits"},
        {"sha256", "", "sha256 is not 64 lowercase hex digits"},
        {"agent_version", "", "empty agent_version"},
        {"archive", "", "invalid archive name"},
        {"archive", "..", "invalid archive name"},
        {"archive", "../../etc/shadow", "invalid archive name"},
        {"archive", "sub/cpmove.tar.gz", "invalid archive name"},
        {"archive", "manifest.json", "invalid archive name"},
        {"archive", "a\nb", "invalid archive name"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *o = good_json();
        json_object_set_new(o, cases[i].key, json_string(cases[i].value));
        put_json(o);
        read_fails(JIKU_E_DATA, cases[i].msg);
    }
}

Test(manifest, nul_inside_a_string)
{
    json_t *o = good_json();

    json_object_set_new(o, "archive", json_stringn("a\0b", 3));
    put_json(o);
    read_fails(JIKU_E_DATA, "is not valid JSON");
}

Test(manifest, unknown_keys_are_ignored)
{
    json_t *o = good_json();
    struct jiku_artifact a;
    struct jiku_err err = {0};
    char *archive = NULL;

    json_object_set_new(o, "compression", json_string("zstd"));
    put_json(o);
    cr_assert_eq(jiku_manifest_read(path, &a, &archive, &err), 0, "%s", err.msg);
    cr_assert_str_eq(a.id, "20261127T021500Z.acme.shop.b");
    cr_assert_eq(a.size, 1234);
    cr_assert_str_eq(archive, "cpmove-shop.tar.gz");
    jiku_artifact_release(&a);
    free(archive);
}
