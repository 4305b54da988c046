#!/usr/bin/env bash
# Two (then three) stclient users on a real stcommunity: presence with status
# texts, IM both ways, an offline recipient, a privacy block, quit, and a
# wrong password.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/client_common.sh"

[ -x "$STCLIENT" ] || t_skip "stclient not built"
cc_start_community alice bob carol dave erin || { t_fail "stcommunity starts"; t_done; exit; }

cc_client alice
cc_client bob
t_expect "alice logs in" "$T/alice.log" '^loggedin alice$'
t_expect "bob logs in" "$T/bob.log" '^loggedin bob$'

# Presence: each watches the other; bob walks through away, dnd, active.
cc_cmd alice "watch bob"
cc_cmd bob "watch alice"
t_expect "alice sees bob active" "$T/alice.log" '^presence bob active$'
t_expect "bob sees alice active" "$T/bob.log" '^presence alice active$'
cc_cmd bob "status away gone fishing"
t_expect "alice sees bob away with text" "$T/alice.log" \
	'^presence bob away gone fishing$'
cc_cmd bob "status dnd in a meeting"
t_expect "alice sees bob dnd with text" "$T/alice.log" \
	'^presence bob dnd in a meeting$'
cc_cmd bob "status active back again"
t_expect "alice sees bob active with text" "$T/alice.log" \
	'^presence bob active back again$'

# unwatch: no more updates until bob is watched again (then one snapshot).
cc_cmd alice "unwatch bob"
sleep 0.5
cc_cmd bob "status away while unwatched"
sleep 1
cc_cmd alice "watch bob"
t_expect "a new watch reports the current state" "$T/alice.log" \
	'^presence bob away while unwatched$'
sleep 0.5
n=$(grep -c '^presence bob away while unwatched$' "$T/alice.log")
[ "$n" = 1 ] && t_pass "no update reached alice while she did not watch" ||
	t_fail "no update reached alice while she did not watch ($n lines)"
cc_cmd bob "status active"
cc_expect_new "watching again follows changes" alice \
	"$(grep -n 'while unwatched' "$T/alice.log" | tail -1 | cut -d: -f1)" \
	'^presence bob active$'

# IM both ways, each with its "sent" receipt.
cc_cmd alice "msg bob hello bob, how are you?"
t_expect "alice's text is sent" "$T/alice.log" '^sent bob$'
t_expect "bob receives alice's text" "$T/bob.log" \
	'^im alice hello bob, how are you\?$'
cc_cmd bob "msg alice fine thanks"
t_expect "bob's text is sent" "$T/bob.log" '^sent alice$'
t_expect "alice receives bob's text" "$T/alice.log" '^im bob fine thanks$'
cc_cmd alice "msg bob second message on the open channel"
t_expect "a second text on the open channel arrives" "$T/bob.log" \
	'^im alice second message on the open channel$'

# A recipient who is not logged in: an error, never a silent drop.
cc_cmd alice "msg carol are you there"
t_expect "text to offline carol gives an error" "$T/alice.log" '^error carol '
t_expect_not "no sent line for offline carol" "$T/alice.log" '^sent carol$'

# Texts typed before the channel is open are queued and sent in order.
cc_client erin
t_expect "erin logs in" "$T/erin.log" '^loggedin erin$'
cc_cmd alice "msg erin one"
cc_cmd alice "msg erin two"
cc_cmd alice "msg erin three"
t_expect "queued texts all arrive" "$T/erin.log" '^im alice three$'
if [ "$(grep '^im alice ' "$T/erin.log" | tr '\n' '|')" = \
    "im alice one|im alice two|im alice three|" ]; then
	t_pass "queued texts arrive in order"
else
	t_fail "queued texts arrive in order: $(grep '^im alice ' "$T/erin.log" | tr '\n' '|')"
fi
if [ "$(grep -c '^sent erin$' "$T/alice.log")" = 3 ]; then
	t_pass "each queued text gets its sent line"
else
	t_fail "three sent lines for erin ($(grep -c '^sent erin$' "$T/alice.log"))"
fi
cc_cmd erin quit

# External ids ("@E " and one word) pass whole; with no gateway logged in
# the external user is offline and a text to it is refused.
cc_cmd alice "watch @E bob@beta.example"
t_expect "an external id is watched whole (offline without gateway)" \
	"$T/alice.log" '^presence @E bob@beta\.example offline$'
cc_cmd alice "msg @E bob@beta.example hello outside"
t_expect "a text to an unreachable external user gives an error" \
	"$T/alice.log" '^error @E bob@beta\.example 0x'

# The additions to the contract: resolve and the storage service.
cc_cmd alice "resolve bob"
t_expect "resolve finds bob" "$T/alice.log" '^resolved bob bob( |$)'
cc_cmd alice "resolve nosuchuser"
t_expect "resolve of an unknown id is an error" "$T/alice.log" '^error nosuchuser '
cc_cmd alice "load 0"
t_expect "nothing stored yet is an error, not an empty list" "$T/alice.log" \
	'^error storage 0 '
cc_cmd alice 'save 0 Version=3.1.3\r\nU bob1:: Bob,\r\n'
t_expect "save succeeds" "$T/alice.log" '^saved 0$'
cc_cmd alice "load 0"
t_expect "load returns what was saved" "$T/alice.log" \
	'^loaded 0 Version=3\.1\.3\\r\\nU bob1:: Bob,\\r\\n$'

# Privacy: alice blocks carol; carol then sees alice offline and cannot IM
# her, while bob still sees alice online.
cc_client carol
t_expect "carol logs in" "$T/carol.log" '^loggedin carol$'
cc_cmd carol "watch alice"
t_expect "carol sees alice active" "$T/carol.log" '^presence alice active$'
m_bob=$(cc_mark bob)
m_carol=$(cc_mark carol)
cc_cmd alice "block carol"
cc_expect_new "blocked carol sees alice offline" carol "$m_carol" \
	'^presence alice offline$'
cc_cmd carol "msg alice let me in"
cc_expect_new "blocked carol's IM to alice is refused" carol "$m_carol" \
	'^error alice '
t_expect_not "alice gets nothing from blocked carol" "$T/alice.log" \
	'^im carol '
cc_expect_none "bob still sees alice online" bob "$m_bob" \
	'^presence alice offline$'
m_carol=$(cc_mark carol)
cc_cmd alice "unblock carol"
cc_expect_new "unblocked carol sees alice again" carol "$m_carol" \
	'^presence alice active$'

# bob quits: exit status 0, and his watchers see him go offline.
m_alice=$(cc_mark alice)
cc_cmd bob "quit"
t_expect "bob's session ends with closed quit" "$T/bob.log" '^closed quit$'
if cc_wait_exit bob; then
	t_pass "bob exits 0 after quit"
else
	t_fail "bob exits 0 after quit (status $CC_STATUS)"
fi
cc_expect_new "alice sees bob offline" alice "$m_alice" '^presence bob offline$'
cc_cmd alice "msg bob are you gone"
cc_expect_new "text to bob after he left gives an error" alice "$m_alice" \
	'^error bob '

# A wrong password: refused with a closed line and a non-zero exit.
rc=0
timeout 20 "${CC_CLIENT_ENV[@]}" "$STCLIENT" -H "$CC_ADDR" -P "$CC_PORT" -u dave -p wrong \
	</dev/null >"$T/wrongpw.out" 2>"$T/wrongpw.log" || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then
	t_pass "wrong password exits non-zero ($rc)"
else
	t_fail "wrong password exits non-zero (got $rc)"
fi
t_expect "wrong password prints closed with the reason" "$T/wrongpw.out" \
	'^closed 0x80000211 '
t_expect_not "wrong password never logs in" "$T/wrongpw.out" '^loggedin'
# The same refusal with the password from a file and from the environment.
printf 'wrong\n' >"$T/wrong.pw"
rc=0
timeout 20 "${CC_CLIENT_ENV[@]}" "$STCLIENT" -H "$CC_ADDR" -P "$CC_PORT" -u dave -F "$T/wrong.pw" \
	</dev/null >"$T/wrongpw2.out" 2>>"$T/wrongpw.log" || rc=$?
t_expect "wrong password from -F is refused" "$T/wrongpw2.out" '^closed 0x80000211 '
# ...and the right one from the environment logs in; a text followed at
# once by quit (or end of input) is still delivered before logging off.
printf 'msg alice hello from dave\nquit\n' | STCLIENT_PASSWORD=$(cc_password dave) timeout 20 \
	"${CC_CLIENT_ENV[@]}" "$STCLIENT" -H "$CC_ADDR" -P "$CC_PORT" -u dave \
	>"$T/envpw.out" 2>>"$T/wrongpw.log" || true
t_expect "password from STCLIENT_PASSWORD logs in" "$T/envpw.out" \
	'^loggedin dave$'
t_expect "and quits cleanly" "$T/envpw.out" '^closed quit$'
t_expect "a text sent just before quit is delivered" "$T/alice.log" \
	'^im dave hello from dave$'

cc_cmd alice "quit"
cc_wait_exit alice && t_pass "alice exits 0 after quit" ||
	t_fail "alice exits 0 after quit (status $CC_STATUS)"

# The server goes away: carol sees the connection close and exits non-zero.
t_stop community
t_expect "a dropped connection prints closed" "$T/carol.log" '^closed connection'
if cc_wait_exit carol; then
	t_fail "carol exits non-zero when the connection drops (status 0)"
else
	[ "$CC_STATUS" = 1 ] && t_pass "carol exits 1 when the connection drops" ||
		t_fail "carol exits 1 when the connection drops (status $CC_STATUS)"
fi

t_done
