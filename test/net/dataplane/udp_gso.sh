#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# UDP GSO replies (dataplane/gso.h) over a veth pair: bursts of datagrams
# from one peer are answered byte for byte and in order, with GSO sends
# doing the work when enabled and none when `gso: false`; on a link whose
# MTU is too small for the train, the kernel's refusal is caught and every
# datagram is still answered, one by one.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

sizes="1-64/9,100,600,1000,1200,1472,1473,2000,4000"
nsizes=$(($(seq 1 9 64 | wc -l) + 8))
burst=64

# udp_config FILE GSO: the echo config with the udp service's gso key set.
udp_config() {
	echo_config "$1" never
	sed -i "0,/sockperf: false/s//sockperf: false\n    gso: $2/" "$1"
}

# run_bursts LABEL SIZES N_SIZES: the burst check and the counters every
# run must satisfy; leaves gso and fallbacks for the caller's checks.
run_bursts() {
	rp_check "$1: $3 sizes x $burst-datagram bursts echoed in order" \
		tool udp_echo_check "$ECHO_SRV_ADDR:7007" --sizes "$2" --burst "$burst" \
		--retries 8 --timeout-ms 1000
	rp_check "$1: every buffer back in the pool once quiet" rpd_wait_idle
	rx=$(rpd_counter rx_packets udp); tx=$(rpd_counter tx_packets udp)
	rp_check "$1: tx_packets ($tx) == rx_packets ($rx)" test "$tx" -eq "$rx"
	rp_check "$1: rx_packets ($rx) >= datagrams sent" test "$rx" -ge $(($3 * burst))
	gso=$(rpd_counter gso_sends udp); fallbacks=$(rpd_counter gso_fallbacks udp)
}

udp_config "$workdir/on.yaml" true
rpd_start "$workdir/on.yaml"
if rpd_wait_metrics; then
	run_bursts "gso on" "$sizes" "$nsizes"
	rp_check "gso on: replies left in GSO sends ($gso)" test "$gso" -gt 0
	rp_check "gso on: fewer GSO sends ($gso) than datagrams ($tx)" test "$gso" -lt "$tx"
	rp_check "gso on: the kernel refused none ($fallbacks)" test "$fallbacks" -eq 0
	rpd_stop_checked "gso on"
else
	rp_fail "ringplane starts (gso on)"
fi

udp_config "$workdir/off.yaml" false
rpd_start "$workdir/off.yaml"
if rpd_wait_metrics; then
	run_bursts "gso off" "$sizes" "$nsizes"
	rp_check "gso off: no GSO sends ($gso)" test "$gso" -eq 0
	rpd_stop_checked "gso off"
else
	rp_fail "ringplane starts (gso off)"
fi

# MTU 1280 on both ends: a 1400-byte datagram arrives reassembled, and a
# train cut at 1400 bytes does not fit the route (the kernel says EINVAL).
ip -n "$cli_ns" link set ve0 mtu 1280 && ip -n "$srv_ns" link set ve1 mtu 1280
rpd_start "$workdir/on.yaml"
if rpd_wait_metrics; then
	run_bursts "mtu 1280" 1400 1
	rp_check "mtu 1280: the refused train was counted ($fallbacks)" test "$fallbacks" -ge 1
	rp_check "mtu 1280: the refusal was logged" grep -q "refused a UDP_SEGMENT send" "$RPD_LOG"
	rpd_stop_checked "mtu 1280"
else
	rp_fail "ringplane starts (mtu 1280)"
fi
rp_done
