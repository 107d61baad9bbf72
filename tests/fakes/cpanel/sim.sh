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
fakes=$(dirname "$here")

usage() {
    echo "usage: $0 start DIR [--name NAME] [--job-seconds S] [--version V] [--accounts A,B] | stop DIR" >&2
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
    case $name in '' | *[!a-z0-9-]*) echo "sim.sh: bad --name" >&2; exit 64 ;; esac
    case $job_seconds in '' | *[!0-9.]*) echo "sim.sh: bad --job-seconds" >&2; exit 64 ;; esac
    job_seconds=$(awk -v x="$job_seconds" 'BEGIN { print x + 0 }')
    if [ -e "$dir/server.pid" ]; then
        echo "sim.sh: $dir already holds a simulator; stop it first" >&2
        exit 1
    fi
    mkdir -p "$dir/tls" "$dir/ssh/bin"
    chmod 700 "$dir"
    sh "$fakes/certs.sh" "$dir/tls"
    umask 077
    head -c 4096 /dev/urandom | tr -dc 'A-Z0-9' | head -c 32 >"$dir/token"
    chmod 600 "$dir/token"
    cat >"$dir/config.json" <<EOF
{"name": "$name", "job_seconds": $job_seconds, "version": "$version", "api_user": "root",
 "api_port": 0}
EOF
    [ -e "$dir/faults.json" ] || echo '{}' >"$dir/faults.json"
    chmod 644 "$dir/faults.json"
    : >>"$dir/requests.log"
    python3 "$here/cpsim.py" seed "$dir" "$accounts"
    # WordPress sites (WP Toolkit) and the Nextcloud install (Softaculous): ../wptoolkit
    python3 -B "$fakes/wptoolkit/wpt.py" seed cpanel "$dir"
    python3 -B "$fakes/wptoolkit/softaculous.py" seed "$dir"
    for tool in whmapi1 uapi pkgacct restorepkg df wp-toolkit; do
        printf '#!/bin/sh\nexec python3 %s %s %s "$@"\n' "$(q "$here/cli.py")" "$(q "$dir")" \
            "$tool" >"$dir/ssh/bin/$tool"
        chmod 755 "$dir/ssh/bin/$tool"
    done
    sh "$fakes/sshd-rig.sh" start "$dir/ssh"

    rm -f "$dir/ports.json"
    setsid python3 "$here/server.py" --dir "$dir" >"$dir/server.log" 2>&1 </dev/null &
    echo $! >"$dir/server.pid"
    n=0
    while [ ! -s "$dir/ports.json" ] && [ $n -lt 100 ]; do
        if ! kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; then
            break
        fi
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
    cpanel_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cpanel_port"])' \
        "$dir/ports.json")
    {
        echo "CPSIM_NAME=$(q "$name")"
        echo "CPSIM_DIR=$(q "$dir")"
        echo "CPSIM_ROOT=$(q "$dir/root")"
        echo "CPSIM_HOME=$(q "$dir/root/home")"
        echo "CPSIM_SNAPSHOT_DIR=$(q "$dir/root/home/jiku-snapshots")"
        echo "CPSIM_HOST=127.0.0.1"
        echo "CPSIM_API_PORT=$api_port"
        echo "CPSIM_CPANEL_PORT=$cpanel_port"
        echo "CPSIM_API_USER=root"
        echo "CPSIM_TOKEN_FILE=$(q "$dir/token")"
        echo "CPSIM_CA_FILE=$(q "$dir/tls/ca.crt")"
        echo "CPSIM_PIN_FILE=$(q "$dir/tls/pin.txt")"
        echo "CPSIM_SSH_PORT=$(cat "$dir/ssh/port")"
        echo "CPSIM_SSH_USER=root"
        echo "CPSIM_SSH_KEY=$(q "$dir/ssh/id_ed25519")"
        echo "CPSIM_KNOWN_HOSTS=$(q "$dir/ssh/known_hosts_all")"
        echo "CPSIM_KNOWN_HOSTS_ED25519=$(q "$dir/ssh/known_hosts_ed25519")"
        echo "CPSIM_FAULTS=$(q "$dir/faults.json")"
        echo "CPSIM_REQUEST_LOG=$(q "$dir/requests.log")"
        echo "CPSIM_JOB_SECONDS=$job_seconds"
        echo "CPSIM_VERSION=$(q "$version")"
    } >"$dir/env"
    chmod 644 "$dir/env"
}

stop() {
    if [ -s "$dir/server.pid" ]; then
        kill_pid "$(cat "$dir/server.pid")"
    fi
    rm -f "$dir/server.pid"
    if [ -f "$dir/config.json" ]; then
        for pid in $(python3 "$here/cpsim.py" job-pids "$dir" 2>/dev/null || true) \
            $(python3 -B "$fakes/wptoolkit/softaculous.py" job-pids "$dir" 2>/dev/null ||
                true); do
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
