#!/bin/sh
# Build and pass every test: unit, policy golden files, plugin loader, integration (a real sshd
# and the HTTPS panel simulators on 127.0.0.1, started and stopped by the tests themselves),
# the packaging test, then the whole suite again under ASan/UBSan, the Criterion tests under
# valgrind memcheck (every child process's log checked) and a bounded fuzzing run.
# Needs root (sshd, dpkg -i); CI runs it as root.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

# The simulators' tenants are real Unix users (tests/fakes/simlib/README.md): remove them when
# the run ends, passed or not, once no simulator is left running.
trap 'sh "$top/tests/fakes/tenants.sh" remove' EXIT

"$top/scripts/build.sh"
(cd "$build" && ctest --output-on-failure --timeout 600 -j2)
"$top/scripts/package-test.sh"
"$top/scripts/sanitize.sh"
BUILD_DIR="$top/build-valgrind" "$top/scripts/valgrind.sh"
"$top/scripts/fuzz.sh" 15
echo "all tests passed"
