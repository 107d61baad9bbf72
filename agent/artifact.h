/*
 * Artifacts (artifact.c): snapshots and backups as the catalog records them, their ids, names
 * and rows in state.db (catalog.h opens it).
 */
#ifndef JIKU_ARTIFACT_H
#define JIKU_ARTIFACT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "jiku/err.h"
#include "jiku/plugin.h"

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

/*
 * The catalog's part of prune's sweep (sweep.c).  Whether an artifact on SERVER, of any
 * status, has its location under directory DIR.
 */
int jiku_catalog_server_uses_dir(struct jiku_catalog *cat, const char *server, const char *dir,
                                 bool *used, struct jiku_err *err);
/*
 * Whether the catalog knows directory PATH on SERVER, NAME being its last component: an
 * artifact's location (any status) is PATH or lies in it, or PATH lies in the location's own
 * directory; or artifact NAME is pending, or good with a location.
 */
int jiku_catalog_dir_known(struct jiku_catalog *cat, const char *server, const char *path,
                           const char *name, bool *known, struct jiku_err *err);

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
