# SPDX-License-Identifier: MIT
# What the udp-relay tests share (sourced after echo_lib.sh).

# relay_addrs VAR FIRST LAST: client addresses 10.91.0.FIRST..LAST on the
# client side's ve0; VAR gets them comma-separated.
relay_addrs() {
	local i list=""
	for i in $(seq "$2" "$3"); do
		rp_addr "$cli_ns" ve0 "10.91.0.$i/24"
		list+="${list:+,}10.91.0.$i"
	done
	printf -v "$1" '%s' "$list"
}

# relay_yaml FILE LISTEN HANDOFF [EXTRA]: 2 workers, the metrics, and service
# "relay" (handoff HANDOFF, EXTRA: more of its key lines) on backends
# 127.0.0.1:7100..7102 (the middle one weight 2); the services list comes
# last, so a test may append entries to it.
relay_yaml() {
	cat >"$1" <<EOC
workers:
  count: 2
buffers:
  size: 2048
  count: 1024
metrics:
  enabled: true
  listen: 127.0.0.1:9107
services:
  - name: relay
    type: udp-relay
    listen: $2
    handoff: $3
${4:+$4
}    backends:
      - address: 127.0.0.1:7100
      - address: 127.0.0.1:7101
        weight: 2
      - address: 127.0.0.1:7102
EOC
}

# relay_forced_handoff SERVICE ADDR IPS BACKENDS [SIZES]: 8 addresses x 4 ports
# x 200 datagrams (SIZES: comma-separated, default the client's 64,512,1400)
# from clients pinned to CPU 0, so the datagrams of clients the
# other worker owns arrive on a non-owner and are handed over. Checks what
# holds for every handoff mode: every datagram exact, in order, from the
# service address, affine; handoffs happened, the owners took them all,
# none dropped; the backend counters add up. Sets $out (the clients' JSON)
# and $handoffs (handoffs_out).
relay_forced_handoff() {
	local svc=$1 relay=$2 ips=$3 backends=$4 sent_be b
	out=$(rp_in "$cli_ns" taskset -c 0 python3 "$CHECK" clients "$relay" --ips "$ips" --ports 4 \
		--count 200 --window 8 ${5:+--sizes "$5"})
	echo "$out"
	rp_check "$svc: 32 sessions, every datagram exact, in order, from the service address, affine" \
		test "$(field '["errors"]')" = "[]" -a "$(field '["datagrams"]')" = 6400
	rp_check "$svc: clients spread over more than one backend" \
		test "$(field '["sessions_per_backend"].__len__()')" -gt 1
	rp_check "$svc: sessions_opened 32" test "$(rpd_counter sessions_opened "$svc")" = 32
	rp_check "$svc: sessions_active 32" test "$(rpd_counter sessions_active "$svc")" = 32
	rpd_wait_idle
	handoffs=$(rpd_counter handoffs_out "$svc")
	rp_check "$svc: datagrams handed to their owner (handoffs_out $handoffs > 0)" test "$handoffs" -gt 0
	rp_check "$svc: owners took them (handoffs_in == handoffs_out)" \
		test "$(rpd_counter handoffs_in "$svc")" = "$handoffs"
	rp_check "$svc: no datagram dropped on the way" test "$(rpd_counter handoff_drops "$svc")" = 0
	sent_be=0
	for b in $backends; do
		sent_be=$(( sent_be + $(rpd_counter tx_packets "$svc/$b") ))
	done
	rp_check "$svc: backend counters add up to every datagram ($sent_be)" test "$sent_be" = 6400
}

# relay_flood_stop ADDR IPS SECONDS COUNTER MIN: a flood of datagrams to ADDR
# from clients pinned to CPU 0 (half of them handed over); once service
# "relay"'s COUNTER reached MIN, SIGTERM: exit 0, no sanitizer report, both
# workers exit with every buffer free, nothing lent, no message or copy
# slot left.
relay_flood_stop() {
	local flood_pid free_lines
	rp_bg "$cli_ns" taskset -c 0 python3 "$CHECK" flood "$1" --ips "$2" --seconds "$3"
	flood_pid=$RP_BG_PID
	rpd_counter_reaches "$4" relay "$5"
	rpd_stop_checked "flood"
	wait "$flood_pid" 2>/dev/null
	free_lines=$(grep -cE 'worker [0-9]+: exiting: buffers free ([0-9]+)/\1$' "$RPD_LOG")
	rp_check "both workers exit with every buffer free ($free_lines)" test "$free_lines" = 2
	rp_check "no lent buffer, message or copy slot left at exit" \
		bash -c "! grep -q 'exiting with .* lent' '$RPD_LOG'"
}

field() { python3 -c 'import json,sys; print(eval("d"+sys.argv[1], {"d": json.loads(sys.argv[2])}))' "$1" "$out"; }
