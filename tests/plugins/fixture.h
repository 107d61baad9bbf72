/*
 * What the plugin tests share: a private plugin directory per test, the built test plugins
 * copied into it with the names and modes a test needs, and a fake host table whose log
 * keeps what plugins said.
 */
#ifndef JIKU_TESTS_PLUGIN_FIXTURE_H
#define JIKU_TESTS_PLUGIN_FIXTURE_H

#include <stddef.h>
#include <sys/types.h>

#include "jiku/host.h"

#define PATH_SIZE 512

/* The test's plugin directory, 0755, made by fixture_setup. */
extern char dir[64];
/* Every host->log line since fixture_setup, each ending in '\n'. */
extern char host_log[4096];
/* What fake_host's read_secret gives for any secret. */
#define FIXTURE_TOKEN "UWU28DCA23NKY76CN17MDPKM3O7EFQY8"
/* A host table with log (into host_log) and read_secret; a test adds what it needs. */
extern const struct jiku_host fake_host;
/* Its two functions, for a test's own host table: log appends to host_log, read_secret gives
 * FIXTURE_TOKEN for any secret. */
void fixture_log(struct jiku_op *op, enum jiku_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int fixture_secret(struct jiku_op *op, const struct jiku_server_info *server,
                   enum jiku_secret which, struct jiku_buf *out, struct jiku_err *err);

void fixture_setup(void);
void fixture_teardown(void);
/* DIR/NAME in one of four rotating static buffers: enough for one assertion's arguments. */
const char *at(const char *name);
void write_file(const char *path, const void *data, size_t len, mode_t mode);
/* Copy the built plugin SRC to DIR/NAME with MODE, set exactly whatever the umask. */
void install(const char *src, const char *name, mode_t mode);

#endif
