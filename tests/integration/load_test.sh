#!/bin/sh
# Load with faults: `nightly` of the real jiku-agent binary over 1,000 targets on 10 servers,
# the recorder test plugin (tests/plugins/recorder.c) standing in for every panel, with faults
# injected at random ($JIKU_RECORDER_FAULTS=SEED:PERCENT): a panel job that failed, a server
# unreachable, a bad answer, a slow job.  For seeds 1, 2 and 3, each run bounded in time, as
# cron runs it (no tty) and with --json: every configured target is reported exactly once —
# done with an artifact that is good in the catalog and whose checksums hold, or failed or
# denied with a reason and the exit code of the fault (or the policy) behind it — none lost,
# none silently skipped; the summary's counts and the exit code (3, partial) agree.
#
# The expected fault of each target is recomputed here, independently of the plugin, from the
# rule the recorder documents (FNV-1a of "SEED:TARGET"); the expected denials from the tiers
# and the contract overrides this test writes.
#
# usage: load_test.sh JIKU_AGENT RECORDER_SO POLICY_DIR [TARGETS [SERVERS [PERCENT]]]
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
RECORDER=$2
POLICIES=$3
TARGETS=${4:-1000}
SERVERS=${5:-10}
PERCENT=${6:-30}
SEEDS="1 2 3"
# One nightly over the whole fleet; measured at 1,000 targets: see the wall times printed.
RUN_TIMEOUT=${LOAD_RUN_TIMEOUT:-300}
test_begin

mkdir -p "$T/cred" && chmod 700 "$T/cred"
install_plugin "$RECORDER" cpanel
printf 'not-a-real-token\n' >"$T/cred/token"
printf 'not-a-real-key\n' >"$T/cred/id_ed25519"
chmod 600 "$T/cred/token" "$T/cred/id_ed25519"
: >"$T/known_hosts"

# --- the fleet ----------------------------------------------------------------------------------
# Customers: lowco (low tier: everything is JIKU's), medco (medium, with application snapshots
# booked: its WordPress backups stay "open", so denied), highco (high, with server backups
# booked: everything else is the customer's, so denied).  Target i: server web(i % SERVERS),
# customer by i % 5 (lowco, lowco, medco, medco, highco), a WordPress site when i % 3 == 0 (an
# account otherwise), nightly snapshot when i is even, backup when odd; every target has its
# own account, so no two wait for one lock.
{
    agent_section "max_parallel = 16" "lock_wait = 60"
    retention_section 5 1 5
    s=1
    while [ "$s" -le "$SERVERS" ]; do
        printf '\n[server web%02d]\npanel = cpanel\nhost = 127.0.0.1\n' "$s"
        printf 'api_token_file = %s\nssh_key = %s\nknown_hosts = %s\nmax_parallel = 4\n' \
            "$T/cred/token" "$T/cred/id_ed25519" "$T/known_hosts"
        s=$((s + 1))
    done
} >"$T/agent.conf"
mkdir -p "$T/conf.d"
python3 - "$T/conf.d" "$TARGETS" "$SERVERS" <<'PY'
import sys
confd, n, servers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
heads = {
    "lowco": "tier = low\n",
    "medco": "tier = medium\napplication.snapshot = jiku\n",
    "highco": "tier = high\nserver.backup = jiku\n",
}
files = {c: ["[customer %s]\n%s" % (c, h)] for c, h in heads.items()}
customers = ["lowco", "lowco", "medco", "medco", "highco"]
for i in range(1, n + 1):
    c = customers[i % 5]
    lines = ["", "[target %s/t%04d]" % (c, i), "server = web%02d" % (i % servers + 1)]
    if i % 3 == 0:
        lines += ["kind = wordpress", "account = u%04d" % i, "domain = t%04d.example" % i]
    else:
        lines += ["kind = account", "account = u%04d" % i]
    lines.append("nightly = %s" % ("snapshot" if i % 2 == 0 else "backup"))
    files[c].append("\n".join(lines) + "\n")
for k, (c, parts) in enumerate(sorted(files.items())):
    with open("%s/%d-%s.conf" % (confd, 10 * (k + 1), c), "w") as f:
        f.write("".join(parts))
PY
run 0 config check || { test_end; exit 1; }

# expect SEED: "TARGET STATUS EXIT_CODE VERB" for every configured target, sorted: what this
# seed must give, from the policy above and the recorder's documented fault rule.
expect() {
    python3 - "$1" "$PERCENT" "$TARGETS" "$SERVERS" <<'PY'
import sys
seed, percent, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
customers = ["lowco", "lowco", "medco", "medco", "highco"]
def fault(target):
    h = 0xcbf29ce484222325
    for b in ("%s:%s" % (seed, target)).encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    if h % 100 >= percent:
        return "none"
    return ["panel", "unreachable", "data", "slow"][h // 100 % 4]
code = {"panel": 1, "unreachable": 69, "data": 65}
out = []
for i in range(1, n + 1):
    c, wp, verb = customers[i % 5], i % 3 == 0, "snapshot" if i % 2 == 0 else "backup"
    t = "%s/t%04d" % (c, i)
    allowed = (c == "lowco" or (c == "medco" and (not wp or verb == "snapshot"))
               or (c == "highco" and not wp and verb == "backup"))
    f = fault(t)
    if not allowed:
        out.append("%s denied 77 %s" % (t, verb))
    elif f in code:
        out.append("%s failed %d %s" % (t, code[f], verb))
    else:
        out.append("%s ok 0 %s" % (t, verb))
print("\n".join(sorted(out)))
PY
}

# check_json SEED RUNS: the --json lines in $T/out against $T/expect; the catalog after RUNS
# nightly runs with this seed (each target's good artifacts: one per ok run, never a pending
# or failed row, a backup's archive and manifest as the catalog says, no leftovers of a failed
# backup).  Prints the problems, one a line; none when all is well.
check_json() {
    python3 - "$T/out" "$T/expect" "$T/state/state.db" "$T/backups" "$2" <<'PY'
import hashlib, json, os, sqlite3, sys
out, expect, db, backups, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
problems = []
want = {}
for line in open(expect):
    t, status, code, verb = line.split()
    want[t] = (status, int(code), verb)
seen, summary, ops = {}, None, []
for n, line in enumerate(open(out), 1):
    try:
        o = json.loads(line)
    except ValueError:
        problems.append("line %d is not JSON: %r" % (n, line[:200]))
        continue
    if o.get("type") == "operation":
        ops.append(o)
    elif o.get("type") == "summary":
        if summary is not None:
            problems.append("a second summary line")
        summary = o
for o in ops:
    t = o.get("target")
    if t in seen:
        problems.append("%s reported twice" % t)
    seen[t] = o
lost = sorted(set(want) - set(seen))
if lost:
    problems.append("%d targets lost (no line), e.g. %s" % (len(lost), " ".join(lost[:5])))
extra = sorted(set(seen) - set(want))
if extra:
    problems.append("lines for targets not configured: %s" % " ".join(extra[:5]))
con = sqlite3.connect(db)
rows = {}
for r in con.execute("SELECT id, target, kind, status, location, backup_path, size, sha256 "
                     "FROM artifacts"):
    rows.setdefault(r[1], []).append(r)
    if r[3] != "good":
        problems.append("artifact %s of %s is %s" % (r[0], r[1], r[3]))
counts = {"ok": 0, "failed": 0, "denied": 0, "skipped": 0}
for t, (status, code, verb) in want.items():
    o = seen.get(t)
    if o is None:
        continue
    counts[o["status"]] = counts.get(o["status"], 0) + 1
    action = ("application." if int(t[-4:]) % 3 == 0 else "server.") + verb
    if o["status"] != status or o["exit_code"] != code:
        problems.append("%s: %s exit %s (%s), expected %s exit %d" %
                        (t, o["status"], o["exit_code"], o.get("error"), status, code))
        continue
    if o["action"] != action:
        problems.append("%s: action %s, expected %s" % (t, o["action"], action))
    mine = rows.get(t, [])
    if status != "ok":
        if not o.get("error"):
            problems.append("%s: %s without a reason" % (t, status))
        if o.get("artifact"):
            problems.append("%s: %s with an artifact %s" % (t, status, o["artifact"]))
        if mine:
            problems.append("%s: %s but the catalog has %s" % (t, status, [r[0] for r in mine]))
        d = os.path.join(backups, t)
        if os.path.isdir(d) and os.listdir(d):
            problems.append("%s: %s left %s" % (t, status, os.listdir(d)))
        continue
    aid = o.get("artifact")
    row = [r for r in mine if r[0] == aid]
    if not aid or not row:
        problems.append("%s: ok, artifact %r not in the catalog" % (t, aid))
        continue
    _, _, kind, st, location, backup_path, size, sha = row[0]
    if len(mine) != runs:
        problems.append("%s: %d artifacts after %d ok runs" % (t, len(mine), runs))
    if kind != verb or st != "good":
        problems.append("%s: artifact %s is a %s %s" % (t, aid, st, kind))
    if sha != hashlib.sha256(aid.encode()).hexdigest() or location != "/fake/%s.tar.gz" % aid:
        problems.append("%s: artifact %s has sha256 %s, location %s" % (t, aid, sha, location))
    if verb == "backup":
        try:
            data = open(backup_path, "rb").read()
            man = json.load(open(os.path.join(os.path.dirname(backup_path), "manifest.json")))
        except (OSError, TypeError, ValueError) as e:
            problems.append("%s: backup %s: %s" % (t, aid, e))
            continue
        if hashlib.sha256(data).hexdigest() != sha or len(data) != size:
            problems.append("%s: backup %s does not match its catalog row" % (t, aid))
        if man.get("sha256") != sha:
            problems.append("%s: manifest of %s says sha256 %s" % (t, aid, man.get("sha256")))
if summary is None:
    problems.append("no summary line")
else:
    got = {k: summary.get(k) for k in counts}
    if got != counts:
        problems.append("summary %s, the lines count %s" % (got, counts))
    exp = {k: 0 for k in counts}
    for status, _, _ in want.values():
        exp[status] += 1
    if got != exp:
        problems.append("summary %s, expected %s" % (got, exp))
    if summary.get("exit_code") != (3 if exp["ok"] and exp["failed"] + exp["denied"] else 0):
        problems.append("summary exit_code %s" % summary.get("exit_code"))
running = con.execute("SELECT COUNT(*) FROM operations WHERE status = 'running'").fetchone()[0]
if running:
    problems.append("%d operations still 'running' in the catalog" % running)
for p in problems:
    print(p)
PY
}

# check_cron: the cron-style run's stderr in $T/err names each failed or denied target of
# $T/expect on exactly one line, and no target that was done.
check_cron() {
    python3 - "$T/err" "$T/expect" <<'PY'
import re, sys
err, expect = sys.argv[1], sys.argv[2]
want = {}
for line in open(expect):
    t, status, _, _ = line.split()
    want[t] = status
lines = {}
for line in open(err, errors="replace"):
    for t in set(re.findall(r"\b(?:lowco|medco|highco)/t\d{4}\b", line)):
        lines[t] = lines.get(t, 0) + 1
problems = []
for t, status in sorted(want.items()):
    n = lines.get(t, 0)
    if status == "ok" and n:
        problems.append("%s was done but stderr names it %d times" % (t, n))
    if status != "ok" and n != 1:
        problems.append("%s is %s but stderr names it %d times" % (t, status, n))
for p in problems[:20]:
    print(p)
PY
}

# report TEXT FILE: each line of FILE (the problems a check printed) is a failure
report() {
    [ -s "$2" ] || return 0
    fail "$1: $(wc -l <"$2") problems"
    sed 's/^/  | /' "$2" | head -30
}

run_timed() {
    t0=$(date +%s%N)
    run "$@"
    took=$((($(date +%s%N) - t0) / 1000000))
}

for seed in $SEEDS; do
    FAIL_TAG="seed $seed"
    rm -rf "$T/state" "$T/backups"
    expect "$seed" >"$T/expect"
    n_ok=$(grep -c ' ok ' "$T/expect")
    n_failed=$(grep -c ' failed ' "$T/expect")
    n_denied=$(grep -c ' denied ' "$T/expect")
    # the seed must inject every kind of fault, or this run proves less than it claims
    for code in 1 65 69; do
        grep -q " failed $code " "$T/expect" || fail "seed $seed injects no fault with exit $code"
    done
    [ "$n_ok" -gt 0 ] || fail "seed $seed leaves nothing to do"

    export JIKU_RECORDER_FAULTS="$seed:$PERCENT"
    export JIKU_RECORDER_LOG="$T/recorder.log"
    : >"$T/recorder.log"
    # as cron runs it: silent on success, one stderr line per failed or denied target
    run_timed 3 nightly
    cron_ms=$took
    [ -s "$T/out" ] && fail "nightly without a tty printed its successes: $(head -3 "$T/out")"
    check_cron >"$T/problems"
    report "cron output" "$T/problems"
    # every allowed target reached the plugin exactly once, with its nightly verb
    awk '{ print $2, $1 }' "$T/recorder.log" | LC_ALL=C sort >"$T/called"
    awk '$2 != "denied" { print $1, $4 }' "$T/expect" >"$T/should-call"
    cmp -s "$T/called" "$T/should-call" ||
        fail "the plugin's calls differ from the allowed targets: $(diff "$T/should-call" \
            "$T/called" | head -5 | tr '\n' ' ')"

    : >"$T/recorder.log"
    run_timed 3 --json nightly
    json_ms=$took
    check_json "$seed" 2 >"$T/problems"
    report "--json nightly" "$T/problems"
    run 0 verify --all

    unset JIKU_RECORDER_FAULTS
    say "seed $seed: $TARGETS targets: $n_ok ok, $n_failed failed, $n_denied denied;" \
        "nightly ${cron_ms} ms, --json nightly ${json_ms} ms"
done
FAIL_TAG=

# a malformed fault setting fails every call instead of injecting nothing
JIKU_RECORDER_FAULTS=x:10 run 1 snapshot lowco/t0005 && has err "JIKU_RECORDER_FAULTS"

test_end
