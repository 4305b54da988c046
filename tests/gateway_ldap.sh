#!/bin/bash
# ConvertID through LDAP: stsipgateway against a throw-away slapd
# (StartTLS required, bind DN + password file), stcommunity and stclient
# on the Sametime side, the test peer on the SIP side.  The directory
# stalls (SIGSTOP), dies and comes back during the test.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/docs.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT"
PEER=$top_builddir/tests/gateway_sippeer
[ -x "$PEER" ] || t_skip "gateway_sippeer not built"
slapd_available || t_skip "slapd not installed"

VP_ADDR=$(t_addr 1)
GW_ADDR=$(t_addr 2)
LDAP_ADDR=$(t_addr 3)
D=$T/conf
doc_partner "$D" "$VP_ADDR" edge1 127.0.0.98 127.0.0.99
doc_community_conf "$T/community.conf" "$T/users" "$T/storage"

# Internal IDs are uids; Internet addresses differ from them on purpose.
h=$(printf 'pw\n' | "$STCOMMUNITY" -P)
printf 'alice:%s::\ndave:%s::\n' "$h" "$h" >"$T/users"

t_ca "$T/pki"
t_cert "$T/pki" gw gateway "ip:$GW_ADDR"
t_cert "$T/pki" edge edge1 "dns:edge1"
t_cert "$T/pki" ldap ldap "ip:$LDAP_ADDR"

slapd_init "$T/ldap"
slapd_user alice 'x' alice.anders@alpha.example 'Alice'
slapd_user dave 'x' dave.d@alpha.example 'Dave'
slapd_user frank 'x' frank.f@alpha.example 'Frank'
SLAPD_REQUIRE_TLS=1 slapd_tls "$T/pki/ldap.pem" "$T/pki/ldap.key" "$T/pki/ca.pem"
slapd_start "$LDAP_ADDR" 3890 6360 || { t_fail "slapd starts"; t_done; exit; }

printf '%s\n' "$SLAPD_ROOTPW" >"$T/ldap.pw"
chmod 600 "$T/ldap.pw"
doc_gw_conf "$T/gw.conf" "$GW_ADDR" "$T/pki/gw" "$T/gw.sock" \
	GatewayName=gw-alpha LdapURL="$SLAPD_URL" LdapStartTLS=true \
	LdapCACert="$T/pki/ca.pem" LdapBindDN="$SLAPD_ROOTDN" \
	LdapBindPasswordFile="$T/ldap.pw" LdapSearchBase="$SLAPD_BASE" \
	LdapPersonFilter='(objectClass=inetOrgPerson)' LdapTimeout=2 \
	CacheNegativeTTL=1 SipTimeout=5

# A password file others may read is refused.
chmod 644 "$T/ldap.pw"
"$STGATEWAY" -n -c "$D" -f "$T/gw.conf" 2>"$T/check.log" &&
	t_fail "group/world-readable password file refused" ||
	t_pass "group/world-readable password file refused"
t_expect "the refusal names the file" "$T/check.log" "ldap.pw"
chmod 600 "$T/ldap.pw"

t_start community "$STCOMMUNITY" -D -c "$D" -f "$T/community.conf"
t_wait_grep "$T/community.log" "stcommunity ready" 15 || { t_fail "stcommunity starts ($(head -3 "$T/community.log"))"; t_done; exit; }
t_start gateway "$STGATEWAY" -d -c "$D" -f "$T/gw.conf"
t_wait_grep "$T/gateway.log" "link: listening" 15 || { t_fail "gateway listens ($(head -3 "$T/gateway.log"))"; t_done; exit; }
t_expect "gateway session up" "$T/gateway.log" "session with .* up"

t_fifo peer
"$PEER" "$T/pki/edge.pem" "$T/pki/edge.key" "$T/pki/ca.pem" edge1 \
	"$GW_ADDR" 5070 <"$T/peer.in" >"$T/peer.log" 2>"$T/peer.err.log" &
T_PIDS+=("$!")
peer() { printf '%s\n' "$*" >&"${T_FD[peer]}"; }
t_expect "link up" "$T/peer.log" "^up gw-alpha$"

for u in alice dave; do
	t_stclient "$u" "$VP_ADDR" "$u" pw
	t_expect "$u logs in" "$T/$u.log" "^loggedin $u"
done
alice() { printf '%s\n' "$*" >&"${T_FD[alice]}"; }

# Internal ID -> address for what leaves.
alice watch "@E bob@beta.example"
t_expect "SUBSCRIBE From alice's LDAP mail (StartTLS, bound)" "$T/peer.log" \
	"^from <sip:alice.anders@alpha.example>"
alice msg "@E bob@beta.example" hi from ldap
from_ldap_mail() {
	grep -A4 '^req MESSAGE sip:bob@beta.example' "$T/peer.log" |
		grep -q '^from <sip:alice.anders@alpha.example>'
}
t_check "MESSAGE From alice's LDAP mail" t_until 5 from_ldap_mail
# Address -> internal ID for what arrives.
peer message bob@beta.example alice.anders@alpha.example hello alice
t_expect "MESSAGE to the LDAP mail reaches alice" "$T/alice.log" \
	"^im @E bob@beta.example hello alice"
t_expect "... and is answered 200" "$T/peer.log" "^resp MESSAGE 200"
peer message bob@beta.example nobody@alpha.example hi
t_expect "no such address in LDAP: 404" "$T/peer.log" "^resp MESSAGE 404"

# A stalled directory: the lookup fails cleanly within LdapTimeout, and the
# gateway keeps serving what it has cached meanwhile.
kill -STOP "$(t_pid slapd)"
n200=$(grep -c '^resp MESSAGE 200' "$T/peer.log")
peer message bob@beta.example dave.d@alpha.example hi dave
peer message bob@beta.example alice.anders@alpha.example cached
t_expect "cached address answered while LDAP stalls" "$T/alice.log" \
	"^im @E bob@beta.example cached$" 2
t_expect "stalled directory: 480, not a hang" "$T/peer.log" "^resp MESSAGE 480" 6
t_expect "the unanswering connection is dropped" "$T/gateway.log" \
	"LDAP .*: searches not answered" 5
# Reconnecting to the stalled server hangs in StartTLS: bounded too.
sleep 2
peer message bob@beta.example frank.f@alpha.example hi frank
t_check "stalled directory at connect: 480" \
	t_wait_count "$T/peer.log" '^resp MESSAGE 480' 2 8
t_expect "the connection stuck in set-up is dropped" "$T/gateway.log" \
	"LDAP .*: no answer while connecting" 5
kill -CONT "$(t_pid slapd)"
sleep 2
peer message bob@beta.example dave.d@alpha.example after the stall
t_expect "directory answering again: dave gets the IM" "$T/dave.log" \
	"^im @E bob@beta.example after the stall" 10

# The directory dies: clean 480; it comes back: served again, no restart.
slapd_stop
peer message bob@beta.example frank.f@alpha.example hi frank
t_check "directory down: 480" \
	t_wait_count "$T/peer.log" '^resp MESSAGE 480' 3 6
# ... and a Sametime user whose address is not known yet gets a VP error.
printf 'msg @E bob@beta.example while ldap is down\n' >&"${T_FD[dave]}"
t_expect "directory down: dave's IM out gets an error, not silence" \
	"$T/dave.log" "^error @E bob@beta.example" 8
t_expect_not "... and nothing was sent with a wrong address" "$T/peer.log" \
	"^body while ldap is down"
t_start slapd "$SLAPD_BIN" -d 0 -f "$SLAPD_DIR/slapd.conf" -h "$SLAPD_URL/ $SLAPD_URLS/"
t_wait_tcp "$LDAP_ADDR" 3890 15
sleep 2		# the gateway tries a dead directory at most every 2 s
peer message bob@beta.example dave.d@alpha.example back again
t_expect "directory back: dave gets the IM without a gateway restart" \
	"$T/dave.log" "^im @E bob@beta.example back again" 10

t_stop gateway
t_expect_not "gateway exits without sanitizer reports" "$T/gateway.log" \
	"Sanitizer|runtime error"

# ldaps:// instead of StartTLS (a fresh gateway: nothing cached).
sed -i -e "s|^LdapURL = .*|LdapURL = $SLAPD_URLS|" \
	-e 's/^LdapStartTLS = true/LdapStartTLS = false/' "$T/gw.conf"
t_start gateway "$STGATEWAY" -d -c "$D" -f "$T/gw.conf"
t_wait_grep "$T/gateway.log" "session with .* up" 15
t_wait_grep "$T/peer.log" "^closed$" 15	# the old link went with the old gateway
t_fifo peer2
"$PEER" "$T/pki/edge.pem" "$T/pki/edge.key" "$T/pki/ca.pem" edge1 \
	"$GW_ADDR" 5070 <"$T/peer2.in" >"$T/peer2.log" 2>"$T/peer2.err.log" &
T_PIDS+=("$!")
t_expect "link up again" "$T/peer2.log" "^up gw-alpha$"
printf 'message bob@beta.example dave.d@alpha.example over ldaps\n' >&"${T_FD[peer2]}"
t_expect "ldaps: the address maps to dave" "$T/dave.log" \
	"^im @E bob@beta.example over ldaps" 10
t_expect "ldaps: bound over TLS" "$T/gateway.log" "LDAP ldaps://.* bound as"
t_stop gateway
t_expect_not "gateway exits without sanitizer reports (ldaps)" \
	"$T/gateway.log" "Sanitizer|runtime error"
t_done
