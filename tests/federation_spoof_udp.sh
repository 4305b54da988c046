#!/usr/bin/env bash
# beta's document says Transport=tls with VerifyCertificate, so alpha's
# connector believes beta.example only over TLS with beta's certificate.
# A MESSAGE claiming bob@beta.example over UDP from beta's connector
# address (a UDP source address costs nothing to forge: a MESSAGE needs no
# handshake), or over plain TCP from that address, must be refused (403,
# the reason phrase saying a verified TLS connection is required, and a
# log line), and must not reach alice; the real beta still gets through.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/federation.sh"

SIPCLIENT=$top_builddir/tests/connector_sipclient
t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$STCONNECTOR" "$SIPCLIENT"
fed_t_setup
fed_t_up
fed_client alice alpha alice || t_fail "alice logs in"
body="forged over udp"
{
	printf 'MESSAGE sip:alice@alpha.example SIP/2.0\r\n'
	printf 'Via: SIP/2.0/UDP @ME@;branch=z9hG4bK@CALLID@\r\n'
	printf 'Max-Forwards: 70\r\nFrom: <sip:bob@beta.example>;tag=@CALLID@\r\n'
	printf 'To: <sip:alice@alpha.example>\r\nCall-ID: @CALLID@\r\n'
	printf 'CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n'
	printf 'Content-Length: %d\r\n\r\n%s' "${#body}" "$body"
} >"$T/udp"
"$SIPCLIENT" -t udp -b "$FED_BETA_CONN" "$FED_ALPHA_CONN:$FED_SIP_PORT" \
	"$T/udp" >"$T/r_udp" 2>&1
t_expect "UDP for a TLS community with certificate checks: 403" "$T/r_udp" \
	'^udp: 403' 1
t_expect "... the reason phrase asks for verified TLS" "$T/r_udp" \
	'^udp: 403 Forbidden \(verified TLS connection required\)' 1
t_expect "... and alpha's connector logs it" "$FED_DIR/alpha-connector.log" \
	"trust: 403 for beta\.example from $FED_BETA_CONN: community beta requires a verified TLS connection .* over UDP" 3
sed -e 's/forged over udp/forged over tcp/' -e 's|SIP/2.0/UDP|SIP/2.0/TCP|' \
	"$T/udp" >"$T/tcp"
"$SIPCLIENT" -t tcp -b "$FED_BETA_CONN" "$FED_ALPHA_CONN:$FED_SIP_PORT" \
	"$T/tcp" >"$T/r_tcp" 2>&1
t_expect "plain TCP for a TLS community with certificate checks: 403" \
	"$T/r_tcp" '^tcp: 403 Forbidden \(verified TLS connection required\)' 1
sleep 0.5
t_expect_not "alice got nothing" "$FED_DIR/cl/alice.out" 'forged over'
# the real beta, over TLS with its certificate, still gets through
fed_client bob beta bob || t_fail "bob logs in"
fed_mark alice
fed_say bob "msg @E alice@alpha.example genuine"
fed_wait_new alice '^im @E bob@beta\.example genuine$' 10 &&
	t_pass "bob -> alice over TLS still delivered" ||
	t_fail "bob -> alice over TLS still delivered"
t_done
