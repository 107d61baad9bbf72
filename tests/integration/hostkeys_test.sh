#!/bin/sh
# Onboarding a server's SSH host key against a real sshd (tests/fakes/sshd-rig.sh): before
# known_hosts exists, 'servers fingerprint' shows every key the server offers as ssh-keyscan
# and ssh-keygen would, and 'servers trust' creates known_hosts (0600) with the confirmed key;
# every other command refuses the missing file, naming both.  Needs root (the rig's sshd).
#
# usage: hostkeys_test.sh JIKU_AGENT RECORDER_SO POLICY_DIR SSHD_RIG
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
RECORDER=$2
POLICIES=$3
RIG=$4
RUN_TIMEOUT=60
ACTOR=tester
test_begin --root

mkdir -p "$T/cred" "$T/kh" "$T/open" && chmod 700 "$T/cred" "$T/kh" && chmod 777 "$T/open"
install_plugin "$RECORDER" cpanel
printf 'not-a-real-token\n' >"$T/cred/token" && chmod 600 "$T/cred/token"
sh "$RIG" start "$T/ssh" >/dev/null || { fail "the sshd rig did not start"; test_end; exit; }
at_exit "sh '$RIG' stop '$T/ssh' >/dev/null 2>&1"
port=$(cat "$T/ssh/port")
# a port nothing listens on, for the unreachable server
closed=$((port == 65535 ? port - 1 : port + 1))

server() { # NAME PORT KNOWN_HOSTS
    printf '\n[server %s]\npanel = cpanel\nhost = 127.0.0.1\nssh_port = %s\n' "$1" "$2"
    printf 'api_token_file = %s/cred/token\nssh_key = %s/ssh/id_ed25519\nknown_hosts = %s\n' \
        "$T" "$T" "$3"
}
{
    agent_section "connect_timeout = 5"
    server rig "$port" "$T/kh/known_hosts"
} >"$T/agent.conf"
{
    agent_section "connect_timeout = 5"
    server gone "$closed" "$T/kh/known_hosts_gone"
} >"$T/gone.conf"
{
    agent_section "connect_timeout = 5"
    server unsafe "$port" "$T/open/known_hosts"
} >"$T/unsafe.conf"

# --- before known_hosts exists ---------------------------------------------------------------
run 78 history && has err "known_hosts file '$T/kh/known_hosts' does not exist" &&
    has err "servers fingerprint" && has err "servers trust"
run 0 servers fingerprint rig && has out "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub" &&
    has out "jiku-agent servers trust rig --fingerprint SHA256:"
# libssh2 1.10 (Debian 12) has no rsa-sha2-* host keys and OpenSSH >= 8.8 no ssh-rsa: the RSA
# key cannot be negotiated, and is left out (jiku-agent(8)); with a newer libssh2 it is listed.
grep '^[a-z0-9-]* SHA256:' "$T/out" | cut -d' ' -f2 | sort >"$T/ours"
types=ed25519,ecdsa
grep -q '^ssh-rsa ' "$T/out" && types=$types,rsa
ssh-keyscan -p "$port" -t "$types" 127.0.0.1 2>/dev/null | ssh-keygen -lf - |
    cut -d' ' -f2 | sort >"$T/theirs"
[ "$(wc -l <"$T/theirs")" -ge 2 ] || fail "ssh-keyscan found $(wc -l <"$T/theirs") keys, expected 2 or 3"
cmp -s "$T/ours" "$T/theirs" || fail "fingerprints differ from ssh-keygen's: $(cat "$T/ours") vs $(cat "$T/theirs")"
for type in ssh-ed25519 ecdsa-sha2-nistp256; do
    grep -q "^$type SHA256:" "$T/out" || fail "servers fingerprint lacks $type"
done
ed=$(grep '^ssh-ed25519 ' "$T/out" | cut -d' ' -f2)
[ "$ed" = "$(ssh-keygen -lf "$T/ssh/ssh_host_ed25519_key.pub" | cut -d' ' -f2)" ] ||
    fail "the ed25519 fingerprint is not the host key's"
run 0 --json servers fingerprint rig &&
    has out "{\"type\":\"hostkey\",\"server\":\"rig\",\"key_type\":\"ssh-ed25519\",\"fingerprint\":\"$ed\"}"
[ "$(grep -c '"type":"hostkey"' "$T/out")" = "$(wc -l <"$T/ours")" ] ||
    fail "--json: not one hostkey line per key"
[ -e "$T/kh/known_hosts" ] && fail "servers fingerprint wrote known_hosts"

# --- trust creates it, 0600, with the confirmed key only -------------------------------------
run 76 servers trust rig --fingerprint SHA256:AAAAnotthekeyAAAA && has err "offered:"
[ -e "$T/kh/known_hosts" ] && fail "a refused trust created known_hosts"
run 0 servers trust rig --fingerprint "$ed"
[ "$(stat -c '%a %u' "$T/kh/known_hosts" 2>/dev/null)" = "600 0" ] ||
    fail "known_hosts is not 0600 root: $(stat -c '%a %u' "$T/kh/known_hosts" 2>&1)"
[ "$(cat "$T/kh/known_hosts")" = "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$T/ssh/ssh_host_ed25519_key.pub")" ] ||
    fail "known_hosts holds: $(cat "$T/kh/known_hosts")"
run 0 servers trust rig --fingerprint "$ed"
[ "$(wc -l <"$T/kh/known_hosts")" = 1 ] || fail "trusting again added a line"
# the configuration loads now, and the enrolled key passes the check
run 0 history
run 0 --json servers fingerprint rig

# --- failures: unreachable, an unsafe directory --------------------------------------------------
AGENT_CONF=$T/gone.conf run 69 servers fingerprint gone && has err "cannot fetch the host keys of 'gone'"
AGENT_CONF=$T/unsafe.conf run 78 servers trust unsafe --fingerprint "$ed" &&
    has err "its directory is writable by another user"
[ -e "$T/open/known_hosts" ] && fail "trust created known_hosts in a world-writable directory"

test_end
