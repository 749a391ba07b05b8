#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Peers that reset, half-close or vanish mid-stream, malformed sockperf
# frames, and a datagram larger than a buffer: ringplane keeps serving (a
# normal echo works afterwards), counts the errors, and does not crash.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

srv_udp=$ECHO_SRV_ADDR:7007
srv_tcp=$ECHO_SRV_ADDR:7008

still_serves() {
	tool udp_echo_check "$srv_udp" --sizes 1,64,1000 >/dev/null &&
		tool tcp_echo_check "$srv_tcp" -c 4 -b 10000 --timeout-s 20 >/dev/null
}

# Plain echo mode, small buffers (2048 B) so a 4000 B datagram is too big.
echo_config "$workdir/plain.yaml" auto false 2048
rpd_start "$workdir/plain.yaml"
if rpd_wait_metrics; then
	for mode in rst half-close vanish; do
		rp_check "peer '$mode' x20 carried out" tool misbehave "$mode" "$srv_tcp" -n 20 --size 20000
		rp_check "still echoes after '$mode'" still_serves
	done
	rp_check "UDP datagram larger than a buffer sent" tool misbehave udp-big "$srv_udp" -n 5 --size 4000
	rp_check "still echoes after oversize datagrams" still_serves
	rp_check "err_truncated counts the oversize datagrams (>= 5)" rpd_counter_reaches err_truncated udp 5
	rp_check "conns_closed counts the misbehaving peers (>= 60)" rpd_counter_reaches conns_closed tcp 60
	rp_check "err_conn_reset counts reset peers (>= 1)" rpd_counter_reaches err_conn_reset tcp 1
	rpd_stop_checked "plain mode"
else
	rp_fail "ringplane starts (plain mode)"
fi

# sockperf mode: malformed frames.
echo_config "$workdir/sp.yaml" auto true
rpd_start "$workdir/sp.yaml"
if rpd_wait_metrics; then
	for mode in sp-bad-len sp-oversize garbage; do
		rp_check "TCP '$mode' x10 carried out" tool misbehave "$mode" "$srv_tcp" -n 10
	done
	rp_check "UDP malformed sockperf datagrams sent" tool misbehave udp-sp-bad "$srv_udp" -n 10
	rp_check "err_bad_frame counts malformed frames (>= 30)" rpd_counter_reaches err_bad_frame "*" 30
	rp_in "$cli_ns" timeout 30 sockperf ping-pong -i "$ECHO_SRV_ADDR" -p 7007 -t 1 --msg-size 64 >"$workdir/sp.log" 2>&1
	rp_check "sockperf still answered after malformed frames" grep -q 'ReceivedMessages=[1-9]' "$workdir/sp.log"
	rpd_stop_checked "sockperf mode"
else
	rp_fail "ringplane starts (sockperf mode)"
fi
rp_done
