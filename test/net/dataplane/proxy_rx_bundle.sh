#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tcp-proxy receive bundles (`forward: bundle`: a multishot receive with
# IORING_RECVSEND_BUNDLE on the worker's shared buffer ring, one completion
# for several buffers) under what releases many buffers at once: clients
# that reset or vanish mid-transfer. Every buffer of a completion is
# resolved from its ring position when the completion is read; resolving
# them again while forwarding (after the first ones reset the pair and gave
# buffers back, which wrap onto the completion's own ring positions) handed
# the wrong buffers on: buffers were lost (bufs_free short) and streams
# corrupted. Checks: paced echoes intact, then after the resets every
# buffer back and no pair left, receives did carry several buffers
# (rx_bundles > 0), no bad buffer, and the proxy still echoes every byte.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

px=$ECHO_SRV_ADDR
BUFS=1024

# One worker: every connection shares its buffer ring.
cat >"$workdir/rxb.yaml" <<EOC
workers: { count: 1 }
buffers: { size: 16384, count: $BUFS }
services:
  - { name: echo, type: tcp-echo, listen: "127.0.0.1:7100" }
  - name: proxy
    type: tcp-proxy
    listen: "$px:7030"
    forward: bundle
    backends: [ { address: "127.0.0.1:7100" } ]
metrics: { enabled: true, listen: "127.0.0.1:9107" }
EOC

# Nothing held: every pair closed, every buffer free.
released() {
	rpd_all_closed proxy && rpd_counter_until bufs_free "*" -eq "$BUFS"
}

rpd_start "$workdir/rxb.yaml"
if rpd_wait_metrics; then
	rp_check "200 paced connections (up to 256 KiB each), every byte checked" \
		tool proxy_load "$px:7030" -c 200 --max-bytes 262144 --pace-ms 20 --timeout-s 40
	rp_check "... everything released (buffers, pairs)" released
	for round in 1 2; do
		tool misbehave rst "$px:7030" -n 200
		tool misbehave vanish "$px:7030" -n 50 --size 1048576
		rp_check "round $round: clients that reset or vanish mid-transfer: every buffer back, no pair left" \
			released
	done
	rp_check "receive completions carried several buffers (rx_bundles > 0)" \
		test "$(rpd_counter rx_bundles proxy)" -gt 0
	rp_check "no buffer lookups went wrong (err_bad_buffer 0)" \
		test "$(rpd_counter err_bad_buffer)" -eq 0
	rp_check "still echoes every byte afterwards" \
		tool proxy_load "$px:7030" -c 50 --max-bytes 262144 --timeout-s 30
	rpd_stop_checked "rx-bundle"
else
	rp_fail "ringplane starts"
fi
rp_done
