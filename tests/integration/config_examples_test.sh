#!/bin/sh
# The shipped configurations check clean (issue 15, "Onboarding"): examples/ set up by
# examples/setup.sh, and the packaged agent.conf with conf.d/example.conf.sample copied into
# place and filled in as its comments and jiku-agent.conf(5) say.  `config check` must print
# "0 warnings" and nothing on stderr for either.  And one broken copy of each must report
# every error of every file in one pass, with the hints of jiku-agent.conf(5).
#
# usage: config_examples_test.sh JIKU_AGENT CPANEL_SO PLESK_SO SOURCE_DIR AGENT_CONF
set -eu
agent=$1 cpanel=$2 plesk=$3 src=$4 agent_conf=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
not() { echo "FAIL: $*" >&2; fail=1; }

# The plugins as a package installs them: one directory, owned by root, not writable by others.
mkdir "$tmp/plugins"
cp "$cpanel" "$plesk" "$tmp/plugins/"
chmod 755 "$tmp/plugins"
chmod 644 "$tmp/plugins"/*.so

check_clean() { # NAME CONFIG
    if ! JIKU_AGENT_CONFIG=$2 "$agent" config check >"$tmp/out" 2>"$tmp/err"; then
        not "$1: config check failed"
    fi
    grep -q ', 0 warnings$' "$tmp/out" || not "$1: expected 0 warnings: $(cat "$tmp/out")"
    [ ! -s "$tmp/err" ] || not "$1: stderr: $(cat "$tmp/err")"
}

# --- examples/ -----------------------------------------------------------------------------
"$src/examples/setup.sh" "$tmp/ex" "$src/policies" "$tmp/plugins" >/dev/null
check_clean examples "$tmp/ex/agent.conf"
grep -q '@[A-Z_]*@' "$tmp/ex/agent.conf" && not "examples: setup.sh left a placeholder"

# --- the packaged sample -------------------------------------------------------------------
# agent.conf as installed, its state, policy and plugin directories set for this test; the
# sample copied as its header says, /etc/jiku-agent/ being this directory; then the files the
# sample names: the token and the SSH key 0600, known_hosts.
s=$tmp/etc
mkdir -p "$s/conf.d" "$s/credentials" "$s/state"
chmod 700 "$s/credentials" "$s/state"
sed -e "s|^#state_dir = .*|state_dir = $s/state|" -e "s|^#policy_dir = .*|policy_dir = $src/policies|" \
    -e "s|^#plugin_dir = .*|plugin_dir = $tmp/plugins|" "$agent_conf" >"$s/agent.conf"
sed "s|/etc/jiku-agent/|$s/|g" "$src/packaging/etc/conf.d/example.conf.sample" \
    >"$s/conf.d/10-acme.conf"
install -m 600 /dev/null "$s/credentials/web1.token"
echo not-a-real-token >"$s/credentials/web1.token"
install -m 600 /dev/null "$s/credentials/id_ed25519"
: >"$s/known_hosts"
check_clean sample "$s/agent.conf"

# --- one pass over every file --------------------------------------------------------------
# Mistakes in the main file, in two conf.d files and in a tier file, independent of each
# other: each is reported, with the near key, the tiers there are and the near action.
cp -r "$src/policies" "$tmp/pol"
sed -i 's/^snapshot = jiku$/snapshot = jiku\nsnapshto = jiku/' "$tmp/pol/low.policy"
sed -i "s|^policy_dir = .*|policy_dir = $tmp/pol|; s|^max_parallel = 8|max_paralel = 8|" \
    "$tmp/ex/agent.conf"
printf '[customer zed]\ntier = gold\napplication.stagee = jiku\n' >"$tmp/ex/conf.d/40-zed.conf"
printf '[target acme/x]\nserver = web1\nkind = account\naccount = acmex\nsnapshot_dir = /x\n' \
    >"$tmp/ex/conf.d/50-x.conf"
rc=0
JIKU_AGENT_CONFIG=$tmp/ex/agent.conf "$agent" config check >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" = 78 ] || not "broken: exit $rc, expected 78"
for want in \
    "agent.conf:[0-9]*: unknown key 'max_paralel' in \[agent\]; did you mean 'max_parallel'?" \
    "40-zed.conf:2: customer 'zed': no policy file for tier 'gold' .*; the tiers there are high, low or medium" \
    "40-zed.conf:3: unknown action 'application.stagee' in \[customer zed\]; did you mean 'application.stage'?" \
    "50-x.conf:5: unknown key 'snapshot_dir' in \[target acme/x\]; snapshot_dir is a key of \[server\]" \
    "low.policy:[0-9]*: unknown action 'server.snapshto'; did you mean 'server.snapshot'?"; do
    grep -q "error: .*$want" "$tmp/err" || not "broken: missing: $want"
done
[ "$fail" = 0 ] || { cat "$tmp/err" >&2; exit 1; }
echo ok
