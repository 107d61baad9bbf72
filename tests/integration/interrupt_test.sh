#!/bin/sh
# Interrupts and what they leave (issue 11, items 4 and 5), the real binary and cpanel.so
# against the cPanel simulator: SIGTERM while a snapshot's pkgacct runs, in the middle of a
# backup's download and while a rollback's restore runs ends in exit 130 within the grace and a
# few seconds, with no partial local file, no artifact row for what was not made, the locks
# free, and nothing on the server in snapshot_dir that the catalog does not know or the
# operation did not record; the interrupted rollback names its safety snapshot.  A prune in
# another process while a rollback runs keeps the rollback's source and says why.  prune sweeps
# snapshot_dir: unknown directories of the agent's naming older than a day go (--dry-run lists
# them), young ones, known ones, a running operation's, .staging and foreign names stay, and a
# snapshot_dir others may write is refused.
#
# usage: interrupt_test.sh JIKU_AGENT CPANEL_SO POLICY_DIR SIM_SH     (as root: the sshd rig)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
PLUGIN=$2
POLICIES=$3
SIM=$4
ACTOR=tester
GRACE_LIMIT=15 # seconds from SIGTERM to exit: the 10 s grace and a few more
test_begin --root

W1=$T/web1
sim_start "$SIM" "$W1" --name web1 --job-seconds 3 || exit 1
# shellcheck disable=SC1091 # written by the simulator
. "$W1/env"
HOME1=$CPSIM_HOME/acmeshop
SNAP=$CPSIM_SNAPSHOT_DIR
LOCK=$T/state/locks/web1.account.acmeshop

install_plugin "$PLUGIN" cpanel
{
    agent_section "lock_wait = 5" "retry_deadline = 5"
    retention_section 1 5 1
    cat <<'CONF'

[customer acme]
tier = low

[target acme/shop]
server = web1
kind = account
account = acmeshop
nightly = snapshot
CONF
    sim_server cpanel web1 "$W1" "timeout = 120" "poll_max = 1"
} >"$T/agent.conf"

# wait_for SECONDS TEST...: poll TEST every 0.1 s until it holds (true) or SECONDS pass (false)
wait_for() {
    _limit=$(($1 * 10))
    shift
    _i=0
    while [ $_i -lt $_limit ]; do
        "$@" && return 0
        sleep 0.1
        _i=$((_i + 1))
    done
    return 1
}
logged_at_least() { [ "$(logged "$W1" function "$1")" -ge "$2" ]; }
# the agent in the background, its output in $T/out and $T/err; its pid in $agent
start_agent() {
    "$BIN" -c "$T/agent.conf" --actor tester "$@" >"$T/out" 2>"$T/err" </dev/null &
    agent=$!
}
# interrupt: SIGTERM to $agent; rc and took (seconds until it exited)
interrupt() {
    say "SIGTERM: $1"
    started=$(date +%s)
    kill -TERM "$agent"
    rc=0
    wait "$agent" || rc=$?
    took=$(($(date +%s) - started))
    cat "$T/out" "$T/err" >>"$T/all-output"
    say "  exit $rc after ${took}s"
}
# the directories the catalog knows on web1: each good artifact's own directory
known_dirs() {
    statedb "SELECT location FROM artifacts WHERE status = 'good' AND location IS NOT NULL" |
        while IFS= read -r loc; do dirname "$loc"; done | LC_ALL=C sort -u
}
# every directory two levels down in snapshot_dir, but the plugins' own records (.staging)
server_dirs() {
    find "$SNAP" -mindepth 2 -maxdepth 2 -type d ! -path "$SNAP/.staging/*" | LC_ALL=C sort
}
# checks after an interrupted operation of kind WHAT
after_interrupt() {
    what=$1
    [ "$rc" = 130 ] || fail "$what: SIGTERM gave exit $rc, expected 130"
    [ "$took" -le "$GRACE_LIMIT" ] || fail "$what: took ${took}s to exit after SIGTERM"
    [ "$(statedb "SELECT status FROM operations ORDER BY id DESC LIMIT 1")" = interrupted ] ||
        fail "$what: the operation is not recorded as interrupted"
    [ "$(statedb "SELECT count(*) FROM artifacts WHERE status <> 'good'")" = 0 ] ||
        fail "$what: a row that is not good was left: $(statedb "SELECT id, status FROM artifacts")"
    flock -n -x "$LOCK" true || fail "$what: the account's lock is still held"
    [ -z "$(find "$T/backups" -type f 2>/dev/null)" ] ||
        fail "$what: local files left: $(find "$T/backups" -type f)"
    # what is on the server: known to the catalog, or recorded (and logged) as left — by this
    # operation, or by an earlier one (a pkgacct that may still run keeps its directory)
    left=$(statedb "SELECT leftovers FROM operations ORDER BY id DESC LIMIT 1")
    earlier=$(statedb "SELECT leftovers FROM operations WHERE leftovers IS NOT NULL")
    known_dirs >"$T/known"
    server_dirs >"$T/on-server"
    # not a pipe: fail must count in this shell
    while IFS= read -r d; do
        grep -qxF "$d" "$T/known" && continue
        if printf '%s\n' "$left" | grep -qxF "web1:$d"; then
            grep -qF "$d" "$T/err" || fail "$what: '$d' is recorded as left but no warning names it"
            continue
        fi
        printf '%s\n' "$earlier" | grep -qxF "web1:$d" && continue
        fail "$what: '$d' is left on the server, neither known nor recorded"
    done <"$T/on-server"
}

# --- a good snapshot to start from; its operation's name carries the nonce ----------------------
printf 'original\n' >"$HOME1/public_html/data.txt"
run 0 snapshot acme/shop
S1=$(statedb "SELECT id FROM artifacts WHERE kind = 'snapshot' AND status = 'good'")
[ -d "$SNAP/acmeshop/$S1" ] || fail "no snapshot directory for '$S1' on web1"
nonce=$(statedb "SELECT nonce FROM operations ORDER BY id DESC LIMIT 1")
printf '%s\n' "$nonce" | grep -qxE '[0-9a-f]{16}' || fail "operation nonce '$nonce'"

# --- SIGTERM while the snapshot's pkgacct runs ------------------------------------------------
before=$(logged "$W1" function start_background_pkgacct)
start_agent snapshot acme/shop
# the job has started and is writing in its tarroot
pkgacct_writing() { ls -d "$SNAP"/acmeshop/*/cpmove-acmeshop >/dev/null 2>&1; }
if ! wait_for 30 logged_at_least start_background_pkgacct $((before + 1)) ||
    ! wait_for 30 pkgacct_writing; then
    fail "snapshot: pkgacct did not start"
fi
interrupt snapshot
after_interrupt snapshot
[ "$(statedb "SELECT count(*) FROM artifacts")" = 1 ] || fail "snapshot: an artifact row was added"

# --- SIGTERM in the middle of a backup's download --------------------------------------------
# An archive big enough to take a while: random bytes do not compress.
head -c 150000000 /dev/urandom >"$HOME1/big.bin"
before=$(logged "$W1" function start_background_pkgacct)
start_agent backup acme/shop
downloading() { [ -n "$(find "$T/backups" -type f -size +1k 2>/dev/null)" ]; }
wait_for 120 downloading || fail "backup: the download did not start"
interrupt backup
after_interrupt backup
[ "$(statedb "SELECT count(*) FROM artifacts")" = 1 ] || fail "backup: an artifact row was added"
rm -f "$HOME1/big.bin"

# --- SIGTERM while a rollback's restore runs: the safety snapshot is named ---------------------
printf 'changed\n' >"$HOME1/public_html/data.txt"
before=$(logged "$W1" function start_local_cpmove_restore)
start_agent rollback acme/shop --to "$S1" --yes
wait_for 60 logged_at_least start_local_cpmove_restore $((before + 1)) ||
    fail "rollback: the restore did not start"
interrupt rollback
after_interrupt rollback
SAFETY=$(statedb "SELECT id FROM artifacts WHERE kind = 'safety' AND status = 'good'")
[ -n "$SAFETY" ] || fail "rollback: no good safety snapshot"
grep -qF "safety snapshot '$SAFETY'" "$T/err" ||
    fail "rollback: the message does not name safety snapshot '$SAFETY': $(cat "$T/err")"
# The restore cannot be stopped: it finishes on the server by itself.
restored() { grep -qxF original "$HOME1/public_html/data.txt"; }
wait_for 60 restored || fail "rollback: the restore left running did not finish"
sleep 1

# --- a prune in another process while a rollback runs keeps the rollback's source -------------
run 0 snapshot acme/shop # newer than S1: keep_last = 1 would remove S1
printf 'changed again\n' >"$HOME1/public_html/data.txt"
before=$(logged "$W1" function start_local_cpmove_restore)
start_agent rollback acme/shop --to "$S1" --yes
wait_for 60 logged_at_least start_local_cpmove_restore $((before + 1)) ||
    fail "hold: the restore did not start"
rollback_out=$T/rollback.out
run 0 prune acme/shop && has out "kept $S1 (in use by another operation)"
[ -d "$SNAP/acmeshop/$S1" ] || fail "hold: prune removed the source of a running rollback"
[ "$(statedb "SELECT status FROM artifacts WHERE id = '$S1'")" = good ] ||
    fail "hold: the source of a running rollback is no longer good"
rc=0
wait "$agent" || rc=$?
cp "$T/err" "$rollback_out"
[ "$rc" = 0 ] || fail "hold: the rollback exited $rc: $(cat "$rollback_out")"
same "$HOME1/public_html/data.txt" original
# Once the rollback is over, the same prune removes S1: the hold was what kept it.
run 0 prune acme/shop && has out "removed artifact $S1"
[ -d "$SNAP/acmeshop/$S1" ] && fail "hold: prune kept '$S1' after the rollback ended"

# --- the sweep of snapshot_dir -----------------------------------------------------------------
old() { mkdir -p "$1" && touch -d '2 days ago' "$1"; }
STRAY=$SNAP/acmeshop/20200101T000000Z.acme.shop.s          # left by a job nobody recorded
OLDJOB=$SNAP/.jobs/jiku-op-1-1-00112233445566aa            # an ended operation's job
LEFT=$SNAP/acmeshop/20200102T000000Z.acme.shop.b           # recorded as left by an operation
YOUNG=$SNAP/acmeshop/20200103T000000Z.acme.shop.s          # unknown, but changed today
FOREIGN=$SNAP/acmeshop/not-ours                            # not of the agent's naming
STAGING=$SNAP/.staging/acme.shop                           # a plugin's record
old "$STRAY"
old "$OLDJOB/archive"
touch -d '2 days ago' "$OLDJOB"
old "$LEFT"
mkdir -p "$YOUNG"
old "$FOREIGN"
old "$STAGING"
# a running operation (of a run that has not ended) and its old job directory
statedb "INSERT INTO runs (id, command, actor, started) VALUES (900, 'rollback', 'other', 0)"
statedb "INSERT INTO operations (id, run_id, target, action, status, started, nonce) \
    VALUES (9000, 900, 'acme/shop', 'server.rollback', 'running', 0, '0123456789abcdef')"
RUNNING=$SNAP/.jobs/jiku-op-900-9000-0123456789abcdef
old "$RUNNING"
# an interrupted operation recorded what it left
statedb "UPDATE operations SET leftovers = 'web1:$LEFT' WHERE id = \
    (SELECT id FROM operations WHERE status = 'interrupted' ORDER BY id LIMIT 1)"
# a known artifact's directory, however old, stays
KNOWN=$(known_dirs | head -1)
touch -d '2 days ago' "$KNOWN"

run 0 --dry-run prune acme/shop && has out "would remove '$STRAY'" &&
    has out "would remove '$OLDJOB'" && has out "would remove '$LEFT'" &&
    has out "left by interrupted operation"
for d in "$STRAY" "$OLDJOB" "$LEFT"; do [ -d "$d" ] || fail "a dry run swept '$d'"; done
run 0 prune acme/shop && has out "removed '$STRAY'"
for d in "$STRAY" "$OLDJOB" "$LEFT"; do [ -d "$d" ] && fail "sweep left '$d'"; done
for d in "$YOUNG" "$FOREIGN" "$STAGING" "$RUNNING" "$KNOWN"; do
    [ -d "$d" ] || fail "sweep removed '$d'"
done
hasnt out "$YOUNG"
hasnt out "$RUNNING"
# a snapshot_dir a customer could write into is not swept at all
chmod 0777 "$SNAP"
old "$STRAY"
run 3 prune acme/shop && has err "refusing to sweep"
[ -d "$STRAY" ] || fail "a world-writable snapshot_dir was swept"
chmod 0711 "$SNAP"
# nor one that is a link
mv "$SNAP" "$SNAP.real" && ln -s "$SNAP.real" "$SNAP"
run 3 prune acme/shop && has err "symbolic link"
rm "$SNAP" && mv "$SNAP.real" "$SNAP"
[ -d "$STRAY" ] || fail "a snapshot_dir reached through a link was swept"

test_end
sim_assert_no_root_in_tenant_trees
