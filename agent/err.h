/*
 * The core's side of the statuses of include/jiku/err.h: what each one means to the person or
 * script that ran jiku-agent.  Plugins return statuses; only the core maps them.
 */
#ifndef JIKU_AGENT_ERR_H
#define JIKU_AGENT_ERR_H

#include "jiku/err.h"

/*
 * The one status → exit code table (EXIT STATUS in jiku-agent(8)); the process's own exit code
 * is applied by main alone.  Unknown statuses map to 1.
 */
int jiku_status_exit_code(int status);

/* Short stable name of a status ("data", "hostkey", ...), for logs and JSON. */
const char *jiku_status_name(int status);

#endif
