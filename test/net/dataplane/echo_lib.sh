# SPDX-License-Identifier: MIT
# Helpers shared by the echo network tests (source after test/net/lib.sh):
# two namespaces joined by a veth pair, ringplane running in one of them,
# the test clients in the other, and counters read back through
# `ringplane stats --json`.
#
#   echo_topology               # $cli_ns 10.91.0.1 <-veth-> $srv_ns 10.91.0.2
#   rpd_start CONFIG            # ringplane run -c CONFIG in $srv_ns (RPD_PID, RPD_LOG)
#   rpd_stop                    # SIGTERM, wait; RPD_STATUS = exit status
#   rpd_stop_checked [LABEL]    # rpd_stop + checks: exit 0, no sanitizer report
#   rpd_counter NAME [SERVICE]  # a counter summed over workers (stats --json)
#   rpd_wait_idle               # until bufs_in_flight is 0
#   rpd_counter_reaches NAME SERVICE MIN  # until a counter is >= MIN
#   rpd_counter_until NAME SERVICE OP V   # until `counter OP V` (-eq, -le, ...)
#   rpd_all_closed SERVICE      # until conns_accepted == conns_closed
#   rpd_log_has [-E] PATTERN    # until the appliance's log holds PATTERN
#   tool NAME ARGS...           # a test client from build/test/tools, in $cli_ns

ECHO_SRV_ADDR=10.91.0.2
ECHO_CLI_ADDR=10.91.0.1
TOOLS=$RP_BUILD/test/tools

echo_topology() {
	rp_ns cli_ns && rp_ns srv_ns || return 1
	rp_veth "$cli_ns" ve0 "$srv_ns" ve1 1 || return 1
	rp_addr "$cli_ns" ve0 "$ECHO_CLI_ADDR/24" && rp_addr "$srv_ns" ve1 "$ECHO_SRV_ADDR/24"
	rp_tmpdir workdir
}

tool() {
	local name=$1; shift
	rp_in "$cli_ns" "$TOOLS/$name" "$@"
}

# The io_uring fixed-file table is bounded by RLIMIT_NOFILE: raise it for
# ringplane and the clients alike.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

rpd_start() {
	local config=$1
	RPD_LOG=$workdir/ringplane.log
	rp_bg "$srv_ns" "$RINGPLANE" run -c "$config" 2>"$RPD_LOG"
	RPD_PID=$RP_BG_PID
}

# Wait until ringplane answers on its metrics port (it is up when it does);
# $1: the port's address when not the default 127.0.0.1:9107.
rpd_wait_metrics() {
	local i metrics=${1:-127.0.0.1:9107}
	for ((i = 0; i < 200; i++)); do
		rp_in "$srv_ns" "$RINGPLANE" stats -m "$metrics" >/dev/null 2>&1 && return 0
		kill -0 "$RPD_PID" 2>/dev/null || { echo "ringplane exited during start-up:"; cat "$RPD_LOG"; return 1; }
		sleep 0.05
	done
	echo "ringplane metrics did not come up in 10 s"; cat "$RPD_LOG"
	return 1
}

rpd_stop() {
	local i
	kill -TERM "$RPD_PID" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		kill -0 "$RPD_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$RPD_PID" 2>/dev/null; then
		echo "ringplane did not exit 15 s after SIGTERM; log:"; tail -20 "$RPD_LOG"
		kill -KILL "$RPD_PID"
	fi
	wait "$RPD_PID"
	RPD_STATUS=$?
}

# rpd_counter NAME [SERVICE]: NAME summed over every worker's block of
# SERVICE ("" the worker-level block; default "*": every block).
rpd_counter() {
	rp_in "$srv_ns" "$RINGPLANE" stats -m 127.0.0.1:9107 --json | python3 -c '
import json, sys
name, svc = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "*"
rows = json.load(sys.stdin)["rows"]
print(sum(r["values"].get(name, 0) for r in rows if svc in ("*", r["service"])))
' "$@"
}

# Wait until every buffer is back in the pool (bufs_in_flight 0): the last
# zerocopy notifications may land just after the client saw its echo.
rpd_wait_idle() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(rpd_counter bufs_in_flight)" = 0 ] && return 0
		sleep 0.05
	done
	echo "bufs_in_flight still $(rpd_counter bufs_in_flight) after 5 s of quiet"
	return 1
}

# rpd_counter_until NAME SERVICE OP VALUE: true once `counter OP VALUE`
# holds (test's -ge, -eq, ...) within 5 s (the appliance counts a peer's
# close or reset when its worker gets to it).
rpd_counter_until() {
	local i v
	for ((i = 0; i < 100; i++)); do
		v=$(rpd_counter "$1" "$2")
		[ "$v" "$3" "$4" ] && return 0
		sleep 0.05
	done
	echo "$1 ($2) is $v, expected $3 $4"
	return 1
}

# rpd_counter_reaches NAME SERVICE MIN: true once the counter is >= MIN.
rpd_counter_reaches() {
	rpd_counter_until "$1" "$2" -ge "$3"
}

# rpd_all_closed SERVICE: every client connection the service admitted
# was closed (conns_accepted == conns_closed; its worker may count the last
# close just after the client saw it).
rpd_all_closed() {
	local i a c
	for ((i = 0; i < 100; i++)); do
		a=$(rpd_counter conns_accepted "$1"); c=$(rpd_counter conns_closed "$1")
		[ "$a" -eq "$c" ] && return 0
		sleep 0.05
	done
	echo "$1: conns_accepted $a, conns_closed $c"
	return 1
}

# A config with one udp-echo and one tcp-echo service on the veth address.
# echo_config FILE ZEROCOPY [SOCKPERF] [BUFSIZE]
echo_config() {
	local file=$1 zc=$2 sp=${3:-false} bufsize=${4:-65536}
	cat >"$file" <<EOC
workers:
  count: 1
buffers:
  size: $bufsize
  count: 512
zerocopy:
  mode: $zc
services:
  - name: udp
    type: udp-echo
    listen: $ECHO_SRV_ADDR:7007
    sockperf: $sp
  - name: tcp
    type: tcp-echo
    listen: $ECHO_SRV_ADDR:7008
    sockperf: $sp
metrics:
  enabled: true
  listen: 127.0.0.1:9107
logging:
  level: info
EOC
}

# rpd_log_has [-E] PATTERN: true once the appliance's log holds PATTERN (a
# fixed string; with -E an extended regex), within 10 s.
rpd_log_has() {
	local mode=-F i
	[ "$1" = -E ] && { mode=-E; shift; }
	for ((i = 0; i < 200; i++)); do
		grep -q "$mode" -- "$1" "$RPD_LOG" && return 0
		sleep 0.05
	done
	echo "not in the log after 10 s: $1"; tail -20 "$RPD_LOG"
	return 1
}

# The sanitizer build reports leaks and errors in the log; the normal build
# has none of those lines.
rpd_log_clean() {
	! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$RPD_LOG"
}

# rpd_stop_checked [LABEL]: stop, and check the exit status and the log.
rpd_stop_checked() {
	local label=${1:+$1: }
	rpd_stop
	rp_check "${label}exit 0 after SIGTERM (got $RPD_STATUS)" test "$RPD_STATUS" -eq 0
	rp_check "${label}no sanitizer report" rpd_log_clean
}
