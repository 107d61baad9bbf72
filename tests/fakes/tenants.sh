#!/bin/sh
# The test tenants: the real Unix users the simulators create for their accounts and
# subscriptions (tests/fakes/simlib/README.md, "Tenants").  Must run as root.
#
#   tenants.sh list     every user whose comment is "jiku-agent test tenant", one a line
#   tenants.sh remove   delete them (userdel; their group too when it is left); nothing else.
#                       Run it when no simulator is running any more (scripts/test.sh ends with
#                       it): a simulator still running would lose its tenants.  Files they owned
#                       in left-over simulator directories keep the bare uid.
set -eu

comment='jiku-agent test tenant'
lock=/run/jiku-test-tenants.lock

usage() {
    echo "usage: $0 list|remove" >&2
    exit 64
}

tenants() {
    getent passwd | awk -F: -v c="$comment" '$5 == c { print $1 }'
}

[ $# -eq 1 ] || usage
case $1 in
list) tenants ;;
remove)
    if [ "$(id -u)" != 0 ]; then
        echo "tenants.sh: must run as root" >&2
        exit 77
    fi
    # under the simulators' creation lock, so no simulator adds a tenant meanwhile
    exec 9>>"$lock"
    flock 9
    for u in $(tenants); do
        userdel "$u" || :
        if getent group "$u" >/dev/null && [ -z "$(getent group "$u" | cut -d: -f4)" ]; then
            groupdel "$u" 2>/dev/null || true
        fi
    done
    left=$(tenants)
    if [ -n "$left" ]; then
        echo "tenants.sh: not removed: $left" >&2
        exit 1
    fi
    ;;
*) usage ;;
esac
