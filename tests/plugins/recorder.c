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
 * WordPress instances can also be staged, promoted and updated (the engine's update flow,
 * tests/plugins/test_action.c).  Stage and promote append "stage TARGET -" and "promote TARGET
 * -"; an update appends its step where the artifact id would be, then what it was given:
 *
 *     update TARGET STEP components=C,... core=minor|major exclude=SLUG,...|- \
 *         health=PATH|-,TEXT|-,TIMEOUT port=WEB-PORT[ dry-run]\n
 *
 * (one line), so "update:apply" in $JIKU_RECORDER_FAIL or $JIKU_RECORDER_CHANGED names that
 * step alone.  Every step but check reports $JIKU_RECORDER_PENDING (0 when unset) components,
 * on failure too: component i is the i-th of the asked components in turn, named "wordpress",
 * "plugin-i", "theme-i" or "app", from "1.i" to "2.i".  With $JIKU_RECORDER_CHECK set, the
 * plugin's check() before an update appends "check TARGET update" and what it was given, as
 * the update's own line does.
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

/* The list in $ENV names VERB, or VERB:ARTIFACT ($JIKU_RECORDER_FAIL, _CHANGED). */
static bool
named(const char *env, const char *verb, const char *artifact)
{
    const char *list = getenv(env);
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

static const char *const update_steps[] = {
    [JIKU_UPDATE_LIST] = "list",
    [JIKU_UPDATE_APPLY] = "apply",
    [JIKU_UPDATE_STAGING] = "staging",
    [JIKU_UPDATE_CHECK] = "check",
};

static const char *const component_words[JIKU_UPDATE_COMPONENT_COUNT] = {
    [JIKU_UPDATE_CORE] = "core",
    [JIKU_UPDATE_PLUGINS] = "plugins",
    [JIKU_UPDATE_THEMES] = "themes",
    [JIKU_UPDATE_APP] = "app",
};

static const char *
or_dash(const char *s)
{
    return s != NULL ? s : "-";
}

/* What an update was given, for its log line (see the top of this file). */
static void
add_update(struct jiku_buf *line, const struct jiku_update_params *u)
{
    const char *sep = "";

    jiku_buf_adds(line, " components=");
    for (int c = 0; c < JIKU_UPDATE_COMPONENT_COUNT; c++) {
        if (u->components & JIKU_UPDATE_BIT(c)) {
            jiku_buf_addf(line, "%s%s", sep, component_words[c]);
            sep = ",";
        }
    }
    jiku_buf_addf(line, " core=%s exclude=", u->core_major ? "major" : "minor");
    if (u->exclude == NULL || u->exclude[0] == NULL)
        jiku_buf_adds(line, "-");
    for (size_t i = 0; u->exclude != NULL && u->exclude[i] != NULL; i++)
        jiku_buf_addf(line, "%s%s", i > 0 ? "," : "", u->exclude[i]);
    jiku_buf_addf(line, " health=%s,%s,%d port=%d", or_dash(u->health_path),
                  or_dash(u->health_text), u->health_timeout, u->web_port);
}

static void hex(const unsigned char *d, unsigned n, char *out);

static const char *const login_ops[] = {
    [JIKU_LOGIN_LIST] = "list",     [JIKU_LOGIN_ADD] = "add",   [JIKU_LOGIN_PASSWD] = "passwd",
    [JIKU_LOGIN_REMOVE] = "remove", [JIKU_LOGIN_ROLE] = "role",
};

/*
 * What a mail or users request was given, for its log line: the password only as its SHA-256,
 * which a test compares with the file it gave or the one --password-out wrote.
 */
static void
add_login(struct jiku_buf *line, const struct jiku_login_params *l)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    char pw[2 * EVP_MAX_MD_SIZE + 1] = "-";
    unsigned n;

    if (l->password != NULL &&
        (EVP_Digest(l->password, strlen(l->password), d, &n, EVP_sha256(), NULL) != 1 || n != 32))
        snprintf(pw, sizeof(pw), "?");
    else if (l->password != NULL)
        hex(d, n, pw);
    jiku_buf_addf(line, " %s password=%s quota=%ld email=%s role=%s group=%s reassign=%s%s%s",
                  or_dash(l->name), pw, l->quota_mib, or_dash(l->email), or_dash(l->role),
                  or_dash(l->group), or_dash(l->reassign), l->disabled ? " disabled" : "",
                  l->delete ? " delete" : "");
}

/* Append OP's line for VERB of ARTIFACT to $JIKU_RECORDER_LOG, when it is set. */
static int
append_line(const struct jiku_op *op, const char *verb, const char *artifact, struct jiku_err *err)
{
    const char *log = getenv("JIKU_RECORDER_LOG");
    const char *target = op->target != NULL && op->target->id != NULL ? op->target->id : "-";
    struct jiku_buf line = JIKU_BUF_INIT;
    int fd = -1, r = 0;

    if (log == NULL || *log == '\0')
        return 0;
    jiku_buf_addf(&line, "%s %s %s", verb, target, artifact != NULL ? artifact : "-");
    if (op->params != NULL && op->params->mode == JIKU_ROLLBACK_MERGE &&
        strcmp(verb, "rollback") == 0)
        jiku_buf_adds(&line, " merge");
    if (op->params != NULL && op->params->update != NULL)
        add_update(&line, op->params->update);
    if (op->params != NULL && op->params->login != NULL)
        add_login(&line, op->params->login);
    if (op->params != NULL && op->params->dry_run)
        jiku_buf_adds(&line, " dry-run");
    if (jiku_buf_addch(&line, '\n') != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
        write_all(fd, line.data, line.len) != 0)
        r = jiku_err_set(err, JIKU_E_IO, "recorder: cannot append to '%s': %s", log,
                         strerror(errno));
out:
    if (fd >= 0)
        close(fd);
    jiku_buf_release(&line);
    return r;
}

static int
record(struct jiku_op *op, const char *verb, const char *artifact, struct jiku_err *err)
{
    const char *target = op->target != NULL && op->target->id != NULL ? op->target->id : "-";
    int r;

    if ((r = append_line(op, verb, artifact, err)) != 0)
        return r;
    /* $JIKU_RECORDER_SLEEP_MS: a long panel job, to interrupt (the host's sleep is
     * cancellable, as a real plugin's polling is) */
    if (getenv("JIKU_RECORDER_SLEEP_MS") != NULL &&
        (r = op->host->sleep_ms(
             op, (unsigned)strtoul(getenv("JIKU_RECORDER_SLEEP_MS"), NULL, 10))) != 0)
        return jiku_err_set(err, r, "recorder: %s of '%s' interrupted", verb, target);
    if ((r = inject_fault(op, verb, target, err)) != 0)
        return r;
    if (op->result != NULL && named("JIKU_RECORDER_CHANGED", verb, artifact))
        op->result->changed = true;
    if (named("JIKU_RECORDER_FAIL", verb, artifact))
        return jiku_err_set(err, JIKU_E_PANEL,
                            "recorder: %s of '%s' failed as JIKU_RECORDER_FAIL asks", verb, target);
    return 0;
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

static int
recorder_stage(struct jiku_op *op, struct jiku_err *err)
{
    return record(op, "stage", NULL, err);
}

static int
recorder_promote(struct jiku_op *op, struct jiku_err *err)
{
    return record(op, "promote", NULL, err);
}

/* $JIKU_RECORDER_PENDING: how many components an update reports. */
static int
pending(size_t *n, struct jiku_err *err)
{
    const char *v = getenv("JIKU_RECORDER_PENDING");

    *n = 0;
    if (v == NULL || *v == '\0')
        return 0;
    if (strspn(v, DIGITS) != strlen(v) || strlen(v) > 3)
        return jiku_err_set(err, JIKU_E_INVAL, "recorder: JIKU_RECORDER_PENDING is not a count");
    *n = strtoul(v, NULL, 10);
    return 0;
}

/* Component I of an update of COMPONENTS (see the top of this file) into *IT. */
static int
update_item(unsigned components, size_t i, struct jiku_update_item *it)
{
    /* plugins and themes are numbered, the core and an application are one of a kind */
    static const char *const names[JIKU_UPDATE_COMPONENT_COUNT] = {
        [JIKU_UPDATE_CORE] = "wordpress",
        [JIKU_UPDATE_PLUGINS] = "plugin",
        [JIKU_UPDATE_THEMES] = "theme",
        [JIKU_UPDATE_APP] = "app",
    };
    struct jiku_buf name = JIKU_BUF_INIT, from = JIKU_BUF_INIT, to = JIKU_BUF_INIT;
    size_t n = 0, k;
    int c, r;

    for (c = 0; c < JIKU_UPDATE_COMPONENT_COUNT; c++)
        n += (components & JIKU_UPDATE_BIT(c)) != 0;
    /* the (i % n)-th component asked for */
    k = i % n;
    for (c = 0; k > 0 || (components & JIKU_UPDATE_BIT(c)) == 0; c++)
        if (components & JIKU_UPDATE_BIT(c))
            k--;
    it->component = (enum jiku_update_component)c;
    if (c == JIKU_UPDATE_PLUGINS || c == JIKU_UPDATE_THEMES)
        r = jiku_buf_addf(&name, "%s-%zu", names[c], i);
    else
        r = jiku_buf_adds(&name, names[c]);
    if (r != 0 || jiku_buf_addf(&from, "1.%zu", i) != 0 || jiku_buf_addf(&to, "2.%zu", i) != 0) {
        jiku_buf_release(&name);
        jiku_buf_release(&from);
        jiku_buf_release(&to);
        return JIKU_E_NOMEM;
    }
    it->name = jiku_buf_detach(&name);
    it->from = jiku_buf_detach(&from);
    it->to = jiku_buf_detach(&to);
    return 0;
}

/* The components an update of OP reports, before it is recorded: a failed one reports too. */
static int
fill_updates(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_update_params *u = op->params->update;
    size_t n;
    int r;

    if ((r = pending(&n, err)) != 0 || n == 0 || u->components == 0 || u->step == JIKU_UPDATE_CHECK)
        return r;
    if ((op->result->updates = calloc(n, sizeof(*op->result->updates))) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (update_item(u->components, i, &op->result->updates[i]) != 0)
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        op->result->n_updates = i + 1;
    }
    return 0;
}

static int
recorder_update(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_update_params *u = op->params != NULL ? op->params->update : NULL;
    int r;

    if (u == NULL || (unsigned)u->step >= sizeof(update_steps) / sizeof(update_steps[0]))
        return jiku_err_set(err, JIKU_E_INVAL, "recorder: update without a known step");
    if ((r = fill_updates(op, err)) != 0)
        return r;
    return record(op, "update", update_steps[u->step], err);
}

/*
 * Mail accounts of accounts and users of WordPress instances: each request is recorded as
 * "mail TARGET OP NAME password=SHA256|- quota=Q email=E role=R group=G reassign=L[ disabled]
 * [ delete]"; "mail:add" in $JIKU_RECORDER_FAIL names that request.  A list finds two.
 */
static int
recorder_logins(struct jiku_op *op, struct jiku_err *err)
{
    const struct jiku_login_params *l = op->params != NULL ? op->params->login : NULL;
    bool mail = op->target->kind == JIKU_KIND_ACCOUNT;
    struct jiku_login_item *it;
    int r;

    if (l == NULL || (unsigned)l->op >= sizeof(login_ops) / sizeof(login_ops[0]))
        return jiku_err_set(err, JIKU_E_INVAL, "recorder: a login request without a known op");
    if ((r = record(op, mail ? "mail" : "users", login_ops[l->op], err)) != 0 ||
        l->op != JIKU_LOGIN_LIST)
        return r;
    if ((it = op->result->logins = calloc(2, sizeof(*it))) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    op->result->n_logins = 2;
    it[0] = (struct jiku_login_item){.name = strdup(mail ? "info@example.com" : "admin"),
                                     .email = mail ? NULL : strdup("admin@example.com"),
                                     .roles = mail ? NULL : strdup("administrator"),
                                     .quota_mib = mail ? 512 : 0,
                                     .has_used = mail,
                                     .used_mib = 1.5};
    it[1] = (struct jiku_login_item){.name = strdup(mail ? "old@example.com" : "a\x1b[31mb"),
                                     .quota_mib = mail ? JIKU_QUOTA_UNLIMITED : 0,
                                     .disabled = true};
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
    {JIKU_VERB_STAGE, JIKU_KIND_WORDPRESS, recorder_stage},
    {JIKU_VERB_PROMOTE, JIKU_KIND_WORDPRESS, recorder_promote},
    {JIKU_VERB_UPDATE, JIKU_KIND_WORDPRESS, recorder_update},
    {JIKU_VERB_MAIL, JIKU_KIND_ACCOUNT, recorder_logins},
    {JIKU_VERB_USERS, JIKU_KIND_WORDPRESS, recorder_logins},
};

/* What a plugin's check() of an update can read ($JIKU_RECORDER_CHECK). */
static int
recorder_check(const struct jiku_op *op, enum jiku_verb verb, struct jiku_err *err)
{
    if (verb != JIKU_VERB_UPDATE || getenv("JIKU_RECORDER_CHECK") == NULL)
        return 0;
    return append_line(op, "check", "update", err);
}

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
    .check = recorder_check,
    .facts = &recorder_facts,
};

JIKU_PLUGIN_EXPORT(recorder, recorder_plugin);
