#!/usr/bin/env bash
# alpha (stsip) federates with gamma.example, a standards SIP community:
# Kamailio with its presence server (tests/lib/kamailio.sh), and SIPp as
# gamma's SIP user gina (Debian's SIPp has no TLS: UDP toward Kamailio).
# IM both ways; presence both ways through Kamailio: gina's PUBLISH
# reaches alice as NOTIFY, gina's SUBSCRIBE to alice gets NOTIFYs from
# alpha's gateway through Kamailio.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/kamailio.sh"
. "$top_srcdir/tests/lib/federation.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$STCONNECTOR" "$STCONFIG"
command -v sipp >/dev/null || t_skip "sipp (sip-tester) not installed"
[ -x /usr/sbin/kamailio ] || t_skip "kamailio is not installed"
S=$top_srcdir/tests
# KAM_TLS=1 (federation_kamailio_tls.sh): alpha <-> Kamailio over TLS with
# certificate checks; else UDP.
KAM_TLS=${KAM_TLS:-0}
KAM=$T_NET.30		# gamma.example's SIP server
GINA=$T_NET.31		# gina's phone
fed_t_setup
A=$FED_DIR/alpha/conf
if [ "$KAM_TLS" = 1 ]; then
	t_cert "$FED_DIR/pki" kamailio sip.gamma.example uri:sip:gamma.example \
		dns:gamma.example "ip:$KAM"
	KAM_DOC=(Port=5061 Transport=tls VerifyCertificate=true)
	NEXTHOP="sip:$FED_ALPHA_CONN:5061;transport=tls"
else
	KAM_DOC=(Port=5060 Transport=udp)
	NEXTHOP="sip:$FED_ALPHA_CONN:5060"
fi
"$STCONFIG" -d "$A" create ExternCommunity gamma Domains=gamma.example \
	"DNS=$KAM" "${KAM_DOC[@]}" >/dev/null &&
"$STCONFIG" -d "$A" set CommunityConnector alpha-edge \
	"SupportedCommunities=beta, gamma" >/dev/null &&
	t_pass "stconfig: ExternCommunity gamma (Kamailio), served by alpha-edge" ||
	t_fail "stconfig: ExternCommunity gamma"
fed_t_up alpha
# Kamailio's outgoing TCP/TLS connections leave from its own address (as
# on its own host), not 127.0.0.1: tcp_source_ipv4 in its configuration
# (tests/peers/kamailio/kamailio.cfg) does it.
t_kamailio_start "$KAM" gamma.example "$NEXTHOP" "$KAM_TLS" ||
	{ t_fail "kamailio starts"; t_done; exit; }
t_pass "Kamailio serves gamma.example, next hop alpha's connector"

e() { fed_expect "$1" "$2" "$3" 12; }	# e WHAT CLIENT REGEX
sipp1() {	# sipp1 NAME SCENARIO LOCALPORT [ARGS...]: one run, to Kamailio
	local n=$1 sf=$2 port=$3; shift 3
	sipp -sf "$S/$sf" -i "$GINA" -p "$port" -m 1 -s gina -nostdin \
		-timeout 15 -timeout_error -trace_msg \
		-message_file "$T/sipp_$n.msg" "$@" "$KAM:5060" \
		>"$T/sipp_$n.log" 2>&1
}
G='@E gina@gamma\.example'

# The administrator's check of the new partner (UDP: no TLS steps).
"$STCONFIG" -d "$A" diagnose -f "$FED_DIR/alpha/connector.conf" gamma \
	>"$T/diagnose.out" 2>&1 && t_pass "stconfig diagnose gamma: exit 0" ||
	t_fail "stconfig diagnose gamma: exit 0"
sed 's/^/  diagnose: /' "$T/diagnose.out" >&2
if [ "$KAM_TLS" = 1 ]; then
	t_expect "diagnose: Kamailio's certificate names gamma.example" \
		"$T/diagnose.out" '^\[5\] certificate +OK: names gamma\.example' 1
	kp="5061;transport=tls"
else
	kp="5060;transport=udp"
fi
t_expect "diagnose: Kamailio answers OPTIONS" "$T/diagnose.out" \
	"^\[[0-9]\] OPTIONS server +OK: sip:$KAM:$kp answered 200" 1
t_expect "diagnose: gamma.example answers OPTIONS" "$T/diagnose.out" \
	'^\[[0-9]\] OPTIONS domain +OK: sip:gamma\.example from alpha\.example' 1
fed_client alice alpha alice || t_fail "alice logs in"

# gina's phone, and her registration with Kamailio
t_start sipp_inbox sipp -sf "$S/federation_sipp_inbox.xml" -i "$GINA" \
	-p 5080 -nostdin -trace_msg -message_file "$T/sipp_inbox.msg"
sleep 0.3
sipp1 register federation_sipp_register.xml 5070 -key contact "$GINA:5080" &&
	t_pass "gina registers with Kamailio" || t_fail "gina registers with Kamailio"

# IM alpha -> gamma
fed_mark alice
fed_say alice "msg @E gina@gamma.example hello gina, from sametime"
t_expect "alice's MESSAGE reaches gina through Kamailio" "$T/sipp_inbox.msg" \
	'^hello gina, from sametime' 10
t_expect "... From alice's address" "$T/sipp_inbox.msg" \
	'^From: <sip:alice@alpha\.example>' 1
sleep 0.5
fed_seen_new alice '^error' && t_fail "no error shown to alice" ||
	t_pass "no error shown to alice"

# IM gamma -> alpha
fed_mark alice
sipp1 message federation_sipp_message.xml 5072 -key to alice@alpha.example \
	-key text "hi alice, gina here" &&
	t_pass "gina's MESSAGE to alice answered 200" ||
	t_fail "gina's MESSAGE to alice answered 200"
# (SIPp ends the body with CRLF; stclient shows line ends as blanks)
e "alice gets gina's IM" alice "^im $G hi alice, gina here *\$"

# presence gamma -> alpha: alice watches gina; gina publishes open, then away
fed_mark alice
fed_say alice "watch @E gina@gamma.example"
e "alice's watch: Kamailio's first NOTIFY (nothing published: offline)" \
	alice "^presence $G offline"
fed_mark alice
t_start sipp_publish sipp -sf "$S/federation_sipp_publish.xml" -i "$GINA" \
	-p 5074 -m 1 -s gina -nostdin -timeout 20 -timeout_error \
	-key note1 "at my desk" -key note2 "out for lunch" \
	-trace_msg -message_file "$T/sipp_publish.msg" "$KAM:5060"
e "gina publishes open: alice sees her active with the note" alice \
	"^presence $G active at my desk\$"
e "gina publishes away: alice sees her away with the note" alice \
	"^presence $G away out for lunch\$"

# presence alpha -> gamma: gina subscribes to alice through Kamailio
t_start sipp_watch sipp -sf "$S/federation_sipp_watch.xml" -i "$GINA" \
	-p 5076 -m 1 -s gina -nostdin -key to alice@alpha.example \
	-trace_msg -message_file "$T/sipp_watch.msg" "$KAM:5060"
t_expect "gina's SUBSCRIBE to alice is accepted" "$T/sipp_watch.msg" \
	'^SIP/2.0 20[02] ' 10
t_expect "gina gets a NOTIFY from alice's side" "$T/sipp_watch.msg" \
	'^NOTIFY sip:gina@' 10
t_expect "... saying alice is open" "$T/sipp_watch.msg" '<basic>open</basic>' 10
fed_say alice "status away in a meeting"
t_expect "alice goes away: gina's NOTIFY has the note" "$T/sipp_watch.msg" \
	'<note[^>]*>in a meeting</note>' 10
t_expect "... and RPID away" "$T/sipp_watch.msg" '<rp(id)?:away/>' 10
fed_say alice "quit"
t_expect "alice leaves: gina's NOTIFY says closed" "$T/sipp_watch.msg" \
	'<basic>closed</basic>' 10

t_expect_not "alpha's connector refused nothing from Kamailio" \
	"$FED_DIR/alpha-connector.log" 'trust: 403'
fed_t_finish alpha-gateway alpha-community
