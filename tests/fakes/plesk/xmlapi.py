#!/usr/bin/env python3
"""The Plesk XML API (agent.php) of the simulator: packet parsing, checkups, operators and the
documented samples.  Python 3 standard library only; README.md is the contract.

Api(sim).handle(body, headers) -> (http_status, content_type, body_bytes, log_fields, fault)
"""

import json
import os
import re
import signal
import xml.parsers.expat

import psim

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_BODY = 1 << 20

# operator -> known operations (the XSD's view); unknown ones are 1014 parser errors
OPERATORS = {
    "server": ["get_protos", "get", "create_session", "set"],
    "webspace": ["get", "add", "del", "set", "get-limit-descriptor"],
    "site": ["get", "add", "del", "set"],
    "customer": ["get", "add", "del", "set"],
    "reseller": ["get", "add", "del", "set"],
    "secret_key": ["create", "get_info", "delete"],
    "mail": ["create", "update", "remove", "get_info", "rename", "get_prefs", "set_prefs",
             "enable", "disable"],
    "backup-manager": ["backup-server", "backup-reseller", "backup-customer", "backup-webspace",
                       "get-tasks-info", "stop-backup", "get-local-backup-list", "remove-file",
                       "download-file", "import-file", "get-server-wide-settings",
                       "set-server-wide-settings", "set-remote-storage-settings"],
}
# the oldest protocol version an operator needs (3P roundcube #6526: site on 1.6.3.0 -> 1017)
MIN_PROTO = {"site": "1.6.3.1"}


class ParseError(Exception):
    def __init__(self, msg, line):
        super().__init__(msg)
        self.line = line


class Node:
    __slots__ = ("tag", "attrs", "children", "text", "line")

    def __init__(self, tag, attrs, line):
        self.tag = tag
        self.attrs = attrs
        self.children = []
        self.text = ""
        self.line = line

    def find(self, tag):
        for c in self.children:
            if c.tag == tag:
                return c
        return None

    def val(self, tag):
        c = self.find(tag)
        return c.text.strip() if c is not None else None

    def canon(self):
        """Compact form: whitespace-only text dropped, attributes sorted."""
        a = "".join(' %s="%s"' % (k, esc(v)) for k, v in sorted(self.attrs.items()))
        inner = "".join(c.canon() for c in self.children)
        if not self.children:
            inner = esc(self.text.strip())
        if not inner:
            return "<%s%s/>" % (self.tag, a)
        return "<%s%s>%s</%s>" % (self.tag, a, inner, self.tag)


def parse(body):
    """A packet parsed with expat, refusing any DOCTYPE (no DTD, no entity is ever read)."""
    p = xml.parsers.expat.ParserCreate()
    p.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack = []
    root = []

    def doctype(*_a):
        raise ParseError("DOCTYPE is not allowed", p.CurrentLineNumber)

    def start(tag, attrs):
        n = Node(tag, attrs, p.CurrentLineNumber)
        if stack:
            stack[-1].children.append(n)
        else:
            root.append(n)
        stack.append(n)

    def end(_tag):
        stack.pop()

    def chars(data):
        if stack:
            stack[-1].text += data

    p.StartDoctypeDeclHandler = doctype
    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = chars
    p.ExternalEntityRefHandler = lambda *a: 0
    try:
        p.Parse(body, True)
    except xml.parsers.expat.ExpatError as e:
        raise ParseError(xml.parsers.expat.ErrorString(e.code), e.lineno)
    return root[0]


def esc(t):
    return (str(t).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


# ---- response trees: (tag, [children]) or (tag, "text") or (tag, None) = empty ----------
def E(tag, *kids):
    if len(kids) == 1 and not isinstance(kids[0], tuple):
        return (tag, kids[0])
    return (tag, list(kids))


def render(node, pretty, depth=0):
    tag, kids = node
    pad = "  " * depth if pretty else ""
    nl = "\n" if pretty else ""
    if kids is None or kids == [] or kids == "":
        return "%s<%s/>%s" % (pad, tag, nl)
    if not isinstance(kids, list):
        return "%s<%s>%s</%s>%s" % (pad, tag, esc(kids), tag, nl)
    inner = "".join(render(k, pretty, depth + 1) for k in kids)
    return "%s<%s>%s%s%s</%s>%s" % (pad, tag, nl, inner, pad, tag, nl)


def ok(*kids):
    return E("result", E("status", "ok"), *kids)


def err(code, text, *echo):
    return E("result", E("status", "error"), E("errcode", str(code)), E("errtext", text), *echo)


def system_error(proto, code, text):
    """The 3P-recorded shape of a system (checkup) error."""
    return ('<?xml version="1.0"?>\n<packet version="%s"><system><status>error</status>'
            '<errcode>%d</errcode><errtext>%s</errtext></system></packet>'
            % (proto, code, esc(text))).encode()


class SystemError_(Exception):
    def __init__(self, code, text):
        super().__init__(text)
        self.code = code
        self.text = text


class Api:
    def __init__(self, sim):
        self.sim = sim
        self.samples = load_samples()

    # ---- entry point -------------------------------------------------------------------
    def handle(self, body, headers, method="POST"):
        sim = self.sim
        log = {"operations": [], "auth": None, "auth_user": None, "errcode": None}
        proto = sim.proto()
        # 0. the HTTP POST header checkup
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if method != "POST" or ctype != "text/xml":
            return self.sys_answer(log, 1014, "Parser error: Request is invalid. An XML packet "
                                   "must be sent by POST with Content-Type text/xml")
        # 1. auth (headers)
        key = headers.get("KEY")
        login = headers.get("HTTP_AUTH_LOGIN")
        passwd = headers.get("HTTP_AUTH_PASSWD")
        if key is not None:
            log["auth"] = "key"
            if key.strip() != read_file(os.path.join(sim.dir, "secret_key")):
                log["auth"] = "denied"
                return self.sys_answer(log, 11003, "PleskAPIInvalidSecretKeyException : Invalid "
                                       "secret key usage. Please check logs for details.")
            log["auth_user"] = "admin"
        elif login is not None and passwd is not None:
            log["auth"] = "login"
            log["auth_user"] = login
            if login != sim.cfg.get("api_user", "admin") or \
                    passwd != read_file(os.path.join(sim.dir, "password")):
                log["auth"] = "denied"
                return self.sys_answer(log, 1001, "Authentication failed - wrong password.")
        else:
            log["auth"] = "none"
            return self.sys_answer(log, 1029, "Authentication method is not specified")
        # 2. well-formed packet
        if len(body) > MAX_BODY:
            return self.sys_answer(log, 1014, "Parser error: Request is too large")
        try:
            pkt = parse(body)
        except ParseError as e:
            return self.sys_answer(log, 1014, "Parser error: Request is invalid. Error in line "
                                   "%d: %s" % (e.line, e))
        if pkt.tag != "packet":
            return self.sys_answer(log, 1014, "Parser error: Request is invalid. Error in line "
                                   "%d: Element '%s': No matching global declaration available "
                                   "for the validation root." % (pkt.line, pkt.tag))
        for op in pkt.children:
            for opn in op.children:
                log["operations"].append("%s/%s" % (op.tag, opn.tag))
        # documented samples answer their own request byte for byte
        canon = pkt.canon()
        for smp in self.samples:
            if smp.get("replay") and smp["canon"] == canon and \
                    (not smp.get("versions") or sim.version in smp["versions"]) and \
                    (not smp.get("needs_backup_manager") or sim.backup_manager_mode() == "yes"):
                log["sample"] = smp["id"]
                return 200, "text/xml", smp["bytes"], log, None
        # 3. protocol version
        req_version = pkt.attrs.get("version")
        if req_version is not None:
            if not any(p == req_version or p.startswith(req_version + ".")
                       for p in sim.protos()):
                return self.sys_answer(log, 1005, "XML API protocol version not supported.")
            proto = req_version
        # 4. the XSD's checks
        for op in pkt.children:
            if op.tag not in OPERATORS or (op.tag == "backup-manager" and
                                           sim.backup_manager_mode() == "1014"):
                return self.sys_answer(log, 1014, "Parser error: Request is invalid. Error in "
                                       "line %d: Element '%s': This element is not expected. "
                                       "Expected is one of ( %s )." % (
                                           op.line, op.tag, ", ".join(self.known_operators())))
            for opn in op.children:
                if opn.tag not in OPERATORS[op.tag]:
                    return self.sys_answer(log, 1014, "Parser error: Request is invalid. Error in "
                                           "line %d: Element '%s': This element is not expected. "
                                           "Expected is one of ( %s )." % (
                                               opn.line, opn.tag, ", ".join(OPERATORS[op.tag])))
        # faults, then the operations
        ops = log["operations"] or ["-/-"]
        fault = None
        for o in ops:
            operator, operation = o.split("/", 1)
            fault = sim.take_fault("api", {"operator": operator, "operation": operation})
            if fault:
                break
        pretty = (headers.get("HTTP_PRETTY_PRINT") or "").upper() == "TRUE"
        kind = fault.get("fault") if fault else None
        if kind in ("status", "drop"):
            return 0, "", b"", log, fault  # the server answers; nothing is processed
        if kind == "system":
            code = int(fault.get("errcode", 1001))
            return self.sys_answer(log, code, fault.get("errtext", DEFAULT_TEXT.get(
                code, "Simulated system error")), fault)
        if kind in ("malformed", "xxe", "xxe_param", "laughs", "garbage", "empty", "no_result",
                    "result"):
            first = pkt.children[0] if pkt.children else None
            body = self.fault_body(kind, fault, proto, pkt, pretty, first)
            log["errcode"] = fault.get("errcode") if kind == "result" else None
            return 200, "text/xml", body, log, fault
        out = []
        for op in pkt.children:
            kids = []
            for opn in op.children:
                results = self.operation(op, opn, proto)
                kids.append((opn.tag, results))
                for r in results:
                    code = result_errcode(r)
                    if code and log["errcode"] is None:
                        log["errcode"] = code
            out.append((op.tag, kids))
        return 200, "text/xml", self.packet(proto, out, pretty), log, fault

    def known_operators(self):
        return [o for o in OPERATORS if o != "backup-manager" or
                self.sim.backup_manager_mode() != "1014"]

    def sys_answer(self, log, code, text, fault=None):
        log["errcode"] = code
        return 200, "text/xml", system_error(self.sim.proto(), code, text), log, fault

    @staticmethod
    def packet(proto, ops, pretty):
        head = '<?xml version="1.0" encoding="UTF-8"?>\n'
        return (head + render(("packet", ops), pretty).replace(
            "<packet>", '<packet version="%s">' % proto, 1)).encode()

    def fault_body(self, kind, fault, proto, pkt, pretty, first):
        opname = first.tag if first is not None else "server"
        opn = first.children[0].tag if first is not None and first.children else "get"
        if kind == "garbage":
            return b"\x00\x1f<html><body>502 Bad Gateway\xff\xfe</body>"
        if kind == "empty":
            return b""
        if kind == "no_result":
            return self.packet(proto, [(opname, [(opn, None)])], pretty)
        if kind == "result":
            code = int(fault.get("errcode", 1013))
            text = fault.get("errtext", DEFAULT_TEXT.get(code, "Object not found."))
            return self.packet(proto, [(opname, [(opn, [err(code, text)])])], pretty)
        if kind == "malformed":
            return ('<?xml version="1.0" encoding="UTF-8"?>\n<packet version="%s"><%s><%s>'
                    '<result><status>ok</status><id>1</id></resul></%s></packet>'
                    % (proto, opname, opn, opname)).encode()
        canary = self.sim.cfg.get("canary", "")
        if kind == "xxe":
            dtd = '<!DOCTYPE packet [\n<!ENTITY xxe SYSTEM "file://%s">\n]>\n' % canary
            ref = "&xxe;"
        elif kind == "xxe_param":
            dtd = ('<!DOCTYPE packet [\n<!ENTITY %% xxe SYSTEM "file://%s">\n%%xxe;\n]>\n'
                   % canary)
            ref = "x"
        else:  # laughs: 10^9 expansions of "lol"
            lines = ['<!ENTITY lol "lol">']
            prev = "lol"
            for i in range(1, 10):
                lines.append('<!ENTITY lol%d "%s">' % (i, ("&%s;" % prev) * 10))
                prev = "lol%d" % i
            dtd = "<!DOCTYPE packet [\n%s\n]>\n" % "\n".join(lines)
            ref = "&lol9;"
        return ('<?xml version="1.0" encoding="UTF-8"?>\n%s<packet version="%s"><%s><%s>'
                '<result><status>error</status><errcode>1013</errcode><errtext>%s</errtext>'
                '</result></%s></%s></packet>' % (dtd, proto, opname, opn, ref, opn,
                                                  opname)).encode()

    # ---- operations --------------------------------------------------------------------
    def operation(self, op, opn, proto):
        minp = MIN_PROTO.get(op.tag)
        if minp and psim.version_tuple(proto) < psim.version_tuple(minp):
            return [err(1017, "This feature is not supported for protocol version %s." % proto)]
        if op.tag == "backup-manager" and self.sim.backup_manager_mode() == "1017":
            return [err(1017, "This feature is not supported for protocol version %s." % proto)]
        fn = getattr(self, "op_%s_%s" % (op.tag.replace("-", "_"), opn.tag.replace("-", "_")),
                     None)
        if fn is None:
            return [err(1023, "Operation failed: '%s %s' is not simulated." % (op.tag, opn.tag))]
        return fn(opn)

    # server
    def op_server_get_protos(self, opn):
        return [ok(E("protos", *[E("proto", p) for p in self.sim.protos()]))]

    def op_server_get(self, opn):
        sim = self.sim
        db = sim.load()
        kids = []
        for ds in opn.children:
            if ds.tag == "gen_info":
                kids.append(E("gen_info", E("server_name", "%s.sim.example" % sim.name),
                              E("server_guid", db["server_guid"]),
                              E("vps-optimized-status", "false"), E("mode", "standard")))
            elif ds.tag == "stat":
                kids.append(self.stat(db))
            else:
                kids.append((ds.tag, None))
        return [ok(*kids)]

    def stat(self, db):
        sim = self.sim
        st = os.statvfs(sim.root)
        total, free = st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize
        v = psim.version_tuple(sim.version)
        nsub = len(db["subscriptions"])
        return E("stat",
                 E("objects", E("clients", str(len(db["customers"]) + len(db["resellers"]))),
                   E("domains", str(nsub)), E("active_domains", str(nsub)),
                   E("mail_boxes", "0"), E("mail_redirects", "0"), E("mail_groups", "0"),
                   E("mail_responders", "0"),
                   E("database_users", str(sum(len(s.get("dbs", []))
                                               for s in db["subscriptions"].values()))),
                   E("problem_clients", "0"), E("problem_domains", "0"), E("web_users", "0")),
                 E("version", E("plesk_name", "psa"), E("plesk_version", sim.version),
                   E("plesk_os", "Ubuntu"), E("plesk_os_version", "22.04"),
                   E("plesk_build", "%d%02d%02d.%02d" % (v[0] if v else 0,
                                                         v[1] if len(v) > 1 else 0,
                                                         v[2] if len(v) > 2 else 0, 0)),
                   E("os_release", "%s %s" % (psim.product_name(sim.version), sim.version))),
                 E("other", E("cpu", "Simulated CPU"), E("uptime", "86400"),
                   E("inside_vz", "false")),
                 E("load_avg", E("l1", "0.10"), E("l5", "0.05"), E("l15", "0.01")),
                 E("mem", E("total", "2097152000"), E("used", "1048576000"),
                   E("free", "1048576000"), E("shared", "0"), E("buffer", "0"),
                   E("cached", "0")),
                 E("swap", E("total", "0"), E("used", "0"), E("free", "0")),
                 E("diskspace", E("device", E("name", "/"), E("total", str(total)),
                                  E("used", str(total - free)), E("free", str(free)))))

    # webspace
    def op_webspace_get(self, opn):
        sim = self.sim
        db = sim.load()
        flt = opn.find("filter")
        datasets = [d.tag for d in (opn.find("dataset").children if opn.find("dataset")
                                    is not None else [])]
        subs = sorted(db["subscriptions"].items(), key=lambda kv: kv[1]["id"])
        matches = []  # (filter-id, name, sub) or (filter-id, None, echo)
        if flt is None or not flt.children:
            matches = [(str(s["id"]), n, s) for n, s in subs]
        else:
            for c in flt.children:
                v = c.text.strip()
                if c.tag == "id":
                    hit = [(n, s) for n, s in subs if str(s["id"]) == v]
                elif c.tag == "name":
                    hit = [(n, s) for n, s in subs if n == v.lower()]
                elif c.tag == "guid":
                    hit = [(n, s) for n, s in subs if s["guid"] == v]
                elif c.tag in ("owner-login", "owner-id"):
                    # owner filters that match nothing give no <result> at all
                    for n, s in subs:
                        if (c.tag == "owner-login" and s["owner"] == v) or \
                                (c.tag == "owner-id" and str(self.account_id(db, s["owner"])) == v):
                            matches.append((v, n, s))
                    continue
                else:
                    hit = []
                if hit:
                    matches.extend((v, n, s) for n, s in hit)
                else:
                    echo = E("id", v) if c.tag == "id" else E("filter-id", v)
                    matches.append((v, None, echo))
        out = []
        for fid, name, s in matches:
            if name is None:
                out.append(err(1013, "Object not found.", s))
                continue
            data = []
            for ds in datasets:
                if ds == "gen_info":
                    data.append(self.webspace_gen_info(db, name, s))
                elif ds == "hosting":
                    data.append(self.webspace_hosting(name, s))
                else:
                    data.append((ds, None))
            kids = [E("filter-id", fid), E("id", str(s["id"]))]
            if data:
                kids.append(E("data", *data))
            out.append(ok(*kids))
        return out

    @staticmethod
    def account_id(db, login):
        if login == "admin":
            return 1
        a = db["customers"].get(login) or db["resellers"].get(login)
        return a["id"] if a else 0

    def webspace_gen_info(self, db, name, s):
        sim = self.sim
        size = 0
        for dp, _d, fns in os.walk(sim.vhost(name)):
            for fn in fns:
                try:
                    size += os.lstat(os.path.join(dp, fn)).st_size
                except OSError:
                    pass
        return E("gen_info", E("cr_date", s.get("cr_date", "2026-01-15")), E("name", name),
                 E("ascii-name", name), E("status", "0"), E("real_size", str(size)),
                 *self.owner_fields(db, s["owner"]), E("dns_ip_address", "127.0.0.1"),
                 E("htype", "vrt_hst"), E("guid", s["guid"]), E("vendor-guid", db["server_guid"]),
                 ("external-id", None), ("sb-site-uuid", None), ("description", None),
                 ("admin-description", None))

    def owner_fields(self, db, owner):
        """owner-login as in the REC samples; faults.json "owner_field" = "id" or "both" gives
        owner-id instead or as well (the variant the plugin must tolerate, **INF**)."""
        mode = self.sim.faults().get("owner_field") or "login"
        out = []
        if mode in ("id", "both"):
            out.append(E("owner-id", str(self.account_id(db, owner))))
        if mode in ("login", "both"):
            out.append(E("owner-login", owner))
        return out

    def webspace_hosting(self, name, s):
        props = [("ftp_login", s.get("sysuser", "")), ("php", "true"),
                 ("php_handler_id", "fpm"), ("ssl", "true"), ("www_root", self.sim.www_root(name))]
        return E("hosting", E("vrt_hst", *([E("property", E("name", k), E("value", v))
                                            for k, v in props] + [E("ip_address", "127.0.0.1")])))

    # customer / reseller
    def op_customer_get(self, opn):
        return self.account_get(opn, "customers", "gen_info")

    def op_reseller_get(self, opn):
        return self.account_get(opn, "resellers", "gen-info")

    def account_get(self, opn, table, ds_name):
        db = self.sim.load()
        accts = sorted(db[table].items(), key=lambda kv: kv[1]["id"])
        flt = opn.find("filter")
        matches = []
        if flt is None or not flt.children:
            matches = [(str(a["id"]), n, a) for n, a in accts]
        else:
            for c in flt.children:
                v = c.text.strip()
                if c.tag == "id":
                    hit = [(n, a) for n, a in accts if str(a["id"]) == v]
                elif c.tag == "login":
                    hit = [(n, a) for n, a in accts if n == v]
                elif c.tag == "guid":
                    hit = [(n, a) for n, a in accts if a["guid"] == v]
                elif c.tag in ("owner-login", "owner-id"):
                    for n, a in accts:
                        if (c.tag == "owner-login" and a.get("owner") == v) or \
                                (c.tag == "owner-id" and
                                 str(self.account_id(db, a.get("owner", "admin"))) == v):
                            matches.append((v, n, a))
                    continue
                else:
                    hit = []
                if hit:
                    matches.extend((v, n, a) for n, a in hit)
                else:
                    matches.append((v, None, E("id", v) if c.tag == "id" else E("filter-id", v)))
        want = opn.find("dataset") is not None and opn.find("dataset").find(ds_name) is not None
        out = []
        for fid, login, a in matches:
            if login is None:
                out.append(err(1013, "Object not found.", a))
                continue
            kids = [E("filter-id", fid), E("id", str(a["id"]))]
            if want:
                if table == "customers":
                    info = E("gen_info", E("cr_date", a["cr_date"]), ("cname", None),
                             E("pname", a["pname"]), E("login", login), E("status", "0"),
                             ("phone", None), ("fax", None), E("email", "%s@mail.example" % login),
                             ("address", None), ("city", None), ("state", None), ("pcode", None),
                             ("country", None), E("locale", "en-US"), E("guid", a["guid"]),
                             *self.owner_fields(db, a.get("owner", "admin")),
                             E("vendor-guid", db["server_guid"]), ("external-id", None),
                             ("description", None),
                             E("password", PASSWORD_HASH),
                             E("password_type", "crypt"))
                else:
                    info = E("gen-info", E("cr-date", a["cr_date"]), ("cname", None),
                             E("pname", a["pname"]), E("login", login), E("status", "0"),
                             ("phone", None), ("fax", None), E("email", "%s@mail.example" % login),
                             ("address", None), ("city", None), ("state", None), ("pcode", None),
                             ("country", None), E("locale", "en-US"), E("guid", a["guid"]),
                             ("external-id", None), ("description", None))
                kids.append(E("data", info))
            out.append(ok(*kids))
        return out

    def op_site_get(self, opn):
        # the simulator has no add-on sites: a get that matches nothing, without <result>
        return []

    # mail (README "mail"; WIRE §3.7): the mailboxes of a subscription's own domain, whose
    # site id is the subscription's id (the simulator has no add-on sites)
    def mail_site(self, flt, db):
        """(domain, subscription) of the filter's site-id, or an error result."""
        v = flt.val("site-id") if flt is not None else None
        if not v:
            return err(1014, "Parser error: Request is invalid. Element 'filter': Missing child "
                       "element(s). Expected is ( site-id ).")
        name, s = self.sim.subscription_by_id(v, db)
        if not s:
            return err(1013, "Domain does not exist.", E("site-id", v))
        return name, s

    @staticmethod
    def mail_password(mn, name, box):
        """The new password of a <mailname> as psa.json stores it, None when none is given, or
        an error result.  Plesk's strength policy, as the simulator applies it (**INF**)."""
        pw = mn.find("password")
        if pw is None:
            return None
        value = pw.val("value") or ""
        ptype = pw.val("type") or "plain"
        if ptype != "plain":
            return err(1023, "Operation failed: password type '%s' is not simulated." % ptype)
        why = psim.weak_password(value, name)
        if why:
            return err(1019, "Unable to set the password of %s: the password is too weak (%s)."
                       % (name, why))
        return psim.hash_password(value)

    def op_mail_create(self, opn):
        def create(db):
            flt = opn.find("filter")
            site = self.mail_site(flt, db)
            if site[0] == "result":
                return site
            domain, s = site
            mn = flt.find("mailname")
            name = (mn.val("name") or "") if mn is not None else ""
            if not psim.MAILNAME_RE.match(name):
                return err(1019, "Invalid mail name '%s'." % name)
            boxes = s.setdefault("mail", {})
            if name.lower() in boxes:
                return err(1007, "Mailname '%s' already exists." % name)
            box = mn.find("mailbox")
            quota = box.val("quota") if box is not None else None
            if quota is not None and not re.fullmatch(r"-1|\d{1,18}", quota):
                return err(1019, "Invalid value of quota '%s'." % quota)
            pw = self.mail_password(mn, "%s@%s" % (name, domain), box)
            if isinstance(pw, tuple):
                return pw
            db["next_mail_id"] = db.get("next_mail_id", 100) + 1
            boxes[name.lower()] = {
                "id": db["next_mail_id"], "password": pw, "quota": int(quota or -1),
                "enabled": (box.val("enabled") or "true") != "false" if box is not None
                else False}
            return ok(E("mailname", E("id", str(db["next_mail_id"])), E("name", name.lower())))
        return [self.sim.update(create)]

    def op_mail_update(self, opn):
        out = []
        for sub in opn.children:
            if sub.tag != "set":
                out.append((sub.tag, [err(1023, "Operation failed: 'mail update %s' is not "
                                          "simulated." % sub.tag)]))
                continue

            def setter(db, sub=sub):
                flt = sub.find("filter")
                site = self.mail_site(flt, db)
                if site[0] == "result":
                    return [site]
                domain, s = site
                res = []
                for mn in [c for c in flt.children if c.tag == "mailname"]:
                    name = (mn.val("name") or "").lower()
                    box = s.get("mail", {}).get(name)
                    if box is None:
                        res.append(err(1013, "Mailname '%s' does not exist." % name))
                        continue
                    pw = self.mail_password(mn, "%s@%s" % (name, domain), None)
                    if isinstance(pw, tuple):
                        res.append(pw)
                        continue
                    if pw is not None:
                        box["password"] = pw
                    mb = mn.find("mailbox")
                    quota = mb.val("quota") if mb is not None else None
                    if quota is not None and not re.fullmatch(r"-1|\d{1,18}", quota):
                        res.append(err(1019, "Invalid value of quota '%s'." % quota))
                        continue
                    if quota is not None:
                        box["quota"] = int(quota)
                    if mb is not None and mb.val("enabled") is not None:
                        box["enabled"] = mb.val("enabled") != "false"
                    res.append(ok(E("mailname", E("name", name))))
                return res
            out.append(("set", self.sim.update(setter)))
        return out

    def op_mail_remove(self, opn):
        def remove(db):
            flt = opn.find("filter")
            site = self.mail_site(flt, db)
            if site[0] == "result":
                return [site]
            _domain, s = site
            boxes = s.setdefault("mail", {})
            name = flt.val("name")
            # no name: every mailbox of the site, as documented
            names = sorted(boxes) if name is None else [name.lower()]
            res = []
            for n in names:
                box = boxes.pop(n, None)
                if box is None:
                    res.append(err(1013, "Mailname '%s' does not exist." % n))
                else:
                    res.append(ok(E("mailname", E("id", str(box["id"])), E("name", n))))
            return res
        return self.sim.update(remove)

    def op_mail_get_info(self, opn):
        db = self.sim.load()
        flt = opn.find("filter")
        site = self.mail_site(flt, db)
        if site[0] == "result":
            return [site]
        _domain, s = site
        want_box = opn.find("mailbox") is not None
        name = flt.val("name")
        out = []
        for n, box in sorted(s.get("mail", {}).items(), key=lambda kv: kv[1]["id"]):
            if name is not None and n != name.lower():
                continue
            kids = [E("id", str(box["id"])), E("name", n)]
            if want_box:
                kids.append(E("mailbox", E("enabled", "true" if box["enabled"] else "false"),
                              E("quota", str(box["quota"]))))
            kids += [("password", None), E("antivir", "off")]
            out.append(ok(E("mailname", *kids)))
        return out  # no mailbox: no <result>, as for a get that matches nothing

    # backup-manager
    def selector(self, opn, db):
        """(selector tag, value, dump-tree directory, subscription or None) or an error result."""
        for tag in ("webspace-id", "webspace-name", "customer-id", "customer-login",
                    "reseller-id", "reseller-login", "server"):
            c = opn.find(tag)
            if c is None:
                continue
            v = c.text.strip()
            if tag.startswith("webspace"):
                if tag == "webspace-id":
                    name, s = self.sim.subscription_by_id(v, db)
                else:
                    name = v.lower()
                    s = db["subscriptions"].get(name)
                if not s:
                    return err(1013, "Subscription does not exist.")
                return tag, v, self.sim.object_path(name, db), name
            if tag.startswith("customer") or tag.startswith("reseller"):
                table = "customers" if tag.startswith("customer") else "resellers"
                login = v
                if tag.endswith("-id"):
                    login = next((n for n, a in db[table].items() if str(a["id"]) == v), None)
                if login not in db[table]:
                    return err(1013, "client does not exist.")
                rel = self.sim.owner_path(login, db)
                return tag, v, rel, None
            return "server", "", "", None
        return None

    def op_backup_manager_backup_webspace(self, opn):
        sim = self.sim
        db = sim.load()
        sel = self.selector(opn, db)
        if sel is not None and sel[0] == "result":
            return [sel]
        if sel is None or not sel[0].startswith("webspace"):
            return [err(1014, "Parser error: webspace-id or webspace-name is required")]
        if opn.find("local") is None:
            return [err(1023, "Remote storage is not configured.")]
        prefix = opn.val("prefix") or "backup"
        if not psim.PREFIX_RE.match(prefix):
            return [err(1019, "Invalid prefix '%s'." % prefix)]
        tid = sim.start_backup_task(sel[0], sel[1], sel[3], prefix, opn.val("description") or "")
        return [ok(E("task-id", str(tid)))]

    def task_element(self, t):
        return E("task", E(t["selector"], str(t["value"])), E("id", str(t["id"])),
                 E("status", t["status"]), E("started", str(t["started"])),
                 E("prefix", t["prefix"]) if t["prefix"] else ("prefix", None),
                 E("filename", t["filename"]) if t["filename"] else ("filename", None),
                 E("protocol", t["protocol"]))

    def all_tasks(self):
        out = []
        try:
            names = os.listdir(self.sim.task_dir())
        except OSError:
            return out
        for n in sorted(names, key=lambda x: int(x) if x.isdigit() else 0):
            t = self.sim.read_task(n)
            if t:
                out.append(t)
        return out

    def op_backup_manager_get_tasks_info(self, opn):
        tid = opn.val("task-id")
        if tid is not None:
            t = self.sim.read_task(tid) if tid.isdigit() else None
            if not t:
                return [err(1013, "Task not found.")]
            return [ok(self.task_element(t))]
        db = self.sim.load()
        sel = self.selector(opn, db)
        if sel is not None and sel[0] == "result":
            return [sel]
        tasks = self.all_tasks()
        if sel is not None and sel[0] != "server":
            tasks = [t for t in tasks if (t["selector"] == sel[0] and str(t["value"]) == sel[1])
                     or (sel[3] and t["domain"] == sel[3])]
        return [ok(*[self.task_element(t) for t in tasks])]

    def op_backup_manager_stop_backup(self, opn):
        tid = opn.val("task-id") or ""
        t = self.sim.read_task(tid) if tid.isdigit() else None
        if not t:
            return [err(1013, "Task not found.")]
        if t["status"] == "working":
            try:
                with open(os.path.join(self.sim.task_dir(tid), "pid")) as f:
                    pid = int(f.read().strip())
                if psim.pid_alive(pid, "psim.py"):
                    os.kill(pid, signal.SIGTERM)
            except (OSError, ValueError):
                pass
            t["status"] = "stopped"
            self.sim.write_task(tid, t)
        return [ok()]

    def op_backup_manager_get_local_backup_list(self, opn):
        db = self.sim.load()
        sel = self.selector(opn, db)
        if sel is None:
            sel = ("server", "", "", None)
        if sel[0] == "result":
            return [sel]
        files = []
        for name, created, desc, size, is_backup in self.sim.local_list(sel[2]):
            kids = [E("name", name), E("creation-date", str(created)),
                    E("description", desc) if desc else ("description", None), E("size", str(size))]
            if not is_backup:
                kids.append(("not-backup", None))
            files.append(E("backup", E("file", *kids)))
        return [ok(*files)]

    def op_backup_manager_remove_file(self, opn):
        db = self.sim.load()
        sel = self.selector(opn, db) or ("server", "", "", None)
        if sel[0] == "result":
            return [sel]
        fname = opn.val("filename") or ""
        if not fname or "/" in fname or fname in (".", ".."):
            return [err(1019, "Invalid file name.")]
        d = os.path.join(self.sim.dump_dir(), sel[2])
        full = os.path.join(d, fname)
        if not os.path.isfile(full):
            return [err(1013, "Backup file not found.")]
        try:
            content = self.sim.resolve_backup_file(full) if fname.endswith(".xml") else None
        except ValueError:
            content = None
        os.unlink(full)
        if content and os.path.isfile(content):
            os.unlink(content)
        return [ok()]


# a customer's password hash, as the REC customer get answers it: never to be logged
PASSWORD_HASH = "$5$simsalt$Wt6YbYwq0m3sZx1pQ7cR9nK2vL4hF8dJ0aS5eU3iO1b"

DEFAULT_TEXT = {
    1001: "Authentication failed - wrong password.",
    1005: "XML API protocol version not supported.",
    1013: "Object not found.",
    1014: "Parser error: Request is invalid.",
    1017: "This feature is not supported for protocol version 1.6.3.0.",
    1029: "Authentication method is not specified",
    11003: "PleskAPIInvalidSecretKeyException : Invalid secret key usage. Please check logs for "
           "details.",
}


def result_errcode(node):
    """The errcode of a result, or of the first failed result of a sub-operation (mail
    update/set)."""
    tag, kids = node
    if isinstance(kids, list):
        for k in kids:
            if k[0] == "errcode":
                return int(k[1])
            if tag != "result" and k[0] == "result":
                code = result_errcode(k)
                if code:
                    return code
    return None


def read_file(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def load_samples():
    """samples/index.json with each sample's canonical request and body bytes."""
    d = os.path.join(HERE, "samples")
    try:
        with open(os.path.join(d, "index.json")) as f:
            idx = json.load(f)
    except (OSError, ValueError):
        return []
    out = []
    for s in idx.get("samples", []):
        s = dict(s)
        with open(os.path.join(d, s["request"]), "rb") as f:
            s["canon"] = parse(f.read()).canon()
        with open(os.path.join(d, s["body"]), "rb") as f:
            s["bytes"] = f.read()
        out.append(s)
    return out

