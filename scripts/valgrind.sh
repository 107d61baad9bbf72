#!/bin/sh
# Valgrind memcheck over the Criterion test executables: every unit test (tests/unit and each
# plugin's, tests/plugins/PANEL), the policy golden files (tests/policy) and the plugin loader and
# recorder tests (tests/plugins, which load the test plugins with dlopen).  Built without sanitizers in a build directory of its own
# (BUILD_DIR, default ./build-valgrind), Debug, so traces name our lines.
#
#   scripts/valgrind.sh [REGEX]     only the tests whose ctest name matches REGEX (grep -E)
#
# Criterion runs each test in a child process it forks and re-executes, and valgrind's exit code
# only reflects the process it started, never those children.  So every process writes its own
# log (--trace-children=yes, --log-file=DIR/vg.%p.log), and the run fails when any log's
# "ERROR SUMMARY: N errors" has N > 0 (each offending log is printed), when a test executable
# fails, or when one produced no error summary at all.  Leaks count only when definite.
# Programs the tests start that are not ours (sh, python3 and the fakes, openssl, sshd) are not
# traced.  Suppressions, each with its reason, are in tests/valgrind.supp (third-party
# libraries only).
#
# Before the tests, a self-test: a Criterion test that reads past a block and loses another
# must be caught in its child's log, or the run fails (nothing here may pass by seeing nothing).
#
# The integration executables (tests/integration/test_http, test_ssh) run only with
# VALGRIND_INTEGRATION=1: under valgrind's slowdown their wall-clock assertions fail (a retry
# that no longer fits its deadline, a cut that lands in the handshake, peak RSS), 3 of 36 and
# 3 of 28 tests; the other leaks there are libcurl's and libssh2's (tests/valgrind.supp) and what
# a test cut short by such a failure did not free.
#
# Measured on a 2-core Debian 12 machine shared with other builds (load average 5 to 10),
# valgrind 3.19, Criterion 2.4.1, Debug build:
#   24 executables, about 480 processes (each test is one): 981 s for the tests, 17.5 min
#   with the incremental build and the self-test; 10 min 53 s user + 53 s system CPU, so about
#   6 to 9 minutes on two idle cores.  A first run from an empty build directory: 17 min.
#   With VALGRIND_INTEGRATION=1: test_http 83 to 129 s, test_ssh 219 to 223 s more.
# scripts/test.sh (CI: 90 minutes, 2 cores; the rest of it takes about 15) can hold it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-valgrind}
only=${1:-.}

"$top/scripts/deps.sh"
if ! command -v valgrind >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "valgrind.sh: valgrind is missing (run as root to install it)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends valgrind >/dev/null
fi

cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DJIKU_SANITIZE=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"

logs=$build/valgrind-logs
rm -rf "$logs"
mkdir -p "$logs"

# "NAME EXECUTABLE" for each Criterion executable ctest knows under tests/ (shell and Python
# tests have an interpreter as their first word and are left out).
(cd "$build" && ctest --show-only=json-v1) | python3 -c '
import json, os, sys
build, integration = sys.argv[1], sys.argv[2] == "1"
for t in json.load(sys.stdin)["tests"]:
    exe = (t.get("command") or [""])[0]
    if not exe.startswith(build + "/tests/") or not os.access(exe, os.X_OK):
        continue
    with open(exe, "rb") as f:
        if f.read(4) != b"\x7fELF":
            continue
    if "/tests/fuzz/" in exe or ("/tests/integration/" in exe and not integration):
        continue
    print(t["name"], exe)
' "$build" "${VALGRIND_INTEGRATION:-0}" | grep -E -- "^($only)[^ ]* " >"$logs/tests" || :
[ -s "$logs/tests" ] || { echo "valgrind.sh: no test matches '$only'" >&2; exit 1; }

# memcheck NAME EXE: EXE --jobs 2 under memcheck, every process's log in $logs/NAME; sets rc (its
# exit status), summaries (how many processes wrote an error summary) and bad (the logs whose
# summary counts errors).
memcheck() {
    mkdir -p "$logs/$1"
    rc=0
    # Under valgrind a test runs 20-50 times slower; Criterion's own per-test timeouts still
    # apply, the whole executable gets an hour.
    (cd "$logs/$1" &&
        timeout 3600 valgrind --tool=memcheck --trace-children=yes \
            --trace-children-skip='/usr/bin/*,/bin/*,/usr/sbin/*,/sbin/*,*python*,*.sh' \
            --leak-check=full --errors-for-leak-kinds=definite --num-callers=40 \
            --suppressions="$top/tests/valgrind.supp" \
            --log-file="$logs/$1/vg.%p.log" "$2" --jobs 2 \
            >"$logs/$1/stdout" 2>"$logs/$1/stderr" </dev/null) || rc=$?
    bad=$(grep -l 'ERROR SUMMARY: [1-9]' "$logs/$1"/vg.*.log 2>/dev/null || :)
    summaries=$(cat "$logs/$1"/vg.*.log 2>/dev/null | grep -c 'ERROR SUMMARY:' || :)
}

# First, that this script sees what it is for: a Criterion test whose child reads past a block
# and loses another passes (exit 0) and its parent's log is clean, so only the child's log can
# tell.  A valgrind, Criterion or option change that hides it fails here, not silently later.
mkdir -p "$logs/selftest"
cat >"$logs/selftest/selftest.c" <<'C'
#include <criterion/criterion.h>
#include <stdlib.h>

static void __attribute__((noinline)) lose(void)
{
    volatile char *p = malloc(48);
    if (p != NULL)
        p[0] = 1;
}

Test(selftest, bad)
{
    volatile char *p = malloc(4);
    volatile char past;

    cr_assert_not_null(p);
    past = p[4]; /* one byte past the block */
    (void)past;
    free((void *)p);
    lose();
}
C
# shellcheck disable=SC2046 # pkg-config's words
cc -g -O0 -no-pie -o "$logs/selftest/selftest" "$logs/selftest/selftest.c" \
    $(pkg-config --cflags --libs criterion)
memcheck selftest "$logs/selftest/selftest"
# shellcheck disable=SC2086 # one log expected
if [ "$rc" != 0 ] || [ -z "$bad" ] || ! grep -q 'Invalid read of size 1' $bad ||
    ! grep -q 'definitely lost' $bad; then
    echo "valgrind.sh: memcheck did not report the self-test's errors in Criterion's child" \
        "(exit $rc, logs with errors: ${bad:-none}); see $logs/selftest" >&2
    exit 1
fi
echo "valgrind: self-test: the errors in Criterion's child were seen"

failed=""
started=$(date +%s)
while read -r name exe; do
    t0=$(date +%s)
    memcheck "$name" "$exe"
    echo "valgrind: $name: exit $rc, $summaries processes checked, $(($(date +%s) - t0)) s"
    if [ "$rc" != 0 ]; then
        echo "valgrind: $name failed under valgrind (exit $rc):"
        grep -E 'Assertion|crash|Timed out|Synthesis|SIGSEGV|SIGABRT' "$logs/$name/stderr" |
            head -40 | sed 's/^/  | /'
        failed="$failed $name"
    fi
    if [ "$summaries" = 0 ]; then
        echo "valgrind: $name: no process wrote an error summary"
        failed="$failed $name"
    fi
    for log in $bad; do
        echo "valgrind: $name: errors in $log:"
        sed 's/^/  | /' "$log"
        failed="$failed $name"
    done
done <"$logs/tests"

echo "valgrind: $(wc -l <"$logs/tests") executables in $(($(date +%s) - started)) s; logs in $logs"
if [ -n "$failed" ]; then
    # shellcheck disable=SC2086 # one word per failed test
    echo "valgrind: FAILED:$(printf '%s\n' $failed | sort -u | tr '\n' ' ')" >&2
    exit 1
fi
echo "valgrind memcheck passed"
