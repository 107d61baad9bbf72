#!/usr/bin/env python3
"""The hostile tenant's watcher (README.md beside this file).

    watcher.py start --user UID:GID --log FILE [--max-swaps N] [--seconds T] RULE...
        (as root) opens each RULE's directory, then runs `watcher.py run` AS THE TENANT through
        `setpriv --reuid=UID --regid=GID --init-groups`, detached (its own session), its output
        in FILE; waits (bounded) until it watches, prints its pid
    watcher.py run ...   (as the tenant; internal) the watcher itself
    watcher.py undo LOG  (as root) puts back what the watcher renamed away, removes its links

RULE (DIR absolute, no ':' in any field):
    new:DIR:GLOB:TARGET      an entry whose name matches GLOB appears in DIR (created, or renamed
                             into it): rename it away (NAME.hostile-K), then symlink NAME -> TARGET
    gone:DIR:GLOB:TARGET     an entry matching GLOB leaves DIR (removed, or renamed away):
                             symlink NAME -> TARGET in its place
    exec:PATTERN:DIR:NAME:TARGET  a process whose command line (arguments joined by spaces)
                             matches the fnmatch PATTERN (or one of its '|'-separated
                             alternatives) runs: rename DIR/NAME away, symlink it -> TARGET
                             (once)

Why inotify (through ctypes, Python stdlib only) for new/gone: a tenant on a real server reacts
within microseconds of the event, which polling cannot promise (a short-lived entry can come and
go between two scans), and it costs nothing while idle on a shared 2-core machine.  Why polling
/proc for exec: nothing in the tenant's tree changes when root starts the command that will act
on it; a tenant sees other users' command lines in /proc (the default hidepid=0), so that is
what a real one watches.  The poll is tight (10 ms) but bounded like everything else.

Only what the tenant can do: after setpriv the process has the tenant's uid/gid and no
capabilities; it works through directory descriptors that root opened for it, because the
simulators keep their server roots under a 0700 directory that a real server's /home is not -
a descriptor grants nothing on the directory that its mode does not (every rename and symlink
is checked against the directory's own permissions and the tenant's uid).

Bounded: stops after --max-swaps actions (default 4) or --seconds (default 120), whichever
first; SIGTERM stops it at once.  Every action is one line in the log:
    swap <TAB> DIR <TAB> NAME <TAB> NAME.hostile-K <TAB> TARGET
    plant <TAB> DIR <TAB> NAME <TAB> - <TAB> TARGET
    fail <TAB> DIR <TAB> NAME <TAB> errno text
"""

import ctypes
import ctypes.util
import errno
import fnmatch
import os
import select
import signal
import struct
import subprocess
import sys
import time

IN_CREATE = 0x100
IN_DELETE = 0x200
IN_MOVED_FROM = 0x40
IN_MOVED_TO = 0x80
IN_Q_OVERFLOW = 0x4000
IN_MASK_ADD = 0x20000000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
EVENT_HEAD = struct.Struct("iIII")


def die(msg, code=2):
    sys.stderr.write("watcher.py: %s\n" % msg)
    sys.exit(code)


def parse_rule(text):
    f = text.split(":")
    if f[0] in ("new", "gone") and len(f) == 4 and f[1].startswith("/") and f[2] and f[3]:
        return {"kind": f[0], "dir": f[1], "glob": f[2], "target": f[3]}
    if f[0] == "exec" and len(f) == 5 and f[2].startswith("/") and f[3] and f[4]:
        if "/" in f[3]:
            die("exec rule: NAME must be one entry of DIR")
        return {"kind": "exec", "pattern": f[1], "dir": f[2], "name": f[3], "target": f[4]}
    die("bad rule %r" % text, 64)
    return None


# ---- root side ---------------------------------------------------------------------------------

def start(args):
    user = log = None
    max_swaps, seconds, rules = "4", "120", []
    while args:
        a = args.pop(0)
        if a == "--user" and args:
            user = args.pop(0)
        elif a == "--log" and args:
            log = args.pop(0)
        elif a == "--max-swaps" and args:
            max_swaps = args.pop(0)
        elif a == "--seconds" and args:
            seconds = args.pop(0)
        else:
            rules.append(a)
    if user is None or log is None or not rules:
        die("usage: watcher.py start --user UID:GID --log FILE [--max-swaps N] [--seconds T] "
            "RULE...", 64)
    uid, gid = (int(x) for x in user.split(":"))
    if uid == 0:
        die("refusing to run the tenant's watcher as root")
    fds, passed = {}, []
    for r in map(parse_rule, rules):
        if r["dir"] not in fds:
            # O_PATH is not enough for inotify through /proc/self/fd, a plain read-only open is.
            fds[r["dir"]] = os.open(r["dir"], os.O_RDONLY | os.O_DIRECTORY)
        passed.append("%d:%s" % (fds[r["dir"]], ":".join(
            [r["kind"]] + ([r["pattern"]] if r["kind"] == "exec" else []) +
            [r["dir"]] + ([r["name"]] if r["kind"] == "exec" else [r["glob"]]) + [r["target"]])))
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    cmd = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--init-groups",
           "--inh-caps=-all", "--", sys.executable, os.path.abspath(__file__), "run",
           max_swaps, seconds] + passed
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                         pass_fds=list(fds.values()), start_new_session=True)
    os.close(out)
    for fd in fds.values():
        os.close(fd)
    # The watcher says "watching" once every watch is set: bounded wait, 10 s.
    for _ in range(200):
        try:
            with open(log) as f:
                text = f.read()
        except OSError:
            text = ""
        if "watching\n" in text:
            print(p.pid)
            return 0
        if p.poll() is not None:
            sys.stderr.write(text)
            die("the watcher exited with %s before watching" % p.returncode, 1)
        time.sleep(0.05)
    p.kill()
    die("the watcher did not start watching within 10 s", 1)
    return 1


def undo(log):
    """Remove the watcher's links and rename what it moved away back (as root, lstat only)."""
    try:
        with open(log) as f:
            lines = [ln.rstrip("\n").split("\t") for ln in f]
    except OSError:
        return 0
    for f in reversed(lines):
        if len(f) != 5 or f[0] not in ("swap", "plant"):
            continue
        kind, d, name, moved, target = f
        p = os.path.join(d, name)
        if os.path.islink(p) and os.readlink(p) == target:
            os.unlink(p)
        if kind == "swap":
            m = os.path.join(d, moved)
            if os.path.lexists(m) and not os.path.lexists(p):
                os.rename(m, p)
    return 0


# ---- tenant side -------------------------------------------------------------------------------

class Inotify:
    def __init__(self):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self.add = libc.inotify_add_watch
        self.add.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        self.fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")

    def watch(self, path, mask):
        wd = self.add(self.fd, os.fsencode(path), mask)
        if wd < 0:
            e = ctypes.get_errno()
            raise OSError(e, "inotify_add_watch %s: %s" % (path, os.strerror(e)))
        return wd

    def events(self):
        try:
            buf = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        i = 0
        while i + EVENT_HEAD.size <= len(buf):
            wd, mask, _cookie, n = EVENT_HEAD.unpack_from(buf, i)
            name = buf[i + EVENT_HEAD.size:i + EVENT_HEAD.size + n].rstrip(b"\0")
            i += EVENT_HEAD.size + n
            yield wd, mask, os.fsdecode(name)


def log(kind, d, name, moved, target):
    sys.stdout.write("%s\t%s\t%s\t%s\t%s\n" % (kind, d, name, moved, target))
    sys.stdout.flush()


def swap(fd, d, name, target, counter, ours):
    """Rename DIR/NAME away, then link NAME -> TARGET (what a tenant can do in its own dir)."""
    for k in range(counter[0] + 1, counter[0] + 50):
        moved = "%s.hostile-%d" % (name, k)
        if not os.path.lexists("/proc/self/fd/%d/%s" % (fd, moved)):
            break
    counter[0] = k
    # Our own rename and symlink make events too: never react to them.
    ours.update({(d, name), (d, moved)})
    try:
        os.rename(name, moved, src_dir_fd=fd, dst_dir_fd=fd)
        os.symlink(target, name, dir_fd=fd)
    except OSError as e:
        log("fail", d, name, errno.errorcode.get(e.errno, "?"), e.strerror)
        return False
    log("swap", d, name, moved, target)
    return True


def plant(fd, d, name, target, ours):
    ours.add((d, name))
    try:
        os.symlink(target, name, dir_fd=fd)
    except OSError as e:
        log("fail", d, name, errno.errorcode.get(e.errno, "?"), e.strerror)
        return False
    log("plant", d, name, "-", target)
    return True


def cmdlines(me):
    """(pid, command line) of every other process, arguments joined by spaces."""
    with os.scandir("/proc") as it:
        for e in it:
            if not e.name.isdigit() or int(e.name) == me:
                continue
            try:
                with open("/proc/%s/cmdline" % e.name, "rb") as f:
                    raw = f.read(65536)
            except OSError:
                continue
            # The rig's own command lines carry the patterns: never a trigger.
            if raw and b"watcher.py" not in raw:
                yield int(e.name), os.fsdecode(raw.rstrip(b"\0").replace(b"\0", b" "))


def run(args):
    if os.geteuid() == 0:
        die("the watcher must run as the tenant, not as root")
    max_swaps, seconds = int(args[0]), float(args[1])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ino = Inotify()
    watches, execs = {}, []
    for spec in args[2:]:
        fd_text, rest = spec.split(":", 1)
        r = parse_rule(rest)
        r["fd"] = int(fd_text)
        if r["kind"] == "exec":
            r["done"] = False
            execs.append(r)
            continue
        mask = IN_CREATE | IN_MOVED_TO if r["kind"] == "new" else IN_DELETE | IN_MOVED_FROM
        wd = ino.watch("/proc/self/fd/%d" % r["fd"], mask | IN_MASK_ADD)
        watches.setdefault(wd, []).append(r)
    print("watching uid=%d gid=%d pid=%d" % (os.getuid(), os.getgid(), os.getpid()))
    print("watching")
    sys.stdout.flush()
    deadline = time.monotonic() + seconds
    done, counter, ours, me = 0, [0], set(), os.getpid()
    while done < max_swaps:
        left = deadline - time.monotonic()
        if left <= 0:
            print("stopped: %g seconds passed" % seconds)
            return 0
        pending = [r for r in execs if not r["done"]]
        ready, _, _ = select.select([ino.fd], [], [], min(left, 0.01) if pending else left)
        if ready:
            for wd, mask, name in ino.events():
                if mask & IN_Q_OVERFLOW:
                    print("inotify queue overflow")
                    continue
                for r in watches.get(wd, []):
                    if (done >= max_swaps or (r["dir"], name) in ours or
                            not fnmatch.fnmatchcase(name, r["glob"])):
                        continue
                    if r["kind"] == "new" and mask & (IN_CREATE | IN_MOVED_TO):
                        done += swap(r["fd"], r["dir"], name, r["target"], counter, ours)
                    elif r["kind"] == "gone" and mask & (IN_DELETE | IN_MOVED_FROM):
                        done += plant(r["fd"], r["dir"], name, r["target"], ours)
        if pending:
            for pid, line in cmdlines(me):
                for r in pending:
                    if not r["done"] and any(fnmatch.fnmatchcase(line, alt)
                                             for alt in r["pattern"].split("|")):
                        r["done"] = True
                        print("exec seen: pid %d: %.300s" % (pid, line))
                        done += swap(r["fd"], r["dir"], r["name"], r["target"], counter, ours)
                pending = [r for r in pending if not r["done"]]
                if not pending:
                    break
    print("stopped: %d actions" % done)
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "start":
        return start(argv[2:])
    if len(argv) >= 4 and argv[1] == "run":
        return run(argv[2:])
    if len(argv) == 3 and argv[1] == "undo":
        return undo(argv[2])
    die("usage: watcher.py start ... | run ... | undo LOG", 64)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
