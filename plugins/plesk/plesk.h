/*
 * The Plesk plugin's private interfaces: XML API packets built and parsed with libxml2
 * (xmlapi.c), `plesk bin …` commands and remote paths over SSH (pleskbin.c), the subscription
 * as the XML API describes it (webspace.c), the backup-manager path (backupmgr.c), and the actions
 * (plesk.c; rollback and clone in restore.c).
 * Wire facts: docs/WIRE.md §3.
 */
#ifndef JIKU_PLESK_H
#define JIKU_PLESK_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jiku/buf.h"
#include "jiku/err.h"
#include "jiku/host.h"
#include "jiku/plugin.h"
#include "plesk_settings.h"
#include "remote.h"

/* Largest XML API answer we parse: the biggest real ones are server stat and backup lists. */
#define PLESK_XML_MAX ((size_t)4 << 20)
/* Where the XML API lives on api_port. */
#define PLESK_XML_PATH "/enterprise/control/agent.php"
/* The archive name of an export in snapshot_dir/D/ID/. */
#define PLESK_EXPORT_NAME "backup.tar"

/* ---- xmlapi.c ------------------------------------------------------------------------- */

/* A request packet: <packet><OPERATOR><OPERATION>…</OPERATION></OPERATOR></packet>. */
struct plesk_packet {
    xmlDocPtr doc;
    xmlNodePtr op; /* the OPERATION element, where the caller adds children */
};

/* A new packet for OPERATOR/OPERATION; release with plesk_packet_release. */
int plesk_packet_new(struct plesk_packet *p, const char *operator_name, const char *operation,
                     struct jiku_err *err);
/* Append <NAME>VALUE</NAME> (VALUE NULL: an empty element) to PARENT; the child is borrowed. */
int plesk_packet_add(xmlNodePtr parent, const char *name, const char *value, xmlNodePtr *child,
                     struct jiku_err *err);
/* The packet as bytes, with an XML declaration; OUT is the caller's (jiku_buf_release). */
int plesk_packet_dump(const struct plesk_packet *p, struct jiku_buf *out, struct jiku_err *err);
void plesk_packet_release(struct plesk_packet *p);

/*
 * Parse a document under the rules of docs/WIRE.md §1.4: LEN capped at PLESK_XML_MAX before
 * parsing, no network, no entity substitution, no DTD loading, and any DOCTYPE refused
 * (JIKU_E_DATA) before the parser reads past it.  *DOC is the caller's (xmlFreeDoc).
 */
int plesk_xml_read(const char *body, size_t len, xmlDocPtr *doc, struct jiku_err *err);

/* An answer of the XML API. */
struct plesk_reply {
    xmlDocPtr doc;
    xmlNodePtr op;     /* /packet/OPERATOR/OPERATION */
    xmlNodePtr result; /* its first <result>, or NULL: a get that matched nothing */
    long errcode;      /* of the error that failed the call, or 0 */
};

/*
 * Parse an answer to OPERATOR/OPERATION (OPERATION may name a sub-operation, "update/set"):
 * JIKU_E_DATA when it is not a packet with that
 * operation; a system-level error or a result-level error mapped by plesk_errcode_status with
 * its errtext (REPLY->errcode set).  REPLY is the caller's (plesk_reply_release) whatever the
 * result.
 */
int plesk_reply_parse(const char *body, size_t len, const char *operator_name,
                      const char *operation, struct plesk_reply *reply, struct jiku_err *err);
void plesk_reply_release(struct plesk_reply *reply);

/*
 * The status an errcode maps to: 1001/1029/11003 → JIKU_E_AUTH, 1013 → JIKU_E_NOTFOUND,
 * 1014/1017 → JIKU_E_UNSUPPORTED (the server does not know what we sent), the rest
 * JIKU_E_PANEL.  *MEANING (may be NULL) gets a short description, NULL for an unknown code.
 */
int plesk_errcode_status(long errcode, const char **meaning);

/* Whether N is a <result> element: an answer has one per matched object. */
bool plesk_is_result(xmlNodePtr n);
/* An id of the XML API ("42"), or -1 when S is no such number. */
long plesk_parse_id(const char *s);
/* The first child element of NODE named NAME, or NULL. */
xmlNodePtr plesk_xml_child(xmlNodePtr node, const char *name);
/*
 * The text of the child element NAME of NODE (NULL when absent): malloc()ed, whitespace
 * trimmed.  An element with element children has no text.
 */
char *plesk_xml_text(xmlNodePtr node, const char *name);

/*
 * Send PACKET to SERVER (NULL: op->server) and parse the answer as for plesk_reply_parse; a
 * PACKET whose op is a sub-operation (mail update/set) is answered under its operation.  The
 * request body is wiped once sent: it may hold a password.
 * SAFE: the call only reads (get, poll, list) and may be repeated on transient failures; a
 * start call is sent once and an answer lost on the way comes back as JIKU_E_TRANSIENT for the
 * caller to look for what it may have started.
 */
int plesk_xml_call(struct jiku_op *op, const struct jiku_server_info *server,
                   const struct plesk_packet *packet, bool safe, struct plesk_reply *reply,
                   struct jiku_err *err);

/* ---- pleskbin.c ----------------------------------------------------------------------- */

/* A host name as the config allows it: [a-z0-9.-], ≤ 253, no leading '-' or '.', no "..". */
bool plesk_valid_domain(const char *s);
/*
 * An exact rollback's web root, handled by its OWNER (the subscription's system user): its
 * entries moved into ASIDE (a new directory beside it) before the restore, ASIDE removed after
 * a successful one, or what a failed restore left replaced by ASIDE's entries again.  ROOT
 * itself is never moved: its group and mode are the panel's.
 */
int plesk_webroot_aside(struct jiku_op *op, const char *owner, const char *root, const char *aside,
                        struct jiku_err *err);
int plesk_webroot_put_back(struct jiku_op *op, const char *owner, const char *root,
                           const char *aside, struct jiku_err *err);
void plesk_webroot_drop_aside(struct jiku_op *op, const char *owner, const char *aside);

/*
 * May ROOT, a web root the panel named, be emptied for DOMAIN?  Only VHOSTS/DOMAIN/SUB…: inside
 * the subscription's own directory under some vhosts root, never that directory itself.
 */
bool plesk_www_root_ok(const char *root, const char *domain);
/* snapshot_dir/D and snapshot_dir/D/NAME into malloc()ed strings; JIKU_E_INVAL when invalid. */
int plesk_export_paths(const struct jiku_server_info *server, const char *domain, const char *name,
                       char **domain_dir, char **dir, struct jiku_err *err);
/*
 * `plesk bin pleskbackup --domains-name D -output-file DIR/backup.tar` as a detached job
 * (job directory named by OPERATION_ID and STEP), DIR created 0700 first; the file checked
 * and described in *D.  On failure DIR is removed.
 */
int plesk_cli_export(struct jiku_op *op, const struct jiku_server_info *server, const char *domain,
                     const char *dir, const char *step, struct plug_digest *d, char **file,
                     struct jiku_err *err);

/* `plesk bin pleskrestore --check-backup FILE`. */
int plesk_cli_check(struct jiku_op *op, const struct jiku_server_info *server, const char *file,
                    bool ignore_sign, struct jiku_err *err);
/*
 * The detached `plesk bin pleskrestore --restore FILE -level domains -filter list:D`, with
 * -ignore-sign when IGNORE_SIGN.
 */
int plesk_cli_restore(struct jiku_op *op, const struct jiku_server_info *server, const char *file,
                      const char *domain, bool ignore_sign, bool *left_running,
                      struct jiku_err *err);

/* ---- webspace.c, backupmgr.c: the subscription, its owner, backup-manager ---------------- */

enum plesk_owner_kind {
    PLESK_OWNER_ADMIN = 0,
    PLESK_OWNER_CUSTOMER,          /* the admin's customer */
    PLESK_OWNER_RESELLER_CUSTOMER, /* a reseller's customer */
    PLESK_OWNER_RESELLER,          /* a reseller's own subscription */
};

struct plesk_webspace {
    long id;
    char *owner_login;    /* the subscription's owner */
    char *reseller_login; /* the owner's reseller, for PLESK_OWNER_RESELLER_CUSTOMER */
    enum plesk_owner_kind owner_kind;
    char *www_root; /* NULL unless asked for */
    char *sys_user; /* the system user owning the web space (hosting ftp_login), with www_root */
};

/*
 * `webspace get` of DOMAIN on SERVER (NULL: op->server): JIKU_E_NOTFOUND when there is no such
 * subscription.  WANT_OWNER resolves the owner's kind (customer get); WANT_ROOT reads www_root.
 */
int plesk_webspace_get(struct jiku_op *op, const struct jiku_server_info *server,
                       const char *domain, bool want_owner, bool want_root,
                       struct plesk_webspace *out, struct jiku_err *err);
void plesk_webspace_release(struct plesk_webspace *w);

/* DUMP_DIR's directory of DOMAIN in its owner's tree, malloc()ed. */
int plesk_dump_domain_dir(const struct jiku_server_info *server, const struct plesk_webspace *w,
                          const char *domain, char **out, struct jiku_err *err);

/* The Plesk version (`server get stat` → version/plesk_version), malloc()ed. */
int plesk_server_version(struct jiku_op *op, const struct jiku_server_info *server, char **version,
                         struct jiku_err *err);
/* True when VERSION ("17.5.3", "18.0.60") is older than Onyx 17.8. */
bool plesk_version_before_178(const char *version);

/*
 * backup-manager/backup-webspace of DOMAIN into the local repository with prefix jiku-ID,
 * polled to its end; *LOCATION gets the backup-info file in the owner's dump tree, checked
 * over SSH into *D.  JIKU_E_UNSUPPORTED when the server does not offer backup-manager, with
 * the errcode that said so in *ERRCODE.
 */
int plesk_xml_snapshot(struct jiku_op *op, const char *domain, const char *id, char **location,
                       struct plug_digest *d, long *errcode, struct jiku_err *err);
/* backup-manager/remove-file of FILE (a name in the repository) for DOMAIN. */
int plesk_xml_remove_file(struct jiku_op *op, const char *domain, const char *file,
                          struct jiku_err *err);

/* ---- plesk.c: shared by the actions ------------------------------------------------------ */

/* The target's subscription, re-checked as a host name (it reaches a shell). Borrowed. */
int plesk_target_domain(struct jiku_op *op, const char **domain, struct jiku_err *err);
/*
 * A CLI export of DOMAIN into snapshot_dir/DOMAIN/NAME/backup.tar on SERVER (NULL: op->server);
 * *DIR and *FILE (malloc) and *D describe it.
 */
int plesk_export_into(struct jiku_op *op, const struct jiku_server_info *server, const char *domain,
                      const char *name, char **dir, char **file, struct plug_digest *d,
                      struct jiku_err *err);
enum plesk_location { PLESK_LOC_EXPORT, PLESK_LOC_REPOSITORY };

/*
 * Check LOCATION (from the catalog) against what this plugin makes for DOMAIN: an export
 * snapshot_dir/D/X/backup.tar (*DIR = snapshot_dir/D/X), or a repository file
 * dump_dir/…/domains/D/NAME (*NAME = NAME); JIKU_E_DATA for anything else.  DIR and NAME may
 * be NULL.
 */
int plesk_classify(struct jiku_op *op, const char *domain, const char *location,
                   enum plesk_location *kind, char **dir, char **name, struct jiku_err *err);

/* ---- mail.c: mail accounts (docs/WIRE.md §3.7) ----------------------------------------- */

/* MAIL on a subscription: list, add, passwd, remove the mailboxes of its domains. */
int plesk_mail(struct jiku_op *op, struct jiku_err *err);

/* ---- restore.c: the actions that restore ------------------------------------------------- */

int plesk_rollback(struct jiku_op *op, struct jiku_err *err);
int plesk_clone(struct jiku_op *op, struct jiku_err *err);

#endif
