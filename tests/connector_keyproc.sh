#!/bin/bash
# Least privilege: the TLS private key lives only in the key process.  With
# the connector started as root (user = nobody), the link and inbound SIP
# over TLS work; the process that holds the listening sockets and parses
# SIP has no trace of the private key in its memory (PEM, DER, the private
# value), the key process has; the key process holds no network socket and
# runs as nobody; killing it stops the connector with a log line and a
# non-zero status.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/connector_lib.sh"

[ "$(id -u)" = 0 ] || t_skip "needs root (to start as root and read /proc/PID/mem)"
command -v python3 >/dev/null || t_skip "python3 is missing"
SCAN="python3 $top_srcdir/tests/connector_keyproc_scan.py"

cn_setup_tls
cn_start_peer
# the link is TLS with certificates checked both ways
cn_start_conn || t_fail "connector got its configuration over the TLS link"
t_wait_tcp "$C" 5061 5

M=$T/msg; mkdir -p "$M"
cn_msg "$M/tls_message" MESSAGE sip:alice@alpha.example beta.example TLS
"$SIPCLIENT" -t tls -b "$B" -a "$PKI/ca.pem" -c "$PKI/beta.pem" \
	-k "$PKI/beta.key" "$C:5061" "$M/tls_message" >"$T/in_ok"
cat "$T/in_ok" >&2
t_expect "inbound SIP over TLS with beta's certificate: 200" "$T/in_ok" \
	'^tls_message: 200'
t_expect "key process started" "$T/conn.log" \
	'key process [0-9]+ holds 1 private key'

CONN=$(t_pid conn)
KP=$(sed -nE 's/.*key process ([0-9]+) holds.*/\1/p' "$T/conn.log" | head -1)
[ -n "$KP" ] && [ -d "/proc/$KP" ] || t_fail "key process $KP runs"
echo "connector $CONN, key process $KP" >&2
ppid=$(awk '/^PPid:/ {print $2}' "/proc/$KP/status")
[ "$ppid" = "$CONN" ] && t_pass "key process is the connector's child" ||
	t_fail "key process parent $ppid, not $CONN"
for p in "$CONN" "$KP"; do
	uid=$(awk '/^Uid:/ {print $2 " " $3 " " $4}' "/proc/$p/status")
	[ "$uid" = "$(id -u nobody) $(id -u nobody) $(id -u nobody)" ] &&
		t_pass "process $p runs as nobody" ||
		t_fail "process $p uids: $uid"
done

# (2) memory: none of the key in the parser, the key in the key process
$SCAN "$CONN" "$PKI/conn.key" >"$T/scan_conn" 2>&1
$SCAN "$KP" "$PKI/conn.key" >"$T/scan_kp" 2>&1
echo "connector: $(cat "$T/scan_conn"); key process: $(cat "$T/scan_kp")" >&2
t_expect "no trace of the private key in the SIP-parsing process" \
	"$T/scan_conn" '^none$' 1
t_expect "the key process holds the private value" "$T/scan_kp" \
	'(^| )scalar( |$)' 1

# (3) descriptors: the connector listens; the key process has one socket,
# its end of the socketpair (a Unix socket), and nothing else
socks() { ls -l "/proc/$1/fd" 2>/dev/null | sed -nE 's/.*socket:\[([0-9]+)\].*/\1/p'; }
inet() { cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null |
	awk '{print $10}'; }
inet >"$T/inet_inodes"
n_conn=$(socks "$CONN" | grep -cxFf "$T/inet_inodes" || true)
n_kp_inet=$(socks "$KP" | grep -cxFf "$T/inet_inodes" || true)
n_kp=$(socks "$KP" | wc -l)
echo "network sockets: connector $n_conn, key process $n_kp_inet of $n_kp" >&2
[ "$n_conn" -ge 2 ] && t_pass "the connector holds its network sockets" ||
	t_fail "connector network sockets: $n_conn"
[ "$n_kp_inet" = 0 ] && [ "$n_kp" = 1 ] &&
	t_pass "key process: no network socket, one socketpair end" ||
	t_fail "key process sockets: $n_kp ($n_kp_inet network)"
ls -l "/proc/$KP/fd" >&2

# (4) without its keys the connector stops
kill -KILL "$KP"
st=0
for i in $(seq 50); do kill -0 "$CONN" 2>/dev/null || break; sleep 0.1; done
wait "$CONN" 2>/dev/null || st=$?
t_expect "loss of the key process logged" "$T/conn.log" \
	"key process $KP killed by signal 9; stopping" 1
[ "$st" != 0 ] && ! kill -0 "$CONN" 2>/dev/null &&
	t_pass "connector exited (status $st)" ||
	t_fail "connector still runs or exited 0 (status $st)"
t_expect_not "no sanitizer report from the connector" "$T/conn.log" \
	'Sanitizer|runtime error'
t_stop peer TERM
t_done
