#!/usr/bin/env python3
"""The fake `plesk` command (and `df`) run over SSH by the Plesk simulator's sshd rig.

DIR/ssh/bin/plesk is an sh wrapper `exec python3 .../cli.py DIR plesk "$@"`, so every command
works on the same DIR/root as the HTTPS server.  README.md is the contract.

    plesk bin pleskbackup --domains-name D [-output-file F | --output-file=F] [-d DESC] [-v] ...
    plesk bin pleskrestore --check-backup F | --info F |
                           --restore F -level domains -filter list:D[,D2] [-ignore-sign] [-verbose]
    plesk bin subscription --info D
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # simlib
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import psim  # noqa: E402
from simlib import df as simdf  # noqa: E402


def out(text, stream=None):
    stream = stream or sys.stdout
    stream.write(text + "\n")
    stream.flush()


def fail(code, text):
    out(text, sys.stderr)
    return code


def wait(seconds, label):
    """Sleep, printing a progress line every 0.25 s: a run still attached to a dropped SSH
    channel dies of SIGPIPE on its next line, as a real one dies with its session."""
    end = time.monotonic() + max(0.0, seconds)
    while True:
        left = end - time.monotonic()
        pct = 100 if seconds <= 0 else int(100 * (1 - max(0.0, left) / seconds))
        out("%s: %d%%" % (label, pct))
        if left <= 0:
            return
        time.sleep(min(0.25, left))


def parse_opts(argv):
    """Plesk utilities take -opt VALUE, --opt VALUE and --opt=VALUE alike.  Returns
    (options dict name -> value or True, list of (command, [values]))."""
    opts = {}
    commands = []
    flags = {"v", "verbose", "incremental", "ignore-sign", "exclude-mail", "exclude-logs",
             "skip-logs", "exclude-files", "only-databases", "only-mail", "only-hosting",
             "suspend", "nostop", "no-gzip"}
    multi = {"domains-name", "domains-id", "clients-name", "clients-id", "resellers-name",
             "resellers-id"}
    i = 0
    while i < len(argv):
        a = argv[i]
        if not a.startswith("-"):
            return None, "unexpected argument '%s'" % a
        name = a.lstrip("-")
        val = None
        if "=" in name:
            name, val = name.split("=", 1)
        if name in multi:
            vals = [val] if val is not None else []
            i += 1
            while i < len(argv) and not argv[i].startswith("-"):
                vals.append(argv[i])
                i += 1
            commands.append((name, vals))
            continue
        if name in ("server", "help", "man"):
            commands.append((name, []))
            i += 1
            continue
        if name in flags:
            opts[name] = True
            i += 1
            continue
        if val is None:
            if i + 1 >= len(argv):
                return None, "option '%s' requires a value" % a
            val = argv[i + 1]
            i += 1
        if name in ("restore", "check-backup", "info", "i", "get-restore-task-status"):
            commands.append((name, [val]))
        else:
            opts[name] = val
        i += 1
    return (opts, commands), None


def disk_fault(sim):
    f = sim.faults().get("df")
    return isinstance(f, dict) and "avail_bytes" in f


# ---- pleskbackup ---------------------------------------------------------------------------
def pleskbackup(sim, argv):
    parsed, problem = parse_opts(argv)
    if problem:
        return fail(1, "pleskbackup: %s" % problem)
    opts, commands = parsed
    if not commands:
        return fail(1, "pleskbackup: a command is required (--domains-name, --server, ...)")
    cmd, names = commands[0]
    if cmd != "domains-name":
        return fail(1, "pleskbackup: '--%s' is not simulated (only --domains-name)" % cmd)
    if not names:
        return fail(1, "pleskbackup: --domains-name needs at least one subscription name")
    db = sim.load()
    for n in names:
        if n not in db["subscriptions"]:
            return fail(1, "Subscription '%s' was not found" % n)
    fault = sim.take_fault("pleskbackup", {}) or {}
    kind = fault.get("fault")
    desc = opts.get("d") or opts.get("description") or ""
    dest = opts.get("output-file")
    if dest is not None and len(names) != 1:
        return fail(1, "pleskbackup: the simulator exports one subscription per -output-file")
    if kind == "hang":
        wait(psim.NEVER_ENDS_SECONDS, "Backup progress")
    wait(sim.job_seconds(), "Backup progress")
    if kind == "fail":
        return fail(int(fault.get("exit", 1)), fault.get(
            "message", "Unable to create the backup: pmm-ras exited with code 1 "
            "(simulated failure)"))
    full = kind == "disk_full" or disk_fault(sim)
    if dest is None:
        try:
            for n in names:
                name = sim.local_backup(n, "backup", desc,
                                        fail="No space left on device" if full else None)
                out("Backup of '%s' created in the server repository: %s" % (n, name))
        except OSError as e:
            return fail(1, "Unable to create the backup: %s" % e)
        return 0
    if dest.startswith("ftp://") or dest == "stdout":
        return fail(1, "pleskbackup: -output-file %s is not simulated" % psim.redact_word(dest))
    if dest.endswith("/") or os.path.isdir(dest):
        dest = os.path.join(dest, "backup_%s_%s.tar" % (names[0], time.strftime(
            "%y%m%d%H%M", time.gmtime())))
    if not os.path.isdir(os.path.dirname(dest) or "."):
        return fail(1, "Unable to create the file '%s': No such file or directory" % dest)
    try:
        sim.export(names[0], dest, desc, limit=4096 if full else None)
    except OSError as e:
        return fail(1, "Unable to export the backup to '%s': %s" % (dest, e.strerror or e))
    out("The backup of '%s' was exported to '%s'" % (names[0], dest))
    return 0


# ---- pleskrestore --------------------------------------------------------------------------
def open_backup(sim, path):
    """(members, signature, info, tar path) or raises ValueError."""
    if not os.path.isfile(path):
        raise ValueError("File is not readable: %s" % path)
    tar = sim.resolve_backup_file(path)
    if not os.path.isfile(tar):
        raise ValueError("the content file '%s' is missing" % tar)
    members, sig, info = sim.read_archive(tar)
    return members, sig, info, tar


def pleskrestore(sim, argv):
    parsed, problem = parse_opts(argv)
    if problem:
        return fail(1, "pleskrestore: %s" % problem)
    opts, commands = parsed
    if len(commands) != 1:
        return fail(1, "pleskrestore: exactly one command is required (--restore, "
                    "--check-backup, --info)")
    cmd, vals = commands[0]
    path = vals[0]
    if cmd == "get-restore-task-status":
        return fail(1, "pleskrestore: --get-restore-task-status is not simulated")
    if cmd in ("info", "i"):
        try:
            members, sig, info, tar = open_backup(sim, path)
        except ValueError as e:
            return fail(1, "ERROR: %s" % e)
        for name, (kind, data) in sorted(members.items()):
            if name.startswith("backup_info_"):
                sys.stdout.write(data.decode("utf-8", "replace"))
        return 0
    if cmd == "check-backup":
        fault = sim.take_fault("pleskrestore", {"command": "check-backup"},
                               {"command": "restore"}) or {}
        if fault.get("fault") == "fail":
            return fail(int(fault.get("exit", 1)), fault.get("message",
                                                             "The backup file is corrupted"))
        try:
            members, sig, info, tar = open_backup(sim, path)
        except ValueError as e:
            return fail(1, "ERROR: The backup file is not valid: %s" % e)
        out("The backup file '%s' is valid." % path)
        out("Subscriptions: %s" % ", ".join(d["name"] for d in info["domains"]))
        out("Signature: %s" % ("valid" if sim.signature_ok(members, sig) else
                               "NOT valid (the file was created on another server or modified)"))
        return 0
    # --restore
    level = opts.get("level")
    if level != "domains":
        return fail(1, "pleskrestore: -level %s is not simulated (only -level domains)" % level)
    flt = opts.get("filter")
    if not flt:
        return fail(1, "pleskrestore: -filter is required by the simulator")
    if flt.startswith("list:"):
        names = [n for n in flt[5:].split(",") if n]
    else:
        try:
            with open(flt) as f:
                names = [ln.strip() for ln in f if ln.strip()]
        except OSError:
            return fail(1, "File is not readable: %s" % flt)
    fault = sim.take_fault("pleskrestore", {"command": "restore"}) or {}
    kind = fault.get("fault")
    try:
        members, sig, info, tar = open_backup(sim, path)
    except ValueError as e:
        return fail(1, "ERROR: Unable to restore: %s" % e)
    if not sim.signature_ok(members, sig) and not opts.get("ignore-sign"):
        return fail(1, "ERROR: The backup file signature is not valid: the file was created "
                    "on another server or modified after it was created. Use -ignore-sign to "
                    "restore it anyway.")
    in_archive = [d["name"] for d in info["domains"]]
    for n in names:
        if n not in in_archive:
            return fail(1, "ERROR: Subscription '%s' is not found in the backup" % n)
    if kind == "hang":
        wait(psim.NEVER_ENDS_SECONDS, "Restore progress")
    if kind == "fail":
        wait(sim.job_seconds() / 2, "Restore progress")
        return fail(int(fault.get("exit", 1)), fault.get(
            "message", "ERROR: Restoration failed: pmm-ras exited with code 1 (simulated)"))
    half = sim.job_seconds() / 2
    wait(half, "Restore progress")
    for n in names:
        try:
            sim.restore(members, info, n, progress=lambda: wait(half, "Restore progress"),
                        fault="partial" if kind == "partial" else None)
        except OSError as e:
            return fail(1, "ERROR: %s" % e)
        out("SUCCESS: Restoration of subscription '%s' completed." % n)
    return 0


# ---- subscription --------------------------------------------------------------------------
def subscription(sim, argv):
    if len(argv) != 2 or argv[0] not in ("--info", "-i"):
        return fail(1, "subscription: only --info NAME is simulated")
    name = argv[1]
    db = sim.load()
    s = db["subscriptions"].get(name)
    if not s:
        return fail(1, "Subscription '%s' was not found" % name)
    owner = s["owner"]
    pname = "Administrator" if owner == "admin" else (
        db["customers"].get(owner) or db["resellers"].get(owner) or {}).get("pname", owner)
    lines = [
        "General", "=" * 25,
        "%-40s%s" % ("Domain name:", name),
        "%-40s%s (%s)" % ("Owner's contact name:", pname, owner),
        "%-40s%s" % ("Domain status:", "OK"),
        "%-40s%s" % ("Creation date:", s.get("cr_date", "")),
        "%-40s%s" % ("Service plan:", "Default Domain"),
        "", "Hosting", "=" * 25,
        "%-40s%s" % ("FTP Login:", s.get("sysuser", "")),
        "%-40s%s" % ("System user:", s.get("sysuser", "")),
        "%-40s%s" % ("Domain root:", sim.vhost(name)),
        "%-40s%s" % ("Document root:", sim.www_root(name)),
        "%-40s%s" % ("Databases:", ", ".join(s.get("dbs", []))),
        "",
        "SUCCESS: Gathering information for '%s' complete" % name,
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


# `plesk bin NAME …` and `plesk ext NAME …`: later issues add their utilities here
# (fn(sim, args after NAME) -> exit status), e.g. "subdomain" and "wp-toolkit".
UTILITIES = {"pleskbackup": pleskbackup, "pleskrestore": pleskrestore,
             "subscription": subscription}
EXTENSIONS = {}


def _wptoolkit():
    sys.path.insert(0, os.path.join(os.path.dirname(psim.HERE), "wptoolkit"))


def wp_toolkit(sim, argv):
    """`plesk ext wp-toolkit ARGS`: the shared WP Toolkit simulator (tests/fakes/wptoolkit)."""
    _wptoolkit()
    import wpt
    return wpt.main(["wpt.py", "plesk", sim.dir] + argv)


def subdomain(sim, argv):
    """`plesk bin subdomain --create|--remove LABEL -domain PARENT` (tests/fakes/wptoolkit)."""
    _wptoolkit()
    import plesk_subdomain
    return plesk_subdomain.subdomain(sim.dir, argv)


UTILITIES["subdomain"] = subdomain
EXTENSIONS["wp-toolkit"] = wp_toolkit


def plesk(sim, argv):
    table = {"bin": UTILITIES, "ext": EXTENSIONS}.get(argv[0] if argv else "")
    if table is not None and len(argv) >= 2 and argv[1] in table:
        sim.log_request({"transport": "cli", "command": argv[1],
                         "argv": [psim.redact_word(a) for a in argv]})
        return table[argv[1]](sim, argv[2:])
    sim.log_request({"transport": "cli", "command": " ".join(argv[:2]),
                     "argv": [psim.redact_word(a) for a in argv]})
    if table is not None:
        return fail(1, "Unknown utility: %s" % (argv[1] if len(argv) > 1 else ""))
    return fail(1, "plesk: '%s' is not simulated" % " ".join(argv[:2]))


# ---- df ------------------------------------------------------------------------------------
def df(sim, argv):
    fault = sim.faults().get("df")
    return simdf.run(argv, int(fault.get("avail_bytes", 1 << 20))
                     if isinstance(fault, dict) else None)


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if len(sys.argv) < 3 or sys.argv[2] not in ("plesk", "df"):
        sys.stderr.write("usage: cli.py DIR plesk|df ARGS...\n")
        return 64
    sim = psim.Sim(sys.argv[1])
    if sys.argv[2] == "df":
        return df(sim, sys.argv[3:])
    return plesk(sim, sys.argv[3:])


if __name__ == "__main__":
    sys.exit(main())
