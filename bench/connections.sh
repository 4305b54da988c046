#!/usr/bin/env bash
# bench/connections.sh: TLS connections the connector holds.  bench/sip_load
# opens N TLS connections (from 16 source addresses) to the connector's
# SIP TLS port and keeps them idle with RFC 5626 CRLF keepalives; the
# connector's resident memory growth over its idle baseline, divided by N,
# is the memory per connection (1,000 and 10,000, a fresh connector each).
# Then new TLS handshakes per second (connect, full handshake, close; 64 in
# progress), and the same against Kamailio's TLS listener in the same run.
#
#   bench/connections.sh [-q] [-n "1000 10000"] [-d hold_seconds]
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/edge.sh"

counts="1000 10000" hold=10 hsdur=5 ka=5
while getopts "d:n:q" o; do
	case $o in
	d) hold=$OPTARG ;;
	n) counts=$OPTARG ;;
	q) counts="200 1000" hold=3 hsdur=2 ka=1 ;;
	*) sed -n '10p' "$0" >&2; exit 2 ;;
	esac
done

edge_setup
declare -A HELD PER

for n in $counts; do
	edge_start || exit 1
	sleep 1
	base=$(b_rss_kib "$(b_pid conn)")
	b_start hold "$SIP_LOAD" -m hold -t tls -d "$C:5061" -B "$U" -S 16 \
		-c "$n" -w 64 -D "$hold" -k "$ka" -C "$B/pki/beta.pem" \
		-K "$B/pki/beta.key"
	b_wait_grep "$B/hold.log" HOLDING 150 || { b_stop hold; exit 1; }
	sleep $(( hold / 2 ))
	rss=$(b_rss_kib "$(b_pid conn)")
	fds=$(ls "/proc/$(b_pid conn)/fd" 2>/dev/null | wc -l)
	b_wait_grep "$B/hold.log" '^alive ' $((hold + 30)) || true
	est=$(b_kv "$B/hold.log" established)
	alive=$(b_kv "$B/hold.log" alive)
	HELD[$n]=$alive
	PER[$n]=$(awk -v a="$rss" -v b="$base" -v n="$est" \
		'BEGIN { printf "%.1f", n ? (a - b) / n : 0 }')
	b_log "$n connections: $est established in $(b_kv "$B/hold.log" setup_s) s, $alive alive after ${hold} s of keepalives ($(b_kv "$B/hold.log" pongs) pongs), connector RSS $base -> $rss KiB, $fds descriptors"
	b_stop hold
	edge_stop
done

# handshakes per second, ours then Kamailio's
edge_start || exit 1
timeout $((hsdur + 30)) "$SIP_LOAD" -m hs -t tls -d "$C:5061" -B "$U" -S 16 \
	-w 64 -D "$hsdur" -C "$B/pki/beta.pem" -K "$B/pki/beta.key" \
	>"$B/hs_ours.out" 2>&1
edge_stop
b_kamailio kam "$K" "sip:$S:5060" stateful 1 || exit 1
# Kamailio holding the smaller count: its TLS state lives in shared memory
# (kamcmd core.shmmem real_used) plus what its processes touch (RSS sum)
kn=${counts%% *}
kshm() { kamcmd -s "unix:$B/kam/run/kamailio_ctl" core.shmmem 2>/dev/null |
	awk '$1 == "real_used:" { print int($2 / 1024) }'; }
sleep 1
kshm0=$(kshm) krss0=$(b_rss_tree_kib "$(b_pid kam)")
b_start khold "$SIP_LOAD" -m hold -t tls -d "$K:5061" -B "$U" -S 16 \
	-c "$kn" -w 64 -D "$hold" -k "$ka" -C "$B/pki/beta.pem" -K "$B/pki/beta.key"
if b_wait_grep "$B/khold.log" HOLDING 150; then
	sleep $(( hold / 2 ))
	kshm1=$(kshm) krss1=$(b_rss_tree_kib "$(b_pid kam)")
	b_wait_grep "$B/khold.log" '^alive ' $((hold + 30)) || true
	KEST=$(b_kv "$B/khold.log" established)
	KALIVE=$(b_kv "$B/khold.log" alive)
	# memory per connection only of a Kamailio that held them all (a
	# crashed one reports nothing, or the shm of a restarted child)
	if [ "${KALIVE:-0}" = "$kn" ] && [ -n "$kshm1" ]; then
		KPER=$(awk -v a="$kshm1" -v b="$kshm0" -v n="$KEST" \
			'BEGIN { printf "%.1f", n ? (a - b) / n : 0 }')
	else
		KPER=n/a
	fi
	b_log "kamailio, $kn connections: $KEST established, $KALIVE alive; shm real_used $kshm0 -> $kshm1 KiB, RSS of its processes $krss0 -> $krss1 KiB"
fi
b_stop khold
timeout $((hsdur + 30)) "$SIP_LOAD" -m hs -t tls -d "$K:5061" -B "$U" -S 16 \
	-w 64 -D "$hsdur" -C "$B/pki/beta.pem" -K "$B/pki/beta.key" \
	>"$B/hs_kam.out" 2>&1
b_stop kam
hs_ours=$(b_kv "$B/hs_ours.out" rate)
hs_kam=$(b_kv "$B/hs_kam.out" rate)
b_log "handshakes: ours $(tr '\n' ' ' <"$B/hs_ours.out"); kamailio $(tr '\n' ' ' <"$B/hs_kam.out")"

for n in $counts; do
	b_figure "connector_tls_held_of_$n" "${HELD[$n]}" connections
	b_figure "connector_tls_memory_per_conn_at_$n" \
		"$(awk -v k="${PER[$n]}" 'BEGIN { printf "%.1f", k }')" \
		"KiB (target <= 64 at 10000)"
done
b_figure "kamailio_tls_held_of_$kn" "${KALIVE:-}" connections
# Debian's Kamailio 5.6.3 with OpenSSL 3 can crash its TCP workers under
# many TLS accepts (kamailio/kamailio#3791): say so rather than a figure
kdead=
grep -q 'exited by a signal' "$B/kam.log" 2>/dev/null &&
	kdead=" (a Kamailio worker crashed: $(grep -m1 -o 'exited by a signal [0-9]*' "$B/kam.log"))"
b_figure "kamailio_tls_shm_per_conn_at_$kn" "${KPER:-n/a}" "KiB (shared memory real_used)$kdead"
b_figure "connector_tls_memory_vs_kamailio_at_$kn" \
	"$(b_ratio "${PER[$kn]}" "${KPER:-0}")" "x (ours / Kamailio's, lower is better)"
b_figure connector_tls_handshake_rate "$hs_ours" handshakes/s
b_figure kamailio_tls_handshake_rate "$hs_kam" "handshakes/s$kdead"
b_figure connector_tls_handshakes_vs_kamailio "$(b_ratio "$hs_ours" "$hs_kam")" x
