#!/bin/sh
# Today's practice (bench/README.md, "Against today's practice"): the nightly snapshot as admins script
# it, one account after another on one server after another, with curl and ssh:
#   curl  start_background_pkgacct (WHM API 1, API token)
#   curl  get_pkgacct_session_state once a second until the job is no longer RUNNING
#   curl  fetch_pkgacct_master_log, take "pkgacctfile is:" and "md5sum is:"
#   ssh   md5sum of the archive on the server, compared with the log's
#
#   baseline.sh SIMDIR...     (cPanel simulators started by tests/fakes/cpanel/sim.sh)
#
# Each SIMDIR's accounts come from listaccts.  Prints one line per account and a last line
# "baseline: N ok, M failed"; exits 0 when every account succeeded, 1 otherwise.  The token
# goes to curl through a header file, never through argv.  Every loop is bounded.
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 SIMDIR..." >&2
    exit 64
fi

work=$(mktemp -d /tmp/jiku-baseline.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
ok=0
failed=0
max_polls=600 # ten minutes of once-a-second polls per job

whm() { # FUNCTION QUERY: one WHM API 1 call, the JSON body on stdout
    curl -sS --fail --max-time 30 --cacert "$CPSIM_CA_FILE" -H @"$work/auth" \
        "https://$CPSIM_HOST:$CPSIM_API_PORT/json-api/$1?api.version=1&$2"
}

one_account() { # USER
    user=$1
    sid=$(whm start_background_pkgacct "user=$user" | jq -r '.data.session_id // empty') || return 1
    [ -n "$sid" ] || return 1
    polls=0
    state=RUNNING
    while [ "$state" = RUNNING ] && [ $polls -lt $max_polls ]; do
        sleep 1
        polls=$((polls + 1))
        state=$(whm get_pkgacct_session_state "session_id=$sid" | jq -r '.data.state // empty')
    done
    [ "$state" = COMPLETED ] || return 1
    whm fetch_pkgacct_master_log "session_id=$sid" | jq -r '.data.log' |
        jq -r '.contents' >"$work/log" || return 1
    file=$(sed -n 's/^\[[^]]*\] pkgacctfile is: //p' "$work/log")
    md5=$(sed -n 's/^\[[^]]*\] md5sum is: //p' "$work/log")
    [ -n "$file" ] && [ -n "$md5" ] || return 1
    remote=$(ssh -n -q -i "$CPSIM_SSH_KEY" -p "$CPSIM_SSH_PORT" -o BatchMode=yes \
        -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$CPSIM_KNOWN_HOSTS" \
        -o ConnectTimeout=10 "$CPSIM_SSH_USER@$CPSIM_HOST" "md5sum '$file'" | cut -d' ' -f1)
    [ "$remote" = "$md5" ] || return 1
    echo "$CPSIM_NAME/$user: ok ($polls polls, md5 $md5)"
}

for dir in "$@"; do
    # shellcheck disable=SC1091
    . "$dir/env"
    (umask 077 && printf 'Authorization: whm %s:%s\n' "$CPSIM_API_USER" \
        "$(cat "$CPSIM_TOKEN_FILE")" >"$work/auth")
    users=$(whm listaccts "" | jq -r '.data.acct[].user') || users=
    for user in $users; do
        if one_account "$user"; then
            ok=$((ok + 1))
        else
            echo "$CPSIM_NAME/$user: FAILED"
            failed=$((failed + 1))
        fi
    done
done
echo "baseline: $ok ok, $failed failed"
[ $failed -eq 0 ] && [ $ok -gt 0 ]
