#!/usr/bin/env python3
"""A canary directory for the hostile-tenant rig (README.md beside this file).

A root-owned tree OUTSIDE every fake server root, standing in for /etc or /root: a hostile
tenant points links at it, and the test checks afterwards that the agent (root on the server)
neither wrote, removed, chmod'ed nor chown'ed anything in it, and read none of its secrets
into an artifact.

    canary.py make DIR [--victim NAME]...   create it (as root); prints the secret's sentinel
    canary.py snapshot DIR > state.json     every entry's type, mode, uid/gid, size, sha256,
                                            link target, mtime and ctime
    canary.py check DIR state.json          exit 1 listing every difference, 0 when none
    canary.py sentinel DIR                  the sentinel only the 0600 files hold

`--victim NAME`: a root-owned 0644 file NAME in DIR — a root file that happens to carry the
name the agent will act on (the file a tenant's link makes root delete or overwrite).
Python 3 standard library only.
"""

import hashlib
import json
import os
import secrets
import stat
import sys

SENTINEL_FILE = ".sentinel"  # inside the canary, 0600: the secret's marker, also a secret


def die(msg, code=2):
    sys.stderr.write("canary.py: %s\n" % msg)
    sys.exit(code)


def write(path, data, mode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "w") as f:
        f.write(data)
    os.chmod(path, mode)


def make(top, victims):
    if os.geteuid() != 0:
        die("make needs root: the canary is root's")
    if os.path.lexists(top):
        die("%s already exists" % top)
    sentinel = "JIKU-CANARY-SECRET-" + secrets.token_hex(12)
    os.mkdir(top, 0o755)
    os.chmod(top, 0o755)
    # Distinct modes, so that a chmod by tar's "." member or a chown shows.
    write(os.path.join(top, "README"), "a canary: root's, not a site's\n", 0o644)
    write(os.path.join(top, "secret"), sentinel + "\n", 0o600)
    write(os.path.join(top, SENTINEL_FILE), sentinel + "\n", 0o600)
    write(os.path.join(top, "index.php"), "<?php // canary, not WordPress\n", 0o640)
    write(os.path.join(top, "run.sh"), "#!/bin/sh\nexit 0\n", 0o755)
    os.mkdir(os.path.join(top, "sub"), 0o750)
    os.chmod(os.path.join(top, "sub"), 0o750)
    write(os.path.join(top, "sub", "note"), "a note in a subdirectory\n", 0o604)
    write(os.path.join(top, "sub", "key"), sentinel + "\n", 0o600)
    os.mkdir(os.path.join(top, "empty"), 0o700)
    os.chmod(os.path.join(top, "empty"), 0o700)
    os.symlink("secret", os.path.join(top, "link"))
    for v in victims:
        if "/" in v or v in ("", ".", ".."):
            die("bad victim name %r" % v)
        write(os.path.join(top, v), "a root file named like the agent's %s\n" % v, 0o644)
    print(sentinel)


def entry(path):
    st = os.lstat(path)
    e = {"type": stat.S_IFMT(st.st_mode), "mode": "%04o" % stat.S_IMODE(st.st_mode),
         "uid": st.st_uid, "gid": st.st_gid, "mtime_ns": st.st_mtime_ns,
         "ctime_ns": st.st_ctime_ns}
    if stat.S_ISREG(st.st_mode):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 16), b""):
                h.update(block)
        e["size"] = st.st_size
        e["sha256"] = h.hexdigest()
    elif stat.S_ISLNK(st.st_mode):
        e["target"] = os.readlink(path)
    e["type"] = {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "link"}.get(
        e["type"], "other")
    return e


def snapshot(top):
    """Every entry under TOP (TOP itself as "."), never following a link."""
    if not os.path.isdir(top) or os.path.islink(top):
        die("%s is not a directory" % top)
    out = {".": entry(top)}
    count = 0
    for dp, dns, fns in os.walk(top):
        for n in sorted(dns + fns):
            p = os.path.join(dp, n)
            out[os.path.relpath(p, top)] = entry(p)
            count += 1
            if count > 100000:
                die("%s holds more than 100000 entries" % top)
    return out


def describe(old, new):
    """The differences of one entry, as short phrases."""
    d = []
    if old["type"] != new["type"]:
        return ["%s became a %s" % (old["type"], new["type"])]
    if (old["uid"], old["gid"]) != (new["uid"], new["gid"]):
        d.append("OWNER CHANGED %d:%d -> %d:%d" % (old["uid"], old["gid"], new["uid"],
                                                   new["gid"]))
    if old["mode"] != new["mode"]:
        d.append("mode %s -> %s" % (old["mode"], new["mode"]))
    if old.get("sha256") != new.get("sha256"):
        d.append("content changed (%s -> %s bytes)" % (old.get("size"), new.get("size")))
    if old.get("target") != new.get("target"):
        d.append("link target %r -> %r" % (old.get("target"), new.get("target")))
    if old["mtime_ns"] != new["mtime_ns"]:
        d.append("mtime changed")
    if not d and old["ctime_ns"] != new["ctime_ns"]:
        d.append("ctime changed (metadata touched and put back)")
    return d


def check(top, state_file):
    with open(state_file) as f:
        before = json.load(f)
    if not os.path.lexists(top):
        print("canary %s: REMOVED" % top)
        return 1
    after = snapshot(top)
    diffs = []
    for p in sorted(set(before) | set(after)):
        if p not in after:
            diffs.append("%s: REMOVED" % p)
        elif p not in before:
            e = after[p]
            diffs.append("%s: NEW %s (owner %d:%d, mode %s) - root wrote into the canary"
                         % (p, e["type"], e["uid"], e["gid"], e["mode"]))
        else:
            for d in describe(before[p], after[p]):
                diffs.append("%s: %s" % (p, d))
    for line in diffs[:200]:
        print("canary %s: %s" % (top, line))
    if len(diffs) > 200:
        print("canary %s: ... and %d more differences" % (top, len(diffs) - 200))
    return 1 if diffs else 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "make":
        victims = []
        rest = argv[3:]
        while rest:
            if rest[0] != "--victim" or len(rest) < 2:
                die("usage: canary.py make DIR [--victim NAME]...")
            victims.append(rest[1])
            rest = rest[2:]
        make(argv[2], victims)
        return 0
    if len(argv) == 3 and argv[1] == "snapshot":
        json.dump(snapshot(argv[2]), sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    if len(argv) == 4 and argv[1] == "check":
        return check(argv[2], argv[3])
    if len(argv) == 3 and argv[1] == "sentinel":
        with open(os.path.join(argv[2], SENTINEL_FILE)) as f:
            print(f.read().strip())
        return 0
    die("usage: canary.py make DIR [--victim NAME]... | snapshot DIR | check DIR STATE | "
        "sentinel DIR", 64)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
