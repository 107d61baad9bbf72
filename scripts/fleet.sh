#!/bin/sh
# A small simulated fleet on this machine and the agent configuration for it, for the README
# demo (scripts/demo.sh) and the nightly integration test.  Needs root (each simulator runs a
# real sshd on 127.0.0.1).
#
#   fleet.sh start DIR --cpanel-so FILE --plesk-so FILE --policies DIR
#                      [--job-seconds S] [--retry-deadline S] [--ping-url URL]
#   fleet.sh stop DIR
#
# start: two cPanel servers and one Plesk server from tests/fakes, each with its HTTPS API and
# its sshd rig, and in DIR:
#   web1/  cPanel: accounts acmeshop (customer acme) and highco (customer highco)
#   web2/  cPanel: account lowco (customer lowco)
#   plesk1/ Plesk: subscriptions shop.example (acme) and resold.example (highco)
#   agent.conf, conf.d/{10-acme,20-lowco,30-highco}.conf, plugins/{cpanel,plesk}.so
#   state/, backups/, metrics.prom (written by nightly)
# Customers on all three tiers and targets of every kind (account, subscription, wordpress,
# softaculous); highco's nightly snapshot is one its tier assigns to the customer, so every
# nightly run ends partial (3) on purpose.  `. DIR/fleet.env` gives the paths tests need.
# stop: each simulator's own `sim.sh stop` (by the pids recorded under its directory).
# DIR is left in place; remove it yourself.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cpsim=$top/tests/fakes/cpanel/sim.sh
plsim=$top/tests/fakes/plesk/sim.sh
# sim_start, sim_server, install_plugin: shared with the integration tests
# shellcheck source=../tests/integration/lib.sh
. "$top/tests/integration/lib.sh"

usage() {
    echo "usage: $0 start DIR --cpanel-so FILE --plesk-so FILE --policies DIR" \
        "[--job-seconds S] [--retry-deadline S] [--ping-url URL] | stop DIR" >&2
    exit 64
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2
case $dir in
/*) ;;
*) dir=$(pwd)/$dir ;;
esac

stop() {
    for s in web1 web2; do
        [ ! -d "$dir/$s" ] || sh "$cpsim" stop "$dir/$s" >/dev/null 2>&1 || true
    done
    [ ! -d "$dir/plesk1" ] || sh "$plsim" stop "$dir/plesk1" >/dev/null 2>&1 || true
}

# sim NAME SIM_SH ARGS...: start one simulator in DIR/NAME; on failure show its log and fail.
sim() {
    name=$1
    script=$2
    shift 2
    sim_start "$script" "$dir/$name" --name "$name" --job-seconds "$job_seconds" "$@" || exit 1
}

write_config() {
    cat >"$dir/agent.conf" <<CONF
# The simulated fleet of scripts/fleet.sh: the agent's own settings and the three servers.
# Customers and their targets are in conf.d/, one file per customer.

[agent]
state_dir = $dir/state
backup_dir = $dir/backups
policy_dir = $policies
plugin_dir = $dir/plugins
max_parallel = 8
lock_wait = 30
connect_timeout = 5
retry_deadline = $retry_deadline
log = auto
metrics_file = $dir/metrics.prom
ping_url = $ping_url

[retention]
keep_last = 5
keep_daily = 7
keep_weekly = 4
keep_monthly = 6
keep_safety = 5
keep_on_server = 2
CONF
    {
        sim_server cpanel web1 "$dir/web1" "max_parallel = 2" "timeout = 120" "poll_max = 1"
        sim_server cpanel web2 "$dir/web2" "max_parallel = 2" "timeout = 120" "poll_max = 1"
        sim_server plesk plesk1 "$dir/plesk1" "max_parallel = 2" "timeout = 120" "poll_max = 1"
    } >>"$dir/agent.conf"

    cat >"$dir/conf.d/10-acme.conf" <<'CONF'
# acme is a medium customer: JIKU runs its servers; application work is open in the medium
# tier, and acme's contract hands JIKU the snapshots, backups, rollbacks and updates of its
# applications.  Staging stays open: `jiku-agent stage acme/blog` is refused until the
# contract settles it.

[customer acme]
tier = medium
contact = ops@acme.example
application.snapshot = jiku
application.backup = jiku
application.rollback = jiku
application.update = jiku

[target acme/shop]
server = web1
kind = account
account = acmeshop
domain = shop.acme.example
nightly = snapshot

[target acme/blog]
server = web1
kind = wordpress
account = acmeshop
domain = blog.acme.example
path = /
staging_domain = staging.blog.acme.example
health_text = Acme Blog
nightly = snapshot, update

[target acme/cloud]
server = web1
kind = softaculous
account = acmeshop
domain = cloud.acme.example
staging_domain = staging.cloud.acme.example
nightly = backup

[target acme/store]
server = plesk1
kind = subscription
account = shop.example
domain = shop.example
nightly = backup

[target acme/storeblog]
server = plesk1
kind = wordpress
account = shop.example
domain = shop.example
path = /
nightly = snapshot
CONF

    cat >"$dir/conf.d/20-lowco.conf" <<'CONF'
# lowco is a low customer: JIKU does the administration and the applications.

[customer lowco]
tier = low
contact = it@lowco.example

[target lowco/site]
server = web2
kind = account
account = lowco
domain = low.example
nightly = backup

[target lowco/wp]
server = web2
kind = wordpress
account = lowco
domain = low.example
path = /
nightly = snapshot, update
CONF

    cat >"$dir/conf.d/30-highco.conf" <<'CONF'
# highco is a high customer: its own IT runs everything; JIKU's services are add-ons booked
# as contract overrides, and none is booked yet.

[customer highco]
tier = high
contact = admin@highco.example

# The high tier assigns server.snapshot to the customer, so this nightly snapshot is denied
# and every nightly run ends partial (exit 3) until one side is fixed: book the service
# ("server.snapshot = jiku" above) or say "nightly = none" here.
[target highco/portal]
server = web1
kind = account
account = highco
domain = high.example
nightly = snapshot

# How a customer-run target is configured: the agent knows it, the night leaves it alone.
[target highco/resold]
server = plesk1
kind = subscription
account = resold.example
domain = resold.example
nightly = none
CONF
}

start() {
    cpanel_so="" plesk_so="" policies="" job_seconds=1 retry_deadline=30 ping_url=""
    while [ $# -gt 0 ]; do
        [ $# -ge 2 ] || usage
        case $1 in
        --cpanel-so) cpanel_so=$2 ;;
        --plesk-so) plesk_so=$2 ;;
        --policies) policies=$2 ;;
        --job-seconds) job_seconds=$2 ;;
        --retry-deadline) retry_deadline=$2 ;;
        --ping-url) ping_url=$2 ;;
        *) usage ;;
        esac
        shift 2
    done
    [ -f "$cpanel_so" ] && [ -f "$plesk_so" ] && [ -d "$policies" ] || usage
    if [ -e "$dir/agent.conf" ]; then
        echo "fleet.sh: $dir already holds a fleet; stop it and remove the directory first" >&2
        exit 1
    fi
    mkdir -p "$dir/conf.d"
    chmod 700 "$dir"
    install_plugin "$cpanel_so" cpanel "$dir/plugins"
    install_plugin "$plesk_so" plesk "$dir/plugins"

    # A simulator that fails to start stops what already runs.
    trap 'stop' EXIT
    sim web1 "$cpsim" --accounts acmeshop,highco
    sim web2 "$cpsim" --accounts lowco
    sim plesk1 "$plsim" --subscriptions shop.example,resold.example
    trap - EXIT

    write_config
    {
        echo "FLEET_DIR='$dir'"
        echo "FLEET_CONF='$dir/agent.conf'"
        echo "FLEET_WEB1='$dir/web1'"
        echo "FLEET_WEB2='$dir/web2'"
        echo "FLEET_PLESK1='$dir/plesk1'"
        echo "FLEET_ACME_HOME='$dir/web1/root/home/acmeshop'"
    } >"$dir/fleet.env"
}

case $cmd in
start) start "$@" ;;
stop) [ $# -eq 0 ] || usage; stop ;;
*) usage ;;
esac
