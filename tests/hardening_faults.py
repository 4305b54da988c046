#!/usr/bin/env python3
"""hardening_faults.py: the load and the bookkeeping of tests/hardening_faults.sh.

One process plays both ends of a federation while the script kills and
restarts the daemons in between:

  * the external side (beta.example's SIP server, over TCP): it sends
    MESSAGEs to alice@alpha.example at a steady rate (bodies "in-N"),
    answers the MESSAGEs the gateway sends (bodies "out-N"), answers the
    gateway's SUBSCRIBE to bob with NOTIFYs carrying the current note,
    and watches alice itself (SUBSCRIBE with refreshes; a refused refresh
    starts a new subscription, as RFC 6665 asks);
  * the Sametime side: two stclient processes, alice (receives the "in-N"
    IMs, watches @E bob@beta.example, sets her status text) and carol
    (sends "out-N" to 150 external recipients r0..r149, one message in
    flight per recipient, the next one to a recipient only --settle
    seconds (SipTimeout + 1) after delivery, so that an "error" line,
    which names the recipient only, names its message).
    A client whose session ends is logged in again (what a user does).

Commands on the control FIFO (one a line): "kill NAME" (NAME is going
down now), "recover NAME" (it was started again: change the presence
notes to "ph-NAME" on both sides and wait until both are seen), "drain"
(stop sending, wait for every outcome), "quit".  Events go to stdout:
"recovered NAME SECONDS", "drained", then the figures.

Every outcome is kept per message; the end report counts, per phase,
sent / acknowledged / delivered / failed and the violations of the
contract: a message acknowledged (200, or no error for an IM) but not
delivered exactly once, a message with no final outcome (silence), a
message delivered twice.
"""

import argparse
import os
import random
import re
import selectors
import signal
import socket
import subprocess
import sys
import time

SEL = selectors.DefaultSelector()
NOW = time.monotonic


def log(*a):
    print("faults.py:", *a, file=sys.stderr, flush=True)


def out(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------- SIP


def sip_parse(buf):
    """One message from a TCP stream: (msg, rest), or (None, buf)."""
    while buf.startswith(b"\r\n"):
        buf = buf[2:]
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None, buf
    head = buf[:end].decode("utf-8", "replace")
    lines = head.split("\r\n")
    hdrs = []
    for ln in lines[1:]:
        if ln[:1] in (" ", "\t") and hdrs:
            hdrs[-1] = (hdrs[-1][0], hdrs[-1][1] + " " + ln.strip())
        elif ":" in ln:
            k, v = ln.split(":", 1)
            hdrs.append((k.strip().lower(), v.strip()))
    clen = 0
    for k, v in hdrs:
        if k in ("content-length", "l"):
            clen = int(v)
    if len(buf) < end + 4 + clen:
        return None, buf
    body = buf[end + 4:end + 4 + clen]
    return {"first": lines[0], "hdrs": hdrs, "body": body}, buf[end + 4 + clen:]


def hget(m, name, all_=False):
    short = {"via": "v", "from": "f", "to": "t", "call-id": "i",
             "contact": "m", "content-type": "c"}
    names = (name, short.get(name, name))
    vals = [v for k, v in m["hdrs"] if k in names]
    if all_:
        return vals
    return vals[0] if vals else None


def tag_of(v):
    m = re.search(r";\s*tag=([^;>\s]+)", v or "")
    return m.group(1) if m else None


def uri_of(v):
    m = re.search(r"<([^>]+)>", v or "")
    return m.group(1) if m else (v or "").split(";")[0].strip()


class Conn:
    """A TCP connection carrying SIP (ours to the connector, or accepted)."""

    def __init__(self, ua, sock, outgoing):
        self.ua, self.sock, self.outgoing = ua, sock, outgoing
        self.rbuf = b""
        self.dead = False
        sock.setblocking(False)
        SEL.register(sock, selectors.EVENT_READ, self)

    def send(self, data):
        if self.dead:
            return False
        try:
            self.sock.setblocking(True)
            self.sock.settimeout(2)
            self.sock.sendall(data)
            self.sock.setblocking(False)
            return True
        except OSError:
            self.close()
            return False

    def readable(self):
        try:
            d = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            d = b""
        if not d:
            self.close()
            return
        self.rbuf += d
        while True:
            try:
                m, self.rbuf = sip_parse(self.rbuf)
            except ValueError:
                self.close()
                return
            if m is None:
                break
            self.ua.on_msg(self, m)

    def close(self):
        if self.dead:
            return
        self.dead = True
        try:
            SEL.unregister(self.sock)
        except (KeyError, ValueError):
            pass
        self.sock.close()
        self.ua.on_close(self)


class Listener:
    def __init__(self, ua, addr, port):
        self.ua = ua
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, port))
        self.sock.listen(64)
        self.sock.setblocking(False)
        SEL.register(self.sock, selectors.EVENT_READ, self)

    def readable(self):
        try:
            s, _ = self.sock.accept()
        except OSError:
            return
        Conn(self.ua, s, False)


class Msg:
    """One test message and everything that happened to it."""

    def __init__(self, kind, n, phase):
        self.kind, self.n, self.phase = kind, n, phase
        self.body = "%s-%d" % (kind, n)
        self.rcpt = None
        self.t_sent = NOW()
        self.final = None        # "200", "480", "transport", "error", ...
        self.t_final = None
        self.delivered = 0       # times the receiving end saw the body
        self.delivered_ids = set()


class UA:
    def __init__(self, a):
        self.a = a
        self.me = "%s:%d" % (a.addr, a.port)
        self.conn = None          # our connection to the connector
        self.txn = {}             # "call-id/cseq" -> [method, Msg, cb, t, conn]
        self.seq = 0
        self.note = "ph-start"
        self.dialogs = {}         # gateway's subscriptions to bob
        self.renotify = {}        # call-id -> when to send the NOTIFY again
        self.sub = None           # our subscription to alice
        self.sub_next = NOW()
        self.sub_notes = []       # (t, note) NOTIFYs about alice
        Listener(self, a.addr, a.port)

    def token(self):
        self.seq += 1
        return "%x%x" % (int(time.time() * 1000) & 0xffffff, self.seq)

    def connect(self):
        if self.conn is not None and not self.conn.dead:
            return self.conn
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((self.a.addr, 0))
        s.settimeout(1)
        try:
            s.connect((self.a.conn_addr, self.a.conn_port))
        except OSError:
            s.close()
            return None
        self.conn = Conn(self, s, True)
        return self.conn

    def request(self, method, ruri, frm, to, cid, cseq, extra, body,
                ctype, cb, msg=None):
        v = "SIP/2.0/TCP %s;branch=z9hG4bK%s;rport" % (self.me, self.token())
        b = body.encode() if isinstance(body, str) else body
        lines = ["%s %s SIP/2.0" % (method, ruri), "Via: " + v,
                 "Max-Forwards: 70", "From: " + frm, "To: " + to,
                 "Call-ID: " + cid, "CSeq: %d %s" % (cseq, method)]
        lines += extra
        if b:
            lines.append("Content-Type: " + ctype)
        lines.append("Content-Length: %d" % len(b))
        data = ("\r\n".join(lines) + "\r\n\r\n").encode() + b
        key = "%s/%d" % (cid, cseq)
        c = self.connect()
        self.txn[key] = [method, msg, cb, NOW(), c]
        if c is None or not c.send(data):
            self.finish(key, "transport")

    def finish(self, key, code, m=None):
        t = self.txn.pop(key, None)
        if t is None:
            return
        if t[1] is not None and t[1].final is None:
            t[1].final = code
            t[1].t_final = NOW()
        if t[2]:
            t[2](code, m)

    def respond(self, c, m, code, reason, extra=(), body=b"", ctype=None):
        lines = ["SIP/2.0 %d %s" % (code, reason)]
        for k in ("via", "from", "to", "call-id", "cseq"):
            for v in hget(m, k, True):
                if k == "to" and tag_of(v) is None and code > 100:
                    v += ";tag=t" + self.token()
                lines.append("%s: %s" % (k.title().replace("Id", "ID"), v))
        lines += list(extra)
        if body:
            lines.append("Content-Type: " + ctype)
        lines.append("Content-Length: %d" % len(body))
        c.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        return lines

    # --- events

    def on_close(self, c):
        for key, t in list(self.txn.items()):
            if t[4] is c:
                self.finish(key, "transport")
        if c is self.conn:
            self.conn = None

    def on_msg(self, c, m):
        first = m["first"]
        if first.startswith("SIP/2.0 "):
            code = int(first.split()[1])
            key = "%s/%s" % (hget(m, "call-id"),
                             (hget(m, "cseq") or "0").split()[0])
            if code >= 200:
                self.finish(key, str(code), m)
            return
        method = first.split()[0]
        if method == "MESSAGE":
            body = m["body"].decode("utf-8", "replace").strip()
            user = re.match(r"\S+ sips?:([^@;>\s]+)@", first)
            self.a.world.delivered_out(body, hget(m, "call-id"),
                                       user.group(1) if user else "")
            self.respond(c, m, 200, "OK")
        elif method == "SUBSCRIBE":
            self.on_subscribe(c, m)
        elif method == "NOTIFY":
            self.on_notify(c, m)
        elif method == "ACK":
            pass
        else:
            self.respond(c, m, 200, "OK")

    def pidf(self, entity, basic, note):
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<presence xmlns="urn:ietf:params:xml:ns:pidf" '
                'entity="%s"><tuple id="t1"><status><basic>%s</basic>'
                '</status></tuple><note>%s</note></presence>\n'
                % (entity, basic, note))

    def on_subscribe(self, c, m):
        cid = hget(m, "call-id")
        exp = hget(m, "expires")
        exp = int(exp) if exp and exp.isdigit() else 3600
        d = self.dialogs.get(cid)
        if d is None:
            d = {"cid": cid, "ltag": "b" + self.token(), "cseq": 0,
                 "remote": hget(m, "from"), "local_uri": uri_of(hget(m, "to")),
                 "target": uri_of(hget(m, "contact")),
                 "route": [r for v in hget(m, "record-route", True)
                           for r in v.split(",")]}
            self.dialogs[cid] = d
        to = hget(m, "to")
        if tag_of(to) is None:
            to += ";tag=" + d["ltag"]
        lines = ["SIP/2.0 200 OK"]
        for v in hget(m, "via", True):
            lines.append("Via: " + v)
        lines += ["From: " + hget(m, "from"), "To: " + to, "Call-ID: " + cid,
                  "CSeq: " + hget(m, "cseq"), "Expires: %d" % exp,
                  "Contact: <sip:bob@%s;transport=tcp>" % self.me]
        for r in hget(m, "record-route", True):
            lines.append("Record-Route: " + r)
        lines.append("Content-Length: 0")
        c.send(("\r\n".join(lines) + "\r\n\r\n").encode())
        d["expires"] = exp
        self.notify(d)
        if exp == 0:
            self.dialogs.pop(cid, None)

    def notify(self, d):
        d["cseq"] += 1
        state = "active;expires=%d" % d["expires"] if d["expires"] else \
            "terminated;reason=timeout"
        cid = d["cid"]
        extra = ["Route: " + r.strip() for r in d["route"]]
        extra += ["Event: presence", "Subscription-State: " + state,
                  "Contact: <sip:bob@%s;transport=tcp>" % self.me]

        def done(code, m, cid=cid):
            if code.startswith("2") or cid not in self.dialogs:
                return
            if code in ("transport", "silent", "408", "500", "503"):
                # the path failed, not the subscription: again in 1 s
                self.renotify[cid] = NOW() + 1
            else:
                del self.dialogs[cid]     # 481 and other refusals
        body = self.pidf("sip:bob@beta.example", "open", self.note)
        self.request("NOTIFY", d["target"],
                     "<sip:bob@beta.example>;tag=" + d["ltag"],
                     d["remote"], cid, d["cseq"], extra, body,
                     "application/pidf+xml", done)

    def set_note(self, note):
        self.note = note
        for d in list(self.dialogs.values()):
            self.notify(d)

    # our subscription to alice
    def on_notify(self, c, m):
        cid = hget(m, "call-id")
        body = m["body"].decode("utf-8", "replace")
        note = re.search(r"<(?:\w+:)?note[^>]*>([^<]*)<", body)
        basic = re.search(r"<(?:\w+:)?basic>([^<]*)<", body)
        self.sub_notes.append((NOW(), basic.group(1) if basic else "?",
                               note.group(1) if note else ""))
        log("NOTIFY about alice: %s %s" % self.sub_notes[-1][1:])
        self.respond(c, m, 200, "OK")
        st = hget(m, "subscription-state") or ""
        if self.sub and self.sub["cid"] == cid:
            if self.sub.get("rtag") is None:
                self.sub["rtag"] = tag_of(hget(m, "from"))
                ct = hget(m, "contact")
                if ct:
                    self.sub["target"] = uri_of(ct)
            if st.startswith("terminated"):
                self.sub = None
                self.sub_next = NOW()

    def subscribe_tick(self):
        for cid, t in list(self.renotify.items()):
            if NOW() >= t:
                del self.renotify[cid]
                if cid in self.dialogs:
                    self.notify(self.dialogs[cid])
        if NOW() < self.sub_next:
            return
        self.sub_next = NOW() + 4
        if self.sub is None or self.sub.get("rtag") is None:
            cid = "sub" + self.token()
            self.sub = {"cid": cid, "cseq": 1, "ftag": "w" + self.token(),
                        "target": "sip:alice@alpha.example", "rtag": None,
                        "route": []}
        else:
            self.sub["cseq"] += 1
        s = self.sub
        to = "<sip:alice@alpha.example>"
        if s.get("rtag"):
            to += ";tag=" + s["rtag"]

        def done(code, m, s=s):
            if code == "200" and m is not None and self.sub is s:
                if s.get("rtag") is None:
                    s["rtag"] = tag_of(hget(m, "to"))
                    ct = hget(m, "contact")
                    if ct:
                        s["target"] = uri_of(ct)
                    s["route"] = list(reversed(
                        [r.strip() for v in hget(m, "record-route", True)
                         for r in v.split(",")]))
            elif code in ("transport", "silent", "408", "503") and \
                    self.sub is s and s.get("rtag"):
                # the path failed, not the dialog: refresh it again in 1 s
                self.sub_next = NOW() + 1
            elif code not in ("200", "202") and self.sub is s:
                # refused refresh (481 after a gateway restart) or error:
                # a new subscription at the next tick (1 s)
                self.sub = None
                self.sub_next = NOW() + 1
        extra = ["Route: " + r for r in s["route"]]
        extra += ["Event: presence", "Expires: 12",
                  "Accept: application/pidf+xml",
                  "Contact: <sip:bob@%s;transport=tcp>" % self.me]
        ruri = s["target"] if s.get("rtag") else "sip:alice@alpha.example"
        self.request("SUBSCRIBE", ruri,
                     "<sip:bob@beta.example>;tag=" + s["ftag"], to,
                     s["cid"], s["cseq"], extra, "", "", done)


# ------------------------------------------------------------- stclient


class Client:
    def __init__(self, w, user, pw, on_line, on_login):
        self.w, self.user, self.pw = w, user, pw
        self.on_line, self.on_login = on_line, on_login
        self.p = None
        self.up = False
        self.next_try = NOW()
        self.logins = 0
        self.rbuf = b""

    def tick(self):
        if self.p is None and NOW() >= self.next_try:
            self.spawn()

    def spawn(self):
        env = dict(os.environ, STCLIENT_PASSWORD=self.pw)
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                               ":detect_leaks=0").lstrip(":")
        self.p = subprocess.Popen(
            [self.w.a.stclient, "-H", self.w.a.vp_addr, "-P",
             str(self.w.a.vp_port), "-u", self.user],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
            stderr=open(os.path.join(self.w.a.dir, "stclient-%s.err"
                                     % self.user), "ab"))
        os.set_blocking(self.p.stdout.fileno(), False)
        SEL.register(self.p.stdout, selectors.EVENT_READ, self)
        self.log = open(os.path.join(self.w.a.dir, "stclient-%s.out"
                                     % self.user), "a")
        self.t_spawn = NOW()

    def say(self, line):
        if self.p is None or not self.up:
            return False
        try:
            self.p.stdin.write((line + "\n").encode())
            self.p.stdin.flush()
            return True
        except OSError:
            return False

    def readable(self):
        try:
            d = os.read(self.p.stdout.fileno(), 65536)
        except BlockingIOError:
            return
        if not d:
            self.gone("eof")
            return
        self.rbuf += d
        while b"\n" in self.rbuf:
            ln, self.rbuf = self.rbuf.split(b"\n", 1)
            ln = ln.decode("utf-8", "replace")
            self.log.write("%.3f %s\n" % (NOW() - self.w.t0, ln))
            self.log.flush()
            if ln.startswith("loggedin "):
                self.up = True
                self.logins += 1
                self.on_login()
            elif ln.startswith("closed"):
                self.gone(ln)
                return
            else:
                self.on_line(ln)

    def gone(self, why):
        try:
            SEL.unregister(self.p.stdout)
        except (KeyError, ValueError):
            pass
        was_up = self.up
        self.up = False
        try:
            self.p.stdin.close()
        except OSError:
            pass
        self.p.kill()
        self.p.wait()
        self.p = None
        self.rbuf = b""
        self.next_try = NOW() + 0.5
        if was_up:
            self.on_line("closed " + why)

    def stop(self):
        if self.p is not None:
            try:
                SEL.unregister(self.p.stdout)
            except (KeyError, ValueError):
                pass
            self.p.kill()
            self.p.wait()
            self.p = None


# ---------------------------------------------------------------- world


class World:
    def __init__(self, a):
        self.a = a
        a.world = self
        self.t0 = NOW()
        self.phase = "baseline"
        self.msgs = {}            # body -> Msg
        self.n_in = self.n_out = 0
        self.sending = False      # from the "start" command on
        self.ua = UA(a)
        self.slots = {"r%d" % i: None for i in range(a.recipients)}
        self.late_errors = 0
        self.misrouted = []
        self.slot_free_at = {k: 0.0 for k in self.slots}
        self.alice_notes = []     # (t, status, note) of @E bob
        self.alice = Client(self, "alice", a.alice_pw, self.alice_line,
                            self.alice_login)
        self.carol = Client(self, "carol", a.carol_pw, self.carol_line,
                            lambda: None)
        self.alice_note = "ph-start"
        self.recover = None       # (name, t_kill, t_recover)
        self.t_kill = {}
        self.next_in = NOW()
        self.next_out = NOW()
        self.draining = None

    # inbound: the external side sends MESSAGE to alice
    def send_in(self):
        self.n_in += 1
        m = Msg("in", self.n_in, self.phase)
        self.msgs[m.body] = m
        cid = "in%d-%s" % (self.n_in, self.ua.token())
        self.ua.request("MESSAGE", "sip:alice@alpha.example",
                        "<sip:bob@beta.example>;tag=m" + self.ua.token(),
                        "<sip:alice@alpha.example>", cid, 1, [], m.body,
                        "text/plain;charset=UTF-8", None, m)

    def alice_login(self):
        self.alice.say("watch @E bob@beta.example")
        self.alice.say("status active " + self.alice_note)

    def alice_line(self, ln):
        g = re.match(r"^im @E bob@beta\.example (\S+)", ln)
        if g:
            m = self.msgs.get(g.group(1))
            if m is not None:
                m.delivered += 1
            return
        g = re.match(r"^presence @E bob@beta\.example (\S+) ?(.*)$", ln)
        if g:
            self.alice_notes.append((NOW(), g.group(1), g.group(2).strip()))

    def delivered_out(self, body, cid, user):
        m = self.msgs.get(body)
        if m is None:
            return
        if user != m.rcpt:
            self.misrouted.append("%s for %s reached %s" % (body, m.rcpt,
                                                           user))
        if cid not in m.delivered_ids:
            m.delivered_ids.add(cid)
            m.delivered += 1
        if m.final is None:
            m.final = "delivered"
            m.t_final = NOW()
        # one in flight per recipient: the next only after SipTimeout and
        # a second, so that an error on this channel is this message's
        for k, v in self.slots.items():
            if v is m:
                self.slot_free_at[k] = NOW() + self.a.settle

    def carol_line(self, ln):
        g = re.match(r"^error @E (r\d+)@beta\.example", ln)
        if g and g.group(1) in self.slots:
            m = self.slots[g.group(1)]
            if m is not None:
                m.error = ln
                if m.final == "delivered" and \
                        NOW() - m.t_final > self.a.settle:
                    self.late_errors += 1
                if m.final in (None, "delivered"):
                    m.final = "error" if m.final is None else "delivered+error"
                    m.t_final = NOW()
                self.slots[g.group(1)] = None
            return
        if ln.startswith("closed"):
            for k, m in self.slots.items():
                if m is not None and m.final is None:
                    m.final = "session-closed"
                    m.t_final = NOW()
                self.slots[k] = None

    def send_out(self):
        if not self.carol.up:
            return
        for k in sorted(self.slots, key=lambda k: self.slot_free_at[k]):
            m = self.slots[k]
            if m is not None and m.final is None:
                continue
            if m is not None and NOW() < self.slot_free_at[k]:
                continue
            self.n_out += 1
            m = Msg("out", self.n_out, self.phase)
            m.rcpt = k
            self.msgs[m.body] = m
            self.slots[k] = m
            self.slot_free_at[k] = 1e18
            self.carol.say("msg @E %s@beta.example %s" % (k, m.body))
            return

    def tick(self):
        t = NOW()
        self.alice.tick()
        self.carol.tick()
        self.ua.subscribe_tick()
        if self.sending:
            while t >= self.next_in:
                self.send_in()
                self.next_in += 1.0 / self.a.rate_in
            if t >= self.next_out:
                self.send_out()
                self.next_out = max(self.next_out + 1.0 / self.a.rate_out,
                                    t - 1)
        # silence: no outcome within the limit
        for m in self.msgs.values():
            if m.final is None and t - m.t_sent > self.a.timeout:
                m.final = "silent"
                m.t_final = t
                for k, v in self.slots.items():
                    if v is m:
                        self.slots[k] = None
        for key, tr in list(self.ua.txn.items()):
            if t - tr[3] > self.a.timeout:
                self.ua.finish(key, "silent")
        if self.recover:
            self.check_recovered()
        if self.draining is not None:
            pend = [m for m in self.msgs.values() if m.final is None]
            if not pend or t - self.draining > self.a.timeout + 1:
                self.draining = None
                out("drained %d" % len(pend))

    def check_recovered(self):
        name, t_kill, t_rec = self.recover
        note = "ph-" + name
        a_ok = any(n == note and s == "active" and ts >= t_rec
                   for ts, s, n in self.alice_notes)
        u_ok = any(n == note and ts >= t_rec
                   for ts, b, n in self.ua.sub_notes)
        i_ok = any(m.kind == "in" and m.final == "200" and m.t_final > t_rec
                   for m in self.msgs.values())
        o_ok = any(m.kind == "out" and m.delivered and m.t_final > t_rec
                   for m in self.msgs.values())
        if a_ok and u_ok and i_ok and o_ok:
            out("recovered %s %.2f" % (name, NOW() - t_kill))
            self.recover = None
        elif NOW() - t_rec > self.recover_limit:
            out("unrecovered %s watch=%s watched=%s in=%s out=%s" %
                (name, a_ok, u_ok, i_ok, o_ok))
            self.recover = None

    def command(self, ln):
        w = ln.split()
        if not w:
            return
        if w[0] == "kill":
            self.t_kill[w[1]] = NOW()
            self.phase = w[1]
        elif w[0] == "start":
            self.sending = True
            self.next_in = self.next_out = NOW()
        elif w[0] == "pause":
            self.sending = False
        elif w[0] in ("recover", "resume"):
            if w[0] == "resume":
                self.sending = True
                self.phase = w[1]
                self.t_kill[w[1]] = NOW()
                self.next_in = self.next_out = NOW()
            self.recover_limit = float(w[2]) if len(w) > 2 else \
                self.a.recover_limit
            note = "ph-" + w[1]
            self.recover = (w[1], self.t_kill.get(w[1], NOW()), NOW())
            self.ua.set_note(note)
            self.alice_note = note
            self.alice.say("status active " + note)
        elif w[0] == "drain":
            self.sending = False
            self.phase = "drain"
            self.draining = NOW()
        elif w[0] == "quit":
            raise SystemExit(0)

    def report(self):
        phases = []
        for m in self.msgs.values():
            if m.phase not in phases:
                phases.append(m.phase)
        bad = []
        for ph in phases:
            for kind in ("in", "out"):
                ms = [m for m in self.msgs.values()
                      if m.phase == ph and m.kind == kind]
                if not ms:
                    continue
                if kind == "in":
                    ack = [m for m in ms if m.final == "200"]
                else:
                    ack = [m for m in ms if m.final == "delivered"]
                dlv = [m for m in ms if m.delivered >= 1]
                fail = [m for m in ms if m.final not in
                        ("200", "delivered", "silent")]
                sil = [m for m in ms if m.final == "silent"]
                p = "%s_%s" % (kind, ph)
                out("%s_sent: %d msgs" % (p, len(ms)))
                out("%s_acknowledged: %d msgs" % (p, len(ack)))
                out("%s_delivered: %d msgs" % (p, len(dlv)))
                # a final error: not delivered, or delivered all the same
                # (the sender was told of a failure: e.g. a 503 from the
                # connector for a request the hung gateway did later, or
                # an IM channel closed by the gateway's death afterwards)
                out("%s_failed: %d msgs" % (p, len([m for m in fail
                                                     if not m.delivered])))
                out("%s_failed_but_delivered: %d msgs" % (
                    p, len([m for m in fail if m.delivered])))
                out("%s_silent: %d msgs" % (p, len(sil)))
                for m in fail:
                    if m.delivered:
                        log("failed but delivered: %s (%s after %.2f s)" % (
                            m.body, m.final, m.t_final - m.t_sent))
                codes = {}
                for m in fail:
                    codes[m.final] = codes.get(m.final, 0) + 1
                if codes:
                    out("%s_failures: %s" % (p, " ".join(
                        "%s=%d" % kv for kv in sorted(codes.items()))))
                for m in ack:
                    if m.delivered != 1:
                        bad.append("%s acknowledged, delivered %d times"
                                   % (m.body, m.delivered))
                for m in ms:
                    if m.delivered > 1 and m not in ack:
                        bad.append("%s (%s) delivered %d times"
                                   % (m.body, m.final, m.delivered))
                    if m.final == "silent":
                        bad.append("%s: no final outcome (silence)" % m.body)
        t1 = min(self.t_kill.values()) if self.t_kill else NOW()
        early = [m for m in self.msgs.values() if m.phase == "baseline" and
                 m.t_final is not None and m.t_final < t1 and
                 m.final not in ("200", "delivered")]
        out("baseline_failed_before_first_fault: %d msgs" % len(early))
        out("out_errors_later_than_settle: %d msgs" % self.late_errors)
        out("logins_alice: %d count" % self.alice.logins)
        out("logins_carol: %d count" % self.carol.logins)
        bad += ["misrouted: " + x for x in self.misrouted]
        for b in bad[:40]:
            out("VIOLATION " + b)
        out("violations: %d count" % len(bad))

    def run(self):
        ctl = open(self.a.ctl, "rb", buffering=0)
        os.set_blocking(ctl.fileno(), False)
        cbuf = [b""]

        class Ctl:
            def readable(_s):
                try:
                    d = os.read(ctl.fileno(), 4096)
                except BlockingIOError:
                    return
                cbuf[0] += d
                while b"\n" in cbuf[0]:
                    ln, cbuf[0] = cbuf[0].split(b"\n", 1)
                    self.command(ln.decode())
        SEL.register(ctl, selectors.EVENT_READ, Ctl())
        end = NOW() + self.a.max_time
        try:
            while NOW() < end:
                for key, _ in SEL.select(0.02):
                    key.data.readable()
                self.tick()
        except SystemExit:
            pass
        finally:
            self.alice.stop()
            self.carol.stop()
            self.report()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, default=5060)
    p.add_argument("--connector", required=True)
    p.add_argument("--vp", required=True)
    p.add_argument("--stclient", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--ctl", required=True)
    p.add_argument("--alice-pw", default="alice-secret")
    p.add_argument("--carol-pw", default="carol-secret")
    p.add_argument("--rate-in", type=float, default=25)
    p.add_argument("--rate-out", type=float, default=20)
    p.add_argument("--timeout", type=float, default=12)
    p.add_argument("--recipients", type=int, default=150)
    p.add_argument("--settle", type=float, default=6)
    p.add_argument("--recover-limit", type=float, default=25)
    p.add_argument("--max-time", type=float, default=170)
    a = p.parse_args()
    a.conn_addr, a.conn_port = a.connector.rsplit(":", 1)
    a.conn_port = int(a.conn_port)
    a.vp_addr, a.vp_port = a.vp.rsplit(":", 1)
    signal.signal(signal.SIGTERM, lambda *x: (_ for _ in ()).throw(
        SystemExit(0)))
    random.seed(1)
    World(a).run()


if __name__ == "__main__":
    main()
