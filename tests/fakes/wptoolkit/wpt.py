#!/usr/bin/env python3
"""WP Toolkit simulator, shared by the cPanel and Plesk simulators (README.md is the contract).

    wpt.py cpanel|plesk DIR ARGS...      the CLI: `wp-toolkit ARGS` / `plesk ext wp-toolkit ARGS`
    wpt.py seed cpanel|plesk DIR         seed WordPress sites (called by the panels' sim.sh)
    wpt.py stale cpanel|plesk DIR ID     the test helper: ID now belongs to another customer's site

Instances live in a server-wide registry (JSON, in the panel's WP Toolkit state directory);
ids are integers from one counter and a re-registration always takes a new one.
"""

import fcntl
import json
import os
import re
import shutil
import signal
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import panels  # noqa: E402
import sitedb  # noqa: E402
import wordpress  # noqa: E402
from simlib import tenants  # noqa: E402  (panels put tests/fakes on sys.path)

DEFAULT_SKIP = ("posts", "postmeta", "users", "usermeta")
KEEP_OPTIONS = ("siteurl", "home", "blog_public")
NEVER_ENDS_SECONDS = 3600.0
UPDATE_SHARE = 0.25  # an update takes this share of the job time


class WptError(Exception):
    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


# ---- the simulator -------------------------------------------------------------------------
class Wpt:
    def __init__(self, kind, simdir):
        self.panel = panels.open_panel(kind, simdir)
        self.kind = kind
        self.state = self.panel.state_dir()

    # ---- registry --------------------------------------------------------------------------
    def _reg_path(self):
        return os.path.join(self.state, "instances.json")

    def load(self):
        try:
            with open(self._reg_path()) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {"next_id": 1, "instances": [], "main_domain_ids": {}, "next_main_id": 1}

    def update(self, fn):
        os.makedirs(self.state, mode=0o700, exist_ok=True)
        with open(os.path.join(self.state, "instances.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            reg = self.load()
            out = fn(reg)
            sitedb.atomic_write(self._reg_path(), json.dumps(reg, indent=1, sort_keys=True),
                                0o600)
            return out

    def main_domain_id(self, account, reg=None):
        accts = self.panel.accounts()
        if self.kind == "plesk":
            return accts.get(account, {}).get("id")
        reg = reg or self.load()
        return reg.get("main_domain_ids", {}).get(account)

    def ensure_main_ids(self):
        if self.kind != "cpanel":
            return

        def fn(reg):
            ids = reg.setdefault("main_domain_ids", {})
            for u in sorted(self.panel.accounts()):
                if u not in ids:
                    ids[u] = reg.get("next_main_id", 1)
                    reg["next_main_id"] = ids[u] + 1
        self.update(fn)

    def account_for_main_id(self, n):
        self.ensure_main_ids()
        reg = self.load()
        for a in self.panel.accounts():
            if str(self.main_domain_id(a, reg)) == str(n):
                return a
        return None

    def locate(self, full):
        """(domain, info, url path) of the domain whose document root holds full."""
        best = None
        for d, info in self.panel.domains().items():
            root = os.path.normpath(info["docroot"])
            if full == root or full.startswith(root + "/"):
                if best is None or len(root) > len(best[1]["docroot"]):
                    best = (d, info)
        if best is None:
            return None, None, None
        rel = os.path.relpath(full, os.path.normpath(best[1]["docroot"]))
        return best[0], best[1], "/" if rel == "." else "/" + rel

    def register(self, full, reg):
        full = os.path.normpath(full)
        cfg = wordpress.read_config(full)
        if cfg is None:
            raise WptError("Error: No WordPress installation was found in '%s'." % full)
        for i in reg["instances"]:
            if i["fullPath"] == full:
                raise WptError("Error: The WordPress installation in '%s' is already "
                               "registered (ID %d)." % (full, i["id"]))
        domain, info, upath = self.locate(full)
        if domain is None:
            raise WptError("Error: '%s' is not inside a domain's document root." % full)
        inst = {"id": reg["next_id"], "account": info["account"], "domain": domain,
                "urlPath": upath, "fullPath": full, "createdAt": int(time.time())}
        reg["next_id"] += 1
        reg["instances"].append(inst)
        return inst

    def find(self, reg, iid):
        for i in reg["instances"]:
            if str(i["id"]) == str(iid):
                return i
        raise WptError("Error: The WordPress installation with ID %s was not found." % iid)

    def describe(self, inst, detail=False):
        domains = self.panel.domains()
        info = domains.get(inst["domain"]) or {}
        base = info.get("base") or ""
        cfg = wordpress.read_config(inst["fullPath"]) or {}
        dbpath = os.path.join(self.panel.mysql_dir(), (cfg.get("db") or "-") + ".sql")
        opts = wordpress.options_of(dbpath)
        url = "https://%s%s" % (inst["domain"], "" if inst["urlPath"] == "/" else inst["urlPath"])
        rel = os.path.relpath(inst["fullPath"], base) if base else inst["fullPath"]
        out = {
            "id": inst["id"],
            "mainDomainId": self.main_domain_id(inst["account"]),
            "mainDomain": info.get("main", ""),
            "domain": inst["domain"],
            "owner": info.get("owner", ""),
            "path": "/" + rel if rel != "." else "/",
            "fullPath": inst["fullPath"],
            "siteUrl": opts.get("home") or url,
            "name": opts.get("blogname", ""),
            "version": wordpress.core_version(inst["fullPath"]) or "",
            "infected": False,
            "broken": not cfg or not os.path.isfile(dbpath),
            "alive": bool(cfg) and os.path.isfile(dbpath),
        }
        if detail:
            # Undocumented keys are not promised (only id, siteUrl and fullPath are seen in
            # every answer): --info leaves out the key that names the account, `owner` on
            # cPanel and `mainDomain` on Plesk, so a client must not need it.
            del out["owner" if self.kind == "cpanel" else "mainDomain"]
            out.update({
                "loginUrl": out["siteUrl"].rstrip("/") + "/wp-admin/",
                "dbName": cfg.get("db", ""),
                "dbPrefix": cfg.get("prefix", "wp_"),
                "searchEnginesIndexing": opts.get("blog_public", "1") != "0",
                "plugins": self.extensions(inst["fullPath"], "plugins", opts),
                "themes": self.extensions(inst["fullPath"], "themes", opts),
            })
        return out

    @staticmethod
    def extensions(full, kind, opts):
        """--info's plugins or themes: {slug: {name, version, active}} (INF)."""
        plugins, theme = wordpress.active(full, opts)
        return {slug: {"name": c["name"], "version": c["version"],
                       "active": slug in plugins if kind == "plugins" else slug == theme}
                for slug, c in wordpress.components(full, kind).items()}

    def repo_path(self):
        """What wordpress.org offers (README.md, "Updates"), root's: tests edit it."""
        return os.path.join(self.state, wordpress.REPO_FILE)

    def dbpath(self, inst):
        cfg = wordpress.read_config(inst["fullPath"]) or {}
        return os.path.join(self.panel.mysql_dir(), (cfg.get("db") or "-") + ".sql"), cfg

    # ---- stale ids -------------------------------------------------------------------------
    def give_id_away(self, iid):
        """The instance iid is re-registered (new id); another customer's instance takes iid."""
        def fn(reg):
            me = None
            for i in reg["instances"]:
                if str(i["id"]) == str(iid):
                    me = i
            if me is None:
                return None
            me["id"] = reg["next_id"]
            reg["next_id"] += 1
            domains = self.panel.domains()
            my_owner = (domains.get(me["domain"]) or {}).get("owner")
            for i in sorted(reg["instances"], key=lambda x: x["id"]):
                if i is me:
                    continue
                if (domains.get(i["domain"]) or {}).get("owner") != my_owner:
                    i["id"] = int(iid)
                    return i
            return None
        return self.update(fn)

    # ---- seeding ---------------------------------------------------------------------------
    def seed(self):
        sites = []
        if self.kind == "cpanel":
            accts = self.panel.accounts()
            if "acmeshop" in accts:
                self.panel.add_addon("acmeshop", "blog.acme.example", "blog.acme.example")
                self.panel.add_addon("acmeshop", "cloud.acme.example", "cloud.acme.example")
                home = self.panel.home("acmeshop")
                sites.append(("acmeshop", os.path.join(home, "blog.acme.example"),
                              "acmeshop_wp1", "https://blog.acme.example", "Acme Blog"))
                sites.append(("acmeshop", os.path.join(home, "public_html", "news"),
                              "acmeshop_wp2", "https://shop.acme.example/news", "Acme News"))
            if "lowco" in accts:
                sites.append(("lowco", os.path.join(self.panel.home("lowco"), "public_html"),
                              "lowco_wp1", "https://low.example", "Low Co"))
        else:
            accts = self.panel.accounts()
            if "shop.example" in accts:
                sites.append(("shop.example", self.panel.sim.www_root("shop.example"),
                              "shopuser_wp1", "https://shop.example", "Shop Blog"))
            if "resold.example" in accts:
                sites.append(("resold.example", self.panel.sim.www_root("resold.example"),
                              "resold_wp1", "https://resold.example", "Resold Site"))
        for account, full, db, url, title in sites:
            top = tenants.first_missing(full)
            wordpress.make_site(full, os.path.join(self.panel.mysql_dir(), db + ".sql"), db, url,
                                title, "admin@" + url.split("/")[2])
            tenants.give(self.panel.dir, top or full)
            self.panel.db_added(account, db)
        self.ensure_main_ids()
        self.update(lambda reg: [self.register(s[1], reg) for s in sites])
        if not os.path.exists(self.repo_path()):
            sitedb.atomic_write(self.repo_path(), json.dumps(wordpress.REPO, indent=1), 0o600)


# ---- the command line ----------------------------------------------------------------------
# cPanel's WP Toolkit CLI has exactly these commands (docs.cpanel.net, "WP Toolkit command line
# interface": clear-cache, register, info, config, wp-cli, list, install, clone, copy-data,
# detach, languages, sets, plugins, themes, smart-update, versions) -- no --remove; Plesk's
# `plesk ext wp-toolkit` also has --remove.
COMMANDS = ("list", "info", "clone", "copy-data", "wp-cli", "register", "detach", "install",
            "config", "sets", "smart-update", "clear-cache", "versions", "languages", "plugins",
            "themes")
COMMANDS_OF = {"cpanel": COMMANDS, "plesk": COMMANDS + ("remove",)}
FLAGS = ("plugins", "themes")


def parse(argv, kind="plesk"):
    """(command, options, wp-cli words).  WP Toolkit takes `--command -option value ...`."""
    if not argv or not argv[0].startswith("--"):
        raise WptError("Usage: wp-toolkit --COMMAND [-option value ...]; see --help", 2)
    cmd = argv[0][2:]
    if cmd not in COMMANDS_OF[kind]:
        raise WptError("Error: Unknown command '--%s'." % cmd, 2)
    opts, rest, i = {}, [], 1
    while i < len(argv):
        a = argv[i]
        if a == "--":
            rest = argv[i + 1:]
            break
        if not a.startswith("-") or a.startswith("--"):
            raise WptError("Error: Unexpected argument '%s'." % a, 2)
        name = a[1:]
        if name in FLAGS:
            opts[name] = True
            i += 1
            continue
        if i + 1 >= len(argv):
            raise WptError("Error: The option '-%s' requires a value." % name, 2)
        opts[name] = argv[i + 1]
        i += 2
    return cmd, opts, rest


class Run:
    """One wp-toolkit invocation."""

    def __init__(self, wpt, argv):
        self.w = wpt
        self.argv = argv

    def out(self, obj, raw=None):
        if self.fmt == "json":
            sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
        else:
            sys.stdout.write((raw if raw is not None else json.dumps(obj, indent=2)) + "\n")
        sys.stdout.flush()

    def wait(self, seconds):
        """Sleep with a progress line on stderr every 0.25 s: a run still attached to a dropped
        SSH channel dies of SIGPIPE at its next line, as a real one dies with its session."""
        end = time.monotonic() + max(0.0, seconds)
        while True:
            left = end - time.monotonic()
            pct = 100 if seconds <= 0 else int(100 * (1 - max(0.0, left) / seconds))
            sys.stderr.write("Progress: %d%%\n" % pct)
            sys.stderr.flush()
            if left <= 0:
                return
            time.sleep(min(0.25, left))

    def need(self, name):
        v = self.opts.get(name)
        if v in (None, ""):
            raise WptError("Error: The option '-%s' is required." % name, 2)
        return v

    def yesno(self, name, default):
        v = self.opts.get(name, default)
        if v not in ("yes", "no"):
            raise WptError("Error: The option '-%s' accepts 'yes' or 'no'." % name, 2)
        return v == "yes"

    def main(self):
        self.fmt = "raw"
        try:
            self.cmd, self.opts, self.rest = parse(self.argv, self.w.kind)
            self.fmt = self.opts.get("format", "raw")
            if self.fmt not in ("json", "raw"):
                raise WptError("Error: The option '-format' accepts 'json' or 'raw'.", 2)
            self.w.panel.log_request({"transport": "wp-toolkit", "command": "--" + self.cmd,
                                      "argv": self.argv})
            self.w.ensure_main_ids()  # accounts created since (a restore under a new name)
            # `wp_cli`: the wp-cli command's first two words ("db import"), so that a fault
            # can pick one wp-cli call among several
            words = [w for w in self.rest if not w.startswith("--")][:2]
            self.fault = self.w.panel.take_fault("wptoolkit", {"command": self.cmd,
                                                               "wp_cli": " ".join(words)}) or {}
            kind = self.fault.get("fault")
            if kind == "stale_id":
                iid = (self.fault.get("instance") or self.opts.get("instance-id")
                       or self.opts.get("source-instance-id"))
                if iid:
                    self.w.give_id_away(iid)
            if kind == "hang":
                self.wait(NEVER_ENDS_SECONDS)
            if kind == "fail":
                if self.cmd in ("clone", "copy-data", "wp-cli"):
                    self.wait(self.w.panel.job_seconds() / 2)
                raise WptError(self.fault.get("message", "Error: The operation failed: "
                                              "(simulated WP Toolkit failure)"),
                               int(self.fault.get("exit", 1)))
            fn = getattr(self, "c_" + self.cmd.replace("-", "_"), None)
            if fn is None:
                raise WptError("Error: '--%s' is not simulated." % self.cmd)
            rc = fn() or 0
            if kind == "partial" and self.cmd == "wp-cli":
                # the command did its work (a `db import` changed the database), then failed
                raise WptError(self.fault.get("message", "Error: The operation failed after it "
                                              "changed the site: (simulated WP Toolkit "
                                              "failure)"), int(self.fault.get("exit", 1)))
            return rc
        except WptError as e:
            if str(e):  # wp-cli's json output ends a failed update without a message
                sys.stderr.write(str(e) + "\n")
            return e.code

    # ---- read-only ---------------------------------------------------------------------------
    def c_list(self):
        reg = self.w.load()
        items = [self.w.describe(i) for i in sorted(reg["instances"], key=lambda x: x["id"])]
        mid = self.opts.get("main-domain-id")
        if mid is not None:
            items = [i for i in items if str(i["mainDomainId"]) == str(mid)]
        raw = "\n".join("%-6s %-40s %s" % (i["id"], i["siteUrl"], i["fullPath"]) for i in items)
        self.out(items, "ID     Site URL                                 Path\n" + raw)

    def instance_from_opts(self, reg):
        if self.opts.get("instance-id"):
            return self.w.find(reg, self.opts["instance-id"])
        if self.opts.get("main-domain-id") and self.opts.get("path"):
            acct = self.w.account_for_main_id(self.opts["main-domain-id"])
            base = (self.w.panel.accounts().get(acct) or {}).get("base")
            if base:
                full = os.path.normpath(base + "/" + self.opts["path"].lstrip("/"))
                for i in reg["instances"]:
                    if i["fullPath"] == full:
                        return i
            raise WptError("Error: No WordPress installation was found at the path '%s'."
                           % self.opts["path"])
        raise WptError("Error: The option '-instance-id' is required.", 2)

    def c_info(self):
        inst = self.instance_from_opts(self.w.load())
        d = self.w.describe(inst, detail=True)
        self.out(d, "\n".join("%s: %s" % (k, d[k]) for k in d))

    # ---- registration ------------------------------------------------------------------------
    def c_register(self):
        acct = self.w.account_for_main_id(self.need("main-domain-id"))
        if acct is None:
            raise WptError("Error: The domain with ID %s was not found."
                           % self.opts["main-domain-id"])
        base = self.w.panel.accounts()[acct]["base"]
        full = os.path.normpath(base + "/" + self.need("path").lstrip("/"))
        inst = self.w.update(lambda reg: self.w.register(full, reg))
        d = self.w.describe(inst)
        self.out(d, "The WordPress installation was registered with ID %d." % inst["id"])

    def c_detach(self):
        iid = self.need("instance-id")

        def fn(reg):
            inst = self.w.find(reg, iid)
            reg["instances"].remove(inst)
            return inst
        inst = self.w.update(fn)
        self.out({"id": inst["id"], "detached": True},
                 "The WordPress installation with ID %d was detached." % inst["id"])

    def c_remove(self):
        iid = self.need("instance-id")
        reg = self.w.load()
        inst = self.w.find(reg, iid)
        self.remove_site(inst)
        self.out({"id": inst["id"], "removed": True},
                 "The WordPress installation with ID %d was removed." % inst["id"])

    def remove_site(self, inst):
        """Files, database and registration of an instance (WP Toolkit's Remove)."""
        dbpath, cfg = self.w.dbpath(inst)
        full = inst["fullPath"]
        domains = self.w.panel.domains()
        is_root = any(os.path.normpath(i["docroot"]) == full for i in domains.values())
        if is_root:
            sitedb.empty_dir(full)
        elif os.path.isdir(full):
            shutil.rmtree(full)
        if cfg and cfg.get("db") and os.path.isfile(dbpath):
            os.unlink(dbpath)
            self.w.panel.db_removed(inst["account"], cfg["db"])

        def fn(reg):
            reg["instances"] = [i for i in reg["instances"] if i["id"] != inst["id"]]
        self.w.update(fn)

    # ---- clone -------------------------------------------------------------------------------
    def c_clone(self):
        reg = self.w.load()
        src = self.w.find(reg, self.need("source-instance-id"))
        domains = self.w.panel.domains()
        target = self.opts.get("target-domain-name")
        if not target and self.opts.get("target-domain-id"):
            for d, info in domains.items():
                if str(info.get("domain_id")) == self.opts["target-domain-id"]:
                    target = d
        if not target:
            raise WptError("Error: The option '-target-domain-name' or '-target-domain-id' is "
                           "required.", 2)
        if target not in domains or self.fault.get("fault") == "domain_missing":
            raise WptError("Error: The domain '%s' was not found. Create the domain first, "
                           "then clone into it." % target)
        tinfo = domains[target]
        tpath = (self.opts.get("target-path") or "").strip("/")
        tfull = os.path.normpath(os.path.join(tinfo["docroot"], tpath))
        force = self.yesno("force-overwrite", "no")
        if os.path.normpath(src["fullPath"]) == tfull:
            raise WptError("Error: The source and the target of the clone are the same.")
        occupant = [i for i in reg["instances"] if i["fullPath"] == tfull]
        if sitedb.dir_has_files(tfull) and not force:
            raise WptError("Error: The target directory '%s' is not empty. Use "
                           "-force-overwrite yes to overwrite its content." % tfull)
        sdb, scfg = self.w.dbpath(src)
        if not scfg or not os.path.isfile(sdb):
            raise WptError("Error: The source installation is broken: its database was not "
                           "found.")
        acct = tinfo["account"]
        dbname = self.opts.get("target-db-name") or self.w.panel.new_db_name(acct, "wp")
        tdbpath = os.path.join(self.w.panel.mysql_dir(), dbname + ".sql")
        for i in occupant:
            self.remove_site(i)
        if os.path.exists(tdbpath):
            raise WptError("Error: The database '%s' already exists." % dbname)
        secs = self.w.panel.job_seconds()
        self.wait(secs / 2)
        if os.path.isdir(tfull):
            sitedb.empty_dir(tfull)
        top = tenants.first_missing(tfull)
        sitedb.copy_tree(src["fullPath"], tfull)
        wordpress.set_config_db(tfull, dbname)
        # WP Toolkit writes a site as the owner of the target domain
        tenants.give(self.w.panel.dir, top or tfull)
        self.wait(secs / 2)
        surl = self.w.describe(src)["siteUrl"]
        turl = "https://%s%s" % (target, "/" + tpath if tpath else "")
        copy_db(sdb, tdbpath, "all", surl, turl, keep_target=False)
        self.w.panel.db_added(acct, dbname)
        self.w.panel.db_user_added(acct, dbname)  # wp-config.php: DB_USER = DB_NAME
        inst = self.w.update(lambda r: self.w.register(tfull, r))
        d = self.w.describe(inst)
        res = {"sourceInstanceId": src["id"], "targetInstanceId": inst["id"],
               "targetDomainName": target, "targetPath": "/" + tpath, "targetSiteUrl":
               d["siteUrl"], "targetFullPath": tfull, "targetDbName": dbname}
        self.out(res, "The WordPress installation was cloned: new installation ID %d (%s)."
                 % (inst["id"], d["siteUrl"]))

    # ---- copy-data ---------------------------------------------------------------------------
    def c_copy_data(self):
        reg = self.w.load()
        src = self.w.find(reg, self.need("source-instance-id"))
        dst = self.w.find(reg, self.need("target-instance-id"))
        if src["id"] == dst["id"]:
            raise WptError("Error: The source and the target installations are the same.")
        what = self.opts.get("data-to-copy", "all")
        if what not in ("all", "files", "db"):
            raise WptError("Error: The option '-data-to-copy' accepts all, files or db.", 2)
        mode = self.opts.get("db-tables-copy-mode", "default")
        if mode not in ("default", "all", "new", "selected", "none"):
            raise WptError("Error: The option '-db-tables-copy-mode' accepts default, all, new "
                           "or selected.", 2)
        selected = [t for t in (self.opts.get("db-tables") or "").split(",") if t]
        if mode == "selected" and not selected:
            raise WptError("Error: The option '-db-tables' is required with "
                           "-db-tables-copy-mode selected.", 2)
        exclude = [t for t in (self.opts.get("exclude-db-tables") or "").split(",") if t]
        replace_modified = self.yesno("files-replace-modified", "yes")
        remove_missing = self.yesno("files-remove-missing", "no")
        restore_point = self.yesno("create-restore-point", "yes")
        sdb, scfg = self.w.dbpath(src)
        ddb, dcfg = self.w.dbpath(dst)
        if not scfg or not dcfg or not os.path.isfile(sdb) or not os.path.isfile(ddb):
            raise WptError("Error: An installation is broken: its database was not found.")
        secs = self.w.panel.job_seconds()
        rp = None
        if restore_point:
            rp = self.restore_point(dst, ddb)
        self.wait(secs / 2)
        files = 0
        if what in ("all", "files"):
            files = sitedb.copy_tree(src["fullPath"], dst["fullPath"], skip={"wp-config.php"},
                                     replace_modified=replace_modified,
                                     remove_missing=remove_missing)
            tenants.give(self.w.panel.dir, dst["fullPath"])
        self.wait(secs / 2)
        if self.fault.get("fault") == "partial":
            raise WptError("Copying database failed: (simulated) Lost connection to MySQL "
                           "server during query", 1)
        copied = []
        if what in ("all", "db") and mode != "none":
            copied = copy_db(sdb, ddb, mode, self.w.describe(src)["siteUrl"],
                             self.w.describe(dst)["siteUrl"], keep_target=True,
                             selected=selected, exclude=exclude)
        res = {"sourceInstanceId": src["id"], "targetInstanceId": dst["id"],
               "dataToCopy": what, "dbTablesCopyMode": mode, "copiedTables": copied,
               "copiedFiles": files, "restorePoint": rp}
        self.out(res, "Data were copied from the installation %d to the installation %d."
                 % (src["id"], dst["id"]))

    def restore_point(self, inst, dbpath):
        d = os.path.join(self.w.state, "restore-points", "%d-%s" % (
            inst["id"], time.strftime("%Y%m%d%H%M%S", time.gmtime())))
        os.makedirs(d, mode=0o700, exist_ok=True)
        shutil.copyfile(dbpath, os.path.join(d, "database.sql"))
        with tarfile.open(os.path.join(d, "files.tar"), "w") as tf:
            tf.add(inst["fullPath"], arcname=".")
        return d

    # ---- wp-cli ------------------------------------------------------------------------------
    def as_site_owner(self, inst, fn):
        """fn() as the system user who owns the site's tree (OSError when it fails)."""
        tenants.run_as_owner(self.w.panel.dir, inst["fullPath"], fn)

    def c_wp_cli(self):
        inst = self.w.find(self.w.load(), self.need("instance-id"))
        words = [w for w in self.rest if not w.startswith("--skip-plugins")
                 and not w.startswith("--skip-themes")]
        dbpath, cfg = self.w.dbpath(inst)
        if not words:
            raise WptError("usage: wp <command>", 1)
        if not cfg or not os.path.isfile(dbpath):
            raise WptError("Error: Error establishing a database connection.", 1)
        cmd = words[:2]
        secs = self.w.panel.job_seconds()
        # WP Toolkit runs wp-cli as the site's system user (operators' notes; the vendors do
        # not say): every file wp-cli itself reads or writes is opened as that user, so root's
        # 0700 work directories are out of its reach, while `-` (stdout / stdin) works.  The
        # database files stand for the MySQL server and are the simulator's own.
        if cmd == ["db", "export"]:
            dest = words[2] if len(words) > 2 else "%s.sql" % cfg["db"]
            self.wait(secs)
            with open(dbpath, "rb") as f:
                data = f.read()
            if dest == "-":
                sys.stdout.buffer.write(data)
                return 0
            dest = dest if os.path.isabs(dest) else os.path.join(inst["fullPath"], dest)
            try:
                self.as_site_owner(inst, lambda: sitedb.atomic_write(dest, data, 0o600))
            except OSError as e:
                raise WptError("Error: Failed to export to '%s': %s" % (dest, e))
            print("Success: Exported to '%s'." % words[2] if len(words) > 2 else
                  "Success: Exported to '%s.sql'." % cfg["db"])
            return 0
        if cmd == ["db", "import"]:
            if len(words) < 3:
                raise WptError("Error: Please provide a file to import.")
            if words[2] == "-":
                data = sys.stdin.buffer.read()
            else:
                src = words[2] if os.path.isabs(words[2]) else os.path.join(inst["fullPath"],
                                                                           words[2])
                try:
                    self.as_site_owner(inst, lambda: open(src, "rb").close())
                    with open(src, "rb") as f:
                        data = f.read()
                except OSError:
                    raise WptError("Error: Import file missing or not readable: %s" % words[2])
            if not sitedb.looks_like_dump(data):
                raise WptError("Error: Failed to import from '%s': ERROR 1064 (42000) at line "
                               "1: You have an error in your SQL syntax" % words[2])
            self.wait(secs)
            sitedb.atomic_write(dbpath, data, 0o600)
            print("Success: Imported from '%s'." % words[2])
            return 0
        if cmd == ["config", "get"] and len(words) >= 3:
            path = os.path.join(inst["fullPath"], "wp-config.php")
            try:
                self.as_site_owner(inst, lambda: open(path, "rb").close())
                with open(path) as f:
                    text = f.read()
            except OSError:
                raise WptError("Error: 'wp-config.php' not found.")
            m = re.search(r"define\(\s*'%s',\s*'([^']*)'" % re.escape(words[2]), text)
            if not m:
                raise WptError("Error: The constant or variable '%s' is not defined in the "
                               "'wp-config.php' file." % words[2])
            print(m.group(1))
            return 0
        if cmd == ["option", "get"] and len(words) >= 3:
            opts = wordpress.options_of(dbpath)
            if words[2] not in opts:
                raise WptError("Error: Could not get '%s' option. Does it exist?" % words[2])
            print(opts[words[2]])
            return 0
        if cmd == ["option", "update"] and len(words) >= 4:
            changed = wordpress.set_option(dbpath, cfg["prefix"], words[2], words[3])
            print("Success: Updated '%s' option." % words[2] if changed else
                  "Success: Value passed for '%s' option is unchanged." % words[2])
            return 0
        cli = wordpress.WpCli(inst["fullPath"], dbpath, cfg["prefix"], self.w.repo_path(),
                              lambda fn: self.as_site_owner(inst, fn),
                              lambda: self.wait(secs * UPDATE_SHARE), self.fault,
                              os.path.join(self.w.state, "outbox"))
        try:
            rc = cli.run(words)
        except wordpress.CliError as e:
            raise WptError(str(e), e.code)
        if rc is not None:
            return rc
        raise WptError("Error: '%s' is not a registered wp command. See 'wp help' for available "
                       "commands." % words[0])


def copy_db(src, dst, mode, surl, turl, keep_target, selected=(), exclude=()):
    """Copy tables of the dump src into dst per WP Toolkit's table mode, rewriting the source
    URL to the target's.  With keep_target, the target keeps its own siteurl, home and
    blog_public options (INF).  Returns the copied table names (without prefix)."""
    sh, st, so = sitedb.read_dump(src)
    if os.path.exists(dst):
        dh, dt, do = sitedb.read_dump(dst)
    else:
        dh, dt, do = ["-- MySQL dump (simulator: one INSERT line = one row)"], {}, []
    sp = tprefix(so)
    dp = tprefix(do) if do else sp
    keep = {}
    if keep_target:
        for line in dt.get(dp + "options", []):
            m = wordpress.OPT_RE.match(line)
            if m and wordpress.unsql(m.group(3)) in KEEP_OPTIONS:
                keep[wordpress.unsql(m.group(3))] = line
    copied = []
    for t in so:
        bare = t[len(sp):] if t.startswith(sp) else t
        if bare in exclude:
            continue
        if mode == "default" and bare in DEFAULT_SKIP:
            continue
        if mode == "new" and (dp + bare) in dt:
            continue
        if mode == "selected" and bare not in selected and t not in selected:
            continue
        tt = dp + bare
        lines = [sitedb.rename_table(x, t, tt).replace(surl, turl) for x in st[t]]
        if bare == "options" and keep:
            out = []
            for x in lines:
                m = wordpress.OPT_RE.match(x)
                name = wordpress.unsql(m.group(3)) if m else None
                out.append(keep.pop(name) if name in keep else x)
            out.extend(keep.values())
            lines = out
        dt[tt] = lines
        if tt not in do:
            do.append(tt)
        copied.append(bare)
    sitedb.write_dump(dst, dh, dt, do)
    return copied


def tprefix(order):
    for t in order:
        if t.endswith("options"):
            return t[:-len("options")]
    return "wp_"


def main(argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if len(argv) >= 4 and argv[1] == "seed" and argv[2] in ("cpanel", "plesk"):
        Wpt(argv[2], argv[3]).seed()
        return 0
    if len(argv) == 5 and argv[1] == "stale" and argv[2] in ("cpanel", "plesk"):
        other = Wpt(argv[2], argv[3]).give_id_away(argv[4])
        print(json.dumps(other))
        return 0 if other else 1
    if len(argv) >= 3 and argv[1] in ("cpanel", "plesk"):
        return Run(Wpt(argv[1], argv[2]), argv[3:]).main()
    sys.stderr.write("usage: wpt.py cpanel|plesk DIR ARGS... | seed cpanel|plesk DIR | "
                     "stale cpanel|plesk DIR ID\n")
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
