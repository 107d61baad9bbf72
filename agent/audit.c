/*
 * The audit (docs/ARCHITECTURE.md, "State"): table `audit` of state.db, hash-chained.
 *
 * Record N stores prev_hash (record N-1's hash; 64 zeros for record 1) and
 * hash = SHA-256(canonical serialisation of prev_hash and every field, seq and time
 * included).  The serialisation is injective: each field carries a type tag, strings a length
 * prefix, and NULL its own tag, so no two different records hash the same input.  Changing,
 * inserting or deleting a row breaks the chain from there on; cutting rows from the end does
 * not, which is why every run logs the head to syslog for `audit verify --head`.
 */
#include "audit.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_db.h"
#include "jiku/buf.h"
#include "log.h"
#include "timefmt.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define HASH_HEX 64

/* The columns in the order row_to_record reads them. */
#define AUDIT_COLUMNS                                                                              \
    "seq, time, run_id, event, actor, customer, tier, target, action, decision, reason, "          \
    "source, artifact, dry_run, prev_hash, hash"

/*
 * The serialisation is fed to the digest piece by piece, with the integers written by hand:
 * `audit verify` hashes every record, and formatting a buffer per record through printf cost
 * more than SHA-256 itself.
 */
struct digest {
    EVP_MD_CTX *ctx;
    bool ok;
};

static void
feed(struct digest *d, const void *p, size_t n)
{
    if (d->ok && n > 0 && EVP_DigestUpdate(d->ctx, p, n) != 1)
        d->ok = false;
}

/* TAG, then V in decimal, then END: "i42;" and the "s5:" before a string. */
static void
feed_num(struct digest *d, char tag, int64_t v, char end)
{
    char buf[24];
    char *p = buf + sizeof(buf);
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

    *--p = end;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--p = '-';
    *--p = tag;
    feed(d, p, (size_t)(buf + sizeof(buf) - p));
}

static void
feed_str(struct digest *d, const char *s)
{
    size_t n;

    if (s == NULL) {
        feed(d, "n", 1);
        return;
    }
    n = strlen(s);
    feed_num(d, 's', (int64_t)n, ':');
    feed(d, s, n);
}

/*
 * SHA-256 of the bytes that are hashed, through CTX (reset here, so one context serves every
 * record of a verify); a version tag first so that a later format cannot collide.
 */
static int
hash_record(EVP_MD_CTX *ctx, const struct jiku_audit_record *rec, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    struct digest d = {.ctx = ctx, .ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1};
    const char *strs[] = {rec->event,  rec->actor,    rec->customer, rec->tier,   rec->target,
                          rec->action, rec->decision, rec->reason,   rec->source, rec->artifact};
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    feed(&d, "jiku-audit-1;", 13);
    feed_str(&d, rec->prev_hash);
    feed_num(&d, 'i', rec->seq, ';');
    feed_num(&d, 'i', (int64_t)rec->time, ';');
    feed_num(&d, 'i', rec->run_id, ';');
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        feed_str(&d, strs[i]);
    feed_num(&d, 'i', rec->dry_run ? 1 : 0, ';');
    if (!d.ok || EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != HASH_HEX / 2)
        return JIKU_E_FAILED;
    for (unsigned int i = 0; i < len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[HASH_HEX] = '\0';
    return 0;
}

int
jiku_audit_record_hash(const struct jiku_audit_record *rec, char out[65])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int r;

    if (ctx == NULL)
        return JIKU_E_NOMEM;
    r = hash_record(ctx, rec, out);
    EVP_MD_CTX_free(ctx);
    return r;
}

/* Quote a syslog value when it would not survive as one bare word. */
static int
add_value(struct jiku_buf *b, const char *v)
{
    bool bare = v[0] != '\0';
    int r = 0;

    for (const unsigned char *p = (const unsigned char *)v; bare && *p != '\0'; p++)
        if (*p <= ' ' || *p == '"' || *p == '\\' || *p == '=' || *p == 0x7f)
            bare = false;
    if (bare)
        return jiku_buf_adds(b, v);
    r |= jiku_buf_addch(b, '"');
    for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            r |= jiku_buf_addf(b, "\\%c", *p);
        else if (*p == '\n')
            r |= jiku_buf_adds(b, "\\n");
        else if (*p == '\t')
            r |= jiku_buf_adds(b, "\\t");
        else if (*p < ' ' || *p == 0x7f)
            r |= jiku_buf_addf(b, "\\x%02x", *p);
        else
            r |= jiku_buf_addch(b, (char)*p);
    }
    r |= jiku_buf_addch(b, '"');
    return r != 0 ? JIKU_E_NOMEM : 0;
}

static int
add_kv(struct jiku_buf *b, const char *key, const char *v)
{
    if (v == NULL)
        return 0;
    if (jiku_buf_addf(b, " %s=", key) != 0)
        return JIKU_E_NOMEM;
    return add_value(b, v);
}

int
jiku_audit_format_line(const struct jiku_audit_record *rec, struct jiku_buf *out)
{
    char *when = jiku_time_rfc3339(rec->time);
    int r = JIKU_E_NOMEM;

    if (when == NULL)
        goto out;
    if (jiku_buf_addf(out, "audit seq=%" PRId64 " time=%s run=%" PRId64, rec->seq, when,
                      rec->run_id) != 0 ||
        add_kv(out, "event", rec->event) != 0 || add_kv(out, "actor", rec->actor) != 0 ||
        add_kv(out, "customer", rec->customer) != 0 || add_kv(out, "tier", rec->tier) != 0 ||
        add_kv(out, "target", rec->target) != 0 || add_kv(out, "action", rec->action) != 0 ||
        add_kv(out, "decision", rec->decision) != 0 || add_kv(out, "reason", rec->reason) != 0 ||
        add_kv(out, "source", rec->source) != 0 || add_kv(out, "artifact", rec->artifact) != 0 ||
        jiku_buf_addf(out, " dry_run=%d hash=%s", rec->dry_run ? 1 : 0, rec->hash) != 0)
        goto out;
    r = 0;
out:
    free(when);
    return r;
}

/* The last record's seq and hash (0 and zeros when the audit is empty). */
static int
last_record(struct jiku_catalog *cat, int64_t *seq, char hash[65], const char *what,
            struct jiku_err *err)
{
    static const char sql[] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
    sqlite3 *db = jiku_catalog_db(cat);
    sqlite3_stmt *st = NULL;
    const unsigned char *h;
    int r = 0, rc;

    if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
        return jiku_catalog_fail(cat, rc, what, err);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        *seq = 0;
        memcpy(hash, ZERO_HASH, sizeof(ZERO_HASH));
    } else if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        h = sqlite3_column_text(st, 1);
        if (h == NULL || strlen((const char *)h) != HASH_HEX)
            r = jiku_err_set(err, JIKU_E_DATA, "audit record %" PRId64 " is broken: bad hash",
                             *seq);
        else
            memcpy(hash, h, HASH_HEX + 1);
    } else {
        r = jiku_catalog_fail(cat, rc, what, err);
    }
    sqlite3_finalize(st);
    return r;
}

/* Append REC inside the caller's transaction, the audit's last hash read under its write lock. */
static int
append_in_tx(struct jiku_catalog *cat, struct jiku_audit_record *rec, const char *what,
             struct jiku_err *err)
{
    static const char sql[] = "INSERT INTO audit (" AUDIT_COLUMNS ") "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    sqlite3 *db = jiku_catalog_db(cat);
    sqlite3_stmt *st = NULL;
    struct jiku_buf line = JIKU_BUF_INIT;
    int64_t last = 0;
    int r, rc, i = 1;

    if ((r = last_record(cat, &last, rec->prev_hash, what, err)) != 0)
        return r;
    rec->seq = last + 1;
    if (rec->time == 0)
        rec->time = time(NULL);
    if ((r = jiku_audit_record_hash(rec, rec->hash)) != 0)
        return jiku_err_set(err, r, "cannot hash audit record %" PRId64, rec->seq);
    if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
        return jiku_catalog_fail(cat, rc, what, err);
    if ((rc = sqlite3_bind_int64(st, i++, rec->seq)) != SQLITE_OK ||
        (rc = sqlite3_bind_int64(st, i++, (sqlite3_int64)rec->time)) != SQLITE_OK ||
        (rc = sqlite3_bind_int64(st, i++, rec->run_id)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, rec->event)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, rec->actor)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, rec->customer)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, rec->tier)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, rec->target)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, rec->action)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, rec->decision)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, rec->reason)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, rec->source)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, rec->artifact)) != SQLITE_OK ||
        (rc = sqlite3_bind_int(st, i++, rec->dry_run ? 1 : 0)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, rec->prev_hash)) != SQLITE_OK ||
        (rc = jiku_catalog_bind_text(st, i++, rec->hash)) != SQLITE_OK ||
        (rc = sqlite3_step(st)) != SQLITE_DONE)
        r = jiku_catalog_fail(cat, rc, what, err);
    sqlite3_finalize(st);
    /* Only a committed record is logged: syslog must not name a record the database lacks. */
    if (r == 0 && (jiku_audit_format_line(rec, &line) != 0 ||
                   jiku_catalog_log_on_commit(cat, line.data) != 0))
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    jiku_buf_release(&line);
    return r;
}

/*
 * Append REC, after OP_END (may be NULL) in the same transaction: its own, synced, or the
 * caller's, which must be synced too.  syslog names the record as soon as it is committed, and
 * must never name one the database lost.
 */
static int
append(struct jiku_catalog *cat, struct jiku_audit_record *rec, const struct jiku_op_end *op_end,
       struct jiku_err *err)
{
    static const char what[] = "append to the audit";
    bool own = !jiku_catalog_in_tx(cat);
    int r;

    if (rec->event == NULL || rec->actor == NULL || rec->action == NULL || rec->decision == NULL)
        return jiku_err_set(err, JIKU_E_INVAL,
                            "audit record without event, actor, action or "
                            "decision");
    /* IMMEDIATE: the last hash is read under the write lock, so appenders chain in turn. */
    if (own && (r = jiku_catalog_begin(cat, true, what, err)) != 0)
        return r;
    /* SQLite rolled the caller's back: written now, it would be committed but never logged. */
    if (!own && jiku_catalog_tx_lost(cat))
        return jiku_err_set(err, JIKU_E_FAILED, "cannot %s: the state's transaction was lost",
                            what);
    /* In the caller's transaction, a savepoint keeps the operation's end and its record one. */
    if (!own && op_end != NULL &&
        sqlite3_exec(jiku_catalog_db(cat), "SAVEPOINT audit", NULL, NULL, NULL) != SQLITE_OK)
        return jiku_err_set(err, JIKU_E_FAILED, "cannot %s: %s", what,
                            sqlite3_errmsg(jiku_catalog_db(cat)));
    if ((op_end != NULL &&
         (r = jiku_catalog_op_end(cat, op_end->op_id, op_end->status, op_end->exit_code,
                                  op_end->error, op_end->artifact, err)) != 0) ||
        (r = append_in_tx(cat, rec, what, err)) != 0 ||
        (own && (r = jiku_catalog_commit(cat, what, err)) != 0)) {
        if (own)
            jiku_catalog_rollback(cat);
        else if (op_end != NULL)
            sqlite3_exec(jiku_catalog_db(cat), "ROLLBACK TO audit; RELEASE audit", NULL, NULL,
                         NULL);
        return r;
    }
    if (!own && op_end != NULL)
        sqlite3_exec(jiku_catalog_db(cat), "RELEASE audit", NULL, NULL, NULL);
    return 0;
}

int
jiku_audit_append(struct jiku_catalog *cat, struct jiku_audit_record *rec, struct jiku_err *err)
{
    return append(cat, rec, NULL, err);
}

int
jiku_audit_op_end(struct jiku_catalog *cat, const struct jiku_op_end *op_end,
                  struct jiku_audit_record *rec, struct jiku_err *err)
{
    return append(cat, rec, op_end, err);
}

int
jiku_audit_head(struct jiku_catalog *cat, char hash[65], int64_t *count, struct jiku_err *err)
{
    int r;

    if ((r = last_record(cat, count, hash, "read the audit head", err)) != 0)
        return r;
    if (*count == 0)
        hash[0] = '\0';
    return 0;
}

int
jiku_audit_log_head(struct jiku_catalog *cat, struct jiku_err *err)
{
    char hash[65];
    int64_t count = 0;
    int r;

    /* An empty audit logs the zero hash, so that every logged head is a valid --head. */
    if ((r = last_record(cat, &count, hash, "read the audit head", err)) != 0)
        return r;
    jiku_log_syslog_only("audit head=%s:%" PRId64, hash, count);
    return 0;
}

static bool
is_hex64(const char *s)
{
    if (s == NULL || strlen(s) != HASH_HEX)
        return false;
    for (int i = 0; i < HASH_HEX; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

int
jiku_audit_head_parse(const char *head, char hash[65], int64_t *count, struct jiku_err *err)
{
    const char *colon = head != NULL ? strchr(head, ':') : NULL;
    const char *p;
    int64_t n = 0;

    if (colon == NULL || colon - head != HASH_HEX || colon[1] == '\0')
        goto bad;
    for (int i = 0; i < HASH_HEX; i++) {
        char c = head[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            goto bad;
        hash[i] = c;
    }
    hash[HASH_HEX] = '\0';
    for (p = colon + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || n > (INT64_MAX - 9) / 10)
            goto bad;
        n = n * 10 + (*p - '0');
    }
    /* Only an empty audit's head has count 0, and its hash is the zero hash. */
    if (n == 0 && strcmp(hash, ZERO_HASH) != 0)
        goto bad;
    *count = n;
    return 0;
bad:
    return jiku_err_set(err, JIKU_E_USAGE, "malformed audit head '%s': expected HASH:COUNT",
                        head != NULL ? head : "");
}

/* Point REC's fields into the current row of ST (valid until the next step). */
static void
row_to_record(sqlite3_stmt *st, struct jiku_audit_record *rec)
{
    const char **strs[] = {&rec->event,  &rec->actor,   &rec->customer, &rec->tier,
                           &rec->target, &rec->action,  &rec->decision, &rec->reason,
                           &rec->source, &rec->artifact};
    const unsigned char *h;

    memset(rec, 0, sizeof(*rec));
    rec->seq = sqlite3_column_int64(st, 0);
    rec->time = (time_t)sqlite3_column_int64(st, 1);
    rec->run_id = sqlite3_column_int64(st, 2);
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        *strs[i] = sqlite3_column_type(st, (int)i + 3) == SQLITE_NULL
                       ? NULL
                       : (const char *)sqlite3_column_text(st, (int)i + 3);
    rec->dry_run = sqlite3_column_int(st, 13) != 0;
    if ((h = sqlite3_column_text(st, 14)) != NULL && strlen((const char *)h) == HASH_HEX)
        memcpy(rec->prev_hash, h, HASH_HEX + 1);
    if ((h = sqlite3_column_text(st, 15)) != NULL && strlen((const char *)h) == HASH_HEX)
        memcpy(rec->hash, h, HASH_HEX + 1);
}

int
jiku_audit_verify(struct jiku_catalog *cat, const char *head, int64_t *n_checked,
                  struct jiku_err *err)
{
    static const char sql[] = "SELECT " AUDIT_COLUMNS " FROM audit ORDER BY seq";
    static const char what[] = "read the audit";
    struct jiku_audit_record rec;
    sqlite3_stmt *st = NULL;
    char prev[65] = ZERO_HASH, want[65], head_hash[65] = "", got[65] = "";
    int64_t expect = 1, head_count = -1;
    EVP_MD_CTX *ctx = NULL;
    int r = 0, rc;

    if (n_checked != NULL)
        *n_checked = 0;
    if (head != NULL && (r = jiku_audit_head_parse(head, head_hash, &head_count, err)) != 0)
        return r;
    if ((ctx = EVP_MD_CTX_new()) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    if ((rc = sqlite3_prepare_v2(jiku_catalog_db(cat), sql, -1, &st, NULL)) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, rc, what, err);
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row_to_record(st, &rec);
        if (rec.seq > expect) {
            r = jiku_err_set(err, JIKU_E_DATA, "missing audit record %" PRId64, expect);
            goto out;
        }
        if (rec.seq != expect) {
            r = jiku_err_set(err, JIKU_E_DATA, "audit record %" PRId64 " is out of sequence",
                             rec.seq);
            goto out;
        }
        if (strcmp(rec.prev_hash, prev) != 0) {
            r = jiku_err_set(err, JIKU_E_DATA,
                             "audit record %" PRId64 " is broken: prev_hash does not match "
                             "record %" PRId64,
                             rec.seq, rec.seq - 1);
            goto out;
        }
        if ((r = hash_record(ctx, &rec, want)) != 0) {
            r = jiku_err_set(err, r, "cannot hash audit record %" PRId64, rec.seq);
            goto out;
        }
        if (!is_hex64(rec.hash) || strcmp(rec.hash, want) != 0) {
            r = jiku_err_set(err, JIKU_E_DATA, "audit record %" PRId64 " is broken: hash mismatch",
                             rec.seq);
            goto out;
        }
        if (rec.seq == head_count)
            memcpy(got, rec.hash, sizeof(got));
        memcpy(prev, rec.hash, sizeof(prev));
        expect++;
        if (n_checked != NULL)
            *n_checked = rec.seq;
    }
    if (rc != SQLITE_DONE) {
        r = jiku_catalog_fail(cat, rc, what, err);
        goto out;
    }
    if (head_count > expect - 1) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "audit chain ends at record %" PRId64 " but the logged head names "
                         "record %" PRId64,
                         expect - 1, head_count);
        goto out;
    }
    if (head_count > 0 && strcmp(got, head_hash) != 0) {
        r = jiku_err_set(err, JIKU_E_DATA,
                         "audit record %" PRId64 " is broken: hash does not match the logged head",
                         head_count);
        goto out;
    }
    r = 0;
out:
    sqlite3_finalize(st);
    EVP_MD_CTX_free(ctx);
    return r;
}

int
jiku_audit_each(struct jiku_catalog *cat, const char *target, time_t since, jiku_audit_cb cb,
                void *arg, struct jiku_err *err)
{
    static const char sql[] = "SELECT " AUDIT_COLUMNS " FROM audit "
                              "WHERE (?1 IS NULL OR target = ?1) AND time >= ?2 "
                              "ORDER BY seq DESC";
    static const char what[] = "read the audit";
    struct jiku_audit_record rec;
    sqlite3_stmt *st = NULL;
    int r = 0, rc;

    if ((rc = sqlite3_prepare_v2(jiku_catalog_db(cat), sql, -1, &st, NULL)) != SQLITE_OK)
        return jiku_catalog_fail(cat, rc, what, err);
    if ((rc = jiku_catalog_bind_text(st, 1, target)) != SQLITE_OK ||
        (rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)since)) != SQLITE_OK) {
        r = jiku_catalog_fail(cat, rc, what, err);
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row_to_record(st, &rec);
        if ((r = cb(&rec, arg)) != 0) {
            /* A negative answer is the callback's error status; a positive one just stops. */
            r = r < 0 ? r : 0;
            goto out;
        }
    }
    if (rc != SQLITE_DONE)
        r = jiku_catalog_fail(cat, rc, what, err);
out:
    sqlite3_finalize(st);
    return r;
}
