#!/bin/sh
# The fleet benchmark (its bars and method: bench/README.md).  Not part of the test command.
#
#   bench/run.sh [--build DIR] [--out FILE] [--phases fleet,baseline,transfer,scale] [--quick]
#
#   fleet     `nightly` on S simulated cPanel servers x A accounts, pkgacct jobs of J seconds,
#             per-server max_parallel P, global S x P: wall against the floor
#             max over servers of ceil(A/P) x J, agent CPU per operation, peak RSS, TLS and SSH
#             handshakes counted by the simulators, the simulators' own CPU
#   baseline  S=4, A=5, J=2 s, P=4: `nightly`, then bench/baseline.sh (curl + ssh, one account
#             after another, polling once a second) on the same simulators; the ratio
#   transfer  a 1 GiB archive over loopback SFTP through the core's jiku_sftp_get (checksums
#             included; bench/sftp_get.c) against OpenSSH sftp -c aes128-ctr -o MACs=hmac-sha2-256
#   scale     how cost grows: config check, policy explain and nightly planning on 1k-100k
#             targets (bench/scale_config.sh), list and prune on catalogs of 1k-1M artifacts and
#             audit verify of 1k-10M records (bench/scale_catalog.sh; the states are made once
#             and kept in SCALE_DIR, default /var/tmp/jiku-bench-scale), and the fsyncs an
#             operation costs (bench/fsyncs.sh)
#
# Writes the table to FILE (default bench/RESULTS.md) and the raw numbers beside the work
# directory it prints.  Needs root (the simulators' sshd), python3, openssl, curl, jq, ssh,
# sftp, cmake and a C compiler.  Shapes can be changed with FLEET_S, FLEET_A, FLEET_J, FLEET_P,
# BASE_S, BASE_A, BASE_J, BASE_P and XFER_MIB; --quick is a small smoke run.  BENCH_WRAP (e.g.
# "perf record -g -o /tmp/agent.perf --") runs the agent under a profiler: diagnosis only, the
# measured CPU and RSS then include the wrapper's.
# Every process it starts is stopped by pid; every loop is bounded.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
sim="$repo/tests/fakes/cpanel/sim.sh"
build=${JIKU_BENCH_BUILD:-$repo/build-bench}
out=$here/RESULTS.md
phases=fleet,baseline,transfer,scale
quick=0

usage() {
    echo "usage: $0 [--build DIR] [--out FILE] [--phases fleet,baseline,transfer,scale] [--quick]" >&2
    exit 64
}
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --phases) phases=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    *) usage ;;
    esac
done
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
case $out in /*) ;; *) out=$(pwd)/$out ;; esac

if [ $quick = 1 ]; then
    : "${FLEET_S:=2}" "${FLEET_A:=5}" "${FLEET_J:=1}" "${FLEET_P:=2}"
    : "${BASE_S:=2}" "${BASE_A:=2}" "${BASE_J:=1}" "${BASE_P:=4}" "${XFER_MIB:=64}"
    : "${SCALE_NS:=1000}" "${SCALE_CATALOG_SIZES:=1000}" "${SCALE_AUDIT_SIZES:=1000}"
    export SCALE_NS SCALE_CATALOG_SIZES SCALE_AUDIT_SIZES
fi
SCALE_DIR=${SCALE_DIR:-/var/tmp/jiku-bench-scale}
FLEET_S=${FLEET_S:-20} FLEET_A=${FLEET_A:-20} FLEET_J=${FLEET_J:-5} FLEET_P=${FLEET_P:-4}
BASE_S=${BASE_S:-4} BASE_A=${BASE_A:-5} BASE_J=${BASE_J:-2} BASE_P=${BASE_P:-4}
XFER_MIB=${XFER_MIB:-1024}

if [ "$(id -u)" != 0 ]; then
    echo "bench: needs root (the simulators run a real sshd)" >&2
    exit 77
fi
for tool in python3 openssl curl jq ssh sftp cmake cc md5sum sha256sum strace; do
    command -v $tool >/dev/null 2>&1 || { echo "bench: needs $tool" >&2; exit 69; }
done

T=$(mktemp -d /tmp/jiku-bench.XXXXXX)
echo "bench: work directory $T"
: >"$T/sims"
: >"$T/cgroups"

log() { printf '%s bench: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# --- cgroups: the simulators' CPU, every process they fork included -----------------------
cg_base=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
cg_make() { # NAME: a fresh cgroup v2 directory, or nothing when cgroups are unavailable
    [ -n "$cg_base" ] && [ -w "$cg_base" ] || return 0
    d="$cg_base/jiku-bench-$$-$1"
    mkdir "$d" 2>/dev/null || return 0
    echo "$d" >>"$T/cgroups" # cg_make runs in a command substitution: a file, not a variable
    echo "$d"
}
cg_usec() { # DIR: CPU microseconds used in it so far (0 without cgroups)
    if [ -n "$1" ] && [ -r "$1/cpu.stat" ]; then
        awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat"
    else
        echo 0
    fi
}
busy_ticks() { # CPU ticks the whole machine spent busy so far (/proc/stat, every CPU)
    awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}
in_cg() { # DIR COMMAND...: run COMMAND inside cgroup DIR (as is when DIR is empty)
    cg=$1
    shift
    if [ -n "$cg" ]; then
        sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' in_cg "$cg" "$@"
    else
        "$@"
    fi
}

cleanup() {
    trap - EXIT INT TERM
    while read -r d; do
        [ -n "$d" ] && sh "$sim" stop "$d" >/dev/null 2>&1 || true
    done <"$T/sims"
    # Anything of ours a simulator left behind: by pid, from our own cgroups only.
    for d in $(cat "$T/cgroups"); do
        for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        n=0
        while [ -s "$d/cgroup.procs" ] && [ $n -lt 50 ]; do
            sleep 0.1
            n=$((n + 1))
        done
        rmdir "$d" 2>/dev/null || true
    done
    rm -rf "$T/fleet" "$T/base" "$T/xfer"
    [ ! -s "$T/shm" ] || rm -rf "$(cat "$T/shm")"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build ----------------------------------------------------------------------------------
log "building into $build (Release)"
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$T/cmake.log" 2>&1 ||
        { cat "$T/cmake.log" >&2; exit 1; }
fi
cmake --build "$build" -j"$(nproc)" --target jiku-agent jiku_plugin_cpanel jiku_plugin_plesk \
    jiku_tplugin_recorder jiku_bench_sftp_get jiku_bench_scale_gen jiku_bench_scale_audit \
    jiku_bench_plan_probe >"$T/build.log" 2>&1 || { tail -30 "$T/build.log" >&2; exit 1; }
AGENT=$build/agent/jiku-agent
PLUGIN=$build/plugins/cpanel/cpanel.so
[ -x "$AGENT" ] && [ -f "$PLUGIN" ] || { echo "bench: no $AGENT or $PLUGIN" >&2; exit 1; }
mkdir -p "$T/plugins"
cp "$PLUGIN" "$T/plugins/cpanel.so"
chmod 755 "$T/plugins/cpanel.so"
cp "$build/bench/jiku_bench_sftp_get" "$T/sftp_get"

# --- machine --------------------------------------------------------------------------------
{
    echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc=$(nproc)"
    echo "cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "mem_mib=$(awk '/^MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
    echo "kernel=$(uname -r)"
    echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "openssh=$(ssh -V 2>&1)"
    echo "libssh2=$(pkg-config --modversion libssh2)"
    echo "libcurl=$(pkg-config --modversion libcurl)"
} >"$T/machine.env"

# The commands the simulators wrap in their root-path guard.
guarded=$(sed -n '/^GUARDED="/,/"$/p' "$repo/tests/fakes/simlib/sim-common.sh" | tr -d '"' |
    sed 's/^GUARDED=//')
[ -n "$guarded" ] || { echo "bench: no GUARDED list in tests/fakes/simlib/sim-common.sh" >&2; exit 1; }

# --- a fleet of simulators with an agent config for it ---------------------------------------
# start_fleet DIR S A J P MAXPAR CGROUP [SSHD_CGROUP]: S simulators sNN in DIR, A accounts
# each, DIR/agent.conf; each sshd listener moves to SSHD_CGROUP (its connections follow it)
start_fleet() {
    fdir=$1 s=$2 a=$3 j=$4 p=$5 maxpar=$6 cg=$7 cg_sshd=${8:-}
    mkdir -p "$fdir/logs"
    cat >"$fdir/agent.conf" <<CONF
[agent]
state_dir = $fdir/state
backup_dir = $fdir/backups
policy_dir = $repo/policies
plugin_dir = $T/plugins
max_parallel = $maxpar
log = stderr
CONF
    i=1
    while [ $i -le "$s" ]; do
        name=$(printf 's%02d' $i)
        d=$fdir/$name
        echo "$d" >>"$T/sims"
        in_cg "$cg" sh "$sim" start "$d" --name "$name" --job-seconds "$j" --accounts '' \
            >"$fdir/logs/$name.start" 2>&1 || { cat "$fdir/logs/$name.start" >&2; return 1; }
        python3 "$here/seed_accounts.py" "$d" "$a" >/dev/null
        # The simulator's df is a Python wrapper that exists for its disk-full fault, which
        # the benchmark never sets: the real df (what a real server runs) saves a Python
        # start-up per snapshot in the simulators' CPU.
        rm -f "$d/ssh/bin/df"
        # So are the root-path guard's wrappers (tests/fakes/simlib/README.md): a check for the
        # tests that costs a Python start-up, about 20 ms, per command root runs, and that no
        # real server has.
        for cmd in $guarded; do rm -f "$d/ssh/bin/$cmd"; done
        if [ -n "$cg_sshd" ]; then
            cat "$d/ssh/sshd.pid" >"$cg_sshd/cgroup.procs"
        fi
        # shellcheck disable=SC1091
        . "$d/env"
        cat >>"$fdir/agent.conf" <<CONF

[server $name]
panel = cpanel
host = 127.0.0.1
api_port = $CPSIM_API_PORT
api_user = root
api_token_file = $CPSIM_TOKEN_FILE
ca_file = $CPSIM_CA_FILE
ssh_port = $CPSIM_SSH_PORT
ssh_user = root
ssh_key = $CPSIM_SSH_KEY
known_hosts = $CPSIM_KNOWN_HOSTS
snapshot_dir = $CPSIM_SNAPSHOT_DIR
pkgacct_sessions_dir = $CPSIM_PKGACCT_SESSIONS
max_parallel = $p

[customer c$name]
tier = low
CONF
        k=1
        while [ $k -le "$a" ]; do
            printf '\n[target c%s/a%02d]\nserver = %s\nkind = account\naccount = acct%02d\nnightly = snapshot\n' \
                "$name" $k "$name" $k >>"$fdir/agent.conf"
            k=$((k + 1))
        done
        i=$((i + 1))
    done
}

stop_fleet() { # DIR: stop its simulators, all at once (each writes tls_stats.json on exit)
    for d in "$1"/s[0-9]*; do
        [ -d "$d" ] && sh "$sim" stop "$d" >/dev/null 2>&1 &
    done
    wait
}

# nightly DIR TAG: run `nightly` under measure.py; DIR/TAG.json (measurement), DIR/TAG.out
nightly() {
    # shellcheck disable=SC2086
    python3 "$here/measure.py" "$1/$2.json" 900 ${BENCH_WRAP:-} "$AGENT" -c "$1/agent.conf" --json \
        --actor bench nightly >"$1/$2.out" 2>"$1/$2.err" || {
        echo "bench: nightly ($2) exited $?; see $1/$2.err" >&2
        tail -n 5 "$1/$2.err" >&2
    }
}
summary_of() { # FILE.out: "ok failed exit_code" of the summary line
    jq -r 'select(.type == "summary") | "\(.ok) \(.failed) \(.exit_code)"' "$1" | tail -1
}

# --- fleet ----------------------------------------------------------------------------------
case ",$phases," in *,fleet,*)
    log "fleet: starting $FLEET_S simulators x $FLEET_A accounts (J = $FLEET_J s)"
    cg=$(cg_make fleet-sims)
    cg_sshd=
    [ -z "$cg" ] || cg_sshd=$(cg_make fleet-sshd)
    start_fleet "$T/fleet" "$FLEET_S" "$FLEET_A" "$FLEET_J" "$FLEET_P" \
        $((FLEET_S * FLEET_P)) "$cg" "$cg_sshd"
    log "fleet: nightly"
    sleep 2 # let the simulators' start-up settle before counting their CPU
    cpu0=$(cg_usec "$cg")
    ssh0=$(cg_usec "$cg_sshd")
    busy0=$(busy_ticks)
    nightly "$T/fleet" nightly
    busy1=$(busy_ticks)
    cpu1=$(cg_usec "$cg")
    ssh1=$(cg_usec "$cg_sshd")
    log "fleet: stopping the simulators"
    stop_fleet "$T/fleet"
    python3 "$here/sim_stats.py" "$T/fleet"/s[0-9]* >"$T/fleet-sims.json"
    {
        printf 'S=%s\nA=%s\nJ=%s\nP=%s\n' "$FLEET_S" "$FLEET_A" "$FLEET_J" "$FLEET_P"
        echo "sims_cpu_usec=$((cpu1 - cpu0))"
        echo "sshd_cpu_usec=$((ssh1 - ssh0))"
        echo "machine_busy_s=$(awk -v t=$((busy1 - busy0)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }')"
        echo "cgroup=${cg:+yes}"
        echo "summary=$(summary_of "$T/fleet/nightly.out")"
    } >"$T/fleet.env"
    cp "$T/fleet/nightly.json" "$T/fleet-agent.json"
    cp "$T/fleet/nightly.err" "$T/fleet-agent.err"
    cp "$T/fleet/nightly.out" "$T/fleet-agent.out"
    log "fleet: $(cat "$T/fleet-agent.json" | tr -d '\n ')"
    ;;
esac

# --- baseline -------------------------------------------------------------------------------
case ",$phases," in *,baseline,*)
    log "baseline: starting $BASE_S simulators x $BASE_A accounts (J = $BASE_J s)"
    cg=$(cg_make base-sims)
    start_fleet "$T/base" "$BASE_S" "$BASE_A" "$BASE_J" "$BASE_P" $((BASE_S * BASE_P)) "$cg"
    sleep 1
    log "baseline: nightly"
    nightly "$T/base" nightly
    log "baseline: the shell loop"
    python3 "$here/measure.py" "$T/base/loop.json" 1800 sh "$here/baseline.sh" \
        "$T/base"/s[0-9]* >"$T/base/loop.out" 2>"$T/base/loop.err" || {
        echo "bench: baseline.sh failed; see $T/base/loop.out" >&2
        tail -n 5 "$T/base/loop.out" "$T/base/loop.err" >&2
    }
    stop_fleet "$T/base"
    {
        printf 'S=%s\nA=%s\nJ=%s\nP=%s\n' "$BASE_S" "$BASE_A" "$BASE_J" "$BASE_P"
        echo "summary=$(summary_of "$T/base/nightly.out")"
        echo "loop=$(tail -1 "$T/base/loop.out")"
    } >"$T/base.env"
    cp "$T/base/nightly.json" "$T/base-agent.json"
    cp "$T/base/loop.json" "$T/base-loop.json"
    cp "$T/base/loop.out" "$T/base-loop.out"
    log "baseline: agent $(jq -c .wall_s "$T/base-agent.json") s, loop $(jq -c .wall_s "$T/base-loop.json") s"
    ;;
esac

# --- transfer -------------------------------------------------------------------------------
case ",$phases," in *,transfer,*)
    log "transfer: a $XFER_MIB MiB archive"
    cg=$(cg_make xfer-sim)
    start_fleet "$T/xfer" 1 0 1 1 1 "$cg"
    d=$T/xfer/s01
    # shellcheck disable=SC1091
    . "$d/env"
    remote=$CPSIM_SNAPSHOT_DIR/bench/cpmove-bench.tar.gz
    mkdir -p "$(dirname "$remote")"
    head -c $((XFER_MIB * 1048576)) /dev/urandom >"$remote"
    src_md5=$(md5sum "$remote" | cut -d' ' -f1)
    src_sha=$(sha256sum "$remote" | cut -d' ' -f1)
    mkdir -p "$T/xfer/disk"
    chmod 700 "$T/xfer/disk"
    # The same downloads into tmpfs too, where fsync costs nothing: the agent fsyncs before
    # its rename (a backup must survive a crash), OpenSSH sftp does not.
    shm=
    if [ -d /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt $((XFER_MIB * 2048)) ]; then
        shm=$(mktemp -d /dev/shm/jiku-bench.XXXXXX)
        echo "$shm" >"$T/shm"
    fi
    : >"$T/xfer.runs"
    for round in 1 2; do
        for dest in disk ${shm:+tmpfs}; do
            dl=$T/xfer/disk
            [ "$dest" = disk ] || dl=$shm
            # OpenSSH sftp, same cipher and MAC
            printf 'get %s %s\n' "$remote" "$dl/openssh.bin" >"$T/xfer/batch"
            python3 "$here/measure.py" "$T/xfer/o.json" 600 sftp -q -b "$T/xfer/batch" \
                -i "$CPSIM_SSH_KEY" -P "$CPSIM_SSH_PORT" -o BatchMode=yes \
                -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$CPSIM_KNOWN_HOSTS" \
                -c aes128-ctr -o MACs=hmac-sha2-256 "root@127.0.0.1" >/dev/null \
                2>"$T/xfer/openssh.err" || { cat "$T/xfer/openssh.err" >&2; exit 1; }
            [ "$(md5sum <"$dl/openssh.bin" | cut -d' ' -f1)" = "$src_md5" ] ||
                { echo "bench: OpenSSH sftp copy differs" >&2; exit 1; }
            rm -f "$dl/openssh.bin"
            # the agent's core: download, md5 + sha256 on the fly, fsync, rename
            python3 "$here/measure.py" "$T/xfer/a.json" 600 "$T/sftp_get" \
                "$T/xfer/agent.conf" s01 "$remote" "$dl/agent.bin" \
                >"$T/xfer/a.out" 2>"$T/xfer/agent.err" || { cat "$T/xfer/agent.err" >&2; exit 1; }
            [ "$(jq -r .md5 "$T/xfer/a.out")" = "$src_md5" ] &&
                [ "$(jq -r .sha256 "$T/xfer/a.out")" = "$src_sha" ] &&
                [ "$(sha256sum <"$dl/agent.bin" | cut -d' ' -f1)" = "$src_sha" ] ||
                { echo "bench: the agent's copy or checksums differ" >&2; exit 1; }
            rm -f "$dl/agent.bin"
            echo "$round $dest $(jq -c . "$T/xfer/o.json" | tr -d ' ') $(jq -c . "$T/xfer/a.json" | tr -d ' ') $(jq -c . "$T/xfer/a.out")" >>"$T/xfer.runs"
        done
    done
    [ -z "$shm" ] || rm -rf "$shm"
    # which cipher and MAC each client negotiated, as sshd logged it
    grep -o 'kex: client->server cipher: [^ ]* MAC: [^ ]*' "$d/ssh/sshd.log" | sort | uniq -c \
        >"$T/xfer.ciphers" || true
    stop_fleet "$T/xfer"
    echo "bytes=$((XFER_MIB * 1048576))" >"$T/xfer.env"
    log "transfer: $(cat "$T/xfer.ciphers" | tr '\n' ';')"
    ;;
esac

case ",$phases," in *,scale,*)
    log "scale: configuration rows (${SCALE_NS:-1000 10000 100000} targets)"
    : >"$T/scale.jsonl"
    bash "$here/scale_config.sh" "$build" "$SCALE_DIR/config" "$T/scale.jsonl" >/dev/null
    log "scale: catalog and audit rows (states kept in $SCALE_DIR)"
    bash "$here/scale_catalog.sh" "$build" "$SCALE_DIR/catalog" "$T/scale.jsonl" >/dev/null
    sh "$here/fsyncs.sh" "$build" 20 >"$T/fsyncs.txt"
    log "scale: $(cat "$T/fsyncs.txt")"
    ;;
esac

python3 "$here/report.py" "$T" "$phases" >"$out"
log "results written to $out (raw numbers in $T)"
