#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench echo --quick` runs both servers and writes results of the
# expected SHAPE: ringplane and epoll cases for throughput and latency, the
# ringplane/epoll ratio rows, min <= median <= max, the table and the plots.
# Never a timing: the numbers themselves are not judged.
set -u
out=$(mktemp -d /tmp/rp-bench-echo.XXXXXX)
trap 'rm -rf "$out"' EXIT

if ! "$RINGPLANE" bench echo --quick --out "$out" >"$out/stdout" 2>"$out/stderr"; then
	echo "FAIL - ringplane bench echo --quick exited $?"; tail -20 "$out/stderr"; exit 1
fi
python3 - "$out/echo.json" <<'PY' || exit 1
import json, sys
doc = json.load(open(sys.argv[1]))
fails = []
def need(cond, what):
    if not cond:
        fails.append(what)
need(doc.get("benchmark") == "echo", "benchmark is 'echo'")
res = doc.get("results", [])
need(res, "results non-empty")
by_variant = {}
for r in res:
    by_variant.setdefault(r["variant"], []).append(r)
    for name, m in r["metrics"].items():
        need(m["min"] <= m["median"] <= m["max"], f"{r['variant']} {name}: min <= median <= max")
        need(len(m["reps"]) >= 1, f"{r['variant']} {name}: reps kept")
def metrics_of(variant, load):
    return [set(r["metrics"]) for r in by_variant.get(variant, []) if r["params"].get("load") == load]
for v in ("ringplane", "epoll"):
    tp, lat = metrics_of(v, "throughput"), metrics_of(v, "latency")
    need(tp and all("pps" in m for m in tp), f"{v}: throughput cases with pps")
    need(lat and all({"p50", "p99", "p999"} <= m for m in lat), f"{v}: latency cases with p50/p99/p999")
    sizes = {r["params"].get("size") for r in by_variant.get(v, [])}
    need({64, 1024} <= sizes, f"{v}: sizes 64 and 1024 measured")
ratio = by_variant.get("ringplane/epoll", [])
need(any("pps_ratio" in r["metrics"] for r in ratio), "ringplane/epoll pps_ratio present")
need(any("p99_ratio" in r["metrics"] for r in ratio), "ringplane/epoll p99_ratio present")
for f in fails:
    print("FAIL -", f)
print(f"echo JSON shape: {len(res)} results, {len(fails)} problems")
sys.exit(1 if fails else 0)
PY
rc=0
for f in echo.md echo-pps.svg echo-latency-cdf.svg; do
	if [ -s "$out/$f" ]; then echo "ok   - $f written"; else echo "FAIL - $f missing"; rc=1; fi
done
exit $rc
