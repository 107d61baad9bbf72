#!/bin/sh
# Copy examples/ into DIR ready to use: the @EXAMPLE_DIR@, @POLICY_DIR@ and @PLUGIN_DIR@ of
# agent.conf filled in, the credentials made 0600 (secret files must not be readable by
# others), and the directories the agent writes created.  Then:
#   JIKU_AGENT_CONFIG=DIR/agent.conf jiku-agent config check
#
# usage: examples/setup.sh DIR [POLICY_DIR [PLUGIN_DIR]]
# POLICY_DIR and PLUGIN_DIR default to the installed package's; a source checkout passes its
# policies/ and the build's plugins/ (tests/unit/config/examples_test.sh does).
set -eu
[ $# -ge 1 ] && [ $# -le 3 ] || {
    echo "usage: $0 DIR [POLICY_DIR [PLUGIN_DIR]]" >&2
    exit 64
}
src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
dir=$(cd "$1" && pwd)
policies=${2:-/usr/share/jiku-agent/policies}
plugins=${3:-/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo .)/jiku-agent/plugins}
# the RPM's libdir, and a plain cmake --install's
[ $# -ge 3 ] || [ -d "$plugins" ] || plugins=/usr/lib64/jiku-agent/plugins
[ $# -ge 3 ] || [ -d "$plugins" ] || plugins=/usr/local/lib/jiku-agent/plugins

umask 022
mkdir -p "$dir/conf.d" "$dir/credentials" "$dir/state" "$dir/backups"
chmod 700 "$dir/credentials" "$dir/state" "$dir/backups"
sed -e "s|@EXAMPLE_DIR@|$dir|g" -e "s|@POLICY_DIR@|$policies|g" -e "s|@PLUGIN_DIR@|$plugins|g" \
    "$src/agent.conf" >"$dir/agent.conf"
cp "$src"/conf.d/*.conf "$dir/conf.d/"
cp "$src/known_hosts" "$dir/known_hosts"
for f in "$src"/credentials/*; do
    install -m 600 "$f" "$dir/credentials/"
done
echo "JIKU_AGENT_CONFIG=$dir/agent.conf jiku-agent config check"
