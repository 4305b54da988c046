# tests/lib/kamailio.sh: Kamailio as a foreign SIMPLE community on loopback.
#   t_kamailio_start IP DOMAIN NEXTHOP [TLS(0|1)]
# REGISTER without auth, MESSAGE to registered users, a presence server
# (PUBLISH/SUBSCRIBE/NOTIFY with PIDF), and every request for another domain
# relayed to NEXTHOP (a connector), per tests/peers/kamailio/kamailio.cfg.
# Logs in $T/kamailio.log; stopped with the test.
t_kamailio_start() {
	local ip=$1 domain=$2 nexthop=$3 tls=${4:-0}
	local kam=/usr/sbin/kamailio
	[ -x "$kam" ] || t_skip "kamailio is not installed"
	local rd="$T/kamailio"
	mkdir -p "$rd/dbtext" "$rd/run"
	cp /usr/share/kamailio/dbtext/kamailio/* "$rd/dbtext/"
	sed -e "s/^#!substdef \"!SIP_IP!127.0.0.2!g\"/#!substdef \"!SIP_IP!$ip!g\"/" \
	    -e "s/^#!substdef \"!SIP_DOMAIN!example.org!g\"/#!substdef \"!SIP_DOMAIN!$domain!g\"/" \
	    "$top_srcdir/tests/peers/kamailio/kamailio.cfg" >"$rd/kamailio.cfg"
	local args=(-f "$rd/kamailio.cfg" -Y "$rd/run" -P "$rd/kamailio.pid" -m 64 -M 8 -n 2
		-A "NEXTHOP=\"$nexthop\"" -A "DBTEXT_URL=\"text://$rd/dbtext\""
		-A "CTL_SOCK=\"unix:$rd/run/kamailio_ctl\"" -A WITH_DEBUG)
	if [ "$tls" = 1 ]; then
		args+=(-A "TLS_CERT=\"$T/pki/kamailio.pem\"" -A "TLS_KEY=\"$T/pki/kamailio.key\"")
	else
		args+=(-A WITHOUT_TLS)
	fi
	if ! "$kam" -c "${args[@]}" >"$rd/check.log" 2>&1; then
		t_fail "kamailio config check"; tail -20 "$rd/check.log" >&2; return 1
	fi
	t_start kamailio "$kam" "${args[@]}" -DD -E
	t_wait_tcp "$ip" 5060 10
}
