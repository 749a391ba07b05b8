#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# udp-relay batching (dataplane/svc_udp_relay.c, gso.c): GSO toward the
# backend, GRO from it and from clients. Clients over a veth pair; the relay
# (two workers) and the backend (test/tools/relay_check.py batch-backend, on 127.0.0.1) in the
# other namespace. Buffers of 64 KiB + headers, so the backend sockets
# receive with UDP_GRO, and so do the service sockets.
#
#   - bursts: the relay is stopped (SIGSTOP) while one client sends a burst
#     (runs of equal sizes with a shorter last one, and mixed sizes), so
#     the burst waits in the socket and the relay takes it in one batch:
#     the backend sees every datagram exact and in order, and the backend
#     row's gso_sends / gso_datagrams moved (trains toward the backend);
#   - GRO: the backend answers with one UDP_SEGMENT send of n datagrams (the
#     relay's backend socket receives them as one coalesced receive,
#     gro_receives); the client receives the n datagrams with exactly the
#     sizes and bytes the backend sent: as one train toward the client
#     (segment <= 1472), or split datagram by datagram (2000 B segments do
#     not fit a GSO segment over a 1500 MTU);
#   - GRO from a client: its bursts sent as UDP_SEGMENT trains arrive on the
#     service socket coalesced (gro_receives) and reach the backend as
#     exactly its datagrams, in order (rx_packets counts datagrams); and
#     from a client whose datagrams are handed over (pinned to CPU 0, found
#     by relay_handed_ip): a coalesced buffer is one handoff item (fewer
#     handoffs than datagrams), still exact and in order, every lent
#     buffer back (bufs_returned == handoffs_out, bufs_lent 0);
#   - gso: false: the same bursts and GRO answers, exact and in order, with
#     no train (a coalesced receive split);
#   - shutdown: exit 0, every buffer back, no sanitizer report.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
. "$RP_TOP/test/net/dataplane/relay_lib.sh"
rp_need_root
echo_topology

CHECK=$RP_TOP/test/tools/relay_check.py
GSO_ON=$ECHO_SRV_ADDR:7010
GSO_OFF=$ECHO_SRV_ADDR:7011
BE_ON=127.0.0.1:7110
BE_OFF=127.0.0.1:7111

cat >"$workdir/relay.yaml" <<EOC
workers:
  count: 2
buffers:
  size: 65664
  count: 256
metrics:
  enabled: true
  listen: 127.0.0.1:9107
services:
  - name: on
    type: udp-relay
    listen: $GSO_ON
    backends:
      - address: $BE_ON
  - name: off
    type: udp-relay
    listen: $GSO_OFF
    gso: false
    backends:
      - address: $BE_OFF
EOC

rp_bg "$srv_ns" python3 "$CHECK" batch-backend "$BE_ON"
rp_bg "$srv_ns" python3 "$CHECK" batch-backend "$BE_OFF"
rp_wait_port "$srv_ns" udp 7110 || rp_done
rp_wait_port "$srv_ns" udp 7111 || rp_done
rpd_start "$workdir/relay.yaml"
rpd_wait_metrics || rp_done
rp_check "backend sockets receive with UDP_GRO (log)" rpd_log_has "backend sockets receive with UDP_GRO"
rp_check "service sockets receive with UDP_GRO (log)" rpd_log_has "service sockets receive with UDP_GRO"

# burst RELAY SIZES BURSTS: the client's burst sent while the relay is
# stopped (the whole burst waits in the relay's socket); sets $out.
burst() {
	relay_stopped_send "$workdir/sent" python3 "$CHECK" bursts "$1" --sizes "$2" --bursts "$3" \
		--mark "$workdir/sent"
}

burst "$GSO_ON" 1000,1000,1000,1000,300,64,64,1400,1400,700 6
rp_check "on: the backend got every datagram exact and in order (60)" \
	test "$(field '["backend"]["errors"]')" = "[]" -a "$(field '["backend"]["received"]')" = 60
trains=$(rpd_counter gso_sends "on/$BE_ON")
carried=$(rpd_counter gso_datagrams "on/$BE_ON")
sent=$(rpd_counter tx_packets "on/$BE_ON")
echo "toward the backend: $sent datagrams, $trains trains carrying $carried"
rp_check "on: datagrams went to the backend in trains (gso_sends $trains > 0)" test "$trains" -gt 0
rp_check "on: a train carries several (gso_datagrams $carried >= 2 x gso_sends)" \
	test "$carried" -ge $((2 * trains))
rp_check "on: backend row counts every datagram (tx_packets $sent = 61)" test "$sent" = 61

# ---- gso on: GRO answers from the backend --------------------------------------
out=$(rp_in "$cli_ns" python3 "$CHECK" gro "$GSO_ON" 10:1000:300 64:100:100 5:2000:1500 3:1472:1)
echo "$out"
rp_check "on: coalesced answers reach the client as the backend's datagrams (82, exact)" \
	test "$(field '["errors"]')" = "[]" -a "$(field '["datagrams"]')" = 82
rp_check "on: 4 coalesced receives (gro_receives)" test "$(rpd_counter gro_receives "on/$BE_ON")" = 4
rp_check "on: the backend row counts their datagrams (rx_packets >= 82)" \
	test "$(rpd_counter rx_packets "on/$BE_ON")" -ge 82
down=$(rpd_counter gso_sends on)
rp_check "on: answers left in trains toward the client (gso_sends $down >= 3)" test "$down" -ge 3

# ---- gso on: GRO from clients (their UDP_SEGMENT trains) ------------------------
# gro_bursts [--ip ADDR]: 10 bursts of 7 x 1200 B + 500 B, each ONE send with
# UDP_SEGMENT, from the client (pinned to CPU 0); checks the backend got all
# 80 exact and in order. Sets $out.
gro_bursts() {
	out=$(rp_in "$cli_ns" taskset -c 0 python3 "$CHECK" bursts "$GSO_ON" "$@" --gso \
		--sizes 1200,1200,1200,1200,1200,1200,1200,500 --bursts 10)
	echo "$out"
	rp_check "on: a client's GSO bursts reach the backend as exactly its datagrams, in order (80)" \
		test "$(field '["backend"]["errors"]')" = "[]" -a "$(field '["backend"]["received"]')" = 80
	rpd_wait_idle
}
g0=$(rpd_counter gro_receives on)
r0=$(rpd_counter rx_packets on)
s0=$(rpd_counter tx_packets "on/$BE_ON")
gro_bursts
g=$(( $(rpd_counter gro_receives on) - g0 ))
rp_check "on: the bursts arrived coalesced (service gro_receives +$g > 0)" test "$g" -gt 0
rp_check "on: rx_packets counts datagrams, not receives (+81: 80 and the report request)" \
	test $(( $(rpd_counter rx_packets on) - r0 )) = 81
rp_check "on: backend row counts every datagram (tx_packets +81)" \
	test $(( $(rpd_counter tx_packets "on/$BE_ON") - s0 )) = 81

relay_addrs IPS 11 18
relay_handed_ip on "$GSO_ON" "$IPS"
g0=$(rpd_counter gro_receives on)
h0=$(rpd_counter handoffs_out on)
gro_bursts --ip "$handed_ip"
g=$(( $(rpd_counter gro_receives on) - g0 ))
h=$(( $(rpd_counter handoffs_out on) - h0 ))
rp_check "on, handed: the bursts arrived coalesced (gro_receives +$g > 0)" test "$g" -gt 0
rp_check "on, handed: a coalesced buffer is one item (handoffs_out +$h: > 0, < 81 datagrams)" \
	test "$h" -gt 0 -a "$h" -lt 81
rp_check "on, handed: owners took them all, none dropped, every lent buffer came home" \
	test "$(rpd_counter handoffs_in on)" = "$(rpd_counter handoffs_out on)" \
	-a "$(rpd_counter handoff_drops on)" = 0 \
	-a "$(rpd_counter bufs_returned on)" = "$(rpd_counter handoffs_out on)" \
	-a "$(rpd_counter bufs_lent on)" = 0

# ---- gso off: everything single, still exact and in order ---------------------------
burst "$GSO_OFF" 1000,1000,1000,300,64,1400 5
rp_check "off: the backend got every datagram exact and in order (30)" \
	test "$(field '["backend"]["errors"]')" = "[]" -a "$(field '["backend"]["received"]')" = 30
out=$(rp_in "$cli_ns" python3 "$CHECK" gro "$GSO_OFF" 10:1000:300 5:2000:1500)
echo "$out"
rp_check "off: coalesced answers split into the backend's datagrams (15, exact)" \
	test "$(field '["errors"]')" = "[]" -a "$(field '["datagrams"]')" = 15
rp_check "off: no train either way" \
	test "$(rpd_counter gso_sends off)" = 0 -a "$(rpd_counter gso_sends "off/$BE_OFF")" = 0
rp_check "off: the coalesced receives were seen (gro_receives 2)" \
	test "$(rpd_counter gro_receives "off/$BE_OFF")" = 2
rp_check "no send failed" test "$(rpd_counter err_send)" = 0

rpd_wait_idle
rpd_stop_checked "udp-relay gso"
rp_done
