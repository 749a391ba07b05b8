#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The stock sockperf client (Debian's sockperf) in ping-pong and under-load
# modes, UDP and TCP, against ringplane's sockperf mode (services: sockperf: true) over a
# veth pair. sockperf must see replies and report no dropped, duplicated or
# out-of-order messages and no errors.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
command -v sockperf >/dev/null || { echo "sockperf not installed (deploy/setup.sh installs it)"; exit 1; }
echo_topology

# sockperf_ok LOG: its summary shows replies and no loss, duplicates,
# reordering or errors.
sockperf_ok() {
	local log=$1 line recv
	line=$(grep '\[Valid Duration\]' "$log") || { echo "no summary in sockperf output:"; tail -5 "$log"; return 1; }
	recv=$(sed -n 's/.*ReceivedMessages=\([0-9]*\).*/\1/p' <<<"$line")
	[ "${recv:-0}" -gt 0 ] || { echo "sockperf received nothing: $line"; return 1; }
	grep -q '# dropped messages = 0; # duplicated messages = 0; # out-of-order messages = 0' "$log" ||
		{ grep 'dropped messages' "$log"; return 1; }
	! grep -qi 'error' "$log" || { grep -i error "$log"; return 1; }
}

echo_config "$workdir/sp.yaml" auto true
rpd_start "$workdir/sp.yaml"
if rpd_wait_metrics; then
	for size in 14 64 1400 8000; do
		rp_in "$cli_ns" timeout 30 sockperf ping-pong -i "$ECHO_SRV_ADDR" -p 7007 -t 2 --msg-size "$size" \
			>"$workdir/udp-$size.log" 2>&1
		rp_check "sockperf UDP ping-pong, $size B: replies, no drops/dups/reordering" \
			sockperf_ok "$workdir/udp-$size.log"
	done
	rp_in "$cli_ns" timeout 30 sockperf ping-pong --tcp -i "$ECHO_SRV_ADDR" -p 7008 -t 2 --msg-size 64 \
		>"$workdir/tcp.log" 2>&1
	rp_check "sockperf TCP ping-pong, 64 B: replies, no drops/dups/reordering" \
		sockperf_ok "$workdir/tcp.log"
	# under-load: a fixed message rate, a reply asked for every 100th message
	# (sockperf's default), the latency measured on those.
	for proto in udp tcp; do
		port=7007 flag=
		[ "$proto" = tcp ] && port=7008 flag=--tcp
		before=$(rpd_counter rx_bytes "$proto")
		rp_in "$cli_ns" timeout 30 sockperf under-load $flag -i "$ECHO_SRV_ADDR" -p "$port" -t 2 \
			--mps 20000 --msg-size 64 >"$workdir/ul-$proto.log" 2>&1
		grep -E 'Valid Duration|dropped messages' "$workdir/ul-$proto.log"
		rp_check "sockperf $proto under-load, 20000 msg/s: replies, no drops/dups/reordering" \
			sockperf_ok "$workdir/ul-$proto.log"
		after=$(rpd_counter rx_bytes "$proto")
		rp_check "the $proto service received the under-load run ($before -> $after bytes)" \
			test "$after" -gt "$before"
	done
	bad=$(rpd_counter err_bad_frame)
	rp_check "no frame was judged malformed (err_bad_frame $bad)" test "$bad" -eq 0
	rpd_stop_checked
else
	rp_fail "ringplane starts"
fi

# TCP messages larger than a receive buffer (10000 B in 4096 B buffers):
# every one is split, and its reply must still leave from the buffers it
# arrived in (piece by piece), never from a heap copy. With zerocopy
# "always" every send from a buffer is a zerocopy send and a heap send is a
# copy send, so copy_sends counts the heap copies.
echo_config "$workdir/split.yaml" always true 4096
rpd_start "$workdir/split.yaml"
if rpd_wait_metrics; then
	rp_in "$cli_ns" timeout 30 sockperf ping-pong --tcp -i "$ECHO_SRV_ADDR" -p 7008 -t 2 --msg-size 10000 \
		>"$workdir/tcp-split.log" 2>&1
	rp_check "sockperf TCP ping-pong, 10000 B in 4096 B buffers: replies, no drops/dups/reordering" \
		sockperf_ok "$workdir/tcp-split.log"
	zc=$(rpd_counter zc_sends tcp); copies=$(rpd_counter copy_sends tcp)
	echo "split replies: zc_sends $zc, copy_sends $copies"
	rp_check "split replies sent from the receive buffers ($zc zerocopy sends)" test "$zc" -gt 0
	rp_check "no reply sent from a heap copy (copy_sends $copies)" test "$copies" -eq 0
	rpd_stop_checked "split"
else
	rp_fail "ringplane starts (4096 B buffers)"
fi
rp_done
