#!/bin/bash
# The directory comes back while lookups keep coming: MESSAGEs to alice
# every 0.3 s need ConvertID (caches of 1 s); slapd is killed and started
# again 1 s later; within 8 s the MESSAGEs must be answered 200 again.
# Found by tests/hardening_faults.sh.
#
# The bug it found (fixed in 963c518): gateway/convertid_ldap.c throttled
# reconnects through cl_drop(), which moved last_fail forward on every
# lookup, so under a steady load the gateway never reconnected.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/gateway_lib.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$GW_PEER"
slapd_available || t_skip "slapd not installed"
LDAP_ADDR=$(t_addr 3)
GW_USERS=alice gw_setup
slapd_init "$T/ldap" dc=alpha,dc=example
slapd_user alice pw alice@alpha.example
slapd_start "$LDAP_ADDR" 3890 || { t_fail "slapd starts"; t_done; exit; }
sed -i 's/^ConvertIdBackend = .*/ConvertIdBackend = ldap/' "$T/gw.conf"
cat >>"$T/gw.conf" <<EOF
LdapURL = $SLAPD_URL
LdapSearchBase = $SLAPD_BASE
LdapPersonFilter = (objectClass=inetOrgPerson)
LdapTimeout = 2
CacheTTL = 1
CacheNegativeTTL = 1
EOF
gw_start || { t_fail "community, gateway and peer start"; t_done; exit; }
gw_client alice || t_fail "alice logs in"

send() {	# send N: N MESSAGEs, 0.3 s apart
	local i
	for i in $(seq 1 "$1"); do
		gw_peer message bob@beta.example alice@alpha.example "m$i"
		sleep 0.3
	done
}
n200() { grep -c '^resp MESSAGE 200' "$T/peer.log"; }
send 5
[ "$(n200)" -ge 4 ] && t_pass "MESSAGEs answered 200 with the directory up" ||
	t_fail "MESSAGEs with the directory up: $(n200) answered 200"
t_stop slapd KILL
send 3
before=$(n200)
t_start slapd "$SLAPD_BIN" -d 0 -f "$SLAPD_DIR/slapd.conf" -h "$SLAPD_URL/"
t_wait_tcp "$LDAP_ADDR" 3890 10 || t_fail "slapd starts again"
send 27
after=$(n200)
echo "answered_200_after_restart: $((after - before)) msgs"
[ "$after" -gt "$before" ] &&
	t_pass "MESSAGEs answered 200 again after the directory came back" ||
	t_fail "no MESSAGE answered 200 in 8 s of steady traffic after the directory came back"
t_done
