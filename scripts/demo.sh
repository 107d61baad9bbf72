#!/bin/sh
# The main job against the bundled example configuration: the responsibility matrix of three
# customers (one per tier), a config check, decisions explained, and a dry-run nightly.
# Installs its Debian packages and builds the agent first.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

"$top/scripts/deps.sh"
cmake -S "$top" -B "$build" -DJIKU_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target jiku-agent >/dev/null
bin="$build/agent/jiku-agent"

work=$(mktemp -d /tmp/jiku-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
cp -R "$top/examples/." "$work/"
for f in "$work/agent.conf" "$work"/conf.d/*.conf; do
    sed -i -e "s|@EXAMPLE_DIR@|$work|g" -e "s|@POLICY_DIR@|$top/policies|g" "$f"
done
chmod 700 "$work/credentials"
chmod 600 "$work"/credentials/*

# Show each command, run it, show its exit code; a denial (77) is part of the story.
run() {
    printf '\n$ jiku-agent %s\n' "$*"
    rc=0
    "$bin" -c "$work/agent.conf" --actor demo "$@" || rc=$?
    printf '(exit %d)\n' "$rc"
    return 0
}

run config check
run policy show lowco
run policy show acme
run policy show highco
run policy explain acme application.stage
run policy explain acme server.clone
run policy check
run --dry-run nightly
run history
