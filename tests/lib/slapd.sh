# tests/lib/slapd.sh: a throw-away OpenLDAP slapd (mdb database) on loopback.
# Source after tests/lib/common.sh (and tests/lib/tls.sh for TLS).
#
#   slapd_init DIR [SUFFIX]        config and empty LDIF in DIR (default suffix
#                                  dc=alpha,dc=example); sets SLAPD_DIR,
#                                  SLAPD_SUFFIX, SLAPD_BASE (ou=people,SUFFIX),
#                                  SLAPD_ROOTDN, SLAPD_ROOTPW
#   slapd_user UID PASSWORD [MAIL] [CN]
#                                  an inetOrgPerson uid=UID,SLAPD_BASE with a
#                                  hashed userPassword (before slapd_start)
#   slapd_tls CERT KEY CA          serve TLS (ldaps:// and StartTLS) with these
#                                  PEM files (before slapd_start)
#                                  (with SLAPD_REQUIRE_TLS=1 simple binds
#                                  without TLS are refused)
#   slapd_start ADDR PORT [TLSPORT]
#                                  load the LDIF, start slapd in the foreground
#                                  (log $T/slapd.log, stopped at exit), wait for
#                                  its ports; sets SLAPD_URL (ldap://ADDR:PORT)
#                                  and, with TLSPORT, SLAPD_URLS (ldaps://...)
#   slapd_stop                     stop it (e.g. to test "directory down")
#
# Access: anonymous users may search and bind (auth), nobody reads passwords.

SLAPD_BIN=${SLAPD_BIN:-/usr/sbin/slapd}
SLAPADD_BIN=${SLAPADD_BIN:-/usr/sbin/slapadd}
SLAPD_SCHEMA=${SLAPD_SCHEMA:-/etc/ldap/schema}
SLAPD_MODULES=${SLAPD_MODULES:-/usr/lib/ldap}

slapd_available() { [ -x "$SLAPD_BIN" ] && [ -x "$SLAPADD_BIN" ] &&
	[ -f "$SLAPD_SCHEMA/inetorgperson.schema" ]; }

slapd_init() {
	SLAPD_DIR=$1
	SLAPD_SUFFIX=${2:-dc=alpha,dc=example}
	SLAPD_BASE="ou=people,$SLAPD_SUFFIX"
	SLAPD_ROOTDN="cn=admin,$SLAPD_SUFFIX"
	SLAPD_ROOTPW=rootpw-$$
	SLAPD_TLS_CONF=
	mkdir -p "$SLAPD_DIR/db"
	local dc=${SLAPD_SUFFIX%%,*}
	dc=${dc#dc=}
	cat >"$SLAPD_DIR/data.ldif" <<EOF
dn: $SLAPD_SUFFIX
objectClass: dcObject
objectClass: organization
dc: $dc
o: $dc

dn: $SLAPD_BASE
objectClass: organizationalUnit
ou: people

EOF
}

slapd_user() {
	local uid=$1 pw=$2 mail=${3:-$1@alpha.example} cn=${4:-$1}
	local hash
	hash=$(slappasswd -h '{SSHA}' -s "$pw") || return 1
	cat >>"$SLAPD_DIR/data.ldif" <<EOF
dn: uid=$uid,$SLAPD_BASE
objectClass: inetOrgPerson
uid: $uid
cn: $cn
sn: $uid
mail: $mail
userPassword: $hash

EOF
}

slapd_tls() {
	SLAPD_TLS_CONF="TLSCertificateFile $1
TLSCertificateKeyFile $2
TLSCACertificateFile $3"
	[ "${SLAPD_REQUIRE_TLS:-0}" = 1 ] &&
		SLAPD_TLS_CONF="$SLAPD_TLS_CONF
security simple_bind=64"
	return 0
}

slapd_start() {
	local addr=$1 port=$2 tlsport=${3:-}
	cat >"$SLAPD_DIR/slapd.conf" <<EOF
include $SLAPD_SCHEMA/core.schema
include $SLAPD_SCHEMA/cosine.schema
include $SLAPD_SCHEMA/inetorgperson.schema
modulepath $SLAPD_MODULES
moduleload back_mdb
pidfile $SLAPD_DIR/slapd.pid
$SLAPD_TLS_CONF

database mdb
maxsize 16777216
suffix "$SLAPD_SUFFIX"
rootdn "$SLAPD_ROOTDN"
rootpw $SLAPD_ROOTPW
directory $SLAPD_DIR/db
access to attrs=userPassword by anonymous auth by * none
access to * by * read
EOF
	"$SLAPADD_BIN" -q -f "$SLAPD_DIR/slapd.conf" -l "$SLAPD_DIR/data.ldif" \
		>"$SLAPD_DIR/slapadd.log" 2>&1 || {
		t_log "slapadd failed: $(cat "$SLAPD_DIR/slapadd.log")"
		return 1
	}
	SLAPD_URL="ldap://$addr:$port"
	local urls="$SLAPD_URL/"
	if [ -n "$tlsport" ]; then
		SLAPD_URLS="ldaps://$addr:$tlsport"
		urls="$urls $SLAPD_URLS/"
	fi
	t_start slapd "$SLAPD_BIN" -d 0 -f "$SLAPD_DIR/slapd.conf" -h "$urls"
	t_wait_tcp "$addr" "$port" 15 || return 1
	[ -z "$tlsport" ] || t_wait_tcp "$addr" "$tlsport" 15
}

slapd_stop() { t_stop slapd TERM; }
