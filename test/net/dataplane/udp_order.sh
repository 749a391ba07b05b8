#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Replies to one peer leave in the order of its requests whatever their
# sizes and send modes (dataplane/gso.h): bursts that mix datagrams below
# the GSO segment size (gathered into trains), above it (single sends) and
# at zerocopy sizes come back byte for byte and in the order sent, with
# zerocopy never, auto and always.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

burst=64
rounds=8

# mixed LABEL SIZES: $rounds bursts of $burst datagrams cycling through SIZES.
mixed() {
	rp_check "$1: sizes $2 mixed in $burst-datagram bursts echoed in order" \
		tool udp_echo_check "$ECHO_SRV_ADDR:7007" --sizes "$2" --burst "$burst" \
		--mix "$rounds" --retries 8 --timeout-ms 1000
}

for zc in never auto always; do
	echo_config "$workdir/$zc.yaml" "$zc"
	rpd_start "$workdir/$zc.yaml"
	if ! rpd_wait_metrics; then
		rp_fail "ringplane starts (zerocopy $zc)"
		continue
	fi
	mixed "zerocopy $zc" 100,2000
	mixed "zerocopy $zc" 64,64,1472,64,1473,8000,300,300,300,9000,1000
	mixed "zerocopy $zc" 1472,1472,1472,100,16000,1472,1472
	rp_check "zerocopy $zc: every buffer back in the pool once quiet" rpd_wait_idle
	rx=$(rpd_counter rx_packets udp); tx=$(rpd_counter tx_packets udp)
	rp_check "zerocopy $zc: tx_packets ($tx) == rx_packets ($rx)" test "$tx" -eq "$rx"
	gso=$(rpd_counter gso_sends udp)
	if [ "$zc" != always ]; then	# zerocopy sends never ride in trains
		rp_check "zerocopy $zc: GSO trains still formed for the runs of equal sizes ($gso)" \
			test "$gso" -gt 0
	fi
	if [ "$zc" != never ]; then
		zcs=$(rpd_counter zc_sends udp)
		rp_check "zerocopy $zc: zerocopy sends among them ($zcs)" test "$zcs" -gt 0
	fi
	rpd_stop_checked "zerocopy $zc"
done
rp_done
