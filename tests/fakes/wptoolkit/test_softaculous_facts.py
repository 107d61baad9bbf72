#!/usr/bin/env python3
"""Softaculous facts of the real panel that the simulator follows by default (issue 12; ctest
`softaculous_facts`, needs root).  Standard library only.

Starts one cPanel simulator (account acmeshop, its Nextcloud install 483_10001) under a mkdtemp
directory and drives the Softaculous enduser API over the cPanel port inside a
create_user_session session, as the agent does (README.md, "Softaculous").  Each test names the
vendor source of the fact it checks in its docstring; every one would fail against the
simulator's old behaviour (restore emptying the install by itself, `completed` empty until the
end, a failed task's error shown in its status, backups always local, staging keys shown).

Issue 14: upgrades (outdated installations, the version offered, act=upgrade and its faults),
Nextcloud's `php occ status` as the owner of config/config.php only, and the installation's
page (softaculous.render_site), all following the installation's files.
"""

import json
import os
import pwd
import shlex
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
import softaculous  # noqa: E402

JOB_SECONDS = 0.4
INSID = "483_10001"
SEEDED, OFFERED = "28.0.4", "28.0.14"
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

    def upgrade(self):
        return self.call({"act": "upgrade", "insid": INSID}, {"softsubmit": "1"})

    def record(self):
        return self.call({"act": "installations"})["installations"]["483"][INSID]


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

    def keep_install(self):
        """The live installation's version.php, index.php, config/config.php and its record
        are put back after the test; returns the function that puts them back (the files are
        the installation's state: putting them back heals it, as the agent's rollback does)."""
        paths = [os.path.join(self.live, r) for r in ("version.php", "index.php",
                                                       os.path.join("config", "config.php"))]
        saved = {}
        for p in paths + [CP.installs_file()]:
            with open(p, "rb") as f:
                saved[p] = f.read()

        def put_back():
            for p, data in saved.items():
                with open(p, "wb") as f:  # in place: the owner stays
                    f.write(data)
        self.addCleanup(put_back)
        return put_back

    def offer(self, ver):
        """The version Softaculous offers of Nextcloud set to ver for this test."""
        p = CP.root("var", "softaculous", "scripts.json")
        with open(p) as f:
            text = f.read()
        d = json.loads(text)
        d["483"]["ver"] = ver
        with open(p, "w") as f:
            json.dump(d, f)

        def put_back():
            with open(p, "w") as f:
                f.write(text)
        self.addCleanup(put_back)

    def occ(self, args="status --output=json", owner=True):
        """(exit code, stdout, stderr) of `php occ ARGS` in the live installation, as its
        owner (setpriv, as the agent runs it) or as root."""
        pre = "setpriv --reuid=$(id -u acmeshop) --regid=$(id -g acmeshop) --init-groups " \
            if owner else ""
        return CP.ssh("cd %s && %sphp occ %s" % (shlex.quote(self.live), pre, args))

    def occ_status(self):
        code, out, err = self.occ()
        self.assertEqual(code, 0, (out, err))
        return json.loads(out)

    def version_php(self):
        with open(os.path.join(self.live, "version.php")) as f:
            return f.read()

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

    def test_showupdates_lists_only_the_outdated(self):
        """Softaculous API guide list_outdated_ins.md (deepakbackuply/softaculous_api, a mirror
        of Softaculous's API docs): act=installations&showupdates=true lists only the
        installations with an update available, in the shape of `installations`, `ver` the
        installed version; get_script_info.md: act=software&soft=SID&giveinfo=1 gives the
        script's `software.ver` (the version offered now), `software.name` and
        `info.release_date`.  Seeded: Nextcloud 28.0.4 installed, 28.0.14 offered."""
        r = CP.call({"act": "installations", "showupdates": "true"})
        self.assertEqual(list(r["installations"]), ["483"])
        self.assertEqual(r["installations"]["483"][INSID]["ver"], SEEDED)
        self.assertEqual(r["installations"]["483"][INSID]["softpath"], self.live)
        info = CP.call({"act": "software", "soft": "483", "giveinfo": "1"})
        self.assertEqual(info["software"]["ver"], OFFERED)
        self.assertEqual(info["software"]["name"], "Nextcloud")
        self.assertRegex(info["info"]["release_date"], r"^\d\d-\d\d-\d{4}$")
        self.assertIn("error", CP.call({"act": "software", "soft": "99999", "giveinfo": "1"}))
        self.offer(SEEDED)
        self.assertEqual(CP.call({"act": "installations", "showupdates": "true"})
                         ["installations"], {})
        self.assertEqual(CP.record()["ver"], SEEDED)  # the full list still has it

    def test_upgrade_is_synchronous(self):
        """Softaculous API guides upgrade_ins.md and upgrade_installation.md: act=upgrade&insid
        with POST softsubmit=1 answers `done` 1, an empty `setupcontinue` when nothing is left
        to do in the web UI, and `__settings.softurl`; the answer comes when the work is done.
        The files (as the account's user) and the record are at the offered version after
        it; without softsubmit it is the form and nothing changes; an installation already at
        the offered version answers an error."""
        self.keep_install()
        files0 = replay.tree_hash(self.live)
        form = CP.call({"act": "upgrade", "insid": INSID})
        self.assertNotIn("done", form)
        self.assertEqual(form["software"]["ver"], OFFERED)
        self.assertEqual(replay.tree_hash(self.live), files0)
        t0 = time.monotonic()
        r = CP.upgrade()
        self.assertGreaterEqual(time.monotonic() - t0, JOB_SECONDS)
        self.assertEqual(r["done"], 1, r)
        self.assertEqual(r["setupcontinue"], "")
        self.assertEqual(r["__settings"]["softurl"], "https://cloud.acme.example")
        self.assertIn("info", r)
        self.assertIn("$OC_VersionString = '%s';" % OFFERED, self.version_php())
        uid = pwd.getpwnam("acmeshop").pw_uid
        for rel in ("version.php", os.path.join("config", "config.php")):
            self.assertEqual(os.stat(os.path.join(self.live, rel)).st_uid, uid, rel)
        self.assertEqual(CP.record()["ver"], OFFERED)
        outdated = CP.call({"act": "installations", "showupdates": "true"})["installations"]
        self.assertNotIn(INSID, outdated.get("483", {}))
        st = self.occ_status()
        self.assertEqual((st["version"], st["versionstring"]), (OFFERED + ".1", OFFERED))
        self.assertFalse(st["needsDbUpgrade"] or st["maintenance"], st)
        code, page = softaculous.render_site(self.live, "/")
        self.assertEqual(code, 200)
        self.assertIn('<meta name="generator" content="Nextcloud %s">' % OFFERED, page)
        again = CP.upgrade()
        self.assertIn("error", again)
        self.assertNotIn("done", again)

    def test_upgrade_faults(self):
        """The faults of README.md for act=upgrade, each leaving the upgrade `done`:
        setupcontinue (a step left in the web UI: Nextcloud's database upgrade, occ status
        needsDbUpgrade, the page 503), maintenance (occ status maintenance, the page 503,
        status.php still 200 as Nextcloud's is), break_http (the page 500, occ status fine).
        Each is healed by putting the files back; `error` changes nothing."""
        cases = (("setupcontinue", 503, {"needsDbUpgrade": True, "maintenance": False}),
                 ("maintenance", 503, {"needsDbUpgrade": False, "maintenance": True}),
                 ("break_http", 500, {"needsDbUpgrade": False, "maintenance": False}))
        for fault, http, occ in cases:
            with self.subTest(fault=fault):
                put_back = self.keep_install()
                CP.set_faults({"softaculous": {"act": "upgrade", "fault": fault, "count": 1}})
                r = CP.upgrade()
                self.assertEqual(r["done"], 1, r)
                if fault == "setupcontinue":
                    self.assertRegex(r["setupcontinue"],
                                     r"^https://cloud\.acme\.example/(.*/)?index\.php\?.+")
                else:
                    self.assertEqual(r["setupcontinue"], "")
                self.assertIn("$OC_VersionString = '%s';" % OFFERED, self.version_php())
                self.assertEqual(CP.record()["ver"], OFFERED)
                st = self.occ_status()
                self.assertEqual({k: st[k] for k in occ}, occ)
                self.assertEqual(softaculous.render_site(self.live, "/")[0], http)
                code, body = softaculous.render_site(self.live, "/status.php")
                self.assertEqual(code, 200)
                self.assertEqual(json.loads(body)["maintenance"], occ["maintenance"])
                put_back()
                st = self.occ_status()
                self.assertFalse(st["needsDbUpgrade"] or st["maintenance"], st)
                self.assertEqual(softaculous.render_site(self.live, "/")[0], 200)
        self.keep_install()
        files0 = replay.tree_hash(self.live)
        CP.set_faults({"softaculous": {"act": "upgrade", "fault": "error",
                                       "message": "Simulated upgrade error"}})
        self.assertEqual(CP.upgrade()["error"], ["Simulated upgrade error"])
        self.assertEqual(replay.tree_hash(self.live), files0)
        CP.set_faults({})
        self.assertEqual(CP.record()["ver"], SEEDED)

    def test_occ_status_as_the_owner_only(self):
        """Nextcloud admin manual, occ command "status": the JSON keys below; Nextcloud's
        console.php refuses any user but the owner of config/config.php ("Console has to be
        executed with the user that owns the file config/config.php", exit 1), root included;
        Symfony Console: an unknown command is "not defined" (exit 1)."""
        code, out, err = self.occ()
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out), {
            "installed": True, "version": SEEDED + ".1", "versionstring": SEEDED, "edition": "",
            "maintenance": False, "needsDbUpgrade": False, "productname": "Nextcloud",
            "extendedSupport": False})
        code, out, err = self.occ("status")
        self.assertEqual(code, 0, err)
        self.assertIn("  - versionstring: %s\n" % SEEDED, out)
        code, out, err = self.occ(owner=False)
        self.assertEqual(code, 1)
        self.assertIn("Console has to be executed with the user that owns the file "
                      "config/config.php\nCurrent user id: 0\n", out)
        self.assertNotIn("{", out)
        code, out, err = self.occ("upgrade")  # nothing to upgrade: says so (Upgrade.php)
        self.assertEqual(code, 0, err)
        self.assertEqual(out, "No upgrade required.\n")
        code, out, err = self.occ("maintenance:mode")
        self.assertEqual(code, 1)
        self.assertIn('Command "maintenance:mode" is not defined.', err)

    def test_the_page(self):
        """softaculous.render_site, the web listener's call for a directory with an `occ` file:
        200 with Nextcloud's login page, "Nextcloud" in its title and the version in a
        generator meta (INF: Nextcloud's page has no such meta; it stands for what a check
        may look for)."""
        code, page = softaculous.render_site(self.live, "/")
        self.assertEqual(code, 200)
        self.assertRegex(page, r"<title>[^<]*Nextcloud[^<]*</title>")
        self.assertIn('<meta name="generator" content="Nextcloud %s">' % SEEDED, page)
        self.assertIn('name="login"', page)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("test_softaculous_facts.py: needs root (sshd rig); skipped")
        sys.exit(77)
    unittest.main(verbosity=2)
