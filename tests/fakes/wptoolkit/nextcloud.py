#!/usr/bin/env python3
"""Nextcloud as Softaculous installs it in the cPanel simulator (README.md, "Nextcloud"): its
files, `php occ status`, and its pages for the simulators' web listener.

An installation's state lives in its files, as in Nextcloud, so that restoring the files
restores the state: the code version in version.php ($OC_Version, $OC_VersionString); the
version its database was upgraded to ('version'), 'installed' and 'maintenance' in
config/config.php; a broken update leaves BREAK_MARKER in index.php (the web entry point only:
occ never loads it).

    nextcloud.py php ARGS...   the fake `php` in DIR/ssh/bin: only `php occ ...` runs
"""

import html
import json
import os
import posixpath
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # simlib
from simlib.state import atomic_write  # noqa: E402

CONFIG = os.path.join("config", "config.php")
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
    if cmd == "list":
        sys.stdout.write("Nextcloud %s\n\nAvailable commands:\n  status  show some status "
                         "information\n" % st["versionstring"])
        return 0
    sys.stderr.write("\n  Command \"%s\" is not defined.  \n\n" % cmd)
    return 1


def main(argv):
    if len(argv) >= 2 and argv[1] == "php":
        return php(argv[2:])
    sys.stderr.write("usage: nextcloud.py php ARGS...\n")
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
