#!/usr/bin/env bash
# The netns helpers create what they say and remove all of it, also when a
# test dies half way.
. "$RP_TOP/test/net/lib.sh"
rp_need_root

has_dev() { ip -n "$1" link show "$2" >/dev/null 2>&1; }
ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

rp_ns a; rp_ns b
rp_check "namespaces exist" ns_exists "$a"
rp_check "names are unique" test "$a" != "$b"
rp_check "lo is up in the new namespace" \
	sh -c "ip -n '$a' -o link show lo | grep -q 'UP'"

rp_veth "$a" v0 "$b" v1 4
rp_check "veth ends in both namespaces" sh -c "ip -n '$a' link show v0 >/dev/null && ip -n '$b' link show v1 >/dev/null"
rp_check "veth is not in the root namespace" sh -c "! ip link show v0 2>/dev/null"
rp_check "veth has 4 rx queues (seen from its namespace)" \
	test "$(ip netns exec "$a" sh -c 'ls -d /sys/class/net/v0/queues/rx-*' | wc -l)" -eq 4
rp_addr "$a" v0 10.78.0.1/24; rp_addr "$b" v1 10.78.0.2/24
rp_check "veth pair carries traffic" rp_in "$a" ping -q -c1 -W2 10.78.0.2

rp_ifb_sink "$a" sink0 10.77.0.1 10.77.0.2
rp_check "ifb sink up with mtu 65535" sh -c "ip -n '$a' -o link show sink0 | grep -q 'mtu 65535'"
rp_check "ifb sink has the permanent neighbour" \
	sh -c "ip -n '$a' neigh show 10.77.0.2 | grep -q PERMANENT"
rp_tap "$a" tap0
rp_check "tap device exists" has_dev "$a" tap0

# A child test that fails half way still removes its namespace.
child_ns=$(RP_TEST_NAME=child bash -c '
	. "$RP_TOP/test/net/lib.sh"
	rp_ns n; echo "$n"; rp_veth "$n" x0 "$n" x1
	false || exit 3')
rp_check "child created a namespace" test -n "$child_ns"
rp_check "child's namespace removed after its failure" sh -c "! ip netns list | grep -qw '$child_ns'"
rp_check "the root namespace has no veth from the child" sh -c "! ip link show x0 2>/dev/null"
rp_done
