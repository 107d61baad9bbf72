#!/bin/sh
# `discover SERVER` (jiku-agent(8), issue 7): the real jiku-agent binary with the real cpanel.so and
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
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
CPANEL_SO=$2
PLESK_SO=$3
POLICIES=$4
CPSIM=$5
PLSIM=$6
test_begin --root

# has_re, lacks_re FILE ERE: $T/FILE has (has no) line matching ERE
has_re() {
    grep -qE -- "$2" "$T/$1" || { fail "$1 lacks /$2/"; sed 's/^/  | /' "$T/$1" | head -40; }
}
lacks_re() {
    ! grep -qE -- "$2" "$T/$1" || { fail "$1 has /$2/"; grep -E -- "$2" "$T/$1" | head -5; }
}
count() { # FILE ERE WANT: $T/FILE has WANT lines matching ERE
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

sim_start "$CPSIM" "$T/web1" --name web1 --job-seconds 1 || exit 1
sim_start "$PLSIM" "$T/plesk1" --name plesk1 --job-seconds 1 || exit 1
. "$T/web1/env"
. "$T/plesk1/env"

mkdir -p "$T/conf.d" "$T/pending"
install_plugin "$CPANEL_SO" cpanel
install_plugin "$PLESK_SO" plesk
{
    agent_section "retry_deadline = 5"
    sim_server cpanel web1 "$T/web1"
    sim_server plesk plesk1 "$T/plesk1"
    cat <<'CONF'

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
} >"$T/agent.conf"
run 0 config check || { say "the test's own configuration is refused"; exit 1; }

# ---- cPanel ------------------------------------------------------------------------------
# A staging copy of acme/blog, made by `stage`: matched to its target, not proposed.
run 0 --actor tester stage acme/blog || exit 1
# From here on discover must not change anything on either server.
mark1=$(log_lines "$T/web1")
mark2=$(log_lines "$T/plesk1")

if run 3 discover web1; then
    for a in acmeshop lowco highco; do has_re out "^account +$a "; done
    has_re out '^account +acmeshop +shop\.acme\.example .* acme/shop$'
    has_re out '^wordpress +acmeshop +blog\.acme\.example +/ .* acme/blog$'
    has_re out '^wordpress +acmeshop +staging\.blog\.acme\.example .* acme/blog \(staging\)$'
    has_re out '^wordpress +acmeshop +shop\.acme\.example +/news .*suggested acme/shop-acme-example-news'
    has_re out '^wordpress +lowco +low\.example +/ .*suggested lowco/low-example-wordpress'
    has_re out '^softaculous +acmeshop +cloud\.acme\.example +/ .*suggested acme/cloud-acme-example'
    has_re out '^account +lowco +low\.example .*suggested lowco/low-example\)'
    has_re out '^  acme/gone \(account .goneuser.'
    has_re out "^  acme/oldblog \\(wordpress 'acmeshop' at blog\\.acme\\.example/old; $T/agent.conf:[0-9]+\\)$"
    lacks_re out '^  acme/(shop|blog) '
    has_re out '^\[customer lowco\]$'
    has_re out '^\[customer highco\]$'
    lacks_re out '^\[customer acme\]$'
    has_re out 'web1: 8 listed, 3 configured, 5 not configured, 2 drifted'
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
    has_re inv '"account":"acmeshop","configured":true,.*"domain":"shop.acme.example",.*"kind":"account".*"target":"acme/shop"'
    has_re inv '"account":"lowco","configured":false,.*"kind":"account",.*"owner":"root",.*"suggested":"lowco/low-example","target":null'
    count drift '"target":"acme/(gone|oldblog)"' 2
    count drift '"type":"drift"' 2
    has_re drift '"account":"goneuser","domain":null,"kind":"account","path":null,"server":"web1","source":"[^"]*/agent.conf:[0-9]+","target":"acme/gone"'
    has_re sum '"exit_code":3,"failed":2,'
    has_re sum '"ok":8'
fi

# ---- Plesk -------------------------------------------------------------------------------
if run 3 discover plesk1; then
    has_re out '^subscription +admin\.example +admin\.example +- +admin +not configured \(suggested admin-example/admin-example\)'
    has_re out '^subscription +shop\.example +shop\.example +- +jdoe +jdoe/shop$'
    has_re out '^subscription +resold\.example +resold\.example +- +rcust .*suggested rcust/resold-example\)'
    has_re out '^wordpress +shop\.example +shop\.example +/ +jdoe .*suggested jdoe/shop-example\)'
    has_re out '^wordpress +resold\.example +resold\.example +/ +rcust .*suggested rcust/resold-example-wordpress'
    has_re out '^  jdoe/gone \(subscription .gone\.example.'
    has_re out 'plesk1: 5 listed, 1 configured, 4 not configured, 1 drifted'
    sed -n '/^; not configured yet/,$p' "$T/out" | sed '/^plesk1: /d' >"$T/pending/plesk1.conf"
fi

# Owners given only by id (owner_field fault) come out the same.
faults "$T/plesk1" '{"owner_field": "id"}'
if run 3 --json discover plesk1; then
    json_lines inventory >"$T/inv"
    has_re inv '"account":"shop.example",.*"owner":"jdoe"'
    has_re inv '"account":"resold.example",.*"owner":"rcust"'
    has_re inv '"account":"admin.example",.*"owner":"admin"'
fi
faults "$T/plesk1" '{}'

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
    lacks_re out '^[a-z]+ .*not configured'
    lacks_re out '^\[target '
    has_re out 'web1: 8 listed, 8 configured, 0 not configured, 2 drifted'
fi
if run 3 discover plesk1; then
    has_re out 'plesk1: 5 listed, 5 configured, 0 not configured, 1 drifted'
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
run 0 discover web1 && has_re out 'web1: 8 listed, 8 configured, 0 not configured, 0 drifted'
run 0 --json discover plesk1 && json_lines summary >"$T/sum" && has_re sum '"exit_code":0,"failed":0,'

# ---- a kind the panel cannot list: a warning and skipped, never drift ----------------------
faults "$T/web1" '{"wptoolkit": {"command": "list", "fault": "fail"}}'
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
    has_re err 'WordPress sites not listed'
    has_re err "target 'acme/gonesite' not checked"
    has_re sum '"failed":0,'
    has_re sum '"ok":4,"skipped":4,'
fi
faults "$T/web1" '{}'
run 3 discover web1 && has_re out '^  acme/gonesite '

# ---- errors --------------------------------------------------------------------------------
run 66 discover nosuch && has_re err "no such server 'nosuch'"
run 64 discover
run 64 discover web1 plesk1
faults "$T/web1" '{"api": [{"function": "listaccts", "fault": "403"}]}'
run 77 discover web1
faults "$T/web1" '{"api": [{"function": "listaccts", "fault": "garbage"}]}'
run 65 discover web1
faults "$T/web1" '{}'

# ---- a Softaculous staging copy the agent made is its target's, not a new installation -------
# Softaculous documents no key that marks a staging copy: the agent's stage record decides.
cat >"$T/conf.d/50-cloud.conf" <<'CONF'
[target acme/cloud]
server = web1
kind = softaculous
account = acmeshop
domain = cloud.acme.example
staging_domain = staging.cloud.acme.example
nightly = none
CONF
run 0 --actor tester stage acme/cloud || exit 1
mark1=$(log_lines "$T/web1")
mark2=$(log_lines "$T/plesk1")
if run 3 --json discover web1; then
    json_lines inventory >"$T/inv"
    count inv '"kind":"softaculous"' 1
    lacks_re inv '"domain":"staging.cloud.acme.example"'
fi
run 0 --actor tester unstage acme/cloud
rm -f "$T/conf.d/50-cloud.conf"
mark1=$(log_lines "$T/web1")
mark2=$(log_lines "$T/plesk1")

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

test_end
sim_assert_no_root_in_tenant_trees
