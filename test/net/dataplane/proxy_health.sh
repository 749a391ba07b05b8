#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tcp-proxy backends (dataplane/proxy_health.c, proxy_backend.c): health
# checks, the PROXY protocol v2, backends that refuse, stall or come and go.
# Two workers, so a change the checking worker sees must reach the other
# one (MSG_RING) before "no connection goes to a backend marked down" can
# hold; the backend rows' backend_marked_down gauge is summed over both workers.
#
#   - a live reload (health-check and weights changed) keeps a backend
#     marked down down;
#   - health checks: a backend that goes away is marked down on both
#     workers (health_downs, backend_marked_down 2, logged, `ringplane stats`
#     says so), no new connection is
#     tried on it while it is down (its err_connect and backend_connects do
#     not move, no retry happens), it is put back once it answers again
#     (health_ups, backend_marked_down 0) and takes connections again;
#   - every backend down: a client is closed at once (err_no_backend),
#     no connect is tried;
#   - a backend that refuses (no health checks): retried on the next one,
#     counted connect_refused on its own row;
#   - a backend that accepts and stalls: the idle timeout closes the pair,
#     the client sees a clean EOF; a client whose data the stalled backend
#     never takes is reset after write-stall-timeout-ms; buffers come back;
#   - proxy-protocol: v2: the backend gets the header before any client
#     byte, naming the client's address and port and the proxy's, over
#     IPv4 and IPv6 (the backend's lines are checked by proxy_peer.py);
#     health checks of that backend do not disturb it;
#   - the appliance's event channel carries each change: backend-down (with
#     the failure) and then backend-up for B (solo's backend goes down
#     before a listener can attach: a new receiver starts at the present).
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

PEER=$RP_TOP/test/tools/proxy_peer.py
DUPLEX=$RP_TOP/test/tools/duplex.py
px=$ECHO_SRV_ADDR
B=127.0.0.1:7201			# the backend that comes and goes
chan=rp-test-phealth-$$
_rp_tmp+=("/dev/shm/ringplane-chan.$chan")	# removed at exit whatever happens

cat >"$workdir/health.yaml" <<EOC
workers:
  count: 2
buffers:
  size: 16384
  count: 1024
services:
  - name: echo-a
    type: tcp-echo
    listen: 127.0.0.1:7100
  - name: hc
    type: tcp-proxy
    listen: $px:7020
    retries: 1
    health-check:
      enabled: true
      interval-ms: 100
      timeout-ms: 100
      rise: 2
      fall: 2
    backends:
      - address: 127.0.0.1:7100
      - address: $B
  - name: solo
    type: tcp-proxy
    listen: $px:7025
    health-check: {enabled: true, interval-ms: 100, timeout-ms: 100, fall: 1}
    backends:
      - address: 127.0.0.1:7204
  - name: refuse
    type: tcp-proxy
    listen: $px:7021
    retries: 1
    backends:
      - address: 127.0.0.1:7198
      - address: 127.0.0.1:7100
  - name: stall
    type: tcp-proxy
    listen: $px:7022
    idle-timeout-ms: 400
    write-stall-timeout-ms: 400
    backends:
      - address: 127.0.0.1:7202
  - name: pp
    type: tcp-proxy
    listen: $px:7023
    health-check: {enabled: true, interval-ms: 100, timeout-ms: 100}
    backends:
      - {address: 127.0.0.1:7203, proxy-protocol: v2}
  - name: pp6
    type: tcp-proxy
    listen: "[::1]:7024"
    backends:
      - {address: 127.0.0.1:7203, proxy-protocol: v2}
metrics:
  enabled: true
  listen: 127.0.0.1:9107
events:
  channel: $chan
  stats-interval-ms: 0
EOC

start_b() {
	rp_bg "$srv_ns" python3 "$PEER" echo 127.0.0.1 7201
	b_pid=$RP_BG_PID
	rp_wait_port "$srv_ns" tcp 7201
}

# health_checks of a backend row is counted by one worker only.
checked_by_one_worker() {
	rp_in "$srv_ns" "$RINGPLANE" stats -m 127.0.0.1:9107 --json | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin)["rows"] if r["service"] == sys.argv[1]]
checking = [r for r in rows if r["values"].get("health_checks", 0)]
print(f"{len(rows)} rows, {len(checking)} with health_checks")
sys.exit(0 if len(rows) == 2 and len(checking) == 1 else 1)' "$1"
}

# stats_shows BACKEND STATE: `ringplane stats`'s backends table has it so.
stats_shows() {
	local out
	out=$(rp_in "$srv_ns" "$RINGPLANE" stats -m 127.0.0.1:9107)
	echo "$out" | grep -qE "^$1 +$2 " && return 0
	echo "$out"
	return 1
}

load() {
	tool proxy_load "$px:$1" -c "$2" --max-bytes 65536 --timeout-s 30
}

# Nothing of backend B moves while it is marked down: no connect tried
# (err_connect, backend_connects), no retry on the service.
untouched_while_down() {
	local e0 c0 r0 e1 c1 r1
	e0=$(rpd_counter err_connect "hc/$B"); c0=$(rpd_counter backend_connects "hc/$B")
	r0=$(rpd_counter connect_retries hc)
	load 7020 300 || return 1
	e1=$(rpd_counter err_connect "hc/$B"); c1=$(rpd_counter backend_connects "hc/$B")
	r1=$(rpd_counter connect_retries hc)
	echo "while down: B err_connect +$((e1 - e0)), backend_connects +$((c1 - c0)), retries +$((r1 - r0))"
	[ "$e1" -eq "$e0" ] && [ "$c1" -eq "$c0" ] && [ "$r1" -eq "$r0" ] &&
		[ "$(rpd_counter backend_marked_down "hc/$B")" -eq 2 ]
}

health_case() {
	local c0
	rp_check "health: checks run on B (health_checks >= 4)" \
		rpd_counter_reaches health_checks "hc/$B" 4
	rp_check "health: B is up on both workers (backend_marked_down 0)" \
		test "$(rpd_counter backend_marked_down "hc/$B")" -eq 0
	rp_check "health: one worker checks (health_checks counted on one worker only)" \
		checked_by_one_worker "hc/$B"
	rp_check "health: 300 connections while both are up, every byte checked" load 7020 300
	rp_check "health: ... B took some of them" \
		rpd_counter_reaches backend_connects "hc/$B" 1

	kill -TERM "$b_pid"; wait "$b_pid" 2>/dev/null
	rp_check "health: B gone: marked down on both workers (backend_marked_down 2)" \
		rpd_counter_until backend_marked_down "hc/$B" -eq 2
	rp_check "health: ... counted once (health_downs 1) with its failed checks" \
		sh -c 'test "$1" -eq 1 -a "$2" -ge 2' _ "$(rpd_counter health_downs "hc/$B")" \
		"$(rpd_counter health_check_fails "hc/$B")"
	rp_check "health: ... logged" grep -q "service hc: backend $B marked down" "$RPD_LOG"
	rp_check "health: ... and shown by ringplane stats (backends table: down)" \
		stats_shows "hc/$B" down
	rp_check "health: while B is down no connection is tried on it, all are served" \
		untouched_while_down

	# a live reload that changes the checks and the backends' order keeps
	# B's state (by its slot, not its index)
	sed -e 's/interval-ms: 100$/interval-ms: 120/' -e "s/      - address: $B$/      - address: $B\n        weight: 2/" \
		"$workdir/health.yaml" >"$workdir/health2.yaml"
	mv "$workdir/health2.yaml" "$workdir/health.yaml"	# the file it runs
	rp_in "$srv_ns" "$RINGPLANE" reload -c "$workdir/health.yaml" >"$workdir/reload.out" 2>&1
	rp_check "health: a live reload changing health-check and B's weight is applied" \
		rpd_counter_until reloads_ok "*" -eq 1
	cat "$workdir/reload.out"
	rp_check "health: ... B is still down on both workers after it" \
		rpd_counter_until backend_marked_down "hc/$B" -eq 2
	rp_check "health: ... and still gets no connection" untouched_while_down

	start_b
	rp_check "health: B back: put back on both workers (backend_marked_down 0)" \
		rpd_counter_until backend_marked_down "hc/$B" -eq 0
	rp_check "health: ... counted (health_ups 1)" rpd_counter_until health_ups "hc/$B" -eq 1
	rp_check "health: ... shown by ringplane stats (up)" stats_shows "hc/$B" up
	c0=$(rpd_counter backend_connects "hc/$B")
	rp_check "health: 300 connections after B is back, every byte checked" load 7020 300
	rp_check "health: ... B takes connections again" \
		rpd_counter_reaches backend_connects "hc/$B" $((c0 + 1))
}

# Every backend down: a client is closed at once, nothing is tried.
solo_case() {
	rp_check "solo: its only backend (nothing listens) is marked down on both workers" \
		rpd_counter_until backend_marked_down solo/127.0.0.1:7204 -eq 2
	rp_check "solo: a client is closed (no backend up)" \
		rp_in "$cli_ns" python3 "$DUPLEX" expect-close "$px" 7025
	rp_check "solo: ... counted err_no_backend, and no connect was tried on the backend" \
		sh -c 'test "$1" -ge 1 -a "$2" -eq 0' _ "$(rpd_counter err_no_backend solo)" \
		"$(rpd_counter err_connect solo/127.0.0.1:7204)"
}

refuse_case() {
	rp_check "refuse: 50 connections served by the next backend" load 7021 50
	rp_check "refuse: the refusals are counted on the refusing backend's row (connect_refused)" \
		sh -c 'test "$1" -ge 1 -a "$1" -eq "$2" -a "$3" -eq 0' _ \
		"$(rpd_counter connect_refused refuse/127.0.0.1:7198)" \
		"$(rpd_counter err_connect refuse/127.0.0.1:7198)" \
		"$(rpd_counter backend_connects refuse/127.0.0.1:7198)"
}

stall_case() {
	rp_bg "$srv_ns" python3 "$PEER" stall 127.0.0.1 7202
	rp_wait_port "$srv_ns" tcp 7202
	rp_check "stall: the idle timeout closes the pair: the client sees a clean EOF" \
		rp_in "$cli_ns" python3 "$PEER" expect-eof "$px" 7022
	rp_check "stall: ... counted (idle_timeouts >= 1, also on the backend's row)" \
		rpd_counter_reaches idle_timeouts stall/127.0.0.1:7202 1
	# 64 MiB the stalled backend never reads: its window shuts, the
	# forwarded data waits, the write stall resets both legs
	rp_check "stall: a client whose data is never taken is reset (proxy_load fails)" \
		sh -c '! "$@"' _ ip netns exec "$cli_ns" "$TOOLS/proxy_load" "$px:7022" -c 1 \
		--min-bytes 67108864 --max-bytes 67108864 --timeout-s 20
	rp_check "stall: ... counted (write_stalls >= 1, also on the backend's row)" \
		rpd_counter_reaches write_stalls stall/127.0.0.1:7202 1
	rp_check "stall: every buffer back in the pool" rpd_wait_idle
}

pp_case() {
	rp_check "proxy-protocol v2 over IPv4: the header first, the client's and the proxy's address" \
		rp_in "$cli_ns" python3 "$PEER" pp-client "$px" 7023
	rp_check "proxy-protocol v2 over IPv6: the same" \
		rp_in "$srv_ns" python3 "$PEER" pp-client ::1 7024
	rp_check "proxy-protocol: health checks of that backend run, it stays up" \
		sh -c 'test "$1" -ge 2 -a "$2" -eq 0' _ "$(rpd_counter health_checks pp/127.0.0.1:7203)" \
		"$(rpd_counter backend_marked_down pp/127.0.0.1:7203)"
	rp_check "proxy-protocol: 20 clients in a row, each header right" \
		sh -c 'for i in $(seq 20); do ip netns exec "$1" python3 "$2" pp-client "$3" 7023 >/dev/null || exit 1; done' \
		_ "$cli_ns" "$PEER" "$px"
}

start_b
# the PROXY protocol backend listens before its health checks begin: it is
# never marked down, so the first client is served
rp_bg "$srv_ns" python3 "$PEER" pp-echo 127.0.0.1 7203
rp_wait_port "$srv_ns" tcp 7203
rpd_start "$workdir/health.yaml"
if rpd_wait_metrics; then
	"$RINGPLANE" chan listen "$chan" >"$workdir/events.jsonl" 2>"$workdir/listen.err" &
	_rp_pids+=("$!")
	health_case
	solo_case
	refuse_case
	stall_case
	pp_case
	for s in hc solo refuse stall pp pp6; do
		rp_check "$s: every client connection closed (conns_accepted == conns_closed)" \
			rpd_all_closed "$s"
	done
	rpd_stop_checked "health"
	rp_check "events: B's changes, in order" python3 - \
		"$workdir/events.jsonl" "$B" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
hc = [(e["event"], "why" in e) for e in ev
      if e["event"].startswith("backend-") and e["service"] == "hc" and e["backend"] == sys.argv[2]]
print(f"hc {sys.argv[2]}: {hc}")
sys.exit(0 if hc == [("backend-down", True), ("backend-up", False)] else 1)
PY
else
	rp_fail "ringplane starts"
fi
rp_done
