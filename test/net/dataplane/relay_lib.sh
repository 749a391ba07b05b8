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

# relay_stopped_send MARK CMD...: CMD (a client, in the client namespace)
# sends while the relay is stopped (SIGSTOP) and creates MARK once it has:
# then the relay goes on (SIGCONT) and finds it all waiting in its socket.
# Sets $out to what CMD printed.
relay_stopped_send() {
	local mark=$1 pid i
	shift
	rm -f "$mark"
	kill -STOP "$RPD_PID"
	rp_in "$cli_ns" "$@" >"$mark.out" &
	pid=$!
	for ((i = 0; i < 400; i++)); do
		[ -e "$mark" ] && break
		sleep 0.05
	done
	kill -CONT "$RPD_PID"
	wait "$pid"
	out=$(cat "$mark.out")
	echo "$out"
}

# relay_paused_burst SERVICE ADDR IPS: the relay stopped (SIGSTOP), one
# burst from clients pinned to CPU 0 (every address x 2 new ports x 4
# datagrams of 64 and 512 B) waits in its socket; let go (SIGCONT), its
# workers take the burst in completion batches. Checks: every datagram
# exact, in order, from the service address, affine; handoffs happened,
# none dropped, the owners took them all, every lent buffer came home; and
# the MSG_RING handoff was batched: fewer MSG_RINGs (handoff_msgs) than
# datagrams handed over (unbatched it is two each: there and back). Sets
# $out, $burst_handoffs, $burst_msgs.
relay_paused_burst() {
	local svc=$1 h0 m0 n mark=$workdir/burst.sent
	h0=$(rpd_counter handoffs_out "$svc")
	m0=$(rpd_counter handoff_msgs "$svc")
	relay_stopped_send "$mark" taskset -c 0 python3 "$CHECK" clients "$2" --ips "$3" --ports 2 \
		--count 4 --window 4 --sizes 64,512 --mark "$mark"
	n=$(( $(tr -cd , <<<"$3" | wc -c) + 1 ))
	rp_check "$svc burst: every datagram exact, in order, from the service address, affine" \
		test "$(field '["errors"]')" = "[]" -a "$(field '["datagrams"]')" = $((n * 8))
	rpd_wait_idle
	burst_handoffs=$(( $(rpd_counter handoffs_out "$svc") - h0 ))
	burst_msgs=$(( $(rpd_counter handoff_msgs "$svc") - m0 ))
	rp_check "$svc burst: datagrams handed over ($burst_handoffs > 0), none dropped" \
		test "$burst_handoffs" -gt 0 -a "$(rpd_counter handoff_drops "$svc")" = 0
	rp_check "$svc burst: owners took them all, every lent buffer came home" \
		test "$(rpd_counter handoffs_in "$svc")" = "$(rpd_counter handoffs_out "$svc")" \
		-a "$(rpd_counter bufs_returned "$svc")" = "$(rpd_counter handoffs_out "$svc")" \
		-a "$(rpd_counter bufs_lent "$svc")" = 0
	rp_check "$svc burst: batched: $burst_msgs MSG_RINGs for $burst_handoffs handed datagrams (< 1 each)" \
		test "$burst_msgs" -lt "$burst_handoffs"
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

# relay_handed_ip SERVICE ADDR IPS: a client address among IPS whose
# datagrams the receiving worker (CPU 0, where the client is pinned) hands
# over (one datagram each, through SERVICE's batch-backend, until
# handoffs_out moves); checked, and set in $handed_ip.
relay_handed_ip() {
	local cand h0
	handed_ip=""
	for cand in ${3//,/ }; do
		h0=$(rpd_counter handoffs_out "$1")
		rp_in "$cli_ns" taskset -c 0 python3 "$CHECK" bursts "$2" --ip "$cand" \
			--sizes 64 --bursts 1 >/dev/null || continue
		rpd_wait_idle
		if [ "$(rpd_counter handoffs_out "$1")" -gt "$h0" ]; then
			handed_ip=$cand
			break
		fi
	done
	rp_check "$1: a client address whose datagrams are handed over ($handed_ip)" test -n "$handed_ip"
}

# relay_handed_trains SERVICE ADDR IPS BACKEND: GSO trains of handed-over
# datagrams. SERVICE's only backend is a batch-backend at BACKEND. First a
# client address whose datagrams the receiving worker (CPU 0, where the
# client is pinned) hands over is found among IPS (one datagram each, until
# handoffs_out moves). Then that client's bursts (runs of equal sizes below
# any zerocopy threshold with a shorter last one, and mixed sizes) wait in
# the socket while the relay is stopped, so the receiver hands them over in
# batches and the owner takes many in one go. Checks: the backend got every
# datagram exact and in order; handed datagrams left in trains
# (handoff_gso_datagrams and the backend row's gso_sends moved); the owner
# took every handed datagram, none dropped. Sets $out.
relay_handed_trains() {
	local svc=$1 relay=$2 be=$4 ip g0 t0 mark=$workdir/trains.sent
	relay_handed_ip "$svc" "$relay" "$3"
	ip=$handed_ip
	g0=$(rpd_counter handoff_gso_datagrams "$svc")
	t0=$(rpd_counter gso_sends "$svc/$be")
	relay_stopped_send "$mark" taskset -c 0 python3 "$CHECK" bursts "$relay" --ip "$ip" \
		--sizes 900,900,900,900,300,64,64,800 --bursts 8 --mark "$mark"
	rp_check "$svc: the backend got every handed datagram exact and in order (64)" \
		test "$(field '["backend"]["errors"]')" = "[]" -a "$(field '["backend"]["received"]')" = 64
	rpd_wait_idle
	g0=$(( $(rpd_counter handoff_gso_datagrams "$svc") - g0 ))
	t0=$(( $(rpd_counter gso_sends "$svc/$be") - t0 ))
	rp_check "$svc: handed datagrams left in trains (handoff_gso_datagrams +$g0 > 0, gso_sends +$t0 > 0)" \
		test "$g0" -gt 0 -a "$t0" -gt 0
	rp_check "$svc: the owner took every handed datagram, none dropped" \
		test "$(rpd_counter handoffs_in "$svc")" = "$(rpd_counter handoffs_out "$svc")" \
		-a "$(rpd_counter handoff_drops "$svc")" = 0
}
