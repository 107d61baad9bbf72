#!/bin/sh
# The real jiku-agent binary and both real plugins over a simulated fleet (scripts/fleet.sh:
# web1 and web2 cPanel, plesk1 Plesk; accounts, subscriptions, WordPress and Softaculous
# targets): `nightly` as cron runs it (no tty: silent on success, one stderr line per failure),
# as a human sees it (a pty: the table), with a server down (its targets fail with 69, the
# others are done, exit 3), the metrics file (promtool), the healthchecks pings, and `catalog
# rebuild` after state.db is lost (every backup back with its checksum; an altered archive
# reported, not imported).
#
# usage: nightly_test.sh JIKU_AGENT CPANEL_SO PLESK_SO POLICY_DIR FLEET_SH [PROMTOOL]
#        (as root: the simulators' sshd rigs)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
CPANEL_SO=$2
PLESK_SO=$3
POLICIES=$4
FLEET=$5
PROMTOOL=${6:-/opt/jiku-test/promtool}
SIM=$(dirname "$FLEET")/../tests/fakes/cpanel/sim.sh

test_begin --root
F=$T/fleet
AGENT_CONF=$F/agent.conf
STATE_DB=$F/state/state.db
# shellcheck disable=SC2016 # expanded at exit
at_exit 'sh "$FLEET" stop "$F" >/dev/null 2>&1'

# ops: "target action status exit_code" lines of the operations in $T/out (--json)
ops() {
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == "operation":
        print(o["target"], o["action"], o["status"], o["exit_code"])
' "$T/out" | LC_ALL=C sort
}
# summary: "ok failed denied skipped exit_code" of the summary line in $T/out
summary() {
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == "summary":
        print(o["ok"], o["failed"], o["denied"], o["skipped"], o["exit_code"])
' "$T/out"
}
# backups: the backup artifacts of the catalog, one sorted line each, every field that a
# manifest carries
backups() {
    timeout 60 "$BIN" -c "$AGENT_CONF" --json list 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    if o["type"] == "artifact" and o["kind"] == "backup":
        print(o["id"], o["customer"], o["target"], o["status"], o["created"], o["size"],
              o["md5"], o["sha256"], o["location"])
' | LC_ALL=C sort
}
pings() { tr '\n' ' ' <"$T/pings" | sed 's/ $//'; }

# --- a ping receiver on loopback ------------------------------------------------------------
pingd_start "$T/pings"
PING=http://127.0.0.1:$PING_PORT/ping-uuid

# --- the fleet ------------------------------------------------------------------------------
sh "$FLEET" start "$F" --cpanel-so "$CPANEL_SO" --plesk-so "$PLESK_SO" --policies "$POLICIES" \
    --job-seconds 0.5 --retry-deadline 3 --ping-url "$PING" >"$T/fleet.log" 2>&1 ||
    { cat "$T/fleet.log"; exit 1; }
HIGHCO=$F/conf.d/30-highco.conf
ALL_OK="acme/blog application.snapshot ok 0
acme/blog application.update ok 0
acme/cloud application.backup ok 0
acme/shop server.snapshot ok 0
acme/store server.backup ok 0
acme/storeblog application.snapshot ok 0
lowco/site server.backup ok 0
lowco/wp application.snapshot ok 0
lowco/wp application.update ok 0"

# --- every target done: exit 0, nothing printed under cron, start + success pinged ---------
# highco's customer-run snapshot is taken out of the night for this run.
sed -i '/^\[target highco\/portal\]/,/^\[/ s/^nightly = snapshot$/nightly = none/' "$HIGHCO"
grep -q '^nightly = snapshot' "$HIGHCO" && fail "could not set highco/portal to nightly = none"
if run 0 nightly; then
    [ -s "$T/out" ] && fail "a successful nightly without a tty wrote to stdout: $(head -5 "$T/out")"
    [ -s "$T/err" ] && fail "a successful nightly without a tty wrote to stderr: $(head -5 "$T/err")"
fi
[ "$(pings)" = "/ping-uuid/start /ping-uuid" ] || fail "pings of a successful run: $(pings)"
[ -f "$F/metrics.prom" ] || fail "no metrics file after nightly"
[ -e "$F/metrics.prom.tmp" ] && fail "the metrics temp file stayed"
if [ -x "$PROMTOOL" ]; then
    "$PROMTOOL" check metrics <"$F/metrics.prom" >"$T/promtool.out" 2>&1 ||
        { fail "promtool rejects the metrics file"; cat "$T/promtool.out"; }
else
    fail "promtool not found at $PROMTOOL (scripts/deps.sh unpacks it)"
fi
has fleet/metrics.prom 'jiku_agent_last_success_timestamp_seconds{customer="acme",target="acme/cloud",action="application.backup"}'
has fleet/metrics.prom 'jiku_agent_operations_total{action="application.backup",result="ok"}'
sed -i '/^\[target highco\/portal\]/,/^\[/ s/^nightly = none$/nightly = snapshot/' "$HIGHCO"

# --- a human at a terminal sees the table and its summary line -------------------------------
n=$((n + 1))
rc=0
timeout 300 script -qec "'$BIN' -c '$F/agent.conf' nightly" /dev/null </dev/null >"$T/tty" 2>&1 ||
    rc=$?
tr -d '\r' <"$T/tty" >"$T/tty.txt"
grep -Eq '^acme/cloud +application\.backup +ok +[0-9T]+Z\.acme\.cloud\.b' "$T/tty.txt" ||
    { fail "no table line for acme/cloud on a terminal"; sed 's/^/  | /' "$T/tty.txt" | head -20; }
has tty.txt "nightly: 9 ok, 0 failed, 1 denied, 0 skipped (exit 3)"
has tty.txt "denied: server.snapshot for customer 'highco'"

# --- web2 down: its targets fail with 69 after retry_deadline, every other target is done --
sh "$SIM" stop "$F/web2" >/dev/null 2>&1
: >"$T/pings"
started=$(date +%s)
if run 3 --json nightly; then
    want="$ALL_OK
highco/portal server.snapshot denied 77"
    want=$(printf '%s\n' "$want" | sed 's|^lowco/\([a-z]*\) \([a-z.]*\) ok 0$|lowco/\1 \2 failed 69|' |
        LC_ALL=C sort)
    [ "$(ops)" = "$want" ] || { fail "operations with web2 down:"; ops | sed 's/^/  | /'; }
    [ "$(summary)" = "6 3 1 0 3" ] || fail "summary with web2 down: $(summary)"
fi
[ $(($(date +%s) - started)) -lt 120 ] || fail "a dead server held the night back"
[ "$(pings)" = "/ping-uuid/start POST /ping-uuid/3" ] || fail "pings of a partial run: $(pings)"
has fleet/metrics.prom 'jiku_agent_operations_total{action="server.backup",result="failed"}'
"$PROMTOOL" check metrics <"$F/metrics.prom" >"$T/promtool.out" 2>&1 ||
    { fail "promtool rejects the metrics file of a partial run"; cat "$T/promtool.out"; }

# The same under cron, in human form: nothing on stdout, one stderr line per failure.
if run 3 nightly; then
    [ -s "$T/out" ] && fail "a partial nightly without a tty wrote to stdout: $(head -5 "$T/out")"
    [ "$(wc -l <"$T/err")" = 4 ] || { fail "expected 4 stderr lines"; sed 's/^/  | /' "$T/err"; }
    has err "lowco/site"
    has err "lowco/wp"
    has err "highco/portal"
fi

# --- catalog rebuild after state.db is lost -----------------------------------------------
backups >"$T/before"
[ "$(wc -l <"$T/before")" -ge 6 ] || fail "expected at least 6 backups, got: $(cat "$T/before")"
grep -q ' acme/store ' "$T/before" && grep -q ' acme/cloud ' "$T/before" &&
    grep -q ' lowco/site ' "$T/before" || fail "backups missing a kind: $(cat "$T/before")"
rm -f "$F/state/state.db" "$F/state/state.db-wal" "$F/state/state.db-shm"
run 0 list && [ -z "$(backups)" ] || fail "the catalog survived deleting state.db"
run 0 --json catalog rebuild
backups >"$T/after"
cmp -s "$T/before" "$T/after" ||
    { fail "catalog rebuild did not bring back every backup"; diff "$T/before" "$T/after"; }
run 0 verify --all

# An archive altered after its manifest was written: reported (65), never imported.
BAD_ID=$(head -n 1 "$T/before" | cut -d' ' -f1)
BAD=$(find "$F/backups" -type d -name "$BAD_ID")
[ -f "$BAD/manifest.json" ] || fail "no manifest for $BAD_ID in backup_dir"
for f in "$BAD"/*; do [ "${f##*/}" = manifest.json ] || printf 'x' >>"$f"; done
statedb "DELETE FROM artifacts WHERE id = '$BAD_ID'"
run 65 catalog rebuild && has err "$BAD_ID" && has err "does not match its manifest"
backups | grep -q "^$BAD_ID " && fail "an altered archive was imported"
[ "$(backups | wc -l)" = $(($(wc -l <"$T/before") - 1)) ] ||
    fail "a rebuild over an existing catalog changed other backups"

test_end
sim_assert_no_root_in_tenant_trees "$F/web1" "$F/web2" "$F/plesk1"
