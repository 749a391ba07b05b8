#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""relay_check.py: the two ends of a UDP relay test (udp-relay).

  relay_check.py backend HOST:PORT ID [--delay-ms N]
      A backend: answers every datagram with one byte ID followed by the
      datagram itself, so a client can check both the payload and which
      backend answered. --delay-ms: each answer leaves N ms after its
      datagram came (a slow backend: answers always on the way).

  relay_check.py clients RELAY_HOST:PORT --ips A,B,... [--ports N]
                 [--count N] [--window N] [--sizes 64,512,1400] [--mark FILE]
      Sessions = every IP x N source ports. Each session sends --count
      datagrams (sequence number, session id, a pseudo-random filler) in
      windows of --window, all sessions interleaved, and reads the
      window's replies. Checks: every reply is ID + exactly what was sent,
      in the order sent (per session), from the relay's own address and
      port; every session of one IP got the same backend (affinity).
      --mark: create FILE once the first window is sent (a test that
      stopped the relay lets it go then). Prints a JSON summary; exit 1 on
      any failure.

  relay_check.py flood RELAY_HOST:PORT --ips A,B,... --seconds S
      Sends without waiting for replies (for a shutdown under load).

Batching through the relay (GSO toward backends, GRO from them):

  relay_check.py batch-backend HOST:PORT
      A backend that checks what it receives and answers on request:
        "D" + sid (u32) + seq (u32) + filler   a datagram of a burst:
            checked (exact filler, seq = the next one of sid from this
            source), no answer;
        "R"   answers JSON {"received": N, "errors": [...]} (and resets);
        "G" + n (u16) + seg (u16) + last (u16)   answers with ONE send of n
            datagrams (UDP_SEGMENT seg: n-1 of seg bytes, then last bytes),
            datagram k = k (u16) + a filler of k.

  relay_check.py bursts RELAY_HOST:PORT --bursts N --sizes A,B,.. [--mark FILE] [--ip ADDR] [--gso]
      One client (from ADDR if given): N bursts of datagrams of the sizes (a
      burst is every size in turn; --gso: each burst is ONE send with
      UDP_SEGMENT the first size, so the sizes must be equal but for a
      shorter last one; a UDP_GRO socket receives it coalesced), then asks the backend for its report
      through the relay (creates FILE once all is sent). Prints {"sent": N, "backend": {...}};
      exit 1 unless the backend got every datagram exact and in order.

  relay_check.py gro RELAY_HOST:PORT N:SEG:LAST ...
      For each shape, asks for the coalesced answer and checks that the
      client receives N datagrams, exactly the sizes and bytes the backend
      sent, in order. Prints {"shapes": .., "datagrams": .., "errors": []}.
"""
import collections
import json
import random
import select
import socket
import struct
import sys
import time


def addr(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def backend(listen, ident, delay_ms=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(addr(listen))
    tag = bytes([int(ident)])
    if delay_ms:
        return slow_backend(s, tag, delay_ms / 1000.0)
    while True:
        data, peer = s.recvfrom(65536)
        s.sendto(tag + data, peer)


def slow_backend(s, tag, delay):
    """Every answer leaves `delay` after its datagram came, in arrival
    order: there are always answers on the way back while traffic runs."""
    due = collections.deque()
    while True:
        wait = max(0.0, due[0][0] - time.monotonic()) if due else None
        if select.select([s], [], [], wait)[0]:
            data, peer = s.recvfrom(65536)
            due.append((time.monotonic() + delay, tag + data, peer))
        while due and due[0][0] <= time.monotonic():
            _, data, peer = due.popleft()
            s.sendto(data, peer)


def payload(sid, seq, size):
    head = struct.pack("!II", sid, seq)
    rnd = random.Random(sid * 1000003 + seq)
    return head + bytes(rnd.getrandbits(8) for _ in range(max(0, size - len(head))))


def opt(args, name, default):
    return args[args.index(name) + 1] if name in args else default


def make_sessions(ips, ports):
    socks = []
    for ip in ips:
        for _ in range(ports):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.bind((ip, 0))
            s.settimeout(3.0)
            socks.append((ip, s))
    return socks


class Result:
    def __init__(self):
        self.errors = []
        self.backend_of_ip = {}
        self.sessions_per_backend = {}
        self.datagrams = 0

    def err(self, text):
        if len(self.errors) < 20:
            self.errors.append(text)


def check_reply(res, relay, ip, sid, seq, sent, data, peer, seen_backend):
    if peer != relay:
        res.err(f"session {sid}: reply from {peer}, not the relay {relay}")
    if data[1:] != sent:
        got = struct.unpack("!II", data[1:9]) if len(data) >= 9 else None
        res.err(f"session {sid}: reply {seq} wrong or out of order "
                f"(len {len(data) - 1} vs {len(sent)}, header {got})")
    be = data[0] if data else -1
    if seen_backend.setdefault(sid, be) != be:
        res.err(f"session {sid}: backend changed from {seen_backend[sid]} to {be}")
    if res.backend_of_ip.setdefault(ip, be) != be:
        res.err(f"client {ip}: sessions on backends {res.backend_of_ip[ip]} and {be}")


def clients(relay, args):
    ips = opt(args, "--ips", "").split(",")
    ports = int(opt(args, "--ports", "1"))
    count = int(opt(args, "--count", "100"))
    window = int(opt(args, "--window", "16"))
    sizes = [int(x) for x in opt(args, "--sizes", "64,512,1400").split(",")]
    mark = opt(args, "--mark", "")
    socks = make_sessions(ips, ports)
    res, seen_backend = Result(), {}
    for base in range(0, count, window):
        n = min(window, count - base)
        sent = {}
        for sid, (ip, s) in enumerate(socks):
            sent[sid] = [payload(sid, base + k, sizes[(base + k + sid) % len(sizes)])
                         for k in range(n)]
            for p in sent[sid]:
                s.sendto(p, relay)
        if mark and base == 0:
            open(mark, "w").close()
        for sid, (ip, s) in enumerate(socks):
            for k in range(n):
                try:
                    data, peer = s.recvfrom(65536)
                except socket.timeout:
                    res.err(f"session {sid} ({ip}): reply {base + k} missing")
                    break
                check_reply(res, relay, ip, sid, base + k, sent[sid][k], data, peer, seen_backend)
                res.datagrams += 1
        if res.errors:
            break
    for sid, be in seen_backend.items():
        res.sessions_per_backend[str(be)] = res.sessions_per_backend.get(str(be), 0) + 1
    print(json.dumps({"sessions": len(socks), "datagrams": res.datagrams,
                      "backend_of_ip": res.backend_of_ip,
                      "sessions_per_backend": res.sessions_per_backend,
                      "errors": res.errors}))
    return 1 if res.errors else 0


def flood(relay, args):
    ips = opt(args, "--ips", "").split(",")
    end = time.monotonic() + float(opt(args, "--seconds", "2"))
    socks = make_sessions(ips, 2)
    data = payload(0, 0, 512)
    sent = 0
    while time.monotonic() < end:
        for _, s in socks:
            try:
                s.sendto(data, relay)
                sent += 1
            except OSError:
                pass
    print(json.dumps({"sent": sent}))
    return 0


# ---- batching: GSO toward backends, GRO from them ----

UDP_SEGMENT = 103


def filler(sid, seq, size):
    return bytes((sid * 7 + seq * 13 + i) & 0xff for i in range(size))


def burst_dgram(sid, seq, size):
    head = b"D" + struct.pack("!II", sid, seq)
    return head + filler(sid, seq, max(0, size - len(head)))


def gro_dgram(k, size):
    head = struct.pack("!H", k)
    return (head + bytes((k * 29 + i) & 0xff for i in range(size)))[:size]


def batch_backend(listen):
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


def bursts(relay, args):
    n = int(opt(args, "--bursts", "20"))
    sizes = [int(x) for x in opt(args, "--sizes", "512").split(",")]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    if "--ip" in args:
        s.bind((opt(args, "--ip", ""), 0))
    s.settimeout(5.0)
    seq = 0
    for _ in range(n):
        if "--gso" in args:
            body = b"".join(burst_dgram(1, seq + k, size) for k, size in enumerate(sizes))
            s.sendmsg([body], [(socket.SOL_UDP, UDP_SEGMENT, struct.pack("=H", sizes[0]))],
                      0, relay)
            seq += len(sizes)
            continue
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
        backend(where, rest[0], int(opt(rest, "--delay-ms", 0)))
        return 0
    if mode == "batch-backend":
        batch_backend(where)
        return 0
    relay = addr(where)
    return {"clients": clients, "flood": flood, "bursts": bursts, "gro": gro}[mode](relay, rest)


if __name__ == "__main__":
    sys.exit(main())
