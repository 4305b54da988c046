#!/usr/bin/env bash
# A real libpurple client (the Sametime plugin Pidgin uses, headless) on
# stcommunity: it signs on, sees an stclient buddy come online, go away and
# leave, exchanges IMs with it both ways, and reports a wrong password as
# "Incorrect Username/Password".
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/client_common.sh"

CLIENT_PURPLE=$top_builddir/tests/client_purple
[ -x "$CLIENT_PURPLE" ] || t_skip "libpurple is not installed (client_purple not built)"
[ -x "$STCLIENT" ] || t_skip "stclient not built"
cc_start_community alice bob || { t_fail "stcommunity starts"; t_done; exit; }

mkdir -p "$T/purple"
# libpurple and its plugins keep memory until exit and are not ours: no
# leak check for this harness process (the server keeps its own).
cc_client alice env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	"$CLIENT_PURPLE" -d "$T/purple" -H "$CC_ADDR" -P "$CC_PORT" \
	-u alice -p "$(cc_password alice)"
t_expect "libpurple signs on" "$T/alice.log" '^loggedin alice$' 15
cc_cmd alice "watch bob"
sleep 1		# the watch reaches the server before bob appears

cc_client bob
t_expect "stclient bob logs in" "$T/bob.log" '^loggedin bob$'
t_expect "libpurple sees bob come online" "$T/alice.log" '^presence bob active$' 15
cc_cmd bob "watch alice"
t_expect "stclient sees the libpurple user online" "$T/bob.log" \
	'^presence alice active'

cc_cmd alice "status dnd busy in pidgin"
t_expect "stclient sees the libpurple user's dnd with text" "$T/bob.log" \
	'^presence alice dnd busy in pidgin$'
m=$(cc_mark bob)
cc_cmd alice "status active"
cc_expect_new "and active again" bob "$m" '^presence alice active$'
cc_cmd bob "status away out to lunch"
t_expect "libpurple sees bob away with his text" "$T/alice.log" \
	'^presence bob away out to lunch$'

# IM from Pidgin to stclient: libpurple offers NOTESBUDDY, stclient plain
# text only; the fallback must still deliver the text.
cc_cmd alice "msg bob hello from pidgin"
t_expect "stclient receives libpurple's IM" "$T/bob.log" \
	'^im alice hello from pidgin$' 15
cc_cmd bob "msg alice hello back from stclient"
t_expect "stclient's IM is sent" "$T/bob.log" '^sent alice$'
t_expect "libpurple receives stclient's IM" "$T/alice.log" \
	'^im bob hello back from stclient$' 15
cc_cmd alice "msg bob and a second one"
t_expect "a later libpurple IM arrives too" "$T/bob.log" \
	'^im alice and a second one$' 15

# A wrong password: Pidgin must say the user name or password is wrong
# (an authentication failure, which it does not retry), not a network error.
mkdir -p "$T/purple2"
cc_client mallory env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	"$CLIENT_PURPLE" -d "$T/purple2" -H "$CC_ADDR" -P "$CC_PORT" \
	-u bob -p wrong-password
t_expect "libpurple reports a wrong password as such" "$T/mallory.log" \
	'^closed 2 Incorrect [Uu]sername/[Pp]assword' 15
cc_wait_exit mallory 10 || true
if [ "$CC_STATUS" = 1 ]; then
	t_pass "libpurple with a wrong password exits 1"
else
	t_fail "libpurple with a wrong password exits 1 (status $CC_STATUS)"
fi

cc_cmd bob "quit"
t_expect "libpurple sees bob go offline" "$T/alice.log" '^presence bob offline$' 15
cc_cmd alice "quit"
t_expect "libpurple signs off" "$T/alice.log" '^closed quit$'
cc_wait_exit alice 15 && t_pass "client_purple exits 0" ||
	t_fail "client_purple exits 0 (status $CC_STATUS)"
t_done
