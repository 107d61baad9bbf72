#!/usr/bin/env python3
"""Time one command for a row of "How cost grows" (bench/scale_catalog.sh, bench/scale_config.sh).

    scale_time.py --row NAME --n N --bar-ms MS --bar-n N [--runs 3] [--timeout S] [--by cpu]
                  [--cpu-file FILE] [--rate] -- COMMAND [ARG...]

Runs COMMAND --runs times (stdin /dev/null, stdout discarded, stderr kept) and prints one JSON
line for the benchmark's report (bench/report.py):
  {"row": NAME, "n": N, "wall_ms": best, "spread_ms": worst - best, "cpu_ms": of the best run,
   "rss_kib": highest peak, "exit_code": of the last run, "bar_ms": MS, "at_bar": true|false}
The wall time is taken on the monotonic clock with the child reaped by wait4, so it has no
polling step; CPU (user + sys) and peak RSS come from wait4's rusage.  --cpu-file takes the CPU
from FILE instead (microseconds, written by the planning probe, bench/plan_probe.c); --by cpu
judges the bar on CPU instead of wall time; --rate adds "per_s", N per second of the best wall
time.  "at_bar" is true only for N = --bar-n, where the bar applies.  A run past --timeout is
killed (exit code 124).
"""

import argparse
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
    return wall * 1000.0, (ru.ru_utime + ru.ru_stime) * 1000.0, ru.ru_maxrss, code


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--row", required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--bar-ms", type=float, required=True)
    ap.add_argument("--bar-n", type=int, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--by", choices=("wall", "cpu"), default="wall")
    ap.add_argument("--cpu-file")
    ap.add_argument("--rate", action="store_true")
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()
    walls, cpu, rss, code = [], 0.0, 0, 0
    for _ in range(a.runs):
        wall, used, maxrss, code = one(a.cmd, a.timeout)
        if not walls or wall < min(walls):
            cpu = used
        walls.append(wall)
        rss = max(rss, maxrss)
    if a.cpu_file:
        with open(a.cpu_file) as f:
            cpu = int(f.read().split()[0]) / 1000.0
    best = min(walls)
    row = {"row": a.row, "n": a.n, "wall_ms": round(best, 1),
           "spread_ms": round(max(walls) - best, 1), "cpu_ms": round(cpu, 1), "rss_kib": rss,
           "exit_code": code, "bar_ms": a.bar_ms, "by": a.by,
           "at_bar": a.n == a.bar_n}
    if a.rate:
        row["per_s"] = int(a.n / (best / 1000.0))
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
