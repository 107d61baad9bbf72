"""What the WP Toolkit simulator needs from a panel simulator: domains and their document
roots, who owns them, databases, faults, the request log.  One adapter per panel; both read
and write the panel simulator's own state (cPanel: DIR/root/var/cpanel/users/U; Plesk:
DIR/root/var/lib/psa-sim/psa.json), so the panel's APIs and WP Toolkit agree.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FAKES = os.path.dirname(HERE)
sys.path.insert(0, FAKES)  # simlib
from simlib import state, tenants  # noqa: E402


def _load_module(sub, name):
    path = os.path.join(FAKES, sub)
    if path not in sys.path:
        sys.path.insert(0, path)
    return __import__(name)


class Panel:
    kind = "?"

    def __init__(self, simdir):
        self.dir = os.path.abspath(simdir)
        with open(os.path.join(self.dir, "config.json")) as f:
            self.cfg = json.load(f)

    def p(self, *parts):
        return os.path.join(self.dir, "root", *parts)

    def mysql_dir(self):
        return self.p("var", "lib", "mysql")

    # ---- faults (the panel simulators' faults.json, shared) --------------------------------
    def faults(self):
        return state.read_faults(self.dir)

    def job_seconds(self):
        f = self.faults()
        for k in ("wptoolkit_seconds", "job_seconds"):
            if isinstance(f.get(k), (int, float)):
                return float(f[k])
        return float(self.cfg.get("job_seconds", 2))

    def take_fault(self, section, match):
        """The first entry of faults.json `section` (one entry or a list) whose keys in match
        agree (missing or '*' = any), consuming one use of a counted entry."""
        return state.take_fault(self.dir, section, lambda e: all(
            str(e.get(k, "*")) in ("*", str(v)) for k, v in match.items()))

    def log_request(self, entry):
        state.log_request(self.dir, entry)


class CpanelPanel(Panel):
    """cPanel: an account U (DIR/root/var/cpanel/users/U) owns its main domain (DNS, document
    root ~/public_html), addon domains (DNSn) and subdomains (SUBDOMAINn); the document root of
    any other than the main domain is the key DOCROOT_<domain> (relative to the home)."""
    kind = "cpanel"

    def __init__(self, simdir):
        super().__init__(simdir)
        self.cpsim = _load_module("cpanel", "cpsim")
        self.sim = self.cpsim.Sim(simdir)

    def state_dir(self):
        return self.p("usr", "local", "cpanel", "3rdparty", "wp-toolkit", "var")

    def home(self, user):
        return self.p("home", user)

    def domains(self):
        """{domain: {account, owner, docroot, base, main}} for every domain on the server."""
        out = {}
        for u in self.sim.users():
            meta = self.sim.read_user(u) or {}
            main = meta.get("DNS")
            if not main:
                continue
            home = self.home(u)
            names = [main] + [v for k, v in sorted(meta.items())
                              if re.match(r"^(DNS|SUBDOMAIN)\d+$", k)]
            for d in names:
                if d == main:
                    root = os.path.join(home, "public_html")
                else:
                    rel = meta.get("DOCROOT_" + d) or os.path.join("public_html", d)
                    root = os.path.join(home, rel.lstrip("/"))
                out[d] = {"account": u, "owner": u, "docroot": root, "base": home,
                          "main": main}
        return out

    def accounts(self):
        return {u: {"main": (self.sim.read_user(u) or {}).get("DNS", ""), "base": self.home(u),
                    "owner": u} for u in self.sim.users()}

    def new_db_name(self, account, stem):
        existing = set(os.listdir(self.mysql_dir())) if os.path.isdir(self.mysql_dir()) else set()
        for n in range(1, 1000):
            name = "%s_%s%d" % (account, stem, n)
            if name + ".sql" not in existing:
                return name
        raise RuntimeError("no free database name")

    def db_added(self, account, name):
        pass  # a cPanel database belongs to U by its U_ prefix

    def db_removed(self, account, name):
        pass

    def db_user_added(self, account, name):
        """A MySQL user a clone made: DIR/root/var/lib/mysql-users/NAME holds its account
        (UAPI Mysql::delete_user of the cPanel simulator removes it)."""
        d = self.p("var", "lib", "mysql-users")
        os.makedirs(d, mode=0o700, exist_ok=True)
        with open(os.path.join(d, name), "w") as f:
            f.write(account + "\n")

    def add_addon(self, user, domain, rel):
        meta = self.sim.read_user(user)
        n = 1 + sum(1 for k in meta if re.match(r"^DNS\d+$", k))
        meta["DNS%d" % n] = domain
        meta["DOCROOT_" + domain] = rel
        self.sim.write_user(user, meta)
        self.sim.write_zone(domain)
        tenants.makedirs(self.dir, os.path.join(self.home(user), rel))


class PleskPanel(Panel):
    """Plesk: a subscription D (psa.json "subscriptions") owns D (web root
    var/www/vhosts/D/httpdocs) and its subdomains (psa.json "subdomains", created by the fake
    `plesk bin subdomain --create`)."""
    kind = "plesk"

    def __init__(self, simdir):
        super().__init__(simdir)
        self.psim = _load_module("plesk", "psim")
        self.sim = self.psim.Sim(simdir)

    def state_dir(self):
        return self.p("usr", "local", "psa", "var", "modules", "wp-toolkit")

    def domains(self):
        db = self.sim.load()
        out = {}
        for name, s in db["subscriptions"].items():
            out[name] = {"account": name, "owner": s["owner"], "docroot": self.sim.www_root(name),
                         "base": self.sim.vhost(name), "main": name, "domain_id": s["id"]}
        for name, sd in (db.get("subdomains") or {}).items():
            parent = sd["subscription"]
            if parent not in db["subscriptions"]:
                continue
            out[name] = {"account": parent, "owner": db["subscriptions"][parent]["owner"],
                         "docroot": os.path.join(self.sim.vhost(parent), sd["www_root"]),
                         "base": self.sim.vhost(parent), "main": parent, "domain_id": sd["id"]}
        return out

    def accounts(self):
        db = self.sim.load()
        return {n: {"main": n, "base": self.sim.vhost(n), "owner": s["owner"], "id": s["id"]}
                for n, s in db["subscriptions"].items()}

    def new_db_name(self, account, stem):
        db = self.sim.load()
        s = db["subscriptions"][account]
        existing = set(os.listdir(self.mysql_dir())) if os.path.isdir(self.mysql_dir()) else set()
        for n in range(1, 1000):
            name = "%s_%s%d" % (s.get("sysuser", "wp"), stem, n)
            if name + ".sql" not in existing:
                return name
        raise RuntimeError("no free database name")

    def db_added(self, account, name):
        def fn(db):
            s = db["subscriptions"].get(account)
            if s is not None and name not in s.setdefault("dbs", []):
                s["dbs"].append(name)
        self.sim.update(fn)

    def db_removed(self, account, name):
        def fn(db):
            s = db["subscriptions"].get(account)
            if s is not None and name in s.get("dbs", []):
                s["dbs"].remove(name)
        self.sim.update(fn)

    def db_user_added(self, account, name):
        pass  # Plesk's --remove takes the database with its user


def open_panel(kind, simdir):
    return CpanelPanel(simdir) if kind == "cpanel" else PleskPanel(simdir)
