# shellcheck shell=sh disable=SC2154 # here, name, job_seconds: set by the sourcing sim.sh
# The start/stop scaffolding both panel simulators' sim.sh share; sourced (POSIX sh, set -eu).
#
# The sourcing sim.sh sets `here` (its directory) and defines usage, start and stop, then runs
# `sim_main "$@"`.  These functions use the globals dir (the simulator's DIR, absolute) and
# fakes (tests/fakes).  Every process is stopped by the pid recorded under DIR, never by name.

fakes=$(dirname "$here")

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

sim_main() { # start DIR [OPTIONS…] | stop DIR
    [ $# -ge 2 ] || usage
    cmd=$1
    dir=$2
    shift 2
    case $dir in
    /*) ;;
    *) dir=$(pwd)/$dir ;;
    esac
    case $cmd in
    start) start "$@" ;;
    stop) [ $# -eq 0 ] || usage; stop ;;
    *) usage ;;
    esac
}

sim_check_start() { # checks --name and --job-seconds (normalised), and that DIR is free
    case $name in '' | *[!a-z0-9-]*) echo "sim.sh: bad --name" >&2; exit 64 ;; esac
    case $job_seconds in '' | *[!0-9.]*) echo "sim.sh: bad --job-seconds" >&2; exit 64 ;; esac
    job_seconds=$(awk -v x="$job_seconds" 'BEGIN { print x + 0 }')
    if [ -e "$dir/server.pid" ]; then
        echo "sim.sh: $dir already holds a simulator; stop it first" >&2
        exit 1
    fi
}

sim_make_dir() { # DIR with the throw-away CA and certificates in DIR/tls (0700)
    mkdir -p "$dir/tls" "$dir/ssh/bin"
    # 0711: the tenants traverse DIR to their trees under DIR/root and to the guard wrappers in
    # DIR/ssh/bin; the secrets keep their own modes (token, keys 0600; tls/ 0700).
    chmod 711 "$dir"
    chmod 700 "$dir/tls"
    sh "$fakes/certs.sh" "$dir/tls"
}

sim_make_state() { # an empty faults.json (unless the test wrote one) and requests.log
    [ -e "$dir/faults.json" ] || echo '{}' >"$dir/faults.json"
    chmod 600 "$dir/faults.json"
    : >>"$dir/requests.log"
    : >>"$dir/violations.log"
    chmod 600 "$dir/violations.log"
    : >>"$dir/tenant-trees" # the trees, added as the accounts are made (simlib/tenants.py)
    chmod 644 "$dir/tenant-trees"
}

sim_write_commands() { # PYTHON CLI TOOL…: DIR/ssh/bin/TOOL runs `PYTHON CLI DIR TOOL ARGS…`
    py=$1
    cli=$2
    shift 2
    for tool in "$@"; do
        # JIKU_SIM_PANEL_TOOL: a fake panel tool runs as root like the real one; the root-path
        # guard leaves it and every command below it alone (simlib/README.md)
        printf '#!/bin/sh\nJIKU_SIM_PANEL_TOOL=1\nexport JIKU_SIM_PANEL_TOOL\nexec %s %s %s %s "$@"\n' \
            "$py" "$(q "$cli")" "$(q "$dir")" "$tool" >"$dir/ssh/bin/$tool"
        chmod 755 "$dir/ssh/bin/$tool"
    done
}

# The commands the agent runs on a server, each wrapped by the root-path guard.
GUARDED="tar rm mv cp ln chown chgrp chmod find cat mkdir rmdir touch ls stat md5sum sha1sum
sha256sum gzip gunzip zcat head tail du wc grep sort sed tee readlink realpath truncate dd"

sim_write_guards() { # DIR/ssh/bin/CMD for each GUARDED command: the guard, then the real CMD
    case $dir$fakes in
    *[!A-Za-z0-9._/+-]*) echo "sim.sh: the guard needs plain characters in '$dir'" >&2; exit 64 ;;
    esac
    gpy=/usr/bin/python3
    [ -x "$gpy" ] || gpy=$(python3 -c 'import sys; print(sys.executable)')
    for cmd in $GUARDED; do
        real=
        for d in /usr/bin /bin /usr/sbin /sbin; do
            if [ -x "$d/$cmd" ]; then real=$d/$cmd; break; fi
        done
        [ -n "$real" ] || continue
        sed -e "s|@CMD@|$cmd|g" -e "s|@REAL@|$real|g" -e "s|@DIR@|$dir|g" \
            -e "s|@PY@|$gpy|g" -e "s|@GUARD@|$fakes/simlib/guard.py|g" \
            "$fakes/simlib/guard-wrapper.sh.in" >"$dir/ssh/bin/$cmd"
        chmod 755 "$dir/ssh/bin/$cmd"
    done
    chmod 755 "$dir/ssh/bin"
}

sim_start_services() { # PYTHON: the sshd rig, then server.py; waits for DIR/ports.json
    sh "$fakes/sshd-rig.sh" start "$dir/ssh"

    rm -f "$dir/ports.json"
    # shellcheck disable=SC2086 # PYTHON: the interpreter and its options
    JIKU_SIM_PANEL_TOOL=1 setsid $1 "$here/server.py" --dir "$dir" >"$dir/server.log" 2>&1 \
        </dev/null &
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
}

sim_port() { # KEY of DIR/ports.json
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
        "$dir/ports.json" "$1"
}

sim_env_access() { # PREFIX: the env file's lines on TLS, SSH, faults and the request log
    echo "${1}CA_FILE=$(q "$dir/tls/ca.crt")"
    echo "${1}PIN_FILE=$(q "$dir/tls/pin.txt")"
    echo "${1}SSH_PORT=$(cat "$dir/ssh/port")"
    echo "${1}WEB_PORT=$(sim_port web_port)" # the sites over HTTPS (simlib/web.py)
    echo "${1}SSH_USER=root"
    echo "${1}SSH_KEY=$(q "$dir/ssh/id_ed25519")"
    echo "${1}KNOWN_HOSTS=$(q "$dir/ssh/known_hosts_all")"
    echo "${1}KNOWN_HOSTS_ED25519=$(q "$dir/ssh/known_hosts_ed25519")"
    echo "${1}FAULTS=$(q "$dir/faults.json")"
    echo "${1}REQUEST_LOG=$(q "$dir/requests.log")"
}

sim_stop_server() {
    if [ -s "$dir/server.pid" ]; then
        kill_pid "$(cat "$dir/server.pid")"
    fi
    rm -f "$dir/server.pid"
}

sim_stop_rig() {
    if [ -d "$dir/ssh" ]; then
        sh "$fakes/sshd-rig.sh" stop "$dir/ssh"
    fi
}
