#!/usr/bin/env python3
"""Conformance test of the cPanel simulator (Python unittest, standard library only).

1. Every documented sample in samples/index.json is replayed over its transports (HTTPS WHM,
   HTTPS cPanel /execute, whmapi1 and uapi over the real sshd rig) and compared byte for byte.
2. The simulator's own behaviour: envelopes, auth, background pkgacct with its JSON-lines log,
   cpmove restores (overlay, name derivation, new accounts), every fault, the request log, two
   instances side by side, and `sim.sh stop` leaving nothing running.

Needs root (sshd).  Starts two simulators under a mkdtemp directory and removes it afterwards.
"""

import hashlib
import http.client
import json
import os
import pwd
import shlex
import shutil
import ssl
import subprocess
import sys
import tarfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_SH = os.path.join(HERE, "sim.sh")
sys.path.insert(0, os.path.dirname(HERE))  # tests/fakes: simlib
from simlib import replay, tenants  # noqa: E402

JOB_SECONDS = 0.5
UNIDENTIFIED = "Could not identify state from pkgacct log"

FLEET = T = None
W1 = None
W2 = None


class Inst(replay.Inst):
    """One running simulator, with clients for its HTTPS ports and its sshd."""

    ssh_text = False

    def __init__(self, d):
        super().__init__(d, "CPSIM_")
        with open(self.env["CPSIM_TOKEN_FILE"]) as f:
            self.token = f.read().strip()
        self.ctx = ssl.create_default_context(cafile=self.env["CPSIM_CA_FILE"])

    def conn(self, port=None):
        return http.client.HTTPSConnection("127.0.0.1", int(port or self.env["CPSIM_API_PORT"]),
                                           context=self.ctx, timeout=30)

    def raw(self, method, path, body=None, headers=None, port=None):
        c = self.conn(port)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.reason, r.read(), r
        finally:
            c.close()

    def whm(self, function, params=None, method="GET", token=None, user="root", version=True):
        params = dict(params or {})
        if version:
            params["api.version"] = "1"
        q = urllib.parse.urlencode(params)
        h = {"Authorization": "whm %s:%s" % (user, token if token is not None else self.token)}
        if method == "GET":
            return self.raw("GET", "/json-api/%s?%s" % (function, q), headers=h)[::2][:2]
        h["Content-Type"] = "application/x-www-form-urlencoded"
        return self.raw("POST", "/json-api/%s" % function, body=q, headers=h)[::2][:2]

    def whm_json(self, function, params=None, method="GET"):
        status, body = self.whm(function, params, method)
        assert status == 200, (status, body)
        return json.loads(body)

    def home(self, *p):
        return os.path.join(self.env["CPSIM_HOME"], *p)

    def snapdir(self, user, ident):
        d = os.path.join(self.env["CPSIM_SNAPSHOT_DIR"], user, ident)
        os.makedirs(d, mode=0o700, exist_ok=True)
        return d

    # ---- job helpers ----------------------------------------------------------------------
    def start_pkgacct(self, user, tarroot=None):
        p = {"user": user, "compressionsetting": "compress", "low_priority": "1"}
        if tarroot:
            p["tarroot"] = tarroot
        env = self.whm_json("start_background_pkgacct", p, "POST")
        assert env["metadata"]["result"] == 1, env
        return env["data"]["session_id"]

    def wait_pkgacct(self, sid, limit=30.0):
        """The session's end state.  Until its first state, WHM may still answer that it
        cannot identify one (the job has not made its upid link yet: StartGrace)."""
        deadline = time.time() + limit
        st = None
        while time.time() < deadline:
            env = self.whm_json("get_pkgacct_session_state", {"session_id": sid})
            if env["metadata"]["result"] == 0 and st is None and \
                    UNIDENTIFIED in env["metadata"]["reason"]:
                time.sleep(0.1)
                continue
            st = env["data"]["state"]
            if st != "RUNNING":
                return st
            time.sleep(0.1)
        return st or "UNIDENTIFIED"

    def master_log(self, sid):
        env = self.whm_json("fetch_pkgacct_master_log", {"session_id": sid})
        return [json.loads(line) for line in env["data"]["log"].splitlines()]

    def snapshot(self, user, ident):
        d = self.snapdir(user, ident)
        sid = self.start_pkgacct(user, d)
        assert self.wait_pkgacct(sid) == "COMPLETED"
        return os.path.join(d, "cpmove-%s.tar.gz" % user), sid

    def start_restore(self, path, username=None, overwrite="1"):
        p = {"cpmovepath": path, "overwrite": overwrite}
        if username:
            p["username"] = username
        env = self.whm_json("start_local_cpmove_restore", p)
        assert env["metadata"]["result"] == 1, env
        return env["data"]["transfer_session_id"]

    def wait_restore(self, tid, limit=30.0):
        deadline = time.time() + limit
        st = None
        while time.time() < deadline:
            st = self.whm_json("get_transfer_session_state",
                               {"transfer_session_id": tid})["data"]["state_name"]
            if st in ("COMPLETED", "FAILED", "ABORTED"):
                return st
            time.sleep(0.1)
        return st

    def transfer_log(self, tid, logfile="master.log"):
        env = self.whm_json("fetch_transfer_session_log",
                            {"transfer_session_id": tid, "logfile": logfile})
        return [json.loads(line) for line in env["data"]["log"].splitlines()]

    def item_result(self, tid):
        for line in self.transfer_log(tid):
            c = line["contents"]
            if c.get("action") in ("success-item", "warning-item", "failed-item"):
                return c
        return None


def log_text(lines):
    return "".join(line["contents"] for line in lines if isinstance(line["contents"], str))


def log_value(lines, key):
    for line in lines:
        c = line["contents"]
        i = c.find("] " + key + " ")
        if i >= 0:
            return c[i + len(key) + 3:].strip()
    return None


def setUpModule():
    global FLEET, T, W1, W2
    if os.geteuid() != 0:
        raise unittest.SkipTest("needs root (sshd rig)")
    FLEET = replay.Fleet("cpsim-conf.", [
        (SIM_SH, "web1", ["--name", "web1", "--job-seconds", str(JOB_SECONDS)]),
        (SIM_SH, "web2", ["--name", "web2", "--job-seconds", str(JOB_SECONDS), "--accounts",
                          "lowco"])],
        job_dirs=("root/var/cpanel/pkgacct_sessions", "root/var/cpanel/transfer_sessions"))
    T = FLEET.dir
    W1 = Inst(FLEET.path("web1"))
    W2 = Inst(FLEET.path("web2"))


def tearDownModule():
    if FLEET is not None:
        FLEET.stop()


class Base(unittest.TestCase):
    def setUp(self):
        W1.set_faults({})
        W2.set_faults({})


class Samples(Base):
    """Every documented sample response, replayed byte for byte."""

    def test_every_sample_is_replayed_byte_for_byte(self):
        samples = replay.samples(HERE)["samples"]
        self.assertGreaterEqual(len(samples), 20)
        replays = 0
        for s in samples:
            want = replay.sample_bytes(HERE, s["body"])
            json.loads(want)
            req = s["request"]
            status = s.get("status", 200)
            with self.subTest(sample=s["id"]):
                if s["match"] == "auth":
                    for token in ("WRONGTOKEN", ""):
                        got = W1.whm("version", token=token)
                        self.assertEqual(got, (status, want))
                        replays += 1
                    st, reason, body, _ = W1.raw("GET", "/json-api/version?api.version=1")
                    self.assertEqual((st, body), (status, want))
                    self.assertEqual(reason, "Forbidden Access denied")
                    continue
                fn, params = req["function"], req["params"]
                if "https" in req["transports"]:
                    for method in ("GET", "POST"):
                        self.assertEqual(W1.whm(fn, params, method), (status, want), method)
                        replays += 1
                if "execute" in req["transports"]:
                    mod, func = fn.split("::")
                    h = {"Authorization": "cpanel acmeshop:%s" % W1.token}
                    path = "/execute/%s/%s?%s" % (mod, func, urllib.parse.urlencode(params))
                    st, _, body, _ = W1.raw("GET", path, headers=h,
                                            port=W1.env["CPSIM_CPANEL_PORT"])
                    self.assertEqual((st, body), (status, want))
                    replays += 1
                words = " ".join(shlex.quote("%s=%s" % (urllib.parse.quote(k, safe=""),
                                                        urllib.parse.quote(v, safe="")))
                                 for k, v in params.items())
                if "whmapi1" in req["transports"]:
                    rc, out, err = W1.ssh("whmapi1 --output=json %s %s" % (fn, words))
                    self.assertEqual((rc, out), (0, want + b"\n"), err)
                    replays += 1
                if "uapi" in req["transports"]:
                    mod, func = fn.split("::")
                    rc, out, err = W1.ssh("uapi --output=json --user=bob %s %s %s"
                                          % (mod, func, words))
                    self.assertEqual((rc, out), (0, want + b"\n"), err)
                    replays += 1
        sys.stderr.write("\n  %d samples, %d byte-for-byte replays\n" % (len(samples), replays))

    def test_generic_answers_have_the_sample_shapes(self):
        code, body = W1.whm("nosuchfunction")
        self.assertEqual(code, 200)
        self.assertEqual(body, b'{"metadata":{"command":"nosuchfunction","reason":"Unknown app '
                               b'(\\"nosuchfunction\\") requested for this version (1) of the '
                               b'API.","result":0,"version":1}}')
        code, body = W1.whm("cpanel", {"cpanel_jsonapi_user": "ACMESHOP",
                                       "cpanel_jsonapi_module": "DomainInfo",
                                       "cpanel_jsonapi_func": "list_domains",
                                       "cpanel_jsonapi_apiversion": "3"})
        self.assertEqual(body, replay.sample_bytes(HERE, "s03-legacy-cpanel-bad-user.body"))
        env = W1.whm_json("uapi_cpanel", {"cpanel.user": "acmeshop",
                                          "cpanel.module": "DomainInfo",
                                          "cpanel.function": "list_domains"})
        # inside the WHM envelope the UAPI object's keys are sorted, as in the uapi_cpanel sample (docs/WIRE.md §2.3)
        self.assertEqual(list(env["data"]["uapi"]),
                         ["data", "errors", "messages", "metadata", "status", "warnings"])
        st, _, body, _ = W1.raw("GET", "/execute/DomainInfo/list_domains", headers={
            "Authorization": "cpanel acmeshop:" + W1.token}, port=W1.env["CPSIM_CPANEL_PORT"])
        self.assertEqual(list(json.loads(body)),
                         ["status", "errors", "messages", "warnings", "metadata", "data"])
        self.assertEqual(env["data"]["uapi"]["data"]["main_domain"], "shop.acme.example")
        env = W1.whm_json("start_background_pkgacct", {"user": "nosuchuser"})
        self.assertEqual(env["metadata"]["result"], 0)
        self.assertEqual(env["metadata"]["error_count"], len(env["metadata"]["errors"]))


class Api(Base):
    def test_version_accounts_homedir(self):
        env = W1.whm_json("version")
        self.assertEqual(env, {"data": {"version": "11.126.0.15"}, "metadata": {
            "command": "version", "reason": "OK", "result": 1, "version": 1}})
        acct = W1.whm_json("accountsummary", {"user": "acmeshop"})["data"]["acct"][0]
        self.assertEqual((acct["user"], acct["domain"]), ("acmeshop", "shop.acme.example"))
        self.assertRegex(acct["diskused"], r"^\d+M$")
        env = W1.whm_json("accountsummary", {"user": "nobodyhere"})
        self.assertEqual(env["metadata"]["result"], 0)
        users = [a["user"] for a in W1.whm_json("listaccts")["data"]["acct"]]
        self.assertEqual(users, ["acmeshop", "highco", "lowco"])
        ud = W1.whm_json("domainuserdata", {"domain": "shop.acme.example"})["data"]["userdata"]
        self.assertEqual(ud["homedir"], W1.home("acmeshop"))
        self.assertTrue(os.path.isfile(os.path.join(ud["homedir"], "public_html/index.html")))
        self.assertEqual(W1.whm_json("domainuserdata", {"domain": "nx.example"})
                         ["metadata"]["result"], 0)
        # web2 was seeded with lowco only
        users = [a["user"] for a in W2.whm_json("listaccts")["data"]["acct"]]
        self.assertEqual(users, ["lowco"])

    def test_accounts_are_tenants_behind_the_root_path_guard(self):
        for user in ("acmeshop", "lowco", "highco"):
            pw = pwd.getpwnam(user)
            self.assertEqual(pw.pw_gecos, tenants.TENANT_COMMENT)
            st = os.stat(W1.home(user))
            self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o777),
                             (pw.pw_uid, pw.pw_gid, 0o711))
        self.assertEqual(sorted(tenants.trees(W1.d)),
                         sorted(W1.home(u) for u in ("acmeshop", "lowco", "highco")))
        self.assertEqual(tenants.check(W1.d), [])
        self.assertEqual(os.stat(W1.d).st_mode & 0o777, 0o711)
        self.assertEqual(os.stat(W1.e("TOKEN_FILE")).st_mode & 0o777, 0o600)
        log = os.path.join(W1.d, "violations.log")
        with open(log) as f:
            before = len(f.readlines())
        bashrc = W1.home("lowco", ".bashrc")
        # as the tenant over SSH (setpriv): the file, no violation
        code, out, err = W1.ssh("setpriv --reuid=$(id -u lowco) --regid=$(id -g lowco) "
                                "--init-groups -- cat %s" % shlex.quote(bashrc))
        self.assertEqual((code, out), (0, b"# lowco\n"), err)
        # a fake panel tool: no violation either
        code, out, err = W1.ssh("whmapi1 --output=json version")
        self.assertEqual(code, 0, err)
        with open(log) as f:
            self.assertEqual(len(f.readlines()), before)
        # as root: the file, and one violation naming it
        code, out, err = W1.ssh("cat %s" % shlex.quote(bashrc))
        self.assertEqual((code, out), (0, b"# lowco\n"), err)
        with open(log) as f:
            lines = [json.loads(x) for x in f.readlines()[before:]]
        self.assertEqual(len(lines), 1, lines)
        self.assertEqual((lines[0]["argv"], lines[0]["euid"]), (["cat", bashrc], 0))
        self.assertEqual(lines[0]["hits"][0]["tree"], W1.home("lowco"))

    def test_bad_token_is_403_and_runs_nothing(self):
        before = set(os.listdir(W1.root("var/cpanel/pkgacct_sessions")))
        n = len(W1.requests())
        code, body = W1.whm("start_background_pkgacct", {"user": "acmeshop"}, token="NOPE")
        self.assertEqual(code, 403)
        self.assertIn(b'"Access denied"', body)
        code, _ = W1.whm("version", user="reseller")
        self.assertEqual(code, 403)
        self.assertEqual(before, set(os.listdir(W1.root("var/cpanel/pkgacct_sessions"))))
        new = W1.requests()[n:]
        self.assertEqual([r["auth"] for r in new], ["denied", "denied"])
        self.assertEqual(new[0]["function"], "start_background_pkgacct")
        # web1's token is not web2's
        code, _ = W2.whm("version", token=W1.token)
        self.assertEqual(code, 403)
        self.assertNotEqual(W1.env["CPSIM_API_PORT"], W2.env["CPSIM_API_PORT"])
        self.assertNotEqual(W1.env["CPSIM_SSH_PORT"], W2.env["CPSIM_SSH_PORT"])

    def test_missing_api_version_is_not_api1(self):
        code, body = W1.whm("version", version=False)
        self.assertEqual(code, 200)
        self.assertNotIn("metadata", json.loads(body))

    def test_request_log_redacts_secrets(self):
        n = len(W1.requests())
        W1.whm("create_remote_root_transfer_session", {"host": "h", "password": "hunter2xyz"})
        W1.whm("version", {"api_token": "T0KEN123"}, "POST")
        W1.ssh("whmapi1 --output=json version password=hunter2xyz")
        new = W1.requests()[n:]
        self.assertEqual([r["transport"] for r in new], ["https", "https", "whmapi1"])
        self.assertEqual(new[0]["params"]["password"], "REDACTED")
        self.assertEqual(new[1]["method"], "POST")
        with open(W1.env["CPSIM_REQUEST_LOG"]) as f:
            text = f.read()
        for secret in ("hunter2xyz", "T0KEN123", W1.token):
            self.assertNotIn(secret, text)

    def test_user_session_login_on_cpanel_port(self):
        env = W1.whm_json("create_user_session", {"user": "acmeshop", "service": "cpaneld"})
        self.assertEqual(env["metadata"]["reason"], "Created session")
        d = env["data"]
        u = urllib.parse.urlsplit(d["url"])
        self.assertEqual(u.port, int(W1.env["CPSIM_CPANEL_PORT"]))
        self.assertTrue(u.path.startswith(d["cp_security_token"] + "/login"))
        st, _, _, r = W1.raw("GET", u.path + "?" + u.query, port=u.port)
        self.assertEqual(st, 302)
        self.assertIn("/frontend/jupiter/", r.getheader("Location"))
        cookie = r.getheader("Set-Cookie").split(";")[0]
        st, _, body, _ = W1.raw("GET", d["cp_security_token"] + "/execute/DomainInfo/list_domains",
                                headers={"Cookie": cookie}, port=u.port)
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body)["data"]["main_domain"], "shop.acme.example")
        st, _, _, _ = W1.raw("GET", "/execute/DomainInfo/list_domains", port=u.port)
        self.assertEqual(st, 401)


class Pkgacct(Base):
    def test_background_job_archive_and_log(self):
        W1.set_faults({"job_seconds": 1.5})
        d = W1.snapdir("acmeshop", "bg1")
        t0 = time.time()
        sid = W1.start_pkgacct("acmeshop", d)
        self.assertLess(time.time() - t0, 1.0, "the start call must not wait for the job")
        deadline = time.time() + 2.0
        while W1.whm_json("get_pkgacct_session_state", {"session_id": sid})["metadata"][
                "result"] == 0 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(W1.whm_json("get_pkgacct_session_state", {"session_id": sid})
                         ["data"]["state"], "RUNNING")
        deadline = time.time() + 1.0
        while not os.path.isdir(os.path.join(d, "cpmove-acmeshop")) and time.time() < deadline:
            time.sleep(0.05)
        self.assertTrue(os.path.isdir(os.path.join(d, "cpmove-acmeshop")),
                        "the running job writes into its staging directory")
        self.assertEqual(W1.wait_pkgacct(sid), "COMPLETED")
        self.assertEqual(os.listdir(d), ["cpmove-acmeshop.tar.gz"])
        self.assertGreaterEqual(time.time() - t0, 1.3)
        lines = W1.master_log(sid)
        for line in lines:
            self.assertEqual(sorted(line), ["contents", "indent", "partial", "pid", "type"])
        self.assertIn("pkgacct completed", lines[-1]["contents"])
        path = log_value(lines, "pkgacctfile is:")
        self.assertEqual(path, os.path.join(d, "cpmove-acmeshop.tar.gz"))
        with open(path, "rb") as f:
            data = f.read()
        self.assertEqual(log_value(lines, "md5sum is:"), hashlib.md5(data).hexdigest())
        self.assertEqual(log_value(lines, "size is:"), str(len(data)))
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with tarfile.open(path) as tf:
            names = set(tf.getnames())
        for want in ("cpmove-acmeshop/cp/acmeshop", "cpmove-acmeshop/mysql/acmeshop_db.sql",
                     "cpmove-acmeshop/dnszones/shop.acme.example.db",
                     "cpmove-acmeshop/homedir/public_html/index.html",
                     "cpmove-acmeshop/homedir/.bashrc"):
            self.assertIn(want, names)
        self.assertTrue(any("/homedir/mail/shop.acme.example/info/cur/" in n for n in names))
        self.assertFalse(any("jiku-snapshots" in n for n in names))
        # the same file as seen over SSH
        rc, out, _ = W1.ssh("md5sum %s && stat -c %%s %s" % (shlex.quote(path),
                                                              shlex.quote(path)))
        self.assertEqual(rc, 0)
        self.assertEqual(out.split()[0].decode(), hashlib.md5(data).hexdigest())
        self.assertEqual(out.split()[-1].decode(), str(len(data)))

    def test_default_tarroot_is_the_home_mount(self):
        sid = W1.start_pkgacct("lowco")
        self.assertEqual(W1.wait_pkgacct(sid), "COMPLETED")
        path = log_value(W1.master_log(sid), "pkgacctfile is:")
        self.assertEqual(path, W1.home("cpmove-lowco.tar.gz"))
        os.unlink(path)

    def test_missing_tarroot_fails(self):
        sid = W1.start_pkgacct("lowco", W1.home("jiku-snapshots/nope/none"))
        self.assertEqual(W1.wait_pkgacct(sid), "FAILED")
        self.assertEqual(W1.master_log(sid)[-1]["type"], "error")

    def test_fault_failed(self):
        W1.set_faults({"pkgacct": {"fault": "failed"}})
        d = W1.snapdir("acmeshop", "f1")
        sid = W1.start_pkgacct("acmeshop", d)
        self.assertEqual(W1.wait_pkgacct(sid), "FAILED")
        lines = W1.master_log(sid)
        self.assertEqual(lines[-1]["type"], "error")
        self.assertIn("ERROR", lines[-1]["contents"])
        self.assertIsNone(log_value(lines, "pkgacctfile is:"))
        # the partial archive and staging directory an interrupted pkgacct leaves
        self.assertTrue(os.path.exists(os.path.join(d, "cpmove-acmeshop.tar.gz")))
        self.assertTrue(os.path.isdir(os.path.join(d, "cpmove-acmeshop")))

    def test_fault_error_line_still_completes(self):
        W1.set_faults({"pkgacct": {"fault": "error_line"}})
        sid = W1.start_pkgacct("acmeshop", W1.snapdir("acmeshop", "e1"))
        self.assertEqual(W1.wait_pkgacct(sid), "COMPLETED")
        lines = W1.master_log(sid)
        errs = [x for x in lines if "ERROR:" in x["contents"]]
        self.assertEqual(len(errs), 1)
        self.assertEqual(errs[0]["type"], "error")
        self.assertIsNotNone(log_value(lines, "pkgacctfile is:"))

    def test_fault_warn_line_still_good(self):
        W1.set_faults({"pkgacct": {"fault": "warn_line"}})
        sid = W1.start_pkgacct("acmeshop", W1.snapdir("acmeshop", "w1"))
        self.assertEqual(W1.wait_pkgacct(sid), "COMPLETED")
        lines = W1.master_log(sid)
        self.assertEqual(len([x for x in lines if "WARN:" in x["contents"]]), 1)
        path = log_value(lines, "pkgacctfile is:")
        with open(path, "rb") as f:
            self.assertEqual(hashlib.md5(f.read()).hexdigest(), log_value(lines, "md5sum is:"))

    def test_fault_never_ends(self):
        W1.set_faults({"pkgacct": {"fault": "never_ends"}})
        sid = W1.start_pkgacct("highco", W1.snapdir("highco", "n1"))
        W1.set_faults({})
        time.sleep(JOB_SECONDS * 4)
        self.assertEqual(W1.wait_pkgacct(sid, limit=0.5), "RUNNING")

    def test_fault_disk_full(self):
        W1.set_faults({"df": {"avail_bytes": 4096}})
        snap = W1.env["CPSIM_SNAPSHOT_DIR"]
        rc, out, _ = W1.ssh("df -P -B1 %s" % shlex.quote(snap))
        self.assertEqual(rc, 0)
        lines = out.decode().splitlines()
        self.assertTrue(lines[0].startswith("Filesystem"))
        self.assertEqual(lines[1].split()[3], "4096")
        rc, out, _ = W1.ssh("df -Pk %s" % shlex.quote(snap))
        self.assertEqual(out.decode().splitlines()[1].split()[3], "4")
        sid = W1.start_pkgacct("acmeshop", W1.snapdir("acmeshop", "df1"))
        self.assertEqual(W1.wait_pkgacct(sid), "FAILED")
        self.assertIn("No space left", W1.master_log(sid)[-1]["contents"])
        W1.set_faults({})
        rc, out, _ = W1.ssh("df -P -B1 %s" % shlex.quote(snap))
        self.assertGreater(int(out.decode().splitlines()[1].split()[3]), 4096)

    def test_pkgacct_command(self):
        d = W1.snapdir("highco", "cli1")
        rc, out, err = W1.ssh("pkgacct highco %s" % shlex.quote(d))
        self.assertEqual(rc, 0, err)
        text = out.decode()
        self.assertRegex(text.splitlines()[0], r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] "
                                               r"pkgacct started\.$")
        self.assertTrue(text.rstrip().endswith("pkgacct completed"))
        self.assertTrue(os.path.isfile(os.path.join(d, "cpmove-highco.tar.gz")))
        rc, out, _ = W1.ssh("pkgacct --serialized_output nosuchuser %s" % shlex.quote(d))
        self.assertEqual(rc, 1)
        self.assertEqual(json.loads(out.decode().splitlines()[-1])["type"], "error")


class StartGrace(Base):
    """WHM hands out a pkgacct session id before the session's process has made its upid link;
    meanwhile get_pkgacct_session_state dies.  Sources: cPanel's Whostmgr/Backup/Pkgacct/
    State.pm (RUNNING only while the upid link names a live process, else the master log's
    last line decides, and an empty log dies "Could not identify state from pkgacct log") and
    Whostmgr/API/1/Data/Wrapper.pm (a function that dies answers result 0, reason "API
    failure: " and the error); README.md, "pkgacct job"."""

    def test_state_cannot_be_identified_right_after_the_start(self):
        d = W1.snapdir("lowco", "grace1")
        sid = W1.start_pkgacct("lowco", d)
        env = W1.whm_json("get_pkgacct_session_state", {"session_id": sid})
        self.assertEqual(env, {"metadata": {
            "command": "get_pkgacct_session_state", "result": 0, "version": 1,
            "reason": "API failure: Could not identify state from pkgacct log at "
                      "/usr/local/cpanel/Whostmgr/Backup/Pkgacct/State.pm line 106.\n"}})
        self.assertEqual(W1.master_log(sid), [], "no line written yet")
        self.assertEqual(os.listdir(d), [], "nothing written into the tarroot yet")
        self.assertEqual(W1.wait_pkgacct(sid), "COMPLETED")

    def test_the_window_lasts_until_the_job_runs(self):
        # A slow start (a loaded server): the same answer for as long as the job is not up.
        W1.set_faults({"pkgacct_upid_delay": 2.5})
        d = W1.snapdir("lowco", "grace2")
        t0 = time.time()
        sid = W1.start_pkgacct("lowco", d)
        W1.set_faults({})
        answers = []
        while time.time() - t0 < 2.0:
            env = W1.whm_json("get_pkgacct_session_state", {"session_id": sid})
            answers.append(env["metadata"]["result"])
            time.sleep(0.2)
        self.assertGreaterEqual(len(answers), 5)
        self.assertEqual(set(answers), {0}, "no state before the upid link")
        self.assertEqual(os.listdir(d), [])
        self.assertEqual(W1.wait_pkgacct(sid), "COMPLETED")
        self.assertGreaterEqual(time.time() - t0, 2.5)
        self.assertTrue(os.path.isfile(os.path.join(d, "cpmove-lowco.tar.gz")))

    def test_a_session_whose_process_died_without_its_last_line(self):
        # The upid link names a dead process and the log ends on an ordinary line: the
        # second die of State.pm.
        sid = W1.start_pkgacct("lowco", W1.snapdir("lowco", "grace3"))
        self.assertEqual(W1.wait_pkgacct(sid), "COMPLETED")
        log = W1.root("var/cpanel/pkgacct_sessions", sid, "master.log")
        with open(log) as f:
            lines = f.read().splitlines(True)
        with open(log, "w") as f:
            f.writelines(lines[:3])
        env = W1.whm_json("get_pkgacct_session_state", {"session_id": sid})
        self.assertEqual(env["metadata"]["reason"],
                         "API failure: Could not identify state from pkgacct log at "
                         "/usr/local/cpanel/Whostmgr/Backup/Pkgacct/State.pm line 114.\n")


class SubDomainRemoval(Base):
    """No UAPI SubDomain::delsubdomain: cPanel's API 2 page for SubDomain::delsubdomain says
    "no equivalent UAPI function exists" and calls it through WHM's /json-api/cpanel with
    cpanel_jsonapi_apiversion=2 (api.docs.cpanel.net/cpanel-api-2/cpanel-api-2-modules-
    subdomain/cpanel-api-2-functions-subdomain-delsubdomain).  An unknown UAPI function of a
    known module answers as cPanel's Cpanel/API.pm (_run_module_function) does; the API 2
    answer is Cpanel/SubDomain.pm api2_delsubdomain's item {result, reason} in the
    cpanelresult envelope of Cpanel/Api2/Exec.pm (README.md, "WHM API 1")."""

    MISSING = "The system could not find the function “delsubdomain” in the module “SubDomain”."

    def add(self, label):
        env = W1.whm_json("uapi_cpanel", {"cpanel.user": "acmeshop", "cpanel.module": "SubDomain",
                                          "cpanel.function": "addsubdomain", "domain": label,
                                          "rootdomain": "shop.acme.example",
                                          "dir": label + ".shop.acme.example"})
        self.assertEqual(env["data"]["uapi"]["status"], 1, env)
        return label + ".shop.acme.example"

    def subdomains(self):
        env = W1.whm_json("uapi_cpanel", {"cpanel.user": "acmeshop",
                                          "cpanel.module": "DomainInfo",
                                          "cpanel.function": "list_domains"})
        return env["data"]["uapi"]["data"]["sub_domains"]

    def api2(self, params, user="acmeshop"):
        p = {"cpanel_jsonapi_user": user, "cpanel_jsonapi_module": "SubDomain",
             "cpanel_jsonapi_func": "delsubdomain", "cpanel_jsonapi_apiversion": "2"}
        p.update(params)
        code, body = W1.whm("cpanel", p)
        self.assertEqual(code, 200)
        return json.loads(body)

    def test_uapi_has_no_delsubdomain(self):
        full = self.add("gone1")
        env = W1.whm_json("uapi_cpanel", {"cpanel.user": "acmeshop", "cpanel.module": "SubDomain",
                                          "cpanel.function": "delsubdomain", "domain": full})
        self.assertEqual(env["metadata"]["result"], 1)
        self.assertEqual(env["data"]["uapi"], {"data": None, "errors": [self.MISSING],
                                               "messages": None, "metadata": {}, "status": 0,
                                               "warnings": None})
        st, _, body, _ = W1.raw("GET", "/execute/SubDomain/delsubdomain?domain=" + full,
                                headers={"Authorization": "cpanel acmeshop:" + W1.token},
                                port=W1.env["CPSIM_CPANEL_PORT"])
        self.assertEqual((st, json.loads(body)["errors"]), (200, [self.MISSING]))
        legacy = self.api2({"cpanel_jsonapi_apiversion": "3", "domain": full})
        self.assertEqual(legacy["result"]["errors"], [self.MISSING])
        self.assertIn(full, self.subdomains(), "still there")

    def test_api2_removes_the_subdomain_and_keeps_its_files(self):
        full = self.add("gone2")
        docroot = W1.home("acmeshop", full)
        with open(os.path.join(docroot, "index.html"), "w") as f:
            f.write("stage\n")
        got = self.api2({"domain": full})
        self.assertEqual(got, {"cpanelresult": {
            "apiversion": 2, "data": [{"reason": "The subdomain “%s” has been removed." % full,
                                       "result": 1}],
            "event": {"result": 1}, "func": "delsubdomain", "module": "SubDomain"}})
        self.assertNotIn(full, self.subdomains())
        self.assertEqual(W1.whm_json("domainuserdata", {"domain": full})["metadata"]["result"], 0)
        self.assertTrue(os.path.isfile(os.path.join(docroot, "index.html")),
                        "cPanel keeps the document root")
        # the label_rootdomain form too
        self.add("gone3")
        self.assertEqual(self.api2({"domain": "gone3_shop.acme.example"})["cpanelresult"]
                         ["data"][0]["result"], 1)

    def test_api2_failures(self):
        got = self.api2({"domain": "nosuch.shop.acme.example"})["cpanelresult"]
        reason = "The subdomain “nosuch.shop.acme.example” does not exist."
        self.assertEqual((got["event"], got["data"], got["error"]),
                         ({"result": 1}, [{"reason": reason, "result": 0}], reason))
        # another account's subdomain is not this user's to remove
        full = self.add("gone4")
        self.assertEqual(self.api2({"domain": full}, user="lowco")["cpanelresult"]["data"][0]
                         ["result"], 0)
        self.assertIn(full, self.subdomains())
        code, body = W1.whm("cpanel", {"cpanel_jsonapi_user": "ACMESHOP",
                                       "cpanel_jsonapi_module": "SubDomain",
                                       "cpanel_jsonapi_func": "delsubdomain",
                                       "cpanel_jsonapi_apiversion": "2", "domain": full})
        self.assertEqual(body, replay.sample_bytes(HERE, "s03-legacy-cpanel-bad-user.body"))
        got = self.api2({"cpanel_jsonapi_func": "nosuchfunc"})["cpanelresult"]
        self.assertEqual(got["event"]["result"], 0)


class Mail(Base):
    """UAPI Email through uapi_cpanel (README.md, "Mail accounts"): the stored mailbox, its
    password only as a hash, the refusals, and no password in a query string or the log."""

    PW = "Canary-Mail-Pw-7431"

    def uapi(self, function, method="POST", **params):
        p = {"cpanel.user": "acmeshop", "cpanel.module": "Email", "cpanel.function": function}
        p.update(params)
        env = W1.whm_json("uapi_cpanel", p, method)
        self.assertEqual(env["metadata"]["result"], 1, env)
        return env["data"]["uapi"]

    def listed(self):
        u = self.uapi("list_pops_with_disk")
        self.assertEqual(u["status"], 1, u)
        return {e["email"]: e for e in u["data"]}

    def password_ok(self, address, password):
        return subprocess.run([sys.executable, os.path.join(HERE, "cpsim.py"),
                               "mail-password-ok", W1.d, "acmeshop", address],
                              input=password + "\n", text=True, timeout=30).returncode == 0

    def test_seeded_mailbox_is_listed_with_disk_information(self):
        info = self.listed()["info@shop.acme.example"]
        self.assertEqual(info["diskquota"], "unlimited")
        self.assertEqual(info["_diskquota"], 0)
        self.assertEqual((info["user"], info["domain"], info["login"]),
                         ("info", "shop.acme.example", "info@shop.acme.example"))
        self.assertEqual((info["suspended_login"], info["suspended_incoming"]), (0, 0))
        self.assertGreater(info["_diskused"], 0)
        self.assertEqual(sorted(self.uapi("list_pops_with_disk")),
                         ["data", "errors", "messages", "metadata", "status", "warnings"])

    def test_add_passwd_delete(self):
        addr = "sales@shop.acme.example"
        u = self.uapi("add_pop", email="sales", domain="shop.acme.example", password=self.PW,
                      quota="100")
        self.assertEqual((u["status"], u["data"]), (1, "sales+shop.acme.example"), u)
        shadow = W1.home("acmeshop", "etc", "shop.acme.example", "shadow")
        st = os.stat(shadow)
        self.assertEqual(pwd.getpwuid(st.st_uid).pw_name, "acmeshop")
        with open(shadow) as f:
            self.assertNotIn(self.PW, f.read())
        self.assertTrue(self.password_ok(addr, self.PW))
        self.assertFalse(self.password_ok(addr, self.PW + "x"))
        box = self.listed()[addr]
        self.assertEqual((box["diskquota"], box["_diskquota"]), ("100.00", 100 << 20))
        self.assertTrue(os.path.isdir(W1.home("acmeshop", "mail", "shop.acme.example", "sales",
                                              "new")))
        again = self.uapi("add_pop", email="sales", domain="shop.acme.example",
                          password=self.PW)
        self.assertEqual(again["status"], 0)
        self.assertIn("already exists", again["errors"][0])
        u = self.uapi("passwd_pop", email="sales", domain="shop.acme.example",
                      password=self.PW + "-2")
        self.assertEqual((u["status"], u["data"]), (1, None), u)
        self.assertTrue(self.password_ok(addr, self.PW + "-2"))
        self.assertFalse(self.password_ok(addr, self.PW))
        u = self.uapi("delete_pop", email="sales", domain="shop.acme.example")
        self.assertEqual(u["status"], 1, u)
        self.assertNotIn(addr, self.listed())
        self.assertFalse(os.path.exists(W1.home("acmeshop", "mail", "shop.acme.example",
                                                "sales")))
        self.assertFalse(self.password_ok(addr, self.PW + "-2"))
        for fn in ("delete_pop", "passwd_pop"):
            u = self.uapi(fn, email="sales", domain="shop.acme.example", password=self.PW)
            self.assertEqual(u["status"], 0, fn)
            self.assertIn("does not exist", u["errors"][0])

    def test_quota_zero_is_unlimited_and_none_the_default(self):
        for local, quota, want in (("q0", "0", "unlimited"), ("qd", None, "1024.00")):
            p = {"email": local, "domain": "shop.acme.example", "password": self.PW}
            if quota is not None:
                p["quota"] = quota
            self.assertEqual(self.uapi("add_pop", **p)["status"], 1)
            self.assertEqual(self.listed()[local + "@shop.acme.example"]["diskquota"], want)
            self.assertEqual(self.uapi("delete_pop", email=local,
                                       domain="shop.acme.example")["status"], 1)

    def test_refusals(self):
        cases = (({"domain": "low.example"}, "does not belong"),
                 ({"domain": "nowhere.example"}, "does not belong"),
                 ({"password": "short1"}, "too weak"),
                 ({"password": "alllowercaseletters"}, "too weak"),
                 ({"email": "bad name"}, "not a valid"),
                 ({"quota": "lots"}, "not valid"))
        for change, text in cases:
            p = {"email": "x", "domain": "shop.acme.example", "password": self.PW}
            p.update(change)
            u = self.uapi("add_pop", **p)
            self.assertEqual((u["status"], u["data"]), (0, None), change)
            self.assertIn(text, u["errors"][0], change)
        self.assertNotIn("x@shop.acme.example", self.listed())
        u = self.uapi("passwd_pop", email="info", domain="shop.acme.example", password="abc")
        self.assertIn("too weak", u["errors"][0])
        u = self.uapi("suspend_login", email="info", domain="shop.acme.example")
        self.assertEqual(u["errors"], ["The system could not find the function “suspend_login” "
                                       "in the module “Email”."])

    def test_a_password_in_the_query_string_is_refused_and_never_logged(self):
        n = len(W1.requests())
        for method in ("GET", "POST"):
            code, body = W1.whm("uapi_cpanel", {
                "cpanel.user": "acmeshop", "cpanel.module": "Email", "cpanel.function": "add_pop",
                "email": "q%s" % method.lower(), "domain": "shop.acme.example",
                "password": self.PW}, method)
            if method == "GET":
                self.assertEqual(code, 400)
                self.assertEqual(json.loads(body)["metadata"]["result"], 0)
            else:
                self.assertEqual(code, 200)
        # Over /execute as well; a POST puts the form in the body, a GET in the query.
        h = {"Authorization": "cpanel acmeshop:%s" % W1.token}
        q = urllib.parse.urlencode({"email": "qx", "domain": "shop.acme.example",
                                    "password": self.PW})
        st, _, _, _ = W1.raw("GET", "/execute/Email/add_pop?" + q, headers=h,
                             port=W1.env["CPSIM_CPANEL_PORT"])
        self.assertEqual(st, 400)
        listed = self.listed()
        self.assertNotIn("qget@shop.acme.example", listed)
        self.assertNotIn("qx@shop.acme.example", listed)
        self.assertIn("qpost@shop.acme.example", listed)
        self.uapi("delete_pop", email="qpost", domain="shop.acme.example")
        new = W1.requests()[n:]
        self.assertEqual([r.get("refused") for r in new[:3]],
                         ["password in the query string", None, "password in the query string"])
        self.assertEqual(new[0]["params"]["password"], "REDACTED")
        with open(W1.env["CPSIM_REQUEST_LOG"]) as f:
            self.assertNotIn(self.PW, f.read())


class Restore(Base):
    def test_overlay_onto_existing_account(self):
        archive, _ = W1.snapshot("acmeshop", "r1")
        home = W1.home("acmeshop")
        db = W1.root("var/lib/mysql/acmeshop_db.sql")
        zone = W1.root("var/named/shop.acme.example.db")
        with open(os.path.join(home, "public_html/index.html")) as f:
            orig_index = f.read()
        with open(db) as f:
            orig_db = f.read()
        with open(zone) as f:
            orig_zone = f.read()
        with open(os.path.join(home, "public_html/index.html"), "w") as f:
            f.write("defaced\n")
        with open(os.path.join(home, "public_html/later.html"), "w") as f:
            f.write("created after the snapshot\n")
        with open(db, "a") as f:
            f.write("INSERT INTO `items` VALUES (3,'third');\n")
        with open(zone, "a") as f:
            f.write("evil 14400 IN A 10.9.9.9\n")
        tid = W1.start_restore(archive, "acmeshop", "1")
        self.assertEqual(W1.wait_restore(tid), "COMPLETED")
        item = W1.item_result(tid)
        self.assertEqual(item["action"], "success-item")
        self.assertEqual((item["item"], item["local_item"]), ("acmeshop", "acmeshop"))
        with open(os.path.join(home, "public_html/index.html")) as f:
            self.assertEqual(f.read(), orig_index)
        self.assertTrue(os.path.exists(os.path.join(home, "public_html/later.html")),
                        "files created after the archive survive a cpmove restore")
        with open(db) as f:
            self.assertEqual(f.read(), orig_db)
        with open(zone) as f:
            self.assertEqual(f.read(), orig_zone)
        actions = [x["contents"]["action"] for x in W1.transfer_log(tid)]
        self.assertEqual(actions[0], "start")
        self.assertEqual(actions[-1], "complete")
        items = W1.transfer_log(tid, "item-RESTORE_AccountLocal_acmeshop")
        self.assertTrue(items)
        os.unlink(os.path.join(home, "public_html/later.html"))

    def test_states_progress_in_the_background(self):
        archive, _ = W1.snapshot("lowco", "r2")
        W1.set_faults({"job_seconds": 1.5})
        t0 = time.time()
        tid = W1.start_restore(archive, None, "1")
        self.assertLess(time.time() - t0, 1.0)
        seen = set()
        deadline = time.time() + 20
        while time.time() < deadline:
            st = W1.whm_json("get_transfer_session_state",
                             {"transfer_session_id": tid})["data"]["state_name"]
            seen.add(st)
            if st == "COMPLETED":
                break
            time.sleep(0.05)
        self.assertIn("RESTORE_INPROGRESS", seen)
        self.assertIn("COMPLETED", seen)
        self.assertGreaterEqual(time.time() - t0, 1.3)
        # user derived from the archive name
        self.assertEqual(W1.item_result(tid)["local_item"], "lowco")

    def test_existing_account_without_overwrite_fails_the_item(self):
        archive, _ = W1.snapshot("highco", "r3")
        tid = W1.start_restore(archive, "highco", "0")
        self.assertEqual(W1.wait_restore(tid), "COMPLETED")
        item = W1.item_result(tid)
        self.assertEqual(item["action"], "failed-item")
        self.assertIn("already exists", item["msg"]["failure"])

    def test_missing_archive_is_refused(self):
        env = W1.whm_json("start_local_cpmove_restore",
                          {"cpmovepath": W1.home("jiku-snapshots/none/cpmove-x.tar.gz")})
        self.assertEqual(env["metadata"]["result"], 0)

    def test_clone_onto_second_server(self):
        archive, _ = W1.snapshot("acmeshop", "c1")
        d2 = os.path.join(W2.env["CPSIM_SNAPSHOT_DIR"], "acmeshop", "c1")
        os.makedirs(d2, mode=0o700)
        copy = os.path.join(d2, "cpmove-acmeshop.tar.gz")
        shutil.copyfile(archive, copy)
        with open(W1.root("var/lib/mysql/acmeshop_db.sql")) as f:
            src_db = f.read()
        src_home = sorted(os.listdir(W1.home("acmeshop", "public_html")))
        # --as newuser
        tid = W2.start_restore(copy, "newuser", "0")
        self.assertEqual(W2.wait_restore(tid), "COMPLETED")
        item = W2.item_result(tid)
        self.assertEqual(item["action"], "success-item", item)
        self.assertEqual((item["item"], item["local_item"]), ("acmeshop", "newuser"))
        acct = W2.whm_json("accountsummary", {"user": "newuser"})["data"]["acct"][0]
        self.assertEqual(acct["domain"], "shop.acme.example")
        with open(W2.root("var/lib/mysql/newuser_db.sql")) as f:
            self.assertEqual(f.read(), src_db)
        self.assertEqual(sorted(os.listdir(W2.home("newuser", "public_html"))), src_home)
        self.assertFalse(os.path.exists(W2.home("acmeshop")))
        # the restore made newuser a real user and gave it the restored home
        pw = pwd.getpwnam("newuser")
        self.assertEqual(pw.pw_gecos, tenants.TENANT_COMMENT)
        self.assertIn(W2.home("newuser"), tenants.trees(W2.d))
        self.assertEqual(tenants.check(W2.d), [])
        st = os.stat(W2.home("newuser", "public_html", "index.html"))
        self.assertEqual((st.st_uid, st.st_gid), (pw.pw_uid, pw.pw_gid))
        # without username the user comes from the file name: acmeshop, whose domain newuser
        # now owns on web2 -> the item fails, the session completes
        tid = W2.start_restore(copy, None, "0")
        self.assertEqual(W2.wait_restore(tid), "COMPLETED")
        item = W2.item_result(tid)
        self.assertEqual((item["action"], item["local_item"]), ("failed-item", "acmeshop"))
        self.assertIn("owned by “newuser”", item["msg"]["failure"])
        # the file name, not the archive's content, names the user
        renamed = os.path.join(d2, "cpmove-newuser.tar.gz")
        os.rename(copy, renamed)
        tid = W2.start_restore(renamed, None, "1")
        self.assertEqual(W2.wait_restore(tid), "COMPLETED")
        self.assertEqual(W2.item_result(tid)["local_item"], "newuser")
        self.assertEqual(W2.item_result(tid)["action"], "success-item")
        # the source is untouched
        self.assertEqual(W1.whm_json("accountsummary", {"user": "acmeshop"})["metadata"]
                         ["result"], 1)
        self.assertFalse(os.path.exists(W1.home("newuser")))

    def test_same_server_clone_fails_on_domain(self):
        archive, _ = W1.snapshot("acmeshop", "c2")
        tid = W1.start_restore(archive, "acmecopy", "0")
        self.assertEqual(W1.wait_restore(tid), "COMPLETED")
        self.assertEqual(W1.item_result(tid)["action"], "failed-item")
        self.assertEqual(W1.whm_json("accountsummary", {"user": "acmecopy"})["metadata"]
                         ["result"], 0)
        self.assertFalse(os.path.exists(W1.home("acmecopy")))

    def test_fault_item_failed_in_completed_session(self):
        archive, _ = W1.snapshot("lowco", "i1")
        W1.set_faults({"restore": {"fault": "item_failed"}})
        tid = W1.start_restore(archive, "lowco", "1")
        self.assertEqual(W1.wait_restore(tid), "COMPLETED")
        item = W1.item_result(tid)
        self.assertEqual(item["action"], "failed-item")
        self.assertIn("failure", item["msg"])

    def test_fault_failed_and_aborted_and_warning(self):
        archive, _ = W1.snapshot("lowco", "i2")
        for fault, want in (("failed", "FAILED"), ("aborted", "ABORTED")):
            W1.set_faults({"restore": {"fault": fault}})
            tid = W1.start_restore(archive, "lowco", "1")
            self.assertEqual(W1.wait_restore(tid), want, fault)
            self.assertIsNone(W1.item_result(tid))
        W1.set_faults({"restore": {"fault": "warning"}})
        tid = W1.start_restore(archive, "lowco", "1")
        self.assertEqual(W1.wait_restore(tid), "COMPLETED")
        self.assertEqual(W1.item_result(tid)["action"], "warning-item")

    def test_abort_call(self):
        archive, _ = W1.snapshot("lowco", "i3")
        W1.set_faults({"job_seconds": 5})
        tid = W1.start_restore(archive, "lowco", "1")
        time.sleep(0.5)
        env = W1.whm_json("abort_transfer_session", {"transfer_session_id": tid})
        self.assertEqual(env["metadata"]["result"], 1)
        self.assertEqual(W1.wait_restore(tid, 10), "ABORTED")

    def test_restorepkg_command(self):
        archive, _ = W1.snapshot("highco", "rp1")
        rc, out, _ = W1.ssh("restorepkg --force %s" % shlex.quote(archive))
        self.assertEqual(rc, 0, out)
        self.assertIn(b"COMPLETED", out)
        rc, out, _ = W1.ssh("restorepkg %s" % shlex.quote(archive))
        self.assertEqual(rc, 1)


class ApiFaults(Base):
    def test_403_counted(self):
        W1.set_faults({"api": [{"function": "version", "fault": "403", "count": 1}]})
        self.assertEqual(W1.whm("version")[0], 403)
        self.assertEqual(W1.whm("version")[0], 200)
        self.assertEqual(W1.faults()["api"][0]["count"], 0)

    def test_result0(self):
        W1.set_faults({"api": [{"function": "*", "fault": "result0"}]})
        env = W1.whm_json("accountsummary", {"user": "acmeshop"})
        self.assertEqual(env["metadata"]["result"], 0)
        self.assertEqual(env["metadata"]["error_count"], 1)
        self.assertNotIn("data", env)

    def test_garbage(self):
        W1.set_faults({"api": [{"function": "version", "fault": "garbage"}]})
        code, body = W1.whm("version")
        self.assertEqual(code, 200)
        with self.assertRaises(ValueError):
            json.loads(body)

    def test_truncated(self):
        W1.set_faults({"api": [{"function": "version", "fault": "truncated"}]})
        with self.assertRaises(http.client.IncompleteRead):
            W1.whm("version")

    def test_status_with_retry_after(self):
        W1.set_faults({"api": [{"function": "version", "fault": "status", "code": 503,
                                "retry_after": 2, "count": 1}]})
        st, _, _, r = W1.raw("GET", "/json-api/version?api.version=1",
                             headers={"Authorization": "whm root:" + W1.token})
        self.assertEqual((st, r.getheader("Retry-After")), (503, "2"))
        self.assertEqual(W1.whm("version")[0], 200)

    def test_drop_after_start_pkgacct_starts_one_job(self):
        W1.set_faults({"api": [{"function": "start_background_pkgacct", "fault": "drop_after",
                                "count": 1}]})
        before = set(os.listdir(W1.root("var/cpanel/pkgacct_sessions")))
        n = len(W1.requests())
        d = W1.snapdir("highco", "drop1")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)):
            W1.whm("start_background_pkgacct", {"user": "highco", "tarroot": d})
        new = set(os.listdir(W1.root("var/cpanel/pkgacct_sessions"))) - before
        self.assertEqual(len(new), 1, "the job IS started")
        sid = new.pop()
        self.assertEqual(W1.wait_pkgacct(sid), "COMPLETED")
        self.assertTrue(os.path.isfile(os.path.join(d, "cpmove-highco.tar.gz")))
        starts = [r for r in W1.requests()[n:] if r["function"] == "start_background_pkgacct"]
        self.assertEqual([r["fault"] for r in starts], ["drop_after"])

    def test_drop_after_start_restore_starts_one_session(self):
        archive, _ = W1.snapshot("highco", "drop2")
        W1.set_faults({"api": [{"function": "start_local_cpmove_restore",
                                "fault": "drop_after", "count": 1}]})
        before = set(os.listdir(W1.root("var/cpanel/transfer_sessions")))
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)):
            W1.whm("start_local_cpmove_restore", {"cpmovepath": archive, "username": "highco",
                                                  "overwrite": "1"})
        new = set(os.listdir(W1.root("var/cpanel/transfer_sessions"))) - before
        self.assertEqual(len(new), 1)
        self.assertEqual(W1.wait_restore(new.pop()), "COMPLETED")

    def test_tls_certificate_fault(self):
        W1.set_faults({"tls": "other"})
        with self.assertRaises(ssl.SSLCertVerificationError):
            W1.whm("version")
        W1.set_faults({"tls": "expired"})
        with self.assertRaises(ssl.SSLCertVerificationError):
            W1.whm("version")
        W1.set_faults({})
        self.assertEqual(W1.whm("version")[0], 200)

    def test_cli_transport_faults_are_separate(self):
        W1.set_faults({"api": [{"function": "version", "fault": "garbage",
                                "transport": "whmapi1"}]})
        self.assertEqual(W1.whm("version")[0], 200)
        rc, out, _ = W1.ssh("whmapi1 --output=json version")
        self.assertEqual(rc, 255)
        rc, out, _ = W1.ssh("whmapi1 version")
        self.assertEqual(rc, 255)
        W1.set_faults({})
        rc, out, _ = W1.ssh("whmapi1 version")
        self.assertEqual(rc, 0)
        self.assertIn(b"version: 11.126.0.15", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
