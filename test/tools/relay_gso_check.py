#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""relay_gso_check.py: batching through a UDP relay (udp-relay's GSO toward
backends and GRO from them).

  relay_gso_check.py backend HOST:PORT
      A backend that checks what it receives and answers on request:
        "D" + sid (u32) + seq (u32) + filler   a datagram of a burst:
            checked (exact filler, seq = the next one of sid from this
            source), no answer;
        "R"   answers JSON {"received": N, "errors": [...]} (and resets);
        "G" + n (u16) + seg (u16) + last (u16)   answers with ONE send of n
            datagrams (UDP_SEGMENT seg: n-1 of seg bytes, then last bytes),
            datagram k = k (u16) + a filler of k.

  relay_gso_check.py bursts RELAY_HOST:PORT --bursts N --sizes A,B,..
                    [--mark FILE]
      One client: N bursts of datagrams of the sizes (a burst is every size
      in turn), then asks the backend for its report through the relay
      (creates FILE once all is sent).
      Prints {"sent": N, "backend": {...}}; exit 1 unless the backend got
      every datagram exact and in order.

  relay_gso_check.py gro RELAY_HOST:PORT N:SEG:LAST ...
      For each shape, asks for the coalesced answer and checks that the
      client receives N datagrams, exactly the sizes and bytes the backend
      sent, in order. Prints {"shapes": .., "datagrams": .., "errors": []}.
"""
import json
import socket
import struct
import sys

UDP_SEGMENT = 103


def addr(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def filler(sid, seq, size):
    return bytes((sid * 7 + seq * 13 + i) & 0xff for i in range(size))


def burst_dgram(sid, seq, size):
    head = b"D" + struct.pack("!II", sid, seq)
    return head + filler(sid, seq, max(0, size - len(head)))


def gro_dgram(k, size):
    head = struct.pack("!H", k)
    return (head + bytes((k * 29 + i) & 0xff for i in range(size)))[:size]


def backend(listen):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(addr(listen))
    received, errors, nxt = 0, [], {}
    while True:
        data, peer = s.recvfrom(70000)
        if data[:1] == b"D" and len(data) >= 9:
            sid, seq = struct.unpack("!II", data[1:9])
            key = (peer, sid)
            want = nxt.get(key, 0)
            if seq != want and len(errors) < 20:
                errors.append(f"{peer} sid {sid}: seq {seq}, expected {want}")
            if data[9:] != filler(sid, seq, len(data) - 9) and len(errors) < 20:
                errors.append(f"{peer} sid {sid} seq {seq}: bytes differ (len {len(data)})")
            nxt[key] = seq + 1
            received += 1
        elif data[:1] == b"R":
            s.sendto(json.dumps({"received": received, "errors": errors}).encode(), peer)
            received, errors, nxt = 0, [], {}
        elif data[:1] == b"G" and len(data) >= 7:
            n, seg, last = struct.unpack("!HHH", data[1:7])
            body = b"".join(gro_dgram(k, seg) for k in range(n - 1)) + gro_dgram(n - 1, last)
            s.sendmsg([body], [(socket.SOL_UDP, UDP_SEGMENT, struct.pack("=H", seg))], 0, peer)


def opt(args, name, default):
    return args[args.index(name) + 1] if name in args else default


def bursts(relay, args):
    n = int(opt(args, "--bursts", "20"))
    sizes = [int(x) for x in opt(args, "--sizes", "512").split(",")]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    s.settimeout(5.0)
    seq = 0
    for _ in range(n):
        for size in sizes:
            s.sendto(burst_dgram(1, seq, size), relay)
            seq += 1
    s.sendto(b"R", relay)
    if "--mark" in args:
        open(opt(args, "--mark", ""), "w").close()
    report = json.loads(s.recvfrom(65536)[0])
    ok = report["received"] == seq and not report["errors"]
    print(json.dumps({"sent": seq, "backend": report}))
    return 0 if ok else 1


def gro(relay, shapes):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.settimeout(3.0)
    errors, total = [], 0
    for shape in shapes:
        n, seg, last = (int(x) for x in shape.split(":"))
        s.sendto(b"G" + struct.pack("!HHH", n, seg, last), relay)
        for k in range(n):
            want = gro_dgram(k, seg if k < n - 1 else last)
            try:
                data, peer = s.recvfrom(70000)
            except socket.timeout:
                errors.append(f"{shape}: datagram {k} missing")
                break
            if peer != relay:
                errors.append(f"{shape}: datagram {k} from {peer}")
            if data != want:
                errors.append(f"{shape}: datagram {k}: {len(data)} B, expected {len(want)} B "
                              f"(index {struct.unpack('!H', data[:2])[0] if len(data) >= 2 else None})")
                break
            total += 1
    print(json.dumps({"shapes": len(shapes), "datagrams": total, "errors": errors}))
    return 1 if errors else 0


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, where, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "backend":
        backend(where)
        return 0
    relay = addr(where)
    if mode == "bursts":
        return bursts(relay, rest)
    return gro(relay, rest)


if __name__ == "__main__":
    sys.exit(main())
