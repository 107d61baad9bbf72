#!/bin/sh
# Slow wrappers for the hostile-tenant rig (README.md beside this file): commands on a fake
# server's PATH that sleep a little before they run, so that the tenant's watcher wins its race
# every time instead of now and then.
#
#   slow.sh install BINDIR CONF NAME...   BINDIR/NAME for each NAME: reads CONF at each run and,
#                                         when its arguments match, sleeps, then execs the real
#                                         /usr/bin/NAME or /bin/NAME (resolved now, never from
#                                         PATH: no wrapper can call itself)
#   slow.sh set CONF SECONDS [EREGEX]     from now on, sleep SECONDS before every wrapped command
#                                         whose arguments (joined by spaces) match EREGEX (all of
#                                         them without one)
#   slow.sh off CONF                      no sleeping
#
# BINDIR is the first directory of the sessions' PATH (a simulator's DIR/ssh/bin).  An existing
# BINDIR/NAME that is not one of these wrappers (a simulator's own guard) is left alone: exit 3.
# Each delayed run appends "TIME PID uid=UID NAME ARGS" to CONF.log when it can (a command run
# as a tenant cannot write there, and runs anyway).  POSIX sh.
set -eu

usage() {
    echo "usage: $0 install BINDIR CONF NAME... | set CONF SECONDS [EREGEX] | off CONF" >&2
    exit 64
}

MARK='# jiku hostile-tenant slow wrapper'

install_one() { # BINDIR CONF NAME
    real=
    for d in /usr/bin /bin /usr/sbin /sbin; do
        if [ -x "$d/$3" ] && [ ! -d "$d/$3" ]; then
            real=$d/$3
            break
        fi
    done
    [ -n "$real" ] || { echo "slow.sh: no $3 in /usr/bin or /bin" >&2; exit 1; }
    if [ -e "$1/$3" ] && ! grep -qF "$MARK" "$1/$3"; then
        echo "slow.sh: $1/$3 exists and is not a slow wrapper; left alone" >&2
        exit 3
    fi
    cat >"$1/$3.tmp" <<EOF
#!/bin/sh
$MARK (tests/fakes/hostile/slow.sh)
conf='$2'
if [ -r "\$conf" ] && read -r secs re <"\$conf" 2>/dev/null; then
    case \$secs in '' | *[!0-9.]* | 0) secs= ;; esac
    if [ -n "\$secs" ] && { [ -z "\${re:-}" ] || printf '%s\\n' "\$*" | grep -Eq -- "\$re"; }; then
        printf '%s %s uid=%s $3 %s\\n' "\$(date +%s.%N)" "\$\$" "\$(id -u)" "\$*" \\
            >>"\$conf.log" 2>/dev/null || :
        sleep "\$secs"
    fi
fi
exec '$real' "\$@"
EOF
    chmod 755 "$1/$3.tmp"
    mv -f "$1/$3.tmp" "$1/$3"
}

[ $# -ge 2 ] || usage
case $1 in
install)
    [ $# -ge 4 ] || usage
    bindir=$2 conf=$3
    shift 3
    case $conf in /*) ;; *) echo "slow.sh: CONF must be absolute" >&2; exit 64 ;; esac
    [ -d "$bindir" ] || { echo "slow.sh: no directory $bindir" >&2; exit 1; }
    [ -e "$conf" ] || echo 0 >"$conf"
    chmod 644 "$conf"
    for name in "$@"; do
        case $name in '' | */* | .*) usage ;; esac
        install_one "$bindir" "$conf" "$name"
    done
    ;;
set)
    if [ $# -lt 3 ] || [ $# -gt 4 ]; then usage; fi
    case $3 in '' | *[!0-9.]*) usage ;; esac
    printf '%s %s\n' "$3" "${4:-}" >"$2.tmp" && mv -f "$2.tmp" "$2"
    ;;
off)
    [ $# -eq 2 ] || usage
    echo 0 >"$2.tmp" && mv -f "$2.tmp" "$2"
    ;;
*) usage ;;
esac
