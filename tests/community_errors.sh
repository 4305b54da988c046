#!/usr/bin/env bash
# stcommunity's error exits: a clean message and status 1, never a
# sanitizer report (under --enable-asan a leak on the way out would turn
# a clean error into an abort): the address already in use, an unwritable
# TraceFile; and a users file (password hashes) that its group or everyone
# may read is refused, at start, by -n and on SIGHUP; so is an LDAP bind
# password file.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/community_lib.sh"

SAN='ERROR: (Address|Leak|Undefined)Sanitizer|runtime error|AddressSanitizer'

# run_fail WHAT REGEX ARGS...: stcommunity exits 1 within 20 s, says REGEX,
# and nothing else went wrong on the way out.
run_fail() {
	local what=$1 re=$2 rc=0; shift 2
	timeout 20 "$STCOMMUNITY" "$@" >"$T/err.log" 2>&1 || rc=$?
	[ "$rc" = 1 ] && t_pass "$what: exit status 1" ||
		t_fail "$what: exit status 1 (got $rc: $(tail -2 "$T/err.log"))"
	t_expect "$what: the reason is given" "$T/err.log" "$re" 1
	t_expect_not "$what: no sanitizer report" "$T/err.log" "$SAN"
	cp "$T/err.log" "$T/err-$T_PASSES.log"
}

cs_start alice || { t_fail "stcommunity starts"; t_done; exit; }
run_fail "address in use" 'Address already in use' -D -c "$T/conf"
kill -0 "$(t_pid community)" 2>/dev/null &&
	t_pass "the running server is not disturbed" ||
	t_fail "the running server is not disturbed"
cs_stop

CS_SETTINGS="[community]
UsersFile = $T/users
StorageDir = $T/storage
TraceFile = $T/no-such-dir/trace.log"
cs_write_conf
run_fail "unwritable TraceFile" 'trace: .*no-such-dir' -D -c "$T/conf"

# The users file holds password hashes: group- or world-readable is refused.
unset CS_SETTINGS
cs_write_conf
chmod 644 "$T/users"
run_fail "world-readable users file" \
	"$T/users: refusing secret file: mode 0644 .*chmod 600" -D -c "$T/conf"
t_expect "... named as the users file" "$T/err.log" "$T/users: users file refused" 1
run_fail "-n: world-readable users file" "$T/users: .*mode 0644" -n -c "$T/conf"
chmod 640 "$T/users"
run_fail "group-readable users file" "$T/users: .*mode 0640 lets its group" \
	-D -c "$T/conf"
chmod 600 "$T/users"
"$STCOMMUNITY" -n -c "$T/conf" >"$T/n.log" 2>&1 &&
	t_pass "mode 0600 is accepted" || t_fail "mode 0600 is accepted"
t_start community "$STCOMMUNITY" -D -c "$T/conf"
cs_wait_started || t_fail "stcommunity starts with a 0600 users file"
chmod 604 "$T/users"
kill -HUP "$(t_pid community)"
t_expect "SIGHUP: a users file made readable is refused" "$T/community.log" \
	"$T/users: refusing secret file: mode 0604"
t_expect "... and the last good one kept" "$T/community.log" \
	'has errors: keeping the last good one'
chmod 600 "$T/users"
cs_stop

# The LDAP bind password is a secret too.
printf 'secret\n' >"$T/bind.pw"
chmod 644 "$T/bind.pw"
CS_SETTINGS="[community]
Auth = ldap
StorageDir = $T/storage
[ldap]
URL = ldap://127.0.0.1:1
BaseDN = dc=example
BindDN = cn=reader,dc=example
BindPasswordFile = $T/bind.pw"
cs_write_conf
run_fail "-n: world-readable LDAP bind password" \
	"$T/bind.pw: refusing secret file: mode 0644" -n -c "$T/conf"
t_expect "... named with its setting" "$T/err.log" "BindPasswordFile: refused" 1
chmod 600 "$T/bind.pw"
"$STCOMMUNITY" -n -c "$T/conf" >"$T/n.log" 2>&1 &&
	t_pass "a 0600 bind password is accepted" ||
	t_fail "a 0600 bind password is accepted ($(tail -2 "$T/n.log"))"
t_done
