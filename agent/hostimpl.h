/*
 * The core's side of the host table (include/jiku/host.h): one per process, wiring plugin
 * calls to the HTTPS and SSH transports, logging with the plugin's prefix, progress on a tty
 * and cancellation.
 */
#ifndef JIKU_HOSTIMPL_H
#define JIKU_HOSTIMPL_H

#include "config.h"
#include "jiku/host.h"
#include "output.h"

struct jiku_hostimpl;
struct jiku_http;
struct jiku_ssh;

/* Transports are created on first use; *OUT is the caller's (jiku_hostimpl_free). */
int jiku_hostimpl_new(const struct jiku_config *cfg, struct jiku_out *out,
                      struct jiku_hostimpl **out_host, struct jiku_err *err);
void jiku_hostimpl_free(struct jiku_hostimpl *h);
/* The table to hand to plugins. Borrowed. */
const struct jiku_host *jiku_hostimpl_table(struct jiku_hostimpl *h);

/* The core's per-operation state behind op->core. */
struct jiku_op_core {
    struct jiku_hostimpl *host;
    const char *plugin_name; /* log prefix */
};

/* Transports for the core's own use (servers check/trust). Borrowed; created on demand. */
int jiku_hostimpl_http(struct jiku_hostimpl *h, struct jiku_http **out, struct jiku_err *err);
int jiku_hostimpl_ssh(struct jiku_hostimpl *h, struct jiku_ssh **out, struct jiku_err *err);

#endif
