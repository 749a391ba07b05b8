#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fair sharing of a worker's buffers (dataplane/share.h): TCP peers that send
# and never read are throttled at their share, while UDP echoes and new TCP
# connections on the same workers keep getting exact replies; when the hogs
# leave, every buffer is back in the pool.
#
# Without the share, each hog's echo backs up in the worker until the pool
# is empty (bufs_free 0) and nobody else on that worker gets a buffer.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

srv_udp=$ECHO_SRV_ADDR:7007
srv_tcp=$ECHO_SRV_ADDR:7008

# fair_config FILE WORKERS: the default config's pool (512 x 4 KiB per
# worker) and shares, and no write-stall timeout, so the hogs stay for as
# long as the test holds them.
fair_config() {
	cat >"$1" <<EOC
workers:
  count: $2
buffers:
  size: 4096
  count: 512
zerocopy:
  mode: never
limits:
  conn-buffers: auto
  reserve-buffers: auto
services:
  - name: udp
    type: udp-echo
    listen: $srv_udp
  - name: tcp
    type: tcp-echo
    listen: $srv_tcp
    write-stall-timeout-ms: 0
metrics:
  enabled: true
  listen: 127.0.0.1:9107
EOC
}

others_served() {
	tool udp_echo_check "$srv_udp" --sizes 1,64,1000,4000 --timeout-ms 3000 >/dev/null &&
		tool tcp_echo_check "$srv_tcp" -c 4 -b 20000 --timeout-s 20 >/dev/null
}

# run_case WORKERS HOGS
run_case() {
	local workers=$1 hogs=$2 label="$1 worker(s), $2 hogs" hog_pid
	fair_config "$workdir/fair$workers.yaml" "$workers"
	rpd_start "$workdir/fair$workers.yaml"
	rpd_wait_metrics || { rp_fail "$label: ringplane starts"; return; }
	# held until we stop it (SIGTERM), not for a set time
	# (not through rp_in: a function in the background is a subshell, and
	# $! would name it rather than the hog)
	ip netns exec "$cli_ns" "$TOOLS/misbehave" hog "$srv_tcp" -n "$hogs" --hold-s 300 \
		>"$workdir/hog$workers.out" 2>&1 &
	hog_pid=$!
	rp_check "$label: every hog is throttled at its share (conns_throttled >= $hogs)" \
		rpd_counter_reaches conns_throttled tcp "$hogs"
	rp_check "$label: UDP and new TCP connections get exact echoes while the hogs hold on" \
		others_served
	rp_check "$label: and again" others_served
	rp_check "$label: the hogs were still connected meanwhile" kill -0 "$hog_pid"
	rp_check "$label: no buffer lookups went wrong" test "$(rpd_counter err_bad_buffer)" -eq 0
	kill -TERM "$hog_pid"
	wait "$hog_pid"
	cat "$workdir/hog$workers.out"
	rp_check "$label: the hogs were not cut off (no write-stall timeout set)" \
		grep -q "ended 0 of them" "$workdir/hog$workers.out"
	rp_check "$label: every buffer back in the pool after the hogs left" rpd_wait_idle
	rp_check "$label: time spent throttled is counted" test "$(rpd_counter throttled_ms tcp)" -gt 0
	rp_check "$label: still serves afterwards" others_served
	rpd_stop_checked "$label"
}

# One worker: 20 hogs' shares (20 x 32 buffers) exceed the pool, so the
# reserve is what keeps the others served.
run_case 1 20
# The default two workers: the issue's eight hogs stopped the appliance.
run_case 2 16
rp_done
