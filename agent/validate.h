/*
 * Validators of names and values that the configuration, the tier files and the command line
 * share (validate.c).  They accept a narrow set on purpose: what passes may end up in a panel
 * request, a remote command, a path or a log line.
 */
#ifndef JIKU_VALIDATE_H
#define JIKU_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "jiku/plugin.h" /* jiku_valid_hostname, which plugins may name in their facts */

bool jiku_valid_name(const char *s);      /* [a-z0-9][a-z0-9-]{0,62} */
bool jiku_valid_target_id(const char *s); /* NAME/NAME */
bool jiku_valid_url_path(const char *s);
bool jiku_valid_abs_path(const char *s);
/*
 * LEN bytes of S are an address local@domain: a local part of 1..64 letters, digits and
 * LOCAL_EXTRA, a host name after the '@'.
 */
bool jiku_valid_address_n(const char *s, size_t len, const char *local_extra);
/* A mailbox to create, or a person's address: [A-Za-z0-9][A-Za-z0-9._+-]*@host, no "..". */
bool jiku_valid_mailbox(const char *s);
/* An application's login: [A-Za-z0-9][A-Za-z0-9._@-]{0,59}, what both WordPress and Nextcloud keep.
 */
bool jiku_valid_login(const char *s);
/* An application's role or group: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. */
bool jiku_valid_role(const char *s);

#endif
