/*
 * The catalog (docs/ARCHITECTURE.md, "State"): state_dir/state.db, SQLite in WAL mode, schema
 * versioned and migrated forward.  Runs, operations and artifacts live here; the audit (audit.h)
 * shares the database.  One struct jiku_catalog per thread, or guarded by the caller: SQLite
 * connections are opened with SQLITE_OPEN_FULLMUTEX so that sharing one is safe, if serialised.
 */
#ifndef JIKU_CATALOG_H
#define JIKU_CATALOG_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "jiku/buf.h"
#include "jiku/err.h"
#include "jiku/plugin.h"

struct sqlite3;
struct jiku_catalog;

enum jiku_artifact_status {
    JIKU_ART_PENDING = 0,
    JIKU_ART_GOOD = 1,
    JIKU_ART_FAILED = 2,
    JIKU_ART_PRUNED = 3,
};

struct jiku_artifact {
    char *id;
    char *customer;
    char *target; /* "customer/name" */
    enum jiku_artifact_kind kind;
    char *server;      /* server name the panel copy lives on */
    char *panel;       /* "cpanel" | "plesk" */
    char *location;    /* panel reference, NULL when gone from the server */
    char *backup_path; /* NULL for a snapshot */
    uint64_t size;
    char *md5;
    char *sha256;
    char *warnings;
    time_t created;
    enum jiku_artifact_status status;
    bool pinned;
    bool in_use; /* referenced by a running operation (not stored; set by the caller) */
};

void jiku_artifact_release(struct jiku_artifact *a);

struct jiku_artifact_list {
    struct jiku_artifact *items;
    size_t n;
};

void jiku_artifact_list_release(struct jiku_artifact_list *l);

/*
 * The location of every artifact on SERVER the catalog still knows (not pruned), as a
 * NULL-terminated array the caller frees with jiku_strv_free.
 */
int jiku_catalog_server_locations(struct jiku_catalog *cat, const char *server, char ***out,
                                  struct jiku_err *err);
/* Free a NULL-terminated array of malloc()ed strings and the array (NULL-safe). */
void jiku_strv_free(char **v);

/* Open (creating and migrating) STATE_DIR/state.db; creates STATE_DIR 0700 when missing. */
int jiku_catalog_open(const char *state_dir, struct jiku_catalog **out, struct jiku_err *err);
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

/* Every operation of RUN_ID still "running" becomes "interrupted". */
int jiku_catalog_ops_interrupt(struct jiku_catalog *cat, int64_t run_id, struct jiku_err *err);

/*
 * Artifact ids: YYYYMMDDTHHMMSSZ.CUSTOMER.NAME.K, with .2, .3... when the id is taken.
 * The returned id is reserved by inserting a pending row; the caller owns *ID.
 */
int jiku_catalog_artifact_reserve(struct jiku_catalog *cat, const struct jiku_artifact *proto,
                                  char **id, struct jiku_err *err);
/* Update every column of the row A->id from A (status, location, checksums...). */
int jiku_catalog_artifact_update(struct jiku_catalog *cat, const struct jiku_artifact *a,
                                 struct jiku_err *err);
/* Remove a row (a reserved id whose operation failed leaves no artifact row). */
int jiku_catalog_artifact_delete(struct jiku_catalog *cat, const char *id, struct jiku_err *err);
/* Insert a complete row (catalog rebuild). JIKU_E_DATA if the id exists. */
int jiku_catalog_artifact_insert(struct jiku_catalog *cat, const struct jiku_artifact *a,
                                 struct jiku_err *err);
int jiku_catalog_artifact_get(struct jiku_catalog *cat, const char *id, struct jiku_artifact *out,
                              struct jiku_err *err);
/* Newest first; TARGET and CUSTOMER may be NULL (no filter). Pruned rows only with ALL. */
int jiku_catalog_artifact_list(struct jiku_catalog *cat, const char *target, const char *customer,
                               bool all, struct jiku_artifact_list *out, struct jiku_err *err);
int jiku_catalog_artifact_pin(struct jiku_catalog *cat, const char *id, bool pinned,
                              struct jiku_err *err);

/* The plugin's view of A (borrowing A's strings). */
void jiku_artifact_ref_of(const struct jiku_artifact *a, struct jiku_artifact_ref *ref);

/* Format an id for TARGET ("customer/name") at T; caller owns the result. */
char *jiku_artifact_id_format(const char *target, enum jiku_artifact_kind kind, time_t t);
const char *jiku_artifact_kind_name(enum jiku_artifact_kind kind);   /* "snapshot" ... */
const char *jiku_artifact_status_name(enum jiku_artifact_status st); /* "good" ... */
/* The inverses of the two above: 0, or JIKU_E_DATA for an unknown name. */
int jiku_artifact_kind_parse(const char *s, enum jiku_artifact_kind *out);
int jiku_artifact_status_parse(const char *s, enum jiku_artifact_status *out);
/* TARGET is "customer/name", both names [a-z0-9][a-z0-9-]{0,62}. */
bool jiku_artifact_target_valid(const char *target);
/* ID has the form jiku_artifact_id_format makes, with an optional .2 ... .999 suffix. */
bool jiku_artifact_id_valid(const char *id);

#endif
