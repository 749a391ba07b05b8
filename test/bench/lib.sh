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
