#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench zc-tx --quick` writes results of the expected SHAPE, and
# two correctness facts hold (never a timing; the numbers are not judged):
#  - SEND_ZC on the ifb sink is real zerocopy: every zerocopy send got its
#    notification and none was reported copied (IORING_NOTIF_USAGE_ZC_COPIED);
#  - auto copies below its threshold (no notifications at 600 B) and uses
#    zerocopy above it (notifications at 64000 B).
# Then, as an unprivileged user, the benchmark refuses with a message that
# names the missing privilege, and exits 1.
# The benchmark makes its own unnamed network namespaces (unshare), which the
# kernel removes with the process; it never touches the root namespace.
set -u
. "$RP_TOP/test/net/lib.sh"
rp_need_root
rp_tmpdir out

if ! "$RINGPLANE" bench zc-tx --quick --out "$out" >"$out/stdout" 2>"$out/stderr"; then
	echo "FAIL - ringplane bench zc-tx --quick exited non-zero"; tail -20 "$out/stderr"; exit 1
fi
python3 - "$out/zc-tx.json" <<'PY' || rp_fail "zc-tx JSON shape"
import json, sys
doc = json.load(open(sys.argv[1]))
fails = []
def need(cond, what):
    if not cond:
        fails.append(what)
need(doc.get("benchmark") == "zc-tx", "benchmark is 'zc-tx'")
need(doc.get("failure") is None, f"no run failure ({doc.get('failure')})")
res = doc.get("results", [])
cases = {}
for r in res:
    p = r["params"]
    cases[(p["target"], p["path"], r["variant"], p["size"], p["batch"])] = r
    need("error" not in r, f"{r['variant']} {p}: no error ({r.get('error')})")
    for name, m in r["metrics"].items():
        need(m["min"] <= m["median"] <= m["max"], f"{r['variant']} {p} {name}: min <= median <= max")
base = {"req_s", "req_per_cpu_s", "gbit_s", "cpu_ns_per_req", "notifs_per_req", "zc_reported"}
for target in ("ifb", "veth"):
    for path in ("raw", "ringplane"):
        for mode in ("copy", "send_zc_fixed", "auto"):
            for size in (600, 8000, 64000):
                r = cases.get((target, path, mode, size, 64))
                need(r is not None, f"case {target} {path} {mode} {size} 64 ran")
                if r is None:
                    continue
                m = r["metrics"]
                want = set(base)
                if mode != "copy":
                    want |= {"ratio_vs_copy", "cpu_ratio_vs_copy"}
                if mode == "auto":
                    want |= {"auto_vs_best", "cpu_auto_vs_best"}
                if path == "ringplane":
                    want |= {"ringplane_vs_raw", "cpu_ringplane_vs_raw"}
                need(want <= set(m), f"{target} {path} {mode} {size}: metrics {sorted(want - set(m))} missing")
                if target == "ifb" and mode == "send_zc_fixed":
                    need(m.get("zc_reported", {}).get("min", 0) > 0,
                         f"ifb {path} send_zc_fixed {size}: usage reports arrived")
                    need(m.get("zc_copied_frac", {}).get("max", 1) == 0,
                         f"ifb {path} send_zc_fixed {size}: no zerocopy send reported copied")
                if target == "ifb" and mode == "copy":
                    need(m["notifs_per_req"]["max"] == 0, f"ifb {path} copy {size}: no notifications")
            auto_small = cases.get((target, path, "auto", 600, 64))
            if auto_small:
                need(auto_small["metrics"]["notifs_per_req"]["max"] == 0,
                     f"{target} {path} auto 600 B (below the threshold): copy sends, no notifications")
        auto_big = cases.get(("ifb", path, "auto", 64000, 64))
        if auto_big:
            need(auto_big["metrics"]["notifs_per_req"]["min"] > 0,
                 f"ifb {path} auto 64000 B (above the threshold): zerocopy sends")
params = doc.get("parameters", {})
for k in ("crossover_size_raw", "crossover_size_ringplane", "crossover_size_raw_cpu",
          "crossover_size_ringplane_cpu", "auto_threshold", "seconds_per_rep"):
    need(isinstance(params.get(k), (int, float)), f"parameter {k} recorded")
for f in fails:
    print("FAIL -", f)
print(f"zc-tx JSON shape: {len(res)} results, {len(fails)} problems")
sys.exit(1 if fails else 0)
PY
for f in zc-tx.md zc-tx-req-s-ifb-raw.svg zc-tx-ratio-ifb-raw.svg zc-tx-req-s-ifb-ringplane.svg \
	 zc-tx-ratio-ifb-ringplane.svg; do
	rp_check "$f written" test -s "$out/$f"
done

# Without privileges: a clear refusal, exit 1, no crash.
rp_tmpdir nobody_out
chmod 0777 "$nobody_out"
setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
	"$RINGPLANE" bench zc-tx --quick --out "$nobody_out" >"$out/np.out" 2>"$out/np.err"
rc=$?
rp_check "unprivileged run exits 1 (got $rc)" test "$rc" -eq 1
rp_check "unprivileged run says it needs root" grep -q "needs root" "$out/np.err" "$nobody_out/zc-tx.json"
rp_done
