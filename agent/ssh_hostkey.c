/*
 * Host keys: known_hosts read line by line, the host-key method preference it gives,
 * the check where only MATCH proceeds, SHA256 fingerprints as OpenSSH prints them, and
 * `servers trust` enrolment of an offered key whose fingerprint the operator confirmed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "jiku/buf.h"
#include "log.h"
#include "ssh_hostkey.h"

static const struct {
    int hostkey_type; /* LIBSSH2_HOSTKEY_TYPE_* */
    int kh_type;      /* LIBSSH2_KNOWNHOST_KEY_* */
    const char *methods;
} key_types[] = {
    {LIBSSH2_HOSTKEY_TYPE_ED25519, LIBSSH2_KNOWNHOST_KEY_ED25519, "ssh-ed25519"},
    {LIBSSH2_HOSTKEY_TYPE_ECDSA_256, LIBSSH2_KNOWNHOST_KEY_ECDSA_256, "ecdsa-sha2-nistp256"},
    {LIBSSH2_HOSTKEY_TYPE_ECDSA_384, LIBSSH2_KNOWNHOST_KEY_ECDSA_384, "ecdsa-sha2-nistp384"},
    {LIBSSH2_HOSTKEY_TYPE_ECDSA_521, LIBSSH2_KNOWNHOST_KEY_ECDSA_521, "ecdsa-sha2-nistp521"},
    {LIBSSH2_HOSTKEY_TYPE_RSA, LIBSSH2_KNOWNHOST_KEY_SSHRSA, "rsa-sha2-512,rsa-sha2-256,ssh-rsa"},
    {LIBSSH2_HOSTKEY_TYPE_DSS, LIBSSH2_KNOWNHOST_KEY_SSHDSS, "ssh-dss"},
};

static int
kh_type_of(int hostkey_type)
{
    for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
        if (key_types[i].hostkey_type == hostkey_type)
            return key_types[i].kh_type;
    return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
}

static int
port_of(const struct jiku_server_conf *srv)
{
    return srv->info.ssh_port > 0 ? srv->info.ssh_port : 22;
}

int
ssh_hostkey_policy_load(const struct jiku_server_conf *srv, struct ssh_hostkey_policy *pol,
                        struct jiku_err *err)
{
    struct libssh2_knownhost *prev = NULL, *e;
    struct jiku_buf prefs = JIKU_BUF_INIT;
    bool held[sizeof(key_types) / sizeof(key_types[0])] = {false};
    FILE *f = NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int r = 0;

    memset(pol, 0, sizeof(*pol));
    if ((r = ssh_lib_init(err)) != 0)
        return r;
    if (srv->known_hosts == NULL)
        return jiku_err_set(err, JIKU_E_CONFIG, "server '%s' has no known_hosts", srv->info.name);
    if ((pol->owner = libssh2_session_init()) == NULL ||
        (pol->kh = libssh2_knownhost_init(pol->owner)) == NULL) {
        ssh_hostkey_policy_release(pol);
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }

    /*
     * Line by line rather than libssh2_knownhost_readfile, which stops at the first line it
     * cannot parse (a key type it does not know) and so would hide every entry after it.
     * A missing file holds no keys: the check then fails as NOTFOUND, naming the key.
     */
    if ((f = fopen(srv->known_hosts, "re")) == NULL) {
        if (errno != ENOENT) {
            r = jiku_err_set(err, JIKU_E_HOSTKEY, "cannot read known_hosts '%s': %s",
                             srv->known_hosts, strerror(errno));
            goto out;
        }
    } else {
        while ((n = getline(&line, &cap, f)) > 0) {
            const char *p = line;

            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == '#' || *p == '\n' || *p == '\0')
                continue;
            if (libssh2_knownhost_readline(pol->kh, line, (size_t)n,
                                           LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
                log_debug("known_hosts '%s': skipped a line libssh2 cannot read", srv->known_hosts);
        }
    }

    /* Which key types does the file hold for this host (hashed entries included)? */
    while (libssh2_knownhost_get(pol->kh, &e, prev) == 0) {
        int kt = e->typemask & LIBSSH2_KNOWNHOST_KEY_MASK;

        prev = e;
        for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++) {
            if (key_types[i].kh_type != kt || held[i] || e->key == NULL)
                continue;
            if (libssh2_knownhost_checkp(pol->kh, srv->info.host, port_of(srv), e->key, 0,
                                         LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                             LIBSSH2_KNOWNHOST_KEYENC_BASE64 | kt,
                                         NULL) == LIBSSH2_KNOWNHOST_CHECK_MATCH)
                held[i] = true;
        }
    }
    for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++) {
        if (!held[i])
            continue;
        if ((prefs.len > 0 && (r = jiku_buf_addch(&prefs, ',')) != 0) ||
            (r = jiku_buf_adds(&prefs, key_types[i].methods)) != 0) {
            jiku_err_set(err, r, "out of memory");
            goto out;
        }
    }
    if (prefs.len > 0)
        pol->prefs = jiku_buf_detach(&prefs);
out:
    if (f != NULL)
        fclose(f);
    free(line);
    jiku_buf_release(&prefs);
    if (r != 0)
        ssh_hostkey_policy_release(pol);
    return r;
}

void
ssh_hostkey_policy_release(struct ssh_hostkey_policy *pol)
{
    if (pol->kh != NULL)
        libssh2_knownhost_free(pol->kh);
    if (pol->owner != NULL)
        libssh2_session_free(pol->owner);
    free(pol->prefs);
    memset(pol, 0, sizeof(*pol));
}

void
ssh_hostkey_describe(struct ssh_conn *c, char *type, size_t type_len, char fp[SSH_FP_MAX])
{
    const unsigned char *hash;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    unsigned char b64[64];
    const unsigned char *key;
    size_t len = 0, n;
    int kt = 0;

    snprintf(type, type_len, "unknown");
    snprintf(fp, SSH_FP_MAX, "SHA256:?");
    key = (const unsigned char *)libssh2_session_hostkey(c->sess, &len, &kt);
    if (key == NULL)
        return;
    /* The blob starts with its type name as an SSH string. */
    if (len >= 4) {
        n = (size_t)key[0] << 24 | (size_t)key[1] << 16 | (size_t)key[2] << 8 | key[3];
        if (n > 0 && n < 64 && n <= len - 4)
            snprintf(type, type_len, "%.*s", (int)n, (const char *)key + 4);
    }
    hash = (const unsigned char *)libssh2_hostkey_hash(c->sess, LIBSSH2_HOSTKEY_HASH_SHA256);
    if (hash == NULL) {
        SHA256(key, len, digest);
        hash = digest;
    }
    /* OpenSSH prints the base64 without its padding. */
    n = (size_t)EVP_EncodeBlock(b64, hash, SHA256_DIGEST_LENGTH);
    while (n > 0 && b64[n - 1] == '=')
        n--;
    snprintf(fp, SSH_FP_MAX, "SHA256:%.*s", (int)n, (const char *)b64);
}

int
ssh_hostkey_verify(struct ssh_conn *c, const struct ssh_hostkey_policy *pol, struct jiku_err *err)
{
    const struct jiku_server_conf *srv = c->srv;
    char type[64], fp[SSH_FP_MAX];
    const char *key;
    size_t len = 0;
    int kt = 0, check;

    key = libssh2_session_hostkey(c->sess, &len, &kt);
    if (key == NULL)
        return jiku_err_set(err, JIKU_E_HOSTKEY, "server '%s' offered no host key", srv->info.name);
    check = libssh2_knownhost_checkp(
        pol->kh, srv->info.host, port_of(srv), key, len,
        LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | kh_type_of(kt), NULL);
    if (check == LIBSSH2_KNOWNHOST_CHECK_MATCH)
        return 0;
    ssh_hostkey_describe(c, type, sizeof(type), fp);
    if (check == LIBSSH2_KNOWNHOST_CHECK_NOTFOUND)
        return jiku_err_set(err, JIKU_E_HOSTKEY,
                            "host key for '%s' (%s:%d) is not in known_hosts '%s': offered %s %s",
                            srv->info.name, srv->info.host, port_of(srv), srv->known_hosts, type,
                            fp);
    return jiku_err_set(err, JIKU_E_HOSTKEY,
                        "host key for '%s' (%s:%d) does not match known_hosts '%s': offered %s %s",
                        srv->info.name, srv->info.host, port_of(srv), srv->known_hosts, type, fp);
}
/* Append "HOST TYPE BASE64" for the key C was offered to KNOWN_HOSTS. */
static int
append_known_host(struct ssh_conn *c, const char *known_hosts, struct jiku_err *err)
{
    const struct jiku_server_conf *srv = c->srv;
    struct jiku_buf line = JIKU_BUF_INIT;
    unsigned char *b64 = NULL;
    const unsigned char *key;
    char type[64], fp[SSH_FP_MAX], last = '\n';
    size_t len = 0;
    int fd = -1, kt = 0, r;

    key = (const unsigned char *)libssh2_session_hostkey(c->sess, &len, &kt);
    ssh_hostkey_describe(c, type, sizeof(type), fp);
    if ((b64 = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    EVP_EncodeBlock(b64, key, (int)len);
    /* Created 0600 when missing: only root has to read it (jiku-agent(8), servers trust). */
    if ((fd = open(known_hosts, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot open known_hosts '%s': %s", known_hosts,
                         strerror(errno));
        goto out;
    }
    /* Never glue our line onto a last line without its newline. */
    if (lseek(fd, -1, SEEK_END) >= 0 && read(fd, &last, 1) != 1)
        last = '\n';
    if (last != '\n' && (r = jiku_buf_addch(&line, '\n')) != 0)
        goto nomem;
    if (srv->info.ssh_port > 0 && srv->info.ssh_port != 22)
        r = jiku_buf_addf(&line, "[%s]:%d %s %s\n", srv->info.host, srv->info.ssh_port, type,
                          (const char *)b64);
    else
        r = jiku_buf_addf(&line, "%s %s %s\n", srv->info.host, type, (const char *)b64);
    if (r != 0)
        goto nomem;
    if (write(fd, line.data, line.len) != (ssize_t)line.len || fsync(fd) != 0) {
        r = jiku_err_set(err, JIKU_E_IO, "cannot write known_hosts '%s': %s", known_hosts,
                         strerror(errno));
        goto out;
    }
    log_info("server '%s': trusted host key %s %s in '%s'", srv->info.name, type, fp, known_hosts);
    r = 0;
    goto out;
nomem:
    r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
out:
    if (fd >= 0)
        close(fd);
    free(b64);
    jiku_buf_release(&line);
    return r;
}

/* Called with each offered key; 0 goes on, 1 stops (done), a negative status fails. */
typedef int (*offered_fn)(struct ssh_conn *c, const char *method, const char *type, const char *fp,
                          void *arg, struct jiku_err *err);

/*
 * Each host key SRV offers: libssh2 negotiates one key type per connection, so one handshake
 * per type with that type alone preferred; a type refused is skipped.  No authentication.
 * *REACHED counts the handshakes made; none at all is the connection's error.
 */
static int
each_offered_key(const struct jiku_server_conf *srv, int connect_timeout, offered_fn fn, void *arg,
                 int *reached, struct jiku_err *err)
{
    static const char *const methods[] = {
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "rsa-sha2-512,rsa-sha2-256,ssh-rsa",
    };
    int r;

    *reached = 0;
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        struct ssh_conn *c = NULL;
        char type[64], fp[SSH_FP_MAX];

        if ((r = ssh_conn_open(srv, connect_timeout, methods[i], &c, err)) != 0) {
            if (r == JIKU_E_INTERRUPTED)
                return r;
            /* The server has no key of this type (or could not be reached). */
            log_debug("%s", err->msg);
            continue;
        }
        (*reached)++;
        ssh_hostkey_describe(c, type, sizeof(type), fp);
        r = fn(c, methods[i], type, fp, arg, err);
        ssh_conn_close(c);
        if (r != 0)
            return r < 0 ? r : 0;
    }
    if (*reached > 0)
        return 0;
    jiku_err_prefix(err, "cannot fetch the host keys of '%s'", srv->info.name);
    r = err->status == JIKU_E_TRANSIENT ? JIKU_E_UNREACHABLE : err->status;
    err->status = r;
    return r;
}

struct trust_arg {
    const char *fingerprint;
    const struct ssh_hostkey_policy *pol;
    struct jiku_buf offered; /* the other keys, for the message when none matches */
    bool done;
};

static int
trust_key(struct ssh_conn *c, const char *method, const char *type, const char *fp, void *arg,
          struct jiku_err *err)
{
    const struct jiku_server_conf *srv = c->srv;
    struct trust_arg *ta = arg;

    if (strcmp(fp, ta->fingerprint) != 0) {
        if (jiku_buf_addf(&ta->offered, "%s%s %s", ta->offered.len > 0 ? ", " : "", type, fp) != 0)
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        return 0;
    }
    ta->done = true;
    if (ssh_hostkey_verify(c, ta->pol, NULL) == 0) {
        log_info("server '%s': host key %s %s is already trusted", srv->info.name, type, fp);
        return 1;
    }
    if (ta->pol->prefs != NULL && strstr(ta->pol->prefs, method) != NULL)
        /* Another key of this type is on file: an old key would stay trusted beside it. */
        return jiku_err_set(err, JIKU_E_HOSTKEY,
                            "known_hosts '%s' holds another %s key for '%s'; remove it first "
                            "(ssh-keygen -R '[%s]:%d' -f '%s')",
                            srv->known_hosts, type, srv->info.name, srv->info.host, port_of(srv),
                            srv->known_hosts);
    return append_known_host(c, srv->known_hosts, err) == 0 ? 1 : err->status;
}

int
jiku_ssh_trust(const struct jiku_server_conf *srv, int connect_timeout, const char *fingerprint,
               struct jiku_err *err)
{
    struct ssh_hostkey_policy pol = {NULL, NULL, NULL};
    struct trust_arg ta = {fingerprint, &pol, JIKU_BUF_INIT, false};
    struct jiku_err tmp;
    int r, reached;

    if (err == NULL)
        err = &tmp;
    if (srv->known_hosts == NULL)
        return jiku_err_set(err, JIKU_E_CONFIG, "server '%s' has no known_hosts", srv->info.name);
    if (fingerprint == NULL || strncmp(fingerprint, "SHA256:", 7) != 0)
        return jiku_err_set(err, JIKU_E_USAGE, "fingerprint must look like 'SHA256:...'");
    if ((r = ssh_hostkey_policy_load(srv, &pol, err)) != 0)
        return r;
    r = each_offered_key(srv, connect_timeout, trust_key, &ta, &reached, err);
    if (r == 0 && !ta.done)
        r = jiku_err_set(
            err, JIKU_E_HOSTKEY, "no host key of '%s' (%s:%d) has fingerprint %s; offered: %s",
            srv->info.name, srv->info.host, port_of(srv), fingerprint, ta.offered.data);
    ssh_hostkey_policy_release(&pol);
    jiku_buf_release(&ta.offered);
    return r;
}

struct fingerprint_arg {
    void (*fn)(const char *type, const char *fp, void *arg);
    void *arg;
};

static int
fingerprint_key(struct ssh_conn *c, const char *method, const char *type, const char *fp, void *arg,
                struct jiku_err *err)
{
    struct fingerprint_arg *fa = arg;

    (void)c, (void)method, (void)err;
    fa->fn(type, fp, fa->arg);
    return 0;
}

int
jiku_ssh_fingerprints(const struct jiku_server_conf *srv, int connect_timeout,
                      void (*fn)(const char *type, const char *fp, void *arg), void *arg,
                      struct jiku_err *err)
{
    struct fingerprint_arg fa = {fn, arg};
    int reached;

    return each_offered_key(srv, connect_timeout, fingerprint_key, &fa, &reached, err);
}
