#!/usr/bin/env bash
# stconfig diagnose COMMUNITY against the demo's two communities: every
# step passes on the right set-up (document DNS, and SRV through a real
# DNS server on loopback), and each kind of mistake stops at the right
# step with the reason and a fix: no such document, nothing in DNS,
# nothing listening, a certificate for other domains, a partner that does
# not accept our address.  Exit 0 only when every step passed.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/dns.sh"
. "$top_srcdir/tests/lib/federation.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCONNECTOR" "$STCONFIG"
command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || t_skip "no dnsmasq"
fed_init "$T" "$T_NET"
NS=$T_NET.1
t_dns_start "$NS" 5353 \
	"SRV:_sips._tcp.beta.example:sip.beta.example:$FED_TLS_PORT:10:10" \
	"A:sip.beta.example:$FED_BETA_CONN"
fed_setup || { t_fail "set-up"; t_done; exit; }
fed_t_up

DOCS=$T/docs
cp -r "$FED_DIR/alpha/conf" "$DOCS"
CONF=$FED_DIR/alpha/connector.conf
# diag NAME [ARGS...]: run it as on alpha's connector host (it speaks
# from the connector's CommunityConnector IP, as the connector does)
diag() {
	local n=$1; shift
	"$STCONFIG" -d "$DOCS" diagnose -f "$CONF" "$@" >"$T/$n.out" 2>&1
	echo $? >"$T/$n.rc"
	sed "s/^/  $n: /" "$T/$n.out" >&2
}
rc() { [ "$(cat "$T/$1.rc")" = "$2" ]; }

diag good beta
rc good 0 && t_pass "the right set-up: exit 0" || t_fail "the right set-up: exit 0"
t_expect "documents OK" "$T/good.out" '^\[1\] documents +OK: ExternCommunity beta .*served by alpha-edge' 1
t_expect "source: alpha-edge's IP, as the connector speaks" "$T/good.out" \
	"^    source: $FED_ALPHA_CONN, the IP of CommunityConnector alpha-edge" 1
t_expect "resolve OK with the document's DNS" "$T/good.out" \
	"^\[2\] resolve +OK: $FED_BETA_CONN \(the document's DNS\) -> $FED_BETA_CONN:5061/tls" 1
t_expect "connect OK" "$T/good.out" "^\[3\] connect +OK: TCP to $FED_BETA_CONN:5061" 1
t_expect "TLS OK" "$T/good.out" '^\[4\] TLS +OK: handshake .* certificate chains' 1
t_expect "certificate names OK" "$T/good.out" '^\[5\] certificate +OK: names beta\.example' 1
t_expect "OPTIONS to the server OK" "$T/good.out" '^\[6\] OPTIONS server +OK: .*200' 1
t_expect "OPTIONS to the domain OK: beta accepts alpha" "$T/good.out" \
	"^\[7\] OPTIONS domain +OK: sip:beta\.example from alpha\.example at $FED_ALPHA_CONN:[0-9]+ answered 200" 1

# No DNS host in the document: SRV _sips._tcp from the DNS server.
"$STCONFIG" -d "$DOCS" unset ExternCommunity beta DNS >/dev/null
diag srv -r "$NS@5353" beta
rc srv 0 && t_pass "found by SRV: exit 0" || t_fail "found by SRV: exit 0"
t_expect "resolve by SRV" "$T/srv.out" \
	"^\[2\] resolve +OK: beta\.example \(SRV, then A/AAAA\) -> $FED_BETA_CONN:5061/tls" 1

# Mistakes, each stopping at its step with a fix.
diag nodoc -r "$NS@5353" gamma
rc nodoc 1 && t_pass "no such document: exit 1" || t_fail "no such document: exit 1"
t_expect "... says so" "$T/nodoc.out" '^\[1\] documents +FAIL: no ExternCommunity named gamma' 1

"$STCONFIG" -d "$DOCS" set ExternCommunity beta Domains=beta.invalid >/dev/null
diag nodns -r "$NS@5353" beta
rc nodns 1 && t_pass "nothing in DNS: exit 1" || t_fail "nothing in DNS: exit 1"
t_expect "... resolve fails with the records to publish" "$T/nodns.out" \
	'^\[2\] resolve +FAIL: beta\.invalid' 1
t_expect "... fix names SRV _sips._tcp" "$T/nodns.out" 'fix: .*_sips\._tcp\.beta\.invalid' 1

"$STCONFIG" -d "$DOCS" set ExternCommunity beta Domains=beta.example \
	"DNS=$FED_BETA_CONN" Port=5999 >/dev/null
diag noport beta
rc noport 1 && t_pass "nothing listening: exit 1" || t_fail "nothing listening: exit 1"
t_expect "... connect fails: refused" "$T/noport.out" \
	"^\[3\] connect +FAIL: TCP to $FED_BETA_CONN:5999: Connection refused" 1
t_expect "... fix names the port" "$T/noport.out" 'fix: nothing listens there.*Port=5999' 1

"$STCONFIG" -d "$DOCS" set ExternCommunity beta "Port=$FED_TLS_PORT" \
	"Domains=beta.example, beta-corp.example" >/dev/null
diag wrongname beta
rc wrongname 1 && t_pass "certificate for other domains: exit 1" ||
	t_fail "certificate for other domains: exit 1"
t_expect "... certificate step fails naming the domain" "$T/wrongname.out" \
	'^\[5\] certificate +FAIL: the certificate of .* does not name beta-corp\.example' 1
t_expect_not "... and stops there" "$T/wrongname.out" '^\[6\]'

# From another address than alpha's connector, beta refuses alpha: 403.
"$STCONFIG" -d "$DOCS" set ExternCommunity beta Domains=beta.example >/dev/null
"$STCONFIG" -d "$DOCS" diagnose -f "$CONF" -s "$T_NET.30" beta \
    >"$T/untrusted.out" 2>&1
echo $? >"$T/untrusted.rc"
sed "s/^/  untrusted: /" "$T/untrusted.out" >&2
rc untrusted 1 && t_pass "not from our connector's address: exit 1" ||
	t_fail "not from our connector's address: exit 1"
t_expect "... the server answers OPTIONS" "$T/untrusted.out" '^\[6\] OPTIONS server +OK' 1
t_expect "... the domain refuses us with 403, naming our address" "$T/untrusted.out" \
	"^\[7\] OPTIONS domain +FAIL: sip:beta\.example from alpha\.example at $T_NET\.30:[0-9]+: 403" 1
t_expect "... beta's connector logged the same refusal" \
	"$FED_DIR/beta-connector.log" "403 for alpha\.example from $T_NET\.30" 3
t_done
