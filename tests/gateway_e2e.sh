#!/bin/bash
# End to end through stsipgateway: stcommunity + stclient (Sametime side),
# the test peer as connector + external SIP user agent (SIP side).
# Presence both ways, IM both ways with the right SIP answers and VP
# errors, the community server killed and restarted mid-test, the control
# socket, the trace file and SIGHUP reload.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/docs.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$STCONFIG"
PEER=$top_builddir/tests/gateway_sippeer
[ -x "$PEER" ] || t_skip "gateway_sippeer not built"

VP_ADDR=$(t_addr 1)
GW_ADDR=$(t_addr 2)
VP_PORT=1533
LINK_PORT=5070
D=$T/conf

# The documents: beta.example is the partner, served by connector "edge1".
doc_partner "$D" "$VP_ADDR" edge1 127.0.0.98 127.0.0.99
doc_community_conf "$T/community.conf" "$T/users" "$T/storage"

# Users: alice, dave, erin (never logs in) (ConvertID by the community's users file).
h=$(printf 'pw-alice\n' | "$STCOMMUNITY" -P)
h2=$(printf 'pw-dave\n' | "$STCOMMUNITY" -P)
printf 'alice:%s:alice@alpha.example:Alice A\ndave:%s:dave@alpha.example:Dave D\n' \
	"$h" "$h2" >"$T/users"
printf 'erin:%s:erin@alpha.example:Erin E\n' "$h2" >>"$T/users"

t_ca "$T/pki"
t_cert "$T/pki" gw "gateway" "ip:$GW_ADDR"
t_cert "$T/pki" edge "edge1" "dns:edge1"

doc_gw_conf "$T/gw.conf" "$GW_ADDR" "$T/pki/gw" "$T/gw.sock" \
	GatewayName=gw-alpha LinkPort="$LINK_PORT" TraceFile="$T/trace.log" \
	ConvertIdBackend=community SubscribeExpires=60 SipTimeout=5 \
	ReconnectMax=2

t_start community "$STCOMMUNITY" -D -c "$D" -f "$T/community.conf"
t_wait_grep "$T/community.log" "stcommunity ready" 15 || { t_fail "stcommunity starts ($(head -3 "$T/community.log"))"; t_done; exit; }

"$STGATEWAY" -n -c "$D" -f "$T/gw.conf" 2>"$T/check.log" &&
	t_pass "stsipgateway -n accepts the configuration" ||
	t_fail "stsipgateway -n accepts the configuration ($(cat "$T/check.log"))"

t_start gateway "$STGATEWAY" -d -v -c "$D" -f "$T/gw.conf"
t_wait_grep "$T/gateway.log" "link: listening" 15 || { t_fail "gateway listens ($(head -3 "$T/gateway.log"))"; t_done; exit; }
t_expect "gateway logs in to the community server" "$T/gateway.log" \
	"session with $VP_ADDR:$VP_PORT up"

# The connector end: HELLO, CONFIG with our documents.
t_fifo peer
"$PEER" "$T/pki/edge.pem" "$T/pki/edge.key" "$T/pki/ca.pem" edge1 \
	"$GW_ADDR" "$LINK_PORT" <"$T/peer.in" >"$T/peer.log" 2>"$T/peer.err.log" &
T_PIDS+=("$!")
peer() { printf '%s\n' "$*" >&"${T_FD[peer]}"; }
t_expect "link up: HELLO_ACK names the gateway" "$T/peer.log" "^up gw-alpha$"
t_expect "CONFIG carries the connector's document" "$T/peer.log" \
	"^file CommunityConnector/edge1.ini$"
t_expect "CONFIG carries the ExternCommunity it serves" "$T/peer.log" \
	"^file ExternCommunity/beta.ini$"

# Sametime side.
t_stclient alice "$VP_ADDR" alice pw-alice
alice() { printf '%s\n' "$*" >&"${T_FD[alice]}"; }
t_expect "alice logs in" "$T/alice.log" "^loggedin alice"

# 1. alice watches an external user: one SUBSCRIBE from her address.
peer expires 5
alice watch "@E bob@beta.example"
t_expect "watch -> SUBSCRIBE to bob" "$T/peer.log" "^req SUBSCRIBE sip:bob@beta.example"
t_expect "SUBSCRIBE From is alice's e-mail (ConvertID)" "$T/peer.log" \
	"^from <sip:alice@alpha.example>"
peer notify open away "back at 3"
t_expect "NOTIFY away -> alice sees bob away with the note" "$T/alice.log" \
	"^presence @E bob@beta.example away back at 3"
peer notify open busy "on a call"
t_expect "NOTIFY busy -> dnd" "$T/alice.log" "^presence @E bob@beta.example dnd on a call"
# Refreshed before it expires (granted 5 s), in the same dialog.
bobcid=$(grep -A3 '^req SUBSCRIBE sip:bob@' "$T/peer.log" | grep -m1 '^callid' | cut -d' ' -f2)
t_check "subscription refreshed before expiry in the same dialog" \
	t_wait_count "$T/peer.log" "^callid $bobcid" 2 8
peer expires 60

# A second Sametime watcher shares the subscription and sees the state.
t_stclient dave "$VP_ADDR" dave pw-dave
dave() { printf '%s\n' "$*" >&"${T_FD[dave]}"; }
t_expect "dave logs in" "$T/dave.log" "^loggedin dave"
dave watch "@E bob@beta.example"
t_expect "second watcher sees the shared state at once" "$T/dave.log" \
	"^presence @E bob@beta.example dnd on a call"
sleep 0.5
[ "$(grep -A3 '^req SUBSCRIBE sip:bob@' "$T/peer.log" | grep '^callid' | sort -u | wc -l)" -eq 1 ] &&
	t_pass "second watcher: no second subscription" ||
	t_fail "second watcher: no second subscription"

# A refused subscription: offline, and not retried in a loop.
peer answer 403 zed
dave watch "@E zed@beta.example"
t_expect "SUBSCRIBE to zed sent" "$T/peer.log" "^req SUBSCRIBE sip:zed@beta.example"
t_expect "403 -> dave sees zed offline" "$T/dave.log" "^presence @E zed@beta.example offline"
sleep 3
[ "$(grep -c '^req SUBSCRIBE sip:zed@' "$T/peer.log")" -eq 1 ] &&
	t_pass "refused subscription not retried" ||
	t_fail "refused subscription not retried ($(grep -c '^req SUBSCRIBE sip:zed@' "$T/peer.log") SUBSCRIBEs)"
dave unwatch "@E zed@beta.example"

# 423 Interval Too Brief: asked again once with the peer's Min-Expires.
peer answer 423 wes
dave watch "@E wes@beta.example"
t_wait_count "$T/peer.log" '^req SUBSCRIBE sip:wes@' 2 5
grep -A2 '^req SUBSCRIBE sip:wes@' "$T/peer.log" | grep -q '^expires 7200' &&
	t_pass "423 -> SUBSCRIBE again with Min-Expires" ||
	t_fail "423 -> SUBSCRIBE again with Min-Expires"
dave unwatch "@E wes@beta.example"

# The last watcher leaves: Expires: 0.
# dialog_ended CALLID: our SUBSCRIBE with Expires: 0 in that dialog
dialog_ended() { grep -B3 "^callid $1" "$T/peer.log" | grep -q '^expires 0'; }
dave watch "@E yan@beta.example"
t_expect "SUBSCRIBE to yan" "$T/peer.log" "^req SUBSCRIBE sip:yan@beta.example"
sleep 0.3
dave unwatch "@E yan@beta.example"
yancid=$(grep -A4 '^req SUBSCRIBE sip:yan@' "$T/peer.log" | grep -m1 '^callid' | cut -d' ' -f2)
t_check "last watcher leaves -> SUBSCRIBE Expires: 0" \
	t_until 5 dialog_ended "$yancid"
# Watch and leave at once: whether or not the first SUBSCRIBE was answered
# yet, the subscription is ended (Expires: 0), not left to run.
dave watch "@E xia@beta.example"
dave unwatch "@E xia@beta.example"
t_expect "SUBSCRIBE to xia" "$T/peer.log" "^req SUBSCRIBE sip:xia@beta.example"
xiacid=$(grep -A4 '^req SUBSCRIBE sip:xia@' "$T/peer.log" | grep -m1 '^callid' | cut -d' ' -f2)
t_check "watch and leave at once -> Expires: 0 in that dialog" \
	t_until 5 dialog_ended "$xiacid"
dave unwatch "@E bob@beta.example"

# 2. IM Sametime -> SIP, answered 200.
alice msg "@E bob@beta.example" hello bob
t_expect "IM -> MESSAGE to bob" "$T/peer.log" "^req MESSAGE sip:bob@beta.example"
t_expect "MESSAGE body is the text" "$T/peer.log" "^body hello bob$"
# A SIP failure comes back to alice as an error.
peer answer 404 bob
alice msg "@E bob@beta.example" are you there
t_expect "MESSAGE answered 404 -> alice gets an error" "$T/alice.log" \
	"^error @E bob@beta.example"

# 3. IM SIP -> Sametime: 200 only once delivered; 404 unknown; 480 offline.
peer message bob@beta.example alice@alpha.example hi alice
t_expect "MESSAGE -> alice gets the IM from @E bob" "$T/alice.log" \
	"^im @E bob@beta.example hi alice"
t_expect "MESSAGE to an online user answered 200" "$T/peer.log" "^resp MESSAGE 200"
peer message bob@beta.example nobody@alpha.example hi
t_expect "MESSAGE to an unknown user answered 404" "$T/peer.log" "^resp MESSAGE 404"
peer message bob@beta.example erin@alpha.example hi erin
t_expect "MESSAGE to an offline user answered 480" "$T/peer.log" "^resp MESSAGE 480"

# 4. External watcher of a Sametime user.
peer subscribe carol@beta.example alice@alpha.example
t_expect "SUBSCRIBE for alice answered 200" "$T/peer.log" "^resp SUBSCRIBE 200"
t_expect "NOTIFY active with PIDF open" "$T/peer.log" \
	"^body .*entity=\"sip:alice@alpha.example\".*<basic>open</basic>"
alice status away "at lunch"
t_expect "status change -> NOTIFY with RPID away and note" "$T/peer.log" \
	"^body .*<basic>open</basic></status><note>at lunch</note>.*<rpid:away/>"
peer subscribe carol@beta.example nobody@alpha.example
t_expect "SUBSCRIBE for an unknown user answered 404" "$T/peer.log" "^resp SUBSCRIBE 404"

# 5. Control socket and trace.
"$STCONFIG" -s "$T/gw.sock" status >"$T/status.out" 2>&1 ||
	"$STCONFIG" -s "$T/gw.sock" status >"$T/status.out" 2>&1
t_expect "status: link edge1 up" "$T/status.out" "link edge1 .* up"
t_expect "status: community session up" "$T/status.out" "community server: .* up"
t_expect "status: one outgoing subscription" "$T/status.out" "subscriptions out: 1"
"$STCONFIG" -s "$T/gw.sock" trace on >/dev/null 2>&1
peer message bob@beta.example alice@alpha.example traced
t_expect "trace file names the MESSAGE and user" "$T/trace.log" \
	"message user=bob@beta.example MESSAGE to alice@alpha.example"

# 6. The community server goes away: external watcher told offline;
#    back: restored without a gateway restart.
mark=$(wc -l <"$T/peer.log")
since_mark() { tail -n +"$((mark + 1))" "$T/peer.log"; }
closed_since_mark() { since_mark | grep -q '<basic>closed</basic>'; }
open_after_closed() {
	since_mark | grep '^body' | sed -n '/<basic>closed/,$p' |
		grep -q '<basic>open</basic>'
}
t_stop community KILL
t_check "community server killed -> watcher gets NOTIFY closed" \
	t_until 5 closed_since_mark
t_start community "$STCOMMUNITY" -D -c "$D" -f "$T/community.conf"
t_wait_tcp "$VP_ADDR" "$VP_PORT" 15
t_check "gateway logs in again by itself" \
	t_wait_count "$T/gateway.log" 'session with .* up' 2 10
t_stclient alice2 "$VP_ADDR" alice pw-alice
t_expect "alice logs in again" "$T/alice2.log" "^loggedin alice"
t_check "after the restart the watch is restored (NOTIFY open)" \
	t_until 10 open_after_closed

t_expect "trace: application login" "$T/trace.log" \
	"vp user=stsipgateway logged in to $VP_ADDR:$VP_PORT"
t_expect "trace: NOTIFY to the external watcher" "$T/trace.log" \
	"presence user=carol@beta.example NOTIFY alice@alpha.example"
t_expect "trace: ConvertID result" "$T/trace.log" \
	"convertid user=alice@alpha.example -> alice$"

# 7. Reload: a bad document set is refused and the old one kept.
echo "Bogus = 1" >>"$D/ExternCommunity/beta.ini"
"$STCONFIG" -s "$T/gw.sock" reload >"$T/reload.out" 2>&1 &&
	t_fail "bad reload refused" || t_pass "bad reload refused"
t_expect "reload error names file:line" "$T/reload.out" "beta.ini:[0-9]+"
peer message bob@beta.example alice@alpha.example still here
t_expect "old documents still in force after a bad reload" "$T/alice2.log" \
	"^im @E bob@beta.example still here"

# 8. Federation switched off: a good reload, pushed to the connector again;
#    every external request refused with 403.
sed -i '/^Bogus/d' "$D/ExternCommunity/beta.ini"
sed -i 's/^SupportExternalCommunities = true/SupportExternalCommunities = false/' \
	"$D/CommunityGateway.ini"
nconf=$(grep -c '^config ' "$T/peer.log")
"$STCONFIG" -s "$T/gw.sock" reload >"$T/reload2.out" 2>&1 &&
	t_pass "good reload accepted" || t_fail "good reload accepted ($(cat "$T/reload2.out"))"
t_check "reload pushes CONFIG to the connector again" \
	t_wait_count "$T/peer.log" '^config ' $((nconf + 1)) 5
peer message bob@beta.example alice@alpha.example federation off
t_expect "federation off: MESSAGE answered 403" "$T/peer.log" "^resp MESSAGE 403"
peer subscribe erin@beta.example alice@alpha.example
t_expect "federation off: SUBSCRIBE answered 403" "$T/peer.log" "^resp SUBSCRIBE 403"
printf 'msg @E bob@beta.example federation off\n' >&"${T_FD[alice2]}"
t_expect "federation off: Sametime IM to an external user gives an error" \
	"$T/alice2.log" "^error @E bob@beta.example"

# A clean exit: SIGTERM, no sanitizer report (with --enable-asan).
t_stop gateway
t_expect_not "gateway exits without sanitizer reports" "$T/gateway.log" \
	"Sanitizer|runtime error"
t_expect "gateway logs its clean stop" "$T/gateway.log" "stopped$"

t_done
