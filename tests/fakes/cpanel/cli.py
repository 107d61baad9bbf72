#!/usr/bin/env python3
"""The fake cPanel commands run over SSH: whmapi1, uapi, pkgacct, restorepkg, df.

The rig's bin directory holds one small sh wrapper per command:
    exec python3 .../cli.py DIR TOOL "$@"
so every command works on the same DIR/root as the HTTPS server.  See README.md.
"""

import json
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # simlib
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api  # noqa: E402
import cpsim  # noqa: E402
from simlib import df as simdf  # noqa: E402


def kv_args(words):
    params = {}
    for w in words:
        if "=" not in w:
            return None, w
        k, v = w.split("=", 1)
        params[urllib.parse.unquote(k)] = urllib.parse.unquote(v)
    return params, None


def yaml_dump(obj, indent=0):
    """A small YAML rendering (whmapi1's default output) for the shapes the simulator returns."""
    pad = "  " * indent
    out = []
    if isinstance(obj, dict):
        for k in sorted(obj):
            v = obj[k]
            if isinstance(v, (dict, list)) and v:
                out.append("%s%s:" % (pad, k))
                out.append(yaml_dump(v, indent + 1))
            else:
                out.append("%s%s: %s" % (pad, k, yaml_scalar(v)))
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, (dict, list)) and v:
                out.append("%s-" % pad)
                out.append(yaml_dump(v, indent + 1))
            else:
                out.append("%s- %s" % (pad, yaml_scalar(v)))
    return "\n".join(x for x in out if x != "")


def yaml_scalar(v):
    if v is None:
        return "~"
    if isinstance(v, (dict, list)):
        return "{}" if isinstance(v, dict) else "[]"
    if isinstance(v, bool):
        return "1" if v else "0"
    s = str(v)
    if s == "" or re.search(r"[:#\n'\"{}\[\]]|^\s|\s$", s):
        return "'" + s.replace("'", "''") + "'"
    return s


def emit(body, output):
    if output in ("json", "jsonpretty"):
        if output == "jsonpretty":
            body = json.dumps(json.loads(body), indent=3, ensure_ascii=False).encode("utf-8")
        sys.stdout.buffer.write(body + b"\n")
    else:
        try:
            obj = json.loads(body)
            sys.stdout.write("---\n" + yaml_dump(obj) + "\n")
        except ValueError:
            sys.stdout.buffer.write(body + b"\n")
    sys.stdout.flush()


def log(sim, tool, function, params, argv, extra=None):
    entry = {"transport": tool, "function": function, "params": cpsim.redact(params or {}),
             "argc": len(argv)}
    if extra:
        entry.update(extra)
    sim.log_request(entry)


def whmapi1(sim, argv):
    output, words = "yaml", []
    for a in argv:
        if a.startswith("--output="):
            output = a.split("=", 1)[1]
        elif a.startswith("--user="):
            pass
        elif a.startswith("--"):
            sys.stderr.write("whmapi1: unknown option %s\n" % a)
            return 2
        else:
            words.append(a)
    if not words:
        sys.stderr.write("usage: whmapi1 [--output=json] FUNCTION [key=value ...]\n")
        return 2
    function = words[0]
    params, bad = kv_args(words[1:])
    if params is None:
        sys.stderr.write("whmapi1: argument is not key=value: %s\n" % bad)
        return 2
    log(sim, "whmapi1", function, params, argv)
    fault = sim.take_api_fault(function, "whmapi1")
    if fault and fault.get("fault") == "garbage":
        sys.stdout.buffer.write(b"Can't locate Cpanel/JSON.pm in @INC\n")
        return 255
    _, body = api.Api(sim).whm(function, params, "whmapi1")
    emit(body, output)
    return 0


def uapi(sim, argv):
    output, user, words = "yaml", None, []
    for a in argv:
        if a.startswith("--output="):
            output = a.split("=", 1)[1]
        elif a.startswith("--user="):
            user = a.split("=", 1)[1]
        elif a.startswith("--"):
            sys.stderr.write("uapi: unknown option %s\n" % a)
            return 2
        else:
            words.append(a)
    if user is None:
        sys.stderr.write("uapi: root must pass --user\n")
        return 1
    if len(words) < 2:
        sys.stderr.write("usage: uapi --output=json --user=U Module function [key=value ...]\n")
        return 2
    params, bad = kv_args(words[2:])
    if params is None:
        sys.stderr.write("uapi: argument is not key=value: %s\n" % bad)
        return 2
    log(sim, "uapi", "%s::%s" % (words[0], words[1]), params, argv, {"auth_user": user})
    if api.match_sample("uapi", "%s::%s" % (words[0], words[1]), params) is None and \
            sim.read_user(user) is None:
        sys.stderr.write("uapi: The user “%s” does not exist.\n" % user)
        return 1
    _, body = api.Api(sim).uapi(user, words[0], words[1], params, "uapi")
    emit(body, output)
    return 0


def pkgacct(sim, argv):
    serialized, compress, words = False, True, []
    for a in argv:
        if a == "--serialized_output":
            serialized = True
        elif a in ("--nocompress",):
            compress = False
        elif a == "--compress":
            compress = True
        elif a.startswith("--skip") or a.startswith("--") and a.split("=")[0] in (
                "--split", "--incremental", "--use_backups", "--dbbackup", "--mysql",
                "--dbbackup_mysql", "--link_dest"):
            pass
        elif a.startswith("-"):
            sys.stderr.write("Unknown option: %s\n" % a.lstrip("-"))
            return 2
        else:
            words.append(a)
    if not words or len(words) > 3:
        sys.stderr.write("usage: pkgacct [options] USER [DEST] [backup|userbackup]\n")
        return 2
    params = {"user": words[0], "compressionsetting": "compress" if compress else "uncompressed"}
    if len(words) >= 2:
        params["tarroot"] = words[1]
    log(sim, "pkgacct", "pkgacct", params, argv)

    def out(text, kind="out"):
        if serialized:
            line = cpsim.dumps({"contents": "%s %s\n" % (cpsim.stamp(), text), "indent": 0,
                                "partial": 0, "pid": os.getpid(), "type": kind})
            sys.stdout.write(line + "\n")
        else:
            sys.stdout.write("%s %s\n" % (cpsim.stamp(), text))
        sys.stdout.flush()

    return sim.pkgacct_steps(params, out)


def restorepkg(sim, argv):
    force, newuser, words = False, None, []
    for a in argv:
        if a == "--force":
            force = True
        elif a.startswith("--newuser="):
            newuser = a.split("=", 1)[1]
        elif a in ("--skipaccount", "--allow_reseller", "--restricted", "--unrestricted",
                   "--shared_mysql_server") or a.split("=")[0] in (
                       "--ip", "--disable", "--mail_location", "--keep_local_cpuser_values"):
            pass
        elif a.startswith("-"):
            sys.stderr.write("Unknown option: %s\n" % a.lstrip("-"))
            return 2
        else:
            words.append(a)
    if len(words) != 1:
        sys.stderr.write("usage: restorepkg [options] FILE|USER\n")
        return 2
    path = words[0]
    if not os.path.isabs(path):
        found = None
        for d in (sim.p("home"), sim.p("root")):
            for name in ("cpmove-%s.tar.gz" % path, "cpmove-%s.tar" % path, path):
                cand = os.path.join(d, name)
                if os.path.isfile(cand):
                    found = cand
                    break
            if found:
                break
        if not found:
            sys.stderr.write('The system did not find an account archive for the user "%s" in '
                             "any of the possible locations.\n" % path)
            return 1
        path = found
    params = {"cpmovepath": path, "overwrite": "1" if force else "0"}
    if newuser:
        params["username"] = newuser
    log(sim, "restorepkg", "restorepkg", params, argv)
    tid = sim.start_restore(params)
    deadline = time.time() + cpsim.NEVER_ENDS_SECONDS + 60
    state = "PENDING"
    while time.time() < deadline:
        state = sim.transfer_state(tid)
        if state in ("COMPLETED", "FAILED", "ABORTED"):
            break
        time.sleep(0.1)
    tdir = sim.transfer_dir(tid)
    failed = state != "COMPLETED"
    for line in sim.read_text(os.path.join(tdir, "master.log")).splitlines():
        try:
            c = json.loads(line).get("contents", {})
        except ValueError:
            continue
        if isinstance(c, dict) and c.get("action") == "failed-item":
            failed = True
    for name in sorted(os.listdir(tdir)):
        if name.startswith("item-"):
            for line in sim.read_text(os.path.join(tdir, name)).splitlines():
                try:
                    sys.stdout.write(json.loads(line).get("contents", ""))
                except ValueError:
                    pass
    sys.stdout.write("Transfer session %s: %s\n" % (tid, state))
    return 1 if failed else 0


def df(sim, argv):
    fault = sim.faults().get("df")
    if not fault:
        return simdf.run(argv, None)
    return simdf.run(argv, int(fault.get("avail_bytes", 1 << 20)) if isinstance(fault, dict)
                     else 1 << 20)


def wp_toolkit(sim, argv):
    """`wp-toolkit ARGS`: the shared WP Toolkit simulator (tests/fakes/wptoolkit)."""
    sys.path.insert(0, os.path.join(os.path.dirname(cpsim.HERE), "wptoolkit"))
    import wpt
    return wpt.main(["wpt.py", "cpanel", sim.dir] + argv)


TOOLS = {"whmapi1": whmapi1, "uapi": uapi, "pkgacct": pkgacct, "restorepkg": restorepkg,
         "df": df, "wp-toolkit": wp_toolkit}


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in TOOLS:
        sys.stderr.write("usage: cli.py DIR whmapi1|uapi|pkgacct|restorepkg|df|wp-toolkit "
                         "ARGS...\n")
        return 64
    sim = cpsim.Sim(sys.argv[1])
    return TOOLS[sys.argv[2]](sim, sys.argv[3:])


if __name__ == "__main__":
    sys.exit(main())
