#!/usr/bin/env bash
# A distributed connection flood that exhausts the connector's file
# descriptors: eight addresses, each within max_connections (60 of 64),
# hold 480 connections against a connector started with RLIMIT_NOFILE
# 256 soft, 300 hard (prlimit; the usual soft default of 1024 falls to
# 17 such addresses).  Meanwhile beta's proxy sends MESSAGEs over TLS at
# 50/s.
#
# Expected: the connector raises its soft limit to the hard one (300) and
# keeps a reserve of descriptors (for DNS, the link) that inbound streams
# may not take: connections beyond are closed, and on EMFILE it stops
# accepting for a moment instead of spinning; either is logged once, and
# the partner's established connection keeps being served (every MESSAGE
# 200; a DNS failure would be a 503, never a 403).  Its latency is printed
# as a figure, not asserted: tests do not time (bench/ does).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/connector_lib.sh"

[ -x "$STCONNECTOR" ] || t_skip "$STCONNECTOR not built"
command -v python3 >/dev/null || t_skip "python3 not installed"
command -v prlimit >/dev/null || t_skip "prlimit not installed"
ulimit -Sn 4096 2>/dev/null || t_skip "cannot raise RLIMIT_NOFILE"
cn_setup
cn_start_peer -q
t_start conn prlimit --nofile=256:300 "$STCONNECTOR" -D -f "$T/conn.conf"
{ t_wait_grep "$T/peer.log" "CONFIG_ACK" 10 &&
	t_wait_grep "$T/conn.log" "configuration generation" 5; } ||
	{ t_fail "connector got its configuration"; t_done; exit; }
CPID=$(t_pid conn)
nofile=$(awk '/open files/ { print $4 }' "/proc/$CPID/limits")
echo "connector_nofile: $nofile fds"
[ "$nofile" = 300 ] && t_expect "the connector raised its soft descriptor limit to the hard one" \
	"$T/conn.log" "descriptor limit \(RLIMIT_NOFILE\): 300" ||
	t_fail "the connector's soft descriptor limit is $nofile, not 300"
FL=$top_srcdir/tests/hardening_flood.py
t_start partner python3 "$FL" partner --addr "$B" --conn "$C" \
	--ca "$PKI/ca.pem" --samples "$T/rtt" --rate 50 --duration 20
t_wait_grep "$T/partner.log" "PARTNER READY" 10 ||
	{ t_fail "the partner's MESSAGEs are answered"; t_done; exit; }
f0=$(date +%s.%N)
for n in $(seq 10 17); do
	t_start "flood$n" nice -n 10 python3 "$FL" flood --addr "$T_NET.$n" \
		--conn "$C" --duration 8 --conns 60 --tls 0 --garbage-conns 0 \
		--spoof-rate 0 --garbage-rate 0
done
for n in $(seq 10 17); do	# the flood lasts 8 s
	i=0
	while kill -0 "$(t_pid "flood$n")" 2>/dev/null && [ $i -lt 150 ]; do
		sleep 0.1; i=$((i + 1))
	done
done
f1=$(date +%s.%N)
t_wait_grep "$T/partner.log" "^partner_outbound_served:" 30 ||
	t_fail "the partner finished"
grep -E '^[a-z0-9_]+: ' "$T/partner.log"
# when the partner's refusals happened, from the flood's start (it lasts 8 s)
awk -v a="$f0" -v b="$f1" '$3 != 200 { if (!n++) f = $1; l = $1 }
	END { printf "partner_first_refusal_after_flood_start: %.1f s\n", n ? f - a : -1
	      printf "partner_last_refusal_after_flood_end: %.1f s\n", n ? l - b : -1 }' "$T/rtt"
lines=$(grep -c -E "accept|out of file descriptors|inbound streams" "$T/conn.log")
echo "connector_accept_log_lines: $lines lines"
sent=$(awk '$1 == "partner_sent:" { print $2 }' "$T/partner.log")
ok=$(awk '$1 == "partner_answered_200:" { print $2 }' "$T/partner.log")
p99=$(awk '$1 == "partner_latency_p99:" { print $2 }' "$T/partner.log")
kill -0 "$CPID" 2>/dev/null && t_pass "the connector is up" || t_fail "the connector died"
t_expect "the flood reached the descriptor reserve (logged)" "$T/conn.log" \
	"out of file descriptors|inbound streams, the most" 1
[ "$lines" -le 5 ] && t_pass "descriptor exhaustion logged, not once per turn" ||
	t_fail "descriptor exhaustion logged $lines times"
[ "${sent:-0}" -gt 100 ] && [ "$ok" = "$sent" ] &&
	t_pass "the partner's $sent MESSAGEs all answered 200" ||
	t_fail "partner: $ok of $sent answered 200"
echo "partner_latency_p99: ${p99:-n/a} ms"
cn_finish
t_done
