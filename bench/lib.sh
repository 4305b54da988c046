# bench/lib.sh: what the benchmark scripts share.  Source it first.
#
# Every benchmark gets a scratch directory ($B), its own loopback subnet
# (b_addr N -> 127.66.$B_NET.N), and an EXIT trap that stops every process
# it started (by pid) and removes the scratch directory.  Figures go to
# stdout as "name: value unit" (b_figure); chatter goes to stderr.
#
#   b_start NAME CMD...     background process, output in $B/NAME.log
#   b_start_in NAME FILE CMD...  the same, stdin from FILE
#   b_stop NAME             TERM, then KILL after 5 s
#   b_rss_kib PID           resident set size
#   b_cpu_snap / b_cpu_report  CPU share of named processes over a run
#   b_wait_grep FILE RE S   bounded wait for a line
#   b_wait_tcp HOST PORT S  bounded wait for a listener
#   b_kamailio NAME IP NEXTHOP stateful|stateless TLS(0|1)
#   b_sipp NAME ARGS...     SIPp in the background (no stdin)
#   b_sipp_stats FILE       "ok fail rate p50 p99" of a finished SIPp run
#   b_ratio A B             A/B with two decimals ("n/a" if B is 0)

set -u
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir

B_NAME=$(basename "${0%.sh}")
B=$(mktemp -d "${TMPDIR:-/tmp}/stbench-$B_NAME.XXXXXX")
B_PIDS=()
# each benchmark its own subnet: a straggler of one cannot hold the
# addresses of the next
case $B_NAME in
connector) _n=1 ;; connections) _n=2 ;; inbound) _n=3 ;; outbound) _n=4 ;;
presence) _n=5 ;; *) _n=9 ;;
esac
B_NET=${B_NET:-$_n}
# The helpers (sip_load, parse_bench, vp_sink) are built by bench/run.
B_BIN=${B_BIN:-$top_builddir/bench}

STCOMMUNITY=$top_builddir/community/stcommunity
STCONNECTOR=$top_builddir/connector/stsipconnector
STGATEWAY=$top_builddir/gateway/stsipgateway
STCLIENT=$top_builddir/tools/stclient
LINKPEER=$top_builddir/tests/connector_linkpeer
SIP_LOAD=$B_BIN/sip_load

b_log() { printf '%s: %s\n' "$B_NAME" "$*" >&2; }
b_addr() { printf '127.66.%s.%s' "$B_NET" "${1:-1}"; }

b_cleanup() {
	local p i all=()
	for p in "${B_PIDS[@]}"; do
		all+=("$p" $(ps -o pid= --ppid "$p" 2>/dev/null))
	done
	for p in "${B_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${all[@]}"; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	if [ "${B_KEEP:-0}" = 1 ]; then
		b_log "scratch directory kept: $B"
	else
		rm -rf "$B"
	fi
}
trap b_cleanup EXIT
trap 'exit 130' INT TERM

# Many sockets per process: the hard limit (often 20000 in containers).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

b_start() {
	local name=$1; shift
	"$@" >"$B/$name.log" 2>&1 &
	local pid=$!
	B_PIDS+=("$pid")
	echo "$pid" >"$B/$name.pid"
}

# b_start_in NAME FILE CMD...: the same, with standard input from FILE (a
# background job's stdin would be /dev/null).
b_start_in() {
	local name=$1 in=$2; shift 2
	"$@" <"$in" >"$B/$name.log" 2>&1 &
	local pid=$!
	B_PIDS+=("$pid")
	echo "$pid" >"$B/$name.pid"
}

b_pid() { cat "$B/$1.pid"; }

b_stop() {
	local pid i=0 kids
	pid=$(b_pid "$1") || return 0
	# Kamailio's workers are children of its main process: stop them too
	kids=$(ps -o pid= --ppid "$pid" 2>/dev/null | tr '\n' ' ')
	kill -"${2:-TERM}" "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
	local rc=0 k
	wait "$pid" 2>/dev/null || rc=$?
	for k in $kids; do
		i=0
		while kill -0 "$k" 2>/dev/null && [ $i -lt 20 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -KILL "$k" 2>/dev/null || true
	done
	# a crash (a signal other than our TERM/KILL) is worth saying
	if [ $rc -eq 134 ] || [ $rc -eq 135 ] || [ $rc -eq 136 ] || [ $rc -eq 139 ]; then
		b_log "$1 (pid $pid) ended with status $rc"
	fi
}

b_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# Sum of the RSS of a process and its children (Kamailio forks workers).
b_rss_tree_kib() {
	local pids
	pids=$(ps -o pid= --ppid "$1" 2>/dev/null | tr '\n' ' ')
	local sum=0 p
	for p in "$1" $pids; do
		sum=$((sum + $(b_rss_kib "$p")))
	done
	echo "$sum"
}

# CPU time (user + system) of a process, in clock ticks.
# b_cpu_ticks PID: CPU time of the process and every live descendant (a
# Kamailio's work is done in its worker children, which the parent has not
# reaped, so their time is in no field of the parent's stat).
b_cpu_ticks() {
	local p t=0
	for p in $(b_tree "$1"); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
# b_tree PID: the pid and those of all its descendants
b_tree() {
	local p
	[ -n "$1" ] || return 0
	echo "$1"
	for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do b_tree "$p"; done
}

# b_cpu_snap NAME...: remember each process's CPU time; b_cpu_report
# NAME... SECONDS: "name NN%" of one core since the snapshot.
declare -A B_CPU0
b_cpu_snap() {
	local n
	for n in "$@"; do B_CPU0[$n]=$(b_cpu_ticks "$(b_pid "$n")"); done
}
b_cpu_report() {
	local secs=${!#} n out="" hz
	hz=$(getconf CLK_TCK)
	for n in "${@:1:$#-1}"; do
		out="$out $n $(awk -v a="$(b_cpu_ticks "$(b_pid "$n")")" \
			-v b="${B_CPU0[$n]:-0}" -v s="$secs" -v hz="$hz" \
			'BEGIN { printf "%d%%", 100 * (a - b) / hz / s }')"
	done
	echo "${out# }"
}

b_wait_grep() {
	local file=$1 re=$2 secs=${3:-10} i=0
	while [ $i -lt $((secs * 10)) ]; do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	b_log "timed out waiting for /$re/ in $(basename "$file")"
	return 1
}

b_wait_tcp() {
	local host=$1 port=$2 secs=${3:-10} i=0
	while [ $i -lt $((secs * 10)) ]; do
		(exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	b_log "nothing listens on $host:$port after ${secs}s"
	return 1
}

b_figure() { printf '%s: %s %s\n' "$1" "$2" "$3"; }

b_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a";
		else printf "%.2f\n", a / b }'
}

# "key value" output of sip_load -> the value of key.
b_kv() { awk -v k="$2" '$1 == k { print $2 }' "$1" | tail -1; }

# Certificates: a CA, the connector, the gateway end, beta's proxy.
b_pki() {
	. "$top_srcdir/tests/lib/tls.sh"
	local d=$B/pki
	t_ca "$d"
	t_cert "$d" conn conn1 dns:conn1 "ip:$(b_addr 1)"
	t_cert "$d" gw gateway dns:gateway "ip:$(b_addr 4)"
	t_cert "$d" beta sip.beta.example uri:sip:beta.example \
		dns:sip.beta.example "ip:$(b_addr 2)"
	t_cert "$d" kam kamailio "ip:$(b_addr 5)"
	cat "$d/kam.pem" "$d/ca.pem" >"$d/kam-chain.pem"
}

# Kamailio from the tree's peer configuration; NAME.log is its output.
# 2 GB of shared memory and the production allocator (tlsf): finished
# transactions stay in memory a few seconds, and at these rates 512 MB with
# the debugging q_malloc runs out (t_newtran: out of mem).
b_kamailio() {
	local name=$1 ip=$2 nexthop=$3 fwd=$4 tls=$5
	local kam=/usr/sbin/kamailio rd="$B/$name"
	[ -x "$kam" ] || { b_log "kamailio is not installed"; return 1; }
	mkdir -p "$rd/dbtext" "$rd/run"
	cp /usr/share/kamailio/dbtext/kamailio/* "$rd/dbtext/"
	sed -e "s/^#!substdef \"!SIP_IP!127.0.0.2!g\"/#!substdef \"!SIP_IP!$ip!g\"/" \
	    -e "s/^#!substdef \"!SIP_DOMAIN!example.org!g\"/#!substdef \"!SIP_DOMAIN!example.org!g\"/" \
	    "$top_srcdir/tests/peers/kamailio/kamailio.cfg" >"$rd/kamailio.cfg"
	local args=(-f "$rd/kamailio.cfg" -Y "$rd/run" -P "$rd/kamailio.pid"
		-m "${KAM_SHM_MB:-2048}" -M 16 -n "${KAM_CHILDREN:-4}"
		-x "${KAM_MEMMGR:-tlsf}"
		-A "NEXTHOP=\"$nexthop\"" -A "DBTEXT_URL=\"text://$rd/dbtext\""
		-A "CTL_SOCK=\"unix:$rd/run/kamailio_ctl\"")
	[ "$fwd" = stateless ] && args+=(-A WITH_STATELESS_FWD)
	if [ "$tls" = 1 ]; then
		args+=(-A "TLS_CERT=\"$B/pki/kam.pem\"" -A "TLS_KEY=\"$B/pki/kam.key\"")
	else
		args+=(-A WITHOUT_TLS)
	fi
	if ! "$kam" -c "${args[@]}" >"$rd/check.log" 2>&1; then
		b_log "kamailio config check failed:"; tail -5 "$rd/check.log" >&2
		return 1
	fi
	b_start "$name" "$kam" "${args[@]}" -DD -E
	b_wait_tcp "$ip" 5060 10 || return 1
	[ "$tls" = 1 ] && { b_wait_tcp "$ip" 5061 10 || return 1; }
	return 0
}

b_sipp() {
	local name=$1; shift
	b_start "$name" sipp "$@" -nostdin -nd -bg_no_fork 2>/dev/null ||
		b_start "$name" sipp "$@" -nostdin
}

# A finished SIPp run's -trace_stat CSV (last line) -> "ok fail".
b_sipp_counts() {
	awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
		{ last = $0 } END { split(last, f, ";");
		print f[h["SuccessfulCall(C)"]] + 0, f[h["FailedCall(C)"]] + 0 }' "$1"
}
