/*
 * Telling someone how a run ended (jiku-agent.conf(5): notify_mail, notify_on, sendmail,
 * ping_url; jiku-agent(8), FAILURE NOTICES): one mail through the system's sendmail interface
 * and the healthchecks-style pings.  Neither may fail or hold up a run beyond its bounded
 * waits: their own failures are logged as warnings and never change the exit code.
 */
#ifndef JIKU_NOTIFY_H
#define JIKU_NOTIFY_H

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "jiku/buf.h"
#include "jiku/err.h"

struct jiku_session;

/* One notice: every string is cleaned as it is written, none can add a header or a line. */
struct jiku_notice {
    const char *const *to; /* NULL-terminated addr-specs, already checked (config_keys.c) */
    const char *subject;
    time_t date;
    const char *head; /* the first line of the body */
    const char *body; /* lines after it, or NULL */
};

/* The RFC 5322 message of N (headers, blank line, body) appended to MSG.  0 or JIKU_E_NOMEM. */
int jiku_notice_compose(const struct jiku_notice *n, struct jiku_buf *msg);

/*
 * Mail N through CFG's sendmail, run as "sendmail -t -oi" without a shell, the message on its
 * stdin; it gets 60 s to take it and exit, then is killed.  Nothing when CFG names no address.
 * A failure is a warning.
 */
void jiku_notice_send(const struct jiku_config *cfg, const struct jiku_notice *n);

/*
 * The [agent] settings of the configuration at PATH (NULL: the default) when it does not load
 * as a whole: the main file's [agent] section only, best effort (JIKU_CONFIG_AGENT_ONLY).
 * NULL when memory ran out; else the caller's (jiku_config_free).
 */
struct jiku_config *jiku_notify_config(const char *path);

/*
 * The end of a run (jiku_main), with the exit code it ends with: nightly's end ping, and for
 * nightly or any command a systemd unit runs (INVOCATION_ID), the notice notify_on asks for;
 * nothing for a dry run.  Under systemd a failed run also records that it reported its
 * invocation, so that notify-failure (OnFailure=) does not report it twice.
 */
void jiku_notify_run(struct jiku_session *s, int exit_code);

/* Whether the run of systemd invocation ID (32 hex digits) ended in the agent and reported. */
bool jiku_notify_reported(const struct jiku_config *cfg, const char *id);

struct jiku_ping;

/*
 * A run's pings to URL: with START, "/start" now in the background (10 s timeout).  NULL when
 * URL is NULL or empty: then nothing at all.
 */
struct jiku_ping *jiku_ping_start(const char *url, bool start);
/*
 * End it, then free P: the base URL when EXIT_CODE is 0, else a POST of BODY (its first 10 KB)
 * to URL/EXIT_CODE, or to URL/fail when EXIT_CODE is not one (negative: a signal).
 */
void jiku_ping_finish(struct jiku_ping *p, int exit_code, const char *body);

#endif
