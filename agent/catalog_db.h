/*
 * What catalog.c shares with audit.c and the tests, beyond catalog.h: SQLite error mapping,
 * transactions, and the schema's migration steps.
 */
#ifndef JIKU_CATALOG_DB_H
#define JIKU_CATALOG_DB_H

#include "catalog.h"

/* How long a statement waits for another agent process's write transaction. */
#define JIKU_CATALOG_BUSY_MS 15000

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

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK (rollback never fails: it is only used on error paths). */
int jiku_catalog_begin(struct jiku_catalog *cat, const char *what, struct jiku_err *err);
int jiku_catalog_commit(struct jiku_catalog *cat, const char *what, struct jiku_err *err);
void jiku_catalog_rollback(struct jiku_catalog *cat);

/* Migration step I takes the schema from version I to I + 1; the last version is the count. */
extern const char *const jiku_catalog_migrations[];
extern const int jiku_catalog_schema_latest;

#endif
