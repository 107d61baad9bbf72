#!/usr/bin/env python3
"""What the simulators saw during a benchmark run (bench/run.sh), counted on their side.

    sim_stats.py SIMDIR...      (after `sim.sh stop`, which writes DIR/tls_stats.json)

Prints one JSON object:
  tls_full, tls_resumed      TLS handshakes the HTTPS servers accepted (OpenSSL's session
                             counters: accept_good, of which hits were resumed sessions)
  tls_max_per_server         the most handshakes (full + resumed) one server accepted
  ssh_connections            "Connection from" lines in the sshd logs (one per TCP connection)
  ssh_auth                   "Accepted publickey" lines (authenticated SSH sessions)
  ssh_max_per_server
  requests                   API requests per function, all servers together
  jobs                       pkgacct sessions
  polls_per_job              get_pkgacct_session_state requests per pkgacct session (mean, max)
  overshoot_s                time from a job's last log line to the agent's last poll of it
                             (mean, max): how late the agent noticed the end
"""

import datetime
import json
import os
import sys


def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def main(argv):
    out = {"servers": 0, "tls_full": 0, "tls_resumed": 0, "tls_max_per_server": 0,
           "ssh_connections": 0, "ssh_auth": 0, "ssh_max_per_server": 0, "requests": {},
           "jobs": 0}
    polls, overshoot = [], []
    for d in argv[1:]:
        out["servers"] += 1
        try:
            with open(os.path.join(d, "tls_stats.json")) as f:
                st = json.load(f)
            good, hits = st.get("accept_good", 0), st.get("hits", 0)
            out["tls_full"] += good - hits
            out["tls_resumed"] += hits
            out["tls_max_per_server"] = max(out["tls_max_per_server"], good)
        except (OSError, ValueError):
            out["tls_stats_missing"] = out.get("tls_stats_missing", 0) + 1
        conns = auth = 0
        try:
            with open(os.path.join(d, "ssh", "sshd.log"), errors="replace") as f:
                for line in f:
                    if line.startswith("Connection from "):
                        conns += 1
                    elif line.startswith("Accepted publickey "):
                        auth += 1
        except OSError:
            pass
        out["ssh_connections"] += conns
        out["ssh_auth"] += auth
        out["ssh_max_per_server"] = max(out["ssh_max_per_server"], conns)

        last_poll = {}
        try:
            with open(os.path.join(d, "requests.log")) as f:
                for line in f:
                    e = json.loads(line)
                    fn = e.get("function") or "-"
                    out["requests"][fn] = out["requests"].get(fn, 0) + 1
                    if fn == "get_pkgacct_session_state":
                        sid = (e.get("params") or {}).get("session_id", "")
                        t = ts(e["time"])
                        n, _ = last_poll.get(sid, (0, 0))
                        last_poll[sid] = (n + 1, t)
        except (OSError, ValueError):
            pass
        sdir = os.path.join(d, "root", "var", "cpanel", "pkgacct_sessions")
        for sid in os.listdir(sdir) if os.path.isdir(sdir) else []:
            out["jobs"] += 1
            n, t = last_poll.get(sid, (0, None))
            polls.append(n)
            if t is not None:
                try:
                    end = os.stat(os.path.join(sdir, sid, "master.log")).st_mtime
                    overshoot.append(t - end)
                except OSError:
                    pass
    if polls:
        out["polls_per_job"] = {"mean": round(sum(polls) / len(polls), 1), "max": max(polls)}
    if overshoot:
        out["overshoot_s"] = {"mean": round(sum(overshoot) / len(overshoot), 3),
                              "max": round(max(overshoot), 3)}
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
