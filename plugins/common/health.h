/*
 * The health check of an application's site after an update (docs/ARCHITECTURE.md, "Updates"):
 * what its visitors would see, asked on the panel server itself so that no DNS outside is
 * needed and a site behind a firewall is reached too.  The application-specific checks
 * (WordPress's checksums, Nextcloud's occ status) are the callers'.
 */
#ifndef JIKU_HEALTH_H
#define JIKU_HEALTH_H

#include "jiku/buf.h"
#include "jiku/err.h"
#include "jiku/plugin.h"

/* Largest page the check reads; a bigger one is a failed check, not a partial read. */
#define PLUG_HEALTH_BODY_MAX ((size_t)4 << 20)

/*
 * The URL path to check on a copy of the target whose site is at SITE_PATH: the target's
 * health_path (op->params->update) with the target's own path replaced by SITE_PATH when it
 * lies below it, else as it is; SITE_PATH when health_path is unset.  Appended to OUT.
 */
int plug_health_path(const struct jiku_op *op, const char *site_path, struct jiku_buf *out);

/*
 * GET https://DOMAIN:PORT/PATH on op->server with curl, the name resolved to 127.0.0.1 and
 * PORT the server's web_port, within health_timeout, the certificate not checked (the
 * connection is to the server itself; a certificate's validity is not what an update changes).
 * Healthy: a 2xx or 3xx status (redirects are not followed) and, when health_text is set, a
 * page that contains it.  0 and "HTTP 200" in SUMMARY (appended) when healthy; JIKU_E_FAILED
 * naming the URL and what was seen (status, the page's first words, curl's error) when not;
 * the SSH layer's own statuses when the check could not be run.
 */
int plug_health_http(struct jiku_op *op, const char *domain, const char *path,
                     struct jiku_buf *summary, struct jiku_err *err);

#endif
