#!/usr/bin/env bash
# ConvertID through slapd: alpha's users live in LDAP, where their
# Sametime IDs (employeeNumber u1001, u1002) are not their e-mail
# addresses.  stcommunity checks their passwords against the directory
# and alpha's gateway converts IDs with it (ConvertIdBackend = ldap).
# Across the federation beta sees only e-mail addresses: presence and IM
# work both ways under alice@alpha.example, the internal ID never leaves
# alpha, and an internal ID used as an address is unknown.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/federation.sh"

t_need "$STCOMMUNITY" "$STGATEWAY" "$STCLIENT" "$STCONNECTOR" "$STCONFIG"
slapd_available || t_skip "slapd not installed"
fed_t_setup

LDAP_ADDR=$T_NET.12
slapd_init "$T/ldap" dc=alpha,dc=example
ldap_user() {	# ldap_user LOGIN PASSWORD ID MAIL CN
	cat >>"$SLAPD_DIR/data.ldif" <<EOF
dn: uid=$1,$SLAPD_BASE
objectClass: inetOrgPerson
uid: $1
cn: $5
sn: $1
employeeNumber: $3
mail: $4
userPassword: $(slappasswd -h '{SSHA}' -s "$2")

EOF
}
ldap_user alice alice-secret u1001 alice@alpha.example "Alice Anders"
ldap_user carol carol-secret u1002 carol@alpha.example "Carol Cole"
slapd_start "$LDAP_ADDR" 3890 || { t_fail "slapd starts"; t_done; exit; }

A=$FED_DIR/alpha
cat >"$A/community.conf" <<EOF
[community]
Auth = ldap
StorageDir = $A/storage
[ldap]
URL = $SLAPD_URL
BaseDN = $SLAPD_BASE
UserFilter = (uid=%u)
IdAttribute = employeeNumber
MailAttribute = mail
NameAttribute = cn
Timeout = 3
EOF
sed -i 's/^ConvertIdBackend = .*/ConvertIdBackend = ldap/' "$A/gateway.conf"
cat >>"$A/gateway.conf" <<EOF
LdapURL = $SLAPD_URL
LdapSearchBase = $SLAPD_BASE
LdapPersonFilter = (objectClass=inetOrgPerson)
LdapIdAttribute = employeeNumber
LdapMailAttribute = mail
LdapTimeout = 3
EOF
fed_t_up
t_pass "alpha up with LDAP log-in and LDAP ConvertID; beta up"

e() { fed_expect "$1" "$2" "$3" 12; }	# e WHAT CLIENT REGEX
fed_client alice alpha alice alice-secret &&
	t_pass "alice logs in to alpha with her LDAP password" ||
	t_fail "alice logs in to alpha with her LDAP password"
t_expect "... her Sametime ID is the directory's u1001" \
	"$FED_DIR/cl/alice.out" '^loggedin u1001' 1
fed_client bob beta bob || t_fail "bob logs in"

fed_mark alice; fed_mark bob
fed_say bob "watch @E alice@alpha.example"
e "bob watches alice by e-mail address and sees her active" bob \
	'^presence @E alice@alpha\.example active'
fed_say alice "watch @E bob@beta.example"
e "alice sees bob active" alice '^presence @E bob@beta\.example active'
fed_mark bob
fed_say alice "status away at the whiteboard"
e "bob sees alice away with her text" bob \
	'^presence @E alice@alpha\.example away at the whiteboard$'

fed_mark alice; fed_mark bob
fed_say alice "msg @E bob@beta.example hello from the directory"
e "bob gets alice's IM from alice@alpha.example" bob \
	'^im @E alice@alpha\.example hello from the directory$'
fed_say bob "msg @E alice@alpha.example hello alice"
e "bob's IM to alice@alpha.example reaches u1001" alice \
	'^im @E bob@beta\.example hello alice$'

sleep 0.5
t_expect_not "beta never sees alice's internal ID (bob's client)" \
	"$FED_DIR/cl/bob.out" 'u1001'
t_expect_not "... nor beta's gateway" "$FED_DIR/beta/trace.log" 'u1001'
t_expect_not "... nor beta's connector" "$FED_DIR/beta-connector.log" 'u1001'
t_expect "alpha's gateway converted by LDAP" "$FED_DIR/alpha/trace.log" \
	'convertid .*u1001.*alice@alpha\.example|convertid .*alice@alpha\.example.*u1001' 1

# The internal ID is not an address: bob cannot reach u1001@alpha.example.
fed_mark bob
fed_say bob "msg @E u1001@alpha.example guessing an internal id"
e "an internal ID used as an address gives bob an error" bob \
	'^error @E u1001@alpha\.example'
sleep 0.5
if fed_seen_new alice 'guessing'; then
	t_fail "alice got nothing addressed to u1001@alpha.example"
else
	t_pass "alice got nothing addressed to u1001@alpha.example"
fi

fed_mark bob
fed_say alice "quit"
e "alice quits: bob sees alice@alpha.example offline" bob \
	'^presence @E alice@alpha\.example offline'
fed_t_finish alpha-gateway beta-gateway alpha-community
