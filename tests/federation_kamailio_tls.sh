#!/usr/bin/env bash
# federation_kamailio.sh with alpha <-> Kamailio over SIP/TLS: Kamailio
# presents a certificate for gamma.example and alpha's ExternCommunity
# document asks for the check (VerifyCertificate).  gina still talks UDP
# to Kamailio (Debian's SIPp has no TLS).
KAM_TLS=1
. "$top_srcdir/tests/federation_kamailio.sh"
