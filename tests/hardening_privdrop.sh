#!/usr/bin/env bash
# Least privilege, black box: started as root with an unprivileged user set,
# stcommunity, stsipgateway and stsipconnector each run as that user once
# their ports are bound (all real/effective/saved/filesystem ids, no
# supplementary groups, no capabilities, no_new_privs), and still serve:
# the gateway's link listener takes a connector, the community a client.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"

[ "$(id -u)" = 0 ] || t_skip "needs root to start the daemons as root"
NOBODY_UID=$(id -u nobody 2>/dev/null) || t_skip "no user nobody"
NOBODY_GID=$(id -g nobody)

. "$top_srcdir/tests/gateway_lib.sh"
# The connector's addresses, away from the gateway's (t_addr 1 and 2).
CN_C=$(t_addr 5) CN_B=$(t_addr 6) CN_X=$(t_addr 7)
. "$top_srcdir/tests/connector_lib.sh"
PKI=$T/cpki DOCS=$T/cdocs	# the gateway's are in $T/pki and $T/conf

# dropped NAME PID: the kernel's view of the process after the drop.
dropped() {
	local name=$1 st=/proc/$2/status
	if [ ! -r "$st" ]; then
		t_fail "$name is running"
		return
	fi
	t_expect "$name: uid is nobody (real, effective, saved, fs)" "$st" \
		"^Uid:[[:space:]]+$NOBODY_UID[[:space:]]+$NOBODY_UID[[:space:]]+$NOBODY_UID[[:space:]]+$NOBODY_UID\$" 1
	t_expect "$name: gid is nobody's (real, effective, saved, fs)" "$st" \
		"^Gid:[[:space:]]+$NOBODY_GID[[:space:]]+$NOBODY_GID[[:space:]]+$NOBODY_GID[[:space:]]+$NOBODY_GID\$" 1
	t_expect "$name: no supplementary group but its own" "$st" \
		"^Groups:[[:space:]]*($NOBODY_GID)?[[:space:]]*\$" 1
	t_expect "$name: no effective capability" "$st" \
		'^CapEff:[[:space:]]+0+$' 1
	t_expect "$name: no permitted capability" "$st" '^CapPrm:[[:space:]]+0+$' 1
	t_expect "$name: no_new_privs set" "$st" '^NoNewPrivs:[[:space:]]+1$' 1
}

# The daemons' files must be reachable by nobody after the drop.
chmod 711 "$T"

# stcommunity and stsipgateway, with User = nobody.
gw_setup "User=nobody"
printf 'User = nobody\n' >>"$T/community.conf"
chown nobody "$T/storage" "$T/users"	# the users file is read as User
if ! gw_start; then
	t_fail "stcommunity, stsipgateway and a link peer start"
	t_done
	exit
fi
t_pass "the gateway's link listener serves a connector after the drop"
t_expect "stcommunity says who it runs as" "$T/community.log" \
	'running as user "nobody"' 1
dropped stcommunity "$(t_pid community)"
t_expect "stsipgateway says who it runs as" "$T/gateway.log" \
	'running as user "nobody"' 1
dropped stsipgateway "$(t_pid gateway)"
gw_client alice && t_pass "a client logs in to stcommunity after the drop" ||
	t_fail "a client logs in to stcommunity after the drop"

# stsipconnector (conn.conf: user = nobody): it binds its SIP ports when the
# gateway's documents arrive, and drops then.
cn_setup
cn_start_peer
if cn_start_conn; then
	t_expect "stsipconnector says who it runs as" "$T/conn.log" \
		'running as user "nobody"' 5
	dropped stsipconnector "$(t_pid conn)"
	t_wait_tcp "$C" "$SP" 5 && t_pass "the connector's SIP port is open after the drop" ||
		t_fail "the connector's SIP port is open after the drop"
else
	t_fail "stsipconnector starts and gets its documents"
fi

for n in community gateway conn; do
	t_expect_not "$n: no sanitizer report" "$T/$n.log" \
		'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error'
done
t_done
