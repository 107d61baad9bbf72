# shellcheck shell=sh
# The plumbing the integration tests (tests/integration/*_test.sh) share; POSIX sh.  A test
# sources it first, `. "$(dirname "$0")/lib.sh"`, then calls test_begin.  Sourcing only defines
# functions, so scripts/fleet.sh sources it too (sim_start, sim_server, install_plugin).
#
# A test's life
#   test_begin [--root]   T = a fresh /tmp/jiku-NAME.XXXXXX (NAME: the script's name less
#                         _test.sh), fails=0, n=0; at exit the at_exit code runs, the ping
#                         receiver and every simulator sim_start started are stopped and T is
#                         removed; INT and TERM exit 130.  --root: a skip (exit 77) unless root,
#                         for the simulators' sshd rigs.
#   at_exit CODE          shell code to run at exit, before the simulators are stopped
#   test_end              prints "NAME_test: N runs, F failures"; true when F is 0 (the last
#                         command of a test, so its exit status)
#
# Checks: each failure is printed as "FAIL: TEXT" ("FAIL[TAG]: TEXT" while FAIL_TAG is set) and
# counted in fails; n counts the agent runs.
#   say TEXT...           one line on stdout
#   fail TEXT...          a failure
#   run CODE ARGS...      jiku-agent -c AGENT_CONF [--actor ACTOR] ARGS, stdin /dev/null (no tty,
#                         as under cron), bounded by RUN_TIMEOUT seconds; a failure unless it
#                         exits CODE (then false, out and err shown).  Its stdout is in $T/out,
#                         stderr in $T/err, both appended to $T/all-output (for secret checks).
#                         Settings: BIN (the agent), AGENT_CONF (default $T/agent.conf), ACTOR
#                         (unset: no --actor), RUN_TIMEOUT (default 300).
#   has FILE TEXT         $T/FILE contains the fixed TEXT (else a failure, the file shown)
#   hasnt FILE TEXT       $T/FILE does not contain the fixed TEXT
#   same FILE TEXT        FILE (a path) holds exactly TEXT
#
# The agent's configuration
#   agent_section [LINE...]  "[agent]" with state_dir, backup_dir, plugin_dir under $T,
#                         policy_dir $POLICIES, each LINE, log = stderr
#   retention_section LAST SAFETY ON_SERVER  "[retention]": keep_last, keep_safety and
#                         keep_on_server as given, no daily, weekly or monthly copies
#   sim_server PANEL NAME DIR [LINE...]  "[server NAME]" for the cpanel or plesk simulator in
#                         DIR, from its DIR/env (ports, token, CA, SSH key and known_hosts,
#                         snapshot_dir; cPanel's softaculous_port and pkgacct_sessions_dir,
#                         Plesk's dump_dir), then each LINE
#   sim_web_port DIR      the port on which the simulator in DIR serves its sites over HTTPS
#                         (its env's CPSIM_WEB_PORT or PLSIM_WEB_PORT), for a LINE
#                         "web_port = $(sim_web_port DIR)"
#   install_plugin SO NAME [DIR]  copies SO to DIR/NAME.so (DIR: $T/plugins), both 0755: the
#                         loader refuses a plugin anyone else may write
#
# Simulators (tests/fakes/*/sim.sh) and what they logged
#   sim_start SIM_SH DIR ARGS...  `sh SIM_SH start DIR ARGS`, its output in DIR.log; if it fails
#                         the log is shown on stderr and the status is 1.  Stopped by sims_stop.
#   sims_stop             `SIM_SH stop DIR` for each simulator sim_start started
#   faults DIR JSON       writes the simulator's DIR/faults.json
#   logged DIR KEY VALUE  how many requests DIR/requests.log holds with "KEY":"VALUE" (function:
#                         a cPanel API function or softaculous:ACT; command: a `plesk bin`
#                         utility); KEY operations: XML API packets of the one OPERATOR/OPERATION
#   log_lines DIR         how many requests DIR/requests.log holds (0 without one)
#   sim_assert_no_root_in_tenant_trees [DIR...]  a failure per line of each simulator's
#                         DIR/violations.log (the root-path guard: root acted inside a tenant's
#                         tree, tests/fakes/simlib/README.md), and one when a DIR has no guard;
#                         DIR: every simulator sim_start started when none is given.  Prints the
#                         count; true only when the whole test has no failure, so it can be the
#                         test's last command (after test_end)
#
# The catalog
#   artifacts TARGET      "id kind status location sha256" of TARGET's artifacts (--json list),
#                         newest first
#   good_count TARGET     how many of them are good
#   statedb SQL...        sqlite3 on STATE_DB (default $T/state/state.db), columns separated by
#                         one space
#   tree DIR              every path under DIR, sorted (empty when DIR is missing)
#
# A ping receiver (healthchecks-style monitoring)
#   pingd_start FILE      an HTTP server on 127.0.0.1 that appends each GET's path to FILE,
#                         each POST's as "POST PATH" (and "POST PATH", then the body, to
#                         FILE.body), and answers 200; its port in PING_PORT
#   pingd_stop            stops it (test_begin's exit does too)

_lib_at_exit=
_lib_sims=
_lib_pingd=

# shellcheck disable=SC2120 # its one option is optional
test_begin() {
    TEST_NAME=$(basename "$0" .sh)
    if [ "${1:-}" = --root ] && [ "$(id -u)" != 0 ]; then
        echo "$TEST_NAME: needs root for the simulators' sshd rigs; skipped"
        exit 77
    fi
    T=$(mktemp -d "/tmp/jiku-${TEST_NAME%_test}.XXXXXX")
    fails=0
    n=0
    trap _lib_cleanup EXIT
    trap 'exit 130' INT TERM
}

at_exit() {
    _lib_at_exit="$_lib_at_exit$1
"
}

_lib_cleanup() {
    eval "$_lib_at_exit"
    pingd_stop
    sims_stop
    rm -rf "$T"
}

test_end() {
    say "$TEST_NAME: $n runs, $fails failures"
    [ "$fails" = 0 ]
}

say() { printf '%s\n' "$*"; }
fail() {
    say "FAIL${FAIL_TAG:+[$FAIL_TAG]}: $*"
    fails=$((fails + 1))
}

run() {
    want=$1
    shift
    n=$((n + 1))
    rc=0
    timeout "${RUN_TIMEOUT:-300}" "$BIN" -c "${AGENT_CONF:-$T/agent.conf}" \
        ${ACTOR:+--actor "$ACTOR"} "$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
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
    grep -qF -- "$2" "$T/$1" || { fail "$1 lacks '$2'"; sed 's/^/  | /' "$T/$1" | head -20; }
}

hasnt() {
    ! grep -qF -- "$2" "$T/$1" || fail "$1 contains '$2'"
}

same() {
    [ "$(cat "$1" 2>/dev/null)" = "$2" ] ||
        fail "'$1' holds '$(cat "$1" 2>/dev/null)', expected '$2'"
}

agent_section() {
    printf '[agent]\nstate_dir = %s/state\nbackup_dir = %s/backups\npolicy_dir = %s\n' \
        "$T" "$T" "$POLICIES"
    printf 'plugin_dir = %s/plugins\n' "$T"
    for _line in "$@"; do printf '%s\n' "$_line"; done
    printf 'log = stderr\n'
}

retention_section() {
    printf '\n[retention]\nkeep_last = %s\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0\n' "$1"
    printf 'keep_safety = %s\nkeep_on_server = %s\n' "$2" "$3"
}

sim_server() {
    (
        panel=$1 name=$2
        # shellcheck disable=SC1091 # written by the simulator
        . "$3/env"
        shift 3
        case $panel in
        cpanel)
            host=$CPSIM_HOST api_port=$CPSIM_API_PORT api_user=$CPSIM_API_USER
            token=$CPSIM_TOKEN_FILE ca=$CPSIM_CA_FILE ssh_port=$CPSIM_SSH_PORT
            ssh_user=$CPSIM_SSH_USER ssh_key=$CPSIM_SSH_KEY known_hosts=$CPSIM_KNOWN_HOSTS
            snap=$CPSIM_SNAPSHOT_DIR web=$CPSIM_WEB_PORT
            own="softaculous_port = $CPSIM_CPANEL_PORT
pkgacct_sessions_dir = $CPSIM_PKGACCT_SESSIONS"
            ;;
        plesk)
            host=$PLSIM_HOST api_port=$PLSIM_API_PORT api_user=$PLSIM_API_USER
            token=$PLSIM_SECRET_KEY_FILE ca=$PLSIM_CA_FILE ssh_port=$PLSIM_SSH_PORT
            ssh_user=$PLSIM_SSH_USER ssh_key=$PLSIM_SSH_KEY known_hosts=$PLSIM_KNOWN_HOSTS
            snap=$PLSIM_SNAPSHOT_DIR own="dump_dir = $PLSIM_DUMP_DIR" web=$PLSIM_WEB_PORT
            ;;
        *) echo "sim_server: unknown panel '$panel'" >&2; exit 1 ;;
        esac
        cat <<CONF

[server $name]
panel = $panel
host = $host
api_port = $api_port
api_user = $api_user
api_token_file = $token
ca_file = $ca
ssh_port = $ssh_port
ssh_user = $ssh_user
ssh_key = $ssh_key
known_hosts = $known_hosts
snapshot_dir = $snap
web_port = $web
$own
CONF
        for line in "$@"; do printf '%s\n' "$line"; done
    )
}

sim_web_port() {
    (
        # shellcheck disable=SC1091 # written by the simulator
        . "$1/env"
        echo "${CPSIM_WEB_PORT:-${PLSIM_WEB_PORT:-}}"
    )
}

# The recorder test plugin (tests/plugins/recorder.c) RECORDER_SO installed as the cpanel plugin,
# fake credentials for it, its calls logged to $T/recorder.log; prints the [server web1] section
# that uses them (cli_test.sh, report_test.sh).
recorder_server() {
    mkdir -p "$T/conf.d" "$T/cred" && chmod 700 "$T/cred"
    install_plugin "$1" cpanel
    printf 'not-a-real-token\n' >"$T/cred/web1.token"
    printf 'not-a-real-key\n' >"$T/cred/id_ed25519"
    chmod 600 "$T/cred/web1.token" "$T/cred/id_ed25519"
    : >"$T/known_hosts"
    export JIKU_RECORDER_LOG="$T/recorder.log"
    printf '\n[server web1]\npanel = cpanel\nhost = 127.0.0.1\n'
    printf 'api_token_file = %s/cred/web1.token\nssh_key = %s/cred/id_ed25519\n' "$T" "$T"
    printf 'known_hosts = %s/known_hosts\n' "$T"
}
install_plugin() {
    _dir=${3:-$T/plugins}
    mkdir -p "$_dir" && chmod 755 "$_dir" && cp "$1" "$_dir/$2.so" && chmod 755 "$_dir/$2.so"
}

sim_start() {
    _sim=$1 _dir=$2
    shift 2
    # registered first: a simulator that fails half-way is stopped too
    _lib_sims="$_lib_sims$_sim
$_dir
"
    sh "$_sim" start "$_dir" "$@" >"$_dir.log" 2>&1 || {
        echo "simulator $_dir did not start:" >&2
        sed 's/^/  /' "$_dir.log" >&2
        return 1
    }
}

sims_stop() {
    printf '%s' "$_lib_sims" | while IFS= read -r _sim && IFS= read -r _dir; do
        sh "$_sim" stop "$_dir" >/dev/null 2>&1 || :
    done
    _lib_sims=
}

sim_assert_no_root_in_tenant_trees() {
    if [ $# -eq 0 ]; then
        # shellcheck disable=SC2046 # one word per simulator directory (mktemp names)
        set -- $(printf '%s' "$_lib_sims" | awk 'NR % 2 == 0')
    fi
    [ $# -gt 0 ] || fail "no simulator to check for root in tenant trees"
    _v=0
    for _d in "$@"; do
        if [ ! -f "$_d/violations.log" ] || [ ! -f "$_d/tenant-trees" ]; then
            fail "$(basename "$_d"): no root-path guard (violations.log, tenant-trees)"
            continue
        fi
        while IFS= read -r _line; do
            _v=$((_v + 1))
            fail "$(basename "$_d"): root in a tenant tree: $(printf '%s' "$_line" | python3 -c '
import json, sys
v = json.loads(sys.stdin.read())
if "guard_error" in v:
    print("guard error %s in %s" % (v["guard_error"], " ".join(v.get("argv", []))))
else:
    paths = []
    for h in v["hits"]:
        p = h["path"] if h["arg"] in (h["path"], "(cwd)") else "%s -> %s" % (h["arg"], h["path"])
        if p not in paths:
            paths.append(p)
    print("%s (cwd %s): %s" % (" ".join(v["argv"]), v["cwd"], "; ".join(paths)))
' 2>&1 | head -c 600)"
        done <"$_d/violations.log"
    done
    say "$TEST_NAME: $_v root actions in tenant trees"
    [ "$fails" = 0 ]
}

faults() { printf '%s\n' "$2" >"$1/faults.json"; }

logged() {
    case $2 in
    operations) grep -cF "\"operations\":[\"$3\"]" "$1/requests.log" ;;
    *) grep -cF "\"$2\":\"$3\"" "$1/requests.log" ;;
    esac
}

log_lines() {
    if [ -f "$1/requests.log" ]; then wc -l <"$1/requests.log"; else echo 0; fi
}

artifacts() {
    timeout 60 "$BIN" -c "${AGENT_CONF:-$T/agent.conf}" --json list "$1" 2>/dev/null | python3 -c '
import json, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
for line in sys.stdin:
    o = json.loads(line)
    if o.get("type") == "artifact":
        print(o["id"], o["kind"], o["status"], o.get("location") or "-", o.get("sha256") or "-")
' 2>/dev/null
}

good_count() { artifacts "$1" | awk '$3 == "good"' | wc -l; }

statedb() { sqlite3 -separator ' ' "${STATE_DB:-$T/state/state.db}" "$@"; }

tree() { (cd "$1" 2>/dev/null && find . -mindepth 1 | LC_ALL=C sort); }

# sum PATH...: a checksum of every path, type, size and content under each PATH
sum() {
    for p in "$@"; do
        if [ -d "$p" ]; then
            (cd "$p" && find . -printf '%p %y %s %m\n' | LC_ALL=C sort &&
                find . -type f -exec cat {} +)
        else
            cat "$p" 2>/dev/null || echo "missing $p"
        fi
    done | sha256sum
}

# site_db DIR: the database a WordPress site's wp-config.php names
site_db() { sed -n "s/.*define( 'DB_NAME', '\([^']*\)'.*/\1/p" "$1/wp-config.php"; }

pingd_start() {
    : >"$1"
    : >"$1.body"
    python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sys.argv[1], "a") as f:
            f.write(self.path + "\n")
        self.answer()
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(sys.argv[1] + ".body", "ab") as f:
            f.write(b"POST " + self.path.encode() + b"\n" + body + b"\n")
        with open(sys.argv[1], "a") as f:
            f.write("POST " + self.path + "\n")
        self.answer()
    def answer(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
' "$1" >"$T/pingport" 2>/dev/null &
    _lib_pingd=$!
    _i=0
    while [ ! -s "$T/pingport" ] && [ $_i -lt 50 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    [ -s "$T/pingport" ] || { fail "the ping receiver did not start"; exit 1; }
    # shellcheck disable=SC2034 # for the test
    PING_PORT=$(cat "$T/pingport")
}

pingd_stop() {
    [ -z "$_lib_pingd" ] || { kill "$_lib_pingd" 2>/dev/null; wait "$_lib_pingd" 2>/dev/null; }
    _lib_pingd=
}
