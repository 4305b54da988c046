#!/usr/bin/env bash
# Security across the wire, with the demo's two communities:
#  - a request claiming beta's domain from an address that is not beta's
#    connector gets 403, even with beta's own (stolen) certificate;
#  - a connector from an address not in CommunityTrustedIps cannot link
#    to the gateway, even with a good certificate and a known name;
#  - a partner whose certificate names the wrong domain is refused both
#    ways while the ExternCommunity document asks for certificate checks
#    (VerifyCertificate), and accepted once the administrator turns them
#    off (stconfig set + stconfig reload).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/federation.sh"

SIPCLIENT=$top_builddir/tests/connector_sipclient
t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$STCONNECTOR" "$STCONFIG" \
	"$SIPCLIENT"
fed_t_setup
fed_t_up
STRANGER=$T_NET.30
P=$FED_DIR/pki
e() { fed_expect "$1" "$2" "$3" 12; }	# e WHAT CLIENT REGEX
fed_client alice alpha alice || t_fail "alice logs in"
fed_client bob beta bob || t_fail "bob logs in"

# A MESSAGE from bob@beta.example to alice, as beta's connector would send it.
msg() {
	{
		printf 'MESSAGE sip:alice@alpha.example SIP/2.0\r\n'
		printf 'Via: SIP/2.0/%s @ME@;branch=z9hG4bK@CALLID@\r\n' "$2"
		printf 'Max-Forwards: 70\r\n'
		printf 'From: <sip:bob@beta.example>;tag=@CALLID@\r\n'
		printf 'To: <sip:alice@alpha.example>\r\n'
		printf 'Call-ID: @CALLID@\r\nCSeq: 1 MESSAGE\r\n'
		printf 'Content-Type: text/plain;charset=UTF-8\r\n'
		printf 'Content-Length: %d\r\n\r\n%s' "${#3}" "$3"
	} >"$1"
}
mkdir -p "$T/m"
msg "$T/m/from_beta" TLS "from beta's connector"
msg "$T/m/stranger_tls" TLS "from a stranger over TLS"
msg "$T/m/stranger_udp" UDP "from a stranger over UDP"
sc() { "$SIPCLIENT" -a "$P/ca.pem" "$@" 2>>"$T/sipclient.err"; }

fed_mark alice
sc -t tls -b "$FED_BETA_CONN" -c "$P/beta-connector.pem" \
	-k "$P/beta-connector.key" "$FED_ALPHA_CONN:$FED_TLS_PORT" \
	"$T/m/from_beta" >"$T/r_beta"
t_expect "from beta's connector address with beta's certificate: 200" \
	"$T/r_beta" '^from_beta: 200' 1
e "... and alice gets it" alice "^im @E bob@beta\.example from beta's connector$"
sc -t tls -b "$STRANGER" -c "$P/beta-connector.pem" \
	-k "$P/beta-connector.key" "$FED_ALPHA_CONN:$FED_TLS_PORT" \
	"$T/m/stranger_tls" >"$T/r_stranger_tls"
t_expect "claiming beta.example from another address (beta's certificate): 403" \
	"$T/r_stranger_tls" '^stranger_tls: 403' 1
sc -t udp -b "$STRANGER" "$FED_ALPHA_CONN:$FED_SIP_PORT" \
	"$T/m/stranger_udp" >"$T/r_stranger_udp"
t_expect "claiming beta.example from another address over UDP: 403" \
	"$T/r_stranger_udp" '^stranger_udp: 403' 1
t_expect "the refusal names the domain and both addresses" \
	"$FED_DIR/alpha-connector.log" \
	"403 for beta\.example from $STRANGER(:[0-9]+)?: source address is not the SIP proxy of community beta \(DNS gave: .*$FED_BETA_CONN" 2
sleep 0.5
if fed_seen_new alice 'from a stranger'; then
	t_fail "alice got nothing from the stranger"
else
	t_pass "alice got nothing from the stranger"
fi

# A connector at an address not in CommunityTrustedIps, with a good
# certificate and alpha's own connector name, dials alpha's gateway.
sed -e "s/^name = .*/name = alpha-edge/" \
    -e "s|^rundir = .*|rundir = $FED_DIR/rogue-run|" \
    -e "s/^source = .*/source = $STRANGER/" \
	"$FED_DIR/alpha/connector.conf" >"$FED_DIR/rogue.conf"
fed_spawn rogue-connector "$STRANGER" "$STCONNECTOR" -D -f "$FED_DIR/rogue.conf"
t_expect "the gateway refuses a connector from an untrusted address" \
	"$FED_DIR/alpha-gateway.log" \
	"link: connection from $STRANGER refused: not in CommunityTrustedIps" 10
"$STCONFIG" -s "$FED_DIR/alpha/gateway.sock" status >"$T/status" 2>&1
cat "$T/status" >&2
t_expect "status: still one link, the refusal counted" "$T/status" \
	'^links up: 1 \(refused [1-9]' 1
t_expect "status: the link is the trusted connector's" "$T/status" \
	"link alpha-edge $FED_ALPHA_CONN:" 1
t_expect_not "the rogue connector never got documents" \
	"$FED_DIR/rogue-connector.log" 'configuration generation [0-9]+ applied'
fed_kill rogue-connector

# Beta's connector now presents a CA-signed certificate for evil.example.
t_cert "$P" evil sip.evil.example uri:sip:evil.example dns:evil.example \
	"ip:$FED_BETA_CONN"
chmod 644 "$P/evil.pem"
sed -i -e "s|^cert = .*|cert = $P/evil.pem|" -e "s|^key = .*|key = $P/evil.key|" \
	"$FED_DIR/beta/connector.conf"
fed_kill beta-connector
fed_start_connector beta || t_fail "beta's connector restarts"

fed_mark bob
fed_say bob "msg @E alice@alpha.example wrong certificate inbound"
e "inbound, wrong domain in the certificate: bob gets an error" bob \
	'^error @E alice@alpha\.example'
t_expect "alpha's connector refused it (RFC 5922)" \
	"$FED_DIR/alpha-connector.log" \
	'403 for beta\.example from .*TLS certificate does not match the domain' 5
fed_mark alice
fed_say alice "msg @E bob@beta.example wrong certificate outbound"
e "outbound, wrong domain in the certificate: alice gets an error" alice \
	'^error @E bob@beta\.example'
t_expect "alpha's connector refused beta's server certificate" \
	"$FED_DIR/alpha-connector.log" 'certificate does not verify' 5
t_expect_not "bob got neither message" "$FED_DIR/cl/bob.out" 'wrong certificate'

# The administrator switches the check off for beta: the same certificate
# is accepted (alice -> bob; beta still checks alpha's, which is right).
"$STCONFIG" -d "$FED_DIR/alpha/conf" set ExternCommunity beta \
	VerifyCertificate=false >/dev/null &&
	"$STCONFIG" -s "$FED_DIR/alpha/gateway.sock" reload >/dev/null &&
	t_pass "VerifyCertificate=false, reloaded" || t_fail "stconfig set + reload"
fed_wait "$FED_DIR/alpha-gateway.log" 'alpha-edge applied CONFIG generation 2' 10
fed_mark bob
fed_say alice "msg @E bob@beta.example certificate check off"
e "without the check, alice's IM reaches bob" bob \
	'^im @E alice@alpha\.example certificate check off$'

fed_t_finish alpha-gateway beta-gateway
