#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TCP echo: 1000 concurrent connections over a veth pair, each with its own
# pseudo-random stream in writes of varying size, every byte checked in
# order; then connections that half-close after sending.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

echo_config "$workdir/tcp.yaml" auto
rpd_start "$workdir/tcp.yaml"
if rpd_wait_metrics; then
	rp_check "1000 connections x 32 KiB echoed in order" \
		tool tcp_echo_check "$ECHO_SRV_ADDR:7008" -c 1000 -b 32768 --timeout-s 120
	rp_check "100 half-closing connections x 64 KiB echoed, then closed by the server" \
		tool tcp_echo_check "$ECHO_SRV_ADDR:7008" -c 100 -b 65536 --half-close --timeout-s 60
	rp_check "conns_accepted counts every connection (>= 1100)" rpd_counter_reaches conns_accepted tcp 1100
	rp_check "every buffer back in the pool once quiet" rpd_wait_idle
	rxb=$(rpd_counter rx_bytes tcp); txb=$(rpd_counter tx_bytes tcp)
	rp_check "rx_bytes == tx_bytes ($rxb, $txb)" test "$rxb" -eq "$txb"
	rp_check "every byte counted (rx_bytes $rxb >= 1000*32768 + 100*65536)" \
		test "$rxb" -ge $((1000 * 32768 + 100 * 65536))
	# `stats` finds the exporter through the config and shows rows per
	# worker and service; --watch shows rates.
	rp_in "$srv_ns" "$RINGPLANE" stats -c "$workdir/tcp.yaml" >"$workdir/stats.txt"
	rp_check "stats -c CONFIG shows the tcp service's row with its byte count" \
		grep -qE "^0 +tcp +[0-9]+ +$rxb " "$workdir/stats.txt"
	rp_in "$srv_ns" "$RINGPLANE" stats -c "$workdir/tcp.yaml" --watch 0.2 --count 2 >"$workdir/watch.txt"
	rp_check "stats --watch --count 2 prints two tables, the second as rates" \
		test "$(grep -c '^worker' "$workdir/watch.txt")" -eq 2 -a "$(grep -c 'per second' "$workdir/watch.txt")" -eq 1
	rp_check "stats --help answers on stdout, exit 0" sh -c '"$1" stats --help | grep -q "^usage: ringplane stats"' _ "$RINGPLANE"
	rp_check "stats with an unknown option exits 2" sh -c '"$1" stats --bogus 2>/dev/null; test $? -eq 2' _ "$RINGPLANE"
	rp_check "stats with -c and -m exits 2" sh -c '"$1" stats -c x -m y 2>/dev/null; test $? -eq 2' _ "$RINGPLANE"
	rpd_stop_checked
else
	rp_fail "ringplane starts"
fi
rp_done
