#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tcp-proxy behind an acceptor ring (services[].acceptor: true, steering
# napi; svc_tcp_proxy.c's adopt): nicmgr learns rx queue -> NAPI id of a
# 2-queue veth, the acceptor hands each client connection to the worker of
# the queue it arrived on, and that worker opens the backend connection of
# the pair. Checked per worker from its own counters: every pair it serves
# arrived on one of its queues (napi_local == conns_accepted, no fallback),
# both workers got some, and it connected exactly one backend connection
# per pair it adopted (backend_connects == conns_accepted: the connect is
# counted by the worker that made it). Every byte echoed through the
# proxy; SIGTERM drains, exit 0, every buffer back.
. "$RP_TOP/test/net/lib.sh"
rp_need_root
rp_ns srv; rp_ns cli
rp_tmpdir dir
rp_veth "$srv" v0 "$cli" v1 2 || rp_fail "veth with 2 queues"
rp_addr "$srv" v0 10.95.0.2/24; rp_addr "$cli" v1 10.95.0.1/24
# field notes: the sender's TSO off, so the receiver's GRO sees real segments
rp_in "$cli" ethtool -K v1 tso off >/dev/null
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
CONNS=400

cat >"$dir/proxy.yaml" <<YAML
interfaces:
  - name: v0
    queues: 2
    features:
      rx-gro: true
workers:
  count: 2
services:
  - name: echo
    type: tcp-echo
    listen: 127.0.0.1:7321
  - name: px
    type: tcp-proxy
    listen: 10.95.0.2:7320
    acceptor: true
    steering: napi
    backends:
      - address: 127.0.0.1:7321
metrics:
  enabled: true
  listen: 127.0.0.1:9320
YAML
rp_check "the config is valid (acceptor on a tcp-proxy)" sh -c '"$1" check "$2" >/dev/null' _ "$RINGPLANE" "$dir/proxy.yaml"

# metric NAME WORKER [SERVICE]: a counter of one worker
metric() {
	sed -n "s/^ringplane_$1_total{worker=\"$2\",service=\"${3:-px}\"} //p" "$dir/metrics"
}

rp_bg "$srv" "$RINGPLANE" run -c "$dir/proxy.yaml" 2>"$dir/log"
pid=$RP_BG_PID
if rp_wait_port "$srv" tcp 7320; then
	rp_check "$CONNS connections echoed through the proxy behind the acceptor" \
		rp_in "$cli" "$RP_BUILD/test/tools/tcp_echo_check" 10.95.0.2:7320 -c "$CONNS" -b 20000
	rp_in "$srv" curl -s 127.0.0.1:9320/metrics >"$dir/metrics"
	grep -E 'acceptor:' "$dir/log"
	rp_check "the acceptor maps two NAPI ids to workers 0 and 1" \
		grep -qE 'steering napi over 2 workers, NAPI id [0-9]+ -> worker 0, [0-9]+ -> worker 1' "$dir/log"
	total=0
	for w in 0 1; do
		acc=$(metric conns_accepted $w); loc=$(metric napi_local $w)
		fb=$(metric napi_fallbacks $w); be=$(metric backend_connects $w)
		echo "worker $w: conns_accepted ${acc:-?}, napi_local ${loc:-?}, napi_fallbacks ${fb:-?}, backend_connects ${be:-?}"
		rp_check "worker $w: adopted pairs ($acc), each arrived on its own queue (${loc:-?})" \
			test "${acc:-0}" -gt 0 -a "${loc:--1}" -eq "${acc:-0}"
		rp_check "worker $w: no napi fallback (${fb:-?})" test "${fb:--1}" -eq 0
		rp_check "worker $w: opened one backend connection per pair it adopted (${be:-?})" \
			test "${be:--1}" -eq "${acc:-0}"
		total=$((total + ${acc:-0}))
	done
	rp_check "every connection accounted ($total = $CONNS)" test "$total" -eq "$CONNS"
	echo_total=$(( $(metric conns_accepted 0 echo) + $(metric conns_accepted 1 echo) ))
	rp_check "the backend saw one connection per pair ($echo_total)" test "$echo_total" -eq "$CONNS"
	kill -TERM "$pid"
	wait "$pid"
	st=$?
	rp_check "SIGTERM: exit 0 (got $st)" test "$st" -eq 0
	rp_check "every buffer back" test "$(grep -cE 'exiting: buffers free ([0-9]+)/\1$' "$dir/log")" -eq 2
	rp_check "no sanitizer report" sh -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$dir/log'"
else
	cat "$dir/log"
	rp_fail "the proxy with an acceptor starts"
fi
rp_done
