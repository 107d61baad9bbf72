#!/bin/sh
# Install the Debian 12 packages that building, testing and the demo need, by name.
# Idempotent and quiet when everything is there already.
set -eu

PKGS="build-essential cmake pkg-config
libcurl4-openssl-dev libssh2-1-dev libxml2-dev libjansson-dev libinih-dev
libsqlite3-dev libssl-dev libsystemd-dev libcriterion-dev clang libclang-rt-14-dev
openssh-server openssh-sftp-server openssh-client openssl sqlite3 python3 gcovr valgrind
util-linux passwd perl curl
dpkg-dev debhelper lintian fakeroot rpm rpmlint scdoc man-db systemd
chromium fonts-dejavu-core bash-completion"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps.sh: missing packages:$missing (run as root to install them)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# promtool (to check the metrics file) without installing the prometheus daemon: unpack the
# Debian package into /opt/jiku-test, where the tests look for it.
if [ ! -x /opt/jiku-test/promtool ]; then
    tmp=$(mktemp -d) && chmod 755 "$tmp"
    (cd "$tmp" && apt-get download -qq prometheus >/dev/null && dpkg-deb -x prometheus_*.deb x)
    mkdir -p /opt/jiku-test
    cp "$tmp/x/usr/bin/promtool" /opt/jiku-test/promtool
    rm -rf "$tmp"
fi
