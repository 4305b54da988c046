#!/usr/bin/env bash
# The "Done when" items of the foundation issue, as an administrator runs them:
# the examples check OK, a bad value is refused and changes nothing, and a
# hand-broken directory gives one "file:line: field: reason" per problem.
. "$top_srcdir/tests/lib/common.sh"

[ -x "$STCONFIG" ] || t_skip "stconfig not built"

for site in alpha beta; do
	out=$("$STCONFIG" -d "$top_srcdir/examples/$site" check 2>&1); rc=$?
	if [ $rc -eq 0 ] && [ "$out" = OK ]; then
		t_pass "examples/$site: check prints OK and exits 0"
	else
		t_fail "examples/$site: check said '$out' (exit $rc)"
	fi
done

cp -r "$top_srcdir/examples/alpha" "$T/alpha"
chmod -R u+w "$T/alpha"
cp "$T/alpha/ExternCommunity/beta.ini" "$T/beta.before"
"$STCONFIG" -d "$T/alpha" set ExternCommunity beta Port=70000 >"$T/set.out" 2>&1
rc=$?
[ $rc -eq 1 ] && t_pass "set Port=70000 exits 1" || t_fail "set Port=70000 exit $rc"
t_expect "the refusal names file, line, field and reason" "$T/set.out" \
	"^$T/alpha/ExternCommunity/beta\\.ini:[0-9]+: Port: \"70000\" is not a port \\(1-65535\\)\$" 1
t_expect "the refusal says nothing changed" "$T/set.out" "refused, nothing changed" 1
if cmp -s "$T/beta.before" "$T/alpha/ExternCommunity/beta.ini"; then
	t_pass "beta.ini unchanged byte for byte"
else
	t_fail "beta.ini changed by a refused edit"
fi
leftover=$(find "$T/alpha" -name '.*.ini.*')
[ -z "$leftover" ] && t_pass "no temporary file left" || t_fail "left: $leftover"

# Break three files by hand, five problems in all.
A=$T/alpha
sed -i 's/^Port = 5061$/Port = 5o61/; s/^Transport = tls$/Transport = quic/' \
	"$A/ExternCommunity/beta.ini"
sed -i 's/^ConvertID = true$/ConvertID = sometimes/' "$A/CommunityGateway.ini"
printf 'Colour = red\n' >>"$A/CommunityConnector/alpha-edge.ini"
sed -i 's/^SupportedCommunities = beta$/SupportedCommunities = beta, gamma/' \
	"$A/CommunityConnector/alpha-edge.ini"
"$STCONFIG" -d "$A" check >"$T/check.out" 2>"$T/check.err"
rc=$?
[ $rc -eq 1 ] && t_pass "check of a broken directory exits 1" || t_fail "check exit $rc"
t_expect_not "check prints no OK" "$T/check.out" "OK"
cat >"$T/check.want" <<WANT
$A/CommunityGateway.ini:6: ConvertID: "sometimes" is not a boolean (true, false, yes, no, 1 or 0)
$A/ExternCommunity/beta.ini:7: Port: "5o61" is not a port (1-65535)
$A/ExternCommunity/beta.ini:8: Transport: "quic" is not a transport (tls, tcp or udp)
$A/CommunityConnector/alpha-edge.ini:8: SupportedCommunities: "gamma" is not an ExternCommunity (no ExternCommunity/gamma.ini)
$A/CommunityConnector/alpha-edge.ini:9: Colour: unknown field (valid: AdvertisedHost, ConnectorName, IP, Port, SupportedCommunities, TLSPort)
WANT
if diff -u "$T/check.want" "$T/check.err" >"$T/check.diff"; then
	t_pass "check prints file:line: field: reason for each of the 5 problems, by file and line"
else
	t_fail "check output differs: $(cat "$T/check.diff")"
fi
t_done
