#!/bin/bash
# The gateway itself goes away (SIGKILL) while Sametime users watch an
# external user: they see that user offline; a new gateway is told about
# the watchers by the community server (resync), subscribes again and the
# users see the external status again.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/gateway_lib.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$GW_PEER"
gw_setup
gw_start || { t_fail "community, gateway and peer start"; t_done; exit; }
gw_client alice || t_fail "alice logs in"
gw_client dave || t_fail "dave logs in"

gw_cmd alice watch "@E bob@beta.example"
gw_cmd dave watch "@E bob@beta.example"
t_expect "one SUBSCRIBE for both watchers" "$T/peer.log" \
	"^req SUBSCRIBE sip:bob@beta.example"
sleep 0.3
gw_peer notify open none "at work"
t_expect "alice sees bob active" "$T/alice.log" \
	"^presence @E bob@beta.example active at work"
t_expect "dave sees bob active" "$T/dave.log" \
	"^presence @E bob@beta.example active at work"

t_stop gateway KILL
t_expect "gateway gone: alice sees bob offline" "$T/alice.log" \
	"^presence @E bob@beta.example offline" 5
t_expect "... and so does dave" "$T/dave.log" \
	"^presence @E bob@beta.example offline" 5
t_expect "the link peer notices" "$T/peer.log" "^closed$" 10

t_start gateway "$STGATEWAY" -d -c "$GW_D" -f "$T/gw.conf"
t_wait_grep "$T/gateway.log" "session with .* up" 15 ||
	t_fail "new gateway logs in"
t_fifo peer2
"$GW_PEER" "$T/pki/edge.pem" "$T/pki/edge.key" "$T/pki/ca.pem" edge1 \
	"$GW_LINK" 5070 <"$T/peer2.in" >"$T/peer2.log" 2>"$T/peer2.err.log" &
T_PIDS+=("$!")
t_expect "link up again" "$T/peer2.log" "^up "
# The subscription may have been tried before the link was up: it is
# retried (capped backoff) and made once the link is there.
t_expect "the watch comes back: SUBSCRIBE again" "$T/peer2.log" \
	"^req SUBSCRIBE sip:bob@beta.example" 15
sleep 0.3
printf 'notify open away "back soon"\n' >&"${T_FD[peer2]}"
t_expect "alice sees bob's status again" "$T/alice.log" \
	"^presence @E bob@beta.example away" 10
t_expect "dave too" "$T/dave.log" "^presence @E bob@beta.example away" 10
[ "$(grep -c '^req SUBSCRIBE sip:bob' "$T/peer2.log")" -eq 1 ] &&
	t_pass "still one shared subscription" ||
	t_fail "still one shared subscription"

t_stop gateway
t_expect_not "gateway exits without sanitizer reports" "$T/gateway.log" \
	"Sanitizer|runtime error"
t_done
