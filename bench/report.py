#!/usr/bin/env python3
"""Turn the raw numbers of one bench/run.sh run into bench/RESULTS.md (markdown on stdout).

    report.py WORKDIR PHASES
"""

import json
import math
import os
import sys


def env(path):
    """KEY=VALUE lines."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                k, sep, v = line.rstrip("\n").partition("=")
                if sep:
                    out[k] = v
    except OSError:
        pass
    return out


def js(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def verdict(ok, miss):
    return "**pass**" if ok else "**miss** (%s)" % miss


def fleet(t, lines, notes):
    e = env(os.path.join(t, "fleet.env"))
    a = js(os.path.join(t, "fleet-agent.json"))
    s = js(os.path.join(t, "fleet-sims.json"))
    if not e or not a or not s:
        lines.append("Fleet phase: no results (see the work directory).\n")
        return
    S, A, J, P = int(e["S"]), int(e["A"]), float(e["J"]), int(e["P"])
    ncpu = int(env(os.path.join(t, "machine.env")).get("nproc", "1"))
    ok, failed, code = (e.get("summary") or "0 0 ?").split()
    ops = int(ok) + int(failed)
    floor = math.ceil(A / P) * J
    wall = a["wall_s"]
    cpu = a["user_s"] + a["sys_s"]
    per_op = cpu * 1000 / ops if ops else float("nan")
    rss = a["max_rss_kib"] / 1024
    https_cpu = int(e.get("sims_cpu_usec", "0")) / 1e6
    sshd_cpu = int(e.get("sshd_cpu_usec", "0")) / 1e6
    sims_cpu = https_cpu + sshd_cpu
    busy = float(e.get("machine_busy_s", "0"))
    others = max(0.0, busy - sims_cpu - cpu)
    durs = []
    try:
        with open(os.path.join(t, "fleet-agent.out")) as f:
            for line in f:
                o = json.loads(line)
                if o.get("type") == "operation" and o.get("duration_ms") is not None:
                    durs.append(o["duration_ms"] / 1000)
    except (OSError, ValueError):
        pass
    durs.sort()
    dstat = ((durs[len(durs) // 2], sum(durs) / len(durs), durs[-1]) if durs
             else (float("nan"),) * 3)
    tls_total = s["tls_full"] + s["tls_resumed"]
    bar_hs = S * P
    overshoot = s.get("overshoot_s", {})
    lines += [
        "## Fleet: `nightly` on S = %d servers x A = %d accounts, J = %g s, P = %d "
        "(global max_parallel %d)" % (S, A, J, P, S * P),
        "",
        "| measure | value | bar | verdict |",
        "|---|---|---|---|",
        "| operations (ok / failed), exit code | %s / %s, %s | all ok, 0 | %s |"
        % (ok, failed, code, verdict(int(failed) == 0 and code == "0" and ops == S * A,
                                      "not every operation succeeded")),
        "| wall time | %.2f s (floor %g s: %.3f x floor) | <= %.2f s (1.15 x floor) | %s |"
        % (wall, floor, wall / floor, 1.15 * floor,
           verdict(wall <= 1.15 * floor, "%.2f s over, %.1f %% above the floor"
                   % (wall - 1.15 * floor, (wall / floor - 1) * 100))),
        "| agent CPU (user + sys) | %.3f s + %.3f s = %.3f s: %.2f ms per operation | "
        "<= 2 ms per operation | %s |"
        % (a["user_s"], a["sys_s"], cpu, per_op,
           verdict(per_op <= 2, "%.2f ms over, %.1fx" % (per_op - 2, per_op / 2))),
        "| agent peak RSS | %.1f MiB | <= 32 MiB | %s |"
        % (rss, verdict(rss <= 32, "%.1f MiB over" % (rss - 32))),
        "| TLS handshakes (simulators' OpenSSL counters) | %d full + %d resumed = %d "
        "(most on one server: %d) | <= S x P = %d | full: %s; all: %s |"
        % (s["tls_full"], s["tls_resumed"], tls_total, s["tls_max_per_server"], bar_hs,
           verdict(s["tls_full"] <= bar_hs, "%d over" % (s["tls_full"] - bar_hs)),
           verdict(tls_total <= bar_hs, "%d over, %.1fx" % (tls_total - bar_hs,
                                                              tls_total / bar_hs))),
        "| SSH handshakes (sshd logs: connections / authenticated) | %d / %d (most on one "
        "server: %d) | <= S x P = %d | %s |"
        % (s["ssh_connections"], s["ssh_auth"], s["ssh_max_per_server"], bar_hs,
           verdict(s["ssh_connections"] <= bar_hs, "%d over" % (s["ssh_connections"] - bar_hs))),
        "| simulators' CPU during the run (cgroups) | %.1f s: HTTPS servers and pkgacct jobs "
        "%.1f s, sshd with its sessions and commands %.1f s | (context) | |"
        % (sims_cpu, https_cpu, sshd_cpu),
        "| the machine's busy CPU during the run (/proc/stat) | %.1f s of %.1f s available "
        "(%d CPUs x wall): agent %.1f s, simulators %.1f s, everything else on the machine "
        "%.1f s | (context) | |" % (busy, ncpu * wall, ncpu, cpu, sims_cpu, others),
        "| operation duration (the job alone: J = %g s) | median %.2f s, mean %.2f s, "
        "max %.2f s | | |" % ((J,) + dstat),
        "| API requests | %s | | |"
        % ", ".join("%s %d" % (k, v) for k, v in sorted(s["requests"].items())),
        "| polls per job; end of job to last poll | %s per job (max %s); %.2f s mean, "
        "%.2f s max | neither hammer nor overshoot | |"
        % (s.get("polls_per_job", {}).get("mean"), s.get("polls_per_job", {}).get("max"),
           overshoot.get("mean", float("nan")), overshoot.get("max", float("nan"))),
        "",
    ]
    notes.append(
        "TLS: every `start_background_pkgacct` goes out on a connection of its own "
        "(`CURLOPT_FRESH_CONNECT`), on purpose: libcurl silently re-sends a request whose "
        "reused connection died before the answer, and a re-sent start call is a second "
        "pkgacct (docs/WIRE.md §1.3), closed after it. So there is one extra handshake per "
        "operation (%d operations), but it resumes the TLS session (the server's TLS session "
        "cache the agent keeps per server, the server's ticket): "
        "%d of the %d handshakes were resumed, and only %d were full handshakes (certificate "
        "chain, key exchange with signatures), against a bar of S x P = %d. The state call, "
        "accountsummary and log fetches reuse keep-alive connections."
        % (ops, s["tls_resumed"], tls_total, s["tls_full"], bar_hs))
    if wall > 1.15 * floor:
        notes.append(
            "Wall time: the floor counts only the J seconds of each pkgacct job. Every "
            "operation also has fixed steps around the job (accountsummary, `df` and `mkdir` "
            "over SSH before the start call; the log fetch and the `md5sum` check after), the "
            "simulator's job needs a Python start-up and a tar before its last log line, and "
            "the agent learns of the end %.2f s after the job's last log line on average (its "
            "wait on the server, then one state call); each of the ceil(A/P) = %d rounds on a "
            "server pays all of "
            "that (median operation %.2f s for a %g s job). During the run the simulators "
            "used %.1f CPU-seconds and other work on the machine %.1f, of %.1f available "
            "(%d CPUs x %.1f s): the agent's threads and the simulators' jobs waited for a "
            "CPU, which stretches every step above."
            % (overshoot.get("mean", float("nan")), math.ceil(A / P), dstat[0], J, sims_cpu,
               others, ncpu * wall, ncpu, wall))


def baseline(t, lines, notes):
    e = env(os.path.join(t, "base.env"))
    a = js(os.path.join(t, "base-agent.json"))
    loop = js(os.path.join(t, "base-loop.json"))
    if not e or not a or not loop:
        lines.append("Baseline phase: no results (see the work directory).\n")
        return
    S, A, J, P = int(e["S"]), int(e["A"]), float(e["J"]), int(e["P"])
    ok, failed, code = (e.get("summary") or "0 0 ?").split()
    floor = math.ceil(A / P) * J
    ratio = loop["wall_s"] / a["wall_s"]
    lines += [
        "## Against today's practice: S = %d, A = %d, J = %g s, P = %d" % (S, A, J, P),
        "",
        "| run | wall time | CPU (user + sys) | result |",
        "|---|---|---|---|",
        "| `jiku-agent nightly` | %.2f s (floor %g s) | %.2f s | %s ok, %s failed, exit %s |"
        % (a["wall_s"], floor, a["user_s"] + a["sys_s"], ok, failed, code),
        "| `bench/baseline.sh` (curl + ssh, one account after another, polls once a second) "
        "| %.2f s | %.2f s | %s |"
        % (loop["wall_s"], loop["user_s"] + loop["sys_s"], e.get("loop", "?")),
        "| ratio (loop / agent) | **%.1fx** | goal >= 10x | %s |"
        % (ratio, verdict(ratio >= 10, "%.1fx short" % (10 - ratio))),
        "",
    ]


def transfer(t, lines, notes):
    e = env(os.path.join(t, "xfer.env"))
    runs = []
    try:
        with open(os.path.join(t, "xfer.runs")) as f:
            for line in f:
                parts = line.split(" ", 4)
                runs.append((parts[0], parts[1], json.loads(parts[2]), json.loads(parts[3]),
                             json.loads(parts[4])))
    except (OSError, ValueError, IndexError):
        pass
    if not e or not runs:
        lines.append("Transfer phase: no results (see the work directory).\n")
        return
    mib = int(e["bytes"]) / 1048576
    try:
        with open(os.path.join(t, "xfer.ciphers")) as f:
            ciphers = "; ".join(" ".join(x.split()[1:]) + " (x%s)" % x.split()[0]
                                for x in f.read().splitlines())
    except OSError:
        ciphers = "?"
    lines += [
        "## Transfer: %.0f MiB over loopback SFTP" % mib,
        "",
        "| destination, round | OpenSSH `sftp -c aes128-ctr -o MACs=hmac-sha2-256` | agent core "
        "(`jiku_sftp_get`: md5 + sha256 on the fly, fsync, rename) | agent CPU | agent RSS "
        "(largest of the 0.1 s samples; peak) |",
        "|---|---|---|---|---|",
    ]
    best = {}
    for rnd, dest, o, am, ao in runs:
        lines.append("| %s, %d | %.2f s, %.0f MiB/s | %.2f s, %.0f MiB/s | %.2f s user, "
                     "%.2f s sys | %.1f MiB; %.1f MiB |"
                     % (dest, int(rnd), o["wall_s"], mib / o["wall_s"], ao["seconds"],
                        mib / ao["seconds"], am["user_s"], am["sys_s"],
                        (am["rss_max_kib"] or 0) / 1024, am["max_rss_kib"] / 1024))
        bo, ba, br = best.get(dest, (1e9, 1e9, 0))
        best[dest] = (min(bo, o["wall_s"]), min(ba, ao["seconds"]),
                      max(br, am["max_rss_kib"] / 1024))
    for dest, (bo, ba, br) in best.items():
        ratio = bo / ba
        if dest == "disk":
            v = "**%.2fx** (bar >= 0.5x) %s" % (
                ratio, verdict(ratio >= 0.5, "%.2fx short" % (0.5 - ratio)))
        else:
            v = "%.2fx (no fsync cost in tmpfs: shows where the time goes)" % ratio
        lines.append("| best, %s | %.0f MiB/s | %.0f MiB/s; agent / OpenSSH %s | | peak "
                     "%.1f MiB for a %.0f MiB file: %s |"
                     % (dest, mib / bo, mib / ba, v, br, mib, "flat" if br < 64 else "not flat"))
    lines += [
        "",
        "Both clients write into the same directory (disk: the work directory's file system; "
        "tmpfs: /dev/shm). Negotiated (sshd's log): %s. Checksums: the agent's md5 and sha256 "
        "and both copies were compared with the source file's; the OpenSSH time is the "
        "download alone (no checksum, no fsync), so the ratio is conservative." % ciphers,
        "",
    ]


# The bars of "How cost grows" (bench/README.md): row name -> (what the bar names, unit).
SCALE_BARS = {
    "config check": "10,000 targets in 1,000 files over 100 servers",
    "policy explain": "the same configuration",
    "nightly planning": "10,000 targets: CPU before the first start call",
    "catalog list TARGET": "1,000,000 artifacts over 10,000 targets",
    "catalog prune --dry-run TARGET": "the same catalog: retention decided",
    "audit verify": "10,000,000 records, memory flat",
}


def scale(t, lines, notes):
    rows = []
    try:
        with open(os.path.join(t, "scale.jsonl")) as f:
            rows = [json.loads(x) for x in f if x.strip()]
    except (OSError, ValueError):
        pass
    if not rows:
        lines.append("Scale phase: no results (see the work directory).\n")
        return
    lines += [
        "## How cost grows",
        "",
        "Each command is timed best of 3 (`bench/scale_time.py`: wall on the monotonic clock, "
        "CPU and peak RSS from wait4); the planning row is one run, its CPU taken by the "
        "planning probe (`bench/plan_probe.c`) at the first start call. States are made "
        "through the agent's own code (`bench/scale_gen.c`, `bench/scale_audit.c`, "
        "`bench/scale_config.py`).",
        "",
        "| measure | bar | curve (n: wall ms / CPU ms / peak RSS MiB) | at the bar's size | verdict |",
        "|---|---|---|---|---|",
    ]
    for name, what in SCALE_BARS.items():
        mine = sorted((r for r in rows if r["row"] == name), key=lambda r: r["n"])
        if not mine:
            continue
        by = mine[0].get("by", "wall")
        curve = "; ".join("%s: %.0f / %.0f / %.1f" % (human(r["n"]), r["wall_ms"], r["cpu_ms"],
                                                      r["rss_kib"] / 1024) for r in mine)
        at = [r for r in mine if r["at_bar"]]
        if at:
            r = at[0]
            value = r["cpu_ms"] if by == "cpu" else r["wall_ms"]
            bar = r["bar_ms"]
            extra = ", %d records/s" % r["per_s"] if "per_s" in r else ""
            got = "%.0f ms %s%s" % (value, "CPU" if by == "cpu" else "wall", extra)
            v = verdict(value <= bar, "%.1f ms over, %.2fx" % (value - bar, value / bar))
            if r.get("exit_code", 0) not in (0, 3):
                v += " (exit code %d)" % r["exit_code"]
        else:
            bar = mine[0]["bar_ms"]
            got, v = "not measured at the bar's size", "—"
        lines.append("| %s (%s) | <= %.0f ms | %s | %s | %s |" % (name, what, bar, curve, got, v))
    lines.append("")
    if any(r["row"].startswith("catalog prune") and r.get("exit_code") == 3 for r in rows):
        notes.append("`prune TARGET` exits 3 in the scale rows: its catalog's server has no SSH "
                     "listener, so the sweep of the server's snapshot_dir that follows the "
                     "retention decision fails at once (connection refused); what is timed is "
                     "the decision, the holds and the audit records of a dry run.")
    try:
        with open(os.path.join(t, "fsyncs.txt")) as f:
            notes.append("State writes: %s (`bench/fsyncs.sh`, strace of `nightly` with the "
                         "recorder plugin)." % f.read().strip())
    except OSError:
        pass


def human(n):
    for div, suffix in ((1000000, "M"), (1000, "k")):
        if n >= div and n % div == 0:
            return "%d%s" % (n // div, suffix)
    return str(n)


def main(argv):
    t, phases = argv[1], argv[2].split(",")
    m = env(os.path.join(t, "machine.env"))
    lines = [
        "# Benchmark results",
        "",
        "Measured by `bench/run.sh` (see `bench/README.md`); numbers as measured, one run.",
        "",
        "| machine | |",
        "|---|---|",
        "| date (UTC) | %s |" % m.get("date", "?"),
        "| CPUs (nproc) | %s |" % m.get("nproc", "?"),
        "| CPU model | %s |" % m.get("cpu", "?"),
        "| RAM | %s MiB |" % m.get("mem_mib", "?"),
        "| OS, kernel | %s, %s |" % (m.get("os", "?"), m.get("kernel", "?")),
        "| load average at start (1/5/15 min) | %s |" % m.get("load", "?"),
        "| commit | %s |" % m.get("commit", "?"),
        "| libssh2, libcurl, OpenSSH | %s, %s, %s |"
        % (m.get("libssh2", "?"), m.get("libcurl", "?"), m.get("openssh", "?")),
        "",
    ]
    notes = []
    if "fleet" in phases:
        fleet(t, lines, notes)
    if "baseline" in phases:
        baseline(t, lines, notes)
    if "transfer" in phases:
        transfer(t, lines, notes)
    if "scale" in phases:
        scale(t, lines, notes)
    if notes:
        lines += ["## Notes", ""] + ["- " + n for n in notes] + [""]
    sys.stdout.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
