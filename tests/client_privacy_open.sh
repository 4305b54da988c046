#!/usr/bin/env bash
# Privacy on an IM channel that is already open: once alice blocks carol,
# carol's next text must be refused, not delivered: the server closes the
# conversation (both directions) with 0x80000210 when the list changes.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/client_common.sh"

[ -x "$STCLIENT" ] || t_skip "stclient not built"
cc_start_community alice carol || { t_fail "stcommunity starts"; t_done; exit; }
cc_client alice
cc_client carol
t_expect "alice logs in" "$T/alice.log" '^loggedin alice$'
t_expect "carol logs in" "$T/carol.log" '^loggedin carol$'
cc_cmd carol "msg alice hello before the block"
t_expect "the channel is open" "$T/alice.log" '^im carol hello before the block$'
cc_cmd alice "msg carol hi"
t_expect "and used both ways" "$T/carol.log" '^im alice hi$'
m=$(cc_mark carol)
ma=$(cc_mark alice)
cc_cmd alice "block carol"
cc_expect_new "carol's channel to alice is closed by the block" carol "$m" \
	'^error alice 0x80000210$'
cc_expect_new "alice's channel to carol is closed too" alice "$ma" \
	'^error carol 0x80000210$'
m=$(cc_mark carol)
cc_cmd carol "msg alice after the block"
cc_expect_new "carol's text after the block is refused" carol "$m" \
	'^error alice 0x80000210$'
sleep 1
t_expect_not "alice does not receive it" "$T/alice.log" '^im carol after the block$'
t_done
