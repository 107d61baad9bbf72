#!/bin/sh
# Start or stop one simulated cPanel server (see README.md in this directory).
#
#   sim.sh start DIR [--name NAME] [--job-seconds SECONDS] [--version X.Y.Z.W]
#                    [--accounts acmeshop,lowco,highco]
#   sim.sh stop DIR
#
# start: throw-away CA and server certificate (../certs.sh) in DIR/tls, an API token in DIR/token,
# a seeded account tree in DIR/root, the sshd rig (../sshd-rig.sh) in DIR/ssh with the fake
# commands in DIR/ssh/bin, the HTTPS server; then DIR/env (shell-sourceable) describes it all.
# stop: ends the HTTPS server, the simulator's background jobs and the sshd rig, by the pids
# recorded under DIR (never by name).  Must run as root (sshd).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../simlib/sim-common.sh
. "$(dirname "$here")/simlib/sim-common.sh"

usage() {
    echo "usage: $0 start DIR [--name NAME] [--job-seconds S] [--version V] [--accounts A,B] | stop DIR" >&2
    exit 64
}

start() {
    name=web1
    job_seconds=2
    version=11.126.0.15
    accounts=acmeshop,lowco,highco
    while [ $# -gt 0 ]; do
        case $1 in
        --name) name=$2; shift 2 ;;
        --job-seconds) job_seconds=$2; shift 2 ;;
        --version) version=$2; shift 2 ;;
        --accounts) accounts=$2; shift 2 ;;
        *) usage ;;
        esac
    done
    sim_check_start
    sim_make_dir
    umask 077
    head -c 4096 /dev/urandom | tr -dc 'A-Z0-9' | head -c 32 >"$dir/token"
    chmod 600 "$dir/token"
    cat >"$dir/config.json" <<EOF
{"name": "$name", "job_seconds": $job_seconds, "version": "$version", "api_user": "root",
 "api_port": 0}
EOF
    sim_make_state
    python3 "$here/cpsim.py" seed "$dir" "$accounts"
    # WordPress sites (WP Toolkit) and the Nextcloud install (Softaculous): ../wptoolkit
    python3 -B "$fakes/wptoolkit/wpt.py" seed cpanel "$dir"
    python3 -B "$fakes/wptoolkit/softaculous.py" seed "$dir"
    python3 -B "$fakes/simlib/tenants.py" check "$dir" # every home belongs to its account
    sim_write_commands python3 "$here/cli.py" whmapi1 uapi pkgacct restorepkg df wp-toolkit
    # Nextcloud's `php occ` (../wptoolkit/nextcloud.py): run as the account's user, no panel tool
    printf '#!/bin/sh\nexec python3 -B %s php "$@"\n' "$(q "$fakes/wptoolkit/nextcloud.py")" \
        >"$dir/ssh/bin/php"
    chmod 755 "$dir/ssh/bin/php"
    sim_write_guards
    sim_start_services python3
    api_port=$(sim_port api_port)
    cpanel_port=$(sim_port cpanel_port)
    {
        echo "CPSIM_NAME=$(q "$name")"
        echo "CPSIM_DIR=$(q "$dir")"
        echo "CPSIM_ROOT=$(q "$dir/root")"
        echo "CPSIM_HOME=$(q "$dir/root/home")"
        echo "CPSIM_SNAPSHOT_DIR=$(q "$dir/root/home/jiku-snapshots")"
        echo "CPSIM_PKGACCT_SESSIONS=$(q "$dir/root/var/cpanel/pkgacct_sessions")"
        echo "CPSIM_HOST=127.0.0.1"
        echo "CPSIM_API_PORT=$api_port"
        echo "CPSIM_CPANEL_PORT=$cpanel_port"
        echo "CPSIM_API_USER=root"
        echo "CPSIM_TOKEN_FILE=$(q "$dir/token")"
        sim_env_access CPSIM_
        echo "CPSIM_JOB_SECONDS=$job_seconds"
        echo "CPSIM_VERSION=$(q "$version")"
    } >"$dir/env"
    chmod 644 "$dir/env"
}

stop() {
    sim_stop_server
    if [ -f "$dir/config.json" ]; then
        for pid in $(python3 "$here/cpsim.py" job-pids "$dir" 2>/dev/null || true) \
            $(python3 -B "$fakes/wptoolkit/softaculous.py" job-pids "$dir" 2>/dev/null ||
                true); do
            kill_pid "$pid"
        done
    fi
    sim_stop_rig
}

sim_main "$@"
