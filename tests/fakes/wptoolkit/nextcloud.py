#!/usr/bin/env python3
"""Nextcloud as Softaculous installs it in the cPanel simulator (README.md, "Nextcloud"): its
files, `php occ status`, and its pages for the simulators' web listener.

An installation's state lives in its files, as in Nextcloud, so that restoring the files
restores the state: the code version in version.php ($OC_Version, $OC_VersionString); the
version its database was upgraded to ('version'), 'installed' and 'maintenance' in
config/config.php; a broken update leaves BREAK_MARKER in index.php (the web entry point only:
occ never loads it).

    nextcloud.py php ARGS...   the fake `php` in DIR/ssh/bin: only `php occ ...` runs
    nextcloud.py check-password SITE_DIR UID   exit 0 when UID's password is stdin's first line
"""

import hashlib
import html
import json
import os
import posixpath
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # simlib
from simlib.state import atomic_write  # noqa: E402

CONFIG = os.path.join("config", "config.php")
# The simulator's user database (Nextcloud's is in SQL): in the data directory, written by occ
# as the installation's owner, so that restoring the files restores the users.
USERS = os.path.join("data", ".ocsim-users.json")
# Every `php` run, one JSON line: its argv as /proc/self/cmdline has it, its uid, the canary.
OCC_LOG = os.path.join("data", ".ocsim-occ.log")
SEED_ADMIN_PASSWORD = "ocsim-admin-password-0001"
UID_CHARS = re.compile(r"^[a-zA-Z0-9 _.@\-']+$")  # lib/private/User/Manager.php (NC 28)
PASSWORD_MIN = 10  # the password_policy app's default minimum length (INF: its admin page)
CANARY_EXIT = 99
BREAK_MARKER = "JIKU_SIM_BROKEN"
OWNER_MSG = "Console has to be executed with the user that owns the file config/config.php"


def version_tuple(ver):
    """'28.0.14' -> (28, 0, 14), for comparing versions."""
    return tuple(int(x) for x in re.findall(r"\d+", str(ver)))


def full_version(ver):
    """'28.0.4' -> '28.0.4.1': the four numbers of $OC_Version (occ status `version`)."""
    nums = (list(version_tuple(ver)) + [0, 0, 0])[:3]
    return ".".join(str(n) for n in nums + [1])


def version_php(ver):
    return "<?php\n$OC_Version = array(%s);\n$OC_VersionString = '%s';\n" % (
        full_version(ver).replace(".", ","), ver)


def files(path, db, url, ver):
    """{relative path: text} of an installation at path (database db, address url) at ver."""
    domain = url.split("/")[2]
    return {
        "index.php": "<?php\nrequire_once __DIR__ . '/lib/base.php';\n",
        "occ": "#!/usr/bin/env php\n<?php\nrequire_once __DIR__ . '/console.php';\n",
        "version.php": version_php(ver),
        "lib/base.php": "<?php /* Nextcloud */\n",
        "apps/files/appinfo/info.xml": "<info><id>files</id></info>\n",
        "config/config.php": (
            "<?php\n$CONFIG = array (\n  'instanceid' => 'ocsim0001',\n"
            "  'trusted_domains' => array (0 => '%s'),\n"
            "  'datadirectory' => '%s',\n  'dbtype' => 'mysql',\n  'version' => '%s',\n"
            "  'dbname' => '%s',\n  'dbhost' => 'localhost',\n  'overwrite.cli.url' => '%s',\n"
            "  'installed' => true,\n);\n"
            % (domain, os.path.join(path, "data"), full_version(ver), db, url)),
        "data/admin/files/welcome.txt": "Welcome to Nextcloud on %s\n" % domain,
        "data/admin/files/Documents/notes.md": "# notes\nfirst version\n",
        USERS: seed_users(),
    }


def _read(site_dir, rel):
    try:
        with open(os.path.join(site_dir, rel), encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _write(site_dir, rel, text):
    """rel rewritten in place of the old file, keeping its mode."""
    full = os.path.join(site_dir, rel)
    atomic_write(full, text, os.stat(full).st_mode & 0o777)


def _config_value(cfg, key):
    m = re.search(r"^\s*'%s'\s*=>\s*'?([^',]*)'?\s*,\s*$" % re.escape(key), cfg, re.M)
    return m.group(1) if m else None


def _set_config(cfg, key, php_value):
    line = "  '%s' => %s,\n" % (key, php_value)
    pat = re.compile(r"^\s*'%s'\s*=>.*\n" % re.escape(key), re.M)
    if pat.search(cfg):
        return pat.sub(lambda _: line, cfg, count=1)
    end = cfg.rindex(");")
    return cfg[:end] + line + cfg[end:]


def status(site_dir):
    """`occ status`'s values for the installation in site_dir.  needsDbUpgrade: the code is
    newer than the version the database was upgraded to (config 'version', '0.0.0' when
    missing), Nextcloud's Util::needUpgrade."""
    vphp = _read(site_dir, "version.php")
    cfg = _read(site_dir, CONFIG)
    nums = re.search(r"\$OC_Version\s*=\s*array\s*\(([\d,\s]*)\)", vphp)
    code = ".".join(n.strip() for n in nums.group(1).split(",")) if nums else ""
    vstr = re.search(r"\$OC_VersionString\s*=\s*'([^']*)'", vphp)
    installed = _config_value(cfg, "installed") == "true"
    db_ver = _config_value(cfg, "version") or "0.0.0"
    return {"installed": installed, "version": code, "versionstring": vstr.group(1) if vstr else "",
            "edition": "", "maintenance": _config_value(cfg, "maintenance") == "true",
            "needsDbUpgrade": installed and version_tuple(code) > version_tuple(db_ver),
            "productname": "Nextcloud", "extendedSupport": False}


def upgrade(site_dir, ver, fault=None):
    """The installation's files at ver as Softaculous's upgrade leaves them, its database
    upgraded too (config 'version').  fault: `setupcontinue` leaves the database upgrade to the
    web updater, `maintenance` leaves maintenance mode on, `break_http` a fatal error in
    index.php.  Called as the installation's owner."""
    _write(site_dir, "version.php", version_php(ver))
    cfg = _read(site_dir, CONFIG)
    if fault != "setupcontinue":
        cfg = _set_config(cfg, "version", "'%s'" % full_version(ver))
    if fault == "maintenance":
        cfg = _set_config(cfg, "maintenance", "true")
    _write(site_dir, CONFIG, cfg)
    if fault == "break_http":
        _write(site_dir, "index.php", _read(site_dir, "index.php") +
               "throw new \\Error('%s: (simulated) the update broke the web front');\n"
               % BREAK_MARKER)


# ---- the pages -------------------------------------------------------------------------
def _page(title, body):
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>%s</title>\n%s</html>\n" % (title, body))


def render_site(site_dir, url_path):
    """(HTTP status, body) of GET url_path on the Nextcloud in site_dir (the web listener's
    call for a directory with an `occ` file).  status.php answers its JSON (200, also in
    maintenance, as Nextcloud's status.php does); every other path is routed through index.php:
    500 when it holds BREAK_MARKER, 503 in maintenance mode or while the database upgrade is
    pending, else 200 with the login page."""
    st = status(site_dir)
    if posixpath.basename(url_path.split("?")[0]) == "status.php":
        return 200, json.dumps({k: st[k] for k in (
            "installed", "maintenance", "needsDbUpgrade", "version", "versionstring", "edition",
            "productname", "extendedSupport")}, separators=(",", ":"))
    if BREAK_MARKER in _read(site_dir, "index.php"):
        return 500, _page("Nextcloud", "</head>\n<body id=\"body-login\">\n"
                          "<h2>Internal Server Error</h2>\n"
                          "<p>The server was unable to complete your request.</p>\n</body>\n")
    if st["maintenance"]:
        return 503, _page("Nextcloud", "</head>\n<body id=\"body-login\">\n<h2>Maintenance mode"
                          "</h2>\n<p>This Nextcloud instance is currently in maintenance mode, "
                          "which may take a while.</p>\n</body>\n")
    if st["needsDbUpgrade"]:
        return 503, _page("Update needed - Nextcloud", "</head>\n<body id=\"body-login\">\n"
                          "<h2>Update needed</h2>\n<p>Nextcloud will be updated to version %s."
                          "</p>\n</body>\n" % html.escape(st["versionstring"]))
    return 200, _page("Login - Nextcloud",
                      "<meta name=\"generator\" content=\"Nextcloud %s\">\n</head>\n"
                      "<body id=\"body-login\">\n<form method=\"post\" name=\"login\">\n"
                      "<input name=\"user\" id=\"user\">\n<input type=\"password\" "
                      "name=\"password\" id=\"password\">\n</form>\n</body>\n"
                      % html.escape(st["versionstring"]))


# ---- php occ ---------------------------------------------------------------------------
def occ_status(st, words):
    """occ status [--output=plain|json|json_pretty]: (exit status, stdout)."""
    fmt = "plain"
    for w in words:
        m = re.match(r"^--output=(plain|json|json_pretty)$", w)
        if not m:
            sys.stderr.write("\n  The \"%s\" option does not exist.  \n\n" % w.split("=")[0])
            return 1, ""
        fmt = m.group(1)
    if fmt == "json":
        return 0, json.dumps(st, separators=(",", ":")) + "\n"
    if fmt == "json_pretty":
        return 0, json.dumps(st, indent=4) + "\n"
    return 0, "".join("  - %s: %s\n" % (k, json.dumps(v) if isinstance(v, bool) else v)
                      for k, v in st.items())


# ---- users (php occ user:*, group:adduser) -------------------------------------------------
def hash_password(password, salt=None):
    """A salted PBKDF2 hash, 'ocsim-pbkdf2$N$SALT$HEX' (INF: Nextcloud stores '3|$argon2id…')."""
    salt = salt or os.urandom(8).hex()
    n = 1000
    dk = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode(), n).hex()
    return "ocsim-pbkdf2$%d$%s$%s" % (n, salt, dk)


def check_password(site_dir, uid, password):
    """True when uid of the installation in site_dir has password (for tests)."""
    u = load_users(site_dir)["users"].get(uid)
    if not u or not u.get("password"):
        return False
    _, _, salt, _ = u["password"].split("$")
    return hash_password(password, salt) == u["password"]


def seed_users():
    """The users file of a new installation: the admin Softaculous made, in group admin."""
    return json.dumps({"users": {"admin": {
        "display_name": "admin", "email": "", "enabled": True, "groups": ["admin"],
        "password": hash_password(SEED_ADMIN_PASSWORD, "0001")}}, "groups": ["admin"]},
        indent=1, sort_keys=True) + "\n"


def load_users(site_dir):
    text = _read(site_dir, USERS)
    return json.loads(text) if text else json.loads(seed_users())


def save_users(site_dir, db):
    full = os.path.join(site_dir, USERS)
    atomic_write(full, json.dumps(db, indent=1, sort_keys=True) + "\n", 0o600)


def _php_json(value, pretty=False):
    """PHP's json_encode: '/' escaped as '\/', an empty array as []."""
    text = json.dumps(value, indent=4 if pretty else None,
                      separators=None if pretty else (",", ":"))
    return text.replace("/", "\\/")


class Usage(Exception):
    """A Symfony Console refusal: its message goes to stderr, exit 1."""


def parse_args(words, options, shorts, arguments, variadic=False):
    """Symfony Console's ArgvInput: options {name: 'flag'|'value'|'array'}, shorts {'g':
    'group'}, then the argument names in order ('--' ends the options).  (opts, args)."""
    opts, args, only_args = {}, [], False
    words = list(words)
    while words:
        w = words.pop(0)
        if not only_args and w == "--":
            only_args = True
            continue
        if not only_args and w.startswith("-") and len(w) > 1:
            if w.startswith("--"):
                name, eq, val = w[2:].partition("=")
            else:
                name, eq, val = shorts.get(w[1:2], "\0" + w[1:2]), bool(w[2:]), w[2:]
            kind = options.get(name)
            if kind is None:
                raise Usage('The "%s" option does not exist.' % (
                    "-" + name[1:] if name.startswith("\0") else "--" + name))
            if kind == "flag":
                if eq:
                    raise Usage('The "--%s" option does not accept a value.' % name)
                opts[name] = True
                continue
            if not eq:
                val = words.pop(0) if words and not words[0].startswith("-") else None
            if kind == "array":
                opts.setdefault(name, []).append(val)
            else:
                opts[name] = val
            continue
        args.append(w)
    if len(args) > len(arguments) and not variadic:
        raise Usage('Too many arguments, expected arguments "command" %s.'
                    % " ".join('"%s"' % a for a in arguments))
    missing = [a for a in arguments[len(args):] if not a.endswith("?")]
    if missing:
        raise Usage('Not enough arguments (missing: "%s").' % '", "'.join(missing))
    return opts, args


def _password_from_env(opts, out):
    """The password of --password-from-env (OC_PASS), or None after saying why not."""
    if not opts.get("password-from-env"):
        out.append("Interactive input or --password-from-env is needed for entering a "
                   "password!")
        return None
    password = os.environ.get("OC_PASS", "")
    if not password:
        out.append("--password-from-env given, but OC_PASS is empty!")
        return None
    if len(password) < PASSWORD_MIN:
        out.append("Password needs to be at least %d characters long." % PASSWORD_MIN)
        return None
    return password


def _user_info(uid, u, site_dir):
    """user:list --info's keys (core/Command/User/ListCommand.php)."""
    return {"user_id": uid, "display_name": u["display_name"], "email": u["email"],
            "cloud_id": "%s@%s" % (uid, _config_value(_read(site_dir, CONFIG),
                                                      "overwrite.cli.url").split("/")[2]),
            "enabled": u["enabled"], "groups": u["groups"], "quota": "none",
            "first_seen": "never", "last_seen": "never",
            "user_directory": os.path.join(site_dir, "data", uid), "backend": "Database"}


def _plain(items, prefix="  - "):
    lines = []
    for k, v in items.items():
        if isinstance(v, (dict, list)):
            lines.append("%s%s:" % (prefix, k))
            sub = v if isinstance(v, dict) else {i: x for i, x in enumerate(v)}
            lines += _plain(sub, "  " + prefix)
        else:
            lines.append("%s%s: %s" % (prefix, k, json.dumps(v) if isinstance(v, bool) else v))
    return lines


def occ_users(site_dir, cmd, words):
    """occ user:* and group:adduser: (exit status, stdout lines).  Messages as Nextcloud's
    core/Command/User/*.php and Group/AddUser.php print them (Symfony's <error> on stdout)."""
    db = load_users(site_dir)
    users, out = db["users"], []
    if cmd == "user:list":
        opts, _ = parse_args(words, {"info": "flag", "disabled": "flag", "limit": "value",
                                     "offset": "value", "output": "value"},
                             {"i": "info", "d": "disabled", "l": "limit", "o": "offset"}, [])
        fmt = opts.get("output") or "plain"
        limit, offset = int(opts.get("limit") or 500), int(opts.get("offset") or 0)
        uids = [u for u in sorted(users) if not opts.get("disabled") or not users[u]["enabled"]]
        items = {u: (_user_info(u, users[u], site_dir) if opts.get("info")
                     else users[u]["display_name"]) for u in uids[offset:offset + limit]}
        if fmt == "json":
            return 0, [_php_json(items or [])]
        if fmt == "json_pretty":
            return 0, [_php_json(items or [], True)]
        return 0, _plain(items)
    if cmd == "user:add":
        opts, (uid,) = parse_args(words, {"password-from-env": "flag", "display-name": "value",
                                          "group": "array"}, {"g": "group"}, ["uid"])
        if uid in users:
            return 1, ['The user "%s" already exists.' % uid]
        if not UID_CHARS.match(uid):
            return 1, ['Only the following characters are allowed in a username: "a-z", '
                       '"A-Z", "0-9", spaces and "_.@-\'"']
        password = _password_from_env(opts, out)
        if password is None:
            return 1, out
        users[uid] = {"display_name": opts.get("display-name") or uid, "email": "",
                      "enabled": True, "groups": [], "password": hash_password(password)}
        out.append('The user "%s" was created successfully' % uid)
        if opts.get("display-name"):
            out.append('Display name set to "%s"' % opts["display-name"])
        for g in opts.get("group") or []:
            if g not in db["groups"]:
                db["groups"].append(g)
                out.append('Created group "%s"' % g)
            users[uid]["groups"].append(g)
            out.append('User "%s" added to group "%s"' % (uid, g))
        save_users(site_dir, db)
        return 0, out
    if cmd in ("user:disable", "user:enable", "user:delete", "user:resetpassword"):
        spec = {"password-from-env": "flag"} if cmd == "user:resetpassword" else {}
        opts, (uid,) = parse_args(words, spec, {}, ["user" if spec else "uid"])
        if uid not in users:  # user:delete says so and succeeds (Delete.php)
            return (0 if cmd == "user:delete" else 1), ["User does not exist"]
        if cmd == "user:delete":
            del users[uid]
            out.append("The specified user was deleted")
        elif cmd == "user:resetpassword":
            password = _password_from_env(opts, out)
            if password is None:
                return 1, [l.replace("a password", "a new password") for l in out]
            users[uid]["password"] = hash_password(password)
            out.append("Successfully reset password for %s" % uid)
        else:
            users[uid]["enabled"] = cmd == "user:enable"
            out.append("The specified user is %s" % cmd[5:] + "d")
        save_users(site_dir, db)
        return 0, out
    if cmd == "user:setting":  # only `UID settings email [VALUE]` is simulated
        _, args = parse_args(words, {}, {}, ["uid", "app?", "key?", "value?"])
        if args[0] not in users:
            return 1, ["User does not exist"]
        if args[1:3] != ["settings", "email"]:
            raise Usage("php (simulator): only user:setting UID settings email [VALUE]")
        if len(args) == 3:
            return 0, [users[args[0]]["email"]]
        users[args[0]]["email"] = args[3]
        save_users(site_dir, db)
        return 0, []
    if cmd == "group:adduser":
        _, (gid, uid) = parse_args(words, {}, {}, ["group", "user"])
        if gid not in db["groups"]:
            return 1, ["group not found"]
        if uid not in users:
            return 1, ["user not found"]
        if gid not in users[uid]["groups"]:
            users[uid]["groups"].append(gid)
        save_users(site_dir, db)
        return 0, []
    return None


def _cmdline(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def _ppid(pid):
    try:
        with open("/proc/%s/stat" % pid) as f:
            st = f.read()
        return int(st[st.rfind(")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def canary(site_dir):
    """Record this run's /proc/self/cmdline in OCC_LOG; when OC_PASS is set, the pid of this
    process or of an ancestor whose argv holds its value (a leak), else None."""
    secret = os.environ.get("OC_PASS", "").encode()
    own = [w.decode("utf-8", "replace") for w in _cmdline("self")[:-1]]
    leak, pid = None, os.getpid()
    for _ in range(16):  # this process and its ancestors, bounded
        if pid <= 1:
            break
        if secret and any(secret in w for w in _cmdline(pid)):
            leak = pid
            break
        pid = _ppid(pid)
    try:
        with open(os.path.join(site_dir, OCC_LOG), "a") as f:
            f.write(json.dumps({"argv": own, "uid": os.getuid(), "oc_pass_set": bool(secret),
                                "leak_pid": leak}) + "\n")
    except OSError:
        pass
    return leak


def php(args):
    """The fake `php SCRIPT ARGS...`: SCRIPT must be a Nextcloud `occ`; exit status."""
    if not args:
        sys.stderr.write("php (simulator): only `php occ ...` is simulated\n")
        return 1
    if not os.path.isfile(args[0]):
        print("Could not open input file: %s" % args[0])
        return 1
    site_dir = os.path.dirname(os.path.abspath(args[0]))
    if os.path.basename(args[0]) != "occ":
        sys.stderr.write("php (simulator): only `php occ ...` is simulated\n")
        return 1
    try:
        owner = str(os.stat(os.path.join(site_dir, CONFIG)).st_uid)
    except OSError:
        owner = ""  # PHP's fileowner() is false: nobody may run the console
    if str(os.getuid()) != owner:  # console.php: posix_getuid() against fileowner()
        print("%s\nCurrent user id: %d\nOwner id of config.php: %s\nTry adding 'sudo -u #%s' "
              "to the beginning of the command (without the single quotes)"
              % (OWNER_MSG, os.getuid(), owner, owner))
        return 1
    leak = canary(site_dir)
    if leak is not None:
        sys.stderr.write("php (simulator): SECRET CANARY: the value of OC_PASS is in the argv of "
                         "pid %d\n" % leak)
        return CANARY_EXIT
    cmd = args[1] if len(args) > 1 else "list"
    st = status(site_dir)
    if st["needsDbUpgrade"]:  # Console\Application says so on stderr
        sys.stderr.write("Nextcloud or one of the apps require upgrade - only a limited number "
                         "of commands are available\nYou may use your browser or the occ "
                         "upgrade command to do the upgrade\n")
    if cmd == "status":
        code, out = occ_status(st, args[2:])
        sys.stdout.write(out)
        return code
    if cmd == "upgrade":  # core/Command/Upgrade.php: a no-op when nothing is needed
        if not st["needsDbUpgrade"]:
            sys.stdout.write("No upgrade required.\n")
            return 0
        cfg = _read(site_dir, CONFIG)
        _write(site_dir, CONFIG, _set_config(cfg, "version", "'%s'" % st["version"]))
        sys.stdout.write("Starting code integrity check...\nUpdate successful\n")
        return 0
    try:
        done = occ_users(site_dir, cmd, args[2:])
    except Usage as e:
        sys.stderr.write("\n  %s  \n\n" % e)
        return 1
    if done is not None:
        sys.stdout.write("".join(line + "\n" for line in done[1]))
        return done[0]
    if cmd == "list":
        sys.stdout.write("Nextcloud %s\n\nAvailable commands:\n  status  show some status "
                         "information\n" % st["versionstring"])
        return 0
    sys.stderr.write("\n  Command \"%s\" is not defined.  \n\n" % cmd)
    return 1


def main(argv):
    if len(argv) >= 2 and argv[1] == "php":
        return php(argv[2:])
    if len(argv) == 4 and argv[1] == "check-password":
        return 0 if check_password(argv[2], argv[3], sys.stdin.readline().rstrip("\n")) else 1
    sys.stderr.write("usage: nextcloud.py php ARGS... | check-password SITE_DIR UID\n")
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
