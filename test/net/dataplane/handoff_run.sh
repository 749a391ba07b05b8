#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane run` with a tcp-echo service behind an acceptor (services[].
# acceptor: true): every connection is accepted by the acceptor ring and
# handed to a worker by MSG_RING; echo works on each, round-robin splits
# them evenly between the 2 workers (the service's conns_accepted per
# worker), and SIGTERM drains and exits 0 with every buffer back.
. "$RP_TOP/test/net/lib.sh"
rp_need_root
rp_ns ns
rp_tmpdir dir
cat >"$dir/acc.yaml" <<'YAML'
workers:
  count: 2
services:
  - name: tcp-acc
    type: tcp-echo
    listen: 127.0.0.1:7208
    acceptor: true
    steering: round-robin
metrics:
  enabled: true
  listen: 127.0.0.1:9208
YAML
rp_bg "$ns" "$RINGPLANE" run -c "$dir/acc.yaml" 2>"$dir/log"
pid=$RP_BG_PID
rp_wait_port "$ns" tcp 7208 || rp_fail "nothing listens on 7208"
rp_check "1000 echo connections through the acceptor" \
	rp_in "$ns" "$RP_BUILD/test/tools/tcp_echo_check" 127.0.0.1:7208 -c 1000 -b 20000
rp_in "$ns" curl -s 127.0.0.1:9208/metrics >"$dir/metrics"
a0=$(sed -n 's/^ringplane_conns_accepted_total{worker="0",service="tcp-acc"} //p' "$dir/metrics")
a1=$(sed -n 's/^ringplane_conns_accepted_total{worker="1",service="tcp-acc"} //p' "$dir/metrics")
rp_check "round-robin: 500/500 (${a0:-?}/${a1:-?})" test "${a0:-0}" -eq 500 -a "${a1:-0}" -eq 500
rp_check "the acceptor started with its steering" grep -q "acceptor: ring fd [0-9]*, steering round-robin over 2 workers" "$dir/log"
kill -TERM "$pid"
wait "$pid"
st=$?
rp_check "SIGTERM: exit 0 (got $st)" test "$st" -eq 0
rp_check "every buffer back" test "$(grep -c 'buffers free 2048/2048' "$dir/log")" -eq 2
rp_done
