#!/bin/sh
# Automatic rollback (jiku-agent(8), ROLLBACK; auto_rollback in jiku-agent.conf(5)): a rollback
# or promote that fails after it changed the server restores the safety snapshot it took
# first, exact, through the same plugin, and exits 1 naming both; the failed operation and the
# automatic rollback are two operations in the audit.  With auto_rollback = no the failed state
# stays and the message names the safety snapshot; when the automatic rollback fails too, the
# message names the safety snapshot that holds the state before.  On a cPanel account (restore
# session with a failed item: home files overlaid), a Plesk subscription (pleskrestore failing
# after it overlaid the files), WordPress on both panels (the database import failing after it
# replaced the database) and a Softaculous installation (a restore task failing after its work
# and a pushtolive that failed after writing onto live); every fault is the simulators' own
# (tests/fakes/*/README.md, "Faults").
#
# usage: autorollback_test.sh JIKU_AGENT CPANEL_SO PLESK_SO POLICY_DIR FAKES_DIR   (as root)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
CPANEL_SO=$2
PLESK_SO=$3
POLICIES=$4
FAKES=$5
ACTOR=tester
test_begin --root

audit_seq() { statedb "SELECT coalesce(max(seq), 0) FROM audit"; }
# ops_after SEQ: "action decision" of each operation record after SEQ, oldest first
ops_after() { statedb "SELECT action, decision FROM audit WHERE event = 'operation' AND seq > $1 ORDER BY seq"; }
newest_safety() { statedb "SELECT id FROM artifacts WHERE target = '$1' AND kind = 'safety' ORDER BY created DESC, id DESC LIMIT 1"; }
# two_ops TARGET SEQ FAILED UNDO: the failed operation (policy action FAILED), then the
# automatic rollback (UNDO) that went OK, in the audit after SEQ and in `history`
two_ops() {
    printf '%s failed\n%s ok\n' "$3" "$4" >"$T/want-ops"
    ops_after "$2" >"$T/got-ops"
    cmp -s "$T/want-ops" "$T/got-ops" ||
        fail "$1: audit operations after the failure: $(cat "$T/got-ops")"
    statedb "SELECT reason FROM audit WHERE event = 'operation' AND seq > $2 ORDER BY seq DESC
        LIMIT 1" | grep -q "^automatic rollback after" || fail "$1: the second record's reason"
    run 0 history --target "$1" && has out "automatic rollback after"
}
set_auto() { # set_auto TARGET yes|no|-: the target's auto_rollback key (-: none)
    sect=$(printf %s "$1" | sed 's|/|\\/|')
    sed -i "/^\[target $sect\]/,/^\[/ { /^auto_rollback = /d }" "$T/agent.conf"
    [ "$2" = - ] ||
        sed -i "/^\[target $sect\]/ a auto_rollback = $2" "$T/agent.conf"
}

sim_start "$FAKES/cpanel/sim.sh" "$T/web1" --name web1 --job-seconds 1 || exit 1
sim_start "$FAKES/plesk/sim.sh" "$T/p1" --name plesk1 --job-seconds 1 || exit 1
. "$T/p1/env"
. "$T/web1/env"
QUICK='"wptoolkit_seconds": 0.3'
faults "$T/web1" "{$QUICK}"
faults "$T/p1" "{$QUICK}"
HOME1=$CPSIM_HOME/acmeshop
CPDB=$CPSIM_ROOT/var/lib/mysql/acmeshop_db.sql
WWW=$PLSIM_VHOSTS/shop.example/httpdocs
PDB=$PLSIM_MYSQL_DIR/shopuser_db.sql

install_plugin "$CPANEL_SO" cpanel
install_plugin "$PLESK_SO" plesk
{
    agent_section "lock_wait = 5" "retry_deadline = 5"
    retention_section 50 50 50
    sim_server cpanel web1 "$T/web1" "timeout = 60" "poll_max = 1"
    sim_server plesk plesk1 "$T/p1" "timeout = 60" "poll_max = 1"
    cat <<'CONF'

[customer acme]
tier = low

[target acme/acct]
server = web1
kind = account
account = acmeshop
nightly = none

[target acme/sub]
server = plesk1
kind = subscription
account = shop.example
nightly = none

[target acme/blog]
server = web1
kind = wordpress
account = acmeshop
domain = blog.acme.example
nightly = none

[target acme/wp]
server = plesk1
kind = wordpress
account = shop.example
domain = shop.example
nightly = none

[target acme/cloud]
server = web1
kind = softaculous
account = acmeshop
domain = cloud.acme.example
staging_domain = staging.cloud.acme.example
nightly = none
CONF
} >"$T/agent.conf"

run 0 config check

# --- cPanel account: the restore session's item failed after the home files were overlaid ---
FAIL_TAG=cpanel
printf 'snapshot\n' >"$HOME1/public_html/data.txt"
printf "INSERT INTO \`items\` VALUES (9,'snapshot');\n" >>"$CPDB"
run 0 snapshot acme/acct
SNAP=$(artifacts acme/acct | awk '{ print $1; exit }')
CP_SNAP=$SNAP
printf 'before\n' >"$HOME1/public_html/data.txt"
sed -i "s/(9,'snapshot')/(9,'before')/" "$CPDB"
seq0=$(audit_seq)
faults "$T/web1" "{$QUICK, \"restore\": {\"fault\": \"item_failed\", \"count\": 1}}"
run 1 rollback acme/acct --to "$SNAP" --yes
SAFETY=$(newest_safety acme/acct)
has err "rollback failed; automatic rollback (operation" &&
    has err "restored the state before it from safety snapshot '$SAFETY'"
same "$HOME1/public_html/data.txt" before
grep -qF "(9,'before')" "$CPDB" || fail "the database row of the state before is not back"
two_ops acme/acct "$seq0" server.rollback server.rollback

# auto_rollback = no on the target: the half restore stays, the message names the safety.
set_auto acme/acct no
seq0=$(audit_seq)
faults "$T/web1" "{$QUICK, \"restore\": {\"fault\": \"item_failed\", \"count\": 1}}"
run 1 rollback acme/acct --to "$SNAP" --yes
SAFETY=$(newest_safety acme/acct)
has err "auto_rollback = no" && has err "safety snapshot '$SAFETY'"
hasnt err "automatic rollback (operation"
same "$HOME1/public_html/data.txt" snapshot # the failed item's overlay
[ "$(ops_after "$seq0")" = "server.rollback failed" ] || fail "auto_rollback = no: $(ops_after "$seq0")"
# [agent] says no, the target yes: the target's key wins.
set_auto acme/acct yes
sed -i '/^\[agent\]/ a auto_rollback = no' "$T/agent.conf"
printf 'before\n' >"$HOME1/public_html/data.txt"
faults "$T/web1" "{$QUICK, \"restore\": {\"fault\": \"item_failed\", \"count\": 1}}"
run 1 rollback acme/acct --to "$SNAP" --yes && has err "automatic rollback (operation"
same "$HOME1/public_html/data.txt" before
sed -i '/^auto_rollback = no$/d' "$T/agent.conf"
set_auto acme/acct -

# The automatic rollback fails too (every restore fails): the safety snapshot is named.
faults "$T/web1" "{$QUICK, \"restore\": {\"fault\": \"failed\"}}"
seq0=$(audit_seq)
run 1 rollback acme/acct --to "$SNAP" --yes
SAFETY=$(newest_safety acme/acct)
has err "so did its automatic rollback" && has err "the state before it is in safety snapshot '$SAFETY'"
printf 'server.rollback failed\nserver.rollback failed\n' >"$T/want-ops"
ops_after "$seq0" >"$T/got-ops"
cmp -s "$T/want-ops" "$T/got-ops" || fail "both failed: $(cat "$T/got-ops")"
faults "$T/web1" "{$QUICK}"
same "$HOME1/public_html/data.txt" before

# --- Plesk subscription: pleskrestore overlaid the files, then failed on the databases -------
FAIL_TAG=plesk
printf 'snapshot\n' >"$WWW/data.txt"
printf "INSERT INTO posts VALUES (9,'snapshot');\n" >>"$PDB"
run 0 snapshot acme/sub
SNAP=$(artifacts acme/sub | awk '{ print $1; exit }')
printf 'before\n' >"$WWW/data.txt"
sed -i "s/(9,'snapshot')/(9,'before')/" "$PDB"
printf 'only before\n' >"$WWW/later.txt"
seq0=$(audit_seq)
faults "$T/p1" "{$QUICK, \"pleskrestore\": [{\"command\": \"restore\", \"fault\": \"partial\", \"count\": 1}]}"
run 1 rollback acme/sub --to "$SNAP" --merge --yes
SAFETY=$(newest_safety acme/sub)
has err "automatic rollback (operation" && has err "safety snapshot '$SAFETY'"
has err "Unable to restore databases"
same "$WWW/data.txt" before
same "$WWW/later.txt" "only before"
grep -qF "(9,'before')" "$PDB" || fail "the database row of the state before is not back"
two_ops acme/sub "$seq0" server.rollback server.rollback
# A failure before anything changed (pleskrestore --check-backup) undoes nothing.
faults "$T/p1" "{$QUICK, \"pleskrestore\": [{\"command\": \"check-backup\", \"fault\": \"fail\", \"count\": 1}]}"
seq0=$(audit_seq)
run 1 rollback acme/sub --to "$SNAP" --yes &&
    has err "rollback failed; the state before it is in safety snapshot"
hasnt err "automatic rollback"
[ "$(ops_after "$seq0")" = "server.rollback failed" ] || fail "nothing changed: $(ops_after "$seq0")"
same "$WWW/data.txt" before
faults "$T/p1" "{$QUICK}"

# --- WordPress: the database import failed after it replaced the database --------------------
# wp_case TAG TARGET SIMDIR SITE MYSQL_DIR
wp_case() {
    FAIL_TAG=$1 TGT=$2 SIMD=$3 SITE=$4
    DB=$5/$(site_db "$SITE").sql
    run 0 snapshot "$TGT"
    SNAP=$(artifacts "$TGT" | awk '{ print $1; exit }')
    sed -i "s/'Hello world!'/'Before'/" "$DB"
    printf 'before\n' >"$SITE/data.txt"
    seq0=$(audit_seq)
    faults "$SIMD" "{$QUICK, \"wptoolkit\": [{\"command\": \"wp-cli\", \"wp_cli\": \"db import\", \"fault\": \"partial\", \"count\": 1}]}"
    run 1 rollback "$TGT" --to "$SNAP" --yes
    SAFETY=$(newest_safety "$TGT")
    has err "automatic rollback (operation" && has err "safety snapshot '$SAFETY'"
    grep -qF "'Before'" "$DB" || fail "the post of the state before is not back"
    grep -qF "'Hello world!'" "$DB" && fail "the imported post stayed"
    same "$SITE/data.txt" before
    two_ops "$TGT" "$seq0" application.rollback application.rollback

    set_auto "$TGT" no
    seq0=$(audit_seq)
    faults "$SIMD" "{$QUICK, \"wptoolkit\": [{\"command\": \"wp-cli\", \"wp_cli\": \"db import\", \"fault\": \"partial\", \"count\": 1}]}"
    run 1 rollback "$TGT" --to "$SNAP" --yes
    SAFETY=$(newest_safety "$TGT")
    has err "auto_rollback = no" && has err "safety snapshot '$SAFETY'"
    grep -qF "'Hello world!'" "$DB" || fail "auto_rollback = no: the failed import's state is gone"
    [ "$(ops_after "$seq0")" = "application.rollback failed" ] ||
        fail "auto_rollback = no: $(ops_after "$seq0")"
    set_auto "$TGT" -
    faults "$SIMD" "{$QUICK}"
}
wp_case wp-cpanel acme/blog "$T/web1" "$HOME1/blog.acme.example" "$CPSIM_ROOT/var/lib/mysql"
wp_case wp-plesk acme/wp "$T/p1" "$WWW" "$PLSIM_MYSQL_DIR"

# --- Softaculous: a restore task that failed after its work; a pushtolive likewise -----------
FAIL_TAG=softaculous
LIVE=$HOME1/cloud.acme.example
LIVE_DB=$CPSIM_ROOT/var/lib/mysql/acmeshop_nc1.sql
run 0 backup acme/cloud
BK=$(artifacts acme/cloud | awk '{ print $1; exit }')
printf 'before\n' >"$LIVE/data/admin/files/welcome.txt"
sed -i "s/('admin','Administrator')/('admin','Before')/" "$LIVE_DB"
seq0=$(audit_seq)
faults "$T/web1" "{$QUICK, \"softaculous\": [{\"act\": \"restore\", \"fault\": \"partial\", \"count\": 1}]}"
run 1 rollback acme/cloud --to "$BK" --yes
SAFETY=$(newest_safety acme/cloud)
has err "automatic rollback (operation" && has err "safety snapshot '$SAFETY'"
same "$LIVE/data/admin/files/welcome.txt" before
grep -qF "('admin','Before')" "$LIVE_DB" || fail "the database row of the state before is not back"
two_ops acme/cloud "$seq0" application.rollback application.rollback
faults "$T/web1" "{$QUICK}"

run 0 stage acme/cloud
printf 'staging only\n' >"$HOME1/staging.cloud.acme.example/apps/files/new.txt"
seq0=$(audit_seq)
faults "$T/web1" "{$QUICK, \"softaculous\": [{\"act\": \"pushtolive\", \"fault\": \"partial\", \"count\": 1}]}"
run 1 promote acme/cloud --yes
SAFETY=$(newest_safety acme/cloud)
has err "promote failed; automatic rollback (operation" && has err "safety snapshot '$SAFETY'"
[ -e "$LIVE/apps/files/new.txt" ] && fail "the failed promote's file stayed on live"
same "$LIVE/data/admin/files/welcome.txt" before
grep -qF "('admin','Before')" "$LIVE_DB" || fail "promote: the row of the state before is not back"
two_ops acme/cloud "$seq0" application.promote application.rollback
faults "$T/web1" "{$QUICK}"

FAIL_TAG=cpanel
# The answer to the start was lost: the restore may be running, a second one would race it.
faults "$T/web1" "{$QUICK, \"api\": [{\"function\": \"start_local_cpmove_restore\", \"fault\": \"drop_after\", \"count\": 1}]}"
seq0=$(audit_seq)
restores=$(logged "$T/web1" function start_local_cpmove_restore)
run 69 rollback acme/acct --to "$CP_SNAP" --yes && has err "the state before it is in safety snapshot"
hasnt err "automatic rollback (operation"
[ "$(ops_after "$seq0")" = "server.rollback failed" ] || fail "lost answer: $(ops_after "$seq0")"
[ "$(logged "$T/web1" function start_local_cpmove_restore)" = $((restores + 1)) ] ||
    fail "a restore that may still run was followed by another"
faults "$T/web1" "{$QUICK}"

FAIL_TAG=
run 0 audit verify
test_end
sim_assert_no_root_in_tenant_trees
