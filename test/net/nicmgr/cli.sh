#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane nic` command line: --help on stdout with exit 0, usage errors
# on stderr with exit 2, runtime failures exit 1. Touches no device.
. "$RP_TOP/test/net/lib.sh"
rp_tmpdir T

exit_is() {	# CODE CMD...: CMD exits with CODE
	local want=$1 rc
	shift
	"$@" > "$T/out" 2> "$T/err"
	rc=$?
	[ "$rc" -eq "$want" ] || { echo "exit $rc, wanted $want: $*"; cat "$T/err"; return 1; }
}

for args in "nic --help" "nic show --help" "nic plan --help" "nic apply --help"; do
	# shellcheck disable=SC2086
	rp_check "ringplane $args: exit 0, usage on stdout" \
		bash -c "$RINGPLANE $args > $T/h 2> $T/e && grep -q 'usage: ringplane nic show' $T/h && ! [ -s $T/e ]"
done
rp_check "no subcommand: exit 2" exit_is 2 "$RINGPLANE" nic
rp_check "unknown subcommand: exit 2" exit_is 2 "$RINGPLANE" nic frob
rp_check "...and says so on stderr" grep -q "unknown subcommand 'frob'" "$T/err"
rp_check "show without a device: exit 2" exit_is 2 "$RINGPLANE" nic show
rp_check "show with two devices: exit 2" exit_is 2 "$RINGPLANE" nic show a b
rp_check "show with a bad option: exit 2" exit_is 2 "$RINGPLANE" nic show --frob lo
rp_check "plan without -c: exit 2" exit_is 2 "$RINGPLANE" nic plan
rp_check "plan --dry-run is not an option of plan: exit 2" exit_is 2 "$RINGPLANE" nic plan --dry-run -c x.yaml
rp_check "apply with a stray argument: exit 2" exit_is 2 "$RINGPLANE" nic apply -c x.yaml extra
rp_check "apply with a missing file: exit 1" exit_is 1 "$RINGPLANE" nic apply -c "$T/missing.yaml"
printf 'interfaces:\n  - name: lo\n    channels:\n      rx: many\n' > "$T/bad.yaml"
rp_check "plan with a bad config: exit 1" exit_is 1 "$RINGPLANE" nic plan -c "$T/bad.yaml"
rp_check "...naming file:line:column" grep -q "bad.yaml:4:" "$T/err"
printf 'workers:\n  count: 1\n' > "$T/none.yaml"
rp_check "plan with no interfaces: exit 0, says so" bash -c "$RINGPLANE nic plan -c $T/none.yaml | grep -q 'no interfaces'"

rp_done
