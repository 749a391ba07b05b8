#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Capture real kernel answers as seeds for fuzz_netlink.

    netlink_seeds.py OUTDIR DEV

Asks the kernel (ethtool and netdev generic netlink) what nicmgr asks about
DEV and writes every answer message to OUTDIR/<request>-<n>. Run it in a
network namespace on a veth with 2 queues and GRO on (NAPI instances, queue
stats), as README.md beside it says; the seeds in test/fuzz/corpus/netlink
came from it.
"""
import os
import socket
import struct
import sys

NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLMSG_ERROR, NLMSG_DONE, GENL_ID_CTRL = 2, 3, 16
CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 3, 1, 2
NLA_F_NESTED = 0x8000
# linux/ethtool_netlink.h and linux/netdev.h (enum order)
ETHTOOL = {"strset": 1, "linkstate": 6, "features": 11, "rings": 15, "channels": 17,
           "coalesce": 19, "rss": 38}
NETDEV = {"queue": 10, "napi": 11, "qstats": 12}
ETH_SS_FEATURES, ETH_SS_RSS_HASH_FUNCS = 4, 13


def attr(kind, payload, nested=False):
    hdr = struct.pack("HH", 4 + len(payload), kind | (NLA_F_NESTED if nested else 0))
    return hdr + payload + b"\0" * (-len(payload) % 4)


def genl(family, cmd, flags, attrs, seq):
    body = struct.pack("BBH", cmd, 1, 0) + attrs
    return struct.pack("IHHII", 16 + len(body), family, flags, seq, 0) + body


def talk(sk, msg):
    """Send msg; the answer messages (not acks, not DONE) until done."""
    sk.send(msg)
    out = []
    while True:
        buf = sk.recv(1 << 16)
        off = 0
        while off + 16 <= len(buf):
            length, kind = struct.unpack_from("IH", buf, off)
            if kind == NLMSG_DONE:
                return out
            if kind == NLMSG_ERROR:
                err = struct.unpack_from("i", buf, off + 16)[0]
                if err:
                    print("  error %d" % err, file=sys.stderr)
                return out
            out.append(buf[off:off + length])
            off += (length + 3) & ~3


def family_id(sk, name):
    msgs = talk(sk, genl(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_REQUEST | NLM_F_ACK,
                         attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"), 1))
    buf = msgs[0][20:]
    while buf:
        length, kind = struct.unpack_from("HH", buf)
        if kind == CTRL_ATTR_FAMILY_ID:
            return struct.unpack_from("H", buf, 4)[0]
        buf = buf[(length + 3) & ~3:]
    raise SystemExit("no family " + name)


def main():
    outdir, dev = sys.argv[1], sys.argv[2]
    ifindex = socket.if_nametoindex(dev)
    sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)  # NETLINK_GENERIC
    eth, net = family_id(sk, "ethtool"), family_id(sk, "netdev")
    header = attr(1, attr(2, dev.encode() + b"\0"), nested=True)
    reqs = {name: genl(eth, cmd, NLM_F_REQUEST | NLM_F_ACK, header, 2)
            for name, cmd in ETHTOOL.items() if name != "strset"}
    for ss, name in ((ETH_SS_FEATURES, "strset-features"), (ETH_SS_RSS_HASH_FUNCS, "strset-hfuncs")):
        sets = attr(2, attr(1, attr(1, struct.pack("I", ss)), nested=True), nested=True)
        reqs[name] = genl(eth, ETHTOOL["strset"], NLM_F_REQUEST | NLM_F_ACK, header + sets, 3)
    dump = NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP
    reqs["queue"] = genl(net, NETDEV["queue"], dump, attr(2, struct.pack("I", ifindex)), 4)
    reqs["napi"] = genl(net, NETDEV["napi"], dump, attr(1, struct.pack("I", ifindex)), 5)
    reqs["qstats"] = genl(net, NETDEV["qstats"], dump, attr(2, struct.pack("I", 1)), 6)
    for name, req in reqs.items():
        msgs = talk(sk, req)
        for i, m in enumerate(msgs):
            with open(os.path.join(outdir, "%s-%d" % (name, i)), "wb") as f:
                f.write(m)
        print("%s: %d answers" % (name, len(msgs)))


main()
