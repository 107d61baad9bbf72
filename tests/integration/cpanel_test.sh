#!/bin/sh
# The real jiku-agent binary with the real cpanel.so against two simulated cPanel servers
# (tests/fakes/cpanel: WHM API 1 over HTTPS, fake commands behind a real sshd): snapshots,
# exact and merge rollbacks with a file and a database row, backups with manifests, verify,
# pruning the server copy and rolling back from backup_dir, a clone onto web2 as another user,
# a denied customer, every simulator fault, a lost answer to a start call, servers check.
#
# usage: cpanel_test.sh JIKU_AGENT CPANEL_SO POLICY_DIR SIM_SH     (as root: the sshd rig)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
PLUGIN=$2
POLICIES=$3
SIM=$4
ACTOR=tester
test_begin --root

requests() { logged "$W1" function "$1"; } # FUNCTION: how many requests of it web1 logged
# home_sum DIR: a checksum of every path, type, size and content under DIR
home_sum() { (cd "$1" && find . -printf '%p %y %s\n' | LC_ALL=C sort && find . -type f -exec cat {} + ) | sha256sum; }

# --- two simulated servers ----------------------------------------------------------------
W1=$T/web1
W2=$T/web2
sim_start "$SIM" "$W1" --name web1 --job-seconds 1 || exit 1
sim_start "$SIM" "$W2" --name web2 --job-seconds 1 --accounts lowco || exit 1
. "$W2/env"
W2_HOME=$CPSIM_HOME W2_SNAP=$CPSIM_SNAPSHOT_DIR
. "$W1/env"
HOME1=$CPSIM_HOME/acmeshop
SNAP=$CPSIM_SNAPSHOT_DIR
DB=$CPSIM_ROOT/var/lib/mysql/acmeshop_db.sql

mkdir -p "$T/conf.d"
install_plugin "$PLUGIN" cpanel
{
    agent_section "lock_wait = 5" "retry_deadline = 5"
    retention_section 20 20 1
    cat <<'CONF'

[customer acme]
tier = low

[target acme/shop]
server = web1
kind = account
account = acmeshop
nightly = snapshot

[target acme/bk]
server = web1
kind = account
account = acmeshop
nightly = none

[target acme/cloud]
server = web1
kind = softaculous
account = acmeshop
domain = cloud.acme.example
nightly = none

[customer highco]
tier = high

[target highco/portal]
server = web1
kind = account
account = highco
nightly = snapshot
CONF
    sim_server cpanel web1 "$W1" "timeout = 60" "poll_max = 1"
    sim_server cpanel web2 "$W2" "timeout = 60" "poll_max = 1"
} >"$T/agent.conf"

# --- servers check: version and whether each configured account exists --------------------
run 0 servers check web1 && has out "11.126.0.15" && has out "api ok"
cat >"$T/conf.d/90-ghost.conf" <<'CONF'
[target acme/ghost]
server = web1
kind = account
account = nosuchuser
nightly = none
CONF
run 66 servers check web1 && has out "nosuchuser"
rm -f "$T/conf.d/90-ghost.conf"

# --- a customer whose tier assigns the action to the customer: 77, no request -------------
before=$(log_lines "$W1")
run 77 snapshot highco/portal && has err "denied"
[ "$(log_lines "$W1")" = "$before" ] || fail "a denied snapshot sent requests to web1"

# --- snapshot, then an exact rollback ------------------------------------------------------
printf 'original\n' >"$HOME1/public_html/data.txt"
printf "INSERT INTO \`items\` VALUES (3,'original');\n" >>"$DB"
run 0 snapshot acme/shop
set -- $(artifacts acme/shop | head -1)
SNAP_ID=${1:-none}
[ "${2:-}" = snapshot ] && [ "${3:-}" = good ] || fail "no good snapshot in the catalog: $*"
[ "${4:-}" = "$SNAP/acmeshop/$SNAP_ID/cpmove-acmeshop.tar.gz" ] || fail "snapshot location '${4:-}'"
[ -f "$SNAP/acmeshop/$SNAP_ID/cpmove-acmeshop.tar.gz" ] || fail "the archive is not on web1"
[ "$(stat -c %a "$SNAP/acmeshop/$SNAP_ID")" = 700 ] || fail "snapshot directory is not 0700"
[ "$(stat -c %a "$SNAP/acmeshop")" = 700 ] || fail "account's snapshot directory is not 0700"
[ "$(requests start_background_pkgacct)" = 1 ] || fail "pkgacct was not started exactly once"
# Its end was waited for over SSH (pkgacct_sessions_dir), then asked of WHM once, not polled.
[ "$(requests get_pkgacct_session_state)" -le 3 ] ||
    fail "$(requests get_pkgacct_session_state) state polls for one pkgacct with the wait working"
grep '"function":"start_background_pkgacct"' "$W1/requests.log" | grep -q '"compressionsetting":"compress"' ||
    fail "start_background_pkgacct without compressionsetting=compress"
grep '"function":"start_background_pkgacct"' "$W1/requests.log" | grep -q '"low_priority":"1"' ||
    fail "start_background_pkgacct without low_priority=1"

printf 'changed\n' >"$HOME1/public_html/data.txt"
sed -i "s/(3,'original')/(3,'changed')/" "$DB"
printf 'new\n' >"$HOME1/public_html/new.txt"
mkdir -p "$HOME1/newdir/sub" && printf 'x\n' >"$HOME1/newdir/sub/f"
run 0 rollback acme/shop --to latest --dry-run && has out "- public_html/new.txt" &&
    has out "- newdir" && has out "~ public_html/data.txt"
[ -f "$HOME1/public_html/new.txt" ] || fail "a dry-run rollback removed a file"
same "$HOME1/public_html/data.txt" changed
run 0 rollback acme/shop --to latest --yes
same "$HOME1/public_html/data.txt" original
grep -qF "(3,'original')" "$DB" || fail "the database row did not come back"
grep -qF "(3,'changed')" "$DB" && fail "the changed database row survived the rollback"
[ -e "$HOME1/public_html/new.txt" ] && fail "exact rollback left a file created after the snapshot"
[ -e "$HOME1/newdir" ] && fail "exact rollback left a directory created after the snapshot"
[ -f "$HOME1/public_html/index.html" ] || fail "exact rollback removed a file of the snapshot"
artifacts acme/shop | grep -q " safety good " || fail "no safety artifact in the catalog"
run 0 list acme/shop && has out "safety"
# The safety snapshot holds the changed state.
SAFETY=$(artifacts acme/shop | awk '$2 == "safety" { print $1; exit }')
tar -xzOf "$SNAP/acmeshop/$SAFETY/cpmove-acmeshop.tar.gz" \
    cpmove-acmeshop/homedir/public_html/data.txt >"$T/safety-data" 2>/dev/null
same "$T/safety-data" changed

# --- the same with --merge: the new file stays ----------------------------------------------
printf 'changed again\n' >"$HOME1/public_html/data.txt"
printf 'kept\n' >"$HOME1/public_html/new2.txt"
run 0 rollback acme/shop --to "$SNAP_ID" --merge --yes
same "$HOME1/public_html/data.txt" original
same "$HOME1/public_html/new2.txt" kept
rm -f "$HOME1/public_html/new2.txt"

# --- what an exact rollback keeps although the archive lacks it ----------------------------
# pkgacct leaves out what cpbackup-exclude.conf excludes and what the user cannot read (a WARN
# line); sockets and FIFOs are no content; the agent's own Softaculous backup in the home is
# an artifact the catalog knows.  The clean-up, run as the user, could remove each of them.
printf 'cache/*\n' >"$HOME1/cpbackup-exclude.conf"
printf 'root only\n' >"$HOME1/private.key" && chmod 600 "$HOME1/private.key"
run 0 snapshot acme/shop
KEEP_ID=$(artifacts acme/shop | awk '{ print $1; exit }')
statedb "SELECT warnings FROM artifacts WHERE id = '$KEEP_ID'" | grep -q "private.key" ||
    fail "the snapshot did not record pkgacct's WARN line"
run 0 snapshot acme/cloud
SOFT_LOC=$(statedb "SELECT location FROM artifacts WHERE target = 'acme/cloud' LIMIT 1")
[ -f "$SOFT_LOC" ] || fail "no Softaculous backup in the home: '$SOFT_LOC'"
mkdir -p "$HOME1/cache" && printf 'built\n' >"$HOME1/cache/page.html"
mkfifo "$HOME1/pipe"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$HOME1/app.sock"
printf 'stray\n' >"$HOME1/stray.txt"
run 0 rollback acme/shop --to "$KEEP_ID" --yes && has out "created since the snapshot" &&
    has out "kept excluded by cpbackup-exclude.conf: cache/page.html" &&
    has out "kept a socket or FIFO: pipe" && has out "kept kept by the agent: private.key"
[ -e "$HOME1/stray.txt" ] && fail "exact rollback left a file created after the snapshot"
same "$HOME1/cache/page.html" built
[ -p "$HOME1/pipe" ] || fail "exact rollback removed a FIFO"
[ -S "$HOME1/app.sock" ] || fail "exact rollback removed a socket"
same "$HOME1/private.key" "root only"
[ -f "$SOFT_LOC" ] || fail "exact rollback removed the agent's Softaculous backup '$SOFT_LOC'"
rm -rf "$HOME1/cache" "$HOME1/pipe" "$HOME1/app.sock" "$HOME1/private.key" \
    "$HOME1/cpbackup-exclude.conf"

# A member list cut short (tar dying half-way through a damaged archive) is bad data, and the
# clean-up removes nothing on the strength of it.  The restore had run: the automatic rollback
# restores the safety snapshot, meets the same cut list and fails too (exit 1, both named).
mv "$W1/ssh/bin/tar" "$W1/ssh/bin/tar.whole"
cat >"$W1/ssh/bin/tar" <<EOF
#!/bin/sh
case "\$*" in
*-t*--quoting-style=c*) "$W1/ssh/bin/tar.whole" "\$@" | head -n 3; exit 2 ;;
esac
exec "$W1/ssh/bin/tar.whole" "\$@"
EOF
chmod 755 "$W1/ssh/bin/tar"
printf 'stray\n' >"$HOME1/stray.txt"
sed -i 's/^\[target acme\/shop\]$/&\nauto_rollback = no/' "$T/agent.conf"
run 65 rollback acme/shop --to "$KEEP_ID" --yes && has err "ended early: nothing removed"
same "$HOME1/stray.txt" stray
sed -i '/^auto_rollback = no$/d' "$T/agent.conf"
# With the automatic rollback on, the safety snapshot's restore meets the same cut list.
run 1 rollback acme/shop --to "$KEEP_ID" --yes && has err "ended early: nothing removed" &&
    has err "so did its automatic rollback"
same "$HOME1/stray.txt" stray
mv "$W1/ssh/bin/tar.whole" "$W1/ssh/bin/tar"
rm -f "$HOME1/stray.txt"

# --- backup: archive + manifest match the catalog; verify; restore from backup_dir ---------
run 0 backup acme/shop
set -- $(artifacts acme/shop | head -1)
BK_ID=${1:-none}
[ "${2:-}" = backup ] || fail "newest artifact is not a backup: $*"
BK_SHA=${5:-}
BK=$(find "$T/backups" -path "*/$BK_ID/cpmove-acmeshop.tar.gz" | head -1)
[ -n "$BK" ] && [ -f "$BK" ] || fail "no archive for $BK_ID in backup_dir"
[ "$(sha256sum <"$BK" | cut -d' ' -f1)" = "$BK_SHA" ] || fail "backup sha256 differs from the catalog"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(0 if m["sha256"]==sys.argv[2] and m["id"]==sys.argv[3] else 1)' \
    "$(dirname "$BK")/manifest.json" "$BK_SHA" "$BK_ID" || fail "manifest does not match the catalog"
[ "$(stat -c %a "$BK")" = 600 ] || fail "backup archive is not 0600"
[ -f "$SNAP/acmeshop/$BK_ID/cpmove-acmeshop.tar.gz" ] || fail "backup has no server copy"
run 0 verify acme/shop

# A newer snapshot pushes the backup's server copy out (keep_on_server = 1).
run 0 snapshot acme/shop
run 0 prune acme/shop && has out "server copy of $BK_ID"
[ -e "$SNAP/acmeshop/$SNAP_ID" ] && fail "prune left the first snapshot's directory"
# A dry-run rollback from backup_dir only says what it would do.
run 0 rollback acme/shop --to "$BK_ID" --dry-run && has out "would upload"
[ -e "$SNAP/acmeshop/$BK_ID" ] && fail "a dry-run rollback uploaded the backup"
[ -e "$SNAP/acmeshop/$BK_ID" ] && fail "prune left the backup's server copy"
[ -f "$BK" ] || fail "prune removed the backup_dir copy"
printf 'after backup\n' >"$HOME1/public_html/data.txt"
before=$(requests start_local_cpmove_restore)
run 0 rollback acme/shop --to "$BK_ID" --yes
same "$HOME1/public_html/data.txt" original
[ "$(requests start_local_cpmove_restore)" = $((before + 1)) ] || fail "restore not started once"
grep '"function":"start_local_cpmove_restore"' "$W1/requests.log" | tail -1 |
    grep -qF "\"cpmovepath\":\"$SNAP/acmeshop/$BK_ID/cpmove-acmeshop.tar.gz\"" ||
    fail "the backup was not restored from its upload"
[ -e "$SNAP/acmeshop/$BK_ID" ] && fail "the uploaded archive was left on web1"
run 0 verify acme/shop
# verify of a target whose only artifact lost its backup_dir archive: 66.
run 0 backup acme/bk
BK2=$(find "$T/backups/acme/bk" -name cpmove-acmeshop.tar.gz | head -1)
[ -n "$BK2" ] || fail "no backup of acme/bk"
run 0 verify acme/bk
BK2_SERVER=$(find "$SNAP/acmeshop" -path "*$(basename "$(dirname "$BK2")")/cpmove-acmeshop.tar.gz")
[ -f "$BK2_SERVER" ] || fail "acme/bk's backup has no server copy"
printf 'x' >>"$BK2_SERVER"
run 65 verify acme/bk && has err "does not match the catalog"
rm -f "$BK2"
run 66 verify acme/bk

# --- clone onto web2 as another user: independent, the source untouched --------------------
src_before=$(home_sum "$HOME1")
zone_before=$(sha256sum <"$CPSIM_ROOT/var/named/shop.acme.example.db")
snap_before=$(tree "$SNAP")
run 0 clone acme/shop --server web2 --as newuser
[ -f "$W2_HOME/newuser/public_html/data.txt" ] || fail "clone: no home on web2"
same "$W2_HOME/newuser/public_html/data.txt" original
[ -f "$W2/root/var/cpanel/users/newuser" ] || fail "clone: no account 'newuser' on web2"
[ -f "$W2/root/var/lib/mysql/newuser_db.sql" ] || fail "clone: no database of 'newuser' on web2"
[ -e "$W2/root/var/cpanel/users/acmeshop" ] && fail "clone created 'acmeshop' on web2"
[ "$(home_sum "$HOME1")" = "$src_before" ] || fail "clone changed the source home"
[ "$(sha256sum <"$CPSIM_ROOT/var/named/shop.acme.example.db")" = "$zone_before" ] ||
    fail "clone changed the source DNS zone"
[ "$(tree "$SNAP")" = "$snap_before" ] || fail "clone left files in web1's snapshot_dir"
[ -z "$(find "$W2_SNAP" -type f)" ] || fail "clone left files in web2's snapshot_dir"
printf 'only on web2\n' >"$W2_HOME/newuser/public_html/data.txt"
same "$HOME1/public_html/data.txt" original
run 1 clone acme/shop --server web2 --as newuser && has err "already exists"
run 64 clone acme/shop --server web1

# --- faults: the SPEC's exit code, no good artifact, no stray file --------------------------
# fault_case CODE FAULTS-JSON TEXT [running]: a snapshot under the faults exits CODE mentioning
# TEXT.  Nothing is left in snapshot_dir, except, with "running", the work directory of a
# pkgacct that may still be writing into it: the agent names it and leaves it for prune.
fault_case() {
    code=$1 json=$2 text=$3 running=${4:-}
    good=$(good_count acme/shop)
    files=$(tree "$SNAP")
    faults "$W1" "$json"
    run "$code" snapshot acme/shop && has err "$text"
    faults "$W1" '{}'
    [ "$(good_count acme/shop)" = "$good" ] || fail "fault $json left a new good artifact"
    if [ -n "$running" ]; then
        has err "is left for prune"
        left=$(sed -n "s/.*its work directory '\(.*\)' is left for prune.*/\1/p" "$T/err")
        [ -d "$left" ] || fail "fault $json: no work directory '$left' left"
        sleep 2 # the simulator's job (1 s) is done writing before the test tidies up
        rm -rf "$left"
    fi
    [ "$(tree "$SNAP")" = "$files" ] || fail "fault $json left files in snapshot_dir"
}
fault_case 77 '{"api":[{"function":"start_background_pkgacct","fault":"403"}]}' "credentials"
fault_case 1 '{"api":[{"function":"start_background_pkgacct","fault":"result0"}]}' "XID simerr"
fault_case 65 '{"api":[{"function":"get_pkgacct_session_state","fault":"garbage"}]}' "not valid JSON" \
    running
fault_case 65 '{"api":[{"function":"fetch_pkgacct_master_log","fault":"garbage"}]}' "not valid JSON"
fault_case 65 '{"api":[{"function":"accountsummary","fault":"garbage"}]}' "not valid JSON"
fault_case 1 '{"api":[{"function":"accountsummary","fault":"result0"}]}' "accountsummary"
fault_case 1 '{"pkgacct":{"fault":"failed"}}' "FAILED"
fault_case 1 '{"pkgacct":{"fault":"error_line"}}' "mysqldump"
sed -i 's/^timeout = 60$/timeout = 4/' "$T/agent.conf"
fault_case 1 '{"pkgacct":{"fault":"never_ends"}}' "ran past timeout" running
sed -i 's/^timeout = 4$/timeout = 60/' "$T/agent.conf"
# WHM cannot tell a pkgacct session's state until its job runs (every snapshot above went
# through that window): past pkgacct_start_grace the snapshot fails, its work directory kept.
sed -i 's/^poll_max = 1$/poll_max = 1\npkgacct_start_grace = 1/' "$T/agent.conf"
fault_case 1 '{"pkgacct_upid_delay":8}' "has no state" running
sed -i '/^pkgacct_start_grace = 1$/d' "$T/agent.conf"
before=$(requests start_background_pkgacct)
fault_case 1 '{"df":{"avail_bytes":1048576}}' "too little free space"
[ "$(requests start_background_pkgacct)" = "$before" ] || fail "pkgacct started on a full disk"
fault_case 69 '{"api":[{"function":"*","fault":"status","code":503}]}' "503"

# A truncated answer to a poll is retried; one to the start call is a lost answer.
faults "$W1" '{"api":[{"function":"fetch_pkgacct_master_log","fault":"truncated","count":1}]}'
run 0 snapshot acme/shop
before=$(requests start_background_pkgacct)
fault_case 69 '{"api":[{"function":"start_background_pkgacct","fault":"drop_after","count":1}]}' \
    "not starting a second pkgacct"
[ "$(requests start_background_pkgacct)" = $((before + 1)) ] ||
    fail "a lost answer to start_background_pkgacct started a second job"
sleep 2
[ -z "$(find "$SNAP/acmeshop" -name '*.part*')" ] || fail "a partial file stayed"

# WARN lines: recorded on the artifact, a failure with strict_warnings.
faults "$W1" '{"pkgacct":{"fault":"warn_line"}}'
run 0 snapshot acme/shop && has out "Quotas are not enabled"
sed -i 's/^poll_max = 1$/poll_max = 1\nstrict_warnings = yes/' "$T/agent.conf"
fault_case 1 '{"pkgacct":{"fault":"warn_line"}}' "strict_warnings"
sed -i '/^strict_warnings = yes$/d' "$T/agent.conf"

# Restore faults: the rollback fails, the automatic rollback restores the state before from
# the safety snapshot (jiku-agent(8), rollback), the message names both.
printf 'before failed restore\n' >"$HOME1/public_html/data.txt"
for f in failed aborted item_failed; do
    faults "$W1" "{\"restore\":{\"fault\":\"$f\",\"count\":1}}"
    run 1 rollback acme/shop --to latest --yes && has err "automatic rollback (operation" &&
        has err "restored the state before it from safety snapshot"
    same "$HOME1/public_html/data.txt" "before failed restore"
done
faults "$W1" '{}'
before=$(requests start_local_cpmove_restore)
faults "$W1" '{"api":[{"function":"start_local_cpmove_restore","fault":"drop_after","count":1}]}'
run 69 rollback acme/shop --to latest --yes && has err "not starting it again"
faults "$W1" '{}'
[ "$(requests start_local_cpmove_restore)" = $((before + 1)) ] ||
    fail "a lost answer to start_local_cpmove_restore started a second restore"

# --- the end of a pkgacct without the wait over SSH: polled, started once ---------------------
# pkgacct_sessions_dir wrong: no session there, so WHM is polled.
SESSIONS=$CPSIM_PKGACCT_SESSIONS
sed -i "s|^pkgacct_sessions_dir = $SESSIONS\$|pkgacct_sessions_dir = $T/nowhere|" "$T/agent.conf"
starts=$(requests start_background_pkgacct) polls=$(requests get_pkgacct_session_state)
run 0 snapshot acme/shop
[ "$(requests start_background_pkgacct)" = $((starts + 1)) ] || fail "pkgacct not started once"
[ "$(requests get_pkgacct_session_state)" -ge $((polls + 2)) ] ||
    fail "without its session directory the snapshot did not poll WHM"
sed -i "s|^pkgacct_sessions_dir = $T/nowhere\$|pkgacct_sessions_dir = $SESSIONS|" "$T/agent.conf"
# The wait's SSH connection cut while the job runs: the snapshot still completes, started once.
faults "$W1" '{"job_seconds": 4}'
starts=$(requests start_background_pkgacct)
timeout 300 "$BIN" -c "$T/agent.conf" --actor tester snapshot acme/shop >"$T/cut.out" \
    2>"$T/cut.err" </dev/null &
agent=$!
i=0
while [ $i -lt 300 ] && ! pgrep -f -- "$SESSIONS/" >/dev/null; do
    sleep 0.1
    i=$((i + 1))
done
[ $i -lt 300 ] || fail "no wait for the pkgacct session ran on web1"
sh "$(dirname "$SIM")/../sshd-rig.sh" cut "$W1/ssh" >/dev/null 2>&1
rc=0
wait "$agent" || rc=$?
faults "$W1" '{}'
[ "$rc" = 0 ] || { fail "snapshot with a cut wait exited $rc"; sed 's/^/  err: /' "$T/cut.err" | tail -5; }
[ "$(requests start_background_pkgacct)" = $((starts + 1)) ] ||
    fail "a cut wait made the snapshot start pkgacct again"

test_end
sim_assert_no_root_in_tenant_trees
