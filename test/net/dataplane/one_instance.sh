#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One appliance per address: a second `ringplane run` on the addresses of a
# running one (its own metrics port, so only the services collide) must
# refuse to start, naming the address and the running PID, and leave the
# first one serving. After the first stops, or is killed with SIGKILL, the
# same command starts and serves: nothing stale is left behind.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

echo_config "$workdir/a.yaml" auto
sed 's/127.0.0.1:9107/127.0.0.1:9108/' "$workdir/a.yaml" >"$workdir/b.yaml"
rp_check "the second config differs only in its metrics port" \
	test "$(diff "$workdir/a.yaml" "$workdir/b.yaml" | grep -c '^[<>]')" -eq 2

echo_ok() { tool udp_echo_check "$ECHO_SRV_ADDR:7007" --sizes 64,1400 --retries 8 --timeout-ms 500 &&
	tool tcp_echo_check "$ECHO_SRV_ADDR:7008" -c 4 -b 4000; }

rpd_start "$workdir/a.yaml"
first=$RPD_PID
if rpd_wait_metrics; then
	rp_in "$srv_ns" "$RINGPLANE" run -c "$workdir/b.yaml" 2>"$workdir/b.log"
	rc=$?
	rp_check "second instance: exit 1 (got $rc)" test "$rc" -eq 1
	rp_check "names the UDP address and the running PID" grep -qF \
		"service udp: udp $ECHO_SRV_ADDR:7007 is already served by PID $first (ringplane)" "$workdir/b.log"
	rp_check "names the TCP address too" grep -qF \
		"service tcp: tcp $ECHO_SRV_ADDR:7008 is already served by PID $first (ringplane)" "$workdir/b.log"
	rp_check "it started no worker" sh -c "! grep -q 'worker 0:' '$workdir/b.log'"
	rp_check "the first one still serves" echo_ok

	# SIGKILL: no drain, nothing cleaned up by the appliance itself.
	kill -KILL "$first"; wait "$first" 2>/dev/null
	rpd_start "$workdir/b.yaml"
	RPD_LOG_B=$RPD_LOG
	rp_check "after SIGKILL of the first, the same addresses start" rpd_wait_metrics 127.0.0.1:9108
	rp_check "and serve" echo_ok
	rpd_stop_checked "the second, after the first was killed"
	rp_check "no address complaint" sh -c "! grep -q 'already' '$RPD_LOG_B'"
else
	rp_fail "the first instance starts"
fi
rp_done
