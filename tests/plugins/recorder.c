/*
 * The recorder: a "cpanel" plugin that touches no panel.  It lets the CLI be tested end to end
 * (snapshot, backup, list, prune, rollback, verify, probe) before the real plugins exist, and
 * without them.  For accounts and WordPress instances each call appends one line
 *
 *     VERB TARGET ARTIFACT-ID[ merge][ dry-run]\n
 *
 * to the file named by $JIKU_RECORDER_LOG (with one write(), so lines of parallel operations
 * never interleave; ARTIFACT-ID is "-" for a probe).  $JIKU_RECORDER_FAIL names verbs, comma
 * separated, that fail with JIKU_E_PANEL after recording; "VERB:ARTIFACT-ID" fails that verb
 * for that artifact only.  $JIKU_RECORDER_CHANGED names verbs, likewise, that report they
 * changed the server (result->changed), failed or not.  $JIKU_RECORDER_SLEEP_MS makes every
 * call take that long first, in the host's cancellable sleep.
 *
 * A snapshot reports location /fake/ID.tar.gz, size 123 and the MD5/SHA-256 of the id string.
 * A backup reports the same location and checksums and also writes BACKUP_DIR/ID.tar.gz
 * (0600) holding the id string, so its size is the id's length and the checksums match it.
 *
 * $JIKU_RECORDER_FAULTS=SEED:PERCENT injects faults into snapshots and backups, for the load
 * test (tests/integration/load_test.sh), which recomputes each target's fault on its own:
 * h = 64-bit FNV-1a of the bytes "SEED:TARGET-ID"; when h % 100 < PERCENT the call, after
 * recording, fails or slows down by fault h / 100 % 4 — 0: the panel job failed
 * (JIKU_E_PANEL), 1: unreachable (JIKU_E_UNREACHABLE), 2: bad data (JIKU_E_DATA), 3: slow,
 * 1 + h / 400 % 20 ms in the host's sleep, then success.  Unset, nothing is injected.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jiku/buf.h"
#include "jiku/host.h"
#include "jiku/plugin.h"

#define RECORDER_SIZE 123

enum recorder_fault {
    RECORDER_FAULT_PANEL,
    RECORDER_FAULT_UNREACHABLE,
    RECORDER_FAULT_DATA,
    RECORDER_FAULT_SLOW,
    RECORDER_FAULT_NONE,
};

#define DIGITS "0123456789"

/* 64-bit FNV-1a of the first LEN bytes of S, continuing from H. */
static uint64_t
fnv1a(uint64_t h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/*
 * The fault $JIKU_RECORDER_FAULTS picks for TARGET (see the top of this file), its hash in
 * *HASH.  A malformed value is an error: a load test that injects nothing proves nothing.
 */
static int
pick_fault(const char *target, enum recorder_fault *fault, uint64_t *hash, struct jiku_err *err)
{
    const char *spec = getenv("JIKU_RECORDER_FAULTS");
    const char *colon;
    unsigned long percent;
    uint64_t h;

    *fault = RECORDER_FAULT_NONE;
    *hash = 0;
    if (spec == NULL || *spec == '\0')
        return 0;
    colon = strchr(spec, ':');
    if (colon == NULL || colon == spec || strspn(spec, DIGITS) != (size_t)(colon - spec) ||
        colon[1] == '\0' || strspn(colon + 1, DIGITS) != strlen(colon + 1) ||
        (percent = strtoul(colon + 1, NULL, 10)) > 100)
        return jiku_err_set(err, JIKU_E_INVAL,
                            "recorder: JIKU_RECORDER_FAULTS is not SEED:PERCENT");
    /* "SEED:" as written, then the target id */
    h = fnv1a(UINT64_C(0xcbf29ce484222325), spec, (size_t)(colon - spec) + 1);
    h = fnv1a(h, target, strlen(target));
    *hash = h;
    if (h % 100 < percent)
        *fault = (enum recorder_fault)(h / 100 % 4);
    return 0;
}

/* Snapshots and backups only: what nightly runs.  Verify, prune and probe stay faithful, so
 * that the test can check what a faulty night left. */
static int
inject_fault(struct jiku_op *op, const char *verb, const char *target, struct jiku_err *err)
{
    enum recorder_fault fault;
    uint64_t h;
    int r;

    if (strcmp(verb, "snapshot") != 0 && strcmp(verb, "backup") != 0)
        return 0;
    if ((r = pick_fault(target, &fault, &h, err)) != 0)
        return r;
    switch (fault) {
    case RECORDER_FAULT_PANEL:
        return jiku_err_set(err, JIKU_E_PANEL, "recorder: injected fault: %s job of '%s' failed",
                            verb, target);
    case RECORDER_FAULT_UNREACHABLE:
        return jiku_err_set(err, JIKU_E_UNREACHABLE,
                            "recorder: injected fault: server of '%s' unreachable", target);
    case RECORDER_FAULT_DATA:
        return jiku_err_set(err, JIKU_E_DATA, "recorder: injected fault: bad answer for %s of '%s'",
                            verb, target);
    case RECORDER_FAULT_SLOW:
        if ((r = op->host->sleep_ms(op, (unsigned)(1 + h / 400 % 20))) != 0)
            return jiku_err_set(err, r, "recorder: %s of '%s' interrupted", verb, target);
        return 0;
    case RECORDER_FAULT_NONE:
        break;
    }
    return 0;
}

static bool
listed(const char *list, const char *verb)
{
    size_t n = strlen(verb);

    for (const char *p = list; p != NULL && *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);

        if (len == n && strncmp(p, verb, n) == 0)
            return true;
        p = comma != NULL ? comma + 1 : NULL;
    }
    return false;
}

/* $JIKU_RECORDER_FAIL names VERB, or VERB:ARTIFACT. */
static bool
fails(const char *verb, const char *artifact)
{
    const char *list = getenv("JIKU_RECORDER_FAIL");
    struct jiku_buf key = JIKU_BUF_INIT;
    bool yes = listed(list, verb);

    if (!yes && artifact != NULL && jiku_buf_addf(&key, "%s:%s", verb, artifact) == 0)
        yes = listed(list, key.data);
    jiku_buf_release(&key);
    return yes;
}

static int
write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

static int
record(struct jiku_op *op, const char *verb, const char *artifact, struct jiku_err *err)
{
    const char *log = getenv("JIKU_RECORDER_LOG");
    const char *target = op->target != NULL && op->target->id != NULL ? op->target->id : "-";
    struct jiku_buf line = JIKU_BUF_INIT;
    int fd = -1, r = 0;

    if (log != NULL && *log != '\0') {
        jiku_buf_addf(&line, "%s %s %s", verb, target, artifact != NULL ? artifact : "-");
        if (op->params != NULL && op->params->mode == JIKU_ROLLBACK_MERGE &&
            strcmp(verb, "rollback") == 0)
            jiku_buf_adds(&line, " merge");
        if (op->params != NULL && op->params->dry_run)
            jiku_buf_adds(&line, " dry-run");
        if (jiku_buf_addch(&line, '\n') != 0) {
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            goto out;
        }
        if ((fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
            write_all(fd, line.data, line.len) != 0) {
            r = jiku_err_set(err, JIKU_E_IO, "recorder: cannot append to '%s': %s", log,
                             strerror(errno));
            goto out;
        }
    }
    /* $JIKU_RECORDER_SLEEP_MS: a long panel job, to interrupt (the host's sleep is
     * cancellable, as a real plugin's polling is) */
    if (getenv("JIKU_RECORDER_SLEEP_MS") != NULL &&
        (r = op->host->sleep_ms(
             op, (unsigned)strtoul(getenv("JIKU_RECORDER_SLEEP_MS"), NULL, 10))) != 0) {
        jiku_err_set(err, r, "recorder: %s of '%s' interrupted", verb, target);
        goto out;
    }
    if ((r = inject_fault(op, verb, target, err)) != 0)
        goto out;
    if (op->result != NULL && listed(getenv("JIKU_RECORDER_CHANGED"), verb))
        op->result->changed = true;
    if (fails(verb, artifact))
        r = jiku_err_set(err, JIKU_E_PANEL,
                         "recorder: %s of '%s' failed as JIKU_RECORDER_FAIL asks", verb, target);
out:
    if (fd >= 0)
        close(fd);
    jiku_buf_release(&line);
    return r;
}

static void
hex(const unsigned char *d, unsigned n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 0xf];
    }
    out[2 * n] = '\0';
}

static int
fill_result(struct jiku_op *op, const char *id, struct jiku_err *err)
{
    struct jiku_buf location = JIKU_BUF_INIT;
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n;

    if (EVP_Digest(id, strlen(id), d, &n, EVP_md5(), NULL) != 1 || n != 16)
        return jiku_err_set(err, JIKU_E_FAILED, "recorder: md5 failed");
    hex(d, n, op->result->md5);
    if (EVP_Digest(id, strlen(id), d, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return jiku_err_set(err, JIKU_E_FAILED, "recorder: sha256 failed");
    hex(d, n, op->result->sha256);
    if (jiku_buf_addf(&location, "/fake/%s.tar.gz", id) != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    op->result->location = jiku_buf_detach(&location);
    op->result->size = RECORDER_SIZE;
    return 0;
}

static int
write_backup(struct jiku_op *op, const char *id, struct jiku_err *err)
{
    struct jiku_buf path = JIKU_BUF_INIT;
    int fd = -1, r = 0;

    if (jiku_buf_addf(&path, "%s/%s.tar.gz", op->params->backup_dir, id) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((fd = open(path.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0 ||
        write_all(fd, id, strlen(id)) != 0 || fsync(fd) != 0) {
        r = jiku_err_set(err, JIKU_E_IO, "recorder: cannot write '%s': %s", path.data,
                         strerror(errno));
        goto out;
    }
    op->result->backup_path = jiku_buf_detach(&path);
    op->result->size = strlen(id);
out:
    if (fd >= 0)
        close(fd);
    jiku_buf_release(&path);
    return r;
}

static const char *
new_id(const struct jiku_op *op)
{
    return op->params != NULL ? op->params->new_artifact_id : NULL;
}

static const char *
subject_id(const struct jiku_op *op)
{
    return op->params != NULL && op->params->artifact != NULL ? op->params->artifact->id : NULL;
}

static int
recorder_snapshot(struct jiku_op *op, struct jiku_err *err)
{
    const char *id = new_id(op);
    int r;

    if (id == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "recorder: snapshot without an artifact id");
    if ((r = record(op, "snapshot", id, err)) != 0)
        return r;
    return op->params->dry_run ? 0 : fill_result(op, id, err);
}

static int
recorder_backup(struct jiku_op *op, struct jiku_err *err)
{
    const char *id = new_id(op);
    int r;

    if (id == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "recorder: backup without an artifact id");
    if ((r = record(op, "backup", id, err)) != 0)
        return r;
    if (op->params->dry_run)
        return 0;
    if ((r = fill_result(op, id, err)) == 0 && op->params->backup_dir != NULL)
        r = write_backup(op, id, err);
    if (r != 0) {
        /* Results are only set on success. */
        free(op->result->location);
        op->result->location = NULL;
    }
    return r;
}

static int
recorder_rollback(struct jiku_op *op, struct jiku_err *err)
{
    return record(op, "rollback", subject_id(op), err);
}

static int
recorder_prune(struct jiku_op *op, struct jiku_err *err)
{
    return record(op, "prune", subject_id(op), err);
}

static int
recorder_verify(struct jiku_op *op, struct jiku_err *err)
{
    return record(op, "verify", subject_id(op), err);
}

static int
recorder_probe(struct jiku_op *op, struct jiku_err *err)
{
    int r;

    if ((r = record(op, "probe", NULL, err)) != 0)
        return r;
    if ((op->result->panel_version = strdup("recorder 1.0")) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
}

#define RECORDER_KIND(kind)                                                                        \
    {JIKU_VERB_PROBE, kind, recorder_probe}, {JIKU_VERB_SNAPSHOT, kind, recorder_snapshot},        \
        {JIKU_VERB_BACKUP, kind, recorder_backup}, {JIKU_VERB_ROLLBACK, kind, recorder_rollback},  \
        {JIKU_VERB_PRUNE, kind, recorder_prune},                                                   \
    {                                                                                              \
        JIKU_VERB_VERIFY, kind, recorder_verify                                                    \
    }

static const struct jiku_plugin_action recorder_actions[] = {
    RECORDER_KIND(JIKU_KIND_ACCOUNT),
    RECORDER_KIND(JIKU_KIND_WORDPRESS),
};

/* cPanel's port and lock owner, so that the CLI tests see cPanel's configuration and locks. */
static const struct jiku_panel_facts recorder_facts = {
    .api_port = 2087,
    .owner_object = "account",
};

static const struct jiku_plugin recorder_plugin = {
    .abi_version = JIKU_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jiku_plugin),
    .name = "cpanel",
    .version = "recorder",
    .actions = recorder_actions,
    .n_actions = sizeof(recorder_actions) / sizeof(recorder_actions[0]),
    .open = NULL,
    .close = NULL,
    .facts = &recorder_facts,
};

JIKU_PLUGIN_EXPORT(recorder, recorder_plugin);
