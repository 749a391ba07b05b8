#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Replies to one peer leave in the order of its requests whatever their
# sizes and send modes (dataplane/gso.h): bursts that mix datagrams below
# the GSO segment size (gathered into trains), above it (single sends) and
# at zerocopy sizes come back byte for byte and in the order sent, with
# zerocopy never, auto and always. Then under load: a token bucket on the
# server's link holds replies in the qdisc until the socket's send buffer
# is full, four clients at once; sends that find it full fail (MSG_DONTWAIT,
# counted err_send_full) instead of waiting on poll where a later reply
# could overtake them, so what arrives is still in order (the checker
# resends the lost ones one by one).
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
# Under load: replies queue in a 50 Mbit/s token bucket (holding send
# buffer memory) while four peers send mixed bursts at once.
echo_config "$workdir/load.yaml" auto
tc -n "$srv_ns" qdisc add dev ve1 root tbf rate 50mbit burst 64kb limit 8mb
rpd_start "$workdir/load.yaml"
if rpd_wait_metrics; then
	pids=()
	for i in 1 2 3 4; do
		rp_in "$cli_ns" "$TOOLS/udp_echo_check" "$ECHO_SRV_ADDR:7007" --sizes 100,2000,1472,1472,8000 \
			--burst 64 --mix 6 --retries 8 --timeout-ms 2000 --seed "$i" >"$workdir/load$i.out" 2>&1 &
		pids+=($!)
	done
	for i in 1 2 3 4; do
		wait "${pids[$((i - 1))]}"
		rc=$?
		cat "$workdir/load$i.out"
		rp_check "under load: client $i's mixed bursts echoed in order" test "$rc" -eq 0
	done
	full=$(rpd_counter err_send_full udp)
	rp_check "under load: the send buffer did fill (err_send_full $full)" test "$full" -gt 0
	rp_check "under load: every buffer back in the pool once quiet" rpd_wait_idle
	rpd_stop_checked "under load"
else
	rp_fail "ringplane starts (load)"
fi
rp_done
