#!/usr/bin/env bash
# bench/outbound.sh: outbound IM.  Sametime clients (stclient, 4 of them,
# driven by bench/im_pacer.py at a fixed total rate) send IMs to
# "@E bob@beta.example"; stcommunity hands them to the gateway, which sends
# MESSAGE through the connector over TLS to beta's side: bench/sip_load's
# TLS UAS (the Debian SIPp has no TLS), which answers 200 and measures the
# one-way latency from the timestamp each IM carries.  The rate is raised
# step by step; the highest step where > 99.9 % of the IMs reach beta in
# time (by half a second after the step's end) and none is refused is the
# sustained rate.  After the first step that fails, steps halfway between
# it and the last good one narrow the rate down to 1,000 msg/s (so the
# figure is not one of the coarse steps); then one step at 1.5 x the
# sustained rate shows what overload does (delivered rate, errors, delay).
# p50/p99 are those of the 1,000 msg/s step.
#
#   bench/outbound.sh [-q] [-d seconds_per_step] [-r "rates"]
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/chain.sh"

dur=5 rates="1000 5000 10000 20000 30000 40000 50000 60000 80000" senders=4
narrow=1
while getopts "d:qr:" o; do
	case $o in
	d) dur=$OPTARG ;;
	q) dur=2 rates="1000 2000" narrow=0 ;;
	r) rates=$OPTARG ;;
	*) sed -n '16p' "$0" >&2; exit 2 ;;
	esac
done

chain_setup tls 8
chain_start || { b_log "the chain did not start"; exit 1; }
fifos=() names=()
for i in $(seq 0 $((senders - 1))); do
	chain_client "tx$i" "$(printf 'u%05d' "$i")" || exit 1
	fifos+=("$B/tx$i.in") names+=("tx$i")
done

b_start uas "$SIP_LOAD" -m uas -t tls -l "$U:5061" -D 0 \
	-C "$B/pki/beta.pem" -K "$B/pki/beta.key"
b_wait_grep "$B/uas.log" LISTENING 5 || exit 1
# warm-up: the connector's TLS connection to beta, the IM channels
python3 "$(dirname "$0")/im_pacer.py" 200 1 "@E bob@beta.example" \
	"${fifos[@]}" >"$B/pacer.out"
sleep 1

# uas_stats: the UAS's figures since the last call (SIGUSR1)
uas_stats() {
	local n
	n=$(grep -c '^--' "$B/uas.log")
	kill -USR1 "$(b_pid uas)"
	b_wait_grep_count "$B/uas.log" '^--' $((n + 1)) 5
}
b_wait_grep_count() {
	local i=0
	while [ $i -lt $(($4 * 10)) ]; do
		[ "$(grep -c -- "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
uas_stats
# errors the senders were shown so far (a running total)
sender_errors() { cat "$B"/tx*.log | grep -c '^error' || true; }

# step RATE SECONDS: one step; sets ok (1 when sustained), and the
# figures of the step: sent served pct errs s50 s99 late cpu
step() {
	local r=$1 d=$2 errs0 quiet=0 n i
	errs0=$(sender_errors)
	b_cpu_snap conn gateway community uas "${names[@]}"
	python3 "$(dirname "$0")/im_pacer.py" "$r" "$d" "@E bob@beta.example" \
		"${fifos[@]}" >"$B/pacer.out"
	cpu=$(b_cpu_report conn gateway community uas "${names[@]}" "$d")
	sleep 0.5			# in time: within half a second
	uas_stats
	sent=$(b_kv "$B/pacer.out" sent)
	offered=$(b_kv "$B/pacer.out" offered_rate)
	pacer_cpu=$(b_kv "$B/pacer.out" cpu_pct)
	served=$(b_kv "$B/uas.log" served)
	pct=$(awk -v l="$((sent - served))" -v s="$sent" \
		'BEGIN { printf "%.3f", s ? 100 * l / s : 100 }')
	s50=$(b_kv "$B/uas.log" p50_ms) s99=$(b_kv "$B/uas.log" p99_ms)
	# late ones: until beta has had nothing new for a second (at most
	# 10 s), so that the next step starts on a quiet chain; not counted
	late=0
	for i in $(seq 1 20); do
		sleep 0.5
		uas_stats
		n=$(b_kv "$B/uas.log" served)
		late=$((late + n))
		if [ "$n" -eq 0 ]; then
			quiet=$((quiet + 1))
			[ $quiet -ge 2 ] && break
		else
			quiet=0
		fi
	done
	errs=$(( $(sender_errors) - errs0 ))
	b_log "$r msg/s offered ($offered by the pacer, its CPU $pacer_cpu %): $sent sent, $served reached beta within 0.5 s of the end ($pct % not in time, $late later), $errs errors shown to senders, p50 $s50 ms, p99 $s99 ms; CPU: $cpu"
	ok=0
	# the pacer must have offered the rate: a sender that could not
	# write (the chain not taking its IMs) fails the step too
	if awk -v p="$pct" -v o="$offered" -v r="$r" \
	    'BEGIN { exit !(p < 0.1 && o >= 0.98 * r) }' && [ "$errs" -eq 0 ]
	then
		ok=1
	fi
}

best=0 bad=0 p50=- p99=- lostpct=- top=0
for r in $rates; do
	step "$r" "$dur"
	top=$r
	if [ "$r" = 1000 ]; then
		p50=$s50 p99=$s99
		lostpct=$pct
	fi
	if [ $ok = 1 ]; then best=$r; else bad=$r; break; fi
done
if [ $narrow = 1 ] && [ "$bad" -gt 0 ]; then
	while [ $((bad - best)) -gt 1000 ]; do
		r=$(( (best + bad) / 2 / 500 * 500 ))
		step "$r" "$dur"
		if [ $ok = 1 ]; then best=$r; else bad=$r; fi
	done
	# above capacity: half as much again as the sustained rate, twice
	# as long as a step (does it degrade, or collapse into errors?)
	r=$(( (best > 0 ? best : 1000) * 3 / 2 ))
	step "$r" $((dur * 2))
	b_figure outbound_tls_overload_offered "$r" "msg/s (1.5 x sustained, $((dur * 2)) s)"
	b_figure outbound_tls_overload_delivered "$(awk -v s="$served" \
		-v l="$late" -v d="$((dur * 2))" \
		'BEGIN { printf "%d", (s + l) / d }')" \
		"msg/s (reached beta, $served in time, $late later)"
	b_figure outbound_tls_overload_errors "$(awk -v e="$errs" -v s="$sent" \
		'BEGIN { printf "%.1f", s ? 100 * e / s : 0 }')" \
		"% (errors shown to senders)"
	b_figure outbound_tls_overload_p50 "$s50" "ms"
	# what neither reached beta nor came back to its sender as an error
	b_figure outbound_tls_overload_lost "$((sent - served - late - errs > 0 ?
		sent - served - late - errs : 0))" "IMs of $sent (no delivery, no error)"
fi
b_log "RSS connector $(b_rss_kib "$(b_pid conn)") KiB, gateway $(b_rss_kib "$(b_pid gateway)") KiB, community $(b_rss_kib "$(b_pid community)") KiB"

b_figure outbound_tls_top_step "$top" "msg/s (the last step tried)"
b_figure outbound_tls_sustained_rate "$best" "msg/s (highest step delivered in time, < 0.1 % late or lost)"
b_figure outbound_tls_p50_at_1000 "$p50" "ms (late or lost $lostpct %)"
b_figure outbound_tls_p99_at_1000 "$p99" "ms (target <= 10)"
