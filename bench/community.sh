#!/usr/bin/env bash
# bench/community.sh: load benchmark of stcommunity.  Starts a private
# server with N users, runs bench/community_load (N concurrent VP clients,
# each watching W others), and prints "name: value unit" lines, the memory
# per logged-in client and the login rate last.  Not part of "make check".
#
#   bench/community.sh [-n clients] [-w watched] [-a 40|128] [-r rounds]
#                      [-c in_flight]
#
# Environment: top_builddir (default: the source tree), STCOMMUNITY, CC.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
: "${top_builddir:=$top_srcdir}"
STCOMMUNITY=${STCOMMUNITY:-$top_builddir/community/stcommunity}
CC=${CC:-cc}

n=5000 w=50 auth=128 rounds=1000 inflight=64
while getopts "a:c:n:r:w:" o; do
	case $o in
	a) auth=$OPTARG ;;
	c) inflight=$OPTARG ;;
	n) n=$OPTARG ;;
	r) rounds=$OPTARG ;;
	w) w=$OPTARG ;;
	*) sed -n '6,7p' "$0" >&2; exit 2 ;;
	esac
done

say() { printf 'community.sh: %s\n' "$*" >&2; }
[ -x "$STCOMMUNITY" ] || { say "no $STCOMMUNITY (build first)"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/stsip-bench-community.XXXXXX")
server=
cleanup() {
	if [ -n "$server" ]; then
		kill -TERM "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT

# The load generator: one process, epoll; GMP for the per-login DH.
$CC -O2 -std=gnu11 -o "$T/community_load" "$here/community_load.c" \
	$(pkg-config --cflags --libs meanwhile glib-2.0) -lgmp

# Every user has the same password; one crypt(3) hash serves all of them
# (each login is still checked against it by the server).
addr=127.77.0.1 port=1533
mkdir -p "$T/conf" "$T/storage"
hash=$(printf 'secret\n' | "$STCOMMUNITY" -P -r "$rounds")
# What the server really used (it may raise a low count): SHA-512 crypt
# names its rounds in the hash, 5000 when it does not.
case $hash in
*'$rounds='*) rounds=${hash#*\$rounds=}; rounds=${rounds%%\$*} ;;
*) rounds=5000 ;;
esac
awk -v n="$n" -v h="$hash" 'BEGIN {
	for (i = 0; i < n; i++) printf "u%05d:%s:u%05d@bench.example:User %d\n", i, h, i, i
}' >"$T/users"
chmod 600 "$T/users"	# password hashes: stcommunity refuses 0644
cat >"$T/conf/CommunityConnectivity.ini" <<EOF
[CommunityConnectivity]
VPMX_HOSTNAME = $addr
VPMX_PORT = $port
CommunityTrustedIps = 127.77.0.9
EOF
cat >"$T/conf/CommunityGateway.ini" <<EOF
[CommunityGateway]
SupportExternalCommunities = true
EOF
cat >"$T/conf/stcommunity.conf" <<EOF
[community]
UsersFile = $T/users
StorageDir = $T/storage
EOF

# Both processes need a descriptor per client.
ulimit -n "$(ulimit -Hn)"
"$STCOMMUNITY" -D -c "$T/conf" 2>"$T/community.log" &
server=$!
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null && break
	sleep 0.1
done
sleep 0.5	# let the server settle before its baseline RSS is taken

say "$n clients, $w watched each, RC2/$auth logins, $rounds hash rounds"
printf 'community_hash_rounds: %s rounds\n' "$rounds"
rc=0
"$T/community_load" -H "$addr" -P "$port" -s "$server" -n "$n" -w "$w" \
	-a "$auth" -c "$inflight" -p secret -t 600 || rc=$?
if [ $rc -ne 0 ]; then
	say "load run incomplete (status $rc); server log tail:"
	tail -5 "$T/community.log" >&2
fi
exit $rc
