#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench zc-tx-goals --quick` writes results of the expected SHAPE
# (ifb, batch 64, ten sizes, copy / send_zc_fixed / auto on the raw and the
# ringplane path, every goal recorded), and one correctness fact holds (never
# a timing; the numbers are not judged): SEND_ZC to the ifb sink is real
# zerocopy, every zerocopy send got its report and none said copied.
# A full run with fewer than 7 repetitions is refused with a message that
# says how to run it, before anything is measured.
set -u
. "$RP_TOP/test/net/lib.sh"
rp_need_root
rp_tmpdir out

if ! "$RINGPLANE" bench zc-tx-goals --quick --out "$out" >"$out/stdout" 2>"$out/stderr"; then
	echo "FAIL - ringplane bench zc-tx-goals --quick exited non-zero"; tail -20 "$out/stderr"; exit 1
fi
python3 - "$out/zc-tx-goals.json" <<'PY' || rp_fail "zc-tx-goals JSON shape"
import json, sys
doc = json.load(open(sys.argv[1]))
fails = []
def need(cond, what):
    if not cond:
        fails.append(what)
need(doc.get("benchmark") == "zc-tx-goals", "benchmark is 'zc-tx-goals'")
need(doc.get("failure") is None, f"no run failure ({doc.get('failure')})")
sizes = (64, 600, 1000, 1200, 1500, 4000, 8000, 16000, 32000, 64000)
res = doc.get("results", [])
need(len(res) == 2 * 3 * len(sizes), f"60 cases (got {len(res)})")
cases = {}
for r in res:
    p = r["params"]
    need(p["target"] == "ifb" and p["batch"] == 64, f"{p}: ifb, batch 64 only")
    cases[(p["path"], r["variant"], p["size"])] = r
    need("error" not in r, f"{r['variant']} {p}: no error ({r.get('error')})")
for (path, mode, size), r in cases.items():
    m = r["metrics"]
    want = {"req_s", "req_per_cpu_s", "cpu_ns_per_req", "notifs_per_req"}
    want |= {"ratio_vs_copy"} if mode != "copy" else set()
    want |= {"auto_vs_best", "auto_vs_twin"} if mode == "auto" else set()
    want |= {"ringplane_vs_raw"} if path == "ringplane" else set()
    need(want <= set(m), f"{path} {mode} {size}: metrics {sorted(want - set(m))} missing")
    if mode == "send_zc_fixed":
        need(m.get("zc_reported", {}).get("min", 0) > 0, f"{path} send_zc_fixed {size}: reports arrived")
        need(m.get("zc_copied_frac", {}).get("max", 1) == 0,
             f"{path} send_zc_fixed {size}: no zerocopy send reported copied")
for path in ("raw", "ringplane"):
    for mode in ("copy", "send_zc_fixed", "auto"):
        for size in sizes:
            need((path, mode, size) in cases, f"case {path} {mode} {size} ran")
params = doc.get("parameters", {})
keys = ["goal_zc_vs_copy_8000_ringplane", "goal_zc_vs_copy_16000_ringplane",
        "goal_auto_vs_best_ringplane", "goal_auto_vs_best_ringplane_size",
        "goal_vs_raw_copy", "goal_vs_raw_send_zc_fixed", "goal_vs_raw_auto", "min_reps",
        "noise_twin_min_ringplane", "noise_twin_max_raw"]
for k in keys:
    need(isinstance(params.get(k), (int, float)), f"parameter {k} recorded")
need(sum("goal (c)" in n for n in doc.get("notes", [])) == 3, "a goal (c) note per mode")
for f in fails:
    print("FAIL -", f)
print(f"zc-tx-goals JSON shape: {len(res)} results, {len(fails)} problems")
sys.exit(1 if fails else 0)
PY
for f in zc-tx-goals.md zc-tx-goals-req-s-ifb-ringplane.svg zc-tx-goals-vs-raw-ifb.svg \
	 zc-tx-goals-auto-vs-best-ifb.svg; do
	rp_check "$f written" test -s "$out/$f"
done

# Too few repetitions for a full run: refused at once, with the fix in the message.
rp_tmpdir few
"$RINGPLANE" bench zc-tx-goals --reps 3 --out "$few" >"$out/few.out" 2>"$out/few.err"
rc=$?
rp_check "--reps 3 exits 1 (got $rc)" test "$rc" -eq 1
rp_check "--reps 3 says to use --reps 7 or more" grep -q -- "--reps 7" "$out/few.err" "$few/zc-tx-goals.json"
rp_done
