/*
 * Backup manifests (docs/ARCHITECTURE.md, "State"): BACKUP_DIR/.../manifest.json beside each
 * archive, so that `catalog rebuild` can recreate the artifact catalog after state.db is lost.
 */
#ifndef JIKU_MANIFEST_H
#define JIKU_MANIFEST_H

#include "artifact.h"
#include "jiku/err.h"

#define JIKU_MANIFEST_NAME "manifest.json"
/* A manifest is a few hundred bytes; anything near this is not one. */
#define JIKU_MANIFEST_MAX (1024 * 1024)

/*
 * Write DIR/manifest.json for A (id, customer, target, kind, panel, server, created, size,
 * md5, sha256, agent_version and archive, the file name of A->backup_path) through a 0600
 * temp file, fsync and rename, so a crash leaves the old manifest or the new one.
 * JIKU_E_INVAL when A lacks a field, JIKU_E_IO when the file cannot be written.
 */
int jiku_manifest_write(const char *dir, const struct jiku_artifact *a, const char *agent_version,
                        struct jiku_err *err);

/*
 * Read and check the manifest at PATH: every key present with its type, the id well-formed
 * and agreeing with target, kind and created, checksums lowercase hex, the archive a plain
 * file name.  Unknown keys are ignored (later versions may add some).  OUT gets id, customer,
 * target, kind, panel, server, created, size, md5, sha256, status pending and no
 * backup_path; *ARCHIVE_NAME the archive's file name.  The caller owns both (release OUT with
 * jiku_artifact_release).  JIKU_E_NOTFOUND when PATH does not exist, JIKU_E_IO when it cannot
 * be read, JIKU_E_DATA for anything malformed.
 */
int jiku_manifest_read(const char *path, struct jiku_artifact *out, char **archive_name,
                       struct jiku_err *err);

#endif
