/*
 * The Plesk plugin's actions on `wordpress` targets (wordpress.c), thin wrappers around the
 * shared WP Toolkit code in plugins/common/wpt.h.
 */
#ifndef JIKU_PLESK_WP_H
#define JIKU_PLESK_WP_H

#include "jiku/plugin.h"

struct wpt_panel;
/* Plesk as the WP Toolkit code sees it (its CLI `plesk ext wp-toolkit`, vhost, subdomains). */
extern const struct wpt_panel plesk_wpt;

int plesk_wp_probe(struct jiku_op *op, struct jiku_err *err);
int plesk_wp_snapshot(struct jiku_op *op, struct jiku_err *err);
int plesk_wp_backup(struct jiku_op *op, struct jiku_err *err);
int plesk_wp_rollback(struct jiku_op *op, struct jiku_err *err);
int plesk_wp_stage(struct jiku_op *op, struct jiku_err *err);
int plesk_wp_unstage(struct jiku_op *op, struct jiku_err *err);
int plesk_wp_promote(struct jiku_op *op, struct jiku_err *err);
int plesk_wp_clone(struct jiku_op *op, struct jiku_err *err);
int plesk_wp_prune(struct jiku_op *op, struct jiku_err *err);
int plesk_wp_verify(struct jiku_op *op, struct jiku_err *err);
int plesk_wp_update(struct jiku_op *op, struct jiku_err *err);
int plesk_wp_users(struct jiku_op *op, struct jiku_err *err);

#endif
