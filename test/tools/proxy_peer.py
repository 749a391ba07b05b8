#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""proxy_peer.py: backends and clients for the tcp-proxy tests.

  proxy_peer.py echo HOST PORT
  proxy_peer.py pp-echo HOST PORT
  proxy_peer.py pp-client HOST PORT
  proxy_peer.py stall HOST PORT
  proxy_peer.py expect-eof HOST PORT
  proxy_peer.py duplex-serve HOST PORT SEND EXPECT SEED [--die-after N]
  proxy_peer.py duplex-client HOST PORT SEND EXPECT SEED

echo: a plain TCP echo (a thread per connection). Serves until killed.

pp-echo: a backend that expects a PROXY protocol v2 header (haproxy's
proxy-protocol.txt, 2.2) first on every connection, answers one line that
says what it decoded, then echoes everything after the header:
  "PROXY <src> <sport> <dst> <dport>", "LOCAL", "UNSPEC" or "BAD <why>".
A connection closed before a whole header came (a health check) is
dropped quietly. Serves until killed.

pp-client: connects through the proxy, sends a few bytes at once (before
it can know anything of the backend), and checks the backend's line: the
source must be this client's own address and port, the destination the
proxy's HOST:PORT; then that the bytes came back after it. Prints the
line. Exit 0 when both hold, 1 otherwise.

stall: accepts connections and never reads or writes (a backend that
hangs). Serves until killed.

expect-eof: connects, sends a few bytes and waits up to 20 s for a clean
close (EOF). Exit 0 on EOF; 1 on a reset or nothing within 20 s.

duplex-serve / duplex-client: duplex.py's full-duplex streams with a
size of their own each way: an end sends SEND bytes of its seeded stream
while it reads, half-closes, reads until the other's FIN and prints
"sent SHA256 recv SHA256 COUNT". Exit 0 when COUNT == EXPECT and nothing
failed. duplex-serve takes one connection; --die-after N resets it once
N bytes came in.

Exit 2: usage.
"""
import ipaddress
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import duplex  # noqa: E402  (its streams, shared)

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        part = sock.recv(n - len(data))
        if not part:
            return None
        data += part
    return data


def decode(head, body):
    """The line pp-echo answers for one header."""
    if head[:12] != SIG:
        return "BAD signature " + head[:12].hex()
    ver_cmd, fam = head[12], head[13]
    if ver_cmd >> 4 != 2:
        return f"BAD version {ver_cmd >> 4}"
    if ver_cmd & 0xF == 0:
        return "LOCAL"
    if fam == 0x00:
        return "UNSPEC"
    if fam == 0x11 and len(body) >= 12:
        src, dst = ipaddress.IPv4Address(body[0:4]), ipaddress.IPv4Address(body[4:8])
        sport, dport = struct.unpack("!HH", body[8:12])
    elif fam == 0x21 and len(body) >= 36:
        src, dst = ipaddress.IPv6Address(body[0:16]), ipaddress.IPv6Address(body[16:32])
        sport, dport = struct.unpack("!HH", body[32:36])
    else:
        return f"BAD family 0x{fam:02x} length {len(body)}"
    return f"PROXY {src} {sport} {dst} {dport}"


def echo_rest(conn):
    while data := conn.recv(65536):
        conn.sendall(data)


def echo_conn(conn):
    with conn:
        try:
            echo_rest(conn)
        except OSError:
            pass


def pp_conn(conn):
    with conn:
        try:
            head = recv_exact(conn, 16)
            if head is None:
                return
            body = recv_exact(conn, struct.unpack("!H", head[14:16])[0])
            if body is None:
                return
            conn.sendall((decode(head, body) + "\n").encode())
            echo_rest(conn)
        except OSError:
            pass


def serve(host, port, handler):
    ls = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(128)
    held = []
    while True:
        conn, _ = ls.accept()
        if handler is None:
            held.append(conn)	# stall: never touched again
        else:
            threading.Thread(target=handler, args=(conn,), daemon=True).start()


def pp_client(host, port):
    sock = socket.create_connection((host, port), timeout=20)
    sock.sendall(b"hello\n")
    me = sock.getsockname()
    f = sock.makefile("rb")
    line = f.readline().decode().strip()
    echo = f.readline()
    print(line)
    want = f"PROXY {me[0]} {me[1]} {host} {port}"
    if line != want:
        print(f"pp-client: expected '{want}'", file=sys.stderr)
        return 1
    if echo != b"hello\n":
        print(f"pp-client: echo after the header: {echo!r}", file=sys.stderr)
        return 1
    return 0


def duplex_mode(mode, host, port, args):
    send, expect, seed = int(args[0]), int(args[1]), int(args[2])
    die_after = int(args[4]) if len(args) > 4 and args[3] == "--die-after" else None
    if mode == "duplex-client":
        return duplex.run(socket.create_connection((host, port), timeout=120), send, seed,
                          expect=expect)
    ls = socket.socket(socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(1)
    conn, _ = ls.accept()
    ls.close()
    return duplex.run(conn, send, seed, die_after, expect)


def main(argv):
    try:
        mode, host, port = argv[1], argv[2], int(argv[3])
    except (IndexError, ValueError):
        print(__doc__, file=sys.stderr)
        return 2
    if mode == "echo":
        return serve(host, port, echo_conn)
    if mode == "pp-echo":
        return serve(host, port, pp_conn)
    if mode == "stall":
        return serve(host, port, None)
    if mode == "pp-client":
        return pp_client(host, port)
    if mode == "expect-eof":
        return duplex.expect_close(host, port, clean=True)
    if mode in ("duplex-serve", "duplex-client"):
        try:
            return duplex_mode(mode, host, port, argv[4:])
        except (IndexError, ValueError):
            print(__doc__, file=sys.stderr)
            return 2
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
