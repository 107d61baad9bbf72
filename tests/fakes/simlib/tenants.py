#!/usr/bin/env python3
"""Tenants: the real Unix users that own the simulated customers' trees (README.md in this
directory, "Tenants").

Every cPanel account and every Plesk subscription's system user is a real user of this machine,
created on first use with the comment TENANT_COMMENT, and the tree a customer can write (a cPanel
home, a Plesk web space) belongs to it, as on a real server.  Several simulators may create the
same user at once (ctest runs suites in parallel), so creation runs under an exclusive lock on
LOCK_FILE and tolerates "already exists".  A user of that name that is not a test tenant is
never taken over: the simulator refuses to start instead.

Each simulator lists its tenant trees in DIR/tenant-trees, one absolute path per line; the
root-path guard (guard.py) reads that list.  Files a fake panel tool creates inside a tree are
given to the tree's owner (give) the way the real panels create them as the customer.

    tenants.py ensure USER         create USER if needed; prints "UID GID"
    tenants.py check DIR           every path of every tree of DIR belongs to the tree's owner
    tenants.py trees DIR           the trees of DIR with their owners
"""

import fcntl
import grp
import os
import pwd
import subprocess
import sys

TENANT_COMMENT = "jiku-agent test tenant"
LOCK_FILE = "/run/jiku-test-tenants.lock"
TREES_FILE = "tenant-trees"
USERADD_EXISTS = 9  # useradd(8): "username or group name already in use"


class TenantError(Exception):
    pass


def _lookup(user):
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        return None
    if pw.pw_gecos != TENANT_COMMENT:
        raise TenantError("user '%s' exists on this machine and is not a test tenant (comment "
                          "'%s'): the simulator will not take it over" % (user, pw.pw_gecos))
    return pw.pw_uid, pw.pw_gid


def ensure_user(user):
    """(uid, gid) of the test tenant `user`, created (with a group of its name) when missing."""
    found = _lookup(user)
    if found:
        return found
    fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        found = _lookup(user)
        if found:
            return found
        try:
            grp.getgrnam(user)
            group = ["--gid", user]  # a group left behind by an earlier tenant of this name
        except KeyError:
            group = ["--user-group"]
        r = subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                            "/usr/sbin/nologin", "--comment", TENANT_COMMENT] + group + [user],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=dict(os.environ, PATH="/usr/sbin:"
                                                              "/usr/bin:/sbin:/bin"))
        if r.returncode not in (0, USERADD_EXISTS):
            raise TenantError("useradd %s failed (%d): %s" % (
                user, r.returncode, r.stdout.decode(errors="replace").strip()))
    finally:
        os.close(fd)
    found = _lookup(user)
    if not found:
        raise TenantError("useradd %s left no such user" % user)
    return found


def _chown_tree(path, uid, gid):
    """path and everything below it to uid:gid, never following a link (links themselves are
    changed with lchown; os.walk does not descend into them)."""
    if not os.path.lexists(path):
        return
    os.chown(path, uid, gid, follow_symlinks=False)
    if os.path.islink(path) or not os.path.isdir(path):
        return
    for dp, dns, fns in os.walk(path):
        for name in dns + fns:
            try:
                os.chown(os.path.join(dp, name), uid, gid, follow_symlinks=False)
            except FileNotFoundError:
                pass  # removed meanwhile (a tenant's own process, a concurrent job)


def _open_path(simdir, tree):
    """The directories from / down to the tree's parent let others traverse them: the
    simulator's DIR becomes 0711 (secrets inside keep their own 0600/0700), DIR/root and the
    directories below it 0755 like a server's /home, /var, /var/www, /var/www/vhosts; above
    DIR, open_ancestors."""
    simdir = os.path.abspath(simdir)
    d = os.path.dirname(os.path.abspath(tree))
    while d.startswith(simdir + "/"):
        os.chmod(d, (os.stat(d).st_mode & 0o7777) | 0o755)
        d = os.path.dirname(d)
    if d == simdir:
        os.chmod(d, (os.stat(d).st_mode & 0o7777) | 0o711)
        open_ancestors(simdir)


def open_ancestors(simdir):
    """Every directory above DIR lets others traverse it (o+x), so that a tenant reaches its
    tree: the test's own mktemp directory (0700) gets o+x when root owns it; a directory owned
    by someone else that others cannot traverse is an error.  Returns the paths changed."""
    changed = []
    d = os.path.dirname(os.path.abspath(simdir))
    while True:
        st = os.stat(d)
        if not st.st_mode & 0o001:
            if st.st_uid != 0:
                raise TenantError("'%s' is not traversable by others and not root's: tenants "
                                  "cannot reach their trees below it" % d)
            os.chmod(d, (st.st_mode & 0o7777) | 0o001)
            changed.append(d)
        if d == "/":
            return changed
        d = os.path.dirname(d)


def trees(simdir):
    """The tenant trees listed in DIR/tenant-trees."""
    try:
        with open(os.path.join(simdir, TREES_FILE)) as f:
            return [line.rstrip("\n") for line in f if line.startswith("/")]
    except FileNotFoundError:
        return []


def add_tree(simdir, path, user, mode=None):
    """Make path a tenant tree of user: the user exists, path (created when missing) and all
    below it belong to them, the way there is traversable, and DIR/tenant-trees lists it."""
    path = os.path.abspath(path)
    uid, gid = ensure_user(user)
    os.makedirs(path, exist_ok=True)
    if mode is not None:
        os.chmod(path, mode)
    _open_path(simdir, path)
    _chown_tree(path, uid, gid)
    list_path = os.path.join(simdir, TREES_FILE)
    fd = os.open(list_path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | os.O_NOFOLLOW,
                 0o644)
    with os.fdopen(fd, "r+") as f:
        os.fchmod(f.fileno(), 0o644)  # no secret; tests and tenants may read the list
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        if path not in (line.rstrip("\n") for line in f):
            f.write(path + "\n")
    return uid, gid


def tree_of(simdir, path):
    """The tenant tree that holds path (the tree itself included), or None."""
    path = os.path.abspath(path)
    best = None
    for t in trees(simdir):
        if (path == t or path.startswith(t + "/")) and (best is None or len(t) > len(best)):
            best = t
    return best


def give(simdir, *paths):
    """What a fake panel tool wrote at each path (a file or a whole directory) now belongs to
    the owner of the tenant tree holding it, as if the panel had written it as the customer.
    Paths outside every tenant tree are left alone."""
    for p in paths:
        if not p:
            continue
        t = tree_of(simdir, p)
        if t is None:
            continue
        st = os.stat(t)
        _chown_tree(os.path.abspath(p), st.st_uid, st.st_gid)


def first_missing(path):
    """The top-most directory of path that does not exist yet (path itself when its parent
    exists; None when path exists): what makedirs(path) creates, for give."""
    path = os.path.abspath(path)
    if os.path.lexists(path):
        return None
    while not os.path.lexists(os.path.dirname(path)):
        path = os.path.dirname(path)
    return path


def makedirs(simdir, path):
    """os.makedirs(path) with every directory it creates given to the tree's owner."""
    top = first_missing(path)
    os.makedirs(path, exist_ok=True)
    give(simdir, top)


def run_as_owner(simdir, path, fn):
    """fn() in a child process running as the owner of the tenant tree holding path, the way
    a panel writes a customer's files with the customer's rights (a link the customer planted
    then leads only where the customer could write anyway).  Raises OSError with the child's
    error when fn fails; fn runs as root when path is in no tree."""
    t = tree_of(simdir, path)
    if t is None:
        fn()
        return
    st = os.stat(t)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop to the owner, run fn, report an error through the pipe
        os.close(rfd)
        code = 0
        try:
            os.setgroups([])
            os.setgid(st.st_gid)
            os.setuid(st.st_uid)
            fn()
        except BaseException as e:  # noqa: B902 - whatever it was, the parent raises it
            os.write(wfd, ("%s: %s" % (type(e).__name__, e)).encode("utf-8", "replace"))
            code = 1
        os._exit(code)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as f:
        msg = f.read().decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise OSError("as %d: %s" % (st.st_uid, msg or "exit status %d" % status))


def check(simdir):
    """[(path, uid, gid, tree)] of every path inside a tenant tree not owned by its owner."""
    bad = []
    for t in trees(simdir):
        st = os.lstat(t)
        for dp, dns, fns in os.walk(t):
            for name in [""] + dns + fns:
                full = os.path.join(dp, name) if name else dp
                try:
                    s = os.lstat(full)
                except FileNotFoundError:
                    continue
                if (s.st_uid, s.st_gid) != (st.st_uid, st.st_gid):
                    bad.append((full, s.st_uid, s.st_gid, t))
    return bad


def main(argv):
    try:
        if len(argv) == 3 and argv[1] == "ensure":
            print("%d %d" % ensure_user(argv[2]))
            return 0
        if len(argv) == 3 and argv[1] == "check":
            bad = check(argv[2])
            for full, uid, gid, t in bad:
                sys.stderr.write("tenants: %s is %d:%d, not the owner of %s\n"
                                 % (full, uid, gid, t))
            return 1 if bad else 0
        if len(argv) == 3 and argv[1] == "trees":
            for t in trees(argv[2]):
                st = os.stat(t)
                print("%s %s" % (t, pwd.getpwuid(st.st_uid).pw_name))
            return 0
    except TenantError as e:
        sys.stderr.write("tenants: %s\n" % e)
        return 1
    sys.stderr.write("usage: tenants.py ensure USER | check DIR | trees DIR\n")
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
