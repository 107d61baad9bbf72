#!/bin/bash
# How the configuration's cost grows with the fleet (issue 17, "How cost grows"):
#   config check      on N targets in N/10 customer files over N/100 servers   bar 100 ms at 10k
#   policy explain    one customer, one action, on that configuration          bar  20 ms at 10k
#   nightly planning  agent CPU before the first plugin action call            bar   1 s  at 10k
# for N = 1k, 10k, 100k (SCALE_NS overrides), so that growth is visible.
#
# usage: bench/scale_config.sh BUILD_DIR WORK_DIR OUT_JSONL
# BUILD_DIR holds a built agent (agent/jiku-agent), the panel plugins (plugins/*/NAME.so) and
# the planning probe (bench/plan_probe.so; bench/CMakeLists.txt).  WORK_DIR is created and
# filled (the configurations stay there); one JSON line per row and N is appended to OUT_JSONL
# (its fields: bench/scale_time.py).  config check and policy explain are the best of 3 runs by
# wall time; the planning row is one run, its CPU the probe's figure, and its bar on CPU.
set -eu
[ $# -eq 3 ] || {
    echo "usage: $0 BUILD_DIR WORK_DIR OUT_JSONL" >&2
    exit 64
}
build=$(cd "$1" && pwd)
mkdir -p "$2"
work=$(cd "$2" && pwd)
out=$3
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
agent=$build/agent/jiku-agent
ns=${SCALE_NS:-1000 10000 100000}
[ -x "$agent" ] || {
    echo "scale_config: no $agent" >&2
    exit 1
}

# The plugins as a package installs them (the loader checks owner and mode), and the probe.
rm -rf "$work/plugins" "$work/probe"
mkdir -p "$work/plugins" "$work/probe"
cp "$build/plugins/cpanel/cpanel.so" "$build/plugins/plesk/plesk.so" "$work/plugins/"
cp "$build/bench/plan_probe.so" "$work/probe/cpanel.so"
chmod 755 "$work/plugins" "$work/probe"
chmod 644 "$work/plugins"/*.so "$work/probe"/*.so

# time ROW N BAR_MS [OPTION...] -- COMMAND...: one line of OUT_JSONL; the bars name N = 10,000
time_row() {
    row=$1 n=$2 bar=$3
    shift 3
    python3 "$here/scale_time.py" --row "$row" --n "$n" --bar-ms "$bar" --bar-n 10000 "$@" |
        tee -a "$out"
}

for n in $ns; do
    cfg=$work/c$n
    rm -rf "$cfg"
    python3 "$here/scale_config.py" "$cfg" "$n" "$repo/policies" "$work/plugins"
    # the configuration must check clean, or the figures are about error paths
    JIKU_AGENT_CONFIG=$cfg/agent.conf "$agent" config check >"$work/check.out"
    grep -q ", 0 warnings$" "$work/check.out" || {
        echo "scale_config: $n: $(cat "$work/check.out")" >&2
        exit 1
    }
    JIKU_AGENT_CONFIG=$cfg/agent.conf time_row "config check" "$n" 100 -- "$agent" config check
    # a customer in the middle of the conf.d files, and an action its contract sets
    JIKU_AGENT_CONFIG=$cfg/agent.conf time_row "policy explain" "$n" 20 -- \
        "$agent" policy explain "c$((n / 20))" server.snapshot

    # planning: a fresh state (the probe ends the run with operations pending)
    pcfg=$work/p$n
    rm -rf "$pcfg" "$work/probe.out"
    python3 "$here/scale_config.py" "$pcfg" "$n" "$repo/policies" "$work/probe" probe
    JIKU_AGENT_CONFIG=$pcfg/agent.conf JIKU_PLAN_PROBE=$work/probe.out \
        time_row "nightly planning" "$n" 1000 --runs 1 --by cpu --cpu-file "$work/probe.out" \
        -- "$agent" nightly
done
