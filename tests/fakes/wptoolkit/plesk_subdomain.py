"""`plesk bin subdomain --create LABEL -domain PARENT [-www-root DIR] [-php true]` and
`--remove LABEL -domain PARENT` for the Plesk simulator (docs/WIRE.md §3.5, 3P).

Subdomains are kept in the panel database psa.json under "subdomains":
{FULL: {"subscription", "label", "www_root" (relative to the subscription's vhost), "id"}};
their ids come from the same counter as subscriptions'.
"""

import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import panels  # noqa: E402
from simlib import tenants  # noqa: E402  (panels put tests/fakes on sys.path)

LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def err(text):
    sys.stderr.write(text + "\n")
    return 1


def subdomain(simdir, argv):
    panel = panels.PleskPanel(simdir)
    opts, cmd, label, i = {}, None, None, 0
    while i < len(argv):
        a = argv[i]
        name = a.lstrip("-")
        if "=" in name:
            name, val = name.split("=", 1)
        elif i + 1 < len(argv):
            val = argv[i + 1]
            i += 1
        else:
            return err("subdomain: option '%s' requires a value" % a)
        if name in ("create", "c", "remove", "r", "info", "i"):
            cmd, label = name[0], val.lower()
        else:
            opts[name] = val
        i += 1
    parent = (opts.get("domain") or "").lower()
    if cmd is None or not parent:
        return err("subdomain: use --create LABEL -domain PARENT or --remove LABEL -domain PARENT")
    full = "%s.%s" % (label, parent)
    sim = panel.sim
    if cmd == "c":
        if not LABEL_RE.match(label):
            return err("Unable to create subdomain: the name '%s' is invalid" % label)
        rel = (opts.get("www-root") or full).strip("/")
        if ".." in rel.split("/") or not rel:
            return err("Unable to create subdomain: the document root '%s' is invalid" % rel)

        def create(db):
            if parent not in db["subscriptions"]:
                return "Domain '%s' was not found" % parent
            subs = db.setdefault("subdomains", {})
            if full in subs or full in db["subscriptions"]:
                return "Unable to create subdomain: the subdomain '%s' already exists" % full
            db["next_domain_id"] += 1
            subs[full] = {"subscription": parent, "label": label, "www_root": rel,
                          "id": db["next_domain_id"]}
            return None
        problem = sim.update(create)
        if problem:
            return err(problem)
        tenants.makedirs(sim.dir, os.path.join(sim.vhost(parent), rel))
        print("SUCCESS: Creation of subdomain '%s' complete." % label)
        return 0
    if cmd == "r":
        def remove(db):
            s = (db.get("subdomains") or {}).get(full)
            if not s or s["subscription"] != parent:
                return None
            del db["subdomains"][full]
            return s
        s = sim.update(remove)
        if s is None:
            return err("Unable to find subdomain '%s' of domain '%s'" % (label, parent))
        # INF: Plesk removes a deleted subdomain's document root with it.
        root = os.path.join(sim.vhost(parent), s["www_root"])
        if os.path.normpath(root) != os.path.normpath(sim.vhost(parent)):
            shutil.rmtree(root, ignore_errors=True)
        print("SUCCESS: Removal of '%s' complete." % label)
        return 0
    s = (sim.load().get("subdomains") or {}).get(full)
    if not s:
        return err("Unable to find subdomain '%s' of domain '%s'" % (label, parent))
    print("%-40s%s\n%-40s%s\n%-40s%s\n\nSUCCESS: Gathering information for '%s' complete"
          % ("Subdomain name:", full, "Parent domain:", parent, "Document root:",
             os.path.join(sim.vhost(parent), s["www_root"]), label))
    return 0
