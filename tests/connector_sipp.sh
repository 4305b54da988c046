#!/bin/bash
# SIPp as beta.example's SIP server: MESSAGE and SUBSCRIBE over UDP and TCP
# go through the connector to the gateway end of the link and the 200s come
# back; the same scenario from an address DNS does not give for beta gets
# 403 (SIPp fails the call).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/connector_lib.sh"
command -v sipp >/dev/null || t_skip "sipp (sip-tester) not installed"

cn_setup
cn_start_peer -q
cn_start_conn || t_fail "connector got its configuration"

# run NAME SCENARIO TRANSPORT(u1|t1) SOURCE CALLS
run() {
	sipp -sf "$top_srcdir/tests/$2" -t "$3" -i "$4" -p 0 \
		-key rdomain alpha.example -key fdomain beta.example -s alice \
		-m "$5" -r 20 -timeout 15s -timeout_error -nostdin \
		-trace_stat -stf "$T/$1.csv" "$C:5060" >"$T/$1.out" 2>&1 </dev/null
}
counts() { tail -1 "$T/$1.csv" | awk -F';' -v s="$2" -v f="$3" '{print $s, $f}'; }

for tp in u1 t1; do
	run "msg_$tp" connector_sipp_message.xml "$tp" "$B" 20
	run "sub_$tp" connector_sipp_subscribe.xml "$tp" "$B" 20
done
run msg_stranger connector_sipp_message.xml u1 "$X" 5

# columns of SIPp's stat file: SuccessfulCall(C) and FailedCall(C)
hdr=$(head -1 "$T/msg_u1.csv" 2>/dev/null)
col() { echo "$hdr" | tr ';' '\n' | grep -n "^$1\$" | cut -d: -f1; }
S=$(col 'SuccessfulCall(C)'); F=$(col 'FailedCall(C)')
for t in msg_u1 sub_u1 msg_t1 sub_t1; do
	set -- $(counts "$t" "$S" "$F")
	if [ "${1:-0}" = 20 ] && [ "${2:-1}" = 0 ]; then
		t_pass "$t: 20 of 20 calls answered 200"
	else
		t_fail "$t: ${1:-?} succeeded, ${2:-?} failed"
	fi
done
set -- $(counts msg_stranger "$S" "$F")
[ "${1:-1}" = 0 ] && [ "${2:-0}" = 5 ] && t_pass "stranger: all 5 refused" ||
	t_fail "stranger: ${1:-?} succeeded, ${2:-?} failed"
t_expect "stranger refused with 403 and logged" "$T/conn.log" "403 for beta.example from $X"
cn_peer count
t_expect "the gateway end got exactly the 80 good requests" "$T/peer.log" '^COUNT 80$' 5
cn_finish
t_done
