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
	local D=$B/docs
	mkdir -p "$D/ExternCommunity" "$D/CommunityConnector" "$B/run" \
		"$B/storage"
	cat >"$D/CommunityConnectivity.ini" <<EOF
[CommunityConnectivity]
VPMX_HOSTNAME = $V
VPMX_PORT = 1533
CommunityTrustedIps = 127.0.0.0/8
EOF
	cat >"$D/CommunityGateway.ini" <<EOF
[CommunityGateway]
SupportExternalCommunities = true
ConvertID = true
EOF
	cat >"$D/ExternCommunity/beta.ini" <<EOF
[ExternCommunity]
CommunityName = beta
Domains = beta.example
DNS = $U
Port = $port
Transport = $tp
EOF
	cat >"$D/CommunityConnector/conn1.ini" <<EOF
[CommunityConnector]
ConnectorName = conn1
IP = $C
Port = 5060
TLSPort = 5061
SupportedCommunities = beta
EOF
	h=$(printf 'pw\n' | "$STCOMMUNITY" -P -r 1000)
	awk -v n="$nusers" -v h="$h" 'BEGIN { for (i = 0; i < n; i++)
		printf "u%05d:%s:u%05d@alpha.example:User %d\n", i, h, i, i }' \
		>"$B/users"
	chmod 600 "$B/users"	# password hashes: stcommunity refuses 0644
	cat >"$B/community.conf" <<EOF
[community]
UsersFile = $B/users
StorageDir = $B/storage
EOF
	cat >"$B/gw.conf" <<EOF
[stsipgateway]
LinkListen = $G
TLSCert = $B/pki/gw.pem
TLSKey = $B/pki/gw.key
TLSCA = $B/pki/ca.pem
ControlSocket = $B/gw.sock
ConvertIdBackend = community
SipTimeout = 8
MaxMessageRate = 100000
MaxSubscriptionsPerDomain = 0
MaxSubscriptionsPerWatcher = 0
${CHAIN_GW_EXTRA:-}
EOF
	cat >"$B/conn.conf" <<EOF
[connector]
name = conn1
cert = $B/pki/conn.pem
key = $B/pki/conn.key
ca = $B/pki/ca.pem
gateway = $G:5070
dns = $C@5353
rundir = $B/run
user = nobody
rate = 1000000
max_connections = 100000
max_handshakes = 100000
EOF
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
