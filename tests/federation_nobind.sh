#!/usr/bin/env bash
# Every daemon chooses its own source address: on loopback (as on any
# multi-homed host) the kernel would pick 127.0.0.1, and the partner's IP
# trust (403), the gateway's and the community server's CommunityTrustedIps
# would refuse the connections.  The connector binds its outgoing SIP to
# its CommunityConnector IP and its link to source = of its settings; the
# gateway binds to its SourceAddress; stconfig diagnose speaks from the
# connector's address.  Nothing runs under LD_PRELOAD.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/federation.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$STCONNECTOR" "$STCONFIG"
fed_t_setup
fed_up && t_pass "both communities come up, each daemon binding its own source" ||
	{ t_fail "both communities come up, each daemon binding its own source"; t_done; exit; }
for c in alpha beta; do
	for r in connector gateway community; do
		if tr '\0' '\n' <"/proc/$(fed_pid "$c-$r")/environ" |
		    grep -q '^LD_PRELOAD='; then
			t_fail "$c's $r runs without LD_PRELOAD"
		else
			t_pass "$c's $r runs without LD_PRELOAD"
		fi
	done
	# the link comes from the connector's source = (CommunityTrustedIps)
	t_expect "$c's gateway sees the link from $c's connector address" \
		"$FED_DIR/$c-gateway.log" \
		"link: connection from $(fed_var "$c" CONN)[]:]" 1
done
fed_client alice alpha alice || t_fail "alice logs in"
fed_client bob beta bob || t_fail "bob logs in"
fed_mark bob
fed_say alice "msg @E bob@beta.example hello"
fed_wait_new bob '^im @E alice@alpha\.example hello$' 10 &&
	t_pass "alice -> bob over TLS" || t_fail "alice -> bob over TLS"
fed_mark alice
fed_say bob "msg @E alice@alpha.example hi"
fed_wait_new alice '^im @E bob@beta\.example hi$' 10 &&
	t_pass "bob -> alice over TLS" || t_fail "bob -> alice over TLS"
t_expect_not "no IP-trust refusal at alpha" "$FED_DIR/alpha-connector.log" \
	'trust: 403'
t_expect_not "no IP-trust refusal at beta" "$FED_DIR/beta-connector.log" \
	'trust: 403'
# stconfig diagnose speaks from the connector's address
"$STCONFIG" -d "$FED_DIR/alpha/conf" diagnose -f "$FED_DIR/alpha/connector.conf" \
	beta >"$T/diag.out" 2>&1 && t_pass "stconfig diagnose beta passes" ||
	{ t_fail "stconfig diagnose beta passes"; cat "$T/diag.out" >&2; }
t_expect "... from alpha's connector address" "$T/diag.out" \
	"OPTIONS domain +OK: .* at $FED_ALPHA_CONN:[0-9]+ answered 200" 1
t_done
