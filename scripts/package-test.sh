#!/bin/bash
# Packaging test (jiku-agent(8), FILES): build the .deb and .rpm packages from a scratch copy of the tree,
# lint them, install the .debs, run their smoke tests (packaging/debian/tests, among them a new
# administrator's first run against the cPanel simulator of tests/fakes), check what the install
# put where and that the agent runs from it, purge, and check that nothing is left behind but
# the backup store; then check the contents and scriptlets of the .rpms and rpmlint them.
#
# Needs root (dpkg -i) on Debian 12.  Installs its own build dependencies with apt-get.
# Leaves the machine as it found it, apart from those build dependencies: the packages are
# purged on every exit, and an existing /etc/jiku-agent or /var/lib/jiku-agent is moved aside
# and put back.  Refuses to run where jiku-agent is installed by anything but this test.
#
# Prints PASS/FAIL/SKIP per check and "package-test: N passed, M failed" last; exits 1 on any
# failure.  JIKU_PKG_KEEP=1 keeps the scratch directory for inspection.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=""
LOG=""
MARKER=/var/tmp/jiku-agent-package-test.installed
SAVED=""
PKGS_INSTALLED=0
npass=0
nfail=0

pass() {
    npass=$((npass + 1))
    printf 'PASS %s\n' "$1"
}

fail() {
    nfail=$((nfail + 1))
    printf 'FAIL %s\n' "$1"
    if [ -n "${2:-}" ] && [ -s "$2" ]; then
        tail -n 30 "$2" | sed 's/^/    | /'
    fi
}

skip() {
    printf 'SKIP %s\n' "$1"
}

# check NAME CMD...: PASS when CMD succeeds; its output is shown on failure.
check() {
    local name=$1
    shift
    if "$@" >"$LOG" 2>&1; then
        pass "$name"
    else
        fail "$name" "$LOG"
    fi
}

purge_all() {
    local p present=()
    for p in jiku-agent-plugin-cpanel jiku-agent-plugin-plesk jiku-agent; do
        if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv '^unknown ok not-installed'; then
            present+=("$p")
        fi
    done
    if [ ${#present[@]} -gt 0 ]; then
        dpkg --purge "${present[@]}" >/dev/null 2>&1 || true
    fi
}

cleanup() {
    local rc=$?
    if [ "$PKGS_INSTALLED" = 1 ]; then
        purge_all
        # what this test itself put in the backup store
        rm -rf /var/lib/jiku-agent/backups/pkgtest
        rmdir /var/lib/jiku-agent/backups /var/lib/jiku-agent 2>/dev/null || true
    fi
    if ! dpkg-query -W -f='${Status}' jiku-agent 2>/dev/null | grep -q 'ok installed'; then
        rm -f "$MARKER"
    fi
    if [ -n "$SAVED" ]; then
        local d restored=1
        for d in /etc/jiku-agent /var/lib/jiku-agent; do
            if [ -e "$SAVED$d" ]; then
                if [ -e "$d" ] || ! mv "$SAVED$d" "$d"; then
                    echo "package-test: could not put $d back: it is in $SAVED$d" >&2
                    restored=0
                fi
            fi
        done
        [ $restored = 1 ] && rm -rf "$SAVED"
    fi
    if [ -n "$TMP" ] && [ "${JIKU_PKG_KEEP:-0}" != 1 ]; then
        rm -rf "$TMP"
    elif [ -n "$TMP" ]; then
        echo "kept $TMP"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

finish() {
    printf 'package-test: %d passed, %d failed\n' "$npass" "$nfail"
    [ "$nfail" -eq 0 ] && exit 0
    exit 1
}

# --- preconditions ----------------------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
    echo "package-test: needs root (it installs and purges the .deb)" >&2
    exit 1
fi
# Set while the test's packages are installed: a run killed in that window (say, at the end of
# a session) leaves it, and the next run may then purge the leftover instead of refusing.
if dpkg-query -W -f='${Status}' jiku-agent 2>/dev/null | grep -qv '^unknown ok not-installed'; then
    if [ -e "$MARKER" ]; then
        echo "package-test: purging the packages an interrupted package test left installed"
        purge_all
        rm -rf /var/lib/jiku-agent/backups/pkgtest
        rmdir /var/lib/jiku-agent/backups /var/lib/jiku-agent 2>/dev/null
        rm -f "$MARKER"
    else
        echo "package-test: jiku-agent is installed here; this test would purge it: not running" >&2
        exit 1
    fi
fi
rm -f "$MARKER"

# Purging the test package removes /etc/jiku-agent and the state in /var/lib/jiku-agent: what
# is there already (a developer's own runs) is moved aside and put back at the end.
SAVED=""
for d in /etc/jiku-agent /var/lib/jiku-agent; do
    if [ -e "$d" ]; then
        [ -n "$SAVED" ] || SAVED=$(mktemp -d /var/tmp/jiku-pkgtest-saved.XXXXXX)
        echo "package-test: moving $d aside to $SAVED while the test runs"
        mkdir -p "$SAVED$(dirname "$d")"
        mv "$d" "$SAVED$d"
    fi
done

TMP=$(mktemp -d /tmp/jiku-pkgtest.XXXXXX)
LOG=$TMP/check.log

# --- build dependencies -----------------------------------------------------------------------
DEPS=(dpkg-dev debhelper lintian rpm rpmlint fakeroot scdoc cmake pkgconf man-db bsdextrautils
      systemd libcurl4-openssl-dev libssh2-1-dev libxml2-dev libjansson-dev libinih-dev
      libsqlite3-dev libssl-dev libcriterion-dev
      openssh-client openssh-server openssh-sftp-server openssl python3 iproute2)
missing=()
for p in "${DEPS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing build dependencies: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get -o DPkg::Lock::Timeout=600 update -qq &&
           apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
               "${missing[@]}"; } >"$LOG" 2>&1; then
        fail "install build dependencies" "$LOG"
        finish
    fi
fi
pass "build dependencies installed"

# --- scratch copy of the tree -----------------------------------------------------------------
VERSION=$(sed -n 's/^project(jiku-agent VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
SRC=$TMP/jiku-agent-$VERSION
mkdir -p "$SRC"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # the work tree as it is: committed, changed and new files, not ignored ones
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
        tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$SRC"
else
    tar -C "$ROOT" --exclude='./build*' --exclude=./debian --exclude=./.git -cf - . |
        tar -xf - -C "$SRC"
fi
# a pristine copy for the RPM source tarball, before debian/ and build trees appear
tar -C "$TMP" -czf "$TMP/jiku-agent-$VERSION.tar.gz" "jiku-agent-$VERSION"
cp -a "$SRC/packaging/debian" "$SRC/debian"

DEB_VERSION=$(cd "$SRC" && dpkg-parsechangelog -S Version)
RPM_VERSION=$(sed -n 's/^Version:[[:space:]]*//p' "$SRC/packaging/rpm/jiku-agent.spec")
if [ -n "$VERSION" ] && [ "$DEB_VERSION" = "$VERSION" ] && [ "$RPM_VERSION" = "$VERSION" ]; then
    pass "versions agree: CMake, debian/changelog, spec ($VERSION)"
else
    echo "CMake '$VERSION', debian/changelog '$DEB_VERSION', spec '$RPM_VERSION'" >"$LOG"
    fail "versions agree: CMake, debian/changelog, spec" "$LOG"
fi

# A plugin package is built once its source exists (plugins/NAME/CMakeLists.txt).
PROFILES=()
RPM_WITHOUT=()
EXPECTED=(jiku-agent)
for p in cpanel plesk; do
    if [ -f "$SRC/plugins/$p/CMakeLists.txt" ]; then
        EXPECTED+=("jiku-agent-plugin-$p")
    else
        PROFILES+=("pkg.jiku-agent.no$p")
        RPM_WITHOUT+=(--without "$p")
        skip "jiku-agent-plugin-$p: no plugins/$p source yet, package not built"
    fi
done

MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
PLUGIN_DIR=/usr/lib/$MULTIARCH/jiku-agent/plugins
JOBS=$(nproc 2>/dev/null || echo 2)
[ "$JOBS" -gt 2 ] && JOBS=2

# --- .deb: build --------------------------------------------------------------------------------
DEB_OK=0
if (cd "$SRC" && DEB_BUILD_PROFILES="${PROFILES[*]}" \
        dpkg-buildpackage -us -uc -b -j"$JOBS") >"$TMP/deb-build.log" 2>&1; then
    pass "dpkg-buildpackage -us -uc -b (profiles: ${PROFILES[*]:-none})"
    DEB_OK=1
else
    fail "dpkg-buildpackage -us -uc -b" "$TMP/deb-build.log"
fi

if [ "$DEB_OK" = 1 ]; then
    if grep -Eq '^[0-9]+% tests passed' "$TMP/deb-build.log"; then
        grep -E '^[0-9]+% tests passed|^Total Test time' "$TMP/deb-build.log" | sed 's/^/    /'
        pass "unit tests ran in the package build"
    else
        skip "unit tests in the package build: no tests/unit/test_*.c yet"
    fi

    built=$(cd "$TMP" && ls -- *.deb | sed 's/_.*//' | grep -v -- '-dbgsym$' | sort | tr '\n' ' ')
    want=$(printf '%s\n' "${EXPECTED[@]}" | sort | tr '\n' ' ')
    if [ "$built" = "$want" ]; then
        pass "built exactly: $built"
    else
        echo "built '$built', expected '$want'" >"$LOG"
        fail "built packages" "$LOG"
    fi

    # Lintian: no errors, no warnings (justified ones are overridden in debian/*.lintian-overrides).
    changes=$(ls "$TMP"/jiku-agent_*.changes | head -n 1)
    if lintian --fail-on error,warning --display-info "$changes" >"$TMP/lintian.log" 2>&1; then
        pass "lintian: no errors or warnings ($(grep -c '^I: ' "$TMP/lintian.log") info tags)"
    else
        fail "lintian" "$TMP/lintian.log"
    fi

    CORE_DEB=$(ls "$TMP"/jiku-agent_*.deb)
    PLUGIN_DEBS=()
    for p in "${EXPECTED[@]:1}"; do
        PLUGIN_DEBS+=("$(ls "$TMP/${p}"_*.deb)")
    done

    dpkg-deb -c "$CORE_DEB" >"$TMP/core.contents"
    contents_has() { # MODE PATH
        awk -v m="$1" -v p="./$2" '$1 == m && ($6 == p || $6 == p "/") { f = 1 } END { exit !f }' \
            "$TMP/core.contents"
    }
    check "deb: /usr/bin/jiku-agent 0755" contents_has -rwxr-xr-x usr/bin/jiku-agent
    check "deb: /etc/jiku-agent/credentials 0700" contents_has drwx------ etc/jiku-agent/credentials
    check "deb: /var/lib/jiku-agent 0700" contents_has drwx------ var/lib/jiku-agent
    check "deb: /etc/cron.d/jiku-agent 0644" contents_has -rw-r--r-- etc/cron.d/jiku-agent
    for f in lib/systemd/system/jiku-agent-nightly.service \
             lib/systemd/system/jiku-agent-nightly.timer \
             usr/share/man/man8/jiku-agent.8.gz usr/share/man/man5/jiku-agent.conf.5.gz \
             usr/share/jiku-agent/policies/low.policy usr/share/jiku-agent/policies/medium.policy \
             usr/share/jiku-agent/policies/high.policy; do
        check "deb: /$f" contents_has -rw-r--r-- "$f"
    done

    mkdir -p "$TMP/ctl"
    dpkg-deb -e "$CORE_DEB" "$TMP/ctl"
    conffiles_ok() {
        local c
        for c in /etc/jiku-agent/agent.conf /etc/jiku-agent/conf.d/example.conf.sample \
                 /etc/cron.d/jiku-agent; do
            grep -qx "$c" "$TMP/ctl/conffiles" || { echo "not a conffile: $c"; return 1; }
        done
    }
    check "deb: conffiles agent.conf, conf.d/example.conf.sample, cron.d/jiku-agent" conffiles_ok

    # The generated maintainer scripts: the timer enabled and started, the service never
    # started, restarted or stopped by an install or upgrade.
    maint_ok() {
        local s=$TMP/ctl f
        grep -q "deb-systemd-helper enable 'jiku-agent-nightly.timer'" "$s/postinst" ||
            { echo "postinst does not enable the timer"; return 1; }
        grep -q "deb-systemd-invoke \$_dh_action 'jiku-agent-nightly.timer'" "$s/postinst" ||
            { echo "postinst does not start the timer"; return 1; }
        for f in preinst postinst prerm postrm; do
            if [ -f "$s/$f" ] && grep -n "jiku-agent-nightly.service" "$s/$f"; then
                echo "$f acts on the service"
                return 1
            fi
        done
        grep -q "deb-systemd-helper purge 'jiku-agent-nightly.timer'" "$s/postrm" ||
            { echo "postrm does not purge the timer's enablement state"; return 1; }
        grep -q 'rm -rf /etc/jiku-agent' "$s/postrm" || { echo "postrm keeps /etc"; return 1; }
    }
    check "deb: maintscripts enable and start the timer, never touch the service" \
        maint_ok

    for i in "${!PLUGIN_DEBS[@]}"; do
        pd=${PLUGIN_DEBS[$i]}
        name=$(dpkg-deb -f "$pd" Package)
        dep_ok() {
            dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/^ *//' |
                grep -qx "jiku-agent (= $DEB_VERSION)"
        }
        check "deb: $name depends on jiku-agent (= $DEB_VERSION)" dep_ok "$pd"
        so=${name#jiku-agent-plugin-}.so
        check "deb: $name ships $PLUGIN_DIR/$so" \
            sh -c "dpkg-deb -c '$pd' | grep -q ' \\.$PLUGIN_DIR/$so\$'"
    done
fi

# --- .deb: install, run, purge --------------------------------------------------------------
# The smoke tests of debian/tests/control, run as autopkgtest would run them on a testbed where
# the packages are installed: from the top of the source tree, as root, each with its own
# AUTOPKGTEST_TMP, and failed by output on standard error unless it allows it.  autopkgtest
# itself needs a testbed (a VM, a container, or this machine with its null runner) and the
# packages from an archive it can reach; offline here, this loop stands in for its runner.
run_smoke_tests() {
    local name restrictions rc adt
    awk 'BEGIN { RS = "" }
         { gsub(/(^|\n)#[^\n]*/, ""); gsub(/\n[ \t]+/, " ")
           t = ""; r = ""; n = split($0, l, "\n")
           for (i = 1; i <= n; i++) {
               if (l[i] ~ /^Tests:/) t = substr(l[i], 7)
               if (l[i] ~ /^Restrictions:/) r = substr(l[i], 14)
           }
           gsub(/[ ,]+/, " ", r); sub(/^ /, "", r); split(t, ts, /[ ,]+/)
           for (i in ts) if (ts[i] != "") print ts[i] "\t" r }' \
        "$SRC/debian/tests/control" >"$TMP/smoke-tests"
    if [ ! -s "$TMP/smoke-tests" ]; then
        echo "no Tests: in debian/tests/control" >"$LOG"
        fail "debian/tests/control" "$LOG"
        return
    fi
    while IFS=$'\t' read -r name restrictions; do
        adt=$(mktemp -d "$TMP/adt-$name.XXXXXX")
        rc=0
        (cd "$SRC" && AUTOPKGTEST_TMP=$adt timeout 900 "debian/tests/$name") \
            >"$adt.out" 2>"$adt.err" </dev/null || rc=$?
        cat "$adt.out" "$adt.err" >"$LOG"
        if [ $rc != 0 ]; then
            echo "exit status $rc" >>"$LOG"
            fail "debian/tests/$name" "$LOG"
        elif [ -s "$adt.err" ] && ! grep -qw allow-stderr <<<"$restrictions"; then
            echo "output on standard error, and no Restrictions: allow-stderr" >>"$LOG"
            fail "debian/tests/$name" "$LOG"
        else
            pass "debian/tests/$name${restrictions:+ ($restrictions)}"
        fi
    done <"$TMP/smoke-tests"
}

run_installed_checks() {
    PKGS_INSTALLED=1
    : >"$MARKER"
    check "dpkg -i ${EXPECTED[*]}" dpkg -i "$CORE_DEB" "${PLUGIN_DEBS[@]}"
    if ! dpkg-query -W -f='${Status}' jiku-agent 2>/dev/null | grep -q 'install ok installed'; then
        return
    fi
    # a second install of the same version runs the upgrade paths of the maintainer scripts
    check "dpkg -i again (upgrade path of the maintainer scripts)" \
        dpkg -i "$CORE_DEB" "${PLUGIN_DEBS[@]}"

    run_smoke_tests
    check "jiku-agent config check (shipped agent.conf, as installed)" \
        /usr/bin/jiku-agent config check
    check "jiku-agent config show names the package's plugin_dir $PLUGIN_DIR" \
        sh -c "/usr/bin/jiku-agent config show | grep -E '^plugin_dir *= *$PLUGIN_DIR\$'"

    install -m 0644 /dev/stdin /etc/jiku-agent/conf.d/50-test.conf <<'EOF'
# written by scripts/package-test.sh
[customer example]
tier = medium
contact = ops@example.invalid
application.stage = jiku
EOF
    check "jiku-agent config check (with conf.d/50-test.conf)" /usr/bin/jiku-agent config check
    policy_ok() {
        local out
        out=$(/usr/bin/jiku-agent policy show example) || return 1
        printf '%s\n' "$out"
        grep -q 'server.snapshot' <<<"$out" &&
            grep -q 'application.stage' <<<"$out" &&
            grep -q '50-test.conf' <<<"$out"
    }
    check "jiku-agent policy show example (matrix with the override's source)" policy_ok
    check "jiku-agent policy explain example server.snapshot (allowed, exit 0)" \
        /usr/bin/jiku-agent policy explain example server.snapshot
    explain_denied() {
        /usr/bin/jiku-agent policy explain example application.update
        [ $? -eq 77 ]
    }
    check "jiku-agent policy explain example application.update (open: denied, exit 77)" \
        explain_denied

    # systemd: no systemd as PID 1 is needed for these.
    local units=/lib/systemd/system
    check "timer and service unit files installed" \
        test -f $units/jiku-agent-nightly.timer -a -f $units/jiku-agent-nightly.service
    check "timer enabled (timers.target.wants symlink)" \
        test "$(readlink /etc/systemd/system/timers.target.wants/jiku-agent-nightly.timer)" = \
        "$units/jiku-agent-nightly.timer"
    check "service not enabled by itself" \
        sh -c '! find /etc/systemd/system -name jiku-agent-nightly.service | grep -q .'
    verify_ok() {
        local out
        out=$(systemd-analyze verify $units/jiku-agent-nightly.service \
              $units/jiku-agent-nightly.timer 2>&1)
        local rc=$?
        printf '%s\n' "$out"
        [ $rc -eq 0 ] && ! grep -q 'jiku-agent' <<<"$out"
    }
    check "systemd-analyze verify (both units, installed)" verify_ok
    if score=$(systemd-analyze security --offline=yes $units/jiku-agent-nightly.service 2>/dev/null |
               sed -n 's/.*Overall exposure level for [^:]*: //p'); then
        echo "    systemd-analyze security: $score"
    fi

    cron_ok() {
        local f=/etc/cron.d/jiku-agent
        grep -Eq '^#.* root test -x /usr/bin/jiku-agent && /usr/bin/jiku-agent --actor cron nightly$' "$f" ||
            { echo "no commented, guarded example line"; return 1; }
        if grep -Ev '^[[:space:]]*(#|$|[A-Z_]+=)' "$f"; then
            echo "active lines in the cron file"
            return 1
        fi
    }
    check "/etc/cron.d/jiku-agent: commented guarded line only" cron_ok
    check "bash completion installed by dh_bash-completion" \
        test -s /usr/share/bash-completion/completions/jiku-agent

    # man_ok SECTION PAGE WORD...: mentions every WORD; a WORD "line:X" must be a whole line
    # (an exit status heading).  That it renders without warnings is the man smoke test's.
    man_ok() {
        local sec=$1 page=$2 text w missing=""
        shift 2
        text=$(LC_ALL=C MANWIDTH=200 man "$sec" "$page" 2>/dev/null | col -b)
        for w in "$@"; do
            case $w in
            line:*)
                grep -Eq "^[[:space:]]*${w#line:}[[:space:]]*\$" <<<"$text" ||
                    missing="$missing '${w#line:}'"
                ;;
            *) grep -qF -- "$w" <<<"$text" || missing="$missing '$w'" ;;
            esac
        done
        [ -z "$missing" ] || { echo "$sec $page does not mention:$missing"; return 1; }
    }
    check "man jiku-agent: every command, global option and exit code" man_ok \
        8 jiku-agent nightly snapshot backup rollback stage unstage promote clone list prune \
        pin unpin verify history "audit verify" "catalog rebuild" "policy show" \
        "policy explain" "policy check" "config check" "config show" "servers check" \
        "servers trust" "servers fingerprint" help complete discover plugins --customer --all --to --exact --merge --yes \
        --domain --server --as --target --since --head --fingerprint \
        -c --config --json -n --dry-run -q --quiet -v --verbose --actor --lock-wait \
        --version --help JIKU_AGENT_CONFIG \
        line:0 line:1 line:3 line:64 line:65 line:66 line:69 line:74 line:75 line:76 line:77 \
        line:78 line:130
    check "man jiku-agent.conf: every section and key" man_ok \
        5 jiku-agent.conf "[agent]" "[retention]" "[server" "[customer" "[target" \
        state_dir backup_dir policy_dir plugin_dir max_parallel lock_wait connect_timeout \
        retry_deadline log metrics_file ping_url keep_last keep_daily keep_weekly \
        keep_monthly keep_safety keep_on_server panel host api_port api_user api_token_file \
        api_password_file ca_file pinned_pubkey ssh_port ssh_user ssh_key known_hosts \
        timeout poll_max strict_warnings snapshot_dir dump_dir plesk_backup softaculous_port \
        tier contact server kind account domain path staging_domain promote_db nightly \
        "[a-z0-9][a-z0-9-]{0,62}" "^[a-z][a-z0-9]{0,15}$"

    # --- purge: everything goes except a non-empty backup store ---------------------------------
    local p
    : >"$TMP/installed.paths"
    for p in "${EXPECTED[@]}"; do
        dpkg -L "$p" | grep jiku >>"$TMP/installed.paths"
    done
    mkdir -p /var/lib/jiku-agent/backups/pkgtest/shop
    printf 'archive\n' >/var/lib/jiku-agent/backups/pkgtest/shop/cpmove-shop.tar.gz
    # opening the catalog creates the state
    check "jiku-agent list (creates /var/lib/jiku-agent/state.db)" \
        sh -c '/usr/bin/jiku-agent list && test -f /var/lib/jiku-agent/state.db'
    check "dpkg --purge ${EXPECTED[*]}" dpkg --purge "${EXPECTED[@]:1}" jiku-agent
    purged_ok() {
        local left=0 f
        while read -r f; do
            case $f in
            /var/lib/jiku-agent) continue ;;
            esac
            if [ -e "$f" ] || [ -L "$f" ]; then
                echo "left behind: $f"
                left=1
            fi
        done <"$TMP/installed.paths"
        for f in /etc/jiku-agent /etc/systemd/system/timers.target.wants/jiku-agent-nightly.timer \
                 /var/lib/systemd/deb-systemd-helper-enabled/jiku-agent-nightly.timer.dsh-also \
                 /var/lib/systemd/deb-systemd-helper-enabled/timers.target.wants/jiku-agent-nightly.timer \
                 /var/lib/systemd/timers/stamp-jiku-agent-nightly.timer; do
            if [ -e "$f" ] || [ -L "$f" ]; then
                echo "left behind: $f"
                left=1
            fi
        done
        [ $left = 0 ]
    }
    check "purge: no installed path, conffile, admin file or unit state left" purged_ok
    state_ok() {
        local rest
        rest=$(cd /var/lib/jiku-agent && find . -mindepth 1 | sort | tr '\n' ' ')
        [ "$rest" = "./backups ./backups/pkgtest ./backups/pkgtest/shop ./backups/pkgtest/shop/cpmove-shop.tar.gz " ] ||
            { echo "left in /var/lib/jiku-agent: $rest"; return 1; }
    }
    check "purge: state gone, only the non-empty backup store kept" state_ok
    rm -rf /var/lib/jiku-agent/backups/pkgtest
    rmdir /var/lib/jiku-agent/backups /var/lib/jiku-agent 2>/dev/null

    # Without backups, a purge leaves nothing at all.
    check "install again" dpkg -i "$CORE_DEB"
    /usr/bin/jiku-agent list >/dev/null 2>&1
    check "purge again" dpkg --purge jiku-agent
    check "purge without backups: /var/lib/jiku-agent and /etc/jiku-agent gone" \
        sh -c '! test -e /var/lib/jiku-agent && ! test -e /etc/jiku-agent'
    PKGS_INSTALLED=0
    rm -f "$MARKER"
}

if [ "$DEB_OK" = 1 ]; then
    run_installed_checks
fi

# --- .rpm -----------------------------------------------------------------------------------------
TOP=$TMP/rpmbuild
mkdir -p "$TOP"/{SOURCES,SPECS,BUILD,RPMS,SRPMS}
cp "$TMP/jiku-agent-$VERSION.tar.gz" "$TOP/SOURCES/"
cp "$SRC/packaging/rpm/jiku-agent.spec" "$TOP/SPECS/"
# --nodeps: Debian's libraries are not in the RPM database.  --nocheck: the unit tests already
# ran in the .deb build, from the same tree.  __brp_compress: Debian's rpm runs brp-compress,
# a bash script, with /bin/sh (dash), where it fails and leaves the man pages uncompressed;
# rpmbuild on RHEL gzips them.
if rpmbuild -ba --nodeps --nocheck --define "_topdir $TOP" "${RPM_WITHOUT[@]}" \
        --define "__brp_compress bash /usr/lib/rpm/brp-compress %{?_prefix}" \
        "$TOP/SPECS/jiku-agent.spec" >"$TMP/rpm-build.log" 2>&1; then
    pass "rpmbuild -ba --nodeps ${RPM_WITHOUT[*]}"
    RPMDIR=$(dirname "$(find "$TOP/RPMS" -name 'jiku-agent-[0-9]*.rpm' | head -n 1)")
    CORE_RPM=$(ls "$RPMDIR"/jiku-agent-[0-9]*.rpm)
    built=$(cd "$RPMDIR" && rpm -qp --qf '%{NAME}\n' -- *.rpm 2>/dev/null | sort | tr '\n' ' ')
    want=$(printf '%s\n' "${EXPECTED[@]}" | sort | tr '\n' ' ')
    if [ "$built" = "$want" ]; then
        pass "rpm: built exactly: $built"
    else
        echo "built '$built', expected '$want'" >"$LOG"
        fail "rpm: built packages" "$LOG"
    fi
    check "rpm: source rpm built" sh -c "ls '$TOP'/SRPMS/jiku-agent-$VERSION-*.src.rpm"

    rpm -qplv "$CORE_RPM" >"$TMP/rpm.contents" 2>/dev/null
    rpm_has() { # MODE PATH
        awk -v m="$1" -v p="$2" '$1 == m && $NF == p { f = 1 } END { exit !f }' "$TMP/rpm.contents"
    }
    check "rpm: /usr/bin/jiku-agent 0755" rpm_has -rwxr-xr-x /usr/bin/jiku-agent
    check "rpm: /etc/jiku-agent/credentials 0700" rpm_has drwx------ /etc/jiku-agent/credentials
    check "rpm: /var/lib/jiku-agent 0700" rpm_has drwx------ /var/lib/jiku-agent
    unitdir=$(awk '$NF ~ /jiku-agent-nightly.timer$/ { print $NF }' "$TMP/rpm.contents")
    unitdir=${unitdir%/*}
    for f in /etc/cron.d/jiku-agent /etc/jiku-agent/agent.conf \
             /etc/jiku-agent/conf.d/example.conf.sample \
             "$unitdir/jiku-agent-nightly.service" "$unitdir/jiku-agent-nightly.timer" \
             /usr/lib/systemd/system-preset/50-jiku-agent.preset \
             /usr/share/jiku-agent/policies/medium.policy; do
        check "rpm: $f" rpm_has -rw-r--r-- "$f"
    done
    check "rpm: man pages" sh -c "grep -q 'man8/jiku-agent.8' '$TMP/rpm.contents' &&
                                  grep -q 'man5/jiku-agent.conf.5' '$TMP/rpm.contents'"
    check "rpm: no headers, no build paths" \
        sh -c "! grep -E '/usr/include|$TMP' '$TMP/rpm.contents'"
    cfg_ok() {
        local c
        c=$(rpm -qpc "$CORE_RPM")
        printf '%s\n' "$c"
        for f in /etc/jiku-agent/agent.conf /etc/jiku-agent/conf.d/example.conf.sample \
                 /etc/cron.d/jiku-agent; do
            grep -qx "$f" <<<"$c" || return 1
        done
        # noreplace
        rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$CORE_RPM" |
            grep ' /etc/jiku-agent/agent.conf$' | grep -q n
    }
    check "rpm: %config(noreplace) agent.conf, example, cron file" cfg_ok
    scripts_ok() {
        local s
        s=$(rpm -qp --scripts "$CORE_RPM")
        printf '%s\n' "$s"
        grep -q 'preset jiku-agent-nightly.service jiku-agent-nightly.timer\|install-system-units jiku-agent-nightly.service jiku-agent-nightly.timer' <<<"$s" &&
            grep -q 'disable --now jiku-agent-nightly.service jiku-agent-nightly.timer\|remove-system-units jiku-agent-nightly.service jiku-agent-nightly.timer' <<<"$s" &&
            grep -q 'daemon-reload\|system-reload' <<<"$s"
    }
    check "rpm -qp --scripts: systemd post/preun/postun scriptlets" scripts_ok
    for p in "${EXPECTED[@]:1}"; do
        prpm=$(ls "$RPMDIR/$p"-[0-9]*.rpm)
        check "rpm: $p requires jiku-agent = $VERSION-1" \
            sh -c "rpm -qp --requires '$prpm' | grep -Eq '^jiku-agent(\\(.*\\))? = $VERSION-1'"
        check "rpm: $p ships ${p#jiku-agent-plugin-}.so" \
            sh -c "rpm -qpl '$prpm' | grep -q '/jiku-agent/plugins/${p#jiku-agent-plugin-}.so\$'"
    done

    # rpmlint on the spec, the source rpm and every binary rpm at once: no error and no
    # warning beyond what packaging/rpm/jiku-agent.rpmlintrc filters, each filter with its
    # reason; a filter that matches nothing is an error too, except for the plugin packages'
    # filters while a plugin is not built.
    rpmlint_ok() {
        local out
        out=$(rpmlint -r "$SRC/packaging/rpm/jiku-agent.rpmlintrc" \
            ${RPM_WITHOUT[@]:+--ignore-unused-rpmlintrc} "$TOP/SPECS/jiku-agent.spec" \
            "$TOP"/SRPMS/*.src.rpm "$RPMDIR"/*.rpm 2>&1)
        local rc=$?
        printf '%s\n' "$out"
        [ $rc -eq 0 ] && grep -q ' 0 errors, 0 warnings' <<<"$out"
    }
    check "rpmlint: spec, source and binary rpms, no errors or warnings" rpmlint_ok
else
    fail "rpmbuild -ba --nodeps" "$TMP/rpm-build.log"
fi

finish
