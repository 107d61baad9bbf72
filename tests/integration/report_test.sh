#!/bin/sh
# jiku-agent report end to end (jiku-agent(8), report): the real binary over a state dir that
# its own snapshot, verify and a denial filled, with the recorder test plugin standing in for
# cPanel; every format, the options and their errors.  No simulator.
#
# usage: report_test.sh JIKU_AGENT RECORDER_SO POLICY_DIR
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
RECORDER=$2
POLICIES=$3
RUN_TIMEOUT=60
ACTOR=tester
test_begin

{
    agent_section
    recorder_server "$RECORDER"
} >"$T/agent.conf"
cat >"$T/conf.d/10-acme.conf" <<'CONF'
[customer acme]
tier = medium
contact = Ops <ops@acme.example> & "friends"

[target acme/shop]
server = web1
kind = account
account = acmeshop
nightly = snapshot

[target acme/old]
server = web1
kind = account
account = acmeold
nightly = none

[customer highco]
tier = high

[target highco/portal]
server = web1
kind = account
account = highco
nightly = snapshot
CONF

# --- a catalog: a snapshot, its verification, a denial --------------------------------------
run 0 snapshot acme/shop
run 77 snapshot highco/portal
run 0 verify acme/shop
[ "$(statedb "SELECT count(*) FROM operations WHERE action = 'verify' AND status = 'ok'")" = 1 ] ||
    fail "verify recorded no operation"

# --- text, the default: printed even without a tty -------------------------------------------
run 0 report && has out "1 of 3 targets without a recent restore point" &&
    has out "highco/portal" && has out "STALE" && has out "no nightly" &&
    has out "denied: server.snapshot for customer 'highco'" && has out "application.stage" &&
    has out 'contact Ops <ops@acme.example> & "friends"'
awk 'length > 100 { bad = 1 } END { exit bad }' "$T/out" || fail "a text line is over 100 columns"
run 0 report --customer highco && hasnt out "acme/shop" && has out "1 of 1 target"
run 0 report --since 2020-01-01 && has out "since 2020-01-01 00:00 UTC"
run 0 report --since 2020-01-01T12:30:00Z && has out "since 2020-01-01 12:30 UTC"
# a denial before the period is not in it
run 0 report --since 2999-01-01 && hasnt out "denied: server.snapshot"

# --- the other formats ------------------------------------------------------------------------
run 0 report --format markdown && has out "| acme/shop | ok |" &&
    has out 'Ops \<ops@acme.example> & "friends"'
run 0 report --format html && has out "<!DOCTYPE html>" &&
    has out "default-src 'none'" && has out "Ops &lt;ops@acme.example&gt; &amp; &quot;friends&quot;"
hasnt out "<script"
run 0 report --format json && has out '"type":"report"' &&
    has out '"target":"acme/shop"' && has out '"state":"stale"'
tail -n 1 "$T/out" | grep -q '"type":"summary","command":"report"' ||
    fail "the JSON lines do not end with the summary line"
python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out" ||
    fail "a JSON line does not parse"
run 0 --json report && has out '"type":"policy"'
run 0 report --json --format json

# --- errors -----------------------------------------------------------------------------------
run 66 report --customer nobody && has err "no such customer 'nobody'"
run 66 --json report --customer nobody && has out '"type":"error"' && has out '"exit_code":66'
run 64 report --format pdf && has err "invalid format 'pdf'"
run 64 report --since yesterday && has err "invalid date 'yesterday'"
run 64 --json report --format html && has out "contradict"
run 64 report extra
run 0 report --help && has out "usage: jiku-agent report"

test_end
