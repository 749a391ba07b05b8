#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench proxy --quick` writes results of the expected SHAPE:
# every proxy variant (ringplane bundle and serialized, haproxy with and
# without splice, socat) for iperf3 at 1 and 8 streams (gbit_s,
# gbit_per_cpu_s) and for 128 B HTTP (req_s, p50_us, p99_us,
# req_per_cpu_s), the goal rows with ratio/target/met, the load average
# recorded, the table and the plots. Never a timing: the numbers are not
# judged. And without the programs it needs, the benchmark names them and
# fails.
set -u
. "$RP_TOP/test/bench/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: bench proxy needs root (network namespace)"
	exit 77
fi
if PATH=/nonexistent "$RINGPLANE" bench proxy --quick --out "$out/missing" >"$out/missing.out" 2>&1; then
	echo "FAIL - bench proxy with no tools on PATH exited 0"
	exit 1
fi
grep -q "needs iperf3, wrk.*socat, not installed" "$out/missing.out" ||
	{ echo "FAIL - the missing tools are not named:"; cat "$out/missing.out"; exit 1; }
echo "ok   - without its tools the benchmark names them and fails"
rp_bench_quick proxy
python3 - "$out/proxy.json" <<'PY' || exit 1
import sys
from shape import Shape
s = Shape(sys.argv[1], "proxy")
params = s.doc.get("parameters", {})
s.need("loadavg_start" in params and "loadavg_end" in params, "load average recorded")
variants = ("ringplane-bundle", "ringplane-serialized", "haproxy", "haproxy-splice", "socat")
for v in variants:
    rows = s.by_variant.get(v, [])
    streams = sorted(r["params"].get("streams") for r in rows if r["params"].get("load") == "iperf3")
    s.need(streams == [1, 8], f"{v}: iperf3 at 1 and 8 streams")
    http = [r for r in rows if r["params"].get("load") == "http-128B"]
    s.need(len(http) == 1, f"{v}: one HTTP case")
    for r in rows:
        m = r["metrics"]
        want = ({"gbit_s", "gbit_per_cpu_s", "proxy_cpu_s"} if r["params"].get("load") == "iperf3"
                else {"req_s", "p50_us", "p99_us", "req_per_cpu_s", "errors"})
        s.need(want <= set(m), f"{v} {r['params']}: {sorted(want)} present")
goals = [r for v, rows in s.by_variant.items() if v.startswith("goal-") for r in rows]
s.need(len(goals) == 8, "8 goal rows")
for r in goals:
    m = r["metrics"]
    s.need({"target", "met"} <= set(m) and any(k.endswith("_ratio") for k in m),
           f"{r['variant']} {r['params']}: ratio, target, met")
    s.need(all(x in (0, 1) for x in m.get("met", {}).get("reps", [2])), f"{r['variant']}: met is 0/1")
s.done()
PY
rp_bench_files proxy.md proxy-gbit.svg proxy-gbit-per-cpu.svg
