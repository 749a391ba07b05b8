# SPDX-License-Identifier: MIT
# Helpers for the nicmgr network tests (after test/net/lib.sh).

NIC_CHECK="$RP_TOP/test/net/nicmgr/nic_check.py"

# nic_show NS DEV OUT: `ringplane nic show DEV --json` inside NS into OUT.
nic_show() {
	rp_in "$1" "$RINGPLANE" nic show "$2" --json > "$3"
}

# nic_ethtool NS DEV FLAG OUT: the ethtool CLI's view (-l, -k, -g, -c).
nic_ethtool() {
	rp_in "$1" ethtool "$3" "$2" > "$4" 2>&1
}

nic_check() {
	python3 "$NIC_CHECK" "$@"
}

# nic_same_as_ethtool NS DEV SHOW.json WHAT FLAG: nic show vs ethtool FLAG.
nic_same_as_ethtool() {
	local out
	out=$(mktemp -p "$T")
	nic_ethtool "$1" "$2" "$5" "$out" && nic_check "$4" "$3" "$out"
}

# nic_veth4 NS_A DEV_A NS_B DEV_B: a veth pair with 4 queues each; DEV_A
# with GRO on, which is what gives veth its NAPI instances (field notes).
nic_veth4() {
	rp_veth "$1" "$2" "$3" "$4" 4 && rp_in "$1" ethtool -K "$2" gro on
}
