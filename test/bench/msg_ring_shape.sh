#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench msg-ring --quick` writes results of the expected SHAPE,
# and one correctness fact holds for every transport (never a timing; the
# numbers are not judged): every message sent was delivered, none twice
# (delivered == sent), so the latency figures describe all of them.
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
cases = {(r["variant"], r["params"].get("delay_us")): r for r in doc.get("results", [])}
for variant in ("msg_ring", "msg_ring_port", "eventfd_spsc", "pipe", "futex_spsc"):
    for delay in (10, 20):
        r = cases.get((variant, delay))
        need(r is not None, f"case {variant} delay_us={delay} ran")
        if r is None:
            continue
        need("error" not in r, f"{variant} {delay}: no error ({r.get('error')})")
        m = r["metrics"]
        need(metrics <= set(m), f"{variant} {delay}: metrics {sorted(metrics - set(m))} missing")
        if not metrics <= set(m):
            continue
        for name in metrics:
            need(m[name]["min"] <= m[name]["median"] <= m[name]["max"],
                 f"{variant} {delay} {name}: min <= median <= max")
        need(m["sent"]["min"] > 0, f"{variant} {delay}: messages were sent")
        need(m["delivered"]["reps"] == m["sent"]["reps"],
             f"{variant} {delay}: delivered == sent in every repetition "
             f"({m['delivered']['reps']} vs {m['sent']['reps']})")
        need(m["target"]["median"] == doc["parameters"]["seconds"] * 1e6 / delay,
             f"{variant} {delay}: target = seconds / delay")
        need(m["send_p50"]["median"] <= m["send_p99"]["median"], f"{variant} {delay}: p50 <= p99")
notes = " ".join(doc.get("notes", []))
need("seed 000" in notes and "764 ns" in notes, "seed 000's figures are in the notes")
for delay in (10, 20):
    need(f"{delay} us: goal msg_ring delivery p50 below every baseline" in notes,
         f"goal line for {delay} us reported")
for f in fails:
    print("FAIL -", f)
print(f"msg-ring JSON shape: {len(cases)} results, {len(fails)} problems")
sys.exit(1 if fails else 0)
PY
for f in msg-ring.md msg-ring-deliver-10us.svg msg-ring-deliver-20us.svg \
	 msg-ring-send-10us.svg msg-ring-send-20us.svg; do
	rp_check "$f written" test -s "$out/$f"
done
rp_done
