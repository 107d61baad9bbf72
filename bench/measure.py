#!/usr/bin/env python3
"""Run one command and measure it from outside (bench/run.sh).

    measure.py OUT.json TIMEOUT_S COMMAND [ARG...]

The command's stdin is /dev/null; its stdout and stderr are this script's.  OUT.json gets wall
seconds (monotonic clock), user and sys CPU seconds and peak RSS (KiB) of the command and its
waited-for children (wait4's rusage), its exit code, and VmRSS samples taken every 0.1 s
(min, max, count, the first and last), which show whether memory stays flat during a long
transfer.  A command past TIMEOUT_S gets SIGTERM, then SIGKILL 5 s later; exit code 124.
"""

import json
import os
import signal
import subprocess
import sys
import time


def vm_rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main(argv):
    if len(argv) < 4:
        sys.stderr.write("usage: measure.py OUT.json TIMEOUT_S COMMAND [ARG...]\n")
        return 64
    out, timeout, cmd = argv[1], float(argv[2]), argv[3:]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    samples = []
    timed_out = False
    status = None
    ru = None
    while True:
        pid, st, r = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            status, ru = st, r
            break
        rss = vm_rss_kib(proc.pid)
        if rss is not None:
            samples.append(rss)
        if time.monotonic() - t0 > timeout and not timed_out:
            timed_out = True
            proc.send_signal(signal.SIGTERM)
            kill_at = time.monotonic() + 5
        if timed_out and time.monotonic() > kill_at:
            proc.kill()
        time.sleep(0.1)
    wall = time.monotonic() - t0
    proc.returncode = 0  # reaped above; keep Popen from waiting again
    if timed_out:
        code = 124
    elif os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
    else:
        code = 128 + os.WTERMSIG(status)
    res = {
        "command": os.path.basename(cmd[0]),
        "exit_code": code,
        "wall_s": round(wall, 3),
        "user_s": round(ru.ru_utime, 3),
        "sys_s": round(ru.ru_stime, 3),
        "max_rss_kib": ru.ru_maxrss,
        "rss_samples": len(samples),
        "rss_min_kib": min(samples) if samples else None,
        "rss_max_kib": max(samples) if samples else None,
        "rss_first_kib": samples[0] if samples else None,
        "rss_last_kib": samples[-1] if samples else None,
    }
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
