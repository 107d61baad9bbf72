#!/bin/bash
# How the configuration's cost grows with the fleet (issue 17, "How cost grows"):
#   config check      on N targets in N/10 customer files over N/100 servers   bar 100 ms at 10k
#   policy explain    one customer, one action, on that configuration          bar  20 ms at 10k
#   nightly planning  agent CPU before the first plugin action call            bar   1 s  at 10k
# for N = 1k, 10k, 100k (SCALE_NS overrides), so that growth is visible.
#
# usage: bench/scale_config.sh BUILD_DIR WORK_DIR OUT_JSONL
# BUILD_DIR holds a built agent (agent/jiku-agent) and panel plugins (plugins/*/NAME.so);
# WORK_DIR is created and filled (the configurations stay there); one JSON line per row and N
# is appended to OUT_JSONL:
#   {"row":"config check","n":10000,"wall_ms":42.0,"cpu_ms":40.1,"rss_kib":9000,
#    "bar_ms":100,"at_bar":true}
# wall_ms is the best of 3 runs (cpu_ms and rss_kib from that run); the planning row's
# wall_ms is the whole run's, its cpu_ms the probe's figure (bench/plan_probe.c), and at_bar
# compares cpu_ms.  at_bar is null for the sizes the bars do not name.  Needs python3 and cc.
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
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -shared -I"$repo/include" \
    "$here/plan_probe.c" -o "$work/probe/cpanel.so"
chmod 755 "$work/plugins" "$work/probe"
chmod 644 "$work/plugins"/*.so "$work/probe"/*.so

# One run's wall, user + sys and peak RSS, as "WALL_MS CPU_MS RSS_KIB".  Not measure.py: its
# 0.1 s RSS sampling loop is the resolution of its wall time, and these rows are milliseconds.
run_once() { # COMMAND...
    python3 -c 'import os, subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
_, st, ru = os.wait4(p.pid, 0)
wall = time.monotonic() - t0
p.returncode = 0
code = os.waitstatus_to_exitcode(st)
if code != int(sys.argv[1]):
    sys.exit("scale_config: %s: exit code %d" % (" ".join(sys.argv[2:]), code))
print("%.1f %.1f %d" % (wall * 1e3, (ru.ru_utime + ru.ru_stime) * 1e3, ru.ru_maxrss))' \
        "${EXPECT:-0}" "$@"
}

# the best of 3 runs by wall time
best_of_3() { # COMMAND...
    local best="" line
    for _ in 1 2 3; do
        line=$(run_once "$@")
        if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
            best=$line
        fi
    done
    echo "$best"
}

emit() { # ROW N "WALL CPU RSS" BAR_MS VALUE_FOR_BAR
    local wall cpu rss at
    read -r wall cpu rss <<<"$3"
    if [ "$2" -eq 10000 ]; then
        at=$(awk -v v="$5" -v b="$4" 'BEGIN { print (v <= b) ? "true" : "false" }')
    else
        at=null
    fi
    printf '{"row":"%s","n":%d,"wall_ms":%s,"cpu_ms":%s,"rss_kib":%d,"bar_ms":%d,"at_bar":%s}\n' \
        "$1" "$2" "$wall" "$cpu" "$rss" "$4" "$at" >>"$out"
    printf '%-17s n=%-7d wall %8s ms  cpu %8s ms  rss %7d KiB  (bar %d ms)\n' "$1" "$2" "$wall" \
        "$cpu" "$rss" "$4"
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
    m=$(JIKU_AGENT_CONFIG=$cfg/agent.conf best_of_3 "$agent" config check)
    emit "config check" "$n" "$m" 100 "$(echo "$m" | cut -d' ' -f1)"
    # a customer in the middle of the conf.d files, and an action its contract sets
    m=$(JIKU_AGENT_CONFIG=$cfg/agent.conf best_of_3 "$agent" policy explain "c$((n / 20))" \
        server.snapshot)
    emit "policy explain" "$n" "$m" 20 "$(echo "$m" | cut -d' ' -f1)"

    # planning: a fresh state each time (the probe ends the run with operations pending)
    pcfg=$work/p$n
    rm -rf "$pcfg" "$work/probe.out"
    python3 "$here/scale_config.py" "$pcfg" "$n" "$repo/policies" "$work/probe" probe
    m=$(JIKU_AGENT_CONFIG=$pcfg/agent.conf JIKU_PLAN_PROBE=$work/probe.out \
        run_once "$agent" nightly)
    [ -s "$work/probe.out" ] || {
        echo "scale_config: $n: the probe was never called" >&2
        exit 1
    }
    cpu=$(awk '{ printf "%.1f", $1 / 1000 }' "$work/probe.out")
    read -r wall _ rss <<<"$m"
    emit "nightly planning" "$n" "$wall $cpu $rss" 1000 "$cpu"
done
