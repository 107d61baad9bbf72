#!/bin/sh
# The real jiku-agent binary with the real plesk.so against simulated Plesk servers
# (tests/fakes/plesk: the XML API over HTTPS, a fake `plesk` behind a real sshd): an Obsidian
# plesk1 (CLI exports), plesk2 (the clone's destination; backup-manager refused with 1017) and
# an Onyx plesk3 (backup-manager).  Round trips with a file and a database row, exact and merge
# rollbacks, backups with manifests, a rollback from backup_dir, a clone, the version switch
# and the 1014/1017 fallback, the owner-arranged dump tree, signatures, faults, XXE, auth.
#
# usage: plesk_test.sh JIKU_AGENT PLESK_SO POLICY_DIR SIM_SH     (as root: the sshd rig)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
PLUGIN=$2
POLICIES=$3
SIM=$4
ACTOR=tester
test_begin --root
# detached jobs the test made hang, by the pids their job directories recorded
# shellcheck disable=SC2016 # expanded at exit
at_exit 'for p in $(cat "$T"/p*/root/var/lib/jiku-snapshots/.jobs/*/*/pid 2>/dev/null); do
    kill -KILL "$p" 2>/dev/null
done'

# --- three simulated servers --------------------------------------------------------------
sim_start "$SIM" "$T/p1" --name plesk1 --job-seconds 1 || exit 1
sim_start "$SIM" "$T/p2" --name plesk2 --job-seconds 1 --subscriptions admin.example \
    --backup-manager 1017 || exit 1
sim_start "$SIM" "$T/p3" --name plesk3 --job-seconds 1 --version 17.5.3 || exit 1
for s in p1 p2 p3; do
    . "$T/$s/env"
    eval "${s}_API=\$PLSIM_API_PORT ${s}_SSH=\$PLSIM_SSH_PORT ${s}_SNAP=\$PLSIM_SNAPSHOT_DIR"
    eval "${s}_DUMP=\$PLSIM_DUMP_DIR ${s}_VH=\$PLSIM_VHOSTS ${s}_DB=\$PLSIM_MYSQL_DIR"
done
SNAP=$p1_SNAP
WWW=$p1_VH/shop.example/httpdocs
DB=$p1_DB/shopuser_db.sql

mkdir -p "$T/conf.d" "$T/cred"
chmod 700 "$T/cred"
install_plugin "$PLUGIN" plesk
printf 'not-the-key\n' >"$T/cred/wrong.key" && chmod 600 "$T/cred/wrong.key"
server() { # NAME SIM [LINE]: a [server] section for simulator SIM
    sim_server plesk "$1" "$T/$2" "timeout = 60" "poll_max = 1" ${3:+"$3"}
}
cli() { logged "$T/$1" command "$2"; } # SIM UTILITY: how many `plesk bin UTILITY` SIM logged
api() { logged "$T/$1" operations "$2"; } # SIM OPERATOR/OPERATION: XML API packets SIM logged
target() { # CUSTOMER/NAME SERVER DOMAIN
    printf '\n[target %s]\nserver = %s\nkind = subscription\naccount = %s\nnightly = snapshot\n' \
        "$1" "$2" "$3"
}
{
    agent_section "lock_wait = 5" "retry_deadline = 5"
    retention_section 30 30 1
    cat <<'CONF'

[customer acme]
tier = low

[customer highco]
tier = high
CONF
    server plesk1 p1
    server plesk1x p1 "plesk_backup = xml"
    server plesk1p p1
    server plesk1bad p1
    server plesk1t p1
    server plesk2 p2 "plesk_backup = xml"
    server plesk3 p3
    target acme/shop plesk1 shop.example
    target acme/admx plesk1x admin.example
    target acme/resx plesk1x resold.example
    target acme/pw plesk1p resold.example
    target acme/bad plesk1bad admin.example
    target acme/slow plesk1t admin.example
    target acme/p2 plesk2 admin.example
    target acme/old plesk3 shop.example
    target acme/oldres plesk3 resold.example
    target acme/oldadm plesk3 admin.example
    target highco/portal plesk1 admin.example
} >"$T/agent.conf"
sed -i "/^\[server plesk1p\]/,/^\[/ s|^api_token_file = .*|api_password_file = $T/p1/password|" \
    "$T/agent.conf"
sed -i "/^\[server plesk1bad\]/,/^\[/ s|^api_token_file = .*|api_token_file = $T/cred/wrong.key|" \
    "$T/agent.conf"
sed -i "/^\[server plesk1t\]/,/^\[/ s|^timeout = .*|timeout = 3|" "$T/agent.conf"
sed -i "/^\[server plesk1x\]/,/^\[/ s|^poll_max = 1|poll_max = 1\nmax_parallel = 1|" "$T/agent.conf"

# --- servers check: the Plesk version of each server --------------------------------------
run 0 servers check plesk1 && has out "18.0.52" && has out "api ok"
run 0 servers check plesk3 && has out "17.5.3"
run 0 servers check plesk1p && has out "18.0.52"
grep -q '"auth":"login"' "$T/p1/requests.log" || fail "plesk1p did not use HTTP_AUTH_LOGIN"
grep -qF "$(cat "$T/p1/password")" "$T/p1/requests.log" && fail "the password reached the log"

# --- auth failure: 77 ---------------------------------------------------------------------
run 77 snapshot acme/bad && has err "11003"
[ -z "$(artifacts acme/bad)" ] || fail "a refused snapshot left an artifact"

# --- a customer whose tier assigns the action to the customer: 77, no request -------------
before=$(log_lines "$T/p1")
run 77 snapshot highco/portal && has err "denied"
[ "$(log_lines "$T/p1")" = "$before" ] || fail "a denied snapshot sent requests to plesk1"

# --- Obsidian: snapshot through a detached pleskbackup, then an exact rollback -------------
printf 'original\n' >"$WWW/data.txt"
printf "INSERT INTO posts VALUES (3,'original');\n" >>"$DB"
run 0 snapshot acme/shop
set -- $(artifacts acme/shop | head -1)
SNAP_ID=${1:-none}
[ "${2:-}" = snapshot ] && [ "${3:-}" = good ] || fail "no good snapshot in the catalog: $*"
[ "${4:-}" = "$SNAP/shop.example/$SNAP_ID/backup.tar" ] || fail "snapshot location '${4:-}'"
[ "$(sha256sum <"$SNAP/shop.example/$SNAP_ID/backup.tar" | cut -d' ' -f1)" = "${5:-}" ] ||
    fail "the snapshot's sha256 differs from the catalog"
[ "$(stat -c %a "$SNAP/shop.example/$SNAP_ID")" = 700 ] || fail "snapshot directory is not 0700"
[ "$(stat -c %a "$SNAP/shop.example")" = 700 ] || fail "subscription's directory is not 0700"
[ "$(cli p1 pleskbackup)" = 1 ] || fail "pleskbackup was not run exactly once"
[ "$(api p1 backup-manager/backup-webspace)" = 0 ] || fail "Obsidian was asked for backup-manager"
[ -z "$(tree "$SNAP/.jobs")" ] || fail "a finished job left its directory"

printf 'changed\n' >"$WWW/data.txt"
sed -i "s/(3,'original')/(3,'changed')/" "$DB"
printf 'new\n' >"$WWW/new.txt"
before=$(log_lines "$T/p1")
run 0 rollback acme/shop --to latest --dry-run && has out "- new.txt" && has out "exact"
[ "$(cli p1 pleskrestore)" = 0 ] || fail "a dry-run rollback ran pleskrestore"
same "$WWW/data.txt" changed
[ -f "$WWW/new.txt" ] || fail "a dry-run rollback removed a file"
run 0 rollback acme/shop --to latest --yes
same "$WWW/data.txt" original
grep -qF "(3,'original')" "$DB" || fail "the database row did not come back"
grep -qF "(3,'changed')" "$DB" && fail "the changed database row survived the rollback"
[ -e "$WWW/new.txt" ] && fail "exact rollback left a file created after the snapshot"
[ -f "$WWW/index.html" ] || fail "exact rollback lost a file of the snapshot"
artifacts acme/shop | grep -q " safety good " || fail "no safety artifact in the catalog"
grep '"command":"pleskrestore"' "$T/p1/requests.log" | grep -q '"--check-backup"' ||
    fail "no pleskrestore --check-backup"
grep '"command":"pleskrestore"' "$T/p1/requests.log" | grep '"--restore"' |
    grep -qF '"-level","domains","-filter","list:shop.example"' ||
    fail "pleskrestore --restore without -level domains -filter list:D"

# --- the same with --merge: the new file stays ----------------------------------------------
printf 'changed again\n' >"$WWW/data.txt"
printf 'kept\n' >"$WWW/new2.txt"
run 0 rollback acme/shop --to "$SNAP_ID" --merge --yes
same "$WWW/data.txt" original
same "$WWW/new2.txt" kept
rm -f "$WWW/new2.txt"

# --- backup: archive + manifest match the catalog, no remote temp; verify -----------------
run 0 backup acme/shop
set -- $(artifacts acme/shop | head -1)
BK_ID=${1:-none}
[ "${2:-}" = backup ] || fail "newest artifact is not a backup: $*"
BK_SHA=${5:-}
BK=$T/backups/acme/shop/$BK_ID/backup.tar
[ "${4:-}" = "$BK" ] || fail "a backup kept a server copy: ${4:-}"
[ -f "$BK" ] || fail "no archive for $BK_ID in backup_dir"
[ "$(sha256sum <"$BK" | cut -d' ' -f1)" = "$BK_SHA" ] || fail "backup sha256 differs from the catalog"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(0 if m["sha256"]==sys.argv[2] and m["id"]==sys.argv[3] else 1)' \
    "$(dirname "$BK")/manifest.json" "$BK_SHA" "$BK_ID" || fail "manifest does not match the catalog"
[ "$(stat -c %a "$BK")" = 600 ] || fail "backup archive is not 0600"
[ -e "$SNAP/shop.example/$BK_ID" ] && fail "backup left its remote temp"
run 0 verify acme/shop

# --- prune keeps one server copy; roll back from backup_dir (upload, sha256, -ignore-sign) --
run 0 snapshot acme/shop
run 0 prune acme/shop && has out "$SNAP_ID"
[ -e "$SNAP/shop.example/$SNAP_ID" ] && fail "prune left an old snapshot's server copy"
printf 'after backup\n' >"$WWW/data.txt"
printf 'after backup\n' >"$WWW/new3.txt"
run 0 rollback acme/shop --to "$BK_ID" --yes
same "$WWW/data.txt" original
[ -e "$WWW/new3.txt" ] && fail "exact rollback from backup_dir left a new file"
grep '"command":"pleskrestore"' "$T/p1/requests.log" | grep '"--restore"' | tail -1 |
    grep -qF "\"$SNAP/shop.example/$BK_ID/backup.tar\"" || fail "the backup was not restored from its upload"
[ -e "$SNAP/shop.example/$BK_ID" ] && fail "the uploaded archive was left on plesk1"

# A backup_dir copy that no longer matches its sha256: refused, nothing restored.
cp "$BK" "$T/bk.orig"
printf 'x' >>"$BK"
before=$(cli p1 pleskrestore)
run 65 rollback acme/shop --to "$BK_ID" --yes && has err "does not match"
[ "$(cli p1 pleskrestore)" = "$before" ] || fail "a mismatching backup reached pleskrestore"
[ -e "$SNAP/shop.example/$BK_ID" ] && fail "a refused upload was left on plesk1"
cp "$T/bk.orig" "$BK"
# A server copy changed on the server: refused too.
LATEST=$(artifacts acme/shop | awk '$2 == "snapshot" && $3 == "good" { print $1; exit }')
cp "$SNAP/shop.example/$LATEST/backup.tar" "$T/snap.orig"
printf 'x' >>"$SNAP/shop.example/$LATEST/backup.tar"
run 3 verify acme/shop && has err "does not match the catalog"
before=$(cli p1 pleskrestore)
run 65 rollback acme/shop --to "$LATEST" --yes && has err "does not match the catalog"
[ "$(cli p1 pleskrestore)" = "$before" ] || fail "a changed server copy reached pleskrestore"
cp "$T/snap.orig" "$SNAP/shop.example/$LATEST/backup.tar"

# --- clone onto plesk2: signed elsewhere, restored with -ignore-sign after the sha256 ------
run 0 clone acme/shop --server plesk2
same "$p2_VH/shop.example/httpdocs/data.txt" original
grep -qF "(3,'original')" "$p2_DB/shopuser_db.sql" || fail "clone: the database is not on plesk2"
grep '"command":"pleskrestore"' "$T/p2/requests.log" | grep '"--restore"' | grep -q '"-ignore-sign"' ||
    fail "clone: the restore on plesk2 lacked -ignore-sign"
[ -z "$(find "$p2_SNAP" -type f)" ] || fail "clone left files in plesk2's snapshot_dir"
[ -z "$(find "$SNAP" -path "*/jiku-op-*" )" ] || fail "clone left its export on plesk1"
ls /var/tmp/jiku-clone-* >/dev/null 2>&1 && fail "clone left a local relay directory"
run 1 clone acme/shop --server plesk2 && has err "already exists"
run 64 clone acme/shop --server plesk1
# The signature is real: the simulator refuses a foreign file without -ignore-sign.
E2=$T/p2/root/var/lib/jiku-snapshots/probe.tar
mkdir -p "$(dirname "$E2")"
cp "$BK" "$E2"
ssh -q -p "$p2_SSH" -i "$T/p2/ssh/id_ed25519" -o UserKnownHostsFile="$T/p2/ssh/known_hosts_all" \
    -o BatchMode=yes root@127.0.0.1 plesk bin pleskrestore --restore "$E2" -level domains \
    -filter list:shop.example >"$T/sig.out" 2>&1 && fail "plesk2 restored a foreign file without -ignore-sign"
grep -q "signature is not valid" "$T/sig.out" || fail "plesk2 did not refuse the signature: $(cat "$T/sig.out")"
rm -f "$E2"

# --- Onyx: backup-manager into the owner's dump tree, for the three kinds of owner --------
check_repo() { # TARGET DIR-UNDER-DUMP
    run 0 snapshot "$1" || return
    set -- "$1" "$2" $(artifacts "$1" | head -1)
    case ${6:-} in
    "$p3_DUMP/$2/jiku-$3_info_"*.xml) ;;
    *) fail "$1: snapshot location '${6:-}' is not in '$p3_DUMP/$2/'" ;;
    esac
    [ -f "${6:-/nonexistent}" ] || fail "$1: '${6:-}' does not exist"
}
before=$(cli p3 pleskbackup)
check_repo acme/old clients/jdoe/domains/shop.example
check_repo acme/oldres resellers/resco/clients/rcust/domains/resold.example
check_repo acme/oldadm domains/admin.example
[ "$(cli p3 pleskbackup)" = "$before" ] || fail "Onyx snapshots went through pleskbackup"
[ "$(api p3 backup-manager/backup-webspace)" = 3 ] || fail "backup-webspace not sent once each"
# rollback from the repository: its backup-info XML, signed there, no -ignore-sign
W3=$p3_VH/shop.example/httpdocs
cp "$W3/index.html" "$T/idx3"
printf 'changed on plesk3\n' >"$W3/index.html"
printf 'new\n' >"$W3/new.txt"
OLD_ID=$(artifacts acme/old | awk '$2 == "snapshot" { print $1; exit }')
run 0 rollback acme/old --to "$OLD_ID" --yes
cmp -s "$T/idx3" "$W3/index.html" || fail "Onyx rollback did not bring index.html back"
[ -e "$W3/new.txt" ] && fail "Onyx exact rollback left a new file"
grep '"command":"pleskrestore"' "$T/p3/requests.log" | grep '"--restore"' | tail -1 |
    grep -q '_info_.*\.xml"' || fail "Onyx rollback did not restore the backup-info XML"
grep '"command":"pleskrestore"' "$T/p3/requests.log" | grep '"--restore"' | tail -1 |
    grep -q 'ignore-sign' && fail "a file signed by plesk3 itself was restored with -ignore-sign"
run 0 verify acme/old
# a backup on Onyx is a CLI export too, downloaded and removed from the server
before=$(cli p3 pleskbackup)
run 0 backup acme/old
[ "$(cli p3 pleskbackup)" = $((before + 1)) ] || fail "an Onyx backup was not a CLI export"
artifacts acme/old | head -1 | grep -qF "$T/backups/acme/old/" || fail "Onyx backup not in backup_dir"
[ -z "$(find "$p3_SNAP" -name backup.tar)" ] || fail "an Onyx backup left its export"
# prune: remove-file for repository snapshots (keep_on_server = 1)
FIRST=$(artifacts acme/oldadm | awk '$2 == "snapshot" { f = $4 } END { print f }')
run 0 snapshot acme/oldadm
run 0 prune acme/oldadm
[ "$(api p3 backup-manager/remove-file)" -ge 1 ] || fail "prune did not use remove-file"
[ -e "$FIRST" ] && fail "prune left '$FIRST'"
# a task that ends in error: 1, no artifact, nothing left in the repository
good=$(good_count acme/oldadm)
files=$(tree "$p3_DUMP")
faults "$T/p3" '{"backup":{"fault":"error"}}'
run 1 snapshot acme/oldadm && has err "status 'error'"
faults "$T/p3" '{}'
[ "$(good_count acme/oldadm)" = "$good" ] || fail "a failed task left a good artifact"
[ "$(tree "$p3_DUMP")" = "$files" ] || fail "a failed task left files in the repository"
# a lost answer to backup-webspace: the task is found, not started twice
before=$(api p3 backup-manager/backup-webspace)
faults "$T/p3" '{"api":[{"operator":"backup-manager","operation":"backup-webspace","fault":"drop_after","count":1}]}'
run 0 snapshot acme/oldadm
faults "$T/p3" '{}'
[ "$(api p3 backup-manager/backup-webspace)" = $((before + 1)) ] ||
    fail "a lost answer to backup-webspace started a second task"

# owner-id instead of owner-login: resolved through customer/reseller get by id
faults "$T/p3" '{"owner_field":"id"}'
run 0 servers check plesk3 && has out "17.5.3"
check_repo acme/oldres resellers/resco/clients/rcust/domains/resold.example
check_repo acme/oldadm domains/admin.example
faults "$T/p3" '{}'

# --- backup-manager refused (1014 on Obsidian, 1017): the CLI from then on -----------------
before=$(cli p1 pleskbackup)
run 0 snapshot acme/admx && has err "errcode 1014"
[ "$(cli p1 pleskbackup)" = $((before + 1)) ] || fail "1014 did not switch to pleskbackup"
artifacts acme/admx | head -1 | grep -qF "$SNAP/admin.example/" || fail "1014: not an export"
# remembered for the rest of the process: one refusal for two subscriptions
before=$(api p1 backup-manager/backup-webspace)
run 0 snapshot acme/admx acme/resx
[ "$(api p1 backup-manager/backup-webspace)" = $((before + 1)) ] ||
    fail "backup-manager was asked again after it refused once"
run 0 snapshot acme/p2 && has err "errcode 1017"
artifacts acme/p2 | head -1 | grep -qF "$p2_SNAP/admin.example/" || fail "1017: not an export"
run 0 snapshot acme/pw

# --- faults: the SPEC's exit code, no good artifact, no stray file --------------------------
fault_case() { # CODE SIM FAULTS-JSON TEXT TARGET
    code=$1 sim=$2 json=$3 text=$4 tgt=$5
    good=$(good_count "$tgt")
    eval "snapdir=\$${sim}_SNAP"
    files=$(tree "$snapdir")
    faults "$T/$sim" "$json"
    run "$code" snapshot "$tgt" && has err "$text"
    faults "$T/$sim" '{}'
    [ "$(good_count "$tgt")" = "$good" ] || fail "fault $json left a new good artifact"
    [ "$(tree "$snapdir")" = "$files" ] || fail "fault $json left files in snapshot_dir"
}
fault_case 1 p1 '{"pleskbackup":{"fault":"fail"}}' "pmm-ras" acme/shop
fault_case 1 p1 '{"pleskbackup":{"fault":"disk_full"}}' "No space left" acme/shop
# an export past the timeout is stopped, and leaves nothing behind
fault_case 1 p1 '{"pleskbackup":{"fault":"hang"}}' "ran past the timeout" acme/slow
[ -z "$(tree "$SNAP/.jobs")" ] || fail "a stopped export left its job directory"
fault_case 77 p3 '{"api":[{"operator":"webspace","operation":"get","fault":"system","errcode":1001}]}' "1001" acme/old
fault_case 77 p3 '{"api":[{"operator":"webspace","operation":"get","fault":"system","errcode":11003}]}' "11003" acme/old
fault_case 66 p3 '{"api":[{"operator":"webspace","operation":"get","fault":"result","errcode":1013}]}' "does not exist" acme/old
fault_case 66 p3 '{"api":[{"operator":"webspace","operation":"get","fault":"no_result"}]}' "does not exist" acme/old
fault_case 65 p3 '{"api":[{"operator":"webspace","operation":"get","fault":"malformed"}]}' "well-formed" acme/old
fault_case 65 p3 '{"api":[{"operator":"webspace","operation":"get","fault":"garbage"}]}' "" acme/old
fault_case 65 p3 '{"api":[{"operator":"webspace","operation":"get","fault":"empty"}]}' "empty" acme/old
fault_case 65 p3 '{"api":[{"operator":"webspace","operation":"get","fault":"xxe"}]}' "DOCTYPE" acme/old
fault_case 65 p3 '{"api":[{"operator":"webspace","operation":"get","fault":"xxe_param"}]}' "DOCTYPE" acme/old
start=$(date +%s)
fault_case 65 p3 '{"api":[{"operator":"webspace","operation":"get","fault":"laughs"}]}' "DOCTYPE" acme/old
[ $(($(date +%s) - start)) -lt 20 ] || fail "the entity-expansion payload was not refused fast"
fault_case 69 p3 '{"api":[{"operator":"*","operation":"*","fault":"status","code":503}]}' "503" acme/old
# The XXE canary: never read (atime as set), never in any output, log or state.db.
[ "$(stat -c %X "$T/p1/canary/secret.txt")" = "$(date -d '2020-01-02 00:00:00' +%s)" ] ||
    fail "the plesk1 canary was read"
[ "$(stat -c %X "$T/p3/canary/secret.txt")" = "$(date -d '2020-01-02 00:00:00' +%s)" ] ||
    fail "the plesk3 canary was read"
# Secrets: never in any output, log or state.db, not even in -vvv traces.
run 0 -v -v -v servers check plesk1p
run 0 -v -v -v servers check plesk1
for f in "$T/p1/secret_key" "$T/p1/password" "$T/p3/secret_key"; do
    grep -rqF "$(cat "$f")" "$T/all-output" "$T/state" && fail "a secret of '$f' leaked"
done
# (read only now: reading them moves their atime)
for c in "$T/p1/canary/secret.txt" "$T/p3/canary/secret.txt"; do
    grep -rqF "$(cat "$c")" "$T/all-output" "$T/state" && fail "the XXE canary leaked"
done

# Restore faults: the rollback fails, names the safety snapshot; a failed check empties nothing.
printf 'before failed restore\n' >"$WWW/data.txt"
faults "$T/p1" '{"pleskrestore":[{"command":"check-backup","fault":"fail"}]}'
run 1 rollback acme/shop --to "$LATEST" --yes && has err "safety snapshot"
same "$WWW/data.txt" "before failed restore"
faults "$T/p1" '{"pleskrestore":[{"command":"restore","fault":"fail"}]}'
run 1 rollback acme/shop --to "$LATEST" --yes && has err "safety snapshot" && has err "Restoration failed"
# The exact rollback moved the web root's files aside before the failed restore: they are back.
same "$WWW/data.txt" "before failed restore"
[ -z "$(find "$(dirname "$WWW")" -maxdepth 1 -name '.jiku-aside-*')" ] ||
    fail "a failed restore left the web root's files aside"
faults "$T/p1" '{}'

# --- a restore survives its SSH connection being cut ----------------------------------------
printf 'before cut\n' >"$WWW/data.txt"
faults "$T/p1" '{"job_seconds": 6}'
restores=$(grep -c '"--restore"' "$T/p1/requests.log")
timeout 300 "$BIN" -c "$T/agent.conf" --actor tester rollback acme/shop --to "$LATEST" --yes \
    >"$T/cut.out" 2>"$T/cut.err" </dev/null &
agent=$!
i=0
while [ $i -lt 400 ] && [ "$(grep -c '"--restore"' "$T/p1/requests.log")" = "$restores" ]; do
    sleep 0.1
    i=$((i + 1))
done
sleep 1
sh "$(dirname "$SIM")/../sshd-rig.sh" cut "$T/p1/ssh" >/dev/null 2>&1
rc=0
wait "$agent" || rc=$?
faults "$T/p1" '{}'
[ "$rc" = 0 ] || { fail "rollback with a cut connection exited $rc"; sed 's/^/  err: /' "$T/cut.err" | tail -5; }
same "$WWW/data.txt" original

test_end
sim_assert_no_root_in_tenant_trees
