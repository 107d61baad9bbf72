/*
 * Benchmark harness (bench/run.sh, bench/README.md "Transfer"): one download through the core's
 * jiku_sftp_get, the very code a backup runs (temp name, streaming md5 and sha256, fsync,
 * rename), timed alone so that the panel job of a real backup does not blur the throughput.
 *
 *   sftp_get CONFIG SERVER REMOTE LOCAL
 *
 * Prints one JSON object: bytes, seconds, md5, sha256, ssh_handshakes.  Not part of the
 * product; built by run.sh against the build directory's libjiku_core.a.
 */
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "ssh.h"

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    struct jiku_config *cfg = NULL;
    struct jiku_diags diags = {0};
    struct jiku_err err = {0};
    struct jiku_ssh *ssh = NULL;
    struct jiku_xfer_result res = {0};
    const struct jiku_server_conf *srv;
    double t0, t1;
    int r = 1;

    if (argc != 5) {
        fprintf(stderr, "usage: sftp_get CONFIG SERVER REMOTE LOCAL\n");
        return 64;
    }
    if (jiku_config_load(argv[1], 0, &cfg, &diags, &err) != 0) {
        fprintf(stderr, "sftp_get: %s\n", err.msg);
        goto out;
    }
    if ((srv = jiku_config_server(cfg, argv[2])) == NULL) {
        fprintf(stderr, "sftp_get: no server '%s' in '%s'\n", argv[2], argv[1]);
        goto out;
    }
    if (jiku_ssh_new(cfg, NULL, &ssh, &err) != 0) {
        fprintf(stderr, "sftp_get: %s\n", err.msg);
        goto out;
    }
    t0 = now_s();
    if (jiku_sftp_get(ssh, srv, argv[3], argv[4], &res, &err) != 0) {
        fprintf(stderr, "sftp_get: %s\n", err.msg);
        goto out;
    }
    t1 = now_s();
    printf("{\"bytes\":%llu,\"seconds\":%.3f,\"md5\":\"%s\",\"sha256\":\"%s\","
           "\"ssh_handshakes\":%lu}\n",
           (unsigned long long)res.size, t1 - t0, res.md5, res.sha256, jiku_ssh_handshakes(ssh));
    r = 0;
out:
    jiku_ssh_free(ssh);
    jiku_config_free(cfg);
    jiku_diags_release(&diags);
    return r;
}
