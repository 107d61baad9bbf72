#!/bin/sh
# The secret canary: a cPanel simulator whose API token is a unique random string, and the real
# binary and cpanel.so running snapshot, backup, list, rollback --dry-run, servers check,
# history, audit verify and failing commands (a refused token, a failed panel job, a symlinked
# token file), each plain, with -vvv and with --json.  The canary must appear nowhere: stdout,
# stderr, JSON lines, syslog (captured in a private mount namespace whose /dev/log is ours),
# state.db (audit and catalog, dumped with sqlite3), backup_dir (manifests, archives
# decompressed), /proc/PID/cmdline and /proc/PID/environ of the agent and of every process on
# the server side while a slow job runs (sshd sessions and the commands they run, panel jobs),
# and the simulator's own files (requests.log holds each request's path and parameters, never
# its headers; sshd.log).  The one place it may be is the Authorization header the panel
# receives.  Also: the token file is read once per run, however many requests the run makes.
# A second canary, a new password, goes through mail add/passwd and Nextcloud users add/passwd
# (plain, -vvv, --json) under the same watch: it may reach only the panel's hashed store and
# the environment of `php occ`.
#
# usage: secrets_test.sh JIKU_AGENT CPANEL_SO POLICY_DIR SIM_SH     (as root: the sshd rig)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
PLUGIN=$2
POLICIES=$3
SIM=$4
ACTOR=tester
test_begin --root

W1=$T/web1
sim_start "$SIM" "$W1" --name web1 --job-seconds 1 || exit 1
# The simulator reads DIR/token at every request (tests/fakes/cpanel/README.md): the canary
# keeps its format (32 characters [A-Z0-9]) and is never exported to any process's environment.
CANARY=CANARY$(head -c 4096 /dev/urandom | tr -dc 'A-Z0-9' | head -c 26)
[ ${#CANARY} = 32 ] || { fail "no canary could be made"; exit 1; }
printf '%s\n' "$CANARY" >"$W1/token"
chmod 600 "$W1/token"

install_plugin "$PLUGIN" cpanel
{
    agent_section "lock_wait = 5" "retry_deadline = 5"
    retention_section 20 20 5
    cat <<'CONF'

[customer acme]
tier = low
application.users = jiku

[target acme/shop]
server = web1
kind = account
account = acmeshop
nightly = snapshot

[target acme/cloud]
server = web1
kind = softaculous
account = acmeshop
domain = cloud.acme.example
nightly = none
CONF
    sim_server cpanel web1 "$W1" "timeout = 60" "poll_max = 1"
} >"$T/agent.conf"

# canary_in FILE...: true when none of the files holds the canary (names shown, not contents)
canary_in() {
    _clean=0
    for _f in "$@"; do
        if grep -qF --binary-files=text -- "$CANARY" "$_f"; then
            say "  the canary is in $_f"
            _clean=1
        fi
    done
    return $_clean
}
# the search itself works: it finds the canary where it belongs
grep -qF -- "$CANARY" "$W1/token" || fail "the canary search does not find the canary"

# --- every command, plain, -vvv and --json ------------------------------------------------
commands() {
    run 0 "$@" servers check web1
    run 0 "$@" snapshot acme/shop
    run 0 "$@" backup acme/shop
    run 0 "$@" list acme/shop
    run 0 "$@" rollback acme/shop --to latest --dry-run
    run 0 "$@" history --target acme/shop
    run 0 "$@" audit verify
    # the panel refuses the token: the message names the server, never the token
    faults "$W1" '{"api":[{"function":"*","fault":"403"}]}'
    run 77 "$@" snapshot acme/shop
    # a panel job that fails
    faults "$W1" '{"pkgacct":{"fault":"failed"}}'
    run 1 "$@" snapshot acme/shop
    faults "$W1" '{}'
}
for flags in "" "-vvv" "--json" "--json -vvv"; do
    FAIL_TAG="flags '$flags'"
    # shellcheck disable=SC2086 # the flags are words
    commands $flags
done
FAIL_TAG=
grep -q 'Authorization: <redacted>' "$T/all-output" ||
    fail "-vvv traced no redacted Authorization header: the check below would prove nothing"
grep -q '"type":"operation"' "$T/all-output" || fail "no JSON operation line was checked"
canary_in "$T/all-output" || fail "the canary reached stdout or stderr"

# --- the token file is read once per run, however many requests the run makes --------------
before=$(log_lines "$W1")
run 0 -vv snapshot acme/shop
reads=$(grep -c "reading the token file '$W1/token'" "$T/err")
requests=$(($(log_lines "$W1") - before))
[ "$reads" = 1 ] || fail "the token file was read $reads times in one run"
[ "$requests" -ge 3 ] || fail "the run made $requests requests: too few to show reading once"

# --- a symlinked token file is refused, before any request --------------------------------
mv "$W1/token" "$W1/token.real"
ln -s "$W1/token.real" "$W1/token"
before=$(log_lines "$W1")
run 78 snapshot acme/shop && has err "is a symbolic link"
run 78 --json snapshot acme/shop && has out '"exit_code":78'
[ "$(log_lines "$W1")" = "$before" ] || fail "a run with a symlinked token sent requests"
rm "$W1/token"
mv "$W1/token.real" "$W1/token"

# --- syslog: every log line there (log = syslog), audit lines included ---------------------
# A private mount namespace gets a /dev of its own whose log socket is a listener of this
# test; the machine's /dev is untouched.
sed -i 's/^log = stderr$/log = syslog/' "$T/agent.conf"
mkdir -p "$T/dev"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1] + "/log")
s.settimeout(120)
with open(sys.argv[2], "ab", buffering=0) as f:
    try:
        while True:
            f.write(s.recv(65536) + b"\n")
    except socket.timeout:
        pass
' "$T/dev" "$T/syslog" &
syslogd=$!
at_exit "kill $syslogd 2>/dev/null"
i=0
while [ ! -S "$T/dev/log" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$T/dev/log" ] || fail "the syslog listener did not start"
for dev in null zero full random urandom; do : >"$T/dev/$dev"; done
cat >"$T/in-ns.sh" <<'NS'
# in-ns.sh TDIR CODE-FILE AGENT ARGS...: the agent with TDIR/dev as /dev
t=$1 code=$2
shift 2
for dev in null zero full random urandom; do mount --bind "/dev/$dev" "$t/dev/$dev" || exit 90; done
mount --bind "$t/dev" /dev || exit 90
rc=0
"$@" || rc=$?
echo "$rc" >"$code"
NS
ns_run() {
    want=$1
    shift
    n=$((n + 1))
    timeout 300 unshare -m --propagation private sh "$T/in-ns.sh" "$T" "$T/ns-code" \
        "$BIN" -c "$T/agent.conf" "$@" >"$T/out" 2>"$T/err" </dev/null
    got=$(cat "$T/ns-code" 2>/dev/null)
    rm -f "$T/ns-code"
    cat "$T/out" "$T/err" >>"$T/all-output"
    [ "$got" = "$want" ] || { fail "(syslog) jiku-agent $* exited '$got', expected $want";
        sed 's/^/  err: /' "$T/err" | head -20; }
}
ns_run 0 -vvv snapshot acme/shop
ns_run 0 -vvv backup acme/shop
ns_run 0 -vvv rollback acme/shop --to latest --dry-run
faults "$W1" '{"api":[{"function":"*","fault":"403"}]}'
ns_run 77 -vvv snapshot acme/shop
faults "$W1" '{}'
kill "$syslogd" 2>/dev/null
wait "$syslogd" 2>/dev/null
grep -q 'jiku-agent\[[0-9]*\]: audit' "$T/syslog" || fail "syslog holds no audit line"
grep -q 'Authorization: <redacted>' "$T/syslog" || fail "syslog holds no -vvv trace"
canary_in "$T/syslog" || fail "the canary reached syslog"
sed -i 's/^log = syslog$/log = stderr/' "$T/agent.conf"

# --- /proc of the agent and of everything it starts, locally and on the server --------------
# While a slow panel job runs, procwatch.py samples the agent and everything it starts, on
# both sides.  The canary comes on its stdin, never in an argv.
faults "$W1" '{"job_seconds": 6}'
"$BIN" -c "$T/agent.conf" -vvv snapshot acme/shop >"$T/out" 2>"$T/err" </dev/null &
agent=$!
n=$((n + 1))
printf '%s\n' "$CANARY" | python3 "$(dirname "$0")/procwatch.py" "$agent" \
    "$(cat "$W1/ssh/sshd.pid")" "$(cat "$W1/server.pid")" "$T" >"$T/proc-samples"
rc=0
wait "$agent" || rc=$?
[ "$rc" = 0 ] || fail "the sampled snapshot exited $rc"
faults "$W1" '{}'
sed 's/^/  proc: /' "$T/proc-samples"
grep -q '^LEAK' "$T/proc-samples" && fail "the canary is in a process's command line or environment"
samples=$(sed -n 's/^samples //p' "$T/proc-samples")
[ "${samples:-0}" -ge 100 ] || fail "only ${samples:-0} /proc samples: the check proves little"
grep -q ' jiku-agent:' "$T/proc-samples" || fail "the agent itself was never sampled"
grep -q '^jobs [1-9]' "$T/proc-samples" || fail "no panel job was sampled"
grep -q '^sessions [1-9]' "$T/proc-samples" || fail "no process of an SSH session was sampled"

# --- new passwords: mail accounts (an HTTPS body) and Nextcloud users (an SSH channel's stdin) -
# The password canary is in its 0600 file and, hashed, in the panel's store; as it travels it
# may be in the environment of `php occ` (OC_PASS) and nowhere else: procwatch.py samples both
# sides while each request runs, the fake php refuses to run when it is in its own or an
# ancestor's argv (tests/fakes/wptoolkit/README.md), and output and files are searched below.
PWCANARY=Pw-$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 24)
printf '%s\n' "$PWCANARY" >"$T/canary.pw"
chmod 600 "$T/canary.pw"
LIVE=$W1/root/home/acmeshop/cloud.acme.example
# watched ARGS...: the agent with ARGS, /proc sampled until it ends, leaks reported
watched() {
    want=$1
    shift
    n=$((n + 1))
    "$BIN" -c "$T/agent.conf" --actor tester "$@" >"$T/out" 2>"$T/err" </dev/null &
    agent=$!
    printf '%s\n%s\n' "$PWCANARY" "$CANARY" | python3 "$(dirname "$0")/procwatch.py" \
        --environ-of-occ "$agent" "$(cat "$W1/ssh/sshd.pid")" "$(cat "$W1/server.pid")" "$T" \
        >>"$T/pw-samples"
    rc=0
    wait "$agent" || rc=$?
    cat "$T/out" "$T/err" >>"$T/all-output"
    [ "$rc" = "$want" ] || { fail "jiku-agent $* exited $rc, expected $want";
        sed 's/^/  err: /' "$T/err" | head -10; }
}
: >"$T/pw-samples"
i=0
for flags in "" "-vvv" "--json -vvv"; do
    FAIL_TAG="passwords, flags '$flags'"
    i=$((i + 1))
    # shellcheck disable=SC2086 # the flags are words
    {
        watched 0 $flags mail add acme/shop "box$i@shop.acme.example" --password-file "$T/canary.pw"
        watched 0 $flags mail passwd acme/shop "box$i@shop.acme.example" \
            --password-file "$T/canary.pw"
        watched 0 $flags users add acme/cloud "user$i" --password-file "$T/canary.pw"
        watched 0 $flags users passwd acme/cloud "user$i" --password-file "$T/canary.pw"
        watched 0 $flags users add acme/cloud "off$i" --disabled
        # refused by the panel: the message quotes neither the password nor the request body
        watched 1 $flags mail add acme/shop "box$i@shop.acme.example" \
            --password-file "$T/canary.pw"
    }
done
FAIL_TAG=
python3 -B "$(dirname "$0")/../fakes/wptoolkit/nextcloud.py" check-password "$LIVE" user1 \
    <"$T/canary.pw" || fail "Nextcloud does not hold the canary password: the check proves little"
grep -q 'box1@shop.acme.example' "$T/all-output" ||
    fail "the mail requests left no trace in the output: the search proves little"
grep -v '^LEAK' "$T/pw-samples" | grep -v '^seen' | sort | uniq -c | sed 's/^/  pw-proc: /'
grep -q '^LEAK' "$T/pw-samples" && { fail "a password canary is in a command line or environment";
    grep '^LEAK' "$T/pw-samples"; }
samples=$(awk '$1 == "samples" { s += $2 } END { print s + 0 }' "$T/pw-samples")
[ "${samples:-0}" -ge 100 ] || fail "only ${samples:-0} /proc samples of the password requests"
grep -q '^sessions [1-9]' "$T/pw-samples" || fail "no SSH session of the users requests was sampled"
grep -qF -- "$PWCANARY" "$T/all-output" && fail "the password canary reached stdout or stderr"

# --- at rest: state.db (audit, catalog), backup_dir, the simulator's files -----------------
statedb .dump >"$T/state.dump"
grep -q 'INSERT INTO' "$T/state.dump" || fail "the state.db dump holds no row"
grep -q '"function":"start_background_pkgacct"' "$W1/requests.log" ||
    fail "requests.log holds no request: the check below would prove nothing"
# archives are compressed: their content is checked decompressed
find "$T" -name '*.tar.gz' -type f | while IFS= read -r archive; do
    gzip -dc "$archive" 2>/dev/null | grep -qF --binary-files=text -- "$CANARY" &&
        say "  the canary is in $archive"
done >"$T/archive-hits"
[ -s "$T/archive-hits" ] && { fail "the canary is in an archive"; cat "$T/archive-hits"; }
# every other file under the test's directory (the agent's and the server's), the token aside
find "$T" -type f ! -path "$W1/token" ! -name '*.tar.gz' >"$T/files"
[ "$(wc -l <"$T/files")" -ge 20 ] || fail "only $(wc -l <"$T/files") files to search"
grep -rlF --binary-files=text --exclude='*.tar.gz' -e "$CANARY" -e "$PWCANARY" "$T" |
    grep -vxF -e "$W1/token" -e "$T/canary.pw" >"$T/rest-hits"
[ -s "$T/rest-hits" ] && { fail "the canary is in files at rest"; sed 's/^/  /' "$T/rest-hits"; }

test_end
sim_assert_no_root_in_tenant_trees
