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

# The datagrams the kernel dropped for a full socket receive buffer, in
# both namespaces (Udp: RcvbufErrors of /proc/net/snmp).
rcvbuf_errors() {
	local ns sum=0 n
	for ns in "$cli_ns" "$srv_ns"; do
		n=$(rp_in "$ns" awk '/^Udp:/ { if (h) { print $(c); exit } for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 }' /proc/net/snmp)
		sum=$((sum + ${n:-0}))
	done
	echo "$sum"
}

# sockperf_ok LOG [KERNEL_DROPS]: its summary shows replies and no
# duplicates, reordering or errors, and no loss beyond KERNEL_DROPS (UDP
# datagrams the kernel itself dropped for a full receive buffer while this
# run went on: on a starved 2-vCPU machine a server descheduled for some
# milliseconds overflows its socket at 20000 msg/s; ringplane cannot
# receive what the kernel never queued, and anything it lost itself is
# still a failure).
sockperf_ok() {
	local log=$1 kernel_drops=${2:-0} line recv dropped
	line=$(grep '\[Valid Duration\]' "$log") || { echo "no summary in sockperf output:"; tail -5 "$log"; return 1; }
	recv=$(sed -n 's/.*ReceivedMessages=\([0-9]*\).*/\1/p' <<<"$line")
	[ "${recv:-0}" -gt 0 ] || { echo "sockperf received nothing: $line"; return 1; }
	grep -q '# duplicated messages = 0; # out-of-order messages = 0' "$log" ||
		{ grep 'dropped messages' "$log"; return 1; }
	dropped=$(sed -n 's/.*# dropped messages = \([0-9]*\);.*/\1/p' "$log" | head -1)
	[ "${dropped:-0}" -le "$kernel_drops" ] ||
		{ echo "sockperf lost $dropped replies, the kernel dropped $kernel_drops datagrams"; return 1; }
	[ "${dropped:-0}" -eq 0 ] || echo "sockperf lost $dropped replies, all within the kernel's $kernel_drops receive-buffer drops"
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
		drops_before=$(rcvbuf_errors)
		rp_in "$cli_ns" timeout 30 sockperf under-load $flag -i "$ECHO_SRV_ADDR" -p "$port" -t 2 \
			--mps 20000 --msg-size 64 >"$workdir/ul-$proto.log" 2>&1
		kernel_drops=0
		[ "$proto" = udp ] && kernel_drops=$(($(rcvbuf_errors) - drops_before))
		grep -E 'Valid Duration|dropped messages' "$workdir/ul-$proto.log"
		rp_check "sockperf $proto under-load, 20000 msg/s: replies, no drops/dups/reordering (beyond $kernel_drops kernel receive-buffer drops)" \
			sockperf_ok "$workdir/ul-$proto.log" "$kernel_drops"
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
