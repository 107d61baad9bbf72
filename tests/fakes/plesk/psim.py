#!/usr/bin/env python3
"""The Plesk simulator's shared core (Python 3 standard library only).

One simulated Plesk server lives in a directory DIR (README.md is the contract): DIR/root is the
server's filesystem, DIR/config.json its settings, DIR/faults.json the faults a test asks for,
DIR/requests.log one JSON line per XML API request and per fake `plesk` command.  The HTTPS
server (server.py, xmlapi.py) and the fake CLI (cli.py) both import this module and share one
state: the files under DIR/root, with the panel's "database" in DIR/root/var/lib/psa-sim/psa.json.
backup-manager tasks are separate processes (`python3 psim.py job DIR backup TASKID`) so that
they outlive the request that started them.
"""

import fcntl
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/fakes: simlib
from simlib import state, tenants  # noqa: E402
from simlib.state import atomic_write, pid_alive  # noqa: E402,F401

PREFIX_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SIGNATURE_MEMBER = ".signature"
NEVER_ENDS_SECONDS = 3600.0
SECRET_WORDS = ("pass", "secret", "key", "token")


def ts_name(t=None):
    """Plesk's file-name stamp YYMMDDHHMM, with seconds added so two dumps in a minute differ."""
    return time.strftime("%y%m%d%H%M%S", time.gmtime(t if t is not None else time.time()))


def version_tuple(v):
    out = []
    for part in str(v).split("."):
        m = re.match(r"\d+", part)
        out.append(int(m.group(0)) if m else 0)
    return tuple(out)


def redact_word(w):
    """ftp://login:pass@host/… keeps the login only; KEY=… style words lose their value."""
    w = re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:REDACTED@", w)
    return w


# The protocol versions a server accepts, newest last.  17.0.17's list is the REC sample's
# (33 entries, 1.4.2.0 before 1.4.1.1); later versions append theirs.
PROTOS_17_0 = ["1.0.0.0", "1.1.0.0", "1.1.1.0", "1.1.2.0", "1.2.0.0", "1.3.0.0", "1.3.1.0",
               "1.3.2.0", "1.3.3.0", "1.3.4.0", "1.3.5.0", "1.3.5.1", "1.4.0.0", "1.4.1.0",
               "1.4.2.0", "1.4.1.1", "1.4.1.2", "1.5.0.0", "1.5.1.0", "1.5.2.0", "1.5.2.1",
               "1.6.0.0", "1.6.0.1", "1.6.0.2", "1.6.1.0", "1.6.2.0", "1.6.3.0", "1.6.3.1",
               "1.6.4.0", "1.6.5.0", "1.6.6.0", "1.6.7.0", "1.6.8.0"]


def protos_for(version):
    v = version_tuple(version)
    out = list(PROTOS_17_0)
    if v >= (17, 5):
        out.append("1.6.9.0")
    if v >= (17, 8):
        out.append("1.6.9.1")
    return out


def product_name(version):
    v = version_tuple(version)
    if v >= (17, 8):
        return "Plesk Obsidian" if v >= (18,) else "Plesk Onyx"
    if v >= (17,):
        return "Plesk Onyx"
    return "Plesk"


class Sim:
    def __init__(self, simdir):
        self.dir = os.path.abspath(simdir)
        self.root = os.path.join(self.dir, "root")
        with open(os.path.join(self.dir, "config.json")) as f:
            self.cfg = json.load(f)
        self.name = self.cfg.get("name", "plesk1")
        self.version = self.cfg.get("version", "18.0.52")

    # ---- paths -------------------------------------------------------------------------
    def p(self, *parts):
        return os.path.join(self.root, *parts)

    def vhost(self, domain):
        return self.p("var", "www", "vhosts", domain)

    def www_root(self, domain):
        return os.path.join(self.vhost(domain), "httpdocs")

    def mysql_dir(self):
        return self.p("var", "lib", "mysql")

    def dump_dir(self):
        return self.p("var", "lib", "psa", "dumps")

    def psa_dir(self):
        return self.p("var", "lib", "psa-sim")

    def task_dir(self, tid=None):
        d = os.path.join(self.psa_dir(), "tasks")
        return os.path.join(d, str(tid)) if tid is not None else d

    def secret_path(self):
        return self.p("etc", "psa", "private", "backup-sign.key")

    def secret(self):
        with open(self.secret_path(), "rb") as f:
            return f.read().strip()

    # ---- version -----------------------------------------------------------------------
    def protos(self):
        return protos_for(self.version)

    def proto(self):
        return self.protos()[-1]

    def backup_manager_mode(self):
        """'yes' when backup-manager works; else how the server refuses it: '1014' or '1017'."""
        mode = str(self.faults().get("backup_manager") or self.cfg.get("backup_manager", "auto"))
        if mode == "auto":
            return "yes" if version_tuple(self.version) < (17, 8) else "1014"
        return mode

    # ---- the panel database ------------------------------------------------------------
    def _db_path(self):
        return os.path.join(self.psa_dir(), "psa.json")

    def load(self):
        with open(self._db_path()) as f:
            return json.load(f)

    def update(self, fn):
        """Run fn(db) under an exclusive lock and save the database; returns fn's value."""
        os.makedirs(self.psa_dir(), exist_ok=True)
        with open(os.path.join(self.psa_dir(), "psa.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            db = self.load()
            out = fn(db)
            atomic_write(self._db_path(), json.dumps(db, indent=1, sort_keys=True), 0o600)
            return out

    def subscription(self, name, db=None):
        db = db or self.load()
        return db["subscriptions"].get(name)

    def subscription_by_id(self, sid, db=None):
        db = db or self.load()
        for name, s in db["subscriptions"].items():
            if str(s["id"]) == str(sid):
                return name, s
        return None, None

    def owner_path(self, owner, db=None):
        """The owner's part of the dump tree: '' (admin), clients/C, resellers/R/clients/C,
        resellers/R."""
        db = db or self.load()
        if owner == "admin":
            return ""
        if owner in db["customers"]:
            parent = db["customers"][owner].get("owner", "admin")
            if parent == "admin":
                return "clients/%s" % owner
            return "resellers/%s/clients/%s" % (parent, owner)
        if owner in db["resellers"]:
            return "resellers/%s" % owner
        return ""

    def object_path(self, domain, db=None):
        """The subscription's directory relative to the dump root (docs/WIRE.md §3.6: by owner)."""
        db = db or self.load()
        s = db["subscriptions"][domain]
        base = self.owner_path(s["owner"], db)
        return (base + "/" if base else "") + "domains/" + domain

    # ---- faults, logging ---------------------------------------------------------------
    def faults(self):
        return state.read_faults(self.dir)

    def job_seconds(self):
        f = self.faults()
        if "job_seconds" in f:
            return float(f["job_seconds"])
        return float(self.cfg.get("job_seconds", 2))

    def take_fault(self, section, match, defaults=None):
        """The first entry of the faults.json list `section` whose keys all match (missing or
        '*' = any, unless defaults gives the missing key a value), consuming one use of a
        counted entry."""
        defaults = defaults or {}
        return state.take_fault(self.dir, section, lambda e: all(
            e.get(k, defaults.get(k, "*")) in ("*", v) for k, v in match.items()))

    def log_request(self, entry):
        state.log_request(self.dir, entry, ensure_ascii=True)

    # ---- archives ----------------------------------------------------------------------
    @staticmethod
    def manifest(members):
        """The signed text: one line per member (sorted), type, name, size, sha256."""
        lines = []
        for name in sorted(members):
            kind, data = members[name]
            if kind == "d":
                lines.append("d %s 0 -" % name)
            else:
                lines.append("f %s %d %s" % (name, len(data), hashlib.sha256(data).hexdigest()))
        return ("\n".join(lines) + "\n").encode()

    def sign(self, members):
        return hmac.new(self.secret(), self.manifest(members), hashlib.sha256).hexdigest()

    def dump_members(self, domain, description, db):
        """Every member of a subscription dump except the signature: name → (kind, bytes)."""
        s = db["subscriptions"][domain]
        path = self.object_path(domain, db)
        members = {}
        vroot = self.vhost(domain)
        for dp, dns, fns in os.walk(vroot):
            rel = os.path.relpath(dp, vroot)
            base = path + "/vhosts" + ("" if rel == "." else "/" + rel)
            members[base] = ("d", b"")
            for fn in sorted(fns):
                full = os.path.join(dp, fn)
                if os.path.islink(full) or not os.path.isfile(full):
                    continue
                with open(full, "rb") as f:
                    members[base + "/" + fn] = ("f", f.read())
        for dbname in s.get("dbs", []):
            try:
                with open(os.path.join(self.mysql_dir(), dbname + ".sql"), "rb") as f:
                    data = f.read()
            except OSError:
                data = b""
            members[path + "/databases/" + dbname + ".sql"] = ("f", data)
        owner = s["owner"]
        reseller = ""
        if owner in db["customers"] and db["customers"][owner].get("owner", "admin") != "admin":
            reseller = db["customers"][owner]["owner"]
        stamp = ts_name()
        info = self.info_xml(domain, path, s, owner, reseller, description, stamp, db)
        members["backup_info_%s.xml" % stamp] = ("f", info)
        return members, stamp

    def info_xml(self, domain, path, s, owner, reseller, description, stamp, db):
        def esc(t):
            return (str(t).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    .replace('"', "&quot;"))
        owner_type = "admin"
        if owner in db["customers"]:
            owner_type = "client"
        elif owner in db["resellers"]:
            owner_type = "reseller"
        dbs = "".join('<database name="%s" type="mysql" file="%s/databases/%s.sql"/>'
                      % (esc(d), esc(path), esc(d)) for d in s.get("dbs", []))
        out = ('<?xml version="1.0" encoding="UTF-8"?>\n'
               '<migration-dump agent-name="PleskX" dump-format="panel" dump-version="%s" '
               'content-included="true" creation-date="%s">\n'
               '  <dump-info><description>%s</description>'
               '<server-guid>%s</server-guid><server-name>%s</server-name></dump-info>\n'
               '  <domain name="%s" guid="%s" owner="%s" owner-type="%s" reseller="%s" '
               'sysuser="%s" path="%s">\n'
               '    <vhost path="%s/vhosts"/>\n    <databases>%s</databases>\n'
               '  </domain>\n</migration-dump>\n'
               % (esc(self.version), stamp, esc(description or ""), esc(db["server_guid"]),
                  esc(self.name), esc(domain), esc(s["guid"]), esc(owner), owner_type,
                  esc(reseller), esc(s.get("sysuser", "")), esc(path), esc(path), dbs))
        return out.encode()

    def write_archive(self, members, dest, limit=None):
        """Write members plus the signature as a tar to dest (mode 0600).  With limit, stop
        after that many bytes and raise OSError(ENOSPC) like a full disk."""
        sig = ("plesk-sim-signature 1\nserver-guid %s\nhmac-sha256 %s\n"
               % (self.load()["server_guid"], self.sign(members))).encode()
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
            mtime = int(time.time())
            for name in sorted(members):
                kind, data = members[name]
                ti = tarfile.TarInfo(name)
                ti.mtime = mtime
                if kind == "d":
                    ti.type = tarfile.DIRTYPE
                    ti.mode = 0o755
                    tf.addfile(ti)
                else:
                    ti.size = len(data)
                    ti.mode = 0o644
                    tf.addfile(ti, io.BytesIO(data))
            ti = tarfile.TarInfo(SIGNATURE_MEMBER)
            ti.size = len(sig)
            ti.mode = 0o600
            ti.mtime = mtime
            tf.addfile(ti, io.BytesIO(sig))
        data = buf.getvalue()
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            if limit is not None and limit < len(data):
                f.write(data[:limit])
                raise OSError(28, "No space left on device")
            f.write(data)
        return len(data)

    def read_archive(self, path):
        """(members, signature text or None, info dict); raises ValueError on a broken file."""
        members = {}
        sig = None
        try:
            with tarfile.open(path, mode="r:") as tf:
                for ti in tf:
                    if ti.name == SIGNATURE_MEMBER:
                        sig = tf.extractfile(ti).read().decode("utf-8", "replace")
                    elif ti.isdir():
                        members[ti.name.rstrip("/")] = ("d", b"")
                    elif ti.isfile():
                        members[ti.name] = ("f", tf.extractfile(ti).read())
                    else:
                        raise ValueError("unexpected member type: %s" % ti.name)
        except (tarfile.TarError, EOFError, OSError) as e:
            raise ValueError("the archive cannot be read: %s" % e)
        infos = [n for n in members if re.match(r"^backup_info_\d+\.xml$", n)]
        if len(infos) != 1:
            raise ValueError("no dump description (backup_info_*.xml) in the archive")
        info = parse_info(members[infos[0]][1])
        for d in info["domains"]:
            if d["path"] + "/vhosts" not in members:
                raise ValueError("the content of '%s' is missing" % d["name"])
            for f in d["db_files"]:
                if f not in members:
                    raise ValueError("the database dump '%s' is missing" % f)
        return members, sig, info

    def signature_ok(self, members, sig):
        if not sig:
            return False
        m = re.search(r"^hmac-sha256 ([0-9a-f]{64})$", sig, re.M)
        return bool(m) and hmac.compare_digest(m.group(1), self.sign(members))

    def resolve_backup_file(self, path):
        """A dump description in the local repository names its content archive."""
        if path.endswith(".xml") and os.path.isfile(path):
            with open(path, "rb") as f:
                text = f.read()
            m = re.search(rb'<content-file name="([^"/]+)"', text)
            if not m:
                raise ValueError("'%s' is not a backup description" % path)
            return os.path.join(os.path.dirname(path), m.group(1).decode())
        return path

    # ---- subscriptions: export, local repository, restore ------------------------------
    def export(self, domain, dest, description="", limit=None):
        db = self.load()
        if domain not in db["subscriptions"]:
            raise KeyError(domain)
        members, stamp = self.dump_members(domain, description, db)
        return self.write_archive(members, dest, limit)

    def local_backup(self, domain, prefix="backup", description="", fail=None):
        """A backup into the local repository (the owner's tree under dump_dir): the content
        archive PREFIX_TS.tar and its description PREFIX_info_TS.xml; returns the latter's name."""
        db = self.load()
        odir = os.path.join(self.dump_dir(), self.object_path(domain, db))
        os.makedirs(odir, mode=0o700, exist_ok=True)
        members, stamp = self.dump_members(domain, description, db)
        tar_name = "%s_%s.tar" % (prefix, stamp)
        if fail:
            with open(os.path.join(odir, tar_name), "wb") as f:
                f.write(b"\0" * 512)  # an interrupted dump leaves a stray partial file
            raise OSError(fail)
        size = self.write_archive(members, os.path.join(odir, tar_name))
        info_name = "%s_info_%s.xml" % (prefix, stamp)
        info = [v[1] for k, v in members.items() if k.startswith("backup_info_")][0].decode()
        info = info.replace("<dump-info>", '<dump-info><content-file name="%s" size="%d"/>'
                            % (tar_name, size), 1)
        atomic_write(os.path.join(odir, info_name), info, 0o600)
        return info_name

    def local_list(self, rel):
        """[(name, creation, description, size, is_backup)] of the dump directory rel."""
        d = os.path.join(self.dump_dir(), rel)
        try:
            names = sorted(os.listdir(d))
        except OSError:
            return []
        out = []
        contents = set()
        for n in names:
            full = os.path.join(d, n)
            if not os.path.isfile(full) or not n.endswith(".xml") or "_info_" not in n:
                continue
            with open(full, "rb") as f:
                text = f.read()
            m = re.search(rb'<content-file name="([^"/]+)" size="(\d+)"', text)
            desc = re.search(rb"<description>(.*?)</description>", text, re.S)
            if not m:
                continue
            contents.add(m.group(1).decode())
            out.append((n, int(os.path.getmtime(full)), unescape(desc.group(1).decode())
                        if desc else "", int(m.group(2)), True))
        for n in names:
            full = os.path.join(d, n)
            if os.path.isfile(full) and n not in contents and not any(n == o[0] for o in out):
                out.append((n, int(os.path.getmtime(full)), "", os.path.getsize(full), False))
        return out

    def restore(self, members, info, domain, progress=None, fault=None):
        """Overlay the subscription's files and replace its databases, like Plesk's restore
        of one subscription: files that are not in the archive survive."""
        entry = [d for d in info["domains"] if d["name"] == domain]
        if not entry:
            raise KeyError(domain)
        entry = entry[0]
        path = entry["path"]

        def ensure(db):
            owner = entry["owner"]
            if owner != "admin" and owner not in db["customers"] and owner not in db["resellers"]:
                if entry["owner_type"] == "reseller":
                    db["resellers"][owner] = new_account(db, owner)
                else:
                    db["customers"][owner] = new_account(db, owner)
                    r = entry["reseller"]
                    if r:
                        if r not in db["resellers"]:
                            db["resellers"][r] = new_account(db, r)
                        db["customers"][owner]["owner"] = r
            s = db["subscriptions"].get(domain)
            if s is None:
                db["next_domain_id"] += 1
                s = {"id": db["next_domain_id"], "guid": str(uuid.uuid4()), "owner": owner,
                     "sysuser": entry["sysuser"] or domain.split(".")[0][:16],
                     "cr_date": time.strftime("%Y-%m-%d"), "dbs": []}
                db["subscriptions"][domain] = s
            s["dbs"] = sorted(set(s.get("dbs", [])) | set(entry["db_names"]))
            return s
        sysuser = self.update(ensure)["sysuser"]
        prefix = path + "/vhosts"
        vroot = self.vhost(domain)
        os.makedirs(vroot, exist_ok=True)
        for name in sorted(members):
            if name != prefix and not name.startswith(prefix + "/"):
                continue
            rel = name[len(prefix):].lstrip("/")
            dest = os.path.join(vroot, rel) if rel else vroot
            if ".." in rel.split("/"):
                continue
            kind, data = members[name]
            if kind == "d":
                os.makedirs(dest, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                if os.path.isdir(dest) and not os.path.islink(dest):
                    shutil.rmtree(dest)
                atomic_write(dest, data, 0o644)
        # Plesk restores the files as the subscription's system user (made a real one here when
        # the restore creates the subscription)
        tenants.add_tree(self.dir, vroot, sysuser)
        if progress:
            progress()
        if fault == "partial":
            raise OSError("Unable to restore databases of '%s': mysql: Lost connection to "
                          "MySQL server during query" % domain)
        os.makedirs(self.mysql_dir(), exist_ok=True)
        for f in entry["db_files"]:
            dbname = os.path.basename(f)[:-4]
            atomic_write(os.path.join(self.mysql_dir(), dbname + ".sql"), members[f][1], 0o600)

    # ---- backup-manager tasks ----------------------------------------------------------
    def spawn(self, kind, tid):
        log = open(os.path.join(self.task_dir(tid), "job.log"), "ab")
        proc = subprocess.Popen([sys.executable, "-B", os.path.join(HERE, "psim.py"), "job",
                                 self.dir, kind, str(tid)], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, start_new_session=True, close_fds=True)
        log.close()
        atomic_write(os.path.join(self.task_dir(tid), "pid"), "%d\n" % proc.pid, 0o600)

    def read_task(self, tid):
        try:
            with open(os.path.join(self.task_dir(tid), "task.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def write_task(self, tid, task):
        atomic_write(os.path.join(self.task_dir(tid), "task.json"), json.dumps(task), 0o600)

    def start_backup_task(self, selector, value, domain, prefix, description):
        def alloc(db):
            db["next_task"] += 1
            return db["next_task"]
        tid = self.update(alloc)
        os.makedirs(self.task_dir(tid), mode=0o700)
        task = {"id": tid, "selector": selector, "value": value, "domain": domain,
                "prefix": prefix, "description": description, "status": "working",
                "started": int(time.time()), "filename": "", "protocol": "local"}
        self.write_task(tid, task)
        self.spawn("backup", tid)
        return tid

    def run_backup_task(self, tid):
        task = self.read_task(tid)
        fault = (self.take_fault("backup", {}) or {}).get("fault")
        secs = NEVER_ENDS_SECONDS if fault == "never_ends" else self.job_seconds()
        time.sleep(max(0.0, secs))
        try:
            fail = None
            if fault == "error":
                fail = "simulated failure"
            elif isinstance(self.faults().get("df"), dict):
                fail = "No space left on device"
            name = self.local_backup(task["domain"], task["prefix"], task["description"],
                                     fail=fail)
            task.update(status="finished", filename=name)
        except (OSError, KeyError):
            task.update(status="error")
        self.write_task(tid, task)

    def task_pids(self):
        return state.live_job_pids(self.task_dir(), "psim.py")

    # ---- seed --------------------------------------------------------------------------
    def seed(self, only):
        """Owners (admin, customer jdoe, reseller resco with customer rcust) and the
        subscriptions named in `only` among admin.example, shop.example, resold.example."""
        os.makedirs(self.psa_dir(), mode=0o700, exist_ok=True)
        os.makedirs(self.task_dir(), mode=0o700, exist_ok=True)
        os.makedirs(os.path.dirname(self.secret_path()), mode=0o700, exist_ok=True)
        atomic_write(self.secret_path(), os.urandom(32).hex() + "\n", 0o600)
        atomic_write(self.p("etc", "psa", "psa.conf"),
                     "# Plesk configuration (simulated)\nDUMP_D %s\nHTTPD_VHOSTS_D %s\n"
                     "PRODUCT_ROOT_D %s\n" % (self.dump_dir(), self.p("var", "www", "vhosts"),
                                              self.p("opt", "psa")), 0o644)
        for d in (self.dump_dir(), self.mysql_dir(), self.p("var", "www", "vhosts")):
            os.makedirs(d, mode=0o755, exist_ok=True)
        os.chmod(self.dump_dir(), 0o700)
        snap = self.p("var", "lib", "jiku-snapshots")
        os.makedirs(snap, exist_ok=True)
        os.chmod(snap, 0o711)
        # the 17.0.17 of the REC samples is one server: its guid is the samples' vendor-guid
        guid = ("bec05900-a696-11e6-bf5c-0242ac110002" if self.version == "17.0.17"
                else str(uuid.uuid4()))
        db = {"server_guid": guid, "next_id": 1, "next_domain_id": 0,
              "next_task": 100, "customers": {}, "resellers": {}, "subscriptions": {}}
        db["resellers"]["resco"] = new_account(db, "resco", "Reseller Company")
        db["customers"]["jdoe"] = new_account(db, "jdoe", "John Doe")
        db["customers"]["rcust"] = new_account(db, "rcust", "Rita Custer")
        db["customers"]["rcust"]["owner"] = "resco"
        subs = [("admin.example", "admin", "adminex"), ("shop.example", "jdoe", "shopuser"),
                ("resold.example", "rcust", "resold")]
        for domain, owner, sysuser in subs:
            db["next_domain_id"] += 1
            if domain not in only:
                continue
            dbname = sysuser + "_db"
            db["subscriptions"][domain] = {
                "id": db["next_domain_id"], "guid": str(uuid.uuid4()), "owner": owner,
                "sysuser": sysuser, "cr_date": "2026-01-15", "dbs": [dbname],
                "mail": seed_mail(db, domain)}
            www = self.www_root(domain)
            os.makedirs(www, exist_ok=True)
            os.makedirs(os.path.join(self.vhost(domain), "private"), exist_ok=True)
            os.makedirs(os.path.join(www, "css"), exist_ok=True)
            atomic_write(os.path.join(www, "index.html"),
                         "<html><body><h1>%s</h1></body></html>\n" % domain)
            atomic_write(os.path.join(www, "about.html"), "<p>About %s</p>\n" % domain)
            atomic_write(os.path.join(www, "css", "site.css"), "body { margin: 0 }\n")
            atomic_write(os.path.join(www, ".htaccess"), "Options -Indexes\n")
            atomic_write(os.path.join(self.vhost(domain), "private", "notes.txt"),
                         "private notes of %s\n" % domain)
            # the web space belongs to the system user, as the vhost directory on Plesk does
            tenants.add_tree(self.dir, self.vhost(domain), sysuser, 0o711)
            atomic_write(os.path.join(self.mysql_dir(), dbname + ".sql"),
                         "-- MySQL dump of %s\nCREATE TABLE posts (id INT, title TEXT);\n"
                         "INSERT INTO posts VALUES (1,'hello from %s');\n"
                         "INSERT INTO posts VALUES (2,'second post');\n" % (dbname, domain), 0o600)
        atomic_write(self._db_path(), json.dumps(db, indent=1, sort_keys=True), 0o600)


# a mail name as the simulator accepts it (**INF**: Plesk's own rule is not documented)
MAILNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
PASSWORD_ITERATIONS = 10000


def weak_password(value, address):
    """Why VALUE is too weak for the mailbox ADDRESS, or None (**INF**: Plesk's default policy
    asks for a "medium" password; the simulator's reading of it): at least 8 characters, two
    kinds of characters among lower case, upper case, digits and others, not the mail name."""
    if len(value) < 8:
        return "fewer than 8 characters"
    kinds = sum(1 for test in (str.islower, str.isupper, str.isdigit)
                if any(test(c) for c in value)) + (1 if any(not c.isalnum() for c in value) else 0)
    if kinds < 2:
        return "one kind of character"
    if address.split("@")[0].lower() in value.lower():
        return "it contains the mail name"
    return None


def hash_password(value, salt=None):
    """psa.json's form of a mail password: pbkdf2_sha256$ITERATIONS$SALT$HEX, never the text."""
    salt = salt or os.urandom(8).hex()
    digest = hashlib.pbkdf2_hmac("sha256", value.encode(), salt.encode(), PASSWORD_ITERATIONS)
    return "pbkdf2_sha256$%d$%s$%s" % (PASSWORD_ITERATIONS, salt, digest.hex())


def password_matches(stored, value):
    try:
        _alg, _it, salt, _hex = stored.split("$")
    except (AttributeError, ValueError):
        return False
    return hmac.compare_digest(hash_password(value, salt), stored)


def new_account(db, login, pname=None):
    db["next_id"] += 1
    return {"id": db["next_id"], "guid": str(uuid.uuid4()), "pname": pname or login,
            "owner": "admin", "cr_date": "2026-01-10"}


# the seeded mailboxes (README "mail"): name -> quota in bytes (-1: unlimited), enabled
SEED_MAIL = {"admin.example": [("postmaster", -1, True)],
             "shop.example": [("info", -1, True), ("sales", 536870912, True),
                              ("old", 104857600, False)],
             "resold.example": [("office", 1073741824, True)]}


def seed_mail(db, domain):
    """DOMAIN's seeded mailboxes, each with an unknown random password."""
    boxes = {}
    for name, quota, enabled in SEED_MAIL.get(domain, []):
        db["next_mail_id"] = db.get("next_mail_id", 100) + 1
        boxes[name] = {"id": db["next_mail_id"], "quota": quota, "enabled": enabled,
                       "password": hash_password(os.urandom(16).hex())}
    return boxes


def unescape(t):
    return (t.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&amp;", "&"))


def parse_info(data):
    """The fields of a backup_info XML the simulator wrote (regular expressions: the file is
    untrusted input and never goes through an entity-expanding parser)."""
    text = data.decode("utf-8", "replace")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValueError("the dump description holds a DOCTYPE")
    if "<migration-dump" not in text:
        raise ValueError("the dump description is not a migration dump")
    out = {"domains": []}
    for m in re.finditer(r'<domain name="([^"]*)" guid="([^"]*)" owner="([^"]*)" '
                         r'owner-type="([^"]*)" reseller="([^"]*)" sysuser="([^"]*)" '
                         r'path="([^"]*)">(.*?)</domain>', text, re.S):
        body = m.group(8)
        files = [unescape(f) for f in re.findall(r'<database [^>]*file="([^"]*)"', body)]
        names = [unescape(f) for f in re.findall(r'<database name="([^"]*)"', body)]
        out["domains"].append({"name": unescape(m.group(1)), "guid": m.group(2),
                               "owner": unescape(m.group(3)), "owner_type": m.group(4),
                               "reseller": unescape(m.group(5)), "sysuser": unescape(m.group(6)),
                               "path": unescape(m.group(7)), "db_files": files,
                               "db_names": names})
    if not out["domains"]:
        raise ValueError("the dump description names no subscription")
    g = re.search(r"<server-guid>([^<]*)</server-guid>", text)
    out["server_guid"] = g.group(1) if g else ""
    return out


def main(argv):
    if len(argv) >= 3 and argv[1] == "seed":
        only = [x for x in (argv[3] if len(argv) > 3 else
                            "admin.example,shop.example,resold.example").split(",") if x]
        Sim(argv[2]).seed(only)
        return 0
    if len(argv) == 5 and argv[1] == "job" and argv[3] == "backup":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        Sim(argv[2]).run_backup_task(int(argv[4]))
        return 0
    if len(argv) == 4 and argv[1] == "mail-password":
        # exit 0 when the password on stdin is ADDRESS's, 1 when not, 2 without such a mailbox
        local, _, domain = argv[3].partition("@")
        s = Sim(argv[2]).subscription(domain)
        box = (s or {}).get("mail", {}).get(local.lower())
        if box is None:
            return 2
        return 0 if password_matches(box.get("password"), sys.stdin.readline().rstrip("\n")) \
            else 1
    if len(argv) == 3 and argv[1] == "job-pids":
        for pid in Sim(argv[2]).task_pids():
            print(pid)
        return 0
    print("usage: psim.py seed DIR [D,D…] | job DIR backup ID | job-pids DIR | "
          "mail-password DIR ADDRESS <PASSWORD", file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
