#!/bin/sh
# The binary's dynamic symbol table is the plugin ABI, both ways:
#  - every function include/jiku/*.h declares is exported: a plugin calling a missing one would
#    fail to load;
#  - no other jiku_* or plug_* symbol is: each would widen the ABI behind the headers' back.
# The declarations come from the compiler (gcc -aux-info), not from the regular expression that
# generates the dynamic list (agent/dynamic_list.cmake), so that one cannot vouch for itself.
# usage: check_exports.sh CC NM BINARY INCLUDE_ROOT   (INCLUDE_ROOT holds jiku/*.h)
set -eu
cc=$1
nm=$2
bin=$3
root=$(cd "$4" && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for h in "$root"/jiku/*.h; do
    printf '#include "jiku/%s"\n' "${h##*/}"
done >"$tmp/all.c"
"$cc" -std=c11 -D_GNU_SOURCE -I"$root" -fsyntax-only -aux-info "$tmp/aux" "$tmp/all.c"

# Lines read: /* /root/jiku/buf.h:22:NC */ extern void jiku_buf_init (struct jiku_buf *);
grep -F "/* $root/jiku/" "$tmp/aux" | sed 's|^/\*[^*]*\*/ *||' | grep -v '^static ' |
    sed 's/ (.*//; s/.*[ *]//' | sort -u >"$tmp/declared"
[ -s "$tmp/declared" ] || { echo "no function declarations found in $root/jiku" >&2; exit 1; }
"$nm" -D --defined-only "$bin" | awk '{ print $3 }' | sort -u >"$tmp/exported"

status=0
for f in $(comm -23 "$tmp/declared" "$tmp/exported"); do
    echo "$bin does not export $f, which include/jiku declares" >&2
    status=1
done
for f in $(comm -13 "$tmp/declared" "$tmp/exported" | grep -E '^(jiku|plug)_' || true); do
    echo "$bin exports $f, which include/jiku does not declare" >&2
    status=1
done
[ $status -ne 0 ] || echo "$bin exports the $(wc -l <"$tmp/declared") functions of include/jiku, nothing else"
exit $status
