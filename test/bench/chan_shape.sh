#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench chan --quick` writes results of the expected SHAPE: p2p
# cases for the four point-to-point variants at six sizes, fan-out cases for
# the six fan-out variants (two with receive coalescing) at 3 sizes x 5 receiver counts x 2 receiver works
# (none, sum), multicast at 64 B and 4 KB, by reference at 32 KB, the sender's
# CPU time and the delivered time, the ratio notes and the plots. Numbers are
# not judged.
set -u
. "$RP_TOP/test/bench/lib.sh"
rp_bench_quick chan
python3 - "$out/chan.json" <<'PY' || exit 1
import sys
from shape import Shape
s = Shape(sys.argv[1], "chan")
def cases(variant, test):
    return [r for r in s.by_variant.get(variant, []) if r["params"].get("test") == test]
for v in ("pipe", "unix", "shm_eventfd", "ringplane_unicast"):
    rows = cases(v, "p2p")
    s.need(sorted(r["params"]["size"] for r in rows) == [64, 256, 1024, 4096, 16384, 32768],
           f"{v}: p2p at six sizes")
    s.need(all("ns_per_msg" in r["metrics"] for r in rows), f"{v}: ns_per_msg")
for v in ("pipe", "unix", "shm_eventfd", "ringplane_broadcast", "shm_eventfd_batch",
          "ringplane_broadcast_batch"):
    rows = cases(v, "fanout")
    s.need(len(rows) == 30, f"{v}: 30 fan-out cases")
    s.need(sorted({r["params"].get("rx_work") for r in rows}) == ["none", "sum"],
           f"{v}: receivers' work none and sum")
    s.need(all({"sender_cpu_ns_per_msg", "rx_cpu_ns_per_msg", "delivered_ns_per_msg"}
               <= set(r["metrics"]) for r in rows), f"{v}: CPU and delivered times")
    s.need(all("sender_ns_per_msg" in r["metrics"] for r in rows), f"{v}: sender_ns_per_msg")
    s.need(all({"rx_sleeps_per_msg", "sender_preempted_per_msg"} <= set(r["metrics"]) for r in rows),
           f"{v}: receivers' sleeps and sender's preemptions per message")
s.need(len(cases("ringplane_multicast", "fanout")) == 20, "multicast: 20 cases")
s.need(len(cases("ringplane_multicast_batch", "fanout")) == 20, "multicast coalescing: 20 cases")
s.need(len(cases("ringplane_broadcast_ref", "fanout")) == 10, "by reference: 10 cases")
for v in ("pipe", "unix", "shm_eventfd", "ringplane_unicast"):
    rows = cases(v, "wake")
    s.need(len(rows) == 1 and {"p50", "p99"} <= set(rows[0]["metrics"]), f"{v}: wake p50/p99")
s.need(any("pipe / ringplane_broadcast" in n for n in s.doc.get("notes", [])), "ratio notes")
s.need(any("shm_eventfd_batch / ringplane_broadcast_batch" in n for n in s.doc.get("notes", [])),
       "coalescing ratio notes")
s.need(any("ringplane_multicast 64 B, rx_work none: sender cost with 16" in n for n in s.doc.get("notes", [])),
       "multicast degradation note")
s.need(any("ringplane_multicast_batch 64 B, rx_work none: sender cost with 16" in n
           for n in s.doc.get("notes", [])), "multicast coalescing degradation note")
s.done()
PY
rp_bench_files chan.md chan-p2p.svg chan-fanout-64-none.svg chan-fanout-32k-none.svg \
	chan-fanout-64-sum.svg chan-fanout-32k-sum.svg chan-wake-cdf.svg
