#!/bin/bash
# stsipconnector's local configuration and process handling: -n accepts a
# good file and refuses bad ones with file:line messages (all in one run);
# a private key readable by others is refused; an unknown -u user is
# refused; SIGHUP reopens the logs and the daemon keeps running; SIGTERM
# stops it with exit status 0.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/connector_lib.sh"

cn_setup
"$STCONNECTOR" -n -f "$T/conn.conf" >"$T/n_good" 2>&1
rc=$?
[ $rc = 0 ] && t_pass "-n: good configuration exits 0" || t_fail "-n good: exit $rc"
t_expect "-n says OK" "$T/n_good" 'configuration OK'
{ cat "$T/conn.conf"; echo "source = ::1"; } >"$T/src6.conf"
"$STCONNECTOR" -n -f "$T/src6.conf" >"$T/n_src6" 2>&1 &&
	t_pass "-n: source = an IPv6 address is accepted" ||
	{ t_fail "-n: source = an IPv6 address is accepted"; cat "$T/n_src6" >&2; }

cat >"$T/bad.conf" <<EOT
[connector]
name = conn1
colour = blue
t1 = 5
gateway = not-an-address
cert = $T/missing.pem
key = $PKI/conn.key
ca = $PKI/ca.pem
this line has no equals sign
[elsewhere]
source = 0.0.0.0
EOT
"$STCONNECTOR" -n -f "$T/bad.conf" >"$T/n_bad" 2>&1
rc=$?
cat "$T/n_bad" >&2
[ $rc = 1 ] && t_pass "-n: bad configuration exits 1" || t_fail "-n bad: exit $rc"
t_expect "unknown key named with file:line" "$T/n_bad" "bad.conf:3: colour: unknown key"
t_expect "number out of range" "$T/n_bad" 'bad.conf:4: t1: "5" is not a number in 10-10000'
t_expect "bad gateway address" "$T/n_bad" 'bad.conf:5: gateway: "not-an-address" is not an IP'
t_expect "missing file" "$T/n_bad" 'bad.conf:6: cert: .*missing.pem.*No such file'
t_expect "line without =" "$T/n_bad" 'bad.conf:9: expected "key = value"'
t_expect "unknown section" "$T/n_bad" 'bad.conf:10: unknown section'
t_expect "source must be a specific address" "$T/n_bad" \
	'bad.conf:11: source: "0.0.0.0" is not a specific IP address'

printf '[connector]\nname = conn1\n' >"$T/min.conf"
"$STCONNECTOR" -n -f "$T/min.conf" >"$T/n_min" 2>&1 && t_fail "-n minimal accepted" ||
	t_pass "-n: missing settings refused"
t_expect "says what is missing" "$T/n_min" 'gateway: missing'

cp "$PKI/conn.key" "$T/open.key"; chmod 644 "$T/open.key"
sed "s|^key = .*|key = $T/open.key|" "$T/conn.conf" >"$T/open.conf"
"$STCONNECTOR" -n -f "$T/open.conf" >"$T/n_open" 2>&1 && t_fail "key 0644 accepted" ||
	t_pass "-n: private key readable by others refused"
if [ "$(id -u)" = 0 ]; then
	"$STCONNECTOR" -n -u no-such-user-xyz -f "$T/conn.conf" >"$T/n_user" 2>&1 &&
		t_fail "unknown user accepted" || t_pass "-n: unknown -u user refused"
fi

# signals: no gateway is needed for this part
t_start conn "$STCONNECTOR" -D -f "$T/conn.conf"
t_wait_grep "$T/conn.log" 'started' 5
kill -HUP "$(t_pid conn)"
t_expect "SIGHUP reopens the logs" "$T/conn.log" 'SIGHUP: reopening logs' 5
kill -0 "$(t_pid conn)" 2>/dev/null && t_pass "still running after SIGHUP" ||
	t_fail "died on SIGHUP"
kill -TERM "$(t_pid conn)"
wait "$(t_pid conn)"; rc=$?
[ $rc = 0 ] && t_pass "SIGTERM: clean exit 0" || t_fail "SIGTERM: exit $rc"
t_expect_not "no sanitizer report" "$T/conn.log" 'Sanitizer|runtime error'
t_done
