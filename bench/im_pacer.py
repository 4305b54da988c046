#!/usr/bin/env python3
"""im_pacer: drives Sametime clients (stclient, one FIFO each) at a fixed
total rate of "msg" commands for the outbound benchmark.  Each IM text
carries ts=<CLOCK_MONOTONIC seconds> so that the far SIP end can measure
the one-way latency on the same clock.

usage: im_pacer.py RATE SECONDS TO_ID FIFO...
prints "sent N", "offered_rate R" and "cpu_pct P" (its own CPU time over
the run, to tell when the pacer itself is the limit) at the end.  A FIFO
whose stclient does not keep up blocks the write: then the offered rate
falls short, and the benchmark counts the step as failed.
"""
import os
import sys
import time


def main():
    rate, secs, to = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    fds = [os.open(f, os.O_WRONLY) for f in sys.argv[4:]]
    pad = "x" * 150      # about 200 bytes of text, like the inbound body
    sent = 0
    c0 = time.process_time()
    t0 = time.monotonic()
    end = t0 + secs
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - t0) * rate) + 1
        # one write per FIFO per round: the lines due for it, each
        # stamped when it is made
        lines = [[] for _ in fds]
        while sent < due:
            lines[sent % len(fds)].append(
                "msg %s ts=%.6f seq=%d %s\n" % (to, time.monotonic(), sent, pad))
            sent += 1
        for i, ls in enumerate(lines):
            if ls:
                os.write(fds[i], "".join(ls).encode())
        time.sleep(0.0005)
    wall = time.monotonic() - t0
    print("sent %d" % sent)
    print("offered_rate %.1f" % (sent / wall))
    print("cpu_pct %.0f" % (100 * (time.process_time() - c0) / wall))


if __name__ == "__main__":
    main()
