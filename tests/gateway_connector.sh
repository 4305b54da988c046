#!/bin/bash
# The real chain: stclient -> stcommunity -> stsipgateway -> (TLS link)
# -> stsipconnector -> SIPp playing beta.example's side over UDP, with a
# real DNS server (dnsmasq) telling the connector where beta's proxy is.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/dns.sh"
. "$top_srcdir/tests/lib/docs.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$STCONNECTOR"
command -v sipp >/dev/null || t_skip "sipp (sip-tester) not installed"
command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || t_skip "no dnsmasq"

C=$(t_addr 1)		# the connector, and the DNS server
B=$(t_addr 2)		# beta.example's SIP proxy (SIPp)
V=$(t_addr 3)		# stcommunity
G=$(t_addr 4)		# the gateway's link listener
S=$top_srcdir/tests
chmod 711 "$T"		# the connector drops to nobody
D=$T/conf
mkdir -p "$T/run"
doc_partner "$D" "$V" conn1 "$C" sip.beta.example
doc_community_conf "$T/community.conf" "$T/users" "$T/storage"
h=$(printf 'pw\n' | "$STCOMMUNITY" -P)
printf 'alice:%s:alice@alpha.example:Alice\n' "$h" >"$T/users"
t_ca "$T/pki"
t_cert "$T/pki" gw gateway "ip:$G"
t_cert "$T/pki" conn conn1 "dns:conn1"
doc_gw_conf "$T/gw.conf" "$G" "$T/pki/gw" "$T/gw.sock" \
	ConvertIdBackend=community SipTimeout=8
doc_conn_conf "$T/conn.conf" conn1 "$T/pki/conn" "$G:5070" "$T/run" \
	dns="$C@5353" user=nobody t1=100

t_dns_start "$C" 5353 "A:sip.beta.example:$B"
t_start community "$STCOMMUNITY" -D -c "$D" -f "$T/community.conf"
t_wait_grep "$T/community.log" "stcommunity ready" 15 || { t_fail "stcommunity starts ($(head -3 "$T/community.log"))"; t_done; exit; }
t_start gateway "$STGATEWAY" -d -c "$D" -f "$T/gw.conf"
t_wait_grep "$T/gateway.log" "link: listening" 15 || { t_fail "gateway listens ($(head -3 "$T/gateway.log"))"; t_done; exit; }
t_start conn "$STCONNECTOR" -D -v -f "$T/conn.conf"
t_expect "connector applies the documents the gateway pushed" \
	"$T/gateway.log" "conn1 applied CONFIG generation 1" 15
t_expect "gateway session with the community server" "$T/gateway.log" \
	"session with .* up"

t_stclient alice "$V" alice pw
alice() { printf '%s\n' "$*" >&"${T_FD[alice]}"; }
t_expect "alice logs in" "$T/alice.log" "^loggedin alice"

# SIP -> Sametime: SIPp's MESSAGE from beta's proxy address reaches alice
# and SIPp gets its 200 (the 200 means delivered).
sipp -sf "$S/gateway_sipp_uac_message.xml" -s alice -i "$B" -p 5060 -m 1 \
	-nostdin -timeout 15 -timeout_error "$C:5060" \
	>"$T/sipp_uac.log" 2>&1 && t_pass "SIPp MESSAGE answered 200" ||
	t_fail "SIPp MESSAGE answered 200 (sipp exit $?)"
t_expect "alice gets the IM from @E bob" "$T/alice.log" \
	"^im @E bob@beta.example hello from sipp"

# Sametime -> SIP: alice's IM arrives at SIPp as a MESSAGE from her address.
t_start sipp_uas sipp -sf "$S/gateway_sipp_uas_message.xml" -i "$B" \
	-p 5060 -m 1 -nostdin -timeout 15 -timeout_error -trace_msg \
	-message_file "$T/uas_msg.log"
sleep 0.5
alice msg "@E bob@beta.example" hi bob, from sametime
t_expect "MESSAGE reaches beta's side" "$T/uas_msg.log" \
	"MESSAGE sip:bob@beta.example" 10
t_expect "... From alice's address" "$T/uas_msg.log" \
	"From: <sip:alice@alpha.example>"
t_expect "... with the text" "$T/uas_msg.log" "^hi bob, from sametime"
t_expect_not "no error shown to alice" "$T/alice.log" "^error "

# Presence: alice watches bob; SIPp accepts, NOTIFYs away, then gets the
# un-SUBSCRIBE when alice stops watching.
t_start sipp_pres sipp -sf "$S/gateway_sipp_uas_presence.xml" -i "$B" \
	-p 5060 -m 1 -nostdin -timeout 20 -timeout_error -trace_msg \
	-message_file "$T/pres_msg.log"
sleep 0.5
alice watch "@E bob@beta.example"
t_expect "SUBSCRIBE reaches beta's side" "$T/pres_msg.log" \
	"SUBSCRIBE sip:bob@beta.example" 10
t_expect "NOTIFY away -> alice sees bob away with the note" "$T/alice.log" \
	"^presence @E bob@beta.example away gone fishing" 10
alice unwatch "@E bob@beta.example"
t_expect "last watcher gone -> SUBSCRIBE Expires: 0" "$T/pres_msg.log" \
	"^Expires: 0" 10

t_stop gateway
t_expect_not "gateway exits without sanitizer reports" "$T/gateway.log" \
	"Sanitizer|runtime error"
t_done
