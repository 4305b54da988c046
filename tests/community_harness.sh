#!/usr/bin/env bash
# The community tests' input helpers (cs_cmd, cs_feed in community_lib.sh)
# never block without bound: a client that has exited, or one that stops
# reading its stdin, costs at most the write timeout, and a live client
# gets its lines.  (A plain "echo >&fd" to a FIFO nobody reads any more
# hangs the whole test once the pipe is full.)
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/community_lib.sh"

CS_CMD_TIMEOUT=2

# A live reader gets what is written.
t_fifo r
cat <"$T/r.in" >"$T/r.out" &
T_PIDS+=("$!"); echo "$!" >"$T/r.pid"
cs_cmd r "first line" "second line" &&
	t_pass "cs_cmd to a live client succeeds" ||
	t_fail "cs_cmd to a live client succeeds"
printf 'fed %d\n' 1 2 3 | cs_feed r
t_expect "the client reads the lines" "$T/r.out" '^second line$' 5
t_expect "... and the fed ones" "$T/r.out" '^fed 3$' 5

# A client that has exited: refused at once, even after the pipe filled.
t_fifo gone
(exec <"$T/gone.in") &
T_PIDS+=("$!"); echo "$!" >"$T/gone.pid"
wait "$!" 2>/dev/null
big=$(head -c 100000 /dev/zero | tr '\0' x)
start=$SECONDS
cs_cmd gone "$big" "$big" && t_fail "a write to an exited client fails" ||
	t_pass "a write to an exited client fails"
cs_cmd gone "one more" && t_fail "... every time" || t_pass "... every time"
[ $((SECONDS - start)) -le 3 ] && t_pass "... at once" ||
	t_fail "... at once ($((SECONDS - start)) s)"

# A client that is alive but never reads: the write gives up in time.
t_fifo stuck
sleep 60 <"$T/stuck.in" &
T_PIDS+=("$!"); echo "$!" >"$T/stuck.pid"
start=$SECONDS
head -c 300000 /dev/zero | tr '\0' '\n' | cs_feed stuck &&
	t_fail "a write nobody reads fails" || t_pass "a write nobody reads fails"
cs_cmd stuck "and another" && t_fail "... every time (full pipe)" ||
	t_pass "... every time (full pipe)"
el=$((SECONDS - start))
[ "$el" -le $((2 * CS_CMD_TIMEOUT + 2)) ] &&
	t_pass "... within the timeout (${el} s)" ||
	t_fail "... within the timeout (${el} s)"
t_done
