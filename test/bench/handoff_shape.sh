#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench handoff --quick` writes results of the expected SHAPE:
# the direct and handoff variants with p50/p99/p999 and conn_rate, every
# requested connection counted, the handoff/direct ratio row, min <= median
# <= max, the table and the CDF plot. Never a timing: the numbers are not
# judged.
set -u
. "$RP_TOP/test/bench/lib.sh"
rp_bench_quick handoff
python3 - "$out/handoff.json" <<'PY' || exit 1
import sys
from shape import Shape
s = Shape(sys.argv[1], "handoff")
requested = s.doc.get("parameters", {}).get("connections")
s.need(isinstance(requested, (int, float)) and requested > 0, "connections recorded")
for v in ("direct", "handoff"):
    rows = s.by_variant.get(v, [])
    s.need(len(rows) == 1, f"{v}: one case")
    for r in rows:
        m = r["metrics"]
        s.need({"p50", "p99", "p999", "conn_rate", "connections"} <= set(m),
             f"{v}: p50/p99/p999/conn_rate/connections present")
        if "connections" in m:
            s.need(all(x == requested for x in m["connections"]["reps"]),
                 f"{v}: every rep counted {requested} connections")
ratio = s.by_variant.get("handoff/direct", [])
s.need(ratio and {"p50_ratio", "p99_ratio"} <= set(ratio[0]["metrics"]),
     "handoff/direct p50_ratio and p99_ratio present")
cdf = s.doc.get("cdfs", {}).get("latency-cdf", {})
s.need({"direct", "handoff"} <= set(cdf), "latency CDF has both series")
s.done()
PY
rp_bench_files handoff.md handoff-latency-cdf.svg
