"""Application sites on disk, shared by the WP Toolkit and Softaculous simulators.

A site is a directory of real files; its database is one dump file `DB.sql` in the panel
simulator's mysql directory, with the panel simulators' convention: a table is one
`CREATE TABLE `T` (...);` line followed by its rows, **one `INSERT INTO `T` VALUES (...);` line
per row**.  Tests "write a row" by appending a line and change one by editing its line.
"""

import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # simlib
from simlib.state import atomic_write  # noqa: E402,F401


class CliError(Exception):
    """A wp-cli failure (wordpress.py, wpusers.py): its message (for stderr) and exit code."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


LINE_RE = re.compile(r"^(?:CREATE TABLE|INSERT INTO) `([^`]+)`")


def read_dump(path):
    """(header lines, {table: [lines]}, [table order]) of a dump file."""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    return parse_dump(text)


def parse_dump(text):
    header, tables, order = [], {}, []
    for line in text.splitlines():
        m = LINE_RE.match(line)
        if not m:
            if not order:
                header.append(line)
            continue
        t = m.group(1)
        if t not in tables:
            tables[t] = []
            order.append(t)
        tables[t].append(line)
    return header, tables, order


def render_dump(header, tables, order):
    out = list(header)
    for t in order:
        out.extend(tables.get(t, []))
    return "\n".join(out) + "\n"


def write_dump(path, header, tables, order):
    atomic_write(path, render_dump(header, tables, order).encode("utf-8", "surrogateescape"),
                 0o600)


def looks_like_dump(data):
    text = data.decode("utf-8", "replace")
    return "CREATE TABLE `" in text


def rename_table(line, old, new):
    return line.replace("`%s`" % old, "`%s`" % new, 1)


def copy_tree(src, dst, skip=(), replace_modified=True, remove_missing=False):
    """Copy the files of src over dst (created when missing).  Names in skip (relative paths)
    are neither copied nor removed.  Returns the number of files written."""
    n = 0
    os.makedirs(dst, exist_ok=True)
    seen = set()
    real_dst = os.path.realpath(dst)
    for dp, dns, fns in os.walk(src):
        # a copy into a subdirectory of its own source must not copy itself
        dns[:] = [d for d in dns if os.path.realpath(os.path.join(dp, d)) != real_dst]
        rel = os.path.relpath(dp, src)
        tdir = dst if rel == "." else os.path.join(dst, rel)
        if os.path.lexists(tdir) and not os.path.isdir(tdir):
            os.unlink(tdir)
        os.makedirs(tdir, exist_ok=True)
        seen.add(os.path.normpath(rel))
        for fn in fns:
            r = os.path.normpath(os.path.join(rel, fn))
            seen.add(r)
            if r in skip:
                continue
            s, t = os.path.join(dp, fn), os.path.join(tdir, fn)
            if os.path.isdir(t) and not os.path.islink(t):
                shutil.rmtree(t)
            elif os.path.lexists(t):
                if not replace_modified and not same_file(s, t):
                    continue
                os.unlink(t)
            if os.path.islink(s):
                os.symlink(os.readlink(s), t)
            else:
                shutil.copy2(s, t)
            n += 1
    if remove_missing:
        for dp, dns, fns in os.walk(dst, topdown=False):
            rel = os.path.relpath(dp, dst)
            for fn in fns:
                r = os.path.normpath(os.path.join(rel, fn))
                if r not in seen and r not in skip:
                    os.unlink(os.path.join(dp, fn))
            if rel != "." and os.path.normpath(rel) not in seen and not os.listdir(dp):
                os.rmdir(dp)
    return n


def same_file(a, b):
    try:
        with open(a, "rb") as fa, open(b, "rb") as fb:
            return fa.read() == fb.read()
    except OSError:
        return False


def empty_dir(path):
    """Remove everything inside path, keeping path itself."""
    if not os.path.isdir(path):
        return
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full)
        else:
            os.unlink(full)


def dir_has_files(path):
    try:
        return any(n not in ("cgi-bin", ".well-known") for n in os.listdir(path))
    except OSError:
        return False


def write_files(base, files):
    for rel, text in files.items():
        full = os.path.join(base, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        atomic_write(full, text, 0o644)


def sql_str(s):
    return "'" + str(s).replace("\\", "\\\\").replace("'", "\\'") + "'"


def mysql_dir_of(path):
    """The database directory (root/var/lib/mysql) of the simulator whose tree holds path."""
    d = os.path.abspath(path)
    while d != os.path.dirname(d) and not os.path.isdir(os.path.join(d, "var", "lib", "mysql")):
        d = os.path.dirname(d)
    return os.path.join(d, "var", "lib", "mysql")
