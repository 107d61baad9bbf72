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
fakes=$(dirname "$here")

usage() {
    echo "usage: $0 start DIR [--name N] [--version V] [--job-seconds S] [--subscriptions A,B]" \
        "[--backup-manager auto|yes|1014|1017] | stop DIR" >&2
    exit 64
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2
case $dir in
/*) ;;
*) dir=$(pwd)/$dir ;;
esac

q() { # single-quote one word for the env file
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

kill_pid() { # PID: TERM, wait up to 5 s, then KILL
    pid=$1
    case $pid in '' | *[!0-9]*) return 0 ;; esac
    kill -TERM "$pid" 2>/dev/null || return 0
    n=0
    while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    kill -KILL "$pid" 2>/dev/null || true
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
    case $name in '' | *[!a-z0-9-]*) echo "sim.sh: bad --name" >&2; exit 64 ;; esac
    case $version in '' | *[!0-9.]*) echo "sim.sh: bad --version" >&2; exit 64 ;; esac
    case $job_seconds in '' | *[!0-9.]*) echo "sim.sh: bad --job-seconds" >&2; exit 64 ;; esac
    case $bm in
    auto | yes | 1014 | 1017) ;;
    *) echo "sim.sh: bad --backup-manager" >&2; exit 64 ;;
    esac
    job_seconds=$(awk -v x="$job_seconds" 'BEGIN { print x + 0 }')
    if [ -e "$dir/server.pid" ]; then
        echo "sim.sh: $dir already holds a simulator; stop it first" >&2
        exit 1
    fi
    mkdir -p "$dir/tls" "$dir/ssh/bin" "$dir/canary"
    chmod 700 "$dir"
    sh "$fakes/certs.sh" "$dir/tls"
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
    [ -e "$dir/faults.json" ] || echo '{}' >"$dir/faults.json"
    chmod 644 "$dir/faults.json"
    : >>"$dir/requests.log"
    mkdir -p "$dir/root"
    python3 -B "$here/psim.py" seed "$dir" "$subs"
    python3 -B "$fakes/wptoolkit/wpt.py" seed plesk "$dir" # WordPress sites: ../wptoolkit
    for tool in plesk df; do
        printf '#!/bin/sh\nexec python3 -B %s %s %s "$@"\n' "$(q "$here/cli.py")" "$(q "$dir")" \
            "$tool" >"$dir/ssh/bin/$tool"
        chmod 755 "$dir/ssh/bin/$tool"
    done
    sh "$fakes/sshd-rig.sh" start "$dir/ssh"

    rm -f "$dir/ports.json"
    setsid python3 -B "$here/server.py" --dir "$dir" >"$dir/server.log" 2>&1 </dev/null &
    echo $! >"$dir/server.pid"
    n=0
    while [ ! -s "$dir/ports.json" ] && [ $n -lt 100 ]; do
        kill -0 "$(cat "$dir/server.pid")" 2>/dev/null || break
        sleep 0.1
        n=$((n + 1))
    done
    if [ ! -s "$dir/ports.json" ]; then
        echo "sim.sh: the HTTPS server did not start; see $dir/server.log" >&2
        cat "$dir/server.log" >&2 || true
        stop
        exit 1
    fi
    api_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_port"])' \
        "$dir/ports.json")
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
        echo "PLSIM_CA_FILE=$(q "$dir/tls/ca.crt")"
        echo "PLSIM_PIN_FILE=$(q "$dir/tls/pin.txt")"
        echo "PLSIM_SSH_PORT=$(cat "$dir/ssh/port")"
        echo "PLSIM_SSH_USER=root"
        echo "PLSIM_SSH_KEY=$(q "$dir/ssh/id_ed25519")"
        echo "PLSIM_KNOWN_HOSTS=$(q "$dir/ssh/known_hosts_all")"
        echo "PLSIM_KNOWN_HOSTS_ED25519=$(q "$dir/ssh/known_hosts_ed25519")"
        echo "PLSIM_FAULTS=$(q "$dir/faults.json")"
        echo "PLSIM_REQUEST_LOG=$(q "$dir/requests.log")"
        echo "PLSIM_CANARY=$(q "$canary")"
        echo "PLSIM_JOB_SECONDS=$job_seconds"
        echo "PLSIM_VERSION=$(q "$version")"
    } >"$dir/env"
    chmod 644 "$dir/env"
}

stop() {
    if [ -s "$dir/server.pid" ]; then
        kill_pid "$(cat "$dir/server.pid")"
    fi
    rm -f "$dir/server.pid"
    if [ -f "$dir/config.json" ]; then
        for pid in $(python3 -B "$here/psim.py" job-pids "$dir" 2>/dev/null || true); do
            kill_pid "$pid"
        done
    fi
    if [ -d "$dir/ssh" ]; then
        sh "$fakes/sshd-rig.sh" stop "$dir/ssh"
    fi
}

case $cmd in
start) start "$@" ;;
stop) [ $# -eq 0 ] || usage; stop ;;
*) usage ;;
esac
