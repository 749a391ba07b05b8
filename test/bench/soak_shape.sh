#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench soak --quick` (8 s of traffic) runs and writes results of
# the expected SHAPE: one soak case with the client counts, the levels at
# start / warm-up / end, the end checks as 0/1 (the run itself exits 1 when
# fds, connections or the pool are not back: a leak, not a timing), and a
# time series per sampled quantity with a point per second. The numbers are
# not judged. `--seconds 0` is a usage error.
set -u
. "$RP_TOP/test/bench/lib.sh"
"$RINGPLANE" bench soak --quick --seconds 0 --out "$out" >/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL - --seconds 0: exit 2 (got $rc)"; exit 1; }
echo "ok   - --seconds 0 is a usage error"
rp_bench_quick soak
python3 - "$out/soak.json" <<'PY' || exit 1
import sys
from shape import Shape
s = Shape(sys.argv[1], "soak")
runs = s.by_variant.get("soak", [])
s.need(len(runs) == 1, "one soak case")
m = runs[0]["metrics"] if runs else {}
counts = {"udp_sent", "udp_replies", "udp_oversize", "echo_ok", "echo_bad", "proxy_ok",
          "proxy_bad", "vanished", "stuck", "idle"}
levels = {f"{q}_{w}" for q in ("rss", "fds", "bufs_free") for w in ("start", "end")} | \
         {"rss_warm", "rss_max", "rss_growth", "fds_max", "bufs_free_min", "conns_open_end",
          "errors", "write_stalls", "idle_timeouts", "quiesce"}
checks = {"fds_back", "pool_full", "conns_closed", "rss_within"}
s.need(counts | levels | checks <= set(m), f"metrics present (missing {sorted((counts | levels | checks) - set(m))})")
s.need(all(len(m[k]["reps"]) == 1 for k in m), "a single repetition")
s.need(all(m[k]["median"] in (0, 1) for k in checks if k in m), "end checks are 0 or 1")
s.need(all(m[k]["median"] >= 1 for k in ("vanished", "stuck", "idle") if k in m),
       "every kind of misbehaving client was run")
p = s.doc.get("parameters", {})
s.need(p.get("seconds") == 8 and "rss_tolerance_pct" in p and "warmup_s" in p,
       f"parameters: seconds 8 (--quick), the tolerance, the warm-up ({p})")
ts = s.doc.get("timeseries", {})
want = {"memory": 1, "fds": 2, "pool": 2, "errors": 3}
for tid, n in want.items():
    series = ts.get(tid, {})
    s.need(len(series) == n, f"timeseries {tid}: {n} series ({list(series)})")
    for name, pts in series.items():
        t, v = pts.get("t", []), pts.get("v", [])
        s.need(len(t) == len(v) and len(t) >= 8 + 2,
               f"{tid}/{name}: a point at the start, each second and after ({len(t)})")
        s.need(all(a <= b for a, b in zip(t, t[1:])), f"{tid}/{name}: in time order")
s.need(sorted(s.doc.get("plots", [])) == sorted(f"soak-{i}.svg" for i in want),
       f"a plot per series ({s.doc.get('plots')})")
s.done()
PY
rp_bench_files soak.md soak-memory.svg soak-fds.svg soak-pool.svg soak-errors.svg
