#!/usr/bin/env bash
# stcommunity's own VP services and limits, with scripted clients
# (community_stgw_probe) and raw bytes: stored lists (no empty success,
# persisted across a restart), resolve, wrong passwords, privacy, offline
# recipients, both second-login policies, malformed and oversized frames,
# a client that stops reading, SIGHUP reload of the users file.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/community_lib.sh"

PROBE=$top_builddir/tests/community_stgw_probe
[ -x "$PROBE" ] || t_skip "community_stgw_probe not built"

login() {	# login NAME USER [PASSWORD]
	local name=$1 user=$2 pw=${3:-$(cs_password "$2")}
	t_fifo "$name"
	"$PROBE" -H "$CS_ADDR" -P "$CS_PORT" -u "$user" -p "$pw" \
		<"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err" &
	T_PIDS+=("$!"); echo "$!" >"$T/$name.pid"
}
cmd() { cs_cmd "$@"; }	# bounded (community_lib.sh)
count() { grep -c -- "$2" "$T/$1.out"; }

CS_SETTINGS="[community]
UsersFile = $T/users
StorageDir = $T/storage
MaxOutput = 65536
MaxFrame = 8192
TraceFile = $T/trace.log"
cs_start alice bob dave || { t_fail "stcommunity starts"; t_done; exit; }

login a alice
login b bob
t_expect "alice logs in" "$T/a.out" '^loggedin alice$'
t_expect "bob logs in" "$T/b.out" '^loggedin bob$'
login w alice wrong-password
t_expect "wrong password: incorrect login" "$T/w.out" '^refused 0x80000211$'
login u nobody whatever
t_expect "unknown user: incorrect login" "$T/u.out" '^refused 0x80000211$'

"$STCOMMUNITY" -n -c "$T/conf" 2>"$T/check.log" &&
	t_pass "-n accepts the configuration" || t_fail "-n accepts the configuration"
t_expect "trace: a login" "$T/trace.log" \
	'^[0-9T:.-]+Z login user=alice logged in from '
t_expect "trace: a wrong password, naming the user" "$T/trace.log" \
	' login user=alice refused from .*: incorrect user name or password$'

# Storage: nothing stored is "not found", never an empty success.
cmd a "load 0"
t_expect "nothing stored: not found" "$T/a.out" '^loaded 0x80000001$'
LIST='Version=3.1.3;G Friends2 Friends O;U bob1:: Bob,'
cmd a "store 0 $LIST"
t_expect "save ok" "$T/a.out" '^saved 0x00000000$'
cmd a "load 0"
t_expect "load returns what was saved" "$T/a.out" "^loaded 0x00000000 $LIST$"
cmd b "load 0"
t_expect "bob's list is his own" "$T/b.out" '^loaded 0x80000001$'

for i in $(seq 1 31); do printf 'store %x v%d\n' "$i" "$i"; done | cs_feed a
t_wait_grep "$T/a.out" '^loaded 0x00000000' 5
t_wait_count "$T/a.out" '^saved 0x00000000$' 32 5
cmd a "store 40 one too many"
t_expect "a 33rd key is refused" "$T/a.out" '^saved 0x80000000$'
cmd a "store 1f replaced"
cmd a "load 1f"
t_expect "an existing key can still be replaced" "$T/a.out" '^loaded 0x00000000 replaced$'

# Resolve.
cmd a "resolve bob"
t_expect "resolve an id" "$T/a.out" '^resolved 0x00000000 bob\|Bob User$'
cmd a "resolve bob@alpha.example"
t_expect "resolve an e-mail address" "$T/a.out" '^resolved 0x00000000 bob\|'
cmd a "resolve nobody"
t_expect "resolve an unknown name" "$T/a.out" '^resolved 0x80000005$'

# Presence and privacy.
cmd a "watch bob"
t_expect "alice sees bob" "$T/a.out" '^presence bob 20$'
cmd b "status 60 out to lunch"
t_expect "alice sees bob away" "$T/a.out" '^presence bob 60 out to lunch$'
# dave watches bob too: bob's privacy changes about alice are not news
# to him (no repeated update).
login v dave
t_expect "dave logs in to watch" "$T/v.out" '^loggedin dave$'
cmd v "watch bob"
t_expect "dave sees bob away" "$T/v.out" '^presence bob 60 out to lunch$'
cmd b "block alice"
t_expect "blocked: alice sees bob offline" "$T/a.out" '^presence bob 0$'
cmd a "msg bob are you there"
t_expect "blocked: alice's IM is refused" "$T/a.out" '^error bob 0x80000210$'
cmd b "block"
t_expect "unblocked: alice sees bob again" "$T/a.out" '^presence bob 60 out to lunch$'
cmd b "block carol"
cmd b "status 60 out to lunch!"
t_expect "dave sees bob's next status" "$T/v.out" '^presence bob 60 out to lunch!$'
n=$(count v '^presence bob')
[ "$n" = 2 ] && t_pass "privacy changes that do not concern dave send him nothing" ||
	t_fail "privacy changes that do not concern dave send him nothing ($n updates)"
cmd v "quit"
cmd a "msg bob hi bob"
t_expect "IM after unblocking" "$T/b.out" '^im alice hi bob$'
t_expect "trace: the IM (no text)" "$T/trace.log" ' im user=alice to bob$'
t_expect "trace: the refused IM" "$T/trace.log" \
	' im user=alice channel [0-9]+ refused 0x80000210$'
cmd b "msg alice hi alice"
t_expect "IM back on bob's own channel" "$T/a.out" '^im bob hi alice$'
cmd a "typing bob"
t_expect "typing notification relayed" "$T/b.out" '^typing alice on$'
cmd a "nbmsg bob <b>html</b> offer"
t_expect "a NOTESBUDDY conversation between users is relayed" "$T/b.out" \
	'^im alice <b>html</b> offer$'
cmd a "nbmsg @E x@beta.example rich"
t_expect "no gateway: IM to an external user refused" "$T/a.out" \
	'^error @E x@beta\.example 0x80002000$'

# Second login (allow): the newest login gets new IMs.
login a2 alice
t_expect "second login allowed" "$T/a2.out" '^loggedin alice$'
login d0 dave
t_expect "dave logs in" "$T/d0.out" '^loggedin dave$'
cmd d0 "msg alice to the newest"
t_expect "a new conversation goes to the newest login" "$T/a2.out" \
	'^im dave to the newest$'
cmd d0 "quit"
cmd a2 "quit"
sleep 0.3
n=$(count a 'closed')
[ "$n" = 0 ] && t_pass "the first login stays" || t_fail "the first login stays"

# Malformed input closes only that connection.
printf '\x80\x00\x00\x00\x0c\x00\x01\x00\x00\x00\x00\x00\x00\x17\x00\x00\x05' \
	>"$T/bad1.bin"
(exec 3<>"/dev/tcp/$CS_ADDR/$CS_PORT"; cat "$T/bad1.bin" >&3; sleep 0.5) 2>/dev/null
t_expect "a malformed message is logged" "$T/community.log" 'malformed message'
printf '\x00\x7f\xff\xff\x00\x00' >"$T/bad2.bin"
(exec 3<>"/dev/tcp/$CS_ADDR/$CS_PORT"; cat "$T/bad2.bin" >&3; sleep 0.5) 2>/dev/null
t_expect "an oversized frame is logged" "$T/community.log" 'exceeds MaxFrame'
# Random frames (valid lengths, random bodies) on 40 connections.
for i in $(seq 1 40); do
	n=$(( (RANDOM % 200) + 8 ))
	{
		printf '\x00\x00\x00\x22\x00\x00\x00\x00\x00\x00\x00\x00\x00\x1e\x00\x1d'
		printf '\x00\x00\x00\x00\x00\x00\x00\x00\x17\x00\x00\x00\x00\x00\x01\x00'
		printf '\x00\x00\x00\x00\x00\x00'
		printf "\\x00\\x00\\x$(printf %02x $((n / 256)))\\x$(printf %02x $((n % 256)))"
		printf "\\x00\\x$(printf %02x $((RANDOM % 40)))"
		head -c $((n - 2)) /dev/urandom
	} >"$T/rnd.bin"
	(exec 3<>"/dev/tcp/$CS_ADDR/$CS_PORT"; cat "$T/rnd.bin" >&3) 2>/dev/null
done
sleep 0.5
kill -0 "$(t_pid community)" && t_pass "the server survives random frames" ||
	t_fail "the server survives random frames"
cmd b "status 20 back"
t_expect "others are not affected" "$T/a.out" '^presence bob 20 back$'

# A client that stops reading is dropped once its output reaches MaxOutput.
# (bob floods dave with IMs, so that only dave's queue grows.)
login d dave
t_expect "dave logs in" "$T/d.out" '^loggedin dave$'
cmd b "msg dave hello dave"
t_expect "dave gets bob's IM" "$T/d.out" '^im bob hello dave$'
cmd d "stall"
sleep 0.2
TEXT=$(head -c 3000 /dev/zero | tr '\0' x)
for i in $(seq 1 4000); do printf 'msg dave %s\n' "$TEXT"; done >"$T/flood.txt"
# bounded: a dead reader must not hang the test
cs_feed b 30 <"$T/flood.txt"
t_expect "the stalled client is dropped" "$T/community.log" \
	'dave: closed: output buffer full' 20
cmd b "status 60 done"
t_expect "the others still get updates" "$T/a.out" '^presence bob 60 done$' 15

# A gateway that falls behind is not dropped like that client (it carries
# every federated conversation, and VP loses the texts on their way in a
# conversation that ends): past half of MaxOutput whoever writes to it is
# held, not read, until it has caught up; then every text arrives.
t_fifo g
"$PROBE" -H "$CS_ADDR" -P "$CS_PORT" -g gw -b "$(t_addr 2)" <"$T/g.in" \
	>"$T/g.out" 2>"$T/g.err" &
T_PIDS+=("$!"); echo "$!" >"$T/g.pid"
t_expect "the gateway logs in" "$T/g.out" '^ctrl open$'
cmd b "msg @E carol@beta.example first"
t_expect "the gateway gets bob's IM" "$T/g.out" \
	'^im bob @E carol@beta\.example first$'
cmd g "stall"
sleep 0.2
for i in $(seq 1 4000); do printf 'msg @E carol@beta.example %s %d\n' "$TEXT" "$i"; done >"$T/gflood.txt"
# bob's probe blocks once the server stops reading it: feed it aside
cs_feed b 60 <"$T/gflood.txt" &
feeder=$!
t_expect "the server holds the sender back" "$T/community.log" \
	'gw: behind by [0-9]+ bytes: holding its senders' 20
cmd g "unstall"
t_wait_count "$T/g.out" '^im bob @E carol@beta\.example x+ [0-9]+$' 4000 40
n=$(grep -c '^im bob @E carol@beta\.example x\+ [0-9]\+$' "$T/g.out")
[ "$n" = 4000 ] && t_pass "all 4000 texts reach the gateway once it reads again" ||
	t_fail "$n of 4000 texts reach the gateway"
last=$(grep '^im bob @E carol@beta\.example x' "$T/g.out" | tail -1 | awk '{ print $NF }')
[ "$last" = 4000 ] && t_pass "... in order" || t_fail "the last text is number $last"
wait "$feeder"
grep -q 'gw: closed' "$T/community.log" &&
	t_fail "the gateway is dropped: $(grep 'gw: closed' "$T/community.log")" ||
	t_pass "the gateway is not dropped"
cmd b "status 20 after"
t_expect "bob is read again" "$T/a.out" '^presence bob 20 after$' 15

# SIGHUP reloads the users file: a new user can log in, a bad file is refused.
cs_add_user erin "$(cs_password erin)"
kill -HUP "$(t_pid community)"
t_expect "reload logged" "$T/community.log" 'users file .*: 4 users'
login e erin
t_expect "a user added by SIGHUP logs in" "$T/e.out" '^loggedin erin$'
echo 'broken line' >>"$T/users"
kill -HUP "$(t_pid community)"
t_expect "a bad users file is reported with file:line" "$T/community.log" \
	'users:5: expected id:hash:mail:name'
login e2 erin
t_expect "... and the last good one is kept" "$T/e2.out" '^loggedin erin$'
sed -i '$d' "$T/users"
cs_stop

# Restart with SecondLogin = kick: the stored list survived.
mv "$T/community.log" "$T/community-1.log"
CS_SETTINGS="[community]
UsersFile = $T/users
StorageDir = $T/storage
SecondLogin = kick"
cs_write_conf
t_start community "$STCOMMUNITY" -D -v -c "$T/conf"
cs_wait_started || t_fail "stcommunity restarts"
login k1 alice
t_expect "alice logs in after restart" "$T/k1.out" '^loggedin alice$'
cmd k1 "load 0"
t_expect "the stored list survived the restart" "$T/k1.out" "^loaded 0x00000000 $LIST$"
login k2 alice
t_expect "kick: the second login succeeds" "$T/k2.out" '^loggedin alice$'
t_expect "kick: the first is closed with 0x80000227" "$T/k1.out" '^closed 0x80000227$'
cs_stop

# Timeouts: no login in time, and silence after the login.
mv "$T/community.log" "$T/community-2.log"
CS_SETTINGS="[community]
UsersFile = $T/users
StorageDir = $T/storage
LoginTimeout = 1
IdleTimeout = 2"
cs_write_conf
t_start community "$STCOMMUNITY" -D -c "$T/conf"
cs_wait_started || t_fail "stcommunity restarts"
exec {slow}<>"/dev/tcp/$CS_ADDR/$CS_PORT"
t_expect "a connection that does not log in is closed" "$T/community.log" \
	'closed: no login in time' 5
exec {slow}>&-
login i1 alice
t_expect "alice logs in" "$T/i1.out" '^loggedin alice$'
t_expect "a silent client is closed" "$T/community.log" \
	'alice: closed: idle timeout' 6
t_expect "... and sees its connection end" "$T/i1.out" '^closed eof$'
cs_stop

# Out of descriptors: the server pauses accepting, and recovers.
mv "$T/community.log" "$T/community-3.log"
t_start community bash -c "ulimit -n 48 && exec \"\$0\" -D -c \"\$1\"" \
	"$STCOMMUNITY" "$T/conf"
cs_wait_started || t_fail "stcommunity restarts"
FDS=()
for i in $(seq 1 60); do
	exec {fd}<>"/dev/tcp/$CS_ADDR/$CS_PORT" 2>/dev/null && FDS+=("$fd")
done
t_expect "descriptor exhaustion is logged" "$T/community.log" \
	'pausing new connections' 5
for fd in "${FDS[@]}"; do exec {fd}>&-; done
sleep 1.5
login r1 alice
t_expect "a client logs in once descriptors are free" "$T/r1.out" '^loggedin alice$' 10
cs_stop

t_done
