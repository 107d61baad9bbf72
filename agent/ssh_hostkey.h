/*
 * Private to ssh.c and ssh_hostkey.c: what known_hosts says about a server, the check of the
 * key a session was offered, and its fingerprint.
 */
#ifndef JIKU_SSH_HOSTKEY_H
#define JIKU_SSH_HOSTKEY_H

#include <stddef.h>

#include <libssh2.h>

#include "config.h"
#include "jiku/err.h"
#include "ssh_conn.h"

/* "SHA256:" + 43 base64 characters + NUL, with room to spare. */
#define SSH_FP_MAX 64

/* Host-key methods to prefer: from SRV's known_hosts, or NULL for libssh2's default. */
struct ssh_hostkey_policy {
    LIBSSH2_SESSION *owner; /* libssh2 ties a known-hosts set to a session; unconnected */
    LIBSSH2_KNOWNHOSTS *kh;
    char *prefs; /* malloc; NULL when known_hosts holds no key for the host */
};

/* Load SRV's known_hosts and work out the host-key preference for SRV. */
int ssh_hostkey_policy_load(const struct jiku_server_conf *srv, struct ssh_hostkey_policy *pol,
                            struct jiku_err *err);
void ssh_hostkey_policy_release(struct ssh_hostkey_policy *pol);
/* 0 when the offered key is a MATCH in POL; JIKU_E_HOSTKEY naming its fingerprint otherwise. */
int ssh_hostkey_verify(struct ssh_conn *c, const struct ssh_hostkey_policy *pol,
                       struct jiku_err *err);
/* The offered key's type name ("ssh-ed25519") and "SHA256:..." fingerprint. */
void ssh_hostkey_describe(struct ssh_conn *c, char *type, size_t type_len, char fp[SSH_FP_MAX]);

#endif
