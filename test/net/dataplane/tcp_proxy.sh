#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tcp-proxy (dataplane/svc_tcp_proxy.c) over a veth pair, backends in the
# appliance's namespace: ringplane's own tcp-echo services and duplex.py.
#
#   - full duplex: 64 MiB each way at once through one connection, each
#     side's sha256 of what it sent equal to the other side's of what it
#     received; each side half-closes when done and the other direction
#     keeps flowing;
#   - many concurrent connections of random write sizes through the proxy
#     to echo backends, every byte checked, one backend refusing (retried
#     on another); half-closing clients;
#   - balance: hash sends every connection of one client to one backend;
#   - no backend reachable: the client is closed, err_no_backend counts;
#   - the backend dies mid-transfer: the client sees the connection end,
#     every buffer comes back;
#   - hogs that send and never read do not stop other clients.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

DUPLEX=$RP_TOP/test/tools/duplex.py
MIB64=$((64 << 20))
px=$ECHO_SRV_ADDR

# proxy_config FILE FORWARD
proxy_config() {
	cat >"$1" <<EOC
workers:
  count: 1
buffers:
  size: 16384
  count: 1024
limits:
  conn-buffers: 16
services:
  - name: echo-a
    type: tcp-echo
    listen: 127.0.0.1:7100
  - name: echo-b
    type: tcp-echo
    listen: 127.0.0.1:7101
  - name: proxy
    type: tcp-proxy
    listen: $px:7008
    retries: 2
    write-stall-timeout-ms: 0
    forward: $2
    backends:
      - address: 127.0.0.1:7100
      - address: 127.0.0.1:7101
        weight: 2
      - address: 127.0.0.1:7199
  - name: duplex
    type: tcp-proxy
    listen: $px:7009
    forward: $2
    backends:
      - address: 127.0.0.1:7102
  - name: none
    type: tcp-proxy
    listen: $px:7010
    retries: 1
    backends:
      - address: 127.0.0.1:7198
      - address: 127.0.0.1:7197
  - name: hash
    type: tcp-proxy
    listen: $px:7011
    balance: hash
    backends:
      - address: 127.0.0.1:7100
      - address: 127.0.0.1:7101
  - name: least
    type: tcp-proxy
    listen: $px:7012
    balance: least-connections
    backends:
      - address: 127.0.0.1:7100
      - address: 127.0.0.1:7101
  - name: slow
    type: tcp-proxy
    listen: $px:7013
    connect-timeout-ms: 200
    retries: 1
    idle-timeout-ms: 500
    backends:
      - address: 10.91.0.77:80
      - address: 127.0.0.1:7100
metrics:
  enabled: true
  listen: 127.0.0.1:9107
EOC
}

# duplex_run BYTES [--die-after N]: one duplex.py server behind service
# `duplex`, one client through it; their lines in $workdir/{srv,cli}.out.
duplex_run() {
	local bytes=$1; shift
	rp_bg "$srv_ns" python3 "$DUPLEX" serve 127.0.0.1 7102 "$bytes" 2 "$@" >"$workdir/srv.out" 2>"$workdir/srv.err"
	local srv=$RP_BG_PID
	rp_wait_port "$srv_ns" tcp 7102 || return 1
	rp_in "$cli_ns" timeout 120 python3 "$DUPLEX" client "$px" 7009 "$bytes" 1 >"$workdir/cli.out" 2>"$workdir/cli.err"
	DUPLEX_CLI_STATUS=$?
	wait "$srv"
	DUPLEX_SRV_STATUS=$?
	cat "$workdir/cli.out" "$workdir/srv.out"
}

# What one end sent is what the other received, both ways, all of it.
duplex_matches() {
	local cs cr cn ss sr sn
	read -r _ cs _ cr cn <"$workdir/cli.out" || return 1
	read -r _ ss _ sr sn <"$workdir/srv.out" || return 1
	[ "$cs" = "$sr" ] && [ "$ss" = "$cr" ] && [ "$cn" = "$MIB64" ] && [ "$sn" = "$MIB64" ]
}

# Which echo backends took connections (conns_accepted per service).
backend_split() {
	echo "$(rpd_counter conns_accepted echo-a) $(rpd_counter conns_accepted echo-b)"
}

# hash: every connection of this one client went to one backend.
hash_sticks() {
	local before after a0 b0 a1 b1
	before=$(backend_split)
	tool tcp_echo_check "$px:7011" -c 40 -b 4096 --timeout-s 30 >/dev/null || return 1
	after=$(backend_split)
	read -r a0 b0 <<<"$before"; read -r a1 b1 <<<"$after"
	echo "hash: echo-a +$((a1 - a0)), echo-b +$((b1 - b0))"
	[ $((a1 - a0)) -eq 40 -a $((b1 - b0)) -eq 0 ] || [ $((a1 - a0)) -eq 0 -a $((b1 - b0)) -eq 40 ]
}

# bytes_balanced MIN: service proxy forwarded as much up as down (echo
# backends), at least MIN, once its last send completions are counted.
bytes_balanced() {
	local i u d
	for ((i = 0; i < 100; i++)); do
		u=$(rpd_counter up_bytes proxy); d=$(rpd_counter down_bytes proxy)
		[ "$u" -eq "$d" ] && [ "$u" -ge "$1" ] && return 0
		sleep 0.05
	done
	echo "up_bytes $u, down_bytes $d (expected equal, >= $1)"
	return 1
}

others_served() {
	tool tcp_echo_check "$px:7008" -c 8 -b 100000 --timeout-s 30 >/dev/null
}

# forwarding: what every forward mode must get right
forwarding() {
	local f=$1
	duplex_run "$MIB64"
	rp_check "$f: full duplex: both ends exit 0 (client $DUPLEX_CLI_STATUS, server $DUPLEX_SRV_STATUS)" \
		test "$DUPLEX_CLI_STATUS" -eq 0 -a "$DUPLEX_SRV_STATUS" -eq 0
	rp_check "$f: full duplex: 64 MiB each way, sha256 equal at both ends" duplex_matches
	rp_check "$f: full duplex: each FIN was passed on (half_closes >= 2)" \
		rpd_counter_reaches half_closes duplex 2

	rp_check "$f: 1000 connections x 32 KiB through the proxy, every byte checked (one backend refuses)" \
		tool tcp_echo_check "$px:7008" -c 1000 -b 32768 --timeout-s 120
	rp_check "$f: the refusing backend was retried on another (connect_retries >= 1)" \
		rpd_counter_reaches connect_retries proxy 1
	rp_check "$f: its failures counted (err_connect >= 1), no client lost (err_no_backend 0)" \
		test "$(rpd_counter err_connect proxy)" -ge 1 -a "$(rpd_counter err_no_backend proxy)" -eq 0
	rp_check "$f: per backend: the refusing one has only failures, the others the connections" \
		sh -c 'test "$1" -ge 1 -a "$2" -eq 0 -a "$3" -ge 1 -a "$4" -ge 1 -a "$5" -gt 0' _ \
		"$(rpd_counter err_connect proxy/127.0.0.1:7199)" \
		"$(rpd_counter backend_connects proxy/127.0.0.1:7199)" \
		"$(rpd_counter backend_connects proxy/127.0.0.1:7100)" \
		"$(rpd_counter backend_connects proxy/127.0.0.1:7101)" \
		"$(rpd_counter up_bytes proxy/127.0.0.1:7101)"
	rp_check "$f: 100 half-closing clients x 128 KiB: echoed in full, then closed" \
		tool tcp_echo_check "$px:7008" -c 100 -b 131072 --half-close --timeout-s 60
	rp_check "$f: bytes forwarded both ways are counted (up_bytes == down_bytes >= 1000*32Ki + 100*128Ki)" \
		bytes_balanced $((1000 * 32768 + 100 * 131072))
	rp_check "$f: balance: hash sends all 40 connections of one client to one backend" hash_sticks
	rp_check "$f: balance: least-connections serves 50 connections" \
		tool tcp_echo_check "$px:7012" -c 50 -b 32768 --timeout-s 60

	rp_check "$f: no backend reachable: the client is closed" \
		rp_in "$cli_ns" python3 "$DUPLEX" expect-close "$px" 7010
	rp_check "$f: ... counted (err_no_backend >= 1, err_connect >= 2)" \
		sh -c 'test "$1" -ge 1 -a "$2" -ge 2' _ "$(rpd_counter err_no_backend none)" \
		"$(rpd_counter err_connect none)"

	# 10.91.0.77 is on the veth's subnet but nobody answers its ARP: the
	# connect hangs until connect-timeout-ms, then the next backend serves
	rp_check "$f: a backend that does not answer: the connect times out, the next one serves" \
		tool tcp_echo_check "$px:7013" -c 4 -b 10000 --timeout-s 30
	rp_check "$f: ... counted (connect_timeouts >= 1, connect_retries >= 1)" \
		sh -c 'test "$1" -ge 1 -a "$2" -ge 1' _ "$(rpd_counter connect_timeouts slow)" \
		"$(rpd_counter connect_retries slow)"
	rp_check "$f: a quiet pair is closed after idle-timeout-ms" \
		rp_in "$cli_ns" python3 "$DUPLEX" expect-close "$px" 7013
	rp_check "$f: ... counted (idle_timeouts >= 1)" rpd_counter_reaches idle_timeouts slow 1

	duplex_run "$MIB64" --die-after $((4 << 20))
	rp_check "$f: backend dies mid-transfer: the client sees its connection end early" \
		test "$DUPLEX_CLI_STATUS" -ne 0 -a "$DUPLEX_CLI_STATUS" -ne 124
	rp_check "$f: every buffer back in the pool after the backend died" rpd_wait_idle

	ip netns exec "$cli_ns" "$TOOLS/misbehave" hog "$px:7008" -n 8 --hold-s 300 \
		>"$workdir/hog.out" 2>&1 &
	hog_pid=$!
	rp_check "$f: 8 hogs through the proxy are throttled (conns_throttled >= 8)" \
		rpd_counter_reaches conns_throttled "*" 8
	rp_check "$f: other clients get exact echoes while the hogs hold on" others_served
	rp_check "$f: and again" others_served
	rp_check "$f: the hogs were still connected meanwhile" kill -0 "$hog_pid"
	kill -TERM "$hog_pid"
	wait "$hog_pid"
	cat "$workdir/hog.out"
	rp_check "$f: every buffer back in the pool after the hogs left" rpd_wait_idle
	rp_check "$f: no buffer lookups went wrong" test "$(rpd_counter err_bad_buffer)" -eq 0
	rp_check "$f: still serves afterwards" others_served
	rp_check "$f: every client connection closed (conns_accepted == conns_closed)" rpd_all_closed proxy
}

# Shutdown with pairs that cannot drain (hogs: their data never leaves):
# after shutdown.drain-timeout-ms both legs of each are reset, every buffer
# comes back, the exit is clean.
drain_case() {
	local hog_pid
	proxy_config "$workdir/drain.yaml" serialized
	printf 'shutdown:\n  drain-timeout-ms: 500\n' >>"$workdir/drain.yaml"
	rpd_start "$workdir/drain.yaml"
	rpd_wait_metrics || { rp_fail "drain: ringplane starts"; return; }
	ip netns exec "$cli_ns" "$TOOLS/misbehave" hog "$px:7008" -n 4 --hold-s 300 \
		>"$workdir/hog-drain.out" 2>&1 &
	hog_pid=$!
	rp_check "drain: 4 hogs through the proxy are throttled" \
		rpd_counter_reaches conns_throttled "*" 4
	rpd_stop_checked "drain"
	# usually the pairs' sends to the hogs are stuck and the drain timeout
	# resets them ("reset N connection pairs"); a pair whose last send had
	# just been taken by the kernel closes without one
	grep -E "service proxy: drain timeout" "$RPD_LOG"
	rp_check "drain: no proxy pair outlived the drain" \
		sh -c '! grep -qE "service proxy: .* [1-9][0-9]* pairs still open" "$1" ||
			grep -qE "service proxy: drain timeout: reset [1-9]" "$1"' _ "$RPD_LOG"
	rp_check "drain: every buffer back before exit" grep -q "exiting: buffers free 1024/1024" "$RPD_LOG"
	kill -TERM "$hog_pid" 2>/dev/null
	wait "$hog_pid" 2>/dev/null
}

for fwd in serialized bundle; do
	proxy_config "$workdir/$fwd.yaml" "$fwd"
	rpd_start "$workdir/$fwd.yaml"
	if rpd_wait_metrics; then
		forwarding "$fwd"
		rpd_stop_checked "$fwd"
	else
		rp_fail "$fwd: ringplane starts"
	fi
done
drain_case
rp_done
