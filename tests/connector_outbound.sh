#!/bin/bash
# Outbound routing: the gateway end sends requests out through the
# connector; beta.example is found by DNS SRV and answers; the connector's
# Via and Record-Route carry the AdvertisedHost (NAT); an unknown domain
# gets 404 back, a community that is not enabled 403, and a silent far end
# 408 (Timer F; t1 = 100 ms here).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/connector_lib.sh"

cn_setup
cn_start_peer
cn_start_conn || t_fail "connector got its configuration"
t_start beta "$SIPCLIENT" -s -r 200 "$B:5060"
t_wait_grep "$T/beta.log" LISTENING 5

# out FILE CALLID RURI METHOD
out() {
	local ev=""
	[ "$4" = SUBSCRIBE ] && ev="Event: presence
Expires: 60
Contact: <sip:alice@gw.alpha.example>
"
	{
		printf '%s %s SIP/2.0\r\n' "$4" "$3"
		printf 'Via: SIP/2.0/TLS gw.alpha.example;branch=z9hG4bK%s\r\n' "$2"
		printf 'Max-Forwards: 70\r\n'
		printf 'From: <sip:alice@alpha.example>;tag=a%s\r\n' "$2"
		printf 'To: <%s>\r\n' "$3"
		printf 'Call-ID: %s\r\n' "$2"
		printf 'CSeq: 1 %s\r\n' "$4"
		[ -n "$ev" ] && printf '%s' "$ev" | sed 's/$/\r/'
		printf 'Content-Length: 0\r\n\r\n'
	} >"$1"
}
out "$T/o1" out-msg sip:carol@beta.example MESSAGE
out "$T/o2" out-sub sip:carol@beta.example SUBSCRIBE
out "$T/o3" out-unknown sip:carol@nowhere.example MESSAGE
out "$T/o4" out-gamma sip:carol@gamma.example MESSAGE
out "$T/o5" out-silent sip:dave@delta.example MESSAGE

for f in o1 o2 o3 o4 o5; do cn_peer "send $T/$f"; done

t_expect "MESSAGE to beta by SRV: 200 back to the gateway" "$T/peer.log" \
	'^RESP 200 MESSAGE callid=out-msg community=beta'
t_expect "SUBSCRIBE to beta: 200 back" "$T/peer.log" \
	'^RESP 200 SUBSCRIBE callid=out-sub community=beta'
t_expect "beta's proxy got the MESSAGE" "$T/beta.log" '^REQ MESSAGE sip:carol@beta.example'
t_expect "our Via carries the advertised host" "$T/beta.log" \
	'^VIA SIP/2.0/UDP sip.alpha.example:5060;.*branch=z9hG4bKstc'
t_expect "SUBSCRIBE carries our Record-Route" "$T/beta.log" \
	'^RR <sip:sip.alpha.example:5060;transport=udp;lr>'
t_expect "unknown domain: 404 to the gateway" "$T/peer.log" \
	'^RESP 404 MESSAGE callid=out-unknown'
t_expect "community not enabled: 403 to the gateway" "$T/peer.log" \
	'^RESP 403 MESSAGE callid=out-gamma'
t_expect "silent far end: 408 to the gateway" "$T/peer.log" \
	'^RESP 408 MESSAGE callid=out-silent' 15
cn_finish
t_done
