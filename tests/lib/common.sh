# tests/lib/common.sh: shared helpers for the multi-process integration tests.
# Source it from a test script:  . "$top_srcdir/tests/lib/common.sh"
#
# Every test gets its own scratch directory ($T), its own loopback subnet
# (t_addr N -> 127.B.C.N, derived from the test's name, so parallel tests
# never fight over ports) and a cleanup trap that stops every process it
# started.  Loops are bounded; nothing touches the machine's DNS resolver.

set -u
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir

T_NAME=$(basename "${0%.sh}")
T=$(mktemp -d "${TMPDIR:-/tmp}/stsip-$T_NAME.XXXXXX")
T_PIDS=()
T_FAILS=0
T_PASSES=0

# Binaries of this build.
STCOMMUNITY=$top_builddir/community/stcommunity
STCONNECTOR=$top_builddir/connector/stsipconnector
STGATEWAY=$top_builddir/gateway/stsipgateway
STCONFIG=$top_builddir/tools/stconfig
STCLIENT=$top_builddir/tools/stclient

t_log() { printf '%s: %s\n' "$T_NAME" "$*" >&2; }

# A loopback subnet of our own: 127.B.C.0/24 from a hash of the test name and
# the build directory, so two builds running the same test at once (a normal
# and a sanitizer build, distcheck beside check) do not collide.
_t_h=$(printf '%s|%s' "$T_NAME" "$top_builddir" | cksum | cut -d' ' -f1)
T_NET="127.$(( (_t_h % 200) + 20 )).$(( (_t_h / 200) % 250 + 1 ))"
t_addr() { printf '%s.%s' "$T_NET" "${1:-1}"; }

t_cleanup() {
	local p
	for p in "${T_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${T_PIDS[@]}"; do
		local i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -KILL "$p" 2>/dev/null || true
	done
	if [ "${T_KEEP:-0}" = 1 ] || [ "$T_FAILS" -gt 0 ]; then
		t_log "scratch directory kept: $T"
		local f
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "----- $f (last 40 lines)"
			tail -40 "$f"
		done
	else
		rm -rf "$T"
	fi
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

# t_start NAME CMD...: run CMD in the background, output in $T/NAME.log.
# The pid is in $T/NAME.pid and stopped at exit.
t_start() {
	local name=$1; shift
	: >"$T/$name.log"	# now, not in the background: a restarted
				# process's waits must not see the old lines
	"$@" >>"$T/$name.log" 2>&1 &
	local pid=$!
	T_PIDS+=("$pid")
	echo "$pid" >"$T/$name.pid"
}

t_pid() { cat "$T/$1.pid"; }

# t_stop NAME [SIGNAL]
t_stop() {
	local pid; pid=$(t_pid "$1")
	kill -"${2:-TERM}" "$pid" 2>/dev/null || true
	local i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

# t_until SECONDS CMD...: run CMD every 0.1 s until it succeeds (0), or
# until SECONDS have passed (1).
t_until() {
	local n=$(($1 * 10)) i=0
	shift
	until "$@"; do
		[ $i -ge $n ] && return 1
		sleep 0.1; i=$((i + 1))
	done
}

# t_wait_tcp HOST PORT [SECONDS]: wait until something listens there.
t_tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
t_wait_tcp() {
	t_until "${3:-10}" t_tcp_open "$1" "$2" && return 0
	t_log "nothing listens on $1:$2 after ${3:-10}s"
	return 1
}

# t_wait_grep FILE REGEX [SECONDS]: wait until a line of FILE matches.
t_wait_grep() { t_until "${3:-10}" grep -Eq -- "$2" "$1" 2>/dev/null; }

# t_wait_count FILE REGEX N [SECONDS]: until FILE has N or more lines
# matching REGEX (extended).
t_count_ge() { [ "$(grep -Ec -- "$2" "$1" 2>/dev/null)" -ge "$3" ]; }
t_wait_count() { t_until "${4:-10}" t_count_ge "$1" "$2" "$3"; }

# t_check WHAT CMD...: t_pass WHAT if CMD succeeds, else t_fail WHAT.
t_check() {
	local what=$1
	shift
	if "$@"; then t_pass "$what"; else t_fail "$what"; fi
}

# t_expect WHAT FILE REGEX [SECONDS]: a named assertion on a log/output file.
t_expect() {
	local what=$1 file=$2 re=$3 secs=${4:-10}
	if t_wait_grep "$file" "$re" "$secs"; then
		t_pass "$what"
	else
		t_fail "$what (no line matching /$re/ in $(basename "$file"))"
	fi
}

# t_expect_not WHAT FILE REGEX: FILE has no matching line (checked now).
t_expect_not() {
	local what=$1 file=$2 re=$3
	if grep -Eq -- "$re" "$file" 2>/dev/null; then
		t_fail "$what (unexpected: $(grep -E -m1 -- "$re" "$file"))"
	else
		t_pass "$what"
	fi
}

t_pass() { T_PASSES=$((T_PASSES + 1)); printf 'ok %d - %s\n' "$T_PASSES" "$*"; }
t_fail() { T_FAILS=$((T_FAILS + 1)); printf 'not ok - %s\n' "$*"; }

# t_skip REASON: the whole test cannot run here (automake's exit 77).
# Whatever it started is stopped first.
t_skip() { t_log "SKIP: $*"; T_FAILS=0; trap - EXIT; t_cleanup; exit 77; }

# t_need PROGRAM...: skip the test unless every PROGRAM is built.
t_need() {
	local p
	for p in "$@"; do
		[ -x "$p" ] || t_skip "$p not built"
	done
}

# t_done: summary line and exit status.
t_done() {
	printf '%d passed, %d failed\n' "$T_PASSES" "$T_FAILS"
	[ "$T_FAILS" -eq 0 ] && [ "$T_PASSES" -gt 0 ]
}

# t_fifo NAME: a FIFO held open for writing, to drive a client's stdin.
# Write with: echo "cmd" >&"${T_FD[NAME]}"
declare -A T_FD
# t_stclient NAME HOST USER PASSWORD: stclient USER on HOST:1533 in the
# background, its commands through the FIFO NAME (printf ... >&"${T_FD[NAME]}"),
# its events in $T/NAME.log ("loggedin USER" first), stderr in
# $T/NAME.err.log.
t_stclient() {
	t_fifo "$1"
	"$STCLIENT" -H "$2" -P 1533 -u "$3" -p "$4" <"$T/$1.in" \
		>"$T/$1.log" 2>"$T/$1.err.log" &
	T_PIDS+=("$!")
}

t_fifo() {
	local name=$1
	mkfifo "$T/$name.in"
	exec {fd}<>"$T/$name.in"
	T_FD[$name]=$fd
}
