"""A WordPress site as the WP Toolkit simulator keeps it (README.md, "Seeded sites", "wp-cli",
"Updates", "The sites over HTTPS"): its files and its database dump, the versions of core,
plugins and themes, the update repository, the wp-cli commands that read and change versions,
and the page the site serves.

Versions live only in the site's files -- core in wp-includes/version.php, a plugin in the
`Version:` header of wp-content/plugins/SLUG/SLUG.php, a theme in wp-content/themes/SLUG/style.css
-- and so do the break markers the update faults leave, so restoring the files (the agent's
rollback) restores the versions and heals the site.
"""

import html
import json
import os
import re
import sys
import time

import sitedb
import wpusers

CORE_VERSION = "6.5.2"
PLUGINS = (("akismet", "Akismet Anti-spam: Spam Protection", "5.3.1"),
           ("hello-dolly", "Hello Dolly", "1.7.2"))
THEMES = (("twentytwentyfour", "Twenty Twenty-Four", "1.1"),)
REPO_FILE = "wp-repo.json"
# What wordpress.org offers: the core releases (newest first, as the Version Check API lists
# them) and each plugin's and theme's current version.
REPO = {"core": ["6.7.1", "6.5.5"], "plugins": {"akismet": "5.3.5", "hello-dolly": "1.7.2"},
        "themes": {"twentytwentyfour": "1.3"}}
# $wp_db_version of each branch's wp-includes/version.php; a branch not listed gets the newest.
DB_VERSIONS = {"6.5": 57155, "6.7": 58975}
# The break markers of the update faults (README.md, "Faults"): PHP that answers 500 to a web
# request but lets wp-cli through, PHP that is fatal everywhere, and an .htaccess line Apache
# refuses (a 500 before PHP runs).
BREAK_HTTP = ("if ( ! defined( 'WP_CLI' ) ) { http_response_code( 500 ); exit; } "
              "// simulator: break_http")
BREAK_FATAL = "jiku_sim_removed_function(); // simulator: break_fatal"
BREAK_HTACCESS = "SimulatorBrokenDirective on # simulator: break_http"
BREAK_CHECKSUMS = "/* changed after the update (simulator: break_checksums) */"
MARK_RE = re.compile(r"simulator: (break_http|break_fatal)")
OPT_RE = re.compile(r"^INSERT INTO `([^`]*)options` VALUES \((\d+),'((?:[^'\\]|\\.)*)',"
                    r"'((?:[^'\\]|\\.)*)','(\w*)'\);$")
VALUE_RE = re.compile(r"'((?:[^'\\]|\\.)*)'|(-?\d+)")
CRITICAL = ("<!DOCTYPE html>\n<html><head><title>WordPress &rsaquo; Error</title></head><body>"
            "<p>There has been a critical error on this website.</p></body></html>\n")
DEAD_DB = ("<!DOCTYPE html>\n<html><head><title>Database Error</title></head><body>"
           "<h1>Error establishing a database connection</h1></body></html>\n")
MAINTENANCE = ("<!DOCTYPE html>\n<html><head><title>Maintenance</title></head><body>"
               "<h1>Briefly unavailable for scheduled maintenance. Check back in a minute.</h1>"
               "</body></html>\n")
NOT_FOUND = ("<!DOCTYPE html>\n<html><head><title>Page not found</title></head><body>"
             "<h1>Page not found</h1></body></html>\n")
MAINTENANCE_SECONDS = 600  # wp_is_maintenance_mode(): a .maintenance older than this is ignored


CliError = sitedb.CliError


def unsql(s):
    return re.sub(r"\\(.)", r"\1", s)


# ---- the site on disk ----------------------------------------------------------------------
def wp_config(db_name, prefix="wp_"):
    return ("<?php\n/* WordPress configuration (WP Toolkit simulator) */\n"
            "define( 'DB_NAME', '%s' );\ndefine( 'DB_USER', '%s' );\n"
            "define( 'DB_HOST', 'localhost' );\n$table_prefix = '%s';\n"
            "require_once ABSPATH . 'wp-settings.php';\n" % (db_name, db_name, prefix))


def read_config(full):
    try:
        with open(os.path.join(full, "wp-config.php")) as f:
            text = f.read()
    except OSError:
        return None
    m = re.search(r"define\(\s*'DB_NAME',\s*'([^']*)'", text)
    p = re.search(r"\$table_prefix\s*=\s*'([^']*)'", text)
    return {"db": m.group(1) if m else "", "prefix": p.group(1) if p else "wp_"}


def set_config_db(full, db_name):
    path = os.path.join(full, "wp-config.php")
    with open(path) as f:
        text = f.read()
    text = re.sub(r"(define\(\s*'DB_(?:NAME|USER)',\s*')[^']*(')", r"\g<1>%s\2" % db_name, text)
    sitedb.atomic_write(path, text, 0o644)


def db_version_of(version):
    return DB_VERSIONS.get(".".join(version.split(".")[:2]), max(DB_VERSIONS.values()))


def core_files(version):
    """The core files of a release, as its package has them (what verify-checksums compares)."""
    return {
        "index.php": ("<?php\ndefine( 'WP_USE_THEMES', true );\n"
                      "require __DIR__ . '/wp-blog-header.php';\n"),
        "wp-blog-header.php": "<?php /* WordPress */\n",
        "wp-includes/version.php": "<?php\n$wp_version = '%s';\n$wp_db_version = %d;\n"
                                   % (version, db_version_of(version)),
    }


def plugin_file(name, version):
    return "<?php\n/**\n * Plugin Name: %s\n * Version: %s\n */\n" % (name, version)


def theme_files(name, version):
    return {"style.css": "/*\nTheme Name: %s\nVersion: %s\n*/\n" % (name, version),
            "functions.php": "<?php\n/* %s functions */\n" % name}


def make_site(full, dbpath, db_name, url, title, email):
    q = sitedb.sql_str
    files = dict(core_files(CORE_VERSION))
    files.update({
        "wp-config.php": wp_config(db_name),
        "wp-content/uploads/2026/01/hello.txt": "an upload of %s\n" % title,
        ".htaccess": "# BEGIN WordPress\nRewriteEngine On\n# END WordPress\n",
    })
    for slug, name, version in PLUGINS:
        files["wp-content/plugins/%s/%s.php" % (slug, slug)] = plugin_file(name, version)
    for slug, name, version in THEMES:
        for fn, text in theme_files(name, version).items():
            files["wp-content/themes/%s/%s" % (slug, fn)] = text
    sitedb.write_files(full, files)
    p = "wp_"
    lines = ["-- MySQL dump of `%s` (simulator: one INSERT line = one row)" % db_name]
    tables = [
        ("options", "(`option_id` int, `option_name` varchar(191), `option_value` longtext, "
                    "`autoload` varchar(20))",
         ["(1,'siteurl',%s,'yes')" % q(url), "(2,'home',%s,'yes')" % q(url),
          "(3,'blogname',%s,'yes')" % q(title), "(4,'blog_public','1','yes')",
          "(5,'admin_email',%s,'yes')" % q(email),
          "(6,'active_plugins','a:1:{i:0;s:19:\"akismet/akismet.php\";}','yes')",
          "(7,'template','twentytwentyfour','yes')", "(8,'stylesheet','twentytwentyfour','yes')",
          "(9,'db_version','%d','yes')" % db_version_of(CORE_VERSION)]),
        ("posts", "(`ID` int, `post_title` text, `post_content` longtext, `post_status` "
                  "varchar(20), `post_type` varchar(20), `post_author` int)",
         ["(1,'Hello world!',%s,'publish','post',1)" % q("Welcome to %s. This is your first "
                                                         "post." % title),
          "(2,'Sample Page','This is an example page.','publish','page',1)"]),
        ("postmeta", "(`meta_id` int, `post_id` int, `meta_key` varchar(255), `meta_value` "
                     "longtext)", ["(1,2,'_wp_page_template','default')"]),
        ("users", "(`ID` int, `user_login` varchar(60), `user_email` varchar(100), "
                  "`user_pass` varchar(255), `display_name` varchar(250), `user_registered` "
                  "datetime)",
         ["(1,'admin',%s,%s,'admin','2026-01-01 00:00:00')" % (
             q(email), q(wpusers.pass_hash("simulator-admin")))]),
        ("usermeta", "(`umeta_id` int, `user_id` int, `meta_key` varchar(255), `meta_value` "
                     "longtext)", ["(1,1,'nickname','admin')",
                                   "(2,1,'wp_capabilities',%s)" % q(wpusers.capabilities(
                                       ["administrator"]))]),
        ("comments", "(`comment_ID` int, `comment_post_ID` int, `comment_author` tinytext, "
                     "`comment_content` text)",
         ["(1,1,'A WordPress Commenter','Hi, this is a comment.')"]),
        ("commentmeta", "(`meta_id` int, `comment_id` int, `meta_key` varchar(255), "
                        "`meta_value` longtext)", []),
        ("terms", "(`term_id` int, `name` varchar(200), `slug` varchar(200))",
         ["(1,'Uncategorized','uncategorized')"]),
    ]
    for t, cols, rows in tables:
        lines.append("CREATE TABLE `%s%s` %s;" % (p, t, cols))
        for r in rows:
            lines.append("INSERT INTO `%s%s` VALUES %s;" % (p, t, r))
    os.makedirs(os.path.dirname(dbpath), exist_ok=True)
    sitedb.atomic_write(dbpath, "\n".join(lines) + "\n", 0o600)


def options_of(dbpath):
    out = {}
    try:
        header, tables, order = sitedb.read_dump(dbpath)
    except OSError:
        return out
    for t in order:
        for line in tables[t]:
            m = OPT_RE.match(line)
            if m:
                out[unsql(m.group(3))] = unsql(m.group(4))
    return out


def set_option(dbpath, prefix, name, value):
    header, tables, order = sitedb.read_dump(dbpath)
    t = prefix + "options"
    rows = tables.setdefault(t, [])
    if t not in order:
        order.append(t)
    n = 0
    for k, line in enumerate(rows):
        m = OPT_RE.match(line)
        if m:
            n = max(n, int(m.group(2)))
            if unsql(m.group(3)) == name:
                if unsql(m.group(4)) == value:
                    return False
                rows[k] = "INSERT INTO `%s` VALUES (%s,%s,%s,'%s');" % (
                    t, m.group(2), sitedb.sql_str(name), sitedb.sql_str(value), m.group(5))
                sitedb.write_dump(dbpath, header, tables, order)
                return True
    rows.append("INSERT INTO `%s` VALUES (%d,%s,%s,'yes');" % (t, n + 1, sitedb.sql_str(name),
                                                              sitedb.sql_str(value)))
    sitedb.write_dump(dbpath, header, tables, order)
    return True


def published_posts(dbpath, prefix):
    """Titles of the published posts, newest (highest ID) first, as the blog's home lists them."""
    try:
        header, tables, order = sitedb.read_dump(dbpath)
    except OSError:
        return []
    posts = []
    for line in tables.get(prefix + "posts", []):
        if not line.startswith("INSERT INTO"):
            continue
        vals = [unsql(s) if n == "" else n for s, n in VALUE_RE.findall(line.split("VALUES", 1)[1])]
        if len(vals) >= 5 and vals[3] == "publish" and vals[4] == "post":
            posts.append((int(vals[0]), vals[1]))
    return [title for _, title in sorted(posts, reverse=True)]


# ---- versions ------------------------------------------------------------------------------
def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def header(text, name):
    """A `Name: value` file header, found the way WordPress's get_file_data() finds it."""
    m = re.search(r"^[ \t/*#@]*%s:(.*)$" % re.escape(name), text or "", re.M | re.I)
    return m.group(1).strip() if m else ""


def core_version(full):
    m = re.search(r"\$wp_version = '([^']*)'",
                  read_text(os.path.join(full, "wp-includes", "version.php")) or "")
    return m.group(1) if m else None


def vkey(version):
    return [int(x) if x.isdigit() else 0 for x in re.split(r"[.-]", version)]


def components(full, kind):
    """{slug: {"name", "version", "file"}} of the plugins or themes installed in the site."""
    base = os.path.join(full, "wp-content", kind)
    out = {}
    try:
        slugs = sorted(os.listdir(base))
    except OSError:
        return out
    for slug in slugs:
        main = os.path.join(base, slug, slug + ".php" if kind == "plugins" else "style.css")
        text = read_text(main)
        label = "Plugin Name" if kind == "plugins" else "Theme Name"
        if text is not None and header(text, label):
            out[slug] = {"name": header(text, label), "version": header(text, "Version"),
                         "file": main}
    return out


def active(full, opts):
    """(active plugin slugs, active theme slug) from the options active_plugins and stylesheet."""
    plugins = [s for s in components(full, "plugins")
               if '"%s/%s.php"' % (s, s) in opts.get("active_plugins", "")]
    return plugins, opts.get("stylesheet", "")


def loaded_files(full, opts):
    """The PHP files a request loads: core, the active plugins, the active theme's functions."""
    plugins, theme = active(full, opts)
    files = [os.path.join(full, f) for f in core_files(CORE_VERSION) if f.endswith(".php")]
    files += [os.path.join(full, "wp-content", "plugins", s, s + ".php") for s in plugins]
    if theme:
        files.append(os.path.join(full, "wp-content", "themes", theme, "functions.php"))
    return files


def first_marker(files, kinds):
    """(kind, file, line number) of the first break marker of kinds in files, or None."""
    for path in files:
        for n, line in enumerate((read_text(path) or "").splitlines(), 1):
            m = MARK_RE.search(line)
            if m and m.group(1) in kinds:
                return m.group(1), path, n
    return None


def load_repo(path):
    try:
        with open(path) as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def core_offers(installed, repo):
    """{"minor": version, "major": version} of the newest offers above installed: a release
    of installed's branch is a minor update, any other a major one (wp-cli's naming)."""
    out = {}
    branch = installed.split(".")[:2]
    for v in repo.get("core", []):
        if vkey(v) <= vkey(installed):
            continue
        kind = "minor" if v.split(".")[:2] == branch else "major"
        if kind not in out or vkey(v) > vkey(out[kind]):
            out[kind] = v
    return out


def maintenance_on(full):
    """True while the site's .maintenance is fresh (WordPress ignores one older than 10 min)."""
    m = re.search(r"\$upgrading\s*=\s*(\d+)", read_text(os.path.join(full, ".maintenance")) or "")
    return bool(m) and time.time() - int(m.group(1)) < MAINTENANCE_SECONDS


# ---- the page --------------------------------------------------------------------------------
def render_site(site_dir, url_path):
    """(HTTP status, HTML body) of a request for url_path (relative to the site) of the
    WordPress site in site_dir, as the web server and WordPress would answer it."""
    if first_marker([os.path.join(site_dir, ".htaccess")], ("break_http",)):
        return 500, CRITICAL
    if maintenance_on(site_dir):
        return 503, MAINTENANCE
    cfg = read_config(site_dir) or {}
    dbpath = os.path.join(sitedb.mysql_dir_of(site_dir), (cfg.get("db") or "-") + ".sql")
    if not cfg or not os.path.isfile(dbpath):
        return 500, DEAD_DB
    opts = options_of(dbpath)
    if first_marker(loaded_files(site_dir, opts), ("break_http", "break_fatal")):
        return 500, CRITICAL
    if url_path not in ("", "/", "/index.php"):
        return 404, NOT_FOUND
    name = html.escape(opts.get("blogname", ""))
    posts = "".join("<h2 class=\"wp-block-post-title\">%s</h2>\n" % html.escape(t)
                    for t in published_posts(dbpath, cfg["prefix"]))
    return 200, ("<!DOCTYPE html>\n<html lang=\"en-US\"><head><meta charset=\"UTF-8\">\n"
                 "<title>%s</title>\n<meta name=\"generator\" content=\"WordPress %s\">\n"
                 "</head><body class=\"home blog\">\n<h1 class=\"wp-block-site-title\">%s</h1>\n"
                 "%s</body></html>\n" % (name, html.escape(core_version(site_dir) or ""), name,
                                         posts))


# ---- wp-cli --------------------------------------------------------------------------------
def php_json(value):
    """json_encode() with PHP's default flags, as wp-cli prints it (slashes escaped, no final
    newline)."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/")


def parse_words(words):
    """(positional words, {option: value or True}) of a wp-cli command line."""
    pos, assoc = [], {}
    for w in words:
        if w.startswith("--"):
            k, eq, v = w[2:].partition("=")
            assoc[k] = v if eq else True
        else:
            pos.append(w)
    return pos, assoc


def format_items(items, fields, fmt):
    """Print items (dicts) in wp-cli's json, csv or table format."""
    if fmt == "json":
        print(php_json([{k: i.get(k) for k in fields} for i in items]), end="")
        return
    if fmt == "csv":
        for row in [fields] + [[str(i.get(k, "")) for k in fields] for i in items]:
            print(",".join(row))
        return
    widths = [max([len(k)] + [len(str(i.get(k, ""))) for i in items]) for k in fields]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    print(rule)
    print("|" + "|".join(" %-*s " % (w, k) for w, k in zip(widths, fields)) + "|")
    print(rule)
    for i in items:
        print("|" + "|".join(" %-*s " % (w, i.get(k, "")) for w, k in zip(widths, fields)) + "|")
    print(rule)


class WpCli:
    """The wp-cli commands of README.md's "Updates" and "Users" tables on the site in full
    (users: wpusers.py, mails into the directory outbox).  Files are
    written through as_owner(fn) (wp-cli runs as the site's owner); pause() is the short time
    an update takes; fault: the faults.json entry for this call ({} when none)."""

    UPDATE_FIELDS = ("name", "old_version", "new_version", "status")
    LIST_FIELDS = ("name", "status", "update", "version", "update_version", "auto_update")

    def __init__(self, full, dbpath, prefix, repo_path, as_owner, pause, fault, outbox):
        self.outbox = outbox
        self.full = full
        self.dbpath = dbpath
        self.prefix = prefix
        self.repo = load_repo(repo_path)
        self.as_owner = as_owner
        self.pause = pause
        self.fault = fault.get("fault")

    def run(self, words):
        """The command's exit code, or None when words are not one of these commands."""
        pos, assoc = parse_words(words)
        fn = {("core", "version"): self.core_version, ("core", "check-update"): self.check_update,
              ("core", "update"): self.core_update, ("core", "update-db"): self.update_db,
              ("core", "verify-checksums"): self.verify_checksums,
              ("plugin", "list"): self.list, ("theme", "list"): self.list,
              ("plugin", "update"): self.update_many, ("theme", "update"): self.update_many,
              }.get(tuple(pos[:2]))
        if pos[:1] == ["eval"]:
            fn = self.eval
        if fn is None:
            users = wpusers.Users(self.dbpath, self.prefix, options_of(self.dbpath), self.outbox)
            return 0 if wpusers.run(users, pos, assoc, format_items) else None
        fn(pos, assoc)
        return 0

    def installed_core(self):
        v = core_version(self.full)
        if v is None:
            raise CliError("Error: This does not seem to be a WordPress installation.\n"
                           "Pass --path=`path/to/wordpress` or run `wp core download`.")
        return v

    # ---- core ----------------------------------------------------------------------------------
    def core_version(self, pos, assoc):
        print(self.installed_core())

    def check_update(self, pos, assoc):
        installed = self.installed_core()
        offers = core_offers(installed, self.repo)
        kinds = [k for k in ("minor", "major") if assoc.get(k) is True] or ["minor", "major"]
        items = [{"version": offers[k], "update_type": k,
                  "package_url": package_url(offers[k], installed)}
                 for k in kinds if k in offers]
        fmt = assoc.get("format", "table")
        if not items and fmt == "table":
            print("Success: WordPress is at the latest version.")
            return
        format_items(items, ("version", "update_type", "package_url"), fmt)

    def core_update(self, pos, assoc):
        installed = self.installed_core()
        offers = core_offers(installed, self.repo)
        if assoc.get("minor") is True:
            target = offers.get("minor")
            if target is None:
                print("Success: WordPress is at the latest minor release.")
                return
        else:
            target = offers.get("major") or offers.get("minor")
            if target is None:
                print("Success: WordPress is up to date.")
                return
        print("Updating to version %s (en_US)..." % target)
        print("Downloading update from %s..." % package_url(target, installed, "no-content"))
        print("Unpacking the update...")
        files = {os.path.join(self.full, f): text for f, text in core_files(target).items()}
        theme = active(self.full, options_of(self.dbpath))[1]
        extra = {
            # a new core that the site's .htaccess rules break, or that its theme calls into
            # (a removed function): README.md, "Faults"
            "break_http": (os.path.join(self.full, ".htaccess"), BREAK_HTACCESS),
            "break_fatal": (os.path.join(self.full, "wp-content", "themes", theme,
                                         "functions.php"), BREAK_FATAL),
            "break_checksums": (os.path.join(self.full, "wp-blog-header.php"), BREAK_CHECKSUMS),
        }.get(self.fault)
        self.install(files, extra)
        print("Success: WordPress updated successfully.")

    def update_db(self, pos, assoc):
        m = re.search(r"\$wp_db_version = (\d+)",
                      read_text(os.path.join(self.full, "wp-includes", "version.php")) or "")
        want = int(m.group(1)) if m else 0
        opt = options_of(self.dbpath).get("db_version", "0")
        have = int(opt) if opt.isdigit() else 0
        if have == want:
            print("Success: WordPress database already at latest db version %d." % want)
            return
        set_option(self.dbpath, self.prefix, "db_version", str(want))
        print("Success: WordPress database upgraded successfully from db version %d to %d."
              % (have, want))

    def verify_checksums(self, pos, assoc):
        expected = core_files(self.installed_core())
        failed = False
        for rel, text in expected.items():
            data = read_text(os.path.join(self.full, rel))
            if data is None:
                warn("File doesn't exist: %s" % rel)
                failed = True
            elif data != text:
                warn("File doesn't verify against checksum: %s" % rel)
                failed = True
        for rel in core_like_files(self.full):
            if rel not in expected:
                warn("File should not exist: %s" % rel)
        if failed:
            raise CliError("Error: WordPress installation doesn't verify against checksums.")
        print("Success: WordPress installation verifies against checksums.")

    def eval(self, pos, assoc):
        fatal = first_marker(loaded_files(self.full, options_of(self.dbpath)), ("break_fatal",))
        if fatal:
            _, path, n = fatal
            raise CliError("PHP Fatal error:  Uncaught Error: Call to undefined function "
                           "jiku_sim_removed_function() in %s:%d\nStack trace:\n#0 {main}\n"
                           "  thrown in %s on line %d" % (path, n, path, n), 255)
        # The simulator runs no PHP: it prints what `echo` statements of literals would.
        for s, n in re.findall(r"echo\s+(?:'((?:[^'\\]|\\.)*)'|(-?\d+))\s*;",
                               pos[1] if len(pos) > 1 else ""):
            print(unsql(s) if n == "" else n, end="")

    # ---- plugins and themes -------------------------------------------------------------------
    def items(self, kind):
        """wp-cli's list items of the installed plugins or themes, by slug."""
        opts = options_of(self.dbpath)
        plugins, theme = active(self.full, opts)
        offered = self.repo.get(kind + "s", {})
        out = {}
        for slug, c in components(self.full, kind + "s").items():
            new = offered.get(slug, "")
            if not new or vkey(new) == vkey(c["version"]):
                update = "none"
            elif vkey(new) > vkey(c["version"]):
                update = "available"
            else:
                update = "version higher than expected"
            on = slug in plugins if kind == "plugin" else slug == theme
            out[slug] = {"name": slug, "status": "active" if on else "inactive",
                         "update": update, "version": c["version"],
                         "update_version": new if update == "available" else "",
                         "auto_update": "off", "title": c["name"], "file": c["file"]}
        return out

    def list(self, pos, assoc):
        # --FIELD=VALUE keeps the items whose FIELD is VALUE (or one of a comma list of values)
        items = [i for i in self.items(pos[0]).values()
                 if all(str(i[k]) in [str(assoc[k])] + str(assoc[k]).split(",")
                        for k in self.LIST_FIELDS if k in assoc)]
        fields = str(assoc["fields"]).split(",") if "fields" in assoc else self.LIST_FIELDS
        format_items(items, fields, assoc.get("format", "table"))

    def update_many(self, pos, assoc):
        kind = pos[0]
        fmt = assoc.get("format", "table")
        quiet = fmt in ("json", "csv")
        say = (lambda text: None) if quiet else print
        slugs = pos[2:]
        if assoc.get("all") is not True and not slugs:
            raise CliError("Error: Please specify one or more %ss, or use --all." % kind)
        items = self.items(kind)
        errors = 0
        if assoc.get("all") is not True:
            for s in slugs:
                if s not in items:
                    if not quiet:
                        warn("The '%s' %s could not be found." % (s, kind))
                    errors += 1
            items = {s: items[s] for s in slugs if s in items}
        exclude = str(assoc.get("exclude", "")).split(",")
        todo = [i for s, i in items.items() if i["update"] == "available" and s not in exclude]
        if todo:
            say("Enabling Maintenance mode...")
            files = {}
            for i in todo:
                say("Downloading update from https://downloads.wordpress.org/%s/%s.%s.zip..."
                    % (kind, i["name"], i["update_version"]))
                say("Unpacking the update...")
                say("Installing the latest version...")
                say("Removing the old version of the %s..." % kind)
                main = i["file"]
                if kind == "plugin":
                    files[main] = plugin_file(i["title"], i["update_version"])
                    code = main
                else:
                    for fn, text in theme_files(i["title"], i["update_version"]).items():
                        files[os.path.join(os.path.dirname(main), fn)] = text
                    code = os.path.join(os.path.dirname(main), "functions.php")
                line = {"break_http": BREAK_HTTP, "break_fatal": BREAK_FATAL}.get(self.fault)
                if line:
                    files[code] += line + "\n"
                say("%s updated successfully." % kind.capitalize())
            self.install(files, None)
            say("Disabling Maintenance mode...")
            format_items([{"name": i["name"], "old_version": i["version"],
                           "new_version": i["update_version"], "status": "Updated"}
                          for i in todo], self.UPDATE_FIELDS, fmt if quiet else "table")
        total = len(todo) if assoc.get("all") is True else len(slugs)
        if errors:
            if quiet:
                raise CliError("", 1)
            if todo:
                raise CliError("Error: Only updated %d of %d %ss (%d failed)."
                               % (len(todo), total, kind, errors))
            raise CliError("Error: No %ss updated (%d failed)." % (kind, errors))
        if todo:
            say("Success: Updated %d of %d %ss." % (len(todo), total, kind))
        else:
            say("Success: %s already updated." % (kind.capitalize() + ("s" if total > 1 else "")))

    def install(self, files, extra):
        """Write files (path: text) as the site's owner inside maintenance mode, after the
        update's time, then extra (path, line) appended: a fault's break marker."""
        dot = os.path.join(self.full, ".maintenance")

        def write():
            sitedb.atomic_write(dot, "<?php $upgrading = %d; ?>" % int(time.time()), 0o644)
            self.pause()
            try:
                for path, text in files.items():
                    sitedb.write_files(os.path.dirname(path), {os.path.basename(path): text})
                if extra:
                    with open(extra[0], "a") as f:
                        f.write(extra[1] + "\n")
            finally:
                os.unlink(dot)
        try:
            self.as_owner(write)
        except OSError as e:
            raise CliError("Error: Could not copy files. (%s)" % e)


def package_url(version, installed, flavour=None):
    """The download wordpress.org offers for an update from installed to version: a partial
    package within a branch, else the full one (or its no-content variant)."""
    if version.split(".")[:2] == installed.split(".")[:2] and installed.count(".") == 2:
        return ("https://downloads.wordpress.org/release/wordpress-%s-partial-%s.zip"
                % (version, installed.split(".")[2]))
    return "https://downloads.wordpress.org/release/wordpress-%s%s.zip" % (
        version, "-" + flavour if flavour else "")


def core_like_files(full):
    """The files verify-checksums looks at besides the release's: root wp-*.php (but
    wp-config.php), everything below wp-admin/ and wp-includes/."""
    out = [f for f in os.listdir(full) if re.match(r"^wp-(?!config\.php$)[^/]*\.php$", f)]
    for top in ("wp-admin", "wp-includes"):
        for dp, dns, fns in os.walk(os.path.join(full, top)):
            out += [os.path.relpath(os.path.join(dp, f), full) for f in fns]
    return sorted(out)


def warn(text):
    print("Warning: " + text, file=sys.stderr)
