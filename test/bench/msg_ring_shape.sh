#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench msg-ring --quick` writes results of the expected SHAPE,
# and one correctness fact holds for every transport (never a timing; the
# numbers are not judged): every message sent was delivered, none twice
# (delivered == sent), so the latency figures describe all of them.
# Two idle conditions: "allowed" always runs; "dma_lat_0" (CPUs kept out of
# idle) needs /dev/cpu_dma_latency and otherwise must be skipped with a note.
set -u
. "$RP_TOP/test/net/lib.sh"
rp_tmpdir out

if ! "$RINGPLANE" bench msg-ring --quick --reps 1 --out "$out" >"$out/stdout" 2>"$out/stderr"; then
	echo "FAIL - ringplane bench msg-ring --quick exited non-zero"; tail -20 "$out/stderr"; exit 1
fi
python3 - "$out/msg-ring.json" <<'PY' || rp_fail "msg-ring JSON shape"
import json, sys
doc = json.load(open(sys.argv[1]))
fails = []
def need(cond, what):
    if not cond:
        fails.append(what)
need(doc.get("benchmark") == "msg-ring", "benchmark is 'msg-ring'")
need(doc.get("failure") is None, f"no run failure ({doc.get('failure')})")
metrics = {"send_p50", "send_p99", "deliver_p50", "deliver_p99", "deliver_p999",
           "sent", "delivered", "target", "delivered_pct", "rate"}
cases = {(r["variant"], r["params"].get("delay_us"), r["params"].get("cpu_idle")): r
         for r in doc.get("results", [])}
notes = " ".join(doc.get("notes", []))
conds = ["allowed"]
if "[cpu idle dma_lat_0] condition skipped" not in notes:
    conds.append("dma_lat_0")
variants = ("msg_ring", "msg_ring_tx0", "msg_ring_txdt", "msg_ring_regfd", "msg_ring_sync",
            "msg_ring_plain_rx", "msg_ring_port", "eventfd_spsc", "pipe", "futex_spsc")
for variant, delay, cond in ((v, d, c) for v in variants for d in (10, 20) for c in conds):
    r = cases.get((variant, delay, cond))
    need(r is not None, f"case {variant} delay_us={delay} cpu_idle={cond} ran")
    if r is None:
        continue
    need("error" not in r, f"{variant} {delay} {cond}: no error ({r.get('error')})")
    m = r["metrics"]
    need(metrics <= set(m), f"{variant} {delay} {cond}: metrics {sorted(metrics - set(m))} missing")
    if not metrics <= set(m):
        continue
    for name in metrics:
        need(m[name]["min"] <= m[name]["median"] <= m[name]["max"],
             f"{variant} {delay} {cond} {name}: min <= median <= max")
    need(m["sent"]["min"] > 0, f"{variant} {delay} {cond}: messages were sent")
    need(m["delivered"]["reps"] == m["sent"]["reps"],
         f"{variant} {delay} {cond}: delivered == sent in every repetition "
         f"({m['delivered']['reps']} vs {m['sent']['reps']})")
    need(m["target"]["median"] == doc["parameters"]["seconds"] * 1e6 / delay,
         f"{variant} {delay} {cond}: target = seconds / delay")
    need(m["send_p50"]["median"] <= m["send_p99"]["median"], f"{variant} {delay} {cond}: p50 <= p99")
    # /proc/interrupts exists on every Linux: the receiver's wake-ups are counted
    need("rx_ipi_per_msg" in m and m["rx_ipi_per_msg"]["min"] >= 0,
         f"{variant} {delay} {cond}: rx_ipi_per_msg reported")
need("seed 000" in notes and "764 ns" in notes, "seed 000's figures are in the notes")
need("fixed file table" in notes, "the fixed-file target probe is in the notes")
for delay, cond in ((d, c) for d in (10, 20) for c in conds):
    need(f"[cpu idle {cond}] {delay} us: goal msg_ring delivery p50 below every baseline" in notes,
         f"goal line for {delay} us, cpu idle {cond} reported")
for f in fails:
    print("FAIL -", f)
print(f"msg-ring JSON shape: {len(cases)} results, {len(fails)} problems")
sys.exit(1 if fails else 0)
PY
plots="msg-ring-deliver-10us.svg msg-ring-deliver-20us.svg msg-ring-send-10us.svg msg-ring-send-20us.svg"
if ! grep -q 'condition skipped' "$out/msg-ring.json"; then
	plots="$plots msg-ring-deliver-10us-no-idle.svg msg-ring-deliver-20us-no-idle.svg"
	plots="$plots msg-ring-send-10us-no-idle.svg msg-ring-send-20us-no-idle.svg"
fi
for f in msg-ring.md $plots; do
	rp_check "$f written" test -s "$out/$f"
done
rp_done
