/*
 * The cPanel plugin's parsers of panel output: the first byte picks one, the rest is the
 * answer.  0: a WHM API 1 envelope (and uapi_cpanel's inner result, and the bytes as a cPanel
 * API 2 envelope), 1: pkgacct's master log, 2: a transfer session's log, 3: a tar listing, 4: a
 * find listing, 5: df, checksum and disk-use output.  Nothing may crash, leak or read out of
 * bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpanel.h"
#include "cpanel_remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
envelope(const char *s, size_t n)
{
    struct jiku_err err;
    json_t *root = NULL, *inner = NULL;
    long status = n > 0 && s[0] == '!' ? 403 : 200;

    if (cpanel_whm_parse("fuzz", status, s, n, &root, &err) == 0) {
        (void)cpanel_uapi_result(root, &inner, &err);
        (void)cpanel_json_str(json_object_get(root, "data"), "session_id");
        json_decref(root);
    }
    /* The same bytes as a cPanel API 2 answer through WHM's /json-api/cpanel. */
    if (cpanel_api2_parse("fuzz", status, s, n, &root, &err) == 0)
        json_decref(root);
}

static void
listings(int which, const char *s, size_t n)
{
    struct cpanel_listing a = {0}, h = {0};
    struct jiku_buf d = JIKU_BUF_INIT;
    struct jiku_err err;

    if (which == 3)
        (void)cpanel_parse_tar_listing(s, n, "cpmove-u/homedir/", &a, &err);
    else
        (void)cpanel_parse_find_listing(s, n, &h, &err);
    cpanel_listing_sort(&a);
    cpanel_listing_sort(&h);
    (void)cpanel_home_diff(&a, &h, true, NULL, &d);
    cpanel_listing_release(&a);
    cpanel_listing_release(&h);
    jiku_buf_release(&d);
}

static void
outputs(const char *s)
{
    struct plug_digest d;
    struct jiku_err err;
    uint64_t v;

    (void)cpanel_parse_df(s, &v, &err);
    (void)plug_parse_digest(s, true, &d, &err);
    (void)cpanel_parse_disk_used(s, &v, &err);
    (void)plug_valid_path(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cpanel_pkgacct_log log;
    struct cpanel_restore_item item;
    struct jiku_buf errors = JIKU_BUF_INIT;
    struct jiku_err err;
    char *s;

    if (size < 1)
        return 0;
    /* Exactly the input's bytes, NUL-terminated for the parsers of C strings. */
    if ((s = malloc(size)) == NULL)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    switch (data[0] % 6) {
    case 0:
        envelope(s, size - 1);
        break;
    case 1:
        (void)cpanel_pkgacct_log_parse(s, size - 1, &log, &err);
        cpanel_pkgacct_log_release(&log);
        break;
    case 2:
        (void)cpanel_translog_parse(s, size - 1, &item, &err);
        cpanel_restore_item_release(&item);
        (void)cpanel_itemlog_errors(s, size - 1, &errors, &err);
        jiku_buf_release(&errors);
        break;
    case 3:
    case 4:
        listings(data[0] % 6, s, size - 1);
        break;
    default:
        outputs(s);
        break;
    }
    free(s);
    return 0;
}
