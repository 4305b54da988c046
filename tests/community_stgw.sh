#!/usr/bin/env bash
# The STGW server-application interface of stcommunity, driven by a scripted
# gateway (community_stgw_probe -g): refused from an untrusted address,
# admitted from a trusted one; watch start/stop; presence fan-out to a
# probe watcher, a real libmeanwhile client (stclient) and real libpurple;
# IM both ways (libpurple falls back from NOTESBUDDY to plain text);
# WATCH_INTERNAL with privacy; RESOLVE; and every external user offline
# once the gateway session drops (here: after a malformed message).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/community_lib.sh"

PROBE=$top_builddir/tests/community_stgw_probe
[ -x "$PROBE" ] || t_skip "community_stgw_probe not built"
BOB='@E bob@beta.example'
BOBRE='@E bob@beta\.example'

cs_start alice carol dave erin || { t_fail "stcommunity starts"; t_done; exit; }

probe() {	# probe NAME ARGS...
	local name=$1; shift
	t_fifo "$name"
	"$PROBE" -H "$CS_ADDR" -P "$CS_PORT" "$@" <"$T/$name.in" \
		>"$T/$name.out" 2>"$T/$name.err" &
	T_PIDS+=("$!"); echo "$!" >"$T/$name.pid"
}
cmd() { cs_cmd "$@"; }	# bounded (community_lib.sh)

# 1. Trust: an untrusted address is refused, the trusted one admitted.
probe evil -g gw -b "$(t_addr 3)"
t_expect "gateway from an untrusted address is refused" "$T/evil.out" \
	'^refused 0x80000210$'
t_expect "the refusal is logged" "$T/community.log" 'not in CommunityTrustedIps'
probe gw -g gw -b "$(t_addr 2)"
t_expect "gateway from a trusted address logs in" "$T/gw.out" '^loggedin gw$'
t_expect "STGW control channel accepted" "$T/gw.out" '^ctrl open$'

# 2. Watch start, presence fan-out (RC2/128 probe user, RC2/40 probe user,
#    and a real libmeanwhile client).
probe alice -u alice -p "$(cs_password alice)"
probe dave -u dave -p "$(cs_password dave)" -a 40
t_expect "alice logs in (RC2/128)" "$T/alice.out" '^loggedin alice$'
t_expect "dave logs in (RC2/40)" "$T/dave.out" '^loggedin dave$'
cmd alice "watch $BOB"
t_expect "gateway told alice watches bob" "$T/gw.out" "^watch_start $BOBRE alice$"
t_expect "alice sees bob offline first" "$T/alice.out" "^presence $BOBRE 0$"
cmd dave "watch $BOB"
t_expect "gateway told dave watches bob" "$T/gw.out" "^watch_start $BOBRE dave$"
cmd alice "watch $BOB"
sleep 0.3
n=$(grep -c "^watch_start $BOBRE alice$" "$T/gw.out")
[ "$n" = 1 ] && t_pass "a repeated ADD sends no second WATCH_START" ||
	t_fail "a repeated ADD sends no second WATCH_START ($n)"
if [ -x "$STCLIENT" ]; then
	t_fifo carol
	"$STCLIENT" -H "$CS_ADDR" -P "$CS_PORT" -u carol -p "$(cs_password carol)" \
		<"$T/carol.in" >"$T/carol.out" 2>"$T/carol.err" &
	T_PIDS+=("$!"); echo "$!" >"$T/carol.pid"
	t_expect "carol (stclient) logs in" "$T/carol.out" '^loggedin carol$'
	cmd carol "watch $BOB"
	t_expect "gateway told carol watches bob" "$T/gw.out" "^watch_start $BOBRE carol$"
fi
cmd gw "presence $BOB 60 on the phone"
t_expect "alice sees bob away with text" "$T/alice.out" "^presence $BOBRE 60 on the phone$"
t_expect "dave sees bob away with text" "$T/dave.out" "^presence $BOBRE 60 on the phone$"
[ -x "$STCLIENT" ] && t_expect "carol (stclient) sees bob away" "$T/carol.out" \
	"^presence $BOBRE away on the phone$"

# 3. IM internal -> external and back.
cmd alice "msg $BOB hello sip"
t_expect "gateway gets the IM channel" "$T/gw.out" "^imopen alice $BOBRE$"
t_expect "gateway gets the text" "$T/gw.out" "^im alice $BOBRE hello sip$"
cmd gw "im $BOB alice hi from sip"
t_expect "alice gets the IM from bob" "$T/alice.out" "^im $BOBRE hi from sip$"
t_expect "gateway gets IM_RESULT ok" "$T/gw.out" '^im_result [0-9]+ 0x00000000$'
[ -x "$STCLIENT" ] && {
	cmd carol "msg $BOB from carol"
	t_expect "stclient's IM reaches the gateway as plain text" "$T/gw.out" \
		"^im carol $BOBRE from carol$"
	cmd gw "im $BOB carol to carol"
	t_expect "carol (stclient) gets the IM from bob" "$T/carol.out" \
		"^im $BOBRE to carol$"
}
cmd gw "im $BOB nobody x"
t_expect "IM to an unknown user: 0x80000213" "$T/gw.out" \
	"^imdestroy $BOBRE nobody 0x80000213$"
cmd gw "im $BOB dave to dave"
t_expect "IM to dave, who never opened one to bob" "$T/dave.out" \
	"^im $BOBRE to dave$"

# 3b. A real libpurple client (Pidgin's Sametime plugin, headless): presence
#     of an external contact, and IM both ways; libpurple offers NOTESBUDDY,
#     the server makes it fall back to plain text for the gateway.
CLIENT_PURPLE=$top_builddir/tests/client_purple
if [ -x "$CLIENT_PURPLE" ]; then
	mkdir -p "$T/purple"
	t_fifo erin
	env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		"$CLIENT_PURPLE" -d "$T/purple" -H "$CS_ADDR" -P "$CS_PORT" \
		-u erin -p "$(cs_password erin)" <"$T/erin.in" >"$T/erin.out" \
		2>"$T/erin.err" &
	T_PIDS+=("$!"); echo "$!" >"$T/erin.pid"
	t_expect "libpurple signs on" "$T/erin.out" '^loggedin erin$' 15
	cmd erin "watch $BOB"
	t_expect "gateway told the libpurple user watches bob" "$T/gw.out" \
		"^watch_start $BOBRE erin$" 15
	t_expect "libpurple sees the external contact away" "$T/erin.out" \
		"^presence $BOBRE away on the phone$" 15
	cmd erin "msg $BOB from pidgin"
	t_expect "libpurple's IM reaches the gateway as plain text" "$T/gw.out" \
		"^im erin $BOBRE from pidgin$" 15
	cmd gw "im $BOB erin to pidgin"
	t_expect "libpurple receives the external user's IM" "$T/erin.out" \
		"^im $BOBRE to pidgin$" 15
else
	t_log "libpurple client not built: its part is skipped"
fi

# 4. WATCH_INTERNAL, status changes and privacy for an external watcher.
cmd gw "watchint 7 $BOB alice"
t_expect "WATCH_INTERNAL ok" "$T/gw.out" '^watch_internal_result 7 0x00000000$'
t_expect "INTERNAL_STATUS active" "$T/gw.out" "^internal_status $BOBRE alice 20$"
cmd alice "status 80 in a meeting"
t_expect "INTERNAL_STATUS dnd with text" "$T/gw.out" \
	"^internal_status $BOBRE alice 80 in a meeting$"
cmd alice "block $BOB"
t_expect "a blocked external watcher sees offline" "$T/gw.out" \
	"^internal_status $BOBRE alice 0$"
# The two conversations of 3. (alice -> bob and bob -> alice) end with the
# block: the gateway sees both channels closed (the probe names each by
# the external user first).
DESTROYED="^imdestroy $BOBRE alice 0x80000210$"
t_wait_count "$T/gw.out" "$DESTROYED" 2 5
n=$(grep -c "$DESTROYED" "$T/gw.out")
[ "$n" = 2 ] && t_pass "both open IM channels with bob are closed by the block" ||
	t_fail "both open IM channels with bob are closed by the block ($n)"
cmd gw "im $BOB alice blocked text"
t_wait_count "$T/gw.out" "$DESTROYED" 3 10
n=$(grep -c "$DESTROYED" "$T/gw.out")
[ "$n" = 3 ] && t_pass "IM from a blocked external user refused" ||
	t_fail "IM from a blocked external user refused ($n)"
cmd alice "block"
t_expect "unblocked: status visible again" "$T/gw.out" \
	"^internal_status $BOBRE alice 80 in a meeting$"
cmd gw "watchint 8 $BOB nobody"
t_expect "WATCH_INTERNAL of an unknown user" "$T/gw.out" \
	'^watch_internal_result 8 0x80000213$'

# 5. RESOLVE (ConvertID for sites without LDAP).
cmd gw "resolve 9 1 alice"
t_expect "RESOLVE id -> mail" "$T/gw.out" \
	'^resolve_result 9 0x00000000 alice\|alice@alpha\.example\|Alice User$'
cmd gw "resolve 10 2 ALICE@alpha.example"
t_expect "RESOLVE mail -> id (case-insensitive)" "$T/gw.out" \
	'^resolve_result 10 0x00000000 alice\|alice@alpha\.example\|'
cmd gw "resolve 11 1 nobody"
t_expect "RESOLVE unknown" "$T/gw.out" '^resolve_result 11 0x80000213 '

# 6. Watch stop.
cmd dave "unwatch $BOB"
t_expect "gateway told dave stopped watching" "$T/gw.out" "^watch_stop $BOBRE dave$"

# 7. The gateway session drops (malformed message): externals go offline,
#    nothing else is affected, IM to @E fails, a new gateway gets a resync.
cmd gw "raw"
t_expect "malformed STGW message closes the gateway" "$T/gw.out" '^closed'
t_expect "the malformed message is logged" "$T/community.log" 'malformed PRESENCE'
t_expect "alice sees bob offline once the gateway is gone" "$T/alice.out" \
	"^presence $BOBRE 0$" 5
n=$(grep -c "^presence $BOBRE 0$" "$T/alice.out")
[ "$n" -ge 2 ] && t_pass "the offline update is a new one" ||
	t_fail "the offline update is a new one ($n)"
[ -x "$STCLIENT" ] && t_expect "carol (stclient) sees bob offline" \
	"$T/carol.out" "^presence $BOBRE offline$"
cmd alice "msg $BOB anyone there"
t_expect "IM to an external user without gateway: error" "$T/alice.out" \
	"^error $BOBRE 0x80002000$"
cmd alice "watch dave"
t_expect "alice's session still works" "$T/alice.out" '^presence dave 20$'
probe gw2 -g gw -b "$(t_addr 2)"
t_expect "a new gateway session gets WATCH_START for alice" "$T/gw2.out" \
	"^watch_start $BOBRE alice$"
[ -x "$STCLIENT" ] && t_expect "... and for carol" "$T/gw2.out" \
	"^watch_start $BOBRE carol$"
cmd gw2 "presence $BOB 20"
t_expect "presence flows again" "$T/alice.out" "^presence $BOBRE 20$"

# 8. A second trusted gateway replaces the first.
probe gw3 -g gw -b "$(t_addr 2)"
t_expect "the old gateway is closed with 0x80000227" "$T/gw2.out" '^closed 0x80000227$'
t_expect "the new one gets the resync" "$T/gw3.out" "^watch_start $BOBRE alice$"
i=0
while [ "$(grep -c "^presence $BOBRE 0$" "$T/alice.out")" -lt 3 ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
n=$(grep -c "^presence $BOBRE 0$" "$T/alice.out")
[ "$n" -ge 3 ] && t_pass "externals went offline with the old gateway" ||
	t_fail "externals went offline with the old gateway ($n)"
t_stop gw3 TERM
cs_stop

t_done
