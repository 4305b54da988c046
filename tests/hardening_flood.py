#!/usr/bin/env python3
"""hardening_flood.py: the two sides of tests/hardening_flood.sh.

  partner  beta.example's SIP proxy: MESSAGEs to alice@alpha.example over
           TLS at a steady rate through the connector (round-trip time of
           each to its final response; --samples keeps each), and a UDP server answering 200 to
           the MESSAGEs sent to beta.  Stops on SIGTERM or after
           --duration; prints "name: value unit" lines.
  flood    a hostile source: thousands of TCP connections (held open),
           TLS connections that send half a ClientHello and stop, garbage
           over UDP and on TCP streams, and a flood of valid-looking
           MESSAGEs whose From claims beta.example (spoofed: the source
           is not beta's proxy); counts what the connector did to each.

Loopback only; every loop is bounded by --duration.
"""

import argparse
import os
import random
import selectors
import signal
import socket
import ssl
import sys
import time

NOW = time.monotonic


def out(name, value, unit):
    print("%s: %s %s" % (name, value, unit), flush=True)


def pct(xs, p):
    if not xs:
        return 0.0
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def message(via_tp, me, cid, frm, body="hello alice"):
    return ("MESSAGE sip:alice@alpha.example SIP/2.0\r\n"
            "Via: SIP/2.0/%s %s;branch=z9hG4bK%s;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:%s>;tag=f%s\r\n"
            "To: <sip:alice@alpha.example>\r\n"
            "Call-ID: %s\r\n"
            "CSeq: 1 MESSAGE\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: %d\r\n\r\n%s"
            % (via_tp, me, cid, frm, cid, cid, len(body), body)).encode()


def responses(buf):
    """Complete responses in a stream buffer: ([(code, call-id)], rest)."""
    res = []
    while True:
        while buf.startswith(b"\r\n"):
            buf = buf[2:]
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return res, buf
        head = buf[:end].decode("latin-1").split("\r\n")
        clen, cid = 0, None
        for ln in head[1:]:
            k, _, v = ln.partition(":")
            k = k.strip().lower()
            if k in ("content-length", "l"):
                clen = int(v.strip())
            elif k in ("call-id", "i"):
                cid = v.strip()
        if len(buf) < end + 4 + clen:
            return res, buf
        if head[0].startswith("SIP/2.0 "):
            res.append((int(head[0].split()[1]), cid))
        buf = buf[end + 4 + clen:]


# ------------------------------------------------------------ partner

def partner(a):
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *x: stop.__setitem__(0, True))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(a.ca)
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.bind((a.addr, 0))
    raw.connect((a.conn, a.tls_port))
    s = ctx.wrap_socket(raw)
    s.setblocking(False)
    me = "%s:%d" % s.getsockname()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((a.addr, 5060))
    u.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ, "tls")
    sel.register(u, selectors.EVENT_READ, "udp")
    pend, rtt, codes = {}, [], {}
    wall = {}
    samples = open(a.samples, "w") if a.samples else None
    n = 0
    rbuf = b""
    served = 0
    t0 = NOW()
    nxt = t0
    end = t0 + a.duration
    ready = False
    while not stop[0] and NOW() < end:
        t = NOW()
        while t >= nxt:
            n += 1
            cid = "p%d-%d" % (n, os.getpid())
            pend[cid] = NOW()
            wall[cid] = time.time()
            s.sendall(message("TLS", me, cid, "bob@beta.example"))
            nxt += 1.0 / a.rate
        for key, _ in sel.select(max(0.0, min(0.005, nxt - NOW()))):
            if key.data == "tls":
                try:
                    d = s.recv(65536)
                except (ssl.SSLWantReadError, BlockingIOError):
                    continue
                if not d:
                    stop[0] = True
                    break
                rbuf += d
                res, rbuf = responses(rbuf)
                for code, cid in res:
                    if code < 200 or cid not in pend:
                        continue
                    rtt.append((NOW() - pend.pop(cid)) * 1000.0)
                    if samples:
                        samples.write("%.3f %.2f %d\n" % (wall[cid], rtt[-1],
                                                          code))
                    codes[code] = codes.get(code, 0) + 1
                    if not ready:
                        ready = True
                        print("PARTNER READY", flush=True)
            else:
                try:
                    d, src = u.recvfrom(65536)
                except BlockingIOError:
                    continue
                served += serve_udp(u, d, src)
    # answers still on their way get one more second
    lim = NOW() + 1
    while pend and NOW() < lim:
        for key, _ in sel.select(0.05):
            if key.data != "tls":
                continue
            try:
                d = s.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                continue
            if not d:
                break
            rbuf += d
            res, rbuf = responses(rbuf)
            for code, cid in res:
                if code >= 200 and cid in pend:
                    rtt.append((NOW() - pend.pop(cid)) * 1000.0)
                    if samples:
                        samples.write("%.3f %.2f %d\n" % (wall[cid], rtt[-1],
                                                          code))
                    codes[code] = codes.get(code, 0) + 1
    if samples:
        samples.close()
    out("partner_sent", n, "msgs")
    out("partner_answered_200", codes.get(200, 0), "msgs")
    out("partner_answered_other", sum(v for k, v in codes.items()
                                      if k != 200), "msgs")
    for c in sorted(codes):
        if c != 200:
            out("partner_answered_%d" % c, codes[c], "msgs")
    out("partner_unanswered", len(pend), "msgs")
    out("partner_latency_p50", "%.1f" % pct(rtt, 50), "ms")
    out("partner_latency_p99", "%.1f" % pct(rtt, 99), "ms")
    out("partner_latency_max", "%.1f" % (max(rtt) if rtt else 0), "ms")
    out("partner_outbound_served", served, "msgs")


def serve_udp(u, d, src):
    """Answer a request that came to beta's proxy over UDP with 200."""
    text = d.decode("latin-1")
    if not text or text.startswith("SIP/2.0"):
        return 0
    head = text.split("\r\n\r\n", 1)[0].split("\r\n")
    keep = [ln for ln in head[1:] if ln.split(":", 1)[0].strip().lower()
            in ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq")]
    resp = "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + \
        "\r\nContent-Length: 0\r\n\r\n"
    u.sendto(resp.encode(), src)
    return 1 if head[0].startswith("MESSAGE ") else 0


# -------------------------------------------------------------- flood

def client_hello_half():
    """The first half of a real TLS ClientHello."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(i, o, server_hostname="sip.alpha.example")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = o.read()
    return hello[:len(hello) // 2]


def flood(a):
    rnd = random.Random(7)
    sel = selectors.DefaultSelector()
    hello = client_hello_half()
    st = {"tcp_opened": 0, "tcp_refused": 0, "tls_opened": 0,
          "tls_closed": 0, "garbage_streams_closed": 0, "udp_spoofed": 0,
          "udp_garbage": 0, "tcp_connect_failed": 0}
    codes = {}
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((a.addr, 0))
    u.setblocking(False)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    sel.register(u, selectors.EVENT_READ, ("udp", None))
    me = "%s:%d" % u.getsockname()
    socks = {}

    def open_one(port, kind):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.bind((a.addr, 0))
        s.setblocking(False)
        rc = s.connect_ex((a.conn, port))
        if rc not in (0, 115):    # EINPROGRESS
            st["tcp_connect_failed"] += 1
            s.close()
            return
        socks[s.fileno()] = (s, kind, NOW())
        sel.register(s, selectors.EVENT_WRITE, (kind, s))

    # garbage made in advance: random bytes, half of them after a
    # request line's start (looks like SIP, then is not)
    pool = []
    for i in range(256):
        g = rnd.randbytes(rnd.randint(1, 600))
        pool.append(b"MESSAGE sip:" + g if i % 2 else g)
    t0 = NOW()
    end = t0 + a.duration
    n_tcp = n_tls = n_gb = 0
    k = 0
    while NOW() < end:
        t = NOW() - t0
        # connections are opened over the first half of the flood
        frac = min(1.0, t / (a.duration / 2))
        while n_tcp < int(a.conns * frac):
            open_one(a.sip_port, "tcp")
            n_tcp += 1
        while n_tls < int(a.tls * frac):
            open_one(a.tls_port, "tls")
            n_tls += 1
        while n_gb < int(a.garbage_conns * frac):
            open_one(a.sip_port, "gstream")
            n_gb += 1
        # datagrams: spoofed requests and garbage, at their rates
        want_sp = int(a.spoof_rate * t)
        while st["udp_spoofed"] < want_sp:
            k += 1
            cid = "x%d" % k
            try:
                u.sendto(message("UDP", me, cid, "mallory@beta.example"),
                         (a.conn, a.sip_port))
            except BlockingIOError:
                pass
            st["udp_spoofed"] += 1
        want_g = int(a.garbage_rate * t)
        while st["udp_garbage"] < want_g:
            g = pool[st["udp_garbage"] % len(pool)]
            try:
                u.sendto(g, (a.conn, a.sip_port))
            except BlockingIOError:
                pass
            st["udp_garbage"] += 1
        for key, ev in sel.select(0.002):
            kind, s = key.data
            if kind == "udp":
                for _ in range(256):
                    try:
                        d = u.recv(65536)
                    except BlockingIOError:
                        break
                    if d.startswith(b"SIP/2.0 "):
                        c = int(d[8:11])
                        codes[c] = codes.get(c, 0) + 1
                continue
            if ev & selectors.EVENT_WRITE:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                sel.modify(s, selectors.EVENT_READ, (kind, s))
                if err:
                    closed(sel, socks, s, kind, st)
                    continue
                st[kind + "_opened" if kind != "gstream"
                   else "tcp_opened"] += 1
                try:
                    if kind == "tls":
                        s.send(hello)
                    elif kind == "gstream":
                        s.send(pool[n_gb % len(pool)] * 4 +
                               b"\r\n\r\n" + b"\x00" * 64)
                except OSError:
                    closed(sel, socks, s, kind, st)
                continue
            try:
                d = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                d = b""
            if not d:
                closed(sel, socks, s, kind, st)
    out("flood_tcp_connections_opened", n_tcp + n_gb, "conns")
    out("flood_tcp_connections_closed_by_connector", st["tcp_refused"],
        "conns")
    out("flood_tcp_connections_held", sum(1 for v in socks.values()
                                          if v[1] == "tcp"), "conns")
    out("flood_garbage_streams_closed_by_connector",
        st["garbage_streams_closed"], "conns")
    out("flood_tls_half_handshakes_opened", n_tls, "conns")
    out("flood_tls_closed_by_connector", st["tls_closed"], "conns")
    out("flood_tls_held", sum(1 for v in socks.values() if v[1] == "tls"),
        "conns")
    out("flood_connect_failed", st["tcp_connect_failed"], "conns")
    out("flood_spoofed_requests_sent", st["udp_spoofed"], "msgs")
    out("flood_garbage_datagrams_sent", st["udp_garbage"], "msgs")
    for c in sorted(codes):
        out("flood_answered_%d" % c, codes[c], "msgs")
    for s, _, _ in list(socks.values()):
        s.close()


def closed(sel, socks, s, kind, st):
    if kind == "tls":
        st["tls_closed"] += 1
    elif kind == "gstream":
        st["garbage_streams_closed"] += 1
    else:
        st["tcp_refused"] += 1
    try:
        sel.unregister(s)
    except (KeyError, ValueError):
        pass
    socks.pop(s.fileno(), None)
    s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("partner", "flood"))
    p.add_argument("--addr", required=True)
    p.add_argument("--conn", required=True)
    p.add_argument("--sip-port", type=int, default=5060)
    p.add_argument("--tls-port", type=int, default=5061)
    p.add_argument("--ca")
    p.add_argument("--samples", help="partner: 'epoch rtt_ms code' lines")
    p.add_argument("--rate", type=float, default=50)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--conns", type=int, default=3000)
    p.add_argument("--tls", type=int, default=1000)
    p.add_argument("--garbage-conns", type=int, default=200)
    p.add_argument("--spoof-rate", type=float, default=2000)
    p.add_argument("--garbage-rate", type=float, default=1000)
    a = p.parse_args()
    partner(a) if a.mode == "partner" else flood(a)


if __name__ == "__main__":
    main()
