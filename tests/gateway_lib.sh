# tests/gateway_lib.sh: set-up shared by gateway tests.  Source after
# tests/lib/common.sh and tests/lib/tls.sh.
#
#   gw_setup [SETTING=VALUE...]  documents (partner beta.example served by
#                                connector edge1), users alice dave erin
#                                (or \$GW_USERS),
#                                certificates, gateway settings (+ extras)
#   gw_start                     stcommunity, stsipgateway, the test peer
#   gw_client USER               stclient logged in as USER ($T/USER.log;
#                                commands with: gw_cmd USER LINE)
#   gw_peer LINE                 a command to the test peer ($T/peer.log)
#   gw_wait_count FILE REGEX N [SECS]   until FILE has >= N matching lines

GW_VP=$(t_addr 1)
GW_LINK=$(t_addr 2)
GW_D=$T/conf
GW_PEER=$top_builddir/tests/gateway_sippeer

gw_setup() {
	local kv
	mkdir -p "$GW_D/ExternCommunity" "$GW_D/CommunityConnector" \
		"$T/storage"
	cat >"$GW_D/CommunityConnectivity.ini" <<EOF
[CommunityConnectivity]
VPMX_HOSTNAME = $GW_VP
VPMX_PORT = 1533
CommunityTrustedIps = 127.0.0.0/8
EOF
	cat >"$GW_D/CommunityGateway.ini" <<EOF
[CommunityGateway]
SupportExternalCommunities = true
ConvertID = true
EOF
	cat >"$GW_D/ExternCommunity/beta.ini" <<EOF
[ExternCommunity]
CommunityName = beta
Domains = beta.example
DNS = 127.0.0.99
Transport = udp
EOF
	cat >"$GW_D/CommunityConnector/edge1.ini" <<EOF
[CommunityConnector]
ConnectorName = edge1
IP = 127.0.0.98
SupportedCommunities = beta
EOF
	local h u
	h=$(printf 'pw\n' | "$STCOMMUNITY" -P)
	: >"$T/users"
	chmod 600 "$T/users"	# password hashes: stcommunity refuses 0644
	for u in ${GW_USERS:-alice dave erin}; do
		printf '%s:%s:%s:%s\n' "$u" "$h" \
			"$(case $u in *@*) echo "$u" ;; *) echo "$u@alpha.example" ;; esac)" \
			"$u" >>"$T/users"
	done
	cat >"$T/community.conf" <<EOF
[community]
UsersFile = $T/users
StorageDir = $T/storage
EOF
	t_ca "$T/pki"
	t_cert "$T/pki" gw gateway "ip:$GW_LINK"
	t_cert "$T/pki" edge edge1 "dns:edge1"
	cat >"$T/gw.conf" <<EOF
[stsipgateway]
LinkListen = $GW_LINK
TLSCert = $T/pki/gw.pem
TLSKey = $T/pki/gw.key
TLSCA = $T/pki/ca.pem
ControlSocket = $T/gw.sock
TraceFile = $T/trace.log
ConvertIdBackend = community
SipTimeout = 5
EOF
	for kv in "$@"; do
		printf '%s = %s\n' "${kv%%=*}" "${kv#*=}" >>"$T/gw.conf"
	done
}

gw_start() {
	t_start community "$STCOMMUNITY" -D -c "$GW_D" -f "$T/community.conf"
	t_wait_grep "$T/community.log" "stcommunity ready" 15 || return 1
	t_start gateway "$STGATEWAY" -d -c "$GW_D" -f "$T/gw.conf"
	t_wait_grep "$T/gateway.log" "link: listening" 15 || return 1
	t_wait_grep "$T/gateway.log" "session with .* up" 15 || return 1
	t_fifo peer
	"$GW_PEER" "$T/pki/edge.pem" "$T/pki/edge.key" "$T/pki/ca.pem" edge1 \
		"$GW_LINK" 5070 <"$T/peer.in" >"$T/peer.log" \
		2>"$T/peer.err.log" &
	T_PIDS+=("$!")
	t_wait_grep "$T/peer.log" "^config " 15
}

gw_client() {
	t_fifo "$1"
	"$STCLIENT" -H "$GW_VP" -P 1533 -u "$1" -p pw <"$T/$1.in" \
		>"$T/$1.log" 2>"$T/$1.err.log" &
	T_PIDS+=("$!")
	t_wait_grep "$T/$1.log" "^loggedin $1" 15
}

gw_cmd() { local u=$1; shift; printf '%s\n' "$*" >&"${T_FD[$u]}"; }
gw_peer() { printf '%s\n' "$*" >&"${T_FD[peer]}"; }

gw_wait_count() {
	local file=$1 re=$2 n=$3 secs=${4:-10} i=0
	while [ $i -lt $((secs * 10)) ]; do
		[ "$(grep -Ec -- "$re" "$file" 2>/dev/null)" -ge "$n" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
