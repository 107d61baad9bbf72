"""WHM API 1 and UAPI for the cPanel simulator: one dispatch for HTTPS and for the CLI fakes.

Every call answers (http_status, body_bytes).  Envelopes follow docs/WIRE.md §2.2: WHM API 1
`{"data":…,"metadata":{"command","reason","result","version"}}` with sorted keys (as the DOC
samples are), failures with `metadata.result: 0`, `reason`, `errors[]` and `error_count`; UAPI
`{"status","errors","messages","warnings","metadata","data"}` in that order.  A request that
matches a documented sample (samples/index.json) is answered with the sample's exact bytes.
"""

import json
import os
import re
import time
import urllib.parse

import cpsim
import mail

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES_DIR = os.path.join(HERE, "samples")

FORBIDDEN_BODY = (b'{"cpanelresult":{"apiversion":"2","error":"Access denied",'
                  b'"data":{"reason":"Access denied","result":"0"},"type":"text"}}')
BAD_CPANEL_USER_BODY = (b'{"data":{"reason":"User parameter is invalid or was not supplied",'
                        b'"result":"0"},"type":"text","error":"User parameter is invalid or was not '
                        b'supplied"}')

_samples = None


def samples():
    global _samples
    if _samples is None:
        with open(os.path.join(SAMPLES_DIR, "index.json"), encoding="utf-8") as f:
            _samples = json.load(f)["samples"]
    return _samples


def sample_body(s):
    with open(os.path.join(SAMPLES_DIR, s["body"]), "rb") as f:
        return f.read()


def match_sample(transport, function, params):
    """The documented sample whose request equals this one (api.version ignored), if any."""
    clean = {k: v for k, v in params.items() if k != "api.version"}
    for s in samples():
        req = s.get("request") or {}
        if s.get("match") != "exact":
            continue
        if transport not in req.get("transports", []):
            continue
        if req.get("function") != function:
            continue
        if req.get("params", {}) != clean:
            continue
        return s
    return None


def enc(obj):
    return cpsim.dumps(obj).encode("utf-8")


def whm_ok(function, data=None, reason="OK"):
    env = {"metadata": {"command": function, "reason": reason, "result": 1, "version": 1}}
    if data is not None:
        env["data"] = data
    return 200, enc(env)


def whm_fail(function, reason, errors=None):
    md = {"command": function, "reason": reason, "result": 0, "version": 1}
    if errors:
        md["errors"] = errors
        md["error_count"] = len(errors)
    return 200, enc({"metadata": md})


def uapi_obj(status=1, data=None, errors=None, messages=None, warnings=None, metadata=None):
    # Order as in the DOC samples (docs/WIRE.md §2.2).
    return {"status": status, "errors": errors, "messages": messages, "warnings": warnings,
            "metadata": metadata if metadata is not None else {}, "data": data}


def uapi_bytes(obj):
    return cpsim.dumps(obj, sort=False).encode("utf-8")


def version_tuple(v):
    return tuple(int(x) for x in re.findall(r"\d+", v))


def need(params, name):
    v = params.get(name)
    return v if v not in (None, "") else None


class Api:
    def __init__(self, sim):
        self.sim = sim

    # ---- WHM API 1 -------------------------------------------------------------------------
    def whm(self, function, params, transport="https"):
        if function == "cpanel":
            return self.legacy_cpanel(params, transport)
        if transport == "https" and params.get("api.version") != "1":
            # API 0 has another shape; the simulator only speaks API 1 (INF: always send it).
            return 200, enc({"result": [{"status": 0, "statusmsg":
                             "api.version=1 was not sent: the simulator only speaks WHM API 1"}]})
        s = match_sample(transport, function, params)
        if s:
            return int(s.get("status", 200)), sample_body(s)
        fn = getattr(self, "w_" + function, None)
        if fn is None:
            return whm_fail(function, 'Unknown app ("%s") requested for this version (1) of the '
                            'API.' % function)
        return fn(function, params)

    def w_version(self, f, p):
        return whm_ok(f, {"version": self.sim.cfg.get("version", "11.126.0.15")})

    def w_accountsummary(self, f, p):
        user = need(p, "user")
        if user is None and need(p, "domain"):
            user = self.sim.domain_owner(p["domain"])
            if user is None:
                return whm_fail(f, "Account does not exist.")
        if user is None:
            return whm_fail(f, "Missing argument: user or domain")
        if self.sim.read_user(user) is None:
            return whm_fail(f, "Account does not exist.")
        return whm_ok(f, {"acct": [self.sim.acct_entry(user)]})

    def w_listaccts(self, f, p):
        users = self.sim.users()
        search, stype = p.get("search"), p.get("searchtype", "user")
        if search:
            if stype == "domain":
                users = [u for u in users if search in self.sim.domains(u)]
            else:
                users = [u for u in users if u == search or search in u]
        return whm_ok(f, {"acct": [self.sim.acct_entry(u) for u in users]})

    def w_domainuserdata(self, f, p):
        domain = need(p, "domain")
        if domain is None:
            return whm_fail(f, "Missing argument: domain")
        user, docroot = self.sim.domain_owner(domain), None
        if user is None:
            for u in self.sim.users():
                meta = self.sim.read_user(u) or {}
                if any(re.match(r"^SUBDOMAIN\d+$", k) and v == domain for k, v in meta.items()):
                    user = u
        if user is None:
            return whm_fail(f, "The domain “%s” does not exist on this server." % domain)
        home = self.sim.home(user)
        rel = (self.sim.read_user(user) or {}).get("DOCROOT_" + domain)
        docroot = os.path.join(home, rel) if rel else os.path.join(home, "public_html")
        return whm_ok(f, {"userdata": {
            "user": user, "owner": "root", "homedir": home, "documentroot":
            docroot, "servername": domain, "serveralias":
            "www." + domain, "ip": "127.0.0.1", "port": "80", "group": user,
            "phpopenbasedirprotect": 1, "usecanonicalname": "Off"}})

    def w_start_background_pkgacct(self, f, p):
        user = need(p, "user")
        if user is None:
            return whm_fail(f, "Missing argument: user")
        if self.sim.read_user(user) is None:
            return whm_fail(f, "Failed to start the pkgacct session.",
                            ["The user “%s” does not exist." % user])
        keep = {k: v for k, v in p.items() if k != "api.version"}
        sid = self.sim.start_pkgacct(keep)
        return whm_ok(f, {"session_id": sid, "complete_master_log": "master.log",
                          "complete_master_error_log": "master.error_log"})

    def w_get_pkgacct_session_state(self, f, p):
        sid = need(p, "session_id")
        if sid is None or "/" in sid or sid.startswith("."):
            return whm_fail(f, "Missing argument: session_id")
        try:
            return whm_ok(f, {"state": self.sim.pkgacct_state(sid)})
        except KeyError:
            return whm_fail(f, "The pkgacct session “%s” does not exist." % sid)
        except ValueError as e:
            # A function that dies: cPanel's Whostmgr/API/1/Data/Wrapper.pm execute_internal
            # sets result 0 and reason "API failure: " . the error.
            return whm_fail(f, "API failure: %s" % e)

    def w_fetch_pkgacct_master_log(self, f, p):
        sid = need(p, "session_id")
        if sid is None or "/" in sid or sid.startswith("."):
            return whm_fail(f, "Missing argument: session_id")
        sdir = self.sim.pkgacct_dir(sid)
        if not os.path.isdir(sdir):
            return whm_fail(f, "The pkgacct session “%s” does not exist." % sid)
        return whm_ok(f, {"log": self.sim.read_text(os.path.join(sdir, "master.log"))})

    def w_start_local_cpmove_restore(self, f, p):
        path = need(p, "cpmovepath")
        if path is None:
            return whm_fail(f, "Missing argument: cpmovepath")
        if not os.path.isabs(path) or not os.path.isfile(path):
            return whm_fail(f, "The file “%s” does not exist." % path)
        username = need(p, "username")
        if username is None and cpsim.user_from_archive_name(path) is None:
            return whm_fail(f, "The system could not determine the username from “%s”; "
                            "pass username." % os.path.basename(path))
        keep = {k: v for k, v in p.items() if k != "api.version"}
        tid = self.sim.start_restore(keep)
        return whm_ok(f, {"transfer_session_id": tid})

    def _tid(self, p):
        tid = need(p, "transfer_session_id")
        if tid is None or "/" in tid or tid.startswith("."):
            return None
        return tid

    def w_get_transfer_session_state(self, f, p):
        tid = self._tid(p)
        if tid is None:
            return whm_fail(f, "Missing argument: transfer_session_id")
        try:
            return whm_ok(f, {"state_name": self.sim.transfer_state(tid)})
        except KeyError:
            return whm_fail(f, "The transfer session “%s” does not exist." % tid)

    def w_fetch_transfer_session_log(self, f, p):
        tid = self._tid(p)
        if tid is None:
            return whm_fail(f, "Missing argument: transfer_session_id")
        tdir = self.sim.transfer_dir(tid)
        if not os.path.isdir(tdir):
            return whm_fail(f, "The transfer session “%s” does not exist." % tid)
        logfile = p.get("logfile") or "master.log"
        if "/" in logfile or logfile.startswith(".") or logfile in ("params.json", "state", "pid"):
            return whm_fail(f, "Invalid logfile: %s" % logfile)
        path = os.path.join(tdir, logfile)
        if not os.path.isfile(path):
            return whm_fail(f, "The log file “%s” does not exist." % logfile)
        return whm_ok(f, {"log": self.sim.read_text(path)})

    def w_abort_transfer_session(self, f, p):
        tid = self._tid(p)
        if tid is None or not os.path.isdir(self.sim.transfer_dir(tid)):
            return whm_fail(f, "Missing argument: transfer_session_id")
        open(os.path.join(self.sim.transfer_dir(tid), "abort"), "w").close()
        return whm_ok(f)

    def w_create_user_session(self, f, p):
        user = need(p, "user")
        service = p.get("service", "cpaneld")
        if user is None or self.sim.read_user(user) is None:
            return whm_fail(f, "The user “%s” does not exist." % (user or ""))
        token = "/cpsess%010d" % cpsim.random.SystemRandom().randrange(10 ** 10)
        session = "%s:%s" % (user, cpsim.rand_chars(16))
        expires = int(time.time()) + 900
        port = self.sim.cfg.get("cpanel_port", 2083)
        url = "https://127.0.0.1:%s%s/login/?session=%s" % (port, token, session)
        self.sim_sessions_add(session, {"user": user, "token": token, "service": service,
                                        "expires": expires})
        return whm_ok(f, {"cp_security_token": token, "expires": expires, "service": service,
                          "session": session, "url": url}, reason="Created session")

    def sim_sessions_add(self, session, info):
        path = os.path.join(self.sim.dir, "sessions.json")
        try:
            with open(path) as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            data = {}
        data[session] = info
        cpsim.atomic_write(path, json.dumps(data), 0o600)

    def w_uapi_cpanel(self, f, p):
        user = p.get("cpanel.user", "")
        module = p.get("cpanel.module", "")
        function = p.get("cpanel.function", "")
        if self.sim.read_user(user) is None:
            return whm_fail(f, "User parameter is invalid or was not supplied")
        args = {k: v for k, v in p.items()
                if not k.startswith("cpanel.") and k != "api.version"}
        return whm_ok(f, {"uapi": self.uapi_call(user, module, function, args)})

    # ---- UAPI ------------------------------------------------------------------------------
    def uapi(self, user, module, function, params, transport):
        """UAPI over /execute (bare object) or the uapi command (wrapped), with samples."""
        s = match_sample(transport, "%s::%s" % (module, function), params)
        if s:
            return int(s.get("status", 200)), sample_body(s)
        obj = self.uapi_call(user, module, function, params)
        if transport == "uapi":
            return 200, cpsim.dumps({"apiversion": 3, "func": function, "module": module,
                                     "result": obj}, sort=False).encode("utf-8")
        return 200, uapi_bytes(obj)

    def uapi_call(self, user, module, function, params):
        fn = getattr(self, "u_%s_%s" % (module, function), None)
        if fn is None and any(n.startswith("u_%s_" % module) for n in dir(self)):
            # A module UAPI has, without that function: cPanel's Cpanel/API.pm
            # (_run_module_function).
            return uapi_obj(0, None, ["The system could not find the function “%s” in the "
                                      "module “%s”." % (function, module)])
        if fn is None:
            return uapi_obj(0, None, ['Could not find function "%s" in module "%s"'
                                      % (function, module)])
        return fn(user, params)

    def u_DomainInfo_list_domains(self, user, p):
        meta = self.sim.read_user(user) or {}
        doms = self.sim.domains(user, meta)
        subs = [v for k, v in sorted(meta.items()) if k.startswith("SUBDOMAIN")]
        return uapi_obj(1, {"main_domain": doms[0] if doms else "", "addon_domains": [],
                            "parked_domains": doms[1:], "sub_domains": subs})

    def u_SubDomain_addsubdomain(self, user, p):
        sub, root = p.get("domain", ""), p.get("rootdomain", "")
        if not sub or not root:
            return uapi_obj(0, None, ["You must specify the “domain” and “rootdomain”."])
        if not re.match(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", sub):
            return uapi_obj(0, None, ["The subdomain “%s” is not a valid label." % sub])
        meta = self.sim.read_user(user) or {}
        full = "%s.%s" % (sub, root)
        owned = self.sim.domains(user, meta) + [v for k, v in meta.items()
                                                 if re.match(r"^SUBDOMAIN\d+$", k)]
        if root not in owned:
            return uapi_obj(0, None, ["The domain “%s” does not belong to “%s”." % (root, user)])
        for u in self.sim.users():
            m = self.sim.read_user(u) or {}
            if full in self.sim.domains(u, m) or full in m.values():
                return uapi_obj(0, None, ["The subdomain “%s” already exists." % full])
        n = 1
        while "SUBDOMAIN%d" % n in meta:
            n += 1
        d = (p.get("dir") or ("public_html/" + sub)).lstrip("/")
        if ".." in d.split("/"):
            return uapi_obj(0, None, ["The document root “%s” is not valid." % d])
        meta["SUBDOMAIN%d" % n] = full
        meta["DOCROOT_" + full] = d
        self.sim.write_user(user, meta)
        cpsim.tenants.makedirs(self.sim.dir, os.path.join(self.sim.home(user), d))
        return uapi_obj(1, None, metadata={"transformed": 1})

    def del_subdomain(self, user, full):
        """Remove USER's subdomain FULL (the full name, or label_rootdomain): (ok, reason).
        The document root and its files stay, as on cPanel."""
        meta = self.sim.read_user(user) or {}
        for k, v in sorted(meta.items()):
            if re.match(r"^SUBDOMAIN\d+$", k) and full in (v, v.replace(".", "_", 1)):
                del meta[k]
                meta.pop("DOCROOT_" + v, None)
                self.sim.write_user(user, meta)
                return True, "The subdomain “%s” has been removed." % v  # INF: the text
        return False, "The subdomain “%s” does not exist." % full  # INF: the text

    def a2_SubDomain_delsubdomain(self, user, p):
        """API 2 SubDomain::delsubdomain: cPanel documents no UAPI equivalent (its API 2 page,
        api.docs.cpanel.net/cpanel-api-2/…/cpanel-api-2-functions-subdomain-delsubdomain).
        Like cPanel's Cpanel/SubDomain.pm api2_delsubdomain: one item {result, reason}; a
        failure also sets the envelope's error (CPERROR)."""
        ok, reason = self.del_subdomain(user, p.get("domain", ""))
        return [{"reason": reason, "result": 1 if ok else 0}], None if ok else reason

    def u_SubDomain_delsubdomain(self, user, p):
        # UAPI has it only from cPanel 11.138 on (its UAPI OpenAPI specification, version
        # 11.138.0.19); the simulator's default version answers as for any missing function.
        if version_tuple(self.sim.cfg.get("version", "11.126.0.15")) < (11, 138):
            return uapi_obj(0, None, ["The system could not find the function “delsubdomain” "
                                      "in the module “SubDomain”."])
        ok, reason = self.del_subdomain(user, p.get("domain", ""))
        if not ok:
            return uapi_obj(0, None, [reason])
        return uapi_obj(1, None, metadata={"transformed": 1})

    def u_Mysql_list_databases(self, user, p):
        data = [{"database": db, "disk_usage": os.path.getsize(
            os.path.join(self.sim.mysql_dir(), db + ".sql")), "users": []}
            for db in self.sim.dbs(user)]
        return uapi_obj(1, data, metadata={"transformed": 1})

    # -- Mysql::delete_database / Mysql::delete_user (WordPress unstage on cPanel, whose WP
    # Toolkit has no --remove; cPanel UAPI documentation).  A database is DIR/root/var/lib/
    # mysql/NAME.sql, the user's own by its USER_ prefix; a user a WP Toolkit clone made is
    # DIR/root/var/lib/mysql-users/NAME holding its account (tests/fakes/wptoolkit/panels.py).
    def u_Mysql_delete_database(self, user, p):
        name = p.get("name", "")
        path = os.path.join(self.sim.mysql_dir(), name + ".sql")
        if not name or name not in self.sim.dbs(user) or not os.path.isfile(path):
            return uapi_obj(0, None, ["The database “%s” does not exist." % name])
        os.unlink(path)
        return uapi_obj(1, None)

    def u_Mysql_delete_user(self, user, p):
        name = p.get("name", "")
        path = os.path.join(os.path.dirname(self.sim.mysql_dir()), "mysql-users", name)
        try:
            with open(path) as f:
                owner = f.read().strip()
        except OSError:
            owner = None
        if not name or "/" in name or owner != user:
            return uapi_obj(0, None, ["The user “%s” does not exist." % name])
        os.unlink(path)
        return uapi_obj(1, None)

    # -- Email: the account's mailboxes (mail.py; README.md, "Mail accounts").
    def u_Email_list_pops_with_disk(self, user, p):
        return mail.Mail(self.sim).list_pops_with_disk(user, p)

    def u_Email_add_pop(self, user, p):
        return mail.Mail(self.sim).add_pop(user, p)

    def u_Email_passwd_pop(self, user, p):
        return mail.Mail(self.sim).passwd_pop(user, p)

    def u_Email_delete_pop(self, user, p):
        return mail.Mail(self.sim).delete_pop(user, p)

    def u_Backup_fullbackup_to_homedir(self, user, p):
        return uapi_obj(1, {"pid": str(os.getpid())})

    # ---- cPanel API 2 through /json-api/cpanel (the envelope of cPanel's Cpanel/Api2/Exec.pm) ----
    def api2_call(self, user, module, func, args):
        """{"cpanelresult":{"apiversion":2,"data":[…],"event":{"result":1},"func","module"}}
        (keys sorted), "error" added when the function failed; event.result 0 only when the
        call could not run (cPanel's Cpanel/Api2/Exec.pm)."""
        cr = {"apiversion": 2, "func": func, "module": module}
        fn = getattr(self, "a2_%s_%s" % (module, func), None)
        if fn is None:
            # INF: the text of Exec.pm for a function it cannot locate.
            reason = "API2: Could not locate function Cpanel::%s::api2_%s!" % (module, func)
            cr.update(error=reason, event={"reason": reason, "result": 0})
        else:
            data, error = fn(user, args)
            cr.update(data=data, event={"result": 1})
            if error:
                cr["error"] = error
        return enc({"cpanelresult": cr})

    # ---- legacy /json-api/cpanel ----------------------------------------------------------------
    def legacy_cpanel(self, params, transport="https"):
        s = match_sample(transport, "cpanel", params)
        if s:
            return int(s.get("status", 200)), sample_body(s)
        user = params.get("cpanel_jsonapi_user", "")
        if not user or user != user.lower() or self.sim.read_user(user) is None:
            return 200, BAD_CPANEL_USER_BODY
        module = params.get("cpanel_jsonapi_module", "")
        func = params.get("cpanel_jsonapi_func", "")
        args = {k: v for k, v in params.items() if not k.startswith("cpanel_jsonapi_")}
        if params.get("cpanel_jsonapi_apiversion") == "2":
            return 200, self.api2_call(user, module, func, args)
        obj = self.uapi_call(user, module, func, args)
        return 200, cpsim.dumps({"apiversion": 3, "func": func, "module": module, "result": obj},
                                sort=False).encode("utf-8")
