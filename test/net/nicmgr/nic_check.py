#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks for the nicmgr network tests: `ringplane nic show --json` against
the ethtool CLI's own output for the same device, and JSON comparisons.

  nic_check.py channels SHOW.json ETHTOOL_L.txt
  nic_check.py features SHOW.json ETHTOOL_K.txt
  nic_check.py rings SHOW.json ETHTOOL_G.txt
  nic_check.py coalesce SHOW.json ETHTOOL_C.txt
  nic_check.py same A.json B.json [--settings]   (--settings: no counters, NAPI ids)
  nic_check.py status SHOW.json SECTION WANT     (ok | not supported | error)
  nic_check.py get SHOW.json KEY[.KEY...]        (prints the value)

Exit 0 when the check holds; otherwise a line saying what differs, exit 1.
"""
import json
import re
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def num(text):
    """ethtool's value text -> int or None ("n/a"), "on"/"off" -> 1/0."""
    text = text.strip()
    if text in ("n/a", ""):
        return None
    if text in ("on", "off"):
        return int(text == "on")
    return int(text)


def diff(what, mine, theirs):
    bad = [(k, mine.get(k), v) for k, v in theirs.items() if mine.get(k) != v]
    for k, m, t in bad:
        print(f"{what} {k}: nic show says {m}, ethtool says {t}")
    if not theirs:
        print(f"{what}: nothing parsed from ethtool's output")
        return 1
    return 1 if bad else 0


def two_blocks(text, names):
    """ethtool -l/-g print 'Pre-set maximums:' then 'Current hardware
    settings:', each with 'Name:<tab>value' lines."""
    out, block = {}, None
    for line in text.splitlines():
        if line.startswith("Pre-set maximums"):
            block = "max"
        elif line.startswith("Current hardware"):
            block = "cur"
        m = re.match(r"^([A-Za-z ]+):\s+(\S+)$", line)
        if block and m and m.group(1) in names:
            key = names[m.group(1)]
            out[key + ("-max" if block == "max" else "")] = num(m.group(2))
    return out


def cmd_channels(show, text):
    names = {"RX": "rx", "TX": "tx", "Other": "other", "Combined": "combined"}
    return diff("channels", load(show)["channels"], two_blocks(open(text).read(), names))


def cmd_rings(show, text):
    names = {"RX": "rx", "RX Mini": "rx-mini", "RX Jumbo": "rx-jumbo", "TX": "tx"}
    theirs = two_blocks(open(text).read(), names)
    # ethtool prints "TX Push: off" and "RX Buf Len: n/a" in the current block
    for line in open(text).read().splitlines():
        m = re.match(r"^(RX Buf Len|TX Push):\s+(\S+)$", line)
        if m:
            theirs[{"RX Buf Len": "rx-buf-len", "TX Push": "tx-push"}[m.group(1)]] = num(m.group(2))
    return diff("rings", load(show)["rings"], theirs)


def cmd_coalesce(show, text):
    theirs = {}
    for line in open(text).read().splitlines():
        m = re.match(r"^(rx-usecs|rx-frames|tx-usecs|tx-frames|rx-usecs-irq|rx-frames-irq|"
                     r"tx-usecs-irq|tx-frames-irq|stats-block-usecs): (\S+)$", line)
        if m:
            theirs[m.group(1)] = num(m.group(2))
        m = re.match(r"^Adaptive RX: (\S+)\s+TX: (\S+)$", line)
        if m:
            theirs["adaptive-rx"], theirs["adaptive-tx"] = num(m.group(1)), num(m.group(2))
    return diff("coalesce", load(show)["coalesce"], theirs)


# ethtool -k prints these features under their old (ioctl-era) names.
ETHTOOL_OLD_NAMES = {
    "rx-checksumming": "rx-checksum", "generic-receive-offload": "rx-gro",
    "receive-hashing": "rx-hashing", "large-receive-offload": "rx-lro",
    "ntuple-filters": "rx-ntuple-filter", "rx-vlan-offload": "rx-vlan-hw-parse",
    "generic-segmentation-offload": "tx-generic-segmentation",
    "tx-vlan-offload": "tx-vlan-hw-insert",
}


def cmd_features(show, text):
    mine = {k: {"on": v["active"], "fixed": v["fixed"]}
            for k, v in load(show)["features"]["list"].items()}
    theirs = {}
    for line in open(text).read().splitlines():
        m = re.match(r"^\s*([a-z0-9_-]+): (on|off)( \[(fixed|requested \w+)\])?$", line)
        name = m and ETHTOOL_OLD_NAMES.get(m.group(1), m.group(1))
        if m and name in mine:   # ethtool also prints group names
            theirs[name] = {"on": m.group(2) == "on", "fixed": m.group(4) == "fixed"}
    if len(theirs) < len(mine):
        print(f"features: ethtool lists {len(theirs)} of our {len(mine)}: "
              f"{sorted(set(mine) - set(theirs))}")
        return 1
    return diff("features", mine, theirs)


# Not settings: per-queue counters move by themselves, and NAPI ids (and
# the pids of their threads) are identities the kernel hands out anew when
# a channel change destroys and recreates a NAPI.
NOT_SETTINGS = ("stats", "napi-id", "pid")


def strip(d):
    """Settings only (see NOT_SETTINGS); NAPIs compared in queue order."""
    if isinstance(d, dict):
        d = {k: strip(v) for k, v in d.items() if k not in NOT_SETTINGS}
        if isinstance(d.get("napi"), dict):
            napis = sorted(d["napi"].get("list", []), key=lambda n: n.get("id", 0))
            for n in napis:
                n.pop("id", None)
            d["napi"]["list"] = napis
        return d
    if isinstance(d, list):
        return [strip(v) for v in d]
    return d


def cmd_same(a, b, *opts):
    x, y = load(a), load(b)
    if "--settings" in opts:
        x, y = strip(x), strip(y)
    if x == y:
        return 0
    for k in sorted(set(x) | set(y)):
        if x.get(k) != y.get(k):
            print(f"differs in {k}:\n  before {json.dumps(x.get(k))[:600]}\n"
                  f"  after  {json.dumps(y.get(k))[:600]}")
    return 1


def cmd_status(show, section, want):
    got = load(show)[section]["status"]
    if got != want:
        print(f"{section}: status {got!r}, expected {want!r}")
        return 1
    return 0


def cmd_get(show, path):
    v = load(show)
    for k in path.split("."):
        v = v[int(k)] if isinstance(v, list) else v[k]
    print(json.dumps(v) if not isinstance(v, str) else v)
    return 0


if __name__ == "__main__":
    cmds = {"channels": cmd_channels, "features": cmd_features, "rings": cmd_rings,
            "coalesce": cmd_coalesce, "same": cmd_same, "status": cmd_status, "get": cmd_get}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(cmds[sys.argv[1]](*sys.argv[2:]))
