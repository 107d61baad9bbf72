#!/bin/sh
# `jiku-agent mail` end to end against the Plesk simulator (tests/fakes/plesk, "mail"): list of
# every domain's mailboxes, add with a quota, passwd with a generated password, remove, the
# panel's refusals, an address outside the subscription and a denied tier sending nothing; the
# simulator's stored hash matches the password the agent was given, and the password is nowhere
# in the request log, the agent's output (-vvv traces included) or its state.
#
# usage: mail_plesk_test.sh JIKU_AGENT PLESK_SO POLICY_DIR SIM_SH     (as root: the sshd rig)
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

P1=$T/p1
sim_start "$SIM" "$P1" --name plesk1 || exit 1
PSIM=$(dirname "$SIM")/psim.py
ADDR=team@shop.example
# password_ok ADDRESS FILE: the simulator's hash of ADDRESS is that of FILE's line (stdin only)
password_ok() { python3 "$PSIM" mail-password "$P1" "$1" <"$2"; }
api() { logged "$P1" operations "$1"; }

mkdir -p "$T/conf.d"
install_plugin "$PLUGIN" plesk
{
    agent_section "lock_wait = 5" "retry_deadline = 5"
    cat <<'CONF'

[customer acme]
tier = low

[target acme/shop]
server = plesk1
kind = subscription
account = shop.example

[customer highco]
tier = high

[target highco/resold]
server = plesk1
kind = subscription
account = resold.example
CONF
    sim_server plesk plesk1 "$P1"
} >"$T/agent.conf"

PW=$T/pw
printf 'Canary-Plesk-5531-Pw\n' >"$PW"
chmod 600 "$PW"

# --- high tier: mail accounts are the customer's; nothing reaches the panel ----------------
before=$(log_lines "$P1")
run 77 mail add highco/resold "new@resold.example" --password-file "$PW" && has err "denied"
[ "$(log_lines "$P1")" = "$before" ] || fail "a denied mail add sent requests to plesk1"

# --- list the seeded mailboxes ---------------------------------------------------------------
run 0 mail list acme/shop && has out "info@shop.example" && has out "sales@shop.example" &&
    has out "512.0 MiB" && has out "suspended" && hasnt out "office@resold.example"
run 0 --json mail list acme/shop && has out '"address":"old@shop.example"' &&
    has out '"quota_mib":100' && has out '"suspended":true'

# --- add with a quota: the simulator stores the hash of the file's password ---------------
run 0 -vvv mail add acme/shop "$ADDR" --quota 256 --password-file "$PW"
[ "$(api mail/create)" = 1 ] || fail "mail create sent $(api mail/create) times"
password_ok "$ADDR" "$PW" || fail "the stored hash is not that of the password file"
run 0 --json mail list acme/shop && has out '"address":"team@shop.example"' &&
    has out '"quota_mib":256'
run 1 mail add acme/shop "$ADDR" --password-file "$PW" && has err "1007"
run 66 mail add acme/shop "x@resold.example" --password-file "$PW"
[ "$(api mail/create)" = 2 ] || fail "an address outside the subscription reached the panel"

# --- a dry run: the plan, nothing sent, no password file ------------------------------------
run 0 --dry-run mail add acme/shop dry@shop.example --generate --password-out "$T/dry" &&
    has out "dry@shop.example"
[ "$(api mail/create)" = 2 ] || fail "a dry run created a mailbox"
[ -e "$T/dry" ] && fail "a dry run wrote a password file"

# --- passwd with a generated password, into a new 0600 file -------------------------------
run 0 mail passwd acme/shop "$ADDR" --generate --password-out "$T/gen"
[ "$(stat -c %a "$T/gen")" = 600 ] || fail "--password-out is not 0600"
password_ok "$ADDR" "$T/gen" || fail "the generated password is not the one the panel holds"
password_ok "$ADDR" "$PW" && fail "the old password still works"

# --- remove -------------------------------------------------------------------------------
run 0 mail remove acme/shop "$ADDR" --yes
run 0 mail list acme/shop && hasnt out "$ADDR" && has out "info@shop.example"
run 66 mail remove acme/shop "$ADDR" --yes
run 66 mail passwd acme/shop "nobody@shop.example" --password-file "$PW"

# --- the password is nowhere else -----------------------------------------------------------
for secret in "$(cat "$PW")" "$(cat "$T/gen")"; do
    grep -rqF -- "$secret" "$P1/requests.log" "$T/all-output" "$T/state" &&
        fail "a password was found in the log, the output or the state"
done

sim_assert_no_root_in_tenant_trees "$P1"
test_end
