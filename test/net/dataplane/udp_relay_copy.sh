#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# udp-relay with `handoff: copy` (dataplane/relay_copy.c, relay_copyq.c):
# the forced-handoff part of udp_relay.sh (clients pinned to one CPU, so
# half the datagrams arrive on a non-owner) through the copy queues:
#
#   - every datagram exact, in order, affine; handoffs_in == handoffs_out,
#     no handoff_drops; no buffer is lent (bufs_lent 0, bufs_returned 0:
#     the origin's buffer goes back at once); eventfd wakes happen, at most
#     one per handoff (handoff_wakes);
#   - service `handed`: one client's bursts, all copied into the queue,
#     drained by the owner in batches, leave toward the backend in GSO
#     trains from the queue's slots (relay_lib.sh relay_handed_trains),
#     exact and in order; nothing lent;
#   - shutdown with a flood in flight (half of it through the queues): exit
#     0, every worker's buffers free, no copy slot held at exit, nothing
#     reported by the sanitizer.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
. "$RP_TOP/test/net/dataplane/relay_lib.sh"
rp_need_root
echo_topology

CHECK=$RP_TOP/test/tools/relay_check.py
RELAY=$ECHO_SRV_ADDR:7000
relay_addrs IPS 11 18
TRAINS=$ECHO_SRV_ADDR:7004
relay_yaml "$workdir/relay.yaml" "$RELAY" copy
cat >>"$workdir/relay.yaml" <<EOC
  - name: handed
    type: udp-relay
    listen: $TRAINS
    handoff: copy
    backends:
      - address: 127.0.0.1:7120
EOC

for b in 0 1 2; do
	rp_bg "$srv_ns" python3 "$CHECK" backend 127.0.0.1:710$b $b
done
rp_bg "$srv_ns" python3 "$CHECK" batch-backend 127.0.0.1:7120
for port in 7100 7101 7102 7120; do
	rp_wait_port "$srv_ns" udp "$port" || rp_done
done
rpd_start "$workdir/relay.yaml"
rpd_wait_metrics || rp_done

relay_forced_handoff relay "$RELAY" "$IPS" "127.0.0.1:7100 127.0.0.1:7101 127.0.0.1:7102"
rp_check "copy: no buffer lent (bufs_lent 0, bufs_returned 0)" \
	test "$(rpd_counter bufs_lent relay)" = 0 -a "$(rpd_counter bufs_returned relay)" = 0
wakes=$(rpd_counter handoff_wakes relay)
rp_check "copy: the owner was woken by its eventfd (0 < handoff_wakes $wakes <= $handoffs)" \
	test "$wakes" -gt 0 -a "$wakes" -le "$handoffs"

relay_handed_trains handed "$TRAINS" "$IPS" 127.0.0.1:7120
rp_check "handed: nothing lent (bufs_lent 0, bufs_returned 0)" \
	test "$(rpd_counter bufs_lent handed)" = 0 -a "$(rpd_counter bufs_returned handed)" = 0
relay_flood_stop "$RELAY" "$IPS" 3 handoffs_out $((handoffs + 1000))
rp_done
