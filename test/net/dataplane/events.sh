#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The appliance's event channel (config `events`, dataplane/events.h):
#
#   - a stale channel of the same name (a killed run's) is replaced;
#   - the file is 0660 with the configured group, and handed to
#     process.user, so the appliance removes it at exit after dropping root;
#   - a receiver attached with `ringplane chan listen` gets, as JSON lines:
#     a conn-open and a conn-close with the same
#     conn id for every TCP connection through tcp-echo and tcp-proxy,
#     stats events whose counters match what was sent, and stop with
#     clean:true and the pid last (start, published before a receiver
#     that waits for the metrics endpoint attaches, is first if seen), and a
#     reload event for a live reload (applied) and a broken one (not); then the channel's end ends the listener;
#   - a bad channel name is a config error at file:line:column.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

chan=rp-test-events-$$
shm=/dev/shm/ringplane-chan.$chan
_rp_tmp+=("$shm")		# removed at exit whatever happens
N=12

cat >"$workdir/ev.yaml" <<EOC
workers:
  count: 2
services:
  - name: echo
    type: tcp-echo
    listen: $ECHO_SRV_ADDR:7300
  - name: proxy
    type: tcp-proxy
    listen: $ECHO_SRV_ADDR:7301
    backends:
      - address: $ECHO_SRV_ADDR:7300
events:
  channel: $chan
  stats-interval-ms: 200
  group: nogroup
process:
  user: nobody
EOC

# a run that was killed left its channel behind
"$RINGPLANE" chan create "$chan" --mode unicast >/dev/null
rp_check "stale channel exists before the start" test -e "$shm"

rpd_start "$workdir/ev.yaml"
rpd_wait_metrics || { rp_fail "appliance did not start"; rp_done; }
rp_check "start-up log says the stale channel was replaced" \
	grep -q "removed channel '$chan' left by an earlier run" "$RPD_LOG"
rp_check "channel file is 0660, owned by nobody:nogroup" \
	test "$(stat -c '%a %U %G' "$shm")" = "660 nobody nogroup"

"$RINGPLANE" chan listen "$chan" >"$workdir/events.jsonl" 2>"$workdir/listen.err" &
lpid=$!
_rp_pids+=("$lpid")
sleep 0.3

# N connections to each service, each echoing its own line
for ((i = 0; i < N; i++)); do
	for port in 7300 7301; do
		out=$(echo "line-$port-$i" | rp_in "$cli_ns" timeout 5 socat - "TCP:$ECHO_SRV_ADDR:$port")
		[ "$out" = "line-$port-$i" ] || rp_fail "echo through $port, connection $i: got '$out'"
	done
done
rpd_counter_reaches conns_closed echo $((2 * N)) >/dev/null
# a live reload (max-connections may change live), then one with an error
chmod 755 "$workdir"; chmod 644 "$workdir/ev.yaml"	# readable after the drop to nobody
sed -i "s|    listen: $ECHO_SRV_ADDR:7300|    listen: $ECHO_SRV_ADDR:7300\n    max-connections: 500|" "$workdir/ev.yaml"
kill -HUP "$RPD_PID"
rp_check "reload applied" rpd_log_has "reload: applied on every worker"
cp "$workdir/ev.yaml" "$workdir/good.yaml"
echo "services: [" >>"$workdir/ev.yaml"
kill -HUP "$RPD_PID"
rp_check "broken reload rejected" rpd_log_has "reload rejected: $workdir/ev.yaml:"
sleep 0.5			# at least one stats event after the last close
rpd_stop_checked "appliance"

# the channel's end (destroyed at exit) ends the listener by itself
for ((i = 0; i < 100; i++)); do kill -0 "$lpid" 2>/dev/null || break; sleep 0.05; done
rp_check "listener ended when the appliance destroyed the channel" bash -c "! kill -0 $lpid 2>/dev/null"
rp_check "channel file removed at exit (after dropping root)" test ! -e "$shm"

rp_check "events are what happened" python3 - "$workdir/events.jsonl" "$RPD_PID" "$N" <<'PY'
import json, sys
from collections import Counter
path, pid, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ev = [json.loads(l) for l in open(path) if l.strip()]
ok = True
def bad(msg):
    global ok; ok = False; print("  " + msg)
# start is published once the workers run, usually before a receiver that
# waited for the metrics endpoint attaches: if seen, it comes first
starts = [i for i, e in enumerate(ev) if e["event"] == "start"]
if starts and (starts != [0] or ev[0]["pid"] != pid):
    bad(f"start events at {starts}, pid {ev[0].get('pid')}: want only the first, pid {pid}")
if not ev or ev[-1] != {**ev[-1], "event": "stop", "clean": True, "pid": pid}:
    bad(f"last event is not a clean stop of pid {pid}: {ev[-1:]}")
# each publisher (a worker, or the control thread) stamps and then sends,
# so its own events are in time order; two publishers may interleave
# their stamps and positions, so order across them is not promised
by_pub = {}
for e in ev:
    by_pub.setdefault(e.get("worker", "control"), []).append(e["t"])
for pub, ts in by_pub.items():
    if ts != sorted(ts):
        bad(f"timestamps of publisher {pub} go backwards")
# every connection: one open, then one close, same (service, worker, conn)
opened = Counter(); closed = Counter(); live = set()
for e in ev:
    if e["event"] in ("conn-open", "conn-close"):
        key = (e["service"], e["worker"], e["conn"])
        if e["event"] == "conn-open":
            if key in live: bad(f"opened twice without a close: {key}")
            live.add(key); opened[e["service"]] += 1
        else:
            if key not in live: bad(f"closed but never opened: {key}")
            live.discard(key); closed[e["service"]] += 1
if live: bad(f"opened, never closed: {sorted(live)}")
for svc in ("echo", "proxy"):
    want = 2 * n if svc == "echo" else n       # the proxy's backend legs are echo's too
    if opened[svc] != want or closed[svc] != want:
        bad(f"{svc}: {opened[svc]} opened, {closed[svc]} closed, want {want} each")
reloads = [e.get("applied") for e in ev if e["event"] == "reload"]
if reloads != [True, False]:
    bad(f"reload events {reloads}, want [True, False]")
stats = [e for e in ev if e["event"] == "stats" and e["service"] == "echo"]
if not stats:
    bad("no stats event for echo")
else:
    last = stats[-1]
    want_bytes = sum(len(f"line-{p}-{i}\n") for p in (7300, 7301) for i in range(n))
    if last.get("conns_accepted") != 2 * n or last.get("conns_open") != 0 or last.get("rx_bytes") != want_bytes:
        bad(f"last echo stats {last}: want conns_accepted {2*n}, conns_open 0, rx_bytes {want_bytes}")
print(f"  {len(ev)} events, {len(stats)} echo stats")
sys.exit(0 if ok else 1)
PY

# a name that cannot be a channel: a config error with its position
sed "s/channel: $chan/channel: .hidden\/x/" "$workdir/good.yaml" >"$workdir/bad.yaml"
"$RINGPLANE" check "$workdir/bad.yaml" >/dev/null 2>"$workdir/bad.err"
rp_check "bad channel name refused by check" test $? -ne 0
rp_check "its error names file:line:column and the key" \
	grep -q "bad.yaml:[0-9]*:[0-9]*:.*events.channel" "$workdir/bad.err"
rp_done
