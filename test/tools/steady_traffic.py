#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""steady_traffic.py: echo traffic that runs until told to stop, and
accounts for every byte and datagram (for tests that change the server
underneath it: takeover.sh).

  steady_traffic.py HOST UDP_PORT TCP_PORT STOPFILE [--tcp-clients N]
                    [--tcp-bytes B] [--udp-window W] [--udp-sockets U]
                    [--udp-bind IP] [--udp-skip K]

TCP: N threads, each in a loop: connect, stream B bytes of a seeded
pseudo-random pattern while reading the echo back, check every byte,
half-close, expect EOF, close. A connection refused, reset or short, or a
byte that differs, is a failure.

UDP: U sockets (U source ports, so a reuseport group's hash spreads
them over its members), datagrams numbered 0, 1, 2, ... sent round-robin
over them with at most W unanswered at a time; an answer must carry the
number back. A datagram not answered within 3 s is lost; nothing is ever
resent. An answer is the datagram itself after K bytes (--udp-skip: a
relay's backend may put its own before); an answer to a number not
awaited (a second answer, or one after its 3 s) or with other bytes is
unexpected; the distinct K-byte prefixes are counted (udp_tags: how
many backends answered). --udp-bind: the sockets' source address. --tcp-clients 0:
UDP only.

  steady_traffic.py --hold HOST TCP_PORT STOPFILE

holds one TCP connection: an echo of 4 KiB, then "held" on stdout, then
(once STOPFILE exists) another echo on the same connection, and a close.
Exit 0 when both echoes came back whole.

Both stop starting new work once STOPFILE exists, finish what is under
way, and print one line:
  tcp_conns OK tcp_failed F tcp_bytes X udp_sent S udp_answered A udp_lost L
  udp_unexpected E [udp_tags T]
Exit 0 when F, L and E are 0 and some of both kinds (of UDP alone with
--tcp-clients 0) got through, else 1.
"""
import argparse
import os
import random
import select
import socket
import struct
import sys
import threading
import time


def tcp_one(host, port, nbytes, seed):
    data = random.Random(seed).randbytes(nbytes)
    with socket.create_connection((host, port), timeout=20) as s:
        got = bytearray()
        sent = 0
        while sent < nbytes:
            n = s.send(data[sent:sent + 16384])
            sent += n
            while len(got) < sent - 65536:     # keep the echo flowing back
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError("EOF before the whole echo")
                got += chunk
        s.shutdown(socket.SHUT_WR)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    if bytes(got) != data:
        raise ValueError(f"echo differs: {len(got)} of {nbytes} bytes back")
    return nbytes


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = self.failed = self.bytes = 0
        self.errors = []


def tcp_loop(args, tally, tid):
    k = 0
    while not os.path.exists(args.stopfile):
        try:
            n = tcp_one(args.host, args.tcp_port, args.tcp_bytes, tid * 1000003 + k)
            with tally.lock:
                tally.ok += 1
                tally.bytes += n
        except (OSError, ValueError) as e:
            with tally.lock:
                tally.failed += 1
                tally.errors.append(f"tcp client {tid} connection {k}: {e!r}")
        k += 1


def udp_socks(args):
    socks = []
    for _ in range(args.udp_sockets):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if args.udp_bind:
            s.bind((args.udp_bind, 0))
        s.connect((args.host, args.udp_port))
        s.setblocking(False)
        socks.append(s)
    return socks


def udp_dgram(seq):
    return struct.pack("!Q", seq) + b"x" * 56


def udp_recv(socks, out, res, skip):
    """Answers that arrived within 50 ms; returns how many matched."""
    n_ok = 0
    ready, _, _ = select.select(socks, [], [], 0.05)
    for s in ready:
        try:
            d = s.recv(2048)
        except BlockingIOError:
            continue
        except ConnectionRefusedError:
            res["refused"] = res.get("refused", 0) + 1
            continue
        res["tags"].add(d[:skip])
        d = d[skip:]
        seq = struct.unpack("!Q", d[:8])[0] if len(d) >= 8 else -1
        if d == udp_dgram(seq) and out.pop(seq, None) is not None:
            n_ok += 1
        else:
            res["unexpected"] += 1
    return n_ok


def udp_loop(args, res):
    socks = udp_socks(args)
    out = {}            # seq -> time sent
    seq = answered = lost = 0
    stop_at = None
    while True:
        now = time.monotonic()
        if stop_at is None and os.path.exists(args.stopfile):
            stop_at = now
        while stop_at is None and len(out) < args.udp_window:
            socks[seq % len(socks)].send(udp_dgram(seq))
            out[seq] = now
            seq += 1
        answered += udp_recv(socks, out, res, args.udp_skip)
        for n in [n for n, t in out.items() if now - t > 3.0]:
            del out[n]
            lost += 1
        if stop_at is not None and not out:
            break
    res.update(sent=seq, answered=answered, lost=lost)


def hold(host, port, stopfile):
    with socket.create_connection((host, port), timeout=20) as s:
        for k in range(2):
            data = random.Random(k).randbytes(4096)
            s.sendall(data)
            got = b""
            while len(got) < len(data):
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError(f"EOF after {len(got)} bytes")
                got += chunk
            if got != data:
                raise ValueError("echo differs")
            print("held" if k == 0 else "echoed again", flush=True)
            while k == 0 and not os.path.exists(stopfile):
                time.sleep(0.05)
    return 0


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--hold":
        return hold(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("udp_port", type=int)
    ap.add_argument("tcp_port", type=int)
    ap.add_argument("stopfile")
    ap.add_argument("--tcp-clients", type=int, default=4)
    ap.add_argument("--tcp-bytes", type=int, default=1 << 20)
    ap.add_argument("--udp-window", type=int, default=16)
    ap.add_argument("--udp-sockets", type=int, default=16)
    ap.add_argument("--udp-bind", default=None)
    ap.add_argument("--udp-skip", type=int, default=0)
    args = ap.parse_args()

    tally, res = Tally(), {"unexpected": 0, "tags": set()}
    threads = [threading.Thread(target=tcp_loop, args=(args, tally, i))
               for i in range(args.tcp_clients)]
    threads.append(threading.Thread(target=udp_loop, args=(args, res)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in tally.errors[:10]:
        print(e, file=sys.stderr)
    print(f"tcp_conns {tally.ok} tcp_failed {tally.failed} tcp_bytes {tally.bytes} "
          f"udp_sent {res['sent']} udp_answered {res['answered']} udp_lost {res['lost']} "
          f"udp_unexpected {res['unexpected']}"
          + (f" udp_tags {len(res['tags'])}" if args.udp_skip else "")
          + (f" udp_refused {res['refused']}" if "refused" in res else ""))
    good = (tally.failed == 0 and res["lost"] == 0 and "refused" not in res
            and res["unexpected"] == 0
            and (tally.ok > 0 or args.tcp_clients == 0) and res["answered"] > 0)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
