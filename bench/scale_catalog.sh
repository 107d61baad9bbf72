#!/bin/bash
# How cost grows with the catalog and the audit (bench/README.md, "How cost grows").
#
#     bench/scale_catalog.sh BUILD_DIR WORK_DIR OUT_JSONL
#
# BUILD_DIR holds a built jiku-agent and the generators jiku_bench_scale_gen and
# jiku_bench_scale_audit (bench/CMakeLists.txt; Release for timing).  States are made once into
# WORK_DIR through the agent's own code (bench/scale_gen.c: reserve + update;
# bench/scale_audit.c: jiku_audit_append) and reused by later runs, keyed by size.  Each agent
# command is timed best of 3 (bench/scale_time.py) and appended to OUT_JSONL as one line:
# (its fields: bench/scale_time.py); audit rows add "per_s", records verified per second.
# SCALE_CATALOG_SIZES / SCALE_AUDIT_SIZES override the sizes.
# Generation from nothing: the 1M catalog ~80 s, the 10M audit (all sizes from one chain)
# ~10 min on the 2-core lead machine; later runs reuse them.
set -eu

[ $# -eq 3 ] || { echo "usage: scale_catalog.sh BUILD_DIR WORK_DIR OUT_JSONL" >&2; exit 64; }
build=$(cd "$1" && pwd)
mkdir -p "$2"
work=$(cd "$2" && pwd)
out=$3
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
agent=$build/agent/jiku-agent
cat_sizes=${SCALE_CATALOG_SIZES:-1000 10000 100000 1000000}
audit_sizes=${SCALE_AUDIT_SIZES:-1000 10000 100000 1000000 10000000}
per_target=100 # 1,000,000 artifacts over 10,000 targets

gen=$build/bench/jiku_bench_scale_gen
gen_audit=$build/bench/jiku_bench_scale_audit
[ -x "$agent" ] && [ -x "$gen" ] && [ -x "$gen_audit" ] ||
    { echo "scale_catalog: no $agent, $gen or $gen_audit" >&2; exit 1; }

# conf DIR N_TARGETS: DIR/agent.conf on DIR/state, conf.d with every target of the state; the
# server's ssh port is closed, so prune's sweep stops at its connection (what is measured is
# what prune decides from the catalog).
conf() {
    d=$1 n_targets=$2
    [ -f "$d/agent.conf" ] && [ -f "$d/conf.d/targets.conf" ] && return 0
    mkdir -p "$d/conf.d"
    cat >"$d/agent.conf" <<CONF
[agent]
state_dir = $d/state
backup_dir = $d/backups
policy_dir = $repo/policies
plugin_dir = $d/plugins
retry_deadline = 0
log = stderr

[server web1]
panel = cpanel
host = 127.0.0.1
api_port = 9
api_user = root
api_token_file = $d/token
ssh_port = 9
ssh_user = root
ssh_key = $d/token
known_hosts = $d/token
snapshot_dir = /var/lib/jiku-snapshots
CONF
    echo token >"$d/token"
    chmod 600 "$d/token"
    awk -v n="$n_targets" 'BEGIN {
        for (t = 0; t < n; t++) {
            c = int(t / 10)
            if (t % 10 == 0)
                printf "\n[customer cust%d]\ntier = low\n", c
            printf "\n[target cust%d/site%d]\nserver = web1\nkind = account\naccount = a%d\n" \
                "keep_daily = 200\n", c, t % 10, t
        }
    }' >"$d/conf.d/targets.conf"
}

# --- the catalog ------------------------------------------------------------------------------
for n in $cat_sizes; do
    d=$work/cat-$n
    targets=$((n / per_target))
    if [ ! -f "$d/generated" ]; then
        rm -rf "$d"
        mkdir -p "$d"
        echo "scale_catalog: generating $n artifacts over $targets targets" >&2
        "$gen" "$d/state" "$targets" "$per_target" >&2
        touch "$d/generated"
    fi
    conf "$d" "$targets"
    t="cust$((targets / 20))/site5" # one in the middle
    # The first command migrates a state made by an older generator; not timed.
    "$agent" -c "$d/agent.conf" list "$t" >/dev/null
    python3 "$here/scale_time.py" --row "catalog list TARGET" --n "$n" --bar-ms 50 \
        --bar-n 1000000 -- "$agent" -c "$d/agent.conf" list "$t" >>"$out"
    python3 "$here/scale_time.py" --row "catalog prune --dry-run TARGET" --n "$n" --bar-ms 100 \
        --bar-n 1000000 -- "$agent" -c "$d/agent.conf" --dry-run prune "$t" >>"$out"
done

# --- the audit ----------------------------------------------------------------------------------
missing=
for n in $audit_sizes; do
    [ -f "$work/audit-$n/state/state.db" ] || missing=yes
done
if [ -n "$missing" ]; then
    rm -rf "$work/audit-gen"
    echo "scale_audit: generating audits of $audit_sizes records" >&2
    # shellcheck disable=SC2086
    "$gen_audit" "$work" $audit_sizes >&2
    rm -rf "$work/audit-gen"
fi
for n in $audit_sizes; do
    d=$work/audit-$n
    printf '[agent]\nstate_dir = %s/state\nlog = stderr\n' "$d" >"$d/agent.conf"
    "$agent" -c "$d/agent.conf" audit verify >/dev/null
    python3 "$here/scale_time.py" --row "audit verify" --n "$n" --bar-ms 30000 --bar-n 10000000 \
        --timeout 900 --rate -- "$agent" -c "$d/agent.conf" audit verify >>"$out"
done
