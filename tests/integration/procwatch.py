#!/usr/bin/env python3
"""Watch /proc while the agent runs, for the secret canaries (secrets_test.sh).

    procwatch.py AGENT_PID SSHD_PID SIM_PID TEST_DIR [--environ-of-occ] < canaries

Until AGENT_PID ends (at most 120 s), every 50 ms: the agent and its threads' process, every
descendant of the agent, of the server's sshd (the sessions the agent opens and the commands
they run) and of the simulator (its panel jobs), and any process whose command line names
TEST_DIR (detached jobs).  Each canary (one a line on stdin: never in an argv) must be in none
of their /proc/PID/cmdline and /proc/PID/environ.  --environ-of-occ: a Nextcloud password is
meant to be in the environment of `php occ` (OC_PASS, --password-from-env), so only there is it
allowed, and only in the environment: never in any command line.

Prints "samples N", "sessions N" (processes of SSH sessions), "jobs N" (panel jobs), "occ N"
(occ processes), "seen COMM:N ...", then "LEAK WHAT of pid P (COMM)" for each leak.
Python 3 standard library only.
"""
import os
import sys
import time


def read(pid, name):
    try:
        with open("/proc/%d/%s" % (pid, name), "rb") as f:
            return f.read()
    except OSError:
        return None


def alive(pid):
    st = read(pid, "stat")
    return st is not None and st.rsplit(b")", 1)[1].split()[0] != b"Z"


def is_occ(cmdline):
    """`php occ ...`, as the real php or the simulator's (sh, then python3 -B nextcloud.py)."""
    words = [os.path.basename(w) for w in cmdline.split(b"\0")]
    return any(a == b"php" and b == b"occ" for a, b in zip(words, words[1:]))


def main(argv):
    environ_of_occ = "--environ-of-occ" in argv
    args = [a for a in argv[1:] if a != "--environ-of-occ"]
    agent, sshd, sim, tdir = int(args[0]), int(args[1]), int(args[2]), args[3].encode()
    canaries = [l.strip().encode() for l in sys.stdin if l.strip()]
    me = os.getpid()
    samples, seen, leaks = 0, {}, set()
    sessions, jobs, occs = set(), set(), set()
    deadline = time.time() + 120
    while time.time() < deadline and alive(agent):
        parent = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                st = read(int(d), "stat")
                if st:
                    parent[int(d)] = int(st.rsplit(b")", 1)[1].split()[1])

        def tree(root):
            found, grew = {root}, True
            while grew:
                kids = {p for p, pp in parent.items() if pp in found} - found
                found |= kids
                grew = bool(kids)
            return found

        watch = tree(agent) | tree(sim)
        sessions |= tree(sshd) - {sshd}
        watch |= tree(sshd)
        for p in parent:
            cmd = read(p, "cmdline")
            if cmd and tdir in cmd:
                watch.add(p)
        watch.discard(me)
        for p in watch:
            cmd = read(p, "cmdline") or b""
            occ = is_occ(cmd)
            if occ:
                occs.add(p)
            if b"\0job\0" in cmd:
                jobs.add(p)
            for name in ("cmdline", "environ"):
                data = cmd if name == "cmdline" else read(p, name)
                if data is None:
                    continue
                samples += 1
                comm = (read(p, "comm") or b"?").strip().decode(errors="replace")
                seen[comm] = seen.get(comm, 0) + 1
                if name == "environ" and occ and environ_of_occ:
                    continue
                if any(c in data for c in canaries):
                    leaks.add("%s of pid %d (%s)" % (name, p, comm))
        time.sleep(0.05)
    print("samples %d" % samples)
    print("sessions %d" % len(sessions))
    print("jobs %d" % len(jobs))
    print("occ %d" % len(occs))
    print("seen %s" % " ".join("%s:%d" % kv for kv in sorted(seen.items())))
    for leak in sorted(leaks):
        print("LEAK %s" % leak)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
