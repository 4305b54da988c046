#!/bin/bash
# One external watcher with two subscriptions to the same Sametime user
# (what a SIP user agent does when its refresh fails on the way and it
# subscribes afresh while the old dialog still lives on the gateway, or
# two devices of one SIP user): ending one of them must not stop the
# NOTIFYs of the other.  Found by tests/hardening_faults.sh.
#
# The bug it found (fixed in d745465): isub_end() in
# gateway/simple_watchers.c sent UNWATCH_INTERNAL (watcher, user) when
# one subscription ended although another of the same pair was active;
# stcommunity keeps one watch per pair and dropped it.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/gateway_lib.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$GW_PEER"
gw_setup
gw_start || { t_fail "community, gateway and peer start"; t_done; exit; }
gw_client alice || t_fail "alice logs in"
gw_cmd alice "status active first note"

gw_peer subexpires 60
gw_peer subscribe carol@beta.example alice@alpha.example
t_wait_count "$T/peer.log" "^resp SUBSCRIBE 200" 1 || t_fail "first SUBSCRIBE 200"
gw_peer subscribe carol@beta.example alice@alpha.example
t_wait_count "$T/peer.log" "^resp SUBSCRIBE 200" 2 &&
	t_pass "two subscriptions of carol to alice" || t_fail "second SUBSCRIBE 200"
t_wait_count "$T/peer.log" "^substate active" 2
gw_peer unsubscribe
t_wait_count "$T/peer.log" "^substate terminated" 1 &&
	t_pass "the second one ends (final NOTIFY)" || t_fail "unsubscribe"
sleep 0.5
gw_cmd alice "status away second note"
t_expect "the first subscription still gets alice's new status" \
	"$T/peer.log" "^body .*second note" 5
t_done
