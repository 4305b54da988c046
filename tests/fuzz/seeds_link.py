#!/usr/bin/env python3
# Writes the seed corpus of fuzz_link_codec (corpus/fuzz_link_codec/): link
# byte streams as common/link_proto.h declares them.
import os, struct, sys

def u8(v): return struct.pack('>B', v)
def u16(v): return struct.pack('>H', v)
def u32(v): return struct.pack('>I', v)
def s(t): b = t.encode() if isinstance(t, str) else t; return u16(len(b)) + b
def blob(b): return u32(len(b)) + b
def frame(t, payload, version=1, flags=0): return u8(version) + u8(t) + u16(flags) + u32(len(payload)) + payload

HELLO, HELLO_ACK, CONFIG, CONFIG_ACK, SIP, HEARTBEAT, ERROR = range(1, 8)
INVITE = (b'MESSAGE sip:alice@alpha.example SIP/2.0\r\nVia: SIP/2.0/TLS 192.0.2.7:5061;branch=z9hG4bK1\r\n'
          b'From: <sip:bob@beta.example>;tag=1\r\nTo: <sip:alice@alpha.example>\r\nCall-ID: a@b\r\n'
          b'CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello')
def sip(flow, tp, fam, addr, port, community, msg, flags=0):
    a = addr + bytes(16 - len(addr))
    return frame(SIP, u32(flow) + u8(tp) + u8(fam) + u8(flags) + u8(0) + a + u16(port) + s(community) + blob(msg))
def config(gen, files):
    p = u32(gen) + u32(len(files))
    for rel, content in files: p += s(rel) + blob(content)
    return frame(CONFIG, p)

GW = b'[CommunityGateway]\nSupportExternalCommunities = true\n'
EX = b'[ExternCommunity]\nCommunityName = beta\nDomains = beta.example\n'
CO = b'[CommunityConnector]\nConnectorName = edge\nIP = 127.0.0.1\nSupportedCommunities = beta\n'
seeds = {
    'connector-side': frame(HELLO_ACK, u16(1) + s('gw1'))
        + config(1, [('CommunityGateway.ini', GW), ('ExternCommunity/beta.ini', EX), ('CommunityConnector/edge.ini', CO)])
        + sip(0, 3, 4, bytes([192, 0, 2, 7]), 5061, '', INVITE) + frame(HEARTBEAT, u32(1)),
    'gateway-side': frame(HELLO, u16(1) + s('edge') + s('stsip 0.1.0')) + frame(CONFIG_ACK, u32(1))
        + sip(7, 3, 4, bytes([192, 0, 2, 7]), 5061, 'beta', INVITE, 1)
        + sip(9, 2, 6, bytes.fromhex('20010db8000000000000000000000001'), 5060, 'beta', b'SIP/2.0 200 OK\r\n\r\n')
        + frame(HEARTBEAT, u32(2)),
    'error-close': frame(ERROR, u32(3) + s('source 10.0.0.1 not in CommunityTrustedIps')),
    'config-empty': config(0, []),
    'sip-udp-empty-message': sip(1, 1, 4, bytes([127, 0, 0, 1]), 5060, '', b''),
    'edge-bad-version': frame(HEARTBEAT, u32(1), version=2),
    'edge-flags-set': frame(HEARTBEAT, u32(1), flags=1),
    'edge-long-payload': frame(HEARTBEAT, u32(1) + b'x'),
    'edge-truncated': frame(HELLO, u16(1) + s('edge') + s('stsip'))[:-3],
    'edge-relpath-dotdot': config(2, [('../etc/passwd', b'x'), ('ExternCommunity/a/b.ini', b'')]),
    'edge-v4-with-v6-bytes': sip(1, 1, 4, bytes([127, 0, 0, 1, 9]), 5060, '', b''),
    'edge-nul-in-str': frame(HELLO, u16(1) + s(b'ed\0ge') + s('x')),
    'edge-huge-length': bytes([1, 5, 0, 0, 0xff, 0xff, 0xff, 0xff]),
}
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus', 'fuzz_link_codec')
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
