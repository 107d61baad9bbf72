/*
 * What catalog.c shares with audit.c and the tests, beyond catalog.h: SQLite error mapping,
 * transactions, and the schema's migration steps.
 */
#ifndef JIKU_CATALOG_DB_H
#define JIKU_CATALOG_DB_H

#include <stdbool.h>

#include "catalog.h"

struct sqlite3_stmt;

/* How long a statement waits for another agent process's write transaction. */
#define JIKU_CATALOG_BUSY_MS 15000

/* Change that wait (jiku_catalog_open sets JIKU_CATALOG_BUSY_MS); for tests. */
void jiku_catalog_set_busy_timeout(struct jiku_catalog *cat, int ms);

/*
 * Map SQLite result code RC to a status and set ERR to "cannot WHAT in state database
 * 'PATH': SQLITE MESSAGE" ("cannot open state database 'PATH': ..." when WHAT is NULL, and a
 * plain "stayed locked" message for SQLITE_BUSY).  Returns the
 * status: JIKU_E_BUSY, JIKU_E_IO (full, I/O, permissions), JIKU_E_DATA (corrupt, not a
 * database, schema or constraint trouble), JIKU_E_NOMEM or JIKU_E_FAILED.
 */
int jiku_catalog_fail(struct jiku_catalog *cat, int rc, const char *what, struct jiku_err *err);
int jiku_catalog_status(int rc);

/* Path of state.db. Borrowed. */
const char *jiku_catalog_path(const struct jiku_catalog *cat);

/*
 * BEGIN IMMEDIATE / COMMIT / ROLLBACK (rollback never fails: it is only used on error paths).
 * SYNCED: the commit reaches the disk (the WAL is synced) before jiku_catalog_commit returns,
 * and with it every earlier commit; otherwise it survives a crash of the process only, until
 * the next synced commit or checkpoint.
 */
int jiku_catalog_begin(struct jiku_catalog *cat, bool synced, const char *what,
                       struct jiku_err *err);
int jiku_catalog_commit(struct jiku_catalog *cat, const char *what, struct jiku_err *err);
void jiku_catalog_rollback(struct jiku_catalog *cat);
/* This thread holds a transaction on CAT (between jiku_catalog_begin and its end). */
bool jiku_catalog_in_tx(const struct jiku_catalog *cat);
/*
 * The transaction this thread began on CAT is gone: ended by a failed commit, or rolled back by
 * SQLite itself (a full disk, an I/O error).  What was written in it is not in the database.
 */
bool jiku_catalog_tx_lost(const struct jiku_catalog *cat);
/*
 * Send LINE to syslog once the transaction this thread holds on CAT commits, never if it rolls
 * back: syslog must not name a row the database lacks.  0 or JIKU_E_NOMEM.
 */
int jiku_catalog_log_on_commit(struct jiku_catalog *cat, const char *line);

/* sqlite3_prepare_v2, failing through jiku_catalog_fail with WHAT. */
int jiku_catalog_prepare(struct jiku_catalog *cat, const char *sql, struct sqlite3_stmt **st,
                         const char *what, struct jiku_err *err);
/* Bind S (copied) or, when NULL, SQL NULL: absent values stay distinct from empty ones. */
int jiku_catalog_bind_text(struct sqlite3_stmt *st, int i, const char *s);
/* Step a statement that returns no rows; 0 or jiku_catalog_fail's status. */
int jiku_catalog_step_done(struct jiku_catalog *cat, struct sqlite3_stmt *st, const char *what,
                           struct jiku_err *err);
/* A copy of text column I into *OUT (NULL for SQL NULL); false when out of memory. */
bool jiku_catalog_column_dup(struct sqlite3_stmt *st, int i, char **out);

/* Migration step I takes the schema from version I to I + 1; the last version is the count. */
extern const char *const jiku_catalog_migrations[];
extern const int jiku_catalog_schema_latest;

#endif
