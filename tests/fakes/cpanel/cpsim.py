#!/usr/bin/env python3
"""The cPanel simulator's shared core (Python 3 standard library only).

One simulated cPanel server lives in a directory DIR (see README.md for the whole contract):
DIR/root is the server's filesystem, DIR/config.json its settings, DIR/faults.json the faults a
test asks for, DIR/requests.log one JSON line per API request.  The HTTPS server (server.py) and
the fake commands run over SSH (cli.py) both import this module, so they share one state: the
files under DIR/root.  Background jobs (pkgacct, cpmove restores) are separate processes started
with `python3 cpsim.py job DIR KIND ID`, so they outlive the request or the SSH command that
started them, the way cPanel's own background sessions do.
"""

import datetime
import fnmatch
import hashlib
import io
import json
import os
import pwd
import random
import re
import shutil
import signal
import stat
import string
import subprocess
import sys
import tarfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/fakes: simlib
from simlib import state, tenants  # noqa: E402
from simlib.state import atomic_write, pid_alive  # noqa: E402,F401

USER_RE = re.compile(r"^[a-z][a-z0-9]{0,15}$")
SECRET_WORDS = ("pass", "token", "secret", "key_passphrase", "hash")
NEVER_ENDS_SECONDS = 3600.0
# A background pkgacct's time from the start call to its upid link (Sim.upid_delay), and what
# get_pkgacct_session_state dies with meanwhile: cPanel's Whostmgr/Backup/Pkgacct/State.pm
# dies without a newline, so Perl adds where (its lines 106 and 114).
UPID_DELAY = 0.5
UNIDENTIFIED = ("Could not identify state from pkgacct log at "
                "/usr/local/cpanel/Whostmgr/Backup/Pkgacct/State.pm line %d.\n")


def stamp():
    """pkgacct's line prefix: [YYYY-MM-DD HH:MM:SS +0000]."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("[%Y-%m-%d %H:%M:%S +0000]")


def dumps(obj, sort=True):
    return json.dumps(obj, sort_keys=sort, separators=(",", ":"), ensure_ascii=False)


def redact(params):
    out = {}
    for k, v in params.items():
        if any(w in k.lower() for w in SECRET_WORDS):
            out[k] = "REDACTED"
        else:
            out[k] = v
    return out


def rand_chars(n):
    alphabet = string.ascii_letters + string.digits
    return "".join(random.SystemRandom().choice(alphabet) for _ in range(n))


def user_from_archive_name(path):
    """The user a cpmove restore derives from the archive's file name (restorepkg's rules)."""
    base = os.path.basename(path)
    for pat in (r"^cpmove-([a-z][a-z0-9]{0,15})(?:\.tar(?:\.gz)?)?$",
                r"^backup-\d{1,2}\.\d{1,2}\.\d{4}_\d{2}-\d{2}-\d{2}_([a-z][a-z0-9]{0,15})\.tar(?:\.gz)?$",
                r"^([a-z][a-z0-9]{0,15})\.tar(?:\.gz)?$"):
        m = re.match(pat, base)
        if m:
            return m.group(1)
    return None


def safe_extract(path, dest):
    """Extract regular files, directories and symlinks of a tar into dest, refusing names that
    leave dest (tarfile's "data" filter is missing before Python 3.11.4)."""
    links = []
    with tarfile.open(path, "r:*") as tf:
        for m in tf:
            name = os.path.normpath(m.name)
            if name.startswith("/") or name == ".." or name.startswith("../"):
                raise ValueError("unsafe member name %r" % m.name)
            target = os.path.join(dest, name)
            parent = os.path.dirname(target)
            if not os.path.realpath(parent).startswith(os.path.realpath(dest)):
                raise ValueError("member %r leaves the directory" % m.name)
            if m.isdir():
                os.makedirs(target, mode=0o700, exist_ok=True)
                os.chmod(target, (m.mode & 0o777) | 0o700)
            elif m.isreg():
                os.makedirs(parent, exist_ok=True)
                src = tf.extractfile(m)
                with open(target, "wb") as f:
                    shutil.copyfileobj(src, f)
                os.chmod(target, m.mode & 0o777)
                os.utime(target, (m.mtime, m.mtime))
            elif m.issym():
                links.append((target, m.linkname))
    for target, linkname in links:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            os.symlink(linkname, target)


class Sim:
    def __init__(self, simdir):
        self.dir = os.path.abspath(simdir)
        self.root = os.path.join(self.dir, "root")
        with open(os.path.join(self.dir, "config.json")) as f:
            self.cfg = json.load(f)
        self.name = self.cfg.get("name", "web1")

    # ---- paths -------------------------------------------------------------------------
    def p(self, *parts):
        return os.path.join(self.root, *parts)

    def home(self, user):
        return self.p("home", user)

    def users_dir(self):
        return self.p("var", "cpanel", "users")

    def mysql_dir(self):
        return self.p("var", "lib", "mysql")

    def named_dir(self):
        return self.p("var", "named")

    def pkgacct_dir(self, sid=None):
        d = self.p("var", "cpanel", "pkgacct_sessions")
        return os.path.join(d, sid) if sid else d

    def transfer_dir(self, tid=None):
        d = self.p("var", "cpanel", "transfer_sessions")
        return os.path.join(d, tid) if tid else d

    # ---- accounts ----------------------------------------------------------------------
    def read_user(self, user):
        if not user or not USER_RE.match(user):
            return None
        try:
            with open(os.path.join(self.users_dir(), user)) as f:
                text = f.read()
        except OSError:
            return None
        meta = {}
        for line in text.splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                meta[k] = v
        return meta

    def write_user(self, user, meta):
        os.makedirs(self.users_dir(), exist_ok=True)
        text = "".join("%s=%s\n" % (k, meta[k]) for k in sorted(meta))
        atomic_write(os.path.join(self.users_dir(), user), text, 0o600)

    def users(self):
        try:
            names = os.listdir(self.users_dir())
        except OSError:
            return []
        return sorted(n for n in names if USER_RE.match(n))

    def domains(self, user, meta=None):
        meta = meta or self.read_user(user) or {}
        out = [meta["DNS"]] if meta.get("DNS") else []
        for k in sorted(meta):
            if re.match(r"^DNS\d+$", k):
                out.append(meta[k])
        return out

    def domain_owner(self, domain):
        for u in self.users():
            if domain in self.domains(u):
                return u
        return None

    def dbs(self, user):
        try:
            names = os.listdir(self.mysql_dir())
        except OSError:
            return []
        return sorted(n[:-4] for n in names if n.startswith(user + "_") and n.endswith(".sql"))

    def du(self, path):
        total = 0
        for dp, dns, fns in os.walk(path):
            for fn in fns:
                try:
                    total += os.lstat(os.path.join(dp, fn)).st_size
                except OSError:
                    pass
        return total

    def account_bytes(self, user):
        total = self.du(self.home(user))
        for db in self.dbs(user):
            try:
                total += os.path.getsize(os.path.join(self.mysql_dir(), db + ".sql"))
            except OSError:
                pass
        return total

    def acct_entry(self, user):
        meta = self.read_user(user) or {}
        used = self.account_bytes(user)
        start = int(meta.get("STARTDATE", "0") or 0)
        return {
            "user": user,
            "domain": meta.get("DNS", ""),
            "diskused": "%dM" % ((used + (1 << 20) - 1) >> 20),
            "disklimit": "unlimited",
            "email": meta.get("CONTACTEMAIL", ""),
            "ip": meta.get("IP", "127.0.0.1"),
            "owner": meta.get("OWNER", "root"),
            "partition": "home",
            "plan": meta.get("PLAN", "default"),
            "shell": "/bin/bash",
            "startdate": time.strftime("%y %b %d %H:%M", time.gmtime(start)),
            "unix_startdate": start,
            "suspended": 0,
            "suspendreason": "not suspended",
            "theme": meta.get("RS", "jupiter"),
            "maxaddons": "unlimited",
            "maxparked": "unlimited",
            "maxsql": "unlimited",
        }

    def create_account(self, user, domain, email=None):
        home = self.home(user)
        os.makedirs(os.path.join(home, "public_html"), exist_ok=True)
        os.chmod(home, 0o711)
        self.write_user(user, {
            "USER": user, "DNS": domain, "PLAN": "default", "OWNER": "root",
            "CONTACTEMAIL": email or ("admin@" + domain), "IP": "127.0.0.1",
            "RS": "jupiter", "STARTDATE": str(int(time.time())),
        })
        self.write_zone(domain)

    def write_zone(self, domain, serial=None):
        os.makedirs(self.named_dir(), exist_ok=True)
        serial = serial or time.strftime("%Y%m%d01", time.gmtime())
        zone = ("; cPanel first:11.126 Cpanel::ZoneFile::VERSION:1.3 hostname:%s\n"
                "$TTL 14400\n"
                "%s. 86400 IN SOA ns1.%s.example. hostmaster.%s. ( %s 3600 1800 1209600 86400 )\n"
                "%s. 86400 IN NS ns1.%s.example.\n"
                "%s. 14400 IN A 127.0.0.1\n"
                "www 14400 IN CNAME %s.\n"
                "mail 14400 IN CNAME %s.\n"
                "%s. 14400 IN MX 0 %s.\n") % (
            self.name, domain, self.name, domain, serial, domain, self.name, domain, domain,
            domain, domain, domain)
        atomic_write(os.path.join(self.named_dir(), domain + ".db"), zone, 0o644)

    # ---- faults, request log -----------------------------------------------------------
    def faults(self):
        return state.read_faults(self.dir)

    def job_seconds(self):
        f = self.faults()
        if isinstance(f.get("job_seconds"), (int, float)):
            return float(f["job_seconds"])
        return float(self.cfg.get("job_seconds", 2.0))

    def take_api_fault(self, function, transport):
        """The first matching entry of faults.json "api", consuming one use of a counted entry."""
        return state.take_fault(self.dir, "api", lambda e: (
            e.get("function", "*") in ("*", function)
            and e.get("transport", "https") == transport))

    def log_request(self, entry):
        state.log_request(self.dir, entry)

    # ---- background jobs ---------------------------------------------------------------
    def spawn(self, kind, sid):
        """Start `cpsim.py job DIR KIND ID` detached; the pid goes to the session's pid file."""
        sdir = self.pkgacct_dir(sid) if kind == "pkgacct" else self.transfer_dir(sid)
        log = open(os.path.join(sdir, "job.stderr"), "ab")
        try:
            proc = subprocess.Popen(
                [sys.executable, os.path.join(HERE, "cpsim.py"), "job", self.dir, kind, sid],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                close_fds=True)
        finally:
            log.close()
        atomic_write(os.path.join(sdir, "pid"), "%d\n" % proc.pid, 0o600)
        # Reaped as it ends, as cPanel's daemon reaps its jobs: a zombie keeps its pid alive to
        # kill(2), so a wait on the server for the pid (tail --pid) would never see it end.
        threading.Thread(target=proc.wait, daemon=True).start()
        return proc

    def job_running(self, sdir, sid):
        pid = state.read_pid(os.path.join(sdir, "pid"))
        return pid is not None and pid_alive(pid, sid)

    def all_job_pids(self):
        return (state.live_job_pids(self.pkgacct_dir())
                + state.live_job_pids(self.transfer_dir()))

    def new_session_id(self):
        return "%s%s%s" % (self.name.replace("-", ""), time.strftime("%Y%m%d%H%M%S", time.gmtime()),
                           rand_chars(16))

    def new_transfer_id(self):
        return "%s%s%s" % (self.name.replace("-", ""), time.strftime("%Y%m%d%H%M%S", time.gmtime()),
                           rand_chars(4))

    # ---- pkgacct -----------------------------------------------------------------------
    def job_faults(self, key):
        """The faults a job runs with, fixed when its start call is processed."""
        f = self.faults()
        v = f.get(key) or {}
        if isinstance(v, dict) and "count" in v:  # used up by the jobs it is fixed for
            v = state.take_fault(self.dir, key, lambda e: True) or {}
        return {"fault": v.get("fault") if isinstance(v, dict) else v,
                "disk_full": bool(f.get("df")), "job_seconds": self.job_seconds()}

    def upid_delay(self):
        """Seconds from the start call until the session's process has made its upid link:
        faults.json `pkgacct_upid_delay`, else config.json's, else UPID_DELAY."""
        for src in (self.faults(), self.cfg):
            if isinstance(src.get("pkgacct_upid_delay"), (int, float)):
                return max(0.0, float(src["pkgacct_upid_delay"]))
        return UPID_DELAY

    def start_pkgacct(self, params):
        params = dict(params, _faults=self.job_faults("pkgacct"), _started=time.time(),
                      _upid_delay=self.upid_delay())
        sid = self.new_session_id()
        sdir = self.pkgacct_dir(sid)
        os.makedirs(sdir, mode=0o700)
        atomic_write(os.path.join(sdir, "params.json"), json.dumps(params), 0o600)
        open(os.path.join(sdir, "master.log"), "w").close()
        open(os.path.join(sdir, "master.error_log"), "w").close()
        self.spawn("pkgacct", sid)
        return sid

    def pkgacct_state(self, sid):
        """get_pkgacct_session_state's logic (cPanel's Whostmgr/Backup/Pkgacct/State.pm):
        RUNNING while the session's upid link names a live process, else the last master.log
        line.  Right after the start call, before the job has made its link and written a
        line, that is the "Could not identify state" death (ValueError: Perl's die text)."""
        sdir = self.pkgacct_dir(sid)
        if not os.path.isdir(sdir):
            raise KeyError(sid)
        if os.path.islink(os.path.join(sdir, "upid")) and self.job_running(sdir, sid):
            return "RUNNING"
        lines = self.read_text(os.path.join(sdir, "master.log")).splitlines()
        try:
            last = json.loads(lines[-1])
        except (IndexError, ValueError):
            last = None
        if not last or not last.get("type") or not last.get("contents"):
            raise ValueError(UNIDENTIFIED % 106)
        if last["type"] == "error":
            return "FAILED"
        if isinstance(last["contents"], str) and "pkgacct completed" in last["contents"]:
            return "COMPLETED"
        raise ValueError(UNIDENTIFIED % 114)

    @staticmethod
    def read_text(path):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def build_cpmove(self, user, dest, compress=True, exclude=(), unreadable=None):
        """Write a cpmove archive of user to dest: cpmove-U/{version,cp/U,homedir/,mysql/,dnszones/}.

        As pkgacct: the home is archived with the account's rights, so a file the user cannot
        read is left out (its path appended to UNREADABLE, for a WARN line), and so is what
        ~/cpbackup-exclude.conf excludes (tar --exclude-from patterns: unanchored, * matches /).
        """
        meta = self.read_user(user) or {}
        top = "cpmove-" + user
        exclude = {os.path.realpath(e) for e in exclude}
        home = self.home(user)
        patterns = []
        try:
            with open(os.path.join(home, "cpbackup-exclude.conf")) as f:
                patterns = [p.strip().lstrip("/") for p in f if p.strip() and p.strip()[0] != "#"]
        except OSError:
            pass
        try:
            pw = pwd.getpwnam(user)
        except KeyError:
            pw = None

        def excluded(rel):
            parts = rel.split("/")
            return any(fnmatch.fnmatchcase("/".join(parts[i:]), p)
                       for p in patterns for i in range(len(parts)))

        def readable(full):
            st = os.lstat(full)
            if pw is None or stat.S_ISLNK(st.st_mode):
                return True
            need = 0o5 if stat.S_ISDIR(st.st_mode) else 0o4
            if st.st_uid == pw.pw_uid:
                return st.st_mode >> 6 & need == need
            if st.st_gid == pw.pw_gid:
                return st.st_mode >> 3 & need == need
            return st.st_mode & need == need
        with tarfile.open(dest, "w:gz" if compress else "w", format=tarfile.PAX_FORMAT) as tf:
            def add_bytes(name, data, mode=0o600):
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                ti.mode = mode
                ti.mtime = int(time.time())
                tf.addfile(ti, io.BytesIO(data))

            add_bytes(top + "/version", b"pkgacct version: 11\narchive version: 4\n", 0o644)
            text = "".join("%s=%s\n" % (k, meta[k]) for k in sorted(meta))
            add_bytes(top + "/cp/" + user, text.encode())
            add_bytes(top + "/homedir_paths", (home + "\n").encode(), 0o644)
            tf.add(home, arcname=top + "/homedir", recursive=False)
            for dp, dns, fns in os.walk(home):
                dns[:] = sorted(d for d in dns
                                if os.path.realpath(os.path.join(dp, d)) not in exclude
                                and not excluded(os.path.relpath(os.path.join(dp, d), home)))
                for name in sorted(dns) + sorted(fns):
                    full = os.path.join(dp, name)
                    rel = os.path.relpath(full, home)
                    if os.path.realpath(full) in exclude or excluded(rel):
                        continue
                    if not readable(full):
                        if unreadable is not None:
                            unreadable.append(full)
                        if name in dns:
                            dns.remove(name)
                        continue
                    tf.add(full, arcname=top + "/homedir/" + rel, recursive=False)
            for db in self.dbs(user):
                with open(os.path.join(self.mysql_dir(), db + ".sql"), "rb") as f:
                    add_bytes(top + "/mysql/" + db + ".sql", f.read())
            for d in self.domains(user, meta):
                zp = os.path.join(self.named_dir(), d + ".db")
                if os.path.exists(zp):
                    with open(zp, "rb") as f:
                        add_bytes(top + "/dnszones/" + d + ".db", f.read(), 0o644)
        os.chmod(dest, 0o600)

    def run_pkgacct(self, sid):
        sdir = self.pkgacct_dir(sid)
        with open(os.path.join(sdir, "params.json")) as f:
            params = json.load(f)
        log_path = os.path.join(sdir, "master.log")
        err_path = os.path.join(sdir, "master.error_log")
        pid = os.getpid()

        def emit(text, kind="out"):
            line = dumps({"contents": "%s %s\n" % (stamp(), text), "indent": 0, "partial": 0,
                          "pid": pid, "type": kind}) + "\n"
            with open(log_path, "a") as f:
                f.write(line)
            if kind in ("error", "warn"):
                with open(err_path, "a") as f:
                    f.write(line)

        # The daemon makes the session's upid link only once it runs: until then WHM cannot
        # tell the state (pkgacct_state).
        started = params.get("_started") or time.time()
        time.sleep(max(0.0, started + float(params.get("_upid_delay", UPID_DELAY)) - time.time()))
        os.symlink("%d.%d" % (pid, int(started)), os.path.join(sdir, "upid"))
        try:
            return self.pkgacct_steps(params, emit)
        except Exception as e:  # a simulator bug must still end the session
            emit("ERROR: pkgacct died: %s: %s" % (type(e).__name__, e), "error")
            raise

    def pkgacct_steps(self, params, emit):
        """The pkgacct work shared by the background session and the pkgacct command."""
        jf = params.get("_faults") or self.job_faults("pkgacct")
        fault, disk_full, secs = jf["fault"], jf["disk_full"], jf["job_seconds"]
        user = params.get("user", "")
        compress = params.get("compressionsetting", "compress") == "compress"
        tarroot = params.get("tarroot") or self.p("home")
        ext = ".tar.gz" if compress else ".tar"
        dest = os.path.join(tarroot, "cpmove-" + user + ext)

        emit("pkgacct started.")
        emit("pkgacct version 11 - user : %s - tarball: 1 - target mysql : 8.0 - split: 0 - "
             "incremental: 0 - homedir: 1 - mailman: 1 - backup: 0 - archive version: 4 - "
             "running with uid 0" % user)
        if not USER_RE.match(user) or self.read_user(user) is None:
            emit("ERROR: Unable to find the cPanel user “%s”: the user does not exist." % user,
                 "error")
            return 1
        if not os.path.isabs(tarroot) or not os.path.isdir(tarroot):
            emit("ERROR: The directory “%s” does not exist." % tarroot, "error")
            return 1
        # Like pkgacct, work in a staging directory tarroot/cpmove-U/ (removed once archived;
        # left behind when the job fails), so a watcher sees the job writing from the start.
        staging = os.path.join(tarroot, "cpmove-" + user)
        os.makedirs(os.path.join(staging, "cp"), mode=0o700, exist_ok=True)
        atomic_write(os.path.join(staging, "version"), "archive version: 4\n", 0o600)
        shutil.copyfile(os.path.join(self.users_dir(), user), os.path.join(staging, "cp", user))
        emit("WWWAcct 12.6.0 (c) 2026 cPanel, L.L.C....")
        emit("Copying Reseller Config...Done")
        time.sleep(secs * 0.3)
        emit("Copying Suspension Info (if needed)...Done")
        emit("Copying SSL Certificates, CSRS, and Keys...Done")
        emit("Copying Mail files....Done")
        if fault == "warn_line":
            emit("WARN: Warning: failed to dump the quota of “%s”: Quotas are not enabled." % user,
                 "warn")
        emit("Copying databases...")
        time.sleep(secs * 0.3)
        if fault == "error_line":
            emit("ERROR: mysqldump: Got error: 2002: Can't connect to local MySQL server through "
                 "socket '/var/lib/mysql/mysql.sock' (111) when trying to connect", "error")
        emit("Done")
        emit("Copying dns zones...Done")
        emit("Creating Archive ....")
        if fault == "never_ends":
            time.sleep(NEVER_ENDS_SECONDS)
            return 1
        time.sleep(secs * 0.4)
        if fault == "failed" or disk_full:
            # An interrupted pkgacct leaves its partial archive behind.
            try:
                with open(dest, "wb") as f:
                    f.write(b"\x1f\x8b\x08\x00partial")
                os.chmod(dest, 0o600)
            except OSError:
                pass
            why = ("No space left on device" if disk_full
                   else "The archive could not be created: gzip exited with status 1")
            emit("ERROR: (XID sim%s) pkgacct failed: %s" % (rand_chars(4).lower(), why), "error")
            return 1
        exclude = [dest, staging, self.p("home", "jiku-snapshots")]
        if os.path.realpath(tarroot).startswith(os.path.realpath(self.home(user)) + "/"):
            exclude.append(tarroot)
        unreadable = []
        self.build_cpmove(user, dest, compress, exclude, unreadable)
        for path in unreadable:
            emit("WARN: Warning: tar: %s: Cannot open: Permission denied" % path, "warn")
        shutil.rmtree(staging, ignore_errors=True)
        with open(dest, "rb") as f:
            md5 = hashlib.md5(f.read()).hexdigest()
        size = os.path.getsize(dest)
        homefiles = sum(len(fns) + len(dns) for _, dns, fns in os.walk(self.home(user)))
        emit("Done")
        emit("pkgacctfile is: %s" % dest)
        emit("md5sum is: %s" % md5)
        emit("")
        emit("size is: %d" % size)
        emit("")
        emit("homesize is: %d" % self.du(self.home(user)))
        emit("")
        emit("homefiles is: %d" % homefiles)
        emit("pkgacct completed")
        return 0

    # ---- cpmove restore ----------------------------------------------------------------
    def start_restore(self, params):
        params = dict(params, _faults=self.job_faults("restore"))
        tid = self.new_transfer_id()
        tdir = self.transfer_dir(tid)
        os.makedirs(tdir, mode=0o700)
        atomic_write(os.path.join(tdir, "params.json"), json.dumps(params), 0o600)
        atomic_write(os.path.join(tdir, "state"), "PENDING\n", 0o600)
        open(os.path.join(tdir, "master.log"), "w").close()
        self.spawn("restore", tid)
        return tid

    def transfer_state(self, tid):
        tdir = self.transfer_dir(tid)
        if not os.path.isdir(tdir):
            raise KeyError(tid)
        return self.read_text(os.path.join(tdir, "state")).strip() or "PENDING"

    def run_restore(self, tid):
        tdir = self.transfer_dir(tid)
        with open(os.path.join(tdir, "params.json")) as f:
            params = json.load(f)
        pid = os.getpid()
        master = os.path.join(tdir, "master.log")

        def control(contents):
            line = dumps({"contents": contents, "indent": 0, "partial": 0, "pid": pid,
                          "type": "control"}) + "\n"
            with open(master, "a") as f:
                f.write(line)

        def state(s):
            atomic_write(os.path.join(tdir, "state"), s + "\n", 0o600)

        path = params.get("cpmovepath", "")
        src_user = user_from_archive_name(path) or ""
        target = params.get("username") or src_user
        item_log_name = "item-RESTORE_AccountLocal_%s" % target

        def item(text, kind="out"):
            line = dumps({"contents": "%s\n" % text, "indent": 0, "partial": 0, "pid": pid,
                          "type": kind}) + "\n"
            with open(os.path.join(tdir, item_log_name), "a") as f:
                f.write(line)

        def aborted():
            return os.path.exists(os.path.join(tdir, "abort"))

        jf = params.get("_faults") or self.job_faults("restore")
        fault, secs = jf["fault"], jf["job_seconds"]
        t0 = int(time.time())
        control({"action": "start", "time": t0})
        control({"action": "version", "msg": self.cfg.get("version", "11.126.0.15")})
        control({"action": "initiator", "msg": "start_local_cpmove_restore"})
        control({"action": "queue_count", "queue": "RESTORE", "msg": 1})
        control({"action": "queue_size", "queue": "RESTORE", "msg": 1})
        state("RESTORE_PENDING")
        time.sleep(min(0.2, secs * 0.1))
        if fault == "failed":
            item("The restore process failed to start: (XID simfl1) The system failed to fork.",
                 "error")
            control({"action": "fail", "time": int(time.time())})
            state("FAILED")
            return 1
        state("RESTORE_INPROGRESS")
        base = {"item": src_user or os.path.basename(path), "item_name": "Account",
                "local_item": target, "queue": "RESTORE", "child_number": 1}
        control(dict(base, action="start-item"))
        control(dict(base, action="process-item"))
        item("Restoring account “%s” from “%s” as “%s” …" % (src_user, path, target))
        if fault == "never_ends":
            time.sleep(NEVER_ENDS_SECONDS)
            return 1
        deadline = time.time() + secs * 0.9
        while time.time() < deadline:
            if aborted():
                break
            time.sleep(min(0.05, max(0.0, deadline - time.time())))
        if aborted() or fault == "aborted":
            item("The restore was aborted.", "error")
            control({"action": "abort", "time": int(time.time())})
            state("ABORTED")
            return 1
        try:
            ok, message, warnings = self.restore_item(params, src_user, target, fault, item)
        except Exception as e:  # a simulator bug must still end the session
            item("restore died: %s: %s" % (type(e).__name__, e), "error")
            control({"action": "fail", "time": int(time.time())})
            state("FAILED")
            raise
        size = os.path.getsize(path) if os.path.isfile(path) else 0
        if ok and warnings:
            control(dict(base, action="warning-item",
                         msg={"message": message, "warnings": warnings, "size": size,
                              "time": int(time.time())}))
        elif ok:
            control(dict(base, action="success-item",
                         msg={"message": message, "size": size, "time": int(time.time())}))
        else:
            control(dict(base, action="failed-item",
                         msg={"failure": message, "size": size, "time": int(time.time())}))
        control({"action": "complete", "time": int(time.time())})
        state("COMPLETED")
        return 0

    def restore_item(self, params, src_user, target, fault, item):
        """Restore one cpmove archive; returns (ok, message, warning count)."""
        path = params.get("cpmovepath", "")
        overwrite = str(params.get("overwrite", "0")) == "1"
        if not src_user:
            msg = ("The system could not determine the username from the archive name “%s”."
                   % os.path.basename(path))
            item(msg, "error")
            return False, msg, 0
        if not USER_RE.match(target):
            msg = "“%s” is not a valid username." % target
            item(msg, "error")
            return False, msg, 0
        exists = self.read_user(target) is not None
        if exists and not overwrite:
            msg = ("The account “%s” already exists on this server; restore with overwrite to "
                   "restore over it." % target)
            item(msg, "error")
            return False, msg, 0
        work = self.p("var", "tmp", "restore-" + rand_chars(8))
        os.makedirs(work, mode=0o700)
        try:
            try:
                safe_extract(path, work)
            except (OSError, tarfile.TarError, EOFError, ValueError) as e:
                msg = "The system failed to extract the archive “%s”: %s" % (path, e)
                item(msg, "error")
                return False, msg, 0
            tops = [d for d in os.listdir(work) if os.path.isdir(os.path.join(work, d))]
            if len(tops) != 1 or not tops[0].startswith("cpmove-"):
                msg = "The archive “%s” is not a cpmove archive." % path
                item(msg, "error")
                return False, msg, 0
            top = os.path.join(work, tops[0])
            arch_user = tops[0][len("cpmove-"):]
            meta = {}
            cpf = os.path.join(top, "cp", arch_user)
            for line in self.read_text(cpf).splitlines():
                if "=" in line:
                    k, v = line.split("=", 1)
                    meta[k] = v
            for d in self.domains(arch_user, meta):
                owner = self.domain_owner(d)
                if owner and owner != target:
                    msg = ("The domain “%s” already exists on this server (owned by “%s”)."
                           % (d, owner))
                    item(msg, "error")
                    return False, msg, 0
            # Home directory: overlay, files created since the archive stay.
            item("Restoring the home directory …")
            home = self.home(target)
            os.makedirs(home, exist_ok=True)
            self.overlay(os.path.join(top, "homedir"), home)
            # restorepkg writes the home as root and then gives it to the account's user (made
            # a real one here when the restore creates the account)
            tenants.add_tree(self.dir, home, target)
            if fault == "item_failed":
                msg = ("The system failed to restore the MySQL databases: (XID simdb1) ERROR 2002 "
                       "(HY000): Can't connect to local MySQL server through socket "
                       "'/var/lib/mysql/mysql.sock' (111)")
                item(msg, "error")
                return False, msg, 0
            item("Restoring databases …")
            os.makedirs(self.mysql_dir(), exist_ok=True)
            mdir = os.path.join(top, "mysql")
            for fn in sorted(os.listdir(mdir)) if os.path.isdir(mdir) else []:
                if not fn.endswith(".sql"):
                    continue
                db = fn[:-4]
                if target != arch_user and db.startswith(arch_user + "_"):
                    db = target + "_" + db[len(arch_user) + 1:]
                shutil.copyfile(os.path.join(mdir, fn), os.path.join(self.mysql_dir(), db + ".sql"))
            item("Restoring DNS zones …")
            zdir = os.path.join(top, "dnszones")
            os.makedirs(self.named_dir(), exist_ok=True)
            for fn in sorted(os.listdir(zdir)) if os.path.isdir(zdir) else []:
                shutil.copyfile(os.path.join(zdir, fn), os.path.join(self.named_dir(), fn))
            meta["USER"] = target
            if not meta.get("DNS"):
                meta["DNS"] = target + ".example"
            self.write_user(target, meta)
            warnings = 0
            if fault == "warning":
                item("WARN: The system could not restore the account’s Apache configuration.",
                     "warn")
                warnings = 1
            msg = "Account Restore Complete: “%s”" % target
            item(msg)
            return True, msg, warnings
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @staticmethod
    def overlay(src, dst):
        if not os.path.isdir(src):
            return
        for dp, dns, fns in os.walk(src):
            rel = os.path.relpath(dp, src)
            tdir = dst if rel == "." else os.path.join(dst, rel)
            if os.path.lexists(tdir) and not os.path.isdir(tdir):
                os.unlink(tdir)
            os.makedirs(tdir, exist_ok=True)
            shutil.copystat(dp, tdir)
            for fn in fns:
                s = os.path.join(dp, fn)
                t = os.path.join(tdir, fn)
                if os.path.isdir(t) and not os.path.islink(t):
                    shutil.rmtree(t)
                elif os.path.lexists(t):
                    os.unlink(t)
                if os.path.islink(s):
                    os.symlink(os.readlink(s), t)
                else:
                    shutil.copy2(s, t)

    # ---- seeding -----------------------------------------------------------------------
    def seed(self, only=None):
        for d in ("home/jiku-snapshots", "var/cpanel/users", "var/lib/mysql", "var/named",
                  "var/cpanel/pkgacct_sessions", "var/cpanel/transfer_sessions", "var/tmp"):
            os.makedirs(self.p(d), exist_ok=True)
        os.chmod(self.p("home", "jiku-snapshots"), 0o711)
        accounts = [("acmeshop", "shop.acme.example"), ("lowco", "low.example"),
                    ("highco", "high.example")]
        if only is not None:
            accounts = [a for a in accounts if a[0] in only]
        for user, domain in accounts:
            self.create_account(user, domain)
            home = self.home(user)
            files = {
                "public_html/index.html": "<h1>%s</h1>\n" % domain,
                "public_html/about.html": "<p>About %s</p>\n" % user,
                "etc/%s/passwd" % domain: "info:x:1001:1001::%s/mail/%s/info:/bin/false\n"
                % (home, domain),
                "mail/%s/info/cur/1700000000.M1.%s:2,S" % (domain, self.name):
                "From: someone@example.net\nSubject: hello\n\nfirst mail\n",
                ".bashrc": "# %s\n" % user,
            }
            for rel, text in files.items():
                full = os.path.join(home, rel)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "w") as f:
                    f.write(text)
            for sub in ("mail/%s/info/new" % domain, "mail/%s/info/tmp" % domain, "tmp"):
                os.makedirs(os.path.join(home, sub), exist_ok=True)
            tenants.add_tree(self.dir, home, user, 0o711)  # a real user owns the home
            db = user + "_db"
            with open(os.path.join(self.mysql_dir(), db + ".sql"), "w") as f:
                f.write("-- MySQL dump of `%s` (cPanel simulator: one INSERT line = one row)\n"
                        "CREATE TABLE `items` (`id` int, `name` varchar(64));\n"
                        "INSERT INTO `items` VALUES (1,'first');\n"
                        "INSERT INTO `items` VALUES (2,'second');\n" % db)


def main(argv):
    if len(argv) >= 5 and argv[1] == "job":
        sim = Sim(argv[2])
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        if argv[3] == "pkgacct":
            return sim.run_pkgacct(argv[4])
        if argv[3] == "restore":
            return sim.run_restore(argv[4])
        return 64
    if len(argv) in (3, 4) and argv[1] == "seed":
        Sim(argv[2]).seed([a for a in argv[3].split(",") if a] if len(argv) == 4 else None)
        return 0
    if len(argv) == 5 and argv[1] == "mail-password-ok":
        # The password on stdin (never in an argument): exit 0 when it is ADDRESS's of USER.
        import mail
        stored = mail.Mail(Sim(argv[2])).stored_hash(argv[3], argv[4])
        return 0 if stored and mail.password_ok(stored, sys.stdin.readline().rstrip("\n")) else 1
    if len(argv) == 3 and argv[1] == "job-pids":
        print(" ".join(str(p) for p in Sim(argv[2]).all_job_pids()))
        return 0
    sys.stderr.write("usage: cpsim.py job DIR pkgacct|restore ID | seed DIR | job-pids DIR | "
                     "mail-password-ok DIR USER ADDRESS < PASSWORD\n")
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
