#!/bin/sh
# The repository describes itself: no tracked file outside docs/ may send a reader to the
# product brief or the vendor research notes the project was started from, which are not in
# the repository.  Comments and READMEs point at docs/WIRE.md, docs/ARCHITECTURE.md,
# docs/SECURITY.md, the man pages (packaging/man/) or tests/fakes/*/README.md instead.
# The patterns are bracketed so that this file does not match itself.
# usage: check_doc_refs.sh SOURCE_DIR   (exit 77 = skipped: not a git work tree)
set -eu
top=$1

if ! git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "$top is not a git work tree: nothing to check" >&2
    exit 77
fi
# Tracked files only (so a clean clone checks exactly what is committed), text only (-I).
hits=$(cd "$top" && git ls-files -z -- . ':(exclude)docs/' |
    xargs -0 grep -I -n -E 'SPEC[ ]§|SPEC[.]md|protocols[/]' -- || true)
if [ -n "$hits" ]; then
    printf '%s\n' "$hits" >&2
    n=$(printf '%s\n' "$hits" | wc -l)
    echo "$n line(s) above cite documents that are not in the repository; point them at" \
        "docs/WIRE.md, docs/ARCHITECTURE.md, docs/SECURITY.md, a man page or a simulator README" >&2
    exit 1
fi
echo "no tracked file outside docs/ cites a document outside the repository"
