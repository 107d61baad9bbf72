#!/bin/sh
# `jiku-agent users` on WordPress targets end to end, on both panels' simulators (WP Toolkit's
# wp-cli, tests/fakes/wptoolkit, "Users"): list, add (WordPress's own new-user mail with its
# set-password link in the fake outbox; no password from the agent), role, passwd, remove with
# --reassign (the posts move; without it refused: WordPress would delete them), the site's only
# administrator kept, a denied tier sending nothing, exit codes.
#
# usage: users_wordpress_test.sh JIKU_AGENT CPANEL_SO PLESK_SO POLICY_DIR FAKES   (as root)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1
CPANEL_SO=$2
PLESK_SO=$3
POLICIES=$4
FAKES=$5
ACTOR=tester
RUN_TIMEOUT=120
test_begin --root

sim_start "$FAKES/cpanel/sim.sh" "$T/web1" --name web1 || exit 1
sim_start "$FAKES/plesk/sim.sh" "$T/p1" --name plesk1 || exit 1
install_plugin "$CPANEL_SO" cpanel
install_plugin "$PLESK_SO" plesk
{
    agent_section "lock_wait = 5" "retry_deadline = 5"
    sim_server cpanel web1 "$T/web1"
    sim_server plesk plesk1 "$T/p1"
    cat <<'CONF'

[customer acme]
tier = low
application.users = jiku

[target acme/blog]
server = web1
kind = wordpress
account = acmeshop
domain = blog.acme.example

[target acme/wp]
server = plesk1
kind = wordpress
account = shop.example
domain = shop.example

[customer midco]
tier = medium

[target midco/site]
server = web1
kind = wordpress
account = lowco
domain = low.example
CONF
} >"$T/agent.conf"

# --- medium tier: application users are the customer's --------------------------------------
before=$(log_lines "$T/web1")
run 77 users add midco/site jane --email jane@low.example && has err "denied"
[ "$(log_lines "$T/web1")" = "$before" ] || fail "a denied users add reached web1"

for t in acme/blog:web1:usr/local/cpanel/3rdparty/wp-toolkit/var/outbox \
    acme/wp:p1:usr/local/psa/var/modules/wp-toolkit/outbox; do
    target=${t%%:*} rest=${t#*:}
    sim=${rest%%:*} outbox=$T/$sim/root/${rest#*:}
    FAIL_TAG=$target
    mails() { ls "$outbox" 2>/dev/null | wc -l; }

    run 0 users list "$target" && has out admin && has out administrator
    run 0 --json users list "$target" && has out '"login":"admin"' && has out '"disabled":false'

    run 0 --dry-run users add "$target" jane --email jane@example.org && has out "would"
    run 0 --json users list "$target" && hasnt out '"login":"jane"'
    m=$(mails)
    run 0 users add "$target" jane --email jane@example.org --role editor
    [ "$(mails)" -gt "$m" ] || fail "no mail in the outbox after users add"
    grep -l '^To: jane@example.org' "$outbox"/* 2>/dev/null | xargs -r grep -l 'action=rp&key=' |
        grep -q . || fail "no set-password link mailed to jane"
    run 0 --json users list "$target" && has out '"login":"jane"' && has out '"roles":"editor"'
    run 1 users add "$target" jane --email jane2@example.org
    run 0 users role "$target" jane --role author
    run 0 --json users list "$target" && has out '"roles":"author"'
    m=$(mails)
    run 0 users passwd "$target" jane
    [ "$(mails)" -gt "$m" ] || fail "no mail in the outbox after users passwd"

    # the only administrator stays one; a user with posts goes only with --reassign
    run 1 users role "$target" admin --role subscriber && has err "only administrator"
    run 1 users remove "$target" admin --reassign jane --yes && has err "only administrator"
    run 64 users remove "$target" jane --yes && has err "--reassign"
    run 0 users remove "$target" jane --reassign admin --yes
    run 0 --json users list "$target" && hasnt out '"login":"jane"'
    run 0 users add "$target" bob --email bob@example.org --role administrator
    run 0 users remove "$target" admin --reassign bob --yes
    run 0 --json users list "$target" && hasnt out '"login":"admin"' && has out '"login":"bob"'
    run 66 users role "$target" nobody --role editor
done
FAIL_TAG=

sim_assert_no_root_in_tenant_trees "$T/web1"
sim_assert_no_root_in_tenant_trees "$T/p1"
test_end
