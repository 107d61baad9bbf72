#!/usr/bin/env python3
"""A configuration of N targets for the growth rows of bench/scale_config.sh.

usage: scale_config.py DIR N POLICY_DIR PLUGIN_DIR [probe]

Writes DIR/agent.conf (the [agent] and [retention] sections and N/100 servers, half cpanel,
half plesk), DIR/conf.d/NNNNN-cUSTOMER.conf (N/10 customer files of 10 targets each, tiers
low / medium / high in turn), and the files `config check` checks: one API token per server
and one SSH key (0600, in a 0700 directory), a known_hosts.  Every target has a nightly
snapshot, so that `nightly` plans N operations; the high customers book server.snapshot, as
examples/conf.d/30-highco.conf does, so that no nightly is denied.  With "probe", every
server is a cpanel one with only the core's keys, for bench/plan_probe.c (the nightly
planning row), which stands in for the cpanel plugin and has no keys of its own.

The configuration checks clean (0 errors, 0 warnings): scale_config.sh fails otherwise.
"""
import os
import sys


def main():
    if len(sys.argv) not in (5, 6) or sys.argv[5:] not in ([], ["probe"]):
        sys.exit("usage: scale_config.py DIR N POLICY_DIR PLUGIN_DIR [probe]")
    top, n = sys.argv[1], int(sys.argv[2])
    policy_dir, plugin_dir = sys.argv[3], sys.argv[4]
    probe = sys.argv[5:] == ["probe"]
    n_servers = max(1, n // 100)
    n_customers = max(1, n // 10)
    cred = os.path.join(top, "credentials")
    confd = os.path.join(top, "conf.d")
    state = os.path.join(top, "state")
    for d in (cred, state, os.path.join(top, "backups")):
        os.makedirs(d, mode=0o700, exist_ok=True)
        os.chmod(d, 0o700)
    os.makedirs(confd, exist_ok=True)

    def secret(name, text):
        path = os.path.join(cred, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
        return path

    key = secret("id_ed25519", "not a real key\n")
    known = os.path.join(top, "known_hosts")
    with open(known, "w") as f:
        f.write("")

    lines = [
        "[agent]",
        f"state_dir = {state}",
        f"backup_dir = {top}/backups",
        f"policy_dir = {policy_dir}",
        f"plugin_dir = {plugin_dir}",
        "max_parallel = 80",
        "lock_wait = 600",
        "log = stderr",
        "",
        "[retention]",
        "keep_last = 3",
        "keep_daily = 7",
        "",
    ]
    for s in range(n_servers):
        plesk = s % 2 == 1 and not probe
        tok = secret(f"s{s}.token", f"token-{s}\n")
        lines += [
            f"[server s{s}]",
            f"panel = {'plesk' if plesk else 'cpanel'}",
            "host = 127.0.0.1",
            f"api_token_file = {tok}",
            f"ssh_key = {key}",
            f"known_hosts = {known}",
            "max_parallel = 4",
        ]
        lines += [] if probe else ["snapshot_dir = /home/jiku-snapshots"]
        lines.append("")
    with open(os.path.join(top, "agent.conf"), "w") as f:
        f.write("\n".join(lines))

    tiers = ("low", "medium", "high")
    per = n // n_customers
    t = 0
    for c in range(n_customers):
        tier = tiers[c % 3]
        body = [
            f"# customer c{c}: {tier}",
            f"[customer c{c}]",
            f"tier = {tier}",
            f"contact = ops@c{c}.example",
        ]
        if tier == "high":
            body.append("server.snapshot = jiku")
        body.append("")
        for _ in range(per if c < n_customers - 1 else n - t):
            s = (t // 10) % n_servers
            plesk = s % 2 == 1 and not probe
            body += [
                f"[target c{c}/t{t}]",
                f"server = s{s}",
                f"kind = {'subscription' if plesk else 'account'}",
                f"account = {'t%d.c%d.example' % (t, c) if plesk else 'a%d' % t}",
                f"domain = t{t}.c{c}.example",
                "nightly = snapshot",
                "",
            ]
            t += 1
        with open(os.path.join(confd, f"{c:05d}-c{c}.conf"), "w") as f:
            f.write("\n".join(body))


if __name__ == "__main__":
    main()
