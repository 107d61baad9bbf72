#!/usr/bin/env python3
"""Conformance test of the Plesk simulator (Python unittest, standard library only).

1. Every documented sample in samples/index.json is sent over HTTPS and its answer compared
   byte for byte (replayed samples, and those the generic writers must reproduce).
2. The simulator's behaviour: checkups and auth, webspace/customer/reseller answers, the
   version-dependent backup-manager with its tasks and local repository arranged by owner, the
   fake `plesk` over the real sshd rig (signed exports, check-backup, overlay restores, the
   signature refused on another server or after a change, detached jobs surviving a cut
   connection), every fault, the request log, two instances side by side, and `sim.sh stop`
   leaving nothing running.

Needs root (sshd).  Starts two simulators under a mkdtemp directory and removes it afterwards:
plesk1 = Plesk 17.0.17 (Onyx, the REC samples' server, backup-manager supported) and
plesk2 = Plesk 18.0.52 (Obsidian) without shop.example (a clone destination).
"""

import http.client
import io
import os
import pwd
import re
import shlex
import shutil
import ssl
import sys
import tarfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_SH = os.path.join(HERE, "sim.sh")
sys.path.insert(0, os.path.dirname(HERE))  # tests/fakes: simlib
from simlib import replay, tenants  # noqa: E402
from simlib.replay import pid_alive, until  # noqa: E402

AGENT = "/enterprise/control/agent.php"
JOB_SECONDS = 0.5

FLEET = T = None
P1 = None
P2 = None


class Inst(replay.Inst):
    def __init__(self, d):
        super().__init__(d, "PLSIM_")
        with open(self.env["PLSIM_SECRET_KEY_FILE"]) as f:
            self.key = f.read().strip()
        with open(self.env["PLSIM_PASSWORD_FILE"]) as f:
            self.password = f.read().strip()
        self.ctx = ssl.create_default_context(cafile=self.env["PLSIM_CA_FILE"])

    def raw(self, method, path, body=None, headers=None):
        c = http.client.HTTPSConnection("127.0.0.1", int(self.env["PLSIM_API_PORT"]),
                                        context=self.ctx, timeout=30)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read(), r
        finally:
            c.close()

    def api(self, body, auth="key", pretty=False, ctype="text/xml", method="POST"):
        h = {"Content-Type": ctype}
        if auth == "key":
            h["KEY"] = self.key
        elif auth == "bad-key":
            h["KEY"] = "00000000-0000-0000-0000-000000000000"
        elif auth == "login":
            h.update(HTTP_AUTH_LOGIN="admin", HTTP_AUTH_PASSWD=self.password)
        elif auth == "bad-login":
            h.update(HTTP_AUTH_LOGIN="admin", HTTP_AUTH_PASSWD="wrong")
        elif auth == "misspelt-passwd":
            h.update(HTTP_AUTH_LOGIN="admin", HTTP_AUTH_PASSWORD=self.password)
        if pretty:
            h["HTTP_PRETTY_PRINT"] = "TRUE"
        if isinstance(body, str):
            body = body.encode()
        status, data, _ = self.raw(method, AGENT, body, h)
        return status, data

    def ok(self, body, **kw):
        status, data = self.api(body, **kw)
        assert status == 200, (status, data)
        return data.decode()

    def plesk(self, args, timeout=60):
        return self.ssh("plesk " + " ".join(shlex.quote(a) for a in args), timeout)

    def www(self, domain, *p):
        return os.path.join(self.env["PLSIM_VHOSTS"], domain, "httpdocs", *p)

    def dbfile(self, name):
        return os.path.join(self.env["PLSIM_MYSQL_DIR"], name + ".sql")

    def dumps(self, *p):
        return os.path.join(self.env["PLSIM_DUMP_DIR"], *p)

    def snap(self, *p):
        return os.path.join(self.env["PLSIM_SNAPSHOT_DIR"], *p)


def setUpModule():
    global FLEET, T, P1, P2
    if os.geteuid() != 0:
        raise unittest.SkipTest("needs root (sshd)")
    args = ["--job-seconds", str(JOB_SECONDS)]
    FLEET = replay.Fleet("plsim-", [
        (SIM_SH, "plesk1", ["--name", "plesk1", "--version", "17.0.17"] + args),
        (SIM_SH, "plesk2", ["--name", "plesk2", "--version", "18.0.52", "--subscriptions",
                            "admin.example,resold.example"] + args)], mode=0o755)
    T = FLEET.dir
    P1 = Inst(FLEET.path("plesk1"))
    P2 = Inst(FLEET.path("plesk2"))


def tearDownModule():
    if FLEET is not None:
        FLEET.stop()


def rd(path):
    with open(path) as f:
        return f.read()


def xml_values(text, tag):
    return re.findall(r"<%s>([^<]*)</%s>" % (re.escape(tag), re.escape(tag)), text)


class Base(unittest.TestCase):
    def setUp(self):
        for inst in (P1, P2):
            inst.set_faults({})


# ---- 1. samples ----------------------------------------------------------------------------
class Samples(Base):
    def test_every_sample_byte_for_byte(self):
        idx = replay.samples(HERE)
        self.assertGreaterEqual(len(idx["samples"]), 20)
        for s in idx["samples"]:
            with self.subTest(sample=s["id"]):
                inst = {"17.0.17": P1, "18.0.52": P2}[s["run_on"]]
                req = replay.sample_bytes(HERE, s["request"])
                want = replay.sample_bytes(HERE, s["body"])
                status, got = inst.api(req, auth=s.get("auth", "key"))
                self.assertEqual(status, s["status"])
                self.assertEqual(got, want)

    def test_replay_is_limited_to_the_recorded_version(self):
        got = P2.ok("<packet><server><get_protos/></server></packet>")
        self.assertTrue(got.startswith('<?xml version="1.0" encoding="UTF-8"?>\n'))
        protos = xml_values(got, "proto")
        self.assertEqual(protos[-1], "1.6.9.1")
        self.assertIn("1.6.3.0", protos)
        self.assertIn("1.6.6.0", protos)
        self.assertIn('<packet version="1.6.9.1">', got)
        stat = P2.ok("<packet><server><get><stat/></get></server></packet>")
        self.assertEqual(xml_values(stat, "plesk_version"), ["18.0.52"])

    def test_replay_ignores_whitespace_between_elements(self):
        want = replay.sample_bytes(HERE, "s08-webspace-get-68.body")
        req = ("<packet>\n  <webspace>\n    <get>\n      <filter><id>68</id></filter>\n"
               "      <dataset><gen_info/></dataset>\n    </get>\n  </webspace>\n</packet>\n")
        self.assertEqual(P2.api(req)[1], want)
        log = [e for e in P2.requests() if e.get("sample") == "s08-webspace-get-68"]
        self.assertTrue(log)


# ---- 2. the XML API --------------------------------------------------------------------------
class Api(Base):
    def test_auth_variants(self):
        req = "<packet><server><get_protos/></server></packet>"
        self.assertIn("<status>ok</status>", P2.ok(req, auth="login"))
        for auth, code in (("bad-login", "1001"), ("bad-key", "11003"), ("none", "1029"),
                           ("misspelt-passwd", "1029")):
            got = P2.ok(req, auth=auth)
            self.assertIn("<system><status>error</status><errcode>%s</errcode>" % code, got, auth)
        denied = [e for e in P2.requests() if e.get("auth") in ("denied", "none")]
        self.assertGreaterEqual(len(denied), 4)
        self.assertTrue(all(e["status"] == 200 for e in denied))

    def test_secret_key_of_one_server_is_refused_by_the_other(self):
        status, got = P2.raw("POST", AGENT, b"<packet><server><get_protos/></server></packet>",
                             {"Content-Type": "text/xml", "KEY": P1.key})[:2]
        self.assertIn(b"<errcode>11003</errcode>", got)

    def test_http_checkups(self):
        status, got = P2.api("<packet><server><get_protos/></server></packet>",
                             ctype="application/xml")
        self.assertIn(b"<errcode>1014</errcode>", got)
        status, got = P2.api(b"", method="GET")
        self.assertEqual(status, 200)
        self.assertIn(b"<errcode>1014</errcode>", got)
        status, got, _ = P2.raw("POST", "/api/agent.php", b"<packet/>",
                                {"Content-Type": "text/xml", "KEY": P2.key})
        self.assertEqual(status, 404)

    def test_malformed_request_and_doctype_refused(self):
        got = P2.ok("<packet><server><get_protos/></server>")
        self.assertRegex(got, r"<errcode>1014</errcode><errtext>Parser error: Request is "
                              r"invalid. Error in line 1: ")
        canary = P2.env["PLSIM_CANARY"]
        before = os.stat(canary).st_atime
        got = P2.ok('<?xml version="1.0"?>\n<!DOCTYPE packet [<!ENTITY x SYSTEM "file://%s">]>'
                    "<packet><webspace><get><filter><name>&x;</name></filter>"
                    "<dataset><gen_info/></dataset></get></webspace></packet>" % canary)
        self.assertIn("<errcode>1014</errcode>", got)
        self.assertIn("DOCTYPE is not allowed", got)
        self.assertEqual(os.stat(canary).st_atime, before)

    def test_protocol_versions(self):
        self.assertIn("<status>ok</status>",
                      P2.ok('<packet version="1.6"><server><get_protos/></server></packet>'))
        self.assertIn('<packet version="1.6.5">',
                      P2.ok('<packet version="1.6.5"><server><get_protos/></server></packet>'))
        got = P1.ok('<packet version="1.6.9.1"><server><get_protos/></server></packet>')
        self.assertIn("<errcode>1005</errcode>", got)

    def test_webspace_owner_and_www_root(self):
        for inst, domain, owner in ((P1, "shop.example", "jdoe"), (P1, "admin.example", "admin"),
                                    (P1, "resold.example", "rcust")):
            got = inst.ok("<packet><webspace><get><filter><name>%s</name></filter><dataset>"
                          "<gen_info/><hosting/></dataset></get></webspace></packet>" % domain)
            self.assertEqual(xml_values(got, "owner-login"), [owner])
            self.assertEqual(xml_values(got, "filter-id"), [domain])
            root = re.search(r"<name>www_root</name><value>([^<]+)</value>", got).group(1)
            self.assertEqual(root, inst.www(domain))
            self.assertTrue(os.path.isfile(os.path.join(root, "index.html")))
            # ftp_login: the system user, a real user owning the web space and all in it
            login = re.search(r"<name>ftp_login</name><value>([^<]+)</value>", got).group(1)
            pw = pwd.getpwnam(login)
            self.assertEqual(pw.pw_gecos, tenants.TENANT_COMMENT)
            vhost = os.path.dirname(root)
            self.assertIn(vhost, tenants.trees(inst.d))
            for dp, dns, fns in os.walk(vhost):
                for name in [""] + dns + fns:
                    st = os.lstat(os.path.join(dp, name))
                    self.assertEqual((st.st_uid, st.st_gid), (pw.pw_uid, pw.pw_gid), dp)
            self.assertLess(got.index("<gen_info>"), got.index("<hosting>"))

    def test_customer_and_reseller_chain(self):
        got = P1.ok("<packet><customer><get><filter><login>rcust</login></filter><dataset>"
                    "<gen_info/></dataset></get></customer></packet>")
        self.assertEqual(xml_values(got, "owner-login"), ["resco"])
        got = P1.ok("<packet><customer><get><filter><login>jdoe</login></filter><dataset>"
                    "<gen_info/></dataset></get></customer></packet>")
        self.assertEqual(xml_values(got, "owner-login"), ["admin"])
        got = P1.ok("<packet><reseller><get><filter><login>resco</login></filter><dataset>"
                    "<gen-info/></dataset></get></reseller></packet>")
        self.assertEqual(xml_values(got, "login"), ["resco"])
        got = P1.ok("<packet><customer><get><filter><login>resco</login></filter><dataset>"
                    "<gen_info/></dataset></get></customer></packet>")
        self.assertIn("<errcode>1013</errcode>", got)

    def test_owner_id_variant(self):
        P1.set_faults({"owner_field": "id"})
        got = P1.ok("<packet><webspace><get><filter><name>resold.example</name></filter>"
                    "<dataset><gen_info/></dataset></get></webspace></packet>")
        self.assertEqual(xml_values(got, "owner-login"), [])
        cid = xml_values(got, "owner-id")[0]
        got = P1.ok("<packet><customer><get><filter><id>%s</id></filter><dataset><gen_info/>"
                    "</dataset></get></customer></packet>" % cid)
        self.assertEqual(xml_values(got, "login"), ["rcust"])
        rid = xml_values(got, "owner-id")[0]
        got = P1.ok("<packet><reseller><get><filter><id>%s</id></filter><dataset><gen-info/>"
                    "</dataset></get></reseller></packet>" % rid)
        self.assertEqual(xml_values(got, "login"), ["resco"])
        P1.set_faults({"owner_field": "both"})
        got = P1.ok("<packet><webspace><get><filter><name>admin.example</name></filter>"
                    "<dataset><gen_info/></dataset></get></webspace></packet>")
        self.assertIn("<owner-id>1</owner-id><owner-login>admin</owner-login>", got)

    def test_not_found_mixed_and_empty(self):
        got = P1.ok("<packet><webspace><get><filter><name>shop.example</name>"
                    "<name>nope.example</name></filter><dataset><gen_info/></dataset></get>"
                    "</webspace></packet>")
        self.assertEqual(got.count("<result>"), 2)
        self.assertIn("<status>ok</status>", got)
        self.assertIn("<errcode>1013</errcode><errtext>Object not found.</errtext>"
                      "<filter-id>nope.example</filter-id>", got)
        got = P1.ok("<packet><webspace><get><filter><owner-login>nobody</owner-login></filter>"
                    "<dataset><gen_info/></dataset></get></webspace></packet>")
        self.assertIn("<webspace><get/></webspace>", got)
        self.assertNotIn("<result>", got)

    def test_pretty_print(self):
        got = P2.ok("<packet><server><get_protos/></server></packet>", pretty=True)
        self.assertIn('\n<packet version="1.6.9.1">\n  <server>\n    <get_protos>\n', got)

    def test_unknown_operation_in_known_operator(self):
        got = P2.ok("<packet><webspace><frobnicate/></webspace></packet>")
        self.assertIn("<errcode>1014</errcode>", got)
        self.assertIn("Element 'frobnicate'", got)

    def test_request_log(self):
        P2.ok("<packet><server><get_protos/></server><webspace><get><filter/><dataset>"
              "<gen_info/></dataset></get></webspace></packet>")
        e = P2.requests()[-1]
        self.assertEqual(e["operations"], ["server/get_protos", "webspace/get"])
        self.assertEqual(e["auth"], "key")
        self.assertEqual(e["transport"], "https")
        text = rd(P2.env["PLSIM_REQUEST_LOG"])
        self.assertNotIn(P2.key, text)
        self.assertNotIn(P2.password, text)


# ---- mail (README "mail") ---------------------------------------------------------------------
def mail(inst, op, inner):
    return inst.ok("<packet><mail><%s>%s</%s></mail></packet>" % (op, inner, op))


def mail_password_ok(inst, address, password):
    """psim.py mail-password: 0 the password is ADDRESS's, 1 it is not, 2 no such mailbox."""
    import subprocess
    return subprocess.run([sys.executable, os.path.join(HERE, "psim.py"), "mail-password",
                           inst.d, address], input=password + "\n", text=True).returncode


STRONG = "Tr0ub4dor.3-horse"


def create(inst, site, name, password=STRONG, quota=None):
    box = "<mailbox><enabled>true</enabled>%s</mailbox>" % (
        "<quota>%s</quota>" % quota if quota is not None else "")
    pw = ("<password><value>%s</value><type>plain</type></password>" % password
          if password is not None else "")
    return mail(inst, "create", "<filter><site-id>%s</site-id><mailname><name>%s</name>%s%s"
                "</mailname></filter>" % (site, name, box, pw))


class Mail(Base):
    """plesk2: admin.example is site 1 (postmaster), resold.example site 3 (office)."""

    def test_get_info_of_the_seeded_mailboxes(self):
        got = mail(P2, "get_info", "<filter><site-id>3</site-id></filter><mailbox/>")
        self.assertIn("<mail><get_info><result><status>ok</status><mailname><id>", got)
        self.assertIn("<name>office</name><mailbox><enabled>true</enabled><quota>1073741824"
                      "</quota></mailbox><password/><antivir>off</antivir></mailname>", got)
        got = mail(P2, "get_info", "<filter><site-id>3</site-id></filter>")
        self.assertNotIn("<mailbox>", got)
        got = mail(P1, "get_info", "<filter><site-id>2</site-id></filter><mailbox/>")
        self.assertEqual(xml_values(got, "name"), ["info", "sales", "old"])
        self.assertIn("<name>old</name><mailbox><enabled>false</enabled>", got)
        # no such mailbox: no <result> at all
        got = mail(P2, "get_info", "<filter><site-id>3</site-id><name>nobody</name></filter>")
        self.assertIn("<mail><get_info/></mail>", got)

    def test_create_stores_a_hash_and_the_password_works(self):
        got = create(P2, 3, "New.Box", quota=536870912)
        self.assertRegex(got, r"<result><status>ok</status><mailname><id>\d+</id>"
                              r"<name>new.box</name></mailname></result>")
        got = mail(P2, "get_info", "<filter><site-id>3</site-id><name>new.box</name></filter>"
                   "<mailbox/>")
        self.assertIn("<quota>536870912</quota>", got)
        psa = rd(P2.root("var", "lib", "psa-sim", "psa.json"))
        self.assertNotIn(STRONG, psa)
        self.assertIn("pbkdf2_sha256$", psa)
        self.assertEqual(mail_password_ok(P2, "new.box@resold.example", STRONG), 0)
        self.assertEqual(mail_password_ok(P2, "new.box@resold.example", STRONG + "x"), 1)
        self.assertEqual(mail_password_ok(P2, "none@resold.example", STRONG), 2)
        mail(P2, "remove", "<filter><site-id>3</site-id><name>new.box</name></filter>")

    def test_create_refusals(self):
        got = create(P2, 3, "office")
        self.assertIn("<errcode>1007</errcode><errtext>Mailname 'office' already exists."
                      "</errtext>", got)
        got = create(P2, 99, "x")
        self.assertIn("<errcode>1013</errcode><errtext>Domain does not exist.</errtext>"
                      "<site-id>99</site-id>", got)
        for weak in ("Sh0rt!", "alllowercaseletters", "Weak1weak1-info1", "12345678901"):
            got = create(P2, 3, "info1" if "info1" in weak else "w", weak)
            self.assertIn("<errcode>1019</errcode>", got, weak)
            self.assertIn("too weak", got)
            self.assertNotIn(weak, got)
        got = create(P2, 3, "bad name")
        self.assertIn("<errcode>1019</errcode><errtext>Invalid mail name", got)
        got = create(P2, 3, "q", quota="lots")
        self.assertIn("<errcode>1019</errcode>", got)
        got = mail(P2, "get_info", "<filter><site-id>3</site-id></filter>")
        self.assertEqual(xml_values(got, "name"), ["office"])

    def test_update_set_password_answers_under_set(self):
        create(P2, 1, "pw.test")
        got = mail(P2, "update", "<set><filter><site-id>1</site-id><mailname><name>pw.test"
                   "</name><password><value>An0ther-Secret</value><type>plain</type></password>"
                   "</mailname></filter></set>")
        self.assertIn("<mail><update><set><result><status>ok</status><mailname><name>pw.test"
                      "</name></mailname></result></set></update></mail>", got)
        self.assertEqual(mail_password_ok(P2, "pw.test@admin.example", "An0ther-Secret"), 0)
        self.assertEqual(mail_password_ok(P2, "pw.test@admin.example", STRONG), 1)
        got = mail(P2, "update", "<set><filter><site-id>1</site-id><mailname><name>nobody"
                   "</name><password><value>An0ther-Secret</value></password></mailname>"
                   "</filter></set>")
        self.assertIn("<set><result><status>error</status><errcode>1013</errcode>", got)
        self.assertEqual(P2.requests()[-1]["errcode"], 1013)
        got = mail(P2, "update", "<set><filter><site-id>1</site-id><mailname><name>pw.test"
                   "</name><password><value>abc</value></password></mailname></filter></set>")
        self.assertIn("<errcode>1019</errcode>", got)
        self.assertEqual(mail_password_ok(P2, "pw.test@admin.example", "An0ther-Secret"), 0)
        got = mail(P2, "update", "<add><filter><site-id>1</site-id><mailname><name>pw.test"
                   "</name></mailname></filter></add>")
        self.assertIn("<add><result><status>error</status><errcode>1023</errcode>", got)
        mail(P2, "remove", "<filter><site-id>1</site-id><name>pw.test</name></filter>")

    def test_remove_and_unknown_mailname(self):
        create(P2, 1, "gone")
        got = mail(P2, "remove", "<filter><site-id>1</site-id><name>gone</name></filter>")
        self.assertRegex(got, r"<result><status>ok</status><mailname><id>\d+</id>"
                              r"<name>gone</name></mailname></result>")
        got = mail(P2, "remove", "<filter><site-id>1</site-id><name>gone</name></filter>")
        self.assertIn("<errcode>1013</errcode><errtext>Mailname 'gone' does not exist.", got)
        self.assertEqual(mail_password_ok(P2, "gone@admin.example", STRONG), 2)
        got = mail(P2, "get_info", "<filter><site-id>1</site-id></filter>")
        self.assertEqual(xml_values(got, "name"), ["postmaster"])

    def test_the_request_log_never_holds_a_password(self):
        create(P2, 1, "logged", "L0gged-Secret!")
        mail(P2, "update", "<set><filter><site-id>1</site-id><mailname><name>logged</name>"
             "<password><value>L0gged-Secret2</value></password></mailname></filter></set>")
        self.assertEqual(P2.requests()[-1]["operations"], ["mail/update"])
        mail(P2, "remove", "<filter><site-id>1</site-id><name>logged</name></filter>")
        text = rd(P2.env["PLSIM_REQUEST_LOG"])
        self.assertNotIn("L0gged-Secret", text)


# ---- backup-manager ----------------------------------------------------------------------------
def bm(inst, op, inner):
    return inst.ok("<packet><backup-manager><%s>%s</%s></backup-manager></packet>"
                   % (op, inner, op))


def wait_task(inst, tid, seconds=20):
    def done():
        got = bm(inst, "get-tasks-info", "<task-id>%s</task-id>" % tid)
        st = xml_values(got, "status")
        return got if len(st) >= 2 and st[1] != "working" else None
    return until(done, seconds)


class BackupManager(Base):
    def test_unsupported_on_obsidian_1014(self):
        got = bm(P2, "get-tasks-info", "")
        self.assertRegex(got, r"<system><status>error</status><errcode>1014</errcode><errtext>"
                              r"Parser error: Request is invalid. Error in line 1: Element "
                              r"'backup-manager': This element is not expected.")

    def test_unsupported_1017_variant(self):
        P1.set_faults({"backup_manager": "1017"})
        got = bm(P1, "backup-webspace", "<webspace-name>shop.example</webspace-name><local/>")
        self.assertIn("<result><status>error</status><errcode>1017</errcode>", got)
        P1.set_faults({"backup_manager": "1014"})
        got = bm(P1, "get-tasks-info", "")
        self.assertIn("<system><status>error</status><errcode>1014</errcode>", got)

    def test_task_local_repository_by_owner_and_restore(self):
        cases = (("shop.example", "clients/jdoe/domains/shop.example"),
                 ("admin.example", "domains/admin.example"),
                 ("resold.example", "resellers/resco/clients/rcust/domains/resold.example"))
        names = {}
        for domain, rel in cases:
            with self.subTest(domain=domain):
                got = bm(P1, "backup-webspace", "<webspace-name>%s</webspace-name><local/>"
                         "<prefix>jiku-T1</prefix><description>test</description>" % domain)
                tid = xml_values(got, "task-id")[0]
                self.assertGreater(int(tid), 100)
                first = bm(P1, "get-tasks-info", "<task-id>%s</task-id>" % tid)
                self.assertIn("<status>working</status>", first)
                self.assertIn("<webspace-name>%s</webspace-name>" % domain, first)
                self.assertIn("<filename/>", first)
                fin = wait_task(P1, tid)
                self.assertIsNotNone(fin)
                self.assertIn("<status>finished</status>", fin)
                fname = xml_values(fin, "filename")[0]
                self.assertRegex(fname, r"^jiku-T1_info_\d{12}\.xml$")
                path = P1.dumps(rel, fname)
                self.assertTrue(os.path.isfile(path), path)
                lst = bm(P1, "get-local-backup-list", "<webspace-name>%s</webspace-name>" % domain)
                self.assertIn("<name>%s</name>" % fname, lst)
                self.assertIn("<description>test</description>", lst)
                self.assertNotIn("<not-backup/>", lst)
                names[domain] = fname
        # the local-repository file restores on its server without -ignore-sign
        rel = cases[0][1]
        fname = names["shop.example"]
        with open(P1.www("shop.example", "index.html"), "w") as f:
            f.write("changed\n")
        rc, out, err = P1.plesk(["bin", "pleskrestore", "--restore", P1.dumps(rel, fname),
                                 "-level", "domains", "-filter", "list:shop.example"])
        self.assertEqual(rc, 0, err)
        self.assertIn("<h1>shop.example</h1>", rd(P1.www("shop.example", "index.html")))
        # remove-file removes the description and its content archive
        got = bm(P1, "remove-file", "<webspace-name>shop.example</webspace-name>"
                 "<filename>%s</filename>" % fname)
        self.assertIn("<status>ok</status>", got)
        self.assertEqual([n for n in os.listdir(P1.dumps(rel)) if "jiku-T1" in n], [])
        got = bm(P1, "remove-file", "<webspace-name>shop.example</webspace-name>"
                 "<filename>%s</filename>" % fname)
        self.assertIn("<errcode>1013</errcode>", got)

    def test_task_ending_in_error_leaves_a_stray_file(self):
        P1.set_faults({"backup": {"fault": "error"}})
        got = bm(P1, "backup-webspace", "<webspace-id>1</webspace-id><local/>"
                 "<prefix>jiku-E1</prefix>")
        tid = xml_values(got, "task-id")[0]
        fin = wait_task(P1, tid)
        self.assertIn("<status>error</status>", fin)
        self.assertIn("<webspace-id>1</webspace-id>", fin)
        lst = bm(P1, "get-local-backup-list", "<webspace-id>1</webspace-id>")
        self.assertRegex(lst, r"<name>jiku-E1_\d{12}\.tar</name>.*<not-backup/>")
        name = re.search(r"<name>(jiku-E1_\d{12}\.tar)</name>", lst).group(1)
        self.assertIn("<status>ok</status>", bm(
            P1, "remove-file", "<webspace-id>1</webspace-id><filename>%s</filename>" % name))

    def test_task_fails_on_a_full_disk(self):
        P1.set_faults({"df": {"avail_bytes": 4096}})
        tid = xml_values(bm(P1, "backup-webspace", "<webspace-id>3</webspace-id><local/>"
                            "<prefix>jiku-DF</prefix>"), "task-id")[0]
        self.assertIn("<status>error</status>", wait_task(P1, tid))
        rel = "resellers/resco/clients/rcust/domains/resold.example"
        self.assertFalse([n for n in os.listdir(P1.dumps(rel)) if n.startswith("jiku-DF_info")])
        for n in os.listdir(P1.dumps(rel)):
            if n.startswith("jiku-DF_"):
                self.assertIn("<status>ok</status>", bm(
                    P1, "remove-file", "<webspace-id>3</webspace-id><filename>%s</filename>" % n))

    def test_unknown_subscription_and_task(self):
        got = bm(P1, "backup-webspace", "<webspace-name>nope.example</webspace-name><local/>")
        self.assertIn("<errcode>1013</errcode>", got)
        got = bm(P1, "get-tasks-info", "<task-id>99999</task-id>")
        self.assertIn("<errcode>1013</errcode>", got)

    def test_stop_backup(self):
        P1.set_faults({"backup": {"fault": "never_ends"}})
        tid = xml_values(bm(P1, "backup-webspace", "<webspace-id>3</webspace-id><local/>"),
                         "task-id")[0]
        self.assertIn("<status>ok</status>", bm(P1, "stop-backup", "<task-id>%s</task-id>" % tid))
        got = bm(P1, "get-tasks-info", "<task-id>%s</task-id>" % tid)
        self.assertIn("<status>stopped</status>", got)
        with open(os.path.join(P1.env["PLSIM_ROOT"], "var/lib/psa-sim/tasks", tid, "pid")) as f:
            pid = int(f.read())
        self.assertTrue(until(lambda: not pid_alive(pid), 10))


# ---- 3. the fake plesk CLI ---------------------------------------------------------------------
def export(inst, domain, dest):
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    return inst.plesk(["bin", "pleskbackup", "--domains-name", domain, "-output-file", dest])


class Cli(Base):
    def test_subscription_info(self):
        rc, out, err = P1.plesk(["bin", "subscription", "--info", "resold.example"])
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"FTP Login:\s+resold\n")
        self.assertRegex(out, r"Domain root:\s+%s\n" % re.escape(
            os.path.join(P1.env["PLSIM_VHOSTS"], "resold.example")))
        rc, out, err = P1.plesk(["bin", "subscription", "--info", "nope.example"])
        self.assertNotEqual(rc, 0)
        self.assertIn("nope.example", err)

    def test_export_is_a_signed_tar_arranged_by_owner(self):
        dest = P1.snap("resold.example", "X1", "backup.tar")
        t0 = time.monotonic()
        rc, out, err = export(P1, "resold.example", dest)
        self.assertEqual(rc, 0, err)
        self.assertGreaterEqual(time.monotonic() - t0, JOB_SECONDS)
        self.assertEqual(os.stat(dest).st_mode & 0o777, 0o600)
        with tarfile.open(dest) as tf:
            names = tf.getnames()
        base = "resellers/resco/clients/rcust/domains/resold.example/"
        self.assertIn(base + "vhosts/httpdocs/index.html", names)
        self.assertIn(base + "databases/resold_db.sql", names)
        self.assertIn(".signature", names)
        self.assertTrue(any(re.match(r"^backup_info_\d{12}\.xml$", n) for n in names))
        # a directory as -output-file gets Plesk's own name
        rc, out, err = P1.plesk(["bin", "pleskbackup", "--domains-name", "admin.example",
                                 "--output-file=" + P1.snap("resold.example", "X1") + "/"])
        self.assertEqual(rc, 0, err)
        self.assertTrue(any(re.match(r"^backup_admin\.example_\d{10}\.tar$", n)
                            for n in os.listdir(P1.snap("resold.example", "X1"))))
        # no -output-file: the local repository, in the owner's tree
        rc, out, err = P1.plesk(["bin", "pleskbackup", "--domains-name", "admin.example"])
        self.assertEqual(rc, 0, err)
        self.assertTrue(any(n.startswith("backup_info_")
                            for n in os.listdir(P1.dumps("domains", "admin.example"))))
        rc, out, err = P1.plesk(["bin", "pleskbackup", "--domains-name", "nope.example",
                                 "-output-file", dest + ".2"])
        self.assertNotEqual(rc, 0)
        self.assertFalse(os.path.exists(dest + ".2"))

    def test_check_backup(self):
        dest = P1.snap("shop.example", "C1", "backup.tar")
        self.assertEqual(export(P1, "shop.example", dest)[0], 0)
        rc, out, err = P1.plesk(["bin", "pleskrestore", "--check-backup", dest])
        self.assertEqual(rc, 0, err)
        self.assertIn("Signature: valid", out)
        cut = dest + ".cut"
        with open(dest, "rb") as f, open(cut, "wb") as g:
            g.write(f.read()[:1500])
        rc, out, err = P1.plesk(["bin", "pleskrestore", "--check-backup", cut])
        self.assertNotEqual(rc, 0)
        junk = dest + ".junk"
        with open(junk, "wb") as g:
            g.write(b"not a tar at all\n" * 100)
        rc, out, err = P1.plesk(["bin", "pleskrestore", "--check-backup", junk])
        self.assertNotEqual(rc, 0)
        rc, out, err = P1.plesk(["bin", "pleskrestore", "--check-backup", dest + ".missing"])
        self.assertNotEqual(rc, 0)

    def test_overlay_restore(self):
        dest = P1.snap("shop.example", "R1", "backup.tar")
        self.assertEqual(export(P1, "shop.example", dest)[0], 0)
        orig_index = rd(P1.www("shop.example", "index.html"))
        orig_db = rd(P1.dbfile("shopuser_db"))
        with open(P1.www("shop.example", "index.html"), "w") as f:
            f.write("defaced\n")
        with open(P1.www("shop.example", "new.html"), "w") as f:
            f.write("created after the snapshot\n")
        with open(P1.dbfile("shopuser_db"), "a") as f:
            f.write("INSERT INTO posts VALUES (3,'after');\n")
        rc, out, err = P1.plesk(["bin", "pleskrestore", "--restore", dest, "-level", "domains",
                                 "-filter", "list:shop.example"])
        self.assertEqual(rc, 0, err)
        self.assertIn("SUCCESS", out)
        self.assertEqual(rd(P1.www("shop.example", "index.html")), orig_index)
        self.assertEqual(rd(P1.dbfile("shopuser_db")), orig_db)
        # Plesk overlays: a file that is not in the archive survives
        self.assertTrue(os.path.exists(P1.www("shop.example", "new.html")))
        os.unlink(P1.www("shop.example", "new.html"))

    def test_restore_argument_errors(self):
        dest = P1.snap("shop.example", "A1", "backup.tar")
        self.assertEqual(export(P1, "shop.example", dest)[0], 0)
        rc, out, err = P1.plesk(["bin", "pleskrestore", "--restore", dest, "-level", "domains",
                                 "-filter", "shop.example"])
        self.assertNotEqual(rc, 0)
        self.assertIn("File is not readable: shop.example", err)
        rc, out, err = P1.plesk(["bin", "pleskrestore", "--restore", dest, "-level", "domains",
                                 "-filter", "list:admin.example"])
        self.assertNotEqual(rc, 0)
        self.assertIn("admin.example", err)

    def test_signature_refused_elsewhere_unless_ignore_sign(self):
        dest = P1.snap("shop.example", "S1", "backup.tar")
        self.assertEqual(export(P1, "shop.example", dest)[0], 0)
        other = P2.snap("shop.example", "S1", "backup.tar")
        os.makedirs(os.path.dirname(other), exist_ok=True)
        shutil.copyfile(dest, other)
        args = ["bin", "pleskrestore", "--restore", other, "-level", "domains", "-filter",
                "list:shop.example"]
        rc, out, err = P2.plesk(args)
        self.assertNotEqual(rc, 0)
        self.assertIn("signature", err)
        self.assertFalse(os.path.exists(P2.www("shop.example")))
        rc, out, err = P2.plesk(["bin", "pleskrestore", "--check-backup", other])
        self.assertEqual(rc, 0, err)
        self.assertIn("NOT valid", out)
        rc, out, err = P2.plesk(args + ["-ignore-sign"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(rd(P2.www("shop.example", "index.html")),
                         rd(P1.www("shop.example", "index.html")))
        self.assertEqual(rd(P2.dbfile("shopuser_db")),
                         rd(P1.dbfile("shopuser_db")))
        got = P2.ok("<packet><webspace><get><filter><name>shop.example</name></filter><dataset>"
                    "<gen_info/></dataset></get></webspace></packet>")
        self.assertEqual(xml_values(got, "owner-login"), ["jdoe"])
        # an export of P2 now restores on P2 without -ignore-sign
        mine = P2.snap("shop.example", "S2", "backup.tar")
        self.assertEqual(export(P2, "shop.example", mine)[0], 0)
        rc, out, err = P2.plesk(["bin", "pleskrestore", "--restore", mine, "-level", "domains",
                                 "-filter", "list:shop.example"])
        self.assertEqual(rc, 0, err)

    def test_altered_archive_refused_on_its_own_server(self):
        dest = P1.snap("admin.example", "M1", "backup.tar")
        self.assertEqual(export(P1, "admin.example", dest)[0], 0)
        altered = dest + ".altered.tar"
        with tarfile.open(dest) as src, tarfile.open(altered, "w") as dst:
            for ti in src.getmembers():
                data = src.extractfile(ti).read() if ti.isfile() else None
                if ti.name.endswith("httpdocs/index.html"):
                    data = b"<h1>tampered</h1>\n"
                    ti.size = len(data)
                dst.addfile(ti, io.BytesIO(data) if data is not None else None)
        args = ["bin", "pleskrestore", "--restore", altered, "-level", "domains", "-filter",
                "list:admin.example"]
        rc, out, err = P1.plesk(args)
        self.assertNotEqual(rc, 0)
        self.assertNotIn("tampered", rd(P1.www("admin.example", "index.html")))
        rc, out, err = P1.plesk(args + ["-ignore-sign"])
        self.assertEqual(rc, 0, err)
        self.assertIn("tampered", rd(P1.www("admin.example", "index.html")))
        rc, out, err = P1.plesk(["bin", "pleskrestore", "--restore", dest, "-level", "domains",
                                 "-filter", "list:admin.example"])
        self.assertEqual(rc, 0, err)
        self.assertNotIn("tampered", rd(P1.www("admin.example", "index.html")))

    def test_unknown_utilities(self):
        for args in (["bin", "nosuch"], ["ext", "nosuch", "--list"], ["version"]):
            rc, out, err = P1.plesk(args)
            self.assertEqual(rc, 1, args)

    def test_command_log(self):
        P1.plesk(["bin", "subscription", "--info", "admin.example"])
        e = [x for x in P1.requests() if x.get("transport") == "cli"][-1]
        self.assertEqual(e["command"], "subscription")
        self.assertEqual(e["argv"], ["bin", "subscription", "--info", "admin.example"])
        P1.plesk(["bin", "pleskbackup", "--domains-name", "admin.example", "-output-file",
                  "ftp://u:hunter2@127.0.0.1/x.tar"])
        text = rd(P1.env["PLSIM_REQUEST_LOG"])
        self.assertNotIn("hunter2", text)


class CliFaults(Base):
    def test_pleskbackup_fail(self):
        P1.set_faults({"pleskbackup": {"fault": "fail", "exit": 3, "message": "boom happened",
                                       "count": 1}})
        dest = P1.snap("shop.example", "F1", "backup.tar")
        rc, out, err = export(P1, "shop.example", dest)
        self.assertEqual(rc, 3)
        self.assertIn("boom happened", err)
        self.assertFalse(os.path.exists(dest))
        self.assertEqual(export(P1, "shop.example", dest)[0], 0)  # the count is used up

    def test_disk_full(self):
        P1.set_faults({"pleskbackup": [{"fault": "disk_full", "count": 1}]})
        dest = P1.snap("shop.example", "F2", "backup.tar")
        rc, out, err = export(P1, "shop.example", dest)
        self.assertNotEqual(rc, 0)
        self.assertIn("No space left on device", err)
        self.assertTrue(os.path.exists(dest))  # the partial file is the agent's to remove
        P1.set_faults({"df": {"avail_bytes": 1048576}})
        rc, out, err = P1.ssh("df -P -B1 %s" % shlex.quote(P1.env["PLSIM_SNAPSHOT_DIR"]))
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines()[1].split()[3], "1048576")
        rc, out, err = export(P1, "shop.example", dest)
        self.assertNotEqual(rc, 0)
        P1.set_faults({})

    def test_pleskrestore_fail_and_partial(self):
        dest = P1.snap("shop.example", "F3", "backup.tar")
        self.assertEqual(export(P1, "shop.example", dest)[0], 0)
        orig_db = rd(P1.dbfile("shopuser_db"))
        args = ["bin", "pleskrestore", "--restore", dest, "-level", "domains", "-filter",
                "list:shop.example"]
        # a restore fault is not consumed by --check-backup
        P1.set_faults({"pleskrestore": {"fault": "fail"}})
        self.assertEqual(P1.plesk(["bin", "pleskrestore", "--check-backup", dest])[0], 0)
        with open(P1.www("shop.example", "index.html"), "w") as f:
            f.write("defaced\n")
        rc, out, err = P1.plesk(args)
        self.assertNotEqual(rc, 0)
        self.assertEqual(rd(P1.www("shop.example", "index.html")), "defaced\n")
        P1.set_faults({"pleskrestore": {"fault": "partial"}})
        with open(P1.dbfile("shopuser_db"), "a") as f:
            f.write("INSERT INTO posts VALUES (9,'x');\n")
        rc, out, err = P1.plesk(args)
        self.assertNotEqual(rc, 0)
        self.assertNotEqual(rd(P1.www("shop.example", "index.html")), "defaced\n")
        self.assertNotEqual(rd(P1.dbfile("shopuser_db")), orig_db)
        P1.set_faults({"pleskrestore": {"command": "check-backup", "fault": "fail"}})
        self.assertNotEqual(P1.plesk(["bin", "pleskrestore", "--check-backup", dest])[0], 0)
        self.assertEqual(P1.plesk(args)[0], 0)
        self.assertEqual(rd(P1.dbfile("shopuser_db")), orig_db)

    def test_detached_restore_survives_a_cut_and_attached_one_dies(self):
        dest = P1.snap("shop.example", "D1", "backup.tar")
        self.assertEqual(export(P1, "shop.example", dest)[0], 0)
        orig_db = rd(P1.dbfile("shopuser_db"))
        work = P1.snap(".jobs", "restore-D1")
        os.makedirs(work, mode=0o700, exist_ok=True)
        P1.set_faults({"job_seconds": 3})
        with open(P1.dbfile("shopuser_db"), "a") as f:
            f.write("INSERT INTO posts VALUES (7,'after');\n")
        cmd = ("plesk bin pleskrestore --restore %s -level domains -filter list:shop.example"
               % shlex.quote(dest))
        # attached: dies with the connection, leaving the databases unrestored
        P1.ssh_cut(cmd, "stdout")  # once the job runs
        time.sleep(4)
        self.assertNotEqual(rd(P1.dbfile("shopuser_db")), orig_db)
        # detached as docs/WIRE.md §1.2 says: survives the cut
        rc, out, err = P1.ssh("cd %s && setsid sh -c %s </dev/null >/dev/null 2>&1 &" % (
            shlex.quote(work), shlex.quote(cmd + " >log 2>&1; echo $? >rc")))
        self.assertEqual(rc, 0, err)
        time.sleep(0.5)
        P1.cut()
        self.assertTrue(until(lambda: os.path.exists(os.path.join(work, "rc")), 30))
        time.sleep(0.2)
        self.assertEqual(rd(os.path.join(work, "rc")).strip(), "0")
        self.assertEqual(rd(P1.dbfile("shopuser_db")), orig_db)
        self.assertIn("SUCCESS", rd(os.path.join(work, "log")))


# ---- 4. API faults -------------------------------------------------------------------------------
GET_SHOP = ("<packet><webspace><get><filter><name>admin.example</name></filter><dataset>"
            "<gen_info/></dataset></get></webspace></packet>")


class ApiFaults(Base):
    def fault(self, inst, entry):
        inst.set_faults({"api": [entry]})

    def test_system_and_result_errors(self):
        for code in (1001, 11003):
            self.fault(P2, {"operator": "webspace", "fault": "system", "errcode": code})
            got = P2.ok(GET_SHOP)
            self.assertIn("<system><status>error</status><errcode>%d</errcode>" % code, got)
        self.fault(P2, {"operator": "webspace", "operation": "get", "fault": "result",
                        "errcode": 1013})
        got = P2.ok(GET_SHOP)
        self.assertIn("<webspace><get><result><status>error</status><errcode>1013</errcode>",
                      got)
        self.fault(P2, {"operator": "server", "fault": "result"})
        self.assertIn("<status>ok</status>", P2.ok(GET_SHOP))  # operator does not match

    def test_backup_manager_1014_fault(self):
        self.fault(P1, {"operator": "backup-manager", "fault": "system", "errcode": 1014})
        got = bm(P1, "get-tasks-info", "")
        self.assertIn("<errcode>1014</errcode>", got)

    def test_no_result(self):
        self.fault(P2, {"fault": "no_result"})
        got = P2.ok(GET_SHOP)
        self.assertIn("<webspace><get/></webspace>", got)

    def test_bodies(self):
        self.fault(P2, {"fault": "malformed"})
        got = P2.ok(GET_SHOP)
        self.assertIn("</resul>", got)
        self.fault(P2, {"fault": "garbage"})
        self.assertIn(b"\xff\xfe", P2.api(GET_SHOP)[1])
        self.fault(P2, {"fault": "empty"})
        self.assertEqual(P2.api(GET_SHOP), (200, b""))

    def test_xxe_and_laughs_never_open_the_canary(self):
        canary = P2.env["PLSIM_CANARY"]
        secret = rd(canary).strip()
        os.utime(canary, (946684800, 946684800))  # 2000-01-01, before any read
        before = os.stat(canary).st_atime
        for kind in ("xxe", "xxe_param"):
            self.fault(P2, {"fault": kind})
            got = P2.ok(GET_SHOP)
            self.assertIn("<!DOCTYPE packet", got)
            self.assertIn('SYSTEM "file://%s"' % canary, got)
            self.assertNotIn(secret, got)
        self.fault(P2, {"fault": "laughs"})
        got = P2.ok(GET_SHOP)
        self.assertIn("&lol9;", got)
        self.assertLess(len(got), 4096)
        self.assertEqual(os.stat(canary).st_atime, before)
        self.assertNotIn(secret, rd(P2.env["PLSIM_REQUEST_LOG"]))
        # the check means something: a read of a file with an old atime moves it here
        probe = os.path.join(T, "atime-probe")
        with open(probe, "w") as f:
            f.write("x")
        os.utime(probe, (946684800, 946684800))
        rd(probe)
        self.assertNotEqual(os.stat(probe).st_atime, 946684800)

    def test_transport_faults(self):
        self.fault(P2, {"fault": "status", "code": 503, "retry_after": 2})
        status, body, r = P2.raw("POST", AGENT, GET_SHOP.encode(),
                                 {"Content-Type": "text/xml", "KEY": P2.key})
        self.assertEqual((status, r.getheader("Retry-After")), (503, "2"))
        self.fault(P2, {"fault": "truncated"})
        with self.assertRaises((http.client.IncompleteRead, ssl.SSLError)):
            P2.api(GET_SHOP)
        for kind in ("drop", "drop_after"):
            self.fault(P2, {"fault": kind})
            with self.assertRaises((ConnectionError, http.client.HTTPException, ssl.SSLError)):
                P2.api(GET_SHOP)
        self.fault(P2, {"fault": "delay", "seconds": 1})
        t0 = time.monotonic()
        self.assertIn("<status>ok</status>", P2.ok(GET_SHOP))
        self.assertGreaterEqual(time.monotonic() - t0, 1.0)

    def test_drop_after_still_starts_the_task(self):
        self.fault(P1, {"operator": "backup-manager", "operation": "backup-webspace",
                        "fault": "drop_after"})
        before = len(os.listdir(os.path.join(P1.env["PLSIM_ROOT"], "var/lib/psa-sim/tasks")))
        with self.assertRaises((ConnectionError, http.client.HTTPException, ssl.SSLError)):
            bm(P1, "backup-webspace", "<webspace-id>2</webspace-id><local/><prefix>jiku-L</prefix>")
        after = len(os.listdir(os.path.join(P1.env["PLSIM_ROOT"], "var/lib/psa-sim/tasks")))
        self.assertEqual(after, before + 1)
        got = bm(P1, "get-tasks-info", "<webspace-id>2</webspace-id>")
        self.assertIn("<prefix>jiku-L</prefix>", got)
        e = [x for x in P1.requests() if x.get("fault") == "drop_after"][-1]
        self.assertEqual(e["operations"], ["backup-manager/backup-webspace"])

    def test_tls_certificate_choice(self):
        P2.set_faults({"tls": "other"})
        with self.assertRaises(ssl.SSLCertVerificationError):
            P2.api(GET_SHOP)
        ctx = ssl.create_default_context(cafile=os.path.join(P2.d, "tls", "other-ca.crt"))
        c = http.client.HTTPSConnection("127.0.0.1", int(P2.env["PLSIM_API_PORT"]),
                                        context=ctx, timeout=30)
        try:
            c.request("POST", AGENT, GET_SHOP, {"Content-Type": "text/xml", "KEY": P2.key})
            self.assertIn(b"<status>ok</status>", c.getresponse().read())
        finally:
            c.close()
        P2.set_faults({})
        self.assertIn("<status>ok</status>", P2.ok(GET_SHOP))

    def test_counted_entries(self):
        P2.set_faults({"api": [{"fault": "system", "errcode": 1001, "count": 2}]})
        self.assertIn("<errcode>1001</errcode>", P2.ok(GET_SHOP))
        self.assertIn("<errcode>1001</errcode>", P2.ok(GET_SHOP))
        self.assertIn("<status>ok</status>", P2.ok(GET_SHOP))
        self.assertEqual(P2.faults()["api"][0]["count"], 0)

    def test_job_seconds_override(self):
        P1.set_faults({"job_seconds": 1.5})
        t0 = time.monotonic()
        self.assertEqual(export(P1, "admin.example", P1.snap("admin.example", "J1", "b.tar"))[0],
                         0)
        self.assertGreaterEqual(time.monotonic() - t0, 1.5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
