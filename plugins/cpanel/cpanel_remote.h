/*
 * What only cPanel checks over the host's SSH (remote.c): its user names, the disk use WHM
 * reports, free space and files under snapshot_dir/USER.  The panels' common remote rules are
 * plugins/common/remote.h.
 */
#ifndef JIKU_CPANEL_REMOTE_H
#define JIKU_CPANEL_REMOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "jiku/err.h"
#include "jiku/plugin.h"

/* ^[a-z][a-z0-9]{0,15}$ (paths, components, remote commands: plugins/common/remote.h) */
bool cpanel_valid_user(const char *s);

/* "14M", "14.5 MB", "1024K", "3G", "123" (MiB when no unit: cPanel reports megabytes). */
int cpanel_parse_disk_used(const char *s, uint64_t *bytes, struct jiku_err *err);
/* Available bytes from `df -P -k` output. */
int cpanel_parse_df(const char *out, uint64_t *avail, struct jiku_err *err);

/* Free bytes on the filesystem of PATH. */
int cpanel_remote_free(struct jiku_op *op, const struct jiku_server_info *server, const char *path,
                       uint64_t *avail, struct jiku_err *err);
/* 1 when a regular file exists at PATH, 0 when not. */
int cpanel_remote_exists(struct jiku_op *op, const struct jiku_server_info *server,
                         const char *path, struct jiku_err *err);

/* snapshot_dir/U and snapshot_dir/U/ID into malloc()ed strings; JIKU_E_INVAL when invalid. */
int cpanel_snapshot_paths(const struct jiku_server_info *server, const char *user, const char *id,
                          char **user_dir, char **id_dir, struct jiku_err *err);

#endif
