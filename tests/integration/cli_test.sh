#!/bin/sh
# The real jiku-agent binary end to end, with the recorder test plugin standing in for cPanel:
# configuration errors, the policy commands, the action flow (decision, lock, plugin, catalog,
# audit), exit codes, JSON lines, retention, the audit chain and locks.
#
# usage: cli_test.sh JIKU_AGENT RECORDER_SO POLICY_DIR
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
RECORDER=$2
POLICIES=$3
RUN_TIMEOUT=60
ACTOR=tester
test_begin

# --- a configuration: one cPanel server, customers on all three tiers -------------------
{
    agent_section "lock_wait = 2"
    retention_section 2 1 2
    recorder_server "$RECORDER"
} >"$T/agent.conf"
cat >"$T/conf.d/10-acme.conf" <<'CONF'
[customer acme]
tier = medium
contact = ops@acme.example
application.stage = jiku
application.snapshot = jiku
server.update = customer

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
CONF
cat >"$T/conf.d/20-lowco.conf" <<'CONF'
[customer lowco]
tier = low
server.rollback = customer

[target lowco/site]
server = web1
kind = account
account = lowco
nightly = backup
CONF
cat >"$T/conf.d/30-highco.conf" <<'CONF'
[customer highco]
tier = high

[target highco/portal]
server = web1
kind = account
account = highco
nightly = snapshot
CONF

# --- configuration and policy ------------------------------------------------------------
run 0 config check && has out "config ok" && has err "highco/portal"
run 0 config show && has out "[server web1]" && hasnt out "not-a-real-token"
line=$(grep -n '^application.stage' "$T/conf.d/10-acme.conf" | cut -d: -f1)
run 0 policy show acme && has out "application.stage" && has out "10-acme.conf:$line (contract)"
run 0 policy show lowco && has out "server.snapshot"
run 0 policy show highco
run 0 policy show acme && has out "contact: ops@acme.example" &&
    has out "server.update                customer  -        " &&
    has out "(contract) (not performed by the agent)"
run 0 policy show acme/shop && has out "target acme/shop" && has out "contact: ops@acme.example"
run 66 policy show acme/nope && has err "no such target 'acme/nope'"
# A contact in Latin-1 (free text) still gives every JSON line of the matrix.
printf '[customer latin]\ntier = medium\ncontact = M\374ller GmbH\n' >"$T/conf.d/20-latin.conf"
run 0 --json policy show latin
[ "$(grep -c '"type":"policy"' "$T/out")" = 16 ] || fail "policy show --json lost its lines"
hasnt err "JSON"
rm -f "$T/conf.d/20-latin.conf"
run 0 config check && has err "customer 'lowco' (tier low) is given server.rollback"
mline=$(grep -n '^stage' "$POLICIES/medium.policy" | cut -d: -f1)
run 77 policy explain acme application.promote && has out "medium.policy"
run 64 policy explain acme application.stage.x && has err "unknown action" &&
    has err "did you mean 'application.stage'"
run 0 policy explain acme application.stage && has out "10-acme.conf:$line"
run 77 policy explain acme application.clone && has out "is open"
run 64 policy explain acme server.frobnicate && has err "unknown action" &&
    has err "expected one of infrastructure.operate,"
run 66 policy explain nobody server.snapshot
run 0 --json policy explain acme application.stage && has out '"type":"decision"' &&
    has out '"allowed":true' && has out '"type":"summary"'
run 0 policy check && has err "lowco" && has err "server.rollback"
[ -n "$mline" ] || fail "medium.policy has no stage line"

# --- usage ---------------------------------------------------------------------------------
run 64 frobnicate
run 64 --json frobnicate && has out '"type":"error"' && has out '"type":"summary"'
run 0 snapshot --help && has out "usage: jiku-agent snapshot"
run 64 snapshot
run 64 snapshot 'acme/x;rm -rf'
run 66 snapshot acme/nope
run 64 rollback acme/shop --exact --merge
run 0 --version && has out "jiku-agent"
# every option with its line (the table walk itself: tests/unit/test_cli.c); help [COMMAND]
run 0 rollback --help && has out "  -y, --yes" && has out "--to ID|latest" && has out "--json"
run 0 help && has out "Commands:" && has out "  history "
run 0 help history && has out "usage: jiku-agent history" && has out "RFC 3339"
run 64 help frobnicate && has err "'frobnicate' is not a jiku-agent command" && has err "Commands:"
# completion words: from the table, the configuration; silent on what it cannot read
run 0 complete options rollback && has out "--to" && has out "--config" && hasnt out "--all"
run 0 complete targets && has out "acme/shop" && has out "highco/portal" && [ ! -s "$T/err" ] ||
    fail "complete targets wrote to stderr: $(cat "$T/err")"
run 0 complete servers && has out "web1"
AGENT_CONF=$T/nowhere.conf run 0 complete targets && [ ! -s "$T/out" ] && [ ! -s "$T/err" ] ||
    fail "complete targets without a configuration printed something"
run 64 complete frobnicate

# --- actions through the recorder ----------------------------------------------------------
# Without any tty (this test: stdin /dev/null, stdout and stderr files) a success is silent,
# as under cron (jiku-agent(8), DESCRIPTION); --json still reports it.
run 0 snapshot acme/shop && [ ! -s "$T/out" ] && [ ! -s "$T/err" ] ||
    fail "a successful snapshot without a tty printed: $(cat "$T/out" "$T/err")"
run 0 --json snapshot acme/shop && has out '"target":"acme/shop","action":"server.snapshot","status":"ok"'
grep -q '^snapshot acme/shop ' "$T/recorder.log" || fail "recorder saw no snapshot"
id=$(artifacts acme/shop | head -n 1 | cut -d' ' -f1)
run 0 complete ids acme/shop && has out "$id" &&
    [ "$(wc -l <"$T/out")" = "$(artifacts acme/shop | wc -l)" ] ||
    fail "complete ids acme/shop: $(cat "$T/out")"
run 0 complete ids lowco/site && [ ! -s "$T/out" ] || fail "ids of another target completed"

# --- bash completion (packaging/bash-completion/jiku-agent) driven as bash would ------------
# complete_line WORD...: COMPREPLY, one a line in $T/out, for the last WORD ('' for a new one)
complete_line() {
    n=$((n + 1))
    bash -c '
        . /usr/share/bash-completion/bash_completion
        . "$1"
        shift
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        _jiku_agent "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "%s\n" "${COMPREPLY[@]}"
    ' sh "$COMPLETION" "$BIN" -c "$T/agent.conf" "$@" >"$T/out" 2>"$T/err" ||
        fail "completing '$*' failed: $(cat "$T/err")"
    [ ! -s "$T/err" ] || fail "completing '$*' wrote to the terminal: $(cat "$T/err")"
}
COMPLETION=$(dirname "$0")/../../packaging/bash-completion/jiku-agent
if [ -r /usr/share/bash-completion/bash_completion ]; then
    complete_line ro && has out rollback && hasnt out snapshot
    complete_line snapshot '' && has out acme/shop && has out lowco/site && hasnt out web1
    complete_line snapshot ac && has out acme/blog && hasnt out lowco/site
    complete_line rollback --y && [ "$(cat "$T/out")" = --yes ] || fail "rollback --y: $(cat "$T/out")"
    complete_line rollback acme/shop --to '' && has out latest && has out "$id" &&
        [ "$(grep -c '\.acme\.shop\.' "$T/out")" = "$(artifacts acme/shop | wc -l)" ] ||
        fail "rollback --to: $(cat "$T/out")"
    complete_line pin '' && has out "$id"
    complete_line list --customer '' && has out acme && has out highco
    complete_line servers '' && has out fingerprint && has out trust
    complete_line servers fingerprint '' && [ "$(cat "$T/out")" = web1 ] ||
        fail "servers fingerprint: $(cat "$T/out")"
    complete_line help his && [ "$(cat "$T/out")" = history ] || fail "help his: $(cat "$T/out")"
    complete_line report --format h && [ "$(cat "$T/out")" = html ] ||
        fail "report --format h: $(cat "$T/out")"
    complete_line report --format html --cu && [ "$(cat "$T/out")" = --customer ] ||
        fail "report --format html --cu: $(cat "$T/out")"
    complete_line --json lis && [ "$(cat "$T/out")" = list ] || fail "--json lis: $(cat "$T/out")"
    complete_line users r && [ "$(cat "$T/out")" = "role
remove" ] || fail "users r: $(cat "$T/out")"
    complete_line mail add --quota 5 '' && has out acme/shop
    complete_line mail passwd acme/shop info@acme.example --gen &&
        [ "$(cat "$T/out")" = --generate ] || fail "mail ... --gen: $(cat "$T/out")"
else
    fail "bash-completion is not installed (scripts/deps.sh)"
fi
run 0 --json list acme/shop && has out '"type":"artifact"' && has out '"kind":"snapshot"' &&
    has out '"status":"good"'
run 77 snapshot highco/portal && has err "denied: server.snapshot for customer 'highco'"
grep -q 'highco' "$T/recorder.log" && fail "a denied action reached the plugin"
run 0 backup lowco/site
bdir=$(find "$T/backups/lowco/site" -name manifest.json | head -n 1)
[ -n "$bdir" ] || fail "backup left no manifest"
[ "$(stat -c %a "$T/backups/lowco/site")" = 700 ] || fail "backup directory is not 0700"

JIKU_RECORDER_FAIL=snapshot run 1 snapshot acme/blog && has err "JIKU_RECORDER_FAIL"
run 0 --json list acme/blog && hasnt out '"type":"artifact"'

# rollback: safety snapshot first, then the restore; a failed safety snapshot stops it
: >"$T/recorder.log"
run 0 --json rollback acme/shop --to latest --yes && has out '"safety_artifact":"2'
head -n 1 "$T/recorder.log" | grep -q '^snapshot acme/shop .*\.x' || fail "no safety snapshot first"
sed -n 2p "$T/recorder.log" | grep -q '^rollback acme/shop .*\.s' || fail "rollback not after safety"
: >"$T/recorder.log"
JIKU_RECORDER_FAIL=snapshot run 1 rollback acme/shop --yes && has err "safety snapshot failed"
grep -q '^rollback' "$T/recorder.log" && fail "rollback ran without a safety snapshot"
JIKU_RECORDER_FAIL=rollback run 1 rollback acme/shop --yes && has err "safety snapshot '"
run 64 rollback acme/shop && has err "without --yes"
run 66 rollback acme/shop --to 20000101T000000Z.acme.shop.s --yes
run 0 --dry-run rollback acme/shop && grep -q 'dry-run' "$T/recorder.log" ||
    fail "dry-run rollback did not ask the plugin for the change list"

# nightly: one denied target makes the run partial, one line on stderr for it
run 3 nightly && has err "highco/portal" &&
    [ "$(grep -c 'denied' "$T/err")" = 1 ] || fail "nightly denial is not exactly one line"
[ -s "$T/out" ] && fail "nightly without a tty printed its successes: $(cat "$T/out")"
run 3 --json nightly && has out '"type":"summary","command":"nightly"' && has out '"denied":1'
run 77 --dry-run snapshot highco/portal
run 0 --dry-run snapshot acme/shop && has out "dry-run: allowed"
run 3 --dry-run nightly && has out "dry-run: denied"

# --- monitoring: metrics textfile and healthchecks-style pings --------------------------
PROMTOOL=${PROMTOOL:-/opt/jiku-test/promtool}
pingd_start "$T/pings"
cp "$T/agent.conf" "$T/agent.conf.plain"
sed -i "s|^log = stderr|log = stderr\nmetrics_file = $T/metrics.prom\nping_url = http://127.0.0.1:$PING_PORT/check-uuid/|" \
    "$T/agent.conf"
run 3 nightly
[ "$(cat "$T/pings")" = "$(printf '/check-uuid/start\nPOST /check-uuid/3')" ] ||
    fail "pings were: $(tr '\n' ' ' <"$T/pings")"
has metrics.prom 'jiku_agent_last_success_timestamp_seconds{customer="acme",target="acme/shop",action="server.snapshot"}'
has metrics.prom 'jiku_agent_operations_total{action="server.snapshot",result="denied"}'
has metrics.prom 'jiku_agent_operation_duration_seconds{customer="lowco",target="lowco/site",action="server.backup"}'
if [ -x "$PROMTOOL" ]; then
    "$PROMTOOL" check metrics <"$T/metrics.prom" >"$T/promtool.out" 2>&1 ||
        { fail "promtool rejects the metrics file"; cat "$T/promtool.out"; }
else
    fail "promtool not found at $PROMTOOL (scripts/deps.sh unpacks it)"
fi
: >"$T/pings"
run 0 snapshot acme/shop
[ -s "$T/pings" ] && fail "a one-off command pinged the monitor"
pingd_stop
sed -i "s|^ping_url = .*|ping_url = http://127.0.0.1:9/nobody-listens|" "$T/agent.conf"
run 3 nightly && has err "ping"
cp "$T/agent.conf.plain" "$T/agent.conf"

# --- retention -----------------------------------------------------------------------------
for i in 1 2 3; do run 0 snapshot acme/shop; done
keep=$("$BIN" -c "$T/agent.conf" --json list acme/shop | grep -c '"kind":"snapshot"')
first=$("$BIN" -c "$T/agent.conf" --json list acme/shop | grep '"kind":"snapshot"' | tail -n 1 |
    sed 's/.*"id":"\([^"]*\)".*/\1/')
run 0 pin "$first"
: >"$T/recorder.log"
run 0 --dry-run prune acme/shop && has out "would remove"
[ -s "$T/recorder.log" ] && fail "a dry-run prune removed something"
run 0 prune acme/shop
awk -v id="$first" '$1 == "prune" && $3 == id { found = 1 } END { exit !found }' \
    "$T/recorder.log" && fail "prune removed a pinned artifact"
left=$("$BIN" -c "$T/agent.conf" --json list acme/shop | grep -c '"kind":"snapshot"')
[ "$left" -lt "$keep" ] || fail "prune removed nothing ($keep before, $left after)"
run 0 unpin "$first"
run 66 pin 20000101T000000Z.nope.nope.s

# --- verify --------------------------------------------------------------------------------
run 0 verify lowco/site
for archive in $(find "$T/backups/lowco/site" -name '*.tar.gz'); do printf 'x' >>"$archive"; done
run 65 verify lowco/site && has err "does not match"

# --- audit chain ---------------------------------------------------------------------------
run 0 audit verify && has out "chain intact" && hasnt err "warning"
run 0 history --target acme/shop && has out "acme/shop"
# --since: YYYY-MM-DD or RFC 3339 with an offset; a bad date names both; a typo'd target is 66
run 0 history --since 2000-01-01 && has out "acme/shop"
run 0 history --since 2000-01-01T10:00:00+02:00 && has out "acme/shop"
run 0 history --since 2999-01-01T00:00:00Z && [ ! -s "$T/out" ] || fail "history of the future"
run 64 history --since 01/12/2026 && has err "YYYY-MM-DD or RFC 3339"
run 66 history --target acme/nope && has err "acme/nope"
run 0 history --target acme/shop --since 2999-01-01
head=$(statedb "SELECT hash || ':' || seq FROM audit ORDER BY seq DESC LIMIT 1")
run 0 audit verify --head "$head"
cp "$T/state/state.db" "$T/state.bak"
statedb "UPDATE audit SET reason = 'tampered' WHERE seq = 3"
run 65 audit verify && has err "3"
cp "$T/state.bak" "$T/state/state.db"
rm -f "$T/state/state.db-wal" "$T/state/state.db-shm"
statedb "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)"
run 65 audit verify --head "$head"
run 64 audit verify --head garbage

# --- locks -----------------------------------------------------------------------------------
cp "$T/state.bak" "$T/state/state.db"
rm -f "$T/state/state.db-wal" "$T/state/state.db-shm"
mkdir -p "$T/state/locks"
(flock -x 9 && sleep 6) 9>"$T/state/locks/web1.account.acmeshop" &
holder=$!
sleep 0.5
run 75 --lock-wait 1 snapshot acme/shop && has err "busy"
run 75 --lock-wait 1 snapshot acme/blog
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
run 0 snapshot acme/shop

# --- SIGTERM in the middle of an operation: exit 130 within seconds, nothing half-recorded --
before=$(statedb "SELECT COUNT(*) FROM artifacts WHERE target = 'acme/shop'")
JIKU_RECORDER_SLEEP_MS=30000 timeout 60 "$BIN" -c "$T/agent.conf" snapshot acme/shop \
    >"$T/out" 2>"$T/err" </dev/null &
agent=$!
sleep 1
started=$(date +%s)
kill -TERM "$agent"
rc=0
wait "$agent" || rc=$?
took=$(($(date +%s) - started))
[ "$rc" = 130 ] || fail "SIGTERM: exit $rc, expected 130"
[ "$took" -le 3 ] || fail "SIGTERM: took ${took}s to exit"
after=$(statedb "SELECT COUNT(*) FROM artifacts WHERE target = 'acme/shop'")
[ "$before" = "$after" ] || fail "an interrupted snapshot left an artifact row"
[ "$(statedb "SELECT status FROM operations ORDER BY id DESC LIMIT 1")" = \
    interrupted ] || fail "the interrupted operation is not recorded as interrupted"
run 0 --lock-wait 0 snapshot acme/shop
# a row a crashed run left pending is dropped by the next operation under the target's lock
statedb "INSERT INTO artifacts (id, customer, target, kind, server, panel, \
    created, status, pinned) VALUES ('20200101T000000Z.acme.shop.s', 'acme', 'acme/shop', \
    'snapshot', 'web1', 'cpanel', 1577836800, 'pending', 0)"
run 0 snapshot acme/shop && has err "left pending by an interrupted run"
[ "$(statedb "SELECT COUNT(*) FROM artifacts WHERE status = 'pending'")" = 0 ] ||
    fail "a stale pending row survived"

# --- configuration errors --------------------------------------------------------------------
cp "$T/conf.d/10-acme.conf" "$T/acme.good"
printf '\n[target acme/x;rm -rf]\nserver = web1\n' >>"$T/conf.d/10-acme.conf"
run 78 config check && has err "10-acme.conf:"
cp "$T/acme.good" "$T/conf.d/10-acme.conf"
printf 'colour = blue\n' >>"$T/conf.d/10-acme.conf"
run 78 config check && has err "10-acme.conf:" && has err "colour"
cp "$T/acme.good" "$T/conf.d/10-acme.conf"
printf 'contact = %0220d\n' 0 >>"$T/conf.d/10-acme.conf"
long=$(wc -l <"$T/conf.d/10-acme.conf")
run 78 config check && has err "10-acme.conf:$long"
cp "$T/acme.good" "$T/conf.d/10-acme.conf"
printf '   contact = x@y.example\n' >>"$T/conf.d/10-acme.conf"
ind=$(wc -l <"$T/conf.d/10-acme.conf")
run 78 config check && has err "10-acme.conf:$ind" && has err "indented"
cp "$T/acme.good" "$T/conf.d/10-acme.conf"
chmod 644 "$T/cred/web1.token"
run 78 config check && has err "chmod 600"
run 78 snapshot acme/shop
chmod 600 "$T/cred/web1.token"

# --- customers' text is data: no control byte of an argument reaches the terminal ----------
hostile=$(printf 'x\033[2J\033]52;c;cm0gLXJm\007\r')
run 64 --actor "$hostile" list && has err 'invalid --actor' && has err '\x1b[2J\x1b]52;c;cm0gLXJm\x07\x0d'
grep -q "$(printf '[\033\007\r]')" "$T/err" && fail "a control byte of --actor reached stderr"
run 64 snapshot "acme/$hostile" && has err '\x1b[2J'
grep -q "$(printf '[\033\007\r]')" "$T/err" && fail "a control byte of a target name reached stderr"
run 64 --json snapshot "acme/$hostile" && has out '\u001B[2J'
grep -q "$(printf '[\033\007\r]')" "$T/out" && fail "a control byte reached a JSON line raw"

# --- writing is checked: output that cannot be written is an I/O error (74) ------------------
rc=0
"$BIN" -c "$T/agent.conf" --json list acme/shop >/dev/full 2>"$T/err" </dev/null || rc=$?
[ "$rc" = 74 ] || fail "--json list >/dev/full exited $rc, expected 74"
has err "cannot write to standard output: No space left on device"
rc=0
"$BIN" --version >/dev/full 2>"$T/err" </dev/null || rc=$?
[ "$rc" = 74 ] || fail "--version >/dev/full exited $rc, expected 74"
rc=0
"$BIN" -c "$T/agent.conf" --json snapshot acme/shop >/dev/full 2>"$T/err" </dev/null || rc=$?
[ "$rc" = 74 ] || fail "a successful snapshot >/dev/full exited $rc, expected 74"
# a run that failed keeps its own code; stderr says the output was lost too
rc=0
JIKU_RECORDER_FAIL=snapshot "$BIN" -c "$T/agent.conf" --json snapshot acme/shop >/dev/full \
    2>"$T/err" </dev/null || rc=$?
[ "$rc" = 1 ] || fail "a failed snapshot >/dev/full exited $rc, expected its own 1"
has err "cannot write to standard output: No space left on device"
# A reader that went away.  `jiku-agent ... | head -c0` is a race (the agent may write into
# the pipe before head exits, and then nothing fails); here the read end is closed before the
# agent starts, so its first write gets EPIPE.  Python restores SIGPIPE's default action for
# the child, so the agent must ignore SIGPIPE itself (run.c) or it dies of it (-13, shell 141).
python3 - "$BIN" "$T/agent.conf" >"$T/pipe" <<'PY'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run([sys.argv[1], "-c", sys.argv[2], "--json", "list", "acme/shop"], stdout=w,
                   stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60)
print(p.returncode)
sys.stdout.write(p.stderr.decode(errors="replace"))
PY
[ "$(head -n 1 "$T/pipe")" = 74 ] || fail "--json list into a closed pipe exited $(head -n 1 "$T/pipe"), expected 74"
has pipe "cannot write to standard output: Broken pipe"
# the same output into a pipe that is read is whole
"$BIN" -c "$T/agent.conf" --json list acme/shop 2>"$T/err" </dev/null | cat >"$T/out"
has out '"type":"summary","command":"list"'

# --- the audit's actor without --actor: SUDO_USER, the login name, systemd's unit -----------
ACTOR=
SUDO_USER=alice run 0 --dry-run snapshot acme/shop
run 0 --json history --target acme/shop && has out '"actor":"alice"'
# without a login (loginuid unset: no ssh or cron session), a systemd service is named by unit
if [ "$(cat /proc/self/loginuid 2>/dev/null)" = 4294967295 ]; then
    INVOCATION_ID=0123abcd SUDO_USER= run 0 --dry-run snapshot acme/shop
    run 0 --json history --target acme/shop
    head -n 1 "$T/out" | grep -q '"actor":"systemd' || fail "a systemd run's actor: $(head -n 1 "$T/out")"
    # not started by cron, not systemd: never "cron" merely for having no terminal
    SUDO_USER= INVOCATION_ID= run 0 --dry-run snapshot acme/shop
    run 0 --json history --target acme/shop && has out "\"actor\":\"$(id -un)\""
    head -n 1 "$T/out" | grep -q '"actor":"cron"' && fail "a run without a tty was audited as cron"
    # started by cron (a shell named cron stands in for it): "cron"
    cp "$(command -v sh)" "$T/cron"
    env -u INVOCATION_ID -u SUDO_USER "$T/cron" -c '"$1" -c "$2" --dry-run snapshot acme/shop; :' \
        sh "$BIN" "$T/agent.conf" </dev/null >/dev/null 2>&1 || fail "the run under 'cron' failed"
    run 0 --json history --target acme/shop
    head -n 1 "$T/out" | grep -q '"actor":"cron"' || fail "a cron run's actor: $(head -n 1 "$T/out")"
fi
ACTOR=tester

# --- a missing known_hosts: refused, naming the commands that create it ------------------------
mv "$T/known_hosts" "$T/known_hosts.away"
run 78 history && has err "servers fingerprint" && has err "servers trust"
# list reads only [agent]: what the catalog holds is shown whatever the fleet's files say
run 0 list && has out "acme.shop.s"
run 78 config check && has err "known_hosts file '$T/known_hosts' does not exist"
run 64 servers trust web1 && has err "servers fingerprint web1"
run 64 servers fingerprint web1 --fingerprint SHA256:x && has err "belongs to 'servers trust'"
[ -e "$T/known_hosts" ] && fail "a refused command created known_hosts"
mv "$T/known_hosts.away" "$T/known_hosts"

# --- no plugin for the panel ------------------------------------------------------------------
rm "$T/plugins/cpanel.so"
run 1 snapshot acme/shop && has err "no plugin for panel 'cpanel'"
run 0 --dry-run snapshot acme/shop

test_end
