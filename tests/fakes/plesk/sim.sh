#!/bin/sh
# Start or stop one simulated Plesk server (see README.md in this directory).
#
#   sim.sh start DIR [--name NAME] [--version X.Y.Z] [--job-seconds SECONDS]
#                    [--subscriptions admin.example,shop.example,resold.example]
#                    [--backup-manager auto|yes|1014|1017]
#   sim.sh stop DIR
#
# start: throw-away CA and server certificate (../certs.sh) in DIR/tls, the admin password and
# a secret key, a seeded vhosts/dump tree in DIR/root, an XXE canary, the sshd rig
# (../sshd-rig.sh) in DIR/ssh with the fake `plesk` and `df` in DIR/ssh/bin, the HTTPS server;
# DIR/env (shell-sourceable) describes it all.
# stop: ends the HTTPS server, running backup-manager tasks and the sshd rig, by the pids
# recorded under DIR (never by name).  Must run as root (sshd).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../simlib/sim-common.sh
. "$(dirname "$here")/simlib/sim-common.sh"

usage() {
    echo "usage: $0 start DIR [--name N] [--version V] [--job-seconds S] [--subscriptions A,B]" \
        "[--backup-manager auto|yes|1014|1017] | stop DIR" >&2
    exit 64
}

start() {
    name=plesk1
    version=18.0.52
    job_seconds=2
    subs=admin.example,shop.example,resold.example
    bm=auto
    while [ $# -gt 0 ]; do
        [ $# -ge 2 ] || usage
        case $1 in
        --name) name=$2 ;;
        --version) version=$2 ;;
        --job-seconds) job_seconds=$2 ;;
        --subscriptions) subs=$2 ;;
        --backup-manager) bm=$2 ;;
        *) usage ;;
        esac
        shift 2
    done
    case $version in '' | *[!0-9.]*) echo "sim.sh: bad --version" >&2; exit 64 ;; esac
    case $bm in
    auto | yes | 1014 | 1017) ;;
    *) echo "sim.sh: bad --backup-manager" >&2; exit 64 ;;
    esac
    sim_check_start
    sim_make_dir
    mkdir -p "$dir/canary"
    umask 077
    # admin password (no quote, no space: it travels in an HTTP header) and a secret key (UUID)
    head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 24 >"$dir/password"
    python3 -c 'import uuid; print(uuid.uuid4())' >"$dir/secret_key"
    chmod 600 "$dir/password" "$dir/secret_key"
    # the XXE canary: readable, its access time set far into the past so that any read shows
    canary=$dir/canary/secret.txt
    printf 'JIKU-CANARY-%s\n' "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$canary"
    chmod 644 "$canary"
    chmod 755 "$dir/canary"
    touch -m -d '2020-01-01 00:00:00' "$canary"
    touch -a -d '2020-01-02 00:00:00' "$canary"
    cat >"$dir/config.json" <<EOF
{"name": "$name", "version": "$version", "job_seconds": $job_seconds, "api_user": "admin",
 "api_port": 0, "backup_manager": "$bm", "canary": "$canary"}
EOF
    sim_make_state
    mkdir -p "$dir/root"
    python3 -B "$here/psim.py" seed "$dir" "$subs"
    python3 -B "$fakes/wptoolkit/wpt.py" seed plesk "$dir" # WordPress sites: ../wptoolkit
    python3 -B "$fakes/simlib/tenants.py" check "$dir" # every web space belongs to its user
    sim_write_commands "python3 -B" "$here/cli.py" plesk df
    sim_write_guards
    sim_start_services "python3 -B"
    api_port=$(sim_port api_port)
    {
        echo "PLSIM_NAME=$(q "$name")"
        echo "PLSIM_DIR=$(q "$dir")"
        echo "PLSIM_ROOT=$(q "$dir/root")"
        echo "PLSIM_VHOSTS=$(q "$dir/root/var/www/vhosts")"
        echo "PLSIM_DUMP_DIR=$(q "$dir/root/var/lib/psa/dumps")"
        echo "PLSIM_MYSQL_DIR=$(q "$dir/root/var/lib/mysql")"
        echo "PLSIM_SNAPSHOT_DIR=$(q "$dir/root/var/lib/jiku-snapshots")"
        echo "PLSIM_HOST=127.0.0.1"
        echo "PLSIM_API_PORT=$api_port"
        echo "PLSIM_API_USER=admin"
        echo "PLSIM_PASSWORD_FILE=$(q "$dir/password")"
        echo "PLSIM_SECRET_KEY_FILE=$(q "$dir/secret_key")"
        sim_env_access PLSIM_
        echo "PLSIM_CANARY=$(q "$canary")"
        echo "PLSIM_JOB_SECONDS=$job_seconds"
        echo "PLSIM_VERSION=$(q "$version")"
    } >"$dir/env"
    chmod 644 "$dir/env"
}

stop() {
    sim_stop_server
    if [ -f "$dir/config.json" ]; then
        for pid in $(python3 -B "$here/psim.py" job-pids "$dir" 2>/dev/null || true); do
            kill_pid "$pid"
        done
    fi
    sim_stop_rig
}

sim_main "$@"
