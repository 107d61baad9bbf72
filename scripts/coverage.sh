#!/bin/sh
# Branch and line coverage (gcovr) of the configuration, INI line reader, policy and exit-code
# code, from the unit tests and policy golden files.  Report in build-coverage/coverage.txt
# (and .html).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-coverage}

"$top/scripts/deps.sh"
cmake -S "$top" -B "$build" -DJIKU_COVERAGE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc)"
find "$build" -name '*.gcda' -delete
(cd "$build" &&
    ctest -R '^(test_config|test_ini_lines|test_policy|test_policy_golden|test_err|cli)$' \
        --output-on-failure)
gcovr --root "$top" --object-directory "$build" \
    --filter "$top/agent/config" --filter "$top/agent/ini_lines.c" \
    --filter "$top/agent/validate.c" --filter "$top/agent/policy.c" --filter "$top/agent/err.c" \
    --txt "$build/coverage.txt" --html-details "$build/coverage.html" --branches \
    --print-summary
cat "$build/coverage.txt"
