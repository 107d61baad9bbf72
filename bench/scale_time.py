#!/usr/bin/env python3
"""Time one command, best of several runs (bench/scale_catalog.sh).

    scale_time.py RUNS TIMEOUT_S COMMAND [ARG...]

Runs COMMAND RUNS times (stdin /dev/null, stdout discarded, stderr kept) and prints one JSON
object: the best wall time in ms (monotonic clock, the child reaped with wait4, so the timing
has no polling step), the spread (worst - best), the highest peak RSS in KiB of any run
(wait4's ru_maxrss) and the exit code of the last run.  A run past TIMEOUT_S is killed (exit
code 124).
"""

import json
import os
import signal
import subprocess
import sys
import time


def one(cmd, timeout):
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)

    def kill(_sig, _frame):
        proc.kill()

    signal.signal(signal.SIGALRM, kill)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    _, status, ru = os.wait4(proc.pid, 0)
    signal.setitimer(signal.ITIMER_REAL, 0)
    wall = time.monotonic() - t0
    proc.returncode = 0  # reaped above; keep Popen from waiting again
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        code = 124
    elif os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
    else:
        code = 128 + os.WTERMSIG(status)
    return wall * 1000.0, ru.ru_maxrss, code


def main(argv):
    if len(argv) < 4:
        sys.stderr.write("usage: scale_time.py RUNS TIMEOUT_S COMMAND [ARG...]\n")
        return 64
    runs, timeout, cmd = int(argv[1]), float(argv[2]), argv[3:]
    walls, rss, code = [], 0, 0
    for _ in range(runs):
        wall, maxrss, code = one(cmd, timeout)
        walls.append(wall)
        rss = max(rss, maxrss)
    print(json.dumps({"wall_ms": round(min(walls), 1), "spread_ms": round(max(walls) - min(walls), 1),
                      "rss_kib": rss, "exit_code": code}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
