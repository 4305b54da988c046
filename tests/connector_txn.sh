#!/bin/bash
# Server transactions end to end (RFC 3261 17.2): a retransmission during
# Timer J gets the stored final answer and is not relayed again; after
# Timer J the same request is a new transaction; a silent gateway earns
# the sender a 408 (kept under Timer J too); the link going down answers
# every waiting request with 503; a long pipelined burst on one stream
# is all relayed.  T1 = 20 ms: Timer J is 1.28 s.
. "$top_srcdir/tests/lib/common.sh"
CN_T1=20
. "$top_srcdir/tests/connector_lib.sh"

cn_setup
cn_start_peer
cn_start_conn || t_fail "connector got its configuration"

M=$T/msg; mkdir -p "$M"
req() {	# req NAME CALLID: a UDP MESSAGE with a fixed Call-ID and branch
	cn_msg "$M/$1" MESSAGE sip:alice@alpha.example beta.example UDP
	sed -i "s/@CALLID@/$2/g" "$M/$1"
}
relayed() { grep -c "callid=$1 " "$T/peer.log"; }

req again txn-again-1
"$SIPCLIENT" -b "$B" "$C:$SP" "$M/again" "$M/again" >"$T/a1"
[ "$(grep -c '^again: 200' "$T/a1")" = 2 ] &&
	t_pass "the retransmission is answered" ||
	t_fail "the retransmission is answered ($(cat "$T/a1"))"
[ "$(relayed txn-again-1)" = 1 ] &&
	t_pass "... from the finished transaction, not relayed again" ||
	t_fail "relayed $(relayed txn-again-1) times"
sleep 1.6			# Timer J (1.28 s) and its sweep
"$SIPCLIENT" -b "$B" "$C:$SP" "$M/again" >"$T/a2"
t_expect "after Timer J the same request is answered" "$T/a2" '^again: 200'
[ "$(relayed txn-again-1)" = 2 ] &&
	t_pass "... as a new transaction (relayed again)" ||
	t_fail "after Timer J: relayed $(relayed txn-again-1) times"

# a long pipelined burst on one TCP stream (several turns of its reader:
# the rest must not wait for more bytes)
files=()
for i in $(seq 1 80); do
	cn_msg "$M/p$i" MESSAGE sip:alice@alpha.example beta.example TCP
	files+=("$M/p$i")
done
"$SIPCLIENT" -P -t tcp -b "$B" "$C:$SP" "${files[@]}" >"$T/pipe"
[ "$(grep -c '^p[0-9]*: 200' "$T/pipe")" = 80 ] &&
	t_pass "80 pipelined requests on one stream: all answered" ||
	t_fail "pipelined: $(grep -c '^p[0-9]*: 200' "$T/pipe") of 80 answered"

# a gateway that never answers: 408 after 64 * T1, and the retransmission
# gets the same 408
cn_peer "code 0"
req silent txn-silent-1
"$SIPCLIENT" -w 4000 -b "$B" "$C:$SP" "$M/silent" "$M/silent" >"$T/s1"
[ "$(grep -c '^silent: 408' "$T/s1")" = 2 ] &&
	t_pass "silent gateway: 408, and 408 again to the retransmission" ||
	t_fail "silent gateway: $(cat "$T/s1")"
[ "$(relayed txn-silent-1)" = 1 ] && t_pass "... relayed once" ||
	t_fail "silent gateway: relayed $(relayed txn-silent-1) times"
t_expect "the 408 is logged" "$T/conn.log" 'did not answer a MESSAGE in time: 408'

# the link goes down while a request waits: 503 with Retry-After
req down txn-down-1
"$SIPCLIENT" -w 5000 -b "$B" "$C:$SP" "$M/down" >"$T/d1" &
client=$!
t_wait_grep "$T/peer.log" "callid=txn-down-1 " 5
t_stop peer TERM
wait "$client"
t_expect "link down: the waiting request gets 503" "$T/d1" '^down: 503'
cn_finish
t_done
