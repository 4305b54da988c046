#!/bin/bash
# Table-driven first-stage parsing test: every case of
# connector_torture.txt (RFC 3261 rules, RFC 4475 torture messages) is sent
# from beta.example's proxy over UDP (or, when the case says tcp, on a
# TCP connection of its own: stream framing) and must get its expected
# answer (a status code, or nothing); the connector must keep serving
# after each.
# TCP: pipelined messages in one write and a message split across reads.
# Answers go to the source address only, so nothing leaves loopback even
# though some cases name foreign hosts.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/connector_lib.sh"

cn_setup
cn_start_peer
cn_start_conn || t_fail "connector got its configuration"

CASES=$T/cases; mkdir -p "$CASES"
perl - "$top_srcdir/tests/connector_torture.txt" "$CASES" "$C:5060" <<'PERL'
use strict;
my ($in, $out, $conn) = @ARGV;
open(my $fh, '<', $in) or die "$in: $!";
my (@cases, $cur);
while (my $l = <$fh>) {
	chomp $l;
	if ($l =~ /^%% (\S+) (\S+)(?: (udp|tcp))?\s*$/) { $cur = { name => $1, want => $2, tp => $3 // 'udp', lines => [] }; push @cases, $cur; next; }
	if ($l =~ /^#/) { $cur = undef; next; }
	push @{$cur->{lines}}, $l if $cur;
}
open(my $list, '>', "$out/LIST") or die;
for my $c (@cases) {
	my @l = @{$c->{lines}};
	pop @l while @l && $l[-1] eq '';
	my $msg = join("\r\n", @l);
	$msg .= "\r\n\r\n" unless grep { $_ eq '' } @l;
	$msg =~ s/\@CONN\@/$conn/g;
	$msg =~ s/\@BIGBODY\@/'x' x 50000/e;
	$msg =~ s/\@LONGLINE\@/'a' x 9000/e;
	$msg =~ s/\@MANYHEADERS\@/join("\r\n", map { "X-H-$_: v" } 1..120)/e;
	$msg =~ s/\@GARBAGE\@/join('', map { chr(($_ * 37 + 11) % 256) } 1..300)/e;
	if ($msg =~ /\r\n\r\n/) {
		my $body = substr($msg, index($msg, "\r\n\r\n") + 4);
		my $n = length($body);
		$msg =~ s/\@CL\@/$n/;
	}
	open(my $f, '>', "$out/$c->{name}") or die; binmode $f; print $f $msg; close $f;
	print $list "$c->{name} $c->{want} $c->{tp}\n";
}
PERL
n=$(wc -l <"$CASES/LIST")
[ "$n" -ge 30 ] && t_pass "$n cases in the table" || t_fail "table has $n cases"

files=$(awk '$3 == "udp" {print "'"$CASES"'/" $1}' "$CASES/LIST")
# shellcheck disable=SC2086
"$SIPCLIENT" -w 700 -b "$B" "$C:5060" $files >"$T/answers"
# stream cases: a connection each (a framing error closes it)
while read -r name want tp; do
	[ "$tp" = udp ] && continue
	"$SIPCLIENT" -t "$tp" -w 700 -b "$B" "$C:5060" "$CASES/$name" \
		>>"$T/answers"
done <"$CASES/LIST"
cat "$T/answers" >&2
while read -r name want tp; do
	if [ "$want" = none ]; then re="^$name: none\$"; else re="^$name: $want "; fi
	if grep -Eq -- "$re" "$T/answers"; then
		t_pass "$name: $want"
	else
		t_fail "$name: wanted $want, got: $(grep "^$name:" "$T/answers")"
	fi
done <"$CASES/LIST"
kill -0 "$(t_pid conn)" 2>/dev/null && t_pass "connector still running" ||
	t_fail "connector died"
t_expect "the reason phrase says what is wrong" "$T/answers" \
	'^missing_from: 400 Bad Request: missing From header'
t_expect "... also for conflicting Content-Lengths on a stream" "$T/answers" \
	'^content_length_conflict_tcp: 400 Bad Request: conflicting Content-Length'
t_expect "a drop without Via is logged" "$T/conn.log" 'dropped a message from .*: no Via header'

# still serving, and retransmissions absorbed: the same request twice
cn_msg "$T/again" MESSAGE sip:alice@alpha.example beta.example UDP
sed -i 's/@CALLID@/fixed-retransmit-1/g' "$T/again"
"$SIPCLIENT" -b "$B" "$C:5060" "$CASES/valid_message" "$T/again" "$T/again" \
	>"$T/after"
t_expect "still serves the next request" "$T/after" '^valid_message: 200'
[ "$(grep -c '^again: 200' "$T/after")" = 2 ] &&
	t_pass "retransmission answered again" ||
	t_fail "retransmission answered again ($(cat "$T/after"))"
[ "$(grep -c 'callid=fixed-retransmit-1 ' "$T/peer.log")" = 1 ] &&
	t_pass "the retransmission was not relayed again" ||
	t_fail "retransmission relayed: $(grep -c fixed-retransmit "$T/peer.log")"

# TCP: three requests in one write; then one split across two reads
cn_msg "$T/t1" MESSAGE sip:alice@alpha.example beta.example TCP
cn_msg "$T/t2" SUBSCRIBE sip:alice@alpha.example beta.example TCP
cn_msg "$T/t3" MESSAGE sip:alice@alpha.example beta.example TCP
"$SIPCLIENT" -t tcp -P -b "$B" "$C:5060" "$T/t1" "$T/t2" "$T/t3" >"$T/pipe"
[ "$(grep -c ': 200 OK' "$T/pipe")" = 3 ] && t_pass "pipelined TCP: 3 answers" ||
	t_fail "pipelined TCP: $(cat "$T/pipe")"
"$SIPCLIENT" -t tcp -S -b "$B" "$C:5060" "$T/t1" >"$T/split"
t_expect "message split across reads" "$T/split" '^t1: 200'
# RFC 5626 keepalive on a stream: a CRLFCRLF ping gets a CRLF pong
exec 5<>"/dev/tcp/$C/$SP"
printf '\r\n\r\n' >&5
pong=""
IFS= read -r -t 3 -N 2 pong <&5 || true
exec 5>&-
[ "$pong" = $'\r\n' ] && t_pass "CRLF keepalive answered" ||
	t_fail "CRLF keepalive: got $(printf '%q' "$pong")"
cn_finish
t_done
