#!/bin/sh
# `discover SERVER` (SPEC §5, issue 7): the real jiku-agent binary with the real cpanel.so and
# plesk.so against a cPanel simulator (tests/fakes/cpanel) and a Plesk simulator
# (tests/fakes/plesk).  It lists the seeded accounts, subscriptions, WordPress sites and the
# Softaculous installation; configured targets it has are matched (a staging copy to its
# target), a configured target the simulator does not have is drift (exit 3, one drift line);
# the printed sections, appended to the configuration, pass `config check` and leave nothing
# unconfigured; a kind the panel cannot list is a warning, not drift; owners given by id are
# resolved; nothing is started on either server; no secret in any output.
#
# usage: discover_test.sh JIKU_AGENT CPANEL_SO PLESK_SO POLICY_DIR CPANEL_SIM_SH PLESK_SIM_SH
set -u
BIN=$1
CPANEL_SO=$2
PLESK_SO=$3
POLICIES=$4
CPSIM=$5
PLSIM=$6

if [ "$(id -u)" != 0 ]; then
    echo "discover_test: needs root for the sshd rigs; skipped"
    exit 77
fi

T=$(mktemp -d /tmp/jiku-discover.XXXXXX)
cleanup() {
    sh "$CPSIM" stop "$T/web1" >/dev/null 2>&1
    sh "$PLSIM" stop "$T/plesk1" >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fails=0
n=0

say() { printf '%s\n' "$*"; }
fail() { say "FAIL: $*"; fails=$((fails + 1)); }

# run CODE ARGS...: the agent, bounded in time, exit code checked; output in $T/out, $T/err
run() {
    want=$1
    shift
    n=$((n + 1))
    rc=0
    timeout 300 "$BIN" -c "$T/agent.conf" "$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
    cat "$T/out" "$T/err" >>"$T/all-output"
    if [ "$rc" != "$want" ]; then
        fail "jiku-agent $* exited $rc, expected $want"
        sed 's/^/  out: /' "$T/out" | head -40
        sed 's/^/  err: /' "$T/err" | head -20
        return 1
    fi
    return 0
}
has() {
    grep -qE -- "$2" "$T/$1" || { fail "$1 lacks /$2/"; sed 's/^/  | /' "$T/$1" | head -40; }
}
lacks() {
    ! grep -qE -- "$2" "$T/$1" || { fail "$1 has /$2/"; grep -E -- "$2" "$T/$1" | head -5; }
}
count() { # FILE REGEX WANT
    got=$(grep -cE -- "$2" "$T/$1")
    [ "$got" = "$3" ] || { fail "$1 has $got lines like /$2/, expected $3"; sed 's/^/  | /' "$T/$1" | head -40; }
}
# JSON lines of type TYPE in out, one compact object a line, keys sorted
json_lines() {
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == sys.argv[2]:
        print(json.dumps(o, sort_keys=True, separators=(",", ":")))
' "$T/out" "$1"
}
# requests that start or change something on a simulator (discover only reads)
writes() {
    { tail -n +$((mark1 + 1)) "$T/web1/requests.log"; tail -n +$((mark2 + 1)) "$T/plesk1/requests.log"; } |
        grep -E '"function":"(start_|uapi_cpanel|abort|cpanel)|"operations":\["backup-manager|"command":"(pleskbackup|pleskrestore|subdomain)|"--(clone|copy-data|remove|register|detach|wp-cli)'
}

sh "$CPSIM" start "$T/web1" --name web1 --job-seconds 1 >"$T/sim1.log" 2>&1 ||
    { cat "$T/sim1.log"; exit 1; }
sh "$PLSIM" start "$T/plesk1" --name plesk1 --job-seconds 1 >"$T/sim2.log" 2>&1 ||
    { cat "$T/sim2.log"; exit 1; }
. "$T/web1/env"
. "$T/plesk1/env"

mkdir -p "$T/plugins" "$T/conf.d" "$T/pending"
cp "$CPANEL_SO" "$T/plugins/cpanel.so" && chmod 755 "$T/plugins/cpanel.so"
cp "$PLESK_SO" "$T/plugins/plesk.so" && chmod 755 "$T/plugins/plesk.so"
cat >"$T/agent.conf" <<CONF
[agent]
state_dir = $T/state
backup_dir = $T/backups
policy_dir = $POLICIES
plugin_dir = $T/plugins
retry_deadline = 5
log = stderr

[server web1]
panel = cpanel
host = 127.0.0.1
api_port = $CPSIM_API_PORT
api_user = root
api_token_file = $T/web1/token
ca_file = $T/web1/tls/ca.crt
ssh_port = $CPSIM_SSH_PORT
ssh_user = root
ssh_key = $T/web1/ssh/id_ed25519
known_hosts = $T/web1/ssh/known_hosts_all
snapshot_dir = $CPSIM_SNAPSHOT_DIR
softaculous_port = $CPSIM_CPANEL_PORT

[server plesk1]
panel = plesk
host = 127.0.0.1
api_port = $PLSIM_API_PORT
api_user = admin
api_token_file = $T/plesk1/secret_key
ca_file = $T/plesk1/tls/ca.crt
ssh_port = $PLSIM_SSH_PORT
ssh_user = root
ssh_key = $T/plesk1/ssh/id_ed25519
known_hosts = $T/plesk1/ssh/known_hosts_all
snapshot_dir = $PLSIM_SNAPSHOT_DIR
dump_dir = $PLSIM_DUMP_DIR

[customer acme]
tier = low

[customer jdoe]
tier = low

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
nightly = none

[target acme/gone]
server = web1
kind = account
account = goneuser
nightly = none

[target acme/oldblog]
server = web1
kind = wordpress
account = acmeshop
domain = blog.acme.example
path = /old
nightly = none

[target jdoe/shop]
server = plesk1
kind = subscription
account = shop.example
nightly = none

[target jdoe/gone]
server = plesk1
kind = subscription
account = gone.example
nightly = none
CONF
run 0 config check || { say "the test's own configuration is refused"; exit 1; }

# ---- cPanel ------------------------------------------------------------------------------
# A staging copy of acme/blog, made by `stage`: matched to its target, not proposed.
run 0 --actor tester stage acme/blog || exit 1
# From here on discover must not change anything on either server.
mark1=$(wc -l <"$T/web1/requests.log")
mark2=$(wc -l <"$T/plesk1/requests.log")

if run 3 discover web1; then
    for a in acmeshop lowco highco; do has out "^account +$a "; done
    has out '^account +acmeshop +shop\.acme\.example .* acme/shop$'
    has out '^wordpress +acmeshop +blog\.acme\.example +/ .* acme/blog$'
    has out '^wordpress +acmeshop +staging\.blog\.acme\.example .* acme/blog \(staging\)$'
    has out '^wordpress +acmeshop +shop\.acme\.example +/news .*suggested acme/shop-acme-example-news'
    has out '^wordpress +lowco +low\.example +/ .*suggested lowco/low-example-wordpress'
    has out '^softaculous +acmeshop +cloud\.acme\.example +/ .*suggested acme/cloud-acme-example'
    has out '^account +lowco +low\.example .*suggested lowco/low-example\)'
    has out '^  acme/gone \(account .goneuser.'
    has out "^  acme/oldblog \\(wordpress 'acmeshop' at blog\\.acme\\.example/old; $T/agent.conf:[0-9]+\\)$"
    lacks out '^  acme/(shop|blog) '
    has out '^\[customer lowco\]$'
    has out '^\[customer highco\]$'
    lacks out '^\[customer acme\]$'
    has out 'web1: 8 listed, 3 configured, 5 not configured, 2 drifted'
    sed -n '/^; not configured yet/,$p' "$T/out" | sed '/^web1: /d' >"$T/pending/web1.conf"
fi

if run 3 --json discover web1; then
    json_lines inventory >"$T/inv"
    json_lines drift >"$T/drift"
    json_lines summary >"$T/sum"
    count inv '"type":"inventory"' 8
    count inv '"kind":"account"' 3
    count inv '"kind":"wordpress"' 4
    count inv '"kind":"softaculous"' 1
    has inv '"account":"acmeshop","configured":true,.*"domain":"shop.acme.example",.*"kind":"account".*"target":"acme/shop"'
    has inv '"account":"lowco","configured":false,.*"kind":"account",.*"owner":"root",.*"suggested":"lowco/low-example","target":null'
    count drift '"target":"acme/(gone|oldblog)"' 2
    count drift '"type":"drift"' 2
    has drift '"account":"goneuser","domain":null,"kind":"account","path":null,"server":"web1","source":"[^"]*/agent.conf:[0-9]+","target":"acme/gone"'
    has sum '"exit_code":3,"failed":2,'
    has sum '"ok":8'
fi

# ---- Plesk -------------------------------------------------------------------------------
if run 3 discover plesk1; then
    has out '^subscription +admin\.example +admin\.example +- +admin +not configured \(suggested admin-example/admin-example\)'
    has out '^subscription +shop\.example +shop\.example +- +jdoe +jdoe/shop$'
    has out '^subscription +resold\.example +resold\.example +- +rcust .*suggested rcust/resold-example\)'
    has out '^wordpress +shop\.example +shop\.example +/ +jdoe .*suggested jdoe/shop-example\)'
    has out '^wordpress +resold\.example +resold\.example +/ +rcust .*suggested rcust/resold-example-wordpress'
    has out '^  jdoe/gone \(subscription .gone\.example.'
    has out 'plesk1: 5 listed, 1 configured, 4 not configured, 1 drifted'
    sed -n '/^; not configured yet/,$p' "$T/out" | sed '/^plesk1: /d' >"$T/pending/plesk1.conf"
fi

# Owners given only by id (owner_field fault) come out the same.
printf '{"owner_field": "id"}\n' >"$T/plesk1/faults.json"
if run 3 --json discover plesk1; then
    json_lines inventory >"$T/inv"
    has inv '"account":"shop.example",.*"owner":"jdoe"'
    has inv '"account":"resold.example",.*"owner":"rcust"'
    has inv '"account":"admin.example",.*"owner":"admin"'
fi
printf '{}\n' >"$T/plesk1/faults.json"

# ---- the sections printed pass config check and leave nothing unconfigured ----------------
for f in web1 plesk1; do
    [ -s "$T/pending/$f.conf" ] || fail "no sections were printed for $f"
    cp "$T/pending/$f.conf" "$T/conf.d/$f.conf"
done
if run 0 config check; then
    :
else
    sed 's/^/  conf.d: /' "$T/conf.d/"*.conf | head -60
fi
if run 3 discover web1; then
    lacks out '^[a-z]+ .*not configured'
    lacks out '^\[target '
    has out 'web1: 8 listed, 8 configured, 0 not configured, 2 drifted'
fi
if run 3 discover plesk1; then
    has out 'plesk1: 5 listed, 5 configured, 0 not configured, 1 drifted'
fi

# ---- no drift: exit 0 --------------------------------------------------------------------
python3 - "$T/agent.conf" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
for t in ("acme/gone", "acme/oldblog", "jdoe/gone"):
    s = re.sub(r"\n\[target %s\]\n(?:[^\[\n][^\n]*\n)*" % re.escape(t), "\n", s)
open(p, "w").write(s)
PY
run 0 discover web1 && has out 'web1: 8 listed, 8 configured, 0 not configured, 0 drifted'
run 0 --json discover plesk1 && json_lines summary >"$T/sum" && has sum '"exit_code":0,"failed":0,'

# ---- a kind the panel cannot list: a warning and skipped, never drift ----------------------
printf '{"wptoolkit": {"command": "list", "fault": "fail"}}\n' >"$T/web1/faults.json"
cat >>"$T/agent.conf" <<'CONF'

[target acme/gonesite]
server = web1
kind = wordpress
account = acmeshop
domain = nowhere.acme.example
nightly = none
CONF
if run 0 --json discover web1; then
    json_lines inventory >"$T/inv"
    json_lines summary >"$T/sum"
    count inv '"kind":"wordpress"' 0
    count inv '"kind":"account"' 3
    has err 'WordPress sites not listed'
    has err "target 'acme/gonesite' not checked"
    has sum '"failed":0,'
    has sum '"ok":4,"skipped":4,'
fi
printf '{}\n' >"$T/web1/faults.json"
run 3 discover web1 && has out '^  acme/gonesite '

# ---- errors --------------------------------------------------------------------------------
run 66 discover nosuch && has err "no such server 'nosuch'"
run 64 discover
run 64 discover web1 plesk1
printf '{"api": [{"function": "listaccts", "fault": "403"}]}\n' >"$T/web1/faults.json"
run 77 discover web1
printf '{"api": [{"function": "listaccts", "fault": "garbage"}]}\n' >"$T/web1/faults.json"
run 65 discover web1
printf '{}\n' >"$T/web1/faults.json"

# ---- read-only, and no secret anywhere ------------------------------------------------------
if [ -n "$(writes)" ]; then
    fail "discover changed something on a simulator:"
    writes | head -5
fi
for f in "$T/web1/token" "$T/plesk1/secret_key" "$T/plesk1/password"; do
    s=$(cat "$f")
    if grep -qF -- "$s" "$T/all-output"; then fail "the secret of $f is in the output"; fi
done
if grep -qE 'cpsess[0-9]' "$T/all-output"; then fail "a cPanel session is in the output"; fi

say "discover_test: $n runs, $fails failures"
[ "$fails" = 0 ]
