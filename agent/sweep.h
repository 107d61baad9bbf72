/*
 * What operations leave in a server's snapshot_dir.  The plugins lay it out as
 * snapshot_dir/OWNER/ID/ (OWNER: a cPanel user, a Plesk domain, an application's account; ID:
 * an artifact id or, for a clone's relay, an operation's name), snapshot_dir/.jobs/OPNAME/STEP
 * for detached jobs, and records of their own under other dot-directories (.staging, an
 * account's .jiku-domains), which are never touched here.  Panel-agnostic: only names and ages.
 */
#ifndef JIKU_SWEEP_H
#define JIKU_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "catalog.h"
#include "config.h"
#include "jiku/buf.h"
#include "ssh.h"

/* The sweep leaves alone what changed in the last day: a job may still be writing there. */
#define JIKU_SWEEP_MIN_AGE (24 * 3600)

/*
 * The directories SRV's snapshot_dir holds at depth 2 (not through links) named one of the
 * N NAMES ([A-Za-z0-9._-] words): what an operation with those names left there.  FOUND gets
 * one path per line.  0 with nothing found when snapshot_dir does not exist.
 */
int jiku_sweep_find_named(struct jiku_ssh *ssh, const struct jiku_server_conf *srv,
                          const char *const *names, size_t n, struct jiku_buf *found,
                          struct jiku_err *err);

/*
 * Sweep SRV's snapshot_dir: remove (list, when DRY_RUN) each directory of the agent's naming
 * (an artifact id or an operation's name at depth 2, snapshot_dir/.jobs/OPNAME included) that
 * no catalog row knows and that is older than MIN_AGE seconds.  Known: a directory that is or
 * holds an artifact's location, lies in an artifact's own directory, is named after a pending
 * or good artifact that is on the server, or carries the name of a running operation.
 * Refuses (JIKU_E_FAILED) a snapshot_dir that is a link, or not root's with mode 0700 or
 * 0711: only there can a root rm not be turned against something else.  DETAILS gets one
 * line per directory removed, or kept that an interrupted operation recorded as left.
 * *SWEPT is false when the catalog knows nothing of the agent's in that snapshot_dir (no
 * artifact located there, no leftovers recorded there): then the server is not asked.
 */
int jiku_sweep_server(struct jiku_ssh *ssh, struct jiku_catalog *cat,
                      const struct jiku_server_conf *srv, bool dry_run, time_t min_age, bool *swept,
                      struct jiku_buf *details, struct jiku_err *err);

#endif
