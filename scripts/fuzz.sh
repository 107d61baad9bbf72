#!/bin/sh
# Build the libFuzzer targets (clang, ASan + UBSan) and run each for SECONDS (default 20)
# over a copy of its seed corpus.  Any crash, leak or sanitizer report fails the script.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-fuzz}
seconds=${1:-20}

"$top/scripts/deps.sh"
cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER=clang -DJIKU_FUZZ=ON -DJIKU_BUILD_TESTS=ON \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_config fuzz_policy fuzz_manifest fuzz_plesk fuzz_cpanel >/dev/null

work=$(mktemp -d /tmp/jiku-fuzzrun.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
for t in config policy manifest cpanel plesk; do
    mkdir -p "$work/$t"
    cp "$top/tests/fuzz/corpus/$t/"* "$work/$t/"
    echo "fuzz_$t: ${seconds}s"
    (cd "$work" && "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len=8192 \
        -print_final_stats=1 "$work/$t" 2>"$work/$t.log") ||
        { tail -n 40 "$work/$t.log"; exit 1; }
    grep -E '^stat::number_of_executed_units' "$work/$t.log" || true
done
echo "fuzzing passed"
