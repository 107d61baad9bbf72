#!/bin/sh
# The shipped units as systemd reads them (systemd-analyze verify, no running systemd needed):
# the nightly service, its timer, and the OnFailure= template instantiated as the nightly
# service names it, with ExecStart= pointing at the built binary.  Any complaint fails.
#
# usage: systemd_units_test.sh JIKU_AGENT UNIT_SOURCE_DIR
set -u
BIN=$1
SRC=$2
command -v systemd-analyze >/dev/null 2>&1 || { echo "no systemd-analyze; skipped"; exit 77; }
T=$(mktemp -d /tmp/jiku-units.XXXXXX)
trap 'rm -rf "$T"' EXIT
for f in "$SRC"/*.service "$SRC"/*.timer; do
    sed "s|/usr/bin/jiku-agent|$BIN|" "$f" >"$T/$(basename "$f")"
done
grep -qx 'OnFailure=jiku-agent-notify@%n.service' "$T/jiku-agent-nightly.service" ||
    { echo "FAIL: the nightly service has no OnFailure= notice"; exit 1; }
rc=0
SYSTEMD_UNIT_PATH="$T:" timeout 120 systemd-analyze verify --man=no \
    jiku-agent-nightly.service jiku-agent-nightly.timer \
    jiku-agent-notify@jiku-agent-nightly.service.service >"$T/out" 2>&1 || rc=$?
if [ "$rc" != 0 ] || [ -s "$T/out" ]; then
    echo "FAIL: systemd-analyze verify exited $rc:"
    sed 's/^/  | /' "$T/out"
    exit 1
fi
echo "systemd_units: verified"
