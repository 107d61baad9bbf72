"""The root-path guard's check (README.md in this directory, "The root-path guard").

    python3 -I -S guard.py DIR COMMAND ARG...

The guard wrappers in DIR/ssh/bin run this only when the command runs with euid 0 and not below
a fake panel tool, just before they exec the real COMMAND.  When the working directory or any
path the arguments name lies inside a tenant tree of DIR (DIR/tenant-trees), one JSON line goes
to DIR/violations.log; the command runs anyway, so the test fails afterwards with the whole
story rather than in the middle of it.

A path is every operand and option value (`--opt=VALUE`, `KEY=VALUE`, tar's `-C DIR` and
`-CDIR`), taken relative to the working directory and, for tar, to each -C/--directory too.  It
is inside a tree when its lexical form, its form with every directory resolved but not the last
component (a link planted there is not followed, as `rm`, `mv -T`, `chown -h` see it), or its
full realpath lies in a tree, the tree itself included.  Commands that descend (find, du, tar,
and rm/cp/chown/chmod/ls/grep with a recursive option) also count a path that contains a tree.

Run with -I -S (isolated: no script directory on sys.path, no environment, no site), so this file
imports nothing of its own, and json and time only when it logs: Python's start-up is the cost
of every root command on a simulated server.  A failure of the guard itself is logged as a violation with "guard_error".
"""

import os
import sys

DESCENDING = ("find", "du", "tar")
RECURSIVE_WITH_OPTION = ("rm", "cp", "chown", "chmod", "chgrp", "ls", "grep")
CWD = "(cwd)"  # the hit of the working directory itself


def load_trees(simdir):
    out = []
    try:
        with open(os.path.join(simdir, "tenant-trees")) as f:
            for line in f:
                t = line.rstrip("\n")
                if t.startswith("/"):
                    t = os.path.normpath(t)
                    out.append(t)
                    real = os.path.realpath(t)
                    if real != t:
                        out.append(real)
    except FileNotFoundError:
        pass
    return out


def recursive(cmd, args):
    if cmd in DESCENDING:
        return True
    if cmd not in RECURSIVE_WITH_OPTION:
        return False
    for a in args:
        if a == "--":
            break
        if a in ("--recursive", "--dereference-recursive", "--archive"):
            return True
        flags = "rRa" if cmd == "cp" else "rR"
        if a.startswith("-") and not a.startswith("--") and any(c in a[1:] for c in flags):
            return True
    return False


def candidates(cmd, args):
    """(word, value) pairs: the words that may name a path, and tar's -C directories."""
    words, dirs = [], []
    operands = False
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if operands or not a.startswith("-") or a == "-":
            if a != "-":
                words.append(a)
                if "=" in a:
                    words.append(a.split("=", 1)[1])
            continue
        if a == "--":
            operands = True
            continue
        if "=" in a:
            v = a.split("=", 1)[1]
            words.append(v)
            if cmd == "tar" and a.startswith("--directory="):
                dirs.append(v)
        elif cmd == "tar" and a in ("-C", "--directory") and i < len(args):
            dirs.append(args[i])
        elif cmd == "tar" and a.startswith("-C") and len(a) > 2:
            words.append(a[2:])
            dirs.append(a[2:])
    return words, dirs


def inside(path, trees):
    for t in trees:
        if path == t or path.startswith(t + "/"):
            return t
    return None


def contains(path, trees):
    base = path.rstrip("/") + "/"
    for t in trees:
        if t.startswith(base):
            return t
    return None


def forms(path):
    """The lexical form, the form with the directories resolved but not the last component,
    and the realpath."""
    lex = os.path.normpath(path)
    out = [lex]
    head, tail = os.path.split(lex)
    if tail not in ("", ".", ".."):
        out.append(os.path.join(os.path.realpath(head), tail))
    out.append(os.path.realpath(lex))
    return out


def check(simdir, cmd, args):
    trees = load_trees(simdir)
    if not trees:
        return None
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = os.readlink("/proc/self/cwd")
    words, dirs = candidates(cmd, args)
    bases = [cwd] + [os.path.join(cwd, d) for d in dirs]
    descend = recursive(cmd, args)
    hits = []
    seen = set()

    def test(arg, path):
        for f in forms(path):
            t = inside(f, trees)
            why = "inside"
            if t is None and descend and arg is not CWD:  # a descending command starts at its
                # operands, not at its working directory
                t = contains(f, trees)
                why = "contains"
            if t is not None:
                key = (arg, f, t)
                if key not in seen:
                    seen.add(key)
                    hits.append({"arg": arg, "path": f, "tree": t, "why": why})
                return

    test(CWD, cwd)
    for w in words:
        if not w:
            continue
        if os.path.isabs(w):
            test(w, w)
        else:
            for b in bases:
                test(w, os.path.join(b, w))
    if not hits:
        return None
    import time  # here, not at the top: every root command pays this module's start-up

    return {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "command": cmd,
            "argv": [cmd] + list(args), "cwd": cwd, "uid": os.getuid(), "euid": os.geteuid(),
            "pid": os.getppid(), "hits": hits}


def log(simdir, entry):
    import json  # only when there is something to log

    fd = os.open(os.path.join(simdir, "violations.log"),
                 os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, (json.dumps(entry, sort_keys=True, ensure_ascii=True) + "\n").encode())
    finally:
        os.close(fd)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: guard.py DIR COMMAND ARG...\n")
        return 64
    simdir, cmd, args = argv[1], argv[2], argv[3:]
    try:
        entry = check(simdir, cmd, args)
    except Exception as e:  # the guard must never let a command pass unseen
        entry = {"command": cmd, "argv": [cmd] + list(args),
                 "guard_error": "%s: %s" % (type(e).__name__, e)}
    if entry:
        log(simdir, entry)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
