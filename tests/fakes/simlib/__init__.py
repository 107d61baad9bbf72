"""What the panel simulators (../cpanel, ../plesk) and the application simulators (../wptoolkit)
share: the HTTPS server (https.py), the sites' listener (web.py), DIR's faults.json and
requests.log (state.py), the fake df (df.py), the conformance tests' helpers (replay.py) and
sim.sh's start/stop scaffolding (sim-common.sh).

Python 3 standard library only: the fake commands run under the system python3 through the
sshd rig.  A script imports it by putting tests/fakes first on sys.path, as it already does
with its own directory.
"""
