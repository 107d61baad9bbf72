"""The fake `df` both panel simulators put in DIR/ssh/bin: the real /usr/bin/df, except that
under faults.json "df" its POSIX output (-P) reports avail_bytes free, in the invocation's block
size, with Used = total - available (each README, "df")."""

import re
import subprocess
import sys


def run(argv, avail_bytes):
    """Run df ARGV; avail_bytes None = no fault.  Returns df's exit status."""
    real = subprocess.run(["/usr/bin/df"] + argv, stdout=subprocess.PIPE, stderr=sys.stderr)
    posix = any(a in ("-P", "--portability") or
                (a.startswith("-") and not a.startswith("--") and "P" in a) for a in argv)
    if avail_bytes is None or not posix or real.returncode != 0:
        sys.stdout.buffer.write(real.stdout)
        return real.returncode
    lines = real.stdout.decode().splitlines()
    m = re.match(r"Filesystem\s+(\d+)(?:-blocks|B-blocks)", lines[0])
    block = int(m.group(1)) if m else 1024  # "1K-blocks" (df -k) does not match
    res = [lines[0]]
    for line in lines[1:]:
        f = line.split()
        if len(f) < 6:
            res.append(line)
            continue
        total = int(f[1])
        avail = avail_bytes // block
        used = max(0, total - avail)
        cap = "%d%%" % (min(100, (used * 100 + total - 1) // total) if total else 100)
        res.append("%-14s %12d %12d %12d %8s %s" % (f[0], total, used, avail, cap,
                                                    " ".join(f[5:])))
    sys.stdout.write("\n".join(res) + "\n")
    return 0
