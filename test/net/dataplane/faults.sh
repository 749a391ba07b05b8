#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Injected faults (network namespaces; issue 17 item 8, in part):
#  1. RLIMIT_MEMLOCK too low, as a user without CAP_IPC_LOCK: for the
#     features probe (64 KiB) and for the buffer pool (1 MiB): the start
#     fails with exit 1 and an error that names the limit (not "not
#     supported by this kernel"), what is needed and how to raise it.
#  2. nftables drops 10% of the packets arriving at the appliance, at
#     random: TCP echo still returns every byte in order, UDP echo answers
#     every size (the client resends), and the rule did drop packets.
#  3. RLIMIT_NOFILE smaller than limits.connections: the start warns and
#     caps the fixed-file table; a burst past it is refused and counted
#     (conns_refused), nothing crashes, and the service serves afterwards.
#  4. A completion queue of 8 entries under bursts of 64 datagrams: the
#     overflow is counted (cq_overflows), nothing is lost (err_cq_dropped 0,
#     no datagram resent), TCP echo works, the drain returns every buffer.
#  5. A tcp-proxy backend (a second ringplane's tcp-echo) is killed with
#     SIGKILL while 8 clients stream through the proxy: every client
#     connection ends (closed after its last echoed byte, or reset where
#     the backend's own reset is passed on; none hangs), every pair is closed,
#     the pool is full again, nothing went wrong with a buffer; the backend
#     restarted on the same address after SIGKILL serves again, and so does
#     the proxy through it.
# (SIGKILL and restart of the appliance itself is in one_instance.sh.)
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

# ---- 1. memlock -------------------------------------------------------------
echo_config "$workdir/memlock.yaml" auto false 4096
chmod 755 "$workdir" && chmod 644 "$workdir/memlock.yaml"
cp "$RINGPLANE" "$workdir/ringplane" && chmod 755 "$workdir/ringplane"
# memlock_run KIB LOG: start as nobody with RLIMIT_MEMLOCK of KIB; checks exit 1
memlock_run() {
	local rc
	rp_in "$srv_ns" runuser -u nobody -- sh -c \
		"ulimit -l $1; exec '$workdir/ringplane' run -c '$workdir/memlock.yaml'" 2>"$2"
	rc=$?
	rp_check "memlock $1 KiB: exit 1 (got $rc)" test "$rc" -eq 1
	rp_check "memlock $1 KiB: no sanitizer report" \
		sh -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$2'"
}
# The features probe already locks memory: with 64 KiB it is the first to
# fail, and must blame the limit, not the kernel.
memlock_run 64 "$workdir/memlock.log"
rp_check "memlock 64 KiB: the error names the limit and the fix" grep -qF \
	"RLIMIT_MEMLOCK is 65536 bytes (raise it: ulimit -l, LimitMEMLOCK= in the systemd unit, or run with CAP_IPC_LOCK)" \
	"$workdir/memlock.log"
rp_check "memlock 64 KiB: no 'not supported by this kernel'" \
	sh -c "! grep -q 'not supported by this kernel' '$workdir/memlock.log'"
# Enough for the probe, not for the pool (4096 x 512 B): the pool's error.
memlock_run 1024 "$workdir/memlock2.log"
rp_check "memlock 1 MiB: the pool's error names the limit, the need and the fix" grep -qE \
	"RLIMIT_MEMLOCK is 1048576 bytes and [0-9]+ bytes are needed per worker \(raise it: ulimit -l" \
	"$workdir/memlock2.log"

# ---- 2. 10% loss --------------------------------------------------------------
rp_in "$srv_ns" nft -f - <<'EON'
table inet rp_loss {
	chain in {
		type filter hook input priority 0; policy accept;
		iifname "ve1" numgen random mod 10 == 0 counter drop
	}
}
EON
rp_check "nftables loss rule installed" rp_in "$srv_ns" nft list table inet rp_loss
echo_config "$workdir/loss.yaml" auto
rpd_start "$workdir/loss.yaml"
if rpd_wait_metrics; then
	rp_check "10% loss: TCP echo exact (8 x 200 KB)" \
		tool tcp_echo_check "$ECHO_SRV_ADDR:7008" -c 8 -b 200000 --timeout-s 60
	rp_check "10% loss: UDP echo answers every size (client resends)" \
		tool udp_echo_check "$ECHO_SRV_ADDR:7007" --sizes 1-1400/37 --retries 30 --timeout-ms 200
	dropped=$(rp_in "$srv_ns" nft list table inet rp_loss | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	rp_check "the rule dropped packets (${dropped:-0})" test "${dropped:-0}" -gt 0
	rpd_stop_checked "10% loss"
else
	rp_fail "ringplane starts for the loss test"
fi
rp_in "$srv_ns" nft delete table inet rp_loss

# ---- 3. fd limit ----------------------------------------------------------------
echo_config "$workdir/nofile.yaml" auto
# the appliance alone gets 200 (soft and hard): 200 - 64 spare = 136 connections
printf '#!/bin/sh\nulimit -n 200 && exec "%s" "$@"\n' "$RINGPLANE" >"$workdir/rp-nofile"
chmod 755 "$workdir/rp-nofile"
RINGPLANE=$workdir/rp-nofile rpd_start "$workdir/nofile.yaml"
if rpd_wait_metrics; then
	rp_check "fd limit: the start warns and names the cap" grep -qF \
		"limits.connections is 4096, but RLIMIT_NOFILE (200) allows only 136 per worker's fixed-file table" "$RPD_LOG"
	tool tcp_echo_check "$ECHO_SRV_ADDR:7008" -c 180 -b 100000 --timeout-s 20 2>&1 | tail -1
	rp_check "fd limit: the refusal is logged" grep -qF \
		"service tcp: connection refused: limits.connections (136) reached on this worker" "$RPD_LOG"
	refused=$(rpd_counter conns_refused tcp)
	rp_check "fd limit: a burst of 180 past the cap is refused and counted ($refused)" test "$refused" -gt 0
	rp_check "fd limit: the appliance is still running" kill -0 "$RPD_PID"
	rp_check "fd limit: it serves again afterwards" tool tcp_echo_check "$ECHO_SRV_ADDR:7008" -c 20 -b 10000
	rp_check "fd limit: UDP served throughout" \
		tool udp_echo_check "$ECHO_SRV_ADDR:7007" --sizes 1-1400/7 --retries 8 --timeout-ms 500
	rpd_stop_checked "fd limit"
else
	rp_fail "ringplane starts under a small fd limit"
fi
# ---- 4. tiny completion queue ---------------------------------------------------
# 8 CQ entries, bursts of 64 datagrams: the kernel holds back what does not
# fit and hands it over as the queue drains. Every datagram of every burst
# is answered the first time (no resend), the overflows are counted, the
# kernel dropped nothing.
echo_config "$workdir/cq.yaml" auto
sed -i 's/^  count: 1$/  count: 1\n  ring-entries: 8\n  cq-factor: 1/' "$workdir/cq.yaml"
rp_check "config: ring-entries 8, cq-factor 1" grep -q "^  cq-factor: 1$" "$workdir/cq.yaml"
rpd_start "$workdir/cq.yaml"
if rpd_wait_metrics; then
	out=$(tool udp_echo_check "$ECHO_SRV_ADDR:7007" --sizes 64,200 --burst 64 --mix 20 --retries 8 --timeout-ms 500)
	rc=$?
	echo "$out"
	rp_check "tiny CQ: 20 bursts of 64 answered in order" test "$rc" -eq 0
	rp_check "tiny CQ: nothing resent (no datagram went unanswered)" grep -q "(0 resends)" <<<"$out"
	rp_check "tiny CQ: overflows counted ($(rpd_counter cq_overflows))" test "$(rpd_counter cq_overflows)" -gt 0
	rp_check "tiny CQ: the kernel dropped no completion" test "$(rpd_counter err_cq_dropped)" -eq 0
	rp_check "tiny CQ: TCP echo too" tool tcp_echo_check "$ECHO_SRV_ADDR:7008" -c 20 -b 50000
	rpd_stop_checked "tiny CQ"
	rp_check "tiny CQ: drained, every buffer back" grep -qE "worker 0: exiting: buffers free ([0-9]+)/\1$" "$RPD_LOG"
else
	rp_fail "ringplane starts with an 8-entry CQ"
fi
# ---- 5. a proxy backend killed mid-transfer --------------------------------------
cat >"$workdir/backend.yaml" <<EOC
workers:
  count: 1
services:
  - name: backend
    type: tcp-echo
    listen: 127.0.0.1:7300
metrics:
  enabled: false
EOC
cat >"$workdir/proxy.yaml" <<EOC
workers:
  count: 1
buffers:
  size: 16384
  count: 1024
services:
  - name: proxy
    type: tcp-proxy
    listen: $ECHO_SRV_ADDR:7020
    backends:
      - address: 127.0.0.1:7300
metrics:
  enabled: true
  listen: 127.0.0.1:9107
EOC
# backend_start: the backend appliance (BE_PID), serving once its port listens
backend_start() {
	rp_bg "$srv_ns" "$RINGPLANE" run -c "$workdir/backend.yaml" 2>>"$workdir/backend.log"
	BE_PID=$RP_BG_PID
	rp_wait_port "$srv_ns" tcp 7300
}
# the proxy's counter for service "proxy"
px_counter() { rpd_counter "$1" proxy; }
px_all_closed() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(px_counter conns_accepted)" = "$(px_counter conns_closed)" ] && return 0
		sleep 0.05
	done
	echo "proxy: conns_accepted $(px_counter conns_accepted), conns_closed $(px_counter conns_closed)"
	return 1
}
# a client while no backend listens: accepted, then closed without an echo
# (a FIN, or a reset when the bytes it sent were still unread: either way
# not a connect error, and not left hanging)
client_closed() {
	local out
	out=$(tool tcp_echo_check "$ECHO_SRV_ADDR:7020" -c 1 -b 1000 --timeout-s 20 2>&1)
	echo "$out"
	grep -qE ": 0 ok, 1 (closed early|socket error)$" <<<"$out" && ! grep -q "connect:" <<<"$out"
}
rp_check "backend kill: the backend appliance starts" backend_start
rpd_start "$workdir/proxy.yaml"
if rpd_wait_metrics; then
	rp_check "backend kill: the proxy serves before" \
		tool tcp_echo_check "$ECHO_SRV_ADDR:7020" -c 8 -b 100000
	ip netns exec "$cli_ns" "$TOOLS/tcp_echo_check" "$ECHO_SRV_ADDR:7020" -c 8 -b 2000000000 \
		--timeout-s 60 >"$workdir/killed.out" 2>&1 &
	cli_pid=$!
	rp_check "backend kill: 8 clients stream through the proxy" \
		rpd_counter_reaches up_bytes proxy $((64 << 20))
	kill -KILL "$BE_PID"
	wait "$BE_PID" 2>/dev/null
	wait "$cli_pid"
	cat "$workdir/killed.out"
	rp_check "backend kill: every client connection ended early, none hung, no byte wrong" \
		sh -c 'grep -q ": 0 ok" "$1" && ! grep -qE "unfinished|mismatch|extra" "$1"' _ \
		"$workdir/killed.out"
	rp_check "backend kill: every pair closed (conns_accepted == conns_closed)" px_all_closed
	rp_check "backend kill: every buffer back in the pool" rpd_wait_idle
	rp_check "backend kill: the pool is full (bufs_free 1024)" test "$(rpd_counter bufs_free)" = 1024
	rp_check "backend kill: no buffer lookup went wrong" test "$(rpd_counter err_bad_buffer)" = 0
	rp_check "backend kill: the proxy is still running" kill -0 "$RPD_PID"
	rp_check "backend kill: while the backend is down, a client is closed" client_closed
	rp_check "backend kill: ... and counted (err_no_backend >= 1)" \
		rpd_counter_reaches err_no_backend proxy 1
	rp_check "backend kill: the backend restarts on its address after SIGKILL" backend_start
	rp_check "backend kill: and the proxy serves through it again" \
		tool tcp_echo_check "$ECHO_SRV_ADDR:7020" -c 8 -b 1000000
	rp_check "backend kill: the restarted backend logged no address complaint" \
		sh -c '! grep -q "already" "$1"' _ "$workdir/backend.log"
	rpd_stop_checked "backend kill: the proxy"
	rp_check "backend kill: the proxy drained, every buffer back" \
		grep -q "worker 0: exiting: buffers free 1024/1024" "$RPD_LOG"
else
	rp_fail "the proxy appliance starts"
fi
rp_done
