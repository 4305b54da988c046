#!/bin/bash
# External watchers of Sametime users (expiry, unsubscribe, unknown event,
# final NOTIFYs) and the limits that keep one partner from exhausting the
# gateway: subscriptions per watcher, body size, message rate per domain;
# isComposing from SIP.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/gateway_lib.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$GW_PEER"
gw_setup MaxSubscriptionsPerWatcher=2 MaxBodySize=256 MaxMessageRate=5 \
	SubscribeMaxExpires=30 SipTimeout=2
gw_start || { t_fail "community, gateway and peer start"; t_done; exit; }
gw_client alice || t_fail "alice logs in"
gw_client dave || t_fail "dave logs in"

# Unknown event package: 489.
gw_peer subscribe-event message-summary carol@beta.example alice@alpha.example
t_expect "unknown event package: 489" "$T/peer.log" "^resp SUBSCRIBE 489"

# Expiry: a 2-second subscription ends with a final NOTIFY (timeout).
gw_peer subexpires 2
gw_peer subscribe carol@beta.example alice@alpha.example
t_expect "SUBSCRIBE answered 200" "$T/peer.log" "^resp SUBSCRIBE 200"
t_expect "first NOTIFY: active" "$T/peer.log" "^substate active;expires=[12]$"
t_expect "expiry: final NOTIFY terminated;reason=timeout" "$T/peer.log" \
	"^substate terminated;reason=timeout" 5
t_expect "final NOTIFY shows closed" "$T/peer.log" "^body .*<basic>closed</basic>"

# A fetch (Expires: 0 on a new subscription): 200, one final NOTIFY with
# the current state (alice is online: open).
gw_peer subexpires 0
gw_peer subscribe gus@beta.example alice@alpha.example
fetch_done() {
	grep -A4 '^req NOTIFY sip:peer' "$T/peer.log" |
		grep -q '^substate terminated;reason=timeout' &&
		t_count_ge "$T/peer.log" '^resp SUBSCRIBE 200' 2
}
t_until 5 fetch_done
t_check "fetch answered 200" t_count_ge "$T/peer.log" '^resp SUBSCRIBE 200' 2
t_expect "fetch: one NOTIFY, terminated, with the state (open)" "$T/peer.log" \
	"^body .*<basic>open</basic>" 5
"$STCONFIG" -s "$T/gw.sock" status >"$T/status0.out" 2>&1
t_expect "fetch leaves no subscription behind" "$T/status0.out" \
	"subscriptions in: 0"

# Unsubscribe in the dialog: 200 and a final NOTIFY.
gw_peer subexpires 60
gw_peer subscribe carol@beta.example dave@alpha.example
t_wait_count "$T/peer.log" "^resp SUBSCRIBE 200" 3 || t_fail "second SUBSCRIBE 200"
t_wait_count "$T/peer.log" "^substate active" 2
gw_peer unsubscribe
t_wait_count "$T/peer.log" "^resp SUBSCRIBE 200" 4 &&
	t_pass "unsubscribe answered 200" || t_fail "unsubscribe answered 200"
t_wait_count "$T/peer.log" "^substate terminated" 3 &&
	t_pass "unsubscribe: final NOTIFY terminated" ||
	t_fail "unsubscribe: final NOTIFY terminated"

# Limit per watcher (2): the third subscription of one watcher is refused.
gw_peer subscribe frank@beta.example alice@alpha.example
gw_peer subscribe frank@beta.example dave@alpha.example
t_wait_count "$T/peer.log" "^resp SUBSCRIBE 200" 6 ||
	t_fail "frank's first two subscriptions accepted"
gw_peer subscribe frank@beta.example erin@alpha.example
t_expect "third subscription of one watcher: 403" "$T/peer.log" "^resp SUBSCRIBE 403"
t_expect "limit logged" "$T/gateway.log" "frank@beta.example reached the limit of 2"
# Status changes reach every remaining watcher.
gw_cmd alice status dnd "in a meeting"
t_expect "dnd -> NOTIFY with RPID busy and the note" "$T/peer.log" \
	"^body .*<note>in a meeting</note>.*<rpid:busy/>"

# isComposing from SIP: accepted (200), no IM shown.
n=$(grep -c '^resp MESSAGE 200' "$T/peer.log")
gw_peer composing bob@beta.example alice@alpha.example active
t_wait_count "$T/peer.log" "^resp MESSAGE 200" $((n + 1)) &&
	t_pass "isComposing answered 200" || t_fail "isComposing answered 200"
t_expect_not "isComposing shows no IM" "$T/alice.log" "^im "

# Body size: 413.
gw_peer bigmessage bob@beta.example alice@alpha.example 300
t_expect "body over MaxBodySize: 413" "$T/peer.log" "^resp MESSAGE 413"
t_expect_not "oversized body not delivered" "$T/alice.log" "xxxxxxxxxx"

# A user in do-not-disturb: 486 Busy Here, nothing shown.
gw_peer message bob@beta.example alice@alpha.example are you busy
t_expect "MESSAGE to a user in DND: 486" "$T/peer.log" "^resp MESSAGE 486"
gw_cmd alice status active
sleep 0.5

# Message rate per domain (5/s): a burst of 12 gets 503s, the rest arrive.
sleep 1
for i in $(seq 12); do
	gw_peer message bob@beta.example alice@alpha.example burst $i
done
t_expect "burst over MaxMessageRate: 503" "$T/peer.log" "^resp MESSAGE 503"
t_expect "the first of the burst delivered" "$T/alice.log" "^im @E bob@beta.example burst 1$"

# A MESSAGE the far side never answers: the Sametime sender gets an error.
sleep 1.2	# out of the burst's rate window
gw_peer answer -1 bob
gw_cmd dave msg "@E bob@beta.example" anyone there
t_expect "unanswered MESSAGE reaches the peer" "$T/peer.log" "^body anyone there$"
t_expect "no answer within SipTimeout -> dave gets an error" "$T/dave.log" \
	"^error @E bob@beta.example" 6

# Malformed and hostile SIP from the link: answered or dropped, the
# gateway keeps serving.
gw_peer garbage
t_expect "in-dialog SUBSCRIBE for no dialog: 481" "$T/peer.log" "^resp SUBSCRIBE 481"
t_expect "NOTIFY with a DOCTYPE for no dialog: 481" "$T/peer.log" "^resp NOTIFY 481"
t_expect "broken message/cpim: 400" "$T/peer.log" "^resp MESSAGE 400"
t_expect "INVITE: 405" "$T/peer.log" "^resp INVITE 405"
t_expect "malformed frames logged" "$T/gateway.log" "malformed message from connector"
sleep 1.1
gw_peer message bob@beta.example alice@alpha.example still alive
t_expect "after the garbage: MESSAGE delivered" "$T/alice.log" \
	"^im @E bob@beta.example still alive"

"$STCONFIG" -s "$T/gw.sock" status >"$T/status.out" 2>&1
t_expect "status counts the incoming subscriptions" "$T/status.out" \
	"subscriptions in: 2"
t_expect "status counts messages of community beta" "$T/status.out" \
	"community beta: messages in [1-9][0-9]*"

t_stop gateway
t_expect_not "gateway exits without sanitizer reports" "$T/gateway.log" \
	"Sanitizer|runtime error"
t_done
