# tests/lib/tls.sh: a throw-away CA and certificates for tests (GnuTLS certtool).
#   t_ca DIR                       -> DIR/ca.pem DIR/ca.key
#   t_cert DIR NAME CN [SAN...]    -> DIR/NAME.pem DIR/NAME.key, signed by the CA
#      SAN entries: dns:HOST, ip:ADDR, uri:sip:DOMAIN
t_ca() {
	local d=$1
	mkdir -p "$d"
	certtool --generate-privkey --key-type=ecdsa --outfile "$d/ca.key" 2>/dev/null
	cat >"$d/ca.tmpl" <<EOT
cn = "stsip test CA"
ca
cert_signing_key
expiration_days = 30
EOT
	certtool --generate-self-signed --load-privkey "$d/ca.key" \
		--template "$d/ca.tmpl" --outfile "$d/ca.pem" 2>/dev/null
}

t_cert() {
	local d=$1 name=$2 cn=$3; shift 3
	certtool --generate-privkey --key-type=ecdsa --outfile "$d/$name.key" 2>/dev/null
	chmod 600 "$d/$name.key"
	{
		echo "cn = \"$cn\""
		echo "expiration_days = 30"
		echo "tls_www_server"
		echo "tls_www_client"
		echo "signing_key"
		echo "encryption_key"
		local s
		for s in "$@"; do
			case $s in
			dns:*) echo "dns_name = \"${s#dns:}\"" ;;
			ip:*)  echo "ip_address = \"${s#ip:}\"" ;;
			uri:*) echo "uri = \"${s#uri:}\"" ;;
			esac
		done
	} >"$d/$name.tmpl"
	certtool --generate-certificate --load-privkey "$d/$name.key" \
		--load-ca-certificate "$d/ca.pem" --load-ca-privkey "$d/ca.key" \
		--template "$d/$name.tmpl" --outfile "$d/$name.pem" 2>/dev/null
}
