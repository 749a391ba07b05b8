#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench dpdk --quick` measures every reflector (ringplane,
# testpmd macswap on net_af_packet and net_af_xdp, the kernel loop) at 64 B
# with one flow and with 64, and the TX-only senders, and writes results of
# the expected SHAPE: the metrics of each case, the ratio rows against every
# peer, the knobs in the parameters, the table and the plots. Never a timing.
# DPDK missing is a failure (the benchmark exits non-zero saying how to
# install it), never a skip: testpmd runs here without huge pages (--no-huge).
set -u
. "$RP_TOP/test/bench/lib.sh"
rp_bench_quick dpdk
python3 - "$out/dpdk.json" <<'PY' || exit 1
import sys
from shape import Shape
s = Shape(sys.argv[1], "dpdk")
params = s.doc.get("parameters", {})
for k in ("variants", "modes", "sizes", "flows", "seconds", "rate", "rtt_seconds", "tx_seconds",
          "rcvbuf", "cpus", "set", "testpmd"):
    s.need(k in params, f"parameter {k} recorded")
def cases(variant, mode):
    return [r for r in s.by_variant.get(variant, []) if r["params"].get("mode") == mode]
reflect = {"pps", "offered_pps", "loss", "cpu_per_pkt", "refl_cpu", "rtt_p50", "rtt_p99", "rtt_loss"}
for v in ("ringplane", "dpdk-af_packet", "dpdk-af_xdp", "kernel-recvmmsg"):
    rs = cases(v, "reflect")
    s.need({(r["params"].get("size"), r["params"].get("flows")) for r in rs} == {(64, 1), (64, 64)},
           f"{v}: reflect cases at 64 B with 1 and 64 flows")
    s.need(rs and all(reflect <= set(r["metrics"]) for r in rs), f"{v}: {sorted(reflect)}")
for v in ("ringplane", "kernel-recvmmsg"):
    s.need(all("sock_drop" in r["metrics"] for r in cases(v, "reflect")), f"{v}: socket drops")
for v in ("ringplane-auto", "ringplane-zc", "dpdk-af_packet", "dpdk-af_xdp", "raw-generator"):
    rs = cases(v, "tx-only")
    s.need(rs and all({"pps", "gbps"} <= set(r["metrics"]) for r in rs), f"{v}: tx-only pps and gbps")
for peer in ("dpdk-af_packet", "dpdk-af_xdp", "kernel-recvmmsg"):
    rs = cases("ringplane/" + peer, "reflect")
    s.need(len(rs) == 2 and all({"pps_ratio", "cpu_per_pkt_ratio"} <= set(r["metrics"]) for r in rs),
           f"ringplane/{peer}: pps and cpu_per_pkt ratios for both flow counts")
s.need(any("marker" in n for n in s.doc.get("notes", [])), "the counting method is noted")
s.done()
PY
rp_bench_files dpdk.md dpdk-pps-flows1.svg dpdk-pps-flows64.svg dpdk-cpu-flows1.svg dpdk-cpu-flows64.svg dpdk-tx-gbps.svg
