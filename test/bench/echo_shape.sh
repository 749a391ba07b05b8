#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench echo --quick` runs both servers and writes results of the
# expected SHAPE: ringplane and epoll cases for throughput and latency, the
# ringplane/epoll ratio rows, min <= median <= max, the table and the plots.
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
for v in ("ringplane", "epoll"):
    tp, lat = metrics_of(v, "throughput"), metrics_of(v, "latency")
    s.need(tp and all("pps" in m for m in tp), f"{v}: throughput cases with pps")
    s.need(lat and all({"p50", "p99", "p999"} <= m for m in lat), f"{v}: latency cases with p50/p99/p999")
    sizes = {r["params"].get("size") for r in s.by_variant.get(v, [])}
    s.need({64, 1024} <= sizes, f"{v}: sizes 64 and 1024 measured")
ratio = s.by_variant.get("ringplane/epoll", [])
s.need(any("pps_ratio" in r["metrics"] for r in ratio), "ringplane/epoll pps_ratio present")
s.need(any("p99_ratio" in r["metrics"] for r in ratio), "ringplane/epoll p99_ratio present")
s.done()
PY
rp_bench_files echo.md echo-pps.svg echo-latency-cdf.svg
