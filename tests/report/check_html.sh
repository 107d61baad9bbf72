#!/bin/sh
# Open report HTML pages in headless Chromium, offline, and fail on any console message: a
# blocked resource or script (the page's Content-Security-Policy allows inline CSS and data:
# images only) or a script error each log one.  A page with an inline script and a remote image
# must fail the same check, so that the check itself is known to see what it looks for.
#
# usage: check_html.sh PAGE.html [SCREENSHOT.png [WIDTH,HEIGHT]]
#   Checks PAGE.html (tests/report/report.html, the golden page test_report compares) and the
#   negative page; with SCREENSHOT.png keeps PAGE's screenshot there (docs/report.png is made
#   so: check_html.sh tests/report/report.html docs/report.png 1200,1640).
set -u
page=$1
shot=${2:-}
size=${3:-1200,1600}
command -v chromium >/dev/null 2>&1 || { echo "SKIP: chromium is not installed"; exit 77; }
tmp=$(mktemp -d /tmp/jiku-report-html.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# Chromium on PAGE: its stderr in $tmp/log, its screenshot in $tmp/shot.png; returns its status.
open_page() {
    rm -f "$tmp/shot.png"
    # --no-sandbox: the tests run as root; every network feature off: the check is offline.
    timeout 60 chromium --headless --disable-gpu --no-sandbox --enable-logging=stderr --v=0 \
        --user-data-dir="$tmp/profile" --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --hide-scrollbars \
        --window-size="$2" --screenshot="$tmp/shot.png" "file://$1" >"$tmp/out" 2>"$tmp/log"
}

# 0 when PAGE loaded and logged no console message.
clean_load() {
    open_page "$1" "$2" || { echo "chromium failed on $1:"; cat "$tmp/log"; return 1; }
    [ -s "$tmp/shot.png" ] || { echo "no screenshot of $1"; return 1; }
    if grep -E ':CONSOLE|Content Security Policy|Uncaught' "$tmp/log"; then
        echo "console messages while loading $1"
        return 1
    fi
    return 0
}

cat >"$tmp/hostile.html" <<'EOF'
<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy"
content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"></head>
<body><img src="https://example.net/x.png"><script>console.log("x")</script>hostile</body></html>
EOF
if clean_load "$tmp/hostile.html" 400,300 >/dev/null; then
    echo "FAIL: the check did not see the console messages of a page with a script"
    exit 1
fi

case $page in /*) ;; *) page=$(pwd)/$page ;; esac
clean_load "$page" "$size" || { echo "FAIL: $page"; exit 1; }
# the phone's width: the same page, its tables as cards
clean_load "$page" 390,1600 || { echo "FAIL: $page at a phone's width"; exit 1; }
if [ -n "$shot" ]; then
    open_page "$page" "$size" && cp "$tmp/shot.png" "$shot" || exit 1
fi
echo "ok: $page loads in Chromium with no console message"
