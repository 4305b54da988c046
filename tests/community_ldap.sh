#!/usr/bin/env bash
# stcommunity with Auth = ldap against a throw-away slapd on loopback:
# StartTLS and ldaps:// with a test CA, both password schemes, wrong and
# empty passwords and unknown users refused with "incorrect login", login
# by e-mail through the filter (the id becomes the uid), a filter injection
# attempt, a stalled directory that does not stall other users, and a
# stopped directory reported as "verification down".
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/community_lib.sh"

PROBE=$top_builddir/tests/community_stgw_probe
[ -x "$PROBE" ] || t_skip "community_stgw_probe not built"
slapd_available || t_skip "slapd not installed"

LADDR=$(t_addr 5)
t_ca "$T/pki"
t_cert "$T/pki" ldap "$LADDR" "ip:$LADDR"
slapd_init "$T/ldap"
slapd_user alice 'Alice pw 1' alice@alpha.example 'Alice Ldap'
slapd_user bob 'bob-secret' bob.b@alpha.example 'Bob Ldap'
slapd_user carl 'carl-secret' carl@alpha.example 'Carl Ldap'
SLAPD_REQUIRE_TLS=1 slapd_tls "$T/pki/ldap.pem" "$T/pki/ldap.key" "$T/pki/ca.pem"
slapd_start "$LADDR" 3890 6360 || { t_fail "slapd starts"; t_done; exit; }
t_pass "slapd starts"

ldap_settings() {	# ldap_settings URL STARTTLS
	CS_SETTINGS="[community]
Auth = ldap
StorageDir = $T/storage
Workers = 2

[ldap]
URL = $1
StartTLS = $2
CACertFile = $T/pki/ca.pem
BaseDN = $SLAPD_BASE
UserFilter = (|(uid=%u)(mail=%u))
Timeout = 2"
}

login() {	# login NAME USER PASSWORD [PROBE ARGS...]: run a probe
	local name=$1 user=$2 pw=$3; shift 3
	t_fifo "$name"
	"$PROBE" -H "$CS_ADDR" -P "$CS_PORT" -u "$user" -p "$pw" "$@" \
		<"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err" &
	T_PIDS+=("$!"); echo "$!" >"$T/$name.pid"
}
cmd() { cs_cmd "$@"; }	# bounded (community_lib.sh)

# 1. ldap:// with StartTLS.
ldap_settings "$SLAPD_URL" true
cs_start || { t_fail "stcommunity starts"; t_done; exit; }
login a1 alice 'Alice pw 1'
t_expect "StartTLS: alice logs in (RC2/128)" "$T/a1.out" '^loggedin alice$'
login a2 alice 'Alice pw 1' -a 40
t_expect "StartTLS: alice logs in again (RC2/40)" "$T/a2.out" '^loggedin alice$'
login w1 alice 'alice pw 1'
t_expect "wrong password refused as incorrect login" "$T/w1.out" '^refused 0x80000211$'
login w2 mallory 'whatever'
t_expect "unknown user refused as incorrect login" "$T/w2.out" '^refused 0x80000211$'
login w3 bob ''
t_expect "empty password refused (no anonymous bind)" "$T/w3.out" '^refused 0x80000211$'
login w4 '*' 'bob-secret'
t_expect "a filter wildcard in the name matches nobody" "$T/w4.out" '^refused 0x80000211$'
# Users who never logged in are found in the directory: resolve from a
# client, WATCH_INTERNAL and RESOLVE from the gateway.
cmd a1 "resolve carl"
t_expect "resolve finds a user who never logged in" "$T/a1.out" \
	'^resolved 0x00000000 carl\|Carl Ldap$'
cmd a1 "resolve nobody-at-all"
t_expect "resolve of an unknown name" "$T/a1.out" '^resolved 0x80000005$'
t_fifo gw
"$PROBE" -H "$CS_ADDR" -P "$CS_PORT" -g gw -b "$(t_addr 2)" <"$T/gw.in" \
	>"$T/gw.out" 2>"$T/gw.err" &
T_PIDS+=("$!"); echo "$!" >"$T/gw.pid"
t_expect "gateway logs in" "$T/gw.out" '^ctrl open$'
cmd gw "watchint 1 @E x@beta.example bob"
t_expect "WATCH_INTERNAL of a directory user" "$T/gw.out" \
	'^watch_internal_result 1 0x00000000$'
t_expect "... who is offline" "$T/gw.out" '^internal_status @E x@beta\.example bob 0$'
cmd gw "resolve 2 2 carl@alpha.example"
t_expect "RESOLVE mail -> id through the directory" "$T/gw.out" \
	'^resolve_result 2 0x00000000 carl\|carl@alpha\.example\|Carl Ldap$'
cmd gw "watchint 3 @E x@beta.example nobody-at-all"
t_expect "WATCH_INTERNAL of an unknown user" "$T/gw.out" \
	'^watch_internal_result 3 0x80000213$'
login b1 bob.b@alpha.example 'bob-secret'
t_expect "login by e-mail: the user id is the uid" "$T/b1.out" '^loggedin bob$'
cmd a1 "watch bob"
t_expect "alice sees bob (logged in by e-mail) online" "$T/a1.out" '^presence bob 20$'
t_expect "the gateway sees bob online" "$T/gw.out" '^internal_status @E x@beta\.example bob 20$'
if [ -x "$STCLIENT" ]; then
	t_fifo c1
	"$STCLIENT" -H "$CS_ADDR" -P "$CS_PORT" -u bob -p 'bob-secret' \
		<"$T/c1.in" >"$T/c1.out" 2>"$T/c1.err" &
	T_PIDS+=("$!"); echo "$!" >"$T/c1.pid"
	t_expect "stclient logs in through LDAP" "$T/c1.out" '^loggedin bob$'
fi

# 2. A stalled directory (slapd stopped with SIGSTOP): the login waits in a
#    worker, everyone else is served, the login fails after the timeout.
kill -STOP "$(t_pid slapd)"
login s1 bob 'bob-secret'
sleep 0.3
cmd a1 "watch carol"
t_expect "served while LDAP hangs" "$T/a1.out" '^presence carol 0$' 1
t_expect "stalled directory: verification down" "$T/s1.out" '^refused 0x80000214$' 15
kill -CONT "$(t_pid slapd)"
cs_stop

cs_restart() {	# cs_restart URL STARTTLS
	mv "$T/community.log" "$T/community-$(date +%s%N).log"
	ldap_settings "$1" "$2"
	cs_write_conf
	t_start community "$STCOMMUNITY" -D -v -c "$T/conf"
	cs_wait_started || t_fail "stcommunity restarts"
}

# 3. Without StartTLS the directory refuses the bind (it requires TLS):
#    so the passes above really went through TLS.
cs_restart "$SLAPD_URL" false
login p1 alice 'Alice pw 1'
t_expect "no TLS: the directory refuses, login fails" "$T/p1.out" '^refused 0x80000214$'
t_expect "... and the reason is logged" "$T/community.log" 'ldap: .*[Cc]onfidentiality'
cs_stop

# 4. ldaps://, then the directory down.
cs_restart "$SLAPD_URLS" false
login l1 alice 'Alice pw 1'
t_expect "ldaps: alice logs in" "$T/l1.out" '^loggedin alice$'
login l2 alice 'nope'
t_expect "ldaps: wrong password refused" "$T/l2.out" '^refused 0x80000211$'
slapd_stop
login d1 alice 'Alice pw 1'
t_expect "directory down: verification down" "$T/d1.out" '^refused 0x80000214$' 15
t_expect "the LDAP failure is logged" "$T/community.log" 'ldap: .*alice'
cs_stop

# 5. Configuration errors are reported with file:line, all at once.
cat >"$T/conf/stcommunity.conf" <<EOF
[community]
Auth = ldapx
StorageDir = $T/storage
Colour = blue
[ldap]
URL = http://x
Timeout = 0
EOF
"$STCOMMUNITY" -n -c "$T/conf" >"$T/check.log" 2>&1 && t_fail "-n refuses a bad file" ||
	t_pass "-n refuses a bad file"
t_expect "bad Auth named with file:line" "$T/check.log" 'stcommunity.conf:2: Auth: "ldapx"'
t_expect "unknown key named with file:line" "$T/check.log" 'stcommunity.conf:4: Colour: unknown key'
t_expect "bad Timeout named with file:line" "$T/check.log" 'stcommunity.conf:7: Timeout'
t_expect "bad URL named" "$T/check.log" 'URL: "http://x"'

t_done
