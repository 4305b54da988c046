# tests/connector_lib.sh: the set-up shared by the connector's integration
# tests.  Source it after tests/lib/common.sh.
#
#   C=$(t_addr 1)   the connector (SIP 5060 udp/tcp, 5061 tls) and dnsmasq
#   B=$(t_addr 2)   beta.example's SIP proxy (DNS says so)
#   X=$(t_addr 3)   a stranger: same domain in From, not in DNS
#   link peer (the gateway end) on $C:5070
#
# cn_setup           certificates, documents, dnsmasq, connector config
# cn_setup_tls       the same with beta.example over TLS: SRV _sips._tcp,
#                    port 5061, VerifyCertificate = true
# cn_start_peer      start tests/connector_linkpeer (commands: cn_peer CMD)
# cn_start_conn      start stsipconnector and wait for its config
# cn_msg FILE METHOD RURI FROM TO [TP]  write a request template

. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/dns.sh"
. "$top_srcdir/tests/lib/docs.sh"

C=${CN_C:-$(t_addr 1)}
B=${CN_B:-$(t_addr 2)}
X=${CN_X:-$(t_addr 3)}
SP=${CN_SIP_PORT:-5060}		# the connector's UDP/TCP port
TP=${CN_TLS_PORT:-5061}
GP=${CN_LINK_PORT:-5070}
DP=${CN_DNS_PORT:-5353}
# hp ADDR PORT: "addr:port", IPv6 in brackets
hp() { case $1 in *:*) echo "[$1]:$2" ;; *) echo "$1:$2" ;; esac; }
LINKPEER=$top_builddir/tests/connector_linkpeer
SIPCLIENT=$top_builddir/tests/connector_sipclient
DOCS=$T/docs
PKI=$T/pki

cn_setup() {
	# the connector drops to "nobody" and must reach its runtime dir
	chmod 711 "$T"
	t_ca "$PKI"
	t_cert "$PKI" conn conn1.alpha.example dns:conn1.alpha.example
	t_cert "$PKI" gw gw.alpha.example dns:gw.alpha.example
	t_cert "$PKI" beta sip.beta.example uri:sip:beta.example \
		dns:sip.beta.example
	t_cert "$PKI" evil sip.evil.example uri:sip:evil.example
	mkdir -p "$DOCS/ExternCommunity" "$DOCS/CommunityConnector"
	cat >"$DOCS/CommunityGateway.ini" <<EOT
[CommunityGateway]
SupportExternalCommunities = true
EOT
	cat >"$DOCS/CommunityConnector/conn1.ini" <<EOT
[CommunityConnector]
ConnectorName = conn1
IP = $C
Port = $SP
TLSPort = $TP
SupportedCommunities = beta, delta
AdvertisedHost = sip.alpha.example
EOT
	# beta: found by DNS SRV; its TLS certificate must match.
	cat >"$DOCS/ExternCommunity/beta.ini" <<EOT
[ExternCommunity]
CommunityName = beta
Domains = beta.example
Port = 5060
Transport = udp
EOT
	# delta: a DNS host in the document (A record)
	cat >"$DOCS/ExternCommunity/delta.ini" <<EOT
[ExternCommunity]
CommunityName = delta
Domains = delta.example
DNS = proxy.delta.example
Port = 5070
Transport = udp
EOT
	# gamma: known but not in SupportedCommunities
	cat >"$DOCS/ExternCommunity/gamma.ini" <<EOT
[ExternCommunity]
CommunityName = gamma
Domains = gamma.example
Port = 5060
Transport = udp
EOT
	t_dns_start "$C" "$DP" \
		"SRV:_sip._udp.beta.example:sip.beta.example:5060:10:10" \
		"SRV:_sip._tcp.beta.example:sip.beta.example:5060:10:10" \
		"${CN_BREC:-A}:sip.beta.example:$B" \
		"${CN_BREC:-A}:proxy.delta.example:$B" \
		"${CN_BREC:-A}:gamma.example:$B" ${CN_DNS_EXTRA:-}
	doc_conn_conf "$T/conn.conf" conn1 "$PKI/conn" \
		"${CN_GW:-$(hp "$C" "$GP")}" "$T/run" dns="$C@$DP" user=nobody \
		t1="${CN_T1:-100}"
	[ -z "${CN_CONF_EXTRA:-}" ] ||
		printf '%s\n' "$CN_CONF_EXTRA" >>"$T/conn.conf"
}

cn_setup_tls() {
	CN_DNS_EXTRA="${CN_DNS_EXTRA:-} SRV:_sips._tcp.beta.example:sip.beta.example:5061:10:10"
	cn_setup
	cat >"$DOCS/ExternCommunity/beta.ini" <<EOT
[ExternCommunity]
CommunityName = beta
Domains = beta.example
Port = 5061
Transport = tls
VerifyCertificate = true
EOT
}

cn_start_peer() {
	[ -n "${T_FD[peer]:-}" ] || t_fifo peer
	t_start peer "$LINKPEER" -l "$(hp "$C" "$GP")" -c "$PKI/gw.pem" \
		-k "$PKI/gw.key" -a "$PKI/ca.pem" -d "$DOCS" -i "$T/peer.in" "$@"
	t_wait_grep "$T/peer.log" LISTENING 5
}

cn_peer() { echo "$*" >&"${T_FD[peer]}"; }

cn_start_conn() {
	t_start conn "$STCONNECTOR" -D ${CN_V--v} -f "$T/conn.conf" "$@"
	t_wait_grep "$T/peer.log" "CONFIG_ACK" 10 &&
		t_wait_grep "$T/conn.log" "configuration generation" 5
}

# cn_msg FILE METHOD RURI FROM-DOMAIN [TRANSPORT] [EXTRA-HEADER]
cn_msg() {
	local f=$1 method=$2 ruri=$3 fdom=$4 tp=${5:-UDP} extra=${6:-}
	local body="hello" ev=""
	[ "$method" = SUBSCRIBE ] && { body=""; ev="Event: presence
Expires: 60
Contact: <sip:bob@@ME@>
"; }
	{
		printf '%s %s SIP/2.0\r\n' "$method" "$ruri"
		printf 'Via: SIP/2.0/%s @ME@;branch=z9hG4bK@CALLID@;rport\r\n' "$tp"
		printf 'Max-Forwards: 70\r\n'
		printf 'From: <sip:bob@%s>;tag=f@CALLID@\r\n' "$fdom"
		printf 'To: <%s>\r\n' "$ruri"
		printf 'Call-ID: @CALLID@\r\n'
		printf 'CSeq: 1 %s\r\n' "$method"
		[ -n "$ev" ] && printf '%s' "$ev" | sed 's/$/\r/'
		[ -n "$extra" ] && printf '%s\r\n' "$extra"
		if [ -n "$body" ]; then
			printf 'Content-Type: text/plain\r\n'
			printf 'Content-Length: %d\r\n\r\n%s' "${#body}" "$body"
		else
			printf 'Content-Length: 0\r\n\r\n'
		fi
	} >"$f"
}

# cn_finish: stop the connector cleanly (SIGTERM) and check that it exited
# by itself without a sanitizer report.
cn_finish() {
	t_stop conn TERM
	t_expect "connector stopped on SIGTERM" "$T/conn.log" "stopping" 1
	t_expect_not "no sanitizer report from the connector" "$T/conn.log" \
		'Sanitizer|runtime error'
	t_stop peer TERM
	t_expect_not "no sanitizer report from the link peer" "$T/peer.log" \
		'Sanitizer|runtime error'
}
