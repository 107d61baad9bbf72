#!/bin/sh
# `mail` and `users` end to end with the recorder test plugin standing in for the panel: the
# policy's say (a denied request reaches no plugin and leaves no file), every option rule, the
# names refused, the new password from a file or generated (a terminal, --password-out, never
# under cron or --json), what the plugin received (the password's SHA-256 in the recorder's
# log), the lists in both output forms, the audit, and no password anywhere it must not be.
#
# usage: logins_test.sh JIKU_AGENT RECORDER_SO POLICY_DIR
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
RECORDER=$2
POLICIES=$3
RUN_TIMEOUT=60
ACTOR=tester
test_begin

{
    agent_section "lock_wait = 2"
    recorder_server "$RECORDER"
} >"$T/agent.conf"
# low: JIKU sets up mail; medium: mail is open; users are open on low, JIKU's by contract here.
cat >"$T/conf.d/10-customers.conf" <<'CONF'
[customer lowco]
tier = low
application.users = jiku

[target lowco/main]
server = web1
kind = account
account = lowco

[target lowco/blog]
server = web1
kind = wordpress
account = lowco
domain = blog.low.example

[customer acme]
tier = medium

[target acme/shop]
server = web1
kind = account
account = acmeshop

[target acme/blog]
server = web1
kind = wordpress
account = acmeshop
domain = blog.acme.example
CONF
chmod 700 "$T"
printf 'Correct-Horse-7\n' >"$T/pw"
chmod 600 "$T/pw"
PW_SUM=$(printf 'Correct-Horse-7' | sha256sum | cut -d' ' -f1)
rec() { grep -F -- "$1" "$T/recorder.log" 2>/dev/null; }

# --- both actions are performed now; telephones stay the policy's alone --------------------
run 0 policy show lowco && has out "(policy only: no panel serves telephones)"
grep -E '^(server.mail-accounts|application.users) .*not performed' "$T/out" &&
    fail "mail accounts or users shown as not performed"
run 77 policy explain lowco application.phones &&
    has out "note: application.phones: policy only: no panel serves telephones"

# --- lists --------------------------------------------------------------------------------
run 0 mail list lowco/main && has out "info@example.com" && has out "512.0 MiB" &&
    has out "1.5 MiB" && has out "unlimited" && has out "suspended"
rec "mail lowco/main list - password=- quota=0" >/dev/null || fail "mail list not recorded"
run 0 --json mail list lowco/main
[ "$(grep -c '"type":"mail-account"' "$T/out")" = 2 ] || fail "not two mail-account lines"
has out '"quota_mib":-1' && has out '"used_mib":1.5' && has out '"suspended":true'
run 0 users list lowco/blog && has out "admin@example.com" && has out "administrator" &&
    has out "disabled"
# a login with a terminal escape is printed inert
grep -q "$(printf '\033')" "$T/out" && fail "a login's escape sequence reached the terminal"
run 0 --json users list lowco/blog && has out '"type":"user"' && has out '"login":"admin"'

# --- the policy: mail is open on medium, users the customer's: nothing reaches the plugin ---
: >"$T/recorder.log"
run 77 mail add acme/shop info@shop.acme.example --generate --password-out "$T/denied.pw" &&
    has err "denied"
[ -e "$T/denied.pw" ] && fail "a denied request left its password file"
run 77 users list acme/blog
[ -s "$T/recorder.log" ] && fail "a denied request reached the plugin: $(cat "$T/recorder.log")"

# --- adding with a password file ----------------------------------------------------------
run 0 mail add lowco/main info@low.example --quota 512 --password-file "$T/pw"
rec "mail lowco/main add info@low.example password=$PW_SUM quota=512" >/dev/null ||
    fail "the plugin did not get the file's password: $(cat "$T/recorder.log")"
run 0 mail passwd lowco/main info@low.example --password-file "$T/pw"
run 0 mail add lowco/main nolimit@low.example --quota unlimited --password-file "$T/pw"
rec "nolimit@low.example password=$PW_SUM quota=-1" >/dev/null || fail "--quota unlimited"
run 0 history --target lowco/main && has out "add info@low.example quota 512 MiB" &&
    has out "passwd info@low.example"

# --- generated passwords: a new 0600 file, or a terminal, never cron's mail or JSON --------
run 64 mail passwd lowco/main info@low.example --generate && has err "--password-out"
run 64 --json mail passwd lowco/main info@low.example --generate && has out "--password-out"
run 0 mail passwd lowco/main info@low.example --generate --password-out "$T/new.pw"
[ "$(stat -c %a "$T/new.pw")" = 600 ] || fail "--password-out is not 0600"
gen=$(cat "$T/new.pw")
[ ${#gen} = 24 ] || fail "a generated password of ${#gen} characters"
case $gen in *[A-Z]*) ;; *) fail "no capital in '$gen'" ;; esac
case $gen in *[0-9]*) ;; *) fail "no digit in the generated password" ;; esac
rec "passwd info@low.example password=$(printf '%s' "$gen" | sha256sum | cut -d' ' -f1)" \
    >/dev/null || fail "the plugin did not get the generated password"
run 64 mail passwd lowco/main info@low.example --generate --password-out "$T/new.pw" &&
    has err "exists"
# On a terminal (script(1) gives one) it is printed once, after the request succeeded.
script -qec "$BIN -c $T/agent.conf --actor tester mail passwd lowco/main tty@low.example \
    --generate" /dev/null >"$T/tty-out" 2>&1 </dev/null || fail "mail passwd on a terminal failed"
shown=$(sed -n 's/^password of tty@low.example (shown once, kept nowhere): \([^[:space:]]*\).*/\1/p' \
    "$T/tty-out")
[ ${#shown} = 24 ] || { fail "the generated password was not shown once"; cat "$T/tty-out"; }
[ "$(grep -c 'password of' "$T/tty-out")" = 1 ] || fail "the password was shown more than once"
rec "passwd tty@low.example password=$(printf '%s' "$shown" | sha256sum | cut -d' ' -f1)" \
    >/dev/null || fail "the plugin did not get the password shown"
# A request that fails leaves no password file behind; the dry run none at all.
JIKU_RECORDER_FAIL=mail:add run 1 mail add lowco/main x@low.example --generate \
    --password-out "$T/failed.pw"
[ -e "$T/failed.pw" ] && fail "a failed add left its password file"
# ... unless the plugin had begun the change: then the server may hold it, and so does the file
JIKU_RECORDER_FAIL=mail:add JIKU_RECORDER_CHANGED=mail:add run 1 mail add lowco/main \
    z@low.example --generate --password-out "$T/kept.pw" && has err "may have set"
[ -s "$T/kept.pw" ] || fail "a password the server may hold was thrown away"
: >"$T/recorder.log"
run 0 --dry-run mail add lowco/main y@low.example --generate --password-out "$T/dry.pw" &&
    has out "allow"
[ -e "$T/dry.pw" ] && fail "a dry run wrote a password file"
# the plugin is asked what it would do, with a password that goes nowhere
rec "mail lowco/main add y@low.example password=" | grep -q ' dry-run$' ||
    fail "the dry run did not ask the plugin: $(cat "$T/recorder.log")"
script -qec "$BIN -c $T/agent.conf --actor tester --dry-run mail passwd lowco/main \
    tty@low.example --generate" /dev/null >"$T/tty-out" 2>&1 </dev/null ||
    fail "a dry run on a terminal failed"
grep -q 'password of' "$T/tty-out" && fail "a dry run showed a password"

# --- password files are secret files ------------------------------------------------------
printf 'Correct-Horse-7\n' >"$T/open.pw" && chmod 644 "$T/open.pw"
run 64 mail passwd lowco/main info@low.example --password-file "$T/open.pw" && has err "open.pw"
ln -s "$T/pw" "$T/link.pw"
run 64 mail passwd lowco/main info@low.example --password-file "$T/link.pw"
printf 'tiny\n' >"$T/few.pw" && chmod 600 "$T/few.pw"
run 64 mail passwd lowco/main info@low.example --password-file "$T/few.pw" && has err "8 to 128"
hasnt err "tiny"

# --- what each request takes --------------------------------------------------------------
run 64 mail add lowco/main info@low.example && has err "--password-file FILE or --generate"
run 64 mail add lowco/main info@low.example --password-file "$T/pw" --generate
run 64 mail remove lowco/main info@low.example && has err "without --yes"
run 0 mail remove lowco/main info@low.example --yes
rec "mail lowco/main remove info@low.example" >/dev/null || fail "remove not recorded"
run 64 mail list lowco/blog && has err "account and subscription"
run 64 users list lowco/main && has err "application"
run 64 mail list lowco/main extra
run 64 mail frobnicate lowco/main
run 64 mail add lowco/main info@low.example --quota 0 --password-file "$T/pw"
run 64 mail add lowco/main info@low.example --quota 12x --password-file "$T/pw"
run 64 users add lowco/blog jane && has err "--email"
run 64 users add lowco/blog jane --email jane@low.example --password-file "$T/pw" &&
    has err "not for 'users add' on wordpress targets"
run 64 users add lowco/blog jane --email jane@low.example --group staff
run 64 users role lowco/blog jane && has err "--role R"
run 0 users add lowco/blog jane --email jane@low.example --role editor
rec "users lowco/blog add jane password=- quota=0 email=jane@low.example role=editor" \
    >/dev/null || fail "users add not recorded as given"
run 0 users role lowco/blog jane --role author
run 0 users passwd lowco/blog jane
run 64 users remove lowco/blog jane --yes && has err "--reassign LOGIN"
run 0 users remove lowco/blog jane --reassign admin --yes
rec "reassign=admin" >/dev/null || fail "--reassign not passed"
run 64 users remove lowco/blog jane --reassign jane --yes

# --- hostile names never reach a plugin ---------------------------------------------------
: >"$T/recorder.log"
for bad in '-x@low.example' 'a b@low.example' 'a@low.example;id' 'a..b@low.example' \
    'a@-low.example' '@low.example' 'info'; do
    run 64 mail passwd lowco/main "$bad" --password-file "$T/pw"
done
for bad in '-jane' 'ja ne' "ja'ne" 'jane$(id)'; do
    run 64 users add lowco/blog "$bad" --email jane@low.example
done
run 64 users add lowco/blog jane --email 'jane@low.example>' 
run 64 users role lowco/blog jane --role '--all'
[ -s "$T/recorder.log" ] && fail "a hostile name reached the plugin: $(cat "$T/recorder.log")"

# --- the password is nowhere else ---------------------------------------------------------
for f in "$T/all-output" "$T/state/state.db" "$T/recorder.log"; do
    grep -qF -e 'Correct-Horse-7' -e "$gen" -e "$shown" "$f" && fail "a password is in $f"
done
test_end
