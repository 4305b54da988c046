#!/bin/bash
# Inbound relay and IP trust: requests from beta.example's proxy (by DNS SRV
# and A records on a real DNS server) reach the gateway end of the link and
# the answers come back, over UDP and TCP; a stranger, an unknown domain and
# a community that is not enabled get 403; OPTIONS to the connector is
# answered locally.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/connector_lib.sh"

cn_setup
cn_start_peer
cn_start_conn || t_fail "connector got its configuration"
t_wait_tcp "$C" 5060 5

M=$T/msg; mkdir -p "$M"
cn_msg "$M/udp_message" MESSAGE sip:alice@alpha.example beta.example UDP
cn_msg "$M/udp_subscribe" SUBSCRIBE sip:alice@alpha.example beta.example UDP
cn_msg "$M/tcp_message" MESSAGE sip:alice@alpha.example beta.example TCP
cn_msg "$M/tcp_subscribe" SUBSCRIBE sip:alice@alpha.example beta.example TCP
cn_msg "$M/delta_message" MESSAGE sip:alice@alpha.example delta.example UDP
cn_msg "$M/unknown_domain" MESSAGE sip:alice@alpha.example nowhere.example UDP
cn_msg "$M/gamma_disabled" MESSAGE sip:alice@alpha.example gamma.example UDP
cn_msg "$M/options_local" OPTIONS "sip:$C:5060" beta.example UDP

# a Via naming another host: the connector adds received= and rport's value
sed 's/^Via: SIP\/2.0\/UDP @ME@;/Via: SIP\/2.0\/UDP proxy.beta.example:5060;/; s/@CALLID@/via-received-1/g' \
	"$M/udp_message" >"$M/via_received"
"$SIPCLIENT" -b "$B" "$C:5060" "$M/via_received" >"$T/out_b_via"
"$SIPCLIENT" -b "$B" "$C:5060" "$M/udp_message" "$M/udp_subscribe" \
	"$M/delta_message" >"$T/out_b_udp"
"$SIPCLIENT" -t tcp -b "$B" "$C:5060" "$M/tcp_message" "$M/tcp_subscribe" \
	>"$T/out_b_tcp"
"$SIPCLIENT" -b "$X" "$C:5060" "$M/udp_message" >"$T/out_x"
"$SIPCLIENT" -b "$B" "$C:5060" "$M/unknown_domain" "$M/gamma_disabled" \
	"$M/options_local" >"$T/out_other"
cat "$T"/out_* >&2

t_expect "UDP MESSAGE from beta's proxy: 200" "$T/out_b_udp" '^udp_message: 200 OK'
t_expect "UDP SUBSCRIBE from beta's proxy: 200" "$T/out_b_udp" '^udp_subscribe: 200 OK'
t_expect "TCP MESSAGE from beta's proxy: 200" "$T/out_b_tcp" '^tcp_message: 200 OK'
t_expect "TCP SUBSCRIBE from beta's proxy: 200" "$T/out_b_tcp" '^tcp_subscribe: 200 OK'
t_expect "DNS host of the document (delta): 200" "$T/out_b_udp" '^delta_message: 200 OK'
t_expect "gateway saw the MESSAGE with its metadata" "$T/peer.log" \
	"^REQ MESSAGE tp=udp from=$B:[0-9]+ community=beta flags=0"
t_expect "gateway saw the TCP SUBSCRIBE" "$T/peer.log" \
	"^REQ SUBSCRIBE tp=tcp from=$B:[0-9]+ community=beta"
t_expect "received and rport added to the top Via" "$T/peer.log" \
	"callid=via-received-1 via=SIP/2.0/UDP proxy.beta.example:5060;branch=z9hG4bKvia-received-1;rport=[0-9]+;received=$B"
t_expect "rport value filled in" "$T/peer.log" \
	"^REQ MESSAGE tp=udp .* via=SIP/2.0/UDP $B:[0-9]+;branch=[^;]*;rport=[0-9]+\$"
t_expect "stranger with beta's domain: 403" "$T/out_x" '^udp_message: 403'
t_expect "log names domain, source and DNS addresses" "$T/conn.log" \
	"403 for beta.example from $X: .*DNS gave: $B"
t_expect "unknown domain: 403" "$T/out_other" '^unknown_domain: 403'
t_expect "community not enabled: 403" "$T/out_other" '^gamma_disabled: 403'
t_expect "OPTIONS to the connector answered locally" "$T/out_other" '^options_local: 200'
t_expect_not "OPTIONS not relayed" "$T/peer.log" '^REQ OPTIONS'
t_expect_not "stranger not relayed" "$T/peer.log" "from=$X"
cn_finish
t_done
