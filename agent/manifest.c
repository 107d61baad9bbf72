/*
 * Backup manifests: the catalog's row for a backup, kept beside its archive.
 *
 * The writer and the reader apply one set of checks (check_fields), so the agent never writes
 * a manifest that `catalog rebuild` would refuse.  The reader is strict because what it
 * accepts becomes catalog rows and, later, a restore's source.
 */
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jiku/buf.h"
#include "timefmt.h"

static bool
is_hex(const char *s, size_t len)
{
    if (s == NULL || strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* A plain file name in the manifest's directory: no path, no control characters. */
static bool
archive_name_valid(const char *s)
{
    if (s == NULL || s[0] == '\0' || strlen(s) > 255 || strcmp(s, ".") == 0 ||
        strcmp(s, "..") == 0 || strcmp(s, JIKU_MANIFEST_NAME) == 0)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p == '/' || *p < ' ' || *p == 0x7f)
            return false;
    return true;
}

/* A panel or server name, the config rule [a-z0-9][a-z0-9-]{0,62}. */
static bool
name_valid(const char *s)
{
    size_t n;

    if (s == NULL || (n = strlen(s)) == 0 || n > 63 ||
        !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* The id must be the one jiku_artifact_id_format makes for A, possibly with a suffix. */
static bool
id_agrees(const struct jiku_artifact *a)
{
    char *want = jiku_artifact_id_format(a->target, a->kind, a->created);
    size_t n;
    bool ok = false;

    if (want != NULL && jiku_artifact_id_valid(a->id)) {
        n = strlen(want);
        ok = strncmp(a->id, want, n) == 0 && (a->id[n] == '\0' || a->id[n] == '.');
    }
    free(want);
    return ok;
}

/* Set ERR to what is wrong with A and ARCHIVE, with STATUS; 0 when nothing is. */
static int
check_fields(const char *path, const struct jiku_artifact *a, const char *archive, int status,
             struct jiku_err *err)
{
    const char *slash;

    if (!jiku_artifact_target_valid(a->target))
        return jiku_err_set(err, status, "manifest '%s': invalid target '%s'", path,
                            a->target != NULL ? a->target : "");
    slash = strchr(a->target, '/');
    if (a->customer == NULL || strlen(a->customer) != (size_t)(slash - a->target) ||
        strncmp(a->customer, a->target, (size_t)(slash - a->target)) != 0)
        return jiku_err_set(err, status, "manifest '%s': customer '%s' does not own target '%s'",
                            path, a->customer != NULL ? a->customer : "", a->target);
    if (a->created <= 0)
        return jiku_err_set(err, status, "manifest '%s': invalid creation time", path);
    if (!jiku_artifact_id_valid(a->id))
        return jiku_err_set(err, status, "manifest '%s': invalid id '%s'", path,
                            a->id != NULL ? a->id : "");
    if (!id_agrees(a))
        return jiku_err_set(err, status,
                            "manifest '%s': id '%s' does not match its target, kind and "
                            "creation time",
                            path, a->id);
    if (!name_valid(a->panel))
        return jiku_err_set(err, status, "manifest '%s': invalid panel '%s'", path,
                            a->panel != NULL ? a->panel : "");
    if (!name_valid(a->server))
        return jiku_err_set(err, status, "manifest '%s': invalid server '%s'", path,
                            a->server != NULL ? a->server : "");
    if (a->size > (uint64_t)INT64_MAX)
        return jiku_err_set(err, status, "manifest '%s': size out of range", path);
    if (!is_hex(a->md5, 32))
        return jiku_err_set(err, status, "manifest '%s': md5 is not 32 lowercase hex digits", path);
    if (!is_hex(a->sha256, 64))
        return jiku_err_set(err, status, "manifest '%s': sha256 is not 64 lowercase hex digits",
                            path);
    if (!archive_name_valid(archive))
        return jiku_err_set(err, status, "manifest '%s': invalid archive name '%s'", path,
                            archive != NULL ? archive : "");
    return 0;
}

static int
write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Make the rename itself durable: without this a crash may forget the new name. */
static int
sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r;

    if (fd < 0)
        return -1;
    r = fsync(fd);
    close(fd);
    return r;
}

int
jiku_manifest_write(const char *dir, const struct jiku_artifact *a, const char *agent_version,
                    struct jiku_err *err)
{
    struct jiku_buf path = JIKU_BUF_INIT, tmp = JIKU_BUF_INIT;
    const char *archive = NULL;
    json_t *root = NULL;
    char *text = NULL, *created = NULL;
    bool made_tmp = false;
    int fd = -1, r, rc;

    if (dir == NULL || a == NULL || agent_version == NULL || agent_version[0] == '\0' ||
        a->backup_path == NULL)
        return jiku_err_set(err, JIKU_E_INVAL,
                            "manifest needs a directory, an agent version "
                            "and the archive's path");
    archive = strrchr(a->backup_path, '/');
    archive = archive != NULL ? archive + 1 : a->backup_path;
    if (jiku_buf_addf(&path, "%s/%s", dir, JIKU_MANIFEST_NAME) != 0 ||
        jiku_buf_addf(&tmp, "%s/.%s.XXXXXX", dir, JIKU_MANIFEST_NAME) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = check_fields(path.data, a, archive, JIKU_E_INVAL, err)) != 0)
        goto out;
    if ((created = jiku_time_rfc3339(a->created)) == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    root = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "id", a->id,
                     "customer", a->customer, "target", a->target, "kind",
                     jiku_artifact_kind_name(a->kind), "panel", a->panel, "server", a->server,
                     "created", created, "size", (json_int_t)a->size, "md5", a->md5, "sha256",
                     a->sha256, "agent_version", agent_version, "archive", archive);
    if (root == NULL || (text = json_dumps(root, JSON_INDENT(2))) == NULL) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "cannot encode manifest '%s'", path.data);
        goto out;
    }
    /* mkostemp creates the file 0600, what docs/SECURITY.md asks of everything in backup_dir. */
    if ((fd = mkostemp(tmp.data, O_CLOEXEC)) < 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot write manifest '%s': %s", path.data,
                         strerror(errno));
        goto out;
    }
    made_tmp = true;
    if (write_all(fd, text, strlen(text)) != 0 || write_all(fd, "\n", 1) != 0 || fsync(fd) != 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot write manifest '%s': %s", path.data,
                         strerror(errno));
        goto out;
    }
    rc = close(fd);
    fd = -1;
    if (rc != 0 || rename(tmp.data, path.data) != 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot write manifest '%s': %s", path.data,
                         strerror(errno));
        goto out;
    }
    made_tmp = false;
    if (sync_dir(dir) != 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot write manifest '%s': %s", path.data,
                         strerror(errno));
        goto out;
    }
    r = 0;
out:
    if (fd >= 0)
        close(fd);
    if (made_tmp)
        unlink(tmp.data);
    json_decref(root);
    free(text);
    free(created);
    jiku_buf_release(&path);
    jiku_buf_release(&tmp);
    return r;
}

/* Read PATH whole, refusing anything but a regular file of at most JIKU_MANIFEST_MAX bytes. */
static int
slurp(const char *path, struct jiku_buf *out, struct jiku_err *err)
{
    struct stat sb;
    char chunk[8192];
    int fd, r = 0;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
        return jiku_err_set(err, errno == ENOENT ? JIKU_E_NOTFOUND : JIKU_E_IO,
                            "cannot read manifest '%s': %s", path, strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        r = jiku_err_set(err, JIKU_E_DATA, "manifest '%s' is not a regular file", path);
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = jiku_err_set(err, JIKU_E_IO, "cannot read manifest '%s': %s", path,
                             strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        /* Checked while reading, not by st_size: the file may grow under us. */
        if (out->len + (size_t)n > JIKU_MANIFEST_MAX) {
            r = jiku_err_set(err, JIKU_E_DATA, "manifest '%s' is larger than %d bytes", path,
                             JIKU_MANIFEST_MAX);
            goto out;
        }
        if (jiku_buf_add(out, chunk, (size_t)n) != 0) {
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            goto out;
        }
    }
out:
    close(fd);
    return r;
}

/* A copy of the string at KEY in ROOT; JIKU_E_DATA when absent or not a string. */
static int
get_string(json_t *root, const char *key, const char *path, char **out, struct jiku_err *err)
{
    json_t *v = json_object_get(root, key);

    *out = NULL;
    if (v == NULL)
        return jiku_err_set(err, JIKU_E_DATA, "manifest '%s': missing key '%s'", path, key);
    if (!json_is_string(v))
        return jiku_err_set(err, JIKU_E_DATA, "manifest '%s': key '%s' is not a string", path, key);
    if ((*out = strdup(json_string_value(v))) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

int
jiku_manifest_read(const char *path, struct jiku_artifact *out, char **archive_name,
                   struct jiku_err *err)
{
    struct jiku_artifact a;
    struct jiku_buf text = JIKU_BUF_INIT;
    json_error_t jerr;
    json_t *root = NULL, *size;
    char *kind = NULL, *created = NULL, *version = NULL, *archive = NULL;
    int r;

    memset(&a, 0, sizeof(a));
    memset(out, 0, sizeof(*out));
    *archive_name = NULL;
    if ((r = slurp(path, &text, err)) != 0)
        goto out;
    /* Without JSON_ALLOW_NUL jansson refuses \u0000, so every value is a whole C string. */
    if ((root = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
        r = jiku_err_set(err, JIKU_E_DATA, "manifest '%s' is not valid JSON: %s (line %d)", path,
                         jerr.text, jerr.line);
        goto out;
    }
    if (!json_is_object(root)) {
        r = jiku_err_set(err, JIKU_E_DATA, "manifest '%s' is not a JSON object", path);
        goto out;
    }
    if ((r = get_string(root, "id", path, &a.id, err)) != 0 ||
        (r = get_string(root, "customer", path, &a.customer, err)) != 0 ||
        (r = get_string(root, "target", path, &a.target, err)) != 0 ||
        (r = get_string(root, "kind", path, &kind, err)) != 0 ||
        (r = get_string(root, "panel", path, &a.panel, err)) != 0 ||
        (r = get_string(root, "server", path, &a.server, err)) != 0 ||
        (r = get_string(root, "created", path, &created, err)) != 0 ||
        (r = get_string(root, "md5", path, &a.md5, err)) != 0 ||
        (r = get_string(root, "sha256", path, &a.sha256, err)) != 0 ||
        (r = get_string(root, "agent_version", path, &version, err)) != 0 ||
        (r = get_string(root, "archive", path, &archive, err)) != 0)
        goto out;
    if ((size = json_object_get(root, "size")) == NULL) {
        r = jiku_err_set(err, JIKU_E_DATA, "manifest '%s': missing key 'size'", path);
        goto out;
    }
    if (!json_is_integer(size) || json_integer_value(size) < 0) {
        r = jiku_err_set(err, JIKU_E_DATA, "manifest '%s': key 'size' is not a byte count", path);
        goto out;
    }
    a.size = (uint64_t)json_integer_value(size);
    if (jiku_artifact_kind_parse(kind, &a.kind) != 0) {
        r = jiku_err_set(err, JIKU_E_DATA, "manifest '%s': unknown kind '%s'", path, kind);
        goto out;
    }
    if (jiku_time_parse_rfc3339(created, &a.created) != 0) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "manifest '%s': created '%s' is not an RFC 3339 UTC time", path, created);
        goto out;
    }
    if (version[0] == '\0') {
        r = jiku_err_set(err, JIKU_E_DATA, "manifest '%s': empty agent_version", path);
        goto out;
    }
    if ((r = check_fields(path, &a, archive, JIKU_E_DATA, err)) != 0)
        goto out;
    a.status = JIKU_ART_PENDING;
    *out = a;
    memset(&a, 0, sizeof(a));
    *archive_name = archive;
    archive = NULL;
    r = 0;
out:
    jiku_artifact_release(&a);
    json_decref(root);
    jiku_buf_release(&text);
    free(kind);
    free(created);
    free(version);
    free(archive);
    return r;
}
