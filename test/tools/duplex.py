#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""duplex.py: both ends of one TCP connection stream at the same time.

  duplex.py serve HOST PORT BYTES SEED [--die-after N]
  duplex.py client HOST PORT BYTES SEED
  duplex.py expect-close HOST PORT

serve/client: each end sends BYTES of its own seeded pseudo-random stream
while it reads the other's (full duplex through whatever sits between),
shuts its sending side down once everything is written (a half-close: the
other direction goes on) and reads until the other side's FIN. Each prints
one line:  sent SHA256 recv SHA256 BYTES_RECEIVED
serve takes one connection, then exits. With --die-after N the server
resets the connection (SO_LINGER 0) once it has received N bytes.

expect-close: connect, send a few bytes, and wait up to 20 s for the
server to close or reset. Exit 0 when it did, 1 when it did not.

Exit: 0 done, 1 failed (reset, short stream), 2 usage.
"""
import hashlib
import random
import socket
import struct
import sys
import threading

CHUNK = 1 << 20


def send_stream(sock, nbytes, seed, digest):
    rng = random.Random(seed)
    left = nbytes
    while left:
        data = rng.randbytes(min(CHUNK, left))
        digest.update(data)
        sock.sendall(data)
        left -= len(data)
    sock.shutdown(socket.SHUT_WR)


def recv_stream(sock, digest, die_after=None):
    got = 0
    while data := sock.recv(CHUNK):
        digest.update(data)
        got += len(data)
        if die_after is not None and got >= die_after:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            raise SystemExit(0)
    return got


def run(sock, nbytes, seed, die_after=None, expect=None):
    """Send nbytes, receive until FIN; 0 when expect (default nbytes) came."""
    sent, recvd = hashlib.sha256(), hashlib.sha256()
    errors = []

    def sender():
        try:
            send_stream(sock, nbytes, seed, sent)
        except OSError as e:
            errors.append(f"send: {e}")

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    try:
        got = recv_stream(sock, recvd, die_after)
    except OSError as e:
        errors.append(f"recv: {e}")
        got = -1
    t.join()
    print(f"sent {sent.hexdigest()} recv {recvd.hexdigest()} {got}", flush=True)
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors or got != (nbytes if expect is None else expect) else 0


def serve(host, port, nbytes, seed, die_after):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(1)
    print("listening", file=sys.stderr, flush=True)
    conn, _ = ls.accept()
    ls.close()
    return run(conn, nbytes, seed, die_after)


def client(host, port, nbytes, seed):
    return run(socket.create_connection((host, port), timeout=120), nbytes, seed)


def expect_close(host, port, clean=False):
    """0 once the server closed (clean: only a FIN counts, not a reset)."""
    sock = socket.create_connection((host, port), timeout=20)
    try:
        sock.sendall(b"hello")
        while sock.recv(4096):
            pass
    except socket.timeout:
        print("expect-close: still open after 20 s", file=sys.stderr)
        return 1
    except OSError as e:
        if clean:
            print(f"expect-close: {e}, not a clean close", file=sys.stderr)
            return 1
    return 0


def main(argv):
    try:
        mode, host, port = argv[1], argv[2], int(argv[3])
        if mode == "expect-close":
            return expect_close(host, port)
        nbytes, seed = int(argv[4]), int(argv[5])
        die_after = int(argv[7]) if len(argv) > 7 and argv[6] == "--die-after" else None
    except (IndexError, ValueError):
        print(__doc__, file=sys.stderr)
        return 2
    if mode == "serve":
        return serve(host, port, nbytes, seed, die_after)
    if mode == "client":
        return client(host, port, nbytes, seed)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
