#!/bin/sh
# fsync and fdatasync calls per operation of the agent's own state (state.db, its WAL, the
# state directory): `nightly` over N snapshot targets with the recorder test plugin standing in
# for a panel (no simulator, no root), under `strace -f`, once with one target and once with
# N, so that what a run pays once (opening the WAL, the checkpoint at exit) is taken out.
#
# usage: bench/fsyncs.sh BUILD_DIR [N]     (BUILD_DIR: a build with the tests, e.g. build/)
# prints: fsyncs: per operation X (run with 1 target: A, with N targets: B)
set -eu
build=$1
n=${2:-20}
repo=$(cd "$(dirname "$0")/.." && pwd)
agent=$build/agent/jiku-agent
recorder=$build/tests/plugins/plugins/recorder/cpanel.so
command -v strace >/dev/null || { echo "fsyncs: needs strace" >&2; exit 69; }
[ -x "$agent" ] && [ -f "$recorder" ] || { echo "fsyncs: build $build first (with tests)" >&2; exit 69; }
T=$(mktemp -d /tmp/jiku-fsyncs.XXXXXX)
trap 'rm -rf "$T"' EXIT

setup() { # DIR TARGETS: a configuration with TARGETS account targets on one server
    mkdir -p "$1/conf.d" "$1/cred" "$1/plugins" && chmod 700 "$1/cred" && chmod 755 "$1/plugins"
    cp "$recorder" "$1/plugins/cpanel.so" && chmod 755 "$1/plugins/cpanel.so"
    printf 'x\n' >"$1/cred/token" && printf 'x\n' >"$1/cred/key" && chmod 600 "$1"/cred/*
    : >"$1/known_hosts"
    printf '[agent]\nstate_dir = %s/state\nbackup_dir = %s/backups\npolicy_dir = %s/policies\n' \
        "$1" "$1" "$repo" >"$1/agent.conf"
    printf 'plugin_dir = %s/plugins\nlog = stderr\n\n[server web1]\npanel = cpanel\n' "$1" >>"$1/agent.conf"
    printf 'host = 127.0.0.1\napi_token_file = %s/cred/token\nssh_key = %s/cred/key\n' "$1" "$1" >>"$1/agent.conf"
    printf 'known_hosts = %s/known_hosts\n' "$1" >>"$1/agent.conf"
    printf '[customer acme]\ntier = low\n' >"$1/conf.d/10-acme.conf"
    i=1
    while [ "$i" -le "$2" ]; do
        printf '\n[target acme/t%d]\nserver = web1\nkind = account\naccount = t%d\nnightly = snapshot\n' \
            "$i" "$i" >>"$1/conf.d/10-acme.conf"
        i=$((i + 1))
    done
}

count() { # DIR: syncs of a nightly run, the state database made by an earlier run
    JIKU_RECORDER_LOG="$1/recorder.log" "$agent" -c "$1/agent.conf" --actor bench nightly \
        </dev/null >/dev/null 2>&1 || true
    JIKU_RECORDER_LOG="$1/recorder.log" strace -f -qq -e trace=fsync,fdatasync -o "$1/strace" \
        "$agent" -c "$1/agent.conf" --actor bench nightly </dev/null >/dev/null 2>&1 || true
    grep -c 'sync(' "$1/strace" || true
}

setup "$T/one" 1
setup "$T/many" "$n"
a=$(count "$T/one")
b=$(count "$T/many")
[ "$(grep -c '^snapshot ' "$T/many/recorder.log")" = $((2 * n)) ] ||
    { echo "fsyncs: the nightly run did not snapshot every target" >&2; exit 1; }
awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN {
    printf "fsyncs: per operation %.1f (run with 1 target: %d, with %d targets: %d)\n",
        (b - a) / (n - 1), a, n, b }'
