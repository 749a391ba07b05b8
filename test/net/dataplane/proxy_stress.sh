#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tcp-proxy under load (dataplane/svc_tcp_proxy.c), two workers, backends
# in the appliance's namespace (ringplane's own tcp-echo, duplex.py,
# proxy_peer.py), clients over a veth pair:
#
#   - 1 GiB each way at once through one connection, sha256 of what each
#     end sent equal to what the other received (256 MiB in the sanitizer
#     tree, whose forwarding is several times slower: said in the output);
#   - 1000 concurrent connections, each of a random size with random
#     pauses between its writes and between its reads, every byte checked;
#   - half-close each way: the client's FIN reaches the backend while the
#     backend still sends 32 MiB, and the other way round;
#   - clients that abort mid-transfer (RST, vanish) and a backend that
#     resets mid-transfer release everything: every buffer back in the
#     pool, no pair left (conns_accepted == conns_closed);
#   - 5000 connections open at once through the proxy, every echo checked;
#   - clients that send and never read do not slow the others: the bytes
#     16 streaming connections get through in 2 s with 4 such hogs
#     attached are compared with a run without them (the same machine,
#     minutes apart: a ratio, not a time).
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

DUPLEX=$RP_TOP/test/tools/duplex.py
PEER=$RP_TOP/test/tools/proxy_peer.py
px=$ECHO_SRV_ADDR
BUFS=2048

# The sanitizer tree forwards several times slower: a quarter of the
# stream keeps the test within its time there.
if ldd "$RINGPLANE" | grep -q libasan; then
	DUPLEX_BYTES=$((256 << 20)); DUPLEX_WHAT="256 MiB (sanitizer build)"
else
	DUPLEX_BYTES=$((1 << 30)); DUPLEX_WHAT="1 GiB"
fi

for ns in "$srv_ns" "$cli_ns"; do
	rp_in "$ns" sysctl -qw net.core.somaxconn=8192 net.ipv4.tcp_max_syn_backlog=8192
done

cat >"$workdir/stress.yaml" <<EOC
workers:
  count: 2
buffers:
  size: 16384
  count: $BUFS
limits:
  connections: 16384
services:
  - name: echo
    type: tcp-echo
    listen: 127.0.0.1:7100
    backlog: 8192
  - name: proxy
    type: tcp-proxy
    listen: $px:7030
    backlog: 8192
    backends:
      - address: 127.0.0.1:7100
  - name: duplex
    type: tcp-proxy
    listen: $px:7031
    backends:
      - address: 127.0.0.1:7102
metrics:
  enabled: true
  listen: 127.0.0.1:9107
EOC

# duplex_run CLIENT_BYTES SERVER_BYTES [--die-after N]: one server behind
# service `duplex`, one client through it; each sends its bytes and checks
# it received the other's. Lines: sent SHA recv SHA COUNT.
duplex_run() {
	local cb=$1 sb=$2; shift 2
	rp_bg "$srv_ns" python3 "$PEER" duplex-serve 127.0.0.1 7102 "$sb" "$cb" 2 "$@" \
		>"$workdir/srv.out" 2>"$workdir/srv.err"
	local srv=$RP_BG_PID
	rp_wait_port "$srv_ns" tcp 7102 || return 1
	rp_in "$cli_ns" timeout 120 python3 "$PEER" duplex-client "$px" 7031 "$cb" "$sb" 1 \
		>"$workdir/cli.out" 2>"$workdir/cli.err"
	DUPLEX_CLI_STATUS=$?
	wait "$srv"
	DUPLEX_SRV_STATUS=$?
	cat "$workdir/cli.out" "$workdir/srv.out" "$workdir/cli.err" "$workdir/srv.err"
}

# duplex_matches CLIENT_BYTES SERVER_BYTES: what one end sent is what the
# other received, both ways, all of it.
duplex_matches() {
	local cs cr cn ss sr sn
	read -r _ cs _ cr cn <"$workdir/cli.out" || return 1
	read -r _ ss _ sr sn <"$workdir/srv.out" || return 1
	[ "$DUPLEX_CLI_STATUS" -eq 0 ] && [ "$DUPLEX_SRV_STATUS" -eq 0 ] &&
		[ "$cs" = "$sr" ] && [ "$ss" = "$cr" ] && [ "$cn" = "$2" ] && [ "$sn" = "$1" ]
}

# Nothing held: every pair of SERVICE closed, every buffer of both workers
# free.
released() {
	rpd_all_closed "$1" && rpd_counter_until bufs_free "*" -eq $((2 * BUFS))
}

duplex_case() {
	local t0=$SECONDS
	duplex_run "$DUPLEX_BYTES" "$DUPLEX_BYTES"
	echo "full duplex: $DUPLEX_WHAT each way in $((SECONDS - t0)) s"
	rp_check "full duplex: $DUPLEX_WHAT each way at once, sha256 equal at both ends" \
		duplex_matches "$DUPLEX_BYTES" "$DUPLEX_BYTES"
	duplex_run 1024 $((32 << 20))
	rp_check "half-close: the client sends 1 KiB and shuts, the backend's 32 MiB still all arrive" \
		duplex_matches 1024 $((32 << 20))
	duplex_run $((32 << 20)) 1024
	rp_check "half-close: the backend sends 1 KiB and shuts, the client's 32 MiB still all arrive" \
		duplex_matches $((32 << 20)) 1024
	rp_check "half-close: each FIN was passed on (half_closes >= 6)" \
		rpd_counter_reaches half_closes duplex 6
	duplex_run $((256 << 20)) $((256 << 20)) --die-after $((4 << 20))
	rp_check "backend resets mid-transfer: the client's connection ends early" \
		test "$DUPLEX_CLI_STATUS" -ne 0 -a "$DUPLEX_CLI_STATUS" -ne 124
	rp_check "... everything released (buffers, pairs)" released duplex
	rp_check "... counted on the backend's row (err_conn_reset >= 1)" \
		rpd_counter_reaches err_conn_reset duplex/127.0.0.1:7102 1
}

paced_case() {
	rp_check "1000 concurrent connections, random sizes (up to 256 KiB) and pacing, every byte checked" \
		tool proxy_load "$px:7030" -c 1000 --max-bytes 262144 --pace-ms 20 --timeout-s 50
	rp_check "... everything released (buffers, pairs)" released proxy
}

abort_case() {
	tool misbehave rst "$px:7030" -n 200
	tool misbehave vanish "$px:7030" -n 50 --size 1048576
	rp_check "clients that reset or vanish mid-transfer: everything released (buffers, pairs)" \
		released proxy
	rp_check "still serves afterwards" tool proxy_load "$px:7030" -c 50 --timeout-s 30
}

many_case() {
	local out
	out=$(tool proxy_load "$px:7030" -c 5000 --hold --max-bytes 4096 --timeout-s 50)
	echo "$out"
	rp_check "5000 connections open at once through the proxy, every echo checked" \
		sh -c 'echo "$1" | grep -q "5000 connections open at once" &&
			echo "$1" | grep -q ": 5000 ok; "' _ "$out"
	rp_check "... everything released (buffers, pairs)" released proxy
}

# stream_bytes: bytes 16 streaming connections got echoed in 2 s.
stream_bytes() {
	tool proxy_load "$px:7030" -c 16 --duration-s 2 --timeout-s 30 | tee -a "$workdir/streams" |
		sed -n 's/.*: 16 ok; bytes echoed \([0-9]*\)$/\1/p'
}

hog_case() {
	local base hog1 hog2 hog_pid
	base=$(stream_bytes)
	ip netns exec "$cli_ns" "$TOOLS/misbehave" hog "$px:7030" -n 4 --hold-s 300 \
		>"$workdir/hog.out" 2>&1 &
	hog_pid=$!
	rp_check "hogs: 4 clients that never read are throttled" \
		rpd_counter_reaches conns_throttled "*" 4
	hog1=$(stream_bytes)
	hog2=$(stream_bytes)
	cat "$workdir/streams"
	echo "hogs: 16 streams echoed ${base:-?} bytes alone, ${hog1:-?} and ${hog2:-?} with the hogs"
	rp_check "hogs: the others keep at least a third of their progress (best of two runs)" \
		sh -c '[ -n "$1" ] && [ -n "$2" ] && [ -n "$3" ] &&
			{ [ $((3 * $2)) -ge "$1" ] || [ $((3 * $3)) -ge "$1" ]; }' _ "$base" "$hog1" "$hog2"
	rp_check "hogs: still connected meanwhile" kill -0 "$hog_pid"
	kill -TERM "$hog_pid"; wait "$hog_pid"
	rp_check "hogs gone: everything released (buffers, pairs)" released proxy
}

rpd_start "$workdir/stress.yaml"
if rpd_wait_metrics; then
	duplex_case
	paced_case
	abort_case
	many_case
	hog_case
	rp_check "no buffer lookups went wrong" test "$(rpd_counter err_bad_buffer)" -eq 0
	rpd_stop_checked "stress"
else
	rp_fail "ringplane starts"
fi
rp_done
