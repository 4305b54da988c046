#!/bin/bash
# SIP over TLS, both ways, with RFC 5922 certificate checks: beta.example
# requires a verified certificate (VerifyCertificate = true).  Inbound, a
# client presenting beta's certificate is relayed (flag CERT_VERIFIED), one
# presenting another domain's certificate or none gets 403.  Outbound, the
# connector finds beta by SRV _sips._tcp and accepts its certificate; a
# server with a wrong certificate is refused and the gateway gets 503.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/connector_lib.sh"

cn_setup_tls
cn_start_peer
cn_start_conn || t_fail "connector got its configuration"
t_wait_tcp "$C" 5061 5

M=$T/msg; mkdir -p "$M"
cn_msg "$M/tls_message" MESSAGE sip:alice@alpha.example beta.example TLS
cn_msg "$M/tls_subscribe" SUBSCRIBE sip:alice@alpha.example beta.example TLS
tls() { "$SIPCLIENT" -t tls -b "$B" -a "$PKI/ca.pem" "$@"; }

tls -c "$PKI/beta.pem" -k "$PKI/beta.key" "$C:5061" \
	"$M/tls_message" "$M/tls_subscribe" >"$T/in_ok"
tls -c "$PKI/evil.pem" -k "$PKI/evil.key" "$C:5061" "$M/tls_message" \
	>"$T/in_evil"
tls "$C:5061" "$M/tls_message" >"$T/in_nocert"
cat "$T"/in_* >&2
t_expect "TLS MESSAGE with beta's certificate: 200" "$T/in_ok" '^tls_message: 200'
t_expect "TLS SUBSCRIBE with beta's certificate: 200" "$T/in_ok" '^tls_subscribe: 200'
t_expect "gateway told the certificate was verified" "$T/peer.log" \
	'^REQ MESSAGE tp=tls from=.* community=beta flags=1'
t_expect "certificate of another domain: 403" "$T/in_evil" '^tls_message: 403'
t_expect "no client certificate: 403" "$T/in_nocert" '^tls_message: 403'
t_expect "refusal logged" "$T/conn.log" \
	'403 for beta.example from .*: TLS certificate does not match'

out() {
	{
		printf 'MESSAGE sip:carol@beta.example SIP/2.0\r\n'
		printf 'Via: SIP/2.0/TLS gw.alpha.example;branch=z9hG4bK%s\r\n' "$2"
		printf 'Max-Forwards: 70\r\nFrom: <sip:alice@alpha.example>;tag=1\r\n'
		printf 'To: <sip:carol@beta.example>\r\nCall-ID: %s\r\n' "$2"
		printf 'CSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n'
	} >"$1"
}
out "$T/o1" tls-good
out "$T/o2" tls-evil
t_start beta "$SIPCLIENT" -s -t tls -c "$PKI/beta.pem" -k "$PKI/beta.key" "$B:5061"
t_wait_grep "$T/beta.log" LISTENING 5
cn_peer "send $T/o1"
t_expect "outbound TLS to beta (SRV _sips._tcp): 200" "$T/peer.log" \
	'^RESP 200 MESSAGE callid=tls-good community=beta'
t_expect "beta got it over TLS" "$T/beta.log" '^VIA SIP/2.0/TLS sip.alpha.example:5061'
t_stop beta
t_start evil "$SIPCLIENT" -s -t tls -c "$PKI/evil.pem" -k "$PKI/evil.key" "$B:5061"
t_wait_grep "$T/evil.log" LISTENING 5
cn_peer "send $T/o2"
t_expect "server with a wrong certificate: 503 to the gateway" "$T/peer.log" \
	'^RESP 503 MESSAGE callid=tls-evil' 10
t_expect "certificate refusal logged" "$T/conn.log" \
	'TLS to beta.example .*certificate does not verify'
t_expect_not "nothing sent to the wrong server" "$T/evil.log" '^REQ'
cn_finish
t_done
