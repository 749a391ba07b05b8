#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane run --takeover` under traffic (dataplane/takeover.h):
#  - TCP clients connect and stream 1 MiB echoes over and over, a UDP
#    client keeps 8 numbered datagrams in flight (nothing ever resent),
#    while appliances take over from each other, 2 workers each:
#      a (local-cpu auto: a CPU program on each group)
#      -> b (local-cpu off: it detaches a's program, and the kernel's hash
#            spreads traffic over a's and b's sockets until a has left:
#            the hard case for a's leaving)
#      -> c (a config change: the TCP address becomes a tcp-proxy behind
#            an acceptor ring, to a tcp-echo backend on 127.0.0.1 in the
#            same appliance; local-cpu auto: its udp sockets claim their
#            CPUs with SO_INCOMING_CPU)
#      -> d (tcp-proxy with a listener per worker: the acceptor's
#            listener leaves the group, and so do the backend's; the old
#            proxy's pairs, and the new proxy's pairs to the old backend,
#            are served to their end)
#    and every connection completes with every byte echoed, every
#    datagram is answered;
#  - while a client holds a connection open on a, a stays, serving it,
#    but once it has left its groups not one new datagram or connection
#    reaches it (its counters stand still while the traffic goes on);
#  - each old one exits 0 after leaving its groups, every buffer back;
#    the new one set net.ipv4.tcp_migrate_req, starts its metrics once
#    the old is gone, and serves;
#  - --takeover when nothing serves the addresses is an error (exit 1).
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
. "$RP_TOP/test/net/dataplane/takeover_lib.sh"
rp_need_root
echo_topology

TRAFFIC=$RP_TOP/test/tools/steady_traffic.py

# takeover_config FILE LOCAL_CPU TCP: TCP is echo, proxy or proxy-acceptor
# (service "tcp" on the veth address either way)
takeover_config() {
	cat >"$1" <<EOC
workers:
  count: 2
buffers:
  count: 512
services:
  - name: udp
    type: udp-echo
    listen: $ECHO_SRV_ADDR:7007
    local-cpu: $2
  - name: tcp
    type: ${3%-acceptor}
    listen: $ECHO_SRV_ADDR:7008
    local-cpu: $2
EOC
	case "$3" in
	proxy*) cat >>"$1" <<EOC
    acceptor: $([ "$3" = proxy-acceptor ] && echo true || echo false)
    backends:
      - address: 127.0.0.1:7108
  - name: backend
    type: tcp-echo
    listen: 127.0.0.1:7108
EOC
	;; esac
	sed -i "s/type: echo$/type: tcp-echo/; s/type: proxy$/type: tcp-proxy/" "$1"
	cat >>"$1" <<EOC
metrics:
  enabled: true
  listen: 127.0.0.1:9107
shutdown:
  drain-timeout-ms: 20000
EOC
	"$RINGPLANE" check "$1" >/dev/null
}
rp_check "config a is valid" takeover_config "$workdir/a.yaml" auto echo
rp_check "config b is valid" takeover_config "$workdir/b.yaml" off echo
rp_check "config c is valid" takeover_config "$workdir/c.yaml" auto proxy-acceptor
rp_check "config d is valid" takeover_config "$workdir/d.yaml" off proxy

# Counters of the leaving appliance (its metrics port is still its own).
old_counts() { echo "$(rpd_counter rx_packets udp) $(rpd_counter conns_accepted tcp)"; }

traffic_start() {
	rm -f "$workdir/stop"
	rp_in "$cli_ns" python3 "$TRAFFIC" "$ECHO_SRV_ADDR" 7007 7008 "$workdir/stop" \
		--tcp-clients 4 >"$workdir/traffic.out" 2>&1 &
	TRAFFIC_PID=$!
}

traffic_stop() {
	touch "$workdir/stop"
	wait "$TRAFFIC_PID"
	TRAFFIC_STATUS=$?
	cat "$workdir/traffic.out"
}

rpd_start "$workdir/a.yaml"
LOG_A=$RPD_LOG
first=$RPD_PID
if ! rpd_wait_metrics; then
	rp_fail "the first appliance starts"
	rp_done
fi
rp_in "$cli_ns" python3 "$TRAFFIC" --hold "$ECHO_SRV_ADDR" 7008 "$workdir/unhold" \
	>"$workdir/hold.out" 2>&1 &
HOLD_PID=$!
rp_check "a client holds a connection on the first appliance" wait_log "$workdir/hold.out" held
traffic_start
sleep 2
takeover_start "$workdir/b.yaml" b
LOG_B=$RPD_LOG
if rp_check "the first one gets SIGUSR2" wait_log "$LOG_A" "SIGUSR2: a successor takes over"; then
	sleep 0.5	# what was queued before it left is read by now
	before=$(old_counts)
	sleep 1
	after=$(old_counts)
	rp_check "once it left: no new datagram or connection reached it ($before -> $after)" \
		test "$before" = "$after"
	rp_check "... yet it is still running, for the held connection" kill -0 "$first"
fi
touch "$workdir/unhold"
wait "$HOLD_PID"
rp_check "the held connection was served on after the leave, then closed (exit $?)" \
	grep -q "echoed again" "$workdir/hold.out"
takeover_wait "$first"
rp_check "the first one exited 0 after the takeover (got $OLD_STATUS)" test "$OLD_STATUS" = 0
rp_check "... it left its groups on SIGUSR2" grep -q "SIGUSR2: a successor takes over" "$LOG_A"
rp_check "... and stopped once nothing was open any more" \
	grep -q "takeover: every worker left its groups and has nothing open: stopping" "$LOG_A"
rp_check "... its buffers all came back" all_buffers_back "$LOG_A"
rp_check "the new one is still running" kill -0 "$RPD_PID"
rp_check "it named the old one" grep -q "taking over from PID $first" "$LOG_B"
rp_check "it detached the old CPU program" grep -q "detached the old appliance" "$LOG_B"
rp_check "net.ipv4.tcp_migrate_req is 1 in the appliance's namespace" \
	test "$(rp_in "$srv_ns" cat /proc/sys/net/ipv4/tcp_migrate_req)" = 1
rp_check "its metrics came up once the old one had exited" rpd_wait_metrics
sleep 1
rp_check "the new one served TCP connections" rpd_counter_reaches conns_accepted tcp 1
rp_check "... and UDP datagrams" rpd_counter_reaches rx_packets udp 1

# Second round: a config change (acceptor ring for tcp-echo).
second=$RPD_PID
takeover "$second" "$workdir/c.yaml" c
LOG_C=$RPD_LOG
rp_check "round 2: the second one exited 0 (got $OLD_STATUS)" test "$OLD_STATUS" = 0
rp_check "round 2: ... after leaving its groups" grep -q "SIGUSR2: a successor takes over" "$LOG_B"
rp_check "round 2: ... every buffer back" all_buffers_back "$LOG_B"
rp_check "round 2: the udp sockets claim their CPUs with SO_INCOMING_CPU" \
	grep -q "service udp: local-cpu (takeover): each socket claims its CPU" "$LOG_C"
rp_check "round 2: the third one runs, its metrics up" rpd_wait_metrics
sleep 1
rp_check "round 2: the proxy's workers served TCP connections from the acceptor" \
	rpd_counter_reaches conns_accepted tcp 1
rp_check "round 2: ... through its backend" rpd_counter_reaches conns_accepted backend 1

# Third round: from the acceptor back to a listener per worker.
third=$RPD_PID
takeover "$third" "$workdir/d.yaml" d
LOG_D=$RPD_LOG
rp_check "round 3: the one with the acceptor exited 0 (got $OLD_STATUS)" test "$OLD_STATUS" = 0
rp_check "round 3: ... every buffer back" all_buffers_back "$LOG_C"
rp_check "round 3: the fourth one runs, its metrics up" rpd_wait_metrics
sleep 1
rp_check "round 3: it served TCP connections" rpd_counter_reaches conns_accepted tcp 1
rp_check "round 3: ... through its backend" rpd_counter_reaches conns_accepted backend 1
traffic_stop
rp_check "no connection failed, no byte differed, no datagram lost (exit $TRAFFIC_STATUS)" \
	test "$TRAFFIC_STATUS" = 0
rp_check "no sanitizer report from the old ones" sh -c \
	'! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$@"' _ "$LOG_A" "$LOG_B" "$LOG_C"
rpd_stop_checked "the last one"

# Nothing to take over.
rp_in "$srv_ns" "$RINGPLANE" run --takeover -c "$workdir/a.yaml" 2>"$workdir/none.log"
rc=$?
rp_check "--takeover with nothing running: exit 1 (got $rc)" test "$rc" -eq 1
rp_check "... saying there is nothing to take over" grep -q "nothing to take over" "$workdir/none.log"
rp_check "... and starting no worker" sh -c "! grep -q 'worker 0:' '$workdir/none.log'"
rp_done
