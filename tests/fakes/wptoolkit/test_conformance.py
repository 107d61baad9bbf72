#!/usr/bin/env python3
"""Conformance test of the application simulators (Python unittest, standard library only).

Starts a cPanel simulator and a Plesk simulator under a mkdtemp directory (needs root: sshd),
drives `wp-toolkit` / `plesk ext wp-toolkit` over their real sshd rigs and Softaculous over the
cPanel port inside a create_user_session session, and checks README.md's contract: documented
keys and samples (byte for byte), server-wide ids that change on re-registration, a stale id
that now names another customer's site, clone needing an existing domain, copy-data table
modes, wp-cli db export/import and options, faults, the Softaculous session requirement,
staging/pushtolive, backups in ~/softaculous_backups and restore, wp-cli's update, checksum and
eval commands with their faults, and the sites served over HTTPS by Host.  Removes everything
after.
"""

import hashlib
import http.client
import json
import os
import re
import shlex
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
FAKES = os.path.dirname(HERE)
sys.path.insert(0, FAKES)  # simlib
sys.path.insert(0, HERE)
import sitedb  # noqa: E402
import wordpress  # noqa: E402
from simlib import replay  # noqa: E402

JOB_SECONDS = 0.4
FLEET = T = CP = PL = None


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Inst(replay.Inst):
    ssh_timeout = 120

    def mysql(self, db):
        return self.root("var", "lib", "mysql", db + ".sql")


class CpInst(Inst):
    def __init__(self, d):
        super().__init__(d, "CPSIM_")
        with open(self.e("TOKEN_FILE")) as f:
            self.token = f.read().strip()
        self.ctx = ssl.create_default_context(cafile=self.e("CA_FILE"))

    def wpt(self, args):
        return self.ssh("wp-toolkit " + args)

    def req(self, method, path, port, headers=None, body=None):
        c = http.client.HTTPSConnection("127.0.0.1", int(port), context=self.ctx, timeout=30)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read(), r
        finally:
            c.close()

    def whm(self, function, params):
        q = urllib.parse.urlencode(dict(params, **{"api.version": "1"}))
        st, body, _ = self.req("GET", "/json-api/%s?%s" % (function, q), self.e("API_PORT"),
                               {"Authorization": "whm root:" + self.token})
        assert st == 200, (st, body)
        return json.loads(body)

    def session(self, user="acmeshop"):
        """(cookie header, /cpsessN prefix, theme) of a fresh create_user_session session."""
        d = self.whm("create_user_session", {"user": user, "service": "cpaneld"})["data"]
        u = urllib.parse.urlsplit(d["url"])
        st, _, r = self.req("GET", u.path + "?" + u.query, u.port)
        assert st == 302, st
        loc = r.getheader("Location")
        m = re.match(r"^(/cpsess\d+)/frontend/([^/]+)/", loc)
        cookie = r.getheader("Set-Cookie").split(";")[0]
        return cookie, m.group(1), m.group(2)

    def soft(self, sess, params, post=None, theme=None):
        cookie, prefix, th = sess
        path = "%s/frontend/%s/softaculous/index.live.php?%s" % (
            prefix, theme or th, urllib.parse.urlencode(dict(params, api="json")))
        h = {"Cookie": cookie}
        body = None
        if post is not None:
            body = urllib.parse.urlencode(post)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        st, data, _ = self.req("POST" if post is not None else "GET", path,
                               self.e("CPANEL_PORT"), h, body)
        return st, data

    def soft_json(self, sess, params, post=None):
        st, data = self.soft(sess, params, post)
        assert st == 200, (st, data)
        return json.loads(data)

    def wait_task(self, sess, ssk, timeout=30):
        deadline = time.time() + timeout
        seen = []
        while time.time() < deadline:
            r = self.soft_json(sess, {"act": "eu_tasklist", "ssk": ssk})
            if "status" not in r:  # Softaculous deletes the status of a task that failed
                return r, seen
            seen.append(r["status"]["progress"])
            if r["status"]["progress"] == 100 or r.get("error"):
                return r, seen
            time.sleep(0.1)
        raise AssertionError("task %s did not end" % ssk)


class PlInst(Inst):
    def __init__(self, d):
        super().__init__(d, "PLSIM_")

    def wpt(self, args):
        return self.ssh("plesk ext wp-toolkit " + args)


def jlist(inst):
    rc, out, err = inst.wpt("--list -format json")
    assert rc == 0, err
    return json.loads(out)


def by_url(items, url):
    m = [i for i in items if i["siteUrl"] == url]
    assert len(m) == 1, (url, items)
    return m[0]


def setUpModule():
    global FLEET, T, CP, PL
    FLEET = replay.Fleet("wptconf.", [
        (os.path.join(FAKES, panel, "sim.sh"), name,
         ["--job-seconds", str(JOB_SECONDS), "--name", name])
        for panel, name in (("cpanel", "web1"), ("plesk", "plesk1"))])
    T = FLEET.dir
    CP = CpInst(FLEET.path("web1"))
    PL = PlInst(FLEET.path("plesk1"))


def tearDownModule():
    if FLEET is not None:
        FLEET.stop()


class WptShapes(unittest.TestCase):
    def test_documented_keys_and_seed(self):
        keys = replay.samples(HERE)["wpt_keys"]
        for inst in (CP, PL):
            items = jlist(inst)
            self.assertGreaterEqual(len(items), 2)
            for i in items:
                for k in keys["list"]:
                    self.assertIn(k, i)
            rc, out, err = inst.wpt("--info -instance-id %d -format json" % items[0]["id"])
            self.assertEqual(rc, 0, err)
            info = json.loads(out)
            for k in keys["info"]:
                self.assertIn(k, info)
            self.assertIsInstance(info["plugins"], dict)
        items = jlist(CP)
        blog = by_url(items, "https://blog.acme.example")
        self.assertEqual(blog["owner"], "acmeshop")
        self.assertEqual(blog["fullPath"], CP.root("home", "acmeshop", "blog.acme.example"))
        by_url(items, "https://shop.acme.example/news")
        self.assertEqual(by_url(items, "https://low.example")["owner"], "lowco")
        pl = jlist(PL)
        self.assertEqual(by_url(pl, "https://shop.example")["owner"], "jdoe")
        self.assertEqual(by_url(pl, "https://shop.example")["path"], "/httpdocs")
        self.assertEqual(by_url(pl, "https://resold.example")["owner"], "rcust")

    def test_raw_format_and_bad_usage(self):
        rc, out, err = CP.wpt("--list")
        self.assertEqual(rc, 0)
        self.assertIn("https://blog.acme.example", out)
        rc, out, err = CP.wpt("--info -format json")
        self.assertNotEqual(rc, 0)
        rc, out, err = CP.wpt("--frobnicate")
        self.assertNotEqual(rc, 0)
        self.assertIn("Unknown command", err)


class WptIds(unittest.TestCase):
    def test_reregistration_changes_the_id(self):
        before = by_url(jlist(CP), "https://shop.acme.example/news")
        all_ids = {i["id"] for i in jlist(CP)}
        rc, out, err = CP.wpt("--detach -instance-id %d" % before["id"])
        self.assertEqual(rc, 0, err)
        rc, out, err = CP.wpt("--info -instance-id %d -format json" % before["id"])
        self.assertEqual(rc, 1)
        self.assertIn("was not found", err)
        rc, out, err = CP.wpt("--register -main-domain-id %d -path %s -format json"
                              % (before["mainDomainId"], before["path"]))
        self.assertEqual(rc, 0, err)
        after = json.loads(out)
        self.assertNotEqual(after["id"], before["id"])
        self.assertGreater(after["id"], max(all_ids))
        self.assertEqual(after["fullPath"], before["fullPath"])
        rc, out, err = CP.wpt("--register -main-domain-id %d -path %s"
                              % (before["mainDomainId"], before["path"]))
        self.assertEqual(rc, 1)
        self.assertIn("already registered", err)

    def test_ids_are_server_wide(self):
        items = jlist(CP)
        owners = {i["owner"] for i in items}
        self.assertIn("lowco", owners)
        self.assertIn("acmeshop", owners)
        self.assertEqual(len({i["id"] for i in items}), len(items))
        rc, out, err = CP.wpt("--list -main-domain-id %d -format json"
                              % by_url(items, "https://low.example")["mainDomainId"])
        self.assertEqual([i["owner"] for i in json.loads(out)], ["lowco"])

    def test_stale_id_names_another_customers_site(self):
        blog = by_url(jlist(PL), "https://shop.example")
        PL.set_faults({"wptoolkit": [{"command": "list", "fault": "stale_id",
                                      "instance": blog["id"], "count": 1}]})
        try:
            items = jlist(PL)
        finally:
            PL.set_faults({})
        moved = by_url(items, "https://shop.example")
        self.assertNotEqual(moved["id"], blog["id"])
        other = [i for i in items if i["id"] == blog["id"]]
        self.assertEqual(len(other), 1)
        self.assertEqual(other[0]["owner"], "rcust")
        # the helper does the same at once
        r = subprocess.run([sys.executable, os.path.join(HERE, "wpt.py"), "stale", "plesk",
                            PL.d, str(moved["id"])], stdout=subprocess.PIPE)
        self.assertEqual(r.returncode, 0)
        self.assertNotEqual(by_url(jlist(PL), "https://shop.example")["id"], moved["id"])


class WptClone(unittest.TestCase):
    def test_clone_needs_an_existing_domain(self):
        blog = by_url(jlist(CP), "https://blog.acme.example")
        n = len(jlist(CP))
        rc, out, err = CP.wpt("--clone -source-instance-id %d -target-domain-name "
                              "nowhere.blog.acme.example -force-overwrite yes -format json"
                              % blog["id"])
        self.assertEqual(rc, 1)
        self.assertIn("was not found", err)
        self.assertEqual(len(jlist(CP)), n)
        self.assertFalse(os.path.exists(CP.root("home", "acmeshop", "nowhere.blog.acme.example")))
        # the fault: the domain exists, WP Toolkit does not see it
        CP.set_faults({"wptoolkit": {"command": "clone", "fault": "domain_missing"}})
        try:
            rc, out, err = CP.wpt("--clone -source-instance-id %d -target-domain-name "
                                  "shop.acme.example -target-path copy -format json" % blog["id"])
        finally:
            CP.set_faults({})
        self.assertEqual(rc, 1)
        self.assertEqual(len(jlist(CP)), n)

    def stage(self, sub, root="blog.acme.example"):
        r = CP.whm("uapi_cpanel", {"cpanel.user": "acmeshop", "cpanel.module": "SubDomain",
                                   "cpanel.function": "addsubdomain", "domain": sub,
                                   "rootdomain": root, "dir": "%s.%s" % (sub, root)})
        self.assertEqual(r["data"]["uapi"]["status"], 1, r)
        live = by_url(jlist(CP), "https://" + root)
        rc, out, err = CP.wpt("--clone -source-instance-id %d -target-domain-name %s.%s "
                              "-force-overwrite yes -format json" % (live["id"], sub, root))
        self.assertEqual(rc, 0, err)
        res = json.loads(out)
        self.assertIn("targetInstanceId", res)
        return live, res

    def test_clone_and_copy_data_modes(self):
        news = by_url(jlist(CP), "https://shop.acme.example/news")
        news_files, news_db = replay.tree_hash(news["fullPath"]), sha(CP.mysql("acmeshop_wp2"))
        mail = CP.root("home", "acmeshop", "mail")
        mail_hash = replay.tree_hash(mail)
        live, res = self.stage("staging")
        sid, lid = res["targetInstanceId"], live["id"]
        st = by_url(jlist(CP), "https://staging.blog.acme.example")
        self.assertEqual(st["id"], sid)
        self.assertEqual(st["owner"], "acmeshop")
        # a non-empty target needs -force-overwrite yes
        rc, out, err = CP.wpt("--clone -source-instance-id %d -target-domain-name "
                              "staging.blog.acme.example -format json" % lid)
        self.assertEqual(rc, 1)
        self.assertIn("not empty", err)
        # discourage indexing on staging only
        rc, out, err = CP.wpt("--wp-cli -instance-id %d -- option update blog_public 0" % sid)
        self.assertEqual((rc, out.strip()), (0, "Success: Updated 'blog_public' option."))
        rc, out, err = CP.wpt("--wp-cli -instance-id %d -- option get blog_public" % sid)
        self.assertEqual(out.strip(), "0")
        rc, out, err = CP.wpt("--wp-cli -instance-id %d -- option get blog_public" % lid)
        self.assertEqual(out.strip(), "1")
        rc, out, err = CP.wpt("--info -instance-id %d -format json" % sid)
        self.assertFalse(json.loads(out)["searchEnginesIndexing"])
        live_db = CP.mysql(json.loads(CP.wpt("--info -instance-id %d -format json" % lid)[1])
                           ["dbName"])
        st_db = CP.mysql(json.loads(CP.wpt("--info -instance-id %d -format json" % sid)[1])
                         ["dbName"])
        with open(st_db) as f:
            self.assertIn("https://staging.blog.acme.example", f.read())
        with open(live_db) as f:
            base_live = f.read()

        def edit_and_promote(mode):
            with open(live_db, "w") as f:
                f.write(base_live + "INSERT INTO `wp_comments` VALUES (9,1,'live','only on "
                                    "live');\n")
            with open(st_db) as f:
                text = f.read()
            with open(st_db, "w") as f:
                f.write(re.sub(r"'Hello world!'|'Hello (all|default|none)'", "'Hello %s'" % mode,
                               text))
            with open(os.path.join(st["fullPath"], "staging-%s.txt" % mode), "w") as f:
                f.write(mode)
            rc, out, err = CP.wpt("--copy-data -source-instance-id %d -target-instance-id %d "
                                  "-data-to-copy all -db-tables-copy-mode %s "
                                  "-create-restore-point yes -format json" % (sid, lid, mode))
            self.assertEqual(rc, 0, err)
            with open(live_db) as f:
                return json.loads(out), f.read()

        res, db = edit_and_promote("all")
        self.assertIn("'Hello all'", db)
        self.assertNotIn("only on live", db)
        self.assertIn("'siteurl','https://blog.acme.example'", db)
        self.assertIn("'blog_public','1'", db)
        self.assertNotIn("staging.blog.acme.example", db)
        self.assertTrue(os.path.isdir(res["restorePoint"]))
        self.assertTrue(os.path.isfile(os.path.join(live["fullPath"], "staging-all.txt")))
        res, db = edit_and_promote("default")
        self.assertNotIn("'Hello default'", db)          # posts kept from live
        self.assertIn("'Hello world!'", db)
        self.assertNotIn("only on live", db)             # comments from staging
        self.assertEqual(set(res["copiedTables"]) & {"posts", "postmeta", "users", "usermeta"},
                         set())
        self.assertIn("comments", res["copiedTables"])
        res, db = edit_and_promote("none")
        self.assertIn("only on live", db)                # database untouched
        self.assertNotIn("'Hello none'", db)
        self.assertTrue(os.path.isfile(os.path.join(live["fullPath"], "staging-none.txt")))
        with open(os.path.join(live["fullPath"], "wp-config.php")) as f:
            self.assertIn(os.path.basename(live_db)[:-4], f.read())
        # nothing else in the account was touched
        self.assertEqual(replay.tree_hash(news["fullPath"]), news_files)
        self.assertEqual(sha(CP.mysql("acmeshop_wp2")), news_db)
        self.assertEqual(replay.tree_hash(mail), mail_hash)
        # unstage on cPanel (no --remove): detach, the files, the database and its user
        # through UAPI, then the subdomain
        rc, out, err = CP.wpt("--detach -instance-id %d" % sid)
        self.assertEqual(rc, 0, err)
        self.assertNotIn(sid, [i["id"] for i in jlist(CP)])
        self.assertTrue(os.path.isfile(st_db))          # detach keeps files and database
        dbname = os.path.basename(st_db)[:-4]
        for fn in ("delete_database", "delete_user"):
            r = CP.whm("uapi_cpanel", {"cpanel.user": "acmeshop", "cpanel.module": "Mysql",
                                       "cpanel.function": fn, "name": dbname})
            self.assertEqual(r["data"]["uapi"]["status"], 1, r)
        self.assertFalse(os.path.exists(st_db))
        # the subdomain: cPanel API 2 through WHM (no UAPI delsubdomain)
        CP.whm("cpanel", {"cpanel_jsonapi_user": "acmeshop", "cpanel_jsonapi_module":
                          "SubDomain", "cpanel_jsonapi_func": "delsubdomain",
                          "cpanel_jsonapi_apiversion": "2",
                          "domain": "staging.blog.acme.example"})
        with open(CP.root("var", "cpanel", "users", "acmeshop")) as f:
            self.assertNotIn("staging.blog.acme.example", f.read())

    def test_copy_data_partial_fault_and_fail(self):
        live, res = self.stage("stage2")
        sid = res["targetInstanceId"]
        with open(CP.mysql(res["targetDbName"]), "a") as f:
            f.write("INSERT INTO `wp_comments` VALUES (7,1,'s','partial');\n")
        with open(os.path.join(res["targetFullPath"], "partial.txt"), "w") as f:
            f.write("x")
        CP.set_faults({"wptoolkit": {"command": "copy-data", "fault": "partial", "count": 1}})
        rc, out, err = CP.wpt("--copy-data -source-instance-id %d -target-instance-id %d "
                              "-db-tables-copy-mode all -format json" % (sid, live["id"]))
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"Copying (files|database) failed")
        self.assertTrue(os.path.isfile(os.path.join(live["fullPath"], "partial.txt")))
        with open(CP.mysql("acmeshop_wp1")) as f:
            self.assertNotIn("partial", f.read())
        CP.set_faults({"wptoolkit": {"command": "*", "fault": "fail", "exit": 3,
                                     "message": "Error: boom"}})
        try:
            rc, out, err = CP.wpt("--list -format json")
        finally:
            CP.set_faults({})
        self.assertEqual((rc, err.strip()), (3, "Error: boom"))
        os.unlink(os.path.join(live["fullPath"], "partial.txt"))
        self.assertEqual(CP.wpt("--detach -instance-id %d" % sid)[0], 0)

    def test_db_export_import(self):
        blog = by_url(jlist(CP), "https://shop.acme.example/news")
        out_file = os.path.join(T, "news-export.sql")
        rc, out, err = CP.wpt("--wp-cli -instance-id %d -- db export - >%s" % (blog["id"],
                                                                                out_file))
        self.assertEqual(rc, 0, err)
        self.assertIn("Progress: 100%", err)
        before = sha(CP.mysql("acmeshop_wp2"))
        self.assertEqual(sha(out_file), before)
        with open(CP.mysql("acmeshop_wp2"), "a") as f:
            f.write("INSERT INTO `wp_posts` VALUES (3,'new','x','publish','post');\n")
        rc, out, err = CP.wpt("--wp-cli -instance-id %d -- db import - <%s" % (blog["id"],
                                                                                out_file))
        self.assertEqual((rc, out.strip()), (0, "Success: Imported from '-'."))
        self.assertEqual(sha(CP.mysql("acmeshop_wp2")), before)
        # into the site's own tree, a file works (written by the site's owner)
        own = os.path.join(blog["fullPath"], "own-export.sql")
        rc, out, err = CP.wpt("--wp-cli -instance-id %d -- db export %s" % (blog["id"], own))
        self.assertEqual((rc, out.strip()), (0, "Success: Exported to '%s'." % own))
        self.assertEqual(os.stat(own).st_uid, os.stat(blog["fullPath"]).st_uid)
        os.unlink(own)
        rc, out, err = CP.wpt("--wp-cli -instance-id %d -- frobnicate" % blog["id"])
        self.assertEqual(rc, 1)
        self.assertIn("is not a registered wp command", err)

    def test_plesk_subdomain_clone_and_backup_includes_db(self):
        rc, out, err = PL.ssh("plesk bin subdomain --create staging -domain shop.example "
                              "-www-root /staging.shop.example -php true")
        self.assertEqual(rc, 0, err)
        live = by_url(jlist(PL), "https://shop.example")
        rc, out, err = PL.wpt("--clone -source-instance-id %d -target-domain-name "
                              "staging.shop.example -force-overwrite yes -format json"
                              % live["id"])
        self.assertEqual(rc, 0, err)
        res = json.loads(out)
        st = by_url(jlist(PL), "https://staging.shop.example")
        self.assertEqual(st["id"], res["targetInstanceId"])
        self.assertEqual(st["mainDomainId"], live["mainDomainId"])
        with open(PL.root("var", "lib", "psa-sim", "psa.json")) as f:
            self.assertIn(res["targetDbName"], json.load(f)["subscriptions"]["shop.example"]["dbs"])
        rc, out, err = PL.ssh("plesk bin subdomain --create staging -domain shop.example")
        self.assertEqual(rc, 1)
        self.assertEqual(PL.wpt("--remove -instance-id %d" % st["id"])[0], 0)
        rc, out, err = PL.ssh("plesk bin subdomain --remove staging -domain shop.example")
        self.assertEqual(rc, 0, err)
        self.assertFalse(os.path.exists(PL.root("var", "www", "vhosts", "shop.example",
                                                "staging.shop.example")))
        rc, out, err = PL.wpt("--clone -source-instance-id %d -target-domain-name "
                              "staging.shop.example -format json" % live["id"])
        self.assertEqual(rc, 1)


class WptRealPanelFacts(unittest.TestCase):
    """Facts of the real panels the simulator follows by default (each names its source)."""

    def test_cpanel_cli_has_no_remove_but_detach(self):
        # Source: cPanel's WP Toolkit CLI documentation (docs.cpanel.net, "WP Toolkit command
        # line interface"): clear-cache, register, info, config, wp-cli, list, install, clone,
        # copy-data, detach, languages, sets, plugins, themes, smart-update, versions.
        blog = by_url(jlist(CP), "https://shop.acme.example/news")
        rc, out, err = CP.wpt("--remove -instance-id %d -format json" % blog["id"])
        self.assertEqual(rc, 2)
        self.assertIn("Unknown command '--remove'", err)
        self.assertIn(blog["id"], [i["id"] for i in jlist(CP)])
        self.assertTrue(os.path.isfile(CP.mysql("acmeshop_wp2")))
        # Plesk's `plesk ext wp-toolkit` keeps --remove (Plesk's WP Toolkit CLI reference)
        rc, out, err = PL.wpt("--remove")
        self.assertNotIn("Unknown command", err)

    def test_copy_data_keeps_live_only_files_unless_remove_missing(self):
        # Source: the documented option `-files-remove-missing yes|no` of --copy-data (cPanel's
        # WP Toolkit CLI documentation): without it, files the target has and the source lacks
        # stay.
        live, res = WptClone.stage(self, "rmmiss")
        sid, lfull = res["targetInstanceId"], live["fullPath"]
        extra = os.path.join(lfull, "only-live.txt")
        with open(extra, "w") as f:
            f.write("x")
        base = "--copy-data -source-instance-id %d -target-instance-id %d -data-to-copy files " \
               "-create-restore-point no -format json" % (sid, live["id"])
        rc, out, err = CP.wpt(base)
        self.assertEqual(rc, 0, err)
        self.assertTrue(os.path.isfile(extra))
        rc, out, err = CP.wpt(base + " -files-remove-missing yes")
        self.assertEqual(rc, 0, err)
        self.assertFalse(os.path.exists(extra))
        self.assertTrue(os.path.isfile(os.path.join(lfull, "wp-config.php")))
        self.assertEqual(CP.wpt("--detach -instance-id %d" % sid)[0], 0)

    def test_wp_cli_runs_as_the_site_owner(self):
        # Source: third-party operators' notes (WP Toolkit's CLI runs wp-cli as the site's
        # system user; the vendors say nothing either way): a file in root's 0700 directory
        # is out of its reach, stdout and stdin are not.
        for inst, url in ((CP, "https://low.example"), (PL, "https://shop.example")):
            site = by_url(jlist(inst), url)
            work = os.path.join(T, "wpcli-%s" % inst.pre.lower().strip("_"))
            os.makedirs(work, mode=0o700, exist_ok=True)
            dump = os.path.join(work, "db.sql")
            rc, out, err = inst.wpt("--wp-cli -instance-id %d -- db export %s" % (site["id"],
                                                                                   dump))
            self.assertEqual(rc, 1, out)
            self.assertIn("Permission denied", err)
            self.assertFalse(os.path.exists(dump))
            rc, out, err = inst.wpt("--wp-cli -instance-id %d -- db export - >%s"
                                    % (site["id"], dump))
            self.assertEqual(rc, 0, err)
            with open(dump) as f:
                self.assertIn("CREATE TABLE", f.read())
            rc, out, err = inst.wpt("--wp-cli -instance-id %d -- db import %s" % (site["id"],
                                                                                   dump))
            self.assertEqual(rc, 1, out)
            self.assertIn("not readable", err)
            rc, out, err = inst.wpt("--wp-cli -instance-id %d -- db import - <%s"
                                    % (site["id"], dump))
            self.assertEqual(rc, 0, err)
            rc, out, err = inst.wpt("--wp-cli -instance-id %d -- config get DB_NAME"
                                    % site["id"])
            self.assertEqual(rc, 0, err)
            self.assertTrue(out.strip())

    def test_info_does_not_promise_the_owner_keys(self):
        # Source: WP Toolkit's JSON answers are undocumented (cPanel's and Plesk's WP Toolkit
        # CLI documentation show no shapes); only id, siteUrl and fullPath are seen in every
        # answer.  --info leaves out the key naming the account: owner on cPanel, mainDomain on
        # Plesk.
        for inst, url, key in ((CP, "https://low.example", "owner"),
                               (PL, "https://shop.example", "mainDomain")):
            site = by_url(jlist(inst), url)
            rc, out, err = inst.wpt("--info -instance-id %d -format json" % site["id"])
            self.assertEqual(rc, 0, err)
            info = json.loads(out)
            self.assertNotIn(key, info)
            for k in ("id", "siteUrl", "fullPath"):
                self.assertIn(k, info)

    def test_uapi_mysql_delete_database_and_user(self):
        # Source: cPanel UAPI documentation, Mysql::delete_database and Mysql::delete_user
        # (name=); the account's own databases only.
        live, res = WptClone.stage(self, "dbdel")
        sid, dbname = res["targetInstanceId"], res["targetDbName"]
        self.assertEqual(CP.wpt("--detach -instance-id %d" % sid)[0], 0)

        def mysql(user, fn, name):
            return CP.whm("uapi_cpanel", {"cpanel.user": user, "cpanel.module": "Mysql",
                                          "cpanel.function": fn, "name": name})["data"]["uapi"]

        self.assertEqual(mysql("lowco", "delete_database", dbname)["status"], 0)
        self.assertEqual(mysql("lowco", "delete_user", dbname)["status"], 0)
        self.assertTrue(os.path.isfile(CP.mysql(dbname)))
        self.assertEqual(mysql("acmeshop", "delete_database", dbname)["status"], 1)
        self.assertEqual(mysql("acmeshop", "delete_user", dbname)["status"], 1)
        self.assertFalse(os.path.exists(CP.mysql(dbname)))
        self.assertEqual(mysql("acmeshop", "delete_database", dbname)["status"], 0)
        self.assertEqual(mysql("acmeshop", "delete_user", dbname)["status"], 0)


class WptDetached(unittest.TestCase):
    def test_detached_import_survives_a_cut_and_attached_one_dies(self):
        inst = by_url(jlist(CP), "https://low.example")
        db = CP.mysql("lowco_wp1")
        dump = os.path.join(T, "low-export.sql")
        self.assertEqual(CP.wpt("--wp-cli -instance-id %d -- db export - >%s"
                                % (inst["id"], dump))[0], 0)
        orig = sha(db)
        with open(db, "a") as f:
            f.write("INSERT INTO `wp_posts` VALUES (5,'after','x','publish','post');\n")
        changed = sha(db)
        CP.set_faults({"wptoolkit_seconds": 3})
        cmd = "wp-toolkit --wp-cli -instance-id %d -- db import - <%s" % (inst["id"], dump)
        try:
            CP.ssh_cut(cmd, "stderr")  # once the import runs
            time.sleep(4)
            self.assertEqual(sha(db), changed)      # died with its session: nothing imported
            work = os.path.join(T, "job-import")
            os.makedirs(work, mode=0o700)
            rc, out, err = CP.ssh("cd %s && setsid sh -c %s </dev/null >/dev/null 2>&1 &" % (
                shlex.quote(work), shlex.quote(cmd + " >log 2>err; echo $? >rc")))
            self.assertEqual(rc, 0, err)
            time.sleep(0.5)
            CP.cut()
            deadline = time.time() + 30
            while time.time() < deadline and not os.path.exists(os.path.join(work, "rc")):
                time.sleep(0.1)
            time.sleep(0.2)
            with open(os.path.join(work, "rc")) as f:
                self.assertEqual(f.read().strip(), "0")
            self.assertEqual(sha(db), orig)
        finally:
            CP.set_faults({})


def wpcli(inst, site, words):
    return inst.wpt("--wp-cli -instance-id %d -- %s" % (site["id"], words))


def wpcli_json(inst, site, words):
    rc, out, err = wpcli(inst, site, words)
    assert rc == 0, (words, err)
    return json.loads(out)


def web(inst, domain, path="/", head=False):
    """(HTTP status, body) of https://DOMAIN:WEB_PORT/PATH, the name resolved to 127.0.0.1 as
    the agent's health check does it."""
    port = inst.e("WEB_PORT")
    r = subprocess.run(["curl", "-k", "-sS", "--max-time", "10", "--resolve",
                        "%s:%s:127.0.0.1" % (domain, port), "-w", "\n%{http_code}"]
                       + (["-I"] if head else []) + ["https://%s:%s%s" % (domain, port, path)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0, r.stderr
    body, _, code = r.stdout.decode().rpartition("\n")
    return int(code), body


def header_of(path, name):
    with open(path) as f:
        return wordpress.header(f.read(), name)


class SiteCopy:
    """A site's files and database as they were (subprocess cp -a keeps the owners); restore()
    puts them back the way the agent's rollback does."""

    def __init__(self, inst, site):
        self.full = site["fullPath"]
        rc, out, err = inst.wpt("--info -instance-id %d -format json" % site["id"])
        self.db = inst.mysql(json.loads(out)["dbName"])
        self.copy = tempfile.mkdtemp(prefix="site-copy.", dir=T)
        subprocess.run(["cp", "-a", self.full + "/.", self.copy], check=True)
        subprocess.run(["cp", "-a", self.db, self.copy + ".sql"], check=True)

    def restore(self):
        sitedb.empty_dir(self.full)
        subprocess.run(["cp", "-a", self.copy + "/.", self.full], check=True)
        subprocess.run(["cp", "-a", self.copy + ".sql", self.db], check=True)


class WptUpdates(unittest.TestCase):
    """wp-cli's update commands through `--wp-cli` (README.md, "Updates"); each test puts its
    site back as it found it."""

    def site(self, inst, url):
        s = by_url(jlist(inst), url)
        copy = SiteCopy(inst, s)
        self.addCleanup(copy.restore)
        self.addCleanup(inst.set_faults, {})
        return s, copy

    def test_check_update_and_lists_show_only_what_is_pending(self):
        for inst, url in ((CP, "https://low.example"), (PL, "https://resold.example")):
            site, _ = self.site(inst, url)
            self.assertEqual(wpcli(inst, site, "core version")[1], "6.5.2\n")
            both = wpcli_json(inst, site, "core check-update --format=json")
            self.assertEqual([(u["version"], u["update_type"]) for u in both],
                             [("6.5.5", "minor"), ("6.7.1", "major")])
            self.assertTrue(both[0]["package_url"].endswith("wordpress-6.5.5-partial-2.zip"))
            self.assertEqual([u["version"] for u in wpcli_json(
                inst, site, "core check-update --minor --format=json")], ["6.5.5"])
            self.assertEqual([u["version"] for u in wpcli_json(
                inst, site, "core check-update --major --format=json")], ["6.7.1"])
            plugins = wpcli_json(inst, site, "plugin list --update=available --format=json")
            self.assertEqual(plugins, [{"name": "akismet", "status": "active",
                                        "update": "available", "version": "5.3.1",
                                        "update_version": "5.3.5", "auto_update": "off"}])
            themes = wpcli_json(inst, site, "theme list --update=available --format=json")
            self.assertEqual([(t["name"], t["version"], t["update_version"]) for t in themes],
                             [("twentytwentyfour", "1.1", "1.3")])
            names = [p["name"] for p in wpcli_json(inst, site, "plugin list --format=json")]
            self.assertEqual(names, ["akismet", "hello-dolly"])
        # what is available comes from the repository file, which a test may edit
        repo = CP.root("usr", "local", "cpanel", "3rdparty", "wp-toolkit", "var", "wp-repo.json")
        with open(repo) as f:
            saved = f.read()
        self.addCleanup(sitedb.atomic_write, repo, saved, 0o600)
        sitedb.atomic_write(repo, json.dumps({"core": ["6.5.2"], "plugins": {}}), 0o600)
        site = by_url(jlist(CP), "https://low.example")
        rc, out, err = wpcli(CP, site, "core check-update --format=json")
        self.assertEqual((rc, out), (0, "[]"))
        rc, out, err = wpcli(CP, site, "core check-update")
        self.assertEqual(out, "Success: WordPress is at the latest version.\n")
        self.assertEqual(wpcli_json(CP, site, "plugin list --update=available --format=json"), [])

    def test_core_update_minor_then_major(self):
        site, _ = self.site(CP, "https://low.example")
        version_php = os.path.join(site["fullPath"], "wp-includes", "version.php")
        owner = os.stat(site["fullPath"]).st_uid
        rc, out, err = wpcli(CP, site, "core update --minor")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines()[0], "Updating to version 6.5.5 (en_US)...")
        self.assertEqual(out.splitlines()[-1], "Success: WordPress updated successfully.")
        self.assertEqual(wpcli(CP, site, "core version")[1], "6.5.5\n")
        self.assertEqual(os.stat(version_php).st_uid, owner)  # wp-cli runs as the owner
        rc, out, err = CP.wpt("--info -instance-id %d -format json" % site["id"])
        self.assertEqual(json.loads(out)["version"], "6.5.5")
        self.assertEqual(wpcli(CP, site, "core update-db")[1], "Success: WordPress database "
                         "already at latest db version 57155.\n")
        self.assertEqual(wpcli_json(CP, site, "core check-update --minor --format=json"), [])
        self.assertEqual(wpcli(CP, site, "core update --minor")[1],
                         "Success: WordPress is at the latest minor release.\n")
        self.assertEqual(wpcli(CP, site, "core update")[0], 0)
        self.assertEqual(wpcli(CP, site, "core version")[1], "6.7.1\n")
        self.assertEqual(wpcli(CP, site, "core update-db")[1], "Success: WordPress database "
                         "upgraded successfully from db version 57155 to 58975.\n")
        self.assertEqual(wpcli(CP, site, "core update")[1], "Success: WordPress is up to date.\n")
        self.assertEqual(wpcli(CP, site, "core verify-checksums")[:2], (0, "Success: WordPress "
                         "installation verifies against checksums.\n"))
        self.assertIn('content="WordPress 6.7.1"', web(CP, "low.example")[1])

    def test_plugin_and_theme_updates(self):
        site, _ = self.site(PL, "https://resold.example")
        plugins = os.path.join(site["fullPath"], "wp-content", "plugins")
        rc, out, err = wpcli(PL, site, "plugin update akismet hello-dolly")
        self.assertEqual(rc, 0, err)
        self.assertIn("| akismet | 5.3.1       | 5.3.5       | Updated |", out)
        self.assertEqual(out.splitlines()[-1], "Success: Updated 1 of 2 plugins.")
        self.assertEqual(header_of(os.path.join(plugins, "akismet", "akismet.php"), "Version"),
                         "5.3.5")
        self.assertEqual(os.stat(os.path.join(plugins, "akismet", "akismet.php")).st_uid,
                         os.stat(site["fullPath"]).st_uid)
        self.assertEqual(wpcli_json(PL, site, "plugin list --update=available --format=json"),
                         [])
        self.assertEqual(wpcli(PL, site, "plugin update hello-dolly")[1],
                         "Success: Plugin already updated.\n")
        rc, out, err = wpcli(PL, site, "plugin update nosuch")
        self.assertEqual((rc, err), (1, "Warning: The 'nosuch' plugin could not be found.\n"
                                        "Error: No plugins updated (1 failed).\n"))
        self.assertEqual(wpcli_json(PL, site, "theme update twentytwentyfour --format=json"),
                         [{"name": "twentytwentyfour", "old_version": "1.1",
                           "new_version": "1.3", "status": "Updated"}])
        self.assertEqual(header_of(os.path.join(site["fullPath"], "wp-content", "themes",
                                                "twentytwentyfour", "style.css"), "Version"),
                         "1.3")
        self.assertEqual(wpcli(PL, site, "eval 'echo 1;'")[:2], (0, "1"))

    def test_break_http_then_rollback(self):
        for inst, url, domain, words in (
                (PL, "https://resold.example", "resold.example", "plugin update akismet"),
                (CP, "https://low.example", "low.example", "core update")):
            site, copy = self.site(inst, url)
            self.assertEqual(web(inst, domain)[0], 200)
            inst.set_faults({"wptoolkit": [{"command": "wp-cli",
                                            "wp_cli": " ".join(words.split()[:2]),
                                            "fault": "break_http", "count": 1}]})
            self.assertEqual(wpcli(inst, site, words)[0], 0)
            status, body = web(inst, domain)
            self.assertEqual(status, 500)
            self.assertIn("There has been a critical error on this website.", body)
            self.assertEqual(wpcli(inst, site, "eval 'echo 1;'")[:2], (0, "1"))
            self.assertEqual(wpcli(inst, site, "core verify-checksums")[0], 0)
            copy.restore()
            self.assertEqual(web(inst, domain)[0], 200)

    def test_break_fatal_and_break_checksums(self):
        site, copy = self.site(CP, "https://low.example")
        CP.set_faults({"wptoolkit": [{"command": "wp-cli", "wp_cli": "plugin update",
                                      "fault": "break_fatal", "count": 1}]})
        self.assertEqual(wpcli(CP, site, "plugin update akismet")[0], 0)
        self.assertEqual(web(CP, "low.example")[0], 500)
        rc, out, err = wpcli(CP, site, "eval 'echo 1;'")
        self.assertEqual((rc, out), (255, ""))
        self.assertRegex(err, r"^PHP Fatal error:  Uncaught Error: .* in "
                         + re.escape(site["fullPath"]) + r"/wp-content/plugins/akismet/"
                         r"akismet\.php:\d+\n")
        self.assertEqual(wpcli(CP, site, "core verify-checksums")[0], 0)
        copy.restore()
        self.assertEqual(web(CP, "low.example")[0], 200)
        self.assertEqual(wpcli(CP, site, "eval 'echo 1;'")[:2], (0, "1"))
        CP.set_faults({"wptoolkit": [{"command": "wp-cli", "wp_cli": "core update",
                                      "fault": "break_checksums", "count": 1}]})
        self.assertEqual(wpcli(CP, site, "core update --minor")[0], 0)
        rc, out, err = wpcli(CP, site, "core verify-checksums")
        self.assertEqual((rc, err), (1, "Warning: File doesn't verify against checksum: "
                                        "wp-blog-header.php\nError: WordPress installation "
                                        "doesn't verify against checksums.\n"))
        self.assertEqual(web(CP, "low.example")[0], 200)
        copy.restore()
        self.assertEqual(wpcli(CP, site, "core verify-checksums")[0], 0)
        self.assertEqual(wpcli(CP, site, "core version")[1], "6.5.2\n")


class WptUsers(unittest.TestCase):
    """wp-cli's user commands through `--wp-cli` on both panels (README.md, "Users"): the
    seeded administrator, create with its refusals, the mails in the outbox, set-role,
    reset-password, delete with and without --reassign; each test puts its site back."""

    def test_users_on_both_panels(self):
        for inst, url, state in ((CP, "https://low.example", ("usr", "local", "cpanel",
                                                             "3rdparty", "wp-toolkit", "var")),
                                 (PL, "https://resold.example", ("usr", "local", "psa", "var",
                                                                "modules", "wp-toolkit"))):
            site = by_url(jlist(inst), url)
            copy = SiteCopy(inst, site)
            self.addCleanup(copy.restore)
            outbox = inst.root(*state, "outbox")
            before = set(os.listdir(outbox)) if os.path.isdir(outbox) else set()
            host = url.split("/")[2]
            fields = "user list --fields=ID,user_login,user_email,roles --format=json"
            self.assertEqual(wpcli_json(inst, site, fields), [
                {"ID": 1, "user_login": "admin", "user_email": "admin@" + host,
                 "roles": "administrator"}])
            rc, out, err = wpcli(inst, site, "user create bob bob@%s --role=editor "
                                 "--send-email --porcelain" % host)
            self.assertEqual((rc, out), (0, "2\n"), err)
            for words, msg in (
                    ("user create bob x@%s" % host,
                     "Error: The 'bob' username is already registered."),
                    ("user create carl bob@%s" % host,
                     "Error: Sorry, that email address is already used!"),
                    ("user create carl carl@%s --role=king" % host,
                     "Error: Role doesn't exist: king"),
                    ("user create carl nobody", "Error: The 'nobody' email address is invalid."),
                    ("user set-role zed editor", "Error: Invalid user ID, email or login: 'zed'"),
                    ("user set-role bob king", "Error: Role doesn't exist: king")):
                rc, out, err = wpcli(inst, site, words)
                self.assertEqual((rc, err), (1, msg + "\n"), words)
            # without --porcelain wp-cli shows the password it made up
            rc, out, err = wpcli(inst, site, "user create dora dora@%s" % host)
            self.assertRegex(out, r"^Success: Created user 3\.\nPassword: \S+\n$")
            mails = {}
            for name in sorted(set(os.listdir(outbox)) - before):
                with open(os.path.join(outbox, name)) as f:
                    head, _, body = f.read().partition("\n\n")
                mails[head.splitlines()[0]] = (head.splitlines()[1], body)
            self.assertEqual(sorted(mails), ["To: admin@" + host, "To: bob@" + host])
            subject, body = mails["To: bob@" + host]
            self.assertTrue(subject.startswith("Subject: [") and subject.endswith("Login Details"))
            self.assertRegex(body, r"To set your password, visit the following address:\n\n"
                             r"%s/wp-login\.php\?action=rp&key=\w+&login=bob\n"
                             % re.escape(url))
            self.assertEqual(wpcli(inst, site, "user set-role 2 author")[1],
                             "Success: Added bob (2) to %s as author.\n" % url)
            self.assertEqual(wpcli(inst, site, "user get bob --field=roles")[1], "author\n")
            seen = set(os.listdir(outbox))
            rc, out, err = wpcli(inst, site, "user reset-password 2")
            self.assertEqual(out, "Reset password for bob.\nSuccess: Password reset for 1 "
                             "user.\n")
            (new,) = set(os.listdir(outbox)) - seen
            with open(os.path.join(outbox, new)) as f:
                text = f.read()
            self.assertIn("Subject: [", text)
            self.assertIn("Password Changed", text)
            self.assertNotIn("wp-login.php?action=rp", text)  # the notice has no link
            count = "post list --author=%d --post_type=any --post_status=any --format=count"
            self.assertEqual(wpcli(inst, site, count % 1)[1], "2\n")
            # without --yes or --reassign wp-cli asks, reads no "y", and does nothing
            rc, out, err = wpcli(inst, site, "user delete 1")
            self.assertEqual((rc, out), (0, "--reassign parameter not passed. All associated "
                                         "posts will be deleted. Proceed? [y/n] "))
            self.assertEqual(wpcli(inst, site, "user delete 1 --reassign=2 --yes")[1],
                             "Success: Removed user 1 from %s.\n" % url)
            self.assertEqual(wpcli(inst, site, count % 2)[1], "2\n")
            self.assertEqual(wpcli(inst, site, "user delete 2 --yes")[0], 0)
            self.assertEqual(wpcli(inst, site, "post list --post_type=any --post_status=any "
                                   "--format=count")[1], "0\n")
            self.assertEqual(wpcli(inst, site, "user list --field=user_login")[1], "dora\n")
            self.assertEqual(json.loads(wpcli(inst, site, "user get dora --format=json")[1])
                             ["ID"], "3")


class WebListener(unittest.TestCase):
    """The panels' sites over HTTPS (README.md, "The sites over HTTPS")."""

    def test_host_routing_static_files_and_log(self):
        status, body = web(CP, "shop.acme.example")
        self.assertEqual((status, body), (200, "<h1>shop.acme.example</h1>\n"))
        status, body = web(CP, "shop.acme.example", "/news/")
        self.assertEqual(status, 200)
        self.assertIn("<title>Acme News</title>", body)
        self.assertIn("Hello world!", body)
        self.assertIn('<meta name="generator" content="WordPress 6.5.2">', body)
        self.assertIn("<title>Acme Blog</title>", web(CP, "blog.acme.example")[1])
        self.assertIn("<title>Shop Blog</title>", web(PL, "shop.example")[1])
        self.assertEqual(web(CP, "shop.example")[0], 404)    # another server's site
        self.assertEqual(web(PL, "unknown.example")[0], 404)
        self.assertEqual(web(CP, "shop.acme.example", "/news/wp-config.php")[0], 404)
        self.assertEqual(web(CP, "shop.acme.example", "/news/.htaccess")[0], 403)
        self.assertEqual(web(CP, "shop.acme.example", "/news/", head=True)[0], 200)
        logged = [r for r in CP.requests() if r.get("transport") == "web"]
        self.assertIn({"host": "shop.acme.example", "path": "/news/", "method": "HEAD",
                       "status": 200}, [{k: r[k] for k in ("host", "path", "method", "status")}
                                        for r in logged])

    def test_render_site_and_a_missing_database(self):
        site = by_url(jlist(PL), "https://shop.example")
        status, body = wordpress.render_site(site["fullPath"], "/")
        self.assertEqual(status, 200)
        self.assertIn("<h1 class=\"wp-block-site-title\">Shop Blog</h1>", body)
        db = PL.mysql("shopuser_wp1")
        os.rename(db, db + ".away")
        try:
            self.assertEqual(web(PL, "shop.example"), (500, wordpress.DEAD_DB))
        finally:
            os.rename(db + ".away", db)
        self.assertEqual(web(PL, "shop.example")[0], 200)


class Softaculous(unittest.TestCase):
    PATH = "/frontend/jupiter/softaculous/index.live.php?act=installations&api=json"

    def test_only_inside_a_session(self):
        port = CP.e("CPANEL_PORT")
        st, body, _ = CP.req("GET", self.PATH, port)
        self.assertEqual(st, 401)
        self.assertIn(b"login_form", body)
        st, body, _ = CP.req("GET", "/cpsess0000000001" + self.PATH, port)
        self.assertEqual(st, 401)
        st, body, _ = CP.req("GET", self.PATH, port, {"Authorization": "cpanel acmeshop:"
                                                      + CP.token})
        self.assertEqual(st, 401)
        sess = CP.session()
        self.assertEqual(sess[2], "jupiter")
        other = CP.session()
        # the cookie of one session with another session's prefix
        st, body = CP.soft((sess[0], other[1], "jupiter"), {"act": "installations"})
        self.assertEqual(st, 401)
        st, body = CP.soft(sess, {"act": "installations"}, theme="paper_lantern")
        self.assertEqual(st, 404)
        r = CP.soft_json(sess, {"act": "installations"})
        ins = r["installations"]["483"]["483_10001"]
        for k in ("sid", "ver", "softpath", "softurl", "softdomain", "softdb", "insid"):
            self.assertIn(k, ins)
        self.assertEqual(ins["softdomain"], "cloud.acme.example")
        with open(CP.e("REQUEST_LOG")) as f:
            log = f.read()
        self.assertIn('"function":"softaculous:installations"', log)
        self.assertNotIn(sess[0].split("=", 1)[1], log)

    def test_theme_comes_from_the_account(self):
        path = CP.root("var", "cpanel", "users", "lowco")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("RS=jupiter", "RS=paper_lantern"))
        try:
            sess = CP.session("lowco")
            self.assertEqual(sess[2], "paper_lantern")
            self.assertEqual(CP.soft(sess, {"act": "installations"})[0], 200)
            self.assertEqual(CP.soft(sess, {"act": "installations"}, theme="jupiter")[0], 404)
        finally:
            with open(path, "w") as f:
                f.write(text)

    def test_samples_byte_for_byte(self):
        samples = replay.samples(HERE)["samples"]
        sess = CP.session()
        n = 0
        for s in samples:
            want = replay.sample_bytes(HERE, s["body"])
            params = dict(s["request"]["params"])
            if s["replay"]:
                q = {k: v for k, v in params.items() if k in ("act", "insid", "restore", "ssk")}
                post = {k: v for k, v in params.items() if k not in q}
                for k in s["request"]["any_of"][:1]:
                    post[k] = "1"
                st, body = CP.soft(sess, q, post or None)
                self.assertEqual((st, body), (s["status"], want), s["id"])
                n += 1
            else:
                if params["act"] == "backups" and not CP.soft_json(sess, params)["backups"]:
                    r = CP.soft_json(sess, {"act": "backup", "insid": "483_10001"},
                                     {"backupins": "1", "backup_db": "1"})
                    CP.wait_task(sess, r["done"])
                got = CP.soft_json(sess, params)
                self.assert_shape(json.loads(want), got, s["id"])
        self.assertGreaterEqual(n, 6)

    def assert_shape(self, want, got, what):
        """Every key of the sample exists in got at the same nesting (ids and sids are
        placeholders: one level of any key stands for them)."""
        if isinstance(want, dict):
            self.assertIsInstance(got, dict, what)
            for k, v in want.items():
                if k in got:
                    self.assert_shape(v, got[k], what)
                else:
                    self.assertTrue(got, "%s: %s missing" % (what, k))
                    self.assert_shape(v, next(iter(got.values())), what)
        elif isinstance(want, list):
            self.assertIsInstance(got, list, what)
            self.assertTrue(got, what)
            self.assert_shape(want[0], got[0], what)

    def test_stage_pushtolive_backup_restore(self):
        r = CP.whm("uapi_cpanel", {"cpanel.user": "acmeshop", "cpanel.module": "SubDomain",
                                   "cpanel.function": "addsubdomain", "domain": "staging",
                                   "rootdomain": "cloud.acme.example",
                                   "dir": "staging.cloud.acme.example"})
        self.assertEqual(r["data"]["uapi"]["status"], 1)
        sess = CP.session()
        live_path = CP.root("home", "acmeshop", "cloud.acme.example")
        live_db = CP.mysql("acmeshop_nc1")
        r = CP.soft_json(sess, {"act": "staging", "insid": "483_10001"},
                         {"softsubmit": "1", "softdomain": "staging.cloud.acme.example",
                          "softdirectory": "", "softdb": "ncstg"})
        self.assertEqual(r["done_msg"], "Staging has been pushed in background")
        t, seen = CP.wait_task(sess, r["done"])
        self.assertEqual(t["status"]["completed"], "Staging Completed")
        insts = CP.soft_json(sess, {"act": "installations"})["installations"]["483"]
        stg = [i for i in insts.values() if i["softdomain"] == "staging.cloud.acme.example"]
        self.assertEqual(len(stg), 1)
        stg = stg[0]
        self.assertEqual(stg["softdb"], "acmeshop_ncstg")
        # change staging, push to live
        with open(os.path.join(stg["softpath"], "data/admin/files/Documents/notes.md"), "w") as f:
            f.write("# notes\nedited on staging\n")
        with open(CP.mysql("acmeshop_ncstg"), "a") as f:
            f.write("INSERT INTO `oc_filecache` VALUES (3,'files/staged.txt');\n")
        r = CP.soft_json(sess, {"act": "pushtolive", "insid": stg["insid"]}, {"softsubmit": "1"})
        self.assertEqual(r["done_msg"], "Pushing to live has started in background")
        CP.wait_task(sess, r["done"])
        with open(os.path.join(live_path, "data/admin/files/Documents/notes.md")) as f:
            self.assertIn("edited on staging", f.read())
        with open(live_db) as f:
            text = f.read()
        self.assertIn("staged.txt", text)
        self.assertNotIn("staging.cloud.acme.example", text)
        with open(os.path.join(live_path, "config", "config.php")) as f:
            self.assertIn("'dbname' => 'acmeshop_nc1'", f.read())
        # a second staging copy, removed again (unstage)
        r = CP.soft_json(sess, {"act": "sclone", "insid": "483_10001"},
                         {"softsubmit": "1", "softdomain": "cloud.acme.example",
                          "softdirectory": "copy", "softdb": "nccopy"})
        self.assertEqual(r["done_msg"], "Clone has been pushed in background")
        CP.wait_task(sess, r["done"])
        insts = CP.soft_json(sess, {"act": "installations"})["installations"]["483"]
        cp = [i for i in insts.values() if i["softdirectory"] == "copy"][0]
        self.assertNotIn("is_staging", cp)
        r = CP.soft_json(sess, {"act": "remove", "insid": cp["insid"]},
                         {"removeins": "1", "remove_dir": "1", "remove_datadir": "1",
                          "remove_db": "1", "remove_dbuser": "1"})
        self.assertEqual((r["done"], r["insid"]), (1, cp["insid"]))
        self.assertEqual(os.listdir(cp["softpath"]), [])
        self.assertFalse(os.path.exists(CP.mysql("acmeshop_nccopy")))
        os.rmdir(cp["softpath"])
        # backup -> change -> restore
        files0, db0 = replay.tree_hash(live_path), sha(live_db)
        r = CP.soft_json(sess, {"act": "backup", "insid": "483_10001"},
                         {"backupins": "1", "backup_dir": "1", "backup_datadir": "1",
                          "backup_db": "1"})
        self.assertTrue(r["done_msg"].startswith("Your backup is being created in background"))
        t, seen = CP.wait_task(sess, r["done"])
        self.assertEqual(t["status"]["completed"], "Backup Completed")
        b = [x for x in CP.soft_json(sess, {"act": "backups"})["backups"]["483"]["483_10001"]
             if x["ssk"] == r["done"]]
        self.assertEqual(len(b), 1)
        bdir = CP.root("home", "acmeshop", "softaculous_backups") + "/"
        self.assertEqual(b[0]["path"], bdir)
        self.assertRegex(b[0]["name"], r"^nextcloud\.483_10001\.\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d"
                                       r"\.tar\.gz$")
        self.assertEqual(os.path.getsize(bdir + b[0]["name"]), b[0]["size"])
        with open(os.path.join(live_path, "data/admin/files/later.txt"), "w") as f:
            f.write("made after the backup\n")
        with open(os.path.join(live_path, "index.php"), "a") as f:
            f.write("// changed\n")
        with open(live_db, "a") as f:
            f.write("INSERT INTO `oc_users` VALUES ('eve','Eve');\n")
        r = CP.soft_json(sess, {"act": "restore", "restore": b[0]["name"]},
                         {"restore_ins": "1", "restore_dir": "1", "restore_datadir": "1",
                          "restore_db": "1", "restore_delete_files": "1"})
        self.assertTrue(r["done_msg"].startswith("Your backup is being restored in background"))
        t, seen = CP.wait_task(sess, r["done"])
        self.assertEqual(t["status"]["completed"], "Restore Completed")
        self.assertEqual(replay.tree_hash(live_path), files0)
        self.assertEqual(sha(live_db), db0)

    def test_stop_ends_tasks(self):
        d = os.path.join(T, "web-stop")
        sh = os.path.join(FAKES, "cpanel", "sim.sh")
        subprocess.run(["sh", sh, "start", d, "--name", "webstop", "--accounts", "acmeshop"],
                       check=True, stdout=subprocess.DEVNULL)
        try:
            inst = CpInst(d)
            inst.set_faults({"softaculous": {"act": "backup", "fault": "never_ends"}})
            sess = inst.session()
            r = inst.soft_json(sess, {"act": "backup", "insid": "483_10001"},
                               {"backupins": "1", "backup_db": "1"})
            with open(os.path.join(inst.root("var", "softaculous", "tasks", r["done"]),
                                   "pid")) as f:
                pid = int(f.read())
            self.assertTrue(os.path.exists("/proc/%d" % pid))
        finally:
            subprocess.run(["sh", sh, "stop", d], stdout=subprocess.DEVNULL)
        time.sleep(0.2)
        self.assertFalse(os.path.exists("/proc/%d" % pid) and
                         "softaculous" in open("/proc/%d/cmdline" % pid).read())

    def test_faults_and_errors(self):
        sess = CP.session()
        r = CP.soft_json(sess, {"act": "backup", "insid": "483_99999"}, {"backupins": "1",
                                                                          "backup_db": "1"})
        self.assertIn("error", r)
        CP.set_faults({"softaculous": {"act": "backup", "fault": "fail", "count": 1}})
        r = CP.soft_json(sess, {"act": "backup", "insid": "483_10001"}, {"backupins": "1",
                                                                          "backup_db": "1"})
        t, seen = CP.wait_task(sess, r["done"])
        self.assertNotIn("status", t)  # deleted: see test_softaculous_facts.py
        self.assertTrue(t["no_tasks"])
        CP.set_faults({"softaculous": {"act": "staging", "fault": "error"}})
        try:
            r = CP.soft_json(sess, {"act": "staging", "insid": "483_10001"}, {"softsubmit": "1"})
        finally:
            CP.set_faults({})
        self.assertEqual(r["error"], ["Simulated Softaculous error"])
        r = CP.soft_json(sess, {"act": "eu_tasklist", "ssk": "nosuchtask"})
        self.assertTrue(r["no_tasks"])


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("test_conformance.py: needs root (sshd rig); skipped")
        sys.exit(77)
    unittest.main(verbosity=2)
