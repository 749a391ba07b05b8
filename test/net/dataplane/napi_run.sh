#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane run` with a tcp-echo behind an acceptor steering by napi: nicmgr
# learns rx queue -> NAPI id of a 2-queue veth (GRO on, so each queue has a
# NAPI), the acceptor maps each id to the worker serving that queue, and
# every connection from the peer namespace is served by the worker of the
# queue it arrived on. The worker checks that itself: the connection's
# SO_INCOMING_NAPI_ID (read by the acceptor from the kernel, carried in the
# handoff) is one of its own queues' ids (napi_local), and nothing fell back
# to hash (napi_fallbacks). Then the fallback path for real: the same
# service over loopback, where no queue has a NAPI, says so at start-up and
# hashes every connection, counted.
. "$RP_TOP/test/net/lib.sh"
rp_need_root
rp_ns srv; rp_ns cli
rp_tmpdir dir
rp_veth "$srv" v0 "$cli" v1 2 || rp_fail "veth with 2 queues"
rp_addr "$srv" v0 10.94.0.2/24; rp_addr "$cli" v1 10.94.0.1/24
# field notes: the sender's TSO off, so the receiver's GRO sees real segments
rp_in "$cli" ethtool -K v1 tso off >/dev/null
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
CONNS=400

# metric NAME WORKER: the service's counter on one worker
metric() {
	sed -n "s/^ringplane_$1_total{worker=\"$2\",service=\"tcp-napi\"} //p" "$dir/metrics"
}

# config FILE LISTEN [INTERFACES-YAML]
config() {
	cat >"$1" <<YAML
${3:-}
workers:
  count: 2
services:
  - name: tcp-napi
    type: tcp-echo
    listen: $2
    acceptor: true
    steering: napi
metrics:
  enabled: true
  listen: 127.0.0.1:9310
YAML
}

# serve CONFIG NS ADDR:PORT: run, CONNS echo connections from NS, metrics, stop
serve() {
	local port=${3##*:}
	rp_bg "$srv" "$RINGPLANE" run -c "$1" 2>"$dir/log"
	local pid=$RP_BG_PID
	rp_wait_port "$srv" tcp "$port" || { cat "$dir/log"; return 1; }
	rp_check "$CONNS echo connections through the napi acceptor" \
		rp_in "$2" "$RP_BUILD/test/tools/tcp_echo_check" "$3" -c "$CONNS" -b 20000
	rp_in "$srv" curl -s 127.0.0.1:9310/metrics >"$dir/metrics"
	kill -TERM "$pid"
	wait "$pid"
	local st=$?
	rp_check "SIGTERM: exit 0 (got $st)" test "$st" -eq 0
	rp_check "no sanitizer report" sh -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$dir/log'"
}

# 1. veth, 2 queues, GRO switched on by nicmgr
config "$dir/veth.yaml" 10.94.0.2:7310 "interfaces:
  - name: v0
    queues: 2
    features:
      rx-gro: true"
serve "$dir/veth.yaml" "$cli" 10.94.0.2:7310 || rp_fail "veth run"
grep -E 'rx queue|acceptor:' "$dir/log"
rp_check "the acceptor maps two NAPI ids to workers 0 and 1" \
	grep -qE 'steering napi over 2 workers, NAPI id [0-9]+ -> worker 0, [0-9]+ -> worker 1' "$dir/log"
total=0
for w in 0 1; do
	acc=$(metric conns_accepted $w); loc=$(metric napi_local $w); fb=$(metric napi_fallbacks $w)
	echo "worker $w: conns_accepted ${acc:-?}, napi_local ${loc:-?}, napi_fallbacks ${fb:-?}"
	rp_check "worker $w: every connection it serves arrived on its own queue (${loc:-?}/${acc:-?})" \
		test -n "$acc" -a "${loc:--1}" -eq "${acc:-0}"
	rp_check "worker $w: no napi fallback (${fb:-?})" test "${fb:--1}" -eq 0
	total=$((total + ${acc:-0}))
done
rp_check "every connection accounted ($total = $CONNS)" test "$total" -eq "$CONNS"

# 2. loopback: no NAPI anywhere, so napi steering hashes every connection
config "$dir/lo.yaml" 127.0.0.1:7311
serve "$dir/lo.yaml" "$srv" 127.0.0.1:7311 || rp_fail "loopback run"
rp_check "no NAPI ids: said plainly at start-up" \
	grep -q 'service tcp-napi: steering napi, but no served rx queue has a NAPI id' "$dir/log"
fb=$(( $(metric napi_fallbacks 0) + $(metric napi_fallbacks 1) ))
loc=$(( $(metric napi_local 0) + $(metric napi_local 1) ))
rp_check "loopback: every connection fell back to hash ($fb = $CONNS), none local ($loc)" \
	test "$fb" -eq "$CONNS" -a "$loc" -eq 0
rp_done
