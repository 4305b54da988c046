#!/usr/bin/env bash
# Change without restart: the administrator disables beta in alpha's
# CommunityConnector with stconfig and reloads the running gateway
# (stconfig -s SOCKET reload); new requests to and from beta are refused;
# enabling it again restores federation.  stconfig status shows the link
# and the counters before and after.  No process is restarted.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/federation.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$STCONNECTOR" "$STCONFIG"
fed_t_setup
fed_t_up
e() { fed_expect "$1" "$2" "$3" 12; }	# e WHAT CLIENT REGEX
DOCS=$FED_DIR/alpha/conf
SOCK=$FED_DIR/alpha/gateway.sock
status() {	# status FILE
	"$STCONFIG" -s "$SOCK" status >"$1" 2>&1
	sed "s/^/  $(basename "$1"): /" "$1" >&2
}
pids_before=$(for n in alpha-community alpha-gateway alpha-connector; do fed_pid $n; done)

fed_client alice alpha alice || t_fail "alice logs in"
fed_client bob beta bob || t_fail "bob logs in"
fed_mark alice; fed_mark bob
fed_say alice "msg @E bob@beta.example before the change"
e "federation works: alice -> bob" bob '^im @E alice@alpha\.example before the change$'
fed_say bob "msg @E alice@alpha.example me too"
e "federation works: bob -> alice" alice '^im @E bob@beta\.example me too$'
status "$T/status1"
t_expect "status before: alpha's connector linked" "$T/status1" \
	"^  link alpha-edge $FED_ALPHA_CONN:[0-9]+ up" 1
t_expect "status before: messages counted for beta" "$T/status1" \
	'^community beta: messages in 1, out 1, errors 0' 1

"$STCONFIG" -d "$DOCS" set CommunityConnector alpha-edge \
	SupportedCommunities=False >"$T/set1" 2>&1 &&
	t_pass "stconfig disables beta in alpha's connector" ||
	t_fail "stconfig set SupportedCommunities=False ($(cat "$T/set1"))"
"$STCONFIG" -s "$SOCK" reload >"$T/reload1" 2>&1 &&
	t_pass "stconfig reload" || t_fail "stconfig reload ($(cat "$T/reload1"))"
t_expect "the connector applies the new documents" \
	"$FED_DIR/alpha-gateway.log" 'alpha-edge applied CONFIG generation 2' 10

fed_mark alice; fed_mark bob
fed_say alice "msg @E bob@beta.example while disabled"
e "to beta refused: alice gets an error" alice '^error @E bob@beta\.example'
fed_say bob "msg @E alice@alpha.example while disabled"
e "from beta refused: bob gets an error" bob '^error @E alice@alpha\.example'
t_expect "alpha's connector says why" "$FED_DIR/alpha-connector.log" \
	'403 for beta\.example from .*(no ExternCommunity owns|not in SupportedCommunities)' 5
sleep 0.5
t_expect_not "bob got nothing" "$FED_DIR/cl/bob.out" 'while disabled'
t_expect_not "alice got nothing" "$FED_DIR/cl/alice.out" 'im .*while disabled'
status "$T/status2"
t_expect "status while disabled: the link is still up" "$T/status2" \
	"^  link alpha-edge $FED_ALPHA_CONN:[0-9]+ up" 1
t_expect "status while disabled: the refusal is counted for beta" "$T/status2" \
	'^community beta: messages in [0-9]+, out [0-9]+, errors [1-9]' 1

"$STCONFIG" -d "$DOCS" set CommunityConnector alpha-edge \
	SupportedCommunities=beta >/dev/null 2>&1 &&
	"$STCONFIG" -s "$SOCK" reload >/dev/null 2>&1 &&
	t_pass "stconfig enables beta again and reloads" ||
	t_fail "stconfig enables beta again and reloads"
t_expect "the connector applies them" \
	"$FED_DIR/alpha-gateway.log" 'alpha-edge applied CONFIG generation 3' 10
fed_mark alice; fed_mark bob
fed_say alice "msg @E bob@beta.example enabled again"
e "restored: alice -> bob" bob '^im @E alice@alpha\.example enabled again$'
fed_say bob "msg @E alice@alpha.example welcome back"
e "restored: bob -> alice" alice '^im @E bob@beta\.example welcome back$'
fed_say alice "watch @E bob@beta.example"
e "restored: presence too" alice '^presence @E bob@beta\.example active'
status "$T/status3"
# counters: messages in and out for beta grew after the restore
counts() { sed -n 's/^community beta: messages in \([0-9]*\), out \([0-9]*\),.*/\1 \2/p' "$1"; }
read -r in2 out2 <<<"$(counts "$T/status2")"
read -r in3 out3 <<<"$(counts "$T/status3")"
[ "${in3:-0}" -gt "${in2:-0}" ] && [ "${out3:-0}" -gt "${out2:-0}" ] &&
	t_pass "status after: messages in/out for beta grew ($in2/$out2 -> $in3/$out3)" ||
	t_fail "status after: messages in/out for beta grew (${in2:-?}/${out2:-?} -> ${in3:-?}/${out3:-?})"
t_expect "status after: one subscription out" "$T/status3" \
	'^subscriptions out: 1' 1

pids_after=$(for n in alpha-community alpha-gateway alpha-connector; do fed_pid $n; done)
alive=1
for p in $pids_after; do kill -0 "$p" 2>/dev/null || alive=0; done
[ "$pids_before" = "$pids_after" ] && [ $alive = 1 ] &&
	t_pass "no process was restarted" || t_fail "no process was restarted"
t_expect_not "alpha's connector kept its link to the gateway" \
	"$FED_DIR/alpha-connector.log" 'link: gateway .* down'
fed_t_finish alpha-gateway beta-gateway
