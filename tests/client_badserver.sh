#!/usr/bin/env bash
# stclient against a server that answers with garbage (random bytes, a
# mangled HANDSHAKE_ACK or LOGIN_ACK) or hangs up: it must print one
# closed line and exit 1, never crash or hang.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/client_common.sh"

[ -x "$STCLIENT" ] || t_skip "stclient not built"
command -v python3 >/dev/null || t_skip "python3 is missing"

# One connection, one answer, then close.  KIND: 0 random bytes, 1 a
# HANDSHAKE_ACK with a random body, 2 a LOGIN_ACK with a random body,
# 3 nothing at all.
cat >"$T/bad.py" <<'PY'
import os, random, socket, sys
addr, port, kind, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
random.seed(seed)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port)); s.listen(1)
print("ready", flush=True)
s.settimeout(20)
c, _ = s.accept()
c.settimeout(5)
try:
    c.recv(4096)
except OSError:
    pass
noise = bytes(random.getrandbits(8) for _ in range(random.randint(1, 300)))
if kind == 0:
    data = noise
elif kind in (1, 2):
    body = (b"\x80\x00" if kind == 1 else b"\x80\x01") + b"\0" * 6 + noise
    data = len(body).to_bytes(4, "big") + body
else:
    data = b""
try:
    c.sendall(data)
except OSError:
    pass
c.close()
PY

port=1533
for kind in 0 1 2 3; do
	for seed in 1 2; do
		rm -f "$T/bad.ready"
		python3 "$T/bad.py" "$CC_ADDR" "$port" "$kind" "$seed" \
			>"$T/bad.ready" 2>>"$T/bad.log" &
		bp=$!
		T_PIDS+=("$bp")
		t_wait_grep "$T/bad.ready" '^ready' 10 || t_fail "garbage server starts"
		rc=0
		timeout 40 "${CC_CLIENT_ENV[@]}" "$STCLIENT" -H "$CC_ADDR" -P "$port" \
			-u alice -p pw </dev/null >"$T/out.$kind.$seed" \
			2>>"$T/stclient.stderr.log" || rc=$?
		wait "$bp" 2>/dev/null || true
		if [ "$rc" = 1 ] && [ "$(grep -c '^closed ' "$T/out.$kind.$seed")" = 1 ] &&
		    ! grep -q '^loggedin' "$T/out.$kind.$seed"; then
			t_pass "answer kind $kind seed $seed: one closed line, exit 1"
		else
			t_fail "answer kind $kind seed $seed: exit $rc, output: $(tr '\n' '|' <"$T/out.$kind.$seed")"
		fi
	done
done
t_done
