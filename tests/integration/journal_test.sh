#!/bin/sh
# Logging to the journal (jiku-agent(8), MONITORING): in a private mount namespace a receiver
# stands in for journald on /run/systemd/journal/socket and keeps each datagram; the agent,
# without a terminal, sends its records there in the native protocol with the JIKU_* fields.
#
# usage: journal_test.sh JIKU_AGENT RECORDER_SO POLICY_DIR
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
RECORDER=$2
POLICIES=$3
test_begin --root
command -v unshare >/dev/null || { echo "journal_test: no unshare; skipped"; exit 77; }

mkdir -p "$T/dg"
{
    agent_section
    recorder_server "$RECORDER"
    cat <<CONF

[customer acme]
tier = medium

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
} >"$T/agent.conf.in"
sed 's/^log = stderr$/log = auto/' "$T/agent.conf.in" >"$T/agent.conf"

cat >"$T/receiver.py" <<'PY'
import os, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.2)
open(os.path.join(out, "ready"), "w").close()
n, deadline = 0, time.time() + 30
while time.time() < deadline and not os.path.exists(os.path.join(out, "stop")):
    try:
        d = s.recv(1 << 20)
    except socket.timeout:
        continue
    n += 1
    with open(os.path.join(out, "%04d.dg" % n), "wb") as f:
        f.write(d)
PY

# The agent runs inside the namespace, where /run is a fresh tmpfs holding only the socket.
# shellcheck disable=SC2016 # expanded by the inner shell
timeout 60 unshare -m sh -c '
    mount -t tmpfs none /run && mkdir -p /run/systemd/journal || exit 1
    python3 "$1/receiver.py" /run/systemd/journal/socket "$1/dg" & rp=$!
    i=0; while [ ! -e "$1/dg/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    "$2" -c "$1/agent.conf" snapshot acme/shop </dev/null >"$1/out1" 2>"$1/err1"; echo $? >"$1/rc1"
    "$2" -c "$1/agent.conf" snapshot highco/portal </dev/null >"$1/out2" 2>"$1/err2"; echo $? >"$1/rc2"
    sleep 0.5; : >"$1/dg/stop"; wait $rp' sh "$T" "$BIN" || fail "the namespace could not be set up"
n=$((n + 2))
same "$T/rc1" 0
same "$T/rc2" 77
[ -s "$T/err1" ] && fail "without a tty the agent wrote to stderr: $(cat "$T/err1")"

run1=$(statedb "SELECT id FROM runs WHERE command = 'snapshot' AND exit_code = 0")
run2=$(statedb "SELECT id FROM runs WHERE command = 'snapshot' AND exit_code = 77")
python3 - "$T/dg" "$run1" "$run2" <<'PY' || fail "journal records: see above"
import glob, struct, sys

def parse(d):
    """journald's native protocol: KEY=VALUE lines, or KEY, newline, 64-bit length, value."""
    fields, i = {}, 0
    while i < len(d):
        nl = d.index(b"\n", i)
        line = d[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k, (size,) = line, struct.unpack("<Q", d[nl + 1:nl + 9])
            v = d[nl + 9:nl + 9 + size]
            i = nl + 9 + size + 1
        fields[k.decode()] = v.decode()
    return fields

recs = [parse(open(p, "rb").read()) for p in sorted(glob.glob(sys.argv[1] + "/*.dg"))]
run1, run2 = sys.argv[2], sys.argv[3]
bad = []
for r in recs:
    if r.get("SYSLOG_IDENTIFIER") != "jiku-agent" or "PRIORITY" not in r or "MESSAGE" not in r:
        bad.append("a record without identifier, priority or message: %r" % r)

def find(what, **want):
    hits = [r for r in recs if all(r.get(k) == v for k, v in want.items())]
    if len(hits) != 1:
        bad.append("%d records (expected 1) for %s %r" % (len(hits), what, want))
    return hits[0] if hits else {}

op = find("the snapshot's end", JIKU_RUN=run1, JIKU_TARGET="acme/shop",
          JIKU_ACTION="server.snapshot", JIKU_RESULT="ok", JIKU_EXIT="0", PRIORITY="6")
den = find("the denial's end", JIKU_RUN=run2, JIKU_TARGET="highco/portal",
           JIKU_ACTION="server.snapshot", JIKU_RESULT="denied", JIKU_EXIT="77", PRIORITY="6")
s1 = find("run 1's summary", JIKU_RUN=run1, JIKU_RESULT="ok", JIKU_EXIT="0", PRIORITY="6",
          MESSAGE="snapshot: 1 ok, 0 failed, 0 denied, 0 skipped (exit 0)")
s2 = find("run 2's summary", JIKU_RUN=run2, JIKU_RESULT="failed", JIKU_EXIT="77",
          MESSAGE="snapshot: 0 ok, 0 failed, 1 denied, 0 skipped (exit 77)")
if "JIKU_TARGET" in s1:
    bad.append("the run's summary names a target: %r" % s1)
for b in bad:
    print("FAIL:", b)
if bad:
    for r in recs:
        print("  |", r)
sys.exit(1 if bad else 0)
PY

test_end
