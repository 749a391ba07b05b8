#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Coalesced requests (UDP GRO, dataplane/svc_udp_echo.c) over a veth pair:
# a client that sends its bursts in UDP_SEGMENT trains has each train
# delivered to ringplane's socket as ONE buffer when udp-echo asks for
# GRO (gso on, 64 KiB buffers); every datagram must still come back
# separately, in order, byte for byte, and be counted one by one. With
# smaller buffers, `gso: false` or zerocopy `always` (a coalesced buffer
# would leave as copies) nothing is coalesced (gro_receives 0) and the same
# bursts are answered the same way.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

sizes="64,100,600,1000,1472"
nsizes=5
burst=64

# run_case LABEL CONFIG: start, check every burst and the counters; leaves
# gro and rx for the caller's checks.
run_case() {
	rpd_start "$2"
	if ! rpd_wait_metrics; then
		rp_fail "ringplane starts ($1)"
		return 1
	fi
	rp_check "$1: $nsizes sizes x $burst-datagram GSO bursts echoed in order" \
		tool udp_echo_check "$ECHO_SRV_ADDR:7007" --sizes "$sizes" --burst "$burst" \
		--gso --retries 8 --timeout-ms 1000
	rp_check "$1: every buffer back in the pool once quiet" rpd_wait_idle
	rx=$(rpd_counter rx_packets udp); tx=$(rpd_counter tx_packets udp)
	gro=$(rpd_counter gro_receives udp)
	rp_check "$1: tx_packets ($tx) == rx_packets ($rx)" test "$tx" -eq "$rx"
	rp_check "$1: rx_packets ($rx) >= datagrams sent" test "$rx" -ge $((nsizes * burst))
	rpd_stop_checked "$1"
}

echo_config "$workdir/gro.yaml" never
if run_case "gro" "$workdir/gro.yaml"; then
	rp_check "gro: trains arrived coalesced ($gro receives)" test "$gro" -gt 0
	rp_check "gro: fewer receives ($gro) than datagrams ($rx)" test "$gro" -lt "$rx"
fi

echo_config "$workdir/small.yaml" never false 4096
if run_case "4 KiB buffers" "$workdir/small.yaml"; then
	rp_check "4 KiB buffers: nothing coalesced ($gro)" test "$gro" -eq 0
fi

echo_config "$workdir/nogso.yaml" never
sed -i "0,/sockperf: false/s//sockperf: false\n    gso: false/" "$workdir/nogso.yaml"
if run_case "gso off" "$workdir/nogso.yaml"; then
	rp_check "gso off: nothing coalesced ($gro)" test "$gro" -eq 0
fi
echo_config "$workdir/zc.yaml" always
if run_case "zerocopy always" "$workdir/zc.yaml"; then
	rp_check "zerocopy always: nothing coalesced ($gro)" test "$gro" -eq 0
fi
rp_done
