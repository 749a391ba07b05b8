#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench proxy --quick` writes results of the expected SHAPE:
# every proxy variant (ringplane bundle and serialized, haproxy with and
# without splice, socat) on both topologies (loopback, veth) for iperf3 at
# 1 and 8 streams (gbit_s, gbit_per_cpu_s) and for 128 B HTTP (req_s,
# p50_us, p99_us, req_per_cpu_s), the goal rows per topology with
# ratio/target/met, the load average recorded, the table (with its topology
# column) and the plots per topology; a bad topology is a usage error.
# Never a timing: the numbers are not judged. And without the programs it
# needs, the benchmark names them and fails.
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
topologies = ("loopback", "veth")
for v in variants:
    for t in topologies:
        rows = [r for r in s.by_variant.get(v, []) if r["params"].get("topology") == t]
        streams = sorted(r["params"].get("streams") for r in rows if r["params"].get("load") == "iperf3")
        s.need(streams == [1, 8], f"{v} {t}: iperf3 at 1 and 8 streams")
        http = [r for r in rows if r["params"].get("load") == "http-128B"]
        s.need(len(http) == 1, f"{v} {t}: one HTTP case")
        for r in rows:
            m = r["metrics"]
            want = ({"gbit_s", "gbit_per_cpu_s", "proxy_cpu_s", "cpu_busy_s"}
                    if r["params"].get("load") == "iperf3"
                    else {"req_s", "p50_us", "p99_us", "req_per_cpu_s", "errors", "cpu_busy_s"})
            s.need(want <= set(m), f"{v} {r['params']}: {sorted(want)} present")
    s.need(all(r["params"].get("topology") in topologies for r in s.by_variant.get(v, [])),
           f"{v}: every case names its topology")
goals = [r for v, rows in s.by_variant.items() if v.startswith("goal-") for r in rows]
for t in topologies:
    s.need(len([r for r in goals if r["params"].get("topology") == t]) == 8, f"8 goal rows on {t}")
for r in goals:
    m = r["metrics"]
    s.need({"target", "met"} <= set(m) and any(k.endswith("_ratio") for k in m),
           f"{r['variant']} {r['params']}: ratio, target, met")
    s.need(all(x in (0, 1) for x in m.get("met", {}).get("reps", [2])), f"{r['variant']}: met is 0/1")
s.done()
PY
grep -q '^| variant | topology |' "$out/proxy.md" ||
	{ echo "FAIL - the table has no topology column"; exit 1; }
echo "ok   - the table shows the topology"
rp_bench_bad proxy "topology: 'ring' is not one of loopback, veth" --set topology=ring
rp_bench_files proxy.md proxy-gbit-loopback.svg proxy-gbit-per-cpu-loopback.svg \
	proxy-gbit-veth.svg proxy-gbit-per-cpu-veth.svg
