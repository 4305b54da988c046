#!/usr/bin/env python3
# connector_keyproc_scan.py PID KEYFILE: which traces of the private key in
# KEYFILE (PEM from certtool) are in the readable memory of process PID?
# Prints one line: the names of the traces found, or "none".
#   pem    a base64 line of the PEM body      der     the whole DER key
#   scalar the private value, big-endian      scalar-le  the same reversed
import base64
import re
import subprocess
import sys

pid, keyfile = int(sys.argv[1]), sys.argv[2]
text = open(keyfile).read()
pem = text[text.index('-----BEGIN'):]
lines = [l for l in pem.splitlines() if l and not l.startswith('-----')]
der = base64.b64decode(''.join(lines))
needles = {'pem': lines[1].encode(), 'der': der}
out = subprocess.run(['certtool', '-k', '--infile', keyfile],
                     capture_output=True, text=True).stdout
m = re.search(r'^private key:\n((?:\s+[0-9a-f:]+\n)+)', out, re.M)
if not m:
    sys.exit('cannot read the private value of ' + keyfile)
scalar = bytes.fromhex(re.sub(r'[\s:]', '', m.group(1))).lstrip(b'\0')
needles['scalar'] = scalar
needles['scalar-le'] = scalar[::-1]

found = set()
with open('/proc/%d/maps' % pid) as maps, \
        open('/proc/%d/mem' % pid, 'rb', 0) as mem:
    for line in maps:
        addr, perm = line.split()[:2]
        if perm[0] != 'r' or '[vvar]' in line or '[vsyscall]' in line:
            continue
        lo, hi = (int(x, 16) for x in addr.split('-'))
        if hi - lo > (1 << 31):     # ASan shadow and other reserves
            continue
        try:
            mem.seek(lo)
            buf = mem.read(hi - lo)
        except (OSError, ValueError, OverflowError):
            continue
        for name, v in needles.items():
            if v in buf:
                found.add(name)
print(' '.join(sorted(found)) or 'none')
