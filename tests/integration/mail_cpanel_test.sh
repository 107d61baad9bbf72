#!/bin/sh
# `jiku-agent mail` end to end against the cPanel simulator (tests/fakes/cpanel, "Mail
# accounts"): list, add with a quota, passwd with a generated password, remove, the panel's
# refusals, a denied tier sending nothing; the simulator's stored hash matches the password the
# agent was given, every mail call is a POST whose URL has no password, and the password is
# nowhere in the request log, the agent's output or its state.
#
# usage: mail_cpanel_test.sh JIKU_AGENT CPANEL_SO POLICY_DIR SIM_SH     (as root: the sshd rig)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
PLUGIN=$2
POLICIES=$3
SIM=$4
ACTOR=tester
RUN_TIMEOUT=120
test_begin --root

W1=$T/web1
sim_start "$SIM" "$W1" --name web1 || exit 1
CPSIM=$(dirname "$SIM")/cpsim.py
ADDR=sales@shop.acme.example
# password_ok ADDRESS FILE: the simulator's hash of ADDRESS is that of FILE's line (stdin only)
password_ok() { python3 "$CPSIM" mail-password-ok "$W1" acmeshop "$1" <"$2"; }

mkdir -p "$T/conf.d"
install_plugin "$PLUGIN" cpanel
{
    agent_section "lock_wait = 5" "retry_deadline = 5"
    cat <<'CONF'

[customer acme]
tier = low

[target acme/shop]
server = web1
kind = account
account = acmeshop

[customer highco]
tier = high

[target highco/portal]
server = web1
kind = account
account = highco
CONF
    sim_server cpanel web1 "$W1"
} >"$T/agent.conf"

PW=$T/pw
printf 'Canary-Mail-8127-Pw\n' >"$PW"
chmod 600 "$PW"

# --- high tier: mail accounts are the customer's; nothing reaches the panel ----------------
before=$(log_lines "$W1")
run 77 mail add highco/portal "info2@high.example" --password-file "$PW" && has err "denied"
[ "$(log_lines "$W1")" = "$before" ] || fail "a denied mail add sent requests to web1"

# --- list the seeded mailbox ----------------------------------------------------------------
run 0 mail list acme/shop && has out "info@shop.acme.example"
run 0 mail list acme/shop --json && has out '"address":"info@shop.acme.example"'

# --- add with a quota: the simulator stores the hash of the file's password ---------------
run 0 mail add acme/shop "$ADDR" --quota 100 --password-file "$PW"
password_ok "$ADDR" "$PW" || fail "the stored hash is not that of the password file"
run 0 mail list acme/shop --json && has out '"address":"sales@shop.acme.example"' &&
    has out '"quota_mib":100'
run 1 mail add acme/shop "$ADDR" --password-file "$PW" && has err "already exists"
run 1 mail add acme/shop "x@low.example" --password-file "$PW" && has err "does not belong"

# --- a dry run: the plan, no add_pop sent, no password file ---------------------------------
before=$(logged "$W1" function uapi_cpanel)
run 0 --dry-run mail add acme/shop dry@shop.acme.example --generate --password-out "$T/dry" &&
    has out "dry@shop.acme.example"
[ "$(logged "$W1" function uapi_cpanel)" = "$before" ] || fail "a dry run called the panel"
[ -e "$T/dry" ] && fail "a dry run wrote a password file"

# --- passwd with a generated password, into a new 0600 file -------------------------------
run 0 mail passwd acme/shop "$ADDR" --generate --password-out "$T/gen"
[ "$(stat -c %a "$T/gen")" = 600 ] || fail "--password-out is not 0600"
password_ok "$ADDR" "$T/gen" || fail "the generated password is not the one the panel holds"
password_ok "$ADDR" "$PW" && fail "the old password still works"

# --- remove -------------------------------------------------------------------------------
run 0 mail remove acme/shop "$ADDR" --yes
run 0 mail list acme/shop && hasnt out "$ADDR"
run 1 mail remove acme/shop "$ADDR" --yes && has err "does not exist"

# --- the wire: POSTs only, no password in any URL, the log or the agent's files ------------
[ "$(logged "$W1" function uapi_cpanel)" -ge 8 ] || fail "too few uapi_cpanel calls logged"
grep '"function":"uapi_cpanel"' "$W1/requests.log" | grep -v '"method":"POST"' |
    grep -q . && fail "a uapi_cpanel call was not a POST"
grep -q '"refused"' "$W1/requests.log" && fail "the simulator refused a password in a URL"
grep '"function":"uapi_cpanel"' "$W1/requests.log" | grep -q '"path":"[^"]*?' &&
    fail "a uapi_cpanel URL had a query string"
for secret in "$(cat "$PW")" "$(cat "$T/gen")"; do
    grep -rqF -- "$secret" "$W1/requests.log" "$T/all-output" "$T/state" "$W1/root/home" &&
        fail "a password was found in the log, the output, the state or a home"
done

sim_assert_no_root_in_tenant_trees "$W1"
test_end
