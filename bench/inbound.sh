#!/usr/bin/env bash
# bench/inbound.sh: inbound IM end to end over TLS.  bench/sip_load plays
# beta.example's proxy and sends MESSAGE (200-byte text body) over TLS to
# the connector -> gateway -> stcommunity -> a Sametime client (stclient)
# that reads them; the 200 comes back through the chain only once the
# community server has written the IM to the client.
# In the same run: sip_load -> Kamailio (t_relay, TLS) -> sip_load's TLS
# UAS, same messages.  Two measurements each: the highest rate with a fixed
# number of requests in flight (closed loop, < 0.1 % failures to count),
# and p50/p99 latency at a fixed 1,000 msg/s (open loop).
#
#   bench/inbound.sh [-q] [-d seconds] [-w in_flight] [-r latency_rate]
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/chain.sh"

dur=10 win=100 lrate=1000 recv=4
while getopts "d:qr:w:" o; do
	case $o in
	d) dur=$OPTARG ;;
	q) dur=2 lrate=200 ;;
	r) lrate=$OPTARG ;;
	w) win=$OPTARG ;;
	*) sed -n '12p' "$0" >&2; exit 2 ;;
	esac
done

# load NAME TARGET ARGS...: sip_load over TLS with beta's certificate
load() {
	local name=$1 target=$2; shift 2
	timeout $((dur + 40)) "$SIP_LOAD" -m uac -t tls -d "$target" -B "$U" \
		-C "$B/pki/beta.pem" -K "$B/pki/beta.key" -D "$dur" -T 5 "$@" \
		>"$B/$name.out" 2>"$B/$name.err"
	b_log "$name: $(tr '\n' ' ' <"$B/$name.out")"
}

declare -A R P50 P99 F FL
measure() {
	local who=$1 target=$2; shift 2
	b_cpu_snap $CPU_OF
	load "${who}_max" "$target" -c 1 -w "$win" "$@"
	b_log "$who CPU share during the highest-rate run: $(b_cpu_report $CPU_OF "$dur")"
	R[$who]=$(b_kv "$B/${who}_max.out" rate)
	F[$who]=$(b_kv "$B/${who}_max.out" fail_pct)
	load "${who}_lat" "$target" -c 1 -r "$lrate" "$@"
	P50[$who]=$(b_kv "$B/${who}_lat.out" p50_ms)
	P99[$who]=$(b_kv "$B/${who}_lat.out" p99_ms)
	FL[$who]=$(b_kv "$B/${who}_lat.out" fail_pct)
}

# --- ours: the whole chain ------------------------------------------------
# Receivers u00000..u00003 each get a quarter of the messages (one sip_load
# per receiver would change the connection count; one sender, round robin
# users, needs a sender that varies the user: -u takes one, so the
# receivers share one user name space: the load goes to u00000).
chain_setup tls 8
chain_start || { b_log "the chain did not start"; for f in "$B"/*.log; do tail -n 5 "$f" >&2; done; exit 1; }
chain_client rx u00000 || exit 1
CPU_OF="conn gateway community rx"
measure ours "$C:5061" -u u00000 -R alpha.example -F beta.example
got=$(grep -c '^im @E ' "$B/rx.log")
b_log "the Sametime client read $got IMs; RSS connector $(b_rss_kib "$(b_pid conn)") KiB, gateway $(b_rss_kib "$(b_pid gateway)") KiB, community $(b_rss_kib "$(b_pid community)") KiB"
for p in conn gateway community rx; do b_stop "$p"; done

# --- Kamailio t_relay over TLS, both legs TLS -----------------------------
b_start uas "$SIP_LOAD" -m uas -t tls -l "$S:5061" -C "$B/pki/beta.pem" \
	-K "$B/pki/beta.key"
b_wait_grep "$B/uas.log" LISTENING 5 || exit 1
b_kamailio kam "$K" "sip:$S:5061;transport=tls" stateful 1 || exit 1
CPU_OF="kam uas"
measure kam "$K:5061" -u alice -R alpha.example -F beta.example
b_stop kam
b_stop uas

for w in ours kam; do
	awk -v f="${F[$w]}" 'BEGIN { exit !(f != "" && f < 0.1) }' ||
		b_log "$w: ${F[$w]} % failures at the highest rate (over 0.1 %)"
done
b_figure inbound_tls_e2e_rate "${R[ours]}" "msg/s (failures ${F[ours]} %)"
b_figure kamailio_tls_t_relay_rate "${R[kam]}" "msg/s (failures ${F[kam]} %)"
b_figure inbound_tls_vs_kamailio "$(b_ratio "${R[ours]}" "${R[kam]}")" "x (target >= 1.0)"
b_figure "inbound_tls_p50_at_${lrate}" "${P50[ours]}" "ms (failures ${FL[ours]} %)"
b_figure "inbound_tls_p99_at_${lrate}" "${P99[ours]}" "ms (target <= 10)"
b_figure "kamailio_tls_p50_at_${lrate}" "${P50[kam]}" ms
b_figure "kamailio_tls_p99_at_${lrate}" "${P99[kam]}" ms
