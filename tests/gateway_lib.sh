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

. "$top_srcdir/tests/lib/docs.sh"

GW_VP=$(t_addr 1)
GW_LINK=$(t_addr 2)
GW_D=$T/conf
GW_PEER=$top_builddir/tests/gateway_sippeer

gw_setup() {
	local h u
	doc_partner "$GW_D" "$GW_VP" edge1 127.0.0.98 127.0.0.99
	doc_community_conf "$T/community.conf" "$T/users" "$T/storage"
	h=$(printf 'pw\n' | "$STCOMMUNITY" -P)
	for u in ${GW_USERS:-alice dave erin}; do
		printf '%s:%s:%s:%s\n' "$u" "$h" \
			"$(case $u in *@*) echo "$u" ;; *) echo "$u@alpha.example" ;; esac)" \
			"$u"
	done >"$T/users"
	t_ca "$T/pki"
	t_cert "$T/pki" gw gateway "ip:$GW_LINK"
	t_cert "$T/pki" edge edge1 "dns:edge1"
	doc_gw_conf "$T/gw.conf" "$GW_LINK" "$T/pki/gw" "$T/gw.sock" \
		TraceFile="$T/trace.log" ConvertIdBackend=community SipTimeout=5 \
		"$@"
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
	t_stclient "$1" "$GW_VP" "$1" pw
	t_wait_grep "$T/$1.log" "^loggedin $1" 15
}

gw_cmd() { local u=$1; shift; printf '%s\n' "$*" >&"${T_FD[$u]}"; }
gw_peer() { printf '%s\n' "$*" >&"${T_FD[peer]}"; }
