#!/bin/sh
# Every function a plugin may call -- the ones declared in include/jiku/*.h -- must be in the
# binary's dynamic symbol table.  ENABLE_EXPORTS exports what is linked, but an object of the
# static jiku_core is linked only when the core itself refers to it; this catches a public
# function the core stopped using (a plugin calling it would then fail to load).
# usage: check_exports.sh NM BINARY INCLUDE_DIR
set -eu
nm=$1
bin=$2
incdir=$3

exported=$("$nm" -D --defined-only "$bin" | awk '{ print $3 }')
public=$(grep -ohE '\bjiku_[a-z0-9_]+\(' "$incdir"/*.h | tr -d '(' | sort -u)
[ -n "$public" ] || { echo "no public functions found in $incdir" >&2; exit 1; }
missing=0
for f in $public; do
    if ! printf '%s\n' "$exported" | grep -qx "$f"; then
        echo "$bin does not export $f" >&2
        missing=1
    fi
done
exit $missing
