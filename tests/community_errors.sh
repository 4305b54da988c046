#!/usr/bin/env bash
# stcommunity's error exits: a clean message and status 1, never a
# sanitizer report (under --enable-asan a leak on the way out would turn
# a clean error into an abort): the address already in use, an unwritable
# TraceFile.
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
t_done
