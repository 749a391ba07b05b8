#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Read-only `nic show` of the root namespace's NIC (eth0, or the default
# route's device): exits 0, agrees with the ethtool CLI, shows the queue ->
# NAPI -> IRQ -> CPU map where the driver has one (the IRQ's affinity
# checked against /proc/irq), and changes nothing (ethtool and nic show
# settings compared before and after). Nothing here writes to the device.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/nicmgr/nic_lib.sh"
rp_need_root

dev=eth0
[ -e /sys/class/net/$dev ] || dev=$(ip -o route show default | awk '{print $5; exit}')
[ -n "$dev" ] || { echo "root_ro: no eth0 and no default route: no NIC to read" >&2; exit 1; }
echo "reading $dev"
rp_tmpdir T

ethtool_all() {	# OUT: everything ethtool shows of dev's settings
	local f
	for f in -l -k -g -c -x; do
		echo "== ethtool $f"
		ethtool "$f" "$dev" 2>&1
	done > "$1"
}

ethtool_all "$T/ethtool.before"
rp_check "nic show $dev exits 0" bash -c "$RINGPLANE nic show $dev > $T/show.txt"
rp_check "nic show $dev --json exits 0" bash -c "$RINGPLANE nic show $dev --json > $T/before.json"
rp_check "channels match ethtool -l" bash -c "ethtool -l $dev > $T/l 2>&1; python3 $NIC_CHECK channels $T/before.json $T/l || python3 $NIC_CHECK status $T/before.json channels 'not supported'"
rp_check "features match ethtool -k" bash -c "ethtool -k $dev > $T/k && python3 $NIC_CHECK features $T/before.json $T/k"
rp_check "rings match ethtool -g" bash -c "ethtool -g $dev > $T/g 2>&1; python3 $NIC_CHECK rings $T/before.json $T/g || python3 $NIC_CHECK status $T/before.json rings 'not supported'"
rp_check "coalesce matches ethtool -c" bash -c "ethtool -c $dev > $T/c 2>&1; python3 $NIC_CHECK coalesce $T/before.json $T/c || python3 $NIC_CHECK status $T/before.json coalesce 'not supported'"

# every rx queue with an IRQ: the IRQ exists and its CPUs are what
# /proc/irq says; virtio's rx0 has a NAPI and an IRQ here (field notes)
irq_map_ok() {
	python3 - "$T/before.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rx = [q for q in d["queues"]["list"] if q["type"] == "rx"]
bad = 0
for q in rx:
    if q["irq"] is None:
        continue
    with open(f"/proc/irq/{q['irq']}/smp_affinity_list") as f:
        cpus = f.read().strip()
    if cpus != q["cpus"]:
        print(f"rx-{q['id']}: irq {q['irq']} cpus {q['cpus']!r}, /proc says {cpus!r}")
        bad = 1
print(f"{len(rx)} rx queues, {sum(q['irq'] is not None for q in rx)} with an IRQ, "
      f"{sum(q['napi-id'] is not None for q in rx)} with a NAPI")
sys.exit(bad if rx else 1)
PY
}
rp_check "queue -> IRQ -> CPU agrees with /proc/irq" irq_map_ok
if [ "$(basename "$(readlink -f /sys/class/net/$dev/device/driver)")" = virtio_net ]; then
	rp_check "virtio: rx-0 has a NAPI and an IRQ" bash -c "[ \"\$(python3 $NIC_CHECK get $T/before.json queues.list.0.napi-id)\" != null ] && [ \"\$(python3 $NIC_CHECK get $T/before.json queues.list.0.irq)\" != null ]"
	rp_check "virtio: queue map has an IRQ CPU for rx-0" bash -c "python3 $NIC_CHECK get $T/before.json queue-map.has-irq | grep -qx true"
fi

# `nic plan` only reads: IRQ affinity and RSS hash function changes are
# planned (never applied here) and named with their current values
cat > "$T/plan.yaml" <<YAML
interfaces:
  - name: $dev
    irq-cpus: [1]
    rss:
      hfunc: nosuchhash
YAML
"$RINGPLANE" nic plan -c "$T/plan.yaml" > "$T/plan.txt" 2>&1
rc=$?
cat "$T/plan.txt"
rp_check "nic plan exits 0" test "$rc" -eq 0
rp_check "plan: an unknown hash function is not supported" grep -q "! rss.hfunc: not supported" "$T/plan.txt"
irq0=$(python3 "$NIC_CHECK" get "$T/before.json" queues.list.0.irq)
cpus0=$(python3 "$NIC_CHECK" get "$T/before.json" queues.list.0.cpus)
if [ "$irq0" != null ] && [ "$cpus0" != 1 ]; then
	rp_check "plan: rx-0's IRQ $irq0 from $cpus0 to CPU 1" grep -q "~ irq $irq0 (rx-0) cpus: $cpus0 -> 1" "$T/plan.txt"
fi

ethtool_all "$T/ethtool.after"
"$RINGPLANE" nic show "$dev" --json > "$T/after.json"
rp_check "ethtool shows the same before and after" cmp "$T/ethtool.before" "$T/ethtool.after"
rp_check "nic show settings the same before and after" nic_check same "$T/before.json" "$T/after.json" --settings

rp_done
