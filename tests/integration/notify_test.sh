#!/bin/sh
# Failure notices and pings (jiku-agent(8), FAILURE NOTICES) with the real binary over the
# simulated fleet (scripts/fleet.sh), sendmail a stub that keeps each call's argv and message,
# the monitor a ping receiver on 127.0.0.1 (lib.sh): a good night under notify_on = failure
# (no mail, the success ping), a partial night (a mail under partial, none under failure, the
# ping /3 with the denial as body), a failed night (web2 down: one mail, the ping /69 with the
# failure line), a configuration that does not load (one mail and the ping /78, no /start), a
# killed agent reported by notify-failure as systemd's OnFailure= runs it, and a failure the
# agent reported itself not reported again.  Every mail has the same seven headers: no value
# adds one.
#
# usage: notify_test.sh JIKU_AGENT CPANEL_SO PLESK_SO POLICY_DIR FLEET_SH
#        (as root: the simulators' sshd rigs)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
CPANEL_SO=$2
PLESK_SO=$3
POLICIES=$4
FLEET=$5

test_begin --root
F=$T/fleet
AGENT_CONF=$F/agent.conf
HIGHCO=$F/conf.d/30-highco.conf
# shellcheck disable=SC2016 # expanded at exit
at_exit 'sh "$FLEET" stop "$F" >/dev/null 2>&1'

# --- a sendmail stub: call N leaves $T/mail/N.argv and $T/mail/N.msg ------------------------
mkdir "$T/mail"
cat >"$T/sendmail" <<STUB
#!/bin/sh
n=\$(ls "$T/mail" | grep -c '\.msg\$')
printf '%s\n' "\$*" >"$T/mail/\$n.argv"
cat >"$T/mail/\$n.msg"
STUB
chmod 755 "$T/sendmail"
mails() { ls "$T/mail" | grep -c '\.msg$'; }
# mail N: message N's file
mail() { printf '%s/mail/%s.msg' "$T" "$1"; }
# check_mail N SUBJECT: headers exactly the seven, in order, with SUBJECT; argv -t -oi
check_mail() {
    _m=$(mail "$1")
    [ "$(cat "$T/mail/$1.argv")" = "-t -oi" ] || fail "sendmail argv: $(cat "$T/mail/$1.argv")"
    # header names; a folded header's continuation lines start with a tab
    _h=$(sed '/^$/q' "$_m" | sed '/^$/d' | grep -v "^$(printf '\t')" | cut -d: -f1 | tr '\n' ' ')
    [ "$_h" = "To Subject Date Auto-Submitted MIME-Version Content-Type Content-Transfer-Encoding " ] ||
        { fail "headers of mail $1: $_h"; sed 's/^/  | /' "$_m" | head -20; }
    [ "$(sed -n '/^To:/{N;p;}' "$_m")" = "$(printf 'To: ops@example.com,\n\tnight@example.org')" ] ||
        fail "To of mail $1"
    grep -qxF "Subject: $2" "$_m" ||
        { fail "mail $1 lacks 'Subject: $2'"; sed 's/^/  | /' "$_m" | head -12; }
    ! grep -q "$(printf '\r')" "$_m" || fail "mail $1 has a carriage return"
}
pings() { tr '\n' ' ' <"$T/pings" | sed 's/ $//'; }
pings_reset() { : >"$T/pings" && : >"$T/pings.body"; }
# one_new_mail BEFORE SUBJECT WHAT: WHAT sent exactly one mail after the BEFORE earlier ones,
# and it is well formed with SUBJECT; true when it did
one_new_mail() {
    [ "$(mails)" = $(($1 + 1)) ] ||
        { fail "$3 sent $(($(mails) - $1)) mails, expected 1"; return 1; }
    check_mail "$1" "$2"
}
HOST=$(hostname)

pingd_start "$T/pings"
PING=http://127.0.0.1:$PING_PORT/ping-uuid
sh "$FLEET" start "$F" --cpanel-so "$CPANEL_SO" --plesk-so "$PLESK_SO" --policies "$POLICIES" \
    --job-seconds 0.5 --retry-deadline 3 --ping-url "$PING" >"$T/fleet.log" 2>&1 ||
    { cat "$T/fleet.log"; exit 1; }
sed -i "/^ping_url = /a notify_mail = ops@example.com, night@example.org\\
sendmail = $T/sendmail\\
notify_on = failure" "$AGENT_CONF"
STATE=$F/state

# --- a good night under notify_on = failure: no mail, start and success pinged --------------
sed -i '/^\[target highco\/portal\]/,/^\[/ s/^nightly = snapshot$/nightly = none/' "$HIGHCO"
run 0 nightly
[ "$(mails)" = 0 ] || fail "a good night sent $(mails) mail(s)"
[ "$(pings)" = "/ping-uuid/start /ping-uuid" ] || fail "pings of a good night: $(pings)"
sed -i '/^\[target highco\/portal\]/,/^\[/ s/^nightly = none$/nightly = snapshot/' "$HIGHCO"

# --- partial (highco's snapshot is the customer's): none under failure, one under partial ---
pings_reset
run 3 nightly
[ "$(mails)" = 0 ] || fail "a partial night under notify_on = failure sent a mail"
[ "$(pings)" = "/ping-uuid/start POST /ping-uuid/3" ] || fail "pings of a partial night: $(pings)"
grep -q "^server.snapshot highco/portal: .*denied" "$T/pings.body" ||
    { fail "the ping's body lacks the denial"; sed 's/^/  | /' "$T/pings.body"; }
sed -i 's/^notify_on = failure$/notify_on = partial/' "$AGENT_CONF"
run 3 nightly
if one_new_mail 0 "jiku-agent nightly on $HOST: partial (exit 3)" \
    "a partial night under notify_on = partial"; then
    grep -qx "nightly: 9 ok, 0 failed, 1 denied, 0 skipped (exit 3)" "$(mail 0)" ||
        fail "mail 0 lacks the summary"
    grep -q "^server.snapshot highco/portal: .*denied" "$(mail 0)" || fail "mail 0 lacks the denial"
fi

# --- failed: only web2's targets in the night, web2 down → every operation 69 ---------------
sed -i 's/^nightly = .*/nightly = none/' "$F/conf.d/10-acme.conf" "$HIGHCO"
sh "$(dirname "$FLEET")/../tests/fakes/cpanel/sim.sh" stop "$F/web2" >/dev/null 2>&1
pings_reset
run 69 nightly
one_new_mail 1 "jiku-agent nightly on $HOST: failed (exit 69)" "a failed night" &&
    { grep -q "^server.backup lowco/site: " "$(mail 1)" || fail "mail 1 lacks lowco/site's line"; }
[ "$(pings)" = "/ping-uuid/start POST /ping-uuid/69" ] || fail "pings of a failed night: $(pings)"
grep -q "^server.backup lowco/site: " "$T/pings.body" || fail "the ping's body lacks the failure"

# --- a configuration that does not load: one mail, the ping /78 and no /start ---------------
printf '[target lowco/broken]\nkind = account\nbogus_key = 1\n' >"$F/conf.d/40-broken.conf"
pings_reset
run 78 nightly
one_new_mail 2 "jiku-agent nightly on $HOST: failed (exit 78)" "a configuration error" &&
    { grep -q "40-broken.conf:" "$(mail 2)" || fail "mail 2 lacks the configuration error"; }
[ "$(pings)" = "POST /ping-uuid/78" ] || fail "pings of a configuration error: $(pings)"
grep -q "40-broken.conf:" "$T/pings.body" || fail "the ping's body lacks the configuration error"

# --- the agent reported its own failure under systemd: notify-failure adds nothing ----------
ID1=0123456789abcdef0123456789abcdef
n=$((n + 1))
INVOCATION_ID=$ID1 timeout 60 "$BIN" -c "$AGENT_CONF" nightly >/dev/null 2>&1 </dev/null
[ "$(mails)" = 4 ] || fail "a configuration error under systemd sent $(($(mails) - 3)) mails"
same "$STATE/notified-invocation" "$ID1"
rm "$F/conf.d/40-broken.conf"
: >"$T/pings"
MONITOR_INVOCATION_ID=$ID1 MONITOR_SERVICE_RESULT=exit-code MONITOR_EXIT_CODE=exited \
    MONITOR_EXIT_STATUS=78 run 0 notify-failure jiku-agent-nightly.service
[ "$(mails)" = 4 ] || fail "notify-failure reported a failure the agent had reported"
[ -s "$T/pings" ] && fail "notify-failure pinged for a failure the agent had reported: $(pings)"

# --- a killed agent: notify-failure sends the one notice and the failure ping ---------------
sed -i 's/^nightly = none/nightly = snapshot/' "$F/conf.d/10-acme.conf"
ID2=fedcba9876543210fedcba9876543210
n=$((n + 1))
INVOCATION_ID=$ID2 "$BIN" -c "$AGENT_CONF" nightly >/dev/null 2>&1 </dev/null &
agent=$!
i=0
while ! grep -q "/ping-uuid/start" "$T/pings" && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
sleep 0.5
kill -KILL "$agent"
wait "$agent" 2>/dev/null
[ "$(mails)" = 4 ] || fail "the killed agent sent a mail"
pings_reset
MONITOR_INVOCATION_ID=$ID2 MONITOR_SERVICE_RESULT=signal MONITOR_EXIT_CODE=killed \
    MONITOR_EXIT_STATUS=KILL run 0 notify-failure jiku-agent-nightly.service
if one_new_mail 4 "jiku-agent jiku-agent-nightly.service on $HOST: failed (signal)" \
    "a killed agent"; then
    has "mail/4.msg" "result signal, code killed, status KILL"
    has "mail/4.msg" "journalctl -u jiku-agent-nightly.service _SYSTEMD_INVOCATION_ID=$ID2"
fi
[ "$(pings)" = "POST /ping-uuid/fail" ] || fail "pings after a kill: $(pings)"

# --- systemd's values and the unit name cannot add a header ---------------------------------
MONITOR_INVOCATION_ID=$ID2 MONITOR_SERVICE_RESULT="$(printf 'signal\r\nBcc: evil@example.net')" \
    run 0 notify-failure jiku-agent-nightly.service
[ "$(mails)" = 6 ] && check_mail 5 "jiku-agent jiku-agent-nightly.service on $HOST: failed (unknown)"
run 64 notify-failure "$(printf 'x.service\nBcc: evil@example.net')"
[ "$(mails)" = 6 ] || fail "a unit name with a newline was mailed"

# --- a dry run never notifies ---------------------------------------------------------------
: >"$T/pings"
n=$((n + 1))
timeout 300 "$BIN" -c "$AGENT_CONF" --dry-run nightly >/dev/null 2>&1 </dev/null
[ "$(mails)" = 6 ] || fail "a dry run sent a mail"
[ -s "$T/pings" ] && fail "a dry run pinged: $(pings)"

test_end
