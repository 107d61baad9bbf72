#!/bin/sh
# A real OpenSSH sshd on 127.0.0.1 for the SSH/SFTP tests (set up as OpenSSH's own regression
# tests start theirs).
#
#   sshd-rig.sh start DIR   generate host keys (Ed25519, ECDSA, RSA), a client key and
#                           known_hosts files in DIR, start sshd on a free port; DIR/port
#   sshd-rig.sh prepare DIR everything start does except starting sshd
#   sshd-rig.sh run DIR     exec sshd in the foreground (-D) on the prepared config: a test
#                           forks this with PR_SET_PDEATHSIG so that sshd dies with the test
#                           even when the test crashes before its teardown
#   sshd-rig.sh cut DIR     drop every connection: SIGKILL the per-connection sshd processes
#                           (descendants of the listener named sshd); the listener stays up,
#                           and processes started detached (setsid) on the server survive
#   sshd-rig.sh cut-sftp DIR
#                           close every SFTP channel while its connection stays up: SIGKILL
#                           the sftp-server processes the connections started (sshd runs the
#                           external sftp-server, as Debian's and RHEL's default config does)
#   sshd-rig.sh stop DIR    stop the listener by the pid in DIR/sshd.pid (never by name)
#
# Files in DIR: ssh_host_{ed25519,ecdsa,rsa}_key[.pub], id_ed25519[.pub], authorized_keys,
# known_hosts_all (all three host keys), known_hosts_ed25519 (only the Ed25519 key), both in
# "[127.0.0.1]:PORT" form; bin/ is first on the sessions' PATH, for fake panel commands (and
# the simulators' root-path guard wrappers, tests/fakes/simlib/README.md).
# Must run as root (sshd's privilege separation needs the sshd user and /run/sshd).
set -eu

usage() {
    echo "usage: $0 start|prepare|run|cut|cut-sftp|stop DIR" >&2
    exit 64
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case $dir in
/*) ;;
*) echo "sshd-rig: DIR must be absolute" >&2; exit 64 ;;
esac

listener_pid() {
    [ -s "$dir/sshd.pid" ] || return 1
    pid=$(cat "$dir/sshd.pid")
    case $pid in
    '' | *[!0-9]*) return 1 ;;
    esac
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

# Descendants of $1 whose command name is sshd, deepest last (from /proc: no procps needed).
sshd_descendants() {
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        if [ "$(cat /proc/"$c"/comm 2>/dev/null)" = sshd ]; then
            echo "$c"
            sshd_descendants "$c"
        fi
    done
}

free_port() {
    # A random high port not currently bound on 127.0.0.1.
    i=0
    while [ $i -lt 50 ]; do
        p=$(( ( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 ) + 30000 ))
        if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
            echo "$p"
            return 0
        fi
        i=$((i + 1))
    done
    return 1
}

need_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "sshd-rig: must run as root (sshd privilege separation)" >&2
        exit 77
    fi
}

# Keys, sshd_config and known_hosts files for port $1.
prepare_files() {
    port=$1
    mkdir -p "$dir/bin"
    # 0711, bin/ 0755: a command run as a tenant (setpriv) still finds the fake commands and the
    # guard wrappers in bin/; the keys are 0600 each, the rest holds no secret
    chmod 711 "$dir"
    chmod 755 "$dir/bin"
    for t in ed25519 ecdsa rsa; do
        [ -f "$dir/ssh_host_${t}_key" ] || ssh-keygen -q -t "$t" -N '' -C rig -f "$dir/ssh_host_${t}_key"
    done
    [ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C rig-client -f "$dir/id_ed25519"
    cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
    chmod 600 "$dir/authorized_keys" "$dir/id_ed25519"
    # privsep directory: root-owned, not group/world writable
    mkdir -p /run/sshd
    chmod 755 /run/sshd
    cat >"$dir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/ssh_host_ed25519_key
HostKey $dir/ssh_host_ecdsa_key
HostKey $dir/ssh_host_rsa_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
Subsystem sftp /usr/lib/openssh/sftp-server
SetEnv PATH=$dir/bin:/usr/bin:/bin SHLVL=1
MaxStartups 100
MaxSessions 50
LogLevel DEBUG1
CONF
    /usr/sbin/sshd -t -f "$dir/sshd_config"
    echo "$port" >"$dir/port"
    : >"$dir/known_hosts_all"
    for t in ed25519 ecdsa rsa; do
        echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/ssh_host_${t}_key.pub")" >>"$dir/known_hosts_all"
    done
    echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")" >"$dir/known_hosts_ed25519"
}

prepare() {
    need_root
    prepare_files "$(free_port)"
}

run_fg() {
    need_root
    rm -f "$dir/sshd.pid"
    exec /usr/sbin/sshd -D -f "$dir/sshd_config" -E "$dir/sshd.log"
}

start() {
    need_root
    tries=0
    while :; do
        tries=$((tries + 1))
        prepare_files "$(free_port)"
        rm -f "$dir/sshd.pid"
        if /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"; then
            # wait (bounded) for the pid file
            n=0
            while [ ! -s "$dir/sshd.pid" ] && [ $n -lt 50 ]; do
                sleep 0.1
                n=$((n + 1))
            done
            if listener_pid >/dev/null; then
                break
            fi
        fi
        if [ $tries -ge 5 ]; then
            echo "sshd-rig: sshd did not start; see $dir/sshd.log" >&2
            exit 1
        fi
    done
}

cut_conns() {
    pid=$(listener_pid) || { echo "sshd-rig: no listener in $dir" >&2; exit 1; }
    victims=$(sshd_descendants "$pid")
    [ -n "$victims" ] || return 0
    # shellcheck disable=SC2086
    kill -KILL $victims 2>/dev/null || true
}

sftp_servers() { # PID: the sftp-server processes below it (a shell may stand between)
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        if [ "$(cat /proc/"$c"/comm 2>/dev/null)" = sftp-server ]; then
            echo "$c"
        else
            sftp_servers "$c"
        fi
    done
}

cut_sftp() {
    pid=$(listener_pid) || { echo "sshd-rig: no listener in $dir" >&2; exit 1; }
    victims=$(sftp_servers "$pid")
    [ -n "$victims" ] || return 0
    # shellcheck disable=SC2086
    kill -KILL $victims 2>/dev/null || true
}

stop() {
    if pid=$(listener_pid); then
        kill -TERM "$pid"
        n=0
        while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do
            sleep 0.1
            n=$((n + 1))
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$dir/sshd.pid"
}

case $cmd in
start) start ;;
prepare) prepare ;;
run) run_fg ;;
cut) cut_conns ;;
cut-sftp) cut_sftp ;;
stop) stop ;;
*) usage ;;
esac
