/*
 * The secret store: the servers' API token and password files, each read once per run into a
 * page of its own that is locked in memory (mlock), kept out of core dumps, made read-only
 * once filled, and wiped at exit.
 *
 * A file is opened with O_NOFOLLOW and checked on that descriptor (fstat): a regular file,
 * owned by root or the running user, nothing for group and others.  Reading goes straight into
 * the page; no growing buffer ever holds a secret.  Workers share the store: the first caller
 * loads a file under the store's lock, later ones copy from the page.  A failure is kept as
 * well, so a bad file is reported the same way to every caller without opening it again.
 *
 * The SSH private key is not here: libssh2 reads it itself, by path
 * (libssh2_userauth_publickey_fromfile_ex in ssh_conn.c); the configuration checks its owner
 * and mode when it is loaded.
 */
#ifndef JIKU_SECRET_H
#define JIKU_SECRET_H

#include <stdbool.h>

#include "jiku/buf.h"
#include "jiku/err.h"

/* The largest secret a file may hold, trailing whitespace included. */
#define JIKU_SECRET_MAX 4095

/*
 * Copy the secret of the file PATH into OUT (empty on entry: one allocation of the secret's
 * size, released by the caller with jiku_buf_release_secure).  WHAT names the file in
 * messages ("token file").  The file is read on the first call for PATH in this run; trailing
 * whitespace is dropped.  0, or JIKU_E_CONFIG (missing, a link, not regular, wrong owner or
 * mode, empty, too large, unreadable), JIKU_E_NOMEM.  Thread-safe.
 */
int jiku_secret_get(const char *path, const char *what, struct jiku_buf *out, struct jiku_err *err);

/*
 * systemd's credentials (jiku-agent.conf(5), "Secrets"): a secret key's value "cred:NAME" is the
 * file NAME in $CREDENTIALS_DIRECTORY, which systemd fills for a service with LoadCredential=
 * or LoadCredentialEncrypted= (packaging/systemd/credentials.conf.example).
 */
#define JIKU_CRED_PREFIX "cred:"
/* Whether NAME (after "cred:") is one: [A-Za-z0-9_.-]+, neither "." nor "..". */
bool jiku_secret_cred_name_ok(const char *name);
/*
 * The mode bits a secret file at PATH must not have: none for group and others, except in
 * $CREDENTIALS_DIRECTORY, where systemd may make a credential 0440 for the service's group in
 * a directory only the service can enter: there group read is no leak.
 */
unsigned jiku_secret_forbidden_mode(const char *path);

/* Wipe and unmap every secret; the next jiku_secret_get reads its file again. */
void jiku_secret_wipe_all(void);

/* How many times this process opened a secret file (for tests: once per file and run). */
unsigned jiku_secret_opens(void);

#endif
