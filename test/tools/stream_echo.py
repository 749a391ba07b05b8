#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""stream_echo.py: long-lived TCP connections streaming through an echo.

  stream_echo.py HOST PORT CONNS READY_FILE STOP_FILE

Opens CONNS connections to HOST:PORT (a proxy in front of echo servers)
and keeps each one streaming: it sends a chunk of its own seeded
pseudo-random stream and reads the same bytes back, checking every byte,
again and again, until STOP_FILE exists. READY_FILE is written once every
connection has made its first round trip. Then each connection half-closes,
reads to EOF (nothing more may come) and the script prints one line:

  ok CONNS ROUNDS BYTES          (every byte came back, in order)

or a line per failed connection (reset, mismatch, short stream) and exits 1.
It is the client side of a reload under traffic: no established
connection may be dropped or corrupted while the proxy's config changes.
"""
import os
import random
import socket
import sys
import threading
import time

CHUNK = 16384


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        data = sock.recv(n - len(buf))
        if not data:
            raise ConnectionError(f"EOF after {len(buf)} of {n} bytes")
        buf += data
    return bytes(buf)


class Conn(threading.Thread):
    def __init__(self, host, port, seed, stop_file, first):
        super().__init__(daemon=True)
        self.host, self.port, self.seed = host, port, seed
        self.stop_file, self.first = stop_file, first
        self.rounds = self.bytes = 0
        self.error = None

    def run(self):
        try:
            self.stream()
        except Exception as e:  # reported per connection
            self.error = f"conn {self.seed}: {e!r}"
            self.first.set()

    def stream(self):
        rng = random.Random(self.seed)
        sock = socket.create_connection((self.host, self.port), timeout=30)
        while True:
            data = rng.randbytes(rng.randint(1, CHUNK))
            sock.sendall(data)
            if recv_exact(sock, len(data)) != data:
                raise ValueError(f"echo differs in round {self.rounds}")
            self.rounds += 1
            self.bytes += len(data)
            self.first.set()
            if os.path.exists(self.stop_file):
                break
            time.sleep(0.01)
        sock.shutdown(socket.SHUT_WR)
        if sock.recv(1):
            raise ValueError("bytes after the last echo")
        sock.close()


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ready, stop = sys.argv[4], sys.argv[5]
    conns = []
    for i in range(n):
        c = Conn(host, port, i + 1, stop, threading.Event())
        c.start()
        conns.append(c)
    for c in conns:
        c.first.wait(60)
    with open(ready, "w") as f:
        f.write("ready\n")
    for c in conns:
        c.join()
    bad = [c.error or f"conn {c.seed}: no round trip" for c in conns if c.error or not c.rounds]
    for line in bad:
        print(line)
    if bad:
        return 1
    print(f"ok {n} {sum(c.rounds for c in conns)} {sum(c.bytes for c in conns)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
