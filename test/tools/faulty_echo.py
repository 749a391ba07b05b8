#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""faulty_echo.py MODE HOST PORT: echo servers, correct and deliberately
wrong, to prove the echo checkers notice when an echo is wrong.

  tcp-echo     correct TCP echo (asyncio; closes after the peer's FIN)
  tcp-corrupt  TCP echo that flips one byte at stream offset 5000
  tcp-short    TCP echo that closes after echoing 1000 bytes
  udp-corrupt  UDP echo that flips the last byte of datagrams over 10 bytes
"""
import asyncio
import socket
import sys


def tcp_handler(fault):
    async def handle(reader, writer):
        seen = 0
        try:
            while data := await reader.read(65536):
                data = bytearray(data)
                if fault == "tcp-corrupt" and seen <= 5000 < seen + len(data):
                    data[5000 - seen] ^= 0xFF
                if fault == "tcp-short" and seen + len(data) >= 1000:
                    writer.write(bytes(data[:1000 - seen]))
                    break
                seen += len(data)
                writer.write(bytes(data))
                await writer.drain()
        except ConnectionError:
            pass
        writer.close()
    return handle


async def serve_tcp(mode, host, port):
    server = await asyncio.start_server(tcp_handler(mode), host, port, backlog=4096)
    await server.serve_forever()


def serve_udp_corrupt(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, port))
    while True:
        data, peer = s.recvfrom(65536)
        data = bytearray(data)
        if len(data) > 10:
            data[-1] ^= 0xFF
        s.sendto(bytes(data), peer)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "udp-corrupt":
        serve_udp_corrupt(host, port)
    elif mode in ("tcp-echo", "tcp-corrupt", "tcp-short"):
        asyncio.run(serve_tcp(mode, host, port))
    else:
        print(f"faulty_echo.py: unknown mode '{mode}'", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
