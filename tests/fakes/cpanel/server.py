#!/usr/bin/env python3
"""The cPanel simulator's HTTPS side: WHM API 1 on one port, cPanel (UAPI /execute, session
login) on another, the accounts' sites on a third (../simlib/web.py).  Python 3 standard library
only; see README.md for the contract.

    server.py --dir DIR [--lifetime SECONDS]

Binds 127.0.0.1 on the ports of DIR/config.json (0 = any free port), writes the chosen ports to
DIR/ports.json (and cpanel_port into DIR/config.json), serves until SIGTERM or --lifetime.
"""

import json
import os
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/fakes: simlib
sys.path.insert(0, HERE)
import api  # noqa: E402
import cpsim  # noqa: E402
from simlib import https, web  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(HERE), "wptoolkit"))
import sites  # noqa: E402
import softaculous  # noqa: E402

GARBAGE = b"\x00\x1f<html><body>502 Bad Gateway\xff\xfe</body>"
# What cpsrvd shows a request without a valid session (INF: the page, not its exact bytes).
LOGIN_PAGE = (b'<!DOCTYPE html>\n<html><head><title>cPanel Login</title></head><body>'
              b'<form id="login_form" action="/login/?login_only=1" method="post">'
              b'<input name="user"><input name="pass" type="password"></form></body></html>\n')


def read_token(sim):
    with open(os.path.join(sim.dir, "token")) as f:
        return f.read().strip()


class Handler(https.Handler):
    server_version = "cpsrvd/11.126.0.15"
    content_type = "application/json; charset=UTF-8"

    def params(self):
        u = urllib.parse.urlsplit(self.path)
        params = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        self.query_keys = set(params)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body and ctype == "application/x-www-form-urlencoded":
            params.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                                 keep_blank_values=True))
        return u.path, params

    # ---- routing -------------------------------------------------------------------------
    def route(self):
        sim = self.server.sim
        path, params = self.params()
        entry = {"transport": "https", "port": self.server.role, "method": self.command,
                 "path": path, "params": cpsim.redact(params)}
        if any("pass" in k.lower() for k in self.query_keys) and (
                path.endswith(("/json-api/uapi_cpanel", "/json-api/cpanel"))
                or "/execute/" in path):
            return self.refuse_query_password(sim, entry)
        if self.server.role == "whm":
            self.route_whm(sim, path, params, entry)
        else:
            self.route_cpanel(sim, path, params, entry)

    def refuse_query_password(self, sim, entry):
        """The simulator's own rule (README.md, "Mail accounts"; cPanel itself accepts it): a
        password in the URL reaches logs and traces, so a call of a cPanel function (UAPI,
        API 2) carrying one in its query string is refused before anything runs, and logged
        with "refused"."""
        reason = "A password must be sent in the request body, never in the URL."
        entry.update(function=None, refused="password in the query string", status=400)
        sim.log_request(entry)
        return self.send(400, api.enc({"metadata": {"command": None, "reason": reason,
                                                    "result": 0, "version": 1}}),
                         reason="Bad Request")

    def auth_user(self, scheme):
        h = self.headers.get("Authorization") or ""
        parts = h.split(None, 1)
        if len(parts) != 2 or parts[0].lower() != scheme:
            return None, False
        user, _, token = parts[1].partition(":")
        if not token:
            return user, False
        return user, token == read_token(self.server.sim)

    def route_whm(self, sim, path, params, entry):
        segs = [s for s in path.split("/") if s]
        if segs and segs[0].startswith("cpsess"):
            segs = segs[1:]
        if len(segs) != 2 or segs[0] != "json-api":
            entry.update(function=None, status=404)
            sim.log_request(entry)
            return self.send(404, b"Not Found\n", "text/plain")
        function = segs[1]
        entry["function"] = function
        user, ok = self.auth_user("whm")
        entry["auth_user"] = user
        if not ok or user != sim.cfg.get("api_user", "root"):
            entry.update(auth="denied", status=403)
            sim.log_request(entry)
            return self.send(403, api.FORBIDDEN_BODY, reason="Forbidden Access denied")
        entry["auth"] = "ok"
        fault = sim.take_api_fault(function, "https")
        self.answer(sim, entry, fault, lambda: self.server.api.whm(function, params, "https"))

    def route_cpanel(self, sim, path, params, entry):
        segs = [s for s in path.split("/") if s]
        session = None
        if segs and segs[0].startswith("cpsess"):
            session = self.cookie_session(sim, segs[0])
            if len(segs) >= 2 and segs[1] == "login":
                return self.session_login(sim, segs[0], params, entry)
            segs = segs[1:]
        if len(segs) == 3 and segs[0] == "execute":
            function = "%s::%s" % (segs[1], segs[2])
            entry["function"] = function
            user = session
            if user is None:
                user, ok = self.auth_user("cpanel")
                if not ok or sim.read_user(user) is None:
                    entry.update(auth_user=user, auth="denied", status=401)
                    sim.log_request(entry)
                    return self.send(401, b"Access denied\n", "text/plain",
                                     reason="Unauthorized")
            entry.update(auth_user=user, auth="ok")
            fault = sim.take_api_fault(function, "https")
            return self.answer(sim, entry, fault, lambda: self.server.api.uapi(
                user, segs[1], segs[2], params, "execute"))
        if len(segs) == 4 and segs[0] == "frontend" and segs[2:] == ["softaculous",
                                                                      "index.live.php"]:
            return self.softaculous(sim, session, segs[1], params, entry)
        entry.update(function=None, status=404)
        sim.log_request(entry)
        return self.send(404, b"Not Found\n", "text/plain")

    def softaculous(self, sim, user, theme, params, entry):
        """Softaculous answers only inside a create_user_session session (cookie + the
        session's own /cpsessN prefix), under the account's theme."""
        entry["function"] = "softaculous:%s" % params.get("act", "")
        if user is None:
            entry.update(auth="denied", status=401)
            sim.log_request(entry)
            return self.send(401, LOGIN_PAGE, "text/html; charset=utf-8", reason="Unauthorized")
        entry.update(auth_user=user, auth="ok")
        if theme != (sim.read_user(user) or {}).get("RS", "jupiter"):
            entry["status"] = 404
            sim.log_request(entry)
            return self.send(404, b"Not Found\n", "text/plain")
        fault = sim.take_api_fault(entry["function"], "https")
        return self.answer(sim, entry, fault,
                           lambda: softaculous.Soft(sim.dir).handle(user, params))

    def cookie_session(self, sim, token):
        cookie = self.headers.get("Cookie") or ""
        for part in cookie.split(";"):
            k, _, v = part.strip().partition("=")
            if k == "cpsession":
                info = self.sessions(sim).get(urllib.parse.unquote(v))
                if info and info.get("token") == "/" + token and info.get("cookie"):
                    return info["user"]
        return None

    @staticmethod
    def sessions(sim):
        try:
            with open(os.path.join(sim.dir, "sessions.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def session_login(self, sim, token, params, entry):
        session = params.get("session", "")
        entry.update(function="login", params={"session": "REDACTED"})
        data = self.sessions(sim)
        info = data.get(session)
        if not info or info.get("token") != "/" + token or info.get("expires", 0) < time.time():
            entry.update(auth="denied", status=401)
            sim.log_request(entry)
            return self.send(401, b"Token denied\n", "text/plain", reason="Unauthorized")
        info["cookie"] = True
        data[session] = info
        cpsim.atomic_write(os.path.join(sim.dir, "sessions.json"), json.dumps(data), 0o600)
        entry.update(auth_user=info["user"], auth="ok", status=302)
        sim.log_request(entry)
        theme = (sim.read_user(info["user"]) or {}).get("RS", "jupiter")
        loc = "/%s/frontend/%s/index.html?post_login=%d" % (token, theme, int(time.time()))
        return self.send(302, b"", "text/html", extra=(
            ("Location", loc),
            ("Set-Cookie", "cpsession=%s; HttpOnly; path=/; secure"
             % urllib.parse.quote(session, safe=""))))

    # ---- faults and answers ----------------------------------------------------------------
    def answer(self, sim, entry, fault, call):
        kind = fault.get("fault") if fault else None
        entry["fault"] = kind
        if kind == "delay":
            self.delay(fault)
        if kind == "403":
            entry["status"] = 403
            sim.log_request(entry)
            return self.send(403, api.FORBIDDEN_BODY, reason="Forbidden Access denied")
        if kind == "result0":
            fn = entry.get("function") or ""
            reason = fault.get("reason", "Failed to perform “%s” action. 1 error occurred." % fn)
            errors = fault.get("errors", ["(XID simerr) The simulator was told to fail this call."])
            code, body = api.whm_fail(fn, reason, errors)
            entry["status"] = code
            sim.log_request(entry)
            return self.send(code, body)
        if kind == "garbage":
            entry["status"] = 200
            sim.log_request(entry)
            return self.send(200, GARBAGE)
        if kind == "status":
            return self.send_status_fault(entry, fault, b'{"error":"simulated HTTP %d"}')
        code, body = call()
        return self.send_processed(entry, kind, code, body)


class Server(https.Server):
    def __init__(self, addr, sim, role, contexts):
        super().__init__(addr, Handler, sim, contexts)
        self.api = api.Api(sim)
        self.role = role


def main():
    a = https.parse_args()
    sim = cpsim.Sim(a.dir)
    contexts = https.load_contexts(sim.dir)
    whm = Server(("127.0.0.1", int(sim.cfg.get("api_port", 0))), sim, "whm", contexts)
    cp = Server(("127.0.0.1", int(sim.cfg.get("cpanel_port_wanted", 0))), sim, "cpanel",
                contexts)
    www = web.Server(("127.0.0.1", int(sim.cfg.get("web_port", 0))), sim, contexts,
                     sites.Sites("cpanel", sim.dir))
    ports = {"api_port": whm.server_address[1], "cpanel_port": cp.server_address[1],
             "web_port": www.server_address[1]}
    sim.cfg["cpanel_port"] = ports["cpanel_port"]
    cpsim.atomic_write(os.path.join(sim.dir, "config.json"), json.dumps(sim.cfg, indent=1), 0o600)
    https.serve((whm, cp, www), a.lifetime, lambda: cpsim.atomic_write(
        os.path.join(sim.dir, "ports.json"), json.dumps(ports), 0o644))
    # For bench/: TLS handshakes accepted and how many resumed a session (OpenSSL's counters).
    stats = {}
    for ctx in contexts.values():
        for k, v in ctx.session_stats().items():
            stats[k] = stats.get(k, 0) + v
    cpsim.atomic_write(os.path.join(sim.dir, "tls_stats.json"), json.dumps(stats), 0o644)
    return 0


if __name__ == "__main__":
    sys.exit(main())
