#!/bin/sh
# Configure and build into BUILD_DIR (default ./build) with warnings as errors.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
"$top/scripts/deps.sh"
cmake -S "$top" -B "$build" -DJIKU_WERROR=ON "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
