#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nicmgr on a veth pair with 4 queues: `nic show --json` agrees with the
# ethtool CLI field by field; `nic apply` sets channels, features, threaded
# NAPI and per-NAPI settings, and each reads back (ethtool for what it
# shows, our netlink dump and the kernel's NAPI threads for the rest).
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/nicmgr/nic_lib.sh"
rp_need_root

rp_ns A
rp_ns B
nic_veth4 "$A" v0 "$B" v1 || exit 1
rp_tmpdir T

rp_check "nic show v0 --json exits 0" nic_show "$A" v0 "$T/before.json"
rp_check "channels match ethtool -l" nic_same_as_ethtool "$A" v0 "$T/before.json" channels -l
rp_check "features match ethtool -k" nic_same_as_ethtool "$A" v0 "$T/before.json" features -k
rp_check "rings: ethtool -g refuses, nic show says not supported" \
	bash -c "! ip netns exec $A ethtool -g v0 >/dev/null 2>&1 && python3 $NIC_CHECK status $T/before.json rings 'not supported'"
rp_check "four NAPIs listed" test "$(nic_check get "$T/before.json" napi.list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 4
rp_check "rx-0 mapped to a NAPI id" bash -c "[ \"\$(python3 $NIC_CHECK get $T/before.json queues.list.0.napi-id)\" != null ]"
rp_check "queue map says software device" bash -c "python3 $NIC_CHECK get $T/before.json queue-map.note | grep -q 'no IRQ on this device'"

cat > "$T/nic.yaml" <<YAML
interfaces:
  - name: v0
    channels:
      rx: 3
      tx: 2
    features:
      tx-checksum-ip-generic: false
      rx-gro: true
    napi:
      threaded: true
      defer-hard-irqs: 3
      gro-flush-timeout: 50000
      irq-suspend-timeout: 7000
YAML

rp_check "nic plan lists the changes" bash -c "ip netns exec $A $RINGPLANE nic plan -c $T/nic.yaml | tee $T/plan.txt | grep -q 'channels.rx: 4 -> 3'"
rp_check "nic plan changed nothing" bash -c "ip netns exec $A $RINGPLANE nic show v0 --json > $T/plan-after.json && python3 $NIC_CHECK same $T/before.json $T/plan-after.json"
rp_check "nic apply exits 0" rp_in "$A" "$RINGPLANE" nic apply -c "$T/nic.yaml"
nic_show "$A" v0 "$T/after.json"
rp_check "after apply: channels match ethtool -l" nic_same_as_ethtool "$A" v0 "$T/after.json" channels -l
rp_check "after apply: ethtool -l says rx 3 tx 2" bash -c "ip netns exec $A ethtool -l v0 | sed -n '/Current/,\$p' | tr -d '\t' | grep -qx 'RX:3' && ip netns exec $A ethtool -l v0 | sed -n '/Current/,\$p' | tr -d '\t' | grep -qx 'TX:2'"
rp_check "after apply: features match ethtool -k" nic_same_as_ethtool "$A" v0 "$T/after.json" features -k
rp_check "after apply: ethtool -k says tx-checksum-ip-generic off" bash -c "ip netns exec $A ethtool -k v0 | grep -q 'tx-checksum-ip-generic: off'"

# per-NAPI settings, from a fresh netlink dump (a different path than set)
napi_all() {	# FIELD VALUE: every NAPI of v0 has it, and there are 3
	python3 - "$T/after.json" "$1" "$2" <<'PY'
import json, sys
napis = json.load(open(sys.argv[1]))["napi"]["list"]
vals = [n[sys.argv[2]] for n in napis]
ok = len(napis) == 3 and all(v == int(sys.argv[3]) for v in vals)
if not ok:
    print(f"{sys.argv[2]}: {vals}")
sys.exit(0 if ok else 1)
PY
}
rp_check "3 NAPIs, each defer-hard-irqs 3" napi_all defer-hard-irqs 3
rp_check "each gro-flush-timeout 50000" napi_all gro-flush-timeout 50000
rp_check "each irq-suspend-timeout 7000" napi_all irq-suspend-timeout 7000
rp_check "each threaded 1" napi_all threaded 1
# threaded NAPI means a kernel thread per NAPI, and netdev reports its pid
threads_ok() {
	local pid n=0
	for pid in $(python3 -c "import json; [print(n['pid']) for n in json.load(open('$T/after.json'))['napi']['list']]"); do
		[ "$pid" != None ] && grep -q '^napi/' "/proc/$pid/comm" && n=$((n + 1))
	done
	[ "$n" -eq 3 ]
}
rp_check "each NAPI has a napi/ kernel thread" threads_ok

rp_check "plan after apply: no changes" bash -c "ip netns exec $A $RINGPLANE nic plan -c $T/nic.yaml | grep -qx 'v0: no changes'"
rp_check "apply again: exit 0, nothing changed" bash -c "ip netns exec $A $RINGPLANE nic apply -c $T/nic.yaml >/dev/null && ip netns exec $A $RINGPLANE nic show v0 --json > $T/again.json && python3 $NIC_CHECK same $T/after.json $T/again.json"

rp_done
