#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Live reload (dataplane/reload.h) of a tcp-proxy under traffic, backends
# being the appliance's own tcp-echo services, one worker (so weighted
# round-robin is exact and the splits below are too):
#   - long-lived client connections stream through the proxy, every byte
#     checked (test/tools/stream_echo.py), across every reload below;
#   - `ringplane reload` removes backend A, adds C with weight 3: new
#     connections split 1:3 over B and C, none to A; A's established
#     connections go on and finish, counted under A; counters of B continue;
#   - an invalid file (a YAML syntax error, a rule error) sent by SIGHUP is
#     rejected with FILE:LINE:COLUMN in the log and the old config serves on;
#     `ringplane reload` refuses it itself, sending nothing;
#   - a change that cannot be applied live (the listen address), together
#     with a live one, is rejected as a whole, named with FILE:LINE:COLUMN;
#   - reloads_ok / reloads_rejected count; SIGTERM still drains cleanly;
#   - with two workers, both switch (every new connection follows);
#   - `ringplane reload` with no appliance running says so (exit 1).
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

px=$ECHO_SRV_ADDR
cfg=$workdir/proxy.yaml
STREAM=$RP_TOP/test/tools/stream_echo.py
A=127.0.0.1:7100 B=127.0.0.1:7101 C=127.0.0.1:7102

# proxy_config LISTEN_PORT BACKENDS_YAML
proxy_config() {
	cat >"$cfg" <<EOC
workers:
  count: 1
buffers:
  size: 16384
  count: 1024
services:
  - name: echo-a
    type: tcp-echo
    listen: $A
  - name: echo-b
    type: tcp-echo
    listen: $B
  - name: echo-c
    type: tcp-echo
    listen: $C
  - name: proxy
    type: tcp-proxy
    listen: $px:$1
    write-stall-timeout-ms: 0
    backends:
$2
metrics:
  enabled: true
  listen: 127.0.0.1:9107
EOC
}

# connects per backend, as the proxy counted them: "A B C"
split() {
	echo "$(rpd_counter backend_connects "proxy/$A") $(rpd_counter backend_connects "proxy/$B")" \
	     "$(rpd_counter backend_connects "proxy/$C")"
}

# new_conns N EXPECT_A EXPECT_B EXPECT_C: N checked connections through the
# proxy; each backend's share of them as expected.
new_conns() {
	local a0 b0 c0 a1 b1 c1
	read -r a0 b0 c0 <<<"$(split)"
	tool tcp_echo_check "$px:7008" -c "$1" -b 8192 --timeout-s 30 >/dev/null || return 1
	read -r a1 b1 c1 <<<"$(split)"
	echo "   new connections: A +$((a1 - a0)), B +$((b1 - b0)), C +$((c1 - c0))"
	[ $((a1 - a0)) -eq "$2" ] && [ $((b1 - b0)) -eq "$3" ] && [ $((c1 - c0)) -eq "$4" ]
}

reload_cli() {
	rp_in "$srv_ns" "$RINGPLANE" reload -c "$cfg" >"$workdir/reload.out" 2>&1
	RELOAD_STATUS=$?
	cat "$workdir/reload.out"
}

proxy_config 7008 "      - address: $A
      - address: $B"
rpd_start "$cfg"
rpd_wait_metrics || { rp_fail "ringplane starts"; rp_done; }

# ---- streams, then backends changed under them ---------------------------------
rp_bg "$cli_ns" python3 "$STREAM" "$px" 7008 6 "$workdir/ready" "$workdir/stop" >"$workdir/stream.out" 2>&1
stream_pid=$RP_BG_PID
for ((i = 0; i < 600; i++)); do [ -e "$workdir/ready" ] && break; sleep 0.05; done
rp_check "6 streams established, 3 on A and 3 on B" test "$(split)" = "3 3 0"

proxy_config 7008 "      - address: $B
      - address: $C
        weight: 3"
reload_cli
rp_check "ringplane reload: applied (exit 0)" test "$RELOAD_STATUS" -eq 0
rp_check "log: A removed" rpd_log_has -E "backend $A removed"
rp_check "log: C added with weight 3" rpd_log_has -E "backend $C added \(weight 3\)"
rp_check "new connections follow the new backends and weights (B:C 1:3, none to A)" \
	new_conns 40 0 10 30

# ---- invalid configs: rejected, the old one serves on ------------------------------
cp "$cfg" "$workdir/good.yaml"
printf 'services:\n  - name: x\n    type: [tcp-echo\n' >"$cfg"
kill -HUP "$RPD_PID"
rp_check "syntax error: rejected with FILE:LINE:COLUMN" \
	rpd_log_has -E "reload rejected: $cfg:[0-9]+:[0-9]+: YAML syntax error"
reload_cli
rp_check "ringplane reload refuses the invalid file itself (exit 1, nothing sent)" \
	test "$RELOAD_STATUS" -eq 1 -a -n "$(grep 'nothing sent' "$workdir/reload.out")"
sed 's/name: echo-b/name: echo-a/' "$workdir/good.yaml" >"$cfg"
kill -HUP "$RPD_PID"
rp_check "rule error: rejected with FILE:LINE:COLUMN" \
	rpd_log_has -E "reload rejected: $cfg:[0-9]+:[0-9]+: duplicate service name 'echo-a'"
rp_check "the old config serves on (B:C 1:3)" new_conns 8 0 2 6

# ---- a change that needs a restart: rejected as a whole ----------------------------
proxy_config 7009 "      - address: $B
        weight: 3
      - address: $C"
reload_cli
rp_check "listen changed: ringplane reload says rejected (exit 1)" \
	test "$RELOAD_STATUS" -eq 1 -a -n "$(grep 'rejected' "$workdir/reload.out")"
rp_check "listen changed: named with FILE:LINE:COLUMN" \
	rpd_log_has -E "reload rejected: $cfg:[0-9]+:[0-9]+: services\[proxy\]\.listen changed \(\"$px:7008\" -> \"$px:7009\"\)"
rp_check "nothing half-applied: weights still B:C 1:3 on the old port" new_conns 8 0 2 6

# ---- the streams went through all of it ---------------------------------------------
cp "$workdir/good.yaml" "$cfg"
touch "$workdir/stop"
wait "$stream_pid"
stream_status=$?
rp_check "every stream kept going and came back intact (exit $stream_status)" \
	grep -q "^ok 6 " "$workdir/stream.out"
cat "$workdir/stream.out"
rp_check "removed A's connections finished, counted under A" \
	rpd_counter_reaches conns_closed "proxy/$A" 3
rp_check "no connection reset" test "$(rpd_counter err_conn_reset proxy)" = 0
rp_check "reloads_ok 1" test "$(rpd_counter reloads_ok)" = 1
rp_check "reloads_rejected 3" test "$(rpd_counter reloads_rejected)" = 3
rp_check "per-backend counters continue under their labels (A 3, B 3+10+2+2, C 30+6+6)" \
	test "$(split)" = "3 17 42"
rpd_stop_checked "after reloads"

# ---- two workers: both switch before the reload is reported applied ------------------
sed -i 's/^  count: 1$/  count: 2/' "$cfg"
rpd_start "$cfg"
if rpd_wait_metrics; then
	proxy_config 7008 "      - address: $C"
	sed -i 's/^  count: 1$/  count: 2/' "$cfg"
	reload_cli
	rp_check "two workers: applied (exit 0)" test "$RELOAD_STATUS" -eq 0
	rp_check "two workers: generation 1 on every worker" \
		rpd_log_has "reload: applied on every worker (generation 1)"
	rp_check "two workers: every new connection goes to C" new_conns 20 0 0 20
	rpd_stop_checked "two workers"
else
	rp_fail "ringplane starts with two workers"
fi

# ---- nothing to reload -------------------------------------------------------------
reload_cli
rp_check "ringplane reload with nothing running: exit 1, says so" \
	test "$RELOAD_STATUS" -eq 1 -a -n "$(grep 'no running ringplane serves' "$workdir/reload.out")"
rp_done
