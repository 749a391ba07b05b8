#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# UDP echo over a veth pair between two namespaces, every payload size around
# the interesting boundaries (1472/1500 MTU, 4096, 8192, 65507) plus a sweep,
# on the copy path (zerocopy: never) and the zerocopy path (always); byte for
# byte, with retries only for loss. Counters must agree with what was sent.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

sizes="1-64,100-16000/97,1400-1600,4060-4130,8160-8230,16380-16390,32760-32780,65400-65507/3,65500-65507"
nsizes=$(python3 -c '
import sys
n = 0
for item in sys.argv[1].split(","):
    a, _, rest = item.partition("-")
    if not rest:
        n += 1; continue
    b, _, step = rest.partition("/")
    a, b, step = int(a), int(b), int(step or 1)
    n += len(range(a, b + 1, step)) + (1 if (b - a) % step else 0)
print(n)' "$sizes")

for zc in never always; do
	echo_config "$workdir/$zc.yaml" "$zc"
	rpd_start "$workdir/$zc.yaml"
	rpd_wait_metrics || { rp_fail "ringplane starts (zerocopy $zc)"; continue; }
	rp_check "zerocopy $zc: $nsizes sizes echoed byte for byte" \
		tool udp_echo_check "$ECHO_SRV_ADDR:7007" --sizes "$sizes" --retries 8 --timeout-ms 500
	rp_check "zerocopy $zc: every buffer back in the pool once quiet" rpd_wait_idle
	rx=$(rpd_counter rx_packets udp); tx=$(rpd_counter tx_packets udp)
	rp_check "zerocopy $zc: rx_packets ($rx) >= sizes ($nsizes)" test "$rx" -ge "$nsizes"
	rp_check "zerocopy $zc: tx_packets ($tx) == rx_packets ($rx)" test "$tx" -eq "$rx"
	zcs=$(rpd_counter zc_sends udp)
	if [ "$zc" = always ]; then
		rp_check "zerocopy always: every reply was a zerocopy send ($zcs)" test "$zcs" -eq "$tx"
		notifs=$(rpd_counter notifs udp)
		rp_check "zerocopy always: one notification per zerocopy send ($notifs)" test "$notifs" -eq "$zcs"
	else
		rp_check "zerocopy never: no zerocopy sends ($zcs)" test "$zcs" -eq 0
	fi
	rpd_stop_checked "zerocopy $zc"
done
rp_done
