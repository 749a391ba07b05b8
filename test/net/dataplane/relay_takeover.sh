#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# udp-relay in `ringplane run --takeover` (dataplane/relay_takeover.c):
#  - three clients (three source addresses, 8 ports each) keep 16 numbered
#    datagrams in flight each, never resent, through the relay to three
#    slow backends (relay_check.py backend --delay-ms 200: every answer
#    leaves 200 ms after its datagram came, so answers are always on their
#    way back to the relay's sessions), while two takeovers happen:
#      a (handoff msg-ring, local-cpu auto)
#      -> b (local-cpu off: the hash spreads clients over both processes
#            until a has left)
#      -> c (handoff: copy)
#      -> d (handoff msg-ring again: c leaves with its copy queues)
#    and every datagram is answered exactly once, with its own bytes (an
#    answer to a number not awaited, a second or a late one, fails), and
#    every client's answers came from one backend: the successors opened
#    their sessions to the backend the old one used (the hash of the
#    client's address);
#  - the leaving one had sessions awaiting answers when it left, kept
#    them until they were answered, then exited 0 with every buffer back;
#  - both the old and the new one served (their counters).
# Without the wait (every session ends at the leave) answers are lost and
# the clients' check fails.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
. "$RP_TOP/test/net/dataplane/relay_lib.sh"
. "$RP_TOP/test/net/dataplane/takeover_lib.sh"
rp_need_root
echo_topology

CHECK=$RP_TOP/test/tools/relay_check.py
TRAFFIC=$RP_TOP/test/tools/steady_traffic.py
relay_addrs IPS 11 13

# relay_takeover_config FILE HANDOFF LOCAL_CPU: relay_lib's relay, with
# room for the leaving one's wait
relay_takeover_config() {
	relay_yaml "$1" "$ECHO_SRV_ADDR:7000" "$2" "    local-cpu: $3"
	printf 'shutdown:\n  drain-timeout-ms: 20000\n' >>"$1"
	"$RINGPLANE" check "$1" >/dev/null
}
rp_check "config a is valid" relay_takeover_config "$workdir/a.yaml" msg-ring auto
rp_check "config b is valid" relay_takeover_config "$workdir/b.yaml" msg-ring off
rp_check "config c is valid" relay_takeover_config "$workdir/c.yaml" copy auto
rp_check "config d is valid" relay_takeover_config "$workdir/d.yaml" msg-ring auto

for b in 0 1 2; do
	rp_bg "$srv_ns" python3 "$CHECK" backend 127.0.0.1:710$b $b --delay-ms 200
done
for port in 7100 7101 7102; do
	rp_wait_port "$srv_ns" udp "$port" || rp_done
done

rpd_start "$workdir/a.yaml"
LOG_A=$RPD_LOG
if ! rpd_wait_metrics; then
	rp_fail "the first appliance starts"
	rp_done
fi

rm -f "$workdir/stop"
TRAFFIC_PIDS=() TRAFFIC_IPS=()
for ip in ${IPS//,/ }; do
	rp_in "$cli_ns" python3 "$TRAFFIC" "$ECHO_SRV_ADDR" 7000 0 "$workdir/stop" \
		--tcp-clients 0 --udp-window 16 --udp-sockets 8 --udp-bind "$ip" --udp-skip 1 \
		>"$workdir/traffic-$ip.out" 2>&1 &
	TRAFFIC_PIDS+=("$!")
	TRAFFIC_IPS+=("$ip")
done

# round OLD_PID OLD_LOG CONFIG LABEL: a takeover under the traffic, checked.
round() {
	local old=$1 log=$2 label=$4 served
	rpd_counter_reaches rx_packets relay 200
	served=$(rpd_counter rx_packets relay)
	rp_check "$label: the old one served ($served datagrams from clients)" test "$served" -gt 0
	takeover "$old" "$3" "$label"
	grep -E "sessions await replies|every session answered" "$log"
	rp_check "$label: the old one exited 0 (got $OLD_STATUS)" test "$OLD_STATUS" = 0
	rp_check "$label: ... it left with sessions awaiting answers" \
		grep -qE "takeover: [1-9][0-9]* of [0-9]+ sessions await replies" "$log"
	rp_check "$label: ... and stopped once every session was answered" \
		grep -q "every member left, every session answered" "$log"
	rp_check "$label: ... every buffer back" all_buffers_back "$log" 1024
	rp_check "$label: ... nothing lent or unsent" sh -c '! grep -q "exiting with" "$1"' _ "$log"
	rp_check "$label: the new one runs, its metrics up" rpd_wait_metrics
	rp_check "$label: the new one serves" rpd_counter_reaches rx_packets relay 1
	rp_check "$label: ... opening its own sessions" rpd_counter_reaches sessions_opened relay 1
}

first=$RPD_PID
round "$first" "$LOG_A" "$workdir/b.yaml" b
LOG_B=$RPD_LOG
round "$RPD_PID" "$LOG_B" "$workdir/c.yaml" c
LOG_C=$RPD_LOG
round "$RPD_PID" "$LOG_C" "$workdir/d.yaml" d
rpd_counter_reaches rx_packets relay 200

touch "$workdir/stop"
for i in "${!TRAFFIC_PIDS[@]}"; do
	wait "${TRAFFIC_PIDS[$i]}"
	eval "ST$i=$?"
done
cat "$workdir"/traffic-*.out
for i in "${!TRAFFIC_PIDS[@]}"; do
	eval "st=\$ST$i"
	rp_check "client $i: every datagram answered exactly once, none lost (exit $st)" test "$st" = 0
	rp_check "client $i: ... all by one backend" grep -q "udp_tags 1$" "$workdir/traffic-${TRAFFIC_IPS[$i]}.out"
done
rp_check "no sanitizer report from the old ones" sh -c \
	'! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$@"' _ "$LOG_A" "$LOG_B" "$LOG_C"
rpd_stop_checked "the last one"
rp_done
