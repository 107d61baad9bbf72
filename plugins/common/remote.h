/*
 * What both panel plugins do the same way on a panel server: the rules every remote path
 * passes first, commands built from quoted words, files and directories inside snapshot_dir,
 * detached jobs polled with a growing interval (docs/WIRE.md §1.2) (remote.c), and archives
 * checked on their way between a server, backup_dir and another server (transfer.c).  SERVER
 * is NULL for op->server wherever a function takes one.
 */
#ifndef JIKU_PLUG_REMOTE_H
#define JIKU_PLUG_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jiku/buf.h"
#include "jiku/err.h"
#include "jiku/host.h"
#include "jiku/plugin.h"

/* ---- errors and strings ------------------------------------------------------------------ */

/* JIKU_E_NOMEM with its message. */
int plug_nomem(struct jiku_err *err);
/* *DST = strdup(SRC) (the caller's) when SRC is not NULL; *DST untouched when it is. */
int plug_set_str(char **dst, const char *src, struct jiku_err *err);
/*
 * *OUT = the string FMT makes, the caller's; NULL after a failure.  0 or JIKU_E_NOMEM.  The
 * plugins' one way to a formatted malloc()ed string (jiku_buf underneath).
 */
int plug_strfmt(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- names and paths --------------------------------------------------------------------- */

/* Absolute, [A-Za-z0-9._+@/-] only, no empty, "." or ".." component, not "/". */
bool plug_valid_path(const char *s);
/* One path component of [A-Za-z0-9._+@-], not "." or "..", not starting with '-'. */
bool plug_valid_component(const char *s);
/* True when PATH lies strictly inside DIR (both valid paths). */
bool plug_path_inside(const char *path, const char *dir);

/* ---- mail accounts and application users ------------------------------------------------- */

/*
 * A word of the core's login parameters (plugin.h, struct jiku_login_params), checked again
 * where it is used: 1 to MAX bytes of [A-Za-z0-9] and EXTRA, never starting with '-' or '.' (an
 * option to the program it reaches, a hidden name).
 */
bool plug_valid_word(const char *s, size_t max, const char *extra);
/* Text of a panel's answer that may be shown to people: not empty, no control character. */
bool plug_printable(const char *s);
/*
 * ADDRESS as LOCAL@DOMAIN, both checked again (a local part of plug_valid_word's with "._+-",
 * at most 64 bytes; a host name): *LOCAL malloc()ed, *DOMAIN borrowed from ADDRESS.
 * JIKU_E_INVAL or JIKU_E_NOMEM.
 */
int plug_split_address(const char *address, char **local, const char **domain,
                       struct jiku_err *err);
/* Free N items (and their strings) as a plugin fills them into result->logins. */
void plug_login_items_free(struct jiku_login_item *items, size_t n);

/* ---- time -------------------------------------------------------------------------------- */

/* Milliseconds of the monotonic clock. */
int64_t plug_now_ms(void);
/* How long a job on SERVER may run: its timeout, two hours when none is configured. */
int64_t plug_timeout_ms(const struct jiku_server_info *server);
/* The poll pause for a job ELAPSED_MS old: a tenth of it, between 250 ms and POLL_MAX s. */
unsigned plug_poll_interval(int64_t elapsed_ms, int poll_max);

/* ---- commands ---------------------------------------------------------------------------- */

/*
 * Append WORDS (NULL-terminated), each quoted by jiku_buf_add_shell_word, separated by a space
 * and by one from what CMD held unless that ends in a space.  JIKU_E_NOMEM, without a message.
 */
int plug_words(struct jiku_buf *cmd, const char *const *words);

/* The exit status of the agent's own remote scripts for input they refuse (sysexits' DATAERR). */
#define PLUG_EXIT_DATA 65

/*
 * Run CMD on SERVER (MAX_OUTPUT 0: the core's default); a non-zero exit is JIKU_E_PANEL naming
 * WHAT with the last line that says something of stderr (else stdout) — JIKU_E_DATA for
 * PLUG_EXIT_DATA —, and output cut at MAX_OUTPUT is JIKU_E_DATA: no caller ever parses a
 * partial answer.  RES (may be NULL) is
 * the caller's to release on success; on failure it is released here.
 */
int plug_run(struct jiku_op *op, const struct jiku_server_info *server, const char *cmd, bool safe,
             size_t max_output, const char *what, struct jiku_exec_result *res,
             struct jiku_err *err);

/* ---- acting inside a customer's tree ----------------------------------------------------- */

/*
 * A customer runs code as the system user who owns their home, web space or site directory,
 * and can swap anything in that tree for a symbolic link at any moment.  So every command that
 * reads, writes, extracts, lists, renames or deletes there runs AS THAT USER, who can then only
 * reach what they could reach anyway; root only streams bytes between its own files in
 * snapshot_dir and such commands (`as_owner tar -xpzf - -C DIR <ARCHIVE`).  The user comes from
 * the panel's API (cPanel account, Plesk subscription's system user), never from the file
 * system.  The panels' own tools (pkgacct, restorepkg, pleskrestore, wp-toolkit) keep their
 * own privilege handling.  docs/SECURITY.md has the whole rule.
 */

/* A system user name as the panels make them: [a-z_][a-z0-9_.-]*, at most 32 bytes. */
bool plug_valid_user(const char *s);

/*
 * Append to CMD the shell prelude that defines `as_owner WORD…`: run WORD… as OWNER (uid and
 * gid looked up on the server; root or an unknown user ends the script with 70), from `/`,
 * with OWNER's supplementary groups.  JIKU_E_INVAL with a message for an invalid OWNER.
 */
int plug_owner_prelude(struct jiku_buf *cmd, const char *owner, struct jiku_err *err);
/* Append `as_owner WORDS…` (NULL-terminated, quoted) to CMD after a plug_owner_prelude. */
int plug_as_owner(struct jiku_buf *cmd, const char *const *words);
/*
 * Run the fixed shell SCRIPT as OWNER on SERVER, ARGS (NULL-terminated) its $1…; FEED, when not
 * NULL, is a command of root's whose output is piped into it (root reading its own files).
 * OWNER NULL runs SCRIPT as root: only for root's own files, in snapshot_dir or a panel's own
 * directories no customer can write (cPanel's pkgacct sessions).  As plug_run otherwise.
 */
int plug_run_as_owner(struct jiku_op *op, const struct jiku_server_info *server, const char *owner,
                      const char *feed, const char *script, const char *const *args,
                      size_t max_output, const char *what, struct jiku_exec_result *res,
                      struct jiku_err *err);
/*
 * As plug_run_as_owner without FEED, INPUT_LEN bytes of INPUT written to SCRIPT's stdin
 * (host->ssh_exec_input, host ABI 2.1): the one way a secret reaches a remote command, which
 * reads it with `IFS= read -r VAR` — never in an argument or a command line's environment
 * (docs/SECURITY.md).  SAFE as for ssh_exec.  JIKU_E_ABI when the core lends no
 * ssh_exec_input.  The caller wipes INPUT.
 */
int plug_run_as_owner_input(struct jiku_op *op, const struct jiku_server_info *server,
                            const char *owner, const char *script, const char *const *args,
                            const void *input, size_t input_len, bool safe, size_t max_output,
                            const char *what, struct jiku_exec_result *res, struct jiku_err *err);

/* ---- files inside snapshot_dir ----------------------------------------------------------- */

struct plug_digest {
    uint64_t size;
    char md5[33]; /* "" unless asked for */
    char sha256[65];
};

/*
 * Parse what plug_remote_digest's command prints: `md5sum F` (only when MD5), `sha256sum F`,
 * `stat -c %s F`, one a line.  JIKU_E_DATA for anything else.
 */
int plug_parse_digest(const char *out, bool md5, struct plug_digest *d, struct jiku_err *err);
/*
 * Size, sha256 and (when MD5) md5 of the remote regular file PATH (a symlink does not count);
 * JIKU_E_NOTFOUND when there is none.
 */
int plug_remote_digest(struct jiku_op *op, const struct jiku_server_info *server, const char *path,
                       bool md5, struct plug_digest *d, struct jiku_err *err);
/* As plug_remote_digest, computed by OWNER (NULL: root) for a file in OWNER's tree. */
int plug_remote_digest_as(struct jiku_op *op, const struct jiku_server_info *server,
                          const char *owner, const char *path, bool md5, struct plug_digest *d,
                          struct jiku_err *err);
/*
 * FILE in OWNER's tree copied into DEST, a new file of root's inside snapshot_dir (0600): the
 * owner reads, root only writes the stream.  An existing DEST is an error, never overwritten.
 */
int plug_copy_out(struct jiku_op *op, const char *owner, const char *file, const char *dest,
                  struct jiku_err *err);
/*
 * SRC, root's file inside snapshot_dir, copied to DIR/NAME in OWNER's tree by OWNER (DIR made
 * 0700 when missing; written under a temporary name, then renamed with mv -T): the new file is
 * the owner's, as if they had made it.
 */
int plug_copy_in(struct jiku_op *op, const char *owner, const char *src, const char *dir,
                 const char *name, struct jiku_err *err);
/* umask 077; mkdir -m 700 -p of every path given (NULL-terminated), all validated first. */
int plug_remote_mkdirs(struct jiku_op *op, const struct jiku_server_info *server,
                       const char *const *paths, struct jiku_err *err);
/* rm -rf PATH, which must lie inside SERVER's snapshot_dir: the one tree the agent owns. */
int plug_remote_remove(struct jiku_op *op, const struct jiku_server_info *server, const char *path,
                       struct jiku_err *err);
/* As plug_remote_remove, logging a failure instead of returning it; PATH may be NULL. */
void plug_remote_remove_quietly(struct jiku_op *op, const struct jiku_server_info *server,
                                const char *path);

/* ---- the agent's stage record ------------------------------------------------------------ */

/*
 * What `stage` made for op->target, recorded by the agent in its own tree:
 * snapshot_dir/.staging/CUSTOMER.NAME, KEY=VALUE lines (0600).  `unstage` removes only what
 * the record names; without one it removes nothing.
 */
/* The record's text into OUT (empty when there is none). */
int plug_stage_record_read(struct jiku_op *op, struct jiku_buf *out, struct jiku_err *err);
/* Write LINES (NULL-terminated "KEY=VALUE") as the record, replacing any (temp name, rename). */
int plug_stage_record_write(struct jiku_op *op, const char *const *lines, struct jiku_err *err);
void plug_stage_record_remove(struct jiku_op *op);
/* The value of KEY in RECORD (KEY=VALUE lines; the last one wins), malloc()ed, or NULL. */
char *plug_record_get(const char *record, const char *key);
/* Every stage record on op->server, one after the other, into OUT (empty when none). */
int plug_stage_records_all(struct jiku_op *op, struct jiku_buf *out, struct jiku_err *err);
/* True when some line of RECORDS is exactly KEY=VALUE. */
bool plug_records_have(const char *records, const char *key, const char *value);

/* ---- detached jobs ----------------------------------------------------------------------- */

/* SERVER's snapshot_dir/.jobs/OPERATION_ID/STEP into *OUT (malloc()ed). */
int plug_job_dir(const struct jiku_server_info *server, const char *operation_id, const char *step,
                 char **out, struct jiku_err *err);
/*
 * Start CMD detached in JOB_DIR on SERVER and poll it to its end with plug_poll_interval,
 * reporting progress, giving up after the server's timeout (JIKU_E_PANEL).  A non-zero exit is
 * JIKU_E_PANEL naming WHAT with the last line of the job's log.  A finished job's directory is
 * removed.  CANCELLABLE: a job past the timeout is stopped (its process group killed); others
 * are left to finish.  *LEFT_RUNNING (may be NULL) is set when the job may still be running
 * after a failure (ambiguous start, lost connection, interruption, timeout).
 */
int plug_job_run(struct jiku_op *op, const struct jiku_server_info *server, const char *job_dir,
                 const char *cmd, const char *what, bool cancellable, bool *left_running,
                 struct jiku_err *err);

/* ---- transfer.c: archives between a server, backup_dir and another server --------------- */

/*
 * 0 when D, the digest of PATH on op->server, matches what the catalog says of A (its size,
 * sha256 and md5, each when both sides have one); JIKU_E_DATA naming PATH otherwise.
 */
int plug_check_catalog(struct jiku_op *op, const struct jiku_artifact_ref *a, const char *path,
                       const struct plug_digest *d, struct jiku_err *err);
/*
 * SFTP download of FILE on SERVER to LOCAL, checked against D (what the server computed: size,
 * sha256, and md5 when D has one).  A mismatch is JIKU_E_DATA and removes LOCAL.  X gets what
 * the transfer computed.
 */
int plug_download(struct jiku_op *op, const struct jiku_server_info *server, const char *file,
                  const struct plug_digest *d, const char *local, struct jiku_xfer_result *x,
                  struct jiku_err *err);

/* Where an artifact's archive goes on a server.  Borrowed. */
struct plug_place {
    const char *acct_dir; /* snapshot_dir/ACCOUNT */
    const char *dir;      /* snapshot_dir/ACCOUNT/ID, the artifact's own directory */
    const char *file;     /* dir/NAME, the archive */
    /* The directory an artifact's location must lie in; NULL: the caller checked it. */
    const char *location_root;
};

/*
 * Make sure artifact A's archive is on op->server: its own copy at A->location, re-checked with
 * plug_check_catalog (MD5: with an md5 too), or the backup in backup_dir uploaded to
 * PLACE->file (PLACE's directories made first) and checked by the catalog's sha256.  *ARCHIVE
 * gets the archive's path; *UPLOADED PLACE->dir when an upload made it, for the caller to remove
 * once done.  A dry run uploads nothing and leaves *ARCHIVE NULL.  A failed upload leaves
 * nothing behind.  Both malloc()ed.
 */
int plug_archive_on_server(struct jiku_op *op, const struct jiku_artifact_ref *a,
                           const struct plug_place *place, bool md5, char **archive,
                           char **uploaded, struct jiku_err *err);

/*
 * The details of a dry-run rollback whose archive plug_archive_on_server left in backup_dir:
 * what would be uploaded; the changes cannot be listed before.
 */
int plug_details_upload_first(struct jiku_op *op, const struct jiku_artifact_ref *a,
                              struct jiku_err *err);

/* A private 0700 directory under TMPDIR or /var/tmp into *OUT (malloc()ed; the caller rmdirs). */
int plug_local_tmpdir(char **out, struct jiku_err *err);
/*
 * Copy FILE of op->server (described by D, as the server computed it) to DEST's PLACE->file
 * through a private local directory: downloaded and checked, PLACE's directories made on DEST,
 * uploaded and checked by sha256 there.  Nothing is left locally; on failure nothing is left on
 * DEST either.
 */
int plug_relay(struct jiku_op *op, const struct jiku_server_info *dest, const char *file,
               const struct plug_digest *d, const struct plug_place *place, struct jiku_err *err);

#endif
