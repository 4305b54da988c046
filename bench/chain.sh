# bench/chain.sh: the whole stsip chain on loopback, for the end-to-end
# benchmarks.  Source after bench/lib.sh.
#
#   external SIP side (U) <-> stsipconnector (C) <-TLS link-> stsipgateway
#   (G) <-VP-> stcommunity (V) <-VP-> Sametime clients
#
# chain_setup TRANSPORT USERS  documents (partner beta.example, its proxy at
#                              U over TRANSPORT), certificates, users
#                              u00000.. (password pw), settings
# chain_start                  stcommunity, gateway, connector; waits until
#                              the connector has its documents
# chain_client NAME USER       stclient logged in ($B/NAME.log, commands
#                              on the FIFO $B/NAME.in)

. "$top_srcdir/tests/lib/docs.sh"

C=$(b_addr 1)	# the connector
U=$(b_addr 2)	# beta.example's proxy (the load generator or SIPp)
S=$(b_addr 3)	# the UAS behind Kamailio
G=$(b_addr 4)	# the gateway's link listener
K=$(b_addr 5)	# Kamailio
V=$(b_addr 6)	# stcommunity

chain_setup() {
	local tp=$1 nusers=$2 port=5060 h
	[ "$tp" = tls ] && port=5061
	b_pki
	chmod 711 "$B"			# the connector drops to nobody
	mkdir -p "$B/run"
	doc_partner "$B/docs" "$V" conn1 "$C" "$U" "$tp" "$port"
	doc_community_conf "$B/community.conf" "$B/users" "$B/storage"
	h=$(printf 'pw\n' | "$STCOMMUNITY" -P -r 1000)
	awk -v n="$nusers" -v h="$h" 'BEGIN { for (i = 0; i < n; i++)
		printf "u%05d:%s:u%05d@alpha.example:User %d\n", i, h, i, i }' \
		>"$B/users"
	doc_gw_conf "$B/gw.conf" "$G" "$B/pki/gw" "$B/gw.sock" \
		ConvertIdBackend=community SipTimeout=8 MaxMessageRate=100000 \
		MaxSubscriptionsPerDomain=0 MaxSubscriptionsPerWatcher=0
	[ -z "${CHAIN_GW_EXTRA:-}" ] ||
		printf '%s\n' "$CHAIN_GW_EXTRA" >>"$B/gw.conf"
	doc_conn_conf "$B/conn.conf" conn1 "$B/pki/conn" "$G:5070" "$B/run" \
		dns="$C@5353" user=nobody rate=1000000 max_connections=100000 \
		max_handshakes=100000
}

# chain_start: once more if the first try fails (a loaded machine), with
# the logs' tails on stderr
chain_start() {
	_chain_start && return 0
	local f
	for f in community gateway conn; do
		[ -f "$B/$f.log" ] && tail -n 5 "$B/$f.log" >&2
	done
	b_log "the chain did not start; once more"
	for f in conn gateway community; do b_stop "$f"; done
	sleep 2
	_chain_start
}

_chain_start() {
	b_start community "$STCOMMUNITY" -D -c "$B/docs" -f "$B/community.conf"
	b_wait_tcp "$V" 1533 15 || return 1
	b_start gateway "$STGATEWAY" -d -c "$B/docs" -f "$B/gw.conf"
	b_wait_tcp "$G" 5070 15 || return 1
	b_wait_grep "$B/gateway.log" "session with .* up" 15 || return 1
	b_start conn "$STCONNECTOR" -D ${CHAIN_CONN_ARGS:-} -f "$B/conn.conf"
	b_wait_grep "$B/gateway.log" "conn1 applied CONFIG generation" 15 ||
		{ tail -5 "$B/conn.log" >&2; return 1; }
	b_wait_tcp "$C" 5061 5
}

chain_client() {
	local name=$1 user=$2
	mkfifo "$B/$name.in"
	# the FIFO stays open for writing in this shell: the client never
	# sees EOF until the benchmark ends
	exec {fd}<>"$B/$name.in"
	eval "CHAIN_FD_$name=$fd"
	b_start_in "$name" "$B/$name.in" "$STCLIENT" -H "$V" -P 1533 \
		-u "$user" -p pw
	b_wait_grep "$B/$name.log" "^loggedin $user" 15
}
