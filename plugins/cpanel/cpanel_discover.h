/* The cPanel plugin's DISCOVER action (discover.c). */
#ifndef JIKU_CPANEL_DISCOVER_H
#define JIKU_CPANEL_DISCOVER_H

#include "jiku/plugin.h"

int cpanel_discover(struct jiku_op *op, struct jiku_err *err);

#endif
