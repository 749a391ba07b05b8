#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench echo --quick` runs the three servers and writes results of
# the expected SHAPE: ringplane, ringplane-nogso and epoll cases for
# throughput (with round trips under load) and latency, the ratio rows
# against epoll, min <= median <= max, the table and the plots.
# Never a timing: the numbers themselves are not judged.
set -u
. "$RP_TOP/test/bench/lib.sh"
rp_bench_quick echo
python3 - "$out/echo.json" <<'PY' || exit 1
import sys
from shape import Shape
s = Shape(sys.argv[1], "echo")
def metrics_of(variant, load):
    return [set(r["metrics"]) for r in s.by_variant.get(variant, []) if r["params"].get("load") == load]
for v in ("ringplane", "ringplane-nogso", "epoll"):
    tp, lat = metrics_of(v, "throughput"), metrics_of(v, "latency")
    s.need(tp and all({"pps", "load_p50", "load_p99", "load_p999", "load_cpu"} <= m for m in tp),
           f"{v}: throughput cases with pps, round trips under load and the generator's CPU")
    s.need(lat and all({"p50", "p99", "p999"} <= m for m in lat), f"{v}: latency cases with p50/p99/p999")
    sizes = {r["params"].get("size") for r in s.by_variant.get(v, [])}
    s.need({64, 1024} <= sizes, f"{v}: sizes 64 and 1024 measured")
for v in ("ringplane/epoll", "ringplane-nogso/epoll"):
    ratio = s.by_variant.get(v, [])
    for m in ("pps_ratio", "load_p99_ratio", "p99_ratio"):
        s.need(any(m in r["metrics"] for r in ratio), f"{v} {m} present")
# interleaved repetitions: every server's case kept as many reps as the others
for size in (64, 1024):
    reps = {r["variant"]: len(r["metrics"]["pps"]["reps"]) for r in s.results
            if r["params"].get("load") == "throughput" and r["params"].get("size") == size
            and "pps" in r["metrics"]}
    s.need(len(set(reps.values())) == 1 and len(reps) == 3, f"size {size}: same reps for all three ({reps})")
s.done()
PY
rp_bench_files echo.md echo-pps.svg echo-load-p99.svg echo-latency-cdf.svg
