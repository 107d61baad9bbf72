#!/bin/sh
# WordPress targets (kind = wordpress) end to end: the real jiku-agent with the real cpanel.so
# and plesk.so against a simulated cPanel and a simulated Plesk server, both running the WP
# Toolkit simulator (tests/fakes/wptoolkit).  The same suite runs on each panel (issue 6):
# snapshot → change a post and a file → rollback (exact, merge, dry run, from backup_dir), and
# nothing else in the account touched, with wp-cli run as the site's owner (the dump through
# stdout/stdin); stage creates the domain and a non-indexed copy; a post edited on staging, a
# comment and a file made only on live, promoted with each promote_db mode (live becomes
# exactly staging), after a safety snapshot of live; unstage leaves nothing (on cPanel without
# WP Toolkit's --remove: no files, database, database user, domain or record); clone --domain
# makes an independent site;
# a stale instance id (now another customer's site) stops a rollback and touches nothing; denied
# application actions send nothing; a contract of only server.* actions refuses application.*
# actions, and one of only application.* actions refuses server.* actions.
#
# usage: wordpress_test.sh JIKU_AGENT CPANEL_SO PLESK_SO POLICY_DIR FAKES_DIR   (as root)
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


# --- two simulated servers ----------------------------------------------------------------
sim_start "$FAKES/cpanel/sim.sh" "$T/web1" --name web1 --job-seconds 1 || exit 1
sim_start "$FAKES/plesk/sim.sh" "$T/p1" --name plesk1 --job-seconds 1 || exit 1
. "$T/p1/env"
. "$T/web1/env"
# Every faults.json this test writes makes WP Toolkit tasks quick.
QUICK='"wptoolkit_seconds": 0.3'
# quick_faults [MEMBERS]: the faults.json of the suite's simulator (SIMD): QUICK and MEMBERS
quick_faults() { faults "$SIMD" "{$QUICK${1:+, $1}}"; }
faults "$T/web1" "{$QUICK}"
faults "$T/p1" "{$QUICK}"

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

[target acme/blog]
server = web1
kind = wordpress
account = acmeshop
domain = blog.acme.example
path = /
staging_domain = staging.blog.acme.example
promote_db = all
nightly = snapshot

[target acme/wp]
server = plesk1
kind = wordpress
account = shop.example
domain = shop.example
staging_domain = staging.shop.example
promote_db = all
nightly = snapshot

[target acme/foreign]
server = web1
kind = wordpress
account = acmeshop
domain = low.example
nightly = none

[customer lowcust]
tier = low

[target lowcust/site]
server = web1
kind = wordpress
account = lowco
domain = low.example
nightly = none

# JIKU runs only server.* actions for this customer: application actions are refused.
[customer srvonly]
tier = low
application.snapshot = customer
application.backup = customer
application.rollback = customer
application.stage = customer
application.promote = customer
application.clone = customer

[target srvonly/site]
server = web1
kind = wordpress
account = lowco
domain = low.example
nightly = none

[target srvonly/acct]
server = web1
kind = account
account = lowco
nightly = none

# JIKU runs only application.* actions for this one: server actions are refused.
[customer apponly]
tier = high
application.snapshot = jiku
application.backup = jiku
application.rollback = jiku

[target apponly/site]
server = plesk1
kind = wordpress
account = resold.example
domain = resold.example
nightly = none

[target apponly/sub]
server = plesk1
kind = subscription
account = resold.example
nightly = none
CONF
} >"$T/agent.conf"

# suite PANEL TARGET SIMDIR SNAPDIR SITE ACCOUNT_DIR MYSQL_DIR STAGING CLONE OTHER... :
# the WordPress suite on one panel; OTHER are paths that must never change.
suite() {
    FAIL_TAG=$1 TGT=$2 SIMD=$3 SNAPD=$4 SITE=$5 ACCT=$6 MYSQL=$7 STG=$8 CLONE=$9
    shift 9
    OTHER=$*
    DB=$MYSQL/$(site_db "$SITE").sql
    quick_faults
    other_before=$(sum $OTHER)
    say "== $FAIL_TAG: $TGT"

    # --- snapshot: an application archive, 0700/0600, in snapshot_dir/ACCOUNT/ID/ ----------
    run 0 snapshot "$TGT"
    set -- $(artifacts "$TGT" | head -1)
    SNAP_ID=${1:-none}
    [ "${2:-}" = snapshot ] && [ "${3:-}" = good ] || fail "no good snapshot: $*"
    AR=${4:-none}
    [ -f "$AR" ] || fail "the archive '$AR' is not on the server"
    case $AR in "$SNAPD"/*/"$SNAP_ID"/wordpress.tar) ;; *) fail "archive location '$AR'" ;; esac
    [ "$(stat -c %a "$(dirname "$AR")")" = 700 ] || fail "the archive's directory is not 0700"
    [ "$(stat -c %a "$AR")" = 600 ] || fail "the archive is not 0600"
    [ "$(sha256sum <"$AR" | cut -d' ' -f1)" = "${5:-}" ] || fail "archive sha256 differs"
    tar -xOf "$AR" db.sql | grep -qF "'Hello world!'" || fail "the archive's dump lacks the post"

    # --- change a post and a file, add one; dry run, then exact rollback ------------------
    sed -i "s/'Hello world!'/'Edited live'/" "$DB"
    printf 'changed\n' >"$SITE/index.php"
    printf 'new\n' >"$SITE/new.txt"
    run 0 rollback "$TGT" --to "$SNAP_ID" --dry-run && has out "- new.txt" && has out "~ index.php"
    same "$SITE/index.php" changed
    grep -qF "'Edited live'" "$DB" || fail "a dry-run rollback changed the database"
    run 0 rollback "$TGT" --to "$SNAP_ID" --yes
    grep -qF "'Hello world!'" "$DB" || fail "the post did not come back"
    grep -qF "'Edited live'" "$DB" && fail "the edited post survived the rollback"
    grep -qF "WP_USE_THEMES" "$SITE/index.php" || fail "the file did not come back"
    [ -e "$SITE/new.txt" ] && fail "exact rollback left a file created after the snapshot"
    [ -f "$SITE/wp-config.php" ] || fail "the rollback lost wp-config.php"
    ls -a "$(dirname "$SITE")" | grep -q 'jiku-' && fail "the rollback left a work directory"
    artifacts "$TGT" | grep -q " safety good " || fail "no safety snapshot before the rollback"
    SAFETY=$(artifacts "$TGT" | awk '$2 == "safety" { print $4; exit }')
    tar -xOf "$SAFETY" db.sql | grep -qF "'Edited live'" ||
        fail "the safety snapshot does not hold the state before the rollback"
    [ "$(sum $OTHER)" = "$other_before" ] || fail "the rollback touched another site or the mail"

    # --- merge keeps what was created since ----------------------------------------------
    printf 'changed again\n' >"$SITE/index.php"
    printf 'kept\n' >"$SITE/new2.txt"
    run 0 rollback "$TGT" --to "$SNAP_ID" --merge --yes
    grep -qF "WP_USE_THEMES" "$SITE/index.php" || fail "merge did not restore the file"
    same "$SITE/new2.txt" kept
    rm -f "$SITE/new2.txt"

    # --- backup: in backup_dir with its sha256; rollback from backup_dir alone -------------
    run 0 backup "$TGT"
    set -- $(artifacts "$TGT" | head -1)
    BK_ID=${1:-none}
    [ "${2:-}" = backup ] || fail "newest artifact is not a backup: $*"
    BK=$(find "$T/backups" -path "*/$BK_ID/wordpress.tar" | head -1)
    [ -n "$BK" ] && [ "$(sha256sum <"$BK" | cut -d' ' -f1)" = "${5:-}" ] ||
        fail "backup_dir copy missing or its sha256 differs from the catalog"
    [ -f "$(dirname "${BK:-/nonexistent}")/manifest.json" ] || fail "backup has no manifest"
    run 0 verify "$TGT"
    ADIR=$(dirname "$(dirname "$AR")")
    [ -f "$ADIR/$BK_ID/wordpress.tar" ] || fail "the backup has no server copy"
    rm -rf "${ADIR:?}/$BK_ID"
    sed -i "s/'Hello world!'/'After backup'/" "$DB"
    run 0 rollback "$TGT" --to "$BK_ID" --yes
    has out "$BK_ID/wordpress.tar"
    grep -qF "'Hello world!'" "$DB" || fail "rollback from backup_dir did not restore the post"
    [ -e "$ADIR/$BK_ID" ] && fail "the uploaded backup was left on the server"

    # --- stage: the domain is created, the copy does not ask to be indexed ----------------
    run 0 stage "$TGT" && has out "domain created"
    SDIR=$ACCT/$STG
    [ -f "$SDIR/wp-config.php" ] || fail "no staging site in '$SDIR'"
    SDB=$MYSQL/$(site_db "$SDIR").sql
    grep -qF "'blog_public','0'" "$SDB" || fail "the staging site does not discourage indexing"
    grep -qF "'blog_public','1'" "$DB" || fail "staging changed live's blog_public"
    grep -qF "https://$STG" "$SDB" || fail "the staging database keeps the live URL"

    # --- promote with each database mode, after a safety snapshot of live ----------------
    for mode in all default none; do
        sect=$(printf %s "$TGT" | sed 's|/|\\/|')
        sed -i "/^\[target $sect\]/,/^\[/ s/^promote_db = .*/promote_db = $mode/" "$T/agent.conf"
        run 0 stage "$TGT"
        SDB=$MYSQL/$(site_db "$SDIR").sql
        sed -i "s/'Hello world!'/'Edited on staging'/" "$SDB"
        printf 'from staging\n' >"$SDIR/staged.txt"
        printf "INSERT INTO \`wp_comments\` VALUES (7,1,'Live','comment only on live');\n" >>"$DB"
        # a file only live has: promote makes live exactly staging (-files-remove-missing yes)
        printf 'only on live\n' >"$SITE/live-only.txt"
        safeties=$(artifacts "$TGT" | grep -c ' safety ')
        run 0 promote "$TGT" --yes || continue
        [ -e "$SITE/live-only.txt" ] && fail "promote ($mode) kept a file only live had"
        [ -f "$SITE/wp-config.php" ] || fail "promote ($mode) removed live's wp-config.php"
        [ "$(artifacts "$TGT" | grep -c ' safety ')" = $((safeties + 1)) ] ||
            fail "promote ($mode) took no safety snapshot"
        SAFETY=$(artifacts "$TGT" | awk '$2 == "safety" { print $4; exit }')
        tar -xOf "$SAFETY" db.sql | grep -qF "comment only on live" ||
            fail "the safety snapshot before promote ($mode) lacks live's comment"
        same "$SITE/staged.txt" "from staging"
        case $mode in
        all)
            grep -qF "'Edited on staging'" "$DB" || fail "promote (all) did not bring the post"
            grep -qF "comment only on live" "$DB" && fail "promote (all) kept live's own comment"
            ;;
        default)
            grep -qF "'Hello world!'" "$DB" || fail "promote (default) replaced live's posts"
            grep -qF "'Edited on staging'" "$DB" && fail "promote (default) copied the posts"
            grep -qF "comment only on live" "$DB" &&
                fail "promote (default) kept live's comments (they come from staging)"
            ;;
        none)
            grep -qF "'Hello world!'" "$DB" || fail "promote (none) changed the posts"
            grep -qF "comment only on live" "$DB" || fail "promote (none) changed the comments"
            ;;
        esac
        grep -qF "'blog_public','1'" "$DB" || fail "promote ($mode) made live non-indexed"
        grep -qF "https://$STG" "$DB" && fail "promote ($mode) left the staging URL in live"
        # back to the snapshot for the next mode
        run 0 rollback "$TGT" --to "$SNAP_ID" --yes
    done
    [ "$(sum $OTHER)" = "$other_before" ] ||
        fail "staging or promote touched another site or the mail"

    # --- unstage: no domain, no files, no database, no record ----------------------------
    # (cPanel's WP Toolkit has no --remove: detach, then the files as the account, the
    # database and its user through UAPI, the subdomain; Plesk's --remove)
    SDB=$MYSQL/$(site_db "$SDIR").sql
    SDBUSER=$SIMD/root/var/lib/mysql-users/$(basename "$SDB" .sql)
    [ "$FAIL_TAG" = cpanel ] && { [ -f "$SDBUSER" ] || fail "the clone made no database user"; }
    run 0 unstage "$TGT"
    [ -e "$SDIR" ] && fail "unstage left '$SDIR'"
    [ -e "$SDB" ] && fail "unstage left the staging database"
    [ -e "$SDBUSER" ] && fail "unstage left the staging database's user"
    [ -e "$SNAPD/.staging" ] && [ -n "$(ls -A "$SNAPD/.staging")" ] &&
        fail "unstage left its record"
    grep -rqF "$STG" "$SIMD/root/var/cpanel/users" "$SIMD/root/var/lib/psa-sim" 2>/dev/null &&
        fail "unstage left the domain '$STG'"
    run 66 unstage "$TGT"

    # --- clone --domain: an independent site ---------------------------------------------
    run 0 clone "$TGT" --domain "$CLONE"
    CDIR=$ACCT/$CLONE
    [ -f "$CDIR/wp-config.php" ] || fail "no clone in '$CDIR'"
    CDB=$MYSQL/$(site_db "$CDIR").sql
    [ "$CDB" != "$DB" ] || fail "the clone shares live's database"
    sed -i "s/'Hello world!'/'Edited on the clone'/" "$CDB"
    printf 'clone only\n' >"$CDIR/clone.txt"
    grep -qF "'Hello world!'" "$DB" || fail "editing the clone changed live"
    [ -e "$SITE/clone.txt" ] && fail "a file of the clone appeared on live"
    run 1 clone "$TGT" --domain "$CLONE" && has err "already holds a WordPress site"

    # --- a stale id: the instance's id now belongs to another customer's site ------------
    sed -i "s/'Hello world!'/'Before stale'/" "$DB"
    live_before=$(sum "$SITE" "$DB")
    other_before=$(sum $OTHER)
    quick_faults '"wptoolkit": [{"command": "info", "fault": "stale_id", "count": 1}]'
    run 65 rollback "$TGT" --to "$SNAP_ID" --yes && has err "refusing to touch it"
    [ "$(sum $OTHER)" = "$other_before" ] || fail "a stale id let the agent touch another site"
    [ "$(sum "$SITE" "$DB")" = "$live_before" ] || fail "a stale id rollback changed the site"
    quick_faults
    # ids are never remembered: the next operation finds the site under its new id
    run 0 rollback "$TGT" --to "$SNAP_ID" --yes
    grep -qF "'Hello world!'" "$DB" || fail "rollback after re-registration did not work"
    return 0
}

# --- cPanel ---------------------------------------------------------------------------------
H=$CPSIM_HOME/acmeshop
suite cpanel acme/blog "$T/web1" "$CPSIM_SNAPSHOT_DIR" "$H/blog.acme.example" "$H" \
    "$CPSIM_ROOT/var/lib/mysql" staging.blog.acme.example copy.blog.acme.example \
    "$H/public_html" "$H/mail" "$H/cloud.acme.example" \
    "$CPSIM_ROOT/var/lib/mysql/acmeshop_wp2.sql" \
    "$CPSIM_HOME/lowco" "$CPSIM_ROOT/var/lib/mysql/lowco_wp1.sql"

# Re-registration between two runs: the blog's id now names lowco's site.  The next snapshot
# resolves the blog afresh and archives the blog, not the site that holds its old id.
FAIL_TAG=stale
BLOG_ID=$(python3 "$FAKES/wptoolkit/wpt.py" cpanel "$T/web1" --list -format json |
    python3 -c 'import json,sys; print([i["id"] for i in json.load(sys.stdin)
                                        if i["siteUrl"] == "https://blog.acme.example"][0])')
python3 "$FAKES/wptoolkit/wpt.py" stale cpanel "$T/web1" "$BLOG_ID" | grep -q low.example ||
    fail "the stale helper did not give the blog's id to lowco's site"
run 0 snapshot acme/blog
tar -xOf "$(artifacts acme/blog | awk '{ print $4; exit }')" db.sql >"$T/dump"
grep -qF "'Acme Blog'" "$T/dump" || fail "the snapshot after re-registration is not the blog's"
grep -qF "'Low Co'" "$T/dump" && fail "the snapshot after re-registration took lowco's site"

# A target naming another customer's site (lowco's) under acmeshop: refused, nothing written.
before=$(sum "$CPSIM_HOME/lowco" "$CPSIM_ROOT/var/lib/mysql/lowco_wp1.sql")
run 65 snapshot acme/foreign && has err "belongs to 'lowco', not 'acmeshop'"
[ -e "$CPSIM_SNAPSHOT_DIR/acmeshop" ] && ls "$CPSIM_SNAPSHOT_DIR/acmeshop" | grep -q foreign &&
    fail "a refused snapshot left an archive directory"
[ "$(sum "$CPSIM_HOME/lowco" "$CPSIM_ROOT/var/lib/mysql/lowco_wp1.sql")" = "$before" ] ||
    fail "a mismatched target touched another customer's site"

# Another WordPress inside a site's directory (lowco: public_html and public_html/sub): not in
# the site's archive, an exact rollback is refused, a merge leaves it alone.
FAIL_TAG=nested
L=$CPSIM_HOME/lowco/public_html
cp -a "$H/blog.acme.example" "$L/sub"
MID=$(python3 "$FAKES/wptoolkit/wpt.py" cpanel "$T/web1" --list -format json |
    python3 -c 'import json,sys; print([i["mainDomainId"] for i in json.load(sys.stdin)
                                        if i["owner"] == "lowco"][0])')
python3 "$FAKES/wptoolkit/wpt.py" cpanel "$T/web1" --register -main-domain-id "$MID" \
    -path /public_html/sub -format json >/dev/null || fail "cannot register the nested site"
run 0 snapshot lowcust/site
LAR=$(artifacts lowcust/site | awk '{ print $4; exit }')
tar -xOf "$LAR" files.tar.gz | tar -tzf - >"$T/members"
grep -q '^\./sub' "$T/members" && fail "the archive holds the nested site"
grep -qx '\./wp-config.php' "$T/members" || fail "the archive lacks the site's own files"
printf 'changed\n' >"$L/index.php"
printf 'nested\n' >"$L/sub/mine.txt"
nested_before=$(sum "$L/sub")
run 64 rollback lowcust/site --to latest --yes && has err "use --merge"
run 0 rollback lowcust/site --to latest --merge --yes
grep -qF "WP_USE_THEMES" "$L/index.php" || fail "the merge rollback did not restore the file"
[ "$(sum "$L/sub")" = "$nested_before" ] || fail "a rollback touched the nested site"
# Promote makes live exactly staging (-files-remove-missing): it would delete the nested site.
run 0 stage lowcust/site --domain staging.low.example
live_before=$(sum "$L")
run 1 promote lowcust/site --yes && has err "other WordPress sites live inside"
[ "$(sum "$L")" = "$live_before" ] || fail "a refused promote changed live or the nested site"
run 0 unstage lowcust/site

# --- Plesk ----------------------------------------------------------------------------------
V=$PLSIM_VHOSTS/shop.example
suite plesk acme/wp "$T/p1" "$PLSIM_SNAPSHOT_DIR" "$V/httpdocs" "$V" "$PLSIM_MYSQL_DIR" \
    staging.shop.example copy.shop.example \
    "$PLSIM_VHOSTS/resold.example" "$PLSIM_MYSQL_DIR/resold_wp1.sql" \
    "$PLSIM_MYSQL_DIR/shopuser_db.sql"

# A domain that existed before stage, with a site of its own: stage does not overwrite it, and
# does not adopt it for unstage.
FAIL_TAG=predomain
ssh -q -p "$PLSIM_SSH_PORT" -i "$PLSIM_SSH_KEY" -o UserKnownHostsFile="$PLSIM_KNOWN_HOSTS" \
    -o BatchMode=yes root@127.0.0.1 plesk bin subdomain --create pre -domain shop.example \
    -www-root /pre.shop.example >/dev/null 2>&1 || fail "cannot create pre.shop.example"
printf 'their own page\n' >"$V/pre.shop.example/index.html"
run 1 stage acme/wp --domain pre.shop.example && has err "not empty"
same "$V/pre.shop.example/index.html" "their own page"
[ -n "$(ls -A "$PLSIM_SNAPSHOT_DIR/.staging" 2>/dev/null)" ] && fail "a failed stage left a record"
run 66 unstage acme/wp
[ -d "$V/pre.shop.example" ] || fail "unstage removed a domain stage did not make"

# --- contracts: denied actions send nothing --------------------------------------------------
FAIL_TAG=policy
c_before=$(log_lines "$T/web1")
p_before=$(log_lines "$T/p1")
for verb in snapshot backup stage; do
    run 77 "$verb" srvonly/site && has err "denied"
done
run 77 rollback srvonly/site --to latest --yes
run 77 promote srvonly/site --yes
run 77 clone srvonly/site --domain copy.low.example
run 77 unstage srvonly/site
run 77 snapshot apponly/sub && has err "denied"
run 77 backup apponly/sub
[ "$(log_lines "$T/web1")" = "$c_before" ] ||
    fail "denied actions sent requests to web1"
[ "$(log_lines "$T/p1")" = "$p_before" ] ||
    fail "denied actions sent requests to plesk1"
# ... and the actions the contracts do give JIKU run
run 0 snapshot srvonly/acct
run 0 snapshot apponly/site
run 77 policy explain srvonly application.snapshot
run 0 policy explain srvonly server.snapshot
run 77 policy explain apponly server.snapshot
run 0 policy explain apponly application.snapshot

test_end
sim_assert_no_root_in_tenant_trees
