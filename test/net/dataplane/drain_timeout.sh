#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Graceful shutdown with a peer that never reads (shutdown.drain-timeout-ms):
# the client sends until the echo's replies fill every socket buffer on the
# way back and the appliance's sends stall, then just holds the connection.
# SIGTERM: with a 1000 ms drain timeout the appliance resets that connection
# (RST), logs what it abandoned, still waits for every zerocopy notification,
# and exits 0 by itself with every buffer back in its pool. With the timeout
# 0 (wait forever) it keeps draining; the second signal forces exit 1 and
# says what was left. `timeout`-style waits here are hang guards only.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

# drain_config FILE TIMEOUT_MS
drain_config() {
	cat >"$1" <<EOC
workers:
  count: 1
buffers:
  size: 16384
  count: 256
zerocopy:
  mode: always
# one connection may hold most of the pool here: the quiet-peer case needs
# the appliance to read all it was sent (fair_share tests the default share)
limits:
  conn-buffers: 200
services:
  - name: tcp
    type: tcp-echo
    listen: $ECHO_SRV_ADDR:7008
    # the peer never reads: not reset for that (write_stalls) before SIGTERM
    write-stall-timeout-ms: 0
metrics:
  enabled: true
  listen: 127.0.0.1:9107
shutdown:
  drain-timeout-ms: $2
EOC
}

# stuck_client [LIMIT]: a client that sends and never reads, and holds the
# connection open. Without LIMIT it sends until the appliance stops reading
# it: the echo it never takes fills its receive buffer and the server's send
# buffer, the connection's replies hold its share of the pool
# (limits.conn-buffers) and it is throttled (conns_throttled). With LIMIT
# it sends LIMIT bytes (less than the pool holds: the appliance reads them
# all). Both wait for what the appliance did, not for a pause: a client
# that called itself stuck after 1 s without progress stopped early when a
# busy machine did not run the appliance for a second. The receive buffer
# keeps its default: at SO_RCVBUF 4096 the window it advertised outgrew the
# memory it had, a zero-window probe's bytes were dropped, and from then
# on the client discarded the server's ACKs as out of window (RFC 793) and
# backed its own data off to a 120 s RTO: a stall, not a stuck echo.
stuck_client() {
	rp_bg "$cli_ns" python3 -c '
import socket, sys, time
s = socket.socket()
s.connect((sys.argv[1], int(sys.argv[2])))
limit, sent = int(sys.argv[3]) or float("inf"), 0
while sent < limit:
    sent += s.send(b"x" * int(min(65536, limit - sent)))
print("sent", sent, flush=True)
time.sleep(600)
' "$ECHO_SRV_ADDR" 7008 "${1:-0}" >"$workdir/client.out"
	CLIENT_PID=$RP_BG_PID
	if [ -z "${1:-}" ]; then
		rpd_counter_reaches conns_throttled tcp 1
		return
	fi
	local i
	for ((i = 0; i < 400; i++)); do
		grep -q '^sent' "$workdir/client.out" && return 0
		sleep 0.05
	done
	echo "the client did not send its $1 bytes in 20 s"
	return 1
}

# 1. drain timeout 1000 ms: reset, notifications awaited, exit 0
drain_config "$workdir/t1000.yaml" 1000
rpd_start "$workdir/t1000.yaml"
rpd_wait_metrics || rp_fail "ringplane starts"
stuck_client || rp_fail "a stuck client (throttled)"
held=$(rpd_counter bufs_in_flight)
echo "appliance holds $held buffers"
rp_check "the appliance's sends are stuck behind the client (bufs_in_flight $held > 0)" test "$held" -gt 0
rpd_stop
rp_check "exit 0 after the drain timeout (got $RPD_STATUS)" test "$RPD_STATUS" -eq 0
grep -E 'drain timeout|buffers free' "$RPD_LOG"
rp_check "the timeout is logged" grep -q 'drain timeout (shutdown.drain-timeout-ms 1000) expired' "$RPD_LOG"
rp_check "what was abandoned is logged: 1 connection, bytes > 0" \
	grep -qE 'service tcp: drain timeout: reset 1 connections, abandoning [1-9][0-9]* bytes' "$RPD_LOG"
rp_check "every buffer back: buffers free 256/256" grep -q 'worker 0: exiting: buffers free 256/256' "$RPD_LOG"
rp_check "stopped cleanly" grep -q 'stopped cleanly' "$RPD_LOG"
rp_check "no sanitizer report" rpd_log_clean
kill -TERM "$CLIENT_PID" 2>/dev/null

# 1b. the client sent less than the pool holds, so the appliance has read
# it all and has nothing left to receive: only its replies are stuck. A
# plain close would leave an orphaned socket holding them (and their
# zerocopy notifications) behind the zero window; the reset frees them.
drain_config "$workdir/quiet.yaml" 1000
rpd_start "$workdir/quiet.yaml"
rpd_wait_metrics || rp_fail "ringplane starts (quiet peer)"
stuck_client 2000000 || rp_fail "a stuck client that stopped sending"
rpd_counter_reaches rx_bytes tcp 2000000 || rp_fail "the appliance read all 2000000 bytes"
held=$(rpd_counter bufs_in_flight)
rp_check "quiet peer: replies stuck (bufs_in_flight $held > 0)" test "$held" -gt 0
rpd_stop
rp_check "quiet peer: exit 0 after the drain timeout (got $RPD_STATUS)" test "$RPD_STATUS" -eq 0
rp_check "quiet peer: reset 1 connection" grep -q 'service tcp: drain timeout: reset 1 connections' "$RPD_LOG"
rp_check "quiet peer: every buffer back" grep -q 'worker 0: exiting: buffers free 256/256' "$RPD_LOG"
rp_check "quiet peer: no sanitizer report" rpd_log_clean
kill -TERM "$CLIENT_PID" 2>/dev/null

# 2. drain timeout 0: no reset; still draining 2 s later; a second signal
# forces exit 1 and names what was left
drain_config "$workdir/t0.yaml" 0
rpd_start "$workdir/t0.yaml"
rpd_wait_metrics || rp_fail "ringplane starts (timeout 0)"
stuck_client || rp_fail "a stuck client (timeout 0)"
kill -TERM "$RPD_PID"
sleep 2
rp_check "timeout 0: still draining after SIGTERM" kill -0 "$RPD_PID"
rpd_stop
rp_check "timeout 0: the second signal forces exit 1 (got $RPD_STATUS)" test "$RPD_STATUS" -eq 1
rp_check "timeout 0: nothing was reset" sh -c "! grep -q 'drain timeout' '$RPD_LOG'"
rp_check "timeout 0: what was left is logged" grep -q 'worker 0: abandoned [0-9]* outstanding operations' "$RPD_LOG"
kill -TERM "$CLIENT_PID" 2>/dev/null
rp_done
