#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nic apply with an impossible value in the middle of the plan leaves every
# device exactly as it was (nic show --json and ethtool compared before and
# after), reports the kernel's ext-ack verbatim with file:line:column, and
# undoes the interfaces already applied. A plan asking for something the
# device lacks is refused before anything is touched.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/nicmgr/nic_lib.sh"
rp_need_root

rp_ns A
rp_ns B
nic_veth4 "$A" v0 "$B" v1 || exit 1
nic_veth4 "$A" w0 "$B" w1 || exit 1
# start w0 at 3 rx queues so the step that succeeds before the failing one
# adds a NAPI instead of removing one: undoing it then restores exactly
# the NAPIs (and ids) there were
rp_in "$A" ethtool -L w0 rx 3
rp_tmpdir T

snapshot() {	# NAME: nic show --json and ethtool -l/-k of both devices
	local d
	for d in v0 w0; do
		nic_show "$A" "$d" "$T/$1-$d.json" || return 1
		rp_in "$A" ethtool -l "$d" > "$T/$1-$d.l" && rp_in "$A" ethtool -k "$d" > "$T/$1-$d.k"
	done
}
unchanged() {	# BEFORE AFTER
	local d
	for d in v0 w0; do
		nic_check same "$T/$1-$d.json" "$T/$2-$d.json" || return 1
		cmp -s "$T/$1-$d.l" "$T/$2-$d.l" && cmp -s "$T/$1-$d.k" "$T/$2-$d.k" || return 1
	done
}

# v0's plan is fine (features, NAPI settings, threaded); w0's plan grows rx
# (fine) then asks for 9 tx queues of at most 4 (refused), then more.
cat > "$T/bad.yaml" <<YAML
interfaces:
  - name: v0
    features:
      tx-checksum-ip-generic: false
    napi:
      threaded: true
      defer-hard-irqs: 4
  - name: w0
    channels:
      rx: 4
      tx: 9
    features:
      rx-gro: false
    napi:
      gro-flush-timeout: 10000
YAML

snapshot before
rp_in "$A" "$RINGPLANE" nic apply -c "$T/bad.yaml" > "$T/apply.out" 2> "$T/apply.err"
rc=$?
cat "$T/apply.out" "$T/apply.err"
rp_check "apply fails with exit 1" test "$rc" -eq 1
rp_check "error names device, setting and its interface entry (file:line:col)" grep -q "w0: channels.tx ($T/bad.yaml:8:5) 4 -> 9" "$T/apply.err"
rp_check "error carries the kernel's ext-ack verbatim" grep -q "requested channel count exceeds maximum" "$T/apply.err"
rp_check "the step before the failure was made" grep -qx "w0: channels.rx 3 -> 4" "$T/apply.out"
rp_check "v0 had been applied, then rolled back" grep -q "v0: rolled back napi.threaded" "$T/apply.out"
snapshot after
rp_check "both devices exactly as before" unchanged before after

# Something a device does not have: refused up front, nothing changed.
cat > "$T/unsup.yaml" <<YAML
interfaces:
  - name: v0
    channels:
      rx: 2
    coalesce:
      rx-usecs: 8
YAML
rp_check "plan shows the unsupported setting, exit 0" bash -c "ip netns exec $A $RINGPLANE nic plan -c $T/unsup.yaml | grep -q '! coalesce.rx-usecs: not supported'"
rp_in "$A" "$RINGPLANE" nic apply -c "$T/unsup.yaml" > "$T/unsup.out" 2> "$T/unsup.err"
rc=$?
rp_check "apply refuses it with exit 1" test "$rc" -eq 1
rp_check "refusal says not supported, nothing changed" grep -q "v0: coalesce.rx-usecs ($T/unsup.yaml:2:5): not supported: .*(nothing changed)" "$T/unsup.err"
snapshot after2
rp_check "both devices still as before" unchanged before after2

# --dry-run plans only
cat > "$T/good.yaml" <<YAML
interfaces:
  - name: v0
    channels:
      rx: 2
YAML
rp_check "apply --dry-run exits 0" rp_in "$A" "$RINGPLANE" nic apply --dry-run -c "$T/good.yaml"
snapshot after3
rp_check "--dry-run changed nothing" unchanged before after3

rp_done
