#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane run` with an interfaces section: nicmgr applies the settings at
# start-up, the log shows the rx queue -> NAPI -> IRQ -> CPU map, one worker
# per served queue; a device without NAPI/IRQs (tap) says so and uses the
# configured CPUs; an impossible setting stops start-up, names the file
# position, and leaves the device as it was.
. "$RP_TOP/test/net/lib.sh"
rp_need_root
rp_ns ns; rp_ns peer
rp_tmpdir dir
rp_veth "$ns" v0 "$peer" v1 4
rp_addr "$ns" v0 10.93.0.2/24; rp_addr "$peer" v1 10.93.0.1/24
rp_tap "$ns" tap0

run_until_listening() {	# CONFIG PORT: start, wait for the port, stop
	rp_bg "$ns" "$RINGPLANE" run -c "$1" 2>"$dir/log"
	local pid=$RP_BG_PID
	rp_wait_port "$ns" udp "$2" || { cat "$dir/log"; return 1; }
	rp_check "udp echo through the NIC-configured appliance" \
		rp_in "$peer" "$RP_BUILD/test/tools/udp_echo_check" "10.93.0.2:$2" -s 1,100,1400
	kill -TERM "$pid"; wait "$pid"
	rp_check "exit 0 after SIGTERM" test $? -eq 0
}

cat >"$dir/veth.yaml" <<'YAML'
interfaces:
  - name: v0
    queues: 2
    features:
      rx-gro: true
services:
  - type: udp-echo
    listen: 10.93.0.2:7301
metrics:
  enabled: false
YAML
run_until_listening "$dir/veth.yaml" 7301
rp_check "gro switched on by nicmgr" sh -c "ip netns exec '$ns' ethtool -k v0 | grep -q 'generic-receive-offload: on'"
rp_check "queue map logged for rx queues 0 and 1" \
	sh -c "grep -q 'v0: rx queue 0 -> napi' '$dir/log' && grep -q 'v0: rx queue 1 -> napi' '$dir/log'"
rp_check "queue 2 is not served" sh -c "! grep -q 'v0: rx queue 2 ->' '$dir/log'"
rp_check "one worker per served queue (2)" grep -q 'running: 2 workers' "$dir/log"
rp_check "veth has no IRQs: configured CPUs used" grep -q 'v0: no IRQ on this device' "$dir/log"

cat >"$dir/tap.yaml" <<'YAML'
interfaces:
  - name: tap0
workers:
  cpus: [1]
services:
  - type: udp-echo
    listen: 10.93.0.2:7302
metrics:
  enabled: false
YAML
run_until_listening "$dir/tap.yaml" 7302
rp_check "tap: no NAPI/IRQ said plainly" grep -q 'tap0: no NAPI/IRQ on this device' "$dir/log"
rp_check "tap: the worker runs on the configured CPU 1" grep -q 'worker 0: cpu 1,' "$dir/log"

before=$(rp_in "$ns" ethtool -l v0)
cat >"$dir/bad.yaml" <<'YAML'
interfaces:
  - name: v0
    channels:
      rx: 99
services:
  - type: udp-echo
    listen: 10.93.0.2:7303
metrics:
  enabled: false
YAML
rp_in "$ns" "$RINGPLANE" run -c "$dir/bad.yaml" 2>"$dir/badlog"
st=$?
rp_check "impossible channel count: run exits 1 (got $st)" test "$st" -eq 1
rp_check "the error names the interface and the setting" grep -q 'interface v0: .*channels.rx' "$dir/badlog"
rp_check "the error names the config position" grep -q "bad.yaml:[0-9]*:[0-9]*" "$dir/badlog"
rp_check "the device is as it was" test "$(rp_in "$ns" ethtool -l v0)" = "$before"
rp_done
