#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench echo --quick` runs the five servers and writes results of
# the expected SHAPE: ringplane, ringplane-nogso, epoll, epoll-gso (with
# UDP GRO: it reports coalesced receives) and sockperf cases for closed-loop throughput (one and many peers, with
# packets per server CPU-second and round trips under load), open loop
# (round trips from the schedule, loss) and ping-pong; the ratio rows; the
# capacity the open loop was paced by, the generator's lateness; min <= median <= max; the table and
# the plots. Then `--set`: a narrowed run records what was set and runs
# only that, and bad keys or values are usage errors naming them.
# Never a timing: the numbers themselves are not judged.
set -u
. "$RP_TOP/test/bench/lib.sh"
rp_bench_quick echo
python3 - "$out/echo.json" <<'PY' || exit 1
import sys
from shape import Shape
s = Shape(sys.argv[1], "echo")
servers = ("ringplane", "ringplane-nogso", "epoll", "epoll-gso", "sockperf")
def cases(variant, load):
    return [r for r in s.by_variant.get(variant, []) if r["params"].get("load") == load]
for v in servers:
    tp, op, pp = cases(v, "throughput"), cases(v, "open"), cases(v, "pingpong")
    s.need(tp and all({"pps", "pkts_per_cpu_s", "server_cpu_per_pkt", "load_p50", "load_p99",
                       "load_p999", "load_cpu"} <= set(r["metrics"]) for r in tp),
           f"{v}: throughput cases with pps, packets per CPU-second, round trips under load")
    s.need({1, 64} <= {r["params"]["peers"] for r in tp}, f"{v}: throughput from 1 and 64 peers")
    s.need({64, 1024} <= {r["params"]["size"] for r in tp}, f"{v}: sizes 64 and 1024")
    s.need(op and all({"p50", "p99", "p999", "lost", "offered", "pps", "send_lag_p50", "send_lag_p99",
                       "late_ratio", "preempted", "load_realtime"} <= set(r["metrics"]) for r in op),
           f"{v}: open-loop cases with p50/p99/p999 from the schedule, loss, offered rate, "
           "the generator's own lateness")
    s.need(all(0 <= x <= 1 for r in op for x in r["metrics"]["late_ratio"]["reps"]),
           f"{v}: late_ratio is a share")
    s.need({1, 64} <= {r["params"]["peers"] for r in op}, f"{v}: open loop from 1 and 64 peers")
    s.need(pp and all({"p50", "p99", "p999"} <= set(r["metrics"]) for r in pp), f"{v}: ping-pong")
for v in ("ringplane/epoll-gso", "ringplane/epoll", "ringplane/sockperf", "ringplane-nogso/epoll",
          "epoll-gso/epoll"):
    rows = s.by_variant.get(v, [])
    for load, m in (("throughput", "pkts_per_cpu_s_ratio"), ("throughput", "pps_ratio"),
                    ("open", "p99_ratio"), ("pingpong", "p99_ratio")):
        s.need(any(m in r["metrics"] for r in rows if r["params"]["load"] == load), f"{v} {load} {m}")
# epoll-gso is like for like: UDP_GRO on, so the generator's closed-loop
# trains from one peer reach it coalesced; plain epoll never has it on
def gro(variant, peers):
    return [rep for r in cases(variant, "throughput") if r["params"]["peers"] == peers
            for rep in r["metrics"].get("server_gro_recvs", {}).get("reps", [])]
s.need(any(v > 0 for v in gro("epoll-gso", 1)),
       f"epoll-gso received coalesced trains from 1 peer (server_gro_recvs {gro('epoll-gso', 1)})")
s.need(gro("epoll", 1) and not any(gro("epoll", 1) + gro("epoll", 64)),
       "plain epoll has no GRO (server_gro_recvs recorded, all 0)")
s.need("GRO" in s.doc["parameters"].get("server_epoll-gso", ""), "epoll-gso's description says GRO")
params = s.doc["parameters"]
for k in ("variants", "sizes", "peers", "rates", "batch", "capacity_peers_1", "capacity_peers_64"):
    s.need(k in params, f"parameter {k} recorded")
s.need(params.get("set") == "", "nothing --set in the default run")
# interleaved repetitions: every server's case kept as many reps as the others
for r0 in cases("ringplane", "throughput"):
    reps = {r["variant"]: len(r["metrics"]["pps"]["reps"]) for r in s.results
            if r["params"] == r0["params"] and "pps" in r["metrics"]}
    s.need(len(set(reps.values())) == 1 and len(reps) == 5, f"{r0['params']}: same reps for all five ({reps})")
s.done()
PY
for f in echo.md echo-pps.svg echo-cpu-peers.svg echo-open-p99.svg echo-latency-cdf.svg; do
	[ -s "$out/$f" ] && echo "ok   - $f written" || { echo "FAIL - $f missing"; exit 1; }
done

# --set narrows the run and is recorded
rp_bench_set echo --set variants=epoll,epoll-gso \
	--set sizes=100 --set peers=3 --set rates=20 --set pingpong_sizes=100 --set seconds=0.1 \
	--set open_size=80
python3 - "$out/set/echo.json" <<'PY' || exit 1
import sys
from shape import Shape
s = Shape(sys.argv[1], "echo")
p = s.doc["parameters"]
s.need(p.get("set") == "variants=epoll,epoll-gso sizes=100 peers=3 rates=20 open_size=80 "
       "pingpong_sizes=100 seconds=0.1",
       f"'set' records what was set ({p.get('set')!r})")
s.need(p.get("sizes") == 100 and p.get("peers") == 3, "sizes and peers recorded as set")
s.need({r["variant"] for r in s.results if "/" not in r["variant"]} == {"epoll", "epoll-gso"},
       "only the servers set ran")
def sizes(load):
    return {r["params"]["size"] for r in s.results if r["params"]["load"] == load}
s.need(sizes("pingpong") == {100} and sizes("open") == {80} and sizes("throughput") == {100, 80},
       "sizes as set; open_size 80 also measured closed-loop, for its capacity")
s.need({r["params"]["peers"] for r in s.results if "peers" in r["params"]} == {3}, "peers as set")
s.done()
PY

# bad keys and values: usage errors (exit 2) that name them, before any run
rp_bench_bad echo "no parameter 'nope'" --set nope=1
rp_bench_bad echo "sizes: 'abc' is not a number" --set sizes=abc
rp_bench_bad echo "sizes: 10 is out of range" --set sizes=10
rp_bench_bad echo "batch takes one value" --set batch=64,128
rp_bench_bad echo "variants: 'nginx' is not one of" --set variants=nginx
rp_bench_bad echo "sizes set twice" --set sizes=64 --set sizes=128
rp_bench_bad echo "empty value" --set sizes=64,,128
rp_bench_bad echo "needs key=value" --set sizes
exit 0
