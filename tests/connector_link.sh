#!/bin/bash
# The link to the gateway: failover from a dead first gateway to the
# second; 503 + Retry-After while no gateway is up; the link comes back by
# itself after the gateway restarts; a dead (stopped) gateway is noticed by
# heartbeats; documents pushed again apply without a restart; a bad push is
# refused with an ERROR frame and the documents in use are kept.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/connector_lib.sh"

CN_GW="$C:5079, $C:5070"	# nothing listens on 5079
cn_setup
cn_start_peer
cn_start_conn || t_fail "connector got its configuration"
t_expect "first gateway down: failover to the second" "$T/conn.log" \
	"link: up to gateway linkpeer \\($C:5070\\)"

M=$T/msg; mkdir -p "$M"
cn_msg "$M/beta" MESSAGE sip:alice@alpha.example beta.example UDP
cn_msg "$M/delta" MESSAGE sip:alice@alpha.example delta.example UDP
send() { "$SIPCLIENT" -b "$B" "$C:5060" "$@"; }

send "$M/beta" >"$T/r1"
t_expect "relayed while the link is up" "$T/r1" '^beta: 200'

t_stop peer
t_expect "connector notices the gateway is gone" "$T/conn.log" \
	'link: gateway .* down' 5
send "$M/beta" >"$T/r2"
t_expect "no gateway: 503" "$T/r2" '^beta: 503 Service Unavailable'

# t_start truncates the log from the background: move the old one away so
# that the waits below cannot match the first peer's lines
mv "$T/peer.log" "$T/peer.1.log"
cn_start_peer
t_expect "link comes back by itself" "$T/peer.log" '^CONFIG_ACK 1' 10
send "$M/beta" >"$T/r3"
t_expect "relayed again after the gateway restarted" "$T/r3" '^beta: 200'

# new documents, no restart: beta no longer supported
sed -i 's/^SupportedCommunities = .*/SupportedCommunities = delta/' \
	"$DOCS/CommunityConnector/conn1.ini"
cn_peer push
t_expect "second push acknowledged" "$T/peer.log" '^CONFIG_ACK 2' 5
send "$M/beta" "$M/delta" >"$T/r4"
t_expect "pushed documents apply: beta now refused" "$T/r4" '^beta: 403'
t_expect "delta still relayed" "$T/r4" '^delta: 200'

# a bad push: refused, documents in use kept
sed -i 's/^Port = 5070$/Port = 70000/' "$DOCS/ExternCommunity/delta.ini"
cn_peer push
t_expect "bad push answered with ERROR" "$T/peer.log" '^ERROR 5 generation 3 refused: .*delta.ini:[0-9]+: Port' 5
t_expect "config error logged as file:line" "$T/conn.log" \
	'config: .*ExternCommunity/delta.ini:[0-9]+: Port'
send "$M/delta" >"$T/r5"
t_expect "old documents still in use" "$T/r5" '^delta: 200'

# a gateway that stops answering: heartbeats find out
kill -STOP "$(t_pid peer)"
t_expect "silent gateway detected by heartbeats" "$T/conn.log" \
	'down: no heartbeat' 12
kill -CONT "$(t_pid peer)"
cn_finish
# the test gateway itself: an address it cannot bind, a command FIFO that
# is not there, and a plain quit end without a leak (the ASan runs
# check them with LeakSanitizer)
lp=("$LINKPEER" -c "$PKI/gw.pem" -k "$PKI/gw.key" -a "$PKI/ca.pem" -d "$DOCS")
"${lp[@]}" -l 192.0.2.1:5999 >"$T/lp_bind" 2>&1
"${lp[@]}" -l "$C:5998" -i "$T/no-such-fifo" >"$T/lp_fifo" 2>&1
echo quit | "${lp[@]}" -l "$C:5998" >"$T/lp_quit" 2>&1
for f in lp_bind lp_fifo lp_quit; do
	t_expect_not "linkpeer ($f): no leak or sanitizer report" "$T/$f" \
		'LeakSanitizer|Sanitizer|runtime error'
done
t_expect "linkpeer: a bind error is reported" "$T/lp_bind" '^bind:'
t_done
