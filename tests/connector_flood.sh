#!/bin/bash
# Flood limits per source address: over "rate" requests per second the
# answer is 503 with Retry-After (and one log line per offender per
# minute); over "max_connections" streams the connection is refused; other
# addresses are not affected.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/connector_lib.sh"

CN_CONF_EXTRA="rate = 5
max_connections = 2
retry_after = 7"
cn_setup
cn_start_peer -q
cn_start_conn || t_fail "connector got its configuration"

M=$T/msg; mkdir -p "$M"
cn_msg "$M/m" MESSAGE sip:alice@alpha.example beta.example UDP
files=""; for i in $(seq 1 30); do files="$files $M/m"; done
# shellcheck disable=SC2086
"$SIPCLIENT" -w 1000 -b "$B" "$C:$SP" $files >"$T/burst"
ok=$(grep -c '^m: 200' "$T/burst"); busy=$(grep -c '^m: 503 .*\[Retry-After: 7\]' "$T/burst")
t_log "burst of 30: $ok answered 200, $busy answered 503"
[ "$ok" -ge 5 ] && [ "$ok" -le 12 ] && t_pass "about rate requests accepted ($ok)" ||
	t_fail "accepted $ok of 30"
[ $((ok + busy)) = 30 ] && t_pass "the rest got 503 with Retry-After" ||
	t_fail "503s: $busy, 200s: $ok"
[ "$(grep -c "flood: $B over the limit of 5 requests/s" "$T/conn.log")" = 1 ] &&
	t_pass "one log line for the offender" || t_fail "flood log lines: $(grep -c flood: "$T/conn.log")"
"$SIPCLIENT" -b "$X" "$C:$SP" "$M/m" >"$T/other"
t_expect "another address is not limited (403 by trust, not 503)" "$T/other" '^m: 403'

# connections: the third from one address is closed at once
exec 5<>"/dev/tcp/$C/$SP" 6<>"/dev/tcp/$C/$SP" 7<>"/dev/tcp/$C/$SP"
if timeout 2 cat <&7 >/dev/null; then t_pass "third connection refused"
else t_fail "third connection stayed open"; fi
if timeout 1 cat <&5 >/dev/null; then t_fail "first connection closed"
else t_pass "first two connections stay open"; fi
exec 5>&- 6>&- 7>&-
t_expect "connection limit logged" "$T/conn.log" "over the limit of 2 connections"
cn_finish
t_done
