# SPDX-License-Identifier: MIT
# Shared by the benchmark shape tests: run a benchmark's --quick mode into a
# scratch directory ($out, removed at exit) and check the files it wrote.
set -u
out=$(mktemp -d "/tmp/rp-bench-${RP_TEST_NAME:-shape}.XXXXXX")
trap 'rm -rf "$out"' EXIT
export PYTHONPATH="$RP_TOP/test/bench${PYTHONPATH:+:$PYTHONPATH}"

# rp_bench_quick NAME: `ringplane bench NAME --quick --out $out`; on failure
# print why and exit 1.
rp_bench_quick() {
	if ! "$RINGPLANE" bench "$1" --quick --out "$out" >"$out/stdout" 2>"$out/stderr"; then
		echo "FAIL - ringplane bench $1 --quick exited non-zero"
		grep -m5 'FAILED' "$out/stderr"
		tail -20 "$out/stderr"
		exit 1
	fi
}

# rp_bench_files FILE...: each was written and is not empty; exits 0 or 1.
rp_bench_files() {
	local f rc=0
	for f in "$@"; do
		if [ -s "$out/$f" ]; then echo "ok   - $f written"; else echo "FAIL - $f missing"; rc=1; fi
	done
	exit $rc
}

# rp_bench_set NAME ARG...: `ringplane bench NAME --quick --reps 1 --out
# $out/set ARG...` (a run narrowed with --set); on failure print why, exit 1.
rp_bench_set() {
	local name=$1; shift
	mkdir -p "$out/set"
	if ! "$RINGPLANE" bench "$name" --quick --reps 1 --out "$out/set" "$@" \
		>"$out/set/stdout" 2>"$out/set/stderr"; then
		echo "FAIL - bench $name $* exited non-zero"; tail -5 "$out/set/stderr"; exit 1
	fi
}

# rp_bench_bad NAME WANT ARG...: the arguments are a usage error (exit 2)
# whose message has WANT, before anything runs; else exit 1.
rp_bench_bad() {
	local name=$1 want=$2 rc; shift 2
	"$RINGPLANE" bench "$name" --quick --out "$out/bad" "$@" >/dev/null 2>"$out/err"
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q -- "$want" "$out/err"; then
		echo "ok   - $* refused: $(head -1 "$out/err")"
	else
		echo "FAIL - $* (rc $rc, want 2 and '$want'): $(cat "$out/err")"; exit 1
	fi
	[ ! -e "$out/bad" ] || { echo "FAIL - $* ran anyway"; exit 1; }
}
