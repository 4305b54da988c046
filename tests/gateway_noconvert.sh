#!/bin/bash
# CommunityGateway.ConvertID = false: IDs pass unchanged both ways (a bare
# internal ID gets LocalDomain so that it can be a SIP address at all).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/gateway_lib.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$GW_PEER"
GW_USERS="zoe@alpha.example yuri" gw_setup LocalDomain=alpha.example \
	"SourceAddress=$GW_LINK"
sed -i 's/^ConvertID = true/ConvertID = false/' "$GW_D/CommunityGateway.ini"
gw_start || { t_fail "community, gateway and peer start"; t_done; exit; }
t_expect "ConvertID off is logged" "$T/gateway.log" "convertid: off"
t_expect "the VP session leaves from SourceAddress" "$T/community.log" \
	"^stcommunity: $GW_LINK:[0-9]+: gateway stsipgateway logged in"
gw_client zoe@alpha.example || t_fail "zoe@alpha.example logs in"
gw_client yuri || t_fail "yuri logs in"

# Arriving: the address is the internal ID.
gw_peer message bob@beta.example zoe@alpha.example hi zoe
t_expect "MESSAGE to zoe@alpha.example reaches that internal ID" \
	"$T/zoe@alpha.example.log" "^im @E bob@beta.example hi zoe"
t_expect "... answered 200" "$T/peer.log" "^resp MESSAGE 200"
gw_peer message bob@beta.example yuri@alpha.example hi yuri
t_expect "no ID yuri@alpha.example: 404 (no directory to map it)" \
	"$T/peer.log" "^resp MESSAGE 404"

# Leaving: the internal ID is the address; a bare one gets LocalDomain.
gw_cmd zoe@alpha.example msg "@E bob@beta.example" from zoe
t_expect "zoe's MESSAGE is From her ID as it is" "$T/peer.log" \
	"^from <sip:zoe@alpha.example>"
gw_cmd yuri msg "@E bob@beta.example" from yuri
t_expect "yuri's MESSAGE is From yuri@LocalDomain" "$T/peer.log" \
	"^from <sip:yuri@alpha.example>"

t_stop gateway
t_expect_not "gateway exits without sanitizer reports" "$T/gateway.log" \
	"Sanitizer|runtime error"
t_done
