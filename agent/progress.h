/*
 * Progress on a terminal (jiku-agent(8), DESCRIPTION): long panel jobs (elapsed time, poll state)
 * and transfers (bytes, percentage, rate, ETA) on stderr, one updating line.  Never under cron or
 * --json: the caller decides whether a human is watching.
 */
#ifndef JIKU_PROGRESS_H
#define JIKU_PROGRESS_H

#include "jiku/host.h"

/* Show P for WHO (a target id, or NULL); throttled, thread-safe. */
void jiku_progress_show(const char *who, const struct jiku_progress *p);

#endif
