#!/usr/bin/env bash
# A real libpurple client (Pidgin's Sametime plugin, headless:
# tests/client_purple) on alpha chats with stclient on beta through the
# whole chain: libpurple -> stcommunity -> stsipgateway -> stsipconnector
# -> SIP/TLS -> stsipconnector -> stsipgateway -> stcommunity -> stclient,
# and back.  It adds bob as "@E bob@beta.example", as a Pidgin user would.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/federation.sh"

CLIENT_PURPLE=$top_builddir/tests/client_purple
[ -x "$CLIENT_PURPLE" ] || t_skip "libpurple is not installed (client_purple not built)"
t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$STCONNECTOR" "$STCONFIG"
fed_t_setup
fed_t_up
e() { fed_expect "$1" "$2" "$3" 15; }	# e WHAT CLIENT REGEX

fed_client bob beta bob && t_pass "stclient bob logs in to beta" ||
	t_fail "stclient bob logs in to beta"
mkdir -p "$T/purple"
# libpurple keeps memory until exit and is not ours: no leak check for it.
fed_client_run alice env \
	"ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	"$CLIENT_PURPLE" -d "$T/purple" -H "$FED_ALPHA_GW" -P "$FED_VP_PORT" \
	-u alice -p alice-secret &&
	t_pass "libpurple alice signs on to alpha" ||
	t_fail "libpurple alice signs on to alpha"

fed_mark alice; fed_mark bob
fed_say alice "watch @E bob@beta.example"
e "libpurple sees the external bob active" alice '^presence @E bob@beta\.example active'
fed_say bob "watch @E alice@alpha.example"
e "stclient on beta sees the libpurple user active" bob \
	'^presence @E alice@alpha\.example active'
fed_mark alice
fed_say bob "status away back at three"
e "libpurple sees bob away with his text" alice \
	'^presence @E bob@beta\.example away back at three$'

fed_mark alice; fed_mark bob
fed_say alice "msg @E bob@beta.example hello bob, this is pidgin"
e "stclient on beta receives libpurple's IM" bob \
	'^im @E alice@alpha\.example hello bob, this is pidgin$'
fed_say bob "msg @E alice@alpha.example hello pidgin, from beta"
e "libpurple receives stclient's IM from beta" alice \
	'^im @E bob@beta\.example hello pidgin, from beta$'
fed_mark bob
fed_say alice "msg @E bob@beta.example and a second one"
e "a later libpurple IM arrives too" bob '^im @E alice@alpha\.example and a second one$'

fed_mark alice
fed_say bob "quit"
e "libpurple sees bob go offline" alice '^presence @E bob@beta\.example offline'
fed_say alice "quit"
fed_wait "$FED_DIR/cl/alice.out" '^closed' 10 && t_pass "libpurple signs off" ||
	t_fail "libpurple signs off"
fed_t_finish alpha-gateway beta-gateway alpha-community
