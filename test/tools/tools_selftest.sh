#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The echo checkers pass against correct servers (the epoll reference echo,
# a plain TCP echo) and FAIL against wrong ones: a flipped byte, a short
# stream, a silent port. A checker that could not fail would prove nothing.
. "$RP_TOP/test/net/lib.sh"
rp_need_root
rp_ns ns
T=$RP_BUILD/test/tools
faulty=$RP_TOP/test/tools/faulty_echo.py
ulimit -n "$(ulimit -Hn)"

rp_bg "$ns" "$T/epoll_echo_server" 127.0.0.1:7100
rp_bg "$ns" python3 "$faulty" udp-corrupt 127.0.0.1 7101
rp_bg "$ns" python3 "$faulty" tcp-echo 127.0.0.1 7200
rp_bg "$ns" python3 "$faulty" tcp-corrupt 127.0.0.1 7201
rp_bg "$ns" python3 "$faulty" tcp-short 127.0.0.1 7202
rp_wait_port "$ns" udp 7100 && rp_wait_port "$ns" udp 7101 &&
	rp_wait_port "$ns" tcp 7200 && rp_wait_port "$ns" tcp 7201 && rp_wait_port "$ns" tcp 7202 ||
	{ rp_fail "servers started"; rp_done; }

# expect_fail WHAT PATTERN CMD...: CMD exits 1 and says PATTERN on stderr.
expect_fail() {
	local what=$1 pattern=$2 err rc; shift 2
	err=$("$@" 2>&1 >/dev/null); rc=$?
	rp_check "$what (exit $rc, wants 1)" test "$rc" -eq 1
	rp_check "$what: says '$pattern'" grep -q -- "$pattern" <<<"$err"
}

rp_check "udp_echo_check passes against the epoll reference echo" \
	rp_in "$ns" "$T/udp_echo_check" 127.0.0.1:7100 --sizes 1-100,1400-1600/7,65507
expect_fail "udp_echo_check catches a flipped byte" "echo differs at byte" \
	rp_in "$ns" "$T/udp_echo_check" 127.0.0.1:7101 --sizes 5,64
expect_fail "udp_echo_check catches a silent port" "no echo after 2 tries" \
	rp_in "$ns" "$T/udp_echo_check" 127.0.0.1:7102 --sizes 64 --retries 1 --timeout-ms 100

rp_check "tcp_echo_check passes: 300 connections" \
	rp_in "$ns" "$T/tcp_echo_check" 127.0.0.1:7200 -c 300 -b 20000
rp_check "tcp_echo_check passes with half-close" \
	rp_in "$ns" "$T/tcp_echo_check" 127.0.0.1:7200 -c 20 -b 100000 --half-close
expect_fail "tcp_echo_check catches a flipped byte" "mismatch .*byte 5000 is" \
	rp_in "$ns" "$T/tcp_echo_check" 127.0.0.1:7201 -c 3 -b 20000
expect_fail "tcp_echo_check catches a short stream" "closed early" \
	rp_in "$ns" "$T/tcp_echo_check" 127.0.0.1:7202 -c 3 -b 20000
expect_fail "tcp_echo_check catches a refused connection" "Connection refused" \
	rp_in "$ns" "$T/tcp_echo_check" 127.0.0.1:7299 -c 2

for mode in rst half-close vanish sp-bad-len sp-oversize garbage; do
	rp_check "misbehave $mode runs against a TCP echo" rp_in "$ns" "$T/misbehave" "$mode" 127.0.0.1:7200 -n 2
done
rp_check "misbehave udp-big runs" rp_in "$ns" "$T/misbehave" udp-big 127.0.0.1:7100 --size 60000
rp_check "the TCP echo survived them all" rp_in "$ns" "$T/tcp_echo_check" 127.0.0.1:7200 -c 5
rp_check "misbehave with an unknown mode is a usage error" \
	sh -c '"$1" nosuch 127.0.0.1:1 2>/dev/null; test $? -eq 2' _ "$T/misbehave"
rp_done
