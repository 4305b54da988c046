# tests/lib/federation.sh: two federated stsip communities on loopback,
# alpha.example and beta.example, each with stcommunity, stsipgateway and
# stsipconnector on addresses of its own.  Used by tests/demo/demo.sh and
# by the tests/federation_*.sh integration tests (one copy of the set-up).
#
#   fed_init DIR NET        state under DIR; addresses NET.10/.11 (alpha's
#                           connector / intranet) and NET.20/.21 (beta's)
#   fed_setup               certificates, the four documents of each
#                           community (written with stconfig), users,
#                           the daemons' settings
#   fed_up [alpha|beta]     start the daemons (both communities by default)
#                           and wait until the connectors have their
#                           documents and the gateways their VP session
#   fed_client NAME C USER [PASSWORD]   stclient USER on community C;
#                           output in $FED_DIR/cl/NAME.out
#   fed_client_run NAME CMD...          another client with the same
#                           line protocol (tests/client_purple)
#   fed_mark NAME, fed_wait_new NAME REGEX [SECS]   lines after a mark
#   fed_say NAME LINE       a command to a client
#   fed_wait FILE REGEX [SECS]          until a line matches
#   fed_spawn NAME SRC CMD...   a daemon speaking from address SRC;
#                           fed_kill NAME [SIG], fed_pid NAME
#   fed_stop_all            stop everything this set-up started
#   fed_topology FILE       write the topology.env contract
#
# Under the test harness only (tests/lib/common.sh sourced):
#   fed_t_setup             fed_init in $T on $T_NET, then fed_setup
#   fed_t_up [C]            fed_up; either one failing fails and ends the test
#   fed_expect WHAT NAME REGEX [SECS]   t_pass or t_fail on a line client
#                           NAME printed after its last mark
#   fed_t_finish NAME...    stop each daemon NAME, check its log has no
#                           sanitizer report, and end the test (t_done)
#
# Outgoing connections leave from each daemon's own address, which the
# daemons choose themselves: the connector binds its SIP to its
# CommunityConnector IP and its link to source = in its settings, the
# gateway its VP and LDAP connections to SourceAddress.  On loopback, as
# on any multi-homed host, the kernel would otherwise pick 127.0.0.1 and
# the IP-trust checks would refuse them.
#
# Needs: tls.sh sourced, top_srcdir/top_builddir set (docs.sh writes the
# settings files).  Under the test
# harness (common.sh) every process is also put in T_PIDS.
#
# Demo users: alice/alice-secret, carol/carol-secret on alpha;
# bob/bob-secret, dave/dave-secret on beta; e-mail login@domain.

. "$top_srcdir/tests/lib/docs.sh"

FED_COMMUNITIES="alpha beta"
FED_ALPHA_DOMAIN=alpha.example
FED_BETA_DOMAIN=beta.example
FED_ALPHA_USERS="alice:alice-secret carol:carol-secret"
FED_BETA_USERS="bob:bob-secret dave:dave-secret"
FED_VP_PORT=1533
FED_SIP_PORT=5060
FED_TLS_PORT=5061
FED_LINK_PORT=5070
declare -A FED_FD

fed_bin() {
	FED_STCOMMUNITY=$top_builddir/community/stcommunity
	FED_STCONNECTOR=$top_builddir/connector/stsipconnector
	FED_STGATEWAY=$top_builddir/gateway/stsipgateway
	FED_STCONFIG=$top_builddir/tools/stconfig
	FED_STCLIENT=$top_builddir/tools/stclient
}

fed_log() { printf 'federation: %s\n' "$*" >&2; }

# ${C}_VAR lookups: fed_var alpha CONN -> $FED_ALPHA_CONN
fed_var() { local v="FED_${1^^}_$2"; printf '%s' "${!v}"; }

fed_init() {
	FED_DIR=$1
	FED_NET=$2
	FED_ALPHA_CONN=$FED_NET.10
	FED_ALPHA_GW=$FED_NET.11
	FED_BETA_CONN=$FED_NET.20
	FED_BETA_GW=$FED_NET.21
	fed_bin
	mkdir -p "$FED_DIR/run" "$FED_DIR/cl" "$FED_DIR/pki"
	FED_DIR=$(cd "$FED_DIR" && pwd)
	# the connectors drop to "nobody" and must reach their runtime dirs
	chmod 711 "$FED_DIR"
}

fed_pki() {
	local p=$FED_DIR/pki c d
	t_ca "$p"
	for c in $FED_COMMUNITIES; do
		d=$(fed_var "$c" DOMAIN)
		# the connector: its SIP domain (RFC 5922) and its host name
		t_cert "$p" "$c-connector" "sip.$d" "uri:sip:$d" "dns:$d" \
			"dns:sip.$d" "ip:$(fed_var "$c" CONN)"
		t_cert "$p" "$c-gateway" "gw.$d" "dns:gw.$d" \
			"ip:$(fed_var "$c" GW)"
	done
	chmod 644 "$p"/*.pem
}

# fed_docs C: the four documents of community C, written with stconfig.
fed_docs() {
	local c=$1 o d cd=$FED_DIR/$1/conf
	local sc=("$FED_STCONFIG" -d "$cd")
	mkdir -p "$cd"
	for o in $FED_COMMUNITIES; do [ "$o" != "$c" ] && break; done
	d=$(fed_var "$o" DOMAIN)
	"${sc[@]}" set CommunityGateway SupportExternalCommunities=true \
		ConvertID=true >/dev/null 2>&1 &&
	"${sc[@]}" set CommunityConnectivity \
		"VPMX_HOSTNAME=$(fed_var "$c" GW)" "VPMX_PORT=$FED_VP_PORT" \
		"CommunityTrustedIps=$(fed_var "$c" CONN), $(fed_var "$c" GW)" \
		>/dev/null 2>&1 &&
	"${sc[@]}" create ExternCommunity "$o" "Domains=$d" \
		"DNS=$(fed_var "$o" CONN)" "Port=$FED_TLS_PORT" Transport=tls \
		VerifyCertificate=true >/dev/null &&
	"${sc[@]}" create CommunityConnector "$c-edge" \
		"IP=$(fed_var "$c" CONN)" "Port=$FED_SIP_PORT" \
		"TLSPort=$FED_TLS_PORT" "SupportedCommunities=$o" >/dev/null &&
	"${sc[@]}" check >/dev/null
}

# fed_users C: the embedded users file (hashed passwords; e-mail login@domain).
fed_users() {
	local c=$1 u h d; d=$(fed_var "$c" DOMAIN)
	: >"$FED_DIR/$c/users"
	for u in $(fed_var "$c" USERS); do
		h=$(printf '%s\n' "${u#*:}" | "$FED_STCOMMUNITY" -P) || return 1
		printf '%s:%s:%s@%s:%s\n' "${u%%:*}" "$h" "${u%%:*}" "$d" \
			"${u%%:*}" >>"$FED_DIR/$c/users"
	done
	chmod 600 "$FED_DIR/$c/users"
}

fed_settings() {
	local c=$1 s=$FED_DIR/$1 p=$FED_DIR/pki gw
	gw=$(fed_var "$c" GW)
	doc_community_conf "$s/community.conf" "$s/users" "$s/storage"
	doc_gw_conf "$s/gateway.conf" "$gw" "$p/$c-gateway" "$s/gateway.sock" \
		GatewayName="$c-gateway" LinkPort="$FED_LINK_PORT" \
		SourceAddress="$gw" TraceFile="$s/trace.log" Trace=true \
		ConvertIdBackend=community SipTimeout=8
	doc_conn_conf "$s/connector.conf" "$c-edge" "$p/$c-connector" \
		"$gw:$FED_LINK_PORT" "$s/connector-run" \
		source="$(fed_var "$c" CONN)" t1=200
	[ -n "${FED_DNS:-}" ] && echo "dns = $FED_DNS" >>"$s/connector.conf"
	[ "$(id -u)" = 0 ] && echo "user = nobody" >>"$s/connector.conf"
	return 0
}

fed_setup() {
	local c
	fed_pki || return 1
	for c in $FED_COMMUNITIES; do
		mkdir -p "$FED_DIR/$c"
		fed_docs "$c" || { fed_log "$c: documents refused"; return 1; }
		fed_users "$c" || return 1
		fed_settings "$c" || return 1
	done
}

# fed_spawn NAME SRCADDR CMD...: a daemon in the background, log in
# $FED_DIR/NAME.log.  SRCADDR is the address it speaks from (set in its
# own settings; kept here for the callers' sake).
fed_spawn() {
	local name=$1 src=$2; shift 2
	"$@" >"$FED_DIR/$name.log" 2>&1 </dev/null &
	local pid=$!
	echo "$pid" >"$FED_DIR/run/$name.pid"
	echo "$name" >>"$FED_DIR/run/order"
	if declare -p T_PIDS >/dev/null 2>&1; then T_PIDS+=("$pid"); fi
}

fed_pid() { cat "$FED_DIR/run/$1.pid" 2>/dev/null; }

# fed_kill NAME [SIGNAL]: stop one process and wait (5 s) for it.
fed_kill() {
	local pid i=0; pid=$(fed_pid "$1") || return 0
	[ -n "$pid" ] || return 0
	kill -"${2:-TERM}" "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
}

fed_wait() {
	local file=$1 re=$2 secs=${3:-10} i=0
	while [ $i -lt $((secs * 10)) ]; do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

fed_wait_tcp() {
	local i=0
	while [ $i -lt $((${3:-10} * 10)) ]; do
		(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

fed_start_community() {
	local c=$1 s=$FED_DIR/$1
	fed_spawn "$c-community" "" "$FED_STCOMMUNITY" -D -c "$s/conf" \
		-f "$s/community.conf"
	fed_wait_tcp "$(fed_var "$c" GW)" "$FED_VP_PORT" 15 ||
		{ fed_log "$c: stcommunity does not listen"; return 1; }
}

fed_start_gateway() {
	local c=$1 s=$FED_DIR/$1
	fed_spawn "$c-gateway" "$(fed_var "$c" GW)" "$FED_STGATEWAY" -d \
		-c "$s/conf" -f "$s/gateway.conf"
	fed_wait "$FED_DIR/$c-gateway.log" "session with .* up" 15 ||
		{ fed_log "$c: gateway has no VP session"; return 1; }
	fed_wait "$FED_DIR/$c-gateway.log" "link: listening" 15 ||
		{ fed_log "$c: gateway does not listen"; return 1; }
}

fed_start_connector() {
	local c=$1 s=$FED_DIR/$1
	fed_spawn "$c-connector" "$(fed_var "$c" CONN)" "$FED_STCONNECTOR" -D \
		-f "$s/connector.conf"
	fed_wait "$FED_DIR/$c-gateway.log" \
		"$c-edge applied CONFIG generation" 15 ||
		{ fed_log "$c: connector got no documents"; return 1; }
	fed_wait_tcp "$(fed_var "$c" CONN)" "$FED_TLS_PORT" 10 ||
		{ fed_log "$c: connector does not listen on TLS"; return 1; }
}

fed_up() {
	local c
	for c in ${1:-$FED_COMMUNITIES}; do
		fed_start_community "$c" && fed_start_gateway "$c" &&
			fed_start_connector "$c" || return 1
	done
}

# fed_client NAME C USER [PASSWORD]
fed_client() {
	local name=$1 c=$2 user=$3 pw=${4:-} u
	if [ -z "$pw" ]; then
		for u in $(fed_var "$c" USERS); do
			[ "${u%%:*}" = "$user" ] && pw=${u#*:}
		done
	fi
	STCLIENT_PASSWORD=$pw fed_client_run "$name" "$FED_STCLIENT" \
		-H "$(fed_var "$c" GW)" -P "$FED_VP_PORT" -u "$user"
}

# fed_client_run NAME CMD...: any client with stclient's line protocol
# (tests/client_purple too), stdin from a FIFO, stdout in cl/NAME.out.
fed_client_run() {
	local name=$1 fd; shift
	rm -f "$FED_DIR/cl/$name.in"
	mkfifo "$FED_DIR/cl/$name.in"
	exec {fd}<>"$FED_DIR/cl/$name.in"
	FED_FD[$name]=$fd
	"$@" <"$FED_DIR/cl/$name.in" >"$FED_DIR/cl/$name.out" \
		2>"$FED_DIR/cl/$name.err" &
	local pid=$!
	echo "$pid" >"$FED_DIR/run/client-$name.pid"
	echo "client-$name" >>"$FED_DIR/run/order"
	if declare -p T_PIDS >/dev/null 2>&1; then T_PIDS+=("$pid"); fi
	fed_wait "$FED_DIR/cl/$name.out" "^(loggedin|closed)" 20 &&
		grep -q '^loggedin' "$FED_DIR/cl/$name.out"
}

fed_say() { local n=$1; shift; printf '%s\n' "$*" >&"${FED_FD[$n]}"; }

# fed_mark NAME: remember how far a client's output goes; fed_wait_new
# NAME REGEX [SECS] then waits for a matching line after that mark.
declare -A FED_MARK
fed_mark() { FED_MARK[$1]=$(wc -l <"$FED_DIR/cl/$1.out"); }
fed_seen_new() {
	tail -n +"$(( ${FED_MARK[$1]:-0} + 1 ))" "$FED_DIR/cl/$1.out" |
		grep -Eq -- "$2"
}
fed_wait_new() {
	local i=0
	while [ $i -lt $((${3:-10} * 10)) ]; do
		fed_seen_new "$1" "$2" && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# fed_stop_all: stop in the reverse order of start.
fed_stop_all() {
	local n
	[ -f "$FED_DIR/run/order" ] || return 0
	for n in $(tac "$FED_DIR/run/order"); do
		fed_kill "$n"
		rm -f "$FED_DIR/run/$n.pid"
	done
	rm -f "$FED_DIR/run/order"
}

fed_topology() {
	local f=$1 c C
	{
		echo "# stsip federation demo topology (sh variables)"
		for c in $FED_COMMUNITIES; do
			C=${c^^}
			echo "${C}_DOMAIN=$(fed_var "$c" DOMAIN)"
			echo "${C}_VP_HOST=$(fed_var "$c" GW)"
			echo "${C}_VP_PORT=$FED_VP_PORT"
			echo "${C}_SIP_HOST=$(fed_var "$c" CONN)"
			echo "${C}_SIP_UDP_PORT=$FED_SIP_PORT"
			echo "${C}_SIP_TCP_PORT=$FED_SIP_PORT"
			echo "${C}_SIP_TLS_PORT=$FED_TLS_PORT"
			echo "${C}_LINK_HOST=$(fed_var "$c" GW)"
			echo "${C}_LINK_PORT=$FED_LINK_PORT"
			echo "${C}_CONFIG_DIR=$FED_DIR/$c/conf"
			echo "${C}_CONTROL=$FED_DIR/$c/gateway.sock"
			echo "${C}_USERS=\"$(fed_var "$c" USERS)\""
		done
		echo "CA_FILE=$FED_DIR/pki/ca.pem"
		echo "STATE_DIR=$FED_DIR"
	} >"$f"
}

fed_t_setup() {
	fed_init "$T" "$T_NET"
	fed_setup || { t_fail "set-up"; t_done; exit; }
}

fed_t_up() {
	fed_up "$@" || { t_fail "${1:-both communities} come${1:+s} up"; t_done; exit; }
}

fed_expect() {
	if fed_wait_new "$2" "$3" "${4:-10}"; then t_pass "$1"; else
		t_fail "$1 (no new line /$3/ from $2)"; fi
}

fed_t_finish() {
	local n
	for n in "$@"; do
		fed_kill "$n"
		t_expect_not "$n exits without sanitizer reports" \
			"$FED_DIR/$n.log" 'Sanitizer|runtime error'
	done
	t_done
}
