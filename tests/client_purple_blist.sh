#!/usr/bin/env bash
# libpurple's default, server-synchronised buddy list (PROTOCOL.md 9) on
# stcommunity: a user with nothing stored keeps the local list (no empty
# "success" wiping it), the list libpurple saves at log-off is kept by the
# server, and a fresh Pidgin profile gets it back at the next log-in.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/client_common.sh"

CLIENT_PURPLE=$top_builddir/tests/client_purple
[ -x "$CLIENT_PURPLE" ] || t_skip "libpurple is not installed (client_purple not built)"
[ -x "$STCLIENT" ] || t_skip "stclient not built"
cc_start_community alice bob carol || { t_fail "stcommunity starts"; t_done; exit; }
NOLEAK="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

cc_client bob
t_expect "stclient bob logs in" "$T/bob.log" '^loggedin bob$'

# carol's profile gets bob while her list is local only; then she logs in
# with the synchronised list: the server has nothing stored for her, and
# that must not wipe bob from her local list.
mkdir -p "$T/profile0"
cc_client carol1 env "$NOLEAK" "$CLIENT_PURPLE" -d "$T/profile0" \
	-H "$CC_ADDR" -P "$CC_PORT" -u carol -p "$(cc_password carol)"
t_expect "carol signs on (local list)" "$T/carol1.log" '^loggedin carol$' 15
cc_cmd carol1 "watch bob"
t_expect "carol sees bob" "$T/carol1.log" '^presence bob active$' 15
cc_cmd carol1 "quit"
cc_wait_exit carol1 15 || t_fail "carol logs off (status $CC_STATUS)"
if grep -rqs bob "$T/storage"; then
	t_fail "a local-only list is not sent to the server"
else
	t_pass "a local-only list is not sent to the server"
fi
cc_client carol2 env "$NOLEAK" "$CLIENT_PURPLE" -S -d "$T/profile0" \
	-H "$CC_ADDR" -P "$CC_PORT" -u carol -p "$(cc_password carol)"
t_expect "carol signs on (synchronised list)" "$T/carol2.log" \
	'^loggedin carol$' 15
t_expect "nothing stored: carol's local buddy survives and shows online" \
	"$T/carol2.log" '^presence bob active$' 15
cc_cmd carol2 "quit"
cc_wait_exit carol2 15 || t_fail "carol logs off again (status $CC_STATUS)"

# alice's first profile: nothing stored yet; bob is added while synced.
mkdir -p "$T/profile1" "$T/profile2"
cc_client alice1 env "$NOLEAK" "$CLIENT_PURPLE" -S -d "$T/profile1" \
	-H "$CC_ADDR" -P "$CC_PORT" -u alice -p "$(cc_password alice)"
t_expect "libpurple signs on (synchronised list)" "$T/alice1.log" \
	'^loggedin alice$' 15
cc_cmd alice1 "watch bob"
t_expect "the local buddy shows up online" "$T/alice1.log" \
	'^presence bob active$' 15
# libpurple saves the list at log-off (and 15 s after a change).
cc_cmd alice1 "quit"
cc_wait_exit alice1 15 && t_pass "first profile logs off" ||
	t_fail "first profile logs off (status $CC_STATUS)"
# A fresh profile (another machine): the stored list brings bob back.
cc_client alice2 env "$NOLEAK" "$CLIENT_PURPLE" -S -d "$T/profile2" \
	-H "$CC_ADDR" -P "$CC_PORT" -u alice -p "$(cc_password alice)"
t_expect "libpurple signs on with a fresh profile" "$T/alice2.log" \
	'^loggedin alice$' 15
t_expect "the stored list brings bob back, online" "$T/alice2.log" \
	'^presence bob active$' 15
cc_cmd bob "status away stored and found"
t_expect "and bob's presence keeps coming" "$T/alice2.log" \
	'^presence bob away stored and found$'
cc_cmd alice2 "quit"
cc_cmd bob "quit"
t_done
