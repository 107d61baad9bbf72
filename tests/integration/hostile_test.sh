#!/bin/sh
# Hostile tenants (issue 11): the real jiku-agent with the real cpanel.so and plesk.so against a
# cPanel and a Plesk simulator whose customer acts against the agent from inside its own trees
# (tests/fakes/hostile/README.md).  A canary - a root-owned directory outside every fake server
# root, standing in for /etc - is the target of every link the tenant plants or swaps in:
#   a watcher running AS THE TENANT swaps a new entry for a link to the canary (beside a
#   WordPress site, in a home, in ~/softaculous_backups), plants a link where an entry went, or
#   swaps an entry when it sees root's command that will act on it; slow tar, rm, mv and chown
#   on the server's PATH let it win every race; links planted before an operation.
# Scenarios: WordPress rollback exact and merge on both panels, WordPress snapshot and backup,
# Softaculous backup, prune and rollback, the cPanel --exact clean-up of a home, a Plesk exact
# rollback with a linked web root.  After each one: the canary is unchanged (files, modes,
# owners, nothing new), no artifact holds its secret, the site is fully rolled back or untouched
# (never half, and fully when the agent says it succeeded), the simulator's root-path guard
# logged no violation, and a failure is a documented exit code with a message.
#
# usage: hostile_test.sh JIKU_AGENT CPANEL_SO PLESK_SO POLICY_DIR FAKES_DIR   (as root)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
CPANEL_SO=$2
PLESK_SO=$3
# shellcheck disable=SC2034 # agent_section (lib.sh) reads it
POLICIES=$4
FAKES=$5
HOSTILE=$FAKES/hostile
ACTOR=tester
test_begin --root
# The codes an operation a tenant sabotaged may end with: done, failed, bad data, gone.
SABOTAGED="0 1 65 66"

watchers=
made_users=
stop_watchers() { # each watcher this test started, by its pid (bounded wait)
    for _p in $watchers; do
        kill -TERM "$_p" 2>/dev/null || continue
        _i=0
        while kill -0 "$_p" 2>/dev/null && [ $_i -lt 30 ]; do
            sleep 0.1
            _i=$((_i + 1))
        done
        kill -KILL "$_p" 2>/dev/null
    done
    watchers=
}
drop_users() { for _u in $made_users; do userdel "$_u" 2>/dev/null; done; }
at_exit 'stop_watchers; drop_users'
chmod 711 "$T" # the canary lies below: reachable by a tenant like /etc, not writable
mkdir -p "$T/hostile" "$T/pristine"

# --- two simulated servers ----------------------------------------------------------------
sim_start "$FAKES/cpanel/sim.sh" "$T/web1" --name web1 --job-seconds 1 || exit 1
sim_start "$FAKES/plesk/sim.sh" "$T/p1" --name plesk1 --job-seconds 1 || exit 1
. "$T/p1/env"
. "$T/web1/env"
QUICK='"wptoolkit_seconds": 0.3'
faults "$T/web1" "{$QUICK}"
faults "$T/p1" "{$QUICK}"
H=$CPSIM_HOME/acmeshop
CPDB=$CPSIM_ROOT/var/lib/mysql
V=$PLSIM_VHOSTS/shop.example
PDB=$PLSIM_MYSQL_DIR
BLOG=$H/blog.acme.example
BLOG_DB=$CPDB/acmeshop_wp1.sql
WPP=$V/httpdocs
WPP_DB=$PDB/$(sed -n "s/.*define( 'DB_NAME', '\([^']*\)'.*/\1/p" "$WPP/wp-config.php").sql
CLOUD=$H/cloud.acme.example
CLOUD_DB=$CPDB/acmeshop_nc1.sql
SOFTB=$H/softaculous_backups
ACCT_DB=$CPDB/acmeshop_db.sql
SUB_DB=$PDB/shopuser_db.sql
for f in "$BLOG/wp-config.php" "$WPP_DB" "$CLOUD/config/config.php" "$ACCT_DB" "$SUB_DB"; do
    [ -f "$f" ] || { fail "the simulators lack '$f'"; exit 1; }
done
# Rows the account and subscription scenarios follow (one INSERT line is one row).
printf "INSERT INTO \`t\` VALUES (3,'original');\n" >>"$ACCT_DB"
printf "INSERT INTO \`t\` VALUES (3,'original');\n" >>"$SUB_DB"
printf 'original\n' >"$H/public_html/data.txt"
printf 'original\n' >"$WPP/data.txt"

# tenant_of TREE: TENANT=UID:GID of the Unix user owning TREE.  A simulator whose trees still
# belong to root gets a throw-away user of this test owning the tree (deleted at exit), so that
# the rig runs as a real non-root user either way.
tenant_of() {
    TENANT=$(stat -c %u:%g "$1")
    if [ "${TENANT%%:*}" = 0 ]; then
        _u=jikuh$$$(printf %s "$1" | cksum | cut -c1-4)
        if ! id -u "$_u" >/dev/null 2>&1; then
            useradd --system --no-create-home --shell /usr/sbin/nologin \
                --comment "jiku-agent hostile_test" "$_u" || { fail "useradd $_u"; exit 1; }
            made_users="$made_users $_u"
        fi
        chown -R -h "$_u:$_u" "$1"
        TENANT=$(id -u "$_u"):$(id -g "$_u")
        say "note: '$1' belonged to root; tenant $_u ($TENANT) made for this test"
    fi
}
tenant_of "$H"
CP_TENANT=$TENANT
tenant_of "$V"
PL_TENANT=$TENANT
say "tenants: cPanel acmeshop $CP_TENANT, Plesk shop.example $PL_TENANT"

# Pristine copies of the trees and databases the scenarios change: each scenario starts fresh.
cp -a "$H" "$T/pristine/home" && cp -a "$V" "$T/pristine/vhost" &&
    cp -a "$CPDB" "$T/pristine/cpdb" && cp -a "$PDB" "$T/pristine/pdb" ||
    { fail "cannot copy the pristine state"; exit 1; }
fresh_state() {
    rm -rf -- "$H" "$V" && cp -a "$T/pristine/home" "$H" && cp -a "$T/pristine/vhost" "$V" &&
        cp -a "$T/pristine/cpdb/." "$CPDB/" && cp -a "$T/pristine/pdb/." "$PDB/" ||
        fail "cannot restore the pristine state"
}

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
nightly = none

[target acme/shop]
server = web1
kind = account
account = acmeshop
nightly = none

[target acme/sub]
server = plesk1
kind = subscription
account = shop.example
nightly = none
CONF
} >"$T/agent.conf"

# --- the rig --------------------------------------------------------------------------------
CANARY=$T/canary
# canary VICTIM...: a fresh canary (root's victims named like what the agent will act on),
# its state recorded; SECRET is the sentinel only its 0600 files hold
canary() {
    rm -rf -- "$CANARY"
    _v=
    for _n in "$@"; do _v="$_v --victim $_n"; done
    # shellcheck disable=SC2086 # names without spaces
    SECRET=$(python3 "$HOSTILE/canary.py" make "$CANARY" $_v) &&
        python3 "$HOSTILE/canary.py" snapshot "$CANARY" >"$T/canary.json" ||
        { fail "cannot make the canary"; exit 1; }
}

# want NAME: the scenario is to run (all, or those whose name matches the EREGEX HOSTILE_ONLY)
want() { [ -z "${HOSTILE_ONLY:-}" ] || printf '%s\n' "$1" | grep -Eq -- "$HOSTILE_ONLY"; }

# begin NAME SIMDIR: a scenario on fresh trees; SIMD is the simulator under attack
begin() {
    FAIL_TAG=$1 SIMD=$2
    say "== $FAIL_TAG"
    stop_watchers
    fresh_state
    canary
    WLOG=$T/hostile/$FAIL_TAG.watch.log
    : >"$WLOG"
    WPID=
    RC=none
    viol_before=$(violations)
}
violations() { # how many lines the simulator's root-path guard logged (0 without a guard)
    if [ -f "$SIMD/violations.log" ]; then wc -l <"$SIMD/violations.log"; else echo 0; fi
}

# watch TENANT RULE...: the tenant's watcher (tests/fakes/hostile/watcher.py) from now on
watch() {
    _t=$1
    shift
    WPID=$(python3 "$HOSTILE/watcher.py" start --user "$_t" --log "$WLOG" --max-swaps 4 \
        --seconds 240 "$@") || {
        fail "the tenant's watcher did not start"
        sed 's/^/  | /' "$WLOG"
        return 1
    }
    watchers="$watchers $WPID"
}

# slow SECONDS EREGEX CMD...: the simulator's CMDs sleep SECONDS before they run - through the
# simulator's own hook (DIR/hostile-delay, read by its root-path guard wrappers; every run of
# CMD) when it has one, else through tests/fakes/hostile/slow.sh wrappers (runs whose arguments
# match EREGEX)
slow() {
    _s=$1 _re=$2
    shift 2
    if grep -qs 'hostile-delay' "$SIMD/ssh/bin/tar"; then
        for _c in "$@"; do printf '%s %s\n' "$_c" "$_s"; done >"$SIMD/hostile-delay"
        chmod 644 "$SIMD/hostile-delay"
    else
        sh "$HOSTILE/slow.sh" install "$SIMD/ssh/bin" "$T/hostile/delay" tar rm mv chown \
            md5sum sha256sum &&
            sh "$HOSTILE/slow.sh" set "$T/hostile/delay" "$_s" "$_re" ||
            fail "cannot install the slow wrappers"
    fi
}
fast() {
    rm -f "$SIMD/hostile-delay"
    [ ! -f "$T/hostile/delay" ] || sh "$HOSTILE/slow.sh" off "$T/hostile/delay"
}

# as_tenant TENANT CMD...: a command the customer runs on the server
as_tenant() {
    _t=$1
    shift
    setpriv --reuid="${_t%%:*}" --regid="${_t##*:}" --init-groups -- "$@"
}

# attack CODES ARGS...: jiku-agent ARGS while the tenant acts; its exit status (RC) must be one
# of CODES, a failure must say why on stderr, and nothing may crash
attack() {
    _codes=$1
    shift
    n=$((n + 1))
    RC=0
    timeout "${RUN_TIMEOUT:-300}" "$BIN" -c "$T/agent.conf" --actor "$ACTOR" "$@" \
        >"$T/out" 2>"$T/err" </dev/null || RC=$?
    cat "$T/out" "$T/err" >>"$T/all-output"
    say "  jiku-agent $*: exit $RC"
    [ "$RC" = 0 ] || sed 's/^/  err: /' "$T/err" | head -5
    case " $_codes " in
    *" $RC "*) ;;
    *) fail "jiku-agent $* exited $RC, expected one of: $_codes" ;;
    esac
    if [ "$RC" != 0 ] && ! grep -q '[a-z]' "$T/err"; then
        fail "jiku-agent $* exited $RC without a message"
    fi
    if grep -Eqi 'segmentation|aborted|core dumped|AddressSanitizer|runtime error|assertion' \
        "$T/out" "$T/err"; then
        fail "jiku-agent $* crashed"
    fi
}

# finish: the watcher stopped, the server fast again, the tenant's links undone; the canary
# unchanged and no guard violation
finish() {
    stop_watchers
    fast
    if grep -q '^swap\|^plant' "$WLOG"; then
        sed -n 's/^\(swap\|plant\|fail\)\t/  tenant: \1 /p' "$WLOG" | tr '\t' ' '
    else
        say "  tenant: no swap happened (the agent never gave the chance)"
    fi
    sed -n 's/^\(exec seen: \)/  tenant: \1/p' "$WLOG" | cut -c1-200
    python3 "$HOSTILE/watcher.py" undo "$WLOG"
    if ! python3 "$HOSTILE/canary.py" check "$CANARY" "$T/canary.json" >"$T/canary.diff"; then
        fail "the canary changed:"
        sed 's/^/  /' "$T/canary.diff" | head -30
    else
        say "  canary: unchanged"
    fi
    _v=$(violations)
    if [ "$_v" != "$viol_before" ]; then
        fail "the root-path guard of $SIMD logged $((_v - viol_before)) violation(s):"
        tail -n $((_v - viol_before)) "$SIMD/violations.log" | cut -c1-400 | sed 's/^/  /' |
            head -10
    fi
    FAIL_TAG=
}

# site ROLLED UNTOUCHED STATE: the site's STATE (a line from a *_state function) is ROLLED or
# UNTOUCHED, and ROLLED when the agent said it succeeded
site() {
    if [ "$3" = "$1" ]; then
        _how=rolled
    elif [ "$3" = "$2" ]; then
        _how=untouched
    else
        _how=half
    fi
    say "  site: $_how ($3)"
    case $_how in
    half) fail "the site is neither rolled back ($1) nor untouched ($2): $3" ;;
    untouched) [ "$RC" != 0 ] || fail "the agent reported success but the site is untouched" ;;
    esac
}
# no_secret FILE...: no artifact copy holds the canary's secret (tar members searched too)
no_secret() {
    for _f in "$@"; do
        [ -f "$_f" ] || continue
        if { cat "$_f"; tar -xOf "$_f" 2>/dev/null; tar -xzOf "$_f" 2>/dev/null
            tar -xOf "$_f" files.tar.gz 2>/dev/null | tar -xzOf - 2>/dev/null; } |
            grep -aqF "$SECRET"; then
            fail "'$_f' holds the canary's secret: root read it for the tenant"
        fi
    done
}
kind() { # PATH: real (a directory, not a link), link or missing
    if [ -L "$1" ]; then echo link; elif [ -d "$1" ]; then echo real; else echo missing; fi
}
word() { # FILE: its first line, "missing" when there is none
    if [ -f "$1" ]; then head -1 "$1"; else echo missing; fi
}
row() { # DB A B: which of the values A or B the dump holds
    if grep -qF "$2" "$1" 2>/dev/null; then echo "$2"; elif grep -qF "$3" "$1" 2>/dev/null; then
        echo "$3"; else echo none; fi
}
id_of() { artifacts "$1" | awk -v k="$2" '$2 == k { print $1; exit }'; }
loc_of() { statedb "SELECT location FROM artifacts WHERE target = '$1' AND id = '$2'"; }

# --- WordPress -------------------------------------------------------------------------------
# wp_state SITE DB: the site's directory, post, index.php and new.txt
wp_state() {
    _i=other
    if [ -L "$1/index.php" ]; then _i='link'
    elif grep -qs WP_USE_THEMES "$1/index.php"; then _i=wp
    elif [ -f "$1/index.php" ]; then _i=$(head -1 "$1/index.php"); fi
    printf 'dir=%s post=%s index=%s new=%s\n' "$(kind "$1")" \
        "$(row "$2" "'Hello world!'" "'Edited live'")" "$_i" "$(word "$1/new.txt")"
}
# wp_change SITE DB: after the snapshot, a post and a file changed and a file added
wp_change() {
    sed -i "s/'Hello world!'/'Edited live'/" "$2"
    printf 'changed\n' >"$1/index.php"
    printf 'new\n' >"$1/new.txt"
}

# wp_prepare NAME SIM TARGET SITE DB TENANT: the start of a rollback scenario: a snapshot
# (_snap), then the change it must undo (_before: the changed state); 1 when the scenario is
# not wanted or its snapshot failed
wp_prepare() {
    want "$1" || return 1
    begin "$1" "$2"
    run 0 snapshot "$3" || { finish; return 1; }
    _snap=$(id_of "$3" snapshot)
    wp_change "$4" "$5"
    _before=$(wp_state "$4" "$5")
}

# wp_exact NAME SIM TARGET SITE DB TENANT: an exact rollback whose fresh tree, made beside the
# site in a directory the tenant writes, is swapped for a link to the canary before root
# extracts into it
wp_exact() {
    wp_prepare "$@" || return 0
    watch "$6" "new:$(dirname "$4"):.$(basename "$4").jiku-new-*:$CANARY" || { finish; return; }
    slow 1.5 'jiku-new' tar
    attack "$SABOTAGED" rollback "$3" --to "$_snap" --yes
    finish
    site "dir=real post='Hello world!' index=wp new=missing" "$_before" "$(wp_state "$4" "$5")"
}

# wp_merge NAME SIM TARGET SITE DB TENANT: a merge rollback; the tenant swaps the site itself
# for a link to the canary when it sees the extraction into it start
wp_merge() {
    wp_prepare "$@" || return 0
    watch "$6" "exec:*tar *-C $4:$(dirname "$4"):$(basename "$4"):$CANARY" || { finish; return; }
    slow 1.5 "-C $4\$" tar
    attack "$SABOTAGED" rollback "$3" --to "$_snap" --merge --yes
    finish
    site "dir=real post='Hello world!' index=wp new=new" "$_before" "$(wp_state "$4" "$5")"
}

# wp_read NAME SIM VERB TARGET SITE DB TENANT: a snapshot or backup; the tenant swaps the site
# for a link to the canary when the archiving tar starts: no artifact may hold the canary's
# secret, the site is untouched
wp_read() {
    want "$1" || return 0
    begin "$1" "$2"
    _before=$(wp_state "$5" "$6")
    watch "$7" "exec:*tar -C $5 *:$(dirname "$5"):$(basename "$5"):$CANARY" || { finish; return; }
    slow 1.5 "-C $5 " tar
    attack "$SABOTAGED" "$3" "$4"
    finish
    _id=$(artifacts "$4" | awk '{ print $1; exit }')
    _loc=$(loc_of "$4" "$_id")
    # shellcheck disable=SC2046 # paths without spaces
    no_secret "$_loc" $(find "$T/backups" -type f 2>/dev/null)
    if [ "$RC" = 0 ] && ! tar -xOf "$_loc" files.tar.gz 2>/dev/null | tar -tzf - 2>/dev/null |
        grep -qx '\./wp-config.php'; then
        fail "the $3 succeeded without the site's files in '$_loc'"
    fi
    _after=$(wp_state "$5" "$6")
    [ "$_after" = "$_before" ] || fail "a $3 changed the site: $_before -> $_after"
    say "  site: untouched ($_after)"
}

# wp_gone NAME SIM TARGET SITE DB TENANT: an exact rollback; when the site is moved aside, the
# tenant plants a link to the canary where it was, before the fresh tree is moved in
wp_gone() {
    wp_prepare "$@" || return 0
    watch "$6" "gone:$(dirname "$4"):$(basename "$4"):$CANARY" || { finish; return; }
    slow 1.5 "jiku-new-[^ ]* $4\$" mv
    attack "$SABOTAGED" rollback "$3" --to "$_snap" --yes
    finish
    site "dir=real post='Hello world!' index=wp new=missing" "$_before" "$(wp_state "$4" "$5")"
}

CPWP="$T/web1 acme/blog $BLOG $BLOG_DB $CP_TENANT"
PLWP="$T/p1 acme/wp $WPP $WPP_DB $PL_TENANT"
# shellcheck disable=SC2086 # the lists above are words
{
    wp_exact wp-exact-cpanel $CPWP
    wp_exact wp-exact-plesk $PLWP
    wp_gone wp-exact-site-gone-cpanel $CPWP
    wp_merge wp-merge-cpanel $CPWP
    wp_merge wp-merge-plesk $PLWP
    set -- $CPWP
    wp_read wp-snapshot-cpanel "$1" snapshot "$2" "$3" "$4" "$5"
    set -- $PLWP
    wp_read wp-backup-plesk "$1" backup "$2" "$3" "$4" "$5"
}

# --- Softaculous (cPanel) ---------------------------------------------------------------------
soft_state() { # the installation's file, a file added after the backup, the database row
    printf 'welcome=%s extra=%s row=%s\n' "$(word "$CLOUD/data/admin/files/welcome.txt")" \
        "$(word "$CLOUD/lib/extra.php")" "$(row "$CLOUD_DB" "('admin','Administrator')" \
        "('admin','Changed')")"
}

# A backup: the tenant swaps the new file Softaculous writes in its folder for a link to the
# canary's secret before the agent checks and downloads it.
if want soft-backup; then
    begin soft-backup "$T/web1"
    [ -d "$SOFTB" ] || as_tenant "$CP_TENANT" mkdir -m 700 -- "$SOFTB" ||
        fail "the tenant could not make its softaculous_backups"
    watch "$CP_TENANT" "new:$SOFTB:nextcloud.*.tar.gz:$CANARY/secret" || :
    slow 1 'softaculous_backups' md5sum sha256sum
    attack "$SABOTAGED" backup acme/cloud
    finish
    # shellcheck disable=SC2046
    no_secret $(find "$T/backups" -type f 2>/dev/null)
    [ "$RC" = 0 ] && [ -L "$(loc_of acme/cloud "$(id_of acme/cloud backup)")" ] &&
        fail "the backup was recorded although its file is the tenant's link"
fi

# Prune: ~/softaculous_backups becomes a link to the canary, which holds a root file named
# like the backup prune removes.
if want soft-prune; then
    begin soft-prune "$T/web1"
    run 0 backup acme/cloud
    OLD=$(loc_of acme/cloud "$(id_of acme/cloud backup)")
    sleep 1 # Softaculous names backups by the second
    run 0 backup acme/cloud
    canary "$(basename "${OLD:-none}")"
    as_tenant "$CP_TENANT" mv -T -- "$SOFTB" "$SOFTB.hostile-1" &&
        as_tenant "$CP_TENANT" ln -s -- "$CANARY" "$SOFTB" &&
        printf 'swap\t%s\tsoftaculous_backups\tsoftaculous_backups.hostile-1\t%s\n' "$H" "$CANARY" \
            >>"$WLOG" || fail "the tenant could not link softaculous_backups"
    sed -i 's/^keep_on_server = 50$/keep_on_server = 1/' "$T/agent.conf"
    # prune reports each artifact on its own: one it could not remove makes the run partial (3).
    attack "$SABOTAGED 3" prune acme/cloud
    sed -i 's/^keep_on_server = 1$/keep_on_server = 50/' "$T/agent.conf"
    finish
    [ "$(find "$T/backups" -name 'nextcloud.*' | wc -l)" -ge 2 ] ||
        fail "prune lost a backup_dir copy"
fi

# Rollback whose server copy is gone: the tenant plants a link to the canary's secret under the
# backup's name in its folder, where the agent uploads the copy from backup_dir and sets its
# owner.
if want soft-rollback; then
    begin soft-rollback "$T/web1"
    run 0 backup acme/cloud
    BK=$(id_of acme/cloud backup)
    BK_LOC=$(loc_of acme/cloud "${BK:-none}")
    printf 'changed after the backup\n' >"$CLOUD/data/admin/files/welcome.txt"
    printf 'new after the backup\n' >"$CLOUD/lib/extra.php"
    sed -i "s/('admin','Administrator')/('admin','Changed')/" "$CLOUD_DB"
    before=$(soft_state)
    as_tenant "$CP_TENANT" rm -f -- "$BK_LOC" &&
        as_tenant "$CP_TENANT" ln -s -- "$CANARY/secret" "$BK_LOC" &&
        printf 'plant\t%s\t%s\t-\t%s\n' "$SOFTB" "$(basename "$BK_LOC")" "$CANARY/secret" \
            >>"$WLOG" || fail "the tenant could not plant its link"
    attack "$SABOTAGED" rollback acme/cloud --to "${BK:-none}" --yes
    finish
    SOFT_ROLLED="welcome=Welcome to Nextcloud on cloud.acme.example extra=missing"
    site "$SOFT_ROLLED row=('admin','Administrator')" "$before" "$(soft_state)"
fi

# --- the cPanel --exact clean-up of a home ---------------------------------------------------
acct_state() { # the home's web root and a file in it (the tenant swaps public_html/assets)
    printf 'public_html=%s data=%s row=%s\n' "$(kind "$H/public_html")" \
        "$(word "$H/public_html/data.txt")" "$(row "$ACCT_DB" "(3,'original')" "(3,'changed')")"
}
# After the restore, the clean-up removes what the snapshot lacks: the tenant swaps the
# directory holding the extra file for a link to the canary (which holds a root file of the
# same name) when it sees the removal start.
if want cpanel-exact-home; then
    begin cpanel-exact-home "$T/web1"
    # shellcheck disable=SC2016 # expanded by the tenant's shell
    as_tenant "$CP_TENANT" mkdir -- "$H/public_html/assets" &&
        as_tenant "$CP_TENANT" sh -c 'echo kept >"$1"' sh "$H/public_html/assets/keep.txt" ||
        fail "the tenant could not make public_html/assets"
    run 0 snapshot acme/shop
    SNAP=$(id_of acme/shop snapshot)
    canary extra.html
    printf 'changed\n' >"$H/public_html/data.txt"
    printf 'extra\n' >"$H/public_html/assets/extra.html"
    sed -i "s/(3,'original')/(3,'changed')/" "$ACCT_DB"
    before=$(acct_state)
    # the removal as root (rm of the path) or as the owner (the clean-up's perl in the home)
    _when="*rm *public_html/assets/extra.html*|*perl* $H cpmove-*"
    watch "$CP_TENANT" "exec:$_when:$H/public_html:assets:$CANARY" || :
    slow 1.5 'public_html/assets/extra.html' rm tar
    attack "$SABOTAGED" rollback acme/shop --to "${SNAP:-none}" --yes
    finish
    site "public_html=real data=original row=(3,'original')" "$before" "$(acct_state)"
    if [ "$RC" = 0 ] && ! grep -q '^swap' "$WLOG" && [ -e "$H/public_html/assets/extra.html" ]; then
        fail "the exact rollback left a file created after the snapshot"
    fi
fi

# --- Plesk exact rollback with the web root linked to the canary -------------------------------
sub_state() {
    printf 'httpdocs=%s data=%s new=%s row=%s\n' "$(kind "$WPP")" "$(word "$WPP/data.txt")" \
        "$(word "$WPP/new.txt")" "$(row "$SUB_DB" "(3,'original')" "(3,'changed')")"
}
if want plesk-exact-webroot; then
    begin plesk-exact-webroot "$T/p1"
    run 0 snapshot acme/sub
    SNAP=$(id_of acme/sub snapshot)
    printf 'changed\n' >"$WPP/data.txt"
    printf 'new\n' >"$WPP/new.txt"
    sed -i "s/(3,'original')/(3,'changed')/" "$SUB_DB"
    before=$(sub_state)
    as_tenant "$PL_TENANT" mv -T -- "$WPP" "$WPP.hostile-1" &&
        as_tenant "$PL_TENANT" ln -s -- "$CANARY" "$WPP" &&
        printf 'swap\t%s\thttpdocs\thttpdocs.hostile-1\t%s\n' "$V" "$CANARY" >>"$WLOG" ||
        fail "the tenant could not link httpdocs"
    attack "$SABOTAGED" rollback acme/sub --to "${SNAP:-none}" --yes
    finish
    site "httpdocs=real data=original new=missing row=(3,'original')" "$before" "$(sub_state)"
fi

test_end
sim_assert_no_root_in_tenant_trees
