#!/usr/bin/env python3
"""Softaculous enduser API for the cPanel simulator (README.md, "Softaculous").

The cPanel simulator's HTTPS server calls `Soft(DIR).handle(user, params)` for
`/cpsessN/frontend/THEME/softaculous/index.live.php` inside a valid create_user_session
session.  Background work (staging, pushtolive, sclone, backup, restore) runs as a separate
process `softaculous.py job DIR SSK`, polled with act=eu_tasklist&ssk=SSK.

    softaculous.py seed DIR      the Nextcloud install of acmeshop on cloud.acme.example and the
                                 versions offered (root/var/softaculous/scripts.json)
    softaculous.py job DIR SSK   (internal) one background task
    softaculous.py job-pids DIR  running task processes (for sim.sh stop)
"""

import json
import os
import random
import re
import shutil
import signal
import string
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/fakes: simlib
sys.path.insert(0, HERE)
import nextcloud  # noqa: E402
import panels  # noqa: E402
import sitedb  # noqa: E402
from simlib import state, tenants  # noqa: E402

# The simulators' web listener serves a directory with an `occ` file with this (README.md).
render_site = nextcloud.render_site

NEXTCLOUD_SID = "483"
NEXTCLOUD_VER = "28.0.4"  # the seeded installation's
SCRIPTS = {NEXTCLOUD_SID: {"name": "Nextcloud", "softname": "nextcloud", "ver": "28.0.14",
                           "release_date": "12-12-2024", "cat": "files", "type": "php"}}
NEVER_ENDS_SECONDS = 3600.0
SAMPLES_DIR = os.path.join(HERE, "samples")
MSG = {
    "staging": "Staging has been pushed in background",
    "pushtolive": "Pushing to live has started in background",
    "sclone": "Clone has been pushed in background",
    "backup": ("Your backup is being created in background. You will be notified by email once "
               "its completed. You can track the backup process from the  Task List page."),
    "restore": ("Your backup is being restored in background. You will be notified by email "
                "once its completed. You can track the restore process from the Task List page."),
}
COMPLETED = {"staging": "Staging Completed", "pushtolive": "Push to Live Completed",
             "sclone": "Clone Completed", "backup": "Backup Completed",
             "restore": "Restore Completed"}
TITLES = {"installations": "Softaculous - Installations", "eu_tasklist": "Softaculous - Task List",
          "backups": "Softaculous - Backups and Restore"}


def rand_key(n=27):
    a = string.ascii_letters + string.digits
    return "".join(random.SystemRandom().choice(a) for _ in range(n))


def enc(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class SoftError(Exception):
    pass


class Soft:
    def __init__(self, simdir):
        self.panel = panels.CpanelPanel(simdir)
        self.dir = self.panel.dir

    # ---- state -------------------------------------------------------------------------
    def udir(self, user):
        return os.path.join(self.panel.home(user), ".softaculous")

    def _load(self, user, name):
        try:
            with open(os.path.join(self.udir(user), name)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def _save(self, user, name, data):
        os.makedirs(self.udir(user), mode=0o700, exist_ok=True)
        sitedb.atomic_write(os.path.join(self.udir(user), name),
                            json.dumps(data, indent=1, sort_keys=True), 0o600)
        tenants.give(self.dir, self.udir(user))  # Softaculous writes as the account's user

    def installs(self, user):
        return self._load(user, "installations.json")

    def save_installs(self, user, data):
        self._save(user, "installations.json", data)

    def backup_dir(self, user):
        return os.path.join(self.panel.home(user), "softaculous_backups")

    def task_dir(self, ssk=None):
        d = self.panel.p("var", "softaculous", "tasks")
        return os.path.join(d, ssk) if ssk else d

    def scripts(self):
        """{SID: {name, softname, ver, release_date, cat, type}}: the scripts and the version
        Softaculous offers of each now, from root's root/var/softaculous/scripts.json (seeded
        with SCRIPTS; a test may edit it)."""
        try:
            with open(self.panel.p("var", "softaculous", "scripts.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    @staticmethod
    def outdated(ins, script):
        return bool(script) and nextcloud.version_tuple(script["ver"]) > \
            nextcloud.version_tuple(ins["ver"])

    def user_domains(self, user):
        return {d: i for d, i in self.panel.domains().items() if i["account"] == user}

    # ---- samples -----------------------------------------------------------------------
    def sample(self, params):
        try:
            with open(os.path.join(SAMPLES_DIR, "index.json")) as f:
                index = json.load(f)["samples"]
        except (OSError, ValueError):
            return None
        clean = {k: v for k, v in params.items() if k != "api"}
        for s in index:
            req = s.get("request") or {}
            if req.get("transport") != "softaculous" or not s.get("replay", True):
                continue
            want = req.get("params", {})
            if all(clean.get(k) == v for k, v in want.items()) and \
                    set(clean) <= set(want) | set(req.get("any_of", [])):
                with open(os.path.join(SAMPLES_DIR, s["body"]), "rb") as f:
                    return int(s.get("status", 200)), f.read(), s["id"]
        return None

    # ---- the API -----------------------------------------------------------------------
    def handle(self, user, params):
        """(HTTP status, body) for one enduser API call by user."""
        s = self.sample(params)
        if s:
            return s[0], s[1]
        act = params.get("act", "")
        if params.get("api") not in ("json",):
            return 200, b"<html><body><h1>Softaculous</h1><p>The simulator answers api=json only"\
                        b".</p></body></html>\n"
        fault = self.panel.take_fault("softaculous", {"act": act}) or {}
        if fault.get("fault") == "error":
            return 200, enc({"title": "Softaculous", "error": [fault.get(
                "message", "Simulated Softaculous error")]})
        fn = getattr(self, "a_" + act, None)
        if fn is None:
            return 200, enc({"title": "Softaculous", "error": ["Invalid action: %s" % act]})
        try:
            return 200, enc(fn(user, params, fault))
        except SoftError as e:
            return 200, enc({"title": "Softaculous", "error": [str(e)]})

    def ins_entry(self, ins):
        """An installation as act=installations shows it.  Which live installation a staging
        copy belongs to is kept as `staging_of`, never shown: `is_staging`/`live_insid` are in
        no documented answer (shown only when a test writes them into the record)."""
        keys = ("insid", "sid", "ver", "itime", "softpath", "softurl", "softdomain",
                "softdirectory", "softdb", "softdbuser", "softdbhost", "dbprefix", "script",
                "is_staging", "live_insid", "datadir", "backup_location")
        return {k: ins[k] for k in keys if k in ins}

    def backup_locs(self, user):
        return self._load(user, "backup_locs.json")

    def a_settings(self, user, p, fault):
        """The account's remote backup locations (3P guide list_backup_loc.md); secrets
        left out."""
        locs = {k: {x: y for x, y in v.items() if x not in ("ftp_pass", "private_key",
                                                             "passphrase")}
                for k, v in self.backup_locs(user).items()}
        return {"title": "Softaculous - Settings", "backup_locs": locs}

    def a_installations(self, user, p, fault):
        """showupdates=true: only the installations with a newer version offered, in the same
        shape (3P guide list_outdated_ins.md); `ver` stays the installed version."""
        only_outdated = str(p.get("showupdates", "")) in ("true", "1")
        scripts = self.scripts()
        out = {}
        for insid, ins in sorted(self.installs(user).items()):
            if only_outdated and not self.outdated(ins, scripts.get(ins["sid"])):
                continue
            out.setdefault(ins["sid"], {})[insid] = self.ins_entry(ins)
        return {"title": TITLES["installations"], "installations": out}

    def script_page(self, sid):
        """What a script's page shows of it (3P guide get_script_info.md): `software.ver` is
        the version offered now, `info.release_date` its release date."""
        sc = self.scripts().get(sid)
        if not sc:
            raise SoftError("The software you specified does not exist: %s" % sid)
        return {"title": "Softaculous - Powered by Softaculous",
                "info": {"overview": "%s (simulated)" % sc["name"],
                         "release_date": sc.get("release_date", ""), "import": 1},
                "settings": {}, "dbtype": "mysql",
                "software": {"name": sc["name"], "softname": sc.get("softname", ""), "ins": 1,
                             "cat": sc.get("cat", ""), "type": sc.get("type", "php"),
                             "ver": sc["ver"]}}

    def a_software(self, user, p, fault):
        """act=software&soft=SID[&giveinfo=1]: the script's page (the same with or without
        giveinfo, INF), with the account's installations of it."""
        sid = str(p.get("soft", ""))
        page = self.script_page(sid)
        page["installations"] = {i: self.ins_entry(ins) for i, ins in
                                 sorted(self.installs(user).items()) if ins["sid"] == sid}
        return page

    def a_upgrade(self, user, p, fault):
        """act=upgrade&insid=ID, POST softsubmit=1 (3P guides upgrade_ins.md,
        upgrade_installation.md): synchronous, answering after about the job time once the
        files (as the account's user) and the record are at the offered version.  Without
        softsubmit: the form, nothing changed.  The fault `setupcontinue` leaves a step for
        the web UI (Nextcloud: its database upgrade), `maintenance` leaves maintenance mode on,
        `break_http` a broken front page (nextcloud.upgrade)."""
        insid, ins = self.get_ins(user, p)
        page = dict(self.script_page(ins["sid"]), soft=ins["sid"], insid=insid,
                    __settings={"softurl": ins["softurl"]})
        if str(p.get("softsubmit", "")) != "1":
            return page
        offered = page["software"]["ver"]
        if not self.outdated(ins, {"ver": offered}):
            raise SoftError("The installation is already at the latest version (%s)" % offered)
        time.sleep(self.panel.job_seconds())
        path = ins["softpath"]
        what = fault.get("fault")
        try:
            tenants.run_as_owner(self.dir, path, lambda: nextcloud.upgrade(path, offered, what))
        except OSError as e:
            raise SoftError("Could not upgrade the installation: %s" % e)
        data = self.installs(user)
        data[insid]["ver"] = offered
        self.save_installs(user, data)
        cont = ""
        if what == "setupcontinue":
            cont = "%s/index.php?step=upgrade" % ins["softurl"].rstrip("/")
        return dict(page, done=1, setupcontinue=cont)

    def get_ins(self, user, p):
        insid = p.get("insid", "")
        ins = self.installs(user).get(insid)
        if not ins:
            raise SoftError("The installation you specified does not exist: %s" % insid)
        return insid, ins

    def target(self, user, p):
        dom = p.get("softdomain", "")
        doms = self.user_domains(user)
        if dom not in doms:
            raise SoftError("The domain %s does not belong to you" % dom)
        sub = (p.get("softdirectory") or "").strip("/")
        if ".." in sub.split("/"):
            raise SoftError("The directory is invalid")
        path = os.path.normpath(os.path.join(doms[dom]["docroot"], sub))
        if sitedb.dir_has_files(path):
            raise SoftError("The installation path %s already contains files" % path)
        for ins in self.installs(user).values():
            if os.path.normpath(ins["softpath"]) == path:
                raise SoftError("There is already an installation in %s" % path)
        db = p.get("softdb", "")
        if not re.match(r"^[A-Za-z0-9_]{1,16}$", db):
            raise SoftError("The database name is invalid (1-16 letters, digits or _)")
        full_db = "%s_%s" % (user, db)
        if os.path.exists(os.path.join(self.panel.mysql_dir(), full_db + ".sql")):
            raise SoftError("The database %s already exists" % full_db)
        return dom, sub, path, full_db

    def start(self, user, act, params, fault, extra):
        ssk = rand_key()
        d = self.task_dir(ssk)
        os.makedirs(d, mode=0o700)
        task = {"ssk": ssk, "user": user, "act": act, "params": params, "created": time.time(),
                "fault": fault.get("fault"), "job_seconds": self.panel.job_seconds()}
        task.update(extra)
        sitedb.atomic_write(os.path.join(d, "task.json"), json.dumps(task), 0o600)
        self.set_status(ssk, {"current_status": "Queued", "progress": 0,
                              "completed": COMPLETED[act]})
        log = open(os.path.join(d, "job.log"), "ab")
        try:
            proc = subprocess.Popen([sys.executable, "-B", os.path.abspath(__file__), "job",
                                     self.dir, ssk], stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=log, start_new_session=True, close_fds=True)
        finally:
            log.close()
        sitedb.atomic_write(os.path.join(d, "pid"), "%d\n" % proc.pid, 0o600)
        return {"title": "Softaculous", "done": ssk, "done_msg": MSG[act]}

    def need_submit(self, p, key="softsubmit"):
        if str(p.get(key, "")) != "1":
            raise SoftError("The form was not submitted (%s=1 is required)" % key)

    def a_staging(self, user, p, fault):
        self.need_submit(p)
        insid, ins = self.get_ins(user, p)
        if ins.get("staging_of"):
            raise SoftError("A staging installation cannot be staged again")
        dom, sub, path, db = self.target(user, p)
        return self.start(user, "staging", p, fault, {"insid": insid, "domain": dom,
                                                      "directory": sub, "path": path, "db": db})

    def a_sclone(self, user, p, fault):
        self.need_submit(p)
        insid, ins = self.get_ins(user, p)
        dom, sub, path, db = self.target(user, p)
        return self.start(user, "sclone", p, fault, {"insid": insid, "domain": dom,
                                                     "directory": sub, "path": path, "db": db})

    def a_pushtolive(self, user, p, fault):
        self.need_submit(p)
        insid, ins = self.get_ins(user, p)
        if ins.get("staging_of") not in self.installs(user):
            raise SoftError("This installation is not a staging installation")
        return self.start(user, "pushtolive", p, fault, {"insid": insid})

    def a_backup(self, user, p, fault):
        self.need_submit(p, "backupins")
        insid, ins = self.get_ins(user, p)
        if not any(str(p.get(k, "")) == "1" for k in ("backup_dir", "backup_datadir",
                                                       "backup_db")):
            raise SoftError("Please choose something to backup")
        # Without backup_location: the one saved in the installation's settings (3P guide
        # create_backup.md); "" or "0" = the local softaculous_backups.
        loc = str(p.get("backup_location") or ins.get("backup_location") or "")
        if loc in ("", "0"):
            loc = ""
        elif loc not in self.backup_locs(user):
            raise SoftError("The backup location you specified does not exist: %s" % loc)
        return self.start(user, "backup", p, fault, {"insid": insid, "location": loc})

    def remote_dir(self, user, loc):
        """What the remote backup location LOC holds (stands for its FTP/SFTP server)."""
        return self.panel.p("var", "softaculous", "remote", user, loc)

    def a_backups(self, user, p, fault):
        out = {}
        for name, b in sorted(self._load(user, "backups.json").items()):
            loc = b.get("backup_location", "")
            full = os.path.join(self.remote_dir(user, loc) if loc else self.backup_dir(user),
                                name)
            if not os.path.isfile(full):
                continue
            where = self.backup_dir(user) + "/"
            if loc:
                r = self.backup_locs(user).get(loc, {})
                where = "%s://%s%s/" % (r.get("protocol", "ftp"), r.get("server_host", "remote"),
                                        r.get("backup_loc", ""))
            entry = dict(b, name=name, path=where, size=os.path.getsize(full))
            out.setdefault(b["sid"], {}).setdefault(b["insid"], []).append(entry)
        return {"title": TITLES["backups"], "backups": out}

    def a_restore(self, user, p, fault):
        self.need_submit(p, "restore_ins")
        name = p.get("restore", "")
        meta = self._load(user, "backups.json").get(name)
        if not meta or "/" in name or not os.path.isfile(os.path.join(self.backup_dir(user),
                                                                        name)):
            raise SoftError("The backup file %s does not exist" % name)
        if meta["insid"] not in self.installs(user):
            raise SoftError("The installation of this backup does not exist: %s"
                            % meta["insid"])
        return self.start(user, "restore", p, fault, {"insid": meta["insid"], "name": name})

    def a_remove(self, user, p, fault):
        """The 3P guide's remove_installation (docs/WIRE.md §5.2); synchronous."""
        self.need_submit(p, "removeins")
        insid, ins = self.get_ins(user, p)
        root = ins["softpath"]
        if str(p.get("remove_dir", "")) == "1" and os.path.isdir(root):
            for name in os.listdir(root):
                if name == "data" and str(p.get("remove_datadir", "")) != "1":
                    continue
                full = os.path.join(root, name)
                if os.path.isdir(full) and not os.path.islink(full):
                    shutil.rmtree(full)
                else:
                    os.unlink(full)
        elif str(p.get("remove_datadir", "")) == "1":
            shutil.rmtree(os.path.join(root, "data"), ignore_errors=True)
        dbfile = os.path.join(self.panel.mysql_dir(), ins["softdb"] + ".sql")
        if str(p.get("remove_db", "")) == "1" and os.path.isfile(dbfile):
            os.unlink(dbfile)
        data = self.installs(user)
        data.pop(insid, None)
        self.save_installs(user, data)
        return {"title": "Softaculous - Powered by Softaculous", "done": 1, "insid": insid,
                "user_ins": self.ins_entry(ins)}

    def a_eu_tasklist(self, user, p, fault):
        ssk = p.get("ssk", "")
        if not re.match(r"^[A-Za-z0-9]{1,64}$", ssk):
            raise SoftError("The task %s was not found" % ssk)
        no_task = {"title": TITLES["eu_tasklist"], "no_tasks": 1, "tasks_file": "",
                   "timenow": int(time.time()), "time_taken": "0.001"}
        try:
            with open(os.path.join(self.task_dir(ssk), "task.json")) as f:
                task = json.load(f)
        except (OSError, ValueError):
            return no_task
        st = self.status(ssk)
        # Softaculous deletes a task's status file when the task fails: the list then has no
        # task, as for a key it never made (README.md, eu_tasklist).
        if task["user"] != user or not st:
            return no_task
        ins = self.installs(user).get(task.get("new_insid") or task["insid"]) or {}
        status = {"process": "", "current_status": st.get("current_status", ""),
                  "sid": ins.get("sid", NEXTCLOUD_SID), "name": ins.get("script", "Nextcloud"),
                  "version": ins.get("ver", NEXTCLOUD_VER), "softurl": ins.get("softurl", ""),
                  "completed": st.get("completed", ""), "progress": st.get("progress", 0)}
        return {"title": TITLES["eu_tasklist"], "status": status, "no_tasks": "",
                "tasks_file": "", "timenow": int(time.time()), "time_taken": "0.001"}

    # ---- tasks -------------------------------------------------------------------------
    def set_status(self, ssk, st):
        sitedb.atomic_write(os.path.join(self.task_dir(ssk), "status.json"), json.dumps(st),
                            0o600)

    def drop_status(self, ssk, why):
        """A failed task: its status file deleted, as Softaculous does; why in job.log."""
        with open(os.path.join(self.task_dir(ssk), "job.log"), "a") as f:
            f.write("error: %s\n" % why)
        try:
            os.unlink(os.path.join(self.task_dir(ssk), "status.json"))
        except FileNotFoundError:
            pass

    def status(self, ssk):
        try:
            with open(os.path.join(self.task_dir(ssk), "status.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def task_pids(self):
        return state.live_job_pids(self.task_dir())

    def run(self, ssk):
        with open(os.path.join(self.task_dir(ssk), "task.json")) as f:
            task = json.load(f)
        secs = float(task.get("job_seconds", 2))
        act = task["act"]

        # "completed" is a fixed label, there from the start; only progress 100 says done
        # (the documented eu_tasklist sample: "Installation Completed" beside the progress).
        def step(text, pct, wait):
            self.set_status(ssk, {"current_status": text, "progress": pct,
                                  "completed": COMPLETED[act]})
            time.sleep(wait)

        step("Preparing", 10, secs * 0.25)
        if task.get("fault") == "never_ends":
            step("Working", 20, NEVER_ENDS_SECONDS)
        if task.get("fault") == "fail":
            step("Copying files", 40, secs * 0.25)
            self.drop_status(ssk, "The %s failed: (simulated) Could not copy the files" % act)
            return 1
        try:
            getattr(self, "t_" + act)(task, lambda text, pct: step(text, pct, secs * 0.25))
            if task.get("fault") == "partial":  # the work done, then the task fails
                raise SoftError("(simulated) Could not finish after the files were written")
            if task.get("fault") == "unlisted":  # the work done, the record lost: 100 anyway
                data = self.installs(task["user"])
                data.pop(task["insid"], None)
                self.save_installs(task["user"], data)
        except (OSError, SoftError, KeyError, tarfile.TarError) as e:
            self.drop_status(ssk, "The %s failed: %s" % (act, e))
            return 1
        self.set_status(ssk, {"current_status": COMPLETED[act], "progress": 100,
                              "completed": COMPLETED[act]})
        return 0

    def copy_install(self, user, ins, path, dom, sub, db):
        """Files and database of ins copied to path / db, the config rewritten."""
        src_url = ins["softurl"].rstrip("/")
        url = "https://%s%s" % (dom, "/" + sub if sub else "")
        top = tenants.first_missing(path)
        sitedb.copy_tree(ins["softpath"], path)
        self.rewrite_config(path, ins, path, url, db)
        tenants.give(self.dir, top or path)
        sdb = os.path.join(self.panel.mysql_dir(), ins["softdb"] + ".sql")
        with open(sdb, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        text = text.replace(src_url, url).replace("`%s`" % ins["softdb"], "`%s`" % db)
        sitedb.atomic_write(os.path.join(self.panel.mysql_dir(), db + ".sql"),
                            text.encode("utf-8", "surrogateescape"), 0o600)
        return url

    @staticmethod
    def rewrite_config(path, ins, newpath, url, db):
        cfg = os.path.join(path, "config", "config.php")
        if not os.path.isfile(cfg):
            return
        with open(cfg) as f:
            text = f.read()
        text = (text.replace(ins["softpath"], newpath)
                .replace(ins["softurl"].rstrip("/"), url)
                .replace("'%s'" % ins["softdomain"], "'%s'" % url.split("/")[2])
                .replace("'%s'" % ins["softdb"], "'%s'" % db))
        sitedb.atomic_write(cfg, text, 0o640)

    def t_staging(self, task, step, staging=True):
        user = task["user"]
        ins = self.installs(user)[task["insid"]]
        step("Copying files", 30)
        url = self.copy_install(user, ins, task["path"], task["domain"], task["directory"],
                                task["db"])
        step("Propagating the database", 70)
        new = dict(ins, insid="%s_%d" % (ins["sid"], random.SystemRandom().randrange(
            10000, 99999)), softpath=task["path"], softurl=url, softdomain=task["domain"],
            softdirectory=task["directory"], softdb=task["db"], softdbuser=task["db"],
            itime=int(time.time()), datadir=os.path.join(task["path"], "data"))
        for k in ("is_staging", "live_insid", "staging_of", "backup_location"):
            new.pop(k, None)
        if staging:
            new["staging_of"] = task["insid"]

        def save():
            data = self.installs(user)
            data[new["insid"]] = new
            self.save_installs(user, data)
        save()
        task["new_insid"] = new["insid"]
        sitedb.atomic_write(os.path.join(self.task_dir(task["ssk"]), "task.json"),
                            json.dumps(task), 0o600)

    def t_sclone(self, task, step):
        self.t_staging(task, step, staging=False)

    def t_pushtolive(self, task, step):
        user = task["user"]
        data = self.installs(user)
        st = data[task["insid"]]
        live = data[st["staging_of"]]
        p = task["params"]
        custom = str(p.get("custom_push", "")) == "1"
        do_files = not custom or str(p.get("overwrite_files", "")) == "1"
        do_db = not custom or str(p.get("push_db", "")) == "1"
        step("Copying files", 30)
        if do_files:
            sitedb.copy_tree(st["softpath"], live["softpath"],
                             skip={os.path.join("config", "config.php")})
            tenants.give(self.dir, live["softpath"])
        step("Propagating the database", 70)
        if do_db:
            sdb = os.path.join(self.panel.mysql_dir(), st["softdb"] + ".sql")
            ldb = os.path.join(self.panel.mysql_dir(), live["softdb"] + ".sql")
            sh, stt, so = sitedb.read_dump(sdb)
            lh, lt, lo = sitedb.read_dump(ldb)
            tables = None
            if custom:
                tables = set(p.get("structural_change_tables[]", "").split(",")) | set(
                    p.get("datachange_tables[]", "").split(","))
                tables.discard("")
            for t in so:
                if tables is not None and t not in tables:
                    continue
                lt[t] = [x.replace(st["softurl"].rstrip("/"), live["softurl"].rstrip("/"))
                         for x in stt[t]]
                if t not in lo:
                    lo.append(t)
            sitedb.write_dump(ldb, lh, lt, lo)
        # INF: live's record takes the version of the code pushed onto it.
        if do_files:
            data = self.installs(user)
            data[st["staging_of"]]["ver"] = st["ver"]
            self.save_installs(user, data)

    def t_backup(self, task, step):
        user = task["user"]
        ins = self.installs(user)[task["insid"]]
        p = task["params"]
        flags = {k: 1 if str(p.get(k, "")) == "1" else 0
                 for k in ("backup_dir", "backup_datadir", "backup_db")}
        bdir = self.backup_dir(user)
        stamp = time.strftime("%Y-%m-%d_%H-%M-%S", time.gmtime())
        name = "%s.%s.%s.tar.gz" % (ins.get("script", "nextcloud").lower(), ins["insid"], stamp)
        # The archive is made in the task's own (root) directory, then written into
        # ~/softaculous_backups as the account's user, as Softaculous writes a user's backups.
        tmp = os.path.join(self.task_dir(task["ssk"]), "backup.tar.gz")
        step("Backing up the files", 30)
        with tarfile.open(tmp, "w:gz") as tf:
            if flags["backup_dir"] or flags["backup_datadir"]:
                for dp, dns, fns in os.walk(ins["softpath"]):
                    rel = os.path.relpath(dp, ins["softpath"])
                    top = rel.split(os.sep)[0]
                    is_data = top == "data"
                    if (is_data and not flags["backup_datadir"]) or \
                            (not is_data and rel != "." and not flags["backup_dir"]):
                        continue
                    for fn in fns:
                        if rel == "." and not flags["backup_dir"]:
                            continue
                        full = os.path.join(dp, fn)
                        tf.add(full, arcname=os.path.normpath(os.path.join(rel, fn)))
            step("Backing up the database", 70)
            if flags["backup_db"]:
                tf.add(os.path.join(self.panel.mysql_dir(), ins["softdb"] + ".sql"),
                       arcname="softsql.sql")
        def store():
            os.makedirs(bdir, mode=0o700, exist_ok=True)
            part = os.path.join(bdir, "." + name + ".part")
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(part, os.path.join(bdir, name))
        with open(tmp, "rb") as f:
            data = f.read()
        os.unlink(tmp)
        loc = task.get("location", "")
        if loc:  # a remote location: the file goes to its server, none in softaculous_backups
            bdir = self.remote_dir(user, loc)
            store()
        else:
            tenants.run_as_owner(self.dir, bdir, store)
        meta = self._load(user, "backups.json")
        meta[name] = dict(flags, insid=ins["insid"], sid=ins["sid"], ver=ins["ver"],
                          btime=int(time.time()), ssk=task["ssk"], softurl=ins["softurl"],
                          softpath=ins["softpath"])
        if loc:
            meta[name]["backup_location"] = loc
        self._save(user, "backups.json", meta)

    def t_restore(self, task, step):
        user = task["user"]
        ins = self.installs(user)[task["insid"]]
        p = task["params"]
        meta = self._load(user, "backups.json")[task["name"]]
        path = os.path.join(self.backup_dir(user), task["name"])
        do_dir = str(p.get("restore_dir", "")) == "1" and meta.get("backup_dir")
        do_data = str(p.get("restore_datadir", "")) == "1" and meta.get("backup_datadir")
        do_db = str(p.get("restore_db", "")) == "1" and meta.get("backup_db")
        # Softaculous restore_theme.php / restore_lang.php: the backup is laid over the
        # existing files unless restore_delete_files=1 ("existing files/folders will be
        # deleted and then the backup files will be restored"); unchecked by default.
        delete = str(p.get("restore_delete_files", "")) == "1"
        step("Restoring the files", 30)
        try:
            self.restore_files(task, step, ins, path, do_dir, do_data, do_db, delete)
        finally:
            tenants.give(self.dir, ins["softpath"])
        # INF: the installation's record follows its restored files to the backup's version
        # (else Softaculous would list an upgraded version over the old files).
        if do_dir and meta.get("ver"):
            data = self.installs(user)
            data[task["insid"]]["ver"] = meta["ver"]
            self.save_installs(user, data)

    def restore_files(self, task, step, ins, path, do_dir, do_data, do_db, delete):
        with tarfile.open(path, "r:gz") as tf:
            members = tf.getmembers()
            for m in members:
                n = os.path.normpath(m.name)
                if n.startswith("/") or n.startswith(".."):
                    raise SoftError("unsafe member %s in the backup" % m.name)
            root = ins["softpath"]
            if do_dir and delete:
                for name in os.listdir(root):
                    if name == "data":
                        continue
                    full = os.path.join(root, name)
                    shutil.rmtree(full) if os.path.isdir(full) and not os.path.islink(full) \
                        else os.unlink(full)
            if do_data and delete and os.path.isdir(os.path.join(root, "data")):
                shutil.rmtree(os.path.join(root, "data"))
            for m in members:
                n = os.path.normpath(m.name)
                is_data = n.split("/")[0] == "data"
                if n == "softsql.sql" or not m.isfile():
                    continue
                if (is_data and not do_data) or (not is_data and not do_dir):
                    continue
                dest = os.path.join(root, n)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with tf.extractfile(m) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
                os.chmod(dest, m.mode & 0o777)
            step("Restoring the database", 70)
            if do_db:
                data = tf.extractfile("softsql.sql").read()
                sitedb.atomic_write(os.path.join(self.panel.mysql_dir(), ins["softdb"] + ".sql"),
                                    data, 0o600)

    # ---- seed --------------------------------------------------------------------------
    def seed(self):
        d = self.panel.p("var", "softaculous")
        os.makedirs(d, exist_ok=True)
        sitedb.atomic_write(os.path.join(d, "scripts.json"), json.dumps(SCRIPTS, indent=1),
                            0o644)
        user = "acmeshop"
        doms = self.user_domains(user)
        if "cloud.acme.example" not in doms:
            return
        path = doms["cloud.acme.example"]["docroot"]
        db = "acmeshop_nc1"
        url = "https://cloud.acme.example"
        sitedb.write_files(path, nextcloud.files(path, db, url, NEXTCLOUD_VER))
        tenants.give(self.dir, path)
        lines = ["-- MySQL dump of `%s` (simulator: one INSERT line = one row)" % db,
                 "CREATE TABLE `oc_appconfig` (`appid` varchar(32), `configkey` varchar(64), "
                 "`configvalue` longtext);",
                 "INSERT INTO `oc_appconfig` VALUES ('core','installedat','1767225600');",
                 "INSERT INTO `oc_appconfig` VALUES ('theming','url','%s');" % url,
                 "CREATE TABLE `oc_users` (`uid` varchar(64), `displayname` varchar(64));",
                 "INSERT INTO `oc_users` VALUES ('admin','Administrator');",
                 "CREATE TABLE `oc_filecache` (`fileid` int, `path` varchar(4000));",
                 "INSERT INTO `oc_filecache` VALUES (1,'files/welcome.txt');",
                 "INSERT INTO `oc_filecache` VALUES (2,'files/Documents/notes.md');"]
        sitedb.atomic_write(os.path.join(self.panel.mysql_dir(), db + ".sql"),
                            "\n".join(lines) + "\n", 0o600)
        ins = {"insid": "%s_10001" % NEXTCLOUD_SID, "sid": NEXTCLOUD_SID, "ver": NEXTCLOUD_VER,
               "itime": 1767225600, "softpath": path, "softurl": url,
               "softdomain": "cloud.acme.example", "softdirectory": "", "softdb": db,
               "softdbuser": db, "softdbhost": "localhost", "dbprefix": "oc_",
               "script": "Nextcloud", "datadir": os.path.join(path, "data")}
        self.save_installs(user, {ins["insid"]: ins})


def main(argv):
    if len(argv) == 3 and argv[1] == "seed":
        Soft(argv[2]).seed()
        return 0
    if len(argv) == 4 and argv[1] == "job":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        return Soft(argv[2]).run(argv[3])
    if len(argv) == 3 and argv[1] == "job-pids":
        print(" ".join(str(p) for p in Soft(argv[2]).task_pids()))
        return 0
    sys.stderr.write("usage: softaculous.py seed DIR | job DIR SSK | job-pids DIR\n")
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
