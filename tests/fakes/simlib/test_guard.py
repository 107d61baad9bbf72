#!/usr/bin/env python3
"""The root-path guard and the tenants on their own (README.md in this directory): guard
wrappers written by sim-common.sh's sim_write_guards into a scratch simulator directory with
one tenant tree, run as root, as the tenant, below a fake panel tool, through planted links,
with the hostile-delay and guard-hook hooks.  ctest: fakes_guard; needs root (useradd, setpriv).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FAKES = os.path.dirname(HERE)
sys.path.insert(0, FAKES)
from simlib import tenants  # noqa: E402

TENANT = "jikuguardt"  # a test tenant of its own; tests/fakes/tenants.sh remove deletes it


class Guard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.top = tempfile.mkdtemp(prefix="jiku-guard.")
        cls.dir = os.path.join(cls.top, "sim")
        os.makedirs(os.path.join(cls.dir, "ssh", "bin"))
        cls.tree = os.path.join(cls.dir, "root", "home", TENANT)
        cls.snap = os.path.join(cls.dir, "root", "home", "jiku-snapshots")
        os.makedirs(os.path.join(cls.tree, "public_html"))
        os.makedirs(cls.snap, mode=0o711)
        with open(os.path.join(cls.tree, "public_html", "index.html"), "w") as f:
            f.write("tenant page\n")
        cls.outside = os.path.join(cls.top, "outside")
        os.makedirs(cls.outside)
        with open(os.path.join(cls.outside, "secret"), "w") as f:
            f.write("root only\n")
        os.chmod(os.path.join(cls.outside, "secret"), 0o600)
        cls.uid, cls.gid = tenants.add_tree(cls.dir, cls.tree, TENANT, 0o711)
        script = ('here=%s/cpanel; . %s/simlib/sim-common.sh; dir=%s; sim_write_guards'
                  % (FAKES, FAKES, cls.dir))
        subprocess.run(["sh", "-c", script], check=True)
        cls.bin = os.path.join(cls.dir, "ssh", "bin")
        cls.log = os.path.join(cls.dir, "violations.log")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.top, ignore_errors=True)

    def setUp(self):
        for name in ("violations.log", "hostile-delay", "guard-hook"):
            try:
                os.unlink(os.path.join(self.dir, name))
            except FileNotFoundError:
                pass

    def run_cmd(self, argv, as_tenant=False, env=None, cwd=None):
        e = {"PATH": self.bin + ":/usr/bin:/bin"}
        e.update(env or {})
        if as_tenant:
            argv = ["setpriv", "--reuid=%d" % self.uid, "--regid=%d" % self.gid,
                    "--init-groups", "--"] + argv
        return subprocess.run(argv, env=e, cwd=cwd or "/", stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)

    def violations(self):
        try:
            with open(self.log) as f:
                return [json.loads(line) for line in f]
        except FileNotFoundError:
            return []

    def test_root_inside_a_tree_is_logged_and_still_runs(self):
        page = os.path.join(self.tree, "public_html", "index.html")
        r = self.run_cmd(["cat", page])
        self.assertEqual(r.stdout, b"tenant page\n")
        v = self.violations()
        self.assertEqual(len(v), 1, v)
        self.assertEqual(v[0]["command"], "cat")
        self.assertEqual(v[0]["argv"], ["cat", page])
        self.assertEqual(v[0]["euid"], 0)
        self.assertEqual(v[0]["hits"][0]["tree"], self.tree)

    def test_the_tenant_itself_is_not_logged(self):
        r = self.run_cmd(["cat", os.path.join(self.tree, "public_html", "index.html")],
                         as_tenant=True)
        self.assertEqual(r.stdout, b"tenant page\n", r.stderr)
        r = self.run_cmd(["tar", "-cf", "/dev/null", "-C", self.tree, "public_html"],
                         as_tenant=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.violations(), [])

    def test_below_a_fake_panel_tool_is_not_logged(self):
        r = self.run_cmd(["ls", os.path.join(self.tree, "public_html")],
                         env={"JIKU_SIM_PANEL_TOOL": "1"})
        self.assertEqual(r.stdout, b"index.html\n")
        self.assertEqual(self.violations(), [])

    def test_root_outside_every_tree_is_not_logged(self):
        r = self.run_cmd(["ls", os.path.dirname(self.tree)])  # lists, does not descend
        self.assertIn(TENANT.encode(), r.stdout)
        self.run_cmd(["md5sum", os.path.join(self.outside, "secret")])
        self.run_cmd(["tar", "-cf", os.path.join(self.snap, "x.tar"), "-C", self.outside,
                      "secret"])
        self.run_cmd(["rm", "-f", os.path.join(self.snap, "x.tar")])
        self.assertEqual(self.violations(), [])

    def test_a_link_planted_in_the_tree_pointing_outside(self):
        link = os.path.join(self.tree, "public_html", "innocent")
        os.symlink(os.path.join(self.outside, "secret"), link)
        try:
            r = self.run_cmd(["cat", link])
            self.assertEqual(r.stdout, b"root only\n")  # root did follow it: that is the bug
            v = self.violations()
            self.assertEqual(len(v), 1, v)
            self.assertIn(link, [h["path"] for h in v[0]["hits"]])
        finally:
            os.unlink(link)

    def test_a_link_outside_pointing_into_the_tree(self):
        link = os.path.join(self.snap, "to-home")
        os.symlink(self.tree, link)
        try:
            self.run_cmd(["stat", "-c", "%s", os.path.join(link, "public_html", "index.html")])
            v = self.violations()
            self.assertEqual(len(v), 1, v)
            self.assertEqual(v[0]["hits"][0]["tree"], self.tree)
        finally:
            os.unlink(link)

    def test_tar_directory_cwd_and_descending(self):
        self.run_cmd(["tar", "-cf", "/dev/null", "--directory=" + self.tree, "public_html"])
        self.run_cmd(["ls"], cwd=os.path.join(self.tree, "public_html"))
        self.run_cmd(["find", os.path.join(self.dir, "root"), "-name", "nothing"])
        v = self.violations()
        self.assertEqual([x["command"] for x in v], ["tar", "ls", "find"], v)
        self.assertEqual(v[1]["hits"][0]["arg"], "(cwd)")
        self.assertEqual(v[2]["hits"][0]["why"], "contains")

    def test_exit_status_and_arguments_pass_through(self):
        r = self.run_cmd(["cat", os.path.join(self.outside, "missing"), "--", "-n"])
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"missing", r.stderr)

    def test_hooks_run_first(self):
        hook = os.path.join(self.dir, "guard-hook")
        seen = os.path.join(self.top, "hook-saw")
        open(seen, "w").close()
        os.chmod(seen, 0o666)  # the hook runs as whoever runs the command, the tenant too
        with open(hook, "w") as f:
            f.write('#!/bin/sh\nprintf "%%s %%s\\n" "$JIKU_GUARD_EUID" "$*" >>%s\n' % seen)
        os.chmod(hook, 0o755)
        with open(os.path.join(self.dir, "hostile-delay"), "w") as f:
            f.write("# command seconds [root|any [EREGEX]]\nrm 0.4 root victim$\n")
        target = os.path.join(self.snap, "victim")
        open(target, "w").close()
        t0 = time.monotonic()
        r = self.run_cmd(["rm", "-f", target])
        took = time.monotonic() - t0
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(target))
        self.assertGreaterEqual(took, 0.4)  # the delay ran (a lower bound, not a race)
        self.run_cmd(["cat", "/dev/null"], as_tenant=True)
        with open(seen) as f:
            self.assertEqual(f.read(), "0 rm -f %s\n%d cat /dev/null\n" % (target, self.uid))
        os.unlink(seen)
        # arguments the regular expression does not match: no delay (30 s would show)
        with open(os.path.join(self.dir, "hostile-delay"), "w") as f:
            f.write("rm 30 any victim$\n")
        t0 = time.monotonic()
        self.run_cmd(["rm", "-f", target + "-other"])
        self.assertLess(time.monotonic() - t0, 20)


class Tenants(unittest.TestCase):
    def test_ensure_is_idempotent_and_refuses_a_stranger(self):
        self.assertEqual(tenants.ensure_user(TENANT), tenants.ensure_user(TENANT))
        with self.assertRaises(tenants.TenantError):
            tenants.ensure_user("root")

    def test_parallel_creation(self):
        name = TENANT + "p"
        procs = [subprocess.Popen([sys.executable, "-B", os.path.join(HERE, "tenants.py"),
                                   "ensure", name], stdout=subprocess.PIPE) for _ in range(4)]
        outs = {p.communicate(timeout=60)[0] for p in procs}
        self.assertEqual([p.returncode for p in procs], [0] * 4)
        self.assertEqual(len(outs), 1, outs)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("test_guard: needs root (useradd, setpriv); skipped")
        sys.exit(77)
    unittest.main()
