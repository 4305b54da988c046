#!/usr/bin/env bash
# Two stsip communities federated over SIP/TLS with certificate checks
# (the demo's set-up, tests/lib/federation.sh), stclient users on both
# sides: presence both ways (active, away and dnd with text, offline), IM
# both ways, an IM to an offline user gives the sender an error, a privacy
# block holds across the federation, unicode text survives.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/federation.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$STCONNECTOR" "$STCONFIG"
fed_t_setup
fed_t_up
t_pass "alpha and beta up; connectors linked to their gateways"

# e: t_expect on the lines a client printed after its last mark
e() { fed_expect "$1" "$2" "$3" 10; }	# e WHAT CLIENT REGEX
A='@E alice@alpha\.example'
B='@E bob@beta\.example'

fed_client bob beta bob && t_pass "bob logs in to beta" || t_fail "bob logs in"
fed_client alice alpha alice && t_pass "alice logs in to alpha" || t_fail "alice logs in"

fed_mark alice; fed_mark bob
fed_say alice "watch @E bob@beta.example"
fed_say bob "watch @E alice@alpha.example"
e "alice sees bob active (beta -> alpha NOTIFY)" alice "^presence $B active"
e "bob sees alice active (alpha -> beta NOTIFY)" bob "^presence $A active"

fed_mark alice
fed_say bob "status away out for lunch"
e "alice sees bob away with his text" alice "^presence $B away out for lunch$"
fed_mark alice
fed_say bob "status dnd in a meeting"
e "alice sees bob dnd with his text" alice "^presence $B dnd in a meeting$"
fed_mark bob
fed_say alice "status away coffee break"
e "bob sees alice away with her text" bob "^presence $A away coffee break$"
fed_mark bob
fed_say alice "status dnd do not disturb"
e "bob sees alice dnd with her text" bob "^presence $A dnd do not disturb$"
fed_mark bob
fed_say alice "status active"
e "bob sees alice active again" bob "^presence $A active"

fed_mark alice
fed_say bob "status active"
e "alice sees bob active again" alice "^presence $B active"

fed_mark alice; fed_mark bob
fed_say alice "msg @E bob@beta.example hello bob, from alpha"
e "bob gets alice's IM from her e-mail address" bob "^im $A hello bob, from alpha$"
e "alice's IM is sent" alice "^sent $B"
fed_say bob "msg @E alice@alpha.example hello alice, from beta"
e "alice gets bob's IM" alice "^im $B hello alice, from beta$"

fed_mark alice; fed_mark bob
u1='Grüße aus Zürich — 你好, мир ✓ 🙂'
u2='Ça va très bien, ありがとう ☕'
fed_say alice "msg @E bob@beta.example $u1"
e "unicode text survives alpha -> beta" bob "^im $A $u1\$"
fed_say bob "msg @E alice@alpha.example $u2"
e "unicode text survives beta -> alpha" alice "^im $B $u2\$"
fed_mark alice
fed_say bob "status away $u2"
e "unicode status text survives" alice "^presence $B away $u2\$"
fed_say bob "status active"

# dave is not logged in: alice's IM must come back as an error
fed_mark alice
fed_say alice "msg @E dave@beta.example are you there?"
e "IM to an offline user: the sender gets an error" alice \
	'^error @E dave@beta\.example '

# privacy: alice blocks dave (an external user); dave sees her offline and
# cannot IM her; unblocked, he sees her again.  Bob stops watching alice
# first: beta's gateway shares one subscription per watched user among its
# watchers, so alice's side judges the first watcher only (see the report).
fed_say bob "unwatch @E alice@alpha.example"
sleep 1
fed_client dave beta dave && t_pass "dave logs in to beta" || t_fail "dave logs in"
fed_mark dave
fed_say dave "watch @E alice@alpha.example"
e "dave sees alice active" dave "^presence $A active"
fed_mark dave
fed_say alice "block @E dave@beta.example"
e "blocked across the federation: dave sees alice offline" dave \
	"^presence $A offline"
fed_mark dave; fed_mark alice
fed_say dave "msg @E alice@alpha.example let me in"
e "blocked dave's IM is refused with an error" dave "^error $A"
sleep 1
if fed_seen_new alice 'let me in'; then
	t_fail "alice got nothing from blocked dave"
else
	t_pass "alice got nothing from blocked dave"
fi
fed_mark dave
fed_say alice "unblock @E dave@beta.example"
e "unblocked: dave sees alice active again" dave "^presence $A active"

fed_mark alice
fed_say bob "quit"
e "bob quits: alice sees him offline" alice "^presence $B offline"

t_expect_not "no TLS or trust refusal between the connectors" \
	"$FED_DIR/alpha-connector.log" 'trust: 403|certificate does not'
t_expect_not "... on either side" "$FED_DIR/beta-connector.log" \
	'trust: 403|certificate does not'
fed_t_finish alpha-gateway beta-gateway alpha-community beta-community
