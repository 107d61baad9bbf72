"""The files a simulator keeps in its directory DIR, read and written by the HTTPS server, the
fake commands and the background jobs alike (each README is the contract):

* faults.json: read at every request; a counted entry is consumed under DIR/faults.lock;
* requests.log: one JSON line (keys sorted) per request, appended under a lock;
* a job's pid file, and whether that pid still runs the job.
"""

import datetime
import fcntl
import json
import os


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def atomic_write(path, data, mode=0o644):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def pid_alive(pid, marker=None):
    """True while pid runs (not a zombie) and, with marker, its command line contains marker
    (guards against pid reuse)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        if st[st.rfind(")") + 2] == "Z":
            return False
        if marker is None:
            return True
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return marker.encode() in f.read()
    except (OSError, IndexError):
        return False


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def live_job_pids(parent, marker=None):
    """The running jobs among parent's subdirectories, each with a pid file; a job's command
    line must contain marker (default: its directory's name)."""
    out = []
    try:
        names = os.listdir(parent)
    except OSError:
        return out
    for name in names:
        pid = read_pid(os.path.join(parent, name, "pid"))
        if pid is not None and pid_alive(pid, marker or name):
            out.append(pid)
    return out


def read_faults(simdir):
    """DIR/faults.json; {} when missing or not a JSON object (a test may be rewriting it)."""
    try:
        with open(os.path.join(simdir, "faults.json")) as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def take_fault(simdir, section, applies):
    """The first entry of faults.json `section` (one entry or a list) for which applies(entry)
    is true, or None.  A counted entry is used up once: the file is rewritten with its count
    decremented, under DIR/faults.lock so that concurrent requests never share one use."""
    path = os.path.join(simdir, "faults.json")
    with open(os.path.join(simdir, "faults.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = read_faults(simdir)
        entries = data.get(section) or []
        if isinstance(entries, dict):
            entries = [entries]
            data[section] = entries
        for e in entries:
            if not isinstance(e, dict) or not applies(e):
                continue
            if "count" in e:
                if int(e["count"]) <= 0:
                    continue
                e["count"] = int(e["count"]) - 1
                atomic_write(path, json.dumps(data, indent=1) + "\n", 0o644)
            return dict(e)
        return None


def log_request(simdir, entry, ensure_ascii=False):
    """Append entry, stamped with the time unless it has one, to DIR/requests.log."""
    entry = dict(entry)
    entry.setdefault("time", now_iso())
    line = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=ensure_ascii)
    with open(os.path.join(simdir, "requests.log"), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(line + "\n")
        fcntl.flock(f, fcntl.LOCK_UN)
