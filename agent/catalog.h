/*
 * The catalog (docs/ARCHITECTURE.md, "State"): state_dir/state.db, SQLite in WAL mode, schema
 * versioned and migrated forward.  Runs and operations live here, artifacts in artifact.h; the
 * audit (audit.h) shares the database.  One struct jiku_catalog per thread, or guarded by the
 * caller: SQLite connections are opened with SQLITE_OPEN_FULLMUTEX so that sharing one is safe,
 * if serialised.
 */
#ifndef JIKU_CATALOG_H
#define JIKU_CATALOG_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "jiku/buf.h"
#include "jiku/err.h"

struct sqlite3;
struct jiku_catalog;

/* Open (creating and migrating) STATE_DIR/state.db; creates STATE_DIR 0700 when missing. */
int jiku_catalog_open(const char *state_dir, struct jiku_catalog **out, struct jiku_err *err);
/*
 * Open STATE_DIR/state.db for reading only, as it is: an error when it does not exist or is not
 * at this agent's schema (nothing is created or migrated).  For lookups such as completion.
 */
int jiku_catalog_open_read_only(const char *state_dir, struct jiku_catalog **out,
                                struct jiku_err *err);
void jiku_catalog_close(struct jiku_catalog *cat);
/* The connection, for audit.c. Borrowed. */
struct sqlite3 *jiku_catalog_db(struct jiku_catalog *cat);
int jiku_catalog_schema_version(struct jiku_catalog *cat);

/* Runs. */
int jiku_catalog_run_begin(struct jiku_catalog *cat, const char *command, const char *actor,
                           bool dry_run, int64_t *run_id, struct jiku_err *err);
int jiku_catalog_run_end(struct jiku_catalog *cat, int64_t run_id, int exit_code,
                         struct jiku_err *err);

/* Operations: status "running" until ended with ok|failed|denied|interrupted|skipped. */
int jiku_catalog_op_begin(struct jiku_catalog *cat, int64_t run_id, const char *target,
                          const char *action, int64_t *op_id, struct jiku_err *err);
int jiku_catalog_op_end(struct jiku_catalog *cat, int64_t op_id, const char *status, int exit_code,
                        const char *error, const char *artifact_id, struct jiku_err *err);
/*
 * As jiku_catalog_op_begin, recording a fresh random nonce (JIKU_NONCE_SIZE - 1 hex digits,
 * from getrandom) with the operation; the nonce is copied to NONCE.  The nonce ends the name
 * the operation's directories carry on a server (jiku_catalog_op_name).
 */
#define JIKU_NONCE_SIZE 17
int jiku_catalog_op_begin_nonce(struct jiku_catalog *cat, int64_t run_id, const char *target,
                                const char *action, char nonce[JIKU_NONCE_SIZE], int64_t *op_id,
                                struct jiku_err *err);
/* Operation OP_ID with NONCE is in the catalog (a run that lost its planning asks). */
bool jiku_catalog_op_exists(struct jiku_catalog *cat, int64_t op_id, const char *nonce);
/* 16 random hex digits and a NUL into NONCE. */
int jiku_catalog_nonce_new(char nonce[JIKU_NONCE_SIZE], struct jiku_err *err);
/*
 * The operation id plugins get, which names its directories on servers: "jiku-op-RUN-OP-NONCE"
 * ("jiku-op-RUN-OP" for an operation without a nonce).  OUT is reset first; 0 or JIKU_E_NOMEM.
 */
int jiku_catalog_op_name(int64_t run_id, int64_t op_id, const char *nonce, struct jiku_buf *out);
/* Record what operation OP_ID left on servers ("SERVER:PATH" lines; NULL: nothing). */
int jiku_catalog_op_leftovers(struct jiku_catalog *cat, int64_t op_id, const char *leftovers,
                              struct jiku_err *err);

/* What the sweep of prune must know of operations: the running ones and their leftovers. */
struct jiku_op_mark {
    int64_t op_id;
    char *name;      /* jiku_catalog_op_name of the operation */
    bool running;    /* status running in a run that has not ended */
    char *leftovers; /* as recorded, or NULL */
};

struct jiku_op_marks {
    struct jiku_op_mark *items;
    size_t n;
};

/* Every running operation and every operation that recorded leftovers; OUT is the caller's. */
int jiku_catalog_op_marks(struct jiku_catalog *cat, struct jiku_op_marks *out,
                          struct jiku_err *err);
void jiku_op_marks_release(struct jiku_op_marks *m);

/*
 * When the artifact ID of TARGET was last found intact: the end of the newest 'verify'
 * operation on it that ended ok, or 0 in *OUT when none did (jiku-agent(8), verify).  TARGET
 * keeps the lookup on the target's index, whatever the size of the catalog.
 */
int jiku_catalog_artifact_verified(struct jiku_catalog *cat, const char *target, const char *id,
                                   time_t *out, struct jiku_err *err);

/* Every operation of RUN_ID still "running" becomes "interrupted". */
int jiku_catalog_ops_interrupt(struct jiku_catalog *cat, int64_t run_id, struct jiku_err *err);

#endif
