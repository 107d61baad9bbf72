/*
 * Validators of names and values that the configuration, the tier files and the command line
 * share (validate.c).  They accept a narrow set on purpose: what passes may end up in a panel
 * request, a remote command, a path or a log line.
 */
#ifndef JIKU_VALIDATE_H
#define JIKU_VALIDATE_H

#include <stdbool.h>

#include "jiku/plugin.h" /* jiku_valid_hostname, which plugins may name in their facts */

bool jiku_valid_name(const char *s);      /* [a-z0-9][a-z0-9-]{0,62} */
bool jiku_valid_target_id(const char *s); /* NAME/NAME */
bool jiku_valid_url_path(const char *s);
bool jiku_valid_abs_path(const char *s);

#endif
