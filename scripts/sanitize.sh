#!/bin/sh
# The whole suite built with AddressSanitizer and UBSan: any leak, overflow or undefined
# behaviour in a test, in the binary it drives, or in a plugin fails the run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-asan}

"$top/scripts/deps.sh"
cmake -S "$top" -B "$build" -DJIKU_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1
export LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The simulators' conformance tests are Python; they test the doubles, not our code.
(cd "$build" && ctest --output-on-failure --timeout 900 -j2 -E '_conformance$')
echo "sanitizer suite passed"
