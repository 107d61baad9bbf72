#!/usr/bin/env python3
"""Give a running cPanel simulator (tests/fakes/cpanel) N small accounts for the benchmark.

    seed_accounts.py SIMDIR N [PREFIX]

Accounts PREFIX01..PREFIXnn (default prefix "acct"), each with a tiny home (one page), a zone
and a one-row database, so that the simulator's pkgacct spends its time sleeping job_seconds
and not compressing: the benchmark measures the agent, not tar.  Uses the simulator's own
account code (cpsim.Sim.create_account), the same files a seeded account has.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "fakes", "cpanel"))
import cpsim  # noqa: E402


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write("usage: seed_accounts.py SIMDIR N [PREFIX]\n")
        return 64
    sim = cpsim.Sim(argv[1])
    n = int(argv[2])
    prefix = argv[3] if len(argv) == 4 else "acct"
    for i in range(1, n + 1):
        user = "%s%02d" % (prefix, i)
        domain = "%s.%s.example" % (user, sim.name)
        sim.create_account(user, domain)
        with open(os.path.join(sim.home(user), "public_html", "index.html"), "w") as f:
            f.write("<h1>%s</h1>\n" % domain)
        with open(os.path.join(sim.mysql_dir(), user + "_db.sql"), "w") as f:
            f.write("CREATE TABLE `items` (`id` int);\nINSERT INTO `items` VALUES (1);\n")
        print(user)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
