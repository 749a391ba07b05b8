#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hardware receive zerocopy (io_uring zcrx) where no device has it: the
# per-interface probe names the exact reason for veth, ifb and tap (in a
# namespace of this test) and for the root namespace's eth0 (read only:
# its settings are compared before and after); a tcp-echo service with
# rx-zerocopy auto serves every byte through the provided-buffer fallback
# and says why; `on` refuses to start with the reason and touches nothing;
# `nic plan` lists the queue preparation as not supported by veth, and
# `nic apply` refuses it before changing anything.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology
ip -n "$srv_ns" link add sink0 type ifb && ip -n "$srv_ns" link set sink0 up
rp_tap "$srv_ns" tap0

# ---- the probe, per interface --------------------------------------------
rp_in "$srv_ns" "$RINGPLANE" features --json >"$workdir/feat.json" 2>/dev/null
kernel_zcrx=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(int(next(r for r in d["features"] if r["id"] == "zcrx")["supported"]))' "$workdir/feat.json")
expect_soft=software-device
[ "$kernel_zcrx" = 1 ] || expect_soft=no-kernel
reason_of() {	# FILE IFACE: "reason driver why"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
r=[x for x in d["zcrx_interfaces"] if x["interface"] == sys.argv[2]]
print(r[0]["reason"], r[0]["driver"] or "-", r[0]["why"]) if r else print("absent")' "$1" "$2"
}
for dev in ve1:veth sink0:ifb tap0:tun; do
	name=${dev%%:*} drv=${dev##*:}
	got=$(reason_of "$workdir/feat.json" "$name")
	rp_check "$name: zcrx reason $expect_soft (got: $got)" test "${got%% *}" = "$expect_soft"
	[ "$kernel_zcrx" = 1 ] && rp_check "$name: names driver $drv, no DMA device" \
		sh -c 'case "$1" in *"(driver $2): no DMA device"*) exit 0;; esac; exit 1' _ "$got" "$drv"
done
rp_check "the table form lists ve1 with its reason" \
	sh -c 'ip netns exec "$1" "$2" features 2>/dev/null | grep -qE "^ve1 +veth +no +ve1: "' _ "$srv_ns" "$RINGPLANE"

# The root namespace's eth0, read only: the reason must agree with what
# ethtool says about header split, and nothing of eth0 may change.
if [ -e /sys/class/net/eth0 ]; then
	snap() { for o in -g -k -l -x -n; do ethtool "$o" eth0 2>&1; done; }
	before=$(snap)
	"$RINGPLANE" features --json >"$workdir/root.json" 2>/dev/null
	got=$(reason_of "$workdir/root.json" eth0)
	drv=$(ethtool -i eth0 | awk '/^driver:/ {print $2}')
	hds=$(ethtool -g eth0 2>/dev/null | awk -F: '/TCP data split/ {gsub(/[ \t]/, "", $2); print $2}')
	if [ "$kernel_zcrx" != 1 ]; then
		want=no-kernel
	elif [ ! -e /sys/class/net/eth0/device ]; then
		want=software-device
	elif [ -z "$hds" ] || [ "$hds" = n/a ]; then
		want=no-tcp-data-split
	else
		want=""	# header split exists: ntuple/RSS decide, any later reason
	fi
	if [ -n "$want" ]; then
		rp_check "eth0 ($drv, header split '${hds:-absent}'): reason $want (got: $got)" \
			test "${got%% *}" = "$want"
	else
		rp_check "eth0 has header split: a later reason or usable (got: $got)" \
			sh -c 'case "$1" in no-ntuple*|no-rss*|no-queue*|usable*) exit 0;; esac; exit 1' _ "$got"
	fi
	[ "$want" = no-tcp-data-split ] && rp_check "eth0: 'tcp-data-split not supported by $drv'" \
		sh -c 'case "$1" in *"tcp-data-split not supported by $2"*) exit 0;; esac; exit 1' _ "$got" "$drv"
	rp_check "eth0 unchanged by the probe" test "$(snap)" = "$before"
else
	echo "no eth0 in the root namespace: its read-only probe is not checked here"
fi

# ---- a tcp-echo service with rx-zerocopy ----------------------------------
zc_config() {	# FILE MODE
	cat >"$1" <<EOC
interfaces:
  - name: ve1
workers:
  count: 1
services:
  - name: zc
    type: tcp-echo
    listen: $ECHO_SRV_ADDR:7410
    rx-zerocopy: $2
    rx-zerocopy-interface: ve1
    rx-zerocopy-queue: 0
EOC
}
zc_config "$workdir/auto.yaml" auto
rpd_start "$workdir/auto.yaml"
if rpd_wait_metrics; then
	rp_check "auto: 50 connections x 64 KiB echoed in order through the fallback" \
		tool tcp_echo_check "$ECHO_SRV_ADDR:7410" -c 50 -b 65536 --timeout-s 60
	rp_check "auto: the log names the fallback and its reason" \
		grep -q "service zc: rx-zerocopy auto: falling back to provided-buffer receive: ve1: .*\[$expect_soft\]" "$RPD_LOG"
	fb=$(rpd_counter rx_zerocopy_fallback_bytes zc); zb=$(rpd_counter rx_zerocopy_bytes zc)
	rxb=$(rpd_counter rx_bytes zc)
	rp_check "rx_zerocopy_fallback_bytes counts every byte ($fb == rx_bytes $rxb >= 50*65536)" \
		sh -c 'test "$1" -eq "$2" && test "$1" -ge $((50 * 65536))' _ "$fb" "$rxb"
	rp_check "rx_zerocopy_bytes is 0 ($zb), zcrx_refill_stalls 0" \
		sh -c 'test "$1" -eq 0 && test "$2" -eq 0' _ "$zb" "$(rpd_counter zcrx_refill_stalls zc)"
	rp_check "the Prometheus endpoint exports the zcrx counters" sh -c \
		'ip netns exec "$1" curl -s http://127.0.0.1:9107/metrics | grep -q "^ringplane_rx_zerocopy_fallback_bytes_total"' _ "$srv_ns"
	rpd_stop_checked "auto"
else
	rp_fail "ringplane starts with rx-zerocopy auto"
fi

zc_config "$workdir/on.yaml" on
chan_before=$(rp_in "$srv_ns" ethtool -l ve1)
rp_in "$srv_ns" "$RINGPLANE" run -c "$workdir/on.yaml" 2>"$workdir/on.log"
st=$?
rp_check "on: run exits 1 (got $st)" test "$st" -eq 1
rp_check "on: the error names the service, the config position and the reason" \
	grep -q "service zc: rx-zerocopy on (.*on.yaml:[0-9]*:[0-9]*) cannot be had: ve1: .*\[$expect_soft\]" "$workdir/on.log"
rp_check "on: it never listened" sh -c '! grep -q "running:" "$1"' _ "$workdir/on.log"

# ---- nicmgr: the queue preparation, planned and refused -------------------
cat >>"$workdir/on.yaml" <<'EOC'
metrics:
  enabled: false
EOC
sed -i 's/^  - name: ve1$/  - name: ve1\n    channels:\n      rx: 1/' "$workdir/on.yaml"
rp_in "$srv_ns" "$RINGPLANE" nic plan -c "$workdir/on.yaml" >"$workdir/plan.txt" 2>&1
rp_check "nic plan: exit 0" test $? -eq 0
for piece in "zcrx: tcp-data-split: not supported: tcp-data-split not supported by veth" \
	     "zcrx: features.rx-ntuple-filter: not supported: no ntuple support" \
	     "zcrx: rss.indirection without the queue: not supported" \
	     "zcrx: ntuple rule: not supported"; do
	rp_check "nic plan lists '$piece'" grep -qF "$piece" "$workdir/plan.txt"
done
rp_in "$srv_ns" "$RINGPLANE" nic apply -c "$workdir/on.yaml" >"$workdir/apply.txt" 2>&1
st=$?
rp_check "nic apply refuses (exit $st), nothing changed" \
	sh -c 'test "$1" -eq 1 && grep -q "nothing changed" "$2"' _ "$st" "$workdir/apply.txt"
rp_check "ve1's channels are as they were" test "$(rp_in "$srv_ns" ethtool -l ve1)" = "$chan_before"
rp_done
