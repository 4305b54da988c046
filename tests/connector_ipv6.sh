#!/bin/bash
# IPv6 end to end on ::1: the link to the gateway, the connector's SIP
# sockets (CommunityConnector IP = ::1), an AAAA record for beta's proxy,
# and MESSAGE over UDP, TCP and TLS relayed and answered.  Ports are
# derived from the test name so parallel tests do not collide on ::1.
. "$top_srcdir/tests/lib/common.sh"
h=$(( $(printf '%s' "$T_NAME" | cksum | cut -d' ' -f1) % 2000 ))
CN_C=::1 CN_B=::1 CN_X=::1 CN_BREC=AAAA
CN_SIP_PORT=$((30000 + h * 4)) CN_TLS_PORT=$((30001 + h * 4))
CN_LINK_PORT=$((30002 + h * 4)) CN_DNS_PORT=$((30003 + h * 4))
. "$top_srcdir/tests/connector_lib.sh"
python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
	2>/dev/null || t_skip "no IPv6 loopback"

cn_setup
cn_start_peer
cn_start_conn || t_fail "connector got its configuration over an IPv6 link"
t_expect "link over IPv6" "$T/conn.log" "link: up to gateway linkpeer \\(\\[::1\\]:$GP\\)"

M=$T/msg; mkdir -p "$M"
cn_msg "$M/udp6" MESSAGE sip:alice@alpha.example beta.example UDP
cn_msg "$M/tcp6" MESSAGE sip:alice@alpha.example beta.example TCP
cn_msg "$M/tls6" MESSAGE sip:alice@alpha.example beta.example TLS
"$SIPCLIENT" "[::1]:$SP" "$M/udp6" >"$T/out"
"$SIPCLIENT" -t tcp "[::1]:$SP" "$M/tcp6" >>"$T/out"
"$SIPCLIENT" -t tls -a "$PKI/ca.pem" "[::1]:$TP" "$M/tls6" >>"$T/out"
cat "$T/out" >&2
t_expect "UDP over IPv6: 200" "$T/out" '^udp6: 200'
t_expect "TCP over IPv6: 200" "$T/out" '^tcp6: 200'
t_expect "TLS over IPv6: 200" "$T/out" '^tls6: 200'
t_expect "the gateway sees the IPv6 source" "$T/peer.log" \
	'^REQ MESSAGE tp=udp from=\[::1\]:[0-9]+ community=beta'
t_expect "trust checked against the AAAA record" "$T/conn.log" \
	'trust: beta.example from ::1 is community beta'
cn_finish
t_done
