# tests/lib/docs.sh: the documents and settings files of a test or benchmark
# community, written in one place.  Plain writers with no harness of their
# own: the tests (after tests/lib/common.sh) and bench/ (after bench/lib.sh)
# both source it.  KEY=VALUE arguments add "KEY = VALUE" lines.
#
#   doc_ini FILE SECTION KEY=VALUE...
#       any of them: "[SECTION]", then the KEY = VALUE lines
#   doc_community DIR VPMX_HOST TRUSTED CONVERTID
#       a community's own documents: CommunityConnectivity.ini (VPMX on
#       VPMX_HOST:1533, trusting the addresses TRUSTED; none when VPMX_HOST
#       is empty) and CommunityGateway.ini (federation on, ConvertID
#       CONVERTID: true or false)
#   doc_partner DIR VPMX_HOST CONNECTOR IP BETA_DNS [TRANSPORT [PORT]]
#       the documents of a community with one partner, beta.example:
#       doc_community (trusting 127.0.0.0/8, ConvertID on),
#       ExternCommunity/beta.ini (its proxy: BETA_DNS, PORT over TRANSPORT,
#       default udp 5060) and CommunityConnector/CONNECTOR.ini (at IP,
#       SIP 5060, TLS 5061, serving beta)
#   doc_community_conf FILE USERS STORAGE
#       stcommunity's settings: the users file USERS (made 0600: password
#       hashes), contact lists in the folder STORAGE
#   doc_gw_conf FILE LINK_ADDR CERT SOCKET [Key=value...]
#       stsipgateway's settings: the link on LINK_ADDR with CERT.pem,
#       CERT.key and ca.pem beside them, the control socket SOCKET
#   doc_conn_conf FILE NAME CERT GATEWAY RUNDIR [key=value...]
#       stsipconnector's settings: ConnectorName NAME, the link to GATEWAY
#       (addr:port) with CERT.pem, CERT.key and ca.pem beside them

# doc_ini FILE SECTION KEY=VALUE...: "[SECTION]" and "KEY = VALUE" lines
doc_ini() {
	local f=$1 kv
	mkdir -p "$(dirname "$f")"
	{
		printf '[%s]\n' "$2"
		shift 2
		for kv in "$@"; do
			printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"
		done
	} >"$f"
}

doc_community() {
	local d=$1 vp=$2 trusted=$3 convert=$4
	[ -z "$vp" ] || doc_ini "$d/CommunityConnectivity.ini" \
		CommunityConnectivity VPMX_HOSTNAME="$vp" VPMX_PORT=1533 \
		CommunityTrustedIps="$trusted"
	doc_ini "$d/CommunityGateway.ini" CommunityGateway \
		SupportExternalCommunities=true ConvertID="$convert"
}

doc_partner() {
	local d=$1 vp=$2 conn=$3 ip=$4 dns=$5 tp=${6:-udp} port=${7:-5060}
	doc_community "$d" "$vp" 127.0.0.0/8 true
	doc_ini "$d/ExternCommunity/beta.ini" ExternCommunity CommunityName=beta \
		Domains=beta.example DNS="$dns" Port="$port" Transport="$tp"
	doc_ini "$d/CommunityConnector/$conn.ini" CommunityConnector \
		ConnectorName="$conn" IP="$ip" Port=5060 TLSPort=5061 \
		SupportedCommunities=beta
}

doc_community_conf() {
	local f=$1 users=$2 storage=$3
	mkdir -p "$storage"
	touch "$users"
	chmod 600 "$users"	# password hashes: stcommunity refuses 0644
	doc_ini "$f" community UsersFile="$users" StorageDir="$storage"
}

doc_gw_conf() {
	local f=$1 link=$2 cert=$3 sock=$4
	shift 4
	doc_ini "$f" stsipgateway LinkListen="$link" TLSCert="$cert.pem" \
		TLSKey="$cert.key" TLSCA="${cert%/*}/ca.pem" ControlSocket="$sock" \
		"$@"
}

doc_conn_conf() {
	local f=$1 name=$2 cert=$3 gw=$4 rundir=$5
	shift 5
	doc_ini "$f" connector name="$name" cert="$cert.pem" key="$cert.key" \
		ca="${cert%/*}/ca.pem" gateway="$gw" rundir="$rundir" "$@"
}
