#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Software devices without NAPI or IRQs (ifb, tap): nic show exits 0 and
# names every part the device lacks "not supported" (as measured on this
# kernel, 6.18), and the queue map says the dataplane falls back to the
# configured CPUs.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/nicmgr/nic_lib.sh"
rp_need_root

rp_ns A
rp_ifb_sink "$A" sink0 10.77.0.1 10.77.0.2 || exit 1
rp_tap "$A" tap0 || exit 1
rp_tmpdir T

expect() {	# DEV SECTION... : each has status "not supported"
	local dev=$1 s
	shift
	for s in "$@"; do
		nic_check status "$T/$dev.json" "$s" "not supported" || return 1
	done
}
ok_sections() {	# DEV SECTION... : each has status "ok"
	local dev=$1 s
	shift
	for s in "$@"; do
		nic_check status "$T/$dev.json" "$s" ok || return 1
	done
}

for dev in sink0 tap0; do
	rp_check "$dev: nic show exits 0" rp_in "$A" "$RINGPLANE" nic show "$dev" > "$T/$dev.txt"
	rp_check "$dev: nic show --json exits 0" nic_show "$A" "$dev" "$T/$dev.json"
	rp_check "$dev: rings, rss, napi, qstats, irq not supported" \
		expect "$dev" rings rss napi qstats irq
	rp_check "$dev: driver, link, features, queues read" \
		ok_sections "$dev" driver link features queues
	rp_check "$dev: features match ethtool -k" nic_same_as_ethtool "$A" "$dev" "$T/$dev.json" features -k
	rp_check "$dev: text output says not supported" grep -q "^rings: not supported" "$T/$dev.txt"
	rp_check "$dev: queue map falls back to configured CPUs" \
		bash -c "python3 $NIC_CHECK get $T/$dev.json queue-map.note | grep -q 'no NAPI/IRQ on this device.*using configured CPUs'"
done
# what differs between them, as measured: ifb has no channels or
# coalescing ops; tun has both (one combined channel, rx-frames)
rp_check "sink0 (ifb): channels and coalesce not supported" expect sink0 channels coalesce
rp_check "tap0 (tun): channels and coalesce read" ok_sections tap0 channels coalesce
rp_check "tap0: channels match ethtool -l" nic_same_as_ethtool "$A" tap0 "$T/tap0.json" channels -l
rp_check "tap0: coalesce matches ethtool -c" nic_same_as_ethtool "$A" tap0 "$T/tap0.json" coalesce -c
# tun's coalescing can be set: apply it and read it back with ethtool; NAPI
# settings on a device without NAPI are refused before anything changes
cat > "$T/tap.yaml" <<YAML
interfaces:
  - name: tap0
    coalesce:
      rx-frames: 4
YAML
rp_check "tap0: apply coalesce.rx-frames exits 0" rp_in "$A" "$RINGPLANE" nic apply -c "$T/tap.yaml"
rp_check "tap0: ethtool -c reads rx-frames 4" bash -c "ip netns exec $A ethtool -c tap0 | grep -qx 'rx-frames: 4'"
cat > "$T/tap-napi.yaml" <<YAML
interfaces:
  - name: tap0
    coalesce:
      rx-frames: 8
    napi:
      threaded: true
YAML
nic_show "$A" tap0 "$T/tap-before.json"
rp_in "$A" "$RINGPLANE" nic apply -c "$T/tap-napi.yaml" > /dev/null 2> "$T/tap-napi.err"
rc=$?
rp_check "tap0: napi.threaded refused, exit 1" test "$rc" -eq 1
rp_check "tap0: ... as not supported, no NAPI" grep -q "tap0: napi.threaded.*not supported: no NAPI instance" "$T/tap-napi.err"
nic_show "$A" tap0 "$T/tap-after.json"
rp_check "tap0: nothing changed (rx-frames still 4)" nic_check same "$T/tap-before.json" "$T/tap-after.json"

rp_in "$A" "$RINGPLANE" nic show nosuch0 > /dev/null 2> "$T/nosuch.err"
rc=$?
rp_check "unknown device: exit 1" test "$rc" -eq 1
rp_check "unknown device: says so" grep -q "nosuch0: no such device" "$T/nosuch.err"

rp_done
