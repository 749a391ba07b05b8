#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# rp_nic_setup(), the dataplane's start-up call: applies an interface's
# settings and returns the rx queue -> NAPI -> IRQ -> CPU map; software
# devices say they fall back to the configured CPUs; a failing setting is
# reported with the kernel's words and leaves the device as it was.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/nicmgr/nic_lib.sh"
rp_need_root
probe="$RP_BUILD/test/net/nicmgr/nic_setup_probe"

rp_ns A
rp_ns B
nic_veth4 "$A" v0 "$B" v1 || exit 1
rp_ifb_sink "$A" sink0 10.77.0.1 10.77.0.2 || exit 1
rp_tmpdir T

printf 'interfaces:\n  - name: v0\n    queues: 3\n' > "$T/v0.yaml"
rp_check "dry run: exit 0" bash -c "ip netns exec $A $probe $T/v0.yaml --dry-run > $T/dry.out"
cat "$T/dry.out"
rp_check "veth: NAPIs, no IRQs, 3 of 4 rx queues (queues: 3)" grep -qx "v0 napi=1 irq=0 n=3" "$T/dry.out"
rp_check "each mapped queue has a NAPI id and no CPU" \
	bash -c "[ \$(grep -cE '^rx [0-9] napi [0-9]+ irq -1 cpu -1$' $T/dry.out) -eq 3 ]"
rp_check "note: no IRQ, configured CPUs" grep -q "^note: v0: no IRQ on this device (veth): using configured CPUs" "$T/dry.out"

printf 'interfaces:\n  - name: v0\n    channels:\n      rx: 2\n    napi:\n      defer-hard-irqs: 2\n' > "$T/v0-apply.yaml"
rp_check "apply: exit 0" bash -c "ip netns exec $A $probe $T/v0-apply.yaml > $T/apply.out"
rp_check "map follows the new channel count" grep -qx "v0 napi=1 irq=0 n=2" "$T/apply.out"
nic_show "$A" v0 "$T/applied.json"
rp_check "ethtool -l agrees" nic_same_as_ethtool "$A" v0 "$T/applied.json" channels -l
rp_check "both NAPIs defer-hard-irqs 2" bash -c "python3 -c \"import json,sys; n=json.load(open('$T/applied.json'))['napi']['list']; sys.exit(not (len(n) == 2 and all(x['defer-hard-irqs'] == 2 for x in n)))\""

printf 'interfaces:\n  - name: sink0\n' > "$T/ifb.yaml"
rp_check "ifb: exit 0" bash -c "ip netns exec $A $probe $T/ifb.yaml > $T/ifb.out"
rp_check "ifb: no NAPI, no IRQ, one rx queue" grep -qx "sink0 napi=0 irq=0 n=1" "$T/ifb.out"
rp_check "ifb: says it uses the configured CPUs" grep -q "^note: sink0: no NAPI/IRQ on this device (ifb): using configured CPUs" "$T/ifb.out"

printf 'interfaces:\n  - name: v0\n    channels:\n      rx: 1\n      tx: 9\n' > "$T/bad.yaml"
ip netns exec "$A" "$probe" "$T/bad.yaml" > /dev/null 2> "$T/bad.err"
rc=$?
rp_check "failing setting: exit 1" test "$rc" -eq 1
rp_check "error: device, setting, place, ext-ack" grep -q "v0: channels.tx ($T/bad.yaml:2:5) 4 -> 9: Invalid argument: requested channel count exceeds maximum" "$T/bad.err"
nic_show "$A" v0 "$T/after-bad.json"
# rx 2 -> 1 -> 2 destroyed rx-1's NAPI and made a new one (new id): its
# settings must still be what they were
rp_check "device left as it was (settings; NAPI ids are new)" \
	nic_check same "$T/applied.json" "$T/after-bad.json" --settings

rp_done
