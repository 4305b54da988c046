#!/usr/bin/env bash
# Fault tests: alpha.example (stcommunity, stsipgateway with ConvertID
# through slapd, stsipconnector) under a steady MESSAGE load in both
# directions, while the gateway, the connector, stcommunity and slapd are
# killed (SIGKILL) and started again in turn, and then the gateway hangs
# (SIGSTOP) for 8 s, past the link's heartbeat limit.  The load and the
# bookkeeping are tests/hardening_faults.py: beta.example's SIP server
# over TCP (MESSAGE to alice at a fixed rate, answers alpha's MESSAGEs and
# SUBSCRIBE, watches alice) and two stclient users (alice receives and
# watches bob; carol sends to 150 external recipients).
#
# Asserted: every MESSAGE acknowledged (200 to the SIP sender; no error
# for the Sametime sender) was delivered exactly once, every other one had
# a final error (no silence), no message was delivered twice; after each
# restart presence flows again both ways by itself (alice sees bob's new
# note, bob's subscription sees alice's new note) together with IM both
# ways; no daemon but the killed one was started again; the gateway's and
# the connector's memory (VmRSS) returns near its baseline.  Figures are
# printed as "name: value unit" lines.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/federation.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$STCONNECTOR" "$STCONFIG"
slapd_available || t_skip "slapd not installed"
command -v python3 >/dev/null || t_skip "python3 not installed"
ASAN=${STSIP_ASAN:-0}

fed_t_setup
A=$FED_DIR/alpha
BETA=$FED_BETA_CONN	# beta.example's SIP server: the load tool
# beta is a plain SIP server over TCP, at the address of the document
"$STCONFIG" -d "$A/conf" set ExternCommunity beta "DNS=$BETA" Port=5060 \
	Transport=tcp VerifyCertificate=false >/dev/null ||
	{ t_fail "stconfig: beta over TCP"; t_done; exit; }

# ConvertID through slapd, with short caches so that the directory's
# outage is felt by the traffic
LDAP_ADDR=$T_NET.12
slapd_init "$T/ldap" dc=alpha,dc=example
slapd_user alice alice-secret alice@alpha.example
slapd_user carol carol-secret carol@alpha.example
slapd_start "$LDAP_ADDR" 3890 || { t_fail "slapd starts"; t_done; exit; }
sed -i -e 's/^ConvertIdBackend = .*/ConvertIdBackend = ldap/' \
	-e 's/^SipTimeout = .*/SipTimeout = 5/' "$A/gateway.conf"
cat >>"$A/gateway.conf" <<EOF
LdapURL = $SLAPD_URL
LdapSearchBase = $SLAPD_BASE
LdapPersonFilter = (objectClass=inetOrgPerson)
LdapTimeout = 2
CacheTTL = 2
CacheNegativeTTL = 1
ReconnectMax = 2
EOF
printf 'TraceFile = %s\n' "$A/community-trace.log" >>"$A/community.conf"
fed_t_up alpha
t_pass "alpha up: stcommunity, stsipgateway (ConvertID by slapd), stsipconnector"

mkfifo "$T/ctl"
exec {CTL}<>"$T/ctl"
t_start load python3 "$top_srcdir/tests/hardening_faults.py" \
	--addr "$BETA" --connector "$FED_ALPHA_CONN:5060" \
	--vp "$FED_ALPHA_GW:$FED_VP_PORT" --stclient "$STCLIENT" \
	--dir "$T" --ctl "$T/ctl" --rate-in 25 --rate-out 20
ctl() { printf '%s\n' "$*" >&"$CTL"; }
LOAD=$T/load.log

rss() {	# rss NAME: VmRSS in kB of a federation daemon
	awk '/^VmRSS:/ { print $2 }' "/proc/$(fed_pid "$1")/status" 2>/dev/null ||
		echo 0
}
# count of a log's matching lines, and a wait for more of them
nlines() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }
wait_more() {	# wait_more FILE REGEX N SECS: until more than N lines match
	local i=0
	while [ $i -lt $(($4 * 10)) ]; do
		[ "$(nlines "$1" "$2")" -gt "$3" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# warm-up and baseline
t_wait_grep "$T/stclient-alice.out" "presence @E bob@beta\.example active" 20 &&
	t_wait_grep "$T/stclient-carol.out" "loggedin" 5 ||
	{ t_fail "the load runs (clients logged in, alice sees bob)"; t_done; exit; }
ctl start
sleep 6
rss_gw0=$(rss alpha-gateway); rss_cn0=$(rss alpha-connector)
echo "rss_gateway_before: $rss_gw0 kB"
echo "rss_connector_before: $rss_cn0 kB"

keep_log() { cp "$FED_DIR/$1.log" "$T/$1.$2.log" 2>/dev/null || true; }

restart() {	# restart NAME: kill -9, 1 s down, start again
	local n=$1 t0 was
	kill -0 "$(t_pid load)" 2>/dev/null ||
		{ t_fail "the load tool runs"; t_done; exit; }
	ctl "kill $n"
	t0=$(date +%s.%N)
	case $n in
	gateway)
		fed_kill alpha-gateway KILL; keep_log alpha-gateway 1
		sleep 1
		fed_start_gateway alpha &&
			wait_more "$FED_DIR/alpha-gateway.log" \
				"alpha-edge applied CONFIG generation" 0 20 ;;
	connector)
		was=$(nlines "$FED_DIR/alpha-gateway.log" \
			"alpha-edge applied CONFIG generation")
		fed_kill alpha-connector KILL; keep_log alpha-connector 1
		sleep 1
		fed_spawn alpha-connector "$FED_ALPHA_CONN" "$FED_STCONNECTOR" \
			-D -f "$A/connector.conf"
		wait_more "$FED_DIR/alpha-gateway.log" \
			"alpha-edge applied CONFIG generation" "$was" 20 ;;
	community)
		fed_kill alpha-community KILL; keep_log alpha-community 1
		sleep 1
		fed_start_community alpha ;;
	slapd)
		t_stop slapd KILL; cp "$T/slapd.log" "$T/slapd.1.log"
		sleep 1
		t_start slapd "$SLAPD_BIN" -d 0 -f "$SLAPD_DIR/slapd.conf" \
			-h "$SLAPD_URL/"
		t_wait_tcp "$LDAP_ADDR" 3890 15 ;;
	gateway-hang)	# not killed: stopped 8 s (past the link's 7 s)
		kill -STOP "$(fed_pid alpha-gateway)"
		sleep 8
		kill -CONT "$(fed_pid alpha-gateway)" ;;
	esac || t_fail "$n starts again"
	echo "restart_$n: $(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.2f", a - b }') s"
	ctl "recover $n 20"
	recovered "$n"
	sleep 3
}
recovered() {	# recovered NAME: the load's verdict on recovery
	local n=$1
	if t_wait_grep "$LOAD" "^(recovered|unrecovered) $n " 30 &&
	    grep -q "^recovered $n " "$LOAD"; then
		t_pass "after $n: IM both ways and presence both ways by themselves"
		echo "recovery_$n: $(awk -v n="$n" '$1 == "recovered" && $2 == n { print $3 }' "$LOAD") s"
	else
		t_fail "after $n: $(grep "^unrecovered $n " "$LOAD" || echo 'no recovery line')"
	fi
}

for comp in ${HF_PHASES:-gateway connector community slapd gateway-hang}; do
	restart "$comp"
done

ctl drain
t_wait_grep "$LOAD" "^drained" 20 || t_fail "every message has an outcome"
sleep 2
rss_gw1=$(rss alpha-gateway); rss_cn1=$(rss alpha-connector)
ctl quit
t_wait_grep "$LOAD" "^violations:" 10
grep -E '^[a-z_-]+: ' "$LOAD" | grep -v '^violations' 
echo "rss_gateway_after: $rss_gw1 kB"
echo "rss_connector_after: $rss_cn1 kB"

v=$(awk '/^violations:/ { print $2 }' "$LOAD")
if [ "${v:-x}" = 0 ]; then
	t_pass "acknowledged messages delivered exactly once, the others failed with an error, none silent, none twice"
else
	grep '^VIOLATION' "$LOAD" | head -20 >&2
	t_fail "delivery contract: ${v:-no} violations"
fi
sum() { awk -v re="$1" '$0 ~ re { s += $2 } END { print s + 0 }' "$LOAD"; }
[ "$(sum '^in_.*_acknowledged:')" -gt 200 ] && [ "$(sum '^out_.*_acknowledged:')" -gt 200 ] &&
	t_pass "steady load both ways (acknowledged: in $(sum '^in_.*_acknowledged:'), out $(sum '^out_.*_acknowledged:'))" ||
	t_fail "too little traffic acknowledged"
[ "$(sum '^baseline_failed_before_first_fault:')" = 0 ] &&
	t_pass "no failure before the first fault" ||
	t_fail "failures before the first fault"

# nothing but the killed daemons was started by hand: every daemon is up
for n in alpha-community alpha-gateway alpha-connector; do
	kill -0 "$(fed_pid "$n")" 2>/dev/null && t_pass "$n is running at the end" ||
		t_fail "$n is running at the end"
done
kill -0 "$(t_pid slapd)" 2>/dev/null || t_fail "slapd is running at the end"

# memory: back near the baseline (ASan's quarantine makes RSS meaningless)
near() { [ "$2" -le $(($1 * 3 / 2 + 4096)) ]; }
if [ "$ASAN" = 1 ]; then
	t_log "ASan build: RSS printed, not asserted (quarantine and shadow memory)"
else
	near "$rss_gw0" "$rss_gw1" && t_pass "gateway RSS $rss_gw1 kB near baseline $rss_gw0 kB" ||
		t_fail "gateway RSS $rss_gw1 kB vs baseline $rss_gw0 kB"
	near "$rss_cn0" "$rss_cn1" && t_pass "connector RSS $rss_cn1 kB near baseline $rss_cn0 kB" ||
		t_fail "connector RSS $rss_cn1 kB vs baseline $rss_cn0 kB"
fi

fed_t_finish alpha-connector alpha-gateway alpha-community
