#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench udp-relay --quick` runs the relays side by side and
# writes results of the expected SHAPE: direct, ringplane, ringplane-2w,
# ringplane-2w-zc (zerocopy from the origin's buffer: handoff_zc_fraction
# present; none for ringplane-2w, whose sizes are under the threshold),
# ringplane-2w-copy (handoff: copy) and (when installed) nginx, for sizes 64
# and 512 and one and several clients, with datagrams/s and round trips
# under load; the relays with their CPU per datagram; ringplane's with the
# handoff fraction (between 0 and 1), the copy variant with its eventfd
# wakes per handoff (between 0 and 1: at most one write per datagram), the
# MSG_RING variants with their messages per handoff (msgs_per_handoff); the
# ratio rows (msg-ring/copy with cpu_ns_per_datagram_ratio); the goal note;
# the load average noted; the table and the plots. Then `--set`: a run
# narrowed to two variants, one size and one client count records what was
# set and runs only that; bad values are usage errors naming the knob.
# Never a timing: the numbers themselves are not judged.
set -u
. "$RP_TOP/test/bench/lib.sh"
rp_bench_quick udp-relay
nginx=0
[ -x /usr/sbin/nginx ] && [ -r /usr/lib/nginx/modules/ngx_stream_module.so ] && nginx=1
python3 - "$out/udp-relay.json" "$nginx" <<'PY' || exit 1
import sys
from shape import Shape
s = Shape(sys.argv[1], "udp-relay")
variants = ["direct", "ringplane", "ringplane-2w", "ringplane-2w-zc", "ringplane-2w-copy"] + (["nginx"] if sys.argv[2] == "1" else [])
for v in variants:
    rows = s.by_variant.get(v, [])
    need = {"datagrams_per_s", "rtt_p50", "rtt_p99"} | \
        ({"datagrams_per_cpu_s", "cpu_ns_per_datagram"} if v != "direct" else set())
    s.need(rows and all(need <= set(r["metrics"]) for r in rows), f"{v}: {sorted(need)} in every case")
    grid = {(r["params"].get("size"), r["params"].get("clients")) for r in rows}
    s.need(grid == {(64, 1), (64, 4), (512, 1), (512, 4)}, f"{v}: sizes 64/512 x clients 1/4 ({grid})")
for v in ("ringplane", "ringplane-2w", "ringplane-2w-zc", "ringplane-2w-copy"):
    for r in s.by_variant.get(v, []):
        h = r["metrics"].get("handoff_fraction")
        s.need(h is not None and 0 <= h["min"] and h["max"] <= 1, f"{v}: handoff_fraction in [0, 1]")
s.need(all(r["metrics"]["handoff_fraction"]["max"] == 0 for r in s.by_variant.get("ringplane", [])),
       "one worker hands nothing over")
s.need(all(r["metrics"].get("up_datagrams_per_send", {"min": 0})["min"] >= 1
           for r in s.by_variant.get("ringplane", [])),
       "ringplane: up_datagrams_per_send (datagrams per send toward the backend) >= 1 in every case")
for r in s.by_variant.get("ringplane-2w-copy", []):
    w = r["metrics"].get("wakes_per_handoff")
    if w is not None:
        s.need(0 <= w["min"] and w["max"] <= 1, "ringplane-2w-copy: wakes_per_handoff in [0, 1]")
s.need(any("wakes_per_handoff" in r["metrics"] for r in s.by_variant.get("ringplane-2w-copy", [])),
       "ringplane-2w-copy: wakes_per_handoff where it handed over")
s.need(all("wakes_per_handoff" not in r["metrics"] for r in s.by_variant.get("ringplane-2w", [])),
       "ringplane-2w (msg-ring) has no eventfd wakes")
msg_ring = s.by_variant.get("ringplane-2w", []) + s.by_variant.get("ringplane-2w-zc", [])
s.need(any("msgs_per_handoff" in r["metrics"] for r in msg_ring),
       "ringplane-2w, -zc: msgs_per_handoff (MSG_RINGs per handed datagram) where they handed over")
s.need(all(0 < r["metrics"]["msgs_per_handoff"]["min"] and r["metrics"]["msgs_per_handoff"]["max"] <= 3
           for r in msg_ring if "msgs_per_handoff" in r["metrics"]),
       "ringplane-2w, -zc: msgs_per_handoff in (0, 3] (two items per handoff, at most one wake each)")
s.need(all("msgs_per_handoff" not in r["metrics"] for r in s.by_variant.get("ringplane-2w-copy", [])),
       "ringplane-2w-copy sends no handoff MSG_RINGs")
s.need(any("handoff_zc_fraction" in r["metrics"] for r in s.by_variant.get("ringplane-2w-zc", [])),
       "ringplane-2w-zc: handoff_zc_fraction where it handed over")
s.need(all(r["metrics"]["handoff_zc_fraction"]["max"] == 0 for r in s.by_variant.get("ringplane-2w", [])
           if "handoff_zc_fraction" in r["metrics"]),
       "ringplane-2w (zerocopy auto, sizes under the threshold): no zerocopy handoff sends")
s.need(all("cpu_ns_per_datagram_ratio" in r["metrics"]
           for r in s.by_variant.get("ringplane-2w/ringplane-2w-copy", [])) and
       len(s.by_variant.get("ringplane-2w/ringplane-2w-copy", [])) == 4,
       "ringplane-2w/ringplane-2w-copy: cpu_ns_per_datagram_ratio in every case")
pairs = ["ringplane-2w/ringplane", "ringplane-2w/ringplane-2w-copy", "ringplane-2w-zc/ringplane-2w-copy"] + (["ringplane/nginx"] if sys.argv[2] == "1" else [])
for v in pairs:
    s.need(any("datagrams_per_cpu_s_ratio" in r["metrics"] for r in s.by_variant.get(v, [])),
           f"{v}: datagrams_per_cpu_s_ratio present")
notes = " ".join(s.doc.get("notes", []))
s.need("goal (reported, not asserted): MSG_RING handoff cheaper per datagram than copy+eventfd at 1400 B"
       in notes, "goal note present")
s.need("load average at the start" in notes and "load average at the end" in notes, "load average noted")
s.done()
PY

rp_bench_set udp-relay --set variants=direct,ringplane-2w --set sizes=100 --set clients=2 \
	--seconds 0.2 --set cpus=0
python3 - "$out/set/udp-relay.json" <<'PY' || exit 1
import sys
from shape import Shape
s = Shape(sys.argv[1], "udp-relay")
p = s.doc["parameters"]
s.need(p.get("set") == "variants=direct,ringplane-2w sizes=100 clients=2 seconds=0.2 cpus=0",
       f"'set' records what was set ({p.get('set')!r})")
s.need(p.get("sizes") == 100 and p.get("clients") == 2 and p.get("seconds") == 0.2
       and p.get("variants") == "direct,ringplane-2w" and p.get("cpus") == 0,
       "every knob's value recorded as set")
s.need(p.get("relay_cpu") == 0 and p.get("load_and_backend_cpu") == 0, "pinned to the cpus set")
s.need({r["variant"] for r in s.results} == {"direct", "ringplane-2w"}, "only the variants set ran")
s.need({(r["params"]["size"], r["params"]["clients"]) for r in s.results} == {(100, 2)},
       "only size 100 with 2 clients")
s.done()
PY
rp_bench_bad udp-relay "sizes: 4000 is out of range 30..2048" --set sizes=64,4000
rp_bench_bad udp-relay "variants: 'haproxy' is not one of direct, ringplane" --set variants=haproxy
rp_bench_bad udp-relay "no parameter 'size' (it has: variants, sizes, clients, seconds, cpus)" \
	--set size=64
rp_bench_bad udp-relay "seconds: 0 is out of range" --seconds 0

rp_bench_files udp-relay.md udp-relay-per-cpu.svg udp-relay-rtt-p99.svg
