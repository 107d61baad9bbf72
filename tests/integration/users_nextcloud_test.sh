#!/bin/sh
# `users` on a Nextcloud `softaculous` target end to end: the real jiku-agent and cpanel.so
# against the cPanel simulator's Nextcloud (tests/fakes/wptoolkit/README.md, "Users"): list the
# seeded admin; add with --generate --password-out (the stored hash matches the file), with
# --group and --email; add --disabled; role (a group); passwd from a file (enables); remove
# (disables), remove --delete; an existing login refused by occ (exit 1, nothing written); a
# denied customer sends nothing.  The passwords appear in no process's argv on either side:
# the fake php fails on one in its own or an ancestor's argv and logs each run, and /proc is
# sampled while the agent runs; nor in the output, the audit or the state.
#
# usage: users_nextcloud_test.sh JIKU_AGENT CPANEL_SO POLICY_DIR SIM_SH    (as root: the sshd rig)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
PLUGIN=$2
POLICIES=$3
SIM=$4
ACTOR=tester
test_begin --root

NC_PY=$(cd "$(dirname "$0")/../fakes/wptoolkit" && pwd)/nextcloud.py
W1=$T/web1
sim_start "$SIM" "$W1" --name web1 --job-seconds 1 || exit 1
. "$W1/env"
LIVE=$CPSIM_HOME/acmeshop/cloud.acme.example
OCC_LOG=$LIVE/data/.ocsim-occ.log
[ -f "$LIVE/config/config.php" ] || { say "FAIL: no seeded Nextcloud in $LIVE"; exit 1; }

install_plugin "$PLUGIN" cpanel
{
    agent_section "lock_wait = 5" "retry_deadline = 5"
    sim_server cpanel web1 "$W1" "timeout = 60" "poll_max = 1"
    cat <<'CONF'

[customer acme]
tier = low
application.users = jiku

[target acme/cloud]
server = web1
kind = softaculous
account = acmeshop
domain = cloud.acme.example
nightly = none

[customer highco]
tier = high

[target highco/cloud]
server = web1
kind = softaculous
account = acmeshop
domain = cloud.acme.example
nightly = none
CONF
} >"$T/agent.conf"

# user LOGIN: "LOGIN disabled=BOOL roles=ROLES email=EMAIL" from the last --json users list
user() {
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    u = json.loads(line)
    if u.get("type") == "user" and u["login"] == sys.argv[2]:
        print(u["login"], "disabled=%s" % str(u["disabled"]).lower(), "roles=%s" % u["roles"],
              "email=%s" % u["email"])
' "$T/out" "$1"
}
checkpw() { # LOGIN FILE: the password stored for LOGIN is FILE's line
    python3 -B "$NC_PY" check-password "$LIVE" "$1" <"$2"
}
# Sample every process's command line while "$@" runs; a line "LEAK pid cmdline" for each
# that holds a word of $T/secrets, then "samples N".
sampled() {
    rm -f "$T/sampler.stop"
    samples=$T/proc.$n
    python3 - "$T/secrets" "$T/sampler.stop" >"$samples" <<'PY' &
import os, sys, time
secrets = [l.strip().encode() for l in open(sys.argv[1]) if l.strip()]
n, end = 0, time.monotonic() + 300
while not os.path.exists(sys.argv[2]) and time.monotonic() < end:
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != os.getpid():
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            n += 1
            if any(s in cmd for s in secrets):
                print("LEAK", d, cmd.replace(b"\0", b" ").decode("utf-8", "replace"))
print("samples", n)
PY
    sampler=$!
    "$@"
    rc=$?
    touch "$T/sampler.stop"
    wait "$sampler"
    grep '^LEAK' "$samples" && fail "a password is in a process's command line"
    grep -q '^samples [1-9][0-9][0-9]' "$samples" || fail "few /proc samples: $(tail -1 "$samples")"
    return $rc
}

printf 'Canary-Passwd-0123456789\n' >"$T/bob.pw"
chmod 600 "$T/bob.pw"
cat "$T/bob.pw" >"$T/secrets"

# --- list: the seeded admin -------------------------------------------------------------------
run 0 users list acme/cloud && has out "admin"
run 0 --json users list acme/cloud
[ "$(user admin)" = "admin disabled=false roles=admin email=None" ] ||
    fail "admin listed as '$(user admin)'"

# --- denied: nothing is sent ------------------------------------------------------------------
before=$(wc -l <"$OCC_LOG")
run 77 users add highco/cloud mallory --generate --password-out "$T/denied.pw"
[ -e "$T/denied.pw" ] && fail "a denied add left a password file"
[ "$(wc -l <"$OCC_LOG")" = "$before" ] || fail "a denied add ran occ"

# --- a dry run: the plan, no change made, no password file -----------------------------------
run 0 --dry-run users add acme/cloud alice --generate --password-out "$T/dry.pw" &&
    has out "alice"
[ -e "$T/dry.pw" ] && fail "a dry run wrote a password file"
run 0 --json users list acme/cloud && hasnt out '"login":"alice"'

# --- add with a generated password ------------------------------------------------------------
sampled run 0 users add acme/cloud alice --group staff --email alice@example.com --generate \
    --password-out "$T/alice.pw"
[ "$(stat -c %a "$T/alice.pw")" = 600 ] || fail "--password-out is not 0600"
cat "$T/alice.pw" >>"$T/secrets"
checkpw alice "$T/alice.pw" || fail "alice's stored password is not the generated one"
checkpw alice "$T/bob.pw" && fail "check-password accepts any password"
run 0 --json users list acme/cloud
[ "$(user alice)" = "alice disabled=false roles=staff email=alice@example.com" ] ||
    fail "alice listed as '$(user alice)'"
grep '"oc_pass_set": true' "$OCC_LOG" | grep -q '"user:add"' || fail "occ never got OC_PASS"

# --- an existing login: occ's refusal, exit 1 -------------------------------------------------
run 1 users add acme/cloud alice --generate --password-out "$T/again.pw" &&
    has err 'The user "alice" already exists.'
[ -e "$T/again.pw" ] && fail "a refused add left its password file"
checkpw alice "$T/alice.pw" || fail "a refused add changed alice's password"

# --- add disabled, then passwd enables ----------------------------------------------------------
run 0 users add acme/cloud bob --disabled
run 0 --json users list acme/cloud
[ "$(user bob)" = "bob disabled=true roles=None email=None" ] || fail "bob listed as '$(user bob)'"
checkpw bob "$T/bob.pw" && fail "a disabled user got a known password"
sampled run 0 users passwd acme/cloud bob --password-file "$T/bob.pw"
checkpw bob "$T/bob.pw" || fail "bob's password is not the file's"
run 0 --json users list acme/cloud
[ "$(user bob)" = "bob disabled=false roles=None email=None" ] || fail "passwd did not enable bob"

# --- role: a group ------------------------------------------------------------------------------
run 0 users role acme/cloud bob --group staff
run 1 users role acme/cloud bob --group nosuchgroup && has err "group not found"
run 0 --json users list acme/cloud
[ "$(user bob)" = "bob disabled=false roles=staff email=None" ] || fail "bob not in staff"

# --- remove disables, --delete deletes ----------------------------------------------------------
run 0 users remove acme/cloud alice --yes
run 0 --json users list acme/cloud
[ "$(user alice)" = "alice disabled=true roles=staff email=alice@example.com" ] ||
    fail "remove did not disable alice: '$(user alice)'"
run 0 users remove acme/cloud alice --delete --yes
run 0 --json users list acme/cloud
[ -z "$(user alice)" ] || fail "alice still listed after --delete"
run 1 users remove acme/cloud alice --delete --yes && has err "User does not exist"

# --- the canary: no password in any argv, output, audit or state -------------------------------
python3 - "$OCC_LOG" "$T/secrets" <<'PY' || fail "occ's log shows a password in an argv"
import json, sys
secrets = [l.strip() for l in open(sys.argv[2]) if l.strip()]
bad = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["leak_pid"] is not None or any(s in w for s in secrets for w in r["argv"]):
        print("LEAK", line.strip())
        bad += 1
sys.exit(1 if bad else 0)
PY
while IFS= read -r s; do
    grep -rqF -- "$s" "$T/all-output" "$T/state" 2>/dev/null && fail "a password in the output or state"
    grep -qF -- "$s" "$W1/requests.log" && fail "a password in a panel request"
done <"$T/secrets"

test_end
