#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# udp-relay (dataplane/svc_udp_relay.c) over a veth pair: clients on several
# addresses in one namespace, the relay (2 workers, one per CPU) and three
# backends (test/tools/relay_check.py: each answers ID + the datagram) in
# the other.
#
#   - many clients (8 addresses x 4 ports) through the relay: every
#     datagram exact, per-session order, replies from the service address,
#     every session of one client address on one backend;
#   - the clients pinned to one CPU, so the datagrams of clients owned by
#     the other worker arrive on a non-owner and are handed over: handoffs
#     happen, every lent buffer comes home (bufs_returned == handoffs_out,
#     bufs_lent 0, bufs_in_flight 0);
#   - per-client limit: the sessions of one address past max-client-sessions
#     get no answer and are counted (client_refused);
#   - idle expiry: sessions of a short-timeout service end (sessions_expired)
#     and the next datagram opens a new one;
#   - a backend that stops answering (its port closed): the relay takes it
#     out (backend_down) and the client's datagrams reach another backend;
#   - a backend that goes silent (stopped, no ICMP either): the health probe
#     takes it out and its client moves; answering again, it is back; the
#     event channel says so (backend-down, then backend-up);
#   - a live reload (a backend added, the dead one removed): a session open
#     across it keeps its backend, new sessions reach the added one, the
#     kept backends' counters go on;
#   - shutdown with a flood of datagrams in flight (half handed over):
#     exit 0, every worker's buffers free, nothing reported by the sanitizer;
#   - config errors name file:line:column.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
. "$RP_TOP/test/net/dataplane/relay_lib.sh"
rp_need_root
echo_topology

CHECK=$RP_TOP/test/tools/relay_check.py
RELAY=$ECHO_SRV_ADDR:7000
SHORT=$ECHO_SRV_ADDR:7001
relay_addrs IPS 11 18
rp_addr "$cli_ns" ve0 10.91.0.30/24
rp_addr "$cli_ns" ve0 10.91.0.31/24
# fresh addresses for the reload part (max-client-sessions counts per address)
rp_addr "$cli_ns" ve0 10.91.0.32/24
relay_addrs NEW_IPS 41 48
chan=rp-test-relay-$$
_rp_tmp+=("/dev/shm/ringplane-chan.$chan")	# removed at exit whatever happens

relay_yaml "$workdir/relay.yaml" "$RELAY" msg-ring "    max-client-sessions: 4
    backend-down-ms: 60000"
cat >>"$workdir/relay.yaml" <<EOC
  - name: short
    type: udp-relay
    listen: $SHORT
    idle-timeout-ms: 200
    backends:
      - address: 127.0.0.1:7100
  - name: probed
    type: udp-relay
    listen: $ECHO_SRV_ADDR:7002
    health-probe: "are you there"
    health-expect: "you there"
    health-interval-ms: 300
    backends:
      - address: 127.0.0.1:7200
      - address: 127.0.0.1:7201
events:
  channel: $chan
  stats-interval-ms: 0
EOC

for b in 0 1 2; do
	rp_bg "$srv_ns" python3 "$CHECK" backend 127.0.0.1:710$b $b
	eval "BE${b}_PID=\$RP_BG_PID"
done
for b in 0 1; do
	rp_bg "$srv_ns" python3 "$CHECK" backend 127.0.0.1:720$b $b
	eval "HC${b}_PID=\$RP_BG_PID"
done
for port in 7100 7101 7102 7200 7201; do
	rp_wait_port "$srv_ns" udp "$port" || rp_done
done
rpd_start "$workdir/relay.yaml"
rpd_wait_metrics || rp_done
"$RINGPLANE" chan listen "$chan" >"$workdir/events.jsonl" 2>"$workdir/listen.err" &
_rp_pids+=("$!")

# ---- many clients, pinned to CPU 0: exact, ordered, affine, handed over ----
relay_forced_handoff relay "$RELAY" "$IPS" "127.0.0.1:7100 127.0.0.1:7101 127.0.0.1:7102"
rp_check "every lent buffer came home (bufs_returned == handoffs_out)" \
	test "$(rpd_counter bufs_returned relay)" = "$handoffs"
rp_check "bufs_lent 0" test "$(rpd_counter bufs_lent relay)" = 0

# ---- per-client limit: 6 sessions of one address, max-client-sessions 4 ----
limit_out=$(rp_in "$cli_ns" python3 - "$ECHO_SRV_ADDR" <<'EOP'
import socket, sys
relay = (sys.argv[1], 7000)
socks = []
for i in range(6):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.91.0.30", 0)); s.settimeout(1.0); socks.append(s)
    s.sendto(b"limit %d" % i, relay)
answered = 0
for s in socks:
    try:
        s.recvfrom(2048); answered += 1
    except socket.timeout:
        pass
print(answered)
EOP
)
rp_check "4 of 6 sessions of one client answered (got $limit_out)" test "$limit_out" = 4
rp_check "client_refused 2" test "$(rpd_counter client_refused relay)" = 2

# ---- idle expiry ------------------------------------------------------------
out=$(rp_in "$cli_ns" python3 "$CHECK" clients "$SHORT" --ips 10.91.0.11,10.91.0.12 --ports 2 --count 8)
rp_check "short: 4 sessions answered" test "$(field '["errors"]')" = "[]"
rpd_counter_reaches sessions_expired short 4
rp_check "short: all 4 sessions expired" test "$(rpd_counter sessions_expired short)" = 4
rp_check "short: none active" test "$(rpd_counter sessions_active short)" = 0
out=$(rp_in "$cli_ns" python3 "$CHECK" clients "$SHORT" --ips 10.91.0.11 --count 4)
rp_check "short: a datagram after expiry opens a new session" \
	test "$(field '["errors"]')" = "[]" -a "$(rpd_counter sessions_opened short)" = 5

# moved PORT ADDR VICTIM: "moved" once ADDR's datagrams are answered by a
# backend other than VICTIM (tried for up to 100 x 0.2 s), else "stuck".
moved() {
	rp_in "$cli_ns" python3 - "$ECHO_SRV_ADDR" "$1" "$2" "$3" <<'EOP'
import socket, sys
relay, src, victim = (sys.argv[1], int(sys.argv[2])), sys.argv[3], int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0)); s.settimeout(0.2)
for i in range(100):
    s.sendto(b"anyone? %d" % i, relay)
    try:
        data, _ = s.recvfrom(2048)
        if data[0] != victim and data[1:] == b"anyone? %d" % i:
            print("moved"); break
    except socket.timeout:
        pass
else:
    print("stuck")
EOP
}

# ---- a backend that stops answering ------------------------------------------
out=$(rp_in "$cli_ns" python3 "$CHECK" clients "$RELAY" --ips 10.91.0.31 --count 4)
victim=$(field '["backend_of_ip"]["10.91.0.31"]')
eval "vpid=\$BE${victim}_PID"
kill "$vpid"; wait "$vpid" 2>/dev/null
moved=$(moved 7000 10.91.0.31 "$victim")
rp_check "the client's datagrams reach another backend ($moved)" test "$moved" = moved
rp_check "backend_down counted for backend $victim" \
	test "$(rpd_counter backend_down "relay/127.0.0.1:710$victim")" -ge 1

# ---- a backend that goes silent: the health probe takes it out ----------------
out=$(rp_in "$cli_ns" python3 "$CHECK" clients "$ECHO_SRV_ADDR:7002" --ips 10.91.0.30 --count 4)
silent=$(field '["backend_of_ip"]["10.91.0.30"]')
rp_check "probed: answered while both backends answer probes" test "$(field '["errors"]')" = "[]"
# (a probe the backend, descheduled on a busy machine, answered late may
# already have counted one: count from here)
down0=$(rpd_counter backend_down "probed/127.0.0.1:720$silent")
eval "spid=\$HC${silent}_PID"
kill -STOP "$spid"
went=$(moved 7002 10.91.0.30 "$silent")
rp_check "probed: the silent backend's client moves ($went)" test "$went" = moved
rp_check "probed: backend_down counted for the silent backend (from $down0)" \
	test "$(rpd_counter backend_down "probed/127.0.0.1:720$silent")" -gt "$down0"
kill -CONT "$spid"
rp_check "probed: answering again, it is back: a new client address lands on it" \
	bash -c "for i in \$(seq 50); do o=\$(ip netns exec $cli_ns python3 $CHECK clients $ECHO_SRV_ADDR:7002 --ips 10.91.0.30 --ports 1 --count 1) && grep -q '\"10.91.0.30\": $silent' <<<\"\$o\" && exit 0; sleep 0.2; done; exit 1"

rp_check "probed: the event channel says the silent backend went down, then came back (one worker)" \
	python3 - "$workdir/events.jsonl" "127.0.0.1:720$silent" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
seen = {}
for e in ev:
    if e["event"].startswith("backend-") and e["service"] == "probed" and e["backend"] == sys.argv[2]:
        seen.setdefault(e["worker"], []).append(e["event"])
print(f"probed {sys.argv[2]} by worker: {seen}")
sys.exit(0 if any(s[:2] == ["backend-down", "backend-up"] for s in seen.values()) else 1)
PY

# ---- live reload: a backend added (heavy), the dead one removed ------------------
# A session open across the reload keeps its backend; new sessions follow
# the new table; the kept backend's counters go on.
cat >"$workdir/keep.py" <<'EOP'
import os, socket, sys, time
relay, flag = (sys.argv[1], 7000), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.91.0.32", 0)); s.settimeout(2.0)
def rounds(tag):
    seen = set()
    for i in range(5):
        msg = b"%s %d" % (tag, i)
        s.sendto(msg, relay)
        data, src = s.recvfrom(2048)
        if data[1:] != msg or src != relay:
            print("bad reply", data, src); sys.exit(1)
        seen.add(data[0])
    return seen
before = rounds(b"before")
print("phase1", flush=True)
while not os.path.exists(flag):
    time.sleep(0.05)
after = rounds(b"after")
print("backends", sorted(before), sorted(after), flush=True)
sys.exit(0 if before == after and len(before) == 1 else 1)
EOP
rp_bg "$srv_ns" python3 "$CHECK" backend 127.0.0.1:7103 3
rp_wait_port "$srv_ns" udp 7103 || rp_done
rp_in "$cli_ns" python3 "$workdir/keep.py" "$ECHO_SRV_ADDR" "$workdir/go" >"$workdir/keep.out" 2>&1 &
keep_pid=$!; _rp_pids+=("$keep_pid")
for ((i = 0; i < 100; i++)); do grep -q phase1 "$workdir/keep.out" && break; sleep 0.05; done
kept_tx=$(rpd_counter tx_packets relay/127.0.0.1:7101)
python3 - "$workdir/relay.yaml" "$victim" <<'EOP'
import sys
path, victim = sys.argv[1], int(sys.argv[2])
t = open(path).read()
t = t.replace("      - address: 127.0.0.1:710%d\n" % victim, "", 1)
t = t.replace("      - address: 127.0.0.1:7102\n", "      - address: 127.0.0.1:7102\n      - address: 127.0.0.1:7103\n        weight: 10\n", 1) \
    if victim != 2 else t.replace("        weight: 2\n", "        weight: 2\n      - address: 127.0.0.1:7103\n        weight: 10\n", 1)
open(path, "w").write(t)
EOP
kill -HUP "$RPD_PID"
rp_check "reload applied" rpd_log_has "reload: applied on every worker"
touch "$workdir/go"
wait "$keep_pid"; keep_rc=$?
cat "$workdir/keep.out"
rp_check "a session open across the reload kept its backend, every reply exact" test "$keep_rc" = 0
out=$(rp_in "$cli_ns" python3 "$CHECK" clients "$RELAY" --ips "$NEW_IPS" --ports 1 --count 4)
rp_check "after the reload: every datagram exact" test "$(field '["errors"]')" = "[]"
rp_check "new sessions reach the added backend" \
	test "$(rpd_counter sessions_opened relay/127.0.0.1:7103)" -gt 0
rp_check "the kept backend's counters went on (tx_packets >= $kept_tx)" \
	test "$(rpd_counter tx_packets relay/127.0.0.1:7101)" -ge "$kept_tx"

# ---- shutdown with a flood in flight -------------------------------------------
relay_flood_stop "$RELAY" "$IPS" 4 handoffs_out $((handoffs + 1000))

# ---- config errors -------------------------------------------------------------
cat >"$workdir/bad.yaml" <<EOC
services:
  - name: r
    type: udp-relay
    listen: 127.0.0.1:7000
    max-sessions: 0
    backends:
      - address: 127.0.0.1:7000
EOC
bad=$("$RINGPLANE" check "$workdir/bad.yaml" 2>&1)
echo "$bad"
rp_check "max-sessions 0 refused at file:line:column" grep -q "bad.yaml:5:[0-9]*:.*max-sessions" <<<"$bad"
rp_check "backend = own listen address refused at file:line:column" \
	grep -q "bad.yaml:7:[0-9]*:.*own listen address" <<<"$bad"
rp_done
