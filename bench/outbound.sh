#!/usr/bin/env bash
# bench/outbound.sh: outbound IM.  Sametime clients (stclient, 4 of them,
# driven by bench/im_pacer.py at a fixed total rate) send IMs to
# "@E bob@beta.example"; stcommunity hands them to the gateway, which sends
# MESSAGE through the connector over TLS to beta's side: bench/sip_load's
# TLS UAS (the Debian SIPp has no TLS), which answers 200 and measures the
# one-way latency from the timestamp each IM carries.  The rate is raised
# step by step; the highest step where > 99.9 % of the IMs reach beta in
# time (by half a second after the step's end) and none is refused is the
# sustained rate.  p50/p99 are those of the 1,000 msg/s step.
#
#   bench/outbound.sh [-q] [-d seconds_per_step] [-r "rates"]
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/chain.sh"

dur=5 rates="1000 2000 4000 6000 8000 10000 12000 15000 20000 25000" senders=4
while getopts "d:qr:" o; do
	case $o in
	d) dur=$OPTARG ;;
	q) dur=2 rates="1000 2000" ;;
	r) rates=$OPTARG ;;
	*) sed -n '11p' "$0" >&2; exit 2 ;;
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

best=0 p50=- p99=- lostpct=-
for r in $rates; do
	errs0=$(cat "$B"/tx*.log | grep -c '^error' || true)
	b_cpu_snap conn gateway community "${names[@]}"
	python3 "$(dirname "$0")/im_pacer.py" "$r" "$dur" "@E bob@beta.example" \
		"${fifos[@]}" >"$B/pacer.out"
	cpu=$(b_cpu_report conn gateway community "${names[@]}" "$dur")
	sleep 0.5			# in time: within half a second
	uas_stats
	errs=$(( $(cat "$B"/tx*.log | grep -c '^error' || true) - errs0 ))
	sent=$(b_kv "$B/pacer.out" sent)
	served=$(b_kv "$B/uas.log" served)
	lost=$(( sent - served ))
	pct=$(awk -v l="$lost" -v s="$sent" 'BEGIN { printf "%.3f", s ? 100 * l / s : 100 }')
	s50=$(b_kv "$B/uas.log" p50_ms) s99=$(b_kv "$B/uas.log" p99_ms)
	sleep 3				# late ones arrive; not counted
	uas_stats
	late=$(b_kv "$B/uas.log" served)
	b_log "$r msg/s offered: $sent sent, $served reached beta within 0.5 s of the end ($pct % not in time, $late later), $errs errors shown to senders, p50 $s50 ms, p99 $s99 ms; CPU: $cpu"
	if [ "$r" = 1000 ]; then
		p50=$s50 p99=$s99
		lostpct=$pct
	fi
	if awk -v p="$pct" 'BEGIN { exit !(p < 0.1) }' && [ "$errs" -eq 0 ]; then
		best=$r
	else
		break
	fi
done
b_log "RSS connector $(b_rss_kib "$(b_pid conn)") KiB, gateway $(b_rss_kib "$(b_pid gateway)") KiB, community $(b_rss_kib "$(b_pid community)") KiB"

b_figure outbound_tls_top_step "$r" "msg/s (the last step tried)"
b_figure outbound_tls_sustained_rate "$best" "msg/s (highest step delivered in time, < 0.1 % late or lost)"
b_figure outbound_tls_p50_at_1000 "$p50" "ms (late or lost $lostpct %)"
b_figure outbound_tls_p99_at_1000 "$p99" "ms (target <= 10)"
