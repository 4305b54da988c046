# tests/community_lib.sh: helpers for the community_*.sh tests (source after
# tests/lib/common.sh): a private stcommunity on this test's loopback subnet.
#
#   cs_start USER...   config directory $T/conf, users file $T/users (each
#                      USER with password $(cs_password USER), e-mail
#                      USER@alpha.example, display name "User User"),
#                      storage $T/storage, stcommunity -D on $CS_ADDR:$CS_PORT
#                      (log in $T/community.log).  CS_SETTINGS, if set, is
#                      written into stcommunity.conf instead of the default
#                      [community] section.  The gateway is trusted from
#                      t_addr 2 only.

. "$top_srcdir/tests/lib/docs.sh"

CS_ADDR=$(t_addr 1)
CS_PORT=1533

cs_password() { printf 'pw-%s-%s' "$1" "$T_NAME"; }

cs_add_user() {	# cs_add_user ID PASSWORD
	local h
	h=$(printf '%s\n' "$2" | "$STCOMMUNITY" -P -r 1000) || return 1
	printf '%s:%s:%s@alpha.example:%s User\n' "$1" "$h" "$1" "${1^}" \
		>>"$T/users"
}

cs_write_conf() {
	local d=$T/conf
	mkdir -p "$d" "$T/storage"
	doc_community "$d" "$CS_ADDR" "$(t_addr 2)" false
	if [ -n "${CS_SETTINGS:-}" ]; then
		printf '%s\n' "$CS_SETTINGS" >"$d/stcommunity.conf"
	else
		doc_community_conf "$d/stcommunity.conf" "$T/users" \
			"$T/storage"
	fi
}

cs_start() {
	local u
	: >"$T/users"
	chmod 600 "$T/users"	# password hashes: stcommunity refuses 0644
	for u in "$@"; do
		cs_add_user "$u" "$(cs_password "$u")" || return 1
	done
	cs_write_conf
	t_start community "$STCOMMUNITY" -D -v -c "$T/conf"
	cs_wait_started
}

# cs_wait_started: our server listens (not another test's on this subnet).
cs_wait_started() {
	t_wait_tcp "$CS_ADDR" "$CS_PORT" 15 || return 1
	if ! t_wait_grep "$T/community.log" 'stcommunity ready' 10 ||
	    ! kill -0 "$(t_pid community)" 2>/dev/null; then
		t_log "stcommunity did not start: $(tail -3 "$T/community.log")"
		return 1
	fi
}

# cs_stop: SIGTERM the server; it must exit 0 promptly, with no sanitizer
# report in its log.
cs_stop() {
	local pid; pid=$(t_pid community)
	kill -TERM "$pid" 2>/dev/null
	local i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		t_fail "stcommunity exits on SIGTERM"
		return
	fi
	local rc=0
	wait "$pid" 2>/dev/null || rc=$?
	[ "$rc" = 0 ] && t_pass "stcommunity exits 0 on SIGTERM" ||
		t_fail "stcommunity exits 0 on SIGTERM (status $rc)"
	t_expect_not "no sanitizer report" "$T/community.log" \
		'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error'
}

# cs_cmd NAME LINE...: write the lines to the stdin FIFO of client NAME
# ($T/NAME.in, made by t_fifo), never blocking without bound: a client
# whose pid ($T/NAME.pid) has exited is not written to, and a write that
# does not finish within CS_CMD_TIMEOUT seconds (a full pipe nobody reads)
# is abandoned.  Both are logged and return 1; the test's expectations
# then fail on their own.  The write goes through a child (tee opens the
# FIFO itself), so that timeout can end it: the shell's own writes to an
# fd cannot be interrupted.
CS_CMD_TIMEOUT=10
cs_cmd() {
	local name=$1; shift
	printf '%s\n' "$@" | cs_feed "$name"
}

# cs_feed NAME [SECONDS] <INPUT: the same for a whole input stream.
cs_feed() {
	local name=$1 secs=${2:-$CS_CMD_TIMEOUT} pid
	if [ -f "$T/$name.pid" ]; then
		pid=$(cat "$T/$name.pid")
		if ! kill -0 "$pid" 2>/dev/null; then
			cat >/dev/null
			t_log "$name has exited: input not written"
			return 1
		fi
	fi
	if ! timeout "$secs" tee -a "$T/$name.in" >/dev/null; then
		t_log "$name: input not written within ${secs}s"
		return 1
	fi
}
