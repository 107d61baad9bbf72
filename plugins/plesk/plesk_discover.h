/* The Plesk plugin's DISCOVER action (discover.c). */
#ifndef JIKU_PLESK_DISCOVER_H
#define JIKU_PLESK_DISCOVER_H

#include "jiku/plugin.h"

int plesk_discover(struct jiku_op *op, struct jiku_err *err);

#endif
