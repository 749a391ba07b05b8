#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# udp-relay: zerocopy sends from another worker's buffer (dataplane/
# bufclone.c: every worker's pool cloned into every worker's fixed-buffer
# table). The forced handoff of udp_relay.sh (clients pinned to one CPU, so
# the datagrams of clients the other worker owns are handed over):
#
#   - service `relay`, zerocopy always: every datagram exact, in order,
#     affine; every handed datagram went out zerocopy from its origin's
#     buffer (handoff_zc_sends == handoffs_in, no handoff_copy_sends), its
#     notification came (notifs), and only then the buffer went home
#     (bufs_returned == handoffs_out, bufs_lent 0, nothing in flight);
#   - service `small`, zerocopy auto, threshold 1000: datagrams of 64 and
#     512 B are below it, so every handed one is a copy send
#     (handoff_copy_sends == handoffs_in, no handoff_zc_sends): the
#     project's size threshold decides, not the handoff;
#   - no worker said its handed datagrams are copy-sent (cloning refused);
#   - `small` again, a burst that waited while the relay was stopped
#     (SIGSTOP): exact, in order; the handoff batched (handoff_msgs, the
#     MSG_RINGs for handoffs and returns, fewer than the datagrams handed
#     over; unbatched two each), every buffer home;
#   - service `handed`, zerocopy auto below the threshold: one client's
#     bursts, all handed over, taken by the owner in batches, leave toward
#     the backend in GSO trains from the origin's buffers (relay_lib.sh
#     relay_handed_trains), exact and in order; every buffer of a train
#     came home (bufs_returned == handoffs_out, bufs_lent 0);
#   - shutdown with a flood in flight through `relay` (zerocopy sends from
#     foreign buffers awaiting their notifications): exit 0, every worker's
#     buffers free, nothing lent, no sanitizer report.
# The backends are local (loopback in the server namespace), so the kernel
# copies each zerocopy skb on delivery (zc_copied); what is tested is the
# buffer's path and accounting, not the saving.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
. "$RP_TOP/test/net/dataplane/relay_lib.sh"
rp_need_root
echo_topology

CHECK=$RP_TOP/test/tools/relay_check.py
RELAY=$ECHO_SRV_ADDR:7000
SMALL=$ECHO_SRV_ADDR:7003
TRAINS=$ECHO_SRV_ADDR:7004
BACKENDS="127.0.0.1:7100 127.0.0.1:7101 127.0.0.1:7102"
relay_addrs IPS 11 18
relay_yaml "$workdir/relay.yaml" "$RELAY" msg-ring "    zerocopy: always"
cat >>"$workdir/relay.yaml" <<EOC
  - name: small
    type: udp-relay
    listen: $SMALL
    zerocopy: auto
    backends:
      - address: 127.0.0.1:7100
      - address: 127.0.0.1:7101
        weight: 2
      - address: 127.0.0.1:7102
  - name: handed
    type: udp-relay
    listen: $TRAINS
    zerocopy: auto
    backends:
      - address: 127.0.0.1:7120
zerocopy:
  threshold: 1000
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

# ---- zerocopy always: every handed datagram sent from its origin's buffer ----
relay_forced_handoff relay "$RELAY" "$IPS" "$BACKENDS"
zc=$(rpd_counter handoff_zc_sends relay)
rp_check "relay: every handed datagram went zerocopy (handoff_zc_sends $zc == handoffs_in $handoffs)" \
	test "$zc" = "$handoffs"
rp_check "relay: no handed datagram copy-sent" test "$(rpd_counter handoff_copy_sends relay)" = 0
notifs=$(rpd_counter notifs relay)
rp_check "relay: their notifications came (notifs $notifs >= $zc)" test "$notifs" -ge "$zc"
rp_check "relay: every lent buffer came home after its notification (bufs_returned == handoffs_out)" \
	test "$(rpd_counter bufs_returned relay)" = "$handoffs"
rp_check "relay: bufs_lent 0, no buffer in flight" \
	test "$(rpd_counter bufs_lent relay)" = 0 -a "$(rpd_counter bufs_in_flight)" = 0

# ---- zerocopy auto, below the threshold: copy sends from foreign buffers ----
relay_forced_handoff small "$SMALL" "$IPS" "$BACKENDS" 64,512
rp_check "small: below the threshold every handed datagram is a copy send" \
	test "$(rpd_counter handoff_copy_sends small)" = "$handoffs" \
	-a "$(rpd_counter handoff_zc_sends small)" = 0
rp_check "small: every lent buffer came home" \
	test "$(rpd_counter bufs_returned small)" = "$handoffs" -a "$(rpd_counter bufs_lent small)" = 0
rp_check "no worker copy-sends for want of cloned buffers" \
	bash -c "! grep -q 'handed over from .* are sent as copies' '$RPD_LOG'"

# ---- a burst queued while the relay was stopped: the handoff is batched ------
relay_paused_burst small "$SMALL" "$IPS"

# ---- handed datagrams of one session in GSO trains ---------------------------
relay_handed_trains handed "$TRAINS" "$IPS" 127.0.0.1:7120
rp_check "handed: every buffer of a train came home (bufs_returned == handoffs_out, bufs_lent 0)" \
	test "$(rpd_counter bufs_returned handed)" = "$(rpd_counter handoffs_out handed)" \
	-a "$(rpd_counter bufs_lent handed)" = 0
rp_check "handed: no handed datagram went zerocopy (below the threshold)" \
	test "$(rpd_counter handoff_zc_sends handed)" = 0

# ---- a flood of zerocopy handoffs in flight at shutdown ----------------------
relay_flood_stop "$RELAY" "$IPS" 3 handoff_zc_sends $((zc + 1000))
rp_done
