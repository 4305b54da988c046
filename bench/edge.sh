# bench/edge.sh: the connector alone between a SIP load generator and the
# minimal link peer (tests/connector_linkpeer answers every request 200).
# Source after bench/lib.sh.
#
#   edge_setup     certificates, documents (partner beta.example whose
#                  proxy is U), the connector's settings (flood limits
#                  raised: one address sends everything)
#   edge_start     the link peer and the connector; waits for the documents
#   edge_stop

. "$top_srcdir/tests/lib/docs.sh"

C=$(b_addr 1)	# the connector
U=$(b_addr 2)	# the load generator (beta.example's proxy)
S=$(b_addr 3)	# the UAS behind Kamailio
G=$(b_addr 4)	# the link peer (gateway end)
K=$(b_addr 5)	# Kamailio

edge_setup() {
	b_pki
	chmod 711 "$B"			# the connector drops to nobody
	D=$B/docs
	mkdir -p "$B/run"
	doc_partner "$D" "" conn1 "$C" "$U"
	# Flood limits raised: one source sends everything.
	doc_conn_conf "$B/conn.conf" conn1 "$B/pki/conn" "$G:5070" "$B/run" \
		sip_cert="$B/pki/conn.pem" sip_key="$B/pki/conn.key" \
		sip_ca="$B/pki/ca.pem" dns="$C@5353" user=nobody rate=1000000 \
		max_connections=100000 max_handshakes=100000
}

edge_start() {
	b_start peer "$LINKPEER" -l "$G:5070" -c "$B/pki/gw.pem" \
		-k "$B/pki/gw.key" -a "$B/pki/ca.pem" -d "$D" -q
	b_wait_grep "$B/peer.log" LISTENING 5 || return 1
	b_start conn "$STCONNECTOR" -D -f "$B/conn.conf"
	b_wait_grep "$B/peer.log" CONFIG_ACK 10 ||
		{ tail -n 5 "$B/conn.log" >&2; return 1; }
	b_wait_tcp "$C" 5061 5
}

edge_stop() {
	b_stop conn
	b_stop peer
}
