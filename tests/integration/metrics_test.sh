#!/bin/sh
# The metrics file (jiku-agent(8), MONITORING) with the recorder test plugin standing in for a
# panel: written after every command that changes something and only then, each series of it,
# promtool's check, and runs that end together.
#
# usage: metrics_test.sh JIKU_AGENT RECORDER_SO POLICY_DIR [PROMTOOL]
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
RECORDER=$2
POLICIES=$3
PROMTOOL=${4:-/opt/jiku-test/promtool}
RUN_TIMEOUT=60
test_begin

M=$T/metrics.prom
{
    agent_section "lock_wait = 30" "metrics_file = $M"
    retention_section 5 2 2
    recorder_server "$RECORDER"
    cat <<CONF

[customer acme]
tier = medium
application.snapshot = jiku
application.update = jiku

[target acme/shop]
server = web1
kind = account
account = acmeshop
nightly = snapshot

[target acme/blog]
server = web1
kind = wordpress
account = acmeshop
domain = blog.acme.example
nightly = snapshot

[target acme/c1]
server = web1
kind = account
account = c1

[target acme/c2]
server = web1
kind = account
account = c2

[target acme/c3]
server = web1
kind = account
account = c3

[customer highco]
tier = high

[target highco/portal]
server = web1
kind = account
account = highco
nightly = snapshot
CONF
} >"$T/agent.conf"

# sample NAME LABELS: the value of the one sample NAME{LABELS} in the metrics file
sample() {
    awk -v key="$1{$2}" 'index($0, key " ") == 1 { print $2; n++ } END { exit n != 1 }' "$M" ||
        { fail "metrics lack exactly one $1{$2}"; sed 's/^/  | /' "$M" | head -60; }
}
expect() {
    got=$(sample "$1" "$2")
    [ "$got" = "$3" ] || fail "$1{$2} is '$got', expected '$3'"
}
promtool_ok() {
    if [ ! -x "$PROMTOOL" ]; then
        fail "promtool not found at $PROMTOOL (scripts/deps.sh unpacks it)"
    elif ! "$PROMTOOL" check metrics <"$M" >"$T/promtool.out" 2>&1; then
        fail "promtool rejects the metrics file ($1)"
        sed 's/^/  | /' "$T/promtool.out"
    fi
}

# --- read-only commands and dry runs write nothing ---------------------------------------
run 0 list
run 0 config check
run 0 --dry-run snapshot acme/shop
run 0 history
[ -e "$M" ] && fail "a read-only command or a dry run wrote the metrics file"

# --- one snapshot, not nightly: the file, with that target's series -----------------------
before=$(date +%s)
run 0 snapshot acme/shop
[ -f "$M" ] || fail "no metrics file after snapshot"
promtool_ok "after snapshot"
[ "$(stat -c %a "$M")" = 644 ] || fail "the metrics file is not 0644"
newest=$(sample jiku_agent_newest_artifact_timestamp_seconds \
    'customer="acme",target="acme/shop",kind="snapshot"')
[ "${newest:-0}" -ge "$before" ] || fail "newest snapshot at '$newest', before the run ($before)"
expect jiku_agent_artifacts 'customer="acme",target="acme/shop",kind="snapshot"' 1
sample jiku_agent_artifact_bytes 'customer="acme",target="acme/shop",kind="snapshot"' >/dev/null
sample jiku_agent_oldest_artifact_timestamp_seconds \
    'customer="acme",target="acme/shop",kind="snapshot"' >/dev/null
expect jiku_agent_target_never_succeeded 'customer="acme",target="acme/shop"' 0
expect jiku_agent_target_never_succeeded 'customer="highco",target="highco/portal"' 1
expect jiku_agent_target_never_succeeded 'customer="acme",target="acme/blog"' 1
# acme/shop's nightly takes a snapshot; acme/c1 has no nightly
expect jiku_agent_target_nightly_restore_point 'customer="acme",target="acme/shop"' 1
expect jiku_agent_target_nightly_restore_point 'customer="acme",target="acme/c1"' 0
expect jiku_agent_last_run_exit_code 'command="snapshot"' 0
end=$(sample jiku_agent_last_run_end_timestamp_seconds 'command="snapshot"')
[ "${end:-0}" -ge "$before" ] || fail "last snapshot run ended at '$end', before $before"
expect jiku_agent_operations_total 'action="server.snapshot",result="ok"' 1
sample jiku_agent_last_success_timestamp_seconds \
    'customer="acme",target="acme/shop",action="server.snapshot"' >/dev/null
sample jiku_agent_operation_duration_seconds \
    'customer="acme",target="acme/shop",action="server.snapshot"' >/dev/null
grep -q '^# TYPE jiku_agent_updates_total counter$' "$M" || fail "a family without samples lost its TYPE"

# --- a denial and a failure: exit codes per command, denials, failures --------------------
run 77 snapshot highco/portal
expect jiku_agent_last_run_exit_code 'command="snapshot"' 77
expect jiku_agent_denials_total 'customer="highco",target="highco/portal",action="server.snapshot"' 1
expect jiku_agent_operations_total 'action="server.snapshot",result="denied"' 1
run 0 backup acme/shop
expect jiku_agent_last_run_exit_code 'command="backup"' 0
expect jiku_agent_last_run_exit_code 'command="snapshot"' 77
expect jiku_agent_artifacts 'customer="acme",target="acme/shop",kind="backup"' 1
JIKU_RECORDER_FAIL=snapshot run 1 snapshot acme/blog
expect jiku_agent_last_run_exit_code 'command="snapshot"' 1
expect jiku_agent_last_run_exit_code 'command="backup"' 0
expect jiku_agent_target_never_succeeded 'customer="acme",target="acme/blog"' 1
expect jiku_agent_operations_total 'action="application.snapshot",result="failed"' 1
sample jiku_agent_operation_duration_seconds \
    'customer="acme",target="acme/blog",action="application.snapshot"' >/dev/null
promtool_ok "after a failure"

# --- updates: applied, then one rolled back --------------------------------------------------
JIKU_RECORDER_PENDING=1 run 0 update acme/blog
expect jiku_agent_updates_total 'customer="acme",target="acme/blog",result="applied"' 1
expect jiku_agent_artifacts 'customer="acme",target="acme/blog",kind="safety"' 1
expect jiku_agent_target_never_succeeded 'customer="acme",target="acme/blog"' 0
JIKU_RECORDER_PENDING=1 JIKU_RECORDER_FAIL=update:apply JIKU_RECORDER_CHANGED=update:apply \
    run 1 update acme/blog
expect jiku_agent_updates_total 'customer="acme",target="acme/blog",result="rolled_back"' 1
expect jiku_agent_last_run_exit_code 'command="update"' 1
JIKU_RECORDER_PENDING=1 run 0 update --check acme/blog
expect jiku_agent_last_run_exit_code 'command="update"' 1

# --- nightly and prune rewrite it too ---------------------------------------------------------
run 3 nightly
expect jiku_agent_last_run_exit_code 'command="nightly"' 3
run 0 prune --all
expect jiku_agent_last_run_exit_code 'command="prune"' 0
promtool_ok "after nightly"

# --- runs ending together: each writes a whole file, the last one holds every run ------------
pids=
for t in acme/shop acme/c1 acme/c2 acme/c3 acme/shop acme/c1; do
    JIKU_RECORDER_SLEEP_MS=300 timeout 60 "$BIN" -c "$T/agent.conf" snapshot "$t" \
        </dev/null >/dev/null 2>>"$T/parallel.err" &
    pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a parallel snapshot failed: $(cat "$T/parallel.err")"; done
n=$((n + 6))
promtool_ok "after parallel runs"
ops=$(statedb "SELECT COUNT(*) FROM operations WHERE status <> 'running'")
sum=$(awk '/^jiku_agent_operations_total\{/ { s += $2 } END { print s }' "$M")
[ "$ops" = "$sum" ] || fail "the metrics count $sum operations, the catalog $ops"
for t in c1 c2 c3; do
    expect jiku_agent_artifacts "customer=\"acme\",target=\"acme/$t\",kind=\"snapshot\"" \
        "$(statedb "SELECT COUNT(*) FROM artifacts WHERE target = 'acme/$t' AND status = 'good'")"
done
[ -f "$M.lock" ] || fail "no lock file beside the metrics file"
ls "$T" | grep -q '^metrics\.prom\.[^l]' && fail "a temp file stayed: $(ls "$T")"

# --- an unwritable metrics file is a warning, never the run's failure --------------------------
sed -i "s|^metrics_file = .*|metrics_file = $T/nodir/metrics.prom|" "$T/agent.conf"
run 0 snapshot acme/shop && has err "metrics:"

test_end
