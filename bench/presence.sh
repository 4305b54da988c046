#!/usr/bin/env bash
# bench/presence.sh: presence at scale, external watchers of internal users.
# bench/sip_load plays beta.example's proxy over UDP and makes N presence
# subscriptions (distinct watchers w0000000..@beta.example, spread over
# 100 internal users) through the connector to the gateway, each answered
# 200 and followed by a NOTIFY; a fresh chain for each N (10,000 and
# 100,000).  Figures:
#   - the gateway's resident memory growth per subscription;
#   - NOTIFY fan-out: 10 of the watched users are logged in (stclient) and
#     switch status away/active a few times; every watcher must get a
#     NOTIFY each time (none lost), at what rate they arrive;
#   - refresh load: in-dialog SUBSCRIBE refreshes at the steady-state rate
#     of SubscribeExpires = 600 s (N / 480 per second, refreshed at 80 %),
#     with the gateway's CPU share and any failure.
#
# Then internal watchers of external users: 10 Sametime clients (stclient)
# each watch 1,000 distinct "@E xNNNNN@beta.example"; the gateway makes one
# SUBSCRIBE per external user through the connector to beta's side
# (bench/sip_load's UDP UAS answers 200): the rate they go out and the
# gateway's memory per outgoing subscription.
#
#   bench/presence.sh [-q] [-n "10000 100000"] [-i internal_per_client]
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/chain.sh"

counts="10000 100000" users=100 active=10 rounds=4 rdur=10 iper=1000 ccap=90
while getopts "i:n:q" o; do
	case $o in
	i) iper=$OPTARG ;;
	n) counts=$OPTARG ;;
	q) counts="2000" rounds=2 rdur=3 iper=100 ;;
	*) sed -n '16p' "$0" >&2; exit 2 ;;
	esac
done

CHAIN_GW_EXTRA="SubscribeMaxExpires = 3600"
chain_setup udp "$users"

declare -A PER CR FAN LOST RF RFAIL GCPU MADE
for n in $counts; do
	chain_start || { b_log "the chain did not start"; exit 1; }
	sleep 1
	base=$(b_rss_kib "$(b_pid gateway)")
	cbase=$(b_rss_kib "$(b_pid community)")
	b_start sub "$SIP_LOAD" -m sub -t udp -d "$C:5060" -B "$U" -n "$n" \
		-U "$users" -w 200 -E 600 -f "$(( n / 480 + 1 ))" -T "$ccap"
	b_wait_grep "$B/sub.log" CREATED $((ccap + 20)) || b_log "no end of the subscription phase"
	sleep 2
	rss=$(b_rss_kib "$(b_pid gateway)")
	crss=$(b_rss_kib "$(b_pid community)")
	created=$(b_kv "$B/sub.log" created)
	CR[$n]=$(b_kv "$B/sub.log" create_rate)
	MADE[$n]=$created
	PER[$n]=$(awk -v a="$rss" -v b="$base" -v n="$created" \
		'BEGIN { printf "%.2f", n ? (a - b) / n : 0 }')
	b_log "$n subscriptions: $created created at ${CR[$n]}/s, $(b_kv "$B/sub.log" fail) refused; gateway RSS $base -> $rss KiB; community RSS $cbase -> $crss KiB"

	# fan-out: the first $active users log in, then switch status
	for i in $(seq 0 $((active - 1))); do
		chain_client "c$i" "$(printf 'u%05d' "$i")" || exit 1
	done
	sleep 2
	kill -USR1 "$(b_pid sub)"	# counters from zero
	sleep 0.5
	mark=$(wc -l <"$B/sub.log")
	b_cpu_snap gateway community conn
	t0=$(date +%s.%N)
	for r in $(seq 1 "$rounds"); do
		st=away; [ $((r % 2)) = 0 ] && st=active
		for i in $(seq 0 $((active - 1))); do
			fd=CHAIN_FD_c$i
			echo "status $st fan-out round $r" >&"${!fd}"
		done
		sleep 0.05
	done
	# the first $created subscriptions were made in order, round robin
	# over the users: those of the $active users that log in
	expect=$(awk -v c="$created" -v u="$users" -v a="$active" -v r="$rounds" \
		'BEGIN { for (i = 0; i < a; i++) s += int((c - i + u - 1) / u); print s * r }')
	i=0
	while [ $i -lt 300 ]; do		# at most 30 s for the NOTIFYs
		kill -USR1 "$(b_pid sub)"; sleep 0.1
		got=$(tail -n +$((mark + 1)) "$B/sub.log" |
			awk '$1 == "notifies" { s += $2 } END { print s + 0 }')
		[ "$got" -ge "$expect" ] && break
		i=$((i + 1))
	done
	secs=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { print a - b }')
	cpu=$(b_cpu_report gateway community conn "$secs")
	FAN[$n]=$(awk -v n="$got" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
	LOST[$n]=$(( expect > got ? expect - got : 0 ))
	msgs=$(tail -n +$((mark + 1)) "$B/sub.log" |
		awk '$1 == "notify_msgs" { s += $2 } END { print s + 0 }')
	b_log "fan-out: $got of $expect NOTIFYs in $secs s ($msgs received with retransmissions); CPU: $cpu"

	# refresh load at the steady-state rate
	kill -USR1 "$(b_pid sub)"; sleep 0.2
	b_cpu_snap gateway community conn
	kill -USR2 "$(b_pid sub)"
	sleep "$rdur"
	GCPU[$n]=$(b_cpu_report gateway "$rdur")
	cpu=$(b_cpu_report gateway community conn "$rdur")
	kill -USR1 "$(b_pid sub)"; sleep 0.5
	RF[$n]=$(b_kv "$B/sub.log" refresh_rate)
	RFAIL[$n]=$(b_kv "$B/sub.log" refresh_fail)
	b_log "refresh: ${RF[$n]}/s, ${RFAIL[$n]} failed, $(b_kv "$B/sub.log" notifies) new NOTIFYs ($(b_kv "$B/sub.log" notify_msgs) with retransmissions); CPU: $cpu; gateway RSS $(b_rss_kib "$(b_pid gateway)") KiB"

	b_stop sub
	for i in $(seq 0 $((active - 1))); do b_stop "c$i"; rm -f "$B/c$i.in"; done
	for p in conn gateway community; do b_stop "$p"; done
	rm -rf "$B/storage"/*
done

# --- internal watchers of external users ----------------------------------
chain_start || { b_log "the chain did not start"; exit 1; }
b_start uas "$SIP_LOAD" -m uas -t udp -l "$U:5060" -D 0
b_wait_grep "$B/uas.log" LISTENING 5 || exit 1
for i in $(seq 0 $((active - 1))); do
	chain_client "c$i" "$(printf 'u%05d' "$i")" || exit 1
	awk -v i="$i" -v n="$iper" 'BEGIN { for (j = 0; j < n; j++)
		printf "watch @E x%07d@beta.example\n", i * n + j }' >"$B/watch$i"
done
sleep 1
base=$(b_rss_kib "$(b_pid gateway)")
b_cpu_snap gateway community conn
t0=$(date +%s.%N)
for i in $(seq 0 $((active - 1))); do
	fd=CHAIN_FD_c$i
	cat "$B/watch$i" >&"${!fd}" &
done
wait_served() {
	local want=$1 i=0 n
	while [ $i -lt 600 ]; do
		n=$(grep -c '^--' "$B/uas.log")
		kill -USR1 "$(b_pid uas)"
		b_wait_grep_n "$B/uas.log" '^--' $((n + 1))
		ISERVED=$((ISERVED + $(b_kv "$B/uas.log" distinct)))
		[ "$ISERVED" -ge "$want" ] && return 0
		sleep 0.2; i=$((i + 1))
	done
	return 1
}
b_wait_grep_n() {
	local j=0
	while [ $j -lt 50 ]; do
		[ "$(grep -c -- "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.05; j=$((j + 1))
	done
}
ISERVED=0
iwant=$((active * iper))
wait_served "$iwant" || b_log "only $ISERVED of $iwant SUBSCRIBEs reached beta"
secs=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { print a - b }')
cpu=$(b_cpu_report gateway community conn "$secs")
sleep 2
rss=$(b_rss_kib "$(b_pid gateway)")
IRATE=$(awk -v n="$ISERVED" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
IPER=$(awk -v a="$rss" -v b="$base" -v n="$ISERVED" \
	'BEGIN { printf "%.0f", n ? (a - b) * 1024 / n : 0 }')
b_log "internal watchers: $ISERVED of $iwant SUBSCRIBEs to beta in $secs s; gateway RSS $base -> $rss KiB; CPU: $cpu"

for n in $counts; do
	b_figure "gateway_memory_per_subscription_at_$n" \
		"$(awk -v k="${PER[$n]}" 'BEGIN { printf "%.0f", k * 1024 }')" \
		"bytes (target <= 2048 at 100000)"
	b_figure "presence_subscriptions_made_of_$n" "${MADE[$n]}" "subscriptions (in at most ${ccap} s)"
	b_figure "presence_subscribe_rate_at_$n" "${CR[$n]}" SUBSCRIBE/s
	b_figure "presence_notify_fanout_rate_at_$n" "${FAN[$n]}" NOTIFY/s
	b_figure "presence_notify_late_at_$n" "${LOST[$n]}" "NOTIFYs not received within 30 s (target 0)"
	b_figure "presence_refresh_rate_at_$n" "${RF[$n]}" "refresh/s (failed ${RFAIL[$n]}, gateway CPU ${GCPU[$n]#gateway })"
done
b_figure "presence_internal_watch_subscribe_rate_at_$iwant" "$IRATE" "SUBSCRIBE/s out"
b_figure "gateway_memory_per_outgoing_subscription_at_$iwant" "$IPER" bytes
