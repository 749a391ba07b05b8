#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Timeouts and connection limits (services[].idle-timeout-ms,
# write-stall-timeout-ms, max-connections; limits.connections): each fires
# and is counted, a refused connection is closed cleanly, and the service
# serves again once the limit has room. The timeouts are set short here;
# the checks wait for the counters, they do not time anything.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

# Service "tcp" (7008): at most 4 connections; service "more" (7009): no
# limit of its own; the worker: 6 in all.
cat >"$workdir/limits.yaml" <<EOC
workers:
  count: 1
buffers:
  size: 4096
  count: 512
limits:
  connections: 6
services:
  - name: tcp
    type: tcp-echo
    listen: $ECHO_SRV_ADDR:7008
    max-connections: 4
  - name: more
    type: tcp-echo
    listen: $ECHO_SRV_ADDR:7009
metrics:
  enabled: true
  listen: 127.0.0.1:9107
EOC

# conns PORT:N ...: open N connections to each PORT in this order, say
# "hi" on each, and print per port how many were echoed and how many the
# server closed or reset; all stay open until the end.
conns() {
	rp_in "$cli_ns" python3 - "$ECHO_SRV_ADDR" "$@" <<'PY'
import socket, sys, time
host, out, socks = sys.argv[1], {}, []
for spec in sys.argv[2:]:
    port, n = map(int, spec.split(":"))
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(b"hi")
        time.sleep(0.05)        # keep the accept order the connect order
        socks.append((port, s))
for port, s in socks:
    try:
        got = s.recv(16)
        kind = "echoed" if got == b"hi" else "closed"
    except (ConnectionResetError, socket.timeout):
        kind = "closed"
    out.setdefault(port, {"echoed": 0, "closed": 0})[kind] += 1
print(" ".join(f"{p}:{v['echoed']}/{v['closed']}" for p, v in sorted(out.items())))
PY
}

rpd_start "$workdir/limits.yaml"
if rpd_wait_metrics; then
	got=$(conns 7008:6 7009:3)
	echo "echoed/closed per port: $got"
	# 7008: 4 admitted, 2 past max-connections; 7009: 2 more fill the
	# worker's 6, the third is past limits.connections
	rp_check "max-connections 4 and limits.connections 6 admit exactly 4 + 2" \
		test "$got" = "7008:4/2 7009:2/1"
	rp_check "conns_refused counts the 3 refused" test "$(rpd_counter conns_refused)" -eq 3
	rp_check "a refusal is logged, naming the limit" \
		grep -q 'connection refused: max-connections (4) reached' "$RPD_LOG"
	rp_check "conns_accepted counts only the 6 admitted" test "$(rpd_counter conns_accepted)" -eq 6
	rp_check "the admitted ones are closed once their peers are gone" \
		rpd_counter_reaches conns_closed "*" 6
	rp_check "then the service serves its 4 again" \
		tool tcp_echo_check "$ECHO_SRV_ADDR:7008" -c 4 -b 10000 --timeout-s 20
	rp_check "and the other its share of the worker's 6" \
		tool tcp_echo_check "$ECHO_SRV_ADDR:7009" -c 2 -b 10000 --timeout-s 20
	rpd_stop_checked "limits"
else
	rp_fail "ringplane starts (limits)"
fi

# Timeouts: idle 600 ms, write stall 800 ms.
sed -i 's/^  connections: 6$/  connections: 4096/; /max-connections/d' "$workdir/limits.yaml"
sed -i '/listen: .*:7008$/a\    idle-timeout-ms: 600\n    write-stall-timeout-ms: 800' "$workdir/limits.yaml"
rpd_start "$workdir/limits.yaml"
if rpd_wait_metrics; then
	# an idle client: the server closes it (EOF), it does not wait forever
	idle=$(rp_in "$cli_ns" python3 - "$ECHO_SRV_ADDR" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], 7008), timeout=30)
s.sendall(b"hi"); assert s.recv(2) == b"hi"
print("eof" if s.recv(16) == b"" else "data")
PY
)
	rp_check "an idle connection is closed by the server (got '$idle')" test "$idle" = eof
	rp_check "idle_timeouts counts it" rpd_counter_reaches idle_timeouts tcp 1
	# four peers that never read: reset once their replies stall
	hog=$(tool misbehave hog "$ECHO_SRV_ADDR:7008" -n 4 --hold-s 60)
	echo "$hog"
	rp_check "the stalled peers are reset by the server" grep -q "ended 4 of them" <<<"$hog"
	rp_check "write_stalls counts them" rpd_counter_reaches write_stalls tcp 4
	rp_check "every buffer back in the pool" rpd_wait_idle
	rp_check "the other service has no timeouts set off (idle default 300 s)" \
		test "$(rpd_counter idle_timeouts more)" -eq 0
	rp_check "still serves" tool tcp_echo_check "$ECHO_SRV_ADDR:7008" -c 4 -b 10000 --timeout-s 20
	rpd_stop_checked "timeouts"
else
	rp_fail "ringplane starts (timeouts)"
fi
rp_done
