#!/usr/bin/env bash
# NOT IN TESTS (fails today; see the federation report): beta's document
# says Transport=tls with VerifyCertificate, yet alpha's connector accepts
# a MESSAGE claiming bob@beta.example over UDP from beta's connector
# address.  A UDP source address costs nothing to forge (a MESSAGE needs
# no handshake), so the certificate check is bypassed; the connector
# should refuse (403) requests for a TLS community that did not come over
# TLS (sip_trust.c checks certificates only when the request came over TLS).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/federation.sh"

SIPCLIENT=$top_builddir/tests/connector_sipclient
for p in "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$STCONNECTOR" "$SIPCLIENT"; do
	[ -x "$p" ] || t_skip "$p not built"
done
fed_init "$T" "$T_NET"
fed_setup || { t_fail "set-up"; t_done; exit; }
fed_up || { t_fail "both communities come up"; t_done; exit; }
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
sleep 0.5
t_expect_not "alice got nothing" "$FED_DIR/cl/alice.out" 'forged over udp'
t_done
