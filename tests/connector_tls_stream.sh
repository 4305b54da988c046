#!/bin/bash
# tls_stream unit tests need certificates: make them with tests/lib/tls.sh,
# then run the Check program against them.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"

P=$T/pki
t_ca "$P"
t_cert "$P" beta cn.beta.example uri:sip:beta.example dns:sip.beta.example
t_cert "$P" conn connector1
t_cert "$P" cnonly gamma.example
t_cert "$P" wild delta.example 'dns:*.delta.example'
t_cert "$P" user eps.example uri:sip:bob@eps.example
t_ca "$T/pki2"
t_cert "$T/pki2" rogue beta.example uri:sip:beta.example
cp "$T/pki2/rogue.pem" "$T/pki2/rogue.key" "$P/"

if CERTDIR=$P CK_DEFAULT_TIMEOUT=30 "$top_builddir/tests/connector_tls_stream_test"; then
	t_pass "tls_stream unit tests"
else
	t_fail "tls_stream unit tests"
fi
t_done
