#!/bin/bash
# Requests from the gateway on a flow it names: the gateway end answers a
# SUBSCRIBE and sends the NOTIFY back on the flow the SUBSCRIBE came in on
# (the same TCP connection; for UDP the same address), with the
# connector's Via on top; the subscriber's 200 comes back to the gateway.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/connector_lib.sh"

cn_setup
cn_start_peer -N
cn_start_conn || t_fail "connector got its configuration"

M=$T/msg; mkdir -p "$M"
cn_msg "$M/sub_tcp" SUBSCRIBE sip:alice@alpha.example beta.example TCP
cn_msg "$M/sub_udp" SUBSCRIBE sip:alice@alpha.example beta.example UDP
"$SIPCLIENT" -n -t tcp -b "$B" "$C:$SP" "$M/sub_tcp" >"$T/tcp"
"$SIPCLIENT" -n -b "$B" "$C:$SP" "$M/sub_udp" >"$T/udp"
cat "$T/tcp" "$T/udp" >&2
t_expect "TCP SUBSCRIBE answered" "$T/tcp" '^sub_tcp: 200'
t_expect "NOTIFY came back on the same TCP connection" "$T/tcp" '^sub_tcp: got NOTIFY'
t_expect "with the connector's Via on top" "$T/tcp" \
	'^VIA SIP/2.0/TCP sip.alpha.example:[0-9]+;.*branch=z9hG4bKstc'
t_expect "UDP SUBSCRIBE answered" "$T/udp" '^sub_udp: 200'
t_expect "NOTIFY came back to the UDP source" "$T/udp" '^sub_udp: got NOTIFY'
[ "$(grep -c '^RESP 200 NOTIFY' "$T/peer.log")" = 2 ] &&
	t_pass "both NOTIFYs' 200s reached the gateway" ||
	t_fail "NOTIFY answers at the gateway: $(grep -c '^RESP 200 NOTIFY' "$T/peer.log")"
cn_finish
t_done
