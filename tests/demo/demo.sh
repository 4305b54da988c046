#!/usr/bin/env bash
# tests/demo/demo.sh: two federated Sametime communities on loopback,
# alpha.example and beta.example, each with stcommunity, stsipgateway and
# stsipconnector; the connectors federate over SIP/TLS with certificate
# checks.  Then a scripted conversation with stclient, printed as it
# happens.
#
#   demo.sh                 set up, converse, then run until Ctrl-C
#   demo.sh --once          set up, converse, stop; exit 0 only if every
#                           step was seen
#   demo.sh --detach DIR    start everything in the background, state and
#                           logs in DIR, write DIR/topology.env, return
#   demo.sh --stop DIR      stop a detached demo
#
# Binaries come from $top_builddir (default: the source tree, as after
# ./quickstart build).  STSIP_DEMO_NET=127.X.Y moves it off 127.0.0.x
# (tests/federation_demo.sh does); STSIP_DEMO_KEEP=1 keeps the state of a
# finished run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir
. "$top_srcdir/tests/lib/tls.sh"
. "$top_srcdir/tests/lib/federation.sh"

NET=${STSIP_DEMO_NET:-127.0.0}

say() { printf '%s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }
usage() {
	echo "usage: demo.sh [--once | --detach DIR | --stop DIR]" >&2
	exit 2
}

mode=run dir=
case ${1:-} in
"") ;;
--once) mode=once; [ $# -eq 1 ] || usage ;;
--detach) mode=detach; [ $# -eq 2 ] || usage; dir=$2 ;;
--stop) mode=stop; [ $# -eq 2 ] || usage; dir=$2 ;;
*) usage ;;
esac

if [ "$mode" = stop ]; then
	[ -f "$dir/run/order" ] || die "$dir: no running demo there"
	FED_DIR=$(cd "$dir" && pwd)
	fed_stop_all
	say "demo: stopped everything started in $FED_DIR"
	exit 0
fi

fed_bin
for b in "$FED_STCOMMUNITY" "$FED_STGATEWAY" "$FED_STCONNECTOR" \
    "$FED_STCONFIG" "$FED_STCLIENT"; do
	[ -x "$b" ] || die "$b is not built (run ./quickstart build)"
done
command -v certtool >/dev/null || die "certtool (gnutls-bin) is not installed"
for a in "$NET.10:5061" "$NET.11:1533" "$NET.20:5061" "$NET.21:1533"; do
	if (exec 3<>"/dev/tcp/${a%:*}/${a#*:}") 2>/dev/null; then
		die "something already listens on $a (another demo? ./quickstart stop DIR)"
	fi
done

if [ "$mode" = detach ]; then
	mkdir -p "$dir" || die "cannot create $dir"
	[ -f "$dir/run/order" ] && die "$dir: a demo is already running there"
else
	dir=$(mktemp -d "${TMPDIR:-/tmp}/stsip-demo.XXXXXX")
fi

failed=0
finish() {
	local rc=$?
	trap - EXIT INT TERM
	[ "$mode" = detach ] && return
	say ""
	say "demo: stopping everything"
	fed_stop_all
	if [ "$failed" -eq 0 ] && [ "${STSIP_DEMO_KEEP:-0}" != 1 ]; then
		rm -rf "$FED_DIR"
	else
		say "demo: state and logs kept in $FED_DIR"
	fi
	exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

fed_init "$dir" "$NET"
say "stsip federation demo: alpha.example <-> beta.example over SIP/TLS"
say "  state and logs: $FED_DIR"
fed_setup || { failed=1; die "set-up failed"; }
say "  demo CA and certificates: $FED_DIR/pki (ca.pem, alpha-connector, alpha-gateway, beta-connector, beta-gateway)"
say "  documents written with stconfig: $FED_DIR/alpha/conf, $FED_DIR/beta/conf"
if ! fed_up; then
	failed=1
	for f in "$FED_DIR"/*.log; do echo "----- $f"; tail -n 15 "$f"; done
	die "the daemons did not come up"
fi
for c in alpha beta; do
	say "  $(fed_var $c DOMAIN): stcommunity $(fed_var $c GW):$FED_VP_PORT, stsipgateway link $(fed_var $c GW):$FED_LINK_PORT, stsipconnector SIP $(fed_var $c CONN):$FED_SIP_PORT (udp/tcp), $FED_TLS_PORT (tls)"
done

if [ "$mode" = detach ]; then
	fed_topology "$FED_DIR/topology.env"
	say "demo: running in the background; topology in $FED_DIR/topology.env"
	say "demo: stop it with: ./quickstart stop $FED_DIR"
	exit 0
fi

# --- the scripted conversation ------------------------------------------
declare -A seen
show_new() {
	local n f=$FED_DIR/cl/$1.out
	[ -f "$f" ] || return 0
	n=$(wc -l <"$f")
	if [ "$n" -gt "${seen[$1]:-0}" ]; then
		sed -n "$(( ${seen[$1]:-0} + 1 )),${n}p" "$f" |
			sed "s/^/  $2 <- /"
		seen[$1]=$n
	fi
}
show_all() { show_new alice "alice@alpha.example"; show_new bob "bob@beta.example  "; }
steps=0
step() {	# step DESCRIPTION CLIENT REGEX: a line after the last command
	if fed_wait_new "$2" "$3" 15; then
		show_all
		say "  ok: $1"
		steps=$((steps + 1))
	else
		show_all
		say "  FAILED: $1 (waited 15 s for /$3/ from $2)"
		failed=1
	fi
}
send() {	# send CLIENT LINE
	local who=alice@alpha.example
	[ "$1" = bob ] && who="bob@beta.example  "
	show_all
	fed_mark alice
	fed_mark bob
	say "  $who -> $2"
	fed_say "$1" "$2"
}

say ""
say "Conversation (stclient; '->' is typed, '<-' is what the client shows):"
fed_client bob beta bob || { failed=1; die "bob cannot log in to beta"; }
show_all
fed_client alice alpha alice || { failed=1; die "alice cannot log in to alpha"; }
show_all
send alice "watch @E bob@beta.example"
step "alice sees bob active" alice '^presence @E bob@beta\.example active'
send bob "status away lunch"
step "alice sees bob away: lunch" alice '^presence @E bob@beta\.example away lunch$'
send alice "msg @E bob@beta.example Hi Bob, enjoy your lunch! Shall we meet at two?"
step "bob gets alice's message" bob '^im @E alice@alpha\.example Hi Bob, enjoy your lunch! Shall we meet at two\?$'
send bob "msg @E alice@alpha.example Two is fine, see you then."
step "alice gets bob's answer" alice '^im @E bob@beta\.example Two is fine, see you then\.$'
send bob "quit"
step "alice sees bob offline" alice '^presence @E bob@beta\.example offline'
send alice "quit"
fed_wait "$FED_DIR/cl/alice.out" '^closed' 5
show_all
say ""
if [ "$failed" -ne 0 ]; then
	say "demo: FAILED ($steps of 5 steps seen)"
	exit 1
fi
say "demo: all 5 steps seen: presence and IM federate between alpha.example and beta.example"

if [ "$mode" = once ]; then
	exit 0
fi

cat <<EOF

Connect Pidgin (or any libpurple client with the Sametime plugin):
  Accounts > Manage Accounts > Add...
    Protocol: Sametime
    Username: alice              Password: alice-secret
    Advanced: Server $FED_ALPHA_GW   Port $FED_VP_PORT
  (on beta: bob / bob-secret or dave / dave-secret, server $FED_BETA_GW port $FED_VP_PORT;
   on alpha also carol / carol-secret)
  Buddies > Add Buddy...  Buddy's username: @E bob@beta.example
  (from beta, add alice as @E alice@alpha.example)
Or with stclient:
  $FED_STCLIENT -H $FED_ALPHA_GW -P $FED_VP_PORT -u alice -p alice-secret
  then type: watch @E bob@beta.example   /   msg @E bob@beta.example hello
Administration:
  $FED_STCONFIG -d $FED_DIR/alpha/conf show
  $FED_STCONFIG -s $FED_DIR/alpha/gateway.sock status

Running until Ctrl-C.
EOF
while :; do
	for n in alpha-community alpha-gateway alpha-connector beta-community \
	    beta-gateway beta-connector; do
		if ! kill -0 "$(fed_pid $n)" 2>/dev/null; then
			failed=1
			die "$n stopped: see $FED_DIR/$n.log"
		fi
	done
	sleep 1
done
