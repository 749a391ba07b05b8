#!/usr/bin/env bash
# Set up, build and run the whole ringplane test suite.
#
#   test/run.sh [--no-asan] [--suite NAME]... [--help]
#
# Builds two trees, build/ (normal) and build-asan/ (AddressSanitizer +
# UndefinedBehaviorSanitizer), runs every meson test suite (unit, cli, net,
# bench) in each, and ends with one line:  N passed, N failed[, N skipped]
# Network tests need root; they create their own network namespaces.
set -uo pipefail

usage() { sed -n '2,9s/^# \{0,1\}//p' "$0"; }

top=$(cd "$(dirname "$0")/.." && pwd)
trees=(build build-asan)
suites=()
while [ $# -gt 0 ]; do
	case "$1" in
	--no-asan) trees=(build) ;;
	--suite) [ $# -ge 2 ] || { echo "run.sh: --suite needs a name" >&2; exit 2; }
		suites+=(--suite "$2"); shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done

"$top/deploy/setup.sh" --no-build || { echo "run.sh: set-up failed"; echo "0 passed, 1 failed"; exit 1; }

# Sanitizer reports fail the test that triggered them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

setup_tree() {
	local dir=$1
	[ -f "$top/$dir/build.ninja" ] && return 0
	case "$dir" in
	build) meson setup "$top/$dir" "$top" >/dev/null ;;
	build-asan) meson setup "$top/$dir" "$top" -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debug >/dev/null ;;
	esac
}

build_failed=0
for t in "${trees[@]}"; do
	echo "== $t: build"
	if ! setup_tree "$t" || ! ninja -C "$top/$t"; then
		echo "run.sh: build of $t failed"
		build_failed=$((build_failed + 1))
		continue
	fi
	echo "== $t: test"
	rm -f "$top/$t/meson-logs/testlog.json"
	# The benchmark-shape suite runs in the normal tree only: it drives whole
	# benchmarks (minutes under the sanitizer) and their code's own unit
	# tests run in both trees. An explicit --suite still runs anywhere.
	skip=()
	[ "$t" = build-asan ] && [ ${#suites[@]} -eq 0 ] && skip=(--no-suite bench)
	meson test -C "$top/$t" --no-rebuild --print-errorlogs "${suites[@]}" "${skip[@]}"
done

# Count from meson's machine-readable logs, not from its console output.
python3 - "$build_failed" "${trees[@]/#/$top/}" <<'PY'
import json, os, sys
build_failed = int(sys.argv[1])
passed = failed = skipped = 0
for tree in sys.argv[2:]:
    log = os.path.join(tree, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        continue
    with open(log) as f:
        for line in f:
            r = json.loads(line).get("result")
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
            else:
                failed += 1
failed += build_failed
tail = f", {skipped} skipped" if skipped else ""
print(f"{passed} passed, {failed} failed{tail}")
sys.exit(1 if failed or passed == 0 else 0)
PY
