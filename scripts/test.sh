#!/bin/sh
# Build and pass every test: unit, policy golden files, plugin loader, integration (real
# sshd and HTTPS fakes on 127.0.0.1, started and stopped by the tests themselves), the
# packaging test.  Needs root (sshd, dpkg -i); CI runs it as root.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

"$top/scripts/build.sh"
(cd "$build" && ctest --output-on-failure --timeout 600 -j2)
"$top/scripts/package-test.sh"
echo "all tests passed"
