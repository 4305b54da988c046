#!/usr/bin/env bash
# stconfig edits from the shell: other lines survive byte for byte, refused
# edits change nothing, exit codes fit (0 ok, 1 refused, 2 usage), and
# concurrent editors neither lose an update nor let a reader see half a file.
. "$top_srcdir/tests/lib/common.sh"

[ -x "$STCONFIG" ] || t_skip "stconfig not built"
D=$T/alpha
cp -r "$top_srcdir/examples/alpha" "$D"
chmod -R u+w "$D"
st() { "$STCONFIG" -d "$D" "$@"; }

# expect_rc WHAT RC CMD...: run CMD, output in $T/out, assert its exit code.
expect_rc() {
	local what=$1 want=$2 rc; shift 2
	"$@" >"$T/out" 2>&1; rc=$?
	[ "$rc" -eq "$want" ] && t_pass "$what (exit $rc)" ||
		t_fail "$what: exit $rc, want $want: $(head -3 "$T/out")"
}

# Comments and unrelated lines survive: the diff is the one edited line.
X=$D/ExternCommunity/beta.ini
cp "$X" "$T/x.before"
expect_rc "set an existing field" 0 st set ExternCommunity beta Port=5071
diff "$T/x.before" "$X" >"$T/x.diff"
if [ "$(grep -c '^[<>]' "$T/x.diff")" = 2 ] &&
	grep -qx '< Port = 5061' "$T/x.diff" && grep -qx '> Port = 5071' "$T/x.diff"; then
	t_pass "only the Port line changed; comments kept"
else
	t_fail "unexpected diff: $(cat "$T/x.diff")"
fi
expect_rc "add a field" 0 st set ExternCommunity beta DNS=sip.beta.example Transport=TCP VerifyCertificate=no
grep -qx 'DNS = sip.beta.example' "$X" && t_pass "DNS replaced in place" || t_fail "DNS not set"
expect_rc "unset a field" 0 st unset ExternCommunity beta VerifyCertificate
grep -q VerifyCertificate "$X" && t_fail "VerifyCertificate still there" || t_pass "VerifyCertificate removed"
grep -c '^;' "$X" >"$T/ncomments"
[ "$(cat "$T/ncomments")" = 2 ] && t_pass "both comment lines still there" || t_fail "comments: $(cat "$T/ncomments")"

# Refused edits change nothing, whatever the reason.
snapshot() { (cd "$D" && find . -type f ! -name .stconfig.lock -exec md5sum {} + | sort); }
snapshot >"$T/snap.before"
expect_rc "bad boolean refused" 1 st set CommunityGateway ConvertID=perhaps
grep -q 'ConvertID: "perhaps" is not a boolean' "$T/out" && t_pass "reason given" || t_fail "no reason: $(cat "$T/out")"
expect_rc "unknown field refused" 1 st set ExternCommunity beta Colour=blue
expect_rc "bad wildcard refused" 1 st set ExternCommunity beta 'Domains=beta.*'
expect_rc "deleting a served community refused" 1 st delete ExternCommunity beta
expect_rc "overlapping domain refused" 1 st create ExternCommunity gamma Domains=beta.example
expect_rc "unknown community refused" 1 st set CommunityConnector alpha-edge SupportedCommunities=beta,zeta
expect_rc "creating an existing CommunityGateway refused" 1 st create CommunityGateway ConvertID=no
expect_rc "unset of a field not set refused" 1 st unset CommunityConnector alpha-edge AdvertisedHost
expect_rc "editing a missing document refused" 1 st set ExternCommunity nosuch Port=1
snapshot >"$T/snap.after"
cmp -s "$T/snap.before" "$T/snap.after" && t_pass "refused edits changed no file" ||
	t_fail "files changed: $(diff "$T/snap.before" "$T/snap.after")"
[ -z "$(find "$D" -name '.*.ini.*')" ] && t_pass "no temporary files left" || t_fail "temporary files left"

# Usage errors exit 2; --help exits 0.
expect_rc "no command" 2 st
expect_rc "unknown command" 2 st frobnicate
expect_rc "unknown document type" 2 st show Gateway
expect_rc "missing NAME" 2 st set ExternCommunity Port=1
expect_rc "bad NAME" 2 st create ExternCommunity ../evil Domains=e.example
expect_rc "FIELD without value" 2 st set CommunityGateway ConvertID
expect_rc "--help" 0 "$STCONFIG" --help
grep -q '^usage: stconfig' "$T/out" && t_pass "--help prints usage" || t_fail "--help output"

# create / show / delete round trip.
expect_rc "create a community" 0 st create ExternCommunity gamma 'Domains=gamma.example, *.gamma.example'
expect_rc "show it" 0 st show ExternCommunity gamma
grep -qx 'Domains = gamma.example, \*.gamma.example' "$T/out" && grep -qx '; Port = 5060 (default)' "$T/out" &&
	t_pass "show lists values and defaults" || t_fail "show: $(cat "$T/out")"
expect_rc "list" 0 st list
grep -qx 'ExternCommunity gamma' "$T/out" && t_pass "list names it" || t_fail "list: $(cat "$T/out")"
expect_rc "delete it" 0 st delete ExternCommunity gamma
[ ! -e "$D/ExternCommunity/gamma.ini" ] && t_pass "file gone" || t_fail "gamma.ini still there"
expect_rc "check after the round trip" 0 st check
expect_rc "show everything" 0 st show
[ "$(grep -c '^\[' "$T/out")" = 4 ] && t_pass "show prints the 4 documents" || t_fail "show: $(cat "$T/out")"
expect_rc "list a missing directory" 1 "$STCONFIG" -d "$T/nowhere" list
expect_rc "show a missing document" 1 st show ExternCommunity nosuch

# Concurrent editors: seven processes each set their own field three times
# while a reader keeps checking; nothing is lost and check never fails.
fields="VPHMX_HOSTNAME=h1.example VPHMX_PORT=8080 VPHTTSPMX_HOSTNAME=h2.example
VPHTTSPMX_PORT=443 VPMX_HOSTNAME=h3.example VPMX_PORT=1534 VPHMX=yes"
(for i in $(seq 40); do st check >/dev/null 2>>"$T/reader.err" || echo "fail $i" >>"$T/reader.err"; done) &
reader=$!
pids=()
for fv in $fields; do
	(for r in 1 2 3; do st set CommunityConnectivity "$fv" || exit 1; done) 2>>"$T/writers.err" &
	pids+=($!)
done
wfail=0
for p in "${pids[@]}"; do wait "$p" || wfail=1; done
wait "$reader"
[ $wfail -eq 0 ] && t_pass "every concurrent set succeeded" || t_fail "a writer failed: $(cat "$T/writers.err")"
[ ! -s "$T/reader.err" ] && t_pass "the reader never saw an invalid set" || t_fail "reader: $(head -3 "$T/reader.err")"
lost=0
for fv in $fields; do
	grep -qx "${fv%%=*} = ${fv#*=}" "$D/CommunityConnectivity.ini" || { lost=1; t_log "lost: $fv"; }
done
[ $lost -eq 0 ] && t_pass "no update lost" || t_fail "updates lost: $(cat "$D/CommunityConnectivity.ini")"
grep -q '^; No HTTP tunnelling in the demo.$' "$D/CommunityConnectivity.ini" &&
	t_pass "comments survived the concurrent edits" || t_fail "comment lost"
t_done
