#!/bin/sh
# The main job on a small simulated fleet: two cPanel servers and one Plesk server from
# tests/fakes (real HTTPS APIs with a throw-away CA, a real sshd each, on 127.0.0.1), three
# customers on the three tiers, targets of every kind.  It installs its Debian packages, builds
# the agent and its plugins, starts the fleet (scripts/fleet.sh), runs the nightly job, lists
# what it made, shows a refusal with its reason, brings a changed file back with a rollback,
# shows the audit and checks its chain, and stops the simulators.  Run as root (sshd).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

if [ "$(id -u)" != 0 ]; then
    echo "demo.sh: run as root: each simulated server runs its own sshd" >&2
    exit 1
fi

step() { printf '\n=== %s\n' "$*"; }
say() { printf '%s\n' "$*"; }

step "Installing the Debian packages it needs and building the agent and its plugins"
"$top/scripts/deps.sh"
cmake -S "$top" -B "$build" -DJIKU_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target jiku-agent jiku_plugin_cpanel jiku_plugin_plesk \
    >"$build/demo-build.log" 2>&1 || {
    cat "$build/demo-build.log" >&2
    exit 1
}
bin=$build/agent/jiku-agent
say "built $("$bin" --version)"

work=$(mktemp -d /tmp/jiku-demo.XXXXXX)
fleet=$work/fleet
# The simulators are stopped by the pids they recorded, whatever way the demo ends.
cleanup() {
    sh "$top/scripts/fleet.sh" stop "$fleet" >/dev/null 2>&1 || true
    rm -rf "$work"
    sh "$top/tests/fakes/tenants.sh" remove >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run WANT ARGS...: show the command, run it, show its exit code; another code stops the demo.
run() {
    want=$1
    shift
    printf '\n$ jiku-agent %s\n' "$*"
    rc=0
    "$bin" -c "$fleet/agent.conf" --actor demo "$@" || rc=$?
    printf '(exit %d)\n' "$rc"
    if [ "$rc" != "$want" ]; then
        echo "demo.sh: expected exit $want; stopping" >&2
        exit 1
    fi
}

step "Starting the simulated fleet: web1 and web2 (cPanel), plesk1 (Plesk)"
sh "$top/scripts/fleet.sh" start "$fleet" --cpanel-so "$build/plugins/cpanel/cpanel.so" \
    --plesk-so "$build/plugins/plesk/plesk.so" --policies "$top/policies" --job-seconds 0.5
. "$fleet/fleet.env"
say "configuration: $FLEET_CONF and conf.d/ (one file per customer):"
say "  acme   (tier medium; its contract hands JIKU its applications' snapshots, backups and"
say "          rollbacks): account acme/shop, WordPress acme/blog, Nextcloud through"
say "          Softaculous acme/cloud on web1; subscription acme/store and its WordPress"
say "          acme/storeblog on plesk1"
say "  lowco  (tier low: JIKU does everything): account lowco/site and WordPress lowco/wp on web2"
say "  highco (tier high: its own IT runs everything): account highco/portal on web1, with a"
say "          nightly snapshot its tier does not give to JIKU; subscription highco/resold on"
say "          plesk1 with nightly = none"
run 0 config check
run 0 servers check

step "The nightly job (what cron or the systemd timer runs)"
# The file the rollback below brings back: it is in tonight's snapshot of acme/shop.
notice=$FLEET_ACME_HOME/public_html/notice.txt
printf 'Opening hours: 9 to 17\n' >"$notice"
if [ ! -t 0 ] && [ ! -t 1 ] && [ ! -t 2 ]; then
    say "(no terminal here, so the agent behaves as under cron: a success prints nothing and"
    say " each failure is one line on stderr; 'list' below shows what the night made)"
fi
# Tonight the plugin update offered to acme/blog is a broken one: it leaves a PHP fatal error
# (a fault of the simulated WP Toolkit, tests/fakes/wptoolkit/README.md).
printf '{"wptoolkit": [{"command": "wp-cli", "wp_cli": "plugin update", "fault": "break_fatal", "count": 1}]}\n' \
    >"$fleet/web1/faults.json"
say "acme/blog and lowco/wp have nightly = snapshot, update: after the night's snapshot, their"
say "pending WordPress updates.  The plugin update offered to acme/blog tonight is broken."
run 3 nightly
say "Exit 3 means partial.  lowco/wp was updated (core, plugin and theme) after its snapshot and"
say "passed its health check.  acme/blog's update broke the site (a PHP fatal error that its"
say "health check saw), so the agent restored the safety snapshot it took before the update:"
say "the blog is as it was, and the failure says so.  highco/portal's nightly snapshot is one"
say "the high tier assigns to the customer; the run says so every night until one side is"
say "fixed: book the service (server.snapshot = jiku under [customer highco]) or set"
say "nightly = none on the target."
say "For monitoring, the run wrote $fleet/metrics.prom:"
grep '^jiku_agent_operations_total' "$fleet/metrics.prom" | sed 's/^/  /'

step "What the catalog holds now"
run 0 list

step "The updates of the night"
run 0 history --target acme/blog
run 0 update --check acme/blog lowco/wp
say "acme/blog's plugin update is still pending (the broken one was rolled back); lowco/wp is"
say "up to date."

step "The morning report"
run 0 report --customer acme
"$bin" -c "$fleet/agent.conf" report --format html >"$build/demo-report.html"
say "The same for every customer as one self-contained HTML page, the one an account manager"
say "sends: $build/demo-report.html (jiku-agent(8), report)."

step "A refused action, and why"
run 77 policy explain acme application.stage
run 77 stage acme/blog
say "acme's tier (medium) leaves staging open until the contract settles it; no switch"
say "bypasses the policy, and nothing was sent to the server."

step "A rollback brings a changed file back"
say "In tonight's snapshot of acme/shop: public_html/notice.txt = $(cat "$notice")"
printf 'Closed until further notice\n' >"$notice"
say "Someone changes it on web1:           public_html/notice.txt = $(cat "$notice")"
run 0 rollback acme/shop --to latest --yes
say "After the rollback:                   public_html/notice.txt = $(cat "$notice")"
say "(a safety snapshot of the changed state was taken first; 'list acme/shop' shows it)"
run 0 list acme/shop

step "The audit: every decision and operation, newest first"
run 0 history --target acme/shop
run 0 audit verify

step "Stopping the simulators"
sh "$top/scripts/fleet.sh" stop "$fleet"
rm -rf "$work"
# The simulated accounts were real Unix users (tests/fakes/simlib/README.md).
sh "$top/tests/fakes/tenants.sh" remove
trap - EXIT
say "done: the fleet is stopped, its files and its tenants' users removed"
