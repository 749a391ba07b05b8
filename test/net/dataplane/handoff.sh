#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Connection handoff (dataplane/acceptor.c, steer.c, msg.c) with real TCP
# connections in a namespace of its own: an acceptor ring accepts into its
# fixed table and passes each connection by MSG_RING to one of 2 worker
# rings, which answer with their id. Checks: round-robin spreads 10,000
# connections evenly and loses none; hash sends one 4-tuple to one worker
# every time; least-loaded accounts for every connection; shutdown while
# connections and WORK messages are in flight leaks no descriptor and loses
# no work item; worker tables that are full refuse (counted), never leak.
. "$RP_TOP/test/net/lib.sh"
rp_need_root

TOOL=${HANDOFF_TOOL:-$RP_BUILD/test/net/dataplane/handoff_tool}
rp_ns ns
rp_tmpdir dir
ADDR=127.0.0.1:7100

# key FILE NAME: the value of NAME=... in FILE
key() { sed -n "s/^$2=//p" "$1"; }

# server POLICY OUT [ARGS...]: start the server, wait for "ready"
server() {
	local policy=$1 out=$2; shift 2
	rp_bg "$ns" "$TOOL" server --listen "$ADDR" --workers 2 --policy "$policy" "$@"
	SRV=$RP_BG_PID
	# the tool prints "ready" first; the report comes at shutdown
	for _ in $(seq 100); do grep -q '^ready' "$out" 2>/dev/null && return 0; sleep 0.05; done
	echo "server did not become ready" >&2
	return 1
}

# stop: SIGTERM and wait for the report
stop() {
	kill -TERM "$SRV"
	wait "$SRV"
	SRV_STATUS=$?
}

# common checks on a server report
accounted() {
	local out=$1 served
	served=$(( $(key "$out" served.0) + $(key "$out" served.1) ))
	rp_check "$2: server exits 0 (got $SRV_STATUS)" test "$SRV_STATUS" -eq 0
	rp_check "$2: every accepted connection handed off ($(key "$out" accepted) accepted, $(key "$out" handed_off) handed off)" \
		test "$(key "$out" accepted)" -eq "$(key "$out" handed_off)"
	rp_check "$2: every handed-off connection served ($served)" \
		test "$served" -eq "$(key "$out" handed_off)"
	rp_check "$2: no handoff errors" test "$(key "$out" err_handoff)" -eq 0 -a "$(key "$out" err_no_slot)" -eq 0
	rp_check "$2: no descriptor leaked ($(key "$out" fds_before) before, $(key "$out" fds_after) after)" \
		test "$(key "$out" fds_before)" -eq "$(key "$out" fds_after)"
}

# 1. round-robin, 10,000 connections
out=$dir/rr.out
server round-robin "$out" >"$out" || rp_fail "round-robin server start"
fds_running=$(ls /proc/"$SRV"/fd | wc -l)
rp_in "$ns" "$TOOL" client --connect "$ADDR" --workers 2 --count 10000 >"$dir/rr.cli"
fds_after_conns=$(ls /proc/"$SRV"/fd | wc -l)
rp_check "round-robin: the running server's /proc/PID/fd count is unchanged by 10000 connections ($fds_running -> $fds_after_conns)" \
	test "$fds_running" -eq "$fds_after_conns"
stop
c0=$(key "$dir/rr.cli" conns.0); c1=$(key "$dir/rr.cli" conns.1)
echo "round-robin: worker 0 $c0, worker 1 $c1, client errors $(key "$dir/rr.cli" errors)"
rp_check "round-robin: no client error" test "$(key "$dir/rr.cli" errors)" -eq 0
rp_check "round-robin: 10000 connections answered" test $((c0 + c1)) -eq 10000
# exact: a handoff that waits for a free outbox entry keeps the worker
# round-robin picked for it (acceptor.c acc_pick)
rp_check "round-robin: exactly even ($c0/$c1)" test "$c0" -eq 5000 -a "$c1" -eq 5000
rp_check "round-robin: client and server agree" test "$c0" -eq "$(key "$out" served.0)"
accounted "$out" round-robin

# 1b. the address held by a listener that joins no SO_REUSEPORT group: the
# acceptor's bind is refused, named, exit 1. (Acceptor listeners set
# SO_REUSEPORT, so that `run --takeover` can join them; a second plain
# `ringplane run` is refused before any bind by dataplane/addr_owner.c.)
rp_bg "$ns" python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
time.sleep(60)' "${ADDR##*:}"
holder=$RP_BG_PID
rp_wait_port "$ns" tcp "${ADDR##*:}" || rp_fail "a plain listener holds $ADDR"
rp_in "$ns" "$TOOL" server --listen "$ADDR" --workers 2 --policy hash >/dev/null 2>"$dir/second.err"
st=$?
kill "$holder"
wait "$holder" 2>/dev/null
rp_check "address in use: the acceptor exits 1 (got $st)" test "$st" -eq 1
rp_check "address in use: the error names service, step and address" \
	grep -q "service handoff: acceptor: bind $ADDR: Address already in use" "$dir/second.err"

# 2. hash: one 4-tuple always lands on one worker; many tuples use both
out=$dir/hash.out
server hash "$out" >"$out" || rp_fail "hash server start"
rp_in "$ns" "$TOOL" client --connect "$ADDR" --workers 2 --count 200 --port 40123 >"$dir/h1.cli"
rp_in "$ns" "$TOOL" client --connect "$ADDR" --workers 2 --count 200 --port 40124 >"$dir/h2.cli"
rp_in "$ns" "$TOOL" client --connect "$ADDR" --workers 2 --count 1000 >"$dir/h3.cli"
stop
for f in h1 h2; do
	a=$(key "$dir/$f.cli" conns.0); b=$(key "$dir/$f.cli" conns.1)
	echo "hash, fixed tuple $f: worker 0 $a, worker 1 $b"
	rp_check "hash: fixed 4-tuple ($f) always on one worker ($a/$b)" \
		test \( "$a" -eq 200 -a "$b" -eq 0 \) -o \( "$a" -eq 0 -a "$b" -eq 200 \)
done
a=$(key "$dir/h3.cli" conns.0); b=$(key "$dir/h3.cli" conns.1)
rp_check "hash: 1000 ephemeral ports use both workers ($a/$b)" test "$a" -gt 0 -a "$b" -gt 0
accounted "$out" hash

# 3. least-loaded: every connection accounted for; with connections held
# open, each new one goes to the worker holding fewer: an even split, also
# when they arrive in one burst
out=$dir/ll.out
server least-loaded "$out" >"$out" || rp_fail "least-loaded server start"
rp_in "$ns" "$TOOL" client --connect "$ADDR" --workers 2 --count 500 >"$dir/ll.cli"
stop
rp_check "least-loaded: 500 answered" \
	test $(( $(key "$dir/ll.cli" conns.0) + $(key "$dir/ll.cli" conns.1) )) -eq 500
accounted "$out" least-loaded
out=$dir/llh.out
server least-loaded "$out" --hold >"$out" || rp_fail "least-loaded hold server start"
rp_in "$ns" "$TOOL" client --connect "$ADDR" --workers 2 --count 100 >"$dir/llh.cli"
stop
rp_check "least-loaded, held: 50/50 ($(key "$out" served.0)/$(key "$out" served.1))" \
	test "$(key "$out" served.0)" -eq 50 -a "$(key "$out" served.1)" -eq 50
accounted "$out" "least-loaded held"
# the same 100 connections opened at once, to workers that take 2 ms to
# adopt each: most picks happen while earlier handoffs are still in flight;
# those must count, or the picks see equal loads and pile onto worker 0
out=$dir/llb.out
server least-loaded "$out" --hold --adopt-delay-us 2000 >"$out" || rp_fail "least-loaded burst server start"
rp_in "$ns" "$TOOL" client --connect "$ADDR" --workers 2 --count 100 --burst >"$dir/llb.cli"
stop
rp_check "least-loaded, burst: 100 answered ($(key "$dir/llb.cli" errors) errors)" \
	test "$(key "$dir/llb.cli" errors)" -eq 0
rp_check "least-loaded, burst: 50/50 ($(key "$out" served.0)/$(key "$out" served.1))" \
	test "$(key "$out" served.0)" -eq 50 -a "$(key "$out" served.1)" -eq 50
accounted "$out" "least-loaded burst"

# 4. worker tables full: each worker holds 4 connections, the rest are
# refused with ENFILE on handoff, closed (the client sees no id) and counted
out=$dir/full.out
server round-robin "$out" --hold --worker-files 4 >"$out" 2>"$dir/full.err" || rp_fail "full-table server start"
rp_in "$ns" "$TOOL" client --connect "$ADDR" --workers 2 --count 20 >"$dir/full.cli"
stop
echo "full tables: served $(key "$out" served.0)+$(key "$out" served.1), err_no_slot $(key "$out" err_no_slot), client errors $(key "$dir/full.cli" errors)"
rp_check "full tables: 8 connections served (4 per worker)" \
	test "$(key "$out" served.0)" -eq 4 -a "$(key "$out" served.1)" -eq 4
rp_check "full tables: 12 refused, counted as err_no_slot" test "$(key "$out" err_no_slot)" -eq 12
rp_check "full tables: the 12 refused were closed (client got no id)" test "$(key "$dir/full.cli" errors)" -eq 12
rp_check "full tables: every accepted connection accounted (20 = 8 served + 12 refused)" \
	test "$(key "$out" accepted)" -eq 20
rp_check "full tables: no descriptor leaked" test "$(key "$out" fds_before)" -eq "$(key "$out" fds_after)"
# a refusal flood is logged at most once a second, with the count of the
# refusals not logged since: fewer lines than refusals (the 20 connections
# arrive together), and the first line says so
full_lines=$(grep -c "fixed file table is full" "$dir/full.err")
rp_check "full tables: refusals logged rate-limited ($full_lines lines for 12)" \
	test "$full_lines" -ge 1 -a "$full_lines" -lt 12
rp_check "full tables: the line counts what it did not log" \
	grep -q "fixed file table is full (ENFILE); connection closed ([0-9]* more since the last such line)" "$dir/full.err"

# 5. shutdown while connections arrive and WORK messages stream
out=$dir/stop.out
server round-robin "$out" --work >"$out" || rp_fail "shutdown server start"
clients=()
for i in 1 2 3; do
	rp_bg "$ns" "$TOOL" client --connect "$ADDR" --workers 2 --count 100000 >/dev/null
	clients+=("$RP_BG_PID")
done
sleep 1
stop
kill -TERM "${clients[@]}" 2>/dev/null
echo "shutdown: accepted $(key "$out" accepted), work sent $(key "$out" work_sent) done $(key "$out" work_done) bounced $(key "$out" work_bounced)"
rp_check "shutdown: connections were arriving (accepted $(key "$out" accepted) > 0)" test "$(key "$out" accepted)" -gt 0
rp_check "shutdown: work was flowing ($(key "$out" work_sent) sent)" test "$(key "$out" work_sent)" -gt 0
rp_check "shutdown: no work item lost (sent = done + bounced)" \
	test "$(key "$out" work_sent)" -eq $(( $(key "$out" work_done) + $(key "$out" work_bounced) ))
accounted "$out" shutdown

# 6. napi: a veth pair with 2 queues, GRO on the receiver (field notes: then
# each rx queue has a NAPI, and accepted sockets report its id). First run
# without a map: the ids are seen, and unknown ids fall back to hash. Second
# run maps the ids to queues, the i-th id to queue i+1 (workers swapped
# against a plain order on purpose): each connection must land on the worker of
# its queue, never on a hash's choice.
rp_ns srv
rp_ns cli
rp_veth "$srv" v0 "$cli" v1 2 || rp_fail "napi: veth with 2 queues"
rp_addr "$srv" v0 10.88.0.1/24
rp_addr "$cli" v1 10.88.0.2/24
rp_in "$srv" ethtool -K v0 gro on >/dev/null
rp_in "$cli" ethtool -K v1 tso off >/dev/null
ns=$srv ADDR=10.88.0.1:7100
out=$dir/napi1.out
server napi "$out" >"$out" || rp_fail "napi server start"
rp_in "$cli" "$TOOL" client --connect "$ADDR" --workers 2 --count 400 >"$dir/napi1.cli"
stop
mapfile -t ids < <(sed -n 's/^napi\.\([0-9]*\)=.*/\1/p' "$out" | sort -n)
echo "napi ids seen: ${ids[*]:-none}"
rp_check "napi: connections carry NAPI ids (${ids[*]:-none})" test "${#ids[@]}" -ge 1 -a "${ids[0]:-0}" -gt 0
rp_check "napi: without a map every connection falls back to hash ($(key "$out" napi_fallbacks))" \
	test "$(key "$out" napi_fallbacks)" -eq "$(key "$out" accepted)"
accounted "$out" "napi unmapped"
if [ "${#ids[@]}" -ge 1 ] && [ "${ids[0]:-0}" -gt 0 ]; then
	map= want0=0 want1=0
	# id q -> queue q+1: worker (q+1) % 2, the reverse of a plain order
	for q in "${!ids[@]}"; do
		map+="${map:+,}${ids[$q]}:$((q + 1))"
	done
	out=$dir/napi2.out
	server napi "$out" --napi-map "$map" >"$out" || rp_fail "napi mapped server start"
	rp_in "$cli" "$TOOL" client --connect "$ADDR" --workers 2 --count 400 >"$dir/napi2.cli"
	stop
	for q in "${!ids[@]}"; do
		n=$(key "$out" "napi.${ids[$q]}")
		if [ $(( (q + 1) % 2 )) -eq 0 ]; then want0=$((want0 + ${n:-0})); else want1=$((want1 + ${n:-0})); fi
	done
	echo "napi mapped ($map): served $(key "$out" served.0)/$(key "$out" served.1), by queue $want0/$want1"
	rp_check "napi: with the map nothing falls back ($(key "$out" napi_fallbacks))" \
		test "$(key "$out" napi_fallbacks)" -eq 0
	rp_check "napi: each connection served by its queue's worker ($want0/$want1)" \
		test "$(key "$out" served.0)" -eq "$want0" -a "$(key "$out" served.1)" -eq "$want1"
	accounted "$out" "napi mapped"
fi

rp_done
