#!/bin/bash
# DNS answers are cached for their TTL and looked up again after it: when
# beta.example's proxy moves to another address (the DNS server restarted
# with new records, TTL 2 s), the new address is trusted and the old one
# refused.  Connection reuse: three requests to a TCP community share one
# connection.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/connector_lib.sh"

cn_setup
sed -i 's/^SupportedCommunities = .*/SupportedCommunities = beta, delta, epsilon/' \
	"$DOCS/CommunityConnector/conn1.ini"
cat >"$DOCS/ExternCommunity/epsilon.ini" <<EOT
[ExternCommunity]
CommunityName = epsilon
Domains = epsilon.example
DNS = $B
Port = 5072
Transport = tcp
EOT
cn_start_peer
cn_start_conn || t_fail "connector got its configuration"

M=$T/msg; mkdir -p "$M"
cn_msg "$M/m" MESSAGE sip:alice@alpha.example beta.example UDP
"$SIPCLIENT" -b "$B" "$C:$SP" "$M/m" >"$T/before_b"
t_expect "beta's proxy at its first address: 200" "$T/before_b" '^m: 200'

t_stop dnsmasq
mv "$T/dnsmasq.log" "$T/dnsmasq.1.log"	# its "started" must not count
t_dns_start "$C" "$DP" \
	"SRV:_sip._udp.beta.example:sip.beta.example:5060:10:10" \
	"A:sip.beta.example:$X"
sleep 3		# longer than the TTL
"$SIPCLIENT" -b "$X" "$C:$SP" "$M/m" >"$T/after_x"
"$SIPCLIENT" -b "$B" "$C:$SP" "$M/m" >"$T/after_b"
t_expect "after the TTL the new address is trusted" "$T/after_x" '^m: 200'
t_expect "and the old one refused" "$T/after_b" '^m: 403'
t_expect "the refusal names the new DNS answer" "$T/conn.log" \
	"403 for beta.example from $B: .*DNS gave: $X"

t_start eps "$SIPCLIENT" -s -t tcp "$B:5072"
t_wait_grep "$T/eps.log" LISTENING 5
for i in 1 2 3; do
	{
		printf 'MESSAGE sip:erin@epsilon.example SIP/2.0\r\n'
		printf 'Via: SIP/2.0/TLS gw.alpha.example;branch=z9hG4bKeps%s\r\n' "$i"
		printf 'Max-Forwards: 70\r\nFrom: <sip:alice@alpha.example>;tag=1\r\n'
		printf 'To: <sip:erin@epsilon.example>\r\nCall-ID: eps-%s\r\n' "$i"
		printf 'CSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n'
	} >"$T/e$i"
	cn_peer "send $T/e$i"
	t_wait_grep "$T/peer.log" "^RESP 200 MESSAGE callid=eps-$i" 5
done
[ "$(grep -c '^RESP 200 MESSAGE callid=eps-' "$T/peer.log")" = 3 ] &&
	t_pass "three requests to the TCP community answered" ||
	t_fail "TCP community: $(grep -c 'callid=eps-' "$T/peer.log") answers"
[ "$(grep -c '^ACCEPT' "$T/eps.log")" = 1 ] &&
	t_pass "one connection reused for all three" ||
	t_fail "connections opened: $(grep -c '^ACCEPT' "$T/eps.log")"
cn_finish
t_done
