#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane bench nop --quick` writes results of the expected SHAPE: every
# case has a variant, parameters and metrics with min <= median <= max over
# the right number of repetitions; the table and the plot exist. The numbers
# themselves are never judged. Also: unknown benchmarks exit 2, and without
# gnuplot the JSON and the table are still written, with a note saying why.
set -u
fail=0
check() { # what, then a command that must succeed
	local what=$1; shift
	if "$@"; then echo "ok - $what"; else echo "FAIL - $what"; fail=1; fi
}
out=$(mktemp -d /tmp/rp-bench-nop.XXXXXX)
trap 'rm -rf "$out"' EXIT

"$RINGPLANE" bench nop --quick --out "$out/run" >"$out/stdout" 2>"$out/stderr"
check "bench nop --quick exits 0" test $? -eq 0
check "progress lines on stderr, one per repetition" \
	test "$(grep -c '^\[case [0-9]*/9 rep [0-9]/3\] nop ' "$out/stderr")" -eq 27
check "nop.json has the expected shape" python3 - "$out/run/nop.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for key in ("benchmark", "started", "duration_s", "quick", "machine", "kernel",
            "liburing", "parameters", "notes", "results"):
    assert key in doc, key
assert doc["benchmark"] == "nop" and doc["quick"] is True and doc["failure"] is None
for key in ("hostname", "cpus", "cpu_model", "mem"):
    assert key in doc["machine"], key
res = doc["results"]
assert res, "results non-empty"
variants = {r["variant"] for r in res}
assert variants == {"nop", "syscall", "nop/syscall"}, variants
for r in res:
    assert r["params"]["batch"] in (1, 8, 32), r["params"]
    assert r["metrics"], r["variant"]
    assert r["reps_ok"] == doc["reps"] == 3
    for name, m in r["metrics"].items():
        assert m["unit"], name
        assert m["min"] <= m["median"] <= m["max"], (r["variant"], name)
        assert len(m["reps"]) == 3, (r["variant"], name)
        assert min(m["reps"]) == m["min"] and max(m["reps"]) == m["max"]
    expect = {"ratio_vs_syscall"} if r["variant"] == "nop/syscall" else {"ns_per_op", "ops_per_s"}
    assert set(r["metrics"]) == expect, (r["variant"], set(r["metrics"]))
assert doc["plots"] == ["nop-cost.svg"], doc["plots"]
PY
check "nop.md has a row per case" test "$(grep -c '^| nop\|^| syscall' "$out/run/nop.md")" -eq 9
check "nop-cost.svg is an SVG" grep -q '<svg' "$out/run/nop-cost.svg"
check "stdout names the files written" grep -q "nop.json$" "$out/stdout"

RP_GNUPLOT=/nonexistent/gnuplot "$RINGPLANE" bench nop --quick --reps 1 --out "$out/noplot" \
	>/dev/null 2>&1
check "without gnuplot: still exit 0" test $? -eq 0
check "without gnuplot: JSON and table written, no svg" \
	test -s "$out/noplot/nop.json" -a -s "$out/noplot/nop.md" -a ! -e "$out/noplot/nop-cost.svg"
check "without gnuplot: a note says so" grep -q "gnuplot not found" "$out/noplot/nop.md"

"$RINGPLANE" bench nosuch >/dev/null 2>"$out/err"
check "bench nosuch exits 2" test $? -eq 2
check "and lists the known ones" grep -q "^  nop " "$out/err"
"$RINGPLANE" bench nop --reps x >/dev/null 2>&1
check "bench --reps x exits 2" test $? -eq 2
"$RINGPLANE" bench --list | grep -q "^  nop "
check "bench --list names nop" test $? -eq 0
"$RINGPLANE" bench --help >/dev/null
check "bench --help exits 0" test $? -eq 0

# --set: the run does what was set and records it
"$RINGPLANE" bench nop --quick --reps 1 --set batches=4,2 --set ops=2000 --out "$out/set" \
	>/dev/null 2>&1
check "bench nop --set batches=4,2 --set ops=2000 exits 0" test $? -eq 0
check "only batches 4 and 2 ran, ops and 'set' recorded" python3 - "$out/set/nop.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert {r["params"]["batch"] for r in doc["results"]} == {4, 2}, doc["results"]
p = doc["parameters"]
assert p["batches"] == "4,2" and p["ops"] == 2000 and p["set"] == "batches=4,2 ops=2000", p
assert "cpus" in p, p
PY

# every benchmark: --help lists its parameters and the common cpus; an
# unknown key is a usage error naming the keys it has
for name in $("$RINGPLANE" bench --list | awk '{print $1}'); do
	"$RINGPLANE" bench "$name" --help >"$out/help" 2>&1
	check "bench $name --help lists its parameters and cpus" \
		grep -q "^Parameters of $name" "$out/help"
	check "bench $name --help: cpus with its default" grep -A2 -q "^  cpus " "$out/help"
	"$RINGPLANE" bench "$name" --set nope=1 --out "$out/nope" >/dev/null 2>"$out/err"
	check "bench $name --set nope=1 exits 2 naming the keys" \
		grep -q "no parameter 'nope' (it has: .*cpus)" "$out/err"
done
check "no run happened for a refused --set" test ! -e "$out/nope"
exit $fail
