#!/bin/sh
# Managed updates end to end (jiku-agent(8), "update"): the real jiku-agent with the real
# cpanel.so and plesk.so against a simulated cPanel and a simulated Plesk server whose WP
# Toolkit and Softaculous offer newer versions (tests/fakes/wptoolkit/README.md) and whose
# sites are served over HTTPS on the simulators' web port.  --check lists what is pending and
# changes nothing; an update installs the new versions after a safety snapshot and a health
# check; nothing pending takes no snapshot; an update that breaks the site (a PHP fatal, a page
# answering 500, a Softaculous step left in its web interface) is rolled back automatically:
# the site's files, database and versions are those before it, exit 1, both operations in the
# catalog; --staged updates the staging copy first, and a broken one never reaches live; a
# denied update (or --staged without stage and promote) sends nothing; nightly = snapshot,
# update runs both in order, and a denied update leaves the snapshot done (exit 3).
#
# usage: update_test.sh JIKU_AGENT CPANEL_SO PLESK_SO POLICY_DIR FAKES_DIR   (as root)
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

# the WordPress core, plugin and theme versions of a site, one line
wp_versions() {
    printf 'core=%s akismet=%s theme=%s\n' \
        "$(sed -n "s/^\$wp_version = '\([^']*\)'.*/\1/p" "$1/wp-includes/version.php")" \
        "$(sed -n 's/^ *\** *Version: *//p' "$1/wp-content/plugins/akismet/akismet.php" | head -1)" \
        "$(sed -n 's/^ *\** *Version: *//p' "$1/wp-content/themes/twentytwentyfour/style.css" | head -1)"
}
nc_version() { sed -n "s/^\$OC_VersionString = '\([^']*\)'.*/\1/p" "$1/version.php"; }
# offer REPO_JSON PYTHON_EXPR: edit the simulator's repository of available versions (root's)
offer() {
    python3 - "$1" "$2" <<'PY'
import json, sys
path, expr = sys.argv[1], sys.argv[2]
with open(path) as f:
    repo = json.load(f)
exec(expr, {"repo": repo})
with open(path, "w") as f:
    json.dump(repo, f)
PY
}
# page URL_HOST WEB_PORT: the HTTP status the simulator's web server answers for the site
page() {
    curl -k -s -o /dev/null -w '%{http_code}' --max-time 10 \
        --resolve "$1:$2:127.0.0.1" "https://$1:$2/"
}
safety_count() { artifacts "$1" | awk '$2 == "safety" && $3 == "good"' | wc -l; }
# the last N operations of TARGET: "action status" lines, oldest first
last_ops() {
    statedb "SELECT action, status FROM operations WHERE target = '$1' ORDER BY id DESC LIMIT $2" |
        tac
}

sim_start "$FAKES/cpanel/sim.sh" "$T/web1" --name web1 --job-seconds 1 || exit 1
sim_start "$FAKES/plesk/sim.sh" "$T/p1" --name plesk1 --job-seconds 1 || exit 1
. "$T/p1/env"
. "$T/web1/env"
QUICK='"wptoolkit_seconds": 0.3, "job_seconds": 0.5'
faults "$T/web1" "{$QUICK}"
faults "$T/p1" "{$QUICK}"
CP_REPO=$T/web1/root/usr/local/cpanel/3rdparty/wp-toolkit/var/wp-repo.json
PL_REPO=$T/p1/root/usr/local/psa/var/modules/wp-toolkit/wp-repo.json
SOFT_SCRIPTS=$T/web1/root/var/softaculous/scripts.json
BLOG=$T/web1/root/home/acmeshop/blog.acme.example
WPSITE=$T/p1/root/var/www/vhosts/shop.example/httpdocs
CLOUD=$T/web1/root/home/acmeshop/cloud.acme.example
for f in "$CP_REPO" "$PL_REPO" "$SOFT_SCRIPTS"; do
    [ -f "$f" ] || fail "the simulator has no '$f'"
done

install_plugin "$CPANEL_SO" cpanel
install_plugin "$PLESK_SO" plesk
{
    agent_section "lock_wait = 5" "retry_deadline = 5"
    retention_section 50 50 50
    sim_server cpanel web1 "$T/web1" "timeout = 60" "poll_max = 1"
    sim_server plesk plesk1 "$T/p1" "timeout = 60" "poll_max = 1"
    cat <<'CONF'

# low: JIKU does the applications, updates, staging and promotes included
[customer acme]
tier = low

[target acme/blog]
server = web1
kind = wordpress
account = acmeshop
domain = blog.acme.example
staging_domain = staging.blog.acme.example
health_text = Acme Blog
nightly = none

[target acme/wp]
server = plesk1
kind = wordpress
account = shop.example
domain = shop.example
update = core, plugins
nightly = none

[target acme/cloud]
server = web1
kind = softaculous
account = acmeshop
domain = cloud.acme.example
staging_domain = staging.cloud.acme.example
nightly = none

# medium, with updates booked but staging and promotes still open
[customer stg]
tier = medium
application.update = jiku

[target stg/site]
server = web1
kind = wordpress
account = lowco
domain = low.example
nightly = none

# medium, with the application's snapshots booked but not its updates
[customer mid]
tier = medium
application.snapshot = jiku

[target mid/site]
server = web1
kind = wordpress
account = lowco
domain = low.example
nightly = snapshot, update
CONF
} >"$T/agent.conf"

run 0 config check
# --only must name a component of every target, checked before anything is decided or sent
lines=$(log_lines "$T/web1")
run 64 update --only widgets acme/blog && has err "invalid --only 'widgets'"
run 64 update --only app acme/blog acme/cloud && has err "target 'acme/blog' (wordpress) does not update app"
[ "$(log_lines "$T/web1")" = "$lines" ] || fail "a refused --only reached the server"

# --- --check: what is pending, nothing changed ------------------------------------------------
blog_sum=$(sum "$BLOG" "$T/web1/root/var/lib/mysql/$(site_db "$BLOG").sql")
run 0 update --check acme/blog
has out "akismet"
has out "5.3.1 -> 5.3.5"
has out "6.5.2 -> 6.5.5"
has out "twentytwentyfour"
has out "pending"
hasnt out "hello-dolly" # at its newest already
run 0 --json update --check acme/blog
python3 - "$T/out" <<'PY' || fail "update --check --json: the update lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ups = {(u["component"], u["name"]): u for u in lines if u["type"] == "update"}
assert ups[("plugin", "akismet")]["from"] == "5.3.1", ups
assert ups[("plugin", "akismet")]["to"] == "5.3.5", ups
assert ups[("core", "wordpress")]["to"] == "6.5.5", ups
assert all(u["state"] == "pending" and u["target"] == "acme/blog" for u in ups.values()), ups
assert lines[-1]["type"] == "summary" and lines[-1]["exit_code"] == 0, lines[-1]
PY
[ "$(sum "$BLOG" "$T/web1/root/var/lib/mysql/$(site_db "$BLOG").sql")" = "$blog_sum" ] ||
    fail "update --check changed the site"
[ "$(safety_count acme/blog)" = 0 ] || fail "update --check took a safety snapshot"

# --- a good update: new versions, a safety snapshot, a healthy page ----------------------------
[ "$(page blog.acme.example "$CPSIM_WEB_PORT")" = 200 ] || fail "the blog does not answer 200"
run 0 --json update acme/blog
[ "$(wp_versions "$BLOG")" = "core=6.5.5 akismet=5.3.5 theme=1.3" ] ||
    fail "versions after the update: $(wp_versions "$BLOG")"
python3 - "$T/out" <<'PY' || fail "update --json: the update lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ups = {(u["component"], u["name"]): u for u in lines if u["type"] == "update"}
assert (ups[("plugin", "akismet")]["from"], ups[("plugin", "akismet")]["to"]) == ("5.3.1", "5.3.5"), ups
assert ups[("theme", "twentytwentyfour")]["to"] == "1.3", ups
assert all(u["state"] == "updated" for u in ups.values()), ups
op = [l for l in lines if l["type"] == "operation"][0]
assert op["status"] == "ok" and op["safety_artifact"], op
PY
[ "$(safety_count acme/blog)" = 1 ] || fail "the update took no safety snapshot"
[ "$(page blog.acme.example "$CPSIM_WEB_PORT")" = 200 ] || fail "the updated blog is not healthy"

# --- nothing pending: done, no snapshot -------------------------------------------------------
run 0 update acme/blog
[ "$(safety_count acme/blog)" = 1 ] || fail "an update with nothing pending took a snapshot"

# --- a plugin update that breaks WordPress (a PHP fatal): rolled back ---------------------------
offer "$CP_REPO" 'repo["plugins"]["akismet"] = "5.4.0"'
faults "$T/web1" "{$QUICK, \"wptoolkit\": [{\"command\": \"wp-cli\", \"wp_cli\": \"plugin update\", \"fault\": \"break_fatal\", \"count\": 1}]}"
blog_sum=$(sum "$BLOG" "$T/web1/root/var/lib/mysql/$(site_db "$BLOG").sql")
run 1 update acme/blog
has err "automatic rollback"
has err "Fatal"
has out "rolled-back"
[ "$(sum "$BLOG" "$T/web1/root/var/lib/mysql/$(site_db "$BLOG").sql")" = "$blog_sum" ] ||
    fail "the broken update was not rolled back: the site differs"
[ "$(wp_versions "$BLOG")" = "core=6.5.5 akismet=5.3.5 theme=1.3" ] ||
    fail "versions after the rollback: $(wp_versions "$BLOG")"
[ "$(last_ops acme/blog 2 | tr '\n' ' ')" = "application.update failed application.rollback ok " ] ||
    fail "operations: $(last_ops acme/blog 2 | tr '\n' ' ')"
[ "$(page blog.acme.example "$CPSIM_WEB_PORT")" = 200 ] || fail "the blog is not back"

# --- --staged: a broken update never reaches live; a good one does, through promote -------------
run 77 update --staged stg/site
has err "application.stage"
faults "$T/web1" "{$QUICK, \"wptoolkit\": [{\"command\": \"wp-cli\", \"wp_cli\": \"plugin update\", \"fault\": \"break_fatal\", \"count\": 1}]}"
safety_before=$(safety_count acme/blog)
run 1 update --staged acme/blog
has err "live was not touched"
[ "$(sum "$BLOG" "$T/web1/root/var/lib/mysql/$(site_db "$BLOG").sql")" = "$blog_sum" ] ||
    fail "a staged update that failed on staging changed live"
[ "$(safety_count acme/blog)" = "$safety_before" ] ||
    fail "a staged update that failed on staging took a safety snapshot of live"
run 0 update --staged acme/blog
[ "$(wp_versions "$BLOG")" = "core=6.5.5 akismet=5.4.0 theme=1.3" ] ||
    fail "versions after a staged update: $(wp_versions "$BLOG")"
[ "$(safety_count acme/blog)" = $((safety_before + 1)) ] ||
    fail "the staged update's promote took no safety snapshot"

# --- Plesk: a core update whose page answers 500: rolled back; then a good one ------------------
faults "$T/p1" "{$QUICK, \"wptoolkit\": [{\"command\": \"wp-cli\", \"wp_cli\": \"core update\", \"fault\": \"break_http\", \"count\": 1}]}"
wp_sum=$(sum "$WPSITE")
run 1 update acme/wp
has err "HTTP 500"
has err "automatic rollback"
[ "$(sum "$WPSITE")" = "$wp_sum" ] || fail "the broken Plesk update was not rolled back"
run 0 update acme/wp
[ "$(wp_versions "$WPSITE")" = "core=6.5.5 akismet=5.3.5 theme=1.1" ] ||
    fail "Plesk versions (update = core, plugins): $(wp_versions "$WPSITE")"
# a core update whose files then fail their checksums: rolled back
offer "$PL_REPO" 'repo["core"] = ["6.7.1", "6.5.6"]'
faults "$T/p1" "{$QUICK, \"wptoolkit\": [{\"command\": \"wp-cli\", \"wp_cli\": \"core update\", \"fault\": \"break_checksums\", \"count\": 1}]}"
wp_sum=$(sum "$WPSITE")
run 1 update acme/wp
has err "checksums"
[ "$(sum "$WPSITE")" = "$wp_sum" ] || fail "the update that broke the checksums was not rolled back"
faults "$T/p1" "{$QUICK}"
[ "$(page shop.example "$PLSIM_WEB_PORT")" = 200 ] || fail "the Plesk site is not healthy"

# --- Nextcloud through Softaculous: setupcontinue is a failed update ---------------------------
run 0 update --check acme/cloud
has out "28.0.4 -> 28.0.14"
faults "$T/web1" "{$QUICK, \"softaculous\": [{\"act\": \"upgrade\", \"fault\": \"setupcontinue\", \"count\": 1}]}"
run 1 update acme/cloud
has err "automatic rollback"
has err "https://"
[ "$(nc_version "$CLOUD")" = 28.0.4 ] || fail "Nextcloud after the rolled-back upgrade: $(nc_version "$CLOUD")"
# an upgrade left in maintenance mode: occ status says so, rolled back
faults "$T/web1" "{$QUICK, \"softaculous\": [{\"act\": \"upgrade\", \"fault\": \"maintenance\", \"count\": 1}]}"
run 1 update acme/cloud
has err "maintenance"
has err "automatic rollback"
[ "$(nc_version "$CLOUD")" = 28.0.4 ] || fail "Nextcloud after the maintenance rollback: $(nc_version "$CLOUD")"
faults "$T/web1" "{$QUICK}"
run 0 update acme/cloud
[ "$(nc_version "$CLOUD")" = 28.0.14 ] || fail "Nextcloud after the upgrade: $(nc_version "$CLOUD")"
[ "$(page cloud.acme.example "$CPSIM_WEB_PORT")" = 200 ] || fail "Nextcloud is not healthy"
# --staged through Softaculous: staging copy made, upgraded and checked, then pushed to live
offer "$SOFT_SCRIPTS" 'repo["483"]["ver"] = "28.0.15"'
faults "$T/web1" "{$QUICK, \"softaculous\": [{\"act\": \"upgrade\", \"fault\": \"break_http\", \"count\": 1}]}"
cloud_sum=$(sum "$CLOUD")
run 1 update --staged acme/cloud
has err "live was not touched"
has err "HTTP 500"
[ "$(sum "$CLOUD")" = "$cloud_sum" ] || fail "a staged Nextcloud upgrade that failed on staging changed live"
faults "$T/web1" "{$QUICK}"
run 0 update --staged acme/cloud
[ "$(nc_version "$CLOUD")" = 28.0.15 ] || fail "Nextcloud after a staged upgrade: $(nc_version "$CLOUD")"

# --- denied: nothing sent ----------------------------------------------------------------------
lines=$(log_lines "$T/web1")
run 77 update mid/site
[ "$(log_lines "$T/web1")" = "$lines" ] || fail "a denied update reached the server"

# --- nightly = snapshot, update with the update denied: the snapshot done, exit 3 --------------
run 0 policy show mid
grep -Eq '^mid/site +snapshot +yes +application\.snapshot$' "$T/out" &&
    grep -Eq '^mid/site +update +no +application\.update$' "$T/out" ||
    { fail "policy show mid: the nightly actions, each decided"; sed 's/^/  | /' "$T/out"; }
run 0 config check
has err "target 'mid/site' has update in nightly, but"
run 3 nightly
[ "$(artifacts mid/site | awk '$2 == "snapshot" && $3 == "good"' | wc -l)" = 1 ] ||
    fail "nightly: the snapshot of mid/site was not made"
[ "$(last_ops mid/site 2 | tr '\n' ' ')" = "application.snapshot ok application.update denied " ] ||
    fail "nightly operations: $(last_ops mid/site 2 | tr '\n' ' ')"

sims_stop
sim_assert_no_root_in_tenant_trees "$T/web1" "$T/p1"
test_end
