# tests/client_common.sh: helpers for the client_*.sh tests (source after
# tests/lib/common.sh).  A private stcommunity on this test's loopback
# subnet, and line-protocol clients (stclient, client_purple) driven
# through FIFOs, each client's events in $T/NAME.log, stderr in
# $T/NAME.stderr.log.

. "$top_srcdir/tests/lib/docs.sh"

CC_ADDR=$(t_addr 1)
CC_PORT=1533
CC_STATUS=0

# Client processes only: the leak check runs with full stacks so that the
# suppressions for libmeanwhile's own leaks match (client_lsan.supp).
CC_CLIENT_ENV=(env
	"ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
	"LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$top_srcdir/tests/client_lsan.supp")

cc_password() { printf 'pw-%s-%s' "$1" "$T_NAME"; }

# cc_start_community USER...: config directory, users file and a running
# stcommunity in the foreground (pid in $T/community.pid).
cc_start_community() {
	local d=$T/conf u
	mkdir -p "$d" "$T/storage"
	doc_community "$d" "$CC_ADDR" "$(t_addr 9)" false
	: >"$T/users"
	doc_community_conf "$d/stcommunity.conf" "$T/users" "$T/storage"
	for u in "$@"; do
		cc_add_user "$u" "$(cc_password "$u")" || return 1
	done
	t_start community "$STCOMMUNITY" -D -v -c "$d"
	# Never talk to somebody else's server on the same address (another
	# build tree running this very test): wait for ours to say it is
	# ready, or to die.
	local i=0
	while ! grep -q 'ready' "$T/community.log" 2>/dev/null &&
	    kill -0 "$(t_pid community)" 2>/dev/null && [ $i -lt 150 ]; do
		sleep 0.1; i=$((i + 1))
	done
	t_wait_tcp "$CC_ADDR" "$CC_PORT" 5 || return 1
	if ! kill -0 "$(t_pid community)" 2>/dev/null; then
		t_log "stcommunity exited: $(tail -1 "$T/community.log")"
		return 1
	fi
}

# cc_add_user ID PASSWORD: one line of the users file (cheap hash rounds).
cc_add_user() {
	local h
	h=$(printf '%s\n' "$2" | "$STCOMMUNITY" -P -r 1000) || return 1
	printf '%s:%s:%s@alpha.example:%s\n' "$1" "$h" "$1" "$1" >>"$T/users"
}

# cc_client NAME [PROGRAM ARGS...]: a client reading $T/NAME.in; by
# default stclient logged in as NAME.
cc_client() {
	local name=$1; shift
	t_fifo "$name"
	if [ $# -eq 0 ]; then
		set -- "$STCLIENT" -H "$CC_ADDR" -P "$CC_PORT" -u "$name" \
			-p "$(cc_password "$name")"
	fi
	"${CC_CLIENT_ENV[@]}" "$@" <"$T/$name.in" >"$T/$name.log" \
		2>"$T/$name.stderr.log" &
	local pid=$!
	T_PIDS+=("$pid")
	echo "$pid" >"$T/$name.pid"
}

cc_cmd() { printf '%s\n' "$2" >&"${T_FD[$1]}"; }

# cc_mark NAME: how many event lines NAME has printed so far.
cc_mark() { wc -l <"$T/$1.log" | tr -d ' '; }

# cc_expect_new WHAT NAME MARK REGEX [SECONDS]: a matching line appears
# after line MARK of NAME's events.
cc_expect_new() {
	local what=$1 name=$2 mark=$3 re=$4 secs=${5:-10} i=0
	while [ $i -lt $((secs * 10)) ]; do
		if tail -n +"$((mark + 1))" "$T/$name.log" | grep -Eq -- "$re"; then
			t_pass "$what"
			return 0
		fi
		sleep 0.1; i=$((i + 1))
	done
	t_fail "$what (no line matching /$re/ in $name.log after line $mark)"
}

# cc_expect_none WHAT NAME MARK REGEX: no such line after MARK (now).
cc_expect_none() {
	local what=$1 name=$2 mark=$3 re=$4
	if tail -n +"$((mark + 1))" "$T/$name.log" | grep -Eq -- "$re"; then
		t_fail "$what (unexpected line in $name.log)"
	else
		t_pass "$what"
	fi
}

# cc_wait_exit NAME [SECONDS]: wait for the client to end; its exit status
# is left in CC_STATUS; true when it is 0.
cc_wait_exit() {
	local pid; pid=$(t_pid "$1")
	local secs=${2:-10} i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt $((secs * 10)) ]; do
		sleep 0.1; i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		CC_STATUS=timeout
		return 1
	fi
	CC_STATUS=0
	wait "$pid" || CC_STATUS=$?
	[ "$CC_STATUS" = 0 ]
}
