#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# services[].local-cpu (dataplane/reuseport.h): CPU-local delivery in the
# worker sockets' SO_REUSEPORT group, over a veth pair (veth delivers on the
# sending CPU, as a NIC queue delivers on its IRQ's CPU).
#
# Two workers pinned to CPUs 0 and 1. A client pinned to CPU k sends from 32
# UDP sockets and opens 32 TCP connections (32 source ports: the kernel's
# hash would spread them). With local-cpu on, every datagram and connection
# is served by the worker on CPU k (per-worker rows of stats --json, which
# carry the worker's cpu). With local-cpu off the same traffic reaches both
# workers: proof that the locality check would fail without the program.
# Fallback: three workers on two CPUs: auto logs why and serves by hash; on
# refuses to start and says why.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

N_SOCKS=32
PER_SOCK=4

# local_config FILE LOCAL_CPU COUNT CPUS
local_config() {
	cat >"$1" <<EOC
workers:
  count: $3
  cpus: [$4]
buffers:
  size: 2048
  count: 256
services:
  - name: udp
    type: udp-echo
    listen: $ECHO_SRV_ADDR:7007
    local-cpu: $2
  - name: tcp
    type: tcp-echo
    listen: $ECHO_SRV_ADDR:7008
    local-cpu: $2
metrics:
  enabled: true
  listen: 127.0.0.1:9107
EOC
}

# client CPU: from CPU, N_SOCKS UDP sockets x PER_SOCK datagrams and N_SOCKS
# TCP connections, every echo checked. Exit 0 when all came back.
client() {
	rp_in "$cli_ns" taskset -c "$1" python3 - "$ECHO_SRV_ADDR" "$N_SOCKS" "$PER_SOCK" <<'EOP'
import socket, sys
addr, n, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
udp = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(n)]
for i, s in enumerate(udp):
    s.settimeout(2)
    for j in range(per):
        msg = b"u%d.%d" % (i, j)
        s.sendto(msg, (addr, 7007))
        if s.recv(64) != msg:
            sys.exit("udp socket %d: wrong echo" % i)
for i in range(n):
    with socket.create_connection((addr, 7008), timeout=2) as c:
        msg = b"t%d" % i
        c.sendall(msg)
        if c.recv(64) != msg:
            sys.exit("tcp connection %d: wrong echo" % i)
EOP
}

# per_cpu NAME SERVICE: "cpu0 cpu1" values of a counter in the rows of the
# workers pinned to CPUs 0 and 1.
per_cpu() {
	rp_in "$srv_ns" "$RINGPLANE" stats -m 127.0.0.1:9107 --json | python3 -c '
import json, sys
name, svc = sys.argv[1], sys.argv[2]
rows = json.load(sys.stdin)["rows"]
v = [sum(r["values"].get(name, 0) for r in rows
         if r["service"] == svc and r.get("cpu") == c) for c in (0, 1)]
print(*v)' "$1" "$2"
}

# delta BEFORE AFTER: element-wise AFTER - BEFORE of two "a b" pairs
delta() {
	set -- $1 $2
	echo "$(($3 - $1)) $(($4 - $2))"
}

# run_from CPU: the client on CPU; UDP_D / TCP_D: what each worker got
run_from() {
	local u0 t0
	u0=$(per_cpu rx_packets udp); t0=$(per_cpu conns_accepted tcp)
	rp_check "client on CPU $1: every UDP and TCP echo came back" client "$1"
	UDP_D=$(delta "$u0" "$(per_cpu rx_packets udp)")
	TCP_D=$(delta "$t0" "$(per_cpu conns_accepted tcp)")
	echo "     client on CPU $1: udp rx_packets per worker (cpu0 cpu1): $UDP_D; tcp conns: $TCP_D"
}

# ---- local-cpu on: every packet on the client's CPU's worker ----------------
local_config "$workdir/on.yaml" on 2 "0, 1"
rpd_start "$workdir/on.yaml"
if rpd_wait_metrics; then
	rp_check "local-cpu on: start-up log names the steered groups" \
		test "$(grep -c 'local-cpu: reuseport group steered by receiving CPU (cpu 0 -> socket 0, cpu 1 -> socket 1' "$RPD_LOG")" -eq 2
	rp_check "stats --json rows carry the worker's cpu" \
		test "$(per_cpu rx_packets udp | wc -w)" -eq 2
	all=$((N_SOCKS * PER_SOCK))
	for k in 0 1; do
		run_from "$k"
		if [ "$k" = 0 ]; then want_u="$all 0"; want_t="$N_SOCKS 0"
		else want_u="0 $all"; want_t="0 $N_SOCKS"; fi
		rp_check "local-cpu on, client CPU $k: all $all datagrams on CPU $k's worker ($UDP_D)" \
			test "$UDP_D" = "$want_u"
		rp_check "local-cpu on, client CPU $k: all $N_SOCKS connections on CPU $k's worker ($TCP_D)" \
			test "$TCP_D" = "$want_t"
	done
	rpd_stop_checked "local-cpu on"
else
	rp_fail "ringplane starts with local-cpu on"
fi

# ---- local-cpu off: the hash spreads the same traffic ------------------------
local_config "$workdir/off.yaml" off 2 "0, 1"
rpd_start "$workdir/off.yaml"
if rpd_wait_metrics; then
	rp_check "local-cpu off: logged" grep -q 'service udp: local-cpu off' "$RPD_LOG"
	run_from 0
	set -- $UDP_D
	rp_check "local-cpu off: the hash sent some datagrams to CPU 1's worker ($UDP_D)" test "$2" -gt 0
	set -- $TCP_D
	rp_check "local-cpu off: the hash sent some connections to CPU 1's worker ($TCP_D)" test "$2" -gt 0
	rpd_stop_checked "local-cpu off"
else
	rp_fail "ringplane starts with local-cpu off"
fi

# ---- fallback: more workers than CPUs ----------------------------------------
local_config "$workdir/auto3.yaml" auto 3 "0, 1"
rpd_start "$workdir/auto3.yaml"
if rpd_wait_metrics; then
	rp_check "local-cpu auto, 3 workers on 2 CPUs: reason logged" \
		grep -q "service udp: local-cpu auto: no CPU-local delivery, the kernel's reuseport hash picks the worker: sockets 0 and 2 both belong to workers on CPU 0" "$RPD_LOG"
	run_from 0
	rpd_stop_checked "local-cpu auto fallback"
else
	rp_fail "ringplane starts with local-cpu auto and 3 workers on 2 CPUs"
fi

local_config "$workdir/on3.yaml" on 3 "0, 1"
rpd_start "$workdir/on3.yaml"
rpd_stop_wait() { wait "$RPD_PID"; RPD_STATUS=$?; }
rpd_stop_wait
rp_check "local-cpu on, 3 workers on 2 CPUs: refuses to start (exit $RPD_STATUS)" test "$RPD_STATUS" -eq 1
rp_check "local-cpu on, 3 workers on 2 CPUs: says why" \
	grep -q "service udp: local-cpu on: no CPU-local delivery: sockets 0 and 2 both belong to workers on CPU 0" "$RPD_LOG"
rp_done
