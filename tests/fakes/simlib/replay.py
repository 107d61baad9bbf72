"""What the simulators' conformance tests share: starting and stopping a simulator with its
sim.sh (stop must leave none of its processes running), a started simulator's env file, sshd
rig, faults.json and requests.log, the documented samples and bounded polling.

    sys.path.insert(0, FAKES)
    from simlib import replay
"""

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

from simlib import state

RIG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sshd-rig.sh")


def load_env(path):
    """DIR/env (NAME='value' lines) as a dict."""
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            out[k] = shlex.split(v)[0] if v else ""
    return out


def pid_alive(pid):
    return state.pid_alive(pid)


def until(pred, seconds=20.0, step=0.1):
    """Poll pred (bounded in time); returns its last value."""
    end = time.monotonic() + seconds
    while True:
        v = pred()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)


def tree_hash(path):
    """One sha256 over the relative names and contents of every file below PATH, in order."""
    h = hashlib.sha256()
    for dp, dns, fns in sorted(os.walk(path)):
        dns.sort()
        for fn in sorted(fns):
            full = os.path.join(dp, fn)
            h.update(os.path.relpath(full, path).encode() + b"\0")
            with open(full, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


def samples(here):
    """The simulator's samples/index.json."""
    with open(os.path.join(here, "samples", "index.json"), encoding="utf-8") as f:
        return json.load(f)


def sample_bytes(here, name):
    with open(os.path.join(here, "samples", name), "rb") as f:
        return f.read()


def start_sims(sims):
    """`sim.sh start DIR ARGS…` for each (sim.sh, DIR, ARGS); sim.sh's output goes to stderr
    only when it fails, and then the simulators started are stopped again."""
    for i, (sim_sh, d, args) in enumerate(sims):
        r = subprocess.run(["sh", sim_sh, "start", d] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        if r.returncode != 0:
            sys.stderr.write(r.stdout.decode(errors="replace"))
            stop_sims(sims[:i])
            raise RuntimeError("sim.sh start %s failed" % d)


def stop_sims(sims, job_dirs=()):
    """`sim.sh stop DIR` for each (sim.sh, DIR, …); returns the pids still running 10 s later
    among their HTTPS servers, sshds and the jobs with a pid file in a subdirectory of
    DIR/JOB_DIR."""
    files = []
    for sim_sh, d, *_ in sims:
        files += [os.path.join(d, "server.pid"), os.path.join(d, "ssh", "sshd.pid")]
        for base in job_dirs:
            try:
                jobs = os.listdir(os.path.join(d, base))
            except OSError:
                continue
            files += [os.path.join(d, base, j, "pid") for j in jobs]
    pids = [p for p in map(state.read_pid, files) if p is not None]
    for sim_sh, d, *_ in sims:
        subprocess.run(["sh", sim_sh, "stop", d], timeout=120)
    return [p for p in pids if not until(lambda: not pid_alive(p), 10)]


class Fleet:
    """The simulators of one test module, in a mkdtemp directory (mode) removed by stop().
    specs: (sim.sh, NAME, ARGS) each, started as DIR/NAME; job_dirs: see stop_sims."""

    def __init__(self, prefix, specs, job_dirs=(), mode=0o700):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.dir, mode)
        self.sims = [(sim_sh, self.path(name), args) for sim_sh, name, args in specs]
        self.job_dirs = job_dirs
        try:
            start_sims(self.sims)
        except Exception:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def path(self, name):
        return os.path.join(self.dir, name)

    def stop(self):
        left = stop_sims(self.sims, self.job_dirs)
        shutil.rmtree(self.dir, ignore_errors=True)
        if left:
            raise AssertionError("sim.sh stop left processes running: %s" % left)


class Inst:
    """One started simulator: its env file (keys PREFIX…), sshd rig, faults and request log."""

    ssh_timeout = 60
    ssh_text = True  # ssh() decodes stdout and stderr

    def __init__(self, d, prefix):
        self.d = d
        self.env = load_env(os.path.join(d, "env"))
        self.pre = prefix

    def e(self, k):
        return self.env[self.pre + k]

    def ssh_argv(self, command):
        return ["ssh", "-F", "none", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                "-o", "StrictHostKeyChecking=yes", "-o",
                "UserKnownHostsFile=" + self.e("KNOWN_HOSTS"), "-i", self.e("SSH_KEY"),
                "-p", self.e("SSH_PORT"), "root@127.0.0.1", command]

    def ssh(self, command, timeout=None):
        """(exit code, stdout, stderr) of command over the simulator's sshd rig."""
        r = subprocess.run(self.ssh_argv(command), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout or self.ssh_timeout)
        if self.ssh_text:
            return r.returncode, r.stdout.decode(), r.stderr.decode()
        return r.returncode, r.stdout, r.stderr

    def cut(self):
        """Drop every SSH connection to the simulator (sshd-rig.sh cut); detached jobs live on."""
        subprocess.run(["sh", RIG, "cut", os.path.join(self.d, "ssh")], check=True, timeout=30)

    def ssh_cut(self, command, ready):
        """Run command attached over SSH and cut the connection once it has written a line on
        ready ("stdout" or "stderr"); returns ssh's exit status."""
        proc = subprocess.Popen(self.ssh_argv(command), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            getattr(proc, ready).readline()
            self.cut()
            return proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()

    def set_faults(self, faults):
        with open(self.e("FAULTS"), "w") as f:
            json.dump(faults, f)

    def faults(self):
        with open(self.e("FAULTS")) as f:
            return json.load(f)

    def requests(self):
        with open(self.e("REQUEST_LOG")) as f:
            return [json.loads(line) for line in f if line.strip()]

    def root(self, *p):
        return os.path.join(self.e("ROOT"), *p)
