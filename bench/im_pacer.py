#!/usr/bin/env python3
"""im_pacer: drives Sametime clients (stclient, one FIFO each) at a fixed
total rate of "msg" commands for the outbound benchmark.  Each IM text
carries ts=<CLOCK_MONOTONIC seconds> so that the far SIP end can measure
the one-way latency on the same clock.

usage: im_pacer.py RATE SECONDS TO_ID FIFO...
prints "sent N" and "offered_rate R" at the end.
"""
import os
import sys
import time


def main():
    rate, secs, to = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    fds = [os.open(f, os.O_WRONLY) for f in sys.argv[4:]]
    pad = "x" * 150      # about 200 bytes of text, like the inbound body
    sent = 0
    t0 = time.monotonic()
    end = t0 + secs
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - t0) * rate) + 1
        batch = []
        while sent < due:
            batch.append((sent % len(fds),
                          "msg %s ts=%.6f seq=%d %s\n" % (to, time.monotonic(), sent, pad)))
            sent += 1
        for i, line in batch:
            os.write(fds[i], line.encode())
        time.sleep(0.0005)
    print("sent %d" % sent)
    print("offered_rate %.1f" % (sent / secs))


if __name__ == "__main__":
    main()
