#!/usr/bin/env python3
"""Softaculous facts of the real panel that the simulator follows by default (issue 12; ctest
`softaculous_facts`, needs root).  Standard library only.

Starts one cPanel simulator (account acmeshop, its Nextcloud install 483_10001) under a mkdtemp
directory and drives the Softaculous enduser API over the cPanel port inside a
create_user_session session, as the agent does (README.md, "Softaculous").  Each test names the
vendor source of the fact it checks in its docstring; every one would fail against the
simulator's old behaviour (restore emptying the install by itself, `completed` empty until the
end, a failed task's error shown in its status, backups always local, staging keys shown).
"""

import json
import os
import signal
import sys
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
FAKES = os.path.dirname(HERE)
sys.path.insert(0, FAKES)  # simlib
from simlib import replay  # noqa: E402
from test_conformance import CpInst  # noqa: E402

JOB_SECONDS = 0.4
INSID = "483_10001"
FLEET = CP = None


class Cp(CpInst):
    """The cPanel simulator (test_conformance.CpInst), with one Softaculous session kept."""

    def __init__(self, d):
        super().__init__(d)
        self.sess = None

    def call(self, params, post=None):
        """The JSON answer to one Softaculous call (a POST when post is given)."""
        if self.sess is None:
            self.sess = self.session()
        return self.soft_json(self.sess, params, post)

    def tasklist(self, ssk, seconds=30):
        """eu_tasklist answers for ssk until progress 100 or no status (bounded in time)."""
        seen = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r = self.call({"act": "eu_tasklist", "ssk": ssk})
            seen.append(r)
            if not isinstance(r.get("status"), dict) or r["status"].get("progress") == 100:
                return seen
            time.sleep(0.05)
        raise AssertionError("task %s neither reached 100 nor left the list" % ssk)

    def backup(self, post=None):
        """A backup of the Nextcloud install (files, data, database); its backups entry."""
        r = self.call({"act": "backup", "insid": INSID},
                      dict({"backupins": "1", "backup_dir": "1", "backup_datadir": "1",
                            "backup_db": "1"}, **(post or {})))
        self.assertDone(r)
        last = self.tasklist(r["done"])[-1]
        assert last["status"]["progress"] == 100, last
        mine = [b for group in self.call({"act": "backups"})["backups"].values()
                for lst in group.values() for b in lst if b["ssk"] == r["done"]]
        assert len(mine) == 1, mine
        return mine[0]

    @staticmethod
    def assertDone(r):
        assert r.get("done") and not r.get("error"), r

    def installs_file(self):
        return self.root("home", "acmeshop", ".softaculous", "installations.json")

    def edit_install(self, insid, **kv):
        """Set (value None: remove) keys of an installation's record, as a test's setup."""
        p = self.installs_file()
        with open(p) as f:
            d = json.load(f)
        for k, v in kv.items():
            if v is None:
                d[insid].pop(k, None)
            else:
                d[insid][k] = v
        with open(p, "w") as f:
            json.dump(d, f)


def setUpModule():
    global FLEET, CP
    FLEET = replay.Fleet("softfacts.", [
        (os.path.join(FAKES, "cpanel", "sim.sh"), "websf",
         ["--job-seconds", str(JOB_SECONDS), "--name", "websf", "--accounts", "acmeshop"])],
        job_dirs=(os.path.join("root", "var", "softaculous", "tasks"),))
    CP = Cp(FLEET.path("websf"))


def tearDownModule():
    if FLEET is not None:
        FLEET.stop()


class SoftaculousFacts(unittest.TestCase):
    def setUp(self):
        CP.set_faults({})
        self.live = CP.root("home", "acmeshop", "cloud.acme.example")

    def restore(self, name, extra=None):
        r = CP.call({"act": "restore", "restore": name},
                    dict({"restore_ins": "1", "restore_dir": "1", "restore_datadir": "1",
                          "restore_db": "1"}, **(extra or {})))
        CP.assertDone(r)
        last = CP.tasklist(r["done"])[-1]
        self.assertEqual(last["status"]["progress"], 100, last)

    def test_restore_overlays_unless_restore_delete_files(self):
        """Softaculous enduser restore_theme.php: the restore form's field
        `restore_delete_files`, unchecked by default; restore_lang.php: "If checked existing
        files/folders will be deleted and then the backup files will be restored".  Without it
        a file made after the backup survives the restore; with it, the install is exactly the
        backup's again (issue 12, fact 1)."""
        b = CP.backup()
        files0 = replay.tree_hash(self.live)
        later = os.path.join(self.live, "lib", "webshell.php")
        later_data = os.path.join(self.live, "data", "admin", "files", "later.txt")
        for p in (later, later_data):
            with open(p, "w") as f:
                f.write("made after the backup\n")
        with open(os.path.join(self.live, "index.php"), "a") as f:
            f.write("// changed after the backup\n")
        self.restore(b["name"])
        self.assertTrue(os.path.isfile(later), "an overlay restore deleted a newer file")
        self.assertTrue(os.path.isfile(later_data))
        with open(os.path.join(self.live, "index.php")) as f:
            self.assertNotIn("changed after the backup", f.read())  # the backup's copy is back
        self.restore(b["name"], {"restore_delete_files": "1"})
        self.assertFalse(os.path.exists(later))
        self.assertFalse(os.path.exists(later_data))
        self.assertEqual(replay.tree_hash(self.live), files0)

    def test_completed_is_a_label_from_the_start(self):
        """The documented eu_tasklist answer (deepakbackuply/softaculous_api
        cpanel/guide/task_list_status.md, a mirror of Softaculous's API docs) carries
        `completed` => "Installation Completed" as a label beside `progress`: it is there
        while the task runs, so only progress 100 says done (issue 12, fact 2)."""
        CP.set_faults({"softaculous": {"act": "backup", "fault": "never_ends", "count": 1}})
        r = CP.call({"act": "backup", "insid": INSID}, {"backupins": "1", "backup_db": "1"})
        CP.assertDone(r)
        def running():
            st = CP.call({"act": "eu_tasklist", "ssk": r["done"]}).get("status") or {}
            return st if st.get("progress", 0) > 0 else None

        try:
            st = replay.until(running, 20)
            self.assertTrue(st, "the task shows no progress")
            self.assertLess(st["progress"], 100)
            self.assertEqual(st["completed"], "Backup Completed")
        finally:
            with open(CP.root("var", "softaculous", "tasks", r["done"], "pid")) as f:
                os.kill(int(f.read()), signal.SIGTERM)

    def test_failed_task_leaves_the_list(self):
        """Softaculous deletes a task's status file when the task fails (the ssk "is the status
        file": task_list_status.md, as above): eu_tasklist then shows no task, never progress
        100 nor an error in the status.  "No task" after a start is the task's failure, not its
        success (issue 12, fact 2)."""
        before = sorted(os.listdir(CP.root("home", "acmeshop", "softaculous_backups"))) \
            if os.path.isdir(CP.root("home", "acmeshop", "softaculous_backups")) else []
        CP.set_faults({"softaculous": {"act": "backup", "fault": "fail", "count": 1}})
        r = CP.call({"act": "backup", "insid": INSID}, {"backupins": "1", "backup_db": "1"})
        CP.assertDone(r)
        seen = CP.tasklist(r["done"])
        last = seen[-1]
        self.assertNotIn("status", last)
        self.assertTrue(last["no_tasks"])
        self.assertNotIn("error", last)
        for a in seen[:-1]:
            self.assertLess(a["status"]["progress"], 100)
            self.assertEqual(a["status"]["completed"], "Backup Completed")
        after = sorted(os.listdir(CP.root("home", "acmeshop", "softaculous_backups")))
        self.assertEqual(after, before)

    def test_backup_goes_to_the_saved_location(self):
        """Softaculous API guide create_backup.md (deepakbackuply/softaculous_api, a mirror of
        Softaculous's API docs): `backup_location` is optional, "Default value will be the one
        saved in the installation's settings"; list_backup_loc.md: act=settings lists the
        remote locations (`backup_locs`).  A backup without backup_location of an installation
        that saves to a remote location lands there, not in ~/softaculous_backups (issue 12,
        fact 9).  Default seeded state: local (no location saved)."""
        ins = CP.call({"act": "installations"})["installations"]["483"][INSID]
        self.assertIn(ins.get("backup_location", ""), ("", "0"))
        locs = CP.root("home", "acmeshop", ".softaculous", "backup_locs.json")
        with open(locs, "w") as f:
            json.dump({"1": {"id": "1", "name": "offsite", "protocol": "ftp",
                             "server_host": "ftp.example.net", "port": 21, "ftp_user": "u",
                             "ftp_pass": "secret", "backup_loc": "/backups"}}, f)
        CP.edit_install(INSID, backup_location="1")
        try:
            ins = CP.call({"act": "installations"})["installations"]["483"][INSID]
            self.assertEqual(ins["backup_location"], "1")
            shown = CP.call({"act": "settings"})["backup_locs"]
            self.assertEqual(shown["1"]["server_host"], "ftp.example.net")
            self.assertNotIn("ftp_pass", shown["1"])
            b = CP.backup()
            self.assertEqual(b["path"], "ftp://ftp.example.net/backups/")
            self.assertFalse(os.path.exists(CP.root("home", "acmeshop", "softaculous_backups",
                                                    b["name"])))
            self.assertTrue(os.path.isfile(CP.root("var", "softaculous", "remote", "acmeshop",
                                                   "1", b["name"])))
        finally:
            CP.edit_install(INSID, backup_location=None)
            os.unlink(locs)
        b = CP.backup()
        self.assertEqual(b["path"], CP.root("home", "acmeshop", "softaculous_backups") + "/")

    def test_staging_keys_are_not_shown(self):
        """Softaculous's API guides (deepakbackuply/softaculous_api
        cpanel/guide/list_installations.md, create_staging.md) show installations with sid,
        ver, softpath, softurl, softdomain, softdb, insid…; `is_staging` and `live_insid`
        appear in no documented sample, so the simulator does not show them: a staging copy is
        known by the one who made it (issue 12, fact 8).  pushtolive still knows its live
        installation."""
        r = CP.call({"act": "installations"})
        doms = {i["softdomain"] for g in r["installations"].values() for i in g.values()}
        self.assertNotIn("stg.cloud.acme.example", doms)
        q = urllib.parse.urlencode({"cpanel.user": "acmeshop", "cpanel.module": "SubDomain",
                                    "cpanel.function": "addsubdomain", "domain": "stg",
                                    "rootdomain": "cloud.acme.example",
                                    "dir": "stg.cloud.acme.example", "api.version": "1"})
        st, body, _ = CP.req("GET", "/json-api/uapi_cpanel?" + q, CP.e("API_PORT"),
                             {"Authorization": "whm root:" + CP.token})
        self.assertEqual(json.loads(body)["data"]["uapi"]["status"], 1, body)
        r = CP.call({"act": "staging", "insid": INSID},
                    {"softsubmit": "1", "softdomain": "stg.cloud.acme.example",
                     "softdirectory": "", "softdb": "ncfacts"})
        CP.assertDone(r)
        self.assertEqual(CP.tasklist(r["done"])[-1]["status"]["progress"], 100)
        stg = [i for i in CP.call({"act": "installations"})["installations"]["483"].values()
               if i["softdomain"] == "stg.cloud.acme.example"]
        self.assertEqual(len(stg), 1)
        for k in ("is_staging", "live_insid"):
            self.assertNotIn(k, stg[0])
        with open(os.path.join(stg[0]["softpath"], "lib", "pushed.txt"), "w") as f:
            f.write("from staging\n")
        r = CP.call({"act": "pushtolive", "insid": stg[0]["insid"]}, {"softsubmit": "1"})
        CP.assertDone(r)
        self.assertEqual(CP.tasklist(r["done"])[-1]["status"]["progress"], 100)
        self.assertTrue(os.path.isfile(os.path.join(self.live, "lib", "pushed.txt")))
        r = CP.call({"act": "pushtolive", "insid": INSID}, {"softsubmit": "1"})
        self.assertIn("error", r)  # the live installation is no staging copy
        os.unlink(os.path.join(self.live, "lib", "pushed.txt"))


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("test_softaculous_facts.py: needs root (sshd rig); skipped")
        sys.exit(77)
    unittest.main(verbosity=2)
