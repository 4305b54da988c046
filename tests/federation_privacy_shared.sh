#!/usr/bin/env bash
# NOT IN TESTS (fails today; see the federation report): a privacy block
# must hold for every external watcher, also when another watcher on the
# same partner community subscribed first.  beta's gateway shares one
# SUBSCRIBE per watched user among all its Sametime watchers (From the
# first one), so alpha judges only that first watcher: when alice blocks
# dave, dave keeps seeing her, because bob's subscription carries both.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/federation.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$STCONNECTOR" "$STCONFIG"
fed_t_setup
fed_t_up
e() { fed_expect "$1" "$2" "$3" 10; }	# e WHAT CLIENT REGEX
A='@E alice@alpha\.example'
fed_client alice alpha alice || t_fail "alice logs in"
fed_client bob beta bob || t_fail "bob logs in"
fed_client dave beta dave || t_fail "dave logs in"
fed_mark bob; fed_mark dave
fed_say bob "watch @E alice@alpha.example"
e "bob (first watcher) sees alice active" bob "^presence $A active"
fed_say dave "watch @E alice@alpha.example"
e "dave (second watcher) sees alice active" dave "^presence $A active"
fed_mark bob; fed_mark dave
fed_say alice "block @E dave@beta.example"
e "alice blocks dave: dave sees her offline" dave "^presence $A offline"
sleep 1
fed_seen_new bob "^presence $A offline" &&
	t_fail "bob, not blocked, still sees alice" ||
	t_pass "bob, not blocked, still sees alice"
t_done
