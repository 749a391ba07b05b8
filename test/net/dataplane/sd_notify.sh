#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Type=notify without systemd: the appliance runs with NOTIFY_SOCKET naming
# a unix datagram socket this test listens on (as systemd would) and
# WATCHDOG_USEC set. READY=1 must arrive, and only once the services
# answer: an echo sent the moment it arrives is answered. WATCHDOG=1 pings
# follow; SIGHUP brings RELOADING=1 (with MONOTONIC_USEC) and READY=1
# again, applied or rejected; SIGTERM brings STOPPING=1 and a clean exit. Every message must
# come from the appliance's main PID (NotifyAccess=main). A worker that hangs
# stops the WATCHDOG=1 pings (the liveness check through MSG_RING).
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology
sock=$workdir/notify.sock
msgs=$workdir/notify.log

# The listener: one line per datagram, "PID MESSAGE" (newlines as spaces),
# the sender's PID from its SCM_CREDENTIALS as systemd reads it.
python3 - "$sock" "$msgs" <<'PY' &
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = next((struct.unpack("iII", d)[0] for l, t, d in anc
                    if l == socket.SOL_SOCKET and t == socket.SCM_CREDENTIALS), -1)
        out.write("%d %s\n" % (pid, data.decode().replace("\n", " ")))
        out.flush()
PY
_rp_pids+=($!)
for ((i = 0; i < 100; i++)); do [ -S "$sock" ] && break; sleep 0.05; done
rp_check "listener socket is up" test -S "$sock"

# msg_count PATTERN: datagrams holding PATTERN so far
msg_count() { grep -c -- "$1" "$msgs" 2>/dev/null || true; }
# wait_msg PATTERN [N]: until N (1) datagrams hold PATTERN
wait_msg() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(msg_count "$1")" -ge "${2:-1}" ] && return 0
		kill -0 "$RPD_PID" 2>/dev/null || [ "$1" = STOPPING=1 ] || break
		sleep 0.05
	done
	echo "no ${2:-1} x '$1' from the appliance; got:"; cat "$msgs"; tail -5 "$RPD_LOG"
	return 1
}

echo_config "$workdir/rp.yaml" auto
export NOTIFY_SOCKET=$sock WATCHDOG_USEC=400000
rpd_start "$workdir/rp.yaml"
unset NOTIFY_SOCKET WATCHDOG_USEC
if rp_check "READY=1 arrives" wait_msg "READY=1"; then
	rp_check "UDP echo answers as soon as READY=1 is in" \
		tool udp_echo_check "$ECHO_SRV_ADDR:7007" --sizes 64,1400 --retries 1 --timeout-ms 2000
	rp_check "TCP echo answers as soon as READY=1 is in" \
		tool tcp_echo_check "$ECHO_SRV_ADDR:7008" -c 2 -b 1000
	rp_check "READY=1 carries a STATUS" grep -q "READY=1 STATUS=running: 1 workers, 2 services" "$msgs"
	rp_check "READY=1 once" test "$(msg_count READY=1)" -eq 1
	rp_check "WATCHDOG=1 pings (3 of them)" wait_msg "WATCHDOG=1" 3
	rp_check "the log names the watchdog period" grep -q "systemd watchdog: 400 ms, pinging every 200 ms" "$RPD_LOG"
	rp_check "no STOPPING=1 while running" test "$(msg_count STOPPING=1)" -eq 0
	kill -HUP "$RPD_PID"
	rp_check "SIGHUP: RELOADING=1 with MONOTONIC_USEC" \
		wait_msg "RELOADING=1 STATUS=reloading MONOTONIC_USEC=[0-9]"
	rp_check "SIGHUP: READY=1 again once applied" wait_msg "READY=1 STATUS=running: reload applied"
	# a file that no longer loads: rejected, and READY=1 all the same
	echo "workers: [" >>"$workdir/rp.yaml"
	kill -HUP "$RPD_PID"
	rp_check "rejected reload: READY=1 says so" \
		wait_msg "READY=1 STATUS=running: reload rejected, previous config kept"
	rp_check "RELOADING=1 then READY=1, twice" \
		test "$(msg_count RELOADING=1)" -eq 2 -a "$(msg_count READY=1)" -eq 3
	sed -i '$d' "$workdir/rp.yaml"
	rpd_stop_checked "SIGTERM"
	rp_check "STOPPING=1 after SIGTERM" wait_msg "STOPPING=1"
	rp_check "every message from the main PID $RPD_PID" \
		sh -c "! grep -v '^$RPD_PID ' '$msgs'"
else
	rpd_stop
fi

# Without NOTIFY_SOCKET the calls do nothing: same appliance, no datagram.
: >"$msgs"
rpd_start "$workdir/rp.yaml"
rp_check "runs without NOTIFY_SOCKET" rpd_wait_metrics
rpd_stop_checked "without NOTIFY_SOCKET"
rp_check "no notification without NOTIFY_SOCKET" test ! -s "$msgs"

# A worker that stops reading its ring (ringplane_faulty, RP_TEST_HANG_WORKER)
# answers no liveness ping: after the first WATCHDOG=1 the appliance sends
# none, and says which worker. Only SIGKILL stops it (the worker never drains).
: >"$msgs"
sed -i 's/^  count: 1$/  count: 2/' "$workdir/rp.yaml"
export NOTIFY_SOCKET=$sock WATCHDOG_USEC=400000 RP_TEST_HANG_WORKER=1
RINGPLANE=$RP_BUILD/test/net/dataplane/ringplane_faulty rpd_start "$workdir/rp.yaml"
unset NOTIFY_SOCKET WATCHDOG_USEC RP_TEST_HANG_WORKER
rp_check "hung worker: READY=1 arrives" wait_msg "READY=1"
rp_check "hung worker: the first WATCHDOG=1 arrives" wait_msg "WATCHDOG=1"
for ((i = 0; i < 100; i++)); do grep -q "worker 1 has not answered a liveness ping" "$RPD_LOG" && break; sleep 0.05; done
rp_check "hung worker: the log names worker 1" grep -q \
	"worker 1 has not answered a liveness ping in 200 ms: no systemd watchdog ping" "$RPD_LOG"
sleep 1	# five more periods: a ping sent in them would show
rp_check "hung worker: no WATCHDOG=1 after the first ($(msg_count WATCHDOG=1))" test "$(msg_count WATCHDOG=1)" -eq 1
kill -KILL "$RPD_PID"; wait "$RPD_PID" 2>/dev/null
rp_done
