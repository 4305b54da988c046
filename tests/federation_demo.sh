#!/usr/bin/env bash
# The demo's contract (./quickstart demo --once | --detach DIR, ./quickstart
# stop DIR), on this test's own loopback subnet: --once sees every step and
# exits 0; --detach returns with everything running and DIR/topology.env
# naming what a script needs (and what it names works: a client logs in,
# stconfig reads the documents and the control socket); --stop stops it all.
. "$top_srcdir/tests/lib/common.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$STCONNECTOR" "$STCONFIG"
DEMO=$top_srcdir/tests/demo/demo.sh
export STSIP_DEMO_NET=$T_NET
chmod 711 "$T"		# the connectors drop to nobody when run as root

TMPDIR=$T "$DEMO" --once >"$T/once.out" 2>&1
rc=$?
cat "$T/once.out" >&2
[ $rc -eq 0 ] && t_pass "demo --once exits 0" || t_fail "demo --once exits 0 (status $rc)"
t_expect "every step seen" "$T/once.out" '^demo: all 5 steps seen' 1
for s in "alice sees bob active" "alice sees bob away: lunch" \
    "bob gets alice's message" "alice gets bob's answer" "alice sees bob offline"; do
	t_expect "step: $s" "$T/once.out" "^  ok: $s" 1
done
t_expect_not "no step failed" "$T/once.out" 'FAILED'

D=$T/detached
"$DEMO" --detach "$D" >"$T/detach.out" 2>&1 && t_pass "demo --detach returns 0" ||
	t_fail "demo --detach returns 0"
for f in "$D"/run/*.pid; do	# stopped with the test whatever happens
	[ -f "$f" ] && T_PIDS+=("$(cat "$f")")
done
if [ -f "$D/topology.env" ]; then
	t_pass "topology.env written"
	. "$D/topology.env"
else
	t_fail "topology.env written"
fi
for v in ALPHA_DOMAIN BETA_DOMAIN ALPHA_VP_HOST ALPHA_VP_PORT BETA_VP_HOST \
    BETA_VP_PORT ALPHA_SIP_HOST ALPHA_SIP_UDP_PORT ALPHA_SIP_TCP_PORT \
    ALPHA_SIP_TLS_PORT BETA_SIP_HOST BETA_SIP_UDP_PORT BETA_SIP_TCP_PORT \
    BETA_SIP_TLS_PORT ALPHA_CONFIG_DIR BETA_CONFIG_DIR ALPHA_CONTROL \
    BETA_CONTROL CA_FILE; do
	[ -n "${!v:-}" ] || t_fail "topology.env sets $v"
done
t_pass "topology.env sets every contract variable"
[ "${ALPHA_DOMAIN:-}" = alpha.example ] && [ "${BETA_DOMAIN:-}" = beta.example ] &&
	t_pass "domains alpha.example and beta.example" || t_fail "domains"
[ -f "${CA_FILE:-/nonexistent}" ] && t_pass "CA_FILE exists" || t_fail "CA_FILE exists"
"$STCONFIG" -d "${ALPHA_CONFIG_DIR:-/nonexistent}" check >/dev/null 2>&1 &&
	t_pass "ALPHA_CONFIG_DIR: stconfig check OK" || t_fail "ALPHA_CONFIG_DIR: stconfig check OK"
"$STCONFIG" -s "${BETA_CONTROL:-/nonexistent}" status >"$T/status" 2>&1 &&
	t_pass "BETA_CONTROL: stconfig status" || t_fail "BETA_CONTROL: stconfig status"
t_expect "... beta's connector is linked" "$T/status" '^links up: 1' 1
printf 'quit\n' | "$STCLIENT" -H "${BETA_VP_HOST:-x}" -P "${BETA_VP_PORT:-1}" \
	-u dave -p dave-secret >"$T/dave.out" 2>&1
t_expect "dave/dave-secret logs in at BETA_VP_HOST:BETA_VP_PORT" "$T/dave.out" '^loggedin dave' 1
(exec 3<>"/dev/tcp/$ALPHA_SIP_HOST/$ALPHA_SIP_TLS_PORT") 2>/dev/null &&
	t_pass "ALPHA_SIP_HOST:ALPHA_SIP_TLS_PORT listens" ||
	t_fail "ALPHA_SIP_HOST:ALPHA_SIP_TLS_PORT listens"

"$DEMO" --stop "$D" >"$T/stop.out" 2>&1 && t_pass "demo --stop returns 0" ||
	t_fail "demo --stop returns 0"
sleep 0.5
alive=0
if (exec 3<>"/dev/tcp/$ALPHA_VP_HOST/$ALPHA_VP_PORT") 2>/dev/null ||
   (exec 3<>"/dev/tcp/$BETA_SIP_HOST/$BETA_SIP_TLS_PORT") 2>/dev/null; then
	alive=1
fi
[ $alive = 0 ] && t_pass "after --stop nothing listens" || t_fail "after --stop nothing listens"
[ -f "$D/run/order" ] && t_fail "--stop forgot what it stopped" ||
	t_pass "--stop cleared its process list"
t_done
