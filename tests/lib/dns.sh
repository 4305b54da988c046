# tests/lib/dns.sh: a real DNS server on loopback (dnsmasq, no upstream, no
# /etc/hosts, no resolv.conf) answering only the records a test gives it.
#   t_dns_start ADDR PORT RECORD...
#     RECORD: A:name:addr  AAAA:name:addr  SRV:_sip._tcp.dom:target:port:prio:weight
t_dns_start() {
	local addr=$1 port=$2; shift 2
	local conf="$T/dnsmasq.conf" r
	{
		echo "no-resolv"
		echo "no-hosts"
		echo "no-poll"
		echo "bind-interfaces"
		echo "listen-address=$addr"
		echo "port=$port"
		echo "local-ttl=2"
		echo "log-queries"
		for r in "$@"; do
			IFS=: read -r typ a b c d e <<<"$r"
			case $typ in
			A)    echo "host-record=$a,$b" ;;
			AAAA) echo "host-record=$a,${r#AAAA:"$a":}" ;;	# the address has colons
			SRV)  echo "srv-host=$a,$b,$c,${d:-10},${e:-10}" ;;
			esac
		done
	} >"$conf"
	local dm; dm=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
	t_start dnsmasq "$dm" --keep-in-foreground --conf-file="$conf" --pid-file= --user=root --log-facility=-
	local i=0
	while ! grep -q 'started' "$T/dnsmasq.log" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
}
