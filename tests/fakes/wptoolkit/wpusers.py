"""wp-cli's user commands and `post list --author` on a simulated WordPress site (README.md,
"Users"), with the mails WordPress sends written to a fake outbox.

Messages and shapes are wp-cli's own (wp-cli/entity-command src/User_Command.php and
features/user*.feature; wp-cli/wp-cli php/WP_CLI/Fetchers/User.php) and WordPress core's
(wp_insert_user, wp_new_user_notification, wp_update_user's password-change notice); what
neither says is INF in the README.

Users are rows of the site's dump: `wp_users` (ID, user_login, user_email, user_pass,
display_name, user_registered), the role in `wp_usermeta` `wp_capabilities` (PHP-serialized,
as WordPress stores it), a post's author the last column of `wp_posts`.
"""

import hashlib
import os
import re
import secrets
import sys
import time

import sitedb

ROLES = ("administrator", "editor", "author", "contributor", "subscriber")
ROW_RE = re.compile(r"^INSERT INTO `([^`]*)` VALUES \((.*)\);$")
VALUE_RE = re.compile(r"'((?:[^'\\]|\\.)*)'|(-?\d+)")
CAP_RE = re.compile(r's:\d+:"([^"]*)";b:1;')
LIST_FIELDS = ("ID", "user_login", "display_name", "user_email", "user_registered", "roles")


UserError = sitedb.CliError


def unsql(s):
    return re.sub(r"\\(.)", r"\1", s)


def values(line):
    m = ROW_RE.match(line)
    if not m:
        return None, []
    return m.group(1), [unsql(s) if n == "" else int(n) for s, n in VALUE_RE.findall(m.group(2))]


def capabilities(roles):
    """PHP's serialize() of {role: true, ...}, WordPress's wp_capabilities."""
    return "a:%d:{%s}" % (len(roles), "".join('s:%d:"%s";b:1;' % (len(r), r) for r in roles))


def pass_hash(password):
    """INF: a stand-in for WordPress's phpass hash, never the password itself."""
    return "$P$B" + hashlib.sha256(password.encode()).hexdigest()[:31]


class Users:
    """The users of the site whose dump is dbpath (table prefix prefix).  opts: its options
    (siteurl, blogname, admin_email, default_role); outbox: the directory mails go to."""

    def __init__(self, dbpath, prefix, opts, outbox):
        self.dbpath = dbpath
        self.p = prefix
        self.opts = opts
        self.outbox = outbox

    # ---- the dump ----------------------------------------------------------------------------
    def load(self):
        self.header, self.tables, self.order = sitedb.read_dump(self.dbpath)

    def save(self):
        sitedb.write_dump(self.dbpath, self.header, self.tables, self.order)

    def rows(self, table):
        return [v for _, v in (values(x) for x in self.tables.get(self.p + table, [])) if v]

    def users(self):
        """[{"ID", "user_login", "user_email", "user_pass", "display_name", "user_registered",
        "roles": [..]}] by ID; a row of the old three columns is read too."""
        caps = {}
        for v in self.rows("usermeta"):
            if len(v) >= 4 and v[2] == self.p + "capabilities":
                caps[v[1]] = CAP_RE.findall(str(v[3]))
        out = []
        for v in self.rows("users"):
            v = v + [""] * (6 - len(v))
            out.append({"ID": v[0], "user_login": v[1], "user_email": v[2], "user_pass": v[3],
                        "display_name": v[4] or v[1], "user_registered": v[5]
                        or "2026-01-01 00:00:00", "roles": caps.get(v[0], [])})
        return sorted(out, key=lambda u: u["ID"])

    def add_row(self, table, row):
        t = self.p + table
        if t not in self.tables:
            self.tables[t] = []
            self.order.append(t)
        self.tables[t].append("INSERT INTO `%s` VALUES (%s);" % (t, ",".join(
            str(x) if isinstance(x, int) else sitedb.sql_str(x) for x in row)))

    def next_id(self, table):
        return max([v[0] for v in self.rows(table) if v and isinstance(v[0], int)] + [0]) + 1

    def drop_rows(self, table, keep):
        t = self.p + table
        self.tables[t] = [x for x in self.tables.get(t, []) if not values(x)[1] or
                          keep(values(x)[1])]

    def set_roles(self, uid, roles):
        key = self.p + "capabilities"
        self.drop_rows("usermeta", lambda v: not (v[1] == uid and v[2] == key))
        self.add_row("usermeta", [self.next_id("usermeta"), uid, key, capabilities(roles)])

    def fetch(self, word):
        """The user word names, as wp-cli's user fetcher finds it: an ID when numeric, else
        an e-mail address when it has '@', else a login."""
        users = self.users()
        for key, test in (("ID", word.isdigit()), ("user_email", "@" in word),
                          ("user_login", True)):
            if test:
                m = [u for u in users if str(u[key]) == word]
                if m:
                    return m[0]
        raise UserError("Error: Invalid user ID, email or login: '%s'" % word)

    # ---- mail ----------------------------------------------------------------------------------
    def mail(self, to, subject, body):
        """One file per mail in the outbox: To, Subject, a blank line, the body."""
        os.makedirs(self.outbox, mode=0o700, exist_ok=True)
        name = "%d-%s.eml" % (time.time_ns(), secrets.token_hex(4))
        sitedb.atomic_write(os.path.join(self.outbox, name),
                            "To: %s\nSubject: [%s] %s\n\n%s" % (
                                to, self.opts.get("blogname", ""), subject, body), 0o600)

    def new_user_mails(self, u):
        """wp_new_user_notification($id, null, 'both'): the administrator's notice, and the
        user's with the link that sets a password (the key is the simulator's)."""
        url = self.opts.get("siteurl", "")
        self.mail(self.opts.get("admin_email", ""), "New User Registration",
                  "New user registration on your site %s:\n\nUsername: %s\n\nEmail: %s\n"
                  % (self.opts.get("blogname", ""), u["user_login"], u["user_email"]))
        key = secrets.token_hex(10)
        self.mail(u["user_email"], "Login Details",
                  "Username: %s\n\nTo set your password, visit the following address:\n\n"
                  "%s/wp-login.php?action=rp&key=%s&login=%s\n\n%s/wp-login.php\n"
                  % (u["user_login"], url, key, u["user_login"], url))

    def password_changed_mail(self, u):
        """wp_update_user()'s notice when a password changes: no password, no link."""
        self.mail(u["user_email"], "Password Changed",
                  "Hi %s,\n\nThis notice confirms that your password was changed on %s.\n\n"
                  "If you did not change your password, please contact the Site Administrator "
                  "at\n%s\n\nThis email has been sent to %s\n\nRegards,\nAll at %s\n%s\n"
                  % (u["user_login"], self.opts.get("blogname", ""),
                     self.opts.get("admin_email", ""), u["user_email"],
                     self.opts.get("blogname", ""), self.opts.get("siteurl", "")))


def run(users, pos, assoc, show):
    """`user …` or `post list`: True when handled.  show(items, fields, fmt) prints a list."""
    cmd = tuple(pos[:2])
    fn = {("user", "list"): user_list, ("user", "get"): user_get,
          ("user", "create"): user_create, ("user", "reset-password"): user_reset_password,
          ("user", "set-role"): user_set_role, ("user", "delete"): user_delete,
          ("post", "list"): post_list}.get(cmd)
    if fn is None:
        return False
    users.load()
    fn(users, pos[2:], assoc, show)
    return True


def listed(u):
    return dict(u, roles=",".join(u["roles"]))


def user_list(users, args, assoc, show):
    items = [listed(u) for u in users.users()
             if "role" not in assoc or assoc["role"] in u["roles"]]
    fmt = assoc.get("format", "table")
    if "field" in assoc:
        for i in items:
            print(i.get(assoc["field"], ""))
        return
    if fmt == "ids":
        print(" ".join(str(i["ID"]) for i in items), end="")
        return
    if fmt == "count":
        print(len(items))
        return
    show(items, str(assoc["fields"]).split(",") if "fields" in assoc else LIST_FIELDS, fmt)


def user_get(users, args, assoc, show):
    if not args:
        raise UserError("usage: wp user get <user> [--field=<field>] [--fields=<fields>] "
                        "[--format=<format>]")
    u = users.fetch(args[0])
    # WP_User::to_array(): the row as MySQL gives it, every value a string
    item = {k: str(u[k]) for k in ("ID", "user_login", "user_pass", "user_email",
                                    "user_registered", "display_name")}
    item["roles"] = ", ".join(u["roles"])
    if "field" in assoc:
        print(item.get(assoc["field"], ""))
        return
    if assoc.get("format") == "json":  # display_item(): one object
        import wordpress  # noqa: E402 (imports this module)
        print(wordpress.php_json(item), end="")
        return
    show([item], str(assoc["fields"]).split(",") if "fields" in assoc else list(item),
         assoc.get("format", "table"))


def user_create(users, args, assoc, show):
    if len(args) < 2:
        raise UserError("usage: wp user create <user-login> <user-email> [--role=<role>] "
                        "[--user_pass=<password>] [--send-email] [--porcelain]")
    login, email = args[0], args[1]
    if any(u["user_login"] == login for u in users.users()):
        raise UserError("Error: The '%s' username is already registered." % login)
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise UserError("Error: The '%s' email address is invalid." % email)
    role = assoc.get("role", users.opts.get("default_role", "subscriber"))
    if role not in ROLES:
        raise UserError("Error: Role doesn't exist: %s" % role)
    if any(u["user_email"] == email for u in users.users()):  # wp_insert_user()'s WP_Error
        raise UserError("Error: Sorry, that email address is already used!")
    generated = "user_pass" not in assoc
    password = secrets.token_urlsafe(18) if generated else str(assoc["user_pass"])
    uid = users.next_id("users")
    users.add_row("users", [uid, login, email, pass_hash(password), login,
                            time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())])
    users.set_roles(uid, [role])
    users.save()
    if assoc.get("send-email") is True:
        users.new_user_mails({"user_login": login, "user_email": email})
    if assoc.get("porcelain") is True:
        print(uid)
        return
    print("Success: Created user %d." % uid)
    if generated:
        print("Password: %s" % password)


def user_reset_password(users, args, assoc, show):
    if not args:
        raise UserError("usage: wp user reset-password <user>... [--skip-email] "
                        "[--show-password] [--porcelain]")
    found = []
    for word in args:
        try:
            found.append(users.fetch(word))
        except UserError as e:
            print(str(e).replace("Error: ", "Warning: ", 1), file=sys.stderr)
    for u in found:
        password = secrets.token_urlsafe(18)
        t = users.p + "users"
        users.tables[t] = [
            x if values(x)[1][:1] != [u["ID"]] else
            "INSERT INTO `%s` VALUES (%d,%s,%s,%s,%s,%s);" % (
                t, u["ID"], sitedb.sql_str(u["user_login"]), sitedb.sql_str(u["user_email"]),
                sitedb.sql_str(pass_hash(password)), sitedb.sql_str(u["display_name"]),
                sitedb.sql_str(u["user_registered"]))
            for x in users.tables[t]]
        users.save()
        if assoc.get("skip-email") is not True:
            users.password_changed_mail(u)
        if assoc.get("porcelain") is True:
            print(password)
        else:
            print("Reset password for %s." % u["user_login"])
            if assoc.get("show-password") is True:
                print("Password: %s" % password)
    if assoc.get("porcelain") is not True:
        if len(found) == 1:
            print("Success: Password reset for 1 user.")
        elif found:
            print("Success: Passwords reset for %d users." % len(found))
        else:
            raise UserError("Error: No user found to reset password.")


def user_set_role(users, args, assoc, show):
    if not args:
        raise UserError("usage: wp user set-role <user> [<role>]")
    u = users.fetch(args[0])
    role = args[1] if len(args) > 1 else users.opts.get("default_role", "subscriber")
    if role not in ROLES:
        raise UserError("Error: Role doesn't exist: %s" % role)
    users.set_roles(u["ID"], [role])
    users.save()
    print("Success: Added %s (%d) to %s as %s." % (u["user_login"], u["ID"],
                                                   users.opts.get("siteurl", ""), role))


def user_delete(users, args, assoc, show):
    if not args:
        raise UserError("usage: wp user delete <user>... [--network] [--reassign=<user-id>] "
                        "[--yes]")
    reassign = int(assoc["reassign"]) if str(assoc.get("reassign", "")).isdigit() else None
    valid = reassign is None or any(u["ID"] == reassign for u in users.users())
    if assoc.get("yes") is not True and (reassign is None or not valid):
        # WP_CLI::confirm(): the question on stdout, then anything but "y" on stdin (here: its
        # end) exits 0 having done nothing
        print("%s All associated posts will be deleted. Proceed? [y/n] " % (
            "--reassign parameter not passed." if reassign is None else
            "--reassign parameter is invalid."), end="")
        return
    targets = [users.fetch(w) for w in args]
    t = users.p + "posts"
    for u in targets:
        kept = []
        for x in users.tables.get(t, []):
            v = values(x)[1]
            if len(v) >= 6 and v[5] == u["ID"]:
                if reassign is None or not valid:
                    continue  # wp_delete_user() without a valid reassign deletes the posts
                x = x[:x.rindex(",")] + ",%d);" % reassign
            kept.append(x)
        users.tables[t] = kept
        users.drop_rows("users", lambda v, uid=u["ID"]: v[0] != uid)
        users.drop_rows("usermeta", lambda v, uid=u["ID"]: v[1] != uid)
        users.save()
        print("Success: Removed user %d from %s." % (u["ID"], users.opts.get("home", "")))


def post_list(users, args, assoc, show):
    """INF beyond `--author=ID`, `--post_type=any`, `--post_status=any` and the count and ids
    formats: the simulator keeps no drafts, trash or auto-drafts."""
    posts = [v for v in users.rows("posts") if len(v) >= 5]
    if "author" in assoc:
        posts = [v for v in posts if len(v) >= 6 and str(v[5]) == str(assoc["author"])]
    if assoc.get("post_type", "post") != "any":
        posts = [v for v in posts if v[4] == assoc.get("post_type", "post")]
    if assoc.get("post_status", "publish") != "any":
        posts = [v for v in posts if v[3] == assoc.get("post_status", "publish")]
    fmt = assoc.get("format", "table")
    if fmt == "count":
        print(len(posts))
    elif fmt == "ids":
        print(" ".join(str(v[0]) for v in posts), end="")
    else:
        show([{"ID": v[0], "post_title": v[1], "post_status": v[3], "post_author": v[5]
               if len(v) >= 6 else 0} for v in posts],
             ("ID", "post_title", "post_status", "post_author"), fmt)
