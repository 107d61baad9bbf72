#!/bin/sh
# The real jiku-agent binary with the real cpanel.so against the cPanel simulator's Softaculous
# front (tests/fakes/wptoolkit/README.md, "Softaculous"): the Nextcloud install of acmeshop on
# cloud.acme.example staged, changed on staging and pushed to live; backed up (file in
# backup_dir, sha256 in the catalog), changed and rolled back; rolled back again after the
# server copy was pruned (upload from backup_dir); cloned; unstaged; a denied customer sends
# nothing; a failed Softaculous task is exit 1 with no artifact; a lost session is 77; no
# password, session or cookie in any request parameter, output or the state.  Issue 12's
# Softaculous facts: the rollback is exact (restore_delete_files=1: a file made after the
# backup is gone), a task whose status Softaculous deleted (its failure) is exit 1, a saved
# remote backup location is refused before any backup starts, promote and unstage act on the
# installation the stage record names (a staging key shown and disagreeing stops them).
#
# usage: softaculous_test.sh JIKU_AGENT CPANEL_SO POLICY_DIR SIM_SH     (as root: the sshd rig)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
PLUGIN=$2
POLICIES=$3
SIM=$4
ACTOR=tester
test_begin --root

acts() { logged "$W1" function "softaculous:$1"; } # ACT: how many requests with it web1 logged
# rows: "id kind status location sha256 backup_path" of acme/cloud's catalog rows, newest first
rows() {
    statedb "SELECT id, kind, status, coalesce(location, '-'),
        coalesce(sha256, '-'), coalesce(backup_path, '-') FROM artifacts
        WHERE target = 'acme/cloud' ORDER BY created DESC, id DESC"
}
installs() { # the installations of acmeshop as "insid domain dir staging" lines
    python3 -c '
import json, sys
for k, v in sorted(json.load(open(sys.argv[1])).items()):
    print(k, v["softdomain"], v.get("softdirectory", ""), 1 if v.get("staging_of") else 0)
' "$HOME1/.softaculous/installations.json"
}
set_ins() { # INSID KEY [JSON]: set KEY of acmeshop's installation INSID (no JSON: remove it)
    python3 -c '
import json, sys
p, insid, key = sys.argv[1:4]
d = json.load(open(p))
if len(sys.argv) > 4:
    d[insid][key] = json.loads(sys.argv[4])
else:
    d[insid].pop(key, None)
with open(p, "w") as f:
    json.dump(d, f)
' "$HOME1/.softaculous/installations.json" "$@"
}

W1=$T/web1
sim_start "$SIM" "$W1" --name web1 --job-seconds 1 || exit 1
. "$W1/env"
HOME1=$CPSIM_HOME/acmeshop
LIVE=$HOME1/cloud.acme.example
MYSQL=$CPSIM_ROOT/var/lib/mysql
LIVE_DB=$MYSQL/acmeshop_nc1.sql
STAGING=$HOME1/staging.cloud.acme.example
[ -f "$LIVE/config/config.php" ] || { say "FAIL: no seeded Nextcloud in $LIVE"; exit 1; }

install_plugin "$PLUGIN" cpanel
{
    agent_section "lock_wait = 5" "retry_deadline = 5"
    retention_section 20 20 20
    sim_server cpanel web1 "$W1" "timeout = 60" "poll_max = 1"
    cat <<'CONF'

[customer acme]
tier = low

[target acme/cloud]
server = web1
kind = softaculous
account = acmeshop
domain = cloud.acme.example
staging_domain = staging.cloud.acme.example
nightly = none

[customer highco]
tier = high

[target highco/cloud]
server = web1
kind = softaculous
account = acmeshop
domain = cloud.acme.example
nightly = none
CONF
} >"$T/agent.conf"

# --- probe ---------------------------------------------------------------------------------
run 0 servers check web1

# --- denied: nothing is sent ----------------------------------------------------------------
before=$(log_lines "$W1")
run 77 backup highco/cloud && has err "denied"
run 77 stage highco/cloud --domain staging.cloud.acme.example && has err "denied"
run 77 promote highco/cloud --yes
[ "$(log_lines "$W1")" = "$before" ] || fail "a denied action sent requests to web1"

# --- stage -> change staging -> promote -> live changed -----------------------------------
run 0 stage acme/cloud && has out "staging.cloud.acme.example"
[ -f "$STAGING/config/config.php" ] || fail "no staging copy in $STAGING"
grep -q '^SUBDOMAIN.*=staging.cloud.acme.example' "$CPSIM_ROOT/var/cpanel/users/acmeshop" ||
    fail "the staging domain was not created"
grep -q "staging.cloud.acme.example" "$STAGING/config/config.php" ||
    fail "the staging config does not name the staging domain"
installs | grep -q " staging.cloud.acme.example  1$" || fail "no staging installation: $(installs)"
ST_DB=$(ls "$MYSQL" | grep '^acmeshop_cloud_s' | head -1)
[ -n "$ST_DB" ] || fail "no staging database acmeshop_cloud_s… in $(ls "$MYSQL")"
grep '"function":"softaculous:staging"' "$W1/requests.log" | grep -q '"softdirectory":""' ||
    fail "staging was not requested at the domain's root"
printf 'edited on staging\n' >"$STAGING/data/admin/files/Documents/notes.md"
printf 'staging only\n' >"$STAGING/apps/files/new.txt"
printf "INSERT INTO \`oc_users\` VALUES ('bob','Bob on staging');\n" >>"$MYSQL/$ST_DB"
# Softaculous shows no staging key (none is documented): the stage record names the copy. One
# that is shown and names another live installation stops promote, nothing pushed.
ST_ID=$(installs | awk '$2 == "staging.cloud.acme.example" { print $1 }')
set_ins "$ST_ID" live_insid '"483_99999"'
run 65 promote acme/cloud --yes && has err "is not a staging copy of"
[ "$(acts pushtolive)" = 0 ] || fail "a staging copy of another installation was pushed"
set_ins "$ST_ID" live_insid
run 0 promote acme/cloud --yes && has out "pushed staging '$ST_ID'"
same "$LIVE/apps/files/new.txt" "staging only"
grep -qF "('bob','Bob on staging')" "$LIVE_DB" || fail "the staging row did not reach live"
grep -q "cloud.acme.example'" "$LIVE/config/config.php" || fail "live config changed"
grep -q "staging.cloud.acme.example" "$LIVE_DB" && fail "staging URL left in the live database"
rows | grep -q " safety good " || fail "promote took no safety snapshot"
[ "$(acts pushtolive)" = 1 ] || fail "pushtolive not sent exactly once"

# --- stage again refreshes the agent's own staging copy: the old one removed, a fresh one made -
printf 'only in the old staging copy\n' >"$STAGING/apps/files/stale.txt"
run 0 stage acme/cloud && has out "the earlier staging copy replaced"
installs | grep -q "^$ST_ID " && fail "the old staging installation $ST_ID is still listed"
installs | grep -q " staging.cloud.acme.example  1$" || fail "no fresh staging copy: $(installs)"
[ -e "$STAGING/apps/files/stale.txt" ] && fail "the refreshed staging copy kept the old copy's file"
[ "$(acts pushtolive)" = 1 ] || fail "a refresh pushed to live"

# --- unstage removes the copy and the domain the agent made --------------------------------
run 0 unstage acme/cloud
installs | grep -q "staging.cloud.acme.example" && fail "the staging installation is still there"
grep -q 'staging.cloud.acme.example' "$CPSIM_ROOT/var/cpanel/users/acmeshop" &&
    fail "the staging domain is still there"
[ -e "$STAGING" ] && fail "the staging document root is still there"
[ -e "$MYSQL/$ST_DB" ] && fail "the staging database is still there"
[ -f "$LIVE/config/config.php" ] || fail "unstage touched live"
# Without the agent's stage record nothing is removed, not even a staging copy made by hand,
# and nothing is pushed.
run 66 unstage acme/cloud && has err "no stage record"
run 66 promote acme/cloud --yes && has err "no stage record"
[ "$(acts pushtolive)" = 1 ] || fail "promote without a stage record pushed"

# --- backup -> change -> rollback -> original back ------------------------------------------
run 0 backup acme/cloud
set -- $(rows | head -1)
BK_ID=${1:-none} BK_LOC=${4:-} BK_SHA=${5:-} BK_PATH=${6:-}
[ "${2:-}" = backup ] && [ "${3:-}" = good ] || fail "no good backup in the catalog: $*"
case "$BK_LOC" in
"$HOME1/softaculous_backups/nextcloud.483_10001."*.tar.gz) ;;
*) fail "backup location '$BK_LOC' is not in softaculous_backups" ;;
esac
[ -f "$BK_LOC" ] || fail "the backup is not on web1"
[ -f "$BK_PATH" ] || fail "the backup is not in backup_dir ('$BK_PATH')"
[ "$(sha256sum <"$BK_PATH" | cut -d' ' -f1)" = "$BK_SHA" ] || fail "backup_dir copy sha256"
[ "$(sha256sum <"$BK_LOC" | cut -d' ' -f1)" = "$BK_SHA" ] || fail "server copy sha256"
[ -f "$(dirname "$BK_PATH")/manifest.json" ] || fail "no manifest beside the backup"
[ "$(stat -c %a "$BK_PATH")" = 600 ] || fail "backup file is not 0600"

printf 'changed after the backup\n' >"$LIVE/data/admin/files/welcome.txt"
printf 'new after the backup\n' >"$LIVE/lib/extra.php"
sed -i "s/('admin','Administrator')/('admin','Changed')/" "$LIVE_DB"
run 0 rollback acme/cloud --to "$BK_ID" --yes
same "$LIVE/data/admin/files/welcome.txt" "Welcome to Nextcloud on cloud.acme.example"
[ -e "$LIVE/lib/extra.php" ] && fail "rollback left a file created after the backup"
grep '"function":"softaculous:restore"' "$W1/requests.log" | grep -q '"restore_delete_files":"1"' ||
    fail "the restore did not ask Softaculous to delete the existing files first"
grep -qF "('admin','Administrator')" "$LIVE_DB" || fail "the database row did not come back"
grep -qF "('admin','Changed')" "$LIVE_DB" && fail "the changed row survived the rollback"
[ "$(acts restore)" = 1 ] || fail "restore not sent exactly once"

# --- the server copy pruned: rollback uploads it from backup_dir ----------------------------
rm -f "$BK_LOC"
printf 'changed again\n' >"$LIVE/data/admin/files/welcome.txt"
run 0 rollback acme/cloud --to "$BK_ID" --yes
same "$LIVE/data/admin/files/welcome.txt" "Welcome to Nextcloud on cloud.acme.example"
[ "$(sha256sum <"$BK_LOC" | cut -d' ' -f1)" = "$BK_SHA" ] || fail "uploaded copy sha256"
[ "$(stat -c %a "$BK_LOC")" = 600 ] || fail "uploaded copy is not 0600"

# --- --merge is refused, nothing restored --------------------------------------------------
restores=$(acts restore)
backups=$(acts backup)
run 64 rollback acme/cloud --to "$BK_ID" --merge --yes && has err "merge"
[ "$(acts restore)" = "$restores" ] || fail "a refused --merge sent a restore"
[ "$(acts backup)" = "$backups" ] || fail "a refused --merge took a safety snapshot first"

# --- a restore task that fails: Softaculous deletes its status, "no task" is exit 1 ----------
restores=$(acts restore)
faults "$W1" '{"softaculous": [{"act": "restore", "fault": "fail", "count": 1}]}'
run 1 rollback acme/cloud --to "$BK_ID" --yes && has err "gone from the Softaculous task list"
faults "$W1" '{}'
[ "$(acts restore)" -gt "$restores" ] || fail "the failing restore was not sent"

# --- a restore that reaches 100 but loses the installation: progress is not success ----------
cp "$HOME1/.softaculous/installations.json" "$T/installations.json"
faults "$W1" '{"softaculous": [{"act": "restore", "fault": "unlisted", "count": 1}]}'
run 1 rollback acme/cloud --to "$BK_ID" --yes && has err "reached 100% but its result is missing"
faults "$W1" '{}'
cp "$T/installations.json" "$HOME1/.softaculous/installations.json"

# --- verify: the server copy checked against the catalog ------------------------------------
run 0 verify acme/cloud
printf 'x' >>"$BK_LOC"
run 3 verify acme/cloud && has err "does not match the catalog"

# --- clone onto a new domain ------------------------------------------------------------------
run 0 clone acme/cloud --domain copy.cloud.acme.example && has out "copy.cloud.acme.example"
installs | grep -q " copy.cloud.acme.example  0$" || fail "no clone installation: $(installs)"
[ -f "$HOME1/copy.cloud.acme.example/config/config.php" ] || fail "no clone files"

# --- a failed Softaculous task: exit 1, no artifact, nothing left ----------------------------
count=$(rows | wc -l)
faults "$W1" '{"softaculous": [{"act": "backup", "fault": "fail"}]}'
run 1 snapshot acme/cloud && has err "failed"
faults "$W1" '{}'
[ "$(rows | wc -l)" = "$count" ] || fail "a failed task left an artifact"

# --- a remote backup location saved in the installation: refused, nothing started or left ----
cp "$HOME1/.softaculous/installations.json" "$T/installations.json"
printf '{"1": {"id": "1", "name": "offsite", "protocol": "ftp", "server_host": "ftp.example.net",
  "port": 21, "ftp_user": "u", "ftp_pass": "p", "backup_loc": "/backups"}}\n' \
    >"$HOME1/.softaculous/backup_locs.json"
chown acmeshop: "$HOME1/.softaculous/backup_locs.json"
set_ins 483_10001 backup_location '"1"'
backups=$(acts backup) restores=$(acts restore)
run 1 snapshot acme/cloud && has err "backup_location"
run 1 rollback acme/cloud --to "$BK_ID" --yes && has err "backup_location"
[ "$(acts backup)" = "$backups" ] || fail "a backup was started towards the remote location"
[ "$(acts restore)" = "$restores" ] || fail "a rollback without its safety snapshot restored"
[ -z "$(find "$CPSIM_ROOT/var/softaculous/remote" -type f 2>/dev/null)" ] ||
    fail "a backup was left on the remote location"
[ "$(rows | wc -l)" = "$count" ] || fail "a refused backup left an artifact"
cp "$T/installations.json" "$HOME1/.softaculous/installations.json"
rm -f "$HOME1/.softaculous/backup_locs.json"

# --- an error answer and garbage ---------------------------------------------------------------
faults "$W1" '{"softaculous": [{"act": "installations", "fault": "error", "message": "Access is restricted"}]}'
run 1 snapshot acme/cloud && has err "Access is restricted"
faults "$W1" '{"api": [{"function": "softaculous:installations", "fault": "garbage"}]}'
run 65 snapshot acme/cloud
faults "$W1" '{"api": [{"function": "create_user_session", "fault": "result0"}]}'
run 1 snapshot acme/cloud
faults "$W1" '{}'
[ "$(rows | wc -l)" = "$count" ] || fail "a failed call left an artifact"

# --- two installations at the target's place: ambiguous, nothing sent that writes ----------
cp "$HOME1/.softaculous/installations.json" "$T/installations.json"
python3 -c '
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["483_99999"] = dict(d["483_10001"], insid="483_99999")
json.dump(d, open(p, "w"))
' "$HOME1/.softaculous/installations.json"
backups=$(acts backup) restores=$(acts restore)
run 65 snapshot acme/cloud && has err "ambiguous"
run 65 rollback acme/cloud --to "$BK_ID" --yes
[ "$(acts backup)" = "$backups" ] && [ "$(acts restore)" = "$restores" ] ||
    fail "an ambiguous installation still got a backup or restore request"
cp "$T/installations.json" "$HOME1/.softaculous/installations.json"
[ "$(rows | wc -l)" = "$count" ] || fail "an ambiguous installation left an artifact"

# --- a session refused on the cPanel port: 77, nothing made ---------------------------------
faults "$W1" '{"api": [{"function": "softaculous:installations", "fault": "403"}]}'
run 77 snapshot acme/cloud
faults "$W1" '{}'
[ "$(rows | wc -l)" = "$count" ] || fail "a refused session left an artifact"

# --- prune: server copies beyond keep_on_server go, backup_dir copies stay ------------------
run 0 backup acme/cloud
set -- $(rows | awk '$2 == "backup"' | head -1)
BK2_LOC=${4:-} BK2_PATH=${6:-}
sed -i 's/^keep_on_server = 20$/keep_on_server = 1/' "$T/agent.conf"
run 0 prune acme/cloud
[ -f "$BK2_LOC" ] || fail "prune removed the newest backup's server copy"
[ -e "$BK_LOC" ] && fail "prune kept an older backup's server copy beyond keep_on_server"
[ -f "$BK_PATH" ] || fail "prune removed a backup_dir copy"
[ -f "$BK2_PATH" ] || fail "prune removed the newest backup_dir copy"
ls "$HOME1/softaculous_backups" | grep -v '^nextcloud\.483_10001\.' | grep -q . &&
    fail "prune left or made something else in softaculous_backups"
sed -i 's/^keep_on_server = 1$/keep_on_server = 20/' "$T/agent.conf"

# --- the theme comes from the session's redirect ---------------------------------------------
sed -i 's/^RS=.*/RS=paper_lantern/' "$CPSIM_ROOT/var/cpanel/users/acmeshop"
run 0 servers check web1
grep -q '/frontend/paper_lantern/softaculous/' "$W1/requests.log" ||
    fail "the paper_lantern theme of the redirect was not used"
sed -i 's/^RS=.*/RS=jupiter/' "$CPSIM_ROOT/var/cpanel/users/acmeshop"

# --- no password, session or cookie anywhere ----------------------------------------------
grep -i '"Authorization"\|"Basic \|"pass' "$W1/requests.log" | grep -v REDACTED | head -3 |
    grep -q . && fail "a credential-looking parameter in the request log"
grep '"function":"softaculous:' "$W1/requests.log" | grep -q '"auth":"denied"' &&
    fail "a Softaculous request without a valid session"
grep -qi 'password\|passwd' "$T/agent.conf" && fail "the config holds a password"
for f in "$T/all-output" "$T/state/state.db"; do
    grep -aq 'cpsess[0-9]' "$f" && fail "a session token in $f"
    grep -aq 'cpsession=' "$f" && fail "a session cookie in $f"
    grep -aq 'session=acmeshop' "$f" && fail "a session URL in $f"
done
run 0 -vvv servers check web1
grep -aq 'cpsess[0-9]' "$T/err" &&
    { fail "a session token in the -vvv trace"; grep -a 'cpsess[0-9]' "$T/err" | head -3; }
grep -aq 'acmeshop:[A-Za-z0-9]\{8,\}' "$T/err" && fail "a session id in the -vvv trace"

test_end
sim_assert_no_root_in_tenant_trees
