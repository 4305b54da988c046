#!/bin/bash
# The link listener: CommunityTrustedIps, certificates, connector names,
# reload with a new trust list, heartbeats declaring a silent connector dead.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"

[ -x "$STGATEWAY" ] || t_skip "stsipgateway not built"
[ -x "$STCONFIG" ] || t_skip "stconfig not built"
PEER=$top_builddir/tests/gateway_sippeer
[ -x "$PEER" ] || t_skip "gateway_sippeer not built"

GW_ADDR=$(t_addr 2)
D=$T/conf
mkdir -p "$D/ExternCommunity" "$D/CommunityConnector"
# Only 127.0.0.2 is trusted; the peer connects from 127.0.0.1.
cat >"$D/CommunityConnectivity.ini" <<EOF
[CommunityConnectivity]
VPMX_HOSTNAME = $(t_addr 1)
VPMX_PORT = 1533
CommunityTrustedIps = 127.0.0.2
EOF
cat >"$D/CommunityGateway.ini" <<EOF
[CommunityGateway]
SupportExternalCommunities = true
EOF
cat >"$D/ExternCommunity/beta.ini" <<EOF
[ExternCommunity]
CommunityName = beta
Domains = beta.example
EOF
cat >"$D/CommunityConnector/edge1.ini" <<EOF
[CommunityConnector]
ConnectorName = edge1
IP = 127.0.0.98
SupportedCommunities = beta
EOF
t_ca "$T/pki"
t_cert "$T/pki" gw gateway "ip:$GW_ADDR"
t_cert "$T/pki" edge edge1 "dns:edge1"
t_ca "$T/other"
t_cert "$T/other" edge edge1 "dns:edge1"
cat >"$T/gw.conf" <<EOF
LinkListen = $GW_ADDR
TLSCert = $T/pki/gw.pem
TLSKey = $T/pki/gw.key
TLSCA = $T/pki/ca.pem
ControlSocket = $T/gw.sock
TraceFile = $T/trace.log
EOF

# Settings errors name file:line.
printf 'LinkPort = 99999\nNoSuchKey = 1\n' >"$T/bad.conf"
"$STGATEWAY" -n -c "$D" -f "$T/bad.conf" 2>"$T/bad.log" &&
	t_fail "bad settings refused" || t_pass "bad settings refused"
t_expect "bad port named with file:line" "$T/bad.log" "bad.conf:1: LinkPort"
t_expect "unknown key named with file:line" "$T/bad.log" "bad.conf:2: NoSuchKey"

t_start gateway "$STGATEWAY" -d -c "$D" -f "$T/gw.conf"
t_wait_grep "$T/gateway.log" "link: listening" 15 || { t_fail "gateway listens ($(head -3 "$T/gateway.log"))"; t_done; exit; }

peer_run() {	# NAME PKI CONNECTOR: a peer with stdin held open
	t_fifo "$1"
	"$PEER" "$2/edge.pem" "$2/edge.key" "$2/ca.pem" "$3" "$GW_ADDR" 5070 \
		<"$T/$1.in" >"$T/$1.log" 2>"$T/$1.err.log" &
	T_PIDS+=("$!")
	echo "$!" >"$T/$1.pid"
}

peer_run p1 "$T/pki" edge1
t_expect "untrusted source address: link closed" "$T/p1.log" "^closed$"
t_expect "refusal logged with the address" "$T/gateway.log" \
	"connection from 127.0.0.1 refused: not in CommunityTrustedIps"
t_expect_not "untrusted connector got no CONFIG" "$T/p1.log" "^config"

sed -i 's/^CommunityTrustedIps = .*/CommunityTrustedIps = 127.0.0.0\/8/' \
	"$D/CommunityConnectivity.ini"
"$STCONFIG" -s "$T/gw.sock" reload >/dev/null 2>&1 &&
	t_pass "reload with the new trust list" ||
	t_fail "reload with the new trust list"

peer_run p2 "$T/other" edge1
t_expect "certificate from another CA: link closed" "$T/p2.log" "^closed$"
t_expect_not "... without HELLO_ACK" "$T/p2.log" "^up "

peer_run p3 "$T/pki" nosuch
t_expect "unknown connector name: ERROR and close" "$T/p3.log" "^closed$"
t_expect "... logged with its name" "$T/gateway.log" \
	'connector "nosuch" .* has no CommunityConnector document'

peer_run p4 "$T/pki" edge1
t_expect "trusted connector: HELLO_ACK" "$T/p4.log" "^up stsipgateway$"
t_expect "... and CONFIG" "$T/p4.log" "^config 3$"
"$STCONFIG" -s "$T/gw.sock" status >"$T/status.out" 2>&1
t_expect "status lists the link by name and address" "$T/status.out" \
	"link edge1 127.0.0.1:[0-9]+ up"
t_expect "status counts refused connections" "$T/status.out" "refused [1-9]"

# SIGHUP: the documents are read again and pushed to the connector.
sed -i 's/^Domains = beta.example$/Domains = beta.example, *.beta.example/' \
	"$D/ExternCommunity/beta.ini"
"$STCONFIG" -s "$T/gw.sock" trace on >/dev/null 2>&1
mv "$T/trace.log" "$T/trace.log.1"	# rotated
kill -HUP "$(t_pid gateway)"
t_expect "SIGHUP reopens a rotated trace file" "$T/trace.log" "trace on"
t_check "SIGHUP pushes the documents to the connector again" \
	t_wait_count "$T/p4.log" '^config ' 2 5
t_expect "the connector acknowledged the new generation" "$T/gateway.log" \
	"edge1 applied CONFIG generation 3"
# A bad set on SIGHUP: refused, the old one kept, errors logged.
echo "Port = 0" >>"$D/ExternCommunity/beta.ini"
kill -HUP "$(t_pid gateway)"
t_expect "bad set on SIGHUP: error with file:line" "$T/gateway.log" \
	"beta.ini:[0-9]+: Port"
t_expect "... and the running set is kept" "$T/gateway.log" \
	"running set \\(generation 3\\) is kept"

# A connector that stops talking is declared dead (LINK_DEAD_SECS).
kill -STOP "$(cat "$T/p4.pid")"
t_expect "silent connector: link closed by heartbeat" "$T/gateway.log" \
	"edge1 .* closed: no frame for too long" 12
kill -CONT "$(cat "$T/p4.pid")"

# A reload that stops trusting a connected connector closes its link.
peer_run p5 "$T/pki" edge1
t_expect "p5 up" "$T/p5.log" "^up stsipgateway$"
sed -i '/^Port = 0$/d' "$D/ExternCommunity/beta.ini"
sed -i 's/^CommunityTrustedIps = .*/CommunityTrustedIps = 127.0.0.2/' \
	"$D/CommunityConnectivity.ini"
"$STCONFIG" -s "$T/gw.sock" reload >/dev/null 2>&1 ||
	t_fail "reload with a narrower trust list"
t_expect "connector no longer trusted: link closed" "$T/p5.log" "^closed$"
t_expect "... and logged" "$T/gateway.log" "no longer in CommunityTrustedIps"

# Control socket: versioned, unknown commands refused.
printf '\002\001\000\000\000\000\000\006status' | \
	timeout 5 socat - "UNIX-CONNECT:$T/gw.sock" >"$T/v2.out" 2>/dev/null ||
	python3 -c "
import socket,sys
s=socket.socket(socket.AF_UNIX); s.connect('$T/gw.sock')
s.sendall(b'\x02\x01\x00\x00\x00\x00\x00\x06status'); sys.stdout.buffer.write(s.recv(4096))" >"$T/v2.out"
grep -aq 'protocol version 2 not supported' "$T/v2.out" &&
	t_pass "control socket refuses another protocol version" ||
	t_fail "control socket refuses another protocol version"
# Only root and the gateway's own user are served: another uid that can
# reach the socket is refused by its peer credentials.
if command -v runuser >/dev/null && [ "$(id -u)" = 0 ]; then
	chmod 711 "$T"
	chmod 666 "$T/gw.sock"
	runuser -u nobody -- "$STCONFIG" -s "$T/gw.sock" status \
		>"$T/nobody.out" 2>&1 &&
		t_fail "another user is refused" || t_pass "another user is refused"
	t_expect "refusal logged with the uid" "$T/gateway.log" \
		"control: connection from uid [0-9]+ refused"
	chmod 660 "$T/gw.sock"
fi
"$STCONFIG" -s "$T/gw.sock" trace sideways >/dev/null 2>&1
[ $? -eq 2 ] && t_pass "stconfig trace with a bad argument: usage" ||
	t_fail "stconfig trace with a bad argument: usage"

t_stop gateway
t_expect_not "gateway exits without sanitizer reports" "$T/gateway.log" \
	"Sanitizer|runtime error"
t_done
