#!/usr/bin/env bash
# bench/results.sh: the figures of one bench/run (its -o file) as the
# Markdown table of bench/RESULTS.md: our figure, Kamailio's, the ratio,
# the target and whether it is met.
#
#   bench/results.sh FIGURES > bench/RESULTS.md
set -u
f=${1:?usage: results.sh FIGURES}

# v NAME: the value of a figure ("" if absent); u NAME: its unit and note
v() { awk -F': ' -v k="$1" '$1 == k { split($2, a, " "); print a[1] }' "$f" | tail -1; }
u() { awk -F': ' -v k="$1" '$1 == k { sub(/^[^ ]* */, "", $2); print $2 }' "$f" | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "";
	else printf "%.2f", a / b }'; }
# met VALUE OP LIMIT
met() { [ -n "$1" ] || { echo "not measured"; return; }
	awk -v x="$1" -v op="$2" -v l="$3" 'BEGIN {
		ok = (op == ">=") ? x + 0 >= l + 0 : x + 0 <= l + 0
		print ok ? "met" : "**missed**" }'; }
row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@"; }

machine=$(awk -F': ' '$1 == "machine" { print $2 }' "$f" | tail -1)
echo "# stsip benchmarks"
echo
echo "Measured by \`bench/run\` (\`./quickstart bench\`), every figure of a row in"
echo "the same run on the same machine: ${machine:-unknown}; SIPp, Kamailio and"
echo "the stsip processes share it. Kamailio is Debian's 5.6 with the peer"
echo "configuration of tests/peers/kamailio (4 workers, TLS module, 2 GB of"
echo "shared memory, tlsf allocator).  Figures file: $(date -u -r "$f" '+%Y-%m-%d %H:%M UTC')."
echo
row "measurement" "stsip" "Kamailio" "ratio" "target" "result"
row "---" "---:" "---:" "---:" "---" "---"

x=$(v inbound_tls_e2e_rate) k=$(v kamailio_tls_t_relay_rate) r=$(ratio "$x" "$k")
row "(1) inbound IM over TLS, end to end to a Sametime client (msg/s, < 0.1 % failed)" \
	"$x" "$k (t_relay TLS)" "$r" ">= 1.0" "$(met "$r" ">=" 1.0)"
x=$(v inbound_tls_p50_at_1000) k=$(v kamailio_tls_p50_at_1000)
row "(1) p50 latency at 1,000 msg/s (ms)" "$x" "$k" "" "" ""
x=$(v inbound_tls_p99_at_1000) k=$(v kamailio_tls_p99_at_1000)
row "(1) p99 latency at 1,000 msg/s (ms)" "$x" "$k" "" "<= 10" "$(met "$x" "<=" 10)"
x=$(v outbound_tls_sustained_rate) k=$(v kamailio_tls_t_relay_rate) r=$(ratio "$x" "$k")
row "(2) outbound IM from Sametime clients over TLS (msg/s delivered in time, highest step tried: $(v outbound_tls_top_step))" \
	"$x" "$k (t_relay TLS)" "$r" ">= 1.0" "$(met "$r" ">=" 1.0)"
x=$(v outbound_tls_overload_offered)
[ -n "$x" ] && row "(2) above capacity: $x msg/s offered for $(u outbound_tls_overload_offered | sed 's/.*, //; s/)//'): delivered per s / errors shown / lost silently" \
	"$(v outbound_tls_overload_delivered) / $(v outbound_tls_overload_errors) % / $(v outbound_tls_overload_lost)" "" "" "no silent loss" \
	"$(met "$(v outbound_tls_overload_lost)" "<=" 0)"
x=$(v outbound_tls_p50_at_1000)
row "(2) p50 one-way latency at 1,000 msg/s (ms)" "$x" "" "" "" ""
x=$(v outbound_tls_p99_at_1000)
row "(2) p99 one-way latency at 1,000 msg/s (ms)" "$x" "" "" "<= 10" "$(met "$x" "<=" 10)"
for run in udp: tcp: udp:_lean tcp:_lean tls:; do
	tp=${run%%:*} k=${run#*:}
	x=$(v connector_${tp}_relay_rate$k) k2=$(v kamailio_stateful_${tp}_rate$k)
	s=$(v kamailio_stateless_${tp}_rate$k) r=$(ratio "$x" "$k2")
	[ -n "$x" ] || continue
	T=$(echo "$tp" | tr a-z A-Z)
	gen="SIPp"; [ -n "$k" ] || [ "$tp" = tls ] && gen="bench/sip_load"
	[ "$tp" = tls ] || [ -n "$k" ] || gen="SIPp (ceiling, SIPp to SIPp: $(v sipp_alone_${tp}_rate))"
	row "(3) connector alone, $T relay, load from $gen (msg/s)" "$x" "$k2 stateful / $s stateless" \
		"$r / $(ratio "$x" "$s")" ">= 1.5 x stateful" "$(met "$r" ">=" 1.5)"
done
for n in 10000 100000; do
	x=$(v gateway_memory_per_subscription_at_$n)
	tgt="" res=""
	[ $n = 100000 ] && tgt="<= 2048" res=$(met "$x" "<=" 2048)
	row "(4) gateway memory per external watcher subscription at $n (bytes)" "$x" "" "" "$tgt" "$res"
	row "(4) subscriptions made of $n (in the time allowed)" "$(v presence_subscriptions_made_of_$n)" "" "" "$n" \
		"$(met "$(v presence_subscriptions_made_of_$n)" ">=" $n)"
	row "(4) SUBSCRIBE rate while making $n (per s)" "$(v presence_subscribe_rate_at_$n)" "" "" "" ""
	row "(4) NOTIFY fan-out at $n (per s)" "$(v presence_notify_fanout_rate_at_$n)" "" "" "" ""
	x=$(v presence_notify_late_at_$n)
	row "(4) NOTIFYs of the fan-out not received within 30 s at $n" "$x" "" "" "0" "$(met "$x" "<=" 0)"
	row "(4) refreshes at the steady-state rate, $n subscriptions (per s)" \
		"$(v presence_refresh_rate_at_$n)" "" "" "" "$(u presence_refresh_rate_at_$n | sed 's/^refresh\/s //')"
done
for n in 10000; do
	row "(4) outgoing SUBSCRIBEs for Sametime watchers of $n external users (per s)" \
		"$(v presence_internal_watch_subscribe_rate_at_$n)" "" "" "" ""
	row "(4) gateway memory per outgoing subscription at $n (bytes)" \
		"$(v gateway_memory_per_outgoing_subscription_at_$n)" "" "" "" ""
done
for n in 1000 10000; do
	x=$(v connector_tls_held_of_$n)
	row "(5) idle TLS connections held (of $n, CRLF keepalive)" "$x" "" "" "$n" "$(met "$x" ">=" $n)"
	x=$(v connector_tls_memory_per_conn_at_$n)
	tgt="" res=""
	[ $n = 10000 ] && tgt="<= 64" res=$(met "$x" "<=" 64)
	k=$(v kamailio_tls_shm_per_conn_at_$n)
	kh=$(v kamailio_tls_held_of_$n)
	# a Kamailio that did not hold them all has no per-connection figure
	[ -n "$kh" ] && [ "$kh" != "$n" ] && k="n/a (held $kh of $n)"
	row "(5) connector memory per TLS connection at $n (KiB; Kamailio: its shared memory)" "$x" "$k" \
		"$(ratio "$x" "$k")" "$tgt" "$res"
done
x=$(v connector_tls_handshake_rate) k=$(v kamailio_tls_handshake_rate)
[ "$k" = 0.0 ] && k="0 (none completed)"
row "(5) new TLS handshakes (per s)" "$x" "$k" "$(ratio "$x" "$k")" "" ""
x=$(v parse_connector_rate) k=$(v parse_bare_osip_rate) c=$(v parse_connector_added_cost)
row "(6) first-stage parse (msg/s; Kamailio column: bare osip_message_parse)" "$x" "$k (libosip2)" \
	"$(ratio "$x" "$k")" "added cost <= 20 %" "$c % $(met "$c" "<=" 20)"
x=$(v community_login_rate)
[ -n "$x" ] && row "stcommunity VP logins (per s; $(v community_clients) clients)" "$x" "" "" "" ""
x=$(v community_mem_per_client)
[ -n "$x" ] && row "stcommunity memory per logged-in client (KiB)" "$x" "" "" "" ""
echo
echo "All figures of the run:"
echo
echo '```'
cat "$f"
echo '```'
