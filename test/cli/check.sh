#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane check`: examples pass (exit 0, normalized YAML that checks
# again), every bad corpus file fails (exit 1, FILE:LINE:COL on stderr, at
# the line:column its "# expect:" line names), usage errors exit 2.
. "$RP_TOP/test/net/lib.sh"

examples="$RP_TOP/config/examples"
bad="$RP_TOP/test/corpus/config/bad"
rp_tmpdir tmp

# Run a command; keep exit status, stdout, stderr for the checks after it.
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
rc_is() { [ "$rc" -eq "$1" ]; }
out_empty() { [ ! -s "$tmp/out" ]; }
err_empty() { [ ! -s "$tmp/err" ]; }
err_has() { grep -qE -- "$1" "$tmp/err"; }
out_has() { grep -qE -- "$1" "$tmp/out"; }
# an error line that starts with $1 and holds the words $2
error_line_has() { grep -F -- "$1" "$tmp/err" | grep -qF -- "$2"; }

for f in "$examples"/*.yaml; do
	name=$(basename "$f")
	run "$RINGPLANE" check "$f"
	rp_check "$name: exit 0" rc_is 0
	rp_check "$name: nothing on stderr" err_empty
	rp_check "$name: normalized config on stdout" out_has '^services:'
	cp "$tmp/out" "$tmp/normalized.yaml"
	run "$RINGPLANE" check - <"$tmp/normalized.yaml"
	rp_check "$name: its normalized form checks too (stdin)" rc_is 0
	run "$RINGPLANE" check --quiet "$f"
	rp_check "$name: --quiet exit 0" rc_is 0
	rp_check "$name: --quiet prints nothing" out_empty
done

run "$RINGPLANE" check --reference "$examples/reference.yaml"
rp_check "reference.yaml is what check --reference prints" cmp -s "$tmp/out" "$examples/reference.yaml"

n_bad=0
for f in "$bad"/*.yaml; do
	name=$(basename "$f")
	n_bad=$((n_bad + 1))
	run "$RINGPLANE" check "$f"
	rp_check "$name: exit 1" rc_is 1
	rp_check "$name: nothing on stdout" out_empty
	rp_check "$name: FILE:LINE:COL: error: on stderr" err_has "^$f:[0-9]+:[0-9]+: error: "
	expect=$(sed -n '1s/^# expect: \([0-9]*:[0-9]*\) .*/\1/p' "$f")
	if [ -n "$expect" ]; then
		rp_check "$name: error at $expect" err_has "^$f:$expect: error: "
	fi
	# the words after the place, when given, must be in that error line
	words=$(sed -n '1s/^# expect: [0-9]*:[0-9]* \(.*\)/\1/p' "$f")
	if [ -n "$words" ]; then
		rp_check "$name: says '$words' there" error_line_has "$f:$expect: error: " "$words"
	fi
done
rp_check "bad corpus is not empty" [ "$n_bad" -ge 20 ]

run "$RINGPLANE" check - <"$bad/range.yaml"
rp_check "stdin: errors name <stdin>" err_has '^<stdin>:3:17: error: .*out of range'

run "$RINGPLANE" check "$tmp/does-not-exist.yaml"
rp_check "missing file: exit 1" rc_is 1
rp_check "missing file: named, with errno text" err_has "does-not-exist.yaml: error: cannot open: No such file or directory"

run "$RINGPLANE" check --help
rp_check "check --help: exit 0" rc_is 0
rp_check "check --help: usage on stdout" out_has '^usage: ringplane check'

run "$RINGPLANE" check --bogus "$examples/default.yaml"
rp_check "unknown option: exit 2" rc_is 2
rp_check "unknown option: named on stderr" err_has "unknown option '--bogus'"
run "$RINGPLANE" check
rp_check "no FILE: exit 2" rc_is 2
run "$RINGPLANE" check "$examples/default.yaml" extra
rp_check "extra argument: exit 2" rc_is 2

run "$RINGPLANE" nonsense
rp_check "ringplane nonsense: exit 2" rc_is 2
rp_check "ringplane nonsense: says so" err_has "unknown command 'nonsense'"
run "$RINGPLANE" --help
rp_check "ringplane --help: exit 0" rc_is 0
rp_check "ringplane --help: lists check" out_has '^  check '

rp_done
