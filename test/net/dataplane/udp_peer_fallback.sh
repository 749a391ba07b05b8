#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# GSO fallback per peer, and its expiry (dataplane/peer.h, gso.h): two peers
# of one udp-echo worker, 10.91.0.1 on a plain 1500-byte path and 10.91.0.3
# behind a route with MTU 1280 on the server side. The kernel refuses a
# 1400-byte train to the second peer; that peer alone is answered datagram
# by datagram, the first keeps its GSO trains, and after gso-retry-ms the
# second is tried with GSO again (refused again: a second switch counted).
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology
FAR=10.91.0.3

ip -n "$cli_ns" addr add "$FAR/24" dev ve0
ip -n "$srv_ns" route add "$FAR/32" dev ve1 mtu lock 1280

# config FILE RETRY_MS
config() {
	echo_config "$1" never
	sed -i "0,/sockperf: false/s//sockperf: false\n    gso-retry-ms: $2/" "$1"
}

# burst LABEL SRC: 64 x 1400 B from SRC, echoed byte for byte and in order.
# Sent in UDP_SEGMENT trains (--gso): each reaches the appliance's GRO
# socket as one coalesced receive, so its replies are a GSO train whatever
# the timing. Single datagrams form a train only when several land in one
# completion batch, which a loaded machine does not promise.
burst() {
	rp_check "$1: 64 x 1400 B from $2 echoed in order" \
		tool udp_echo_check "$ECHO_SRV_ADDR:7007" --bind "$2:0" --sizes 1400 \
		--burst 64 --gso --retries 8 --timeout-ms 1000
}

# 1. A retry period longer than the test: the far peer is switched off GSO
# exactly once however many of its bursts are refused, and the near peer
# keeps its trains.
config "$workdir/long.yaml" 3600000
rpd_start "$workdir/long.yaml"
if rpd_wait_metrics; then
	burst "near peer" "$ECHO_CLI_ADDR"
	g0=$(rpd_counter gso_sends udp)
	rp_check "near peer: answered with GSO trains ($g0)" test "$g0" -gt 0
	rp_check "near peer: no refusal" test "$(rpd_counter gso_fallbacks udp)" -eq 0

	burst "far peer" "$FAR"
	burst "far peer again" "$FAR"
	f1=$(rpd_counter gso_fallbacks udp)
	rp_check "far peer: refused once, switched once for the retry period ($f1)" test "$f1" -eq 1
	g1=$(rpd_counter gso_sends udp)

	burst "near peer after the far peer's refusal" "$ECHO_CLI_ADDR"
	g2=$(rpd_counter gso_sends udp)
	rp_check "near peer: still GSO trains ($g1 -> $g2)" test "$g2" -gt "$g1"
	rp_check "near peer: no new refusal" test "$(rpd_counter gso_fallbacks udp)" -eq "$f1"
	rp_check "every buffer back in the pool once quiet" rpd_wait_idle
	rx=$(rpd_counter rx_packets udp); tx=$(rpd_counter tx_packets udp)
	rp_check "tx_packets ($tx) == rx_packets ($rx)" test "$tx" -eq "$rx"
	rpd_stop_checked "long retry"
else
	rp_fail "ringplane starts (long retry)"
fi

# 2. A short retry period: after it, GSO is tried again for the far peer
# (and refused again: a second switch counted).
config "$workdir/short.yaml" 300
rpd_start "$workdir/short.yaml"
if rpd_wait_metrics; then
	burst "far peer" "$FAR"
	f1=$(rpd_counter gso_fallbacks udp)
	rp_check "far peer: refused ($f1)" test "$f1" -ge 1
	sleep 1		# past gso-retry-ms (300)
	burst "far peer after gso-retry-ms" "$FAR"
	f2=$(rpd_counter gso_fallbacks udp)
	rp_check "far peer: GSO tried again after gso-retry-ms and refused again ($f1 -> $f2)" \
		test "$f2" -gt "$f1"
	rp_check "every buffer back in the pool once quiet" rpd_wait_idle
	rpd_stop_checked "short retry"
else
	rp_fail "ringplane starts (short retry)"
fi
rp_done
