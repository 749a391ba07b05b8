#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shutdown under load: SIGTERM while UDP and TCP clients are sending. The
# appliance drains (every send and zerocopy notification completes), exits
# 0, reports every buffer back in its pool, and the sanitizer build finds no
# leak.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

echo_config "$workdir/load.yaml" always
rpd_start "$workdir/load.yaml"
if rpd_wait_metrics; then
	# Load that outlives the appliance: the clients fail when it goes away,
	# which is expected; only the appliance is judged here.
	rp_bg "$cli_ns" "$TOOLS/tcp_echo_check" "$ECHO_SRV_ADDR:7008" -c 200 -b 50000000 --timeout-s 30 \
		>"$workdir/tcp-load.log" 2>&1
	rp_bg "$cli_ns" "$TOOLS/udp_echo_check" "$ECHO_SRV_ADDR:7007" --sizes 1-65507/7 --retries 0 --timeout-ms 50 \
		>"$workdir/udp-load.log" 2>&1
	sleep 2
	rx=$(rpd_counter rx_packets)
	rp_check "traffic was flowing before SIGTERM (rx_packets $rx > 0)" test "$rx" -gt 0
	inflight=$(rpd_counter bufs_in_flight)
	echo "buffers in flight at SIGTERM: $inflight"
	rpd_stop
	rp_check "exit 0 after SIGTERM under load (got $RPD_STATUS)" test "$RPD_STATUS" -eq 0
	# The appliance's last word on buffers: every worker says all of its
	# buffers are free again.
	final=$(grep -E 'buffers free [0-9]+/[0-9]+' "$RPD_LOG" | tail -n 1)
	echo "final buffer line: ${final:-<none>}"
	rp_check "a final log line states the buffers" test -n "$final"
	rp_check "buffers free == total at exit" \
		python3 -c 'import re,sys; fr,tot=map(int,re.search(r"buffers free (\d+)/(\d+)",sys.argv[1]).groups()); sys.exit(fr!=tot or tot==0)' "$final"
	rp_check "no sanitizer report (leaks, errors)" rpd_log_clean
	# With the appliance gone, `stats` says so plainly and exits 1.
	rp_in "$srv_ns" "$RINGPLANE" stats >"$workdir/stats.out" 2>&1
	st=$?
	rp_check "stats with nothing listening exits 1 (got $st)" test "$st" -eq 1
	rp_check "stats names the address and suggests 'ringplane run'" \
		grep -q '127.0.0.1:9107: Connection refused .* is `ringplane run` running' "$workdir/stats.out"
else
	rp_fail "ringplane starts"
fi
rp_done
