#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench handoff --quick` writes results of the expected SHAPE:
# the direct and handoff variants with p50/p99/p999 and conn_rate, every
# requested connection counted, the handoff/direct ratio row, min <= median
# <= max, the table and the CDF plot. Never a timing: the numbers are not
# judged.
set -u
out=$(mktemp -d /tmp/rp-bench-handoff.XXXXXX)
trap 'rm -rf "$out"' EXIT

if ! "$RINGPLANE" bench handoff --quick --out "$out" >"$out/stdout" 2>"$out/stderr"; then
	echo "FAIL - ringplane bench handoff --quick exited $?"; tail -20 "$out/stderr"; exit 1
fi
python3 - "$out/handoff.json" <<'PY' || exit 1
import json, sys
doc = json.load(open(sys.argv[1]))
fails = []
def need(cond, what):
    if not cond:
        fails.append(what)
need(doc.get("benchmark") == "handoff", "benchmark is 'handoff'")
requested = doc.get("parameters", {}).get("connections_per_rep")
need(isinstance(requested, (int, float)) and requested > 0, "connections_per_rep recorded")
res = doc.get("results", [])
by_variant = {}
for r in res:
    by_variant.setdefault(r["variant"], []).append(r)
    for name, m in r["metrics"].items():
        need(m["min"] <= m["median"] <= m["max"], f"{r['variant']} {name}: min <= median <= max")
        need(len(m["reps"]) >= 1, f"{r['variant']} {name}: reps kept")
for v in ("direct", "handoff"):
    rows = by_variant.get(v, [])
    need(len(rows) == 1, f"{v}: one case")
    for r in rows:
        m = r["metrics"]
        need({"p50", "p99", "p999", "conn_rate", "connections"} <= set(m),
             f"{v}: p50/p99/p999/conn_rate/connections present")
        if "connections" in m:
            need(all(x == requested for x in m["connections"]["reps"]),
                 f"{v}: every rep counted {requested} connections")
ratio = by_variant.get("handoff/direct", [])
need(ratio and {"p50_ratio", "p99_ratio"} <= set(ratio[0]["metrics"]),
     "handoff/direct p50_ratio and p99_ratio present")
cdf = doc.get("cdfs", {}).get("latency-cdf", {})
need({"direct", "handoff"} <= set(cdf), "latency CDF has both series")
for f in fails:
    print("FAIL -", f)
print(f"handoff JSON shape: {len(res)} results, {len(fails)} problems")
sys.exit(1 if fails else 0)
PY
rc=0
for f in handoff.md handoff-latency-cdf.svg; do
	if [ -s "$out/$f" ]; then echo "ok   - $f written"; else echo "FAIL - $f missing"; rc=1; fi
done
exit $rc
