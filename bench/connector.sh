#!/usr/bin/env bash
# bench/connector.sh: the connector alone.  A load generator plays
# beta.example's proxy and sends MESSAGE to alice@alpha.example; the
# connector checks and relays each one over its TLS link to the minimal
# link peer (tests/connector_linkpeer), which answers 200, and the answer
# comes back.  UDP and TCP are driven twice, by SIPp and by bench/sip_load
# (one SIPp saturates near our rate: its own ceiling is measured too), TLS
# by sip_load (the Debian SIPp has no TLS).  In the same run, Kamailio
# forwards the same traffic statelessly (forward) and statefully (t_relay)
# to a UAS of the same kind.
# Throughput is measured closed-loop (a fixed number of requests in
# flight); a run counts only with < 0.1 % failures.  The connector's UDP
# run lasts 45 s and its rate is that of the last 10 s: UDP transactions
# are kept 32 s after their answer, so a short run overstates it.
#
# The CPU time the connector and the link peer spent per relayed message
# is logged for each transport (it tells a change apart from the noise of
# a shared machine better than the rate does).
#
#   bench/connector.sh [-k] [-q] [-d seconds] [-w in_flight] [-t "udp tcp tls"]
#     -k  ours only, no Kamailio (while working on the connector)
set -u
. "$(dirname "$0")/lib.sh"

dur=8 win=200 tps="udp tcp tls" udpdur=45 kam=1
while getopts "d:kqt:w:" o; do
	case $o in
	d) dur=$OPTARG ;;
	k) kam=0 ;;
	q) dur=2 udpdur=4 ;;
	t) tps=$OPTARG ;;
	w) win=$OPTARG ;;
	*) sed -n '17,18p' "$0" >&2; exit 2 ;;
	esac
done

. "$(dirname "$0")/edge.sh"
edge_setup

SIPP_UAC=(sipp -sf "$top_srcdir/bench/sipp/uac_message.xml" -key rdomain
	alpha.example -key fdomain beta.example -s alice -i "$U" -p 5060
	-r 1000000 -l "$win" -nostdin -buff_size 4194304)

# sipp_rate NAME TP TARGET [SECS [FROM]]: closed-loop SIPp run of SECS
# (default $dur) seconds; "rate fail_pct early_rate": the rate from second
# FROM (default 1) to the end, and from second 1 to second $dur; then the
# number of answered requests.
sipp_rate() {
	local name=$1 tp=$2 target=$3 secs=${4:-$dur} from=${5:-1}
	(cd "$B" && timeout $((secs + 20)) "${SIPP_UAC[@]}" -t "$tp" \
		-timeout "${secs}s" -trace_stat -fd 1 -stf "$B/$name.csv" \
		"$target" >"$B/$name.out" 2>&1)
	awk -F';' -v from="$from" -v early="$dur" '
		NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
		{ n = split($h["CurrentTime"], t, "\t"); tm = t[n]
		  s = $h["SuccessfulCall(C)"]; f = $h["FailedCall(C)"]
		  if (start == "") start = tm
		  if (t0 == "" && tm - start >= from) { t0 = tm; s0 = s }
		  if (e0 == "" && tm - start >= 1) { e0 = tm; es0 = s }
		  if (tm - last >= 0.9) { t1 = tm; s1 = s
			if (tm - start <= early + 1) { e1 = tm; es1 = s } }
		  last = tm; fl = f; sl = s }
		END { r = (t1 > t0) ? (s1 - s0) / (t1 - t0) : 0
		  e = (e1 > e0) ? (es1 - es0) / (e1 - e0) : 0
		  printf "%.0f %.3f %.0f %d\n", r, (sl + fl) ? 100 * fl / (sl + fl) : 100, e, sl }' \
		"$B/$name.csv"
}

# load_rate NAME TP TARGET [SECS]: closed-loop run with sip_load; "rate
# fail_pct - answered".
load_rate() {
	local name=$1 tp=$2 target=$3 secs=${4:-$dur}
	timeout $((secs + 30)) "$SIP_LOAD" -m uac -t "$tp" -d "$target" -B "$U" \
		-c 1 -w "$win" -D "$secs" -C "$B/pki/beta.pem" \
		-K "$B/pki/beta.key" >"$B/$name.out" 2>"$B/$name.err"
	echo "$(b_kv "$B/$name.out" rate) $(b_kv "$B/$name.out" fail_pct) -" \
		"$(b_kv "$B/$name.out" ok)"
}

# run_tp GEN TP NAME TARGET: the load generator GEN (sipp, or lean:
# bench/sip_load; TLS is always sip_load, Debian's SIPp has none).
run_tp() {
	case $1-$2 in
	sipp-udp) sipp_rate "$3" u1 "$4" ;;
	sipp-tcp) sipp_rate "$3" t1 "$4" ;;
	*) load_rate "$3" "$2" "$4" ;;
	esac
}

# The runs, GEN:TP.  SIPp is the generator the issue names, but one SIPp
# process saturates near the connector's rate (its ceiling, SIPp to SIPp
# with no proxy between, is measured below): the lean generator
# (bench/sip_load) shows what the connector and Kamailio carry when the
# load tool is not the limit.  Each run drives both servers the same way.
runs=
for tp in $tps; do
	[ "$tp" = tls ] || runs="$runs sipp:$tp"
done
for tp in $tps; do runs="$runs lean:$tp"; done
# sfx GEN TP: the figure-name suffix of a run (TLS has one generator)
sfx() { [ "$1" = lean ] && [ "$2" != tls ] && echo _lean; }

declare -A R F RSS
declare -A UDP_EARLY EARLY_S
pass() { awk -v f="$1" 'BEGIN { exit !(f != "" && f < 0.1) }'; }

# us_per_msg NAME N: CPU microseconds NAME spent per message since
# b_cpu_snap, over N messages.
us_per_msg() {
	awk -v a="$(b_cpu_ticks "$(b_pid "$1")")" -v b="${B_CPU0[$1]:-0}" \
	    -v hz="$(getconf CLK_TCK)" -v n="$2" \
	    'BEGIN { if (n + 0 > 0) printf "%.1f", 1e6 * (a - b) / hz / n;
		else printf "?" }'
}

# --- ours: a fresh connector for each run -----------------------------------
for run in $runs; do
	gen=${run%%:*} tp=${run#*:} k=$(sfx "${run%%:*}" "${run#*:}")
	edge_start || exit 1
	port=5060; [ "$tp" = tls ] && port=5061
	b_cpu_snap conn peer
	if [ "$tp" = udp ]; then
		# UDP server transactions live 64*T1 = 32 s after their answer
		# (Timer J): the sustained rate is the one past that point
		from=$((udpdur > 11 ? udpdur - 10 : 1))
		if [ "$gen" = sipp ]; then
			read -r r f e n < <(sipp_rate ours_udp u1 "$C:5060" "$udpdur" "$from")
		else
			read -r e f x n < <(load_rate ours_udp_warm udp "$C:5060" "$from")
			b_cpu_snap conn peer
			read -r r f x n < <(load_rate ours_udp_lean udp "$C:5060" $((udpdur - from)))
		fi
		UDP_EARLY[$gen]=$e EARLY_S[$gen]=$dur
		[ "$gen" = lean ] && EARLY_S[$gen]=$from
		b_log "connector udp ($gen): first seconds $e/s, seconds $from-$udpdur $r/s"
	else
		read -r r f e n < <(run_tp "$gen" "$tp" "ours_$tp$k" "$C:$port")
	fi
	R[ours_$tp$k]=$r F[ours_$tp$k]=$f
	b_log "connector $tp ($gen): $r/s, $f % failed, RSS $(b_rss_kib "$(b_pid conn)") KiB"
	b_log "connector $tp ($gen): CPU per message: connector $(us_per_msg conn "$n") us," \
		"link peer $(us_per_msg peer "$n") us ($n messages)"
	RSS[$tp$k]=$(b_rss_kib "$(b_pid conn)")
	edge_stop
done

# --- Kamailio ---------------------------------------------------------------
[ $kam = 1 ] || exit 0
uas_start() {	# uas_start GEN TP: the far end Kamailio forwards to
	local ssp=(sipp -sf "$top_srcdir/bench/sipp/uas_message.xml" -i "$S"
		-p 5060 -nostdin -buff_size 4194304)
	case $1-$2 in
	sipp-udp) b_start uas "${ssp[@]}" -t u1 ;;
	sipp-tcp) b_start uas "${ssp[@]}" -t t1 ;;
	*-tls) b_start uas "$SIP_LOAD" -m uas -t tls -l "$S:5061" \
		-C "$B/pki/beta.pem" -K "$B/pki/beta.key" ;;
	*) b_start uas "$SIP_LOAD" -m uas -t "$2" -l "$S:5060" ;;
	esac
	sleep 0.3
}
for fwd in stateless stateful; do
	for run in $runs; do
		gen=${run%%:*} tp=${run#*:} k=$(sfx "${run%%:*}" "${run#*:}")
		port=5060 nh="sip:$S:5060"
		case $tp in
		tcp) nh="$nh;transport=tcp" ;;
		tls) nh="sip:$S:5061;transport=tls" port=5061 ;;
		esac
		uas_start "$gen" "$tp"
		b_kamailio kam "$K" "$nh" "$fwd" "$([ "$tp" = tls ] && echo 1 || echo 0)" ||
			exit 1
		read -r r f e x < <(run_tp "$gen" "$tp" "kam_${fwd}_$tp$k" "$K:$port")
		R[kam_${fwd}_$tp$k]=$r F[kam_${fwd}_$tp$k]=$f
		b_log "kamailio $fwd $tp ($gen): $r/s, $f % failed"
		b_stop kam
		b_stop uas
	done
done

# --- the SIPp ceiling: SIPp UAC straight to a SIPp UAS ------------------------
for tp in $tps; do
	[ "$tp" = tls ] && continue
	uas_start sipp "$tp"
	read -r r f e x < <(run_tp sipp "$tp" "sipp_ceiling_$tp" "$S:5060")
	R[sipp_ceiling_$tp]=$r
	b_log "SIPp alone $tp: $r/s, $f % failed"
	b_stop uas
done

# --- figures ----------------------------------------------------------------
for run in $runs; do
	gen=${run%%:*} tp=${run#*:} k=$(sfx "${run%%:*}" "${run#*:}")
	for x in ours_$tp$k kam_stateless_$tp$k kam_stateful_$tp$k; do
		pass "${F[$x]}" || b_log "$x: ${F[$x]} % failures (over 0.1 %): rate not sustained"
	done
	how=msg/s
	[ "$gen" = sipp ] && how="msg/s (SIPp)"
	[ "$gen" = lean ] && [ "$tp" != tls ] && how="msg/s (sip_load)"
	if [ "$tp" = udp ]; then
		b_figure connector_udp_relay_rate_first_${EARLY_S[$gen]}s$k "${UDP_EARLY[$gen]}" msg/s
		b_figure connector_udp_rss_after_${udpdur}s$k "${RSS[udp$k]}" KiB
		how="$how, sustained: seconds $from-$udpdur"
	fi
	b_figure "connector_${tp}_relay_rate$k" "${R[ours_$tp$k]}" "$how"
	b_figure "kamailio_stateless_${tp}_rate$k" "${R[kam_stateless_$tp$k]}" msg/s
	b_figure "kamailio_stateful_${tp}_rate$k" "${R[kam_stateful_$tp$k]}" msg/s
	b_figure "connector_${tp}_vs_kamailio_stateless$k" \
		"$(b_ratio "${R[ours_$tp$k]}" "${R[kam_stateless_$tp$k]}")" x
	b_figure "connector_${tp}_vs_kamailio_stateful$k" \
		"$(b_ratio "${R[ours_$tp$k]}" "${R[kam_stateful_$tp$k]}")" "x (target >= 1.5)"
done
for tp in $tps; do
	[ "$tp" = tls ] || b_figure "sipp_alone_${tp}_rate" "${R[sipp_ceiling_$tp]}" \
		"msg/s (SIPp UAC to SIPp UAS, no proxy: the generator's ceiling)"
done
