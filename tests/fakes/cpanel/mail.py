"""Mail accounts of the cPanel simulator: UAPI Email::list_pops_with_disk, add_pop, passwd_pop
and delete_pop (README.md, "Mail accounts"; docs/WIRE.md §2.9).

Stored as cPanel stores them, in the account's home: HOME/etc/DOMAIN/passwd
(`local:x:UID:GID::HOME/mail/DOMAIN/local:/bin/false`), HOME/etc/DOMAIN/shadow
(`local:HASH:DAYS::::::`), HOME/etc/DOMAIN/quota (`local:BYTES`, none = unlimited) and the
maildir HOME/mail/DOMAIN/local/{cur,new,tmp}.  HASH is the simulator's own
`$sim-sha256$SALT$HEX` (HEX = sha256(SALT + password)), **INF**: cPanel writes SHA-512 crypt,
which Python's standard library no longer offers; `cpsim.py mail-password-ok` checks one.
Every write runs as the account's user (simlib/tenants.py run_as_owner), as cPanel's does.
"""

import hashlib
import os
import re
import secrets
import shutil
import time

import api
import cpsim

LOCAL_RE = re.compile(r"^[a-z0-9._+-]{1,64}$")
DEFAULT_QUOTA_MIB = 1024  # INF: cPanel's default "Email quota" for a new mailbox
# INF: cPanel rates passwords 0-100 (WHM "Password Strength Configuration"); the simulator calls
# one weak below 8 characters or with a single kind of character, with cPanel's message.
WEAK = ("Sorry, the password you selected cannot be used because it is too weak and would be "
        "too easy to guess. Please select a password with strength rating of 65 or higher.")


def hash_password(password, salt=None):
    salt = salt or secrets.token_hex(8)
    return "$sim-sha256$%s$%s" % (salt, hashlib.sha256((salt + password).encode()).hexdigest())


def password_ok(stored, password):
    if stored.startswith("!"):
        stored = stored[1:]
    parts = stored.split("$")
    return len(parts) == 4 and parts[1] == "sim-sha256" and hash_password(password,
                                                                         parts[2]) == stored


def weak(password):
    kinds = sum(1 for test in (str.islower, str.isupper, str.isdigit)
                if any(test(c) for c in password))
    kinds += any(not c.isalnum() for c in password)
    return len(password) < 8 or kinds < 2


class Mail:
    def __init__(self, sim):
        self.sim = sim

    # ---- the files -----------------------------------------------------------------------
    def etc(self, user, domain, name):
        return os.path.join(self.sim.home(user), "etc", domain, name)

    def read(self, user, domain, name):
        """{local: rest of the line} of HOME/etc/DOMAIN/NAME."""
        out = {}
        try:
            with open(self.etc(user, domain, name)) as f:
                for line in f:
                    k, sep, rest = line.rstrip("\n").partition(":")
                    if sep:
                        out[k] = rest
        except OSError:
            pass
        return out

    def write(self, user, domain, name, entries):
        path = self.etc(user, domain, name)
        text = "".join("%s:%s\n" % kv for kv in sorted(entries.items()))

        def put():
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = path + ".tmp"
            with open(tmp, "w") as f:
                f.write(text)
            os.chmod(tmp, 0o640 if name == "shadow" else 0o644)
            os.replace(tmp, path)
        cpsim.tenants.run_as_owner(self.sim.dir, self.sim.home(user), put)

    def owned_domains(self, user):
        meta = self.sim.read_user(user) or {}
        return self.sim.domains(user, meta) + [v for k, v in sorted(meta.items())
                                               if re.match(r"^SUBDOMAIN\d+$", k)]

    def maildir(self, user, domain, local):
        return os.path.join(self.sim.home(user), "mail", domain, local)

    def stored_hash(self, user, address):
        local, _, domain = address.partition("@")
        return (self.read(user, domain, "shadow").get(local) or "").split(":")[0]

    # ---- UAPI --------------------------------------------------------------------------
    def target(self, user, p):
        """(local, domain, None) from email and domain, or (…, an error)."""
        local, domain = p.get("email", "").lower(), p.get("domain", "").lower()
        if "@" in local and not domain:  # email=local@domain alone (INF)
            local, _, domain = local.partition("@")
        if not local or not domain:
            return local, domain, "You must specify the “email” and the “domain”."  # INF
        if not LOCAL_RE.match(local) or local.startswith(("-", ".")):
            return local, domain, "“%s” is not a valid email account name." % local  # INF
        if domain not in self.owned_domains(user):
            return local, domain, ("The domain “%s” does not belong to “%s”." % (domain, user))
        return local, domain, None

    def list_pops_with_disk(self, user, p):
        out = []
        want = p.get("domain")
        for domain in self.owned_domains(user):
            if want and domain != want:
                continue
            shadow = self.read(user, domain, "shadow")
            quota = self.read(user, domain, "quota")
            for local in sorted(self.read(user, domain, "passwd")):
                limit = int(quota.get(local) or 0)
                used = self.sim.du(self.maildir(user, domain, local))
                mib = used / 1048576.0
                address = "%s@%s" % (local, domain)
                out.append({
                    "_diskquota": limit, "_diskused": used,
                    "diskquota": "%.2f" % (limit / 1048576.0) if limit else "unlimited",
                    "diskused": "%.2f" % mib,
                    "diskusedpercent": int(100 * used / limit) if limit else 0,
                    "domain": domain, "email": address,
                    "humandiskquota": "%d MB" % (limit >> 20) if limit else "None",
                    "humandiskused": "%.2f KB" % (used / 1024.0),
                    "login": address, "mtime": int(time.time()),
                    "suspended_incoming": 0,
                    "suspended_login": 1 if (shadow.get(local) or "").startswith("!") else 0,
                    "txtdiskquota": "%.2f" % (limit / 1048576.0) if limit else "unlimited",
                    "user": local})
        return api.uapi_obj(1, out, metadata={"transformed": 1})

    def add_pop(self, user, p):
        local, domain, error = self.target(user, p)
        if error:
            return api.uapi_obj(0, None, [error])
        address = "%s@%s" % (local, domain)
        passwd = self.read(user, domain, "passwd")
        if local in passwd:
            return api.uapi_obj(0, None, ["The account “%s” already exists." % address])  # INF
        password = p.get("password", "")
        if weak(password):
            return api.uapi_obj(0, None, [WEAK])
        q = p.get("quota")
        if q is None or q == "":
            mib = DEFAULT_QUOTA_MIB
        elif q == "unlimited" or re.match(r"^\d{1,9}$", q):
            mib = 0 if q == "unlimited" else int(q)
        else:
            return api.uapi_obj(0, None, ["The quota “%s” is not valid." % q])  # INF
        st = os.stat(self.sim.home(user))
        passwd[local] = "x:%d:%d::%s:/bin/false" % (st.st_uid, st.st_gid,
                                                    self.maildir(user, domain, local))
        shadow = self.read(user, domain, "shadow")
        shadow[local] = "%s:%d::::::" % (hash_password(password), int(time.time()) // 86400)
        quota = self.read(user, domain, "quota")
        quota[local] = str(mib << 20)
        self.write(user, domain, "passwd", passwd)
        self.write(user, domain, "shadow", shadow)
        self.write(user, domain, "quota", quota)
        for sub in ("cur", "new", "tmp"):
            cpsim.tenants.makedirs(self.sim.dir, os.path.join(self.maildir(user, domain, local),
                                                              sub))
        # DOC: data is the new account's login, LOCAL+DOMAIN.
        return api.uapi_obj(1, "%s+%s" % (local, domain))

    def passwd_pop(self, user, p):
        local, domain, error = self.target(user, p)
        if error:
            return api.uapi_obj(0, None, [error])
        shadow = self.read(user, domain, "shadow")
        if local not in self.read(user, domain, "passwd"):
            return api.uapi_obj(0, None, ["The email account “%s@%s” does not exist."  # INF
                                        % (local, domain)])
        password = p.get("password", "")
        if weak(password):
            return api.uapi_obj(0, None, [WEAK])
        old = (shadow.get(local) or ":").split(":", 1)
        lock = "!" if old[0].startswith("!") else ""
        shadow[local] = "%s%s:%d::::::" % (lock, hash_password(password),
                                          int(time.time()) // 86400)
        self.write(user, domain, "shadow", shadow)
        return api.uapi_obj(1, None)

    def delete_pop(self, user, p):
        local, domain, error = self.target(user, p)
        if error:
            return api.uapi_obj(0, None, [error])
        passwd = self.read(user, domain, "passwd")
        if local not in passwd:
            return api.uapi_obj(0, None, ["The email account “%s@%s” does not exist."  # INF
                                        % (local, domain)])
        for name in ("passwd", "shadow", "quota"):
            entries = self.read(user, domain, name)
            entries.pop(local, None)
            self.write(user, domain, name, entries)
        # Without flags=passwd the mail goes too (DOC), removed as the account's user.
        box = self.maildir(user, domain, local)
        cpsim.tenants.run_as_owner(self.sim.dir, box,
                                   lambda: shutil.rmtree(box, ignore_errors=True))
        return api.uapi_obj(1, None)

